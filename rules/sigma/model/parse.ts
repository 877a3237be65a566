/**
 * From a rule file's text to Sigma documents: detection rules, filters and
 * correlation rules, one or several per file (`---`), with Sigma rule
 * collections (`action: global` documents merged into the ones after them,
 * `action: reset`, `action: repeat`). Every problem of the file is collected,
 * with its line and column; a document with a problem is left out, the
 * others are kept.
 */
import { type ConditionNode, referencedNames } from '../conditions/ast.ts';
import { ConditionError, parseCondition } from '../conditions/parser.ts';
import { type ItemState, ModifierError } from '../modifiers/modifier.ts';
import { isModifierName, MODIFIERS } from '../modifiers/registry.ts';
import type { RuleNote, RuleProblem, RuleProblemCode } from './problem.ts';
import {
  CORRELATION_TYPES,
  type Detection,
  type DetectionItem,
  LEVELS,
  type LogSource,
  type SigmaCorrelation,
  type SigmaDocument,
  type SigmaFilter,
  type SigmaRule,
  STATUSES,
} from './rule.ts';
import { mapValue, parseSigmaString, type SigmaValue } from './values.ts';
import {
  describeKind,
  entry,
  type LMap,
  type LScalar,
  type LValue,
  type Position,
  type ReadYamlOptions,
  readYaml,
  toPlain,
} from './yaml-source.ts';

export interface ParseOptions extends ReadYamlOptions {
  /** Values of `expand` placeholders, by name without the percent signs. */
  placeholders?: ReadonlyMap<string, readonly string[]>;
}

export interface ParsedFile {
  documents: SigmaDocument[];
  problems: RuleProblem[];
  notes: RuleNote[];
}

export type Report = (code: RuleProblemCode, at: Position | undefined, path: string, message: string) => void;

export function parseRuleText(file: string, text: string, options: ParseOptions = {}): ParsedFile {
  const problems: RuleProblem[] = [];
  const notes: RuleNote[] = [];
  const documents: SigmaDocument[] = [];
  const source = readYaml(text, options);
  for (const problem of source.problems) {
    problems.push({ code: 'RULE_INVALID', file, ...(problem.at ?? {}), message: problem.message });
  }
  if (source.problems.length > 0) return { documents, problems, notes };

  let global: LMap | undefined;
  let previous: LMap | undefined;
  for (const doc of source.documents) {
    let root = doc.root;
    if (root.kind !== 'map') {
      problems.push({
        code: 'RULE_INVALID',
        file,
        ...root.at,
        message: `a rule document must be a map, not ${describeKind(root)}`,
      });
      continue;
    }
    const action = entry(root, 'action');
    if (action !== undefined) {
      const name = action.value.kind === 'scalar' ? action.value.value : undefined;
      const rest: LMap = { ...root, entries: root.entries.filter((e) => e.key !== 'action') };
      if (name === 'global') {
        global = rest;
        continue;
      }
      if (name === 'reset') {
        global = undefined;
        continue;
      }
      if (name === 'repeat') {
        if (previous === undefined) {
          problems.push({
            code: 'RULE_INVALID',
            file,
            ...action.keyAt,
            message: 'action: repeat needs a document before it',
          });
          continue;
        }
        root = merge(previous, rest);
      } else {
        problems.push({
          code: 'RULE_INVALID',
          file,
          ...action.keyAt,
          message: `unknown action "${String(name)}": use global, reset or repeat`,
        });
        continue;
      }
    }
    const merged = global === undefined ? (root as LMap) : merge(global, root as LMap);
    previous = root as LMap;
    const before = problems.length;
    const report: Report = (code, at, path, message) =>
      problems.push({ code, file, ...(at ?? {}), ...(path ? { path } : {}), message });
    const parsed = parseDocument(file, merged, report, notes, options.placeholders ?? new Map());
    // In file order, as an editor lists them.
    const mine = problems
      .splice(before)
      .sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0));
    problems.push(...mine);
    if (parsed !== undefined && problems.length === before) documents.push(parsed);
    else if (parsed !== undefined) {
      const label = parsed.id ?? parsed.title;
      for (const problem of problems.slice(before)) problem.rule ??= label;
    }
  }
  return { documents, problems, notes };
}

/** Deep merge of maps: entries of `over` win; maps under the same key merge. */
function merge(base: LMap, over: LMap): LMap {
  const entries = base.entries.map((e) => {
    const other = entry(over, e.key);
    if (other === undefined) return e;
    if (e.value.kind === 'map' && other.value.kind === 'map')
      return { ...other, value: merge(e.value, other.value) };
    return other;
  });
  for (const e of over.entries) if (entry(base, e.key) === undefined) entries.push(e);
  return { kind: 'map', entries, at: over.at };
}

function parseDocument(
  file: string,
  root: LMap,
  report: Report,
  notes: RuleNote[],
  placeholders: ReadonlyMap<string, readonly string[]>,
): SigmaDocument | undefined {
  const common = parseCommon(file, root, report);
  if (entry(root, 'correlation') !== undefined) {
    const correlation = parseCorrelation(common, root, report);
    if (correlation) {
      notes.push({
        file,
        ...root.at,
        rule: correlation.id ?? correlation.title,
        message: 'correlation rule kept for the correlator; it is not evaluated on single events',
      });
    }
    return correlation;
  }
  if (entry(root, 'filter') !== undefined && entry(root, 'detection') === undefined) {
    return parseFilter(common, root, report, placeholders);
  }
  return parseRule(common, root, report, placeholders);
}

interface Common {
  file: string;
  at: Position;
  id: string | undefined;
  name: string | undefined;
  title: string;
  description: string | undefined;
}

function parseCommon(file: string, root: LMap, report: Report): Common {
  const title = optionalString(root, 'title', report);
  if (title === undefined) report('RULE_INVALID', root.at, 'title', 'a rule needs a title');
  return {
    file,
    at: root.at,
    id: optionalString(root, 'id', report),
    name: optionalString(root, 'name', report),
    title: title ?? '(untitled)',
    description: optionalString(root, 'description', report),
  };
}

function scalarText(value: LValue): string | undefined {
  if (value.kind !== 'scalar' || value.value === null) return undefined;
  return String(value.value);
}

function optionalString(map: LMap, key: string, report: Report, path = key): string | undefined {
  const e = entry(map, key);
  if (e === undefined || (e.value.kind === 'scalar' && e.value.value === null)) return undefined;
  const text = scalarText(e.value);
  if (text === undefined)
    report('RULE_INVALID', e.value.at, path, `${key} must be text, not ${describeKind(e.value)}`);
  return text;
}

function stringList(map: LMap, key: string, report: Report, path = key): string[] {
  const e = entry(map, key);
  if (e === undefined || (e.value.kind === 'scalar' && e.value.value === null)) return [];
  if (e.value.kind === 'scalar') return [String(e.value.value)];
  if (e.value.kind === 'map') {
    report('RULE_INVALID', e.value.at, path, `${key} must be a list of text, not a map`);
    return [];
  }
  const out: string[] = [];
  e.value.items.forEach((item, i) => {
    const text = scalarText(item);
    if (text === undefined)
      report('RULE_INVALID', item.at, `${path}[${i}]`, `${key} must hold text, not ${describeKind(item)}`);
    else out.push(text);
  });
  return out;
}

function parseLogSource(root: LMap, report: Report, required: boolean): LogSource {
  const e = entry(root, 'logsource');
  if (e === undefined) {
    if (required) report('RULE_INVALID', root.at, 'logsource', 'a rule needs a logsource');
    return {};
  }
  if (e.value.kind !== 'map') {
    report('RULE_INVALID', e.value.at, 'logsource', `logsource must be a map, not ${describeKind(e.value)}`);
    return {};
  }
  const out: LogSource = {};
  for (const key of ['category', 'product', 'service'] as const) {
    const text = optionalString(e.value, key, report, `logsource.${key}`);
    if (text !== undefined) out[key] = text.toLowerCase();
  }
  return out;
}

function parseLevel(root: LMap, report: Report): SigmaRule['level'] {
  const level = optionalString(root, 'level', report);
  if (level === undefined) return undefined;
  if (!(LEVELS as readonly string[]).includes(level)) {
    report(
      'RULE_INVALID',
      entry(root, 'level')?.value.at,
      'level',
      `level must be one of ${LEVELS.join(', ')}, not "${level}"`,
    );
    return undefined;
  }
  return level as SigmaRule['level'];
}

function parseRule(
  common: Common,
  root: LMap,
  report: Report,
  placeholders: ReadonlyMap<string, readonly string[]>,
): SigmaRule | undefined {
  const logsource = parseLogSource(root, report, true);
  const status = optionalString(root, 'status', report);
  if (status !== undefined && !(STATUSES as readonly string[]).includes(status)) {
    report(
      'RULE_INVALID',
      entry(root, 'status')?.value.at,
      'status',
      `status must be one of ${STATUSES.join(', ')}, not "${status}"`,
    );
  }
  const detectionEntry = entry(root, 'detection');
  if (detectionEntry === undefined) {
    report('RULE_INVALID', root.at, 'detection', 'a rule needs a detection section');
    return undefined;
  }
  if (detectionEntry.value.kind !== 'map') {
    report(
      'RULE_INVALID',
      detectionEntry.value.at,
      'detection',
      `detection must be a map, not ${describeKind(detectionEntry.value)}`,
    );
    return undefined;
  }
  const detection = detectionEntry.value;
  const detections = parseDetections(detection, 'detection', report, placeholders, [
    'condition',
    'timeframe',
  ]);
  const timeframe = entry(detection, 'timeframe');
  if (timeframe !== undefined) {
    report(
      'RULE_UNSUPPORTED',
      timeframe.keyAt,
      'detection.timeframe',
      'timeframe is a Sigma 1 aggregation: write a correlation rule (with timespan) instead',
    );
  }
  const conditionEntry = entry(detection, 'condition');
  const conditions: ConditionNode[] = [];
  const conditionText: string[] = [];
  if (conditionEntry === undefined) {
    report('RULE_INVALID', detection.at, 'detection.condition', 'the detection needs a condition');
  } else {
    const list = conditionEntry.value.kind === 'seq' ? conditionEntry.value.items : [conditionEntry.value];
    list.forEach((item, i) => {
      const path = conditionEntry.value.kind === 'seq' ? `detection.condition[${i}]` : 'detection.condition';
      const text = scalarText(item);
      if (text === undefined) {
        report('RULE_INVALID', item.at, path, `a condition must be text, not ${describeKind(item)}`);
        return;
      }
      const tree = conditionOf(text, item as LScalar, [...detections.keys()], path, report);
      if (tree) {
        conditions.push(tree);
        conditionText.push(text);
      }
    });
  }
  const tags = stringList(root, 'tags', report).map((t) => t.toLowerCase());
  return {
    kind: 'rule',
    ...common,
    status: status as SigmaRule['status'],
    level: parseLevel(root, report),
    tags,
    author: optionalString(root, 'author', report),
    references: stringList(root, 'references', report),
    falsepositives: stringList(root, 'falsepositives', report),
    date: optionalString(root, 'date', report),
    modified: optionalString(root, 'modified', report),
    logsource,
    detections,
    conditions,
    conditionText,
    fields: stringList(root, 'fields', report),
  };
}

function conditionOf(
  text: string,
  node: LScalar,
  names: string[],
  path: string,
  report: Report,
): ConditionNode | undefined {
  try {
    return parseCondition(text, names);
  } catch (error) {
    if (!(error instanceof ConditionError)) throw error;
    // A plain one-line scalar: point at the offending character.
    const oneLine = !text.includes('\n');
    const at = oneLine ? { line: node.at.line, column: node.at.column + error.offset } : node.at;
    report(error.unsupported ? 'RULE_UNSUPPORTED' : 'RULE_INVALID', at, path, `condition: ${error.message}`);
    return undefined;
  }
}

function parseFilter(
  common: Common,
  root: LMap,
  report: Report,
  placeholders: ReadonlyMap<string, readonly string[]>,
): SigmaFilter | undefined {
  const logsource = parseLogSource(root, report, true);
  const filterEntry = entry(root, 'filter');
  if (filterEntry === undefined || filterEntry.value.kind !== 'map') {
    report(
      'RULE_INVALID',
      filterEntry?.value.at ?? root.at,
      'filter',
      'filter must be a map with rules, selections and a condition',
    );
    return undefined;
  }
  const filter = filterEntry.value;
  let rules: string[] | 'any';
  const rulesEntry = entry(filter, 'rules');
  if (rulesEntry === undefined) {
    report('RULE_INVALID', filter.at, 'filter.rules', 'a filter names the rules it applies to (or "any")');
    rules = [];
  } else if (
    rulesEntry.value.kind === 'scalar' &&
    ['any', 'all'].includes(String(rulesEntry.value.value).toLowerCase())
  ) {
    rules = 'any';
  } else {
    rules = stringList(filter, 'rules', report, 'filter.rules');
    if (rules.length === 0) rules = 'any';
  }
  const detections = parseDetections(filter, 'filter', report, placeholders, ['condition', 'rules']);
  const conditionEntry = entry(filter, 'condition');
  const text = conditionEntry === undefined ? undefined : scalarText(conditionEntry.value);
  if (conditionEntry === undefined || text === undefined) {
    report(
      'RULE_INVALID',
      conditionEntry?.value.at ?? filter.at,
      'filter.condition',
      'a filter needs one condition, as text',
    );
    return undefined;
  }
  const condition = conditionOf(
    text,
    conditionEntry.value as LScalar,
    [...detections.keys()],
    'filter.condition',
    report,
  );
  if (condition === undefined) return undefined;
  return { kind: 'filter', ...common, logsource, rules, detections, condition, conditionText: text };
}

function parseCorrelation(common: Common, root: LMap, report: Report): SigmaCorrelation | undefined {
  const e = entry(root, 'correlation');
  if (e === undefined || e.value.kind !== 'map') {
    report('RULE_INVALID', e?.value.at ?? root.at, 'correlation', 'correlation must be a map');
    return undefined;
  }
  const section = e.value;
  const type = optionalString(section, 'type', report, 'correlation.type');
  if (type === undefined || !(CORRELATION_TYPES as readonly string[]).includes(type)) {
    report(
      'RULE_INVALID',
      entry(section, 'type')?.value.at ?? section.at,
      'correlation.type',
      `type must be one of ${CORRELATION_TYPES.join(', ')}`,
    );
    return undefined;
  }
  const rules = stringList(section, 'rules', report, 'correlation.rules');
  if (rules.length === 0)
    report('RULE_INVALID', section.at, 'correlation.rules', 'a correlation names the rules it correlates');
  return {
    kind: 'correlation',
    ...common,
    type: type as SigmaCorrelation['type'],
    rules,
    groupBy: stringList(section, 'group-by', report, 'correlation.group-by'),
    timespan: optionalString(section, 'timespan', report, 'correlation.timespan'),
    level: parseLevel(root, report),
    tags: stringList(root, 'tags', report).map((t) => t.toLowerCase()),
    definition: toPlain(section) as Record<string, unknown>,
  };
}

function parseDetections(
  section: LMap,
  base: string,
  report: Report,
  placeholders: ReadonlyMap<string, readonly string[]>,
  reserved: string[],
): Map<string, Detection> {
  const detections = new Map<string, Detection>();
  for (const e of section.entries) {
    if (reserved.includes(e.key)) continue;
    const detection = parseDetection(e.value, `${base}.${e.key}`, report, placeholders);
    if (detection) detections.set(e.key, detection);
  }
  return detections;
}

export function parseDetection(
  value: LValue,
  path: string,
  report: Report,
  placeholders: ReadonlyMap<string, readonly string[]>,
): Detection | undefined {
  if (value.kind === 'map') {
    const items: DetectionItem[] = [];
    for (const e of value.entries) {
      const item = parseItem(e.key, e.keyAt, e.value, `${path}.${e.key}`, report, placeholders);
      if (item) items.push(item);
    }
    if (value.entries.length === 0)
      report('RULE_INVALID', value.at, path, 'a search identifier needs at least one field');
    return { kind: 'all', items, at: value.at };
  }
  if (value.kind === 'seq') {
    if (value.items.length === 0) {
      report('RULE_INVALID', value.at, path, 'a search identifier needs at least one value');
      return undefined;
    }
    // Plain values are keywords (OR); maps are alternatives (OR).
    const keywords = value.items.filter((i) => i.kind === 'scalar');
    const alternatives: Detection[] = [];
    if (keywords.length > 0) {
      const item = parseItem(
        '',
        value.at,
        { kind: 'seq', items: keywords, at: value.at },
        path,
        report,
        placeholders,
      );
      if (item) alternatives.push({ kind: 'all', items: [item], at: value.at });
    }
    value.items.forEach((item, i) => {
      if (item.kind === 'map') {
        const detection = parseDetection(item, `${path}[${i}]`, report, placeholders);
        if (detection) alternatives.push(detection);
      } else if (item.kind === 'seq') {
        report(
          'RULE_INVALID',
          item.at,
          `${path}[${i}]`,
          'a list inside a search identifier list is not allowed',
        );
      }
    });
    return { kind: 'any', alternatives, at: value.at };
  }
  if (value.value === null) {
    report('RULE_INVALID', value.at, path, 'a search identifier cannot be empty');
    return undefined;
  }
  const item = parseItem('', value.at, value, path, report, placeholders);
  return item ? { kind: 'all', items: [item], at: value.at } : undefined;
}

function initialValue(value: LScalar): SigmaValue {
  const v = value.value;
  if (v === null) return { type: 'null' };
  if (typeof v === 'number') return { type: 'number', value: v };
  if (typeof v === 'boolean') return { type: 'bool', value: v };
  return parseSigmaString(v);
}

function parseItem(
  key: string,
  keyAt: Position,
  value: LValue,
  path: string,
  report: Report,
  placeholders: ReadonlyMap<string, readonly string[]>,
): DetectionItem | undefined {
  const [fieldName = '', ...modifiers] = key.split('|');
  const field = fieldName === '' ? undefined : fieldName;
  if (field !== undefined && !/^[^\s]+$/.test(field)) {
    report('RULE_INVALID', keyAt, path, `"${field}" is not a field name`);
    return undefined;
  }
  let scalars: LScalar[];
  if (value.kind === 'scalar') scalars = [value];
  else if (value.kind === 'seq') {
    scalars = [];
    for (const item of value.items) {
      if (item.kind !== 'scalar')
        report(
          'RULE_INVALID',
          item.at,
          path,
          `a field's values must be plain values, not ${describeKind(item)}`,
        );
      else scalars.push(item);
    }
    if (value.items.length === 0) {
      report('RULE_INVALID', value.at, path, 'an empty list of values matches nothing');
      return undefined;
    }
  } else {
    report('RULE_INVALID', value.at, path, `a field's value must be a value or a list of values, not a map`);
    return undefined;
  }
  const state: ItemState = {
    field,
    applied: [],
    linkAll: false,
    cased: false,
    negate: false,
    timePart: undefined,
    placeholders,
  };
  let values = scalars.map(initialValue);
  for (const name of modifiers) {
    if (!isModifierName(name)) {
      report(
        'RULE_UNSUPPORTED',
        keyAt,
        path,
        `unknown modifier "${name}"; Sigma 2.1 modifiers are: ${Object.keys(MODIFIERS).join(', ')}`,
      );
      return undefined;
    }
    const modifier = MODIFIERS[name]();
    try {
      modifier.applyItem(state);
      values = values.map((v) => mapValue(v, (x) => modifier.transform(x, state)));
    } catch (error) {
      if (!(error instanceof ModifierError)) throw error;
      report(error.code, keyAt, path, error.message);
      return undefined;
    }
    state.applied.push(name);
  }
  const problem = itemProblem(field, values, state);
  if (problem) {
    report('RULE_INVALID', keyAt, path, problem);
    return undefined;
  }
  return {
    field,
    modifiers,
    values,
    linkAll: state.linkAll,
    cased: state.cased,
    negate: state.negate,
    timePart: state.timePart,
    at: keyAt,
    path,
  };
}

/** Combinations that cannot mean anything, reported at load. */
function itemProblem(field: string | undefined, values: SigmaValue[], state: ItemState): string | undefined {
  const flat = values.flatMap((v) => (v.type === 'expansion' ? v.values : [v]));
  if (field === undefined) {
    const bad = flat.find(
      (v) => v.type !== 'string' && v.type !== 'number' && v.type !== 'regex' && v.type !== 'bool',
    );
    if (bad)
      return `keywords (values without a field) are searched as text; ${state.applied.join('|')} cannot apply to them`;
  }
  if (flat.some((v) => v.type === 'exists') && (values.length !== 1 || state.negate || state.linkAll)) {
    return 'exists takes one value, true or false, and no other modifier';
  }
  if (state.timePart !== undefined && flat.some((v) => v.type !== 'number' && v.type !== 'compare')) {
    return `${state.timePart} compares a number with a part of a date`;
  }
  return undefined;
}

/** The search identifiers a rule's conditions never use (a likely mistake, reported as a note). */
export function unusedIdentifiers(rule: SigmaRule): string[] {
  const used = new Set<string>();
  for (const condition of rule.conditions) referencedNames(condition, used);
  return [...rule.detections.keys()].filter((name) => !used.has(name));
}
