/**
 * Keeping a catastrophic pattern from stalling the pipeline, at run time.
 * The layers, from load time to run time (README.md has the full story):
 *
 * 1. safety.ts rejects, at load, expressions that can backtrack
 *    exponentially and that layer 2 cannot protect.
 * 2. V8's linear-time engine: with
 *    `--enable-experimental-regexp-engine-on-excessive-backtracks`, V8 re-runs
 *    a regex on its breadth-first engine (time linear in the line) once it has
 *    backtracked 50,000 times. The flag is off by default in Node 24 and
 *    cannot be given in NODE_OPTIONS, so `enableLinearFallback` sets it with
 *    `v8.setFlagsFromString` when the first grok expression is compiled. V8
 *    reads it when it compiles a regex, so it applies to every regex run
 *    afterwards, and changes nothing but what happens after 50,000
 *    backtracks. The `l` flag (linear engine always) needs
 *    `--enable-experimental-regexp-engine` and would make every match slower;
 *    Vigil does not use it.
 * 3. A time budget for expressions the linear engine cannot run (look-ahead,
 *    back-references, atomic groups, possessive quantifiers): each match
 *    attempt is timed; one slower than `slow_match_ms` counts in
 *    `vigil_processor_grok_timeouts_total`, and after `disable_after` such
 *    lines the expression is disabled, with an error in the log. V8 cannot
 *    interrupt a running regex, so the budget bounds the damage after the
 *    fact; layer 1 is what keeps a single line from running for minutes.
 */
import { setFlagsFromString } from 'node:v8';

export interface GrokBudgetOptions {
  /** A match attempt taking longer than this counts as a timeout (default 10 ms). */
  slowMatchMs?: number;
  /** Disable an expression after this many timeouts; 0 never disables (default 5). */
  disableAfter?: number;
  /** Time every expression, not only those V8's linear engine cannot take over (default false). */
  timeAll?: boolean;
}

export const DEFAULT_SLOW_MATCH_MS = 10;
export const DEFAULT_DISABLE_AFTER = 5;

let linearFallbackOn = false;

/** Switches V8's linear-time fallback on for this process (idempotent). */
export function enableLinearFallback(): void {
  if (linearFallbackOn) return;
  setFlagsFromString('--enable-experimental-regexp-engine-on-excessive-backtracks');
  linearFallbackOn = true;
}

export function linearFallbackEnabled(): boolean {
  return (
    linearFallbackOn ||
    process.execArgv.includes('--enable-experimental-regexp-engine-on-excessive-backtracks')
  );
}

/** Per-expression record of slow match attempts. */
export class SlowMatchBudget {
  readonly slowMatchMs: number;
  readonly disableAfter: number;
  timeouts = 0;
  /** The slowest attempt seen, in milliseconds. */
  slowestMs = 0;

  constructor(options: GrokBudgetOptions = {}) {
    this.slowMatchMs = options.slowMatchMs ?? DEFAULT_SLOW_MATCH_MS;
    this.disableAfter = options.disableAfter ?? DEFAULT_DISABLE_AFTER;
  }

  /** Records one attempt's duration; returns true when the expression should now be disabled. */
  record(ms: number): boolean {
    if (ms <= this.slowMatchMs) return false;
    this.timeouts++;
    if (ms > this.slowestMs) this.slowestMs = ms;
    return this.disableAfter > 0 && this.timeouts >= this.disableAfter;
  }
}
