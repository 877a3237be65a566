/** `vigil grok test` as users and scripts run it. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runVigil } from '../helpers/cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'vigil-grok-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const ACCESS =
  '%{IPORHOST:source.address} %{USER} %{USER:user.name} \\[%{HTTPDATE:timestamp}\\] "%{WORD:http.request.method} %{NOTSPACE:url.original} HTTP/%{NUMBER:http.version}" %{INT:http.response.status_code:int} (?:%{INT:http.response.body.bytes:int}|-)';
const GOOD = '10.0.0.1 - alice [17/May/2015:10:05:03 +0000] "GET /index.html HTTP/1.1" 200 512';
const BAD = '10.0.0.1 - alice [17/May/2015:10:05:03 +0000] "GET /index.html HTTP/1.1" OK 512';

describe('vigil grok test', () => {
  it('describes itself and each option in full sentences, and states its exit codes', async () => {
    const { code, stdout } = await runVigil(['grok', 'test', '--help']);
    expect(code).toBe(0);
    expect(stdout).toContain('Usage: vigil grok test');
    const options = stdout.split('Options:')[1]?.split('\n\n')[0] ?? '';
    const entries = options
      .split(/\n(?= {2}-)/)
      .map((e) => e.replace(/\s+/g, ' ').trim())
      .filter(Boolean);
    expect(entries.length).toBeGreaterThan(5);
    for (const entry of entries) {
      const description = entry
        .replace(/^(-\w, )?--[\w-]+( <[^>]+>)?( \[[^\]]+\])? /, '')
        .replace(/ \((default|choices): .*\)$/, '');
      expect(description, entry).toMatch(/^[A-Z].*\.$/);
    }
    expect(stdout).toContain(
      'Exit codes: 0 every line matched, 1 some line did not match, 2 usage error or invalid pattern.',
    );
  });

  it('shows the nested fields of a matching line and exits 0', async () => {
    const { code, stdout } = await runVigil(['grok', 'test', '--pattern', ACCESS, '--line', GOOD]);
    expect(code).toBe(0);
    expect(stdout).toContain('Line 1 matched:');
    expect(stdout).toContain('"status_code": 200');
    expect(stdout).toContain('1 of 1 line matched.');
  });

  it('says how far a line matched and where it failed, and exits 1', async () => {
    const { code, stdout } = await runVigil([
      'grok',
      'test',
      '--pattern',
      ACCESS,
      '--line',
      GOOD,
      '--line',
      BAD,
    ]);
    expect(code).toBe(1);
    expect(stdout).toContain('Line 2 did not match');
    expect(stdout).toContain(
      'then `%{INT:http.response.status_code:int}` did not match at character 74: "OK 512"',
    );
    expect(stdout).toContain('1 of 2 lines matched.');
  });

  it('prints one JSON value per line with --json, null where nothing matched, reading a file', async () => {
    const file = join(dir, 'lines.log');
    writeFileSync(file, `${GOOD}\n${BAD}\r\n${GOOD}\n`);
    const { code, stdout } = await runVigil(['grok', 'test', '--pattern', ACCESS, '--file', file, '--json']);
    expect(code).toBe(1);
    const values = stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as unknown);
    expect(values).toHaveLength(3);
    expect(values[0]).toEqual({
      pattern_index: 0,
      pattern: ACCESS,
      fields: {
        source: { address: '10.0.0.1' },
        user: { name: 'alice' },
        timestamp: '17/May/2015:10:05:03 +0000',
        http: {
          request: { method: 'GET' },
          version: '1.1',
          response: { status_code: 200, body: { bytes: 512 } },
        },
        url: { original: '/index.html' },
      },
    });
    expect(values[1]).toBeNull();
  });

  it('loads pattern files from --patterns-dir and tries several --pattern expressions in order', async () => {
    const patterns = join(dir, 'patterns');
    mkdirSync(patterns);
    writeFileSync(
      join(patterns, 'app'),
      'APP_ID app-(?>\\d++)\nAPP_LINE %{APP_ID:app.id} %{LOGLEVEL:log.level}\n',
    );
    const { code, stdout } = await runVigil([
      'grok',
      'test',
      '--patterns-dir',
      patterns,
      '--pattern',
      '^%{APP_LINE}$',
      '--pattern',
      '^%{WORD:word}$',
      '--line',
      'app-42 ERROR',
      '--line',
      'hello',
      '--json',
    ]);
    expect(code).toBe(0);
    expect(
      stdout
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as { pattern_index: number; fields: unknown }),
    ).toEqual([
      {
        pattern_index: 0,
        pattern: '^%{APP_LINE}$',
        fields: { app: { id: 'app-42' }, log: { level: 'ERROR' } },
      },
      { pattern_index: 1, pattern: '^%{WORD:word}$', fields: { word: 'hello' } },
    ]);
  });

  it('exits 2 with the pattern, file and line of a broken pattern file', async () => {
    const patterns = join(dir, 'broken');
    mkdirSync(patterns);
    writeFileSync(join(patterns, 'bad'), 'OK \\d+\nBROKEN (unclosed\n');
    const { code, stderr } = await runVigil([
      'grok',
      'test',
      '--patterns-dir',
      patterns,
      '--pattern',
      '%{BROKEN}',
      '--line',
      'x',
    ]);
    expect(code).toBe(2);
    expect(stderr).toContain(
      `Grok pattern BROKEN (${join(patterns, 'bad')}:2) is not a valid regular expression`,
    );
  });

  it('exits 2 on a catastrophic expression V8 cannot guard, and on a usage error', async () => {
    const unsafe = await runVigil(['grok', 'test', '--pattern', '(?=x)(\\w+\\s?)*$', '--line', 'x']);
    expect(unsafe.code).toBe(2);
    expect(unsafe.stderr).toContain('can backtrack catastrophically');
    const usage = await runVigil(['grok', 'test', '--pattern', 'x']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('either --line or --file');
  });
});
