/**
 * Dotted field paths on nested events: `source.ip` is `event.source.ip`.
 * Paths are split once when a step is built (`fieldPath`), not per event.
 * `__proto__`, `constructor` and `prototype` are refused as path segments,
 * so no configuration or event data can reach an object's prototype.
 */
import { z } from 'zod';
import { VigilError } from '../../core/errors.ts';

export type FieldPath = readonly string[];

const FORBIDDEN = new Set(['__proto__', 'constructor', 'prototype']);

/** Splits `a.b.c` (or `[a][b][c]`) into segments; a configuration error for an empty or unsafe path. */
export function fieldPath(path: string): FieldPath {
  const bracketed = /^(\[[^\][]+\])+$/.test(path);
  const segments = bracketed ? path.slice(1, -1).split('][') : path.split('.');
  if (path.length === 0 || segments.some((s) => s.length === 0)) {
    throw new VigilError('CONFIG_INVALID', `"${path}" is not a field name: use dotted names like source.ip.`);
  }
  for (const segment of segments) {
    if (FORBIDDEN.has(segment)) {
      throw new VigilError('CONFIG_INVALID', `Field name "${path}" uses the reserved name "${segment}".`);
    }
  }
  return segments;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function getField(event: Record<string, unknown>, path: FieldPath): unknown {
  let current: unknown = event;
  for (const segment of path) {
    if (!isObject(current)) return undefined;
    current = Object.hasOwn(current, segment) ? current[segment] : undefined;
  }
  return current;
}

/** Reads one field path: the same as `getField(event, path)`. */
export type FieldGetter = (event: Record<string, unknown>) => unknown;
/** Writes one field path: the same as `setField(event, path, value)` (overwriting what is in the way). */
export type FieldSetter = (event: Record<string, unknown>, value: unknown) => void;

const getters = new Map<string, FieldGetter>();
const setters = new Map<string, FieldSetter>();
const ACCESSOR_CACHE_MAX = 10_000;

/**
 * `getField` for one path, compiled once (when a step is built) into a
 * function with the segments as constant property names: V8 then caches
 * each access for the objects it meets, where the generic walk, used with
 * every field name of every step, is a slow lookup by key each time.
 * Segments reach the code only as JSON string literals, and `fieldPath`
 * has refused `__proto__`, `constructor` and `prototype`.
 */
export function fieldGetter(path: FieldPath): FieldGetter {
  const key = path.join('\u0000');
  let getter = getters.get(key);
  if (getter === undefined) {
    checkSegments(path);
    const lines = path.map((segment) => {
      const name = JSON.stringify(segment);
      return `  if (typeof v !== 'object' || v === null || Array.isArray(v) || !Object.hasOwn(v, ${name})) return undefined;\n  v = v[${name}];`;
    });
    getter = new Function(
      `"use strict";\nreturn function getField(event) {\n  let v = event;\n${lines.join('\n')}\n  return v;\n};`,
    )() as FieldGetter;
    if (getters.size >= ACCESSOR_CACHE_MAX) getters.clear();
    getters.set(key, getter);
  }
  return getter;
}

/** `setField` (overwriting) for one path, compiled once; see `fieldGetter`. */
export function fieldSetter(path: FieldPath): FieldSetter {
  const key = path.join('\u0000');
  let setter = setters.get(key);
  if (setter === undefined) {
    checkSegments(path);
    const lines = path.slice(0, -1).map((segment) => {
      const name = JSON.stringify(segment);
      return (
        `  n = Object.hasOwn(c, ${name}) ? c[${name}] : undefined;\n` +
        `  if (typeof n === 'object' && n !== null && !Array.isArray(n)) c = n;\n` +
        `  else { n = {}; c[${name}] = n; c = n; }`
      );
    });
    const last = JSON.stringify(path[path.length - 1]);
    setter = new Function(
      `"use strict";\nreturn function setField(event, value) {\n  let c = event;\n  let n;\n${lines.join('\n')}\n  c[${last}] = value;\n};`,
    )() as FieldSetter;
    if (setters.size >= ACCESSOR_CACHE_MAX) setters.clear();
    setters.set(key, setter);
  }
  return setter;
}

function checkSegments(path: FieldPath): void {
  if (path.length === 0) throw new VigilError('CONFIG_INVALID', 'A field path needs at least one segment.');
  for (const segment of path) {
    if (FORBIDDEN.has(segment)) {
      throw new VigilError(
        'CONFIG_INVALID',
        `Field name "${path.join('.')}" uses the reserved name "${segment}".`,
      );
    }
  }
}

/**
 * Sets a value, creating intermediate objects. A non-object in the way
 * (`a` is a string and `a.b` is set) is replaced by an object only when
 * `overwrite` is true; otherwise nothing is set and false is returned.
 */
export function setField(
  event: Record<string, unknown>,
  path: FieldPath,
  value: unknown,
  overwrite = true,
): boolean {
  let current: Record<string, unknown> = event;
  const last = path.length - 1;
  for (let i = 0; i < last; i++) {
    const segment = path[i] as string;
    const next = Object.hasOwn(current, segment) ? current[segment] : undefined;
    if (isObject(next)) {
      current = next;
      continue;
    }
    if (next !== undefined && !overwrite) return false;
    const created: Record<string, unknown> = {};
    current[segment] = created;
    current = created;
  }
  current[path[last] as string] = value;
  return true;
}

/**
 * Removes a field; empty parent objects are left in place. Returns the removed value.
 *
 * A nested field is removed by replacing the object that holds it with a
 * copy without it (same keys, same order). `delete` would turn that object
 * into a slow dictionary-mode object for the rest of its life, which makes
 * every later step and the final JSON.stringify slower (pipelines remove
 * their scratch fields under `vigil.tmp` from every event). Only a field of
 * the event itself is deleted in place.
 */
export function deleteField(event: Record<string, unknown>, path: FieldPath): unknown {
  let parent: Record<string, unknown> | undefined;
  let current: unknown = event;
  const last = path.length - 1;
  for (let i = 0; i < last; i++) {
    if (!isObject(current)) return undefined;
    parent = current;
    current = current[path[i] as string];
  }
  if (!isObject(current)) return undefined;
  const key = path[last] as string;
  if (!Object.hasOwn(current, key)) return undefined;
  const value = current[key];
  if (parent === undefined) delete current[key];
  else parent[path[last - 1] as string] = withoutKey(current, key);
  return value;
}

/** A copy of `object` without `key`, with the same prototype and the other keys in their order. */
function withoutKey(object: Record<string, unknown>, key: string): Record<string, unknown> {
  const prototype = Object.getPrototypeOf(object);
  const copy: Record<string, unknown> = prototype === Object.prototype ? {} : Object.create(prototype);
  for (const k of Object.keys(object)) if (k !== key) copy[k] = object[k];
  return copy;
}

/** Adds `value` to an array field (created when missing), without duplicates. */
export function appendUnique(event: Record<string, unknown>, path: FieldPath, value: unknown): void {
  const existing = getField(event, path);
  if (Array.isArray(existing)) {
    if (!existing.includes(value)) existing.push(value);
  } else if (existing === undefined) {
    setField(event, path, [value]);
  } else if (existing !== value) {
    setField(event, path, [existing, value]);
  }
}

/** `appendUnique` for one path, with compiled accessors. */
export function fieldAppender(path: FieldPath): (event: Record<string, unknown>, value: unknown) => void {
  const get = fieldGetter(path);
  const set = fieldSetter(path);
  return (event, value) => {
    const existing = get(event);
    if (Array.isArray(existing)) {
      if (!existing.includes(value)) existing.push(value);
    } else if (existing === undefined) {
      set(event, [value]);
    } else if (existing !== value) {
      set(event, [existing, value]);
    }
  };
}

/** Merges the fields of `source` into `target` deeply; values of `source` win. */
export function mergeFields(target: Record<string, unknown>, source: Record<string, unknown>): void {
  const keys = Object.keys(source);
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i] as string;
    if (key === '__proto__' || key === 'constructor' || key === 'prototype') continue;
    const value = source[key];
    const existing = target[key];
    if (existing !== undefined && isObject(value) && isObject(existing)) mergeFields(existing, value);
    else target[key] = value;
  }
}

/** A field name in a step's options: checked by `fieldPath` when the step loads. */
export const fieldNameSchema = z.string().superRefine((name, ctx) => {
  try {
    fieldPath(name);
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: (error as Error).message });
  }
});

/** Whether a string's UTF-8 form is longer than `max` bytes; measured only when the length cannot decide. */
export function exceedsBytes(text: string, max: number): boolean {
  if (text.length > max) return true;
  return text.length * 3 > max && Buffer.byteLength(text, 'utf8') > max;
}
