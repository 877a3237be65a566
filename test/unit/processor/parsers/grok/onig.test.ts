import { describe, expect, it } from 'vitest';
import { isVigilError } from '../../../../../core/errors.ts';
import { compileGrok } from '../../../../../processor/parsers/grok/matcher.ts';
import { parseOnig } from '../../../../../processor/parsers/grok/onig.ts';
import { PatternLibrary } from '../../../../../processor/parsers/grok/pattern-library.ts';

const empty = new PatternLibrary({ base: false });

/** Compiles an Oniguruma regex (as a grok expression without references) to its native RegExp. */
function translate(source: string): RegExp {
  return compileGrok([source], { library: empty, unsafe: 'allow' }).expressions[0]?.regex as RegExp;
}

function matches(source: string, line: string): string | undefined {
  return translate(source).exec(line)?.[0];
}

function errorOf(source: string): { code: string; message: string } {
  try {
    translate(source);
  } catch (error) {
    if (isVigilError(error)) return { code: error.code, message: error.message };
    throw error;
  }
  throw new Error(`${source} compiled`);
}

describe('Oniguruma → JavaScript translation', () => {
  describe('atomic groups and possessive quantifiers', () => {
    it('does not backtrack into an atomic group', () => {
      expect(matches('(?>a+)a', 'aaaa')).toBeUndefined();
      expect(matches('(?:a+)a', 'aaaa')).toBe('aaaa');
      expect(matches('(?>a|ab)c', 'abc')).toBeUndefined();
      expect(matches('(?>ab|a)c', 'abc')).toBe('abc');
    });

    it('does not backtrack into a possessive repetition', () => {
      expect(matches('a++a', 'aaa')).toBeUndefined();
      expect(matches('a*+b', 'aaab')).toBe('aaab');
      expect(matches('"[^"]*+"', '"quoted"')).toBe('"quoted"');
      expect(matches('x?+x', 'x')).toBeUndefined();
    });

    it('reads {n,m}+ as a repetition of a repetition, as Ruby does, not as possessive', () => {
      expect(matches('^a{2}+$', 'aaaa')).toBe('aaaa');
      expect(matches('^a{2}+$', 'aaa')).toBeUndefined();
    });

    it('keeps the hidden groups of atomic groups out of the fields', () => {
      const matcher = compileGrok(['(?>(?<first>a+))(?<second>b)'], { library: empty });
      expect(matcher.match('aab')?.fields).toEqual({ first: 'aa', second: 'b' });
    });
  });

  describe('look-behind and anchors', () => {
    it('translates look-behind', () => {
      expect(matches('(?<=\\$)\\d+', 'cost $42')).toBe('42');
      expect(matches('(?<![0-9.])\\d+', 'v.5 7')).toBe('7');
    });

    it('anchors \\A and \\z at the ends of the line', () => {
      expect(matches('\\Afoo', 'foo bar')).toBe('foo');
      expect(matches('\\Abar', 'foo bar')).toBeUndefined();
      expect(matches('bar\\z', 'foo bar')).toBe('bar');
      expect(matches('foo\\z', 'foo bar')).toBeUndefined();
    });

    it('lets \\Z also match before a final newline', () => {
      expect(matches('bar\\Z', 'foo bar\n')).toBe('bar');
      expect(matches('bar\\Z', 'foo bar\nx')).toBeUndefined();
    });

    it('anchors ^ and $ at the ends of the whole message, not of each line', () => {
      expect(matches('^b', 'a\nb')).toBeUndefined();
      expect(matches('a$', 'a\nb')).toBeUndefined();
    });
  });

  describe('character classes', () => {
    it('reads \\h as a hexadecimal digit, as Oniguruma does', () => {
      expect(matches('^\\h+$', 'DeadBeef09')).toBe('DeadBeef09');
      expect(matches('^\\h+$', 'xyz')).toBeUndefined();
      expect(matches('^\\H+$', 'xyz')).toBe('xyz');
    });

    it('keeps \\w, \\d and \\s ASCII, as Ruby does', () => {
      expect(matches('^\\w+$', 'café')).toBeUndefined();
      expect(matches('^\\d+$', '٣')).toBeUndefined();
      expect(matches('^\\s$', '\u00a0')).toBeUndefined();
      expect(matches('^\\s+$', ' \t\r\n\f\v')).toBe(' \t\r\n\f\v');
    });

    it('reads POSIX brackets and \\p{…} with Unicode meanings', () => {
      expect(matches('^[[:alpha:]]+$', 'café')).toBe('café');
      expect(matches('^[[:^digit:]]+$', 'abc')).toBe('abc');
      expect(matches('^\\p{Greek}+$', 'λόγος')).toBe('λόγος');
      expect(matches('^\\P{L}+$', '123')).toBe('123');
    });

    it('supports nested classes and intersections', () => {
      expect(matches('^[a-z&&[^aeiou]]+$', 'rhythm')).toBe('rhythm');
      expect(matches('^[a-z&&[^aeiou]]+$', 'vowel')).toBeUndefined();
      expect(matches('^[a[0-9]]+$', 'a1a2')).toBe('a1a2');
    });

    it('takes a - next to a class escape literally, as Ruby does', () => {
      expect(matches('^[\\w-.]+$', 'a-b.c')).toBe('a-b.c');
    });

    it('reads escapes for code points', () => {
      expect(matches('\\x41\\x{42}\\u0043\\0', 'ABC\u0000')).toBe('ABC\u0000');
    });
  });

  describe('options', () => {
    it('lets . match a newline by default, as Logstash does, and not under (?-m)', () => {
      expect(matches('a.b', 'a\nb')).toBe('a\nb');
      expect(matches('(?-m)a.b', 'a\nb')).toBeUndefined();
      expect(matches('(?-m:a.b)', 'a\nb')).toBeUndefined();
    });

    it('folds case under (?i), for the rest of the group including later alternatives', () => {
      expect(matches('(?i)get', 'GeT')).toBe('GeT');
      expect(matches('a(?i)b|c', 'aC')).toBe('aC');
      expect(matches('(?i:é)', 'É')).toBe('É');
      expect(matches('(?i)get(?-i)X', 'GETx')).toBeUndefined();
    });

    it('ignores spaces and comments under (?x)', () => {
      expect(matches('(?x) \\d+  # digits\n - \\d+', '12-34')).toBe('12-34');
    });

    it('passes options on to referenced patterns, as textual expansion does', () => {
      const library = new PatternLibrary({ base: false }).addDefinitions({ VERB: 'get|put' });
      expect(compileGrok(['(?i)%{VERB:verb}'], { library }).match('PUT')?.fields).toEqual({ verb: 'PUT' });
    });
  });

  describe('groups', () => {
    it('captures only named groups; plain groups do not capture', () => {
      const matcher = compileGrok(['(a)(?<[x][y]>b)(?<x.z>c)'], { library: empty });
      expect(matcher.expressions[0]?.regex.source).toBe('(?:a)(b)(c)');
      expect(matcher.match('abc')?.fields).toEqual({ x: { y: 'b', z: 'c' } });
    });

    it('resolves named back-references to the renamed groups', () => {
      expect(matches('(?<[q][open]>["\'])x\\k<[q][open]>', `'x'`)).toBe(`'x'`);
      expect(matches('(?<[q][open]>["\'])x\\k<[q][open]>', `'x"`)).toBeUndefined();
    });

    it('skips (?#comments)', () => {
      expect(matches('a(?#note)b', 'ab')).toBe('ab');
    });
  });

  describe('errors', () => {
    it('rejects constructs it cannot translate, naming them', () => {
      for (const [source, construct] of [
        ['(?~abc)', 'absence operator'],
        ['(a)\\1', 'numbered back-reference \\1'],
        ['\\K', '\\K'],
        ['\\X', '\\X'],
        ['\\g<x>', 'subroutine'],
        ['(?(1)a|b)', 'conditional'],
        ['\\x{1F600}', 'above U+FFFF'],
      ] as const) {
        const error = errorOf(source);
        expect(error.code, source).toBe('GROK_PATTERN_UNSUPPORTED');
        expect(error.message, source).toContain(construct);
      }
    });

    it('reports syntax errors with the character where they are', () => {
      for (const [source, reason] of [
        ['(a', 'unmatched parenthesis at character 1'],
        ['a)', "unmatched ')' at character 2"],
        ['*a', 'target of repeat operator is not specified at character 1'],
        ['[a', 'premature end of char-class at character 1'],
        ['[z-a]', 'empty range in char class at character 3'],
        ['a{3,2}', 'upper bound must be greater'],
        ['^*', 'target of repeat operator is invalid'],
      ] as const) {
        const error = errorOf(source);
        expect(error.code, source).toBe('GROK_PATTERN_INVALID');
        expect(error.message, source).toContain(reason);
      }
    });
  });

  it('records where each node came from', () => {
    const tree = parseOnig('ab(?:c)+');
    expect(tree.type).toBe('seq');
    if (tree.type !== 'seq') return;
    expect(tree.items.map((item) => [item.type, item.start, item.end])).toEqual([
      ['set', 0, 1],
      ['set', 1, 2],
      ['repeat', 2, 8],
    ]);
  });
});
