/**
 * Sets of UTF-16 code units, as sorted inclusive ranges. The grok compiler
 * turns every single-character matcher of a pattern (a literal, `.`, `\w`, a
 * bracket class, a POSIX class, a Unicode property) into one CharSet, so that
 * it can emit a plain JavaScript class for it and reason about overlaps when
 * it looks for catastrophic backtracking.
 *
 * Compiled grok regexes run without the `u` flag (see onig.ts for why), so
 * the universe is the Basic Multilingual Plane: 0x0000–0xFFFF. A character
 * outside it is two code units (a surrogate pair) to these sets.
 */

export const MAX_CODE_UNIT = 0xffff;

export class CharSet {
  /** Flat list of inclusive ranges: lo0, hi0, lo1, hi1, … sorted, disjoint and not adjacent. */
  readonly ranges: readonly number[];

  private constructor(ranges: readonly number[]) {
    this.ranges = ranges;
  }

  static readonly EMPTY = new CharSet([]);
  static readonly ALL = new CharSet([0, MAX_CODE_UNIT]);

  static of(...codes: number[]): CharSet {
    return CharSet.fromRanges(codes.flatMap((c) => [c, c]));
  }

  static range(lo: number, hi: number): CharSet {
    return CharSet.fromRanges([lo, hi]);
  }

  /** Builds a set from any list of inclusive ranges (unsorted, overlapping: all fine). */
  static fromRanges(pairs: readonly number[]): CharSet {
    const list: [number, number][] = [];
    for (let i = 0; i + 1 < pairs.length; i += 2) {
      const lo = Math.max(0, pairs[i] as number);
      const hi = Math.min(MAX_CODE_UNIT, pairs[i + 1] as number);
      if (lo <= hi) list.push([lo, hi]);
    }
    list.sort((a, b) => a[0] - b[0]);
    const out: number[] = [];
    for (const [lo, hi] of list) {
      const last = out.length - 1;
      if (last > 0 && lo <= (out[last] as number) + 1) {
        if (hi > (out[last] as number)) out[last] = hi;
      } else {
        out.push(lo, hi);
      }
    }
    return new CharSet(out);
  }

  /** Characters `test` accepts, found by trying every code unit once (for Unicode properties). */
  static fromPredicate(test: (unit: string) => boolean): CharSet {
    const out: number[] = [];
    let start = -1;
    for (let c = 0; c <= MAX_CODE_UNIT + 1; c++) {
      const inside = c <= MAX_CODE_UNIT && test(String.fromCharCode(c));
      if (inside && start < 0) start = c;
      if (!inside && start >= 0) {
        out.push(start, c - 1);
        start = -1;
      }
    }
    return new CharSet(out);
  }

  get isEmpty(): boolean {
    return this.ranges.length === 0;
  }

  get isAll(): boolean {
    return this.ranges.length === 2 && this.ranges[0] === 0 && this.ranges[1] === MAX_CODE_UNIT;
  }

  /** How many code units the set holds. */
  get size(): number {
    let n = 0;
    for (let i = 0; i < this.ranges.length; i += 2)
      n += (this.ranges[i + 1] as number) - (this.ranges[i] as number) + 1;
    return n;
  }

  /** The only code unit of a one-character set, else undefined. */
  get single(): number | undefined {
    return this.ranges.length === 2 && this.ranges[0] === this.ranges[1] ? this.ranges[0] : undefined;
  }

  has(code: number): boolean {
    for (let i = 0; i < this.ranges.length; i += 2) {
      if (code < (this.ranges[i] as number)) return false;
      if (code <= (this.ranges[i + 1] as number)) return true;
    }
    return false;
  }

  union(other: CharSet): CharSet {
    if (other.isEmpty) return this;
    if (this.isEmpty) return other;
    return CharSet.fromRanges([...this.ranges, ...other.ranges]);
  }

  complement(): CharSet {
    const out: number[] = [];
    let next = 0;
    for (let i = 0; i < this.ranges.length; i += 2) {
      const lo = this.ranges[i] as number;
      if (lo > next) out.push(next, lo - 1);
      next = (this.ranges[i + 1] as number) + 1;
    }
    if (next <= MAX_CODE_UNIT) out.push(next, MAX_CODE_UNIT);
    return new CharSet(out);
  }

  intersect(other: CharSet): CharSet {
    const out: number[] = [];
    let i = 0;
    let j = 0;
    const a = this.ranges;
    const b = other.ranges;
    while (i < a.length && j < b.length) {
      const lo = Math.max(a[i] as number, b[j] as number);
      const hi = Math.min(a[i + 1] as number, b[j + 1] as number);
      if (lo <= hi) out.push(lo, hi);
      if ((a[i + 1] as number) < (b[j + 1] as number)) i += 2;
      else j += 2;
    }
    return new CharSet(out);
  }

  overlaps(other: CharSet): boolean {
    let i = 0;
    let j = 0;
    const a = this.ranges;
    const b = other.ranges;
    while (i < a.length && j < b.length) {
      if (Math.max(a[i] as number, b[j] as number) <= Math.min(a[i + 1] as number, b[j + 1] as number))
        return true;
      if ((a[i + 1] as number) < (b[j + 1] as number)) i += 2;
      else j += 2;
    }
    return false;
  }

  equals(other: CharSet): boolean {
    return this.ranges.length === other.ranges.length && this.ranges.every((v, i) => v === other.ranges[i]);
  }

  /** The set closed under case mapping, for `(?i)`: `a` → `aA`, `é` → `éÉ`, `k` → `kKK` (Kelvin sign). */
  caseFolded(): CharSet {
    const groups = caseGroups();
    const extra: number[] = [];
    for (let i = 0; i < this.ranges.length; i += 2) {
      for (let c = this.ranges[i] as number; c <= (this.ranges[i + 1] as number); c++) {
        const group = groups.get(c);
        if (group) for (const other of group) extra.push(other, other);
      }
    }
    return extra.length === 0 ? this : CharSet.fromRanges([...this.ranges, ...extra]);
  }

  /** The set as a JavaScript regex atom (without the `u` flag): a literal, a class, or `[^…]`. */
  toRegExpSource(): string {
    const single = this.single;
    if (single !== undefined) return escapeLiteral(single);
    if (this.isAll) return '[^]';
    for (const [set, source] of shorthands()) if (this.equals(set)) return source;
    // Whichever of the class and its complement is shorter to write.
    const complement = this.complement();
    return complement.ranges.length < this.ranges.length
      ? `[^${complement.classBody()}]`
      : `[${this.classBody()}]`;
  }

  private classBody(): string {
    let out = '';
    for (let i = 0; i < this.ranges.length; i += 2) {
      const lo = this.ranges[i] as number;
      const hi = this.ranges[i + 1] as number;
      out += escapeClassMember(lo);
      if (hi === lo + 1) out += escapeClassMember(hi);
      else if (hi > lo) out += `-${escapeClassMember(hi)}`;
    }
    return out;
  }
}

/** ASCII classes as Ruby (and so Logstash) defines them; `\s` is narrower than JavaScript's. */
export const DIGIT = CharSet.range(0x30, 0x39);
export const WORD = CharSet.fromRanges([0x30, 0x39, 0x41, 0x5a, 0x5f, 0x5f, 0x61, 0x7a]);
export const SPACE = CharSet.fromRanges([0x09, 0x0d, 0x20, 0x20]);
export const HEX_DIGIT = CharSet.fromRanges([0x30, 0x39, 0x41, 0x46, 0x61, 0x66]);
export const NEWLINE = CharSet.of(0x0a);

let shorthandList: [CharSet, string][] | undefined;
function shorthands(): [CharSet, string][] {
  shorthandList ??= [
    [DIGIT, '\\d'],
    [DIGIT.complement(), '\\D'],
    [WORD, '\\w'],
    [WORD.complement(), '\\W'],
    [NEWLINE.complement(), '[^\\n]'],
  ];
  return shorthandList;
}

const SYNTAX = new Set('^$\\.*+?()[]{}|/');

function hex(code: number): string {
  return code <= 0xff
    ? `\\x${code.toString(16).padStart(2, '0')}`
    : `\\u${code.toString(16).padStart(4, '0')}`;
}

/** One code unit as a regex literal outside a class. */
export function escapeLiteral(code: number): string {
  if (code === 0x0a) return '\\n';
  if (code === 0x09) return '\\t';
  if (code === 0x0d) return '\\r';
  if (code < 0x20 || code >= 0x7f) return hex(code);
  const ch = String.fromCharCode(code);
  return SYNTAX.has(ch) ? `\\${ch}` : ch;
}

function escapeClassMember(code: number): string {
  if (code === 0x0a) return '\\n';
  if (code === 0x09) return '\\t';
  if (code === 0x0d) return '\\r';
  if (code < 0x20 || code >= 0x7f) return hex(code);
  const ch = String.fromCharCode(code);
  return ch === '\\' || ch === ']' || ch === '[' || ch === '^' || ch === '-' ? `\\${ch}` : ch;
}

let caseGroupMap: Map<number, number[]> | undefined;

/** For every code unit with case variants, all the code units that fold to the same character. */
function caseGroups(): Map<number, number[]> {
  if (caseGroupMap) return caseGroupMap;
  const byKey = new Map<string, number[]>();
  for (let c = 0; c <= MAX_CODE_UNIT; c++) {
    if (c >= 0xd800 && c <= 0xdfff) continue;
    const ch = String.fromCharCode(c);
    const lower = ch.toLowerCase();
    const upper = ch.toUpperCase();
    if (lower === ch && upper === ch) continue;
    // Characters whose mappings are single code units fold together through the lower-cased upper case.
    const key = upper.length === 1 ? upper.toLowerCase() : lower;
    const group = byKey.get(key) ?? [];
    group.push(c);
    byKey.set(key, group);
    for (const variant of [lower, upper]) {
      if (variant.length === 1 && variant !== ch) {
        const code = variant.charCodeAt(0);
        if (!group.includes(code)) group.push(code);
      }
    }
  }
  caseGroupMap = new Map();
  for (const group of byKey.values()) {
    for (const c of group) {
      const merged = caseGroupMap.get(c) ?? [];
      for (const other of group) if (!merged.includes(other)) merged.push(other);
      caseGroupMap.set(c, merged);
    }
  }
  return caseGroupMap;
}
