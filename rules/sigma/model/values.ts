/**
 * The values of detection items, as modifiers see and transform them
 * (pySigma's SigmaString, SigmaNumber, SigmaRegularExpression…).
 *
 * A Sigma string is a list of parts: literal text and the wildcards `*` (any
 * run of characters) and `?` (one character). The backslash escapes `*`, `?`
 * and itself; before any other character it is a plain backslash, so
 * `C:\Windows\*` is `C:\Windows\` followed by a wildcard, and `\\*` is a
 * backslash followed by a wildcard (Sigma specification, "Escaping").
 */

export const ANY: unique symbol = Symbol('*');
export const ONE: unique symbol = Symbol('?');
export type Wildcard = typeof ANY | typeof ONE;
export type StringPart = string | Wildcard;

export type TimePart = 'minute' | 'hour' | 'day' | 'week' | 'month' | 'year';
export type CompareOp = 'lt' | 'lte' | 'gt' | 'gte';

export type SigmaValue =
  | SigmaStringValue
  | { type: 'number'; value: number }
  | { type: 'bool'; value: boolean }
  | { type: 'null' }
  | { type: 'regex'; source: string; flags: string }
  | { type: 'cidr'; network: string; prefix: number; family: 'ipv4' | 'ipv6'; text: string }
  | { type: 'compare'; op: CompareOp; value: number }
  | { type: 'fieldref'; field: string; mode: 'equals' | 'contains' | 'startswith' | 'endswith' }
  | { type: 'exists'; value: boolean }
  /** Values that stay OR-linked among themselves even under `all` (windash, base64offset, expand). */
  | { type: 'expansion'; values: SigmaValue[] };

export interface SigmaStringValue {
  type: 'string';
  /** The text as written in the rule, while no modifier changed it (re, cidr, expand and fieldref read it). */
  raw: string | undefined;
  parts: StringPart[];
  /** The literal parts are bytes (one character per byte), after utf16 encodings. */
  bytes?: boolean;
}

/** Parses a rule's string into literal parts and wildcards. */
export function parseSigmaString(raw: string): SigmaStringValue {
  const parts: StringPart[] = [];
  let literal = '';
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i] as string;
    if (c === '\\') {
      const next = raw[i + 1];
      if (next === '*' || next === '?' || next === '\\') {
        literal += next;
        i++;
      } else {
        literal += c;
      }
    } else if (c === '*' || c === '?') {
      if (literal) parts.push(literal);
      literal = '';
      parts.push(c === '*' ? ANY : ONE);
    } else {
      literal += c;
    }
  }
  if (literal) parts.push(literal);
  return { type: 'string', raw, parts };
}

/** A string of literal text only. */
export function literalString(text: string, bytes = false): SigmaStringValue {
  return { type: 'string', raw: undefined, parts: text ? [text] : [], ...(bytes ? { bytes } : {}) };
}

export function hasWildcards(value: SigmaStringValue): boolean {
  return value.parts.some((p) => typeof p !== 'string');
}

/** The literal text of a string without wildcards. */
export function plainText(value: SigmaStringValue): string {
  return value.parts.filter((p): p is string => typeof p === 'string').join('');
}

/** Writes the string back in Sigma's syntax (escaping what needs it), for messages. */
export function formatSigmaString(value: SigmaStringValue): string {
  return value.parts
    .map((p) => (p === ANY ? '*' : p === ONE ? '?' : p.replace(/[\\*?]/g, (c) => `\\${c}`)))
    .join('');
}

/** Applies `fn` to each value, looking inside expansions. */
export function mapValue(
  value: SigmaValue,
  fn: (value: SigmaValue) => SigmaValue | SigmaValue[],
): SigmaValue {
  if (value.type === 'expansion') {
    return { type: 'expansion', values: value.values.map((v) => mapValue(v, fn)) };
  }
  const out = fn(value);
  if (!Array.isArray(out)) return out;
  return out.length === 1 ? (out[0] as SigmaValue) : { type: 'expansion', values: out };
}

/** Maps the literal parts of a string, keeping its wildcards. */
export function mapLiterals(
  value: SigmaStringValue,
  fn: (text: string) => string,
  bytes?: boolean,
): SigmaStringValue {
  return {
    type: 'string',
    raw: undefined,
    parts: value.parts.map((p) => (typeof p === 'string' ? fn(p) : p)),
    ...((bytes ?? value.bytes) ? { bytes: true } : {}),
  };
}

/** A short description of a value's type, for messages. */
export function describeValue(value: SigmaValue): string {
  switch (value.type) {
    case 'string':
      return `the string "${formatSigmaString(value)}"`;
    case 'number':
      return `the number ${value.value}`;
    case 'bool':
      return `the boolean ${value.value}`;
    case 'null':
      return 'null';
    case 'regex':
      return `the regular expression /${value.source}/`;
    case 'cidr':
      return `the network ${value.text}`;
    case 'compare':
      return `the comparison ${value.op} ${value.value}`;
    case 'fieldref':
      return `the field reference ${value.field}`;
    case 'exists':
      return `the existence test ${value.value}`;
    case 'expansion':
      return `${value.values.length} alternative values`;
  }
}
