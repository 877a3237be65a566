/**
 * Named grok patterns, loaded from logstash-format pattern files as they are
 * (one `NAME regex` per line, `#` comments, blank lines) and from inline
 * `pattern_definitions`. A later definition of a name replaces an earlier
 * one, so user files loaded after the base library override it, as in
 * Logstash.
 *
 * Loading checks the file format only; a pattern's regex is parsed when an
 * expression first uses it, as Logstash does, so a file may hold patterns
 * this translation cannot handle as long as nothing uses them. `validate()`
 * checks them all (e.g. for `vigil grok test`).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { VigilError } from '../../../core/errors.ts';
import { resourcePath } from '../../../core/resources.ts';
import { OnigSyntaxError, OnigUnsupportedError, parseOnig } from './onig.ts';

export interface PatternDefinition {
  name: string;
  /** The regex, exactly as written after the name (Logstash keeps trailing spaces too). */
  body: string;
  /** The file it came from, or `pattern_definitions`, or another description. */
  source: string;
  /** 1-based line in `source`, when it is a file. */
  line?: number;
}

export interface PatternLibraryOptions {
  /** Load Vigil's base patterns (patterns/base.grok) first (default true). */
  base?: boolean;
}

/** Pattern names as Logstash accepts them. */
const NAME = /^[A-Za-z0-9_]+$/;
const LINE = /^\s*(\S+)\s+([\s\S]*)$/;

export const BASE_PATTERNS_FILE = resourcePath('processor/parsers/grok/patterns/base.grok');

let basePatterns: PatternDefinition[] | undefined;

export class PatternLibrary {
  readonly #patterns = new Map<string, PatternDefinition>();

  constructor(options: PatternLibraryOptions = {}) {
    if (options.base ?? true) {
      basePatterns ??= [...new PatternLibrary({ base: false }).addFile(BASE_PATTERNS_FILE).definitions()];
      for (const definition of basePatterns) this.#patterns.set(definition.name, definition);
    }
  }

  /** Loads a logstash-format pattern file. */
  addFile(path: string): this {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (error) {
      throw new VigilError(
        'GROK_PATTERN_INVALID',
        `Cannot read grok pattern file ${path}: ${(error as Error).message}`,
        { cause: error, details: { file: path } },
      );
    }
    return this.addText(text, path);
  }

  /** Loads every file of a folder (not its sub-folders or hidden files), in name order, like Logstash's `patterns_dir`. */
  addDirectory(dir: string): this {
    let names: string[];
    try {
      names = readdirSync(dir).sort();
    } catch (error) {
      throw new VigilError(
        'GROK_PATTERN_INVALID',
        `Cannot read grok patterns folder ${dir}: ${(error as Error).message}`,
        { cause: error, details: { dir } },
      );
    }
    for (const name of names) {
      if (name.startsWith('.')) continue;
      const path = join(dir, name);
      if (statSync(path).isFile()) this.addFile(path);
    }
    return this;
  }

  /**
   * Loads pattern-file text. Every malformed line is reported, with its line
   * number, in one error; nothing of a malformed text is added.
   */
  addText(text: string, sourceName: string): this {
    const problems: string[] = [];
    const found: PatternDefinition[] = [];
    const lines = text.replace(/^\uFEFF/, '').split('\n');
    lines.forEach((raw, index) => {
      const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
      if (/^\s*(#|$)/.test(line)) return;
      const m = LINE.exec(line);
      const lineNumber = index + 1;
      if (!m) {
        problems.push(`${sourceName}:${lineNumber}: expected "NAME regex", found only "${line.trim()}"`);
        return;
      }
      const [, name, body] = m as unknown as [string, string, string];
      if (!NAME.test(name)) {
        problems.push(
          `${sourceName}:${lineNumber}: invalid pattern name "${name}": use letters, digits and underscores`,
        );
        return;
      }
      if (body.trim() === '') {
        problems.push(`${sourceName}:${lineNumber}: pattern ${name} has no regular expression`);
        return;
      }
      found.push({ name, body, source: sourceName, line: lineNumber });
    });
    if (problems.length > 0) {
      throw new VigilError(
        'GROK_PATTERN_INVALID',
        `Grok pattern file ${sourceName} has ${problems.length} problem${problems.length === 1 ? '' : 's'}:\n  ${problems.join('\n  ')}`,
        { details: { file: sourceName, problems } },
      );
    }
    for (const definition of found) this.#patterns.set(definition.name, definition);
    return this;
  }

  /** Adds inline definitions (a pipeline step's `pattern_definitions`). */
  addDefinitions(definitions: Readonly<Record<string, string>>, sourceName = 'pattern_definitions'): this {
    const problems: string[] = [];
    for (const [name, body] of Object.entries(definitions)) {
      if (!NAME.test(name))
        problems.push(`invalid pattern name "${name}": use letters, digits and underscores`);
      else if (typeof body !== 'string' || body === '')
        problems.push(`pattern ${name} has no regular expression`);
    }
    if (problems.length > 0) {
      throw new VigilError(
        'GROK_PATTERN_INVALID',
        `Grok ${sourceName} has ${problems.length} problem${problems.length === 1 ? '' : 's'}:\n  ${problems.join('\n  ')}`,
        { details: { source: sourceName, problems } },
      );
    }
    for (const [name, body] of Object.entries(definitions))
      this.#patterns.set(name, { name, body, source: sourceName });
    return this;
  }

  get(name: string): PatternDefinition | undefined {
    return this.#patterns.get(name);
  }

  has(name: string): boolean {
    return this.#patterns.has(name);
  }

  get size(): number {
    return this.#patterns.size;
  }

  names(): string[] {
    return [...this.#patterns.keys()];
  }

  definitions(): IterableIterator<PatternDefinition> {
    return this.#patterns.values();
  }

  /** A copy that can be extended without changing this library. */
  clone(): PatternLibrary {
    const copy = new PatternLibrary({ base: false });
    for (const definition of this.#patterns.values()) copy.#patterns.set(definition.name, definition);
    return copy;
  }

  /**
   * Parses every pattern's regex and returns the problems (an empty list when
   * all are fine). References to unknown patterns are problems too.
   */
  validate(): VigilError[] {
    const problems: VigilError[] = [];
    for (const definition of this.#patterns.values()) {
      try {
        const refs: string[] = [];
        collectReferences(parseOnig(definition.body), refs);
        const missing = refs.filter((name) => !this.#patterns.has(name));
        if (missing.length > 0) {
          problems.push(
            new VigilError(
              'GROK_PATTERN_INVALID',
              `Grok pattern ${describeDefinition(definition)} refers to unknown pattern${missing.length === 1 ? '' : 's'} ${missing.map((n) => `%{${n}}`).join(', ')}.`,
            ),
          );
        }
      } catch (error) {
        if (error instanceof OnigSyntaxError || error instanceof OnigUnsupportedError) {
          problems.push(regexError(error, definition));
        } else {
          throw error;
        }
      }
    }
    return problems;
  }
}

function collectReferences(node: ReturnType<typeof parseOnig>, out: string[]): void {
  switch (node.type) {
    case 'grok':
      if (node.definition === undefined) out.push(node.pattern);
      return;
    case 'seq':
      for (const item of node.items) collectReferences(item, out);
      return;
    case 'alt':
      for (const branch of node.branches) collectReferences(branch, out);
      return;
    case 'group':
    case 'capture':
    case 'repeat':
    case 'ref':
      collectReferences(node.body, out);
      return;
    default:
      return;
  }
}

/** `NAME (file:line)` or `NAME (pattern_definitions)`. */
export function describeDefinition(definition: { name: string; source: string; line?: number }): string {
  return `${definition.name} (${definition.source}${definition.line === undefined ? '' : `:${definition.line}`})`;
}

/** A parse error of a pattern's regex as a VigilError naming the pattern, its file and line, and the spot. */
export function regexError(
  error: OnigSyntaxError | OnigUnsupportedError,
  where: { name?: string; source: string; line?: number; body?: string; text?: string },
): VigilError {
  const text = where.body ?? where.text ?? '';
  const what =
    where.name === undefined
      ? `Grok expression ${JSON.stringify(text)}`
      : `Grok pattern ${describeDefinition({ name: where.name, source: where.source, ...(where.line === undefined ? {} : { line: where.line }) })}`;
  const spot = `at character ${error.offset + 1} of ${JSON.stringify(text)}`;
  if (error instanceof OnigUnsupportedError) {
    return new VigilError(
      'GROK_PATTERN_UNSUPPORTED',
      `${what} uses ${error.message} ${spot}, which Vigil cannot translate to a JavaScript regular expression${error.hint ? `: ${error.hint}` : ''}.`,
      { details: { pattern: where.name, source: where.source, line: where.line, offset: error.offset } },
    );
  }
  return new VigilError(
    'GROK_PATTERN_INVALID',
    `${what} is not a valid regular expression: ${error.message} ${spot}.`,
    {
      details: { pattern: where.name, source: where.source, line: where.line, offset: error.offset },
    },
  );
}
