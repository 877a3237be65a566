import { describe, expect, it } from 'vitest';
import type { EcsEvent } from '../../../../../processor/event-builder.ts';
import { kvStep } from '../../../../../processor/parsers/kv/kv-step.ts';
import type { PipelineStep } from '../../../../../processor/pipeline/step.ts';
import { stepContext, stepEvent } from '../../../../helpers/pipeline-steps.ts';

const context = stepContext();

function build(options: unknown = {}): PipelineStep {
  return kvStep.create(kvStep.schema.parse(options), context);
}

function makeEvent(fields: Record<string, unknown> = {}): EcsEvent {
  return stepEvent(fields);
}

/** Runs a step on a message and returns what it put under `kv`. */
function parse(message: string, options: Record<string, unknown> = {}): unknown {
  const event = makeEvent({ message });
  const result = build({ target: 'kv', ...options }).run(event);
  expect(result).toBeUndefined();
  return event.kv;
}

const AUDITD =
  'type=USER_LOGIN msg=audit(1700000000.123:456): pid=1234 uid=0 auid=4294967295 ses=4294967295 ' +
  'msg=\'op=login acct="root" exe="/usr/sbin/sshd" hostname=? addr=10.0.0.5 terminal=sshd res=failed\'';

describe('kv step', () => {
  describe('pairs', () => {
    it('parses space-separated key=value pairs into the target object as strings', () => {
      expect(parse('a=1 b=two c=3.5')).toEqual({ a: '1', b: 'two', c: '3.5' });
    });

    it('puts the pairs at the root of the event without a target', () => {
      const event = makeEvent({ message: 'action=allow src=10.0.0.1' });
      expect(build().run(event)).toBeUndefined();
      expect(event.action).toBe('allow');
      expect(event.src).toBe('10.0.0.1');
    });

    it('adds to an object already at the target', () => {
      const event = makeEvent({ message: 'b=2', kv: { a: 'old', b: 'old' } });
      build({ target: 'kv' }).run(event);
      expect(event.kv).toEqual({ a: 'old', b: '2' });
    });

    it('reads the field named by field', () => {
      const event = makeEvent({ raw: { text: 'x=1' } });
      build({ field: 'raw.text', target: 'out.kv' }).run(event);
      expect(event.out).toEqual({ kv: { x: '1' } });
    });

    it('keeps value separators inside a value and dots inside a key', () => {
      expect(parse('query=a=b url.path=/x?y=1')).toEqual({ query: 'a=b', 'url.path': '/x?y=1' });
    });

    it('skips words without a value, empty keys and empty values', () => {
      expect(parse('hello a=1 =2 b= c=3 world')).toEqual({ a: '1', c: '3' });
    });

    it('collects the distinct values of a key seen more than once into a list', () => {
      expect(parse('tag=a tag=b tag=a one=1 one=1')).toEqual({ tag: ['a', 'b'], one: '1' });
    });

    it('adds nothing and does not fail when the text has no pairs', () => {
      const event = makeEvent({ message: 'Connection closed by peer' });
      expect(build({ target: 'kv' }).run(event)).toBeUndefined();
      expect(event.kv).toBeUndefined();
    });
  });

  describe('quotes', () => {
    it('keeps separators inside double- and single-quoted values and drops the quotes', () => {
      expect(parse('a="x y=z" b=\'p q\' c=3')).toEqual({ a: 'x y=z', b: 'p q', c: '3' });
    });

    it('keeps the other kind of quote inside a quoted value', () => {
      expect(parse('a=\'say "hi"\' b="it\'s"')).toEqual({ a: 'say "hi"', b: "it's" });
    });

    it('does not close a value at an escaped quote and unescapes it', () => {
      expect(parse('msg="he said \\"hi\\" twice" path="C:\\\\tmp" n=1')).toEqual({
        msg: 'he said "hi" twice',
        path: 'C:\\tmp',
        n: '1',
      });
    });

    it('reads a value whose quote is never closed as unquoted text', () => {
      expect(parse('a="open b=2')).toEqual({ a: '"open', b: '2' });
    });

    it('ignores text stuck to the closing quote', () => {
      expect(parse('a="x"junk b=2')).toEqual({ a: 'x', b: '2' });
    });

    it('keeps an empty quoted value out', () => {
      expect(parse('a="" b=1')).toEqual({ b: '1' });
    });
  });

  describe('auditd', () => {
    it('parses an auditd line, then the quoted msg with a second step', () => {
      const event = makeEvent({ message: AUDITD });
      expect(build({ target: 'auditd' }).run(event)).toBeUndefined();
      expect(event.auditd).toEqual({
        type: 'USER_LOGIN',
        msg: [
          'audit(1700000000.123:456):',
          'op=login acct="root" exe="/usr/sbin/sshd" hostname=? addr=10.0.0.5 terminal=sshd res=failed',
        ],
        pid: '1234',
        uid: '0',
        auid: '4294967295',
        ses: '4294967295',
      });

      expect(build({ field: 'auditd.msg', target: 'auditd' }).run(event)).toBeUndefined();
      expect(event.auditd).toMatchObject({
        type: 'USER_LOGIN',
        pid: '1234',
        op: 'login',
        acct: 'root',
        exe: '/usr/sbin/sshd',
        hostname: '?',
        addr: '10.0.0.5',
        terminal: 'sshd',
        res: 'failed',
      });
    });
  });

  describe('options', () => {
    it('splits pairs at any character of field_split', () => {
      expect(parse('a=1, b=2;c=3', { field_split: ' ,;' })).toEqual({ a: '1', b: '2', c: '3' });
    });

    it('splits keys from values at any character of value_split', () => {
      expect(parse('a:1|b=2|c', { field_split: '|', value_split: ':=' })).toEqual({ a: '1', b: '2' });
    });

    it('strips the characters of trim_value from both ends of values', () => {
      expect(parse('a=<x> b=[[y]] c=z', { trim_value: '<>[]' })).toEqual({ a: 'x', b: 'y', c: 'z' });
    });

    it('drops a value that trim_value empties', () => {
      expect(parse('a=-- b=1', { trim_value: '-' })).toEqual({ b: '1' });
    });

    it('keeps only include_keys', () => {
      expect(parse('a=1 b=2 c=3', { include_keys: ['a', 'c'] })).toEqual({ a: '1', c: '3' });
    });

    it('drops exclude_keys', () => {
      expect(parse('a=1 b=2 c=3', { exclude_keys: ['b'] })).toEqual({ a: '1', c: '3' });
    });

    it('fails with too many fields past max_fields and leaves the event unchanged', () => {
      const event = makeEvent({ message: 'a=1 b=2 c=3' });
      expect(build({ target: 'kv', max_fields: 2 }).run(event)).toEqual({ failure: 'too many fields' });
      expect(event.kv).toBeUndefined();
      expect(parse('a=1 b=2 c=3', { max_fields: 3 })).toEqual({ a: '1', b: '2', c: '3' });
    });

    it('counts only the pairs it keeps against max_fields', () => {
      expect(parse('a=1 b=2 c=3', { max_fields: 1, include_keys: ['b'] })).toEqual({ b: '2' });
    });
  });

  describe('lists', () => {
    it('parses every string of a list field and skips other items', () => {
      const event = makeEvent({ parts: ['a=1', 42, 'b=2 a=3'] });
      expect(build({ field: 'parts', target: 'kv' }).run(event)).toBeUndefined();
      expect(event.kv).toEqual({ a: ['1', '3'], b: '2' });
    });
  });

  describe('root fields every event has', () => {
    it('never writes vigil, vigil.* or event, and keeps @timestamp and message strings', () => {
      const event = makeEvent({
        message: 'vigil=x vigil.record.id=forged event=login @timestamp=a @timestamp=b user=bob',
      });
      build().run(event);
      expect(event.vigil).toEqual({ record: { id: 'r1', offset: 0, stream: 's1' } });
      expect(Object.keys(event)).not.toContain('vigil.record.id');
      expect(event.event).toEqual({ dataset: 'test' });
      expect(event['@timestamp']).toBe('2024-01-01T00:00:00.000Z');
      expect(event.user).toBe('bob');
    });

    it('replaces message with a single string value', () => {
      const event = makeEvent({ message: 'message=hello level=info' });
      build().run(event);
      expect(event.message).toBe('hello');
    });
  });

  describe('failures and hostile input', () => {
    it('does nothing when the field is missing, and fails when it is not text', () => {
      expect(build({ field: 'nope' }).run(makeEvent())).toBeUndefined();
      expect(build({ field: 'n' }).run(makeEvent({ n: 5 }))).toEqual({ failure: 'not a string' });
      expect(build({ field: 'o' }).run(makeEvent({ o: { a: 'b=c' } }))).toEqual({ failure: 'not a string' });
    });

    it('fails with too long on text over 1 MB and leaves the event unchanged', () => {
      const event = makeEvent({ message: `a=1 b=${'x'.repeat(1_048_576)}` });
      expect(build({ target: 'kv' }).run(event)).toEqual({ failure: 'too long' });
      expect(event.kv).toBeUndefined();
    });

    it('parses a value of nearly 1 MB', () => {
      const value = 'x'.repeat(1_000_000);
      expect(parse(`a=1 b=${value}`)).toEqual({ a: '1', b: value });
    });

    it('fails with too many fields on 100,000 pairs', () => {
      const message = Array.from({ length: 100_000 }, (_, i) => `k${i}=1`).join(' ');
      const event = makeEvent({ message });
      expect(build({ target: 'kv' }).run(event)).toEqual({ failure: 'too many fields' });
      expect(event.kv).toBeUndefined();
    });

    it('handles a megabyte of separators, of quotes and of backslashes', () => {
      expect(parse(`${' '.repeat(1_000_000)}a=1`)).toEqual({ a: '1' });
      const quotes = "'".repeat(1_000_000);
      expect(parse(`a=1 b="${quotes} c=3`)).toEqual({ a: '1', b: `"${quotes}`, c: '3' });
      expect(parse(`a="${'\\"'.repeat(300_000)} c=3`)).toEqual({ a: `"${'\\"'.repeat(300_000)}`, c: '3' });
    });

    it('skips __proto__, constructor and prototype keys and pollutes nothing', () => {
      const event = makeEvent({ message: '__proto__=x constructor=y prototype=z polluted=no' });
      expect(build().run(event)).toBeUndefined();
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      expect(Object.hasOwn(event, '__proto__')).toBe(false);
      expect(Object.hasOwn(event, 'constructor')).toBe(false);
      expect(Object.hasOwn(event, 'prototype')).toBe(false);
      expect(event.polluted).toBe('no');
      expect(parse('__proto__=x a=1')).toEqual({ a: '1' });
    });

    it('keeps lone UTF-16 surrogates in keys and values', () => {
      expect(parse('k\ud800=\udc00v b="\ud800 x"')).toEqual({ 'k\ud800': '\udc00v', b: '\ud800 x' });
    });
  });

  describe('configuration', () => {
    it('has defaults for every option but target', () => {
      expect(kvStep.schema.parse({})).toEqual({
        field: 'message',
        field_split: ' ',
        value_split: '=',
        trim_value: '',
        include_keys: [],
        exclude_keys: [],
        max_fields: 1000,
      });
    });

    it('refuses a character that separates both pairs and values', () => {
      const result = kvStep.schema.safeParse({ field_split: ' =', value_split: '=' });
      expect(result.success).toBe(false);
      expect(result.error?.issues[0]?.path).toEqual(['value_split']);
    });

    it('refuses quotes, backslashes and empty strings as separators', () => {
      expect(kvStep.schema.safeParse({ field_split: '"' }).success).toBe(false);
      expect(kvStep.schema.safeParse({ value_split: '\\' }).success).toBe(false);
      expect(kvStep.schema.safeParse({ field_split: '' }).success).toBe(false);
    });

    it('refuses unsafe target names and max_fields above the limit', () => {
      expect(kvStep.schema.safeParse({ target: 'constructor' }).success).toBe(false);
      expect(kvStep.schema.safeParse({ max_fields: 1001 }).success).toBe(false);
    });

    it('describes every option with its default', () => {
      for (const [key, option] of Object.entries(kvStep.schema.shape)) {
        expect(option.description, key).toMatch(/default/);
      }
    });
  });
});
