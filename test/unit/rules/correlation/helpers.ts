/** Builds correlation sets from YAML text, and signals at given times, for the engine tests. */

import type { CorrelationSet } from '../../../../rules/correlation/correlation-set.ts';
import { buildCorrelationSet, parseCorrelationText } from '../../../../rules/correlation/load.ts';
import type { Signal } from '../../../../rules/correlation/signal.ts';
import type { RuleProblem } from '../../../../rules/sigma/model/problem.ts';

export const T0 = Date.parse('2025-03-01T10:00:00.000Z');

/** The ISO time `ms` milliseconds after T0. */
export function at(ms: number): string {
  return new Date(T0 + ms).toISOString();
}

export function setOf(
  yaml: string,
  file = 'rules/test.yml',
): { set: CorrelationSet; problems: RuleProblem[] } {
  const parsed = parseCorrelationText(file, yaml);
  const problems = [...parsed.problems];
  const set = buildCorrelationSet(parsed.correlations, parsed.identities, problems);
  return { set, problems };
}

export function signal(
  correlation: string,
  rule: string,
  ms: number,
  group: Record<string, string>,
  extra: Partial<Signal> = {},
): Signal {
  return { correlation, rule, time: at(ms), event_id: extra.event_id ?? `${rule}@${ms}`, group, ...extra };
}

/** Detection rules a, b, c, failed_login, success, with names. */
export const BASE_RULES = `
title: Rule A
name: a
logsource: { product: test }
detection: { sel: { x: a }, condition: sel }
---
title: Rule B
name: b
logsource: { product: test }
detection: { sel: { x: b }, condition: sel }
---
title: Rule C
name: c
logsource: { product: test }
detection: { sel: { x: c }, condition: sel }
`;
