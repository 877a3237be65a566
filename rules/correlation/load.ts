/**
 * Loading correlation rules: the rule files and folders of `rules.paths` (the
 * same files the detection engine reads; detection rules in them are read
 * for their id and name only), every problem with file, line and column.
 * A correlation with a problem is left out and the others load; callers
 * decide whether to go on (the CLI lists everything, the correlator refuses
 * to start with problems).
 */
import { readFileSync, statSync } from 'node:fs';
import { ruleFiles } from '../sigma/load.ts';
import type { RuleProblem } from '../sigma/model/problem.ts';
import {
  DEFAULT_MAX_FILE_BYTES,
  entry,
  type LValue,
  readYaml,
  tooLargeMessage,
} from '../sigma/model/yaml-source.ts';
import { CorrelationSet, checkReferences } from './correlation-set.ts';
import type { CorrelationRule, RuleIdentity } from './model.ts';
import { isCorrelationDocument, parseCorrelation, problemReporter } from './parse.ts';

export interface LoadCorrelationsOptions {
  /** Rule files, or folders searched recursively for *.yml / *.yaml. */
  paths: readonly string[];
  /** Detection rules loaded elsewhere (id, name), when they are not in `paths`. */
  detectionRules?: readonly RuleIdentity[];
  maxFileBytes?: number;
}

export interface LoadedCorrelations {
  set: CorrelationSet;
  problems: RuleProblem[];
  files: string[];
}

export interface ParsedCorrelationText {
  correlations: CorrelationRule[];
  /** The other documents' identities (detection rules and filters). */
  identities: Array<RuleIdentity & { file: string }>;
  problems: RuleProblem[];
}

function scalar(value: LValue | undefined): string | undefined {
  return value?.kind === 'scalar' && value.value !== null && typeof value.value !== 'boolean'
    ? String(value.value)
    : undefined;
}

/** The correlation rules of one file's text, and the identities of its other rules. */
export function parseCorrelationText(
  file: string,
  text: string,
  maxFileBytes?: number,
): ParsedCorrelationText {
  const problems: RuleProblem[] = [];
  const correlations: CorrelationRule[] = [];
  const identities: ParsedCorrelationText['identities'] = [];
  const source = readYaml(text, { maxFileBytes });
  for (const p of source.problems)
    problems.push({ code: 'RULE_INVALID', file, ...(p.at ?? {}), message: p.message });
  if (source.problems.length > 0) return { correlations, identities, problems };
  const report = problemReporter(file, problems);
  for (const doc of source.documents) {
    const root = doc.root;
    if (root.kind === 'map' && isCorrelationDocument(root)) {
      const before = problems.length;
      const rule = parseCorrelation(file, root, report);
      if (rule) correlations.push(rule);
      else {
        const label =
          scalar(entry(root, 'id')?.value) ??
          scalar(entry(root, 'name')?.value) ??
          scalar(entry(root, 'title')?.value);
        for (const p of problems.slice(before)) p.rule ??= label;
      }
    } else if (root.kind === 'map' && entry(root, 'action') === undefined) {
      identities.push({
        file,
        id: scalar(entry(root, 'id')?.value),
        name: scalar(entry(root, 'name')?.value),
        title: scalar(entry(root, 'title')?.value) ?? '(untitled)',
      });
    }
  }
  return { correlations, identities, problems };
}

export function loadCorrelations(options: LoadCorrelationsOptions): LoadedCorrelations {
  const problems: RuleProblem[] = [];
  const files = ruleFiles(options.paths, problems);
  const correlations: CorrelationRule[] = [];
  const identities: Array<RuleIdentity & { file?: string }> = [...(options.detectionRules ?? [])];
  const max = options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
  for (const file of files) {
    let text: string;
    try {
      const size = statSync(file).size;
      if (size > max) {
        problems.push({ code: 'RULE_INVALID', file, message: tooLargeMessage(size, max) });
        continue;
      }
      text = readFileSync(file, 'utf8');
    } catch (error) {
      problems.push({ code: 'RULE_INVALID', file, message: `cannot be read (${(error as Error).message})` });
      continue;
    }
    const parsed = parseCorrelationText(file, text, max);
    problems.push(...parsed.problems);
    correlations.push(...parsed.correlations);
    identities.push(...parsed.identities);
  }
  return { set: buildCorrelationSet(correlations, identities, problems), problems, files };
}

/** Resolves references (problems are added to the list) and builds the set of the rules that can run. */
export function buildCorrelationSet(
  correlations: readonly CorrelationRule[],
  detectionRules: readonly (RuleIdentity & { file?: string })[],
  problems: RuleProblem[],
): CorrelationSet {
  const usable = checkReferences(correlations, detectionRules, problems);
  return new CorrelationSet(usable, detectionRules);
}
