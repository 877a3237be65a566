/** Modifiers on string values: contains, startswith, endswith, windash, cased. */
import {
  ANY,
  describeValue,
  parseSigmaString,
  type SigmaStringValue,
  type SigmaValue,
} from '../model/values.ts';
import { type ItemState, ModifierError, SigmaModifier } from './modifier.ts';

/** Numbers are matched as their text by string modifiers (as pySigma does). */
function asString(value: SigmaValue, modifier: string): SigmaStringValue | SigmaValue {
  if (value.type === 'string' || value.type === 'fieldref') return value;
  if (value.type === 'number') return parseSigmaString(String(value.value));
  throw new ModifierError(`${modifier} applies to strings, not to ${describeValue(value)}`);
}

function wrap(value: SigmaValue, name: string, before: boolean, after: boolean): SigmaValue {
  const string = asString(value, name);
  if (string.type === 'fieldref') {
    return { ...string, mode: name as 'contains' | 'startswith' | 'endswith' };
  }
  if (string.type !== 'string') return string;
  const parts = [...string.parts];
  if (before && parts[0] !== ANY) parts.unshift(ANY);
  if (after && parts[parts.length - 1] !== ANY) parts.push(ANY);
  return { ...string, raw: undefined, parts };
}

/** The value anywhere in the field: `*value*`. */
export class ContainsModifier extends SigmaModifier {
  readonly name = 'contains';
  override transform(value: SigmaValue): SigmaValue {
    return wrap(value, this.name, true, true);
  }
}

/** The value at the start of the field: `value*`. */
export class StartswithModifier extends SigmaModifier {
  readonly name = 'startswith';
  override transform(value: SigmaValue): SigmaValue {
    return wrap(value, this.name, false, true);
  }
}

/** The value at the end of the field: `*value`. */
export class EndswithModifier extends SigmaModifier {
  readonly name = 'endswith';
  override transform(value: SigmaValue): SigmaValue {
    return wrap(value, this.name, true, false);
  }
}

/** Strings match case-sensitively (Sigma matches case-insensitively by default). */
export class CasedModifier extends SigmaModifier {
  readonly name = 'cased';
  override applyItem(state: ItemState): void {
    state.cased = true;
  }
}

/** The characters Windows accepts before a command-line flag. */
export const WINDASH_CHARACTERS = ['-', '/', '\u2013', '\u2014', '\u2015'] as const;
/** Most variants one value may expand to: five characters at five places. */
export const WINDASH_MAX_VARIANTS = 5 ** 5;

/** Every combination of `-`, `/`, en dash, em dash and horizontal bar where the value has one of them. */
export class WindashModifier extends SigmaModifier {
  readonly name = 'windash';
  override transform(value: SigmaValue): SigmaValue | SigmaValue[] {
    const string = asString(value, this.name);
    if (string.type !== 'string')
      throw new ModifierError(`windash applies to strings, not to ${describeValue(string)}`);
    const dashes = new RegExp(`[${WINDASH_CHARACTERS.join('').replace('-', '\\-')}]`, 'g');
    let count = 0;
    for (const part of string.parts) if (typeof part === 'string') count += part.match(dashes)?.length ?? 0;
    if (count === 0) return string;
    if (WINDASH_CHARACTERS.length ** count > WINDASH_MAX_VARIANTS) {
      throw new ModifierError(
        `windash would make ${WINDASH_CHARACTERS.length}^${count} variants of one value; at most ${WINDASH_MAX_VARIANTS} are allowed`,
      );
    }
    let variants: SigmaStringValue[] = [{ ...string, raw: undefined, parts: [] }];
    for (const part of string.parts) {
      if (typeof part !== 'string') {
        variants = variants.map((v) => ({ ...v, parts: [...v.parts, part] }));
        continue;
      }
      let texts = [''];
      for (const c of part) {
        const choices = (WINDASH_CHARACTERS as readonly string[]).includes(c) ? WINDASH_CHARACTERS : [c];
        texts = texts.flatMap((t) => choices.map((choice) => t + choice));
      }
      variants = variants.flatMap((v) => texts.map((t) => ({ ...v, parts: [...v.parts, t] })));
    }
    return variants;
  }
}
