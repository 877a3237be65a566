import { describe, expect, it } from 'vitest';
import type { EcsEvent } from '../../../../../processor/event-builder.ts';
import { jsonStep } from '../../../../../processor/parsers/json/json-step.ts';
import type { PipelineStep } from '../../../../../processor/pipeline/step.ts';
import { stepContext, stepEvent } from '../../../../helpers/pipeline-steps.ts';

const context = stepContext();

function build(options: unknown = {}): PipelineStep {
  return jsonStep.create(jsonStep.schema.parse(options), context);
}

function makeEvent(fields: Record<string, unknown> = {}): EcsEvent {
  return stepEvent(fields);
}

function nested(depth: number): string {
  return `${'{"a":'.repeat(depth - 1)}{}${'}'.repeat(depth - 1)}`;
}

describe('json step', () => {
  describe('parsing', () => {
    it('merges the fields of a JSON object in message at the root of the event', () => {
      const event = makeEvent({ message: '{"user":{"name":"alice"},"http":{"status":200},"ok":true}' });
      expect(build().run(event)).toBeUndefined();
      expect(event.user).toEqual({ name: 'alice' });
      expect(event.http).toEqual({ status: 200 });
      expect(event.ok).toBe(true);
    });

    it('merges nested objects into the objects the event already has', () => {
      const event = makeEvent({ host: { name: 'web-1' }, message: '{"host":{"ip":["10.0.0.1"]}}' });
      build().run(event);
      expect(event.host).toEqual({ name: 'web-1', ip: ['10.0.0.1'] });
    });

    it('reads the field named by field', () => {
      const event = makeEvent({ payload: { raw: '{"a":1}' } });
      expect(build({ field: 'payload.raw' }).run(event)).toBeUndefined();
      expect(event.a).toBe(1);
    });

    it('puts the parsed object at target, replacing what was there', () => {
      const event = makeEvent({ message: '{"a":{"b":1}}', app: { old: true } });
      expect(build({ target: 'app' }).run(event)).toBeUndefined();
      expect(event.app).toEqual({ a: { b: 1 } });
      expect(event.a).toBeUndefined();
    });

    it('puts a parsed array at a nested target', () => {
      const event = makeEvent({ message: '[1,"two",{"three":3}]' });
      expect(build({ target: 'app.items' }).run(event)).toBeUndefined();
      expect(event.app).toEqual({ items: [1, 'two', { three: 3 }] });
    });

    it('accepts whitespace around the JSON text', () => {
      const event = makeEvent({ message: ' \n {"a" : 1}\t' });
      expect(build().run(event)).toBeUndefined();
      expect(event.a).toBe(1);
    });
  });

  describe('failures', () => {
    it('fails with invalid JSON and leaves the event unchanged', () => {
      const event = makeEvent({ message: '{"a":1' });
      const before = structuredClone(event);
      expect(build().run(event)).toEqual({ failure: 'invalid JSON' });
      expect(event).toEqual(before);
    });

    it('fails on text that only looks like JSON', () => {
      expect(build().run(makeEvent({ message: "{'a':1}" }))).toEqual({ failure: 'invalid JSON' });
      expect(build().run(makeEvent({ message: '' }))).toEqual({ failure: 'invalid JSON' });
    });

    it('fails with an array when there is no target to put it', () => {
      const event = makeEvent({ message: '[{"a":1}]' });
      expect(build().run(event)).toEqual({ failure: 'not a JSON object' });
      expect(event.a).toBeUndefined();
    });

    it('fails with a string, number or null, even with a target', () => {
      for (const text of ['"text"', '42', 'null', 'true']) {
        expect(build().run(makeEvent({ message: text }))).toEqual({ failure: 'not a JSON object' });
        expect(build({ target: 'x' }).run(makeEvent({ message: text }))).toEqual({
          failure: 'not a JSON object or array',
        });
      }
    });

    it('does nothing when the field is missing', () => {
      expect(build({ field: 'nothing.here' }).run(makeEvent())).toBeUndefined();
    });

    it('fails when the field is not a string', () => {
      expect(build({ field: 'n' }).run(makeEvent({ n: 42 }))).toEqual({ failure: 'not a string' });
      expect(build({ field: 'o' }).run(makeEvent({ o: { a: 1 } }))).toEqual({ failure: 'not a string' });
    });

    it('never puts event data in the failure reason', () => {
      const result = build().run(makeEvent({ message: '{"secret":"hunter2"' }));
      expect(JSON.stringify(result)).not.toContain('hunter2');
    });
  });

  describe('root fields every event has', () => {
    it('never writes vigil, which holds the record identity', () => {
      const event = makeEvent({ message: '{"vigil":{"record":{"id":"forged"}},"a":1}' });
      build().run(event);
      expect(event.vigil.record.id).toBe('r1');
      expect(event.a).toBe(1);
    });

    it('replaces @timestamp and message only with strings', () => {
      const strings = makeEvent({ message: '{"@timestamp":"2024-05-05T05:05:05Z","message":"inner"}' });
      build().run(strings);
      expect(strings['@timestamp']).toBe('2024-05-05T05:05:05Z');
      expect(strings.message).toBe('inner');

      const others = makeEvent({ message: '{"@timestamp":1700000000,"message":{"text":"x"}}' });
      const text = others.message;
      build().run(others);
      expect(others['@timestamp']).toBe('2024-01-01T00:00:00.000Z');
      expect(others.message).toBe(text);
    });

    it('merges an event object but ignores an event that is not an object', () => {
      const merged = makeEvent({ message: '{"event":{"action":"login"}}' });
      build().run(merged);
      expect(merged.event).toEqual({ dataset: 'test', action: 'login' });

      const ignored = makeEvent({ message: '{"event":"login"}' });
      build().run(ignored);
      expect(ignored.event).toEqual({ dataset: 'test' });
    });
  });

  describe('limits', () => {
    it('fails with too deep on JSON nested 10,000 levels, without overflowing the stack', () => {
      const event = makeEvent({ message: nested(10_000) });
      expect(build().run(event)).toEqual({ failure: 'too deep' });
      expect(event.a).toBeUndefined();
    });

    it('fails with too deep on 10,000 nested arrays, with a target', () => {
      const event = makeEvent({ message: `${'['.repeat(10_000)}${']'.repeat(10_000)}` });
      expect(build({ target: 'x' }).run(event)).toEqual({ failure: 'too deep' });
      expect(event.x).toBeUndefined();
    });

    it('accepts nesting up to max_depth and refuses one level more', () => {
      expect(build().run(makeEvent({ message: nested(64) }))).toBeUndefined();
      expect(build().run(makeEvent({ message: nested(65) }))).toEqual({ failure: 'too deep' });
      expect(build({ max_depth: 3 }).run(makeEvent({ message: nested(3) }))).toBeUndefined();
      expect(build({ max_depth: 3 }).run(makeEvent({ message: nested(4) }))).toEqual({ failure: 'too deep' });
    });

    it('does not count brackets and colons inside strings', () => {
      const event = makeEvent({ message: '{"a":"[[[{{{:::\\"]]]}}}"}' });
      expect(build({ max_depth: 1, max_fields: 1 }).run(event)).toBeUndefined();
      expect(event.a).toBe('[[[{{{:::"]]]}}}');
    });

    it('fails with too many fields on an object of 100,000 keys and leaves the event unchanged', () => {
      const keys = Array.from({ length: 100_000 }, (_, i) => `"${i.toString(36)}":0`).join(',');
      const event = makeEvent({ message: `{${keys}}` });
      expect(event.message.length).toBeLessThan(1_048_576);
      expect(build().run(event)).toEqual({ failure: 'too many fields' });
      expect(event['0']).toBeUndefined();
    });

    it('counts the keys of every level against max_fields', () => {
      const text = '{"a":{"b":1,"c":[{"d":2}]}}';
      expect(build({ max_fields: 4 }).run(makeEvent({ message: text }))).toBeUndefined();
      expect(build({ max_fields: 3 }).run(makeEvent({ message: text }))).toEqual({
        failure: 'too many fields',
      });
    });

    it('fails with too long on text over 1 MB', () => {
      const text = `{"a":"${'x'.repeat(1_048_576)}"}`;
      const event = makeEvent({ message: text });
      expect(build().run(event)).toEqual({ failure: 'too long' });
      expect(event.a).toBeUndefined();
    });

    it('measures the limit in UTF-8 bytes, not characters', () => {
      // 400,000 characters of three UTF-8 bytes each: 1.2 MB.
      const event = makeEvent({ message: `{"a":"${'€'.repeat(400_000)}"}` });
      expect(build().run(event)).toEqual({ failure: 'too long' });
    });

    it('parses a large object under every limit', () => {
      const value = 'v'.repeat(900_000);
      const event = makeEvent({ message: JSON.stringify({ a: value, b: 1 }) });
      expect(build().run(event)).toBeUndefined();
      expect(event.a).toBe(value);
    });
  });

  describe('hostile keys', () => {
    it('drops __proto__, constructor and prototype keys at every level and pollutes nothing', () => {
      const event = makeEvent({
        message:
          '{"__proto__":{"polluted":1},"constructor":{"prototype":{"polluted":2}},"a":{"prototype":3,"b":4,"__proto__":{"x":5}}}',
      });
      expect(build().run(event)).toBeUndefined();
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      expect(Object.hasOwn(event, '__proto__')).toBe(false);
      expect(Object.hasOwn(event, 'constructor')).toBe(false);
      expect(event.a).toEqual({ b: 4 });
      expect(Object.keys(event.a as object)).toEqual(['b']);
    });

    it('drops forbidden keys written with escapes', () => {
      const event = makeEvent({ message: '{"__pro\\u0074o__":{"polluted":1},"\\u0063onstructor":2,"ok":1}' });
      expect(build().run(event)).toBeUndefined();
      expect(Object.keys(event)).not.toContain('__proto__');
      expect(Object.keys(event)).not.toContain('constructor');
      expect(event.ok).toBe(1);
    });

    it('drops forbidden keys under a target too, and keeps them as values', () => {
      const event = makeEvent({ message: '{"x":{"__proto__":{"polluted":1},"name":"constructor"}}' });
      build({ target: 'doc' }).run(event);
      expect(event.doc).toEqual({ x: { name: 'constructor' } });
      expect(Object.keys((event.doc as { x: object }).x)).toEqual(['name']);
    });

    it('keeps lone UTF-16 surrogates in keys and values without failing', () => {
      const event = makeEvent({ message: '{"a\\ud800":"\\udc00x","b":"\ud800"}' });
      expect(build().run(event)).toBeUndefined();
      expect(event['a\ud800']).toBe('\udc00x');
      expect(event.b).toBe('\ud800');
    });
  });

  describe('configuration', () => {
    it('has defaults for every option', () => {
      expect(jsonStep.schema.parse({})).toEqual({ field: 'message', max_depth: 64, max_fields: 1000 });
    });

    it('refuses limits above the defaults, unknown keys and unsafe field names', () => {
      expect(jsonStep.schema.safeParse({ max_depth: 65 }).success).toBe(false);
      expect(jsonStep.schema.safeParse({ max_fields: 1001 }).success).toBe(false);
      expect(jsonStep.schema.safeParse({ source: 'message' }).success).toBe(false);
      const unsafe = jsonStep.schema.safeParse({ target: 'a.__proto__' });
      expect(unsafe.success).toBe(false);
      expect(unsafe.error?.issues[0]?.path).toEqual(['target']);
      expect(unsafe.error?.issues[0]?.message).toContain('__proto__');
    });

    it('describes every option with its default', () => {
      for (const [key, option] of Object.entries(jsonStep.schema.shape)) {
        expect(option.description, key).toMatch(/default/);
      }
    });
  });
});
