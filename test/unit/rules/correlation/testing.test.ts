import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { evaluateCorrelations } from '../../../../rules/correlation/evaluate.ts';
import { loadCorrelations } from '../../../../rules/correlation/load.ts';
import {
  type CorrelationTestCase,
  runCorrelationCase,
  runCorrelationTests,
} from '../../../../rules/correlation/testing.ts';

const FIXTURES = fileURLToPath(new URL('../../../fixtures/correlation/', import.meta.url));

describe('offline evaluation and correlation tests', () => {
  const loaded = loadCorrelations({ paths: [FIXTURES] });

  it('loads the fixture rules without problems', () => {
    expect(loaded.problems).toEqual([]);
    expect(loaded.set.correlations).toHaveLength(2);
  });

  it('evaluates events with their matched rules in time order and returns only alerts that generate', () => {
    const base = { source: { ip: '198.51.100.1' }, user: { name: 'admin' } };
    const events = [
      { event: { ...base, '@timestamp': '2025-03-01T10:05:00Z' }, rules: ['ssh_login'], eventId: 'ok' },
      ...[0, 1, 2, 3, 4].map((i) => ({
        event: { ...base, '@timestamp': `2025-03-01T10:00:0${i}Z` },
        rules: ['6c1e9a4e-3f1b-4c55-9a57-0d1f1b6d2a01'],
        eventId: `f${i}`,
      })),
    ];
    const alerts = evaluateCorrelations(loaded.set, events);
    expect(alerts.map((a) => [a.rule.title, a['@timestamp'], a.group])).toEqual([
      [
        'SSH brute force followed by a successful login',
        '2025-03-01T10:05:00.000Z',
        { 'source.ip': '198.51.100.1', 'user.name': 'admin' },
      ],
    ]);
    expect(evaluateCorrelations(loaded.set, events, { includeSilent: true }).map((a) => a.rule.id)).toEqual([
      '6c1e9a4e-3f1b-4c55-9a57-0d1f1b6d2a03',
      '6c1e9a4e-3f1b-4c55-9a57-0d1f1b6d2a04',
    ]);
  });

  it('runs the test file beside a rule file; a wrong expectation fails with the difference', () => {
    const { results, problems } = runCorrelationTests(loaded.set, existsSync);
    expect(problems).toEqual([]);
    expect(results.map((r) => [r.name, r.passed, r.differences])).toEqual([
      ['five failures then a success from the same address', true, []],
      ['a success before the failures is no brute force', true, []],
    ]);
    const wrong = runCorrelationCase(loaded.set, {
      ...(results[0] as CorrelationTestCase),
      alerts: [{ at: '2025-03-01T10:02:00Z', count: 3 }],
    });
    expect(wrong.passed).toBe(false);
    expect(wrong.differences).toEqual([
      'alert 1: at 2025-03-01T10:03:00.000Z, expected 2025-03-01T10:02:00Z',
      'alert 1: count 2, expected 3',
    ]);
  });
});
