/**
 * Rule tests, run offline by `vigil rules test`. Beside a rule file
 * `name.yml` sits `name.tests.yml`:
 *
 *   rule: 5b0c3c4e-…          # the rule the cases test (default: the file's only rule)
 *   cases:
 *     - name: invalid user from a scanner
 *       match: true           # the rule must match the event…
 *       event: { message: "Invalid user admin from 203.0.113.7 port 4242", process: { name: sshd } }
 *     - name: a valid login
 *       match: false          # …or must not
 *       event: { … }
 *
 * Events are ECS events as Vigil's processor makes them; the rules see them
 * through the same mapping pipelines as in production.
 */
import { readFileSync } from 'node:fs';
import type { RuleSet } from './engine/rule-set.ts';
import { ruleKey } from './engine/rule-set.ts';
import { type LoadedRuleSet, type LoadRuleSetOptions, loadRuleSet, TEST_FILE } from './load.ts';
import type { RuleProblem } from './model/problem.ts';
import type { SigmaRule } from './model/rule.ts';
import { entry, type LMap, readYaml, toPlain } from './model/yaml-source.ts';

export interface RuleTestCase {
  file: string;
  line: number;
  name: string;
  rule: string;
  match: boolean;
  event: Record<string, unknown>;
}

export interface RuleTestResult extends RuleTestCase {
  passed: boolean;
  /** The rules that matched the event. */
  matched: string[];
}

export interface RuleTestReport {
  loaded: LoadedRuleSet;
  results: RuleTestResult[];
  /** Problems of the rule files and of the test files. */
  problems: RuleProblem[];
  /** Rules with no case that expects a match, or none that expects no match. */
  untested: Array<{ rule: string; file: string; missing: string[] }>;
}

/** The sidecar test file of a rule file, if it has one. */
export function sidecarOf(ruleFile: string, exists: (path: string) => boolean): string | undefined {
  const base = ruleFile.replace(/\.ya?ml$/, '');
  for (const candidate of [`${base}.tests.yml`, `${base}.tests.yaml`])
    if (exists(candidate)) return candidate;
  return undefined;
}

/**
 * The common start of reading a test file (rule or correlation): the file
 * read, its YAML parsed, its root required to be a map. Problems carry the
 * file and position; `report` adds more of them. No root means: stop.
 */
export function readTestFileRoot(
  file: string,
  notAMap: string,
): {
  root: LMap | undefined;
  report: (at: { line: number; column: number } | undefined, message: string) => void;
  problems: RuleProblem[];
} {
  const problems: RuleProblem[] = [];
  const report = (at: { line: number; column: number } | undefined, message: string): void => {
    problems.push({ code: 'RULE_INVALID', file, ...(at ?? {}), message });
  };
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    report(undefined, `the test file cannot be read (${(error as Error).message})`);
    return { root: undefined, report, problems };
  }
  const source = readYaml(text);
  for (const p of source.problems) report(p.at, p.message);
  const root = source.documents[0]?.root;
  if (source.problems.length > 0 || root === undefined) return { root: undefined, report, problems };
  if (root.kind !== 'map') {
    report(root.at, notAMap);
    return { root: undefined, report, problems };
  }
  return { root, report, problems };
}

export function readTestFile(
  file: string,
  rulesOfFile: readonly SigmaRule[],
): { cases: RuleTestCase[]; problems: RuleProblem[] } {
  const cases: RuleTestCase[] = [];
  const { root, report, problems } = readTestFileRoot(file, 'a test file is a map with cases');
  if (root === undefined) return { cases, problems };
  const ruleEntry = entry(root, 'rule');
  const defaultRule =
    ruleEntry?.value.kind === 'scalar' && ruleEntry.value.value !== null
      ? String(ruleEntry.value.value)
      : rulesOfFile.length === 1
        ? ruleKey(rulesOfFile[0] as SigmaRule)
        : undefined;
  const list = entry(root, 'cases');
  if (list === undefined || list.value.kind !== 'seq') {
    report(list?.value.at ?? root.at, 'cases must be a list');
    return { cases, problems };
  }
  list.value.items.forEach((item, i) => {
    if (item.kind !== 'map') {
      report(item.at, `cases[${i}] must be a map with name, match and event`);
      return;
    }
    const field = (m: LMap, key: string) => entry(m, key)?.value;
    const name = field(item, 'name');
    const match = field(item, 'match');
    const event = field(item, 'event');
    const rule = field(item, 'rule');
    const ruleId = rule?.kind === 'scalar' && rule.value !== null ? String(rule.value) : defaultRule;
    if (match?.kind !== 'scalar' || typeof match.value !== 'boolean') {
      report(item.at, `cases[${i}]: match must be true or false`);
      return;
    }
    if (event?.kind !== 'map') {
      report(item.at, `cases[${i}]: event must be a map (an ECS event)`);
      return;
    }
    if (ruleId === undefined) {
      report(
        item.at,
        rulesOfFile.length === 0
          ? `cases[${i}]: the rule file beside this test file did not load`
          : `cases[${i}]: name the rule (rule: <id>); the rule file holds several`,
      );
      return;
    }
    cases.push({
      file,
      line: item.at.line,
      name: name?.kind === 'scalar' && name.value !== null ? String(name.value) : `case ${i + 1}`,
      rule: ruleId,
      match: match.value,
      event: toPlain(event) as Record<string, unknown>,
    });
  });
  return { cases, problems };
}

/** Runs the test cases beside the rule files found under `options.paths`. */
export function runRuleTests(options: LoadRuleSetOptions, exists: (path: string) => boolean): RuleTestReport {
  const loaded = loadRuleSet(options);
  const problems = [...loaded.problems];
  const results: RuleTestResult[] = [];
  const ruleSet: RuleSet = loaded.ruleSet;
  const rulesByFile = new Map<string, SigmaRule[]>();
  for (const doc of loaded.documents) {
    if (doc.kind !== 'rule') continue;
    const list = rulesByFile.get(doc.file) ?? [];
    list.push(doc);
    rulesByFile.set(doc.file, list);
  }
  const coverage = new Map<string, { file: string; match: boolean; noMatch: boolean }>();
  for (const [file, rules] of rulesByFile)
    for (const rule of rules) coverage.set(ruleKey(rule), { file, match: false, noMatch: false });
  for (const file of loaded.files) {
    if (TEST_FILE.test(file)) continue;
    // A file of correlation rules only has correlation test cases (rules/correlation/testing.ts).
    if (!rulesByFile.has(file)) continue;
    const sidecar = sidecarOf(file, exists);
    if (sidecar === undefined) continue;
    const { cases, problems: caseProblems } = readTestFile(sidecar, rulesByFile.get(file) ?? []);
    problems.push(...caseProblems);
    for (const testCase of cases) {
      if (ruleSet.rule(testCase.rule) === undefined) {
        problems.push({
          code: 'RULE_INVALID',
          file: sidecar,
          line: testCase.line,
          column: 1,
          message: `${testCase.name}: the rule "${testCase.rule}" is not loaded`,
        });
        continue;
      }
      const matched = ruleSet.match(testCase.event).map((h) => h.ruleId);
      const hit = matched.includes(testCase.rule);
      results.push({ ...testCase, matched, passed: hit === testCase.match });
      const seen = coverage.get(testCase.rule);
      if (seen) {
        if (testCase.match) seen.match = true;
        else seen.noMatch = true;
      }
    }
  }
  const untested = [...coverage.entries()]
    .filter(([, c]) => !c.match || !c.noMatch)
    .map(([rule, c]) => ({
      rule,
      file: c.file,
      missing: [...(c.match ? [] : ['a matching event']), ...(c.noMatch ? [] : ['a non-matching event'])],
    }));
  return { loaded, results, problems, untested };
}
