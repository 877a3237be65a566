import { describe, expect, it } from 'vitest';
import { isVigilError, type VigilError } from '../../../../../core/errors.ts';
import { compileExpression } from '../../../../../processor/parsers/grok/compiler.ts';
import { compileGrok } from '../../../../../processor/parsers/grok/matcher.ts';
import { PatternLibrary } from '../../../../../processor/parsers/grok/pattern-library.ts';

const library = new PatternLibrary();

function fields(expression: string, line: string, lib = library) {
  return compileGrok([expression], { library: lib }).match(line)?.fields;
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

describe('compileExpression', () => {
  it('compiles an expression into one native RegExp without flags', () => {
    const compiled = compileExpression('%{INT:n} %{WORD}', { library });
    expect(compiled.regex).toBeInstanceOf(RegExp);
    expect(compiled.regex.flags).toBe('');
    expect(compiled.regex.source).toBe('([+\\-]?\\d+) (?:\\b\\w+\\b)');
    expect(compiled.captures).toEqual([{ group: 1, name: 'n', path: ['n'], type: 'string', required: true }]);
  });

  it('anchors at the start of the line when asked', () => {
    const anchored = compileExpression('%{INT:n}|%{WORD:w}', { library, anchor: 'start' });
    expect(anchored.regex.source.startsWith('^(?:')).toBe(true);
    expect(anchored.regex.exec('x 12')?.[0]).toBe('x');
    expect(anchored.regex.exec(' 12')).toBeNull();
    const floating = compileExpression('%{INT:n}', { library, anchor: 'none' });
    expect(floating.regex.exec('x 12')?.[0]).toBe('12');
  });

  it('knows which characters an anchored match can start with, so lines of other formats are rejected at once', () => {
    const first = compileExpression('%{IP:ip} %{WORD}', { library, anchor: 'start' }).firstChars;
    expect(first?.has('1'.charCodeAt(0))).toBe(true);
    expect(first?.has(':'.charCodeAt(0))).toBe(true); // ::1
    expect(first?.has('{'.charCodeAt(0))).toBe(false);
    expect(compileExpression('^%{WORD:w}|\\A%{INT:i}', { library }).firstChars?.has('{'.charCodeAt(0))).toBe(
      false,
    );
    // Unanchored, or able to match the empty string: no such shortcut.
    expect(compileExpression('%{IP:ip}', { library }).firstChars).toBeUndefined();
    expect(compileExpression('%{SPACE}%{WORD}', { library, anchor: 'start' }).firstChars?.has(0x20)).toBe(
      true,
    );
    expect(compileExpression('%{DATA:x}', { library, anchor: 'start' }).firstChars).toBeUndefined();
    const grok = compileGrok(['%{INT:n}'], { library, anchor: 'start' });
    expect(['', '{"json": 1}', 'é', '42'].map((line) => grok.match(line)?.fields)).toEqual([
      undefined,
      undefined,
      undefined,
      { n: '42' },
    ]);
  });

  it('expands references recursively and only fields capture', () => {
    const lib = new PatternLibrary({ base: false }).addDefinitions({
      A: '%{B:[inner][b]}-%{C}',
      B: '\\d+',
      C: '(?<[inner][c]>[a-z]+)',
    });
    expect(fields('%{A:outer}', '12-ab', lib)).toEqual({ outer: '12-ab', inner: { b: '12', c: 'ab' } });
  });

  it('reports a reference to an unknown pattern, naming the pattern and file line that makes it', () => {
    const lib = new PatternLibrary().addText('GOOD \\d+\nUSES %{GOOD} %{MISSING}\n', 'app.grok');
    const error = thrown(() => compileExpression('%{USES}', { library: lib }));
    expect(error.code).toBe('GROK_PATTERN_INVALID');
    expect(error.message).toBe('Grok pattern USES (app.grok:2) refers to unknown pattern %{MISSING}.');
  });

  it('reports a pattern that refers to itself', () => {
    const lib = new PatternLibrary({ base: false }).addDefinitions({ A: 'a%{B}', B: 'b%{A}?' });
    const error = thrown(() => compileExpression('%{A}', { library: lib }));
    expect(error.code).toBe('GROK_PATTERN_INVALID');
    expect(error.message).toContain('refers to itself: A → B → A');
  });

  it('supports inline definitions %{NAME:field=regex}, as Logstash does', () => {
    expect(fields('%{CODE:code=[A-Z][A-Z][A-Z]\\d} %{CODE:again}', 'ABC1 XYZ9')).toEqual({
      code: 'ABC1',
      again: 'XYZ9',
    });
    expect(fields('%{PID=\\d+} %{PID:pid:int}', '1 22')).toEqual({ pid: 22 });
  });

  it('rejects an unknown conversion type at load', () => {
    const error = thrown(() => compileExpression('%{INT:port:short}', { library }));
    expect(error.code).toBe('GROK_PATTERN_INVALID');
    expect(error.message).toContain(
      'unknown type "short"; expected one of int, integer, long, float, double, bool, boolean',
    );
  });

  it('rejects a type without a field, malformed references and malformed field names', () => {
    expect(thrown(() => compileExpression('%{INT::int}', { library })).message).toContain('empty field name');
    expect(thrown(() => compileExpression('%{INT:a[b]}', { library })).message).toContain(
      'mixes dots and brackets',
    );
    expect(thrown(() => compileExpression('%{INT:[a]b}', { library })).message).toContain('malformed');
    expect(thrown(() => compileExpression('%{INT:a..b}', { library })).message).toContain('empty part');
    expect(thrown(() => compileExpression('%{INT:__proto__.x}', { library })).message).toContain('__proto__');
    expect(thrown(() => compileExpression('%{not valid}', { library })).message).toContain(
      'malformed grok reference',
    );
  });

  it('rejects a field that is both a value and an object', () => {
    const error = thrown(() => compileExpression('%{INT:source} %{IP:source.ip}', { library }));
    expect(error.message).toContain('field source is a value, but source.ip needs it to be an object');
  });
});

describe('field extraction', () => {
  it('builds nested objects from dotted names and bracketed references alike', () => {
    expect(
      fields('%{IP:source.ip} %{INT:[source][port]:int} %{WORD:[event][action]}', '10.1.2.3 22 login'),
    ).toEqual({
      source: { ip: '10.1.2.3', port: 22 },
      event: { action: 'login' },
    });
  });

  it('converts int, integer and long to integers, float and double to floats, bool and boolean to booleans', () => {
    const expression =
      '%{INT:a:int} %{INT:b:integer} %{INT:c:long} %{NUMBER:d:float} %{NUMBER:e:double} %{WORD:f:bool} %{WORD:g:boolean}';
    expect(fields(expression, '-7 +8 9007199254740 2.5 -0.125 true FALSE')).toEqual({
      a: -7,
      b: 8,
      c: 9007199254740,
      d: 2.5,
      e: -0.125,
      f: true,
      g: false,
    });
  });

  it('converts leniently like Logstash: an integer field keeps the integer part', () => {
    expect(fields('%{NUMBER:n:int}', '12.9')).toEqual({ n: 12 });
  });

  it('leaves out a field whose text does not convert, and counts it', () => {
    const grok = compileGrok(['%{NOTSPACE:n:int} %{NOTSPACE:f:float} %{NOTSPACE:b:bool}'], { library });
    expect(grok.match('- x yes')?.fields).toEqual({});
    expect(grok.stats()[0]?.conversionFailures).toBe(3);
  });

  it('leaves out captures that did not take part or matched nothing, unless empty captures are kept', () => {
    const expression = '%{WORD:verb}(?: %{INT:code})? "%{DATA:note}"';
    expect(fields(expression, 'GET ""')).toEqual({ verb: 'GET' });
    const keep = compileGrok([expression], { library, keepEmptyCaptures: true });
    expect(keep.match('GET ""')?.fields).toEqual({ verb: 'GET', note: '' });
  });

  it('creates no empty objects for optional nested fields', () => {
    expect(fields('%{WORD:a.b}(?: %{INT:c.d})?', 'x')).toEqual({ a: { b: 'x' } });
  });

  it('takes the first capture that took part when a field is captured twice', () => {
    const expression = '(?:%{INT:value:int}|%{WORD:value})';
    expect(fields(expression, '42')).toEqual({ value: 42 });
    expect(fields(expression, 'none')).toEqual({ value: 'none' });
  });

  it('returns fresh objects for every match', () => {
    const grok = compileGrok(['%{WORD:a.b}'], { library });
    const first = grok.match('one')?.fields;
    const second = grok.match('two')?.fields;
    expect(first).toEqual({ a: { b: 'one' } });
    expect(second).toEqual({ a: { b: 'two' } });
    expect(first?.a).not.toBe(second?.a);
  });

  it('gives objects of one expression one hidden class when the same fields are present', () => {
    const grok = compileGrok(['%{WORD:a.b} %{INT:c:int}(?: %{WORD:d})?'], { library });
    const keys = ['x 1', 'y 2', 'z 3 w'].map((line) => Object.keys(grok.match(line)?.fields ?? {}));
    expect(keys).toEqual([
      ['a', 'c'],
      ['a', 'c'],
      ['a', 'c', 'd'],
    ]);
  });
});
