/**
 * `re`: the value is a regular expression (case-sensitive unless `i`), and
 * its flags `i` (ignore case), `m` (`^`/`$` match at line breaks) and `s`
 * (`.` matches a newline). The expression itself is checked when the rule is
 * compiled (engine/regex-guard.ts): syntax, and catastrophic backtracking.
 */
import { describeValue, type SigmaValue } from '../model/values.ts';
import { type ItemState, ModifierError, SigmaModifier } from './modifier.ts';

export class RegexModifier extends SigmaModifier {
  readonly name = 're';
  override transform(value: SigmaValue, state: ItemState): SigmaValue {
    if (value.type === 'number') return { type: 'regex', source: String(value.value), flags: '' };
    if (value.type !== 'string')
      throw new ModifierError(`re applies to strings, not to ${describeValue(value)}`);
    if (value.raw === undefined) {
      throw new ModifierError(
        `re must come before modifiers that change the value (${state.applied.join(', ')} came first)`,
      );
    }
    return { type: 'regex', source: value.raw, flags: '' };
  }
}

abstract class RegexFlagModifier extends SigmaModifier {
  abstract readonly flag: 'i' | 'm' | 's';
  override transform(value: SigmaValue): SigmaValue {
    if (value.type !== 'regex') throw new ModifierError(`${this.name} is a flag of re and must follow it`);
    return value.flags.includes(this.flag) ? value : { ...value, flags: value.flags + this.flag };
  }
}

/** Case-insensitive regular expression. */
export class RegexIgnoreCaseModifier extends RegexFlagModifier {
  readonly name = 'i';
  readonly flag = 'i';
}

/** Multi-line: `^` and `$` match at the start and end of each line. */
export class RegexMultilineModifier extends RegexFlagModifier {
  readonly name = 'm';
  readonly flag = 'm';
}

/** Single-line: `.` matches a newline too. */
export class RegexDotAllModifier extends RegexFlagModifier {
  readonly name = 's';
  readonly flag = 's';
}
