import { describe, expect, it } from 'vitest';
import {
  deleteField,
  fieldAppender,
  fieldGetter,
  fieldPath,
  fieldSetter,
  getField,
  mergeFields,
  setField,
} from '../../../../processor/pipeline/fields.ts';

describe('compiled field accessors', () => {
  it('read what getField reads, own properties only', () => {
    const event = { a: { b: 'x', list: [1] }, s: 'text' } as Record<string, unknown>;
    for (const name of ['a.b', 'a', 'a.c', 's.length', 'a.list.0', 'toString', 'a.toString', 'missing.b']) {
      expect(fieldGetter(fieldPath(name))(event)).toEqual(getField(event, fieldPath(name)));
    }
    expect(fieldGetter(fieldPath('a.toString'))(event)).toBeUndefined();
  });

  it('write what setField writes, replacing values in the way by objects', () => {
    const compiled = { a: 'text', b: { c: 1 }, d: [1] } as Record<string, unknown>;
    const generic = structuredClone(compiled);
    for (const name of ['a.x', 'b.c', 'b.e.f', 'd.g', 'toString.h', 'n']) {
      fieldSetter(fieldPath(name))(compiled, name);
      setField(generic, fieldPath(name), name);
    }
    expect(JSON.stringify(compiled)).toBe(JSON.stringify(generic));
  });

  it('append without duplicates, turning a single value into a list', () => {
    const event = { related: { ip: '10.0.0.1' } } as Record<string, unknown>;
    const append = fieldAppender(fieldPath('related.ip'));
    append(event, '10.0.0.1');
    append(event, '10.0.0.2');
    append(event, '10.0.0.2');
    expect(event.related).toEqual({ ip: ['10.0.0.1', '10.0.0.2'] });
  });

  it('refuse reserved names', () => {
    expect(() => fieldGetter(['__proto__', 'x'])).toThrow(/reserved name/);
    expect(() => fieldSetter(['a', 'constructor'])).toThrow(/reserved name/);
  });
});

describe('deleteField', () => {
  it('removes a nested field and keeps the other keys in their order', () => {
    const event = { vigil: { record: { id: 'r' }, tmp: { a: 1 }, pipeline: 'p' } } as Record<string, unknown>;
    expect(deleteField(event, fieldPath('vigil.tmp'))).toEqual({ a: 1 });
    expect(Object.keys(event.vigil as object)).toEqual(['record', 'pipeline']);
    expect(JSON.stringify(event)).toBe('{"vigil":{"record":{"id":"r"},"pipeline":"p"}}');
  });

  it('keeps the prototype of the object it removes from', () => {
    const inner = Object.assign(Object.create(null), { a: 1, b: 2 });
    const event = { x: inner } as Record<string, unknown>;
    deleteField(event, fieldPath('x.a'));
    expect(Object.getPrototypeOf(event.x)).toBeNull();
    expect({ ...(event.x as object) }).toEqual({ b: 2 });
  });

  it('removes a top-level field in place and leaves missing fields alone', () => {
    const event = { a: 1, b: { c: 2 } } as Record<string, unknown>;
    const b = event.b;
    expect(deleteField(event, fieldPath('a'))).toBe(1);
    expect(deleteField(event, fieldPath('b.missing'))).toBeUndefined();
    expect(event).toEqual({ b: { c: 2 } });
    expect(event.b).toBe(b);
  });
});

describe('mergeFields', () => {
  it('merges objects deeply, replaces everything else, and skips reserved keys', () => {
    const target = { a: { b: 1, c: 2 }, d: 'x', e: [1] } as Record<string, unknown>;
    const source = JSON.parse('{"a":{"c":3,"f":4},"d":{"g":5},"e":[2],"__proto__":{"polluted":true}}');
    mergeFields(target, source);
    expect(target).toEqual({ a: { b: 1, c: 3, f: 4 }, d: { g: 5 }, e: [2] });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
