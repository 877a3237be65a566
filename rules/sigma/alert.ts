/**
 * The alert record of a single-event match, as the processor sends it to
 * `vigil.alerts` and the alerter indexes it. Its id is deterministic
 * (DESIGN.md, delivery semantics, point 4): 20 bytes of SHA-256 over the
 * rule id and the event id, base64url — a replayed event makes the same
 * alert, which the alerter and the webhooks then see as a duplicate.
 *
 * Shape (docs/rules.md has the field list):
 *
 *   {
 *     "@timestamp": "<the event's @timestamp>",
 *     "alert": { "id": "…", "kind": "single_event" },
 *     "rule": { "id", "title", "level", "status", "tags": [...],
 *               "attack": { "tactics": [...], "techniques": ["T1110"] }, "source": "<file>" },
 *     "event": { "id": "<event id>", "dataset", "action", "category", "outcome" },
 *     "keys": { "host.name": "web1", "source.ip": "203.0.113.7", "user.name": "root", … }
 *   }
 *
 * `keys` holds the event's key fields that are present, plus the fields the
 * rule lists under `fields:` (as they appear in the event), flattened by
 * their dotted names.
 */
import { hash } from 'node:crypto';
import { fieldPath, getField } from '../../processor/pipeline/fields.ts';
import type { AttackTags, RuleHit } from './engine/rule-set.ts';
import type { Level } from './model/rule.ts';

export interface AlertRecord {
  '@timestamp': string | undefined;
  alert: { id: string; kind: 'single_event' };
  rule: {
    id: string;
    title: string;
    level: Level;
    status: string | undefined;
    tags: string[];
    attack: AttackTags;
    source: string;
  };
  event: {
    id: string;
    dataset: string | undefined;
    action: string | undefined;
    category: unknown;
    outcome: string | undefined;
  };
  keys: Record<string, unknown>;
}

/** The event fields an analyst needs first, copied into `keys` when present. */
export const ALERT_KEY_FIELDS = [
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
  /** Event fields to copy into `keys` beside the rule's own (default ALERT_KEY_FIELDS). */
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
  const eventSection = (getField(event, ['event']) ?? {}) as Record<string, unknown>;
  return {
    '@timestamp': text(event['@timestamp']),
    alert: { id: alertId(hit.ruleId, eventId), kind: 'single_event' },
    rule: {
      id: hit.ruleId,
      title: hit.title,
      level: hit.level,
      status: hit.status,
      tags: [...hit.tags],
      attack: { tactics: [...hit.attack.tactics], techniques: [...hit.attack.techniques] },
      source: hit.source,
    },
    event: {
      id: eventId,
      dataset: text(eventSection.dataset),
      action: text(eventSection.action),
      category: eventSection.category,
      outcome: text(eventSection.outcome),
    },
    keys,
  };
}
