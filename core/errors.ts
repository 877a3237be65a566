/**
 * Vigil's one error type. Every error that crosses a component boundary is a
 * VigilError with a stable `code` from the closed list below, documented in
 * docs/errors.md (a unit test keeps the two in step).
 *
 * `retriable` tells the caller whether trying the same operation again may
 * succeed (a broker that is down) or cannot (a malformed configuration).
 */

export const ERROR_CODES = {
  CONFIG_NOT_FOUND: { retriable: false, exitCode: 2 },
  CONFIG_PARSE: { retriable: false, exitCode: 2 },
  CONFIG_INVALID: { retriable: false, exitCode: 2 },
  CONFIG_SECRET_UNREADABLE: { retriable: false, exitCode: 2 },
  USAGE: { retriable: false, exitCode: 2 },
  KAFKA_UNAVAILABLE: { retriable: true, exitCode: 1 },
  KAFKA_TOPIC_MISSING: { retriable: false, exitCode: 1 },
  OPENSEARCH_UNAVAILABLE: { retriable: true, exitCode: 1 },
  OPENSEARCH_REJECTED: { retriable: false, exitCode: 1 },
  REDIS_UNAVAILABLE: { retriable: true, exitCode: 1 },
  CHECKPOINT_CORRUPT: { retriable: false, exitCode: 1 },
  SOURCE_IO: { retriable: true, exitCode: 1 },
  SHUTDOWN: { retriable: false, exitCode: 1 },
  GROK_PATTERN_INVALID: { retriable: false, exitCode: 2 },
  GROK_PATTERN_UNSUPPORTED: { retriable: false, exitCode: 2 },
  GROK_PATTERN_UNSAFE: { retriable: false, exitCode: 2 },
  GEOIP_DATABASE_INVALID: { retriable: false, exitCode: 2 },
  RULE_INVALID: { retriable: false, exitCode: 2 },
  RULE_UNSUPPORTED: { retriable: false, exitCode: 2 },
  RULE_REGEX_UNSAFE: { retriable: false, exitCode: 2 },
  RULE_PIPELINE_INVALID: { retriable: false, exitCode: 2 },
  WEBHOOK_TARGET_REFUSED: { retriable: false, exitCode: 1 },
  WEBHOOK_DELIVERY_FAILED: { retriable: true, exitCode: 1 },
  INTERNAL: { retriable: false, exitCode: 1 },
} as const satisfies Record<string, { retriable: boolean; exitCode: 1 | 2 }>;

export type ErrorCode = keyof typeof ERROR_CODES;

export interface VigilErrorOptions {
  cause?: unknown;
  /** Overrides the code's default retriability (e.g. a 503 vs a 400 from the same service). */
  retriable?: boolean;
  /** Machine-readable context; must never hold secrets. */
  details?: Record<string, unknown>;
}

export class VigilError extends Error {
  readonly code: ErrorCode;
  readonly retriable: boolean;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, options: VigilErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'VigilError';
    this.code = code;
    this.retriable = options.retriable ?? ERROR_CODES[code].retriable;
    this.details = options.details;
  }

  /** The process exit code a command should end with when this error stops it. */
  get exitCode(): 1 | 2 {
    return ERROR_CODES[this.code].exitCode;
  }
}

export function isVigilError(value: unknown): value is VigilError {
  return value instanceof VigilError;
}

/** Wraps anything thrown into a VigilError, keeping the original as `cause`. */
export function toVigilError(value: unknown, code: ErrorCode = 'INTERNAL'): VigilError {
  if (value instanceof VigilError) return value;
  const message = value instanceof Error ? value.message : String(value);
  return new VigilError(code, message, { cause: value });
}
