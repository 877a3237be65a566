/**
 * The alert record of a single-event match, as the processor sends it to
 * `vigil.alerts` and the alerter indexes it: the `AlertRecord` of
 * rules/alerter/alert.ts with `kind: "detection"`. Its id is deterministic
 * (DESIGN.md, delivery semantics, point 4): 20 bytes of SHA-256 over the
 * rule id and the event id, base64url — a replayed event makes the same
 * alert, which the alerter and the webhooks then see as a duplicate.
 *
 * `fields` holds the event's key fields that are present, plus the fields
 * the rule lists under `fields:` (as they appear in the event), by their
 * dotted names.
 */
import { hash } from 'node:crypto';
import { fieldPath, getField } from '../../processor/pipeline/fields.ts';
import type { AlertRecord } from '../alerter/alert.ts';
import type { RuleHit } from './engine/rule-set.ts';

export type { AlertRecord };

/** The event fields an analyst needs first, copied into `keys` when present. */
export const ALERT_KEY_FIELDS = [
  'event.dataset',
  'event.action',
  'event.outcome',
  'host.name',
  'host.ip',
  'source.ip',
  'source.port',
  'destination.ip',
  'destination.port',
  'user.name',
  'user.effective.name',
  'process.name',
  'process.pid',
  'process.executable',
  'process.command_line',
  'url.original',
  'http.request.method',
  'http.response.status_code',
  'user_agent.original',
  'winlog.event_id',
  'winlog.channel',
] as const;

const KEY_PATHS = ALERT_KEY_FIELDS.map((f) => ({ name: f, path: fieldPath(f) }));

/** The id of the alert for (rule, event). */
export function alertId(ruleId: string, eventId: string): string {
  return (hash('sha256', `${ruleId}\n${eventId}`, 'buffer') as Buffer).subarray(0, 20).toString('base64url');
}

/**
 * The event id when the caller has none at hand: the same derivation as the
 * event's OpenSearch `_id` (core/event/raw-record.ts `eventId`) from
 * `vigil.record.id`; undefined when the event has no record identity.
 */
export function eventIdOf(event: Record<string, unknown>): string | undefined {
  const identity = getField(event, ['vigil', 'record', 'id']);
  if (typeof identity !== 'string') return undefined;
  return (hash('sha256', identity, 'buffer') as Buffer).subarray(0, 20).toString('base64url');
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

export interface BuildAlertOptions {
  /** The event's id (its OpenSearch `_id`); default: derived from `vigil.record.id`. */
  eventId?: string;
  /** Index of the event, recorded as the alert's `event_index`. */
  eventIndex?: string;
  /** Event fields to copy into `fields` beside the rule's own (default ALERT_KEY_FIELDS). */
  keyFields?: readonly string[];
}

/** Builds the alert record for one hit on one event. Throws only when the event has no id at all. */
export function buildAlert(
  hit: RuleHit,
  event: Record<string, unknown>,
  options: BuildAlertOptions = {},
): AlertRecord {
  const eventId = options.eventId ?? eventIdOf(event);
  if (eventId === undefined) {
    throw new Error('The event has no id: pass eventId, or give the event vigil.record.id.');
  }
  const keys: Record<string, unknown> = {};
  const paths = options.keyFields
    ? options.keyFields.map((f) => ({ name: f, path: fieldPath(f) }))
    : KEY_PATHS;
  for (const { name, path } of paths) {
    const value = getField(event, path);
    if (value !== undefined && value !== null) keys[name] = value;
  }
  for (const name of hit.rule.fields) {
    if (Object.hasOwn(keys, name)) continue;
    let path: readonly string[];
    try {
      path = fieldPath(name);
    } catch {
      continue;
    }
    const value = getField(event, path);
    if (value !== undefined && value !== null) keys[name] = value;
  }
  const time = text(event['@timestamp']) ?? new Date(0).toISOString();
  const alert: AlertRecord = {
    id: alertId(hit.ruleId, eventId),
    kind: 'detection',
    '@timestamp': time,
    rule: { id: hit.ruleId, title: hit.title, level: hit.level, tags: [...hit.tags] },
    first_event_at: time,
    last_event_at: time,
    event_ids: [eventId],
    fields: keys,
  };
  if (options.eventIndex !== undefined) alert.event_index = options.eventIndex;
  return alert;
}
