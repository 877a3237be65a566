import { describe, expect, it } from 'vitest';
import type { EcsEvent } from '../../../../../processor/event-builder.ts';
import type { PipelineStep } from '../../../../../processor/pipeline/step.ts';
import { convertValue, mutateStep } from '../../../../../processor/transforms/mutate/mutate-step.ts';
import { buildStep, stepContext, stepEvent } from '../../../../helpers/pipeline-steps.ts';

const context = stepContext();

function build(options: Record<string, unknown>): PipelineStep {
  return buildStep(mutateStep, options, context);
}

function makeEvent(fields: Record<string, unknown> = {}): EcsEvent {
  return stepEvent(fields);
}

function problems(options: Record<string, unknown>): string[] {
  const result = mutateStep.schema.safeParse(options);
  expect(result.success).toBe(false);
  return (result.error?.issues ?? []).map((issue) => `${issue.path.join('.')}: ${issue.message}`);
}

describe('mutate step', () => {
  describe('rename', () => {
    it('moves a field to its new name, creating parent objects', () => {
      const event = makeEvent({ src_ip: '10.0.0.1', tmp: { port: 22 } });
      expect(
        build({ rename: { src_ip: 'source.ip', 'tmp.port': 'source.port' } }).run(event),
      ).toBeUndefined();
      expect(event.source).toEqual({ ip: '10.0.0.1', port: 22 });
      expect(event.src_ip).toBeUndefined();
      expect(event.tmp).toEqual({});
    });

    it('skips a field that is missing', () => {
      const event = makeEvent({ b: 1 });
      expect(build({ rename: { a: 'b' } }).run(event)).toBeUndefined();
      expect(event.b).toBe(1);
    });

    it('replaces the value at the new name', () => {
      const event = makeEvent({ a: 'new', b: 'old' });
      build({ rename: { a: 'b' } }).run(event);
      expect(event.b).toBe('new');
    });
  });

  describe('copy', () => {
    it('copies a value and leaves the source in place', () => {
      const event = makeEvent({ source: { ip: '10.0.0.1' } });
      build({ copy: { 'source.ip': 'related.ip' } }).run(event);
      expect(event.source).toEqual({ ip: '10.0.0.1' });
      expect(event.related).toEqual({ ip: '10.0.0.1' });
    });

    it('copies objects and lists deeply', () => {
      const event = makeEvent({ a: { list: [1, { x: 1 }] } });
      build({ copy: { a: 'b' } }).run(event);
      (event.b as { list: unknown[] }).list.push(2);
      expect(event.a).toEqual({ list: [1, { x: 1 }] });
    });

    it('skips a field that is missing', () => {
      const event = makeEvent();
      build({ copy: { a: 'b' } }).run(event);
      expect(Object.hasOwn(event, 'b')).toBe(false);
    });
  });

  describe('set', () => {
    it('sets constants of every kind', () => {
      const event = makeEvent();
      build({ set: { 'event.kind': 'event', n: 3, ok: false, tags: ['a', 1] } }).run(event);
      expect(event.event).toEqual({ dataset: 'test', kind: 'event' });
      expect([event.n, event.ok, event.tags]).toEqual([3, false, ['a', 1]]);
    });

    it('sets a fresh list each time', () => {
      const step = build({ set: { tags: ['a'] } });
      const first = makeEvent();
      step.run(first);
      (first.tags as string[]).push('b');
      const second = makeEvent();
      step.run(second);
      expect(second.tags).toEqual(['a']);
    });

    it('fills in field references', () => {
      const event = makeEvent({ source: { ip: '10.0.0.1', port: 22 }, ok: true });
      build({ set: { 'source.address': '{{source.ip}}:{{ source.port }}', note: 'ok={{ok}}.' } }).run(event);
      expect(event.source).toEqual({ ip: '10.0.0.1', port: 22, address: '10.0.0.1:22' });
      expect(event.note).toBe('ok=true.');
    });

    it('leaves the set undone when a reference is missing or not a single value', () => {
      const event = makeEvent({ source: { ip: '10.0.0.1' }, obj: { a: 1 }, list: [1], old: 'kept' });
      build({
        set: {
          a: '{{source.ip}}:{{source.port}}',
          b: '{{obj}}',
          c: '{{list}}',
          old: '{{nope}}',
          d: ['x', '{{nope}}'],
        },
      }).run(event);
      expect(event).not.toHaveProperty('a');
      expect(event).not.toHaveProperty('b');
      expect(event).not.toHaveProperty('c');
      expect(event).not.toHaveProperty('d');
      expect(event.old).toBe('kept');
    });

    it('fills references inside lists', () => {
      const event = makeEvent({ user: { name: 'bob' } });
      build({ set: { 'related.user': ['{{user.name}}', 'root'] } }).run(event);
      expect(event.related).toEqual({ user: ['bob', 'root'] });
    });
  });

  describe('convert', () => {
    it('converts to int, float, bool, string and ip', () => {
      const event = makeEvent({ i: '42', f: '1.5', b: 'yes', s: 200, ip: '2001:db8::1' });
      const step = build({ convert: { i: 'int', f: 'float', b: 'bool', s: 'string', ip: 'ip' } });
      expect(step.run(event)).toBeUndefined();
      expect([event.i, event.f, event.b, event.s, event.ip]).toEqual([42, 1.5, true, '200', '2001:db8::1']);
    });

    it('converts lists element by element', () => {
      const event = makeEvent({ ports: ['22', '443'], flags: ['true', 'F'] });
      build({ convert: { ports: 'int', flags: 'bool' } }).run(event);
      expect(event.ports).toEqual([22, 443]);
      expect(event.flags).toEqual([true, false]);
    });

    it('fails naming the field it cannot convert, leaves it as it was and does the rest', () => {
      const event = makeEvent({ port: 'ssh', ips: ['10.0.0.1', 'nope'], n: '7', tmp: 1 });
      const step = build({ convert: { port: 'int', ips: 'ip', n: 'int' }, remove: ['tmp'] });
      expect(step.run(event)).toEqual({ failure: 'cannot convert port, ips' });
      expect(event.port).toBe('ssh');
      expect(event.ips).toEqual(['10.0.0.1', 'nope']);
      expect(event.n).toBe(7);
      expect(event).not.toHaveProperty('tmp');
    });

    it('skips missing and null fields', () => {
      const event = makeEvent({ n: null });
      expect(build({ convert: { n: 'int', missing: 'float' } }).run(event)).toBeUndefined();
      expect(event.n).toBeNull();
    });
  });

  describe('convertValue', () => {
    it('reads int from decimal text, numbers and booleans, truncating fractions', () => {
      expect(convertValue('42', 'int')).toBe(42);
      expect(convertValue('-7', 'int')).toBe(-7);
      expect(convertValue('+3', 'int')).toBe(3);
      expect(convertValue('1.9', 'int')).toBe(1);
      expect(convertValue('-1.9', 'int')).toBe(-1);
      expect(convertValue('1e3', 'int')).toBe(1000);
      expect(convertValue(2.7, 'int')).toBe(2);
      expect(convertValue(true, 'int')).toBe(1);
    });

    it('refuses int from other text and from numbers beyond safe integers', () => {
      for (const text of ['', ' 1', '0x10', '12abc', 'NaN', 'Infinity', '-', '1e400', '9007199254740993']) {
        expect(convertValue(text, 'int'), text).toBeUndefined();
      }
      expect(convertValue({}, 'int')).toBeUndefined();
      expect(convertValue(Number.NaN, 'int')).toBeUndefined();
    });

    it('reads float from decimal text', () => {
      expect(convertValue('1.5', 'float')).toBe(1.5);
      expect(convertValue('.5', 'float')).toBe(0.5);
      expect(convertValue('-2.', 'float')).toBe(-2);
      expect(convertValue('6.02e23', 'float')).toBe(6.02e23);
      expect(convertValue('1,5', 'float')).toBeUndefined();
      expect(convertValue('1'.repeat(1000), 'float')).toBeUndefined();
    });

    it('reads bool from the usual words in any case', () => {
      for (const text of ['true', 'TRUE', 't', 'Yes', 'y', '1'])
        expect(convertValue(text, 'bool'), text).toBe(true);
      for (const text of ['false', 'F', 'no', 'N', '0']) expect(convertValue(text, 'bool'), text).toBe(false);
      expect(convertValue(1, 'bool')).toBe(true);
      expect(convertValue(0, 'bool')).toBe(false);
      expect(convertValue(2, 'bool')).toBeUndefined();
      expect(convertValue('maybe', 'bool')).toBeUndefined();
      expect(convertValue('truee', 'bool')).toBeUndefined();
    });

    it('reads string from scalars only', () => {
      expect(convertValue(1.5, 'string')).toBe('1.5');
      expect(convertValue(false, 'string')).toBe('false');
      expect(convertValue({ a: 1 }, 'string')).toBeUndefined();
    });

    it('accepts IPv4 and IPv6 addresses as ip and nothing else', () => {
      expect(convertValue('192.168.0.1', 'ip')).toBe('192.168.0.1');
      expect(convertValue('::ffff:10.0.0.1', 'ip')).toBe('::ffff:10.0.0.1');
      for (const text of ['256.0.0.1', '10.0.0', 'example.com', '', '10.0.0.1 ']) {
        expect(convertValue(text, 'ip'), text).toBeUndefined();
      }
      expect(convertValue(167772161, 'ip')).toBeUndefined();
    });

    it('refuses a list with any element it cannot convert, and nested lists', () => {
      expect(convertValue(['1', 'x'], 'int')).toBeUndefined();
      expect(convertValue([['1']], 'int')).toBeUndefined();
      expect(convertValue([], 'int')).toEqual([]);
    });
  });

  describe('lowercase and uppercase', () => {
    it('changes the case of text and of the text items of lists', () => {
      const event = makeEvent({ user: { name: 'BoB' }, method: 'get', list: ['A', 1, 'b'] });
      build({ lowercase: ['user.name', 'list'], uppercase: ['method'] }).run(event);
      expect(event.user).toEqual({ name: 'bob' });
      expect(event.method).toBe('GET');
      expect(event.list).toEqual(['a', 1, 'b']);
    });

    it('leaves other values and missing fields alone', () => {
      const event = makeEvent({ n: 5 });
      expect(build({ lowercase: ['n', 'missing'] }).run(event)).toBeUndefined();
      expect(event.n).toBe(5);
      expect(event).not.toHaveProperty('missing');
    });
  });

  describe('append', () => {
    it('makes a list of the filled-in values without duplicates', () => {
      const event = makeEvent({ source: { ip: '10.0.0.1' }, destination: { ip: '10.0.0.1' } });
      build({ append: { 'related.ip': ['{{source.ip}}', '{{destination.ip}}'] } }).run(event);
      expect(event.related).toEqual({ ip: ['10.0.0.1'] });
    });

    it('adds to an existing list or turns a single value into a list', () => {
      const event = makeEvent({ tags: ['a'], one: 'x' });
      build({ append: { tags: ['b', 'a'], one: 'y' } }).run(event);
      expect(event.tags).toEqual(['a', 'b']);
      expect(event.one).toEqual(['x', 'y']);
    });

    it('skips a value whose reference is missing', () => {
      const event = makeEvent({ source: { ip: '10.0.0.1' } });
      build({
        append: { 'related.ip': ['{{source.ip}}', '{{destination.ip}}'], 'related.user': '{{user}}' },
      }).run(event);
      expect(event.related).toEqual({ ip: ['10.0.0.1'] });
    });
  });

  describe('remove', () => {
    it('removes fields and skips missing ones', () => {
      const event = makeEvent({ a: 1, b: { c: 2, d: 3 } });
      build({ remove: ['a', 'b.c', 'nope', 'x.y'] }).run(event);
      expect(event).not.toHaveProperty('a');
      expect(event.b).toEqual({ d: 3 });
    });
  });

  describe('order', () => {
    it('runs rename, copy, set, convert, lowercase, uppercase, append and remove in that order', () => {
      const event = makeEvent({ src: '10.0.0.1', port: '22', user: 'ROOT', scratch: 'x' });
      const step = build({
        remove: ['scratch', 'copy_of_user'],
        append: { 'related.user': '{{user.name}}' },
        uppercase: ['copy_of_user'],
        lowercase: ['user.name'],
        convert: { 'source.port': 'int' },
        set: { 'source.port': '{{port}}', 'user.name': '{{user_text}}' },
        copy: { user: 'user_text' },
        rename: { src: 'source.ip', user: 'copy_of_user' },
      });
      expect(step.run(event)).toBeUndefined();
      // The rename ran before the copy, which found no user: no user_text, so the set of user.name is undone.
      expect(event).not.toHaveProperty('user_text');
      // The set ran before the convert.
      expect(event.source).toEqual({ ip: '10.0.0.1', port: 22 });
      expect(event).not.toHaveProperty('user');
      expect(event).not.toHaveProperty('copy_of_user');
      expect(event).not.toHaveProperty('scratch');
      expect(event).not.toHaveProperty('related');
    });

    it('sets, converts, lowercases and appends what the earlier operations made', () => {
      const event = makeEvent({ login: 'Alice', p: '8080' });
      build({
        rename: { login: 'user.name' },
        set: { 'source.port': '{{p}}' },
        convert: { 'source.port': 'int' },
        lowercase: ['user.name'],
        append: { 'related.user': '{{user.name}}' },
        remove: ['p'],
      }).run(event);
      expect(event.user).toEqual({ name: 'alice' });
      expect(event.source).toEqual({ port: 8080 });
      expect(event.related).toEqual({ user: ['alice'] });
      expect(event).not.toHaveProperty('p');
    });
  });

  describe('hostile input', () => {
    it('copies data holding a __proto__ key without touching any prototype', () => {
      const event = makeEvent({ data: JSON.parse('{"__proto__":{"polluted":1},"a":1}') });
      build({ copy: { data: 'copy' }, lowercase: ['data'] }).run(event);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      expect((event.copy as Record<string, unknown>).a).toBe(1);
    });

    it('handles 1 MB strings and lone surrogates', () => {
      const big = `${'A'.repeat(1_048_576)}\ud800`;
      const event = makeEvent({ big, ip: '\ud800' });
      const step = build({ lowercase: ['big'], set: { copy: '{{big}}' }, convert: { ip: 'ip' } });
      expect(step.run(event)).toEqual({ failure: 'cannot convert ip' });
      expect(event.big).toBe(`${'a'.repeat(1_048_576)}\ud800`);
      expect(event.copy).toBe(big);
    });

    it('does not read inherited properties through references', () => {
      const event = makeEvent({ obj: {} });
      build({ set: { x: '{{obj.toString}}' }, append: { y: '{{obj.hasOwnProperty}}' } }).run(event);
      expect(event).not.toHaveProperty('x');
      expect(event).not.toHaveProperty('y');
    });
  });

  describe('configuration', () => {
    it('has an empty default for every operation but needs at least one', () => {
      expect(problems({})).toEqual([': mutate needs at least one operation']);
      expect(mutateStep.schema.parse({ remove: ['a'] })).toEqual({
        rename: {},
        copy: {},
        set: {},
        convert: {},
        lowercase: [],
        uppercase: [],
        append: {},
        remove: ['a'],
      });
    });

    it('refuses an unknown conversion type', () => {
      expect(problems({ convert: { a: 'integer' } })[0]).toMatch(/^convert\.a:/);
    });

    it('refuses two renames to the same field', () => {
      expect(problems({ rename: { a: 'x', b: 'x' } })).toEqual(['rename.b: "b" and "a" both go to "x"']);
    });

    it('refuses the same field renamed twice under two spellings', () => {
      expect(problems({ rename: { 'a.b': 'x', '[a][b]': 'y' } })).toEqual([
        'rename.[a][b]: "[a][b]" is the same field as "a.b"',
      ]);
    });

    it('refuses a field that is renamed and is the new name of another rename', () => {
      expect(problems({ rename: { a: 'b', b: 'c' } })).toEqual([
        'rename.b: "b" is renamed, but it is also the new name of "a"',
      ]);
    });

    it('refuses renaming or copying a field to itself', () => {
      expect(problems({ rename: { a: 'a' } })).toEqual(['rename.a: "a" is renamed to itself']);
      expect(problems({ copy: { 'a.b': '[a][b]' } })).toEqual(['copy.a.b: "a.b" is copied to itself']);
    });

    it('refuses malformed templates and reserved field names', () => {
      expect(problems({ set: { a: '{{source.ip' } })[0]).toContain('"{{" without "}}"');
      expect(problems({ set: { a: 'x}}' } })[0]).toContain('"}}" without "{{"');
      expect(problems({ append: { a: ['ok', '{{}}'] } })[0]).toMatch(/^append\.a\.1: "" is not a field name/);
      expect(problems({ set: { a: '{{__proto__.x}}' } })[0]).toContain('reserved name "__proto__"');
      expect(problems({ remove: ['constructor'] })[0]).toMatch(/^remove\.0:.*reserved/);
      expect(problems({ set: { 'a..b': 1 } })[0]).toMatch(/^set\.a\.\.b:/);
    });

    it('refuses values that are neither scalars nor lists of scalars', () => {
      expect(mutateStep.schema.safeParse({ set: { a: { b: 1 } } }).success).toBe(false);
      expect(mutateStep.schema.safeParse({ set: { a: null } }).success).toBe(false);
    });

    it('describes every option with its default', () => {
      for (const [key, option] of Object.entries(mutateStep.schema.shape)) {
        expect(option.description, key).toMatch(/default/);
      }
    });
  });
});
