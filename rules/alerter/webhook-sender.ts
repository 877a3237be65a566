/**
 * Sends one notification to one webhook destination with undici: a POST of
 * the payload, signed, with the idempotency key, through an Agent whose
 * connections go only to addresses the SSRF guard checked. Redirects are not
 * followed (undici's request does not follow them; a 3xx fails the job).
 * Returns the classified outcome; never throws.
 */
import { Agent, request } from 'undici';
import { VIGIL_VERSION } from '../../core/version.ts';
import { idempotencyKey, signature, type WebhookPayload } from './payload.ts';
import { classifyNetworkError, classifyStatus, type DeliveryOutcome } from './retry-policy.ts';
import { isTargetRefused, type Resolver, SsrfGuard, type SsrfPolicy } from './ssrf-guard.ts';

export interface WebhookDestination {
  name: string;
  url: string;
  /** HMAC secret; without it deliveries are not signed. */
  secret?: string;
  timeoutMs: number;
  connectTimeoutMs: number;
  policy: SsrfPolicy;
}

export interface WebhookSenderOptions {
  /** Host name resolution (tests give a fake resolver); default: the system resolver. */
  resolve?: Resolver;
  now?: () => number;
}

/** Most bytes of a receiver's answer that are read (and then dropped). */
const MAX_RESPONSE_BYTES = 64 * 1024;

export type SendResult = DeliveryOutcome & { durationMs: number };

export class WebhookSender {
  readonly destination: WebhookDestination;
  readonly #guard: SsrfGuard;
  readonly #agent: Agent;
  readonly #now: () => number;

  constructor(destination: WebhookDestination, options: WebhookSenderOptions = {}) {
    this.destination = destination;
    this.#guard = new SsrfGuard(destination.policy, options.resolve ? { resolve: options.resolve } : {});
    this.#now = options.now ?? Date.now;
    this.#agent = new Agent({
      connect: { lookup: this.#guard.lookup, timeout: destination.connectTimeoutMs },
      headersTimeout: destination.timeoutMs,
      bodyTimeout: destination.timeoutMs,
    });
  }

  /** The headers of one attempt. */
  headers(body: string, alertId: string, attempt: number): Record<string, string> {
    const timestamp = String(Math.floor(this.#now() / 1000));
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'user-agent': `vigil/${VIGIL_VERSION}`,
      'idempotency-key': idempotencyKey(alertId, this.destination.name),
      'x-vigil-timestamp': timestamp,
      'x-vigil-attempt': String(attempt),
    };
    if (this.destination.secret !== undefined)
      headers['x-vigil-signature'] = signature(this.destination.secret, timestamp, body);
    return headers;
  }

  async send(payload: WebhookPayload, attempt = 1): Promise<SendResult> {
    const started = performance.now();
    const done = (outcome: DeliveryOutcome): SendResult => ({
      ...outcome,
      durationMs: performance.now() - started,
    });
    let url: URL;
    try {
      url = this.#guard.checkUrl(this.destination.url);
    } catch (error) {
      return done({ kind: 'fail', reason: (error as Error).message });
    }
    const body = JSON.stringify(payload);
    try {
      const response = await request(url, {
        method: 'POST',
        dispatcher: this.#agent,
        body,
        headers: this.headers(body, payload.alert.id, attempt),
        signal: AbortSignal.timeout(this.destination.timeoutMs + this.destination.connectTimeoutMs),
      });
      await response.body.dump({ limit: MAX_RESPONSE_BYTES }).catch(() => {});
      const retryAfter = response.headers['retry-after'];
      return done(
        classifyStatus(response.statusCode, Array.isArray(retryAfter) ? retryAfter[0] : retryAfter),
      );
    } catch (error) {
      if (isTargetRefused(error)) return done({ kind: 'fail', reason: refusalMessage(error) });
      return done(classifyNetworkError(error));
    }
  }

  async close(): Promise<void> {
    await this.#agent.close();
  }
}

function refusalMessage(error: unknown): string {
  for (let e: unknown = error; e; e = (e as { cause?: unknown }).cause) {
    if ((e as { code?: string }).code === 'WEBHOOK_TARGET_REFUSED') return (e as Error).message;
  }
  return (error as Error).message;
}
