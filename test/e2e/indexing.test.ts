/**
 * OpenSearch indexing under failure, through the real Kafka and OpenSearch,
 * with processors run through the CLI as a user runs them: OpenSearch stopped
 * for two minutes, mapping conflicts, a node that rejects writes with 429, a
 * processor killed between a bulk response and its offset commit while
 * another joins, and field types that search as their types.
 *
 * Exactly once is checked exactly: the number of documents and the number
 * of distinct raw-record identities among them both equal what was sent.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { RawRecord } from '../../core/event/raw-record.ts';
import { ROOT, spawnVigil, type VigilProcess, waitFor } from '../helpers/cli.ts';
import {
  distinctRecords,
  fileRecords,
  type IndexingRun,
  indexedCount,
  indexingRun,
  metricSum,
  produce,
  randomPort,
  readJsonTopic,
  rssMiB,
  setupRun,
  stack,
} from '../helpers/indexing.ts';
import { topicMessageCount } from '../helpers/kafka-topic.ts';

const runs: IndexingRun[] = [];
const processes: VigilProcess[] = [];

afterAll(async () => {
  for (const p of processes) {
    if (p.child.exitCode === null && p.child.signalCode === null) {
      p.child.kill('SIGTERM');
      await p.exited;
    }
  }
  for (const run of runs) await run.cleanup();
});

function start(configFile: string, env: Record<string, string> = {}): VigilProcess {
  const process = spawnVigil(['processor', '-c', configFile], env);
  processes.push(process);
  return process;
}

async function stop(process: VigilProcess): Promise<void> {
  process.child.kill('SIGTERM');
  await process.exited;
}

const started = (p: VigilProcess) => () => {
  if (p.child.exitCode !== null)
    throw new Error(`The processor exited with ${p.child.exitCode}:\n${p.output()}`);
  return p.output().includes('Processor started.');
};
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function expectExactly(run: IndexingRun, expected: number): Promise<void> {
  // Give stragglers (duplicates, if any) a moment to show up before counting for good.
  await sleep(1500);
  expect(await indexedCount(run.opensearch, run.prefix)).toBe(expected);
  expect(await distinctRecords(run.opensearch, run.prefix)).toBe(expected);
}

describe('indexing into OpenSearch under failure', { timeout: 600_000 }, () => {
  it('indexes 100,000 events exactly once although OpenSearch is stopped for 2 minutes, in bounded memory', async () => {
    const run = indexingRun('os-outage');
    runs.push(run);
    const port = randomPort();
    const configFile = run.config(port);
    await setupRun(configFile);
    const processor = start(configFile);
    await waitFor('the processor to start', started(processor), 60_000);
    await produce(run.rawTopic, fileRecords(0, 20_000));
    await waitFor('the first documents', async () => (await indexedCount(run.opensearch, run.prefix)) > 0);

    const pid = processor.child.pid as number;
    const memory: number[] = [];
    stack(['down', '--only', 'opensearch']);
    try {
      const outageEnds = Date.now() + 120_000;
      // The other 80,000 events arrive while OpenSearch is down.
      const producing = (async () => {
        for (let wave = 1; wave < 5; wave++) {
          await produce(run.rawTopic, fileRecords(wave * 20_000, 20_000));
          await sleep(10_000);
        }
      })();
      while (Date.now() < outageEnds) {
        memory.push(rssMiB(pid));
        await sleep(1000);
      }
      await producing;
      expect(processor.child.exitCode).toBeNull();
    } finally {
      stack(['up', '--only', 'opensearch']);
    }
    await waitFor(
      '100,000 documents',
      async () => (await indexedCount(run.opensearch, run.prefix)) >= 100_000,
      240_000,
    );
    await expectExactly(run, 100_000);
    expect(await topicMessageCount(run.dlqTopic)).toBe(0);
    expect(await metricSum(port, 'vigil_processor_bulk_retries_total')).toBeGreaterThan(0);

    const first = memory[0] as number;
    const peak = Math.max(...memory);
    console.log(
      `OpenSearch outage of 120 s: processor RSS ${first.toFixed(0)} MiB at the start, peak ${peak.toFixed(0)} MiB, ` +
        `${memory.at(-1)?.toFixed(0)} MiB at the end, over ${memory.length} samples.`,
    );
    // 80,000 events (about 8 MB of raw records) wait in Kafka, not in the processor.
    expect(peak).toBeLessThan(first + 64);
    expect(peak).toBeLessThan(400);
    await stop(processor);
  });

  it('indexes the good events and sends every mapping conflict to vigil.dlq with its reason and the original, without stalling', async () => {
    const run = indexingRun('mapping', {
      processor: `  pipelines_dir: ${JSON.stringify(join(ROOT, 'test', 'fixtures', 'indexing', 'pipelines'))}`,
    });
    runs.push(run);
    const configFile = run.config();
    await setupRun(configFile);
    const processor = start(configFile);
    await waitFor('the processor to start', started(processor), 60_000);
    const TOTAL = 8000;
    // Every fourth event carries a port that is not a number: source.port is a long in the template.
    const line = (n: number) =>
      JSON.stringify({
        n,
        source: { ip: '192.0.2.1', port: n % 4 === 0 ? `port-${n}` : 1000 + (n % 60000) },
      });
    const began = Date.now();
    await produce(run.rawTopic, fileRecords(0, TOTAL, { dataset: 'e2e.json', line }));
    await waitFor(
      'the good events',
      async () => (await indexedCount(run.opensearch, run.prefix)) >= (TOTAL * 3) / 4,
      120_000,
    );
    const dead = (await readJsonTopic(run.dlqTopic, TOTAL / 4)) as Array<{
      reason: string;
      stage: string;
      record_id: string;
      payload: { message: string; event: { original?: string } };
    }>;
    console.log(`${TOTAL} events with ${TOTAL / 4} mapping conflicts settled in ${Date.now() - began} ms.`);
    await expectExactly(run, (TOTAL * 3) / 4);
    expect(dead).toHaveLength(TOTAL / 4);
    expect(new Set(dead.map((d) => d.record_id)).size).toBe(TOTAL / 4);
    for (const entry of dead) {
      expect(entry.stage).toBe('index');
      expect(entry.reason).toMatch(/^mapper_parsing_exception: failed to parse field \[source\.port\]/);
      const n = JSON.parse(entry.payload.message).n as number;
      expect(n % 4).toBe(0);
      expect(entry.payload.message).toBe(line(n));
      expect(entry.payload.event.original).toBe(line(n));
    }
    // Nothing bad was indexed, nothing good is missing.
    const bad = await run.opensearch.count({
      index: `${run.prefix}-*`,
      body: { query: { range: { 'source.port': { lt: 1000 } } } },
    });
    expect(bad.body.count).toBe(0);
    await stop(processor);
  });

  it('indexes every event exactly once into a node whose tiny write queue answers 429', async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'vigil-throttled-'));
    const osPort = 9250 + Math.floor(Math.random() * 40);
    const env = {
      VIGIL_STACK_DIR: stateDir,
      VIGIL_OPENSEARCH_PORT: String(osPort),
      VIGIL_OPENSEARCH_SETTINGS: 'thread_pool.write.size=1 thread_pool.write.queue_size=1',
    };
    stack(['up', '--only', 'opensearch'], env);
    try {
      const run = indexingRun('throttled', {
        opensearchUrl: `http://127.0.0.1:${osPort}`,
        opensearch: 'bulk_max_docs: 1000',
      });
      runs.push(run);
      const port = randomPort();
      const configFile = run.config(port);
      await setupRun(configFile);
      const processor = start(configFile);
      await waitFor('the processor to start', started(processor), 60_000);
      // Events of five days: each bulk request writes to five indices at once, more than the queue holds.
      const TOTAL = 6000;
      const now = Date.now();
      const records: RawRecord[] = fileRecords(0, TOTAL).map((record, n) => ({
        ...record,
        stream: { id: `syslog:tcp:s${n % 4}`, kind: 'syslog' },
        syslog: {
          format: 'rfc5424',
          timestamp: new Date(now - (n % 5) * 86_400_000).toISOString(),
          message: record.line,
        },
      }));
      await produce(run.rawTopic, records);
      await waitFor(
        `${TOTAL} documents`,
        async () => (await indexedCount(run.opensearch, run.prefix)) >= TOTAL,
        240_000,
      );
      await expectExactly(run, TOTAL);
      const rejected = await metricSum(
        port,
        'vigil_processor_bulk_retries_total',
        'reason="too_many_requests"',
      );
      console.log(
        `Throttled node: ${TOTAL} events indexed exactly once after ${rejected} documents were answered 429.`,
      );
      expect(rejected).toBeGreaterThan(0);
      expect(await topicMessageCount(run.dlqTopic)).toBe(0);
      await stop(processor);
    } finally {
      stack(['down', '--purge', '--only', 'opensearch'], env);
      rmSync(stateDir, { recursive: true, force: true });
    }
  });

  it('indexes exactly once when a processor is killed between a bulk response and its offset commit and another joins', async () => {
    const run = indexingRun('kill-commit');
    runs.push(run);
    const [portA, portB, portC] = [randomPort(), randomPort(), randomPort()];
    await setupRun(run.config(portA));
    const TOTAL = 30_000;
    await produce(run.rawTopic, fileRecords(0, 10_000));
    // The first processor dies on purpose the third time it is about to commit, after its bulk succeeded.
    const doomed = start(run.config(portA), { VIGIL_FAILPOINTS: 'processor.before_commit=3' });
    await waitFor('the first processor to start', started(doomed), 60_000);
    // A second processor joins mid-run: the group rebalances.
    const second = start(run.config(portB));
    await produce(run.rawTopic, fileRecords(10_000, 10_000));
    const code = await doomed.exited;
    expect(doomed.child.signalCode ?? code).toBe('SIGKILL');
    expect(doomed.output()).toContain('Fail point processor.before_commit reached');
    const restarted = start(run.config(portC));
    await waitFor('the restarted processor', started(restarted), 60_000);
    await produce(run.rawTopic, fileRecords(20_000, 10_000));
    await waitFor(
      `${TOTAL} documents`,
      async () => (await indexedCount(run.opensearch, run.prefix)) >= TOTAL,
      180_000,
    );
    await expectExactly(run, TOTAL);
    // The batch indexed but not committed was processed again and found already there.
    const replayed =
      (await metricSum(portB, 'vigil_processor_events_already_indexed_total')) +
      (await metricSum(portC, 'vigil_processor_events_already_indexed_total'));
    console.log(
      `Kill before commit and a rebalance: ${replayed} replayed events found already indexed, 0 duplicates.`,
    );
    expect(replayed).toBeGreaterThan(0);
    await stop(second);
    await stop(restarted);
  });

  it('indexes fields that search as their types: CIDR terms, date ranges, geo distance, keyword aggregations', async () => {
    const geoDir = join(ROOT, '..', 'shared', 'data', 'geoip', 'test-data');
    const run = indexingRun('types', {
      processor: `  geoip: { city_db: ${JSON.stringify(join(geoDir, 'GeoIP2-City-Test.mmdb'))} }`,
    });
    runs.push(run);
    const configFile = run.config();
    await setupRun(configFile);
    const processor = start(configFile);
    await waitFor('the processor to start', started(processor), 60_000);
    // London (3), Linköping (2), Milton, Washington (1), as the MaxMind test database places them.
    const logins: Array<[string, string]> = [
      ['alice', '81.2.69.142'],
      ['alice', '81.2.69.142'],
      ['bob', '81.2.69.142'],
      ['carol', '89.160.20.112'],
      ['carol', '89.160.20.112'],
      ['dave', '216.160.83.56'],
    ];
    const base = Date.parse('2026-11-24T10:00:00.000Z');
    const records: RawRecord[] = logins.map(([user, ip], n) => ({
      collector: { id: 'e2e-host', version: '0.1.0' },
      host: { name: 'e2e-host' },
      stream: { id: 'syslog:tcp:514', kind: 'syslog' },
      offset: n,
      line: `Failed password for ${user} from ${ip} port ${40000 + n} ssh2`,
      dataset: 'linux.auth',
      observed_at: new Date(base + 3_600_000).toISOString(),
      syslog: {
        format: 'rfc5424',
        timestamp: new Date(base + n * 60_000).toISOString(),
        hostname: 'bastion',
        app_name: 'sshd',
        proc_id: String(4000 + n),
        message: `Failed password for ${user} from ${ip} port ${40000 + n} ssh2`,
      },
    }));
    await produce(run.rawTopic, records);
    await waitFor(
      `${records.length} documents`,
      async () => (await indexedCount(run.opensearch, run.prefix)) >= records.length,
    );
    const count = async (query: Record<string, unknown>) =>
      (await run.opensearch.count({ index: `${run.prefix}-*`, body: { query } })).body.count as number;
    expect(await count({ term: { 'source.ip': '81.2.69.0/24' } })).toBe(3);
    expect(await count({ term: { 'source.ip': '89.160.0.0/16' } })).toBe(2);
    expect(
      await count({ range: { '@timestamp': { gte: '2026-11-24T10:02:00Z', lt: '2026-11-24T10:05:00Z' } } }),
    ).toBe(3);
    expect(
      await count({
        geo_distance: { distance: '50km', 'source.geo.location': { lat: 51.5074, lon: -0.1278 } },
      }),
    ).toBe(3);
    expect(
      await count({
        geo_distance: { distance: '10000km', 'source.geo.location': { lat: 51.5074, lon: -0.1278 } },
      }),
    ).toBe(6);
    const aggregations = {
      users: { terms: { field: 'user.name' } },
      countries: { terms: { field: 'source.geo.country_iso_code' } },
    };
    const aggs = (await (
      await fetch(`${run.url}/${run.prefix}-*/_search`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ size: 0, aggs: aggregations }),
      })
    ).json()) as { aggregations: Record<string, { buckets: Array<{ key: string; doc_count: number }> }> };
    const buckets = (name: string) =>
      Object.fromEntries((aggs.aggregations[name]?.buckets ?? []).map((b) => [b.key, b.doc_count]));
    expect(buckets('users')).toEqual({ alice: 2, bob: 1, carol: 2, dave: 1 });
    expect(buckets('countries')).toEqual({ GB: 3, SE: 2, US: 1 });
    const mapping = await run.opensearch.indices.getFieldMapping({
      index: `${run.prefix}-*`,
      fields: ['source.geo.location', 'source.ip', '@timestamp', 'user.name'],
    });
    const types: Record<string, string> = {};
    for (const index of Object.values(
      mapping.body as Record<string, { mappings: Record<string, unknown> }>,
    )) {
      for (const [field, m] of Object.entries(index.mappings)) {
        const leaf = (m as { mapping: Record<string, { type: string }> }).mapping;
        const type = Object.values(leaf)[0]?.type;
        if (type !== undefined) types[field] = type;
      }
    }
    expect(types).toEqual({
      'source.geo.location': 'geo_point',
      'source.ip': 'ip',
      '@timestamp': 'date',
      'user.name': 'keyword',
    });
    await stop(processor);
  });
});
