/**
 * A grok step's matcher: several expressions, tried in order. With
 * `breakOnMatch` (the default) the first that matches wins; without it every
 * expression is tried and the fields of all that match are merged (the
 * earlier expression wins a field both set). The result says which
 * expression matched.
 *
 *   const grok = compileGrok(['%{IP:source.ip} %{WORD:verb}'], { anchor: 'start' });
 *   grok.match('10.0.0.1 GET'); // { fields: { source: { ip: '10.0.0.1' }, verb: 'GET' }, patternIndex: 0, … }
 *
 * `match` never throws for a line: a line that no expression matches returns
 * undefined. Counters are kept in plain numbers on the hot path and added to
 * the Prometheus metrics when they are scraped (and every 4,096 lines).
 */
import type { Counter, Gauge, Registry } from 'prom-client';
import { Counter as PromCounter } from 'prom-client';
import { isVigilError, VigilError } from '../../../core/errors.ts';
import type { Logger } from '../../../core/log.ts';
import type { Metrics } from '../../../core/telemetry/metrics.ts';
import { enableLinearFallback, type GrokBudgetOptions, SlowMatchBudget } from './budget.ts';
import { CharSet } from './charset.ts';
import { type CompiledExpression, compileExpression, type GrokAnchor } from './compiler.ts';
import type { ConversionFailures, GrokFields } from './fields.ts';
import { PatternLibrary } from './pattern-library.ts';

export interface GrokOptions {
  /** Patterns to expand references from (default: Vigil's base patterns). */
  library?: PatternLibrary;
  /** `start` anchors every expression at the start of the line; `none` (default) searches the line. */
  anchor?: GrokAnchor;
  /** Stop at the first expression that matches (default true). */
  breakOnMatch?: boolean;
  /** Keep fields whose capture matched the empty string (default false). */
  keepEmptyCaptures?: boolean;
  /** `reject` (default) or `allow` expressions that can backtrack catastrophically; see compiler.ts. */
  unsafe?: 'reject' | 'allow';
  /** Switch on V8's linear-time fallback engine (default true; process-wide, see budget.ts). */
  linearFallback?: boolean;
  /** Time budget for expressions the linear engine cannot run; `false` switches timing off. */
  budget?: GrokBudgetOptions | false;
  metrics?: Metrics;
  /** The step's name, for metric labels and log lines (default `grok`). */
  name?: string;
  /** Where warnings about slow or disabled expressions go. */
  logger?: Logger;
}

export interface GrokMatch {
  fields: GrokFields;
  /** Index of the (first) expression that matched. */
  patternIndex: number;
  /** That expression, as written. */
  pattern: string;
  /** Every expression that matched: one with `breakOnMatch`, possibly several without. */
  patternIndices: readonly number[];
}

export interface GrokPatternStats {
  pattern: string;
  matches: number;
  /** Lines this expression was tried on and did not match. */
  failures: number;
  /** Match attempts slower than the budget. */
  timeouts: number;
  /** Fields left out because `:int`, `:float` or `:bool` could not convert the text. */
  conversionFailures: number;
  /** The budget disabled it. */
  disabled: boolean;
  /** How the expression is protected from catastrophic backtracking. */
  guard: 'linear-fallback' | 'time-budget' | 'none';
}

const METRICS = {
  matches: 'vigil_processor_grok_matches_total',
  failures: 'vigil_processor_grok_failures_total',
  timeouts: 'vigil_processor_grok_timeouts_total',
  conversions: 'vigil_processor_grok_conversion_failures_total',
  disabled: 'vigil_processor_grok_pattern_disabled',
} as const;

const FLUSH_EVERY = 4096;

class ExpressionState {
  readonly index: number;
  readonly text: string;
  readonly regex: RegExp;
  readonly extract: CompiledExpression['extract'];
  readonly timed: boolean;
  readonly guard: GrokPatternStats['guard'];
  readonly budget: SlowMatchBudget | undefined;
  readonly indices: readonly number[];
  /** ASCII characters a matching line can start with (1) or not (0); undefined: any. */
  readonly first: Uint8Array | undefined;
  /** Whether a line starting with a non-ASCII character can match. */
  readonly firstNonAscii: boolean;
  readonly conversions: ConversionFailures = { count: 0 };
  disabled = false;
  matches = 0;
  failures = 0;
  /** What the metrics have already been told. */
  reported = { matches: 0, failures: 0, timeouts: 0, conversions: 0 };

  constructor(
    index: number,
    compiled: CompiledExpression,
    budget: SlowMatchBudget | undefined,
    options: { timeAll: boolean; linearFallback: boolean },
  ) {
    this.index = index;
    this.text = compiled.text;
    this.regex = compiled.regex;
    this.extract = compiled.extract;
    const protectedByV8 = options.linearFallback && compiled.safety.linearFallback;
    const timeAll = options.timeAll;
    this.timed = budget !== undefined && (timeAll || !protectedByV8);
    this.guard = protectedByV8 ? 'linear-fallback' : this.timed ? 'time-budget' : 'none';
    this.budget = budget;
    this.indices = Object.freeze([index]);
    const first = compiled.firstChars;
    if (first) {
      this.first = new Uint8Array(128);
      for (let c = 0; c < 128; c++) this.first[c] = first.has(c) ? 1 : 0;
      this.firstNonAscii = first.intersect(CharSet.range(128, 0xffff)).size > 0;
    } else {
      this.first = undefined;
      this.firstNonAscii = true;
    }
  }

  /** Whether the line could match, judging by its first character alone. */
  mayMatch(line: string): boolean {
    const first = this.first;
    if (first === undefined) return true;
    const c = line.charCodeAt(0);
    // An empty line gives NaN, which fails both tests: a non-empty match cannot start there.
    return c < 128 ? first[c] === 1 : c >= 128 && this.firstNonAscii;
  }
}

interface MetricSet {
  matches: Counter<'step' | 'pattern'>;
  failures: Counter<'step' | 'pattern'>;
  timeouts: Counter<'step' | 'pattern'>;
  conversions: Counter<'step' | 'pattern'>;
  disabled: Gauge<'step' | 'pattern'>;
}

export class GrokMatcher {
  readonly expressions: readonly CompiledExpression[];
  readonly name: string;
  readonly #states: ExpressionState[];
  readonly #breakOnMatch: boolean;
  readonly #logger: Logger | undefined;
  readonly #metrics: MetricSet | undefined;
  #calls = 0;

  constructor(expressions: readonly CompiledExpression[], options: GrokOptions = {}) {
    this.expressions = expressions;
    this.name = options.name ?? 'grok';
    this.#breakOnMatch = options.breakOnMatch ?? true;
    this.#logger = options.logger;
    const budgetOptions = options.budget === false ? undefined : (options.budget ?? {});
    this.#states = expressions.map(
      (compiled, index) =>
        new ExpressionState(index, compiled, budgetOptions ? new SlowMatchBudget(budgetOptions) : undefined, {
          timeAll: budgetOptions?.timeAll ?? false,
          linearFallback: options.linearFallback ?? true,
        }),
    );
    if (options.metrics) {
      this.#metrics = metricSet(options.metrics);
      register(options.metrics.registry, this);
      for (const state of this.#states) this.#metrics.disabled.labels(this.name, String(state.index)).set(0);
    }
  }

  /** Matches one line; undefined when no expression matches. Never throws for a line. */
  match(line: string): GrokMatch | undefined {
    if (++this.#calls >= FLUSH_EVERY) this.flushMetrics();
    if (!this.#breakOnMatch) return this.#matchAll(line);
    const states = this.#states;
    for (let i = 0; i < states.length; i++) {
      const state = states[i] as ExpressionState;
      if (state.disabled) continue;
      const m = !state.mayMatch(line)
        ? null
        : state.timed
          ? this.#timedExec(state, line)
          : state.regex.exec(line);
      if (m !== null) {
        state.matches++;
        return {
          fields: state.extract(m, state.conversions),
          patternIndex: state.index,
          pattern: state.text,
          patternIndices: state.indices,
        };
      }
      state.failures++;
    }
    return undefined;
  }

  #matchAll(line: string): GrokMatch | undefined {
    let result: GrokMatch | undefined;
    for (const state of this.#states) {
      if (state.disabled) continue;
      const m = !state.mayMatch(line)
        ? null
        : state.timed
          ? this.#timedExec(state, line)
          : state.regex.exec(line);
      if (m === null) {
        state.failures++;
        continue;
      }
      state.matches++;
      const fields = state.extract(m, state.conversions);
      if (result === undefined) {
        result = { fields, patternIndex: state.index, pattern: state.text, patternIndices: [state.index] };
      } else {
        mergeMissing(result.fields, fields);
        (result.patternIndices as number[]).push(state.index);
      }
    }
    return result;
  }

  #timedExec(state: ExpressionState, line: string): RegExpExecArray | null {
    const started = performance.now();
    const m = state.regex.exec(line);
    const ms = performance.now() - started;
    const budget = state.budget as SlowMatchBudget;
    if (ms > budget.slowMatchMs) this.#slow(state, budget, ms, line.length);
    return m;
  }

  #slow(state: ExpressionState, budget: SlowMatchBudget, ms: number, length: number): void {
    const disable = budget.record(ms);
    const context = {
      step: this.name,
      pattern_index: state.index,
      pattern: state.text,
      ms: Math.round(ms),
      line_length: length,
    };
    if (disable) {
      state.disabled = true;
      this.#metrics?.disabled.labels(this.name, String(state.index)).set(1);
      this.#logger?.error(
        { ...context, timeouts: budget.timeouts, slow_match_ms: budget.slowMatchMs },
        `Grok expression ${state.index} of step ${this.name} was disabled after ${budget.timeouts} match attempts over ${budget.slowMatchMs} ms each; lines it would have matched now fall through to the next expression.`,
      );
    } else if (budget.timeouts === 1) {
      this.#logger?.warn(
        { ...context, slow_match_ms: budget.slowMatchMs },
        `Grok expression ${state.index} of step ${this.name} took ${Math.round(ms)} ms on one line, over its budget of ${budget.slowMatchMs} ms.`,
      );
    }
  }

  /** Counters per expression, since the matcher was built. */
  stats(): GrokPatternStats[] {
    return this.#states.map((state) => ({
      pattern: state.text,
      matches: state.matches,
      failures: state.failures,
      timeouts: state.budget?.timeouts ?? 0,
      conversionFailures: state.conversions.count,
      disabled: state.disabled,
      guard: state.guard,
    }));
  }

  /** Adds what was counted since the last flush to the Prometheus metrics. */
  flushMetrics(): void {
    this.#calls = 0;
    const metrics = this.#metrics;
    if (!metrics) return;
    for (const state of this.#states) {
      const labels = [this.name, String(state.index)] as const;
      const reported = state.reported;
      const timeouts = state.budget?.timeouts ?? 0;
      if (state.matches > reported.matches)
        metrics.matches.labels(...labels).inc(state.matches - reported.matches);
      if (state.failures > reported.failures)
        metrics.failures.labels(...labels).inc(state.failures - reported.failures);
      if (timeouts > reported.timeouts) metrics.timeouts.labels(...labels).inc(timeouts - reported.timeouts);
      if (state.conversions.count > reported.conversions) {
        metrics.conversions.labels(...labels).inc(state.conversions.count - reported.conversions);
      }
      state.reported = {
        matches: state.matches,
        failures: state.failures,
        timeouts,
        conversions: state.conversions.count,
      };
    }
  }
}

/**
 * Compiles a step's expressions. Every expression that cannot be compiled is
 * reported; the error has the code of the first problem.
 */
export function compileGrok(patterns: string | readonly string[], options: GrokOptions = {}): GrokMatcher {
  const list = typeof patterns === 'string' ? [patterns] : patterns;
  if (list.length === 0)
    throw new VigilError('GROK_PATTERN_INVALID', 'A grok step needs at least one expression.');
  const linearFallback = options.linearFallback ?? true;
  if (linearFallback) enableLinearFallback();
  const library = options.library ?? defaultLibrary();
  const compiled: CompiledExpression[] = [];
  const errors: VigilError[] = [];
  for (const text of list) {
    try {
      compiled.push(
        compileExpression(text, {
          library,
          anchor: options.anchor ?? 'none',
          keepEmptyCaptures: options.keepEmptyCaptures ?? false,
          unsafe: options.unsafe ?? 'reject',
          linearFallback,
        }),
      );
    } catch (error) {
      if (!isVigilError(error)) throw error;
      errors.push(error);
    }
  }
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1) {
    const first = errors[0] as VigilError;
    throw new VigilError(
      first.code,
      `${errors.length} of ${list.length} grok expressions cannot be compiled:\n  ${errors.map((e) => e.message).join('\n  ')}`,
      { cause: first, details: { problems: errors.map((e) => ({ code: e.code, message: e.message })) } },
    );
  }
  for (const expression of compiled) {
    const loop = expression.safety.ambiguousLoops[0];
    if (loop && options.logger) {
      options.logger.warn(
        {
          step: options.name ?? 'grok',
          pattern: expression.text,
          repetition: loop.text,
          pattern_name: loop.origin.name,
        },
        `Grok expression ${JSON.stringify(expression.text)} contains the repetition ${loop.text}, which can backtrack catastrophically; ${expression.safety.linearFallback && linearFallback ? "V8's linear-time engine takes over when it does" : 'it runs because unsafe expressions are allowed'}.`,
      );
    }
  }
  return new GrokMatcher(compiled, options);
}

let sharedLibrary: PatternLibrary | undefined;

/** Vigil's base patterns, loaded once and shared: clone() it before adding patterns. */
export function defaultLibrary(): PatternLibrary {
  sharedLibrary ??= new PatternLibrary();
  return sharedLibrary;
}

/** Adds the fields of `from` that `into` does not have yet, recursively. */
function mergeMissing(into: GrokFields, from: GrokFields): void {
  for (const key of Object.keys(from)) {
    const value = from[key] as GrokFields[string];
    const existing = into[key];
    if (existing === undefined) into[key] = value;
    else if (typeof existing === 'object' && typeof value === 'object') mergeMissing(existing, value);
  }
}

const liveMatchers = new WeakMap<Registry, Set<WeakRef<GrokMatcher>>>();

function register(registry: Registry, matcher: GrokMatcher): void {
  let set = liveMatchers.get(registry);
  if (!set) {
    set = new Set();
    liveMatchers.set(registry, set);
  }
  set.add(new WeakRef(matcher));
}

function flushAll(registry: Registry): void {
  const set = liveMatchers.get(registry);
  if (!set) return;
  for (const ref of set) {
    const matcher = ref.deref();
    if (matcher) matcher.flushMetrics();
    else set.delete(ref);
  }
}

function metricSet(metrics: Metrics): MetricSet {
  const labels = ['step', 'pattern'] as const;
  const registry = metrics.registry;
  // The first metric of the set brings every live matcher's counts up to date before a scrape.
  const matches =
    (registry.getSingleMetric(METRICS.matches) as Counter<'step' | 'pattern'> | undefined) ??
    new PromCounter({
      name: METRICS.matches,
      help: 'Lines each grok expression matched.',
      labelNames: labels,
      registers: [registry],
      collect() {
        flushAll(registry);
      },
    });
  return {
    matches,
    failures: metrics.counter(
      METRICS.failures,
      'Lines each grok expression was tried on and did not match.',
      labels,
    ),
    timeouts: metrics.counter(
      METRICS.timeouts,
      'Match attempts of a grok expression that took longer than its time budget.',
      labels,
    ),
    conversions: metrics.counter(
      METRICS.conversions,
      'Grok fields left out because their text did not convert to the requested type.',
      labels,
    ),
    disabled: metrics.gauge(
      METRICS.disabled,
      '1 when a grok expression was disabled for exceeding its time budget too often, else 0.',
      labels,
    ),
  };
}
