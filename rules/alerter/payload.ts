/**
 * What a webhook receives (docs/alerting.md, "Webhook payload"): a JSON body
 * that is the same on every attempt, and headers that sign it.
 *
 *   x-vigil-timestamp: <unix seconds of this attempt>
 *   x-vigil-signature: sha256=<hex HMAC-SHA256 over "<timestamp>.<body>">   (with secret_file)
 *   idempotency-key:   <alert id>:<destination>                             (the same on every attempt)
 *   x-vigil-attempt:   <1, 2, …>
 *
 * A receiver recomputes the HMAC over the timestamp, a dot and the raw body,
 * compares in constant time, and rejects timestamps too far from its clock.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { AlertRecord } from './alert.ts';

export const PAYLOAD_VERSION = 1;

export interface WebhookPayload {
  version: number;
  /** `<alert id>:<destination>`, as in the idempotency-key header. */
  idempotency_key: string;
  destination: string;
  alert: {
    id: string;
    kind: AlertRecord['kind'];
    timestamp: string;
    first_event_at: string;
    last_event_at: string;
    count: number;
    event_ids: string[];
    event_index?: string;
    group?: Record<string, string>;
    fields?: Record<string, unknown>;
  };
  rule: AlertRecord['rule'];
}

export function idempotencyKey(alertId: string, destination: string): string {
  return `${alertId}:${destination}`;
}

/** Most contributing event ids listed in a payload; `alert.count` still gives the total. */
export const PAYLOAD_MAX_EVENT_IDS = 100;

export function webhookPayload(alert: AlertRecord, destination: string): WebhookPayload {
  return {
    version: PAYLOAD_VERSION,
    idempotency_key: idempotencyKey(alert.id, destination),
    destination,
    alert: {
      id: alert.id,
      kind: alert.kind,
      timestamp: alert['@timestamp'],
      first_event_at: alert.first_event_at,
      last_event_at: alert.last_event_at,
      count: alert.count ?? alert.event_ids.length,
      event_ids: alert.event_ids.slice(0, PAYLOAD_MAX_EVENT_IDS),
      ...(alert.event_index ? { event_index: alert.event_index } : {}),
      ...(alert.group ? { group: alert.group } : {}),
      ...(alert.fields ? { fields: alert.fields } : {}),
    },
    rule: {
      id: alert.rule.id,
      title: alert.rule.title,
      level: alert.rule.level,
      tags: alert.rule.tags,
      ...(alert.rule.type ? { type: alert.rule.type } : {}),
    },
  };
}

/** `sha256=<hex>` over `<timestamp>.<body>`. */
export function signature(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** What a receiver does: recompute and compare in constant time; also refuses stale timestamps. */
export function verifySignature(
  secret: string,
  timestamp: string,
  body: string,
  header: string,
  options: { toleranceSeconds?: number; now?: number } = {},
): boolean {
  const expected = Buffer.from(signature(secret, timestamp, body));
  const given = Buffer.from(header);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return false;
  const tolerance = options.toleranceSeconds ?? 300;
  const now = options.now ?? Date.now() / 1000;
  return Math.abs(now - Number(timestamp)) <= tolerance;
}
