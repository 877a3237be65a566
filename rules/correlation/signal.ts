/**
 * Signals: what the processor sends the correlator. A signal is one event
 * that matched a detection rule some correlation references, reduced to what
 * the correlation needs: its time, its id, its group-by values and (for
 * value_* types) the value of the condition's field. The processor calls
 * `signalsFor` for every detection hit and produces each signal to
 * vigil.signals under `signalKey(signal)`, so that each correlation group
 * lives on one partition and thus on one correlator.
 *
 * Signals of rules that make no alerts of their own (`generate: false`, the
 * default) are made all the same: they are what the correlations count.
 */
import { fieldPath, getField } from '../../processor/pipeline/fields.ts';
import type { CorrelationSet, Reference } from './correlation-set.ts';
import type { CorrelationRule } from './model.ts';

export interface Signal {
  /** The correlation rule (its id, else name, else title) this signal is for. */
  correlation: string;
  /** The matched rule, as the correlation references it (id or name). */
  rule: string;
  /** The event's @timestamp (ISO 8601). */
  time: string;
  /** The event's id (for a chained correlation: the alert id of the inner correlation). */
  event_id: string;
  /** The correlation's group-by fields (aliases by their alias name) → the event's values. */
  group: Record<string, string>;
  /** value_count: the field's value; value_sum/avg/percentile: its number. */
  value?: number | string;
  /** Anything else worth carrying to the alert. */
  fields?: Record<string, unknown>;
}

/** A Sigma field name → the event fields it is found in, tried in turn (the mapping pipelines). */
export type FieldResolver = (sigmaField: string) => string[];

/** The default resolver: a Sigma field is the event's dotted path. */
export const identityResolver: FieldResolver = (field) => [field];

/** The Kafka key of a signal: correlation and group values, so a group stays on one partition. */
export function signalKey(
  signal: Pick<Signal, 'correlation' | 'group'>,
  correlation?: CorrelationRule,
): string {
  const values = correlation
    ? correlation.groupBy.map((g) => signal.group[g] ?? '')
    : Object.values(signal.group);
  return `${signal.correlation}|${values.join('|')}`;
}

const paths = new Map<string, readonly string[] | null>();

function pathOf(name: string): readonly string[] | null {
  let path = paths.get(name);
  if (path === undefined) {
    try {
      path = fieldPath(name);
    } catch {
      path = null;
    }
    if (paths.size > 10_000) paths.clear();
    paths.set(name, path);
  }
  return path;
}

/** The first value of a field an event has, as a scalar (the first item of a list). */
function lookup(event: Record<string, unknown>, field: string, resolve: FieldResolver): unknown {
  for (const name of resolve(field)) {
    // A flat key with dots ("winlog.event_data.User") first, then the nested path.
    let value: unknown = Object.hasOwn(event, name) ? event[name] : undefined;
    if (value === undefined) {
      const path = pathOf(name);
      if (path !== null) value = getField(event, path);
    }
    if (Array.isArray(value)) value = value.find((v) => v !== null && v !== undefined);
    if (value !== undefined && value !== null) return value;
  }
  return undefined;
}

function asText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')
    return String(value);
  if (value === undefined || value === null) return undefined;
  return JSON.stringify(value);
}

function asNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'string' && value.trim() !== '') {
    const n = Number(value);
    return Number.isFinite(n) ? n : undefined;
  }
  return undefined;
}

/** The event field a correlation reads for a group-by name or its condition field, for one referenced rule. */
function fieldFor(
  correlation: CorrelationRule,
  name: string,
  reference: Reference,
  ruleNames: readonly (string | undefined)[],
): string {
  const alias = correlation.aliases.get(name);
  if (alias === undefined) return name;
  for (const key of [reference.ref, ...ruleNames]) {
    if (key === undefined) continue;
    const field = alias.get(key);
    if (field !== undefined) return field;
  }
  return name;
}

/**
 * The signal one event makes for one referenced rule, or undefined when the
 * event lacks a group-by value (it cannot be grouped) or, for value_*
 * correlations, the condition's field (value_sum/avg/percentile: a number).
 */
export function signalFor(
  reference: Reference,
  rule: { id?: string | undefined; name?: string | undefined },
  event: Record<string, unknown>,
  options: { eventId: string; time: string; resolveField?: FieldResolver },
): Signal | undefined {
  const { correlation } = reference;
  const resolve = options.resolveField ?? identityResolver;
  const names = [rule.id, rule.name];
  const group: Record<string, string> = {};
  for (const name of correlation.groupBy) {
    const value = asText(lookup(event, fieldFor(correlation, name, reference, names), resolve));
    if (value === undefined) return undefined;
    group[name] = value;
  }
  const signal: Signal = {
    correlation: correlation.key,
    rule: reference.ref,
    time: options.time,
    event_id: options.eventId,
    group,
  };
  if (correlation.field !== undefined) {
    const raw = lookup(event, fieldFor(correlation, correlation.field, reference, names), resolve);
    const value = correlation.type === 'value_count' ? asText(raw) : asNumber(raw);
    if (value === undefined) return undefined;
    signal.value = value;
  }
  return signal;
}

/** The time of an event as ISO 8601, from its @timestamp; undefined when it has none that parses. */
export function eventTime(event: Record<string, unknown>): string | undefined {
  const value = event['@timestamp'];
  if (typeof value !== 'string' && typeof value !== 'number') return undefined;
  const ms = typeof value === 'number' ? value : Date.parse(value);
  return Number.isFinite(ms) ? new Date(ms).toISOString() : undefined;
}

/**
 * What the processor calls for each detection hit: the signals to produce
 * to vigil.signals (one per correlation that references the rule and whose
 * group-by values the event has). `hit` names the rule by id and/or name;
 * `resolveField` maps a Sigma field name to event fields (the mapping
 * pipelines for the rule's log source; default: the dotted path itself).
 * An event without a usable @timestamp makes no signal.
 */
export function signalsForHit(
  set: CorrelationSet,
  hit: { id?: string | undefined; name?: string | undefined },
  event: Record<string, unknown>,
  options: { eventId: string; resolveField?: FieldResolver },
): Signal[] {
  const references = set.referencesOfRule(hit);
  if (references.length === 0) return [];
  const time = eventTime(event);
  if (time === undefined) return [];
  const out: Signal[] = [];
  for (const reference of references) {
    const signal = signalFor(reference, hit, event, {
      eventId: options.eventId,
      time,
      resolveField: options.resolveField,
    });
    if (signal !== undefined) out.push(signal);
  }
  return out;
}
