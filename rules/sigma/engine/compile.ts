/**
 * Compiles a Sigma rule, once, into a predicate over an EventView, with the
 * mapping pipelines applied (field names, log source conditions, values).
 *
 * Beside the predicate, it derives the rule's requirement: literals of which
 * at least one must be in the event for the rule to have any chance
 * ("process.executable ends with /nc" needs "/nc" in process.executable).
 * The rule set indexes rules by these literals (engine/prefilter.ts), so an
 * event only runs the few rules whose literals it contains. A requirement is
 * only ever derived from a necessary condition: taking it away may cost
 * time, never a match.
 */
import { VigilError } from '../../../core/errors.ts';
import { fieldPath } from '../../../processor/pipeline/fields.ts';
import type { ConditionNode } from '../conditions/ast.ts';
import type { RuleProblem } from '../model/problem.ts';
import type { Detection, DetectionItem, LogSource, SigmaFilter, SigmaRule } from '../model/rule.ts';
import { ANY, parseSigmaString, type SigmaValue } from '../model/values.ts';
import type { PipelineChain } from '../pipeline/pipeline.ts';
import type { EventView, FieldRef } from './event-view.ts';
import { compileValue, normaliseParts, type ValueMatcher } from './matchers.ts';
import { type RegexBudget, RegexRejection } from './regex-guard.ts';

export type Predicate = (view: EventView) => boolean;

/** One literal the event may hold: the whole value of a field (eq) or a part of it (sub), lower-cased. */
export interface Alternative {
  field: FieldRef;
  kind: 'eq' | 'sub';
  literal: string;
}

/** At least one alternative must hold for the rule to match. Higher scores select fewer events. */
export interface Requirement {
  alternatives: Alternative[];
  score: number;
}

/** Fields get numbers (view slots) in the order rules first use them. */
export class FieldTable {
  readonly #refs = new Map<string, FieldRef>();

  ref(key: string): FieldRef {
    let ref = this.#refs.get(key);
    if (ref === undefined) {
      ref = { id: this.#refs.size, key, path: fieldPath(key) };
      this.#refs.set(key, ref);
    }
    return ref;
  }

  get size(): number {
    return this.#refs.size;
  }
}

export interface CompileContext {
  chain: PipelineChain;
  fields: FieldTable;
  budget: RegexBudget;
}

export interface CompiledRule {
  rule: SigmaRule;
  test: Predicate;
  requirement: Requirement | undefined;
  /** Whether a pipeline knows the rule's log source. */
  logsourceMapped: boolean;
  /** Filters applied to the rule, by id or title. */
  filters: string[];
}

/** Literals shorter than this cannot be indexed as parts (prefilter.ts uses trigrams). */
export const MIN_LITERAL = 3;
/**
 * How selective a literal is likely to be, to choose a rule's requirement:
 * longer is rarer; a whole value counts double (but "GET" is still common);
 * a log source condition (event.dataset: apache.access) holds for a whole
 * source, so it is the last resort.
 */
const MAX_SCORE = 40;
const LOGSOURCE_EQ_SCORE = 1;

interface Compiled {
  test: Predicate;
  requirement: Requirement | undefined;
}

class CompileError extends Error {
  readonly problem: Omit<RuleProblem, 'file'>;
  constructor(problem: Omit<RuleProblem, 'file'>) {
    super(problem.message);
    this.problem = problem;
  }
}

export function compileRule(
  rule: SigmaRule,
  filters: readonly SigmaFilter[],
  context: CompileContext,
): { compiled?: CompiledRule; problems: RuleProblem[] } {
  const label = rule.id ?? rule.title;
  try {
    const { conditions: sourceConditions, mapped } = context.chain.logsourceConditions(rule.logsource);
    const parts: Compiled[] = [];
    if (!mapped && context.chain.unmappedLogsource === 'match_none') {
      parts.push({ test: () => false, requirement: undefined });
    }
    for (const detection of sourceConditions) {
      const compiled = compileDetection(detection, undefined, rule.logsource, context, label, true);
      parts.push(compiled);
    }
    const detections = new Map<string, Compiled>();
    for (const [name, detection] of rule.detections) {
      detections.set(
        name,
        compileDetection(detection, rule.logsource, rule.logsource, context, label, false),
      );
    }
    const conditions = rule.conditions.map((c) => compileCondition(c, detections));
    parts.push(orOf(conditions));
    const applied: string[] = [];
    for (const filter of filters) {
      const filterDetections = new Map<string, Compiled>();
      for (const [name, detection] of filter.detections) {
        filterDetections.set(
          name,
          compileDetection(detection, rule.logsource, rule.logsource, context, label, false),
        );
      }
      const compiled = compileCondition(filter.condition, filterDetections);
      parts.push({ test: compiled.test, requirement: undefined });
      applied.push(filter.id ?? filter.title);
    }
    const whole = andOf(parts);
    return {
      compiled: {
        rule,
        test: whole.test,
        requirement: whole.requirement,
        logsourceMapped: mapped,
        filters: applied,
      },
      problems: [],
    };
  } catch (error) {
    if (error instanceof CompileError)
      return { problems: [{ file: rule.file, rule: label, ...error.problem }] };
    throw error;
  }
}

function andOf(parts: Compiled[]): Compiled {
  if (parts.length === 1) return parts[0] as Compiled;
  const tests = parts.map((p) => p.test);
  let best: Requirement | undefined;
  for (const part of parts)
    if (part.requirement && (!best || part.requirement.score > best.score)) best = part.requirement;
  const test: Predicate =
    tests.length === 2
      ? (
          (a, b) => (view: EventView) =>
            a(view) && b(view)
        )(tests[0] as Predicate, tests[1] as Predicate)
      : (view) => {
          for (let i = 0; i < tests.length; i++) if (!(tests[i] as Predicate)(view)) return false;
          return true;
        };
  return { test, requirement: best };
}

function orOf(parts: Compiled[]): Compiled {
  if (parts.length === 1) return parts[0] as Compiled;
  const tests = parts.map((p) => p.test);
  let requirement: Requirement | undefined;
  if (parts.length > 0 && parts.every((p) => p.requirement !== undefined)) {
    requirement = {
      alternatives: parts.flatMap((p) => (p.requirement as Requirement).alternatives),
      score: Math.min(...parts.map((p) => (p.requirement as Requirement).score)),
    };
  }
  return {
    test: (view) => {
      for (let i = 0; i < tests.length; i++) if ((tests[i] as Predicate)(view)) return true;
      return false;
    },
    requirement,
  };
}

function compileCondition(node: ConditionNode, detections: Map<string, Compiled>): Compiled {
  switch (node.type) {
    case 'and':
      return andOf(node.children.map((c) => compileCondition(c, detections)));
    case 'or':
      return orOf(node.children.map((c) => compileCondition(c, detections)));
    case 'not': {
      const inner = compileCondition(node.child, detections).test;
      return { test: (view) => !inner(view), requirement: undefined };
    }
    case 'ref':
      return detections.get(node.name) as Compiled;
    case 'of': {
      const parts = node.names.map((name) => detections.get(name) as Compiled);
      return node.quantifier === 'all' ? andOf(parts) : orOf(parts);
    }
  }
}

/**
 * `logsource` is the rule's log source for field mapping; undefined for a
 * pipeline's own log source conditions, which already name event fields.
 */
function compileDetection(
  detection: Detection,
  mapFor: LogSource | undefined,
  ruleSource: LogSource,
  context: CompileContext,
  label: string,
  fromLogsource: boolean,
): Compiled {
  if (detection.kind === 'any') {
    return orOf(
      detection.alternatives.map((d) =>
        compileDetection(d, mapFor, ruleSource, context, label, fromLogsource),
      ),
    );
  }
  if (detection.items.length === 0) return { test: () => true, requirement: undefined };
  return andOf(
    detection.items.map((item) => compileItem(item, mapFor, ruleSource, context, label, fromLogsource)),
  );
}

function eventFields(item: DetectionItem, mapFor: LogSource | undefined, context: CompileContext): string[] {
  if (item.field === undefined) return context.chain.keywordFields;
  return mapFor === undefined ? [item.field] : context.chain.resolveField(item.field, mapFor);
}

function compileItem(
  item: DetectionItem,
  mapFor: LogSource | undefined,
  ruleSource: LogSource,
  context: CompileContext,
  label: string,
  fromLogsource: boolean,
): Compiled {
  const fail = (message: string, code: RuleProblem['code'] = 'RULE_INVALID'): never => {
    throw new CompileError({ code, line: item.at.line, column: item.at.column, path: item.path, message });
  };
  const names = eventFields(item, mapFor, context);
  const refs: FieldRef[] = [];
  for (const name of names) {
    try {
      refs.push(context.fields.ref(name));
    } catch (error) {
      fail(`the field ${item.field ?? '(keywords)'} maps to ${name}: ${(error as VigilError).message}`);
    }
  }
  // Keywords are searched anywhere in the text.
  let values = item.field === undefined ? item.values.map(keywordValue) : item.values;
  if (mapFor !== undefined && item.field !== undefined && names.length === 1) {
    values = values.map((v) => mapWholeValue(v, names[0] as string, ruleSource, context.chain));
  }
  let matchers: ValueMatcher[];
  try {
    matchers = values.map((v) =>
      compileValue(v, {
        cased: item.cased,
        timePart: item.timePart,
        budget: context.budget,
        label,
        fieldRef: (name) => context.chain.resolveField(name, ruleSource).map((f) => context.fields.ref(f)),
      }),
    );
  } catch (error) {
    if (error instanceof RegexRejection) fail(error.message, error.code);
    if (error instanceof VigilError) fail(error.message);
    throw error;
  }
  const absence = values.every((v) => v.type === 'null' || (v.type === 'exists' && !v.value));
  const onField = itemTest(matchers, item.linkAll, item.negate);
  let test: Predicate;
  if (refs.length === 1) {
    const ref = refs[0] as FieldRef;
    test = (view) => onField(view.get(ref), view);
  } else if (absence) {
    test = (view) => refs.every((ref) => onField(view.get(ref), view));
  } else {
    test = (view) => refs.some((ref) => onField(view.get(ref), view));
  }
  // A negation, an absence or a part of a date needs no literal in the event.
  const indexable = !item.negate && !absence && item.timePart === undefined;
  return {
    test,
    requirement: indexable ? itemRequirement(values, refs, item.linkAll, fromLogsource) : undefined,
  };
}

function itemTest(
  matchers: ValueMatcher[],
  linkAll: boolean,
  negate: boolean,
): (r: import('./event-view.ts').Resolved, view: EventView) => boolean {
  if (negate) {
    return (r, view) => {
      if (r.empty) return false;
      for (const m of matchers) if (m(r, view)) return false;
      return true;
    };
  }
  if (matchers.length === 1) return matchers[0] as ValueMatcher;
  if (linkAll) {
    return (r, view) => {
      for (const m of matchers) if (!m(r, view)) return false;
      return true;
    };
  }
  return (r, view) => {
    for (const m of matchers) if (m(r, view)) return true;
    return false;
  };
}

function keywordValue(value: SigmaValue): SigmaValue {
  if (value.type === 'number' || value.type === 'bool')
    return keywordValue(parseSigmaString(String(value.value)));
  if (value.type === 'expansion') return { ...value, values: value.values.map(keywordValue) };
  if (value.type !== 'string') return value;
  const parts = [...value.parts];
  if (parts[0] !== ANY) parts.unshift(ANY);
  if (parts[parts.length - 1] !== ANY) parts.push(ANY);
  return { ...value, parts };
}

function mapWholeValue(
  value: SigmaValue,
  field: string,
  logsource: LogSource,
  chain: PipelineChain,
): SigmaValue {
  if (value.type === 'expansion')
    return { ...value, values: value.values.map((v) => mapWholeValue(v, field, logsource, chain)) };
  const text =
    value.type === 'string' && value.parts.length === 1 && typeof value.parts[0] === 'string'
      ? value.parts[0]
      : value.type === 'number' || value.type === 'bool'
        ? String(value.value)
        : undefined;
  if (text === undefined) return value;
  const replacement = chain.mapValue(field, text, logsource);
  return replacement === undefined ? value : { type: 'string', raw: replacement, parts: [replacement] };
}

/** The literal a value needs in the event, if it has one worth indexing. */
function valueAlternatives(
  value: SigmaValue,
  refs: FieldRef[],
): { kind: 'eq' | 'sub'; literal: string }[] | undefined {
  switch (value.type) {
    case 'string': {
      const parts = normaliseParts(value.parts);
      if (parts.length === 1 && typeof parts[0] === 'string')
        return [{ kind: 'eq', literal: parts[0].toLowerCase() }];
      if (parts.length === 0) return [{ kind: 'eq', literal: '' }];
      let longest = '';
      for (const p of parts) if (typeof p === 'string' && p.length > longest.length) longest = p;
      return longest.length >= MIN_LITERAL ? [{ kind: 'sub', literal: longest.toLowerCase() }] : undefined;
    }
    case 'number':
    case 'bool':
      return [{ kind: 'eq', literal: String(value.value).toLowerCase() }];
    case 'expansion': {
      const out: { kind: 'eq' | 'sub'; literal: string }[] = [];
      for (const member of value.values) {
        const alts = valueAlternatives(member, refs);
        if (alts === undefined) return undefined;
        out.push(...alts);
      }
      return out;
    }
    default:
      return undefined;
  }
}

function scoreOf(alt: { kind: 'eq' | 'sub'; literal: string }, fromLogsource: boolean): number {
  if (fromLogsource) return LOGSOURCE_EQ_SCORE;
  return Math.min(alt.kind === 'eq' ? 2 * alt.literal.length : alt.literal.length, MAX_SCORE);
}

function itemRequirement(
  values: SigmaValue[],
  refs: FieldRef[],
  linkAll: boolean,
  fromLogsource: boolean,
): Requirement | undefined {
  const perValue = values.map((v) => valueAlternatives(v, refs));
  const toRequirement = (alts: { kind: 'eq' | 'sub'; literal: string }[]): Requirement => ({
    alternatives: refs.flatMap((field) => alts.map((a) => ({ field, ...a }))),
    score: Math.min(...alts.map((a) => scoreOf(a, fromLogsource))),
  });
  if (linkAll) {
    let best: Requirement | undefined;
    for (const alts of perValue) {
      if (alts === undefined || alts.length === 0) continue;
      const req = toRequirement(alts);
      if (!best || req.score > best.score) best = req;
    }
    return best;
  }
  if (perValue.some((alts) => alts === undefined || alts.length === 0)) return undefined;
  return toRequirement(perValue.flat() as { kind: 'eq' | 'sub'; literal: string }[]);
}
