/**
 * Offline evaluation, for `vigil rules match` and `vigil rules test`: a list
 * of events, each with the detection rules it matched, evaluated in
 * @timestamp order by the same engine the correlator runs, then every window
 * still open is closed (the input is complete). Chained correlations are fed
 * at once.
 */
import { eventIdOf } from '../sigma/alert.ts';
import type { CorrelationAlert } from './alert.ts';
import type { CorrelationSet } from './correlation-set.ts';
import { CorrelationEngine, type Emission, type LatePolicy } from './engine.ts';
import { eventTime, type FieldResolver, signalsForHit } from './signal.ts';

export interface MatchedEvent {
  /** The event, as nested JSON (ECS). Its @timestamp places it in time. */
  event: Record<string, unknown>;
  /** The detection rules it matched, each by id or name. */
  rules: readonly string[];
  /** The event's id; default: derived from vigil.record.id, else `event.id`, else its position in the list. */
  eventId?: string;
}

export interface EvaluateOptions {
  /** Sigma field → event fields (the mapping pipelines); default: the dotted path. */
  resolveField?: FieldResolver;
  /** Default 0: the input is put in time order first, so nothing is late. */
  allowedLatenessMs?: number;
  latePolicy?: LatePolicy;
  maxGroupsPerRule?: number;
  maxEventsPerGroup?: number;
  /** Also return the alerts of correlations that make none of their own (inner links of a chain). */
  includeSilent?: boolean;
}

function idOf(item: MatchedEvent, index: number): string {
  if (item.eventId !== undefined) return item.eventId;
  const derived = eventIdOf(item.event);
  if (derived !== undefined) return derived;
  const id = (item.event.event as Record<string, unknown> | undefined)?.id;
  return typeof id === 'string' ? id : `event-${index + 1}`;
}

/** The correlation alerts that the events make, in the order they are made. */
export function evaluateCorrelations(
  set: CorrelationSet,
  events: readonly MatchedEvent[],
  options: EvaluateOptions = {},
): CorrelationAlert[] {
  const engine = new CorrelationEngine(set, {
    allowedLatenessMs: options.allowedLatenessMs ?? 0,
    latePolicy: options.latePolicy,
    maxGroupsPerRule: options.maxGroupsPerRule,
    maxEventsPerGroup: options.maxEventsPerGroup,
  });
  const alerts: CorrelationAlert[] = [];
  const take = (emissions: Emission[]): void => {
    for (const emission of emissions) {
      if (emission.generate || options.includeSilent) alerts.push(emission.alert);
      for (const signal of emission.signals) take(engine.process(signal));
    }
  };
  const timed = events
    .map((item, index) => ({ item, index, ms: Date.parse(eventTime(item.event) ?? '') }))
    .filter((x) => Number.isFinite(x.ms))
    .sort((a, b) => a.ms - b.ms || a.index - b.index);
  for (const { item, index } of timed) {
    const eventId = idOf(item, index);
    for (const rule of item.rules) {
      for (const signal of signalsForHit(set, { id: rule }, item.event, {
        eventId,
        resolveField: options.resolveField,
      })) {
        take(engine.process(signal, index));
      }
    }
  }
  take(engine.advanceWatermark(Number.POSITIVE_INFINITY));
  return alerts;
}
