/**
 * Golden samples for Vigil's vendor grok pattern files (every file of
 * processor/parsers/grok/patterns/ except base.grok, which has its own test):
 * every pattern they define has samples in test/fixtures/grok-patterns.yaml
 * that it must match whole, and may have samples it must not match. Every
 * pattern must also be safe: no ambiguous repetition, and runnable by V8's
 * linear-time engine.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { compileExpression } from '../../../../processor/parsers/grok/compiler.ts';
import { compileGrok } from '../../../../processor/parsers/grok/matcher.ts';
import { PatternLibrary } from '../../../../processor/parsers/grok/pattern-library.ts';

const PATTERNS_DIR = fileURLToPath(new URL('../../../../processor/parsers/grok/patterns/', import.meta.url));
const SAMPLES_FILE = fileURLToPath(new URL('../../../fixtures/grok-patterns.yaml', import.meta.url));

interface Samples {
  match: string[];
  no_match?: string[];
}

const vendorFiles = readdirSync(PATTERNS_DIR)
  .filter((name) => name.endsWith('.grok') && name !== 'base.grok')
  .sort();

/** Pattern name → the vendor file that defines it. */
const defined = new Map<string, string>();
const duplicates: string[] = [];
for (const file of vendorFiles) {
  for (const m of readFileSync(join(PATTERNS_DIR, file), 'utf8').matchAll(/^([A-Za-z0-9_]+)\s/gm)) {
    const name = m[1] as string;
    const earlier = defined.get(name);
    if (earlier !== undefined) duplicates.push(`${name} (${earlier} and ${file})`);
    defined.set(name, file);
  }
}

const library = new PatternLibrary({ base: false }).addDirectory(PATTERNS_DIR);
const samples = parse(readFileSync(SAMPLES_FILE, 'utf8')) as Record<string, Samples>;

/** The whole sample must match: anchored at the start by the matcher, at the end by `$`. */
function wholeMatcher(name: string) {
  return compileGrok([`^%{${name}}$`], { library, anchor: 'start' });
}

describe('vendor grok pattern files', () => {
  it('exist and each starts with a comment saying what it is for', () => {
    expect(vendorFiles.length).toBeGreaterThan(0);
    for (const file of vendorFiles) {
      expect(readFileSync(join(PATTERNS_DIR, file), 'utf8').startsWith('# '), file).toBe(true);
    }
  });

  it('load without problems, with the base patterns first', () => {
    expect(library.validate()).toEqual([]);
  });

  it('define each name once and do not redefine a base pattern', () => {
    expect(duplicates).toEqual([]);
    const base = new PatternLibrary();
    expect([...defined.keys()].filter((name) => base.has(name))).toEqual([]);
  });

  it('have samples for every pattern they define, and no samples for patterns they do not', () => {
    expect([...defined.keys()].filter((name) => !(name in samples))).toEqual([]);
    expect(Object.keys(samples).filter((name) => !defined.has(name))).toEqual([]);
  });

  it.each([...defined.keys()])(
    '%s runs on the linear-time engine and has no ambiguous repetition',
    (name) => {
      const compiled = compileExpression(`%{${name}}`, { library });
      expect(compiled.safety.linearFallbackBlocker, name).toBeUndefined();
      expect(
        compiled.safety.ambiguousLoops.map((loop) => loop.text),
        name,
      ).toEqual([]);
    },
  );

  it.each(Object.entries(samples))('%s matches its samples whole and rejects the others', (name, entry) => {
    expect(entry.match.length, `${name} needs at least one sample it matches`).toBeGreaterThan(0);
    const grok = wholeMatcher(name);
    for (const sample of entry.match) {
      expect(grok.match(sample), `${name} on ${JSON.stringify(sample)}`).toBeDefined();
    }
    for (const sample of entry.no_match ?? []) {
      expect(grok.match(sample), `${name} on ${JSON.stringify(sample)}`).toBeUndefined();
    }
  });
});
