/**
 * Loading rules: files and folders of Sigma YAML → a compiled RuleSet, with
 * every problem of every file (file, line, column, code) and notes. A rule
 * with a problem is left out and the others load, so callers decide: the
 * CLI lists everything, the hot-reload holder refuses a set with problems.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { resourcePath } from '../../core/resources.ts';
import { type CompiledRule, compileRule, FieldTable } from './engine/compile.ts';
import { RegexBudget, type RegexBudgetOptions } from './engine/regex-guard.ts';
import { RuleSet, ruleKey } from './engine/rule-set.ts';
import { type ParseOptions, parseRuleText, unusedIdentifiers } from './model/parse.ts';
import type { RuleNote, RuleProblem } from './model/problem.ts';
import type { SigmaCorrelation, SigmaDocument, SigmaFilter, SigmaRule } from './model/rule.ts';
import { DEFAULT_MAX_FILE_BYTES, tooLargeMessage } from './model/yaml-source.ts';
import { loadPipelineFile } from './pipeline/loader.ts';
import { logSourceMatches, type MappingPipeline, PipelineChain } from './pipeline/pipeline.ts';

/** The mapping pipeline Vigil ships for its own ECS events. */
export const VIGIL_ECS_PIPELINE = resourcePath('rules/pipelines/vigil-ecs.yaml');
/** Vigil's rule pack. */
export const RULE_PACK_DIR = resourcePath('rules/packs');

/** Sidecar test files sit beside rules and are not rules. */
export const TEST_FILE = /\.tests\.ya?ml$/;
const RULE_FILE = /\.ya?ml$/;

export interface LoadRuleSetOptions {
  /** Rule files, or folders searched recursively for *.yml / *.yaml. */
  paths: readonly string[];
  /** Mapping pipeline files, applied in order after… */
  pipelines?: readonly string[];
  /** …Vigil's ECS pipeline, unless false (default true). */
  builtinPipeline?: boolean;
  /** `expand` placeholder values; they win over pipelines' vars. */
  placeholders?: Record<string, readonly string[]>;
  /** Largest rule file read (default 4 MiB). */
  maxFileBytes?: number;
  regexBudget?: RegexBudgetOptions;
}

export interface LoadedRuleSet {
  ruleSet: RuleSet;
  problems: RuleProblem[];
  notes: RuleNote[];
  /** The rule files read. */
  files: string[];
  /** Every document that loaded, compiled or not (for `rules list`). */
  documents: SigmaDocument[];
}

/** The rule files under the given paths, sorted; a missing path is a problem. */
export function ruleFiles(paths: readonly string[], problems: RuleProblem[]): string[] {
  const files: string[] = [];
  const visit = (path: string, top: boolean): void => {
    let stat: ReturnType<typeof statSync>;
    try {
      stat = statSync(path);
    } catch (error) {
      problems.push({
        code: 'RULE_INVALID',
        file: path,
        message: `cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
      });
      return;
    }
    if (stat.isDirectory()) {
      for (const name of readdirSync(path).sort()) {
        if (!name.startsWith('.')) visit(join(path, name), false);
      }
    } else if (top || (RULE_FILE.test(path) && !TEST_FILE.test(path))) {
      files.push(path);
    }
  };
  for (const path of paths) visit(path, true);
  return files;
}

export function loadPipelines(
  options: Pick<LoadRuleSetOptions, 'pipelines' | 'builtinPipeline' | 'placeholders'>,
): {
  chain: PipelineChain;
  problems: RuleProblem[];
} {
  const problems: RuleProblem[] = [];
  const pipelines: MappingPipeline[] = [];
  const files = [
    ...(options.pipelines ?? []),
    ...(options.builtinPipeline === false ? [] : [VIGIL_ECS_PIPELINE]),
  ];
  for (const file of files) {
    const loaded = loadPipelineFile(file);
    problems.push(...loaded.problems);
    if (loaded.pipeline) pipelines.push(loaded.pipeline);
  }
  return { chain: new PipelineChain(pipelines, options.placeholders), problems };
}

/** Reads one rule file: its documents, problems and notes. */
export function readRuleFile(file: string, options: ParseOptions): ReturnType<typeof parseRuleText> {
  const max = options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
  try {
    const size = statSync(file).size;
    if (size > max) {
      return {
        documents: [],
        notes: [],
        problems: [{ code: 'RULE_INVALID', file, message: tooLargeMessage(size, max) }],
      };
    }
    return parseRuleText(file, readFileSync(file, 'utf8'), options);
  } catch (error) {
    return {
      documents: [],
      notes: [],
      problems: [{ code: 'RULE_INVALID', file, message: `cannot be read (${(error as Error).message})` }],
    };
  }
}

export function loadRuleSet(options: LoadRuleSetOptions): LoadedRuleSet {
  const problems: RuleProblem[] = [];
  const notes: RuleNote[] = [];
  const { chain, problems: pipelineProblems } = loadPipelines(options);
  problems.push(...pipelineProblems);
  const files = ruleFiles(options.paths, problems);
  const documents: SigmaDocument[] = [];
  for (const file of files) {
    const parsed = readRuleFile(file, {
      placeholders: chain.placeholders,
      maxFileBytes: options.maxFileBytes,
    });
    problems.push(...parsed.problems);
    notes.push(...parsed.notes);
    documents.push(...parsed.documents);
  }
  const ruleSet = buildRuleSet(documents, chain, problems, notes, options.regexBudget);
  return { ruleSet, problems, notes, files, documents };
}

/** Compiles parsed documents; problems and notes are added to the lists given. */
export function buildRuleSet(
  documents: readonly SigmaDocument[],
  chain: PipelineChain,
  problems: RuleProblem[],
  notes: RuleNote[],
  budgetOptions?: RegexBudgetOptions,
): RuleSet {
  const rules = documents.filter((d): d is SigmaRule => d.kind === 'rule');
  const filters = documents.filter((d): d is SigmaFilter => d.kind === 'filter');
  const correlations = documents.filter((d): d is SigmaCorrelation => d.kind === 'correlation');
  const seen = new Map<string, SigmaDocument>();
  const known = new Set<string>();
  for (const doc of documents) {
    for (const key of [doc.id, doc.name]) {
      if (key === undefined) continue;
      const earlier = seen.get(key);
      if (earlier !== undefined && earlier !== doc) {
        problems.push({
          code: 'RULE_INVALID',
          file: doc.file,
          ...doc.at,
          rule: ruleKey(doc),
          message: `the ${key === doc.id ? 'id' : 'name'} "${key}" is already used by "${earlier.title}" in ${earlier.file}`,
        });
      } else seen.set(key, doc);
      if (doc.kind === 'rule') known.add(key);
    }
  }
  for (const filter of filters) {
    if (filter.rules === 'any') continue;
    for (const ref of filter.rules) {
      if (!known.has(ref))
        notes.push({
          file: filter.file,
          ...filter.at,
          rule: ruleKey(filter),
          message: `the filter names rule "${ref}", which is not loaded`,
        });
    }
  }
  for (const correlation of correlations) {
    for (const ref of correlation.rules) {
      if (!seen.has(ref)) {
        notes.push({
          file: correlation.file,
          ...correlation.at,
          rule: ruleKey(correlation),
          message: `the correlation names rule "${ref}", which is not loaded`,
        });
      }
    }
  }
  const duplicates = new Set(
    problems.filter((p) => p.message.includes('is already used by')).map((p) => p.rule),
  );
  const fields = new FieldTable();
  const budget = new RegexBudget(budgetOptions);
  const compiled: CompiledRule[] = [];
  for (const rule of rules) {
    if (duplicates.has(ruleKey(rule)) && seen.get(ruleKey(rule)) !== rule) continue;
    const applicable = filters.filter(
      (f) =>
        logSourceMatches(rule.logsource, f.logsource) &&
        (f.rules === 'any' || f.rules.some((ref) => ref === rule.id || ref === rule.name)),
    );
    const result = compileRule(rule, applicable, { chain, fields, budget });
    problems.push(...result.problems);
    if (!result.compiled) continue;
    compiled.push(result.compiled);
    if (rule.id === undefined)
      notes.push({
        file: rule.file,
        ...rule.at,
        rule: rule.title,
        message: 'the rule has no id; its alerts use its title as rule id',
      });
    if (chain.pipelines.length > 0 && !result.compiled.logsourceMapped) {
      notes.push({
        file: rule.file,
        ...rule.at,
        rule: ruleKey(rule),
        message: `no mapping pipeline knows the log source ${JSON.stringify(rule.logsource)}: the rule is evaluated on ${chain.unmappedLogsource === 'match_all' ? 'every event' : 'no event'}`,
      });
    }
    const unused = unusedIdentifiers(rule);
    if (unused.length > 0) {
      notes.push({
        file: rule.file,
        ...rule.at,
        rule: ruleKey(rule),
        message: `the condition does not use ${unused.map((u) => `"${u}"`).join(', ')}`,
      });
    }
  }
  return new RuleSet(compiled, filters, correlations, fields, budget);
}
