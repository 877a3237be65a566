/**
 * The Sigma object model, after pySigma's: a rule has detections (search
 * identifiers), each a detection: items linked with AND, or alternatives
 * linked with OR; an item is a field, its modifiers and its values; and a
 * condition tree over the search identifiers. Filters and correlation rules
 * are documents of their own and reference rules by id or name.
 */
import type { ConditionNode } from '../conditions/ast.ts';
import type { SigmaValue, TimePart } from './values.ts';
import type { Position } from './yaml-source.ts';

export const LEVELS = ['informational', 'low', 'medium', 'high', 'critical'] as const;
export type Level = (typeof LEVELS)[number];
export const STATUSES = ['stable', 'test', 'experimental', 'deprecated', 'unsupported'] as const;
export type Status = (typeof STATUSES)[number];

export interface LogSource {
  category?: string;
  product?: string;
  service?: string;
}

export interface DetectionItem {
  /** The Sigma field name; undefined for keywords (searched in the message). */
  field: string | undefined;
  modifiers: string[];
  /** The values after the modifiers. */
  values: SigmaValue[];
  linkAll: boolean;
  cased: boolean;
  negate: boolean;
  timePart: TimePart | undefined;
  at: Position;
  /** `detection.selection.CommandLine|contains`. */
  path: string;
}

/** A search identifier's definition: all items (a map), or any alternative (a list). */
export type Detection =
  | { kind: 'all'; items: DetectionItem[]; at: Position }
  | { kind: 'any'; alternatives: Detection[]; at: Position };

interface Document {
  /** The file the document came from, and where in it. */
  file: string;
  at: Position;
  id: string | undefined;
  name: string | undefined;
  title: string;
  description: string | undefined;
}

export interface SigmaRule extends Document {
  kind: 'rule';
  status: Status | undefined;
  level: Level | undefined;
  tags: string[];
  author: string | undefined;
  references: string[];
  falsepositives: string[];
  date: string | undefined;
  modified: string | undefined;
  logsource: LogSource;
  detections: Map<string, Detection>;
  /** One tree per condition; several conditions are linked with OR. */
  conditions: ConditionNode[];
  conditionText: string[];
  /** Fields an analyst wants to see with a match (Sigma `fields`). */
  fields: string[];
}

export interface SigmaFilter extends Document {
  kind: 'filter';
  logsource: LogSource;
  /** Ids or names of the rules it applies to, or every rule of its log source. */
  rules: string[] | 'any';
  detections: Map<string, Detection>;
  condition: ConditionNode;
  conditionText: string;
}

export const CORRELATION_TYPES = [
  'event_count',
  'value_count',
  'temporal',
  'temporal_ordered',
  'value_sum',
  'value_avg',
  'value_percentile',
] as const;

/** A correlation rule, recognised and kept for the correlator (not evaluated here). */
export interface SigmaCorrelation extends Document {
  kind: 'correlation';
  type: (typeof CORRELATION_TYPES)[number];
  /** The rules it correlates, by id or name. */
  rules: string[];
  groupBy: string[];
  timespan: string | undefined;
  level: Level | undefined;
  tags: string[];
  /** The correlation section as plain data, for the correlator to read. */
  definition: Record<string, unknown>;
}

export type SigmaDocument = SigmaRule | SigmaFilter | SigmaCorrelation;

/** The id, else the name, else the title: how messages name a rule. */
export function ruleLabel(doc: {
  id?: string | undefined;
  name?: string | undefined;
  title: string;
}): string {
  return doc.id ?? doc.name ?? doc.title;
}
