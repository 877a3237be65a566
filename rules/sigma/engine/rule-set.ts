/**
 * A compiled, immutable set of detection rules: what the processor asks, per
 * event, "which rules match?". Built by load.ts; swapped whole on reload.
 */
import type { Level, SigmaCorrelation, SigmaFilter, SigmaRule } from '../model/rule.ts';
import type { CompiledRule, FieldTable } from './compile.ts';
import { EventView } from './event-view.ts';
import { Prefilter } from './prefilter.ts';
import type { RegexBudget } from './regex-guard.ts';

/** ATT&CK references taken from a rule's tags (`attack.t1110.001`, `attack.credential-access`). */
export interface AttackTags {
  tactics: string[];
  techniques: string[];
}

/** A rule that matched an event. One object per rule, shared by all its hits: do not modify it. */
export interface RuleHit {
  /** The rule's id (else its name, else its title): stable, used in alert ids. */
  ruleId: string;
  title: string;
  level: Level;
  status: string | undefined;
  tags: readonly string[];
  attack: AttackTags;
  /** The file the rule came from. */
  source: string;
  rule: SigmaRule;
}

const TECHNIQUE = /^attack\.(t\d{4}(?:\.\d{3})?)$/;
const OTHER_ATTACK_ID = /^attack\.[gs]\d{4}$/;

export function attackTags(tags: readonly string[]): AttackTags {
  const tactics: string[] = [];
  const techniques: string[] = [];
  for (const tag of tags) {
    const technique = TECHNIQUE.exec(tag);
    if (technique) techniques.push((technique[1] as string).toUpperCase());
    else if (tag.startsWith('attack.') && !OTHER_ATTACK_ID.test(tag))
      tactics.push(tag.slice('attack.'.length));
  }
  return { tactics, techniques };
}

export function ruleKey(rule: { id?: string | undefined; name?: string | undefined; title: string }): string {
  return rule.id ?? rule.name ?? rule.title;
}

export class RuleSet {
  readonly rules: readonly SigmaRule[];
  readonly filters: readonly SigmaFilter[];
  readonly correlations: readonly SigmaCorrelation[];
  readonly #compiled: readonly CompiledRule[];
  readonly #hits: readonly RuleHit[];
  readonly #prefilter: Prefilter;
  readonly #view: EventView;
  readonly #budget: RegexBudget;
  readonly #byKey: Map<string, RuleHit>;

  constructor(
    compiled: readonly CompiledRule[],
    filters: readonly SigmaFilter[],
    correlations: readonly SigmaCorrelation[],
    fields: FieldTable,
    budget: RegexBudget,
  ) {
    this.#compiled = compiled;
    this.rules = compiled.map((c) => c.rule);
    this.filters = filters;
    this.correlations = correlations;
    this.#hits = compiled.map(({ rule }) =>
      Object.freeze({
        ruleId: ruleKey(rule),
        title: rule.title,
        level: rule.level ?? 'medium',
        status: rule.status,
        tags: Object.freeze([...rule.tags]),
        attack: attackTags(rule.tags),
        source: rule.file,
        rule,
      }),
    );
    this.#byKey = new Map(this.#hits.map((h) => [h.ruleId, h]));
    this.#prefilter = new Prefilter(compiled.map((c) => c.requirement));
    this.#view = new EventView(fields.size);
    this.#budget = budget;
  }

  get size(): number {
    return this.#compiled.length;
  }

  /**
   * The rules that match the event, in rule order. Never throws for an
   * event: a field of an unexpected type simply does not match.
   */
  match(event: Record<string, unknown>): RuleHit[] {
    const view = this.#view;
    view.reset(event);
    const hits: RuleHit[] = [];
    const candidates = this.#prefilter.candidates(view);
    for (let i = 0; i < candidates.length; i++) {
      const index = candidates[i] as number;
      if ((this.#compiled[index] as CompiledRule).test(view)) hits.push(this.#hits[index] as RuleHit);
    }
    view.reset({});
    return hits;
  }

  /**
   * The same answer as `match`, evaluating every rule without the literal
   * index: for tests that check the index never loses a match, and for
   * diagnosis.
   */
  matchWithoutIndex(event: Record<string, unknown>): RuleHit[] {
    const view = this.#view;
    view.reset(event);
    const hits: RuleHit[] = [];
    for (let i = 0; i < this.#compiled.length; i++) {
      if ((this.#compiled[i] as CompiledRule).test(view)) hits.push(this.#hits[i] as RuleHit);
    }
    view.reset({});
    return hits;
  }

  /** The hit description of a rule, by its id (or name, or title). */
  rule(ruleId: string): RuleHit | undefined {
    return this.#byKey.get(ruleId);
  }

  /** Filters applied to a rule and whether a pipeline knows its log source. */
  compiledInfo(ruleId: string): { filters: string[]; logsourceMapped: boolean } | undefined {
    const index = this.#hits.findIndex((h) => h.ruleId === ruleId);
    const compiled = this.#compiled[index];
    return compiled ? { filters: compiled.filters, logsourceMapped: compiled.logsourceMapped } : undefined;
  }

  stats(): {
    rules: number;
    filters: number;
    correlations: number;
    indexed: number;
    alwaysEvaluated: number;
    regexSlowMatches: number;
    regexDisabled: number;
  } {
    const prefilter = this.#prefilter.stats();
    return {
      rules: this.#compiled.length,
      filters: this.filters.length,
      correlations: this.correlations.length,
      indexed: this.#compiled.length - prefilter.always,
      alwaysEvaluated: prefilter.always,
      regexSlowMatches: this.#budget.slowMatches,
      regexDisabled: this.#budget.disabled,
    };
  }
}
