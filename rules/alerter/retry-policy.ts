/**
 * When a webhook attempt is worth repeating, and after how long.
 *
 * - 2xx: delivered.
 * - Network errors (refused, reset, timeout, DNS failure), 5xx, 408 and 429:
 *   retried with exponential backoff and "equal jitter"; a Retry-After (429,
 *   503) is honoured, up to RETRY_AFTER_MAX_MS.
 * - 3xx: failed at once; redirects are never followed (a redirect could point
 *   the request past the SSRF guard).
 * - Any other 4xx, and a target the SSRF guard refuses: failed at once.
 */

export type DeliveryOutcome =
  | { kind: 'delivered'; status: number }
  | { kind: 'retry'; reason: string; status?: number; retryAfterMs?: number }
  | { kind: 'fail'; reason: string; status?: number };

/** A Retry-After longer than this is cut to it, so one answer cannot park a job for days. */
export const RETRY_AFTER_MAX_MS = 3_600_000;

export function classifyStatus(status: number, retryAfter?: string | null): DeliveryOutcome {
  if (status >= 200 && status < 300) return { kind: 'delivered', status };
  if (status >= 300 && status < 400)
    return {
      kind: 'fail',
      status,
      reason: `the receiver answered ${status} (a redirect, which is not followed)`,
    };
  if (status === 429 || status === 408 || status >= 500) {
    const retryAfterMs = parseRetryAfter(retryAfter);
    return {
      kind: 'retry',
      status,
      reason: `the receiver answered ${status}`,
      ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
    };
  }
  return { kind: 'fail', status, reason: `the receiver answered ${status}` };
}

/** Retry-After as delay-seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | undefined {
  if (value === null || value === undefined || value.trim() === '') return undefined;
  const text = value.trim();
  let ms: number;
  if (/^\d+$/.test(text)) ms = Number(text) * 1000;
  else {
    const at = Date.parse(text);
    if (Number.isNaN(at)) return undefined;
    ms = at - now;
  }
  return Math.min(Math.max(0, ms), RETRY_AFTER_MAX_MS);
}

export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
  random?: () => number;
}

/**
 * Pause before the next attempt, after `attemptsMade` failed ones: initial ×
 * 2^(attemptsMade-1), capped at max, with equal jitter (half fixed, half
 * random); never shorter than the receiver's Retry-After.
 */
export function backoffDelay(attemptsMade: number, options: BackoffOptions, retryAfterMs?: number): number {
  const random = options.random ?? Math.random;
  const exp = Math.min(options.maxMs, options.initialMs * 2 ** Math.max(0, attemptsMade - 1));
  const jittered = Math.round(exp / 2 + random() * (exp / 2));
  return Math.max(jittered, retryAfterMs ?? 0);
}

/** Network-level failures: the request may not have reached the receiver, so it is safe and useful to repeat. */
export function classifyNetworkError(error: unknown): DeliveryOutcome {
  const code = (error as { code?: string }).code ?? (error as { cause?: { code?: string } }).cause?.code;
  const message = error instanceof Error ? error.message : String(error);
  return { kind: 'retry', reason: `the request failed: ${code ? `${code} ` : ''}${message}` };
}
