/**
 * A loaded set of pipelines: picks the pipeline for each raw record (the
 * first whose `when` matches) and runs its steps on the event. Immutable once
 * built; a reload builds a new set and swaps it in whole.
 *
 * A step's failure never stops the event: it is tagged (`vigil.parse_failure`
 * for grok, `vigil.<step>_failure` otherwise), the reason is added to
 * `vigil.failures` with the pipeline and step, it is counted, and the next
 * step runs. Only `drop` keeps an event out of the index.
 */
import type { Counter } from 'prom-client';
import type { RawRecord } from '../../core/event/raw-record.ts';
import type { Logger } from '../../core/log.ts';
import { RateLimitedLog } from '../../core/rate-limited-log.ts';
import type { Metrics } from '../../core/telemetry/metrics.ts';
import type { EcsEvent } from '../event-builder.ts';
import type { Condition } from './condition.ts';
import type { PipelineStep } from './step.ts';

/** Routes may chain (syslog file → program), but not forever. */
const MAX_ROUTES = 8;
const SELECTION_CACHE_MAX = 10_000;

export interface CompiledStep {
  step: PipelineStep;
  condition: Condition | undefined;
  /** `grok`, `date`, … */
  type: string;
  /** Position in the pipeline, 0-based. */
  index: number;
  /** Tag added when the step fails. */
  failureTag: string;
}

export interface RecordMatcher {
  dataset: RegExp[];
  path: RegExp[];
  app_name: RegExp[];
  listener: RegExp[];
}

export interface CompiledPipeline {
  id: string;
  description: string | undefined;
  /** Where it was defined (file name), for messages. */
  source: string;
  when: RecordMatcher | undefined;
  steps: CompiledStep[];
}

export type PipelineOutcome = 'indexed' | 'dropped';

interface PipelineCounters {
  events: Counter<'pipeline'>;
  failures: Counter<'pipeline' | 'step' | 'reason'>;
  dropped: Counter<'pipeline'>;
  unrouted: Counter;
}

function counters(metrics: Metrics): PipelineCounters {
  return {
    events: metrics.counter('vigil_processor_pipeline_events_total', 'Events run through a pipeline.', [
      'pipeline',
    ]),
    failures: metrics.counter(
      'vigil_processor_step_failures_total',
      'Events a pipeline step could not handle (tagged and indexed anyway), by pipeline, step and reason.',
      ['pipeline', 'step', 'reason'],
    ),
    dropped: metrics.counter('vigil_processor_dropped_total', 'Events dropped by a `drop` step.', [
      'pipeline',
    ]),
    unrouted: metrics.counter(
      'vigil_processor_unrouted_total',
      'Events no pipeline applied to (indexed with the fields the collector gave them).',
    ),
  };
}

export class PipelineSet {
  readonly pipelines: readonly CompiledPipeline[];
  readonly #byId: Map<string, CompiledPipeline>;
  readonly #routed: CompiledPipeline[];
  readonly #selection = new Map<string, CompiledPipeline | null>();
  /** The last selection and what it was made from (a copy of the listener's protocol and address). */
  #last:
    | {
        dataset: string;
        path: string;
        app: string;
        listener: RawRecord['listener'];
        pipeline: CompiledPipeline | undefined;
      }
    | undefined;
  readonly #counters: PipelineCounters;
  /** Events per pipeline id, counted in plain numbers and added to the metric in batches (see EventTally). */
  readonly #tallies = new Map<string, EventTally>();
  readonly #problems: RateLimitedLog;

  constructor(pipelines: readonly CompiledPipeline[], metrics: Metrics, logger: Logger) {
    this.pipelines = pipelines;
    this.#byId = new Map(pipelines.map((p) => [p.id, p]));
    this.#routed = pipelines.filter((p) => p.when !== undefined);
    this.#counters = counters(metrics);
    this.#problems = new RateLimitedLog(logger);
  }

  get(id: string): CompiledPipeline | undefined {
    return this.#byId.get(id);
  }

  /** The pipeline for a record: the first whose `when` matches; undefined when none does. */
  select(record: RawRecord): CompiledPipeline | undefined {
    const dataset = record.dataset;
    const path = record.file?.path ?? '';
    const app = record.syslog?.app_name ?? '';
    const listener = record.listener || undefined;
    // Records of one bundle share their dataset, path and listener: the last answer usually holds.
    const last = this.#last;
    if (
      last !== undefined &&
      dataset === last.dataset &&
      path === last.path &&
      app === last.app &&
      (listener === undefined
        ? last.listener === undefined
        : last.listener !== undefined &&
          listener.protocol === last.listener.protocol &&
          listener.address === last.listener.address)
    ) {
      return last.pipeline;
    }
    const found = this.#lookup(
      dataset,
      path,
      app,
      listener ? `${listener.protocol}://${listener.address}` : '',
    );
    this.#last = {
      dataset,
      path,
      app,
      listener:
        listener === undefined ? undefined : { protocol: listener.protocol, address: listener.address },
      pipeline: found,
    };
    return found;
  }

  #lookup(dataset: string, path: string, app: string, listener: string): CompiledPipeline | undefined {
    const key = `${dataset}\u0000${path}\u0000${app}\u0000${listener}`;
    const cached = this.#selection.get(key);
    if (cached !== undefined) return cached ?? undefined;
    let found: CompiledPipeline | undefined;
    for (const pipeline of this.#routed) {
      const when = pipeline.when as RecordMatcher;
      if (
        anyMatch(when.dataset, dataset) ||
        (path !== '' && anyMatch(when.path, path)) ||
        (app !== '' && anyMatch(when.app_name, app)) ||
        (listener !== '' && anyMatch(when.listener, listener))
      ) {
        found = pipeline;
        break;
      }
    }
    if (this.#selection.size >= SELECTION_CACHE_MAX) this.#selection.clear();
    this.#selection.set(key, found ?? null);
    return found;
  }

  /** Runs the record's pipeline on its event, in place. */
  process(record: RawRecord, event: EcsEvent): PipelineOutcome {
    let pipeline = this.select(record);
    if (pipeline === undefined) {
      this.#counters.unrouted.inc();
      return 'indexed';
    }
    let routes = 0;
    for (;;) {
      event.vigil.pipeline = pipeline.id;
      this.#countEvent(pipeline.id);
      let next: CompiledPipeline | undefined;
      for (const compiled of pipeline.steps) {
        if (compiled.condition !== undefined && !compiled.condition(event)) continue;
        let result: ReturnType<PipelineStep['run']>;
        try {
          result = compiled.step.run(event);
        } catch (error) {
          // A step must not throw for an event; if one does, the event goes on as a failure.
          this.#problems.warn(
            `${pipeline.id}#${compiled.index}`,
            { err: error, pipeline: pipeline.id, step: compiled.index, type: compiled.type },
            'A pipeline step failed unexpectedly; the event is tagged and indexed.',
          );
          result = { failure: 'internal error' };
        }
        if (result === undefined) continue;
        if ('failure' in result) {
          this.#fail(event, pipeline, compiled, result.failure);
          continue;
        }
        if ('drop' in result) {
          this.#counters.dropped.inc({ pipeline: pipeline.id });
          return 'dropped';
        }
        next = this.#byId.get(result.route);
        if (next === undefined || ++routes > MAX_ROUTES) {
          this.#fail(event, pipeline, compiled, next === undefined ? 'no such pipeline' : 'too many routes');
          next = undefined;
        }
        break;
      }
      if (next === undefined) return 'indexed';
      pipeline = next;
    }
  }

  #countEvent(id: string): void {
    let tally = this.#tallies.get(id);
    if (tally === undefined) {
      tally = eventTally(this.#counters.events, id);
      this.#tallies.set(id, tally);
    }
    if (++tally.pending >= TALLY_FLUSH_EVERY) tally.flush();
  }

  #fail(event: EcsEvent, pipeline: CompiledPipeline, step: CompiledStep, reason: string): void {
    this.#counters.failures.inc({ pipeline: pipeline.id, step: `${step.index}:${step.type}`, reason });
    const tags = event.tags;
    if (Array.isArray(tags)) {
      if (!tags.includes(step.failureTag)) tags.push(step.failureTag);
    } else event.tags = [step.failureTag];
    const note = `${pipeline.id}#${step.index} ${step.type}: ${reason}`;
    const failures = event.vigil.failures;
    if (Array.isArray(failures)) failures.push(note);
    else event.vigil.failures = [note];
  }
}

/** Pending counts are added to the metric at this many, and whenever the metrics are read. */
const TALLY_FLUSH_EVERY = 4096;

/**
 * The count of one pipeline's events. prom-client's `inc` costs a label hash
 * per call; the count is kept in a number and added to the counter in
 * batches, and before every read of the metric (its `collect` hook), so a
 * scrape always sees every event. Tallies belong to the counter, not to the
 * PipelineSet, so a reload neither loses nor doubles counts.
 */
interface EventTally {
  pending: number;
  flush(): void;
}

const tallies = new WeakMap<Counter<'pipeline'>, Map<string, EventTally>>();

function eventTally(counter: Counter<'pipeline'>, id: string): EventTally {
  let byId = tallies.get(counter);
  if (byId === undefined) {
    const map = new Map<string, EventTally>();
    byId = map;
    tallies.set(counter, map);
    // prom-client calls a metric's `collect` before every read of it (registry.metrics(), get()).
    const hooked = counter as unknown as { collect?: () => unknown };
    const previous = hooked.collect;
    hooked.collect = function collect(this: unknown) {
      for (const tally of map.values()) tally.flush();
      return previous?.call(this);
    };
  }
  let tally = byId.get(id);
  if (tally === undefined) {
    const child = counter.labels(id);
    // The series exists from the first event on, in the order the events came, as with one `inc` per event.
    child.inc(0);
    const created: EventTally = {
      pending: 0,
      flush() {
        if (created.pending === 0) return;
        child.inc(created.pending);
        created.pending = 0;
      },
    };
    tally = created;
    byId.set(id, tally);
  }
  return tally;
}

function anyMatch(patterns: readonly RegExp[], value: string): boolean {
  for (const pattern of patterns) if (pattern.test(value)) return true;
  return false;
}

/** A `when` glob: `*` matches within a path segment, `**` across segments, `?` one character. */
export function globToRegExp(glob: string): RegExp {
  let out = '^';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i] as string;
    if (c === '*') {
      if (glob[i + 1] === '*') {
        out += '.*';
        i++;
      } else out += '[^/]*';
    } else if (c === '?') out += '[^/]';
    else out += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`${out}$`);
}
