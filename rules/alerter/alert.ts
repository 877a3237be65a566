/**
 * The alert record: the JSON value of a message on `vigil.alerts` (Kafka key:
 * the alert id; header `vigil-schema: 1`). Detection (single-event matches)
 * and correlation produce it; the alerter indexes and notifies it.
 *
 * The id is deterministic (DESIGN.md, delivery semantics, point 4), so a
 * replayed alert is recognised everywhere downstream: the OpenSearch `_id`,
 * the notification job id and the webhook idempotency key all derive from it.
 *
 * `validateAlert` checks a decoded value and says exactly what is wrong; the
 * alerter sends what fails to the dead-letter queue with that reason.
 */

export const ALERT_SCHEMA_VERSION = '1';

export const ALERT_LEVELS = ['informational', 'low', 'medium', 'high', 'critical'] as const;
export type AlertLevel = (typeof ALERT_LEVELS)[number];

export type AlertKind = 'detection' | 'correlation';

export interface AlertRule {
  /** The rule's UUID, or its name when it has none. */
  id: string;
  title: string;
  level: AlertLevel;
  /** Sigma tags, e.g. `attack.t1110`, `attack.credential_access`. */
  tags: string[];
  /** Correlation type (`event_count`, `value_count`, `temporal`, …); absent for detections. */
  type?: string;
}

export interface AlertRecord {
  /** Deterministic alert id, base64url. */
  id: string;
  kind: AlertKind;
  /** ISO time of the event that completed the condition. */
  '@timestamp': string;
  rule: AlertRule;
  first_event_at: string;
  last_event_at: string;
  /** OpenSearch `_id`s of the contributing events. */
  event_ids: string[];
  /** Index of the single event of a detection. */
  event_index?: string;
  /** Group-by values of a correlation, by field name. */
  group?: Record<string, string>;
  /** Key fields of the event(s), by dotted field name (`source.ip`, `user.name`, `host.name`, …). */
  fields?: Record<string, unknown>;
  /** Events counted by a correlation. */
  count?: number;
}

export type AlertValidation = { alert: AlertRecord } | { invalid: string };

const ID = /^[A-Za-z0-9_-]{8,128}$/;
const MAX_EVENT_IDS = 10_000;
const KINDS = new Set<string>(['detection', 'correlation']);
const LEVELS = new Set<string>(ALERT_LEVELS);

/** Parses and checks a message value; never throws. */
export function decodeAlert(value: string | Buffer | null | undefined): AlertValidation {
  if (value === null || value === undefined || value.length === 0) return { invalid: 'empty value' };
  let parsed: unknown;
  try {
    parsed = JSON.parse(typeof value === 'string' ? value : value.toString('utf8'));
  } catch (error) {
    return { invalid: `not JSON (${(error as Error).message})` };
  }
  return validateAlert(parsed);
}

/** Checks a decoded value against the alert record; the reason names the first field that is wrong. */
export function validateAlert(value: unknown): AlertValidation {
  if (!isRecord(value)) return { invalid: 'not a JSON object' };
  const problem = firstProblem(value);
  if (problem !== undefined) return { invalid: problem };
  return { alert: value as unknown as AlertRecord };
}

function firstProblem(v: Record<string, unknown>): string | undefined {
  if (typeof v.id !== 'string' || !ID.test(v.id))
    return 'id: expected a base64url string of 8 to 128 characters';
  if (typeof v.kind !== 'string' || !KINDS.has(v.kind)) return 'kind: expected "detection" or "correlation"';
  for (const key of ['@timestamp', 'first_event_at', 'last_event_at'] as const) {
    if (!isIsoTime(v[key])) return `${key}: expected an ISO 8601 time with a zone`;
  }
  const rule = v.rule;
  if (!isRecord(rule)) return 'rule: expected an object';
  if (typeof rule.id !== 'string' || rule.id.length === 0 || rule.id.length > 256)
    return 'rule.id: expected a non-empty string';
  if (typeof rule.title !== 'string') return 'rule.title: expected a string';
  if (typeof rule.level !== 'string' || !LEVELS.has(rule.level))
    return `rule.level: expected one of ${ALERT_LEVELS.join(', ')}`;
  if (!Array.isArray(rule.tags) || !rule.tags.every((t) => typeof t === 'string'))
    return 'rule.tags: expected an array of strings';
  if (rule.type !== undefined && typeof rule.type !== 'string') return 'rule.type: expected a string';
  if (
    !Array.isArray(v.event_ids) ||
    v.event_ids.length > MAX_EVENT_IDS ||
    !v.event_ids.every((id) => typeof id === 'string' && id.length > 0)
  )
    return `event_ids: expected an array of at most ${MAX_EVENT_IDS} non-empty strings`;
  if (v.event_index !== undefined && typeof v.event_index !== 'string')
    return 'event_index: expected a string';
  if (v.group !== undefined) {
    if (!isRecord(v.group)) return 'group: expected an object of strings';
    for (const [field, value] of Object.entries(v.group)) {
      if (typeof value !== 'string') return `group.${field}: expected a string`;
    }
  }
  if (v.fields !== undefined && !isRecord(v.fields)) return 'fields: expected an object';
  if (v.count !== undefined && !(Number.isInteger(v.count) && (v.count as number) >= 0))
    return 'count: expected a non-negative integer';
  return undefined;
}

function isIsoTime(value: unknown): boolean {
  return (
    typeof value === 'string' &&
    /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(value) &&
    !Number.isNaN(Date.parse(value))
  );
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** A value of the alert's key fields or group, as text: `fields` first, then `group`. */
export function alertValue(alert: AlertRecord, field: string): string | undefined {
  const value = alert.fields?.[field] ?? alert.group?.[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}
