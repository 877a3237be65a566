/**
 * The `kv` pipeline step: parses `key=value` pairs, as in auditd, firewall
 * and logfmt lines.
 *
 *   - kv: { target: auditd }
 *
 * Pairs are separated by any character of `field_split`; a key ends at the
 * first character of `value_split` in the pair. A value that starts with `"` or `'`
 * runs to the matching closing quote, separators included (a quote escaped
 * with a backslash does not close it, and `\"`, `\'`, `\\` are unescaped); a
 * value whose quote is never closed is read as unquoted text. Words without
 * a value split, empty keys and empty values are skipped. Keys are field
 * names as they are (a dot in a key does not nest), and values stay strings.
 * A key seen twice in the text gets a list of its (distinct) values.
 *
 * An auditd line
 *
 *   type=USER_LOGIN msg=audit(1700000000.123:456): pid=1234 … msg='op=login acct="root" … res=failed'
 *
 * gives `auditd.type: USER_LOGIN`, `auditd.pid: '1234'`, … and, because `msg`
 * appears twice, `auditd.msg: ['audit(1700000000.123:456):', 'op=login acct="root" … res=failed']`:
 * the quoted text stays one value. A second step parses it further:
 *
 *   - kv: { field: auditd.msg, target: auditd }
 *
 * When the field holds a list, each of its strings is parsed: the first one
 * above has no pairs and adds nothing, the second adds `auditd.op: login`,
 * `auditd.acct: root`, `auditd.exe: /usr/sbin/sshd`, … `auditd.res: failed`.
 *
 * Without `target` the pairs go to the root of the event, except that keys
 * `vigil` and `vigil.*` (Vigil's own record data) and `event` are skipped and
 * `@timestamp` and `message` are only replaced by a single string.
 */
import { z } from 'zod';
import {
  exceedsBytes,
  type FieldPath,
  fieldNameSchema,
  fieldPath,
  getField,
  setField,
} from '../../pipeline/fields.ts';
import type { PipelineStep, StepDefinition, StepResult } from '../../pipeline/step.ts';
import { DEFAULT_LIMITS } from '../../pipeline/step.ts';

/** Characters used as separators: one UTF-16 code unit each, no quotes, no backslash. */
const separators = z
  .string()
  .min(1)
  .refine((s) => !/["'\\]/.test(s), 'quotes and backslashes cannot be separators')
  .refine(
    (s) => [...s].every((c) => c.length === 1),
    'separators must be characters of the Basic Multilingual Plane',
  );

const schema = z
  .strictObject({
    field: fieldNameSchema
      .default('message')
      .describe('Field holding the text to parse (or a list of texts, each parsed); default `message`.'),
    target: fieldNameSchema
      .optional()
      .describe('Object field that receives the pairs, e.g. `auditd`; default none: the root of the event.'),
    field_split: separators
      .default(' ')
      .describe('Characters that separate pairs, each one on its own, e.g. `" ,"`; default a space.'),
    value_split: separators
      .default('=')
      .describe('Characters that separate a key from its value, each one on its own; default `=`.'),
    trim_value: z
      .string()
      .default('')
      .describe('Characters stripped from both ends of each value, e.g. `"\'`; default none.'),
    include_keys: z.array(z.string().min(1)).default([]).describe('Keep only these keys; default all keys.'),
    exclude_keys: z.array(z.string().min(1)).default([]).describe('Drop these keys; default none.'),
    max_fields: z
      .number()
      .int()
      .min(1)
      .max(DEFAULT_LIMITS.maxFields)
      .default(DEFAULT_LIMITS.maxFields)
      .describe(
        `Most pairs one event may add, at most ${DEFAULT_LIMITS.maxFields}; more fail the step; default ${DEFAULT_LIMITS.maxFields}.`,
      ),
  })
  .superRefine((config, ctx) => {
    for (const c of config.value_split) {
      if (config.field_split.includes(c)) {
        ctx.addIssue({
          code: 'custom',
          path: ['value_split'],
          message: `"${c}" cannot separate both pairs and values`,
        });
      }
    }
  });

type KvConfig = z.output<typeof schema>;

/** A missing source field is not a failure (an earlier step did not set it): the step does nothing. */
const MISSING = undefined;
const NOT_TEXT = { failure: 'not a string' } as const;
const TOO_LONG = { failure: 'too long' } as const;
const TOO_MANY = { failure: 'too many fields' } as const;

const FORBIDDEN = new Set(['__proto__', 'constructor', 'prototype']);

/** Character classes, one bit each, in a table indexed by UTF-16 code unit. */
const FIELD = 1;
const VALUE = 2;
const TRIM = 4;

const DOUBLE_QUOTE = 0x22;
const SINGLE_QUOTE = 0x27;
const BACKSLASH = 0x5c;
const ESCAPE = /\\(["'\\])/g;

/** Parse results besides a count of pairs. */
const PARSE_TOO_LONG = -1;
const PARSE_TOO_MANY = -2;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The index of the quote that closes a value opened at `open`, or -1; a quote after a backslash does not close. */
function closingQuote(text: string, open: number, quote: string): number {
  let from = open + 1;
  for (;;) {
    const close = text.indexOf(quote, from);
    if (close < 0) return -1;
    let backslashes = 0;
    for (let j = close - 1; j > open && text.charCodeAt(j) === BACKSLASH; j--) backslashes++;
    if (backslashes % 2 === 0) return close;
    from = close + 1;
  }
}

class KvStep implements PipelineStep {
  readonly type = 'kv';
  readonly source: FieldPath;
  readonly target: FieldPath | undefined;
  readonly classes: Uint8Array;
  readonly trims: boolean;
  readonly include: Set<string> | undefined;
  readonly exclude: Set<string> | undefined;
  readonly maxFields: number;
  readonly maxBytes = DEFAULT_LIMITS.maxFieldBytes;

  constructor(config: KvConfig) {
    this.source = fieldPath(config.field);
    this.target = config.target === undefined ? undefined : fieldPath(config.target);
    const classes = new Uint8Array(0x10000);
    const mark = (chars: string, bit: number): void => {
      for (let i = 0; i < chars.length; i++) {
        const code = chars.charCodeAt(i);
        classes[code] = (classes[code] as number) | bit;
      }
    };
    mark(config.field_split, FIELD);
    mark(config.value_split, VALUE);
    mark(config.trim_value, TRIM);
    this.classes = classes;
    this.trims = config.trim_value.length > 0;
    this.include = config.include_keys.length > 0 ? new Set(config.include_keys) : undefined;
    this.exclude = config.exclude_keys.length > 0 ? new Set(config.exclude_keys) : undefined;
    this.maxFields = config.max_fields;
  }

  run(event: Record<string, unknown>): StepResult {
    const input = getField(event, this.source);
    if (input === undefined) return MISSING;
    const pairs: Record<string, unknown> = {};
    let count = 0;
    if (typeof input === 'string') {
      count = this.parse(input, pairs, 0);
    } else if (Array.isArray(input)) {
      for (let i = 0; i < input.length && count >= 0; i++) {
        const item = input[i];
        if (typeof item === 'string') count = this.parse(item, pairs, count);
      }
    } else {
      return NOT_TEXT;
    }
    if (count === PARSE_TOO_LONG) return TOO_LONG;
    if (count === PARSE_TOO_MANY) return TOO_MANY;
    if (count === 0) return undefined;
    if (this.target === undefined) {
      addAtRoot(event, pairs);
    } else {
      const existing = getField(event, this.target);
      if (isObject(existing)) {
        for (const key of Object.keys(pairs)) existing[key] = pairs[key];
      } else {
        setField(event, this.target, pairs);
      }
    }
    return undefined;
  }

  /** Adds the pairs of `text` to `pairs`; returns the new count, or PARSE_TOO_LONG / PARSE_TOO_MANY. */
  private parse(text: string, pairs: Record<string, unknown>, count: number): number {
    if (exceedsBytes(text, this.maxBytes)) return PARSE_TOO_LONG;
    const classes = this.classes;
    const n = text.length;
    let i = 0;
    while (i < n) {
      while (i < n && classes[text.charCodeAt(i)]! & FIELD) i++;
      if (i >= n) break;
      const keyStart = i;
      let c = 0;
      while (i < n) {
        c = classes[text.charCodeAt(i)]!;
        if (c & (FIELD | VALUE)) break;
        i++;
      }
      // A word without a value split (or the end of the text): not a pair.
      if (i >= n || c & FIELD) continue;
      const keyEnd = i;
      i++;
      let value: string;
      const first = i < n ? text.charCodeAt(i) : -1;
      const close =
        first === DOUBLE_QUOTE
          ? closingQuote(text, i, '"')
          : first === SINGLE_QUOTE
            ? closingQuote(text, i, "'")
            : -1;
      if (close >= 0) {
        value = text.slice(i + 1, close);
        if (value.includes('\\')) value = value.replace(ESCAPE, '$1');
        // Anything between the closing quote and the next pair separator is not part of a pair.
        for (i = close + 1; i < n && !(classes[text.charCodeAt(i)]! & FIELD); i++);
      } else {
        const valueStart = i;
        while (i < n && !(classes[text.charCodeAt(i)]! & FIELD)) i++;
        value = text.slice(valueStart, i);
      }
      if (this.trims) value = this.trim(value);
      if (value.length === 0 || keyEnd === keyStart) continue;
      const key = text.slice(keyStart, keyEnd);
      if (FORBIDDEN.has(key)) continue;
      if (this.include !== undefined && !this.include.has(key)) continue;
      if (this.exclude?.has(key)) continue;
      if (++count > this.maxFields) return PARSE_TOO_MANY;
      if (!Object.hasOwn(pairs, key)) {
        pairs[key] = value;
        continue;
      }
      const earlier = pairs[key];
      if (Array.isArray(earlier)) {
        if (!earlier.includes(value)) earlier.push(value);
      } else if (earlier !== value) {
        pairs[key] = [earlier, value];
      }
    }
    return count;
  }

  private trim(value: string): string {
    const classes = this.classes;
    let start = 0;
    let end = value.length;
    while (start < end && classes[value.charCodeAt(start)]! & TRIM) start++;
    while (end > start && classes[value.charCodeAt(end - 1)]! & TRIM) end--;
    return start === 0 && end === value.length ? value : value.slice(start, end);
  }
}

/** Adds pairs at the root of the event, keeping the fields every event has intact. */
function addAtRoot(event: Record<string, unknown>, pairs: Record<string, unknown>): void {
  for (const key of Object.keys(pairs)) {
    const value = pairs[key];
    if (key === 'vigil' || key === 'event' || key.startsWith('vigil.')) continue;
    if ((key === '@timestamp' || key === 'message') && typeof value !== 'string') continue;
    event[key] = value;
  }
}

export const kvStep: StepDefinition<typeof schema> = {
  description: 'Parses key=value pairs (auditd, firewalls, logfmt) into fields.',
  schema,
  create(config): PipelineStep {
    return new KvStep(config);
  },
};
