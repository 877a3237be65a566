/**
 * Standalone mode (`vigil run`) and the demo: the same collector and processor
 * stages over the in-process queue, writing NDJSON files when no OpenSearch is
 * configured and OpenSearch when one is.
 */
import {
  appendFileSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@opensearch-project/opensearch';
import { afterAll, describe, expect, it } from 'vitest';
import { runVigil, spawnVigil, waitFor } from '../helpers/cli.ts';
import { OPENSEARCH_URL, uniqueName } from '../helpers/services.ts';

const dir = mkdtempSync(join(tmpdir(), 'vigil-standalone-'));
const opensearch = new Client({ node: OPENSEARCH_URL });
const prefix = uniqueName('e2e-run');

afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await opensearch.indices.delete({ index: `${prefix}-*` }).catch(() => {});
  await opensearch.close();
});

function readEvents(outputDir: string): Array<Record<string, unknown>> {
  if (!existsSync(outputDir)) return [];
  return readdirSync(outputDir)
    .filter((f) => f.endsWith('.ndjson') && f !== 'dead-letters.ndjson')
    .flatMap((f) =>
      readFileSync(join(outputDir, f), 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>),
    );
}

describe('vigil run', () => {
  it('writes one NDJSON event per line, and resumes after a restart without writing any line twice', async () => {
    const work = join(dir, 'ndjson');
    const log = join(work, 'auth.log');
    const output = join(work, 'events');
    const config = join(work, 'vigil.yaml');
    await import('node:fs/promises').then((fs) => fs.mkdir(work, { recursive: true }));
    writeFileSync(log, 'first line\nsecond line\n');
    writeFileSync(
      config,
      `http:\n  enabled: false\ncollector:\n  data_dir: ${join(work, 'state')}\n  poll_interval_ms: 50\n  files:\n` +
        `    - paths: [${JSON.stringify(log)}]\n      dataset: linux.auth\nprocessor:\n  output_dir: ${output}\n`,
    );

    let run = spawnVigil(['run', '-c', config]);
    await waitFor('two events', () => readEvents(output).length >= 2, 30_000);
    run.child.kill('SIGTERM');
    expect(await run.exited, run.output()).toBe(0);

    appendFileSync(log, 'third line\n');
    run = spawnVigil(['run', '-c', config]);
    await waitFor('three events', () => readEvents(output).length >= 3, 30_000);
    await new Promise((r) => setTimeout(r, 500));
    run.child.kill('SIGTERM');
    expect(await run.exited, run.output()).toBe(0);

    const events = readEvents(output);
    expect(events.map((e) => e.message)).toEqual(['first line', 'second line', 'third line']);
    expect(new Set(events.map((e) => e._id)).size).toBe(3);
    expect(readdirSync(output)).toContain(
      `vigil-linux.auth-${new Date().toISOString().slice(0, 10).replaceAll('-', '.')}.ndjson`,
    );
    expect(events[2]).toMatchObject({
      event: { dataset: 'linux.auth', original: 'third line' },
      log: { offset: 23 },
    });
  });

  it('indexes into OpenSearch when one is configured', async () => {
    const work = join(dir, 'opensearch');
    await import('node:fs/promises').then((fs) => fs.mkdir(work, { recursive: true }));
    const log = join(work, 'access.log');
    const config = join(work, 'vigil.yaml');
    const lines = Array.from(
      { length: 50 },
      (_, i) => `198.51.100.${i} - - "GET /page/${i} HTTP/1.1" 200 ${i}`,
    );
    writeFileSync(log, `${lines.join('\n')}\n`);
    writeFileSync(
      config,
      `http:\n  enabled: false\nopensearch:\n  url: ${OPENSEARCH_URL}\n  index_prefix: ${prefix}\n  index_replicas: 0\n` +
        `collector:\n  data_dir: ${join(work, 'state')}\n  poll_interval_ms: 50\n  files:\n` +
        `    - paths: [${JSON.stringify(log)}]\n      dataset: apache.access\n`,
    );
    const run = spawnVigil(['run', '-c', config]);
    await waitFor(
      '50 documents',
      async () => {
        await opensearch.indices.refresh({ index: `${prefix}-*`, allow_no_indices: true });
        const r = await opensearch.count({ index: `${prefix}-*`, allow_no_indices: true });
        return r.body.count === 50;
      },
      30_000,
    );
    run.child.kill('SIGTERM');
    expect(await run.exited, run.output()).toBe(0);
    const found = await opensearch.search({
      index: `${prefix}-apache.access-*`,
      body: { query: { match: { message: 'page/7' } } },
    });
    expect((found.body.hits.hits as unknown[]).length).toBeGreaterThan(0);
  });
});

describe('vigil demo', () => {
  it('generates log lines, ingests every one of them, prints them and exits 0', async () => {
    const dataDir = join(dir, 'demo');
    const { code, stdout, stderr } = await runVigil([
      'demo',
      '--data-dir',
      dataDir,
      '--lines',
      '120',
      '--rate',
      '200',
    ]);
    expect(code, stderr).toBe(0);
    expect(stdout).toMatch(/Ingested 120 events \(/);
    const events = readEvents(join(dataDir, 'events'));
    expect(events).toHaveLength(120);
    const datasets = new Set(events.map((e) => (e.event as { dataset: string }).dataset));
    expect([...datasets].sort()).toEqual(['apache.access', 'apache.error', 'linux.auth', 'linux.syslog']);
    // Every printed event line is one that was ingested.
    const printed = stdout.split('\n').filter((l) => /^(linux|apache)\./.test(l));
    expect(printed).toHaveLength(120);
  });

  it('rejects a non-numeric --lines with exit code 2', async () => {
    const { code, stderr } = await runVigil(['demo', '--data-dir', join(dir, 'demo2'), '--lines', 'many']);
    expect(code).toBe(2);
    expect(stderr).toContain('--lines must be a positive whole number');
  });
});
