import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { isVigilError, type VigilError } from '../../../../../core/errors.ts';
import { compileGrok } from '../../../../../processor/parsers/grok/matcher.ts';
import { PatternLibrary } from '../../../../../processor/parsers/grok/pattern-library.ts';

const fixture = (name: string) =>
  fileURLToPath(new URL(`../../../../fixtures/grok/${name}`, import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'vigil-grok-library-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function thrown(action: () => unknown): VigilError {
  try {
    action();
  } catch (error) {
    if (isVigilError(error)) return error;
    throw error;
  }
  throw new Error('nothing was thrown');
}

describe('PatternLibrary', () => {
  it('loads the base patterns by default', () => {
    const library = new PatternLibrary();
    for (const name of [
      'USERNAME',
      'INT',
      'NUMBER',
      'IP',
      'IPV6',
      'HOSTNAME',
      'HTTPDATE',
      'QUOTEDSTRING',
      'TIME',
    ]) {
      expect(library.has(name), name).toBe(true);
    }
    expect(new PatternLibrary({ base: false }).size).toBe(0);
  });

  it('reads one NAME regex per line, skipping comments and blank lines, keeping the regex as written', () => {
    const library = new PatternLibrary({ base: false }).addText(
      '# comment\n\n  # indented comment\nA \\d+\nB\t\t%{A}  x \nC  #not a comment\n',
      'inline.grok',
    );
    expect(library.names()).toEqual(['A', 'B', 'C']);
    expect(library.get('B')).toEqual({ name: 'B', body: '%{A}  x ', source: 'inline.grok', line: 5 });
    expect(library.get('C')?.body).toBe('#not a comment');
  });

  it('accepts Windows line endings and a byte-order mark', () => {
    const file = join(tmp, 'crlf.grok');
    writeFileSync(file, '\uFEFFA \\d+\r\nB x\r\n');
    const library = new PatternLibrary({ base: false }).addFile(file);
    expect(library.get('A')?.body).toBe('\\d+');
    expect(library.get('B')).toMatchObject({ body: 'x', line: 2 });
  });

  it('reports every malformed line of a file with its file and line, and adds nothing from it', () => {
    const library = new PatternLibrary({ base: false });
    const error = thrown(() => library.addFile(fixture('broken.grok')));
    expect(error.code).toBe('GROK_PATTERN_INVALID');
    expect(error.exitCode).toBe(2);
    expect(error.message).toContain('has 3 problems');
    expect(error.message).toContain(
      `${fixture('broken.grok')}:3: expected "NAME regex", found only "ONLYNAME"`,
    );
    expect(error.message).toContain(`${fixture('broken.grok')}:5: invalid pattern name "BAD-NAME"`);
    expect(error.message).toContain(`${fixture('broken.grok')}:6: pattern EMPTY has no regular expression`);
    expect(library.size).toBe(0);
  });

  it('says which file cannot be read', () => {
    const error = thrown(() => new PatternLibrary().addFile(join(tmp, 'missing.grok')));
    expect(error.code).toBe('GROK_PATTERN_INVALID');
    expect(error.message).toContain(`Cannot read grok pattern file ${join(tmp, 'missing.grok')}`);
  });

  it('loads every file of a folder in name order, skipping hidden files; later definitions win', () => {
    const library = new PatternLibrary().addDirectory(fixture('dir'));
    expect(library.has('IGNORED')).toBe(false);
    expect(library.get('WORD')).toMatchObject({ body: '[a-z]+', line: 2 });
    const grok = compileGrok(['%{CONNECT}'], { library });
    expect(grok.match('connect to db.example.org:5432 as app')?.fields).toEqual({
      destination: { address: 'db.example.org', port: 5432 },
      user: { name: 'app' },
    });
    expect(grok.match('connect to db.example.org:5432 as APP')).toBeUndefined();
  });

  it('adds inline pattern_definitions, which override earlier ones', () => {
    const library = new PatternLibrary().addDefinitions({ INT: '[0-9]{3}', APP_ID: 'app-%{INT}' });
    expect(library.get('APP_ID')).toEqual({
      name: 'APP_ID',
      body: 'app-%{INT}',
      source: 'pattern_definitions',
    });
    const grok = compileGrok(['%{APP_ID:id}'], { library });
    expect(grok.match('app-123')?.fields).toEqual({ id: 'app-123' });
    expect(grok.match('app-12')).toBeUndefined();
  });

  it('rejects inline definitions with bad names or no regex', () => {
    const error = thrown(() => new PatternLibrary().addDefinitions({ 'bad name': 'x', EMPTY: '' }));
    expect(error.code).toBe('GROK_PATTERN_INVALID');
    expect(error.message).toContain('invalid pattern name "bad name"');
    expect(error.message).toContain('pattern EMPTY has no regular expression');
  });

  it('names the pattern, file and line when a used pattern has a bad regex', () => {
    const file = join(tmp, 'bad-regex.grok');
    writeFileSync(file, 'FINE x\nBROKEN (a|b\nUSES %{BROKEN}\n');
    const library = new PatternLibrary().addFile(file);
    // Loading succeeds: regexes are parsed when used, as in Logstash.
    const error = thrown(() => compileGrok(['%{USES}'], { library }));
    expect(error.code).toBe('GROK_PATTERN_INVALID');
    expect(error.message).toContain(`Grok pattern BROKEN (${file}:2) is not a valid regular expression`);
    expect(error.message).toContain('at character 1 of "(a|b"');
  });

  it('names the pattern, file and line of untranslatable syntax', () => {
    const file = join(tmp, 'unsupported.grok');
    writeFileSync(file, '# comment\nKEEP foo\\Kbar\n');
    const error = thrown(() => compileGrok(['x %{KEEP}'], { library: new PatternLibrary().addFile(file) }));
    expect(error.code).toBe('GROK_PATTERN_UNSUPPORTED');
    expect(error.message).toContain(`Grok pattern KEEP (${file}:2) uses \\K (keep) at character 4`);
  });

  it('validate() lists every pattern that does not parse or refers to an unknown pattern', () => {
    const library = new PatternLibrary({ base: false }).addText('A (x\nB %{NOPE}\nC \\d+\nD \\X\n', 'v.grok');
    const problems = library.validate().map((e) => [e.code, e.message]);
    expect(problems).toHaveLength(3);
    expect(problems[0]?.[1]).toContain('Grok pattern A (v.grok:1)');
    expect(problems[1]).toEqual([
      'GROK_PATTERN_INVALID',
      'Grok pattern B (v.grok:2) refers to unknown pattern %{NOPE}.',
    ]);
    expect(problems[2]?.[0]).toBe('GROK_PATTERN_UNSUPPORTED');
  });

  it('clones without sharing later additions', () => {
    const base = new PatternLibrary({ base: false }).addDefinitions({ A: 'a' });
    const copy = base.clone().addDefinitions({ B: 'b' });
    expect(base.has('B')).toBe(false);
    expect(copy.names()).toEqual(['A', 'B']);
  });
});
