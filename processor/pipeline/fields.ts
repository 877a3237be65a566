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

/** Removes a field; empty parent objects are left in place. Returns the removed value. */
export function deleteField(event: Record<string, unknown>, path: FieldPath): unknown {
  let current: unknown = event;
  for (let i = 0; i < path.length - 1; i++) {
    if (!isObject(current)) return undefined;
    current = current[path[i] as string];
  }
  if (!isObject(current)) return undefined;
  const key = path[path.length - 1] as string;
  if (!Object.hasOwn(current, key)) return undefined;
  const value = current[key];
  delete current[key];
  return value;
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

/** Merges the fields of `source` into `target` deeply; values of `source` win. */
export function mergeFields(target: Record<string, unknown>, source: Record<string, unknown>): void {
  for (const key of Object.keys(source)) {
    if (FORBIDDEN.has(key)) continue;
    const value = source[key];
    const existing = target[key];
    if (isObject(value) && isObject(existing)) mergeFields(existing, value);
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
