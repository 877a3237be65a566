/** The command line as users meet it: help texts, versions, exit codes, configuration errors. */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT, runVigil } from '../helpers/cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'vigil-cli-'));
const SUBCOMMANDS = ['collector', 'processor', 'run', 'setup', 'retention', 'demo', 'config', 'grok'];

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('vigil --help and --version', () => {
  it('prints the version from package.json and exits 0', async () => {
    const { code, stdout } = await runVigil(['--version']);
    const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(code).toBe(0);
    expect(stdout.trim()).toBe(version);
  });

  it('lists every sub-command with a sentence describing it', async () => {
    const { code, stdout } = await runVigil(['--help']);
    expect(code).toBe(0);
    for (const name of SUBCOMMANDS) expect(stdout).toMatch(new RegExp(`^  ${name}\\b`, 'm'));
    expect(stdout).toContain('Exit codes: 0 success, 1 runtime failure, 2 usage or configuration error.');
  });

  it.each(SUBCOMMANDS)('describes `%s` and each of its options in full sentences', async (name) => {
    const { code, stdout } = await runVigil([name, '--help']);
    expect(code).toBe(0);
    expect(stdout).toContain(`Usage: vigil ${name}`);
    // Every option line's description ends with a full stop (after any "(default: ...)" or "(choices: ...)").
    const options = stdout.split('Options:')[1]?.split(/\n\n|Commands:/)[0] ?? '';
    const entries = options
      .split(/\n(?= {2}-)/)
      .map((e) => e.replace(/\s+/g, ' ').trim())
      .filter(Boolean);
    expect(entries.length).toBeGreaterThan(0);
    for (const entry of entries) {
      const description = entry
        .replace(/^(-\w, )?--[\w-]+( <[^>]+>)?( \[[^\]]+\])? /, '')
        .replace(/ \((default|choices): .*\)$/, '');
      expect(description, entry).toMatch(/^[A-Z].*\.$/);
    }
  });

  it('exits 2 with a message on an unknown command', async () => {
    const { code, stderr } = await runVigil(['collecter']);
    expect(code).toBe(2);
    expect(stderr).toContain("unknown command 'collecter'");
    expect(stderr).toContain('collector');
  });

  it('exits 2 on an unknown option', async () => {
    const { code, stderr } = await runVigil(['run', '--bogus']);
    expect(code).toBe(2);
    expect(stderr).toContain("unknown option '--bogus'");
  });
});

describe('configuration errors', () => {
  it('reports an unknown key, a wrong type and a missing required value in one run, with key paths, and exits 2', async () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(
      file,
      [
        'kafka:',
        '  brokers: ["127.0.0.1:9092"]',
        '  compresion: gzip',
        'collector:',
        '  poll_interval_ms: fast',
        '  files:',
        '    - dataset: linux.auth',
        '',
      ].join('\n'),
    );
    for (const command of ['run', 'collector', 'processor', 'setup']) {
      const { code, stderr } = await runVigil([command, '-c', file]);
      expect(code, `${command}: ${stderr}`).toBe(2);
      expect(stderr).toContain(`Configuration file ${file} has 3 problems`);
      expect(stderr).toContain(`${file}:3:3: kafka.compresion: unknown key`);
      expect(stderr).toContain(`${file}:5:21: collector.poll_interval_ms: expected number, got "fast"`);
      expect(stderr).toContain('collector.files[0].paths: required value is missing');
    }
  });

  it('names a missing configuration file and exits 2', async () => {
    const missing = join(dir, 'nope.yaml');
    const { code, stderr } = await runVigil(['run', '-c', missing]);
    expect(code).toBe(2);
    expect(stderr).toContain(`Configuration file ${missing} does not exist.`);
  });

  it('accepts a valid file with `vigil config check`', async () => {
    const file = join(dir, 'good.yaml');
    writeFileSync(
      file,
      'collector:\n  files:\n    - paths: ["/var/log/auth.log"]\n      dataset: linux.auth\n',
    );
    const { code, stdout } = await runVigil(['config', 'check', '-c', file]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/is valid; \d+ pipelines load \(0 of them yours\)/);
  });

  it('checks the pipelines a configuration names with `vigil config check`', async () => {
    const pipelines = join(dir, 'pipelines');
    mkdirSync(pipelines, { recursive: true });
    writeFileSync(
      join(pipelines, 'mine.yaml'),
      "pipelines:\n  - id: mine\n    when: { dataset: [mine] }\n    steps:\n      - grok: { patterns: ['%{NOPE:x}'] }\n",
    );
    const file = join(dir, 'with-pipelines.yaml');
    writeFileSync(file, `processor:\n  pipelines_dir: ${pipelines}\n`);
    const broken = await runVigil(['config', 'check', '-c', file]);
    expect(broken.code).toBe(2);
    expect(broken.stderr).toMatch(/mine\.yaml:5:\d+ pipelines\[0\]\.steps\[0\]\.grok: .*NOPE/);
    writeFileSync(
      join(pipelines, 'mine.yaml'),
      "pipelines:\n  - id: mine\n    when: { dataset: [mine] }\n    steps:\n      - grok: { patterns: ['%{IP:source.ip}'] }\n",
    );
    const fixed = await runVigil(['config', 'check', '-c', file]);
    expect(fixed.code, fixed.stderr).toBe(0);
    expect(fixed.stdout).toMatch(/\d+ pipelines load \(1 of them yours\)/);
  });

  it('prints a JSON Schema with `vigil config schema`', async () => {
    const { code, stdout } = await runVigil(['config', 'schema']);
    expect(code).toBe(0);
    const schema = JSON.parse(stdout) as { properties: Record<string, unknown> };
    expect(Object.keys(schema.properties)).toEqual(
      expect.arrayContaining([
        'kafka',
        'opensearch',
        'redis',
        'http',
        'collector',
        'processor',
        'rules',
        'alerter',
      ]),
    );
  });
});
