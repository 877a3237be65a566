import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { isVigilError, type VigilError } from '../../../../../core/errors.ts';
import { enableLinearFallback } from '../../../../../processor/parsers/grok/budget.ts';
import { compileExpression } from '../../../../../processor/parsers/grok/compiler.ts';
import { compileGrok } from '../../../../../processor/parsers/grok/matcher.ts';
import { parseOnig } from '../../../../../processor/parsers/grok/onig.ts';
import { PatternLibrary } from '../../../../../processor/parsers/grok/pattern-library.ts';
import { analyseSafety } from '../../../../../processor/parsers/grok/safety.ts';

const empty = new PatternLibrary({ base: false });
const unsafeFile = fileURLToPath(new URL('../../../../fixtures/grok/unsafe.grok', import.meta.url));

function ambiguous(source: string): string[] {
  return analyseSafety(parseOnig(source), { source: 'test', text: source }).ambiguousLoops.map(
    (loop) => loop.text,
  );
}

function thrown(action: () => unknown): VigilError {
  try {
    action();
  } catch (error) {
    if (isVigilError(error)) return error;
    throw error;
  }
  throw new Error('nothing was thrown');
}

describe('the ambiguity check', () => {
  it.each([
    ['(a+)+', '(a+)+'],
    ['(a|a)*', '(a|a)*'],
    ['(\\w+\\s?)*$', '(\\w+\\s?)*'],
    ['(?:a*)*b', '(?:a*)*'],
    ['(x\\w+)+', '(x\\w+)+'],
    ['(\\s*\\w+)+', '(\\s*\\w+)+'],
    ['(?:[^"]|\\\\.)*"', '(?:[^"]|\\\\.)*'],
    ['(.*a){20}', '(.*a){20}'],
    ['[A-Za-z]([A-Za-z0-9+\\-.]+)+', '([A-Za-z0-9+\\-.]+)+'],
    ['(?>(a|a)*b)', '(a|a)*'],
  ])('flags %s', (source, loop) => {
    expect(ambiguous(source)).toEqual([loop]);
  });

  it.each([
    '(?:/[a-z]*)+',
    '(a|ab)*c',
    '"[^"\\\\]*(?:\\\\.[^"\\\\]*)*"',
    '(?:[0-9]{1,3}\\.){3}',
    '[0-9A-Za-z]+(?:\\.[0-9A-Za-z-]*)*',
    '(?>a+)+',
    '(?:a++)+',
    '(?>"(?>\\\\.|[^\\\\"]+)+")',
    "(?:%[0-9a-fA-F]{2}|[0-9A-Za-z()+,.:=@;$_!*'/?#-])+",
    '(a|a){16}',
    '\\w*\\w*\\w*x',
  ])('does not flag %s', (source) => {
    expect(ambiguous(source)).toEqual([]);
  });
});

describe("V8's linear-time fallback", () => {
  /**
   * Whether V8 really hands `source` to its linear engine: a catastrophic
   * alternative placed first takes ~1 ms when it does, and hundreds of
   * milliseconds when V8 keeps backtracking (2^25 ways, in native code:
   * the first run, in V8's bytecode interpreter, is left out).
   */
  function v8TakesOver(source: string): boolean {
    enableLinearFallback();
    const probe = new RegExp(`^(?:a|a)*!|(?:${source})`);
    probe.exec('!');
    const started = performance.now();
    probe.exec('a'.repeat(25));
    return performance.now() - started < 50;
  }

  it.each([
    ['\\d+ \\w+', true],
    ['(?<![0-9])\\d+\\b', true],
    ['(?<=(?<n>x))y', false],
    ['x(?=y)', false],
    ['(?!y)x', false],
    ['(?>a+)b', false],
    ['a++b', false],
    ['(?<n>a)\\k<n>', false],
    ['x{16}', true],
    ['x{17}', false],
    ['x{16,}', true],
    ['x{17,}', false],
    ['(?:x{2}){8}', true],
    ['(?:x{2}){9}', false],
    ['(?:x+){0,9}', true],
    ['(?:x{0,9})+', false],
    ['(?:x{0,8}){0,2}', true],
    ['(?:x{0,8}){0,3}', false],
    ['bar\\Z', false],
    ['.*?x', true],
  ])('is predicted correctly for %s', (source, expected) => {
    const compiled = compileExpression(source, { library: empty, unsafe: 'allow' });
    expect(compiled.safety.linearFallback).toBe(expected);
    expect(v8TakesOver(compiled.regex.source)).toBe(expected);
  });

  it('is predicted for the base patterns as V8 does it', () => {
    const library = new PatternLibrary();
    const compiled = compileExpression('%{IPORHOST} %{HTTPDATE} %{QS} %{URI} %{TIMESTAMP_ISO8601}', {
      library,
    });
    expect(compiled.safety.linearFallback).toBe(true);
    expect(v8TakesOver(compiled.regex.source)).toBe(true);
  });
});

describe('catastrophic expressions', () => {
  const library = new PatternLibrary().addFile(unsafeFile);

  it('are rejected at load when V8 cannot take them over, naming the repetition, pattern, file and line', () => {
    const error = thrown(() => compileGrok(['(?=\\w)%{SLOW_WORDS}$'], { library }));
    expect(error.code).toBe('GROK_PATTERN_UNSAFE');
    expect(error.exitCode).toBe(2);
    expect(error.message).toContain(`the repetition (\\w+\\s?)* in pattern SLOW_WORDS (${unsafeFile}:2)`);
    expect(error.message).toContain('a look-ahead');
  });

  it('are rejected when the linear fallback is switched off', () => {
    const error = thrown(() => compileGrok(['^%{SLOW_NESTED}$'], { library, linearFallback: false }));
    expect(error.code).toBe('GROK_PATTERN_UNSAFE');
    expect(error.message).toContain("V8's linear-time engine is switched off");
  });

  it('run in linear time when V8 can take them over, so a hostile line does not stall', () => {
    const grok = compileGrok(['^%{SLOW_WORDS}$', '^%{SLOW_NESTED}$'], { library });
    expect(grok.stats().map((s) => s.guard)).toEqual(['linear-fallback', 'linear-fallback']);
    const started = performance.now();
    expect(grok.match(`${'word '.repeat(2_000)}!`)).toBeUndefined();
    expect(grok.match(`${'a'.repeat(5_000)}!`)).toBeUndefined();
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(grok.match('a few words')?.patternIndex).toBe(0);
  });

  it('compile when explicitly allowed, and are then guarded by the time budget', () => {
    const grok = compileGrok(['(?=\\w)%{SLOW_WORDS}$'], { library, unsafe: 'allow' });
    expect(grok.stats()[0]?.guard).toBe('time-budget');
  });

  it('exist nowhere in the base patterns, which all run on the linear engine', () => {
    const base = new PatternLibrary();
    const text = readFileSync(
      fileURLToPath(new URL('../../../../../processor/parsers/grok/patterns/base.grok', import.meta.url)),
      'utf8',
    );
    const names = [...text.matchAll(/^([A-Z0-9_]+) /gm)].map((m) => m[1] as string);
    expect(names.length).toBeGreaterThan(50);
    for (const name of names) {
      const compiled = compileExpression(`%{${name}}`, { library: base });
      expect(compiled.safety.ambiguousLoops, name).toEqual([]);
      expect(compiled.safety.linearFallbackBlocker, name).toBeUndefined();
    }
  });
});
