/**
 * The `json` pipeline step: parses a field holding JSON text.
 *
 *   - json: {}                                  # merge the object in `message` at the root
 *   - json: { field: payload, target: app }     # put the parsed object or array at `app`
 *
 * Without `target` the text must hold an object, whose fields are merged
 * deeply into the event; two kinds of root fields are protected so that the
 * event stays an event: `vigil` (Vigil's own record data) is never written,
 * and `@timestamp`, `message` (strings) and `event` (an object) are only
 * replaced by a value of the same kind — another kind is left out. With
 * `target` the text may hold an object or an array, which replaces the
 * target field.
 *
 * Hostile text is refused before `JSON.parse` by one scan of the string:
 * nesting deeper than `max_depth` fails with `too deep`, more than
 * `max_fields` object keys (counted over all levels) with `too many fields`.
 * Keys `__proto__`, `constructor` and `prototype` are dropped wherever they
 * occur. A failing event is left unchanged.
 */
import { z } from 'zod';
import {
  exceedsBytes,
  type FieldPath,
  fieldNameSchema,
  fieldPath,
  getField,
  mergeFields,
  setField,
} from '../../pipeline/fields.ts';
import type { PipelineStep, StepDefinition, StepResult } from '../../pipeline/step.ts';
import { DEFAULT_LIMITS } from '../../pipeline/step.ts';

const schema = z.strictObject({
  field: fieldNameSchema.default('message').describe('Field holding the JSON text; default `message`.'),
  target: fieldNameSchema
    .optional()
    .describe(
      'Field that receives the parsed object or array; default none: the object is merged at the root of the event.',
    ),
  max_depth: z
    .number()
    .int()
    .min(1)
    .max(DEFAULT_LIMITS.maxDepth)
    .default(DEFAULT_LIMITS.maxDepth)
    .describe(
      `Deepest nesting of objects and arrays accepted, at most ${DEFAULT_LIMITS.maxDepth}; default ${DEFAULT_LIMITS.maxDepth}.`,
    ),
  max_fields: z
    .number()
    .int()
    .min(1)
    .max(DEFAULT_LIMITS.maxFields)
    .default(DEFAULT_LIMITS.maxFields)
    .describe(
      `Most object keys (all levels together) accepted, at most ${DEFAULT_LIMITS.maxFields}; default ${DEFAULT_LIMITS.maxFields}.`,
    ),
});

type JsonConfig = z.output<typeof schema>;

/** A missing source field is not a failure (an earlier step did not set it): the step does nothing. */
const MISSING = undefined;
const NOT_TEXT = { failure: 'not a string' } as const;
const TOO_LONG = { failure: 'too long' } as const;
const TOO_DEEP = { failure: 'too deep' } as const;
const TOO_MANY = { failure: 'too many fields' } as const;
const INVALID = { failure: 'invalid JSON' } as const;
const NOT_OBJECT = { failure: 'not a JSON object' } as const;
const NOT_CONTAINER = { failure: 'not a JSON object or array' } as const;

const FORBIDDEN = new Set(['__proto__', 'constructor', 'prototype']);

/** Scan results: a bit set. */
const SCAN_TOO_DEEP = 1;
const SCAN_TOO_MANY = 2;
/** Some key may be a forbidden name (possibly written with escapes). */
const SCAN_SUSPECT_KEY = 4;

/**
 * One pass over the text, outside strings: the deepest nesting and the number
 * of object keys (a `:` outside a string ends a key). Returns as soon as a
 * limit is passed. For text `JSON.parse` accepts, the counts are exact; for
 * any prefix it reads, they are at least what it sees, so it never nests
 * deeper than checked here.
 */
function scan(text: string, maxDepth: number, maxKeys: number): number {
  const n = text.length;
  let depth = 0;
  let keys = 0;
  let flags = 0;
  // The last string seen: where its content starts and ends, and whether it has escapes.
  let stringStart = 0;
  let stringEnd = 0;
  let stringEscaped = false;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      stringStart = i + 1;
      stringEscaped = false;
      for (i++; i < n; i++) {
        const d = text.charCodeAt(i);
        if (d === 0x22) break;
        if (d === 0x5c) {
          stringEscaped = true;
          i++;
        }
      }
      stringEnd = i;
    } else if (c === 0x7b || c === 0x5b) {
      if (++depth > maxDepth) return flags | SCAN_TOO_DEEP;
    } else if (c === 0x7d || c === 0x5d) {
      depth--;
    } else if (c === 0x3a) {
      if (++keys > maxKeys) return flags | SCAN_TOO_MANY;
      const length = stringEnd - stringStart;
      if (stringEscaped || length === 9 || length === 11) {
        if (stringEscaped || FORBIDDEN.has(text.slice(stringStart, stringEnd))) flags |= SCAN_SUSPECT_KEY;
      }
    }
  }
  return flags;
}

function dropForbidden(key: string, value: unknown): unknown {
  return FORBIDDEN.has(key) ? undefined : value;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Merges parsed fields at the root, keeping the fields every event has of the right kind. */
function mergeAtRoot(event: Record<string, unknown>, fields: Record<string, unknown>): void {
  for (const key of Object.keys(fields)) {
    const value = fields[key];
    switch (key) {
      case 'vigil':
        continue;
      case '@timestamp':
      case 'message':
        if (typeof value !== 'string') continue;
        break;
      case 'event':
        if (!isObject(value)) continue;
        break;
    }
    const existing = event[key];
    if (isObject(value) && isObject(existing)) mergeFields(existing, value);
    else event[key] = value;
  }
}

class JsonStep implements PipelineStep {
  readonly type = 'json';
  readonly source: FieldPath;
  readonly target: FieldPath | undefined;
  readonly maxDepth: number;
  readonly maxFields: number;
  readonly maxBytes = DEFAULT_LIMITS.maxFieldBytes;

  constructor(config: JsonConfig) {
    this.source = fieldPath(config.field);
    this.target = config.target === undefined ? undefined : fieldPath(config.target);
    this.maxDepth = config.max_depth;
    this.maxFields = config.max_fields;
  }

  run(event: Record<string, unknown>): StepResult {
    const text = getField(event, this.source);
    if (text === undefined) return MISSING;
    if (typeof text !== 'string') return NOT_TEXT;
    if (exceedsBytes(text, this.maxBytes)) return TOO_LONG;
    const flags = scan(text, this.maxDepth, this.maxFields);
    if (flags & SCAN_TOO_DEEP) return TOO_DEEP;
    if (flags & SCAN_TOO_MANY) return TOO_MANY;
    let value: unknown;
    try {
      value = flags & SCAN_SUSPECT_KEY ? JSON.parse(text, dropForbidden) : JSON.parse(text);
    } catch {
      return INVALID;
    }
    if (this.target === undefined) {
      if (!isObject(value)) return NOT_OBJECT;
      mergeAtRoot(event, value);
    } else {
      if (typeof value !== 'object' || value === null) return NOT_CONTAINER;
      setField(event, this.target, value);
    }
    return undefined;
  }
}

export const jsonStep: StepDefinition<typeof schema> = {
  description: 'Parses JSON text into fields, merged at the root of the event or put at a target field.',
  schema,
  create(config): PipelineStep {
    return new JsonStep(config);
  },
};
