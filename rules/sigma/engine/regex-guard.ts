/**
 * Keeping a rule's regular expression (`re`) from stalling detection. The
 * same three layers as the grok parser (processor/parsers/grok/README.md),
 * reusing its code:
 *
 * 1. At load, the expression is parsed with grok's regex parser and checked
 *    for repetitions that can match one text in exponentially many ways
 *    (`(a+)+`, `(\w+\s?)*`) — grok's safety.ts.
 * 2. Such an expression is accepted only when V8's linear-time engine can take
 *    over after too much backtracking (grok's budget.ts switches it on). That
 *    engine refuses look-arounds, back-references, large counted repetitions
 *    and the `i` flag; an exponential expression using one of those is
 *    rejected with RULE_REGEX_UNSAFE, naming the repetition.
 * 3. Every expression the linear engine cannot take over is timed on each
 *    event; an attempt slower than `slowMatchMs` is counted, and after
 *    `disableAfter` of them the expression is switched off (it then never
 *    matches) and counted as disabled.
 *
 * The Sigma flavour is PCRE's basic syntax. Leading inline flags (`(?i)`),
 * `(?P<name>…)` groups and `\A`/`\z` are translated; anything else
 * JavaScript does not accept is a load problem.
 */
import { enableLinearFallback } from '../../../processor/parsers/grok/budget.ts';
import { parseOnig } from '../../../processor/parsers/grok/onig.ts';
import { analyseSafety, type SafetyReport } from '../../../processor/parsers/grok/safety.ts';
import type { RuleProblemCode } from '../model/problem.ts';

export interface RegexBudgetOptions {
  /** An attempt slower than this counts as slow (default 5 ms). */
  slowMatchMs?: number;
  /** Switch an expression off after this many slow attempts; 0 never (default 5). */
  disableAfter?: number;
  /** Called on each slow attempt, with the rule (for metrics). */
  onSlow?: (rule: string) => void;
  /** Called when an expression is switched off, with the rule. */
  onDisabled?: (rule: string) => void;
}

/** Counts shared by the expressions of a rule set. */
export class RegexBudget {
  readonly slowMatchMs: number;
  readonly disableAfter: number;
  slowMatches = 0;
  disabled = 0;
  /** Called on each slow attempt and each switched-off expression (metrics). */
  onSlow: ((rule: string) => void) | undefined;
  onDisabled: ((rule: string) => void) | undefined;

  constructor(options: RegexBudgetOptions = {}) {
    this.slowMatchMs = options.slowMatchMs ?? 5;
    this.disableAfter = options.disableAfter ?? 5;
    this.onSlow = options.onSlow;
    this.onDisabled = options.onDisabled;
  }
}

export class RegexRejection extends Error {
  readonly code: RuleProblemCode;
  constructor(message: string, code: RuleProblemCode) {
    super(message);
    this.name = 'RegexRejection';
    this.code = code;
  }
}

export interface GuardedRegex {
  regex: RegExp;
  /** V8's linear-time engine takes over when it backtracks too much. */
  linear: boolean;
  /** Each attempt is timed against the budget. */
  timed: boolean;
  test(text: string): boolean;
}

/** Translates the PCRE spellings JavaScript lacks; returns the source and flags to compile. */
export function translatePcre(source: string, flags: string): { source: string; flags: string } {
  let out = source;
  const set = new Set(flags);
  const leading = /^\(\?([imsx]+)\)/.exec(out);
  if (leading) {
    for (const flag of leading[1] as string) {
      if (flag === 'x')
        throw new RegexRejection('the x (extended) flag is not supported', 'RULE_UNSUPPORTED');
      set.add(flag);
    }
    out = out.slice(leading[0].length);
  }
  out = out
    .replace(/\(\?P<(?=[A-Za-z_])/g, '(?<')
    .replace(/^\\A/, '^')
    .replace(/\\[zZ]$/, '$');
  return { source: out, flags: [...set].sort().join('') };
}

export function compileGuardedRegex(
  source: string,
  flags: string,
  budget: RegexBudget,
  label: string,
): GuardedRegex {
  const translated = translatePcre(source, flags);
  let safety: SafetyReport | undefined;
  try {
    const tree = parseOnig(translated.source, {
      grok: false,
      flags: {
        ignoreCase: translated.flags.includes('i'),
        dotAll: translated.flags.includes('s'),
        extended: false,
      },
    });
    safety = analyseSafety(tree, { source: 'rule', text: translated.source });
  } catch {
    safety = undefined; // constructs the analysis does not know: time it
  }
  const linear = safety?.linearFallback === true && !translated.flags.includes('i');
  if (safety && safety.ambiguousLoops.length > 0 && !linear) {
    const loop = safety.ambiguousLoops[0]?.text ?? '';
    const why = translated.flags.includes('i')
      ? 'the i flag'
      : (safety.linearFallbackBlocker ?? 'a construct it does not run');
    throw new RegexRejection(
      `the regular expression /${source}/ can backtrack catastrophically: the repetition ${loop} can match the same text in exponentially many ways, and V8's linear-time engine cannot take over because of ${why}. Make the repetition unambiguous (e.g. [a-z]+ instead of ([a-z]+)+).`,
      'RULE_REGEX_UNSAFE',
    );
  }
  enableLinearFallback();
  let regex: RegExp;
  try {
    regex = new RegExp(translated.source, translated.flags);
  } catch (error) {
    throw new RegexRejection(
      `/${source}/ is not a regular expression Vigil can run: ${(error as Error).message.replace(/^Invalid regular expression: /, '')}`,
      'RULE_INVALID',
    );
  }
  const timed = !linear;
  if (!timed) {
    return { regex, linear, timed, test: (text) => regex.test(text) };
  }
  let slow = 0;
  let off = false;
  return {
    regex,
    linear,
    timed,
    test(text: string): boolean {
      if (off) return false;
      const start = performance.now();
      const result = regex.test(text);
      const ms = performance.now() - start;
      if (ms > budget.slowMatchMs) {
        slow++;
        budget.slowMatches++;
        budget.onSlow?.(label);
        if (budget.disableAfter > 0 && slow >= budget.disableAfter) {
          off = true;
          budget.disabled++;
          budget.onDisabled?.(label);
        }
      }
      return result;
    },
  };
}
