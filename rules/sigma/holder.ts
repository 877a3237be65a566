/**
 * The rule set in force, hot-reloaded like the processor's pipelines
 * (processor/pipeline/pipelines.ts): the rule and pipeline files are checked
 * every `reloadIntervalMs`; when one changed, a whole new rule set is built
 * and swapped in at once (one assignment, so an event is matched against
 * either the old set or the new one, never a mix). A rule file with a
 * problem keeps the previous set in force; the problems are logged and
 * counted until the files are fixed. At startup a problem is an error
 * (RULE_INVALID with every problem listed): the processor does not start.
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { VigilError } from '../../core/errors.ts';
import type { Logger } from '../../core/log.ts';
import type { Metrics } from '../../core/telemetry/metrics.ts';
import type { RuleSet } from './engine/rule-set.ts';
import { type LoadRuleSetOptions, loadRuleSet, VIGIL_ECS_PIPELINE } from './load.ts';
import { formatProblem, type RuleProblem } from './model/problem.ts';

export interface RuleSetHolderOptions extends LoadRuleSetOptions {
  /** How often the files are checked for changes; 0 turns reloading off. */
  reloadIntervalMs: number;
  metrics?: Metrics;
  logger?: Logger;
}

/** Throws RULE_INVALID listing every problem, or returns the rule set. */
export function loadRuleSetOrThrow(options: LoadRuleSetOptions): RuleSet {
  const loaded = loadRuleSet(options);
  if (loaded.problems.length > 0) throw problemsError(loaded.problems);
  return loaded.ruleSet;
}

export function problemsError(problems: readonly RuleProblem[]): VigilError {
  const code = problems.find((p) => p.code === 'RULE_PIPELINE_INVALID')?.code ?? 'RULE_INVALID';
  return new VigilError(
    code,
    `Rules have ${problems.length} problem${problems.length === 1 ? '' : 's'}:\n${problems.map((p) => `  ${formatProblem(p)}`).join('\n')}`,
    { details: { problems } },
  );
}

export class RuleSetHolder {
  readonly #options: RuleSetHolderOptions;
  readonly #logger: Logger | undefined;
  readonly #reloads;
  readonly #active;
  readonly #regexSlow;
  #current: RuleSet;
  #signature: string;
  #timer: NodeJS.Timeout | undefined;
  #lastError: string | undefined;
  #lastProblems: RuleProblem[] = [];

  constructor(options: RuleSetHolderOptions) {
    this.#logger = options.logger?.child({ component: 'rules' });
    this.#reloads = options.metrics?.counter(
      'vigil_rules_reloads_total',
      'Reloads of the rule files, by outcome (`ok`, or `failed`: the previous rules stay).',
      ['outcome'],
    );
    this.#active = options.metrics?.gauge('vigil_rules_active', 'Detection rules in force.');
    this.#regexSlow = options.metrics?.counter(
      'vigil_rules_regex_slow_matches_total',
      'Rule regular expressions that took longer than the budget on one event, by rule; `disabled` counts those switched off.',
      ['rule', 'outcome'],
    );
    const slow = this.#regexSlow;
    this.#options = {
      ...options,
      regexBudget: {
        ...options.regexBudget,
        onSlow: (rule) => slow?.inc({ rule, outcome: 'slow' }),
        onDisabled: (rule) => {
          slow?.inc({ rule, outcome: 'disabled' });
          this.#logger?.error(
            { rule },
            'A rule regular expression was too slow too often and is switched off.',
          );
        },
      },
    };
    this.#signature = this.#filesSignature();
    this.#current = this.#build();
  }

  /** The rule set in force. Read it per batch: a reload swaps it. */
  get current(): RuleSet {
    return this.#current;
  }

  /** The problems of the last failed reload (empty after a good one). */
  get lastProblems(): readonly RuleProblem[] {
    return this.#lastProblems;
  }

  start(): void {
    if (this.#options.reloadIntervalMs <= 0 || this.#timer) return;
    this.#timer = setInterval(() => this.check(), this.#options.reloadIntervalMs);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** Reloads if a watched file changed; returns whether a new set is in force. */
  check(): boolean {
    const signature = this.#filesSignature();
    if (signature === this.#signature) return false;
    this.#signature = signature;
    return this.reload();
  }

  /** Builds the rule set again; keeps the previous one when that fails. */
  reload(): boolean {
    try {
      const next = this.#build();
      this.#current = next;
      this.#lastError = undefined;
      this.#lastProblems = [];
      this.#reloads?.inc({ outcome: 'ok' });
      this.#logger?.info({ rules: next.size }, 'Rules reloaded.');
      return true;
    } catch (error) {
      const message = (error as Error).message;
      this.#reloads?.inc({ outcome: 'failed' });
      this.#lastProblems = ((error as VigilError).details?.problems as RuleProblem[] | undefined) ?? [];
      if (message !== this.#lastError) {
        this.#logger?.error(
          { err: error },
          'The changed rules do not load; the previous rules stay in force until the files are fixed.',
        );
      }
      this.#lastError = message;
      return false;
    }
  }

  #build(): RuleSet {
    const loaded = loadRuleSet(this.#options);
    if (loaded.problems.length > 0) throw problemsError(loaded.problems);
    const ruleSet = loaded.ruleSet;
    this.#active?.set(ruleSet.size);
    return ruleSet;
  }

  #filesSignature(): string {
    const parts: string[] = [];
    const visit = (path: string): void => {
      try {
        const stat = statSync(path);
        if (stat.isDirectory()) {
          for (const name of readdirSync(path).sort()) {
            if (!name.startsWith('.')) visit(join(path, name));
          }
        } else parts.push(`${path}:${stat.mtimeMs}:${stat.size}`);
      } catch {
        parts.push(`${path}:missing`);
      }
    };
    for (const path of this.#options.paths) visit(path);
    for (const path of this.#options.pipelines ?? []) visit(path);
    if (this.#options.builtinPipeline !== false) visit(VIGIL_ECS_PIPELINE);
    return parts.join('\n');
  }
}
