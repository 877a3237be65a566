import { describe, expect, it } from 'vitest';
import type { EcsEvent } from '../../../../../processor/event-builder.ts';
import { csvStep } from '../../../../../processor/parsers/csv/csv-step.ts';
import type { PipelineStep } from '../../../../../processor/pipeline/step.ts';
import { buildStep, stepContext, stepEvent } from '../../../../helpers/pipeline-steps.ts';

const context = stepContext();

function build(options: Record<string, unknown>): PipelineStep {
  return buildStep(csvStep, options, context);
}

function makeEvent(fields: Record<string, unknown> = {}): EcsEvent {
  return stepEvent(fields);
}

const ABC = { columns: ['a', 'b', 'c'] };

/** Runs a step with columns a, b, c (and more options) and returns those three fields. */
function parse(message: string, options: Record<string, unknown> = {}): Record<string, unknown> {
  const event = makeEvent({ message });
  expect(build({ ...ABC, ...options }).run(event)).toBeUndefined();
  const out: Record<string, unknown> = {};
  for (const key of ['a', 'b', 'c']) if (event[key] !== undefined) out[key] = event[key];
  return out;
}

describe('csv step', () => {
  describe('values', () => {
    it('puts the values into the columns, in order, nested paths included', () => {
      const event = makeEvent({ message: '10.0.0.1,alice,login' });
      expect(build({ columns: ['source.ip', 'user.name', 'event.action'] }).run(event)).toBeUndefined();
      expect(event.source).toEqual({ ip: '10.0.0.1' });
      expect(event.user).toEqual({ name: 'alice' });
      expect(event.event).toEqual({ dataset: 'test', action: 'login' });
    });

    it('reads the field named by field', () => {
      const event = makeEvent({ line: '1,2,3' });
      build({ ...ABC, field: 'line' }).run(event);
      expect([event.a, event.b, event.c]).toEqual(['1', '2', '3']);
    });

    it('keeps spaces around values (RFC 4180)', () => {
      expect(parse(' x , y ,z')).toEqual({ a: ' x ', b: ' y ', c: 'z' });
    });

    it('leaves out columns that have no value', () => {
      expect(parse('x,y')).toEqual({ a: 'x', b: 'y' });
    });

    it('ignores one line break at the end of the text', () => {
      expect(parse('x,y,z\r\n')).toEqual({ a: 'x', b: 'y', c: 'z' });
      expect(parse('x,y,"z"\n')).toEqual({ a: 'x', b: 'y', c: 'z' });
    });

    it('reads a quote in the middle of an unquoted value as a character', () => {
      expect(parse('say "hi",b"c,d')).toEqual({ a: 'say "hi"', b: 'b"c', c: 'd' });
    });
  });

  describe('quoting', () => {
    it('keeps separators inside quoted values', () => {
      expect(parse('"x,1",y,"z,2,3"')).toEqual({ a: 'x,1', b: 'y', c: 'z,2,3' });
    });

    it('reads a doubled quote inside a quoted value as one quote', () => {
      expect(parse('"say ""hi""","""",z')).toEqual({ a: 'say "hi"', b: '"', c: 'z' });
    });

    it('keeps line breaks inside quoted values', () => {
      expect(parse('"line 1\nline 2","a\r\nb",z')).toEqual({ a: 'line 1\nline 2', b: 'a\r\nb', c: 'z' });
    });

    it('fails with unterminated quote and leaves the event unchanged', () => {
      const event = makeEvent({ message: 'x,"y,z' });
      expect(build(ABC).run(event)).toEqual({ failure: 'unterminated quote' });
      expect(event.a).toBeUndefined();
    });

    it('fails with unterminated quote when the last quote is doubled', () => {
      expect(build(ABC).run(makeEvent({ message: 'x,"y""' }))).toEqual({ failure: 'unterminated quote' });
    });

    it('fails with invalid quoting on text after a closing quote and leaves the event unchanged', () => {
      const event = makeEvent({ message: 'x,"y"z,w' });
      expect(build(ABC).run(event)).toEqual({ failure: 'invalid quoting' });
      expect(event.a).toBeUndefined();
    });
  });

  describe('options', () => {
    it('splits at separator', () => {
      expect(parse('x;y;"z;w"', { separator: ';' })).toEqual({ a: 'x', b: 'y', c: 'z;w' });
      expect(parse('x\ty,1\tz', { separator: '\t' })).toEqual({ a: 'x', b: 'y,1', c: 'z' });
    });

    it('quotes with quote', () => {
      expect(parse("'x,1','it''s',\"z\"", { quote: "'" })).toEqual({ a: 'x,1', b: "it's", c: '"z"' });
    });

    it('leaves empty values out with skip_empty (the default)', () => {
      expect(parse(',"",z')).toEqual({ c: 'z' });
    });

    it('sets empty values without skip_empty', () => {
      expect(parse(',"",z', { skip_empty: false })).toEqual({ a: '', b: '', c: 'z' });
    });

    it('converts columns listed in convert', () => {
      const event = makeEvent({ message: '42,1.5,true,7' });
      const step = build({
        columns: ['n', 'f', 'b', 's'],
        convert: { n: 'int', f: 'float', b: 'bool', s: 'string' },
      });
      expect(step.run(event)).toBeUndefined();
      expect([event.n, event.f, event.b, event.s]).toEqual([42, 1.5, true, '7']);
    });

    it('leaves out a value convert cannot convert, sets the others and fails naming the column', () => {
      const event = makeEvent({ message: 'abc,x,maybe' });
      const step = build({ ...ABC, convert: { a: 'int', c: 'bool' } });
      expect(step.run(event)).toEqual({ failure: 'cannot convert a, c' });
      expect(event.a).toBeUndefined();
      expect(event.b).toBe('x');
      expect(event.c).toBeUndefined();
    });

    it('drops values beyond the columns without extra_field', () => {
      const event = makeEvent({ message: 'x,y,z,extra1,extra2' });
      expect(build(ABC).run(event)).toBeUndefined();
      expect(Object.keys(event).sort()).toEqual(['@timestamp', 'a', 'b', 'c', 'event', 'message', 'vigil']);
    });

    it('puts values beyond the columns into extra_field as a list', () => {
      const event = makeEvent({ message: 'x,y,z,e1,,"e,3"' });
      expect(build({ ...ABC, extra_field: 'csv.extra' }).run(event)).toBeUndefined();
      expect(event.csv).toEqual({ extra: ['e1', 'e,3'] });
    });

    it('keeps empty extra values without skip_empty and sets nothing when there are none', () => {
      const event = makeEvent({ message: 'x,y,z,,e' });
      build({ ...ABC, extra_field: 'extra', skip_empty: false }).run(event);
      expect(event.extra).toEqual(['', 'e']);
      const none = makeEvent({ message: 'x,y,z' });
      build({ ...ABC, extra_field: 'extra' }).run(none);
      expect(none.extra).toBeUndefined();
    });
  });

  describe('failures and hostile input', () => {
    it('does nothing when the field is missing, and fails when it is not text', () => {
      expect(build({ ...ABC, field: 'nope' }).run(makeEvent())).toBeUndefined();
      expect(build({ ...ABC, field: 'n' }).run(makeEvent({ n: 1 }))).toEqual({ failure: 'not a string' });
    });

    it('fails with too long on text over 1 MB', () => {
      const event = makeEvent({ message: `x,${'y'.repeat(1_048_576)}` });
      expect(build(ABC).run(event)).toEqual({ failure: 'too long' });
      expect(event.a).toBeUndefined();
    });

    it('parses a quoted value of nearly 1 MB full of doubled quotes', () => {
      const event = makeEvent({ message: `x,"${'""'.repeat(500_000)}",z` });
      expect(build(ABC).run(event)).toBeUndefined();
      expect(event.b).toBe('"'.repeat(500_000));
    });

    it('fails with too many fields on a line of more than 1,000 values, even beyond the columns', () => {
      const event = makeEvent({ message: ','.repeat(100_000) });
      expect(build({ ...ABC, extra_field: 'extra', skip_empty: false }).run(event)).toEqual({
        failure: 'too many fields',
      });
      expect(event.a).toBeUndefined();
      expect(event.extra).toBeUndefined();
      expect(build(ABC).run(makeEvent({ message: ','.repeat(999) }))).toBeUndefined();
    });

    it('keeps lone UTF-16 surrogates', () => {
      expect(parse('\ud800,"\udc00,x",z')).toEqual({ a: '\ud800', b: '\udc00,x', c: 'z' });
    });

    it('is not tricked by values that look like prototype names', () => {
      const event = makeEvent({ message: '__proto__,constructor,prototype' });
      build(ABC).run(event);
      expect([event.a, event.b, event.c]).toEqual(['__proto__', 'constructor', 'prototype']);
      expect(({} as Record<string, unknown>).a).toBeUndefined();
    });

    it('parses one event after another with the same step', () => {
      const step = build(ABC);
      const first = makeEvent({ message: '1,2,3,4' });
      const second = makeEvent({ message: '5' });
      step.run(first);
      step.run(second);
      expect([second.a, second.b, second.c]).toEqual(['5', undefined, undefined]);
    });
  });

  describe('configuration', () => {
    it('needs columns and has defaults for the other options', () => {
      expect(csvStep.schema.safeParse({}).success).toBe(false);
      expect(csvStep.schema.parse({ columns: ['a'] })).toEqual({
        field: 'message',
        columns: ['a'],
        separator: ',',
        quote: '"',
        skip_empty: true,
        convert: {},
      });
    });

    it('refuses a convert entry for a column that is not listed', () => {
      const result = csvStep.schema.safeParse({ columns: ['a'], convert: { b: 'int' } });
      expect(result.success).toBe(false);
      expect(result.error?.issues[0]?.path).toEqual(['convert', 'b']);
    });

    it('refuses unknown types, duplicate columns and unsafe column names', () => {
      expect(csvStep.schema.safeParse({ columns: ['a'], convert: { a: 'ip' } }).success).toBe(false);
      expect(csvStep.schema.safeParse({ columns: ['a', 'a'] }).success).toBe(false);
      expect(csvStep.schema.safeParse({ columns: ['x.__proto__'] }).success).toBe(false);
      expect(csvStep.schema.safeParse({ columns: [''] }).success).toBe(false);
    });

    it('refuses separators and quotes that are not one character, equal, or line breaks', () => {
      expect(csvStep.schema.safeParse({ columns: ['a'], separator: ',,' }).success).toBe(false);
      expect(csvStep.schema.safeParse({ columns: ['a'], separator: '"' }).success).toBe(false);
      expect(csvStep.schema.safeParse({ columns: ['a'], separator: '\n' }).success).toBe(false);
      expect(csvStep.schema.safeParse({ columns: ['a'], quote: '' }).success).toBe(false);
    });

    it('describes every option with its default', () => {
      for (const [key, option] of Object.entries(csvStep.schema.shape)) {
        expect(option.description, key).toMatch(/default|required/);
      }
    });
  });
});
