/**
 * The Sigma detection engine's public surface, for the processor and the CLI:
 *
 *   const holder = new RuleSetHolder({ paths, pipelines, placeholders, reloadIntervalMs, metrics, logger });
 *   for (const hit of holder.current.match(event)) send(buildAlert(hit, event, { eventId }));
 *
 * See docs/rules.md for rule writing and rules/README.md for the design.
 */
export { type AlertRecord, alertId, type BuildAlertOptions, buildAlert, eventIdOf } from './alert.ts';
export { type AttackTags, type RuleHit, RuleSet } from './engine/rule-set.ts';
export { loadRuleSetOrThrow, RuleSetHolder, type RuleSetHolderOptions } from './holder.ts';
export {
  type LoadedRuleSet,
  type LoadRuleSetOptions,
  loadRuleSet,
  RULE_PACK_DIR,
  VIGIL_ECS_PIPELINE,
} from './load.ts';
export { formatNote, formatProblem, type RuleNote, type RuleProblem } from './model/problem.ts';
export type { SigmaCorrelation, SigmaFilter, SigmaRule } from './model/rule.ts';
