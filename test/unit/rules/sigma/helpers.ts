/** Builds rule sets from inline YAML for the Sigma engine's unit tests (no files, no pipelines by default). */

import type { RuleSet } from '../../../../rules/sigma/engine/rule-set.ts';
import { buildRuleSet } from '../../../../rules/sigma/load.ts';
import { parseRuleText } from '../../../../rules/sigma/model/parse.ts';
import type { RuleNote, RuleProblem } from '../../../../rules/sigma/model/problem.ts';
import { type MappingPipeline, PipelineChain } from '../../../../rules/sigma/pipeline/pipeline.ts';

export interface Built {
  ruleSet: RuleSet;
  problems: RuleProblem[];
  notes: RuleNote[];
}

export function build(
  yaml: string,
  options: { pipelines?: MappingPipeline[]; placeholders?: Record<string, string[]> } = {},
): Built {
  const chain = new PipelineChain(options.pipelines ?? [], options.placeholders ?? {});
  const parsed = parseRuleText('inline.yml', yaml, { placeholders: chain.placeholders });
  const problems = [...parsed.problems];
  const notes = [...parsed.notes];
  const ruleSet = buildRuleSet(parsed.documents, chain, problems, notes);
  return { ruleSet, problems, notes };
}

/** A one-rule YAML document with this detection body (indented by the caller's template). */
export function ruleWith(detection: string, extra = ''): string {
  return `title: Test rule
id: test-rule
logsource: { product: test }
${extra}detection:
${detection
  .split('\n')
  .map((l) => `  ${l}`)
  .join('\n')}
`;
}

/** Whether the one rule of `detection` matches `event`; throws when the rule does not load. */
export function matches(
  detection: string,
  event: Record<string, unknown>,
  options: Parameters<typeof build>[1] = {},
): boolean {
  const built = build(ruleWith(detection), options);
  if (built.problems.length > 0) throw new Error(built.problems.map((p) => p.message).join('; '));
  return built.ruleSet.match(event).length > 0;
}

/** The problems of a rule with this detection. */
export function problemsOf(detection: string, options: Parameters<typeof build>[1] = {}): RuleProblem[] {
  return build(ruleWith(detection), options).problems;
}
