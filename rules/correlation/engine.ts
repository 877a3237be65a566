/**
 * The correlation engine: signals in, alerts out, on event time.
 *
 * State is kept per correlation rule and group (the group-by values): the
 * group's events in event-time order. Time moves with a watermark, the
 * newest event time seen minus the allowed lateness. An event older than the
 * watermark is late: it is counted, and the late policy says whether it is
 * dropped or still placed among the events the group holds. Events within
 * the lateness are placed in time order, whatever order they arrive in.
 *
 * Windows slide with the events. A condition with lower bounds only (gt,
 * gte: more events can only keep it true) is decided as soon as it holds:
 * for each event, the window is the group's events in [t − timespan, t]; the
 * first event whose window satisfies the condition completes it, an alert is
 * made, and the group starts over after that event. A condition with an
 * upper bound or an equality (lt, lte, eq, neq) can only be decided on a
 * complete window: the window opens at the group's oldest event, is
 * evaluated once the watermark passes its end, and the group starts over
 * after it, whether it matched or not.
 *
 * Memory is bounded per rule: at most `maxGroupsPerRule` groups (the least
 * recently active is evicted) and `maxEventsPerGroup` events per group (the
 * oldest is evicted); both are counted.
 */
import { type CorrelationAlert, correlationAlertId } from './alert.ts';
import type { CorrelationSet } from './correlation-set.ts';
import { type CorrelationRule, decidedEarly, holds } from './model.ts';
import type { Signal } from './signal.ts';

export type LatePolicy = 'drop' | 'admit';

export interface EngineOptions {
  /** How far behind the newest event time an event may be and still count as on time (ms). */
  allowedLatenessMs: number;
  /** drop: a late event is counted and ignored; admit: counted and placed among the events still held. */
  latePolicy?: LatePolicy;
  maxGroupsPerRule?: number;
  maxEventsPerGroup?: number;
  /** Called for what the metrics count. */
  hooks?: EngineHooks;
}

export interface EngineHooks {
  signal?(rule: string): void;
  late?(rule: string): void;
  evicted?(rule: string, what: 'group' | 'event'): void;
  /** A signal the engine could not use (unknown correlation or rule, bad time). */
  rejected?(reason: 'unknown_correlation' | 'unknown_rule' | 'bad_time'): void;
  duplicate?(rule: string): void;
}

/** An alert the engine made. */
export interface Emission {
  alert: CorrelationAlert;
  /** Whether the alert goes to vigil.alerts (false: it only feeds the correlations that reference its rule). */
  generate: boolean;
  /** Signals for the correlations that reference this one (chains). */
  signals: Signal[];
  /** The highest sequence number (Kafka offset) among the contributing signals. */
  maxSeq: number;
}

interface Entry {
  t: number;
  id: string;
  ref: number;
  value: number | string | undefined;
  seq: number;
}

interface Group {
  values: string[];
  entries: Entry[];
}

interface RuleState {
  rule: CorrelationRule;
  early: boolean;
  groups: Map<string, Group>;
  refs: Map<string, number>;
  generate: boolean;
}

const NONE: Emission[] = [];
const SWEEP_EVERY_MS = 5000;

export class CorrelationEngine {
  readonly set: CorrelationSet;
  readonly #lateness: number;
  readonly #policy: LatePolicy;
  readonly #maxGroups: number;
  readonly #maxEvents: number;
  readonly #hooks: EngineHooks;
  readonly #rules = new Map<string, RuleState>();
  /** Deadlines of windows decided at their end: [end, rule, group key]. */
  readonly #deadlines = new DeadlineHeap();
  #maxTime = Number.NEGATIVE_INFINITY;
  #watermark = Number.NEGATIVE_INFINITY;
  #lastSweep = Number.NEGATIVE_INFINITY;

  constructor(set: CorrelationSet, options: EngineOptions) {
    this.set = set;
    this.#lateness = options.allowedLatenessMs;
    this.#policy = options.latePolicy ?? 'drop';
    this.#maxGroups = options.maxGroupsPerRule ?? 100_000;
    this.#maxEvents = options.maxEventsPerGroup ?? 1000;
    this.#hooks = options.hooks ?? {};
    for (const rule of set.correlations) {
      this.#rules.set(rule.key, {
        rule,
        early: decidedEarly(rule.bounds),
        groups: new Map(),
        refs: new Map(rule.rules.map((r, i) => [r, i])),
        generate: set.generatesAlerts(rule.key),
      });
    }
  }

  /** The watermark (ms since the epoch): events older than this are late. */
  get watermark(): number {
    return this.#watermark;
  }

  /** Groups held, over all rules. */
  activeGroups(): number {
    let n = 0;
    for (const state of this.#rules.values()) n += state.groups.size;
    return n;
  }

  /** Groups held per rule key. */
  groupsByRule(): Map<string, number> {
    return new Map([...this.#rules].map(([key, s]) => [key, s.groups.size]));
  }

  /**
   * The lowest sequence number among signals held in windows that are
   * decided at their end: the offset a consumer may commit up to, so that a
   * restart replays every window whose alert is not out yet.
   */
  oldestPendingSeq(): number | undefined {
    let min: number | undefined;
    for (const state of this.#rules.values()) {
      if (state.early) continue;
      for (const group of state.groups.values()) {
        for (const e of group.entries) if (e.seq >= 0 && (min === undefined || e.seq < min)) min = e.seq;
      }
    }
    return min;
  }

  /**
   * Takes one signal; `seq` is its position in its stream (the Kafka offset),
   * or -1. Returns the alerts it completed (often none).
   */
  process(signal: Signal, seq = -1): Emission[] {
    const state = this.#rules.get(signal.correlation);
    if (state === undefined) {
      this.#hooks.rejected?.('unknown_correlation');
      return NONE;
    }
    const ref = state.refs.get(signal.rule);
    if (ref === undefined) {
      this.#hooks.rejected?.('unknown_rule');
      return NONE;
    }
    const t = Date.parse(signal.time);
    if (!Number.isFinite(t)) {
      this.#hooks.rejected?.('bad_time');
      return NONE;
    }
    const key = state.rule.key;
    this.#hooks.signal?.(key);
    let out: Emission[] = NONE;
    if (t > this.#maxTime) {
      this.#maxTime = t;
      if (t - this.#lateness > this.#watermark) out = this.#advance(t - this.#lateness);
    }
    if (t < this.#watermark) {
      this.#hooks.late?.(key);
      // A chained signal is made from events already decided: it is always placed.
      const chained = this.set.correlation(signal.rule) !== undefined;
      if (this.#policy === 'drop' && !chained) return out;
    }
    const rule = state.rule;
    const values = rule.groupBy.map((g) => signal.group[g] ?? '');
    const groupKey = values.length === 1 ? (values[0] as string) : values.join('\u0000');
    let group = state.groups.get(groupKey);
    if (group === undefined) {
      if (state.groups.size >= this.#maxGroups) {
        const oldest = state.groups.keys().next().value as string;
        state.groups.delete(oldest);
        this.#hooks.evicted?.(key, 'group');
      }
      group = { values, entries: [] };
    } else {
      // Keep the map in order of activity: the first key is the least recently active.
      state.groups.delete(groupKey);
    }
    state.groups.set(groupKey, group);
    const entries = group.entries;
    // Events too old for any window still open.
    if (state.early) {
      const horizon = this.#watermark - rule.timespanMs;
      let drop = 0;
      while (drop < entries.length && (entries[drop] as Entry).t < horizon) drop++;
      if (drop > 0) entries.splice(0, drop);
    }
    const at = upperBound(entries, t);
    for (let k = at - 1; k >= 0 && (entries[k] as Entry).t === t; k--) {
      const e = entries[k] as Entry;
      if (e.id === signal.event_id && e.ref === ref) {
        this.#hooks.duplicate?.(key);
        return out;
      }
    }
    const entry: Entry = { t, id: signal.event_id, ref, value: signal.value, seq };
    entries.splice(at, 0, entry);
    if (entries.length > this.#maxEvents) {
      entries.shift();
      this.#hooks.evicted?.(key, 'event');
    }
    let fired: Emission[] = NONE;
    if (state.early) {
      const emission = this.#evaluateEarly(state, group, groupKey, entry);
      if (emission) fired = [emission];
    } else {
      // A new oldest event opens the window earlier: its end is a new deadline.
      if (entries[0] === entry) {
        this.#deadlines.push(t, state, groupKey, rule.timespanMs);
        if (this.#watermark > t + rule.timespanMs) fired = this.#closeDue();
      }
    }
    if (fired.length === 0) return out;
    return out.length === 0 ? fired : [...out, ...fired];
  }

  /**
   * Moves the watermark to `ms` if that is later (e.g. the wall clock minus
   * the lateness while a stream is idle), closing the windows that end
   * before it. Returns the alerts of those windows.
   */
  advanceWatermark(ms: number): Emission[] {
    if (!(ms > this.#watermark)) return NONE;
    return this.#advance(ms);
  }

  #advance(ms: number): Emission[] {
    this.#watermark = ms;
    const out = this.#closeDue();
    if (ms - this.#lastSweep >= SWEEP_EVERY_MS) {
      this.#lastSweep = ms;
      this.#sweep();
    }
    return out;
  }

  /** Forgets groups of early-decided rules whose events are all too old for a window still open. */
  #sweep(): void {
    for (const state of this.#rules.values()) {
      if (!state.early) continue;
      const horizon = this.#watermark - state.rule.timespanMs;
      for (const [key, group] of state.groups) {
        const last = group.entries[group.entries.length - 1];
        if (last === undefined || last.t < horizon) state.groups.delete(key);
        else if ((group.entries[0] as Entry).t < horizon) {
          let drop = 0;
          while ((group.entries[drop] as Entry).t < horizon) drop++;
          group.entries.splice(0, drop);
        }
      }
    }
  }

  #evaluateEarly(state: RuleState, group: Group, groupKey: string, inserted: Entry): Emission | undefined {
    const { rule } = state;
    const entries = group.entries;
    const start = entries.indexOf(inserted);
    if (start < 0) return undefined;
    // Windows that end at the new event or at a later one within the timespan.
    for (let j = start; j < entries.length; j++) {
      const end = entries[j] as Entry;
      if (end.t > inserted.t + rule.timespanMs) break;
      const from = lowerBound(entries, end.t - rule.timespanMs);
      const result = aggregate(rule, entries, from, j);
      if (result !== undefined && holds(rule.bounds, result.measure)) {
        const events = result.events;
        const emission = this.#emit(state, group, result, events);
        const last = events[events.length - 1] as Entry;
        // The group starts over after the completing event.
        entries.splice(0, entries.indexOf(last) + 1);
        if (entries.length === 0) state.groups.delete(groupKey);
        return emission;
      }
    }
    return undefined;
  }

  /** Evaluates the windows (decided at their end) that the watermark has passed. */
  #closeDue(): Emission[] {
    let out: Emission[] = NONE;
    for (;;) {
      const due = this.#deadlines.popDue(this.#watermark);
      if (due === undefined) return out;
      const state = due.state as RuleState;
      const group = state.groups.get(due.group);
      if (group === undefined || group.entries.length === 0) continue;
      const first = group.entries[0] as Entry;
      if (first.t !== due.start) {
        // Stale: the window now opens elsewhere, with its own deadline.
        continue;
      }
      const rule = state.rule;
      const end = first.t + rule.timespanMs;
      let last = 0;
      while (last + 1 < group.entries.length && (group.entries[last + 1] as Entry).t <= end) last++;
      const result = aggregate(rule, group.entries, 0, last);
      if (result !== undefined && holds(rule.bounds, result.measure)) {
        if (out === NONE) out = [];
        out.push(this.#emit(state, group, result, result.events));
      }
      group.entries.splice(0, last + 1);
      if (group.entries.length === 0) state.groups.delete(due.group);
      else this.#deadlines.push((group.entries[0] as Entry).t, state, due.group, rule.timespanMs);
    }
  }

  #emit(state: RuleState, group: Group, result: Aggregate, events: readonly Entry[]): Emission {
    const { rule } = state;
    const first = events[0] as Entry;
    const last = events[events.length - 1] as Entry;
    const groupRecord: Record<string, string> = {};
    rule.groupBy.forEach((g, i) => {
      groupRecord[g] = group.values[i] as string;
    });
    let maxSeq = -1;
    let firstT = first.t;
    for (const e of events) {
      if (e.seq > maxSeq) maxSeq = e.seq;
      if (e.t < firstT) firstT = e.t;
    }
    const alert: CorrelationAlert = {
      id: correlationAlertId(rule.key, group.values, last.id),
      kind: 'correlation',
      '@timestamp': new Date(last.t).toISOString(),
      rule: { id: rule.key, title: rule.title, level: rule.level, tags: [...rule.tags], type: rule.type },
      first_event_at: new Date(firstT).toISOString(),
      last_event_at: new Date(last.t).toISOString(),
      event_ids: events.map((e) => e.id),
      group: groupRecord,
    };
    if (result.kind === 'count') alert.count = result.measure;
    else alert.value = result.measure;
    return { alert, generate: state.generate, signals: this.#chained(rule, alert, result.measure), maxSeq };
  }

  /** Signals for the correlations that reference `rule`. */
  #chained(rule: CorrelationRule, alert: CorrelationAlert, measure: number): Signal[] {
    const references = this.set.referencesOfCorrelation(rule);
    if (references.length === 0) return [];
    const out: Signal[] = [];
    for (const reference of references) {
      const parent = reference.correlation;
      const fieldOf = (name: string): string =>
        parent.aliases.get(name)?.get(reference.ref) ?? parent.aliases.get(name)?.get(rule.key) ?? name;
      const group: Record<string, string> = {};
      let complete = true;
      for (const g of parent.groupBy) {
        const value = alert.group[fieldOf(g)];
        if (value === undefined) {
          complete = false;
          break;
        }
        group[g] = value;
      }
      if (!complete) continue;
      const signal: Signal = {
        correlation: parent.key,
        rule: reference.ref,
        time: alert['@timestamp'],
        event_id: alert.id,
        group,
      };
      if (parent.field !== undefined) {
        const field = fieldOf(parent.field);
        const fromGroup = alert.group[field];
        if (parent.type === 'value_count') signal.value = fromGroup ?? String(measure);
        else
          signal.value =
            fromGroup !== undefined && Number.isFinite(Number(fromGroup)) ? Number(fromGroup) : measure;
      }
      out.push(signal);
    }
    return out;
  }
}

interface Aggregate {
  kind: 'count' | 'value';
  measure: number;
  events: Entry[];
}

/** The condition's measure over entries[from..to], and the events that contribute to it. */
function aggregate(
  rule: CorrelationRule,
  entries: readonly Entry[],
  from: number,
  to: number,
): Aggregate | undefined {
  if (rule.type === 'event_count') {
    // The common case: no copy of the window unless it matches.
    return {
      kind: 'count',
      measure: to - from + 1,
      get events() {
        return entries.slice(from, to + 1);
      },
    };
  }
  const events = entries.slice(from, to + 1);
  switch (rule.type) {
    case 'value_count': {
      const distinct = new Set<string>();
      for (const e of events) if (e.value !== undefined) distinct.add(String(e.value));
      return { kind: 'count', measure: distinct.size, events };
    }
    case 'temporal': {
      const seen = new Set<number>();
      for (const e of events) seen.add(e.ref);
      return { kind: 'count', measure: seen.size, events };
    }
    case 'temporal_ordered': {
      // The longest prefix of the rule list seen in order (greedy, earliest first).
      const matched: Entry[] = [];
      let next = 0;
      for (const e of events) {
        if (e.ref === next) {
          matched.push(e);
          next++;
          if (next === rule.rules.length) break;
        }
      }
      if (matched.length === 0) return undefined;
      return { kind: 'count', measure: matched.length, events: matched };
    }
    case 'value_sum':
    case 'value_avg':
    case 'value_percentile': {
      const numbers: number[] = [];
      for (const e of events) if (typeof e.value === 'number') numbers.push(e.value);
      if (numbers.length === 0) return undefined;
      let measure: number;
      if (rule.type === 'value_percentile') {
        numbers.sort((a, b) => a - b);
        const rank = Math.max(1, Math.ceil((rule.percentile / 100) * numbers.length));
        measure = numbers[rank - 1] as number;
      } else {
        let sum = 0;
        for (const n of numbers) sum += n;
        measure = rule.type === 'value_sum' ? sum : sum / numbers.length;
      }
      return { kind: 'value', measure, events };
    }
  }
}

/** First index whose time is ≥ t. */
function lowerBound(entries: readonly Entry[], t: number): number {
  let lo = 0;
  let hi = entries.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((entries[mid] as Entry).t < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** First index whose time is > t (a new event goes after those of the same time). */
function upperBound(entries: readonly Entry[], t: number): number {
  let lo = 0;
  let hi = entries.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((entries[mid] as Entry).t <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

interface Deadline {
  due: number;
  /** Order of insertion: windows with the same end close in the order they opened. */
  n: number;
  start: number;
  state: unknown;
  group: string;
}

function before(a: Deadline, b: Deadline): boolean {
  return a.due < b.due || (a.due === b.due && a.n < b.n);
}

/** A binary min-heap of window ends. */
class DeadlineHeap {
  readonly #items: Deadline[] = [];
  #n = 0;

  push(start: number, state: unknown, group: string, span: number): void {
    const items = this.#items;
    items.push({ due: start + span, n: this.#n++, start, state, group });
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(items[i] as Deadline, items[parent] as Deadline)) break;
      [items[parent], items[i]] = [items[i] as Deadline, items[parent] as Deadline];
      i = parent;
    }
  }

  /** The earliest deadline before `watermark` (strictly), removed; undefined if none. */
  popDue(watermark: number): Deadline | undefined {
    const items = this.#items;
    const top = items[0];
    if (top === undefined || !(top.due < watermark)) return undefined;
    const last = items.pop() as Deadline;
    if (items.length > 0) {
      items[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < items.length && before(items[l] as Deadline, items[m] as Deadline)) m = l;
        if (r < items.length && before(items[r] as Deadline, items[m] as Deadline)) m = r;
        if (m === i) break;
        [items[m], items[i]] = [items[i] as Deadline, items[m] as Deadline];
        i = m;
      }
    }
    return top;
  }
}
