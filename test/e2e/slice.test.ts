/**
 * The first end-to-end slice, driven through the CLI as a user runs it:
 * `vigil setup`, `vigil collector` tailing a file, `vigil processor` indexing
 * into OpenSearch, all through the real Kafka. Lines appended to the file must
 * be searchable exactly once — also when a process is killed with SIGKILL
 * mid-way and started again.
 */
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@opensearch-project/opensearch';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, describe, expect, it } from 'vitest';
import { runVigil, spawnVigil as spawn, type VigilProcess, waitFor } from '../helpers/cli.ts';
import { KAFKA_BROKERS, OPENSEARCH_URL, uniqueName } from '../helpers/services.ts';

const LINES = 1000;
const opensearch = new Client({ node: OPENSEARCH_URL });
const cleanups: Array<() => Promise<void>> = [];
const spawned: VigilProcess[] = [];

/** Starts a Vigil process that afterAll stops if the test did not (a failed assertion leaves it running). */
function spawnVigil(args: string[]): VigilProcess {
  const process = spawn(args);
  spawned.push(process);
  return process;
}

interface Slice {
  dir: string;
  logFile: string;
  configFile: string;
  prefix: string;
}

function makeSlice(name: string): Slice {
  const dir = mkdtempSync(join(tmpdir(), `vigil-${name}-`));
  const prefix = uniqueName(`e2e-${name}`);
  const logFile = join(dir, 'app.log');
  const configFile = join(dir, 'vigil.yaml');
  writeFileSync(logFile, '');
  writeFileSync(
    configFile,
    [
      'kafka:',
      `  brokers: ${JSON.stringify(KAFKA_BROKERS)}`,
      '  partitions: 3',
      '  topics:',
      `    raw: ${prefix}.raw`,
      `    signals: ${prefix}.signals`,
      `    alerts: ${prefix}.alerts`,
      `    dlq: ${prefix}.dlq`,
      'opensearch:',
      `  url: ${OPENSEARCH_URL}`,
      `  index_prefix: ${prefix}`,
      '  index_replicas: 0',
      'http:',
      '  enabled: false',
      'collector:',
      `  id: ${name}-host`,
      `  data_dir: ${join(dir, 'collector')}`,
      '  poll_interval_ms: 50',
      '  batch_max_records: 50',
      '  files:',
      `    - paths: [${JSON.stringify(logFile)}]`,
      '      dataset: e2e.slice',
      'processor:',
      `  group_id: ${prefix}-processors`,
      '  session_timeout_ms: 6000',
      '',
    ].join('\n'),
  );
  cleanups.push(async () => {
    const kafka = new Kafka({ brokers: KAFKA_BROKERS, logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics: ['raw', 'signals', 'alerts', 'dlq'].map((t) => `${prefix}.${t}`) });
    await admin.disconnect();
    await opensearch.indices.delete({ index: `${prefix}-*` });
    await opensearch.indices.deleteIndexTemplate({ name: `${prefix}-events` });
    rmSync(dir, { recursive: true, force: true });
  });
  return { dir, logFile, configFile, prefix };
}

/** Appends numbered lines in small chunks, so that killing a process lands mid-stream. */
async function appendLines(file: string, total: number, chunk: number, pauseMs: number): Promise<void> {
  for (let i = 0; i < total; i += chunk) {
    const lines: string[] = [];
    for (let n = i; n < Math.min(i + chunk, total); n++)
      lines.push(`event ${String(n).padStart(4, '0')} user=alice action=login`);
    appendFileSync(file, `${lines.join('\n')}\n`);
    await new Promise((r) => setTimeout(r, pauseMs));
  }
}

async function indexedCount(prefix: string): Promise<number> {
  try {
    await opensearch.indices.refresh({ index: `${prefix}-*`, allow_no_indices: true });
    const response = await opensearch.count({ index: `${prefix}-*`, allow_no_indices: true });
    return response.body.count as number;
  } catch {
    return 0;
  }
}

async function indexedDocuments(prefix: string): Promise<Array<Record<string, unknown>>> {
  await opensearch.indices.refresh({ index: `${prefix}-*` });
  const response = await opensearch.search({
    index: `${prefix}-*`,
    body: { size: 5000, query: { match_all: {} } },
  });
  return (response.body.hits.hits as Array<{ _source: Record<string, unknown> }>).map((h) => h._source);
}

async function stop(process: VigilProcess): Promise<number | null> {
  process.child.kill('SIGTERM');
  return process.exited;
}

async function expectExactlyOnce(slice: Slice): Promise<void> {
  await waitFor(
    `${LINES} documents in OpenSearch`,
    async () => (await indexedCount(slice.prefix)) >= LINES,
    90_000,
  );
  // Give stragglers (duplicates, if any) a moment to show up before counting for good.
  await new Promise((r) => setTimeout(r, 1500));
  const docs = await indexedDocuments(slice.prefix);
  expect(docs).toHaveLength(LINES);
  const offsets = new Set(docs.map((d) => (d.log as { offset: number }).offset));
  expect(offsets.size).toBe(LINES);
  const messages = new Set(docs.map((d) => d.message as string));
  expect(messages.size).toBe(LINES);
  const sample = docs.find((d) => d.message === 'event 0000 user=alice action=login');
  expect(sample).toMatchObject({
    '@timestamp': expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    host: { name: expect.any(String) },
    log: { file: { path: slice.logFile }, offset: 0 },
    event: { dataset: 'e2e.slice', ingested: expect.stringMatching(/^\d{4}-/) },
  });
}

describe('collector → Kafka → processor → OpenSearch', () => {
  afterAll(async () => {
    for (const p of spawned) {
      if (p.child.exitCode === null && p.child.signalCode === null) {
        p.child.kill('SIGKILL');
        await p.exited;
      }
    }
    for (const cleanup of cleanups) await cleanup().catch(() => {});
    await opensearch.close();
  });

  it('creates its topics and template with `vigil setup`, and running setup again is harmless', async () => {
    const slice = makeSlice('setup');
    const first = await runVigil(['setup', '-c', slice.configFile]);
    expect(first.code, first.stdout + first.stderr).toBe(0);
    expect(first.stdout).toContain(`Kafka topic ${slice.prefix}.raw: created`);
    const second = await runVigil(['setup', '-c', slice.configFile]);
    expect(second.code, second.stdout + second.stderr).toBe(0);
    expect(second.stdout).toContain('Setup finished: 0 created, 0 updated,');
  });

  it('indexes 1,000 appended lines exactly once although the processor is killed with SIGKILL mid-way', async () => {
    const slice = makeSlice('kill-processor');
    expect((await runVigil(['setup', '-c', slice.configFile])).code).toBe(0);
    const collector = spawnVigil(['collector', '-c', slice.configFile]);
    let processor = spawnVigil(['processor', '-c', slice.configFile]);
    // Lines arrive while the processor runs, so the kill lands while some are still to come.
    await waitFor('the processor to start', () => processor.output().includes('Processor started.'), 60_000);
    const writing = appendLines(slice.logFile, LINES, 25, 100);

    await waitFor('the first documents', async () => (await indexedCount(slice.prefix)) >= 100, 60_000);
    const before = await indexedCount(slice.prefix);
    processor.child.kill('SIGKILL');
    await processor.exited;
    expect(before).toBeLessThan(LINES);

    await writing;
    processor = spawnVigil(['processor', '-c', slice.configFile]);
    await expectExactlyOnce(slice);

    expect(await stop(processor), processor.output()).toBe(0);
    expect(await stop(collector), collector.output()).toBe(0);
  });

  it('indexes 1,000 appended lines exactly once although the collector is killed with SIGKILL mid-way', async () => {
    const slice = makeSlice('kill-collector');
    expect((await runVigil(['setup', '-c', slice.configFile])).code).toBe(0);
    const processor = spawnVigil(['processor', '-c', slice.configFile]);
    let collector = spawnVigil(['collector', '-c', slice.configFile]);
    const writing = appendLines(slice.logFile, LINES, 25, 40);

    await waitFor('the first documents', async () => (await indexedCount(slice.prefix)) >= 100, 60_000);
    collector.child.kill('SIGKILL');
    await collector.exited;

    await writing;
    collector = spawnVigil(['collector', '-c', slice.configFile]);
    await expectExactlyOnce(slice);

    expect(await stop(collector), collector.output()).toBe(0);
    expect(await stop(processor), processor.output()).toBe(0);
  });
});
