/**
 * The `mutate` pipeline step: renames, copies, sets, converts, changes case,
 * appends and removes fields. The operations run in this fixed order, each
 * one only when configured:
 *
 *   rename → copy → set → convert → lowercase → uppercase → append → remove
 *
 *   - mutate:
 *       rename: { src_ip: source.ip }
 *       set: { source.address: '{{source.ip}}:{{source.port}}' }
 *       convert: { source.port: int }
 *       append: { related.ip: '{{source.ip}}' }
 *       remove: [tmp]
 *
 * A string in `set` or `append` may reference fields as `{{field.path}}`; a
 * reference to a missing field (or to an object or list) leaves that value
 * out: the `set` is not done, the `append` value is not added. Templates
 * always give strings; `convert` (which runs after `set`) gives them a type.
 *
 * A field that `convert` cannot convert is left as it is and the step fails
 * with `cannot convert <field>`; every other operation is still done.
 * Missing fields are skipped by every operation without failure.
 */
import { isIP } from 'node:net';
import { z } from 'zod';
import {
  deleteField,
  type FieldGetter,
  type FieldPath,
  type FieldSetter,
  fieldAppender,
  fieldGetter,
  fieldPath,
  fieldSetter,
  getField,
  setField,
} from '../../pipeline/fields.ts';
import type { PipelineStep, StepDefinition, StepResult } from '../../pipeline/step.ts';

export const CONVERT_TYPES = ['int', 'float', 'bool', 'string', 'ip'] as const;
export type ConvertType = (typeof CONVERT_TYPES)[number];

const scalar = z.union([z.string(), z.number(), z.boolean()]);
const scalarOrList = z.union([scalar, z.array(scalar)]);

const schema = z
  .strictObject({
    rename: z
      .record(z.string(), z.string())
      .default({})
      .describe('Fields to rename, old name → new name; a missing field is skipped; default none.'),
    copy: z
      .record(z.string(), z.string())
      .default({})
      .describe('Fields to copy, source → destination (a deep copy); default none.'),
    set: z
      .record(z.string(), scalarOrList)
      .default({})
      .describe(
        'Fields to set, field → value; strings may hold `{{field.path}}` references, and a missing one leaves the field unset; default none.',
      ),
    convert: z
      .record(z.string(), z.enum(CONVERT_TYPES))
      .default({})
      .describe(
        'Fields to convert, field → `int`, `float`, `bool`, `string` or `ip`; lists are converted element by element; default none.',
      ),
    lowercase: z
      .array(z.string())
      .default([])
      .describe('Fields whose text (or list of texts) is lowercased; default none.'),
    uppercase: z
      .array(z.string())
      .default([])
      .describe('Fields whose text (or list of texts) is uppercased; default none.'),
    append: z
      .record(z.string(), scalarOrList)
      .default({})
      .describe(
        'Values added to list fields without duplicates, field → value or list; strings may hold `{{field.path}}` references; default none.',
      ),
    remove: z.array(z.string()).default([]).describe('Fields to remove; default none.'),
  })
  .superRefine((config, ctx) => {
    const report = (path: (string | number)[], message: string): void => {
      ctx.addIssue({ code: 'custom', path, message });
    };
    const check = (path: (string | number)[], name: string): string | undefined => {
      try {
        return fieldPath(name).join('\u0000');
      } catch (error) {
        report(path, (error as Error).message);
        return undefined;
      }
    };
    const checkTemplate = (path: (string | number)[], value: unknown): void => {
      if (typeof value !== 'string') return;
      const reason = templateProblem(value);
      if (reason !== undefined) report(path, reason);
    };
    for (const op of ['rename', 'copy'] as const) {
      const targets = new Map<string, string>();
      const sources = new Map<string, string>();
      for (const [from, to] of Object.entries(config[op])) {
        const source = check([op, from], from);
        const target = check([op, from], to);
        if (source === undefined || target === undefined) continue;
        if (source === target)
          report([op, from], `"${from}" is ${op === 'rename' ? 'renamed' : 'copied'} to itself`);
        const earlierSource = sources.get(source);
        if (earlierSource !== undefined)
          report([op, from], `"${from}" is the same field as "${earlierSource}"`);
        const earlierTarget = targets.get(target);
        if (earlierTarget !== undefined)
          report([op, from], `"${from}" and "${earlierTarget}" both go to "${to}"`);
        sources.set(source, from);
        targets.set(target, from);
      }
      if (op === 'rename') {
        for (const [target, from] of targets) {
          const next = sources.get(target);
          if (next !== undefined && next !== from)
            report([op, next], `"${next}" is renamed, but it is also the new name of "${from}"`);
        }
      }
    }
    for (const op of ['set', 'convert', 'append'] as const) {
      const seen = new Map<string, string>();
      for (const [field, value] of Object.entries(config[op])) {
        const key = check([op, field], field);
        if (key !== undefined) {
          const earlier = seen.get(key);
          if (earlier !== undefined) report([op, field], `"${field}" is the same field as "${earlier}"`);
          seen.set(key, field);
        }
        if (!Array.isArray(value)) checkTemplate([op, field], value);
        else for (let i = 0; i < value.length; i++) checkTemplate([op, field, i], value[i]);
      }
    }
    for (const op of ['lowercase', 'uppercase', 'remove'] as const) {
      config[op].forEach((field, i) => {
        check([op, i], field);
      });
    }
    const empty =
      Object.keys(config.rename).length +
        Object.keys(config.copy).length +
        Object.keys(config.set).length +
        Object.keys(config.convert).length +
        Object.keys(config.append).length +
        config.lowercase.length +
        config.uppercase.length +
        config.remove.length ===
      0;
    if (empty) report([], 'mutate needs at least one operation');
  });

type MutateConfig = z.output<typeof schema>;
type Scalar = string | number | boolean;

// ---------------------------------------------------------------------------
// Conversions (shared with the csv parser's `convert`).

const NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
const BOOLEANS = new Map<string, boolean>([
  ['true', true],
  ['t', true],
  ['yes', true],
  ['y', true],
  ['1', true],
  ['false', false],
  ['f', false],
  ['no', false],
  ['n', false],
  ['0', false],
]);

function toNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value !== 'string' || value.length > 400 || !NUMBER.test(value)) return undefined;
  const n = Number(value);
  return Number.isFinite(n) ? n : undefined;
}

function convertScalar(value: unknown, type: ConvertType): unknown {
  switch (type) {
    case 'int': {
      const n = toNumber(value);
      if (n === undefined) return undefined;
      const int = Math.trunc(n);
      return Number.isSafeInteger(int) ? int : undefined;
    }
    case 'float':
      return toNumber(value);
    case 'bool':
      if (typeof value === 'boolean') return value;
      if (typeof value === 'number') return value === 1 ? true : value === 0 ? false : undefined;
      if (typeof value !== 'string' || value.length > 5) return undefined;
      return BOOLEANS.get(value.toLowerCase());
    case 'string':
      if (typeof value === 'string') return value;
      if (typeof value === 'number' || typeof value === 'boolean') return String(value);
      return undefined;
    case 'ip':
      return typeof value === 'string' && isIP(value) !== 0 ? value : undefined;
  }
}

/**
 * Converts a value to `type`; lists element by element. Returns undefined
 * when the value (or any element) cannot be converted:
 *
 * - `int`: a decimal number (`42`, `-3`, `1.9` → 1, `1e3`), a number, or a boolean (1/0); must be a safe integer.
 * - `float`: a decimal number, a number, or a boolean (1/0).
 * - `bool`: `true/false`, `t/f`, `yes/no`, `y/n`, `1/0` in any case, a boolean, or the numbers 1/0.
 * - `string`: a string, number or boolean as text.
 * - `ip`: an IPv4 or IPv6 address as text, unchanged.
 */
export function convertValue(value: unknown, type: ConvertType): unknown {
  if (!Array.isArray(value)) return convertScalar(value, type);
  const out = new Array<unknown>(value.length);
  for (let i = 0; i < value.length; i++) {
    const converted = convertScalar(value[i], type);
    if (converted === undefined) return undefined;
    out[i] = converted;
  }
  return out;
}

// ---------------------------------------------------------------------------
// Templates: `{{source.ip}}:{{source.port}}`.

const OPEN = '{{';
const CLOSE = '}}';

/** Why a template is malformed, or undefined when it is fine. */
function templateProblem(text: string): string | undefined {
  let from = 0;
  for (;;) {
    const open = text.indexOf(OPEN, from);
    if (open < 0) return text.indexOf(CLOSE, from) < 0 ? undefined : `"}}" without "{{" in "${text}"`;
    const close = text.indexOf(CLOSE, open + 2);
    if (close < 0) return `"{{" without "}}" in "${text}"`;
    const name = text.slice(open + 2, close).trim();
    try {
      fieldPath(name);
    } catch (error) {
      return (error as Error).message;
    }
    from = close + 2;
  }
}

/** A string with references: literals[0] ref[0] literals[1] … ref[n-1] literals[n]. */
class Template {
  readonly literals: string[] = [];
  readonly references: FieldPath[] = [];
  /** The text with the references filled in, or undefined when one is missing or not a scalar. */
  readonly render: (event: Record<string, unknown>) => string | undefined;

  constructor(text: string) {
    let from = 0;
    for (;;) {
      const open = text.indexOf(OPEN, from);
      if (open < 0) break;
      const close = text.indexOf(CLOSE, open + 2);
      this.literals.push(text.slice(from, open));
      this.references.push(fieldPath(text.slice(open + 2, close).trim()));
      from = close + 2;
    }
    this.literals.push(text.slice(from));
    this.render = compileRender(this.literals, this.references.map(fieldGetter));
  }
}

/** A scalar as template text; undefined for anything else (missing, object, list). */
function scalarText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

function compileRender(
  literals: readonly string[],
  getters: readonly FieldGetter[],
): (event: Record<string, unknown>) => string | undefined {
  // `{{field}}` alone, the most common template, is the field's text itself.
  if (getters.length === 1 && literals[0] === '' && literals[1] === '') {
    const get = getters[0] as FieldGetter;
    return (event) => scalarText(get(event));
  }
  return (event) => {
    let out = literals[0] as string;
    for (let i = 0; i < getters.length; i++) {
      const text = scalarText((getters[i] as FieldGetter)(event));
      if (text === undefined) return undefined;
      out += text;
      out += literals[i + 1] as string;
    }
    return out;
  };
}

/** A configured value: a constant, or a template filled in per event. */
type Value = Scalar | Template;

function compileValue(value: Scalar): Value {
  return typeof value === 'string' && value.includes(OPEN) ? new Template(value) : value;
}

function resolve(value: Value, event: Record<string, unknown>): Scalar | undefined {
  return typeof value === 'object' ? value.render(event) : value;
}

// ---------------------------------------------------------------------------

interface Move {
  from: FieldPath;
  to: FieldPath;
}

interface Assignment {
  path: FieldPath;
  set: FieldSetter;
  /** One value, or a list (set as a fresh array each time). */
  value: Value | Value[];
}

interface Conversion {
  name: string;
  get: FieldGetter;
  set: FieldSetter;
  type: ConvertType;
}

interface CaseChange {
  get: FieldGetter;
  set: FieldSetter;
}

interface Appending {
  append: (event: Record<string, unknown>, value: unknown) => void;
  values: Value[];
}

function deepCopy(value: unknown): unknown {
  return typeof value === 'object' && value !== null ? structuredClone(value) : value;
}

function changeCase(value: unknown, upper: boolean): unknown {
  if (typeof value === 'string') return upper ? value.toUpperCase() : value.toLowerCase();
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const item = value[i];
      if (typeof item === 'string') value[i] = upper ? item.toUpperCase() : item.toLowerCase();
    }
  }
  return value;
}

class MutateStep implements PipelineStep {
  readonly type = 'mutate';
  readonly renames: Move[];
  readonly copies: Move[];
  readonly sets: Assignment[];
  readonly conversions: Conversion[];
  readonly lowercase: CaseChange[];
  readonly uppercase: CaseChange[];
  readonly appends: Appending[];
  readonly removals: FieldPath[];

  constructor(config: MutateConfig) {
    const moves = (map: Record<string, string>): Move[] =>
      Object.entries(map).map(([from, to]) => ({ from: fieldPath(from), to: fieldPath(to) }));
    this.renames = moves(config.rename);
    this.copies = moves(config.copy);
    this.sets = Object.entries(config.set).map(([field, value]) => {
      const path = fieldPath(field);
      return {
        path,
        set: fieldSetter(path),
        value: Array.isArray(value) ? value.map(compileValue) : compileValue(value),
      };
    });
    this.conversions = Object.entries(config.convert).map(([name, type]) => {
      const path = fieldPath(name);
      return { name, get: fieldGetter(path), set: fieldSetter(path), type };
    });
    const caseChange = (name: string): CaseChange => {
      const path = fieldPath(name);
      return { get: fieldGetter(path), set: fieldSetter(path) };
    };
    this.lowercase = config.lowercase.map(caseChange);
    this.uppercase = config.uppercase.map(caseChange);
    this.appends = Object.entries(config.append).map(([field, value]) => ({
      append: fieldAppender(fieldPath(field)),
      values: (Array.isArray(value) ? value : [value]).map(compileValue),
    }));
    this.removals = config.remove.map(fieldPath);
  }

  run(event: Record<string, unknown>): StepResult {
    for (const { from, to } of this.renames) {
      const value = getField(event, from);
      if (value === undefined) continue;
      deleteField(event, from);
      setField(event, to, value);
    }
    for (const { from, to } of this.copies) {
      const value = getField(event, from);
      if (value !== undefined) setField(event, to, deepCopy(value));
    }
    const sets = this.sets;
    for (let i = 0; i < sets.length; i++) {
      const { set, value } = sets[i] as Assignment;
      assign(event, set, value);
    }
    let failed: string[] | undefined;
    for (const { name, get, set, type } of this.conversions) {
      const value = get(event);
      if (value === undefined || value === null) continue;
      const converted = convertValue(value, type);
      if (converted !== undefined) set(event, converted);
      else if (failed === undefined) failed = [name];
      else failed.push(name);
    }
    for (const { get, set } of this.lowercase) {
      const value = get(event);
      if (value !== undefined) set(event, changeCase(value, false));
    }
    for (const { get, set } of this.uppercase) {
      const value = get(event);
      if (value !== undefined) set(event, changeCase(value, true));
    }
    const appends = this.appends;
    for (let i = 0; i < appends.length; i++) {
      const { append, values } = appends[i] as Appending;
      for (let j = 0; j < values.length; j++) {
        const resolved = resolve(values[j] as Value, event);
        if (resolved !== undefined) append(event, resolved);
      }
    }
    for (const path of this.removals) deleteField(event, path);
    return failed === undefined ? undefined : { failure: `cannot convert ${failed.join(', ')}` };
  }
}

function assign(event: Record<string, unknown>, set: FieldSetter, value: Value | Value[]): void {
  if (!Array.isArray(value)) {
    const resolved = resolve(value, event);
    if (resolved !== undefined) set(event, resolved);
    return;
  }
  const list = new Array<Scalar>(value.length);
  for (let i = 0; i < value.length; i++) {
    const resolved = resolve(value[i] as Value, event);
    if (resolved === undefined) return;
    list[i] = resolved;
  }
  set(event, list);
}

export const mutateStep: StepDefinition<typeof schema> = {
  description: 'Renames, copies, sets, converts, changes the case of, appends to and removes fields.',
  schema,
  create(config): PipelineStep {
    return new MutateStep(config);
  },
};
