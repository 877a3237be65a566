/**
 * Compiles one grok expression (`%{IP:source.ip} %{WORD}…`) into one native
 * RegExp: references are expanded recursively from the pattern library, the
 * Oniguruma syntax is printed as JavaScript (onig.ts has the semantics), and
 * named captures become a precomputed list of (group, field path, type)
 * turned into a specialised extractor (fields.ts).
 *
 * Printing rules worth knowing:
 * - Only fields capture. `%{NAME}` and plain groups print as `(?:…)`.
 * - Atomic groups `(?>X)` print as `(?:(?=(X))\N)` and possessive `X*+` as
 *   `(?:(?=(X*))\N)`: the look-ahead matches once, the back-reference
 *   consumes what it matched and cannot give it back. The hidden group
 *   numbers are skipped by the field list.
 * - `\Z` prints as `(?=\n?$)`.
 * - The regex has no flags. `anchor: 'start'` prints `^(?:…)`, so V8 tries
 *   only position 0 and rejects a non-matching line at its first byte;
 *   `anchor: 'none'` searches the whole line, as Logstash does.
 */
import { VigilError } from '../../../core/errors.ts';
import { CharSet } from './charset.ts';
import {
  buildExtractor,
  type Extractor,
  type FieldCapture,
  type FieldType,
  findPathConflict,
  parseFieldPath,
  parseFieldType,
  TYPE_NAMES,
} from './fields.ts';
import {
  nullable,
  type OnigFlags,
  type OnigNode,
  OnigSyntaxError,
  OnigUnsupportedError,
  type PatternOrigin,
  parseOnig,
} from './onig.ts';
import {
  describeDefinition,
  type PatternDefinition,
  type PatternLibrary,
  regexError,
} from './pattern-library.ts';
import { analyseSafety, type SafetyReport } from './safety.ts';

export type GrokAnchor = 'start' | 'none';

export interface CompileExpressionOptions {
  library: PatternLibrary;
  /** `start`: the expression must match at the start of the line; `none`: anywhere (default). */
  anchor?: GrokAnchor;
  /** Keep fields whose capture matched the empty string (default false). */
  keepEmptyCaptures?: boolean;
  /**
   * What to do with an expression that can backtrack catastrophically
   * (safety.ts) and that V8's linear-time engine cannot take over:
   * `reject` (default) throws GROK_PATTERN_UNSAFE; `allow` compiles it.
   */
  unsafe?: 'reject' | 'allow';
  /** Whether V8's linear-time fallback is switched on (budget.ts; default true). */
  linearFallback?: boolean;
}

export interface CompiledExpression {
  /** The expression as given. */
  text: string;
  regex: RegExp;
  captures: readonly FieldCapture[];
  extract: Extractor;
  safety: SafetyReport;
  /**
   * When every match starts at the start of the line: the characters a
   * matching line can start with. Lets a matcher reject a line of another
   * format from its first character, without calling the regex.
   */
  firstChars: CharSet | undefined;
  /** The expression after expansion, for diagnostics. */
  tree: OnigNode;
}

const EXPRESSION_SOURCE = 'expression';

export function compileExpression(text: string, options: CompileExpressionOptions): CompiledExpression {
  const origin: PatternOrigin = { source: EXPRESSION_SOURCE, text };
  let parsed: OnigNode;
  try {
    parsed = parseOnig(text);
  } catch (error) {
    if (error instanceof OnigSyntaxError || error instanceof OnigUnsupportedError) {
      throw regexError(error, { source: EXPRESSION_SOURCE, text });
    }
    throw error;
  }
  const tree = new Expander(options.library, text).expand(parsed, origin);
  const printer = new Printer(text);
  const body = printer.print(tree);
  const source = printer.resolveBackrefs(options.anchor === 'start' ? `^(?:${body})` : body);

  const conflict = findPathConflict(printer.captures);
  if (conflict) {
    throw new VigilError('GROK_PATTERN_INVALID', `Grok expression ${JSON.stringify(text)}: ${conflict}.`);
  }

  let regex: RegExp;
  try {
    regex = new RegExp(source);
  } catch (error) {
    throw new VigilError(
      'GROK_PATTERN_UNSUPPORTED',
      `Grok expression ${JSON.stringify(text)} translates to a regular expression JavaScript rejects: ${(error as Error).message}`,
      { cause: error },
    );
  }

  const safety = analyseSafety(tree, origin);
  const fallback = (options.linearFallback ?? true) && safety.linearFallback;
  if ((options.unsafe ?? 'reject') === 'reject' && safety.ambiguousLoops.length > 0 && !fallback) {
    const loop = safety.ambiguousLoops[0] as SafetyReport['ambiguousLoops'][number];
    const where =
      loop.origin.name === undefined
        ? 'in the expression'
        : `in pattern ${describeDefinition({ name: loop.origin.name, source: loop.origin.source, ...(loop.origin.line === undefined ? {} : { line: loop.origin.line }) })}`;
    const why = safety.linearFallbackBlocker
      ? `V8's linear-time engine cannot take over because the expression uses ${safety.linearFallbackBlocker}`
      : "V8's linear-time engine is switched off";
    throw new VigilError(
      'GROK_PATTERN_UNSAFE',
      `Grok expression ${JSON.stringify(text)} can backtrack catastrophically: the repetition ${loop.text} ${where} ` +
        `can match the same text in exponentially many ways, and ${why}. ` +
        'Make the repetition unambiguous, or its inner part atomic (?>…) or possessive (++).',
      { details: { expression: text, repetition: loop.text, pattern: loop.origin.name } },
    );
  }

  const anchored = options.anchor === 'start' || startsAnchored(tree);
  const leading = anchored ? leadingChars(tree) : undefined;
  return {
    text,
    regex,
    captures: printer.captures,
    extract: buildExtractor(printer.captures, { keepEmptyCaptures: options.keepEmptyCaptures ?? false }),
    safety,
    firstChars: leading && !leading.nullable ? leading.set : undefined,
    tree,
  };
}

/** Whether every alternative of the expression begins with `^` or `\A`. */
function startsAnchored(node: OnigNode): boolean {
  switch (node.type) {
    case 'assert':
      return node.kind === 'start';
    case 'seq':
      return node.items[0] !== undefined && startsAnchored(node.items[0]);
    case 'alt':
      return node.branches.every(startsAnchored);
    case 'group':
      return node.kind === 'group' && startsAnchored(node.body);
    case 'capture':
    case 'ref':
      return startsAnchored(node.body);
    default:
      return false;
  }
}

/**
 * The characters a match can start with, and whether it can be empty;
 * undefined when that cannot be known (a back-reference first).
 * Look-arounds are taken as matching nothing, which only widens the set.
 */
function leadingChars(node: OnigNode): { set: CharSet; nullable: boolean } | undefined {
  switch (node.type) {
    case 'set':
      return { set: node.set, nullable: false };
    case 'assert':
      return { set: CharSet.EMPTY, nullable: true };
    case 'backref':
    case 'grok':
      return undefined;
    case 'seq': {
      let set = CharSet.EMPTY;
      for (const item of node.items) {
        const leading = leadingChars(item);
        if (!leading) return undefined;
        set = set.union(leading.set);
        if (!leading.nullable) return { set, nullable: false };
      }
      return { set, nullable: true };
    }
    case 'alt': {
      let set = CharSet.EMPTY;
      let isNullable = false;
      for (const branch of node.branches) {
        const leading = leadingChars(branch);
        if (!leading) return undefined;
        set = set.union(leading.set);
        isNullable ||= leading.nullable;
      }
      return { set, nullable: isNullable };
    }
    case 'group':
      return node.kind === 'group' || node.kind === 'atomic'
        ? leadingChars(node.body)
        : { set: CharSet.EMPTY, nullable: true };
    case 'capture':
    case 'ref':
      return leadingChars(node.body);
    case 'repeat': {
      if (node.max === 0) return { set: CharSet.EMPTY, nullable: true };
      const leading = leadingChars(node.body);
      return leading && { set: leading.set, nullable: leading.nullable || node.min === 0 };
    }
  }
}

function flagsKey(flags: OnigFlags): string {
  return `${flags.ignoreCase ? 'i' : ''}${flags.dotAll ? 'm' : ''}${flags.extended ? 'x' : ''}`;
}

/** Replaces grok references by the trees of the patterns they name, recursively. */
class Expander {
  readonly #library: PatternLibrary;
  /** Patterns defined inside the expression with `%{NAME=regex}`. */
  readonly #inline = new Map<string, PatternDefinition>();
  readonly #cache = new Map<string, OnigNode>();
  readonly #stack: string[] = [];
  readonly #expression: string;

  constructor(library: PatternLibrary, expression: string) {
    this.#library = library;
    this.#expression = expression;
  }

  expand(node: OnigNode, origin: PatternOrigin): OnigNode {
    switch (node.type) {
      case 'seq':
        return { ...node, items: node.items.map((item) => this.expand(item, origin)) };
      case 'alt':
        return { ...node, branches: node.branches.map((branch) => this.expand(branch, origin)) };
      case 'group':
      case 'repeat':
        return { ...node, body: this.expand(node.body, origin) };
      case 'capture':
        this.#checkField(node.name, undefined, origin, node.start, node.end);
        return { ...node, body: this.expand(node.body, origin) };
      case 'grok':
        return this.#reference(node, origin);
      default:
        return node;
    }
  }

  #reference(node: Extract<OnigNode, { type: 'grok' }>, origin: PatternOrigin): OnigNode {
    if (node.definition !== undefined) {
      this.#inline.set(node.pattern, {
        name: node.pattern,
        body: node.definition,
        source: `inline definition in ${JSON.stringify(this.#expression)}`,
      });
    }
    const definition = this.#inline.get(node.pattern) ?? this.#library.get(node.pattern);
    const written = origin.text.slice(node.start, node.end);
    if (!definition) {
      throw new VigilError(
        'GROK_PATTERN_INVALID',
        `${describeOrigin(origin)} refers to unknown pattern ${written}.`,
        { details: { pattern: node.pattern, expression: this.#expression } },
      );
    }
    if (this.#stack.includes(node.pattern)) {
      throw new VigilError(
        'GROK_PATTERN_INVALID',
        `Grok pattern ${describeDefinition(definition)} refers to itself: ${[...this.#stack, node.pattern].join(' → ')}.`,
        { details: { pattern: node.pattern } },
      );
    }
    if (node.field !== undefined) this.#checkField(node.field, node.fieldType, origin, node.start, node.end);
    else if (node.fieldType !== undefined) {
      throw new VigilError(
        'GROK_PATTERN_INVALID',
        `${describeOrigin(origin)}: ${written} has a type but no field name.`,
      );
    }

    const key = `${node.pattern}\u0000${flagsKey(node.flags)}\u0000${definition.body}\u0000${definition.source}`;
    let body = this.#cache.get(key);
    if (!body) {
      const inner: PatternOrigin = {
        name: definition.name,
        source: definition.source,
        ...(definition.line === undefined ? {} : { line: definition.line }),
        text: definition.body,
      };
      let parsed: OnigNode;
      try {
        parsed = parseOnig(definition.body, { flags: node.flags });
      } catch (error) {
        if (error instanceof OnigSyntaxError || error instanceof OnigUnsupportedError) {
          throw regexError(error, definition);
        }
        throw error;
      }
      this.#stack.push(node.pattern);
      body = this.expand(parsed, inner);
      this.#stack.pop();
      this.#cache.set(key, body);
    }
    const originOfBody: PatternOrigin = {
      name: definition.name,
      source: definition.source,
      ...(definition.line === undefined ? {} : { line: definition.line }),
      text: definition.body,
    };
    const ref: OnigNode = {
      type: 'ref',
      pattern: node.pattern,
      body,
      origin: originOfBody,
      start: node.start,
      end: node.end,
    };
    if (node.field !== undefined) ref.field = node.field;
    if (node.fieldType !== undefined) ref.fieldType = node.fieldType;
    return ref;
  }

  #checkField(
    name: string,
    type: string | undefined,
    origin: PatternOrigin,
    start: number,
    end: number,
  ): void {
    const path = parseFieldPath(name);
    const written = origin.text.slice(start, end);
    if (typeof path === 'string') {
      throw new VigilError('GROK_PATTERN_INVALID', `${describeOrigin(origin)}: ${written}: ${path}.`);
    }
    if (type !== undefined && parseFieldType(type) === undefined) {
      throw new VigilError(
        'GROK_PATTERN_INVALID',
        `${describeOrigin(origin)}: ${written} has unknown type "${type}"; expected one of ${TYPE_NAMES.join(', ')}.`,
      );
    }
  }
}

function describeOrigin(origin: PatternOrigin): string {
  if (origin.name === undefined) return `Grok expression ${JSON.stringify(origin.text)}`;
  return `Grok pattern ${describeDefinition({ name: origin.name, source: origin.source, ...(origin.line === undefined ? {} : { line: origin.line }) })}`;
}

/** Marks a back-reference's group name in printed source until group numbers are known (never printed raw otherwise). */
const BACKREF_MARK = '\uE000';

/** Prints an expanded tree as JavaScript regex source, numbering capture groups as it goes. */
class Printer {
  groups = 0;
  readonly captures: FieldCapture[] = [];
  /** How many optional constructs (alternatives, `?`/`*` repetitions, look-arounds) enclose the node printed. */
  #optional = 0;
  readonly #names = new Map<string, number>();
  readonly #expression: string;

  constructor(expression: string) {
    this.#expression = expression;
  }

  print(node: OnigNode): string {
    switch (node.type) {
      case 'seq':
        return node.items.map((item) => this.print(item)).join('');
      case 'alt':
        return this.#optionally(() => node.branches.map((branch) => this.print(branch)).join('|'));
      case 'set':
        return node.set.toRegExpSource();
      case 'assert':
        switch (node.kind) {
          case 'start':
            return '^';
          case 'end':
            return '$';
          case 'end-or-final-newline':
            return '(?=\\n?$)';
          case 'word-boundary':
            return '\\b';
          case 'not-word-boundary':
            return '\\B';
        }
        return '';
      case 'group':
        switch (node.kind) {
          case 'group':
            return `(?:${this.print(node.body)})`;
          case 'atomic': {
            const hidden = ++this.groups;
            return `(?:(?=(${this.print(node.body)}))\\${hidden})`;
          }
          case 'lookahead':
            return `(?=${this.#optionally(() => this.print(node.body))})`;
          case 'negative-lookahead':
            return `(?!${this.#optionally(() => this.print(node.body))})`;
          case 'lookbehind':
            return `(?<=${this.#optionally(() => this.print(node.body))})`;
          case 'negative-lookbehind':
            return `(?<!${this.#optionally(() => this.print(node.body))})`;
        }
        return '';
      case 'capture':
        return this.#capture(node.name, undefined, node.body);
      case 'ref':
        return node.field === undefined
          ? `(?:${this.print(node.body)})`
          : this.#capture(node.field, node.fieldType, node.body);
      case 'repeat': {
        const quantifier = this.#quantifier(node.min, node.max) + (node.mode === 'lazy' ? '?' : '');
        const print = () => this.#atom(node.body);
        if (node.mode === 'possessive') {
          const hidden = ++this.groups;
          return `(?:(?=(${node.min === 0 ? this.#optionally(print) : print()}${quantifier}))\\${hidden})`;
        }
        return (node.min === 0 ? this.#optionally(print) : print()) + quantifier;
      }
      case 'backref':
        return `(?:\\${BACKREF_MARK}${node.name}${BACKREF_MARK})`;
      case 'grok':
        throw new Error(`internal: unexpanded grok reference %{${node.pattern}}`);
    }
  }

  #optionally(print: () => string): string {
    this.#optional++;
    try {
      return print();
    } finally {
      this.#optional--;
    }
  }

  #capture(name: string, type: string | undefined, body: OnigNode): string {
    const group = ++this.groups;
    const path = parseFieldPath(name) as string[];
    this.captures.push({
      group,
      name,
      path,
      type: (type === undefined ? 'string' : parseFieldType(type)) as FieldType,
      required: this.#optional === 0 && !nullable(body),
    });
    this.#names.set(name, group);
    return `(${this.print(body)})`;
  }

  /** The body of a repetition as one regex atom. */
  #atom(body: OnigNode): string {
    const printed = this.print(body);
    const atomic =
      body.type === 'set' ||
      body.type === 'capture' ||
      body.type === 'ref' ||
      (body.type === 'group' && (body.kind === 'group' || body.kind === 'atomic'));
    return atomic ? printed : `(?:${printed})`;
  }

  #quantifier(min: number, max: number): string {
    if (min === 0 && max === Number.POSITIVE_INFINITY) return '*';
    if (min === 1 && max === Number.POSITIVE_INFINITY) return '+';
    if (min === 0 && max === 1) return '?';
    if (max === Number.POSITIVE_INFINITY) return `{${min},}`;
    return min === max ? `{${min}}` : `{${min},${max}}`;
  }

  resolveBackrefs(source: string): string {
    // Between marks, at odd positions: group names.
    return source
      .split(BACKREF_MARK)
      .map((part, i) => {
        if (i % 2 === 0) return part;
        const group = this.#names.get(part);
        if (group === undefined) {
          throw new VigilError(
            'GROK_PATTERN_INVALID',
            `Grok expression ${JSON.stringify(this.#expression)} has a back-reference \\k<${part}> to a group that does not exist.`,
          );
        }
        return String(group);
      })
      .join('');
  }
}
