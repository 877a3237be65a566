/**
 * Value matchers: one compiled test per rule value, run against a field's
 * resolved values (engine/event-view.ts). Strings compare case-insensitively
 * unless the item is `cased`: the rule's text is lower-cased once here, the
 * event's once per event by the view. Wildcard strings become a plain
 * equality, startsWith, endsWith or includes when they can, and an anchored
 * RegExp otherwise.
 */
import { BlockList, isIP } from 'node:net';
import { LruCache } from '../../../core/lru-cache.ts';
import {
  ANY,
  ONE,
  type SigmaStringValue,
  type SigmaValue,
  type StringPart,
  type TimePart,
} from '../model/values.ts';
import { timePartOf } from '../modifiers/time.ts';
import { EventView, type FieldRef, type Resolved } from './event-view.ts';
import { compileGuardedRegex, type RegexBudget } from './regex-guard.ts';

export type ValueMatcher = (resolved: Resolved, view: EventView) => boolean;

export interface MatcherContext {
  cased: boolean;
  timePart: TimePart | undefined;
  budget: RegexBudget;
  /** Names the rule in regex budget reports. */
  label: string;
  /** The field table, for field references. */
  fieldRef: (name: string) => FieldRef[];
}

/** Adjacent literals joined, runs of `*` collapsed. */
export function normaliseParts(parts: readonly StringPart[]): StringPart[] {
  const out: StringPart[] = [];
  for (const part of parts) {
    const last = out[out.length - 1];
    if (typeof part === 'string') {
      if (part === '') continue;
      if (typeof last === 'string') out[out.length - 1] = last + part;
      else out.push(part);
    } else if (!(part === ANY && last === ANY)) out.push(part);
  }
  return out;
}

const REGEX_SPECIAL = /[.*+?^${}()|[\]\\/]/g;

/** A test on one text for a Sigma string; `text` is lower-cased by the caller unless cased. */
export function stringTest(value: SigmaStringValue, cased: boolean): (text: string) => boolean {
  const parts = normaliseParts(value.parts).map((p) =>
    typeof p === 'string' && !cased ? p.toLowerCase() : p,
  );
  const [a, b, c] = parts;
  if (parts.length === 0) return (s) => s === '';
  if (parts.length === 1) {
    if (typeof a === 'string') return (s) => s === a;
    if (a === ANY) return () => true;
  }
  if (parts.length === 2) {
    if (typeof a === 'string' && b === ANY) return (s) => s.startsWith(a);
    if (a === ANY && typeof b === 'string') return (s) => s.endsWith(b);
  }
  if (parts.length === 3) {
    if (a === ANY && typeof b === 'string' && c === ANY) return (s) => s.includes(b);
    if (typeof a === 'string' && b === ANY && typeof c === 'string') {
      const min = a.length + c.length;
      return (s) => s.length >= min && s.startsWith(a) && s.endsWith(c);
    }
  }
  const source = parts
    .map((p) => (p === ANY ? '[\\s\\S]*' : p === ONE ? '[\\s\\S]' : p.replace(REGEX_SPECIAL, '\\$&')))
    .join('');
  const regex = new RegExp(`^${source}$`);
  return (s) => regex.test(s);
}

function anyString(test: (text: string) => boolean, cased: boolean): ValueMatcher {
  if (cased) {
    return (r) => {
      const strings = r.strings;
      for (let i = 0; i < strings.length; i++) if (test(strings[i] as string)) return true;
      return false;
    };
  }
  return (r) => {
    if (r.strings.length === 0) return false;
    const lower = EventView.lower(r);
    for (let i = 0; i < lower.length; i++) if (test(lower[i] as string)) return true;
    return false;
  };
}

function numeric(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && value.trim() !== '') {
    const n = Number(value);
    return Number.isNaN(n) ? undefined : n;
  }
  return undefined;
}

function compare(op: 'lt' | 'lte' | 'gt' | 'gte', a: number, b: number): boolean {
  switch (op) {
    case 'lt':
      return a < b;
    case 'lte':
      return a <= b;
    case 'gt':
      return a > b;
    case 'gte':
      return a >= b;
  }
}

export function compileValue(value: SigmaValue, context: MatcherContext): ValueMatcher {
  const { timePart } = context;
  switch (value.type) {
    case 'string':
      return anyString(stringTest(value, context.cased), context.cased);
    case 'number': {
      const n = value.value;
      if (timePart !== undefined) {
        return (r) => r.values.some((v) => timePartOf(v, timePart) === n);
      }
      const text = String(n);
      // A number equals a number, or a text written exactly like it (so "4624" matches 4624, "04624" does not).
      return (r) => {
        const values = r.values;
        for (let i = 0; i < values.length; i++) {
          const v = values[i];
          if (v === n || (typeof v === 'string' && v === text)) return true;
        }
        return false;
      };
    }
    case 'bool': {
      const text = String(value.value);
      return (r) =>
        r.values.some((v) => v === value.value || (typeof v === 'string' && v.toLowerCase() === text));
    }
    case 'null':
      return (r) => r.empty;
    case 'exists':
      return (r) => r.present === value.value;
    case 'regex': {
      const guarded = compileGuardedRegex(value.source, value.flags, context.budget, context.label);
      return (r) => r.strings.some((s) => guarded.test(s));
    }
    case 'compare': {
      const { op, value: limit } = value;
      if (timePart !== undefined) {
        return (r) =>
          r.values.some((v) => {
            const part = timePartOf(v, timePart);
            return part !== undefined && compare(op, part, limit);
          });
      }
      return (r) =>
        r.values.some((v) => {
          const n = numeric(v);
          return n !== undefined && compare(op, n, limit);
        });
    }
    case 'cidr': {
      const list = new BlockList();
      list.addSubnet(value.network, value.prefix, value.family);
      const cache = new LruCache<string, boolean>(4096);
      const family = value.family;
      return (r) =>
        r.strings.some((s) => {
          let hit = cache.get(s);
          if (hit === undefined) {
            const version = isIP(s);
            hit = version !== 0 && (version === 4) === (family === 'ipv4') && list.check(s, family);
            cache.set(s, hit);
          }
          return hit;
        });
    }
    case 'fieldref': {
      const others = context.fieldRef(value.field);
      const cased = context.cased;
      const mode = value.mode;
      const test = (a: string, b: string): boolean =>
        mode === 'equals'
          ? a === b
          : mode === 'contains'
            ? a.includes(b)
            : mode === 'startswith'
              ? a.startsWith(b)
              : a.endsWith(b);
      return (r, view) => {
        if (r.strings.length === 0) return false;
        const mine = cased ? r.strings : EventView.lower(r);
        for (const field of others) {
          const other = view.get(field);
          if (other.strings.length === 0) continue;
          const theirs = cased ? other.strings : EventView.lower(other);
          for (const a of mine) for (const b of theirs) if (test(a, b)) return true;
        }
        return false;
      };
    }
    case 'expansion': {
      const members = value.values.map((v) => compileValue(v, context));
      return (r, view) => members.some((m) => m(r, view));
    }
  }
}
