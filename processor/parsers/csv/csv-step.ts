/**
 * The `csv` pipeline step: splits one line of delimiter-separated values into
 * the fields named by `columns`, in order.
 *
 *   - csv:
 *       columns: [source.ip, user.name, event.action, http.response.status_code]
 *       convert: { http.response.status_code: int }
 *
 * Quoting follows RFC 4180: a value that starts with the quote character
 * runs to the next lone quote, may hold separators and line breaks, and a
 * doubled quote inside stands for one quote. A quote in the middle of an
 * unquoted value is an ordinary character. An unterminated quoted value, or
 * text between a closing quote and the next separator, fails the step
 * (`unterminated quote`, `invalid quoting`) and leaves the event unchanged.
 *
 * The text is one record: one line break at its very end is ignored.
 * Columns without a value are not set; values beyond the columns go to
 * `extra_field` as a list when it is configured and are dropped otherwise.
 * A value `convert` cannot convert is left out and the step fails with
 * `cannot convert <column>` after setting the other columns.
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
import { type ConvertType, convertValue } from '../../transforms/mutate/mutate-step.ts';

const singleChar = z
  .string()
  .length(1, 'expected one character')
  .refine((c) => c !== '\n' && c !== '\r', 'a line break cannot be a separator or quote');

const schema = z
  .strictObject({
    field: fieldNameSchema.default('message').describe('Field holding the text to parse; default `message`.'),
    columns: z
      .array(fieldNameSchema)
      .min(1)
      .max(DEFAULT_LIMITS.maxFields)
      .describe('Fields that receive the values, in order, e.g. `[source.ip, user.name]`; required.'),
    separator: singleChar.default(',').describe('Character between values; default `,`.'),
    quote: singleChar.default('"').describe('Character that quotes a value; default `"`.'),
    skip_empty: z
      .boolean()
      .default(true)
      .describe('Leave a column out when its value is empty (`a,,b`); default true.'),
    convert: z
      .record(z.string(), z.enum(['int', 'float', 'bool', 'string']))
      .default({})
      .describe(
        'Types of columns, column → `int`, `float`, `bool` or `string` (as in mutate); default none: all text.',
      ),
    extra_field: fieldNameSchema
      .optional()
      .describe(
        'Field that receives the values beyond the columns, as a list; default none: they are dropped.',
      ),
  })
  .superRefine((config, ctx) => {
    if (config.separator === config.quote) {
      ctx.addIssue({ code: 'custom', path: ['quote'], message: 'the quote must differ from the separator' });
    }
    const columns = new Set<string>();
    config.columns.forEach((column, i) => {
      if (columns.has(column))
        ctx.addIssue({ code: 'custom', path: ['columns', i], message: `"${column}" is listed twice` });
      columns.add(column);
    });
    for (const column of Object.keys(config.convert)) {
      if (!columns.has(column)) {
        ctx.addIssue({
          code: 'custom',
          path: ['convert', column],
          message: `"${column}" is not one of the columns`,
        });
      }
    }
  });

type CsvConfig = z.output<typeof schema>;

/** A missing source field is not a failure (an earlier step did not set it): the step does nothing. */
const MISSING = undefined;
const NOT_TEXT = { failure: 'not a string' } as const;
const TOO_LONG = { failure: 'too long' } as const;
const TOO_MANY = { failure: 'too many fields' } as const;
const UNTERMINATED = { failure: 'unterminated quote' } as const;
const INVALID_QUOTING = { failure: 'invalid quoting' } as const;

const OK = 0;
const ERR_UNTERMINATED = 1;
const ERR_QUOTING = 2;
const ERR_TOO_MANY = 3;

interface Column {
  name: string;
  path: FieldPath;
  type: ConvertType | undefined;
}

class CsvStep implements PipelineStep {
  readonly type = 'csv';
  readonly source: FieldPath;
  readonly columns: Column[];
  readonly separator: string;
  readonly quote: string;
  readonly skipEmpty: boolean;
  readonly extra: FieldPath | undefined;
  readonly maxValues = DEFAULT_LIMITS.maxFields;
  readonly maxBytes = DEFAULT_LIMITS.maxFieldBytes;
  /** Values of the line being parsed; reused (a step runs one event at a time). */
  private readonly values: string[] = [];

  constructor(config: CsvConfig) {
    this.source = fieldPath(config.field);
    this.columns = config.columns.map((name) => ({
      name,
      path: fieldPath(name),
      type: Object.hasOwn(config.convert, name) ? config.convert[name] : undefined,
    }));
    this.separator = config.separator;
    this.quote = config.quote;
    this.skipEmpty = config.skip_empty;
    this.extra = config.extra_field === undefined ? undefined : fieldPath(config.extra_field);
  }

  run(event: Record<string, unknown>): StepResult {
    const text = getField(event, this.source);
    if (text === undefined) return MISSING;
    if (typeof text !== 'string') return NOT_TEXT;
    if (exceedsBytes(text, this.maxBytes)) return TOO_LONG;
    const values = this.values;
    values.length = 0;
    const status = this.split(text, values);
    if (status !== OK) {
      values.length = 0;
      return status === ERR_UNTERMINATED ? UNTERMINATED : status === ERR_QUOTING ? INVALID_QUOTING : TOO_MANY;
    }
    let failed: string[] | undefined;
    const columns = this.columns;
    const count = Math.min(columns.length, values.length);
    for (let i = 0; i < count; i++) {
      const value = values[i] as string;
      if (value === '' && this.skipEmpty) continue;
      const column = columns[i] as Column;
      if (column.type === undefined) {
        setField(event, column.path, value);
        continue;
      }
      const converted = convertValue(value, column.type);
      if (converted !== undefined) setField(event, column.path, converted);
      else if (failed === undefined) failed = [column.name];
      else failed.push(column.name);
    }
    if (this.extra !== undefined && values.length > columns.length) {
      const extra = values.slice(columns.length);
      const kept = this.skipEmpty ? extra.filter((v) => v !== '') : extra;
      if (kept.length > 0) setField(event, this.extra, kept);
    }
    values.length = 0;
    return failed === undefined ? undefined : { failure: `cannot convert ${failed.join(', ')}` };
  }

  /** Splits one record into `values`; returns OK or an ERR_ code. */
  private split(text: string, values: string[]): number {
    const { separator, quote, maxValues } = this;
    let end = text.length;
    if (end > 0 && text.charCodeAt(end - 1) === 0x0a) end--;
    if (end > 0 && text.charCodeAt(end - 1) === 0x0d) end--;
    let i = 0;
    for (;;) {
      if (values.length === maxValues) return ERR_TOO_MANY;
      if (i < end && text[i] === quote) {
        // Quoted value: runs to the next quote that is not doubled.
        let value = '';
        let from = i + 1;
        for (;;) {
          const close = text.indexOf(quote, from);
          if (close < 0 || close >= end) return ERR_UNTERMINATED;
          if (close + 1 < end && text[close + 1] === quote) {
            value += text.slice(from, close + 1);
            from = close + 2;
            continue;
          }
          value += text.slice(from, close);
          i = close + 1;
          break;
        }
        values.push(value);
        if (i >= end) return OK;
        if (text[i] !== separator) return ERR_QUOTING;
        i++;
      } else {
        let next = text.indexOf(separator, i);
        if (next < 0 || next > end) next = end;
        values.push(text.slice(i, next));
        if (next >= end) return OK;
        i = next + 1;
      }
    }
  }
}

export const csvStep: StepDefinition<typeof schema> = {
  description: 'Splits delimiter-separated values (CSV, RFC 4180 quoting) into the fields of its columns.',
  schema,
  create(config): PipelineStep {
    return new CsvStep(config);
  },
};
