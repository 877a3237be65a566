/**
 * A Sigma 2.1 correlation rule as the correlator evaluates it: validated,
 * with its references, aliases, group-by fields, timespan in milliseconds and
 * condition bounds. Built by parse.ts from a rule file; references are
 * resolved to the loaded rules by correlation-set.ts.
 */
import type { Position } from '../sigma/model/yaml-source.ts';

export const CORRELATION_TYPES = [
  'event_count',
  'value_count',
  'temporal',
  'temporal_ordered',
  'value_sum',
  'value_avg',
  'value_percentile',
] as const;
export type CorrelationType = (typeof CORRELATION_TYPES)[number];

export const OPERATORS = ['gt', 'gte', 'lt', 'lte', 'eq', 'neq'] as const;
export type Operator = (typeof OPERATORS)[number];

export const LEVELS = ['informational', 'low', 'medium', 'high', 'critical'] as const;
export type Level = (typeof LEVELS)[number];

/** One comparison of the condition; several are linked with AND (`gt: 100, lte: 200`). */
export interface Bound {
  op: Operator;
  value: number;
}

export interface CorrelationRule {
  /** The file the rule came from, and where its document starts. */
  file: string;
  at: Position;
  id: string | undefined;
  name: string | undefined;
  /** id, else name, else title: the rule's identity in alerts and signals. */
  key: string;
  title: string;
  level: Level;
  tags: string[];
  type: CorrelationType;
  /** The rules it correlates, by id or name, as written. */
  rules: string[];
  /** Where each of `rules` is written. */
  rulesAt: Position[];
  /** alias → (rule id or name → the field in that rule's events). */
  aliases: Map<string, Map<string, string>>;
  groupBy: string[];
  timespanMs: number;
  /** The comparisons; for temporal types without a condition: every rule seen. */
  bounds: Bound[];
  /** The field of value_count and value_* conditions. */
  field: string | undefined;
  /** value_percentile: which percentile (0–100); default 50, the median. */
  percentile: number;
  /** Whether the rules it references also make alerts of their own (Sigma `generate`, default false). */
  generate: boolean;
}

/** Identity of a detection rule, as far as correlations need it. */
export interface RuleIdentity {
  id: string | undefined;
  name: string | undefined;
  title: string;
}

/**
 * Whether a condition is decided as soon as it holds (only lower bounds:
 * adding events can only keep it true) or only when a window is complete
 * (an upper bound or an equality: a later event could still make it false).
 */
export function decidedEarly(bounds: readonly Bound[]): boolean {
  return bounds.every((b) => b.op === 'gt' || b.op === 'gte');
}

export function holds(bounds: readonly Bound[], value: number): boolean {
  for (const { op, value: limit } of bounds) {
    switch (op) {
      case 'gt':
        if (!(value > limit)) return false;
        break;
      case 'gte':
        if (!(value >= limit)) return false;
        break;
      case 'lt':
        if (!(value < limit)) return false;
        break;
      case 'lte':
        if (!(value <= limit)) return false;
        break;
      case 'eq':
        if (value !== limit) return false;
        break;
      case 'neq':
        if (value === limit) return false;
        break;
    }
  }
  return true;
}

/** `5m` → 300000. Sigma's units: s, m, h, d (and w, which some rule sets use). */
export function parseTimespan(text: string): number | undefined {
  const match = /^([1-9][0-9]{0,8})([smhdw])$/.exec(text.trim());
  if (!match) return undefined;
  const unit = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }[match[2] as 's'];
  return Number(match[1]) * unit;
}
