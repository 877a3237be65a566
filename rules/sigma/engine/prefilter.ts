/**
 * The literal index that keeps detection cost nearly flat as rules are
 * added. Each rule with a requirement (engine/compile.ts) is filed under its
 * literals, per event field:
 *
 * - whole values (`eq`): a hash map from the lower-cased value to rules;
 * - parts of values (`sub`): each literal is filed under one of its
 *   three-character substrings (trigrams), the one the fewest other literals
 *   share. A 64 Ki-entry presence table on trigram hashes skips most text
 *   positions without a map lookup.
 *
 * For an event, each indexed field's text is scanned once (time linear in its
 * length, whatever the number of rules), the literals whose trigram occurs
 * are confirmed with `includes`, and only their rules, plus the rules with no
 * requirement, are evaluated. This is a hand-written index rather than an
 * Aho–Corasick library: it needs per-field, case-folded, allocation-free
 * scanning on the hot path, and is under a hundred lines.
 */

import type { Requirement } from './compile.ts';
import { EventView, type FieldRef } from './event-view.ts';

const BLOOM_BITS = 16;

/**
 * A trigram as a small integer (10 bits per character). Characters above
 * U+03FF share keys; that only costs an extra `includes` check.
 */
function trigramKey(c0: number, c1: number, c2: number): number {
  return ((c0 & 1023) << 20) | ((c1 & 1023) << 10) | (c2 & 1023);
}

function bloomSlot(key: number): number {
  return Math.imul(key, 0x9e3779b1) >>> (32 - BLOOM_BITS);
}

interface SubLiteral {
  literal: string;
  rules: number[];
}

class FieldIndex {
  readonly field: FieldRef;
  readonly eq = new Map<string, number[]>();
  readonly literals: SubLiteral[] = [];
  readonly #byLiteral = new Map<string, number>();
  readonly trigrams = new Map<number, number[]>();
  readonly bloom = new Uint8Array(1 << BLOOM_BITS);

  constructor(field: FieldRef) {
    this.field = field;
  }

  addEq(literal: string, rule: number): void {
    const list = this.eq.get(literal);
    if (list === undefined) this.eq.set(literal, [rule]);
    else if (list[list.length - 1] !== rule) list.push(rule);
  }

  addSub(literal: string, rule: number): void {
    let id = this.#byLiteral.get(literal);
    if (id === undefined) {
      id = this.literals.length;
      this.literals.push({ literal, rules: [] });
      this.#byLiteral.set(literal, id);
    }
    const rules = (this.literals[id] as SubLiteral).rules;
    if (rules[rules.length - 1] !== rule) rules.push(rule);
  }

  /** Files each literal under its rarest trigram. */
  build(): void {
    const counts = new Map<number, number>();
    for (const { literal } of this.literals) {
      const seen = new Set<number>();
      for (let i = 0; i + 3 <= literal.length; i++) {
        seen.add(trigramKey(literal.charCodeAt(i), literal.charCodeAt(i + 1), literal.charCodeAt(i + 2)));
      }
      for (const key of seen) counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    this.literals.forEach(({ literal }, id) => {
      let bestKey = 0;
      let bestCount = Number.POSITIVE_INFINITY;
      for (let i = 0; i + 3 <= literal.length; i++) {
        const key = trigramKey(literal.charCodeAt(i), literal.charCodeAt(i + 1), literal.charCodeAt(i + 2));
        const count = counts.get(key) ?? 0;
        if (count < bestCount) {
          bestCount = count;
          bestKey = key;
        }
      }
      const list = this.trigrams.get(bestKey);
      if (list === undefined) this.trigrams.set(bestKey, [id]);
      else list.push(id);
      this.bloom[bloomSlot(bestKey)] = 1;
    });
  }
}

export class Prefilter {
  /** Rules evaluated for every event: they have no indexable literal. */
  readonly always: readonly number[];
  readonly #fields: FieldIndex[];
  /** Field indexes by the event's top-level key that leads to them (`source` for source.ip; also `source.ip` itself). */
  readonly #byTopKey = new Map<string, number[]>();
  readonly #fieldStamps: Uint32Array;
  readonly #ruleStamps: Uint32Array;
  #literalStamps: Uint32Array[];
  /** Per literal: the text it was last checked against (a literal is checked once per text). */
  #checkedStamps: Uint32Array[];
  #textCount = 0;
  #generation = 0;

  constructor(requirements: ReadonlyArray<Requirement | undefined>) {
    const always: number[] = [];
    const byField = new Map<number, FieldIndex>();
    requirements.forEach((requirement, rule) => {
      if (requirement === undefined) {
        always.push(rule);
        return;
      }
      for (const alt of requirement.alternatives) {
        let index = byField.get(alt.field.id);
        if (index === undefined) {
          index = new FieldIndex(alt.field);
          byField.set(alt.field.id, index);
        }
        if (alt.kind === 'eq') index.addEq(alt.literal, rule);
        else index.addSub(alt.literal, rule);
      }
    });
    for (const index of byField.values()) index.build();
    this.always = always;
    this.#fields = [...byField.values()];
    this.#fields.forEach((index, f) => {
      for (const top of new Set([index.field.path[0] as string, index.field.key])) {
        const list = this.#byTopKey.get(top);
        if (list === undefined) this.#byTopKey.set(top, [f]);
        else list.push(f);
      }
    });
    this.#fieldStamps = new Uint32Array(this.#fields.length);
    this.#ruleStamps = new Uint32Array(requirements.length);
    this.#literalStamps = this.#fields.map((f) => new Uint32Array(f.literals.length));
    this.#checkedStamps = this.#fields.map((f) => new Uint32Array(f.literals.length));
  }

  /** How many fields and literals are indexed, for `rules list` and the bench. */
  stats(): { fields: number; equalities: number; literals: number; always: number } {
    return {
      fields: this.#fields.length,
      equalities: this.#fields.reduce((n, f) => n + f.eq.size, 0),
      literals: this.#fields.reduce((n, f) => n + f.literals.length, 0),
      always: this.always.length,
    };
  }

  readonly #out: number[] = [];
  readonly #mark = (rules: readonly number[]): void => {
    const stamps = this.#ruleStamps;
    const generation = this.#generation;
    for (let i = 0; i < rules.length; i++) {
      const rule = rules[i] as number;
      if (stamps[rule] !== generation) {
        stamps[rule] = generation;
        this.#out.push(rule);
      }
    }
  };

  /**
   * The rules worth evaluating for the event in `view`, in rule order. The
   * array is reused by the next call: read it before matching another event.
   */
  candidates(view: EventView): number[] {
    this.#generation++;
    if (this.#generation === 0xffffffff) {
      this.#ruleStamps.fill(0);
      this.#fieldStamps.fill(0);
      for (const stamps of this.#literalStamps) stamps.fill(0);
      this.#generation = 1;
    }
    if (this.#textCount >= 0xfffff000) {
      for (const stamps of this.#checkedStamps) stamps.fill(0);
      this.#textCount = 0;
    }
    const generation = this.#generation;
    const out = this.#out;
    out.length = 0;
    const mark = this.#mark;
    mark(this.always);
    // Only the fields under the event's own top-level keys can hold anything.
    const fieldStamps = this.#fieldStamps;
    for (const top in view.event) {
      const group = this.#byTopKey.get(top);
      if (group === undefined) continue;
      for (let g = 0; g < group.length; g++) {
        const f = group[g] as number;
        if (fieldStamps[f] === generation) continue;
        fieldStamps[f] = generation;
        this.#scanField(f, view, generation, mark);
      }
    }
    if (out.length > 1) out.sort((a, b) => a - b);
    return out;
  }

  #scanField(f: number, view: EventView, generation: number, mark: (rules: readonly number[]) => void): void {
    const index = this.#fields[f] as FieldIndex;
    const resolved = view.get(index.field);
    if (resolved.strings.length === 0) return;
    const texts = EventView.lower(resolved);
    const literalStamps = this.#literalStamps[f] as Uint32Array;
    const checked = this.#checkedStamps[f] as Uint32Array;
    for (let t = 0; t < texts.length; t++) {
      const text = texts[t] as string;
      if (index.eq.size > 0) {
        const rules = index.eq.get(text);
        if (rules !== undefined) mark(rules);
      }
      if (index.literals.length === 0 || text.length < 3) continue;
      const textId = ++this.#textCount;
      const bloom = index.bloom;
      // The trigram key rolls: shift out the oldest character, add the new one.
      let key = ((text.charCodeAt(0) & 1023) << 10) | (text.charCodeAt(1) & 1023);
      for (let i = 2; i < text.length; i++) {
        key = ((key & 0xfffff) << 10) | (text.charCodeAt(i) & 1023);
        if (bloom[bloomSlot(key)] === 1) {
          const ids = index.trigrams.get(key);
          if (ids !== undefined) {
            for (let k = 0; k < ids.length; k++) {
              const id = ids[k] as number;
              if (literalStamps[id] === generation || checked[id] === textId) continue;
              checked[id] = textId;
              const literal = index.literals[id] as SubLiteral;
              if (text.includes(literal.literal)) {
                literalStamps[id] = generation;
                mark(literal.rules);
              }
            }
          }
        }
      }
    }
  }
}
