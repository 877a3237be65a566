/**
 * Vigil's Oniguruma translation checked against oniguruma-to-es, an
 * independent translator, on the constructs pattern files use. The two
 * differ on purpose where Ruby (and so Logstash) differs from Oniguruma's
 * defaults: `\w \d \s \b` are ASCII here, `.` matches a newline here, and
 * `^ $` anchor the whole message here. The inputs are ASCII lines without
 * newlines, where those differences cannot show.
 */
import { toRegExp } from 'oniguruma-to-es';
import { describe, expect, it } from 'vitest';
import { compileGrok } from '../../../../../processor/parsers/grok/matcher.ts';
import { PatternLibrary } from '../../../../../processor/parsers/grok/pattern-library.ts';

const empty = new PatternLibrary({ base: false });

const PATTERNS = [
  '(?>a+)b',
  '(?>a|ab)c',
  '(?>ab|a)c',
  'a++b',
  'a*+ab',
  '"(?>\\\\.|[^\\\\"]+)*+"',
  '(?<![0-9.+-])(?>[+-]?(?:(?:[0-9]+(?:\\.[0-9]+)?)|(?:\\.[0-9]+)))',
  '(?<=\\$)\\d+(?!\\d)',
  '(?<!\\\\)"[^"]*"',
  '\\A\\h+\\z',
  '\\Aab|cd\\z',
  '(?i)get|post',
  'x(?i:ab)y',
  '[a-z&&[^aeiou]]+',
  '[[:upper:]][[:lower:]]+',
  '\\b\\w+@\\w+\\.com\\b',
  '(?<n>[ab])\\k<n>',
  'a{2,3}?b',
  '(?:ab){,2}c',
  '\\x41+\\u0042',
];

const INPUTS = [
  '',
  'aaab',
  'ab',
  'abc',
  'ac',
  'aab',
  '"esc\\"aped" x',
  '"unterminated',
  'x 1.5 -2 .25 +7',
  'cost $42 and $7x',
  'say \\"no" "yes"',
  'deadBEEF01',
  'deadbeef0g',
  'abxcd',
  'GeT',
  'xABy',
  'xaBY',
  'rhythm and blues',
  'Hello World',
  'mail bob@example.com now',
  'aa bb ab',
  'aaab aab',
  'ababc abc c',
  'AAAB',
];

describe('the Oniguruma translation', () => {
  it.each(PATTERNS)('finds the same matches as oniguruma-to-es for %s', (pattern) => {
    const ours = compileGrok([pattern], { library: empty, unsafe: 'allow' }).expressions[0]?.regex as RegExp;
    const theirs = toRegExp(pattern);
    for (const input of INPUTS) {
      expect(ours.exec(input)?.[0], `${pattern} on ${JSON.stringify(input)}`).toBe(theirs.exec(input)?.[0]);
    }
  });
});
