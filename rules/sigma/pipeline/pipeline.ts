/**
 * Mapping pipelines: how a Sigma rule's field names and log source become
 * conditions on Vigil's events (in the spirit of pySigma's processing
 * pipelines). A pipeline holds:
 *
 * - `logsources`: for rules whose log source matches (`product: linux,
 *   service: sshd`), event conditions that every match must also meet
 *   (`process.name: sshd`); all matching entries apply, linked with AND;
 * - `fields`: Sigma field → one or several event fields (several are tried
 *   in turn: any may match), optionally only for some log sources, and a
 *   `template` for every field no mapping names (`winlog.event_data.{field}`);
 * - `values`: replacement of whole values for an event field, where a
 *   source writes a value differently than Sigma rules do;
 * - `vars`: values of `expand` placeholders; `keyword_fields`: where
 *   keywords (values without a field) are searched.
 *
 * Several pipelines apply in the order given; for a field, the first
 * mapping that names it wins, then the first template.
 */
import type { Detection, LogSource } from '../model/rule.ts';
import type { Position } from '../model/yaml-source.ts';

export interface LogSourceRule {
  match: LogSource;
  conditions: Detection;
  source: string;
  at: Position;
}

export interface FieldRule {
  match: LogSource | undefined;
  mapping: Map<string, string[]>;
  template: string | undefined;
}

export interface ValueRule {
  match: LogSource | undefined;
  /** The event field whose rule values are replaced. */
  field: string;
  /** Lower-cased rule value → replacement. */
  map: Map<string, string>;
}

export interface MappingPipeline {
  name: string;
  file: string;
  vars: Map<string, string[]>;
  keywordFields: string[] | undefined;
  /** What a rule whose log source no entry matches does: match every event, or none. */
  unmappedLogsource: 'match_all' | 'match_none' | undefined;
  logsources: LogSourceRule[];
  fields: FieldRule[];
  values: ValueRule[];
}

/** Whether a rule's log source is covered by a pipeline entry's (every key the entry names is equal). */
export function logSourceMatches(rule: LogSource, match: LogSource | undefined): boolean {
  if (match === undefined) return true;
  for (const key of ['category', 'product', 'service'] as const) {
    const wanted = match[key];
    if (wanted !== undefined && rule[key] !== wanted) return false;
  }
  return true;
}

/** The pipelines in force, in order, answering the compiler's questions. */
export class PipelineChain {
  readonly pipelines: readonly MappingPipeline[];
  readonly placeholders: Map<string, string[]>;
  readonly keywordFields: string[];
  readonly unmappedLogsource: 'match_all' | 'match_none';

  constructor(pipelines: readonly MappingPipeline[], placeholders: Record<string, readonly string[]> = {}) {
    this.pipelines = pipelines;
    this.placeholders = new Map();
    for (const pipeline of pipelines) {
      for (const [name, values] of pipeline.vars)
        if (!this.placeholders.has(name)) this.placeholders.set(name, values);
    }
    // Values given by the configuration win over the pipelines'.
    for (const [name, values] of Object.entries(placeholders)) this.placeholders.set(name, [...values]);
    this.keywordFields = pipelines.find((p) => p.keywordFields !== undefined)?.keywordFields ?? ['message'];
    this.unmappedLogsource =
      pipelines.find((p) => p.unmappedLogsource !== undefined)?.unmappedLogsource ?? 'match_all';
  }

  /** The event fields a Sigma field stands for, for a rule of this log source. */
  resolveField(field: string, logsource: LogSource): string[] {
    for (const pipeline of this.pipelines) {
      for (const rule of pipeline.fields) {
        if (!logSourceMatches(logsource, rule.match)) continue;
        const mapped = rule.mapping.get(field);
        if (mapped !== undefined) return mapped;
      }
    }
    for (const pipeline of this.pipelines) {
      for (const rule of pipeline.fields) {
        if (rule.template !== undefined && logSourceMatches(logsource, rule.match)) {
          return [rule.template.replaceAll('{field}', field)];
        }
      }
    }
    return [field];
  }

  /** The event conditions of a log source, and whether any pipeline knows it. */
  logsourceConditions(logsource: LogSource): { conditions: Detection[]; mapped: boolean } {
    const conditions: Detection[] = [];
    for (const pipeline of this.pipelines) {
      for (const rule of pipeline.logsources) {
        if (logSourceMatches(logsource, rule.match)) conditions.push(rule.conditions);
      }
    }
    return { conditions, mapped: conditions.length > 0 };
  }

  /** The replacement of a rule value for an event field, if a pipeline has one. */
  mapValue(eventField: string, value: string, logsource: LogSource): string | undefined {
    for (const pipeline of this.pipelines) {
      for (const rule of pipeline.values) {
        if (rule.field !== eventField || !logSourceMatches(logsource, rule.match)) continue;
        const replacement = rule.map.get(value.toLowerCase());
        if (replacement !== undefined) return replacement;
      }
    }
    return undefined;
  }
}
