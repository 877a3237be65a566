/**
 * Parser for the regular-expression dialect of grok pattern files: Oniguruma
 * with Ruby syntax, as Logstash (jls-grok on JRuby/Joni) reads it, plus grok
 * references `%{NAME:field:type}`. It produces an AST that the compiler
 * expands and prints as a native JavaScript RegExp source (see compiler.ts),
 * and that the safety check (safety.ts) analyses.
 *
 * Semantics follow Logstash, not JavaScript, where they differ:
 * - `\w \d \s \h` and `\b` are ASCII, as in Ruby (`\s` is `[\t\n\v\f\r ]`).
 *   POSIX brackets (`[[:alpha:]]`) and `\p{…}` are Unicode (Basic
 *   Multilingual Plane), as in Ruby.
 * - `.` matches any character including a newline, because Logstash compiles
 *   every grok expression with Ruby's MULTILINE option; `(?-m)` turns that off
 *   (Ruby's `m` flag is JavaScript's `s`).
 * - `(?i)` folds case with Unicode simple case mapping; it is printed as
 *   explicit classes (`[aA]`), so the result needs no flags at all.
 * - Plain groups `( … )` do not capture: only named groups and grok fields
 *   do, as in Ruby when a regex has named groups.
 *
 * One deliberate difference: `^` and `$` anchor at the start and end of the
 * whole message, like `\A` and `\z`. Ruby treats them as line anchors; that
 * matters only for multi-line events, and keeping them message anchors lets
 * V8 reject non-matching lines at once.
 *
 * Oniguruma constructs without a JavaScript equivalent in this translation
 * throw OnigUnsupportedError: absence operator `(?~…)`, conditionals, `\K`,
 * `\X`, subroutine calls `\g<…>`, numbered back-references, `\y` `\Y`, the
 * `(?u)` option and `\C-x`/`\M-x` escapes.
 */
import { CharSet, DIGIT, HEX_DIGIT, MAX_CODE_UNIT, NEWLINE, SPACE, WORD } from './charset.ts';

/** Inline options in effect: Ruby's `i`, `m` (dot matches newline) and `x` (extended). */
export interface OnigFlags {
  ignoreCase: boolean;
  dotAll: boolean;
  extended: boolean;
}

/** Logstash's defaults: MULTILINE on, so `.` matches a newline. */
export const DEFAULT_FLAGS: OnigFlags = { ignoreCase: false, dotAll: true, extended: false };

export type AssertKind = 'start' | 'end' | 'end-or-final-newline' | 'word-boundary' | 'not-word-boundary';
export type GroupKind =
  | 'group'
  | 'atomic'
  | 'lookahead'
  | 'negative-lookahead'
  | 'lookbehind'
  | 'negative-lookbehind';
export type RepeatMode = 'greedy' | 'lazy' | 'possessive';

interface Span {
  /** Offsets of the node in the text it was parsed from. */
  start: number;
  end: number;
}

export type OnigNode =
  | ({ type: 'seq'; items: OnigNode[] } & Span)
  | ({ type: 'alt'; branches: OnigNode[] } & Span)
  | ({ type: 'set'; set: CharSet } & Span)
  | ({ type: 'assert'; kind: AssertKind } & Span)
  | ({ type: 'group'; kind: GroupKind; body: OnigNode } & Span)
  | ({ type: 'capture'; name: string; body: OnigNode } & Span)
  | ({ type: 'repeat'; body: OnigNode; min: number; max: number; mode: RepeatMode } & Span)
  | ({ type: 'backref'; name: string } & Span)
  | ({
      type: 'grok';
      pattern: string;
      field?: string;
      fieldType?: string;
      definition?: string;
      flags: OnigFlags;
    } & Span)
  /** A grok reference after expansion (the compiler makes these; the parser never does). */
  | ({
      type: 'ref';
      pattern: string;
      field?: string;
      fieldType?: string;
      body: OnigNode;
      origin: PatternOrigin;
    } & Span);

/** Where a piece of regex text comes from, for error messages. */
export interface PatternOrigin {
  /** The pattern's name, or undefined for the expression itself. */
  name?: string;
  /** The file, `pattern_definitions`, or another description of where it was defined. */
  source: string;
  /** 1-based line in `source`, when it is a file. */
  line?: number;
  /** The regex text the node offsets refer to. */
  text: string;
}

/** A syntax error, with the offset where it was found. */
export class OnigSyntaxError extends Error {
  readonly offset: number;
  constructor(message: string, offset: number) {
    super(message);
    this.name = 'OnigSyntaxError';
    this.offset = offset;
  }
}

/** Valid Oniguruma that has no translation to JavaScript here. */
export class OnigUnsupportedError extends Error {
  readonly offset: number;
  /** What to write instead, when there is an obvious rewrite. */
  readonly hint: string | undefined;
  constructor(message: string, offset: number, hint?: string) {
    super(message);
    this.name = 'OnigUnsupportedError';
    this.offset = offset;
    this.hint = hint;
  }
}

export interface OnigParseOptions {
  /** Options in effect at the start (a referenced pattern inherits those of its reference). */
  flags?: OnigFlags;
  /** Recognise `%{NAME:field:type}` references (default true). */
  grok?: boolean;
}

/** Largest repeat count Oniguruma accepts. */
const MAX_REPEAT = 100_000;

const GROK_REFERENCE = /%\{([A-Za-z0-9_]+)(?::([^:{}=]*))?(?::([^:{}=]*))?(?:=((?:[^{}\\]|\\.)+))?\}/y;

export function parseOnig(text: string, options: OnigParseOptions = {}): OnigNode {
  return new Parser(text, options.grok ?? true).parse(options.flags ?? DEFAULT_FLAGS);
}

class Parser {
  readonly text: string;
  readonly grok: boolean;
  pos = 0;

  constructor(text: string, grok: boolean) {
    this.text = text;
    this.grok = grok;
  }

  parse(flags: OnigFlags): OnigNode {
    const node = this.alternation(flags);
    if (this.pos < this.text.length) throw new OnigSyntaxError("unmatched ')'", this.pos);
    return node;
  }

  private fail(message: string, at = this.pos): never {
    throw new OnigSyntaxError(message, at);
  }

  private unsupported(message: string, at = this.pos, hint?: string): never {
    throw new OnigUnsupportedError(message, at, hint);
  }

  private alternation(flags: OnigFlags): OnigNode {
    const start = this.pos;
    const branches = [this.sequence(flags)];
    while (this.text[this.pos] === '|') {
      this.pos++;
      branches.push(this.sequence(flags));
    }
    if (branches.length === 1) return branches[0] as OnigNode;
    return { type: 'alt', branches, start, end: this.pos };
  }

  private sequence(flags: OnigFlags): OnigNode {
    const start = this.pos;
    const items: OnigNode[] = [];
    for (;;) {
      this.skipExtended(flags);
      const ch = this.text[this.pos];
      if (ch === undefined || ch === '|' || ch === ')') break;
      const option = this.isolatedOption(flags);
      if (option) {
        // Oniguruma: `a(?i)b|c` is `a(?i:b|c)`: the option governs the rest of the group, alternatives included.
        const bodyStart = this.pos;
        const body = this.alternation(option);
        items.push({ type: 'group', kind: 'group', body, start: bodyStart, end: this.pos });
        break;
      }
      const atom = this.atom(flags);
      if (atom) items.push(this.quantifiers(atom, flags));
    }
    if (items.length === 1) return items[0] as OnigNode;
    return { type: 'seq', items, start, end: this.pos };
  }

  private skipExtended(flags: OnigFlags): void {
    if (!flags.extended) return;
    for (;;) {
      const ch = this.text[this.pos];
      if (ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r' || ch === '\f' || ch === '\v') this.pos++;
      else if (ch === '#') {
        while (this.pos < this.text.length && this.text[this.pos] !== '\n') this.pos++;
      } else return;
    }
  }

  /** `(?imx-imx)` standing alone: returns the new options and consumes it, else undefined. */
  private isolatedOption(flags: OnigFlags): OnigFlags | undefined {
    const match = /\(\?([imxadu]*)(?:-([imx]*))?\)/y;
    match.lastIndex = this.pos;
    const m = match.exec(this.text);
    if (!m || (m[1] === '' && m[2] === undefined)) return undefined;
    const next = this.applyOptions(flags, m[1] ?? '', m[2] ?? '', this.pos);
    this.pos += m[0].length;
    return next;
  }

  private applyOptions(flags: OnigFlags, on: string, off: string, at: number): OnigFlags {
    if (on.includes('u')) this.unsupported('the (?u) option (Unicode \\w, \\d, \\s and \\b)', at);
    const next = { ...flags };
    for (const letter of on) this.setOption(next, letter, true);
    for (const letter of off) this.setOption(next, letter, false);
    return next;
  }

  private setOption(flags: OnigFlags, letter: string, value: boolean): void {
    if (letter === 'i') flags.ignoreCase = value;
    else if (letter === 'm') flags.dotAll = value;
    else if (letter === 'x') flags.extended = value;
    // `a` (ASCII) and `d` (default) change nothing: these classes are ASCII already.
  }

  private atom(flags: OnigFlags): OnigNode | undefined {
    const start = this.pos;
    const ch = this.text[this.pos] as string;
    switch (ch) {
      case '(':
        return this.group(flags);
      case '[': {
        this.pos++;
        const set = this.classBody(flags);
        return { type: 'set', set, start, end: this.pos };
      }
      case '.':
        this.pos++;
        return { type: 'set', set: flags.dotAll ? CharSet.ALL : NEWLINE.complement(), start, end: this.pos };
      case '^':
        this.pos++;
        return { type: 'assert', kind: 'start', start, end: this.pos };
      case '$':
        this.pos++;
        return { type: 'assert', kind: 'end', start, end: this.pos };
      case '\\':
        return this.escape(flags);
      case '*':
      case '+':
      case '?':
        this.fail('target of repeat operator is not specified');
        break;
      case '{':
        if (this.interval() !== undefined) this.fail('target of repeat operator is not specified', start);
        break;
      case '%':
        if (this.grok && this.text[this.pos + 1] === '{') return this.grokReference(flags);
        break;
    }
    return this.literal(this.text.charCodeAt(this.pos), flags, start, this.pos + 1);
  }

  private literal(code: number, flags: OnigFlags, start: number, end: number): OnigNode {
    // A character outside the BMP is a surrogate pair: keep the pair together under a quantifier.
    if (code >= 0xd800 && code <= 0xdbff) {
      const low = this.text.charCodeAt(end);
      if (low >= 0xdc00 && low <= 0xdfff) {
        this.pos = end + 1;
        const items: OnigNode[] = [
          { type: 'set', set: CharSet.of(code), start, end },
          { type: 'set', set: CharSet.of(low), start: end, end: end + 1 },
        ];
        return {
          type: 'group',
          kind: 'group',
          body: { type: 'seq', items, start, end: end + 1 },
          start,
          end: end + 1,
        };
      }
    }
    this.pos = end;
    const set = CharSet.of(code);
    return { type: 'set', set: flags.ignoreCase ? set.caseFolded() : set, start, end };
  }

  private grokReference(flags: OnigFlags): OnigNode {
    const start = this.pos;
    GROK_REFERENCE.lastIndex = start;
    const m = GROK_REFERENCE.exec(this.text);
    if (!m) {
      const close = this.text.indexOf('}', start);
      const shown = close < 0 ? this.text.slice(start, start + 40) : this.text.slice(start, close + 1);
      this.fail(`malformed grok reference ${shown}: expected %{NAME}, %{NAME:field} or %{NAME:field:type}`);
    }
    this.pos += m[0].length;
    const node: OnigNode = { type: 'grok', pattern: m[1] as string, flags, start, end: this.pos };
    if (m[2] !== undefined) {
      if (m[2] === '') this.fail(`empty field name in ${m[0]}`, start);
      node.field = m[2];
    }
    if (m[3] !== undefined) node.fieldType = m[3];
    if (m[4] !== undefined) node.definition = m[4];
    return node;
  }

  private group(flags: OnigFlags): OnigNode | undefined {
    const start = this.pos;
    const text = this.text;
    this.pos++;
    let kind: GroupKind = 'group';
    let name: string | undefined;
    let inner = flags;
    if (text[this.pos] === '?') {
      const after = text.slice(this.pos + 1, this.pos + 3);
      if (after.startsWith(':')) {
        this.pos += 2;
      } else if (after.startsWith('>')) {
        kind = 'atomic';
        this.pos += 2;
      } else if (after.startsWith('=')) {
        kind = 'lookahead';
        this.pos += 2;
      } else if (after.startsWith('!')) {
        kind = 'negative-lookahead';
        this.pos += 2;
      } else if (after === '<=') {
        kind = 'lookbehind';
        this.pos += 3;
      } else if (after === '<!') {
        kind = 'negative-lookbehind';
        this.pos += 3;
      } else if (after.startsWith('<') || after.startsWith("'") || after === 'P<') {
        const open = after === 'P<' ? 3 : 2;
        const close = text[this.pos + open - 1] === "'" ? "'" : '>';
        const end = text.indexOf(close, this.pos + open);
        if (end < 0) this.fail(`invalid group name: no closing ${close}`);
        name = text.slice(this.pos + open, end);
        if (name === '') this.fail('empty group name');
        this.pos = end + 1;
      } else if (after.startsWith('#')) {
        const end = text.indexOf(')', this.pos);
        if (end < 0) this.fail('end pattern in group: unterminated comment', start);
        this.pos = end + 1;
        return undefined;
      } else if (after.startsWith('~')) {
        this.unsupported('the absence operator (?~…)', start);
      } else if (after.startsWith('(')) {
        this.unsupported('conditional groups (?(cond)…)', start);
      } else {
        const m = /([imxadu]*)(?:-([imx]*))?:/y;
        m.lastIndex = this.pos + 1;
        const options = m.exec(text);
        if (!options) this.fail('undefined group option', start);
        inner = this.applyOptions(flags, options[1] ?? '', options[2] ?? '', start);
        this.pos = m.lastIndex;
      }
    }
    const body = this.alternation(inner);
    if (text[this.pos] !== ')') this.fail('end pattern with unmatched parenthesis', start);
    this.pos++;
    if (name !== undefined) return { type: 'capture', name, body, start, end: this.pos };
    return { type: 'group', kind, body, start, end: this.pos };
  }

  /** Reads `{n}`, `{n,}`, `{,m}` or `{n,m}` at the cursor without consuming it. */
  private interval(): { min: number; max: number; length: number } | undefined {
    const m = /\{(\d*)(?:(,)(\d*))?\}/y;
    m.lastIndex = this.pos;
    const found = m.exec(this.text);
    if (!found) return undefined;
    const [whole, lo, comma, hi] = found;
    if (lo === '' && (comma === undefined || hi === '')) return undefined; // `{}` and `{,}` are literal text
    const min = lo === '' ? 0 : Number(lo);
    const max = comma === undefined ? min : hi === '' ? Number.POSITIVE_INFINITY : Number(hi);
    if (min > MAX_REPEAT || (Number.isFinite(max) && max > MAX_REPEAT))
      this.fail('too big number for repeat range');
    if (max < min) this.fail('upper bound must be greater than lower bound in repeat range');
    return { min, max, length: whole.length };
  }

  private quantifiers(atom: OnigNode, flags: OnigFlags): OnigNode {
    let node = atom;
    for (;;) {
      this.skipExtended(flags);
      const at = this.pos;
      const ch = this.text[at];
      let min: number;
      let max: number;
      let possessiveAllowed = true;
      if (ch === '*' || ch === '+' || ch === '?') {
        min = ch === '+' ? 1 : 0;
        max = ch === '?' ? 1 : Number.POSITIVE_INFINITY;
        this.pos++;
      } else if (ch === '{') {
        const interval = this.interval();
        if (!interval) return node;
        ({ min, max } = interval);
        this.pos += interval.length;
        // Ruby syntax: `{n,m}+` is a repetition of `{n,m}`, not possessive.
        possessiveAllowed = false;
      } else {
        return node;
      }
      if (node.type === 'assert') this.fail('target of repeat operator is invalid', at);
      let mode: RepeatMode = 'greedy';
      if (this.text[this.pos] === '?') {
        mode = 'lazy';
        this.pos++;
      } else if (possessiveAllowed && this.text[this.pos] === '+') {
        mode = 'possessive';
        this.pos++;
      }
      node = { type: 'repeat', body: node, min, max, mode, start: node.start, end: this.pos };
    }
  }

  private escape(flags: OnigFlags): OnigNode {
    const start = this.pos;
    const ch = this.text[this.pos + 1];
    if (ch === undefined) this.fail('end pattern at escape');
    this.pos += 2;
    const set = (s: CharSet): OnigNode => ({ type: 'set', set: s, start, end: this.pos });
    const assert = (kind: AssertKind): OnigNode => ({ type: 'assert', kind, start, end: this.pos });
    switch (ch) {
      case 'A':
      case 'G': // Grok matches from the start of the message, where \G is the same as \A.
        return assert('start');
      case 'z':
        return assert('end');
      case 'Z':
        return assert('end-or-final-newline');
      case 'b':
        return assert('word-boundary');
      case 'B':
        return assert('not-word-boundary');
      case 'k':
        return this.namedBackref(start);
      case 'R': {
        // A line break: \r\n or one of the vertical spaces.
        const crlf: OnigNode = {
          type: 'seq',
          items: [
            { type: 'set', set: CharSet.of(0x0d), start, end: this.pos },
            { type: 'set', set: CharSet.of(0x0a), start, end: this.pos },
          ],
          start,
          end: this.pos,
        };
        const single = set(CharSet.fromRanges([0x0a, 0x0d, 0x85, 0x85, 0x2028, 0x2029]));
        return {
          type: 'group',
          kind: 'group',
          body: { type: 'alt', branches: [crlf, single], start, end: this.pos },
          start,
          end: this.pos,
        };
      }
      case 'N':
        return set(NEWLINE.complement());
      case 'O':
        return set(CharSet.ALL);
      case 'K':
        this.unsupported('\\K (keep)', start);
        break;
      case 'X':
        this.unsupported('\\X (extended grapheme cluster)', start);
        break;
      case 'g':
        this.unsupported('subroutine calls \\g<name>', start);
        break;
      case 'y':
      case 'Y':
        this.unsupported(`\\${ch} (grapheme cluster boundary)`, start);
        break;
    }
    if (ch >= '1' && ch <= '9') {
      this.unsupported(
        `the numbered back-reference \\${ch}`,
        start,
        'plain groups do not capture in grok; name the group, (?<name>…), and refer to it as \\k<name>',
      );
    }
    this.pos = start;
    const shared = this.sharedEscape(flags, false);
    if (shared instanceof CharSet) return set(shared);
    return this.literal(shared, flags, start, this.pos);
  }

  private namedBackref(start: number): OnigNode {
    const m = /<([^>]*)>|'([^']*)'/y;
    m.lastIndex = this.pos;
    const found = m.exec(this.text);
    if (!found) this.fail('invalid back-reference: expected \\k<name>', start);
    const name = found[1] ?? found[2] ?? '';
    if (/^[+-]?\d+$/.test(name)) {
      this.unsupported(
        `the numbered back-reference \\k<${name}>`,
        start,
        'name the group and refer to it by name',
      );
    }
    this.pos = m.lastIndex;
    return { type: 'backref', name, start, end: this.pos };
  }

  /**
   * Escapes that mean the same inside and outside brackets. The cursor is on
   * the backslash. Returns a class, or the code unit of a literal.
   */
  private sharedEscape(flags: OnigFlags, inClass: boolean): CharSet | number {
    const start = this.pos;
    const ch = this.text[this.pos + 1] as string;
    this.pos += 2;
    switch (ch) {
      case 'd':
        return DIGIT;
      case 'D':
        return DIGIT.complement();
      case 'w':
        return WORD;
      case 'W':
        return WORD.complement();
      case 's':
        return SPACE;
      case 'S':
        return SPACE.complement();
      case 'h':
        return HEX_DIGIT;
      case 'H':
        return HEX_DIGIT.complement();
      case 'p':
      case 'P':
        return this.property(ch === 'P', start, flags);
      case 't':
        return 0x09;
      case 'n':
        return 0x0a;
      case 'r':
        return 0x0d;
      case 'f':
        return 0x0c;
      case 'v':
        return 0x0b;
      case 'a':
        return 0x07;
      case 'e':
        return 0x1b;
      case 'b':
        if (inClass) return 0x08;
        break;
      case 'x': {
        const braced = /\{([0-9A-Fa-f]{1,8})\}/y;
        braced.lastIndex = this.pos;
        const b = braced.exec(this.text);
        if (b) {
          this.pos = braced.lastIndex;
          return this.codeUnit(Number.parseInt(b[1] as string, 16), start);
        }
        const plain = /[0-9A-Fa-f]{1,2}/y;
        plain.lastIndex = this.pos;
        const p = plain.exec(this.text);
        if (!p) this.fail('invalid code point value in \\x', start);
        this.pos = plain.lastIndex;
        return Number.parseInt(p[0], 16);
      }
      case 'u': {
        const u = /[0-9A-Fa-f]{4}/y;
        u.lastIndex = this.pos;
        const found = u.exec(this.text);
        if (!found) this.fail('invalid Unicode escape \\u: expected four hex digits', start);
        this.pos = u.lastIndex;
        return Number.parseInt(found[0], 16);
      }
      case 'o': {
        const o = /\{([0-7]{1,11})\}/y;
        o.lastIndex = this.pos;
        const found = o.exec(this.text);
        if (!found) this.fail('invalid code point value in \\o{…}', start);
        this.pos = o.lastIndex;
        return this.codeUnit(Number.parseInt(found[1] as string, 8), start);
      }
      case '0': {
        const o = /[0-7]{0,2}/y;
        o.lastIndex = this.pos;
        const found = o.exec(this.text) as RegExpExecArray;
        this.pos = o.lastIndex;
        return found[0] === '' ? 0 : Number.parseInt(found[0], 8);
      }
      case 'c': {
        const next = this.text[this.pos];
        if (next === undefined) this.fail('end pattern at control', start);
        this.pos++;
        return next.charCodeAt(0) & 0x1f;
      }
      case 'C':
      case 'M':
        if (this.text[this.pos] === '-') this.unsupported(`\\${ch}-x escapes`, start);
        break;
    }
    if (inClass && ch >= '1' && ch <= '7') {
      // Octal inside a class (`[\1]` cannot be a back-reference).
      const o = /[0-7]{0,2}/y;
      o.lastIndex = this.pos;
      const found = o.exec(this.text) as RegExpExecArray;
      this.pos = o.lastIndex;
      return Number.parseInt(ch + found[0], 8);
    }
    // Any other escaped character stands for itself (`\.`, `\-`, `\/`, and, as Ruby allows, `\q`).
    const code = this.text.charCodeAt(start + 1);
    if (code >= 0xd800 && code <= 0xdbff) this.unsupported('an escaped character outside the BMP', start);
    return code;
  }

  private codeUnit(code: number, at: number): number {
    if (code > MAX_CODE_UNIT) {
      this.unsupported(
        'a code point above U+FFFF in an escape',
        at,
        'grok regexes work on UTF-16 code units; write the character itself',
      );
    }
    return code;
  }

  private property(negated: boolean, start: number, flags: OnigFlags): CharSet {
    const m = /\{(\^?)([^}]*)\}/y;
    m.lastIndex = this.pos;
    const found = m.exec(this.text);
    if (!found) this.fail('invalid character property name: expected \\p{Name}', start);
    this.pos = m.lastIndex;
    const set = unicodeProperty(found[2] as string);
    if (!set) this.unsupported(`unknown character property \\p{${found[2]}}`, start);
    const folded = flags.ignoreCase ? set.caseFolded() : set;
    return negated !== (found[1] === '^') ? folded.complement() : folded;
  }

  /** Parses a bracket class after its `[`, up to and including the matching `]`. */
  private classBody(flags: OnigFlags): CharSet {
    const open = this.pos - 1;
    let negated = false;
    if (this.text[this.pos] === '^') {
      negated = true;
      this.pos++;
    }
    let set = this.classItems(flags, open, true);
    if (flags.ignoreCase) set = set.caseFolded();
    return negated ? set.complement() : set;
  }

  private classItems(flags: OnigFlags, open: number, first: boolean): CharSet {
    let set = CharSet.EMPTY;
    let atStart = first;
    for (;;) {
      const ch = this.text[this.pos];
      if (ch === undefined) this.fail('premature end of char-class', open);
      if (ch === ']' && !atStart) {
        this.pos++;
        return set;
      }
      atStart = false;
      if (ch === '&' && this.text[this.pos + 1] === '&') {
        this.pos += 2;
        // `[a-z&&[^aeiou]]`: the rest of the class, up to its `]`, is intersected with what came before.
        const rest = this.classItems(flags, open, false);
        return set.intersect(rest);
      }
      if (ch === '[') {
        const posix = /\[:(\^?)([a-z]+):\]/y;
        posix.lastIndex = this.pos;
        const p = posix.exec(this.text);
        if (p) {
          const cls = posixClass(p[2] as string);
          if (!cls) this.fail(`invalid POSIX bracket type [:${p[2]}:]`);
          this.pos = posix.lastIndex;
          set = set.union(p[1] === '^' ? cls.complement() : cls);
          continue;
        }
        this.pos++;
        set = set.union(this.classBody({ ...flags, ignoreCase: false }));
        continue;
      }
      const from = this.classAtom(flags);
      if (from instanceof CharSet) {
        set = set.union(from);
        continue;
      }
      // A range `a-z`, unless the `-` is the last character of the class.
      if (
        this.text[this.pos] === '-' &&
        this.text[this.pos + 1] !== ']' &&
        this.text[this.pos + 1] !== undefined
      ) {
        const dash = this.pos;
        this.pos++;
        if (this.text[this.pos] === '[') {
          // `[a-[b]]`: the `-` is literal.
          set = set.union(CharSet.of(from, 0x2d));
          continue;
        }
        const to = this.classAtom(flags);
        if (to instanceof CharSet) {
          // `[a-\w]`: Ruby warns and takes the `-` literally.
          set = set.union(CharSet.of(from, 0x2d)).union(to);
          continue;
        }
        if (to < from) this.fail('empty range in char class', dash);
        set = set.union(CharSet.range(from, to));
        continue;
      }
      set = set.union(CharSet.of(from));
    }
  }

  private classAtom(flags: OnigFlags): CharSet | number {
    const ch = this.text[this.pos] as string;
    if (ch === '\\') {
      if (this.text[this.pos + 1] === undefined) this.fail('end pattern at escape');
      return this.sharedEscape(flags, true);
    }
    const code = this.text.charCodeAt(this.pos);
    this.pos++;
    if (code >= 0xd800 && code <= 0xdbff && this.text.charCodeAt(this.pos) >= 0xdc00) {
      const low = this.text.charCodeAt(this.pos);
      this.pos++;
      // Both units of a pair: the translation works on code units (see charset.ts).
      return CharSet.of(code, low);
    }
    return code;
  }
}

const propertyCache = new Map<string, CharSet | undefined>();

/** POSIX bracket classes, with Ruby's Unicode definitions (restricted to the BMP). */
export function posixClass(name: string): CharSet | undefined {
  const sources: Record<string, string[]> = {
    alnum: ['\\p{L}', '\\p{M}', '\\p{Nd}'],
    alpha: ['\\p{L}', '\\p{M}'],
    blank: ['\\p{Zs}', '\\t'],
    cntrl: ['\\p{Cc}', '\\p{Cf}', '\\p{Cn}', '\\p{Co}', '\\p{Cs}'],
    digit: ['\\p{Nd}'],
    graph: ['[^\\p{White_Space}\\p{Cc}\\p{Cn}\\p{Cs}]'],
    lower: ['\\p{Ll}'],
    print: ['[^\\p{White_Space}\\p{Cc}\\p{Cn}\\p{Cs}]', '\\p{Zs}'],
    punct: ['\\p{P}', '[$+<=>^`|~]'],
    space: ['\\p{White_Space}'],
    upper: ['\\p{Lu}'],
    xdigit: ['[0-9A-Fa-f]'],
    word: ['\\p{L}', '\\p{M}', '\\p{Nd}', '\\p{Pc}'],
    ascii: ['[\\0-\\x7f]'],
  };
  const parts = sources[name];
  return parts === undefined ? undefined : fromUnicodeRegExp(`posix:${name}`, parts.join('|'));
}

/** `\p{Name}`: POSIX names, general categories, scripts and binary properties, as JavaScript knows them. */
export function unicodeProperty(name: string): CharSet | undefined {
  const key = name.replace(/[\s_-]/g, '').toLowerCase();
  const posix = posixClass(key === 'xposixpunct' ? 'punct' : key);
  if (posix) return posix;
  if (key === 'any') return CharSet.ALL;
  const candidates = [name, `Script=${name}`, name.charAt(0).toUpperCase() + name.slice(1).toLowerCase()];
  for (const candidate of candidates) {
    const set = fromUnicodeRegExp(`prop:${candidate}`, `\\p{${candidate}}`);
    if (set) return set;
  }
  return undefined;
}

function fromUnicodeRegExp(key: string, source: string): CharSet | undefined {
  if (propertyCache.has(key)) return propertyCache.get(key);
  let set: CharSet | undefined;
  try {
    const re = new RegExp(`^(?:${source})$`, 'u');
    set = CharSet.fromPredicate((unit) => re.test(unit));
  } catch {
    set = undefined;
  }
  propertyCache.set(key, set);
  return set;
}

/** True when the node can match the empty string. */
export function nullable(node: OnigNode): boolean {
  switch (node.type) {
    case 'seq':
      return node.items.every(nullable);
    case 'alt':
      return node.branches.some(nullable);
    case 'set':
      return false;
    case 'assert':
    case 'backref':
      return true;
    case 'group':
      return node.kind === 'group' || node.kind === 'atomic' ? nullable(node.body) : true;
    case 'capture':
      return nullable(node.body);
    case 'repeat':
      return node.min === 0 || nullable(node.body);
    case 'ref':
      return nullable(node.body);
    case 'grok':
      return false;
  }
}
