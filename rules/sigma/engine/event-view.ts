/**
 * One event as the matchers read it. Each field a rule uses has a number
 * (its slot), given when rules are compiled; the view resolves a field once
 * per event and keeps its values, their text, and their lower-cased text
 * (computed on first need), so a thousand rules reading `process.command_line`
 * walk the event and lower-case the line once.
 *
 * Arrays are searched element by element (`event.category: [web, network]`
 * matches `web`). A dotted field is looked up nested first, then as a flat
 * key (`{"source.ip": …}`), for events that were never nested.
 */

export interface FieldRef {
  /** The slot of the field in the rule set's field table. */
  id: number;
  /** `source.ip` */
  key: string;
  path: readonly string[];
}

export interface Resolved {
  /** The field is there (even with a null value). */
  present: boolean;
  /** The field is absent, null, or an empty list. */
  empty: boolean;
  /** The scalar values (strings, numbers, booleans). */
  values: readonly unknown[];
  /** The values as text. */
  strings: readonly string[];
  /** The text lower-cased, once asked for. */
  lower: string[] | undefined;
}

const ABSENT: Resolved = Object.freeze({
  present: false,
  empty: true,
  values: [],
  strings: [],
  lower: [],
}) as Resolved;

/** Marks a field the event does not have (distinct from a field holding undefined or null). */
const MISSING: unique symbol = Symbol('missing');

function lookup(event: Record<string, unknown>, field: FieldRef): unknown {
  let current: unknown = event;
  const path = field.path;
  for (let i = 0; i < path.length; i++) {
    const segment = path[i] as string;
    if (
      typeof current !== 'object' ||
      current === null ||
      Array.isArray(current) ||
      !Object.hasOwn(current, segment)
    ) {
      return path.length > 1 && Object.hasOwn(event, field.key) ? event[field.key] : MISSING;
    }
    current = (current as Record<string, unknown>)[segment];
  }
  return current;
}

export class EventView {
  event: Record<string, unknown> = {};
  #generation = 0;
  #stamps: Uint32Array;
  #slots: Resolved[];

  constructor(fieldCount: number) {
    this.#stamps = new Uint32Array(fieldCount);
    this.#slots = new Array(fieldCount);
  }

  /** Starts on a new event; values resolved for the previous one are forgotten. */
  reset(event: Record<string, unknown>): void {
    this.event = event;
    this.#generation++;
    if (this.#generation === 0xffffffff) {
      this.#stamps.fill(0);
      this.#generation = 1;
    }
  }

  get(field: FieldRef): Resolved {
    if (this.#stamps[field.id] === this.#generation) return this.#slots[field.id] as Resolved;
    const resolved = this.#resolve(field);
    this.#stamps[field.id] = this.#generation;
    this.#slots[field.id] = resolved;
    return resolved;
  }

  /** The lower-cased text of a resolved field. */
  static lower(resolved: Resolved): string[] {
    if (resolved.lower === undefined) resolved.lower = resolved.strings.map((s) => s.toLowerCase());
    return resolved.lower;
  }

  #resolve(field: FieldRef): Resolved {
    const value = lookup(this.event, field);
    if (value === MISSING) return ABSENT;
    if (value === null || value === undefined)
      return { present: true, empty: true, values: [], strings: [], lower: [] };
    if (Array.isArray(value)) {
      const values: unknown[] = [];
      const strings: string[] = [];
      for (const item of value) {
        if (typeof item === 'string' || typeof item === 'number' || typeof item === 'boolean') {
          values.push(item);
          strings.push(String(item));
        }
      }
      return { present: true, empty: value.length === 0, values, strings, lower: undefined };
    }
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
      return { present: true, empty: false, values: [value], strings: [String(value)], lower: undefined };
    }
    return { present: true, empty: false, values: [], strings: [], lower: [] };
  }
}
