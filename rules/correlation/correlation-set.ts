/**
 * The loaded correlation rules with their references resolved: which
 * correlations a detection rule feeds, which correlations a correlation
 * feeds (chains), and which rules make alerts of their own (Sigma
 * `generate`). Immutable; built once per load.
 */
import type { RuleProblem } from '../sigma/model/problem.ts';
import type { CorrelationRule, RuleIdentity } from './model.ts';

/** A place a rule's matches go: one reference of one correlation. */
export interface Reference {
  correlation: CorrelationRule;
  /** The reference as the correlation writes it (an id or a name). */
  ref: string;
  /** Its position in the correlation's `rules` (the order temporal_ordered needs). */
  index: number;
}

export class CorrelationSet {
  readonly correlations: readonly CorrelationRule[];
  /** The longest timespan of any rule: how far back state is rebuilt. */
  readonly longestTimespanMs: number;
  readonly #byKey = new Map<string, CorrelationRule>();
  /** Detection rule id or name → its identity. */
  readonly #detection = new Map<string, RuleIdentity>();
  /** Detection rule id or name, or correlation key → where its matches go. */
  readonly #references = new Map<string, Reference[]>();
  readonly #generating = new Set<string>();
  readonly #referenced = new Set<string>();

  constructor(correlations: readonly CorrelationRule[], detectionRules: readonly RuleIdentity[] = []) {
    this.correlations = correlations;
    this.longestTimespanMs = Math.max(0, ...correlations.map((c) => c.timespanMs));
    for (const c of correlations) {
      for (const key of [c.id, c.name]) if (key !== undefined) this.#byKey.set(key, c);
      this.#byKey.set(c.key, c);
    }
    for (const rule of detectionRules) {
      for (const key of [rule.id, rule.name])
        if (key !== undefined && !this.#byKey.has(key)) this.#detection.set(key, rule);
    }
    for (const c of correlations) {
      c.rules.forEach((ref, index) => {
        const target = this.#byKey.get(ref);
        const identity = this.#detection.get(ref);
        // Index under every name the referenced rule answers to.
        const names = target ? [target.key] : identity ? [identity.id, identity.name] : [ref];
        for (const name of names) {
          if (name === undefined) continue;
          const list = this.#references.get(name) ?? [];
          list.push({ correlation: c, ref, index });
          this.#references.set(name, list);
          this.#referenced.add(name);
          if (c.generate) this.#generating.add(name);
        }
      });
    }
  }

  /** The correlation with this id, name or key. */
  correlation(key: string): CorrelationRule | undefined {
    return this.#byKey.get(key);
  }

  /** Where a detection rule's matches go; the rule is named by id and/or name. */
  referencesOfRule(rule: { id?: string | undefined; name?: string | undefined }): Reference[] {
    const a = rule.id === undefined ? undefined : this.#references.get(rule.id);
    const b = rule.name === undefined ? undefined : this.#references.get(rule.name);
    if (a === undefined) return b ?? [];
    if (b === undefined || a === b) return a;
    return [...a, ...b.filter((r) => !a.some((x) => x.correlation === r.correlation && x.index === r.index))];
  }

  /** Where a correlation's own alerts go (the correlations that reference it). */
  referencesOfCorrelation(correlation: CorrelationRule): Reference[] {
    return this.#references.get(correlation.key) ?? [];
  }

  /**
   * Whether a rule (detection rule by id or name, or a correlation by key)
   * makes alerts of its own: yes unless a correlation references it and no
   * correlation that references it says `generate: true`.
   */
  generatesAlerts(key: string): boolean {
    const canonical = this.#byKey.get(key)?.key ?? key;
    const identity = this.#detection.get(canonical);
    const names = identity ? [identity.id, identity.name] : [canonical];
    const referenced = names.some((n) => n !== undefined && this.#referenced.has(n));
    return !referenced || names.some((n) => n !== undefined && this.#generating.has(n));
  }

  /** Whether any correlation uses this detection rule. */
  usesRule(rule: { id?: string | undefined; name?: string | undefined }): boolean {
    return this.referencesOfRule(rule).length > 0;
  }
}

/**
 * Checks the references between rules: every reference names a loaded rule,
 * no id or name is used twice, no correlation chain loops. Returns the
 * correlations that can run (those without a problem, and not depending on
 * one that has).
 */
export function checkReferences(
  correlations: readonly CorrelationRule[],
  detectionRules: readonly (RuleIdentity & { file?: string })[],
  problems: RuleProblem[],
): CorrelationRule[] {
  const bad = new Set<CorrelationRule>();
  const names = new Map<string, CorrelationRule | RuleIdentity>();
  for (const rule of detectionRules) {
    for (const key of [rule.id, rule.name]) if (key !== undefined && !names.has(key)) names.set(key, rule);
  }
  for (const c of correlations) {
    for (const key of [c.id, c.name]) {
      if (key === undefined) continue;
      const other = names.get(key);
      if (other !== undefined && other !== c) {
        problems.push({
          code: 'RULE_INVALID',
          file: c.file,
          ...c.at,
          path: key === c.id ? 'id' : 'name',
          rule: c.key,
          message: `the ${key === c.id ? 'id' : 'name'} "${key}" is already used by "${other.title}"${'file' in other && other.file ? ` in ${other.file}` : ''}`,
        });
        bad.add(c);
      } else names.set(key, c);
    }
  }
  const byKey = new Map<string, CorrelationRule>();
  for (const c of correlations)
    for (const key of [c.id, c.name, c.key]) if (key !== undefined && !byKey.has(key)) byKey.set(key, c);
  for (const c of correlations) {
    c.rules.forEach((ref, i) => {
      if (!names.has(ref) && !byKey.has(ref)) {
        problems.push({
          code: 'RULE_INVALID',
          file: c.file,
          ...(c.rulesAt[i] ?? c.at),
          path: `correlation.rules[${i}]`,
          rule: c.key,
          message: `the correlation names rule "${ref}", which is not loaded (refer to a rule by its id or name)`,
        });
        bad.add(c);
      }
    });
    for (const [alias, byRule] of c.aliases) {
      if (!c.groupBy.includes(alias) && c.field !== alias) {
        problems.push({
          code: 'RULE_INVALID',
          file: c.file,
          ...c.at,
          path: `correlation.aliases.${alias}`,
          rule: c.key,
          message: `alias "${alias}" is not used in group-by or condition.field`,
        });
        bad.add(c);
      }
      void byRule;
    }
  }
  // Chains: no loops; a correlation depending on a bad one is left out too.
  const state = new Map<CorrelationRule, 'visiting' | 'done'>();
  const visit = (c: CorrelationRule, path: CorrelationRule[]): boolean => {
    const s = state.get(c);
    if (s === 'done') return !bad.has(c);
    if (s === 'visiting') {
      const loop = [...path.slice(path.indexOf(c)), c].map((x) => x.key).join(' → ');
      problems.push({
        code: 'RULE_INVALID',
        file: c.file,
        ...c.at,
        path: 'correlation.rules',
        rule: c.key,
        message: `the correlations reference each other in a loop: ${loop}`,
      });
      bad.add(c);
      return false;
    }
    state.set(c, 'visiting');
    let ok = !bad.has(c);
    for (const ref of c.rules) {
      const child = byKey.get(ref);
      if (child !== undefined && !visit(child, [...path, c])) ok = false;
    }
    state.set(c, 'done');
    if (!ok) bad.add(c);
    return ok;
  };
  for (const c of correlations) visit(c, []);
  return correlations.filter((c) => !bad.has(c));
}
