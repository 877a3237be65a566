/**
 * From a located YAML document to a validated correlation rule. Every
 * problem is reported with the line and column it is about, and parsing goes
 * on after a problem so that one run lists all of them.
 */
import type { RuleProblem, RuleProblemCode } from '../sigma/model/problem.ts';
import { describeKind, entry, type LMap, type LValue, type Position } from '../sigma/model/yaml-source.ts';
import {
  type Bound,
  CORRELATION_TYPES,
  type CorrelationRule,
  type CorrelationType,
  LEVELS,
  type Level,
  OPERATORS,
  type Operator,
  parseTimespan,
} from './model.ts';

const SECTION_KEYS = new Set(['type', 'rules', 'aliases', 'group-by', 'timespan', 'condition', 'generate']);
/** Types whose condition is required and names a field. */
const VALUE_TYPES = new Set<CorrelationType>(['value_count', 'value_sum', 'value_avg', 'value_percentile']);

type Report = (code: RuleProblemCode, at: Position | undefined, path: string, message: string) => void;

export function problemReporter(file: string, problems: RuleProblem[]): Report {
  return (code, at, path, message) =>
    problems.push({ code, file, ...(at ?? {}), ...(path ? { path } : {}), message });
}

function text(value: LValue): string | undefined {
  if (value.kind !== 'scalar' || value.value === null || typeof value.value === 'boolean') return undefined;
  return String(value.value);
}

function optionalText(map: LMap, key: string, report: Report, path = key): string | undefined {
  const e = entry(map, key);
  if (e === undefined || (e.value.kind === 'scalar' && e.value.value === null)) return undefined;
  const value = text(e.value);
  if (value === undefined)
    report('RULE_INVALID', e.value.at, path, `${key} must be text, not ${describeKind(e.value)}`);
  return value;
}

/** A list of text; a single text is a list of one. Duplicates are a problem. */
function textList(map: LMap, key: string, report: Report, path: string): string[] {
  const e = entry(map, key);
  if (e === undefined || (e.value.kind === 'scalar' && e.value.value === null)) return [];
  const items = e.value.kind === 'seq' ? e.value.items : [e.value];
  if (e.value.kind === 'map') {
    report('RULE_INVALID', e.value.at, path, `${key} must be a list of text, not a map`);
    return [];
  }
  const out: string[] = [];
  items.forEach((item, i) => {
    const value = text(item);
    if (value === undefined)
      report('RULE_INVALID', item.at, `${path}[${i}]`, `${key} must hold text, not ${describeKind(item)}`);
    else if (out.includes(value))
      report('RULE_INVALID', item.at, `${path}[${i}]`, `"${value}" is listed twice`);
    else out.push(value);
  });
  return out;
}

function article(type: string | undefined): string {
  return `${type !== undefined && /^[aeiou]/.test(type) ? 'an' : 'a'} ${type}`;
}

/** Whether a document is a correlation rule (it has a `correlation` section). */
export function isCorrelationDocument(root: LValue): boolean {
  return root.kind === 'map' && entry(root, 'correlation') !== undefined;
}

/** Parses one correlation document; undefined when it has a problem (all reported). */
export function parseCorrelation(file: string, root: LMap, report: Report): CorrelationRule | undefined {
  let ok = true;
  const fail: Report = (code, at, path, message) => {
    ok = false;
    report(code, at, path, message);
  };
  const title = optionalText(root, 'title', fail);
  if (title === undefined && entry(root, 'title') === undefined)
    fail('RULE_INVALID', root.at, 'title', 'a rule needs a title');
  const id = optionalText(root, 'id', fail);
  const name = optionalText(root, 'name', fail);
  const levelText = optionalText(root, 'level', fail);
  let level: Level = 'medium';
  if (levelText !== undefined) {
    if ((LEVELS as readonly string[]).includes(levelText)) level = levelText as Level;
    else
      fail(
        'RULE_INVALID',
        entry(root, 'level')?.value.at,
        'level',
        `level must be one of ${LEVELS.join(', ')}, not "${levelText}"`,
      );
  }
  const tags = textList(root, 'tags', fail, 'tags').map((t) => t.toLowerCase());
  let generate = false;
  const generateEntry = entry(root, 'generate');
  if (generateEntry !== undefined) {
    const v = generateEntry.value;
    if (v.kind === 'scalar' && typeof v.value === 'boolean') generate = v.value;
    else fail('RULE_INVALID', v.at, 'generate', `generate must be true or false, not ${describeKind(v)}`);
  }

  const sectionEntry = entry(root, 'correlation');
  if (sectionEntry === undefined || sectionEntry.value.kind !== 'map') {
    fail(
      'RULE_INVALID',
      sectionEntry?.value.at ?? root.at,
      'correlation',
      'correlation must be a map with type, rules, timespan and (for most types) a condition',
    );
    return undefined;
  }
  const section = sectionEntry.value;
  for (const e of section.entries) {
    if (e.key === 'generate') {
      // Some rule sets put generate inside the section; accepted as well.
      const v = e.value;
      if (v.kind === 'scalar' && typeof v.value === 'boolean') generate = v.value;
      else fail('RULE_INVALID', v.at, 'correlation.generate', 'generate must be true or false');
    } else if (!SECTION_KEYS.has(e.key)) {
      fail(
        'RULE_INVALID',
        e.keyAt,
        `correlation.${e.key}`,
        `unknown key "${e.key}" in the correlation section; expected ${[...SECTION_KEYS].join(', ')}`,
      );
    }
  }

  const typeText = optionalText(section, 'type', fail, 'correlation.type');
  let type: CorrelationType | undefined;
  if (typeText === undefined) {
    fail(
      'RULE_INVALID',
      section.at,
      'correlation.type',
      `a correlation needs a type: ${CORRELATION_TYPES.join(', ')}`,
    );
  } else if (!(CORRELATION_TYPES as readonly string[]).includes(typeText)) {
    fail(
      'RULE_INVALID',
      entry(section, 'type')?.value.at,
      'correlation.type',
      `unknown type "${typeText}"; expected one of ${CORRELATION_TYPES.join(', ')}`,
    );
  } else type = typeText as CorrelationType;

  const rules = textList(section, 'rules', fail, 'correlation.rules');
  if (rules.length === 0 && entry(section, 'rules') === undefined) {
    fail(
      'RULE_INVALID',
      section.at,
      'correlation.rules',
      'a correlation names the rules it correlates (by id or name)',
    );
  } else if (rules.length === 0) {
    fail(
      'RULE_INVALID',
      entry(section, 'rules')?.value.at,
      'correlation.rules',
      'rules must name at least one rule',
    );
  }
  if ((type === 'temporal' || type === 'temporal_ordered') && rules.length === 1) {
    fail(
      'RULE_INVALID',
      entry(section, 'rules')?.value.at,
      'correlation.rules',
      `${article(type)} correlation needs at least two rules`,
    );
  }

  const rulesValue = entry(section, 'rules')?.value;
  const rulesAt = rules.map(
    (_, i) => (rulesValue?.kind === 'seq' ? rulesValue.items[i]?.at : rulesValue?.at) ?? section.at,
  );
  const groupBy = textList(section, 'group-by', fail, 'correlation.group-by');

  let timespanMs = 0;
  const timespanText = optionalText(section, 'timespan', fail, 'correlation.timespan');
  if (timespanText === undefined) {
    if (entry(section, 'timespan') === undefined)
      fail(
        'RULE_INVALID',
        section.at,
        'correlation.timespan',
        'a correlation needs a timespan (e.g. 5m, 1h, 1d)',
      );
  } else {
    const ms = parseTimespan(timespanText);
    if (ms === undefined) {
      fail(
        'RULE_INVALID',
        entry(section, 'timespan')?.value.at,
        'correlation.timespan',
        `timespan "${timespanText}" is not a number and a unit (s, m, h, d), e.g. 90m`,
      );
    } else timespanMs = ms;
  }

  const aliases = new Map<string, Map<string, string>>();
  const aliasEntry = entry(section, 'aliases');
  if (aliasEntry !== undefined && !(aliasEntry.value.kind === 'scalar' && aliasEntry.value.value === null)) {
    if (aliasEntry.value.kind !== 'map') {
      fail(
        'RULE_INVALID',
        aliasEntry.value.at,
        'correlation.aliases',
        'aliases must be a map: alias → (rule name → field)',
      );
    } else {
      for (const alias of aliasEntry.value.entries) {
        const path = `correlation.aliases.${alias.key}`;
        if (alias.value.kind !== 'map') {
          fail('RULE_INVALID', alias.value.at, path, `alias ${alias.key} must map rule names to fields`);
          continue;
        }
        const byRule = new Map<string, string>();
        for (const r of alias.value.entries) {
          const field = text(r.value);
          if (field === undefined)
            fail('RULE_INVALID', r.value.at, `${path}.${r.key}`, `the field of rule ${r.key} must be text`);
          else if (rules.length > 0 && !rules.includes(r.key)) {
            fail(
              'RULE_INVALID',
              r.keyAt,
              `${path}.${r.key}`,
              `"${r.key}" is not one of the rules this correlation names (${rules.join(', ')})`,
            );
          } else byRule.set(r.key, field);
        }
        aliases.set(alias.key, byRule);
      }
    }
  }

  const bounds: Bound[] = [];
  let field: string | undefined;
  let percentile = 50;
  const conditionEntry = entry(section, 'condition');
  const conditionRequired = type === 'event_count' || (type !== undefined && VALUE_TYPES.has(type));
  if (
    conditionEntry === undefined ||
    (conditionEntry.value.kind === 'scalar' && conditionEntry.value.value === null)
  ) {
    if (conditionRequired)
      fail(
        'RULE_INVALID',
        section.at,
        'correlation.condition',
        `${article(type)} correlation needs a condition (e.g. gte: 10)`,
      );
  } else if (conditionEntry.value.kind !== 'map') {
    fail(
      'RULE_INVALID',
      conditionEntry.value.at,
      'correlation.condition',
      `condition must be a map of comparisons (gt, gte, lt, lte, eq, neq), not ${describeKind(conditionEntry.value)}`,
    );
  } else {
    const condition = conditionEntry.value;
    for (const c of condition.entries) {
      const path = `correlation.condition.${c.key}`;
      if (c.key === 'field') {
        if (c.value.kind === 'seq') {
          fail('RULE_UNSUPPORTED', c.value.at, path, 'a list of fields is not supported; name one field');
          continue;
        }
        field = text(c.value);
        if (field === undefined) fail('RULE_INVALID', c.value.at, path, 'field must be the name of a field');
        else if (type !== undefined && !VALUE_TYPES.has(type))
          fail('RULE_INVALID', c.keyAt, path, `${article(type)} correlation has no field`);
      } else if (c.key === 'percentile') {
        const v = c.value.kind === 'scalar' ? c.value.value : undefined;
        if (type !== 'value_percentile')
          fail('RULE_INVALID', c.keyAt, path, 'percentile belongs to value_percentile correlations only');
        else if (typeof v !== 'number' || v < 0 || v > 100)
          fail('RULE_INVALID', c.value.at, path, 'percentile must be a number from 0 to 100');
        else percentile = v;
      } else if ((OPERATORS as readonly string[]).includes(c.key)) {
        const v = c.value.kind === 'scalar' ? c.value.value : undefined;
        if (typeof v !== 'number' || !Number.isFinite(v))
          fail('RULE_INVALID', c.value.at, path, `${c.key} must be a number, not ${describeKind(c.value)}`);
        else bounds.push({ op: c.key as Operator, value: v });
      } else {
        fail(
          'RULE_INVALID',
          c.keyAt,
          path,
          `unknown condition key "${c.key}"; expected gt, gte, lt, lte, eq, neq, field${type === 'value_percentile' ? ', percentile' : ''}`,
        );
      }
    }
    if (bounds.length === 0)
      fail(
        'RULE_INVALID',
        condition.at,
        'correlation.condition',
        'the condition needs a comparison: gt, gte, lt, lte, eq or neq',
      );
    if (
      type !== undefined &&
      VALUE_TYPES.has(type) &&
      field === undefined &&
      entry(condition, 'field') === undefined
    ) {
      fail(
        'RULE_INVALID',
        condition.at,
        'correlation.condition.field',
        `${article(type)} correlation names the field it aggregates (condition.field)`,
      );
    }
  }
  if (bounds.length === 0 && (type === 'temporal' || type === 'temporal_ordered')) {
    bounds.push({ op: 'gte', value: rules.length });
  }
  if (!ok || type === undefined) return undefined;
  return {
    file,
    at: root.at,
    id,
    name,
    key: id ?? name ?? (title as string),
    title: title ?? '(untitled)',
    level,
    tags,
    type,
    rules,
    rulesAt,
    aliases,
    groupBy,
    timespanMs,
    bounds,
    field,
    percentile,
    generate,
  };
}
