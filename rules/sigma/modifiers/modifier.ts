/**
 * What a Sigma value modifier is (`field|contains|all: …`). A modifier is a
 * small class: `applyItem` changes how the item matches (linking its values
 * with AND, case sensitivity, negation), `transform` changes each value
 * (adding wildcards, encoding, turning a string into a regular expression).
 * Modifiers run in the order the rule names them. A new modifier is one class
 * in its family file and one line in registry.ts.
 */
import type { RuleProblemCode } from '../model/problem.ts';
import type { SigmaValue, TimePart } from '../model/values.ts';

/** The state of one detection item while its modifiers are applied. */
export interface ItemState {
  /** The Sigma field name, or undefined for keywords. */
  field: string | undefined;
  /** The modifiers already applied, in order. */
  applied: string[];
  /** Values are linked with AND (`all`) instead of OR. */
  linkAll: boolean;
  /** Strings match case-sensitively (`cased`). */
  cased: boolean;
  /** The field must differ from the values (`neq`). */
  negate: boolean;
  /** The field holds a date and this part of it is compared (`hour`…). */
  timePart: TimePart | undefined;
  /** Placeholder values for `expand` (`%Administrators%` → names). */
  placeholders: ReadonlyMap<string, readonly string[]>;
}

/** A modifier cannot apply; the message says why, for the rule writer. */
export class ModifierError extends Error {
  readonly code: RuleProblemCode;
  constructor(message: string, code: RuleProblemCode = 'RULE_INVALID') {
    super(message);
    this.name = 'ModifierError';
    this.code = code;
  }
}

export abstract class SigmaModifier {
  /** The keyword as written after `|`. */
  abstract readonly name: string;

  /** Changes how the whole item matches; called once, before the values are transformed. */
  applyItem(_state: ItemState): void {}

  /** Transforms one value; an array means alternatives (OR-linked, even under `all`). */
  transform(value: SigmaValue, _state: ItemState): SigmaValue | SigmaValue[] {
    return value;
  }
}
