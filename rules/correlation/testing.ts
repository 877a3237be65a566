/**
 * Tests of correlation rules, run offline by `vigil rules test`. Beside a
 * rule file `name.yml` that holds a correlation sits `name.tests.yml`:
 *
 *   correlation: many_failed_logins    # the correlation the cases test (default: the file's only one)
 *   cases:
 *     - name: five failures in a minute
 *       events:                        # evaluated in @timestamp order
 *         - rules: [failed_login]      # the detection rules the event matched (id or name)
 *           event: { "@timestamp": "2025-03-01T10:00:00Z", user: { name: root } }
 *         - …
 *       alerts:                        # the alerts of that correlation, in order; [] for none
 *         - at: "2025-03-01T10:00:40Z" # @timestamp of the completing event
 *           group: { user.name: root } # optional: group values that must be equal
 *           count: 5                   # optional: the alert's count
 *           value: 1200                # optional: the alert's value (value_sum, value_avg, value_percentile)
 *           events: 5                  # optional: how many events contributed
 *
 * A test file is told apart from a detection rule's by its `correlation`
 * key (a detection rule's test file has `rule` and cases with `match`).
 */
import type { RuleProblem } from '../sigma/model/problem.ts';
import { entry, type LValue, readYaml, toPlain } from '../sigma/model/yaml-source.ts';
import { readTestFileRoot, sidecarOf } from '../sigma/testing.ts';
import type { CorrelationAlert } from './alert.ts';
import type { CorrelationSet } from './correlation-set.ts';
import { type EvaluateOptions, evaluateCorrelations, type MatchedEvent } from './evaluate.ts';

export interface ExpectedAlert {
  at: string;
  group?: Record<string, string>;
  count?: number;
  value?: number;
  events?: number;
}

export interface CorrelationTestCase {
  file: string;
  line: number;
  name: string;
  correlation: string;
  events: MatchedEvent[];
  alerts: ExpectedAlert[];
}

export interface CorrelationTestResult extends CorrelationTestCase {
  passed: boolean;
  /** The alerts the correlation made. */
  actual: CorrelationAlert[];
  /** Why it failed, one line per difference. */
  differences: string[];
}

/** Whether a parsed test file is a correlation test file (top-level `correlation`). */
export function isCorrelationTestFile(text: string): boolean {
  const root = readYaml(text).documents[0]?.root;
  return root?.kind === 'map' && entry(root, 'correlation') !== undefined;
}

export function readCorrelationTestFile(
  file: string,
  correlationsOfFile: readonly string[],
): { cases: CorrelationTestCase[]; problems: RuleProblem[] } {
  const cases: CorrelationTestCase[] = [];
  const { root, report, problems } = readTestFileRoot(
    file,
    'a test file is a map with correlation and cases',
  );
  if (root === undefined) return { cases, problems };
  const named = scalarText(entry(root, 'correlation')?.value);
  const correlation = named ?? (correlationsOfFile.length === 1 ? correlationsOfFile[0] : undefined);
  if (correlation === undefined) {
    report(root.at, 'name the correlation the cases test (correlation: <id or name>)');
    return { cases, problems };
  }
  const list = entry(root, 'cases')?.value;
  if (list === undefined || list.kind !== 'seq') {
    report(list?.at ?? root.at, 'cases must be a list');
    return { cases, problems };
  }
  list.items.forEach((item, i) => {
    const where = `cases[${i}]`;
    if (item.kind !== 'map') {
      report(item.at, `${where} must be a map with name, events and alerts`);
      return;
    }
    const eventsValue = entry(item, 'events')?.value;
    const alertsValue = entry(item, 'alerts')?.value;
    if (eventsValue?.kind !== 'seq') {
      report(eventsValue?.at ?? item.at, `${where}.events must be a list of { rules, event }`);
      return;
    }
    if (alertsValue?.kind !== 'seq') {
      report(alertsValue?.at ?? item.at, `${where}.alerts must be a list (empty when no alert is expected)`);
      return;
    }
    const events: MatchedEvent[] = [];
    let ok = true;
    eventsValue.items.forEach((e, j) => {
      const rules = e.kind === 'map' ? entry(e, 'rules')?.value : undefined;
      const event = e.kind === 'map' ? entry(e, 'event')?.value : undefined;
      const ruleList =
        rules === undefined ? [] : rules.kind === 'seq' ? rules.items.map(scalarText) : [scalarText(rules)];
      if (
        e.kind !== 'map' ||
        event?.kind !== 'map' ||
        ruleList.length === 0 ||
        ruleList.some((r) => r === undefined)
      ) {
        report(e.at, `${where}.events[${j}] must have rules (a list of rule ids or names) and event (a map)`);
        ok = false;
        return;
      }
      const plain = toPlain(event) as Record<string, unknown>;
      if (typeof plain['@timestamp'] !== 'string' || !Number.isFinite(Date.parse(plain['@timestamp']))) {
        report(event.at, `${where}.events[${j}].event needs an @timestamp (ISO 8601)`);
        ok = false;
        return;
      }
      const id = e.kind === 'map' ? scalarText(entry(e, 'id')?.value) : undefined;
      events.push({ event: plain, rules: ruleList as string[], eventId: id ?? `${where}.events[${j}]` });
    });
    const alerts: ExpectedAlert[] = [];
    alertsValue.items.forEach((a, j) => {
      const at = a.kind === 'map' ? scalarText(entry(a, 'at')?.value) : undefined;
      if (a.kind !== 'map' || at === undefined || !Number.isFinite(Date.parse(at))) {
        report(a.at, `${where}.alerts[${j}] needs at: the @timestamp of the completing event`);
        ok = false;
        return;
      }
      const expected: ExpectedAlert = { at };
      const group = entry(a, 'group')?.value;
      if (group?.kind === 'map')
        expected.group = Object.fromEntries(group.entries.map((g) => [g.key, scalarText(g.value) ?? '']));
      for (const key of ['count', 'value', 'events'] as const) {
        const v = entry(a, key)?.value;
        if (v === undefined) continue;
        if (v.kind !== 'scalar' || typeof v.value !== 'number') {
          report(v.at, `${where}.alerts[${j}].${key} must be a number`);
          ok = false;
        } else expected[key] = v.value;
      }
      alerts.push(expected);
    });
    if (!ok) return;
    cases.push({
      file,
      line: item.at.line,
      name: scalarText(entry(item, 'name')?.value) ?? `case ${i + 1}`,
      correlation,
      events,
      alerts,
    });
  });
  return { cases, problems };
}

function scalarText(value: LValue | undefined): string | undefined {
  return value?.kind === 'scalar' && value.value !== null ? String(value.value) : undefined;
}

/** Runs one case: its events alone through the engine, compared with the expected alerts of its correlation. */
export function runCorrelationCase(
  set: CorrelationSet,
  testCase: CorrelationTestCase,
  options: EvaluateOptions = {},
): CorrelationTestResult {
  const differences: string[] = [];
  const rule = set.correlation(testCase.correlation);
  if (rule === undefined) {
    return {
      ...testCase,
      passed: false,
      actual: [],
      differences: [`the correlation "${testCase.correlation}" is not loaded`],
    };
  }
  const actual = evaluateCorrelations(set, testCase.events, { ...options, includeSilent: true }).filter(
    (a) => a.rule.id === rule.key,
  );
  if (actual.length !== testCase.alerts.length) {
    differences.push(
      `expected ${testCase.alerts.length} alert(s), got ${actual.length}${actual.length > 0 ? ` (at ${actual.map((a) => a['@timestamp']).join(', ')})` : ''}`,
    );
  }
  testCase.alerts.forEach((expected, i) => {
    const got = actual[i];
    if (got === undefined) return;
    if (Date.parse(got['@timestamp']) !== Date.parse(expected.at))
      differences.push(`alert ${i + 1}: at ${got['@timestamp']}, expected ${expected.at}`);
    for (const [field, value] of Object.entries(expected.group ?? {})) {
      if (got.group[field] !== value)
        differences.push(
          `alert ${i + 1}: group ${field} is ${JSON.stringify(got.group[field])}, expected ${JSON.stringify(value)}`,
        );
    }
    if (expected.count !== undefined && got.count !== expected.count)
      differences.push(`alert ${i + 1}: count ${got.count}, expected ${expected.count}`);
    if (expected.value !== undefined && got.value !== expected.value)
      differences.push(`alert ${i + 1}: value ${got.value}, expected ${expected.value}`);
    if (expected.events !== undefined && got.event_ids.length !== expected.events) {
      differences.push(
        `alert ${i + 1}: ${got.event_ids.length} contributing events, expected ${expected.events}`,
      );
    }
  });
  return { ...testCase, passed: differences.length === 0, actual, differences };
}

/**
 * Runs the test files beside the rule files that hold correlations: every
 * case, with the problems of the test files.
 */
export function runCorrelationTests(
  set: CorrelationSet,
  exists: (path: string) => boolean,
  options: EvaluateOptions = {},
): { results: CorrelationTestResult[]; problems: RuleProblem[] } {
  const byFile = new Map<string, string[]>();
  for (const c of set.correlations) byFile.set(c.file, [...(byFile.get(c.file) ?? []), c.key]);
  const results: CorrelationTestResult[] = [];
  const problems: RuleProblem[] = [];
  for (const [file, keys] of byFile) {
    const sidecar = sidecarOf(file, exists);
    if (sidecar === undefined) continue;
    const read = readCorrelationTestFile(sidecar, keys);
    problems.push(...read.problems);
    for (const testCase of read.cases) results.push(runCorrelationCase(set, testCase, options));
  }
  return { results, problems };
}
