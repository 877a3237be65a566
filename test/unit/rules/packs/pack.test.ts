/**
 * Vigil's rule pack: every rule loads with the ECS pipeline, has the ATT&CK
 * tags and level an alert needs, and has a sidecar test file with at least one
 * matching and one non-matching event, all passing (the corpus test).
 */
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { RULE_PACK_DIR } from '../../../../rules/sigma/load.ts';
import { formatProblem } from '../../../../rules/sigma/model/problem.ts';
import { runRuleTests } from '../../../../rules/sigma/testing.ts';

describe('the rule pack', () => {
  const report = runRuleTests({ paths: [RULE_PACK_DIR] }, existsSync);

  it('loads without problems', () => {
    expect(report.problems.map(formatProblem)).toEqual([]);
    expect(report.loaded.ruleSet.size).toBeGreaterThanOrEqual(20);
  });

  it('covers Linux authentication, web attacks and firewalls', () => {
    const sources = new Set(
      report.loaded.ruleSet.rules.map((r) => r.logsource.service ?? r.logsource.category),
    );
    for (const source of ['sshd', 'sudo', 'su', 'auth', 'cron', 'webserver', 'firewall'])
      expect(sources).toContain(source);
  });

  it('gives every rule an id, a level, a status and ATT&CK tags', () => {
    for (const rule of report.loaded.ruleSet.rules) {
      expect(rule.id, rule.title).toMatch(/^[0-9a-f-]{36}$/);
      expect(rule.level, rule.title).toBeDefined();
      expect(rule.status, rule.title).toBeDefined();
      expect(
        rule.tags.some((t) => /^attack\.t\d{4}/.test(t)),
        rule.title,
      ).toBe(true);
    }
  });

  it('tests every rule with a matching and a non-matching event', () => {
    expect(report.untested).toEqual([]);
  });

  it('passes all its test cases', () => {
    const failed = report.results.filter((r) => !r.passed).map((r) => `${r.file}:${r.line} ${r.name}`);
    expect(failed).toEqual([]);
    expect(report.results.length).toBeGreaterThanOrEqual(60);
  });
});
