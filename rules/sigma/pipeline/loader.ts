/**
 * Reads mapping pipeline files (YAML, one pipeline per file):
 *
 *   name: vigil-ecs
 *   vars: { Administrators: [root, admin] }
 *   keyword_fields: [message]
 *   unmapped_logsource: match_all        # or match_none
 *   logsources:
 *     - logsource: { product: linux, service: sshd }
 *       conditions: { process.name: [sshd, sshd-session] }
 *   fields:
 *     - mapping: { c-ip: source.ip, User: [user.name, winlog.event_data.User] }
 *     - logsource: { product: windows }
 *       template: "winlog.event_data.{field}"
 *   values:
 *     - field: event.outcome
 *       map: { failed: failure }
 *
 * Every problem is reported with file, line and column
 * (RULE_PIPELINE_INVALID), like rule problems.
 */
import { readFileSync } from 'node:fs';
import { fieldPath } from '../../../processor/pipeline/fields.ts';
import { parseDetection, type Report } from '../model/parse.ts';
import type { RuleProblem } from '../model/problem.ts';
import type { LogSource } from '../model/rule.ts';
import { describeKind, entry, type LMap, type LValue, readYaml } from '../model/yaml-source.ts';
import type { FieldRule, LogSourceRule, MappingPipeline, ValueRule } from './pipeline.ts';

const TOP_KEYS = [
  'name',
  'description',
  'vars',
  'keyword_fields',
  'unmapped_logsource',
  'logsources',
  'fields',
  'values',
];

export function loadPipelineFile(file: string): { pipeline?: MappingPipeline; problems: RuleProblem[] } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    return {
      problems: [
        {
          code: 'RULE_PIPELINE_INVALID',
          file,
          message: `the pipeline cannot be read (${(error as Error).message})`,
        },
      ],
    };
  }
  return parsePipelineText(file, text);
}

export function parsePipelineText(
  file: string,
  text: string,
): { pipeline?: MappingPipeline; problems: RuleProblem[] } {
  const problems: RuleProblem[] = [];
  const report: Report = (_code, at, path, message) =>
    problems.push({ code: 'RULE_PIPELINE_INVALID', file, ...(at ?? {}), ...(path ? { path } : {}), message });
  const source = readYaml(text);
  for (const p of source.problems) report('RULE_PIPELINE_INVALID', p.at, '', p.message);
  if (source.problems.length > 0) return { problems };
  if (source.documents.length !== 1 || source.documents[0]?.root.kind !== 'map') {
    report('RULE_PIPELINE_INVALID', source.documents[0]?.root.at, '', 'a pipeline file holds one map');
    return { problems };
  }
  const root = source.documents[0].root;
  for (const e of root.entries) {
    if (!TOP_KEYS.includes(e.key))
      report('RULE_PIPELINE_INVALID', e.keyAt, e.key, `unknown key; a pipeline has ${TOP_KEYS.join(', ')}`);
  }
  const name = text1(root, 'name', report) ?? file;
  const pipeline: MappingPipeline = {
    name,
    file,
    vars: new Map(),
    keywordFields: undefined,
    unmappedLogsource: undefined,
    logsources: [],
    fields: [],
    values: [],
  };
  const vars = entry(root, 'vars');
  if (vars !== undefined) {
    if (vars.value.kind !== 'map')
      report('RULE_PIPELINE_INVALID', vars.value.at, 'vars', 'vars must be a map of name → values');
    else {
      for (const v of vars.value.entries) {
        const values = texts(v.value, `vars.${v.key}`, report);
        if (values) pipeline.vars.set(v.key, values);
      }
    }
  }
  const keywordFields = entry(root, 'keyword_fields');
  if (keywordFields !== undefined) {
    const fields = texts(keywordFields.value, 'keyword_fields', report);
    if (fields)
      pipeline.keywordFields = fields.filter((f) =>
        checkField(f, keywordFields.value, 'keyword_fields', report),
      );
  }
  const unmapped = text1(root, 'unmapped_logsource', report);
  if (unmapped !== undefined) {
    if (unmapped === 'match_all' || unmapped === 'match_none') pipeline.unmappedLogsource = unmapped;
    else
      report(
        'RULE_PIPELINE_INVALID',
        entry(root, 'unmapped_logsource')?.value.at,
        'unmapped_logsource',
        'use match_all or match_none',
      );
  }
  forEachMap(root, 'logsources', report, (map, path) => {
    const match = logSource(map, path, report);
    const conditions = entry(map, 'conditions');
    if (match === undefined) return;
    if (conditions === undefined || conditions.value.kind === 'scalar') {
      report(
        'RULE_PIPELINE_INVALID',
        conditions?.value.at ?? map.at,
        `${path}.conditions`,
        'conditions must be a map of event field → values, or a list of such maps (any may hold)',
      );
      return;
    }
    const maps = conditions.value.kind === 'map' ? [conditions.value] : conditions.value.items;
    for (const m of maps) {
      if (m.kind !== 'map') {
        report(
          'RULE_PIPELINE_INVALID',
          m.at,
          `${path}.conditions`,
          'each entry of a conditions list is a map of event field → values',
        );
        return;
      }
      for (const c of m.entries)
        checkField(c.key.split('|')[0] ?? '', c.value, `${path}.conditions.${c.key}`, report);
    }
    const detection = parseDetection(conditions.value, `${path}.conditions`, report, pipeline.vars);
    if (detection) {
      const rule: LogSourceRule = { match, conditions: detection, source: file, at: map.at };
      pipeline.logsources.push(rule);
    }
  });
  forEachMap(root, 'fields', report, (map, path) => {
    const rule: FieldRule = { match: undefined, mapping: new Map(), template: undefined };
    if (entry(map, 'logsource') !== undefined) rule.match = logSource(map, path, report);
    const mapping = entry(map, 'mapping');
    if (mapping !== undefined) {
      if (mapping.value.kind !== 'map')
        report(
          'RULE_PIPELINE_INVALID',
          mapping.value.at,
          `${path}.mapping`,
          'mapping must be a map of Sigma field → event fields',
        );
      else {
        for (const m of mapping.value.entries) {
          const targets = texts(m.value, `${path}.mapping.${m.key}`, report);
          if (targets)
            rule.mapping.set(
              m.key,
              targets.filter((t) => checkField(t, m.value, `${path}.mapping.${m.key}`, report)),
            );
        }
      }
    }
    rule.template = text1(map, 'template', report, `${path}.template`);
    if (rule.template !== undefined && !rule.template.includes('{field}')) {
      report(
        'RULE_PIPELINE_INVALID',
        entry(map, 'template')?.value.at,
        `${path}.template`,
        'a template contains {field}',
      );
    }
    if (mapping === undefined && rule.template === undefined)
      report('RULE_PIPELINE_INVALID', map.at, path, 'a fields entry has a mapping, a template or both');
    pipeline.fields.push(rule);
  });
  forEachMap(root, 'values', report, (map, path) => {
    const field = text1(map, 'field', report, `${path}.field`);
    const values = entry(map, 'map');
    if (field === undefined || values === undefined || values.value.kind !== 'map') {
      report(
        'RULE_PIPELINE_INVALID',
        map.at,
        path,
        'a values entry has a field and a map of rule value → event value',
      );
      return;
    }
    const rule: ValueRule = { match: undefined, field, map: new Map() };
    if (entry(map, 'logsource') !== undefined) rule.match = logSource(map, path, report);
    for (const v of values.value.entries) {
      const to = v.value.kind === 'scalar' && v.value.value !== null ? String(v.value.value) : undefined;
      if (to === undefined)
        report('RULE_PIPELINE_INVALID', v.value.at, `${path}.map.${v.key}`, 'a replacement is a plain value');
      else rule.map.set(v.key.toLowerCase(), to);
    }
    pipeline.values.push(rule);
  });
  return problems.length > 0 ? { problems } : { pipeline, problems };
}

function text1(map: LMap, key: string, report: Report, path = key): string | undefined {
  const e = entry(map, key);
  if (e === undefined) return undefined;
  if (e.value.kind !== 'scalar' || e.value.value === null) {
    report('RULE_PIPELINE_INVALID', e.value.at, path, `${key} must be text, not ${describeKind(e.value)}`);
    return undefined;
  }
  return String(e.value.value);
}

function texts(value: LValue, path: string, report: Report): string[] | undefined {
  if (value.kind === 'scalar' && value.value !== null) return [String(value.value)];
  if (value.kind === 'seq' && value.items.every((i) => i.kind === 'scalar' && i.value !== null)) {
    return value.items.map((i) => String((i as { value: unknown }).value));
  }
  report(
    'RULE_PIPELINE_INVALID',
    value.at,
    path,
    `expected a value or a list of values, not ${describeKind(value)}`,
  );
  return undefined;
}

function checkField(field: string, at: LValue, path: string, report: Report): boolean {
  try {
    fieldPath(field);
    return true;
  } catch (error) {
    report('RULE_PIPELINE_INVALID', at.at, path, (error as Error).message);
    return false;
  }
}

function logSource(map: LMap, path: string, report: Report): LogSource | undefined {
  const e = entry(map, 'logsource');
  if (e === undefined || e.value.kind !== 'map') {
    report(
      'RULE_PIPELINE_INVALID',
      e?.value.at ?? map.at,
      `${path}.logsource`,
      'logsource must be a map of category, product, service',
    );
    return undefined;
  }
  const out: LogSource = {};
  for (const item of e.value.entries) {
    if (item.key !== 'category' && item.key !== 'product' && item.key !== 'service') {
      report(
        'RULE_PIPELINE_INVALID',
        item.keyAt,
        `${path}.logsource.${item.key}`,
        'a logsource has category, product and service',
      );
      continue;
    }
    const value = text1(e.value, item.key, report, `${path}.logsource.${item.key}`);
    if (value !== undefined) out[item.key] = value.toLowerCase();
  }
  return out;
}

function forEachMap(root: LMap, key: string, report: Report, fn: (map: LMap, path: string) => void): void {
  const e = entry(root, key);
  if (e === undefined) return;
  if (e.value.kind !== 'seq') {
    report('RULE_PIPELINE_INVALID', e.value.at, key, `${key} must be a list`);
    return;
  }
  e.value.items.forEach((item, i) => {
    if (item.kind !== 'map')
      report('RULE_PIPELINE_INVALID', item.at, `${key}[${i}]`, `each entry of ${key} is a map`);
    else fn(item, `${key}[${i}]`);
  });
}
