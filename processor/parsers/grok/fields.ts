/**
 * From capture groups to event fields. Per expression, the compiler lists
 * (group index, field path, conversion); `buildExtractor` turns that list
 * into one specialised function that reads the groups of a match and builds
 * the nested result with plain property stores: no spreading, no generic
 * path walking, no per-match allocation beyond the result objects.
 *
 * The function is generated with `new Function`. Nothing from a pattern
 * reaches its code except field names, which are written as JSON string
 * literals (and `__proto__` is refused), and group indices, which are numbers.
 *
 * A capture that did not take part in the match, or matched the empty string,
 * leaves its field out (Logstash's `keep_empty_captures: false`); so does a
 * conversion that fails (`:int` on `-`). Objects built by one expression
 * therefore share one hidden class for each combination of fields present,
 * and the first field written decides the key order, which is the order of
 * the fields in the expression.
 */

export type FieldType = 'string' | 'int' | 'float' | 'bool';

/** Conversion suffixes accepted after the field name (`%{INT:port:int}`). */
const TYPES: Record<string, FieldType> = {
  int: 'int',
  integer: 'int',
  long: 'int',
  float: 'float',
  double: 'float',
  bool: 'bool',
  boolean: 'bool',
};

export const TYPE_NAMES = Object.keys(TYPES);

export interface FieldCapture {
  /** Index of the capture group in the compiled regex. */
  group: number;
  /** The field as written (`source.ip`, `[source][ip]`). */
  name: string;
  path: readonly string[];
  type: FieldType;
  /** The group takes part in every match and cannot match the empty string. */
  required: boolean;
}

/** Nested result of a match: `{ source: { ip: '10.0.0.1', port: 22 } }`. */
export interface GrokFields {
  [key: string]: string | number | boolean | GrokFields;
}

export type Extractor = (match: RegExpExecArray, failures: ConversionFailures) => GrokFields;

/** Counts conversions that failed (the field was left out). */
export interface ConversionFailures {
  count: number;
}

export function parseFieldType(type: string): FieldType | undefined {
  return Object.hasOwn(TYPES, type) ? TYPES[type] : undefined;
}

/**
 * `[source][ip]` and `source.ip` → `['source', 'ip']`; `@timestamp` → `['@timestamp']`.
 * Returns a reason instead when the name is not a valid field path.
 */
export function parseFieldPath(name: string): string[] | string {
  let path: string[];
  if (name.startsWith('[')) {
    if (!/^(\[[^[\]]+\])+$/.test(name)) return `field reference ${name} is malformed: expected [a][b]…`;
    path = name.slice(1, -1).split('][');
  } else {
    if (/[[\]]/.test(name)) return `field name ${name} mixes dots and brackets: write [a][b] or a.b`;
    path = name.split('.');
    if (path.some((segment) => segment === '')) return `field name ${name} has an empty part`;
  }
  if (path.includes('__proto__')) return `field name ${name} uses the reserved name __proto__`;
  return path;
}

/** Checks that no field is both a value and an object (`a` and `a.b`); returns the conflict, if any. */
export function findPathConflict(captures: readonly FieldCapture[]): string | undefined {
  const leaves = new Map<string, string>();
  for (const capture of captures) leaves.set(capture.path.join('\u0000'), capture.name);
  for (const capture of captures) {
    for (let i = 1; i < capture.path.length; i++) {
      const prefix = capture.path.slice(0, i).join('\u0000');
      const other = leaves.get(prefix);
      if (other !== undefined)
        return `field ${other} is a value, but ${capture.name} needs it to be an object`;
    }
  }
  return undefined;
}

/**
 * Logstash-like lenient integer (Ruby's `to_i`): `"42"` → 42, `"1.5"` → 1,
 * `"-"` → NaN (the field is left out). Plain digit strings, nearly all of
 * them, take a fast path twice as quick as `parseInt`.
 */
export function toInt(value: string): number {
  const length = value.length;
  if (length > 0 && length <= 15) {
    let i = 0;
    let sign = 1;
    const first = value.charCodeAt(0);
    if (first === 0x2d || first === 0x2b) {
      sign = first === 0x2d ? -1 : 1;
      i = 1;
    }
    if (i < length) {
      let n = 0;
      for (; i < length; i++) {
        const digit = value.charCodeAt(i) - 0x30;
        if (digit < 0 || digit > 9) break;
        n = n * 10 + digit;
      }
      if (i === length) return sign * n;
    }
  }
  return Number.parseInt(value, 10);
}

/** Powers of ten that are exact doubles. */
const POWERS = [1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15];

/**
 * `parseFloat`, with a fast path for `[+-]digits[.digits]` of at most 15
 * digits: the digits form an exact integer and one division by an exact
 * power of ten rounds correctly, so the result is the same as parseFloat's.
 */
export function toFloat(value: string): number {
  const length = value.length;
  if (length > 0 && length <= 16) {
    let i = 0;
    let sign = 1;
    const first = value.charCodeAt(0);
    if (first === 0x2d || first === 0x2b) {
      sign = first === 0x2d ? -1 : 1;
      i = 1;
    }
    let n = 0;
    let digits = 0;
    let scale = -1;
    for (; i < length; i++) {
      const c = value.charCodeAt(i);
      if (c === 0x2e && scale < 0) {
        scale = 0;
        continue;
      }
      const digit = c - 0x30;
      if (digit < 0 || digit > 9) break;
      n = n * 10 + digit;
      digits++;
      if (scale >= 0) scale++;
    }
    if (i === length && digits > 0 && digits <= 15)
      return (sign * n) / (POWERS[Math.max(scale, 0)] as number);
  }
  return Number.parseFloat(value);
}

/** `true`/`false` in any case; anything else fails. */
export function toBool(value: string): boolean | undefined {
  if (value.length === 4 && value.toLowerCase() === 'true') return true;
  if (value.length === 5 && value.toLowerCase() === 'false') return false;
  return undefined;
}

interface PathNode {
  key: string;
  /** Fields stored at this node, or children: never both (checked by findPathConflict). */
  captures: FieldCapture[];
  children: Map<string, PathNode>;
  variable: string;
  /** The node always exists in the result: it holds a field that is always there. */
  certain: boolean;
}

/**
 * A field (nearly) always there: its first group takes part in every match
 * and cannot be empty. It goes into the object literal; a conversion of it
 * that fails is undone afterwards (rare, so the slow `delete` is fine there).
 */
function isCertain(node: PathNode): boolean {
  return node.captures[0]?.required === true;
}

/** How a certain field is read into the literal. */
function convertedRead(capture: FieldCapture): string {
  const read = `m[${capture.group}]`;
  switch (capture.type) {
    case 'string':
      return read;
    case 'int':
      return `toInt(${read})`;
    case 'float':
      return `toFloat(${read})`;
    case 'bool':
      return `toBool(${read})`;
  }
}

/** Removes objects left empty by undone conversions. */
function prune(object: GrokFields): void {
  for (const key of Object.keys(object)) {
    const value = object[key];
    if (typeof value === 'object') {
      prune(value);
      if (Object.keys(value).length === 0) delete object[key];
    }
  }
}

/** The statements storing one field: the first of its groups that took part, converted. */
function captureCode(leaf: PathNode, chain: readonly PathNode[], present: string): string {
  const store = (value: string): string => {
    const lines: string[] = [];
    // Objects that are not always there are created by the first field stored in them.
    for (let i = 1; i < chain.length; i++) {
      const object = chain[i] as PathNode;
      const above = chain[i - 1] as PathNode;
      if (object.certain) continue;
      lines.push(
        `if (${object.variable} === undefined) ${object.variable} = ${above.variable}[${JSON.stringify(object.key)}] = {};`,
      );
    }
    lines.push(`${(chain[chain.length - 1] as PathNode).variable}[${JSON.stringify(leaf.key)}] = ${value};`);
    return lines.join(' ');
  };
  let code = '';
  let close = '';
  leaf.captures.forEach((capture, i) => {
    let assign: string;
    switch (capture.type) {
      case 'string':
        assign = store('v');
        break;
      case 'int':
        assign = `c = toInt(v); if (c === c) { ${store('c')} } else f.count++;`;
        break;
      case 'float':
        assign = `c = toFloat(v); if (c === c) { ${store('c')} } else f.count++;`;
        break;
      case 'bool':
        assign = `c = toBool(v); if (c !== undefined) { ${store('c')} } else f.count++;`;
        break;
    }
    // A capture that always takes part and cannot be empty needs no test.
    const test = capture.required ? '' : `if (${present}) `;
    code += `${i === 0 ? '' : ' else { '}v = m[${capture.group}]; ${test}{ ${assign} }`;
    if (i > 0) close += ' }';
  });
  return code + close;
}

export interface ExtractorOptions {
  /** Keep captures that matched the empty string (default false). */
  keepEmptyCaptures?: boolean;
}

/**
 * Builds the extractor for one expression. When a field is captured by
 * several groups (`(?:%{INT:n}|%{WORD:n})`), the first group that took part
 * gives the value.
 */
export function buildExtractor(captures: readonly FieldCapture[], options: ExtractorOptions = {}): Extractor {
  const root: PathNode = { key: '', captures: [], children: new Map(), variable: 'o', certain: true };
  let counter = 0;
  for (const capture of captures) {
    let node = root;
    for (const key of capture.path) {
      let child = node.children.get(key);
      if (!child) {
        child = { key, captures: [], children: new Map(), variable: `o${++counter}`, certain: false };
        node.children.set(key, child);
      }
      node = child;
    }
    node.captures.push(capture);
  }
  // An object is always there when some field below it always is.
  const markCertain = (node: PathNode): boolean => {
    let certain = isCertain(node);
    for (const child of node.children.values()) if (markCertain(child)) certain = true;
    if (node !== root) node.certain = certain;
    return certain;
  };
  markCertain(root);

  const present = options.keepEmptyCaptures ? 'v !== undefined' : "v !== undefined && v !== ''";
  const declarations: string[] = [];
  const body: string[] = [];
  /** Checks that undo failed conversions of certain fields. */
  const undo: string[] = [];

  // The fields always there are built at once, as one nested object literal: one allocation per object,
  // one hidden class. `chain` runs from the root to the node whose children are visited.
  const literal = (node: PathNode): string => {
    const parts: string[] = [];
    for (const child of node.children.values()) {
      if (!child.certain) continue;
      if (isCertain(child)) {
        const capture = child.captures[0] as FieldCapture;
        parts.push(`${JSON.stringify(child.key)}: ${convertedRead(capture)}`);
        if (capture.type !== 'string') {
          const field = `${node.variable}[${JSON.stringify(child.key)}]`;
          const failed = capture.type === 'bool' ? `${field} === undefined` : `${field} !== ${field}`;
          undo.push(`if (${failed}) { delete ${field}; f.count++; p = true; }`);
        }
      } else parts.push(`${JSON.stringify(child.key)}: ${child.variable} = ${literal(child)}`);
    }
    return `{ ${parts.join(', ')} }`;
  };
  const walk = (node: PathNode, chain: PathNode[]): void => {
    for (const child of node.children.values()) {
      if (child.captures.length > 0 && !isCertain(child)) body.push(captureCode(child, chain, present));
      if (child.children.size > 0) {
        declarations.push(child.variable);
        walk(child, [...chain, child]);
      }
    }
  };
  walk(root, [root]);

  const source = [
    '"use strict";',
    'return function extract(m, f) {',
    `  let v; let c; let p = false;${declarations.length > 0 ? ` let ${declarations.join(', ')};` : ''}`,
    `  const o = ${literal(root)};`,
    ...undo.map((line) => `  ${line}`),
    ...body.map((line) => `  ${line}`),
    ...(undo.length > 0 ? ['  if (p) prune(o);'] : []),
    '  return o;',
    '};',
  ].join('\n');
  const factory = new Function('toInt', 'toFloat', 'toBool', 'prune', source) as (
    toInt: (v: string) => number,
    toFloat: (v: string) => number,
    toBool: (v: string) => boolean | undefined,
    prune: (object: GrokFields) => void,
  ) => Extractor;
  return factory(toInt, toFloat, toBool, prune);
}
