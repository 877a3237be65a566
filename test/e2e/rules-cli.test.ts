/** `vigil rules validate|test|list|match` as users and scripts run them. Needs no service. */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runVigil } from '../helpers/cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'vigil-rules-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('vigil rules', () => {
  it('test: runs the rule pack’s test cases and exits 0', async () => {
    const { code, stdout } = await runVigil(['rules', 'test', 'rules/packs', '--require-tests']);
    expect(stdout).toMatch(/^(\d+) of \1 cases passed, for \d+ rules\.$/m);
    expect(code).toBe(0);
  });

  it('test: a wrong expectation fails the run with exit code 1 and names the case', async () => {
    const copy = join(dir, 'pack');
    cpSync('rules/packs', copy, { recursive: true });
    const sidecar = join(copy, 'linux', 'sudo_incorrect_password.tests.yml');
    writeFileSync(sidecar, readFileSync(sidecar, 'utf8').replace('match: false', 'match: true'));
    const { code, stdout } = await runVigil(['rules', 'test', copy]);
    expect(code).toBe(1);
    expect(stdout).toMatch(
      /FAIL .*sudo_incorrect_password\.tests\.yml:\d+ a command run: rule [0-9a-f-]{36} should match; matched rules: none/,
    );
  });

  it('validate: lists every problem with file, line and column, and exits 2', async () => {
    const path = join(dir, 'bad.yml');
    writeFileSync(
      path,
      'title: Bad\nid: bad\nlogsource: {product: linux}\ndetection:\n  sel:\n    a|containz: x\n    b|re|i: "(a+)+"\n  condition: sel or nothing\n',
    );
    const { code, stdout } = await runVigil(['rules', 'validate', path]);
    expect(code).toBe(2);
    expect(stdout).toContain(`${path}:6:5 detection.sel.a|containz: unknown modifier "containz"`);
    expect(stdout).toContain(
      `${path}:8:21 detection.condition: condition: "nothing" is not a search identifier`,
    );
    expect(stdout).toContain('2 problems');
  });

  it('validate: the SigmaHQ rules load, exit 0', async () => {
    const { code, stdout } = await runVigil(['rules', 'validate', '../shared/data/sigma/rules']);
    expect(stdout).toContain('416 files: 416 detection rules compiled');
    expect(code).toBe(0);
  });

  it('list: prints id, level, status, log source and title', async () => {
    const { code, stdout } = await runVigil(['rules', 'list']);
    expect(code).toBe(0);
    expect(stdout.split('\n')[0]).toMatch(/^ID\s+LEVEL\s+STATUS\s+LOGSOURCE\s+TITLE$/);
    expect(stdout).toMatch(/critical\s+stable\s+webserver\s+Log4Shell JNDI Lookup In A Request/);
  });

  it('match: prints one JSON line per event with the ids of the rules it matches', async () => {
    const events = join(dir, 'events.ndjson');
    writeFileSync(
      events,
      [
        JSON.stringify({
          message: 'x',
          url: { original: `/a?q=$${'{'}jndi:ldap://x/a}` },
          user_agent: { original: 'curl' },
          event: { dataset: 'apache.access' },
        }),
        JSON.stringify({
          message: 'fine',
          url: { original: '/index.html' },
          event: { dataset: 'apache.access' },
        }),
        'not json',
      ].join('\n'),
    );
    const { code, stdout } = await runVigil(['rules', 'match', 'rules/packs/web', '--events', events]);
    expect(code).toBe(0);
    const lines = stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines[0].line).toBe(1);
    expect(lines[0].rules).toHaveLength(1);
    expect(lines[1]).toEqual({ line: 2, rules: [] });
    expect(lines[2]).toMatchObject({ line: 3, error: expect.stringContaining('not JSON') });
  });

  it('match: also evaluates correlation rules over the events in time order and prints their alerts', async () => {
    const events = join(dir, 'brute-force.ndjson');
    const login = (second: number, outcome: string) =>
      JSON.stringify({
        '@timestamp': new Date(Date.UTC(2026, 10, 24, 10, 0, second)).toISOString(),
        message: outcome === 'failure' ? 'Failed password for alice' : 'Accepted password for alice',
        source: { ip: '198.51.100.23' },
        process: { name: 'sshd' },
        event: { dataset: 'linux.auth', action: 'ssh_login', outcome },
      });
    // Out of order in the file: the success comes first, the failures after it, yet it happened last.
    const lines = [login(59, 'success'), ...Array.from({ length: 20 }, (_, i) => login(i * 2, 'failure'))];
    writeFileSync(events, `${lines.join('\n')}\n`);
    const { code, stdout } = await runVigil(['rules', 'match', 'rules/packs', '--events', events]);
    expect(code).toBe(0);
    const out = stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(out.filter((o) => 'line' in o)).toHaveLength(21);
    const alerts = out.filter((o) => 'correlation' in o).map((o) => o.correlation);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({
      kind: 'correlation',
      '@timestamp': '2026-11-24T10:00:59.000Z',
      rule: { id: '7e2b9f61-3c8d-4e1a-a5b7-90d4f6c2e1b8', type: 'temporal_ordered' },
      group: { 'source.ip': '198.51.100.23' },
    });
  });

  it('test: a wrong correlation expectation fails the run with exit code 1 and names the case', async () => {
    const copy = join(dir, 'pack-correlation');
    cpSync('rules/packs', copy, { recursive: true });
    const sidecar = join(copy, 'correlation', 'ssh_brute_force_success.tests.yml');
    writeFileSync(
      sidecar,
      readFileSync(sidecar, 'utf8')
        .replace(
          '  - name: nineteen failures then a success is not enough\n',
          '  - name: nineteen failures then a success is not enough (wrongly expected to alert)\n',
        )
        .replace(
          /(not enough \(wrongly expected to alert\)\n(?:.*\n)*?) {4}alerts: \[\]/,
          '$1    alerts:\n      - { at: "2026-11-24T10:02:00Z" }',
        ),
    );
    const { code, stdout } = await runVigil(['rules', 'test', copy]);
    expect(code).toBe(1);
    expect(stdout).toMatch(
      /FAIL .*ssh_brute_force_success\.tests\.yml:\d+ nineteen failures then a success is not enough \(wrongly expected to alert\)/,
    );
  });
});
