/**
 * The OpenSearch document of an alert, in `<prefix>-alerts-<yyyy.mm>` (the
 * UTC month of the alert's @timestamp, so a replayed alert lands in the same
 * index under the same `_id`). Field names follow the alerts index template
 * (processor/sinks/opensearch/alerts-template.ts): ECS `rule.*`, `threat.*`
 * from the rule's ATT&CK tags, the alert's key fields nested as in events
 * (`source.ip`, `user.name`, …), and Vigil's bookkeeping under `vigil.alert.*`.
 *
 * `vigil.alert.notify.{pending,sent,failed}` lists destinations by state; it
 * is the durable record of which notifications are still owed, from which the
 * alerter re-enqueues jobs that Redis lost.
 */
import type { AlertLevel, AlertRecord } from './alert.ts';

/** ECS event.severity for each Sigma level (the scale Elastic's detection rules use). */
export const SEVERITY: Record<AlertLevel, number> = {
  informational: 21,
  low: 21,
  medium: 47,
  high: 73,
  critical: 99,
};

export function alertIndexName(prefix: string, timestamp: string): string {
  const date = new Date(timestamp);
  const valid = Number.isNaN(date.getTime()) ? new Date(0) : date;
  const iso = valid.toISOString();
  return `${prefix}-alerts-${iso.slice(0, 4)}.${iso.slice(5, 7)}`;
}

export interface AlertDocumentOptions {
  /** Destinations that are owed a notification (empty for a suppressed alert). */
  destinations: readonly string[];
  /** Id of the alert that suppressed this one, when it is suppressed. */
  suppressedBy?: string;
  /** When the alerter indexed it. */
  now: Date;
  /** Leave the alert's key fields out of the ECS fields (after OpenSearch refused their types). */
  withoutFields?: boolean;
}

export type AlertDocument = Record<string, unknown> & {
  vigil: { alert: Record<string, unknown> };
};

export function alertDocument(alert: AlertRecord, options: AlertDocumentOptions): AlertDocument {
  const rule = alert.rule;
  const document: Record<string, unknown> = {};
  if (alert.fields && !options.withoutFields) {
    for (const [field, value] of Object.entries(alert.fields)) setPath(document, field, value);
  }
  const related = relatedOf(alert);
  const isUuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(rule.id);
  Object.assign(document, {
    '@timestamp': alert['@timestamp'],
    message: describe(alert),
    event: { kind: 'alert', created: options.now.toISOString(), severity: SEVERITY[rule.level] },
    rule: {
      id: rule.id,
      ...(isUuid ? { uuid: rule.id } : {}),
      name: rule.title,
      level: rule.level,
      tags: rule.tags,
      ruleset: 'sigma',
      ...(rule.type ? { type: rule.type, correlation: { type: rule.type } } : {}),
    },
    ...threatOf(rule.tags),
    ...(related && !options.withoutFields ? { related } : {}),
    vigil: {
      alert: {
        id: alert.id,
        kind: alert.kind,
        ...(alert.group ? { group: alert.group } : {}),
        first_event_time: alert.first_event_at,
        last_event_time: alert.last_event_at,
        event_ids: alert.event_ids,
        ...(alert.event_index ? { event_index: alert.event_index } : {}),
        event_count: alert.count ?? alert.event_ids.length,
        suppressed: options.suppressedBy !== undefined,
        ...(options.suppressedBy ? { suppressed_by: options.suppressedBy } : {}),
        suppressed_count: 0,
        status: 'open',
        notify: { pending: [...options.destinations], sent: [], failed: [] },
        ...(options.withoutFields && alert.fields ? { fields_json: JSON.stringify(alert.fields) } : {}),
      },
    },
  });
  return document as AlertDocument;
}

/** The alert record back from its document (for notifications re-enqueued from OpenSearch). */
export function alertFromDocument(source: Record<string, unknown>): AlertRecord {
  const vigil = (source.vigil as { alert: Record<string, unknown> }).alert;
  const rule = source.rule as Record<string, unknown>;
  const alert: AlertRecord = {
    id: vigil.id as string,
    kind: vigil.kind as AlertRecord['kind'],
    '@timestamp': source['@timestamp'] as string,
    rule: {
      id: rule.id as string,
      title: rule.name as string,
      level: rule.level as AlertLevel,
      tags: (rule.tags as string[] | undefined) ?? [],
      ...(typeof rule.type === 'string' ? { type: rule.type } : {}),
    },
    first_event_at: vigil.first_event_time as string,
    last_event_at: vigil.last_event_time as string,
    event_ids: (vigil.event_ids as string[] | undefined) ?? [],
  };
  if (typeof vigil.event_index === 'string') alert.event_index = vigil.event_index;
  if (vigil.group) alert.group = vigil.group as Record<string, string>;
  if (typeof vigil.event_count === 'number' && alert.kind === 'correlation') alert.count = vigil.event_count;
  const fields = fieldsOf(source, vigil);
  if (fields) alert.fields = fields;
  return alert;
}

/** Key fields copied into documents, read back by their dotted names. */
const KEY_FIELD_ROOTS = [
  'host',
  'source',
  'destination',
  'user',
  'process',
  'url',
  'http',
  'user_agent',
  'winlog',
];

function fieldsOf(
  source: Record<string, unknown>,
  vigil: Record<string, unknown>,
): Record<string, unknown> | undefined {
  if (typeof vigil.fields_json === 'string') return JSON.parse(vigil.fields_json) as Record<string, unknown>;
  const fields: Record<string, unknown> = {};
  const walk = (value: unknown, path: string) => {
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      for (const [k, v] of Object.entries(value)) walk(v, `${path}.${k}`);
    } else fields[path] = value;
  };
  for (const root of KEY_FIELD_ROOTS) if (source[root] !== undefined) walk(source[root], root);
  return Object.keys(fields).length > 0 ? fields : undefined;
}

function describe(alert: AlertRecord): string {
  const about = Object.entries(alert.group ?? {})
    .concat(
      ['source.ip', 'user.name', 'host.name']
        .filter((f) => alert.group?.[f] === undefined && typeof alert.fields?.[f] === 'string')
        .map((f) => [f, alert.fields?.[f] as string]),
    )
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  return about ? `${alert.rule.title} (${about})` : alert.rule.title;
}

function relatedOf(alert: AlertRecord): Record<string, string[]> | undefined {
  const related: Record<string, Set<string>> = { ip: new Set(), user: new Set(), hosts: new Set() };
  const values = { ...(alert.fields ?? {}), ...(alert.group ?? {}) };
  for (const [field, value] of Object.entries(values)) {
    if (typeof value !== 'string' || value === '') continue;
    if (field.endsWith('.ip')) related.ip?.add(value);
    else if (field === 'user.name' || field.endsWith('.user.name')) related.user?.add(value);
    else if (field === 'host.name' || field === 'host.hostname') related.hosts?.add(value);
  }
  const out: Record<string, string[]> = {};
  for (const [k, set] of Object.entries(related)) if (set.size > 0) out[k] = [...set];
  return Object.keys(out).length > 0 ? out : undefined;
}

/** MITRE ATT&CK tactics by the name Sigma tags use (`attack.credential_access`). */
const TACTICS: Record<string, [string, string]> = {
  reconnaissance: ['TA0043', 'Reconnaissance'],
  resource_development: ['TA0042', 'Resource Development'],
  initial_access: ['TA0001', 'Initial Access'],
  execution: ['TA0002', 'Execution'],
  persistence: ['TA0003', 'Persistence'],
  privilege_escalation: ['TA0004', 'Privilege Escalation'],
  defense_evasion: ['TA0005', 'Defense Evasion'],
  credential_access: ['TA0006', 'Credential Access'],
  discovery: ['TA0007', 'Discovery'],
  lateral_movement: ['TA0008', 'Lateral Movement'],
  collection: ['TA0009', 'Collection'],
  command_and_control: ['TA0011', 'Command and Control'],
  exfiltration: ['TA0010', 'Exfiltration'],
  impact: ['TA0040', 'Impact'],
};

/** ECS `threat.*` from Sigma's `attack.*` tags; nothing when the rule has none. */
export function threatOf(tags: readonly string[]): { threat?: Record<string, unknown> } {
  const tactics = new Map<string, string>();
  const techniques = new Map<string, Set<string>>();
  for (const tag of tags) {
    const lower = tag.toLowerCase();
    if (!lower.startsWith('attack.')) continue;
    const rest = lower.slice(7);
    const technique = /^t(\d{4})(?:\.(\d{3}))?$/.exec(rest);
    if (technique) {
      const id = `T${technique[1]}`;
      const subs = techniques.get(id) ?? new Set<string>();
      if (technique[2]) subs.add(`${id}.${technique[2]}`);
      techniques.set(id, subs);
      continue;
    }
    const tactic = TACTICS[rest.replaceAll('-', '_')];
    if (tactic) tactics.set(tactic[0], tactic[1]);
  }
  if (tactics.size === 0 && techniques.size === 0) return {};
  const threat: Record<string, unknown> = { framework: 'MITRE ATT&CK' };
  if (tactics.size > 0) threat.tactic = { id: [...tactics.keys()], name: [...tactics.values()] };
  if (techniques.size > 0) {
    const subs = [...techniques.values()].flatMap((s) => [...s]);
    threat.technique = {
      id: [...techniques.keys()],
      ...(subs.length > 0 ? { subtechnique: { id: subs } } : {}),
    };
  }
  return { threat };
}

/** Sets a dotted field path in a nested object; a path blocked by a non-object is left alone. */
function setPath(target: Record<string, unknown>, field: string, value: unknown): void {
  const parts = field.split('.');
  if (parts.some((p) => p === '' || p === '__proto__' || p === 'constructor' || p === 'prototype')) return;
  let node: Record<string, unknown> = target;
  for (const part of parts.slice(0, -1)) {
    const next = node[part];
    if (next === undefined) {
      const created: Record<string, unknown> = {};
      node[part] = created;
      node = created;
    } else if (next !== null && typeof next === 'object' && !Array.isArray(next)) {
      node = next as Record<string, unknown>;
    } else return;
  }
  const last = parts.at(-1) as string;
  if (node[last] === undefined) node[last] = value;
}
