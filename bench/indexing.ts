/**
 * `node bench/indexing.ts`: events per second into OpenSearch through Vigil
 * (raw records in Kafka → `vigil processor` → OpenSearch) against a minimal
 * loader that bulk-indexes the very same documents (same `_id`, same index
 * names under another prefix, same bulk size) straight into the same node, in
 * the same session. Goal: Vigil at least 0.90 × the direct rate. Also reports
 * the CPU the processor used. Needs the development stack (`npm run stack:up`).
 *
 * Each round runs the direct loader, then Vigil, each into fresh indices; an
 * unmeasured warm-up run of Vigil first produces the documents the loader sends.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Client } from '@opensearch-project/opensearch';
import { CompressionTypes, Kafka, logLevel } from 'kafkajs';
import { encodeBundle, type RawRecord, SCHEMA_HEADER } from '../core/event/raw-record.ts';
import { ensureEventTemplate, eventTemplateName } from '../processor/sinks/opensearch/index-template.ts';
import { CLI_NODE_FLAGS, freePort, metricSum, parseMetrics, processCpuSeconds } from './collector-kafka.ts';
import { count, fixed } from './format.ts';
import { describeMachine, machineLine } from './machine.ts';

const APACHE = fileURLToPath(new URL('../../shared/data/apache/access.log', import.meta.url));
const VIGIL = fileURLToPath(new URL('../bin/vigil.ts', import.meta.url));
const NODE = process.execPath;
const BROKERS = [`127.0.0.1:${process.env.VIGIL_KAFKA_PORT ?? '9092'}`];
const OPENSEARCH = `http://127.0.0.1:${process.env.VIGIL_OPENSEARCH_PORT ?? '9200'}`;
const BULK_DOCS = 1000;
const PROCESSOR_FLAGS = '--max-semi-space-size=32';

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '200000' },
    rounds: { type: 'string', default: '2' },
    partitions: { type: 'string', default: '2' },
  },
});
const EVENTS = Number(values.events);
const ROUNDS = Number(values.rounds);
const PARTITIONS = Number(values.partitions);

const log = (message: string) => process.stderr.write(`${message}\n`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const kafka = new Kafka({ brokers: BROKERS, logLevel: logLevel.NOTHING, clientId: 'vigil-bench' });
const opensearch = new Client({ node: OPENSEARCH });

interface VigilRun {
  seconds: number;
  cpuSeconds: number;
  eventsPerSecond: number;
}

interface Doc {
  index: string;
  id: string;
  source: string;
}

function rawRecords(lines: string[]): RawRecord[] {
  const observed = new Date().toISOString();
  return Array.from({ length: EVENTS }, (_, n) => ({
    collector: { id: 'bench-host', version: '0.1.0' },
    host: { name: 'bench-host' },
    stream: { id: `file:access-${n % 8}`, kind: 'file' as const },
    offset: n,
    line: lines[n % lines.length] as string,
    dataset: 'apache.access',
    observed_at: observed,
    file: { path: `/var/log/apache2/access-${n % 8}.log` },
  }));
}

async function produce(topic: string, records: RawRecord[]): Promise<void> {
  const byStream = new Map<string, RawRecord[]>();
  for (const record of records) {
    const list = byStream.get(record.stream.id);
    if (list) list.push(record);
    else byStream.set(record.stream.id, [record]);
  }
  const messages = [];
  for (const [stream, list] of byStream) {
    for (let i = 0; i < list.length; i += 200) {
      messages.push({
        key: `bench-host/${stream}`,
        value: encodeBundle(list.slice(i, i + 200)),
        headers: { [SCHEMA_HEADER]: '2' },
      });
    }
  }
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  // A few bundles per request keep each partition's batch under the broker's 1 MB message limit.
  for (let i = 0; i < messages.length; i += 4) {
    await producer.send({
      topic,
      acks: -1,
      compression: CompressionTypes.None,
      messages: messages.slice(i, i + 4),
    });
  }
  await producer.disconnect();
}

async function run(command: string[], env: Record<string, string> = {}): Promise<string> {
  const child = spawn(NODE, [...CLI_NODE_FLAGS.split(' '), VIGIL, ...command], {
    env: { ...process.env, ...env },
  });
  let output = '';
  child.stdout.on('data', (c: Buffer) => {
    output += c;
  });
  child.stderr.on('data', (c: Buffer) => {
    output += c;
  });
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  if (code !== 0) throw new Error(`vigil ${command.join(' ')} failed:\n${output}`);
  return output;
}

async function configFor(dir: string, prefix: string, httpPort: number): Promise<string> {
  const file = join(dir, `${prefix}.yaml`);
  await writeFile(
    file,
    `kafka:
  brokers: ${JSON.stringify(BROKERS)}
  partitions: ${PARTITIONS}
  topics: { raw: ${prefix}.raw, signals: ${prefix}.signals, alerts: ${prefix}.alerts, dlq: ${prefix}.dlq }
opensearch: { url: ${OPENSEARCH}, index_prefix: ${prefix}, index_replicas: 0, bulk_max_docs: ${BULK_DOCS}, max_event_age_days: 36500, retention_days: 0 }
http: { address: "127.0.0.1:${httpPort}" }
log: { level: warn }
processor:
  group_id: ${prefix}-processors
`,
  );
  return file;
}

async function cleanup(prefix: string): Promise<void> {
  await opensearch.indices.delete({ index: `${prefix}-*` }).catch(() => {});
  await opensearch.indices.delete({ index: `${prefix}_health` }).catch(() => {});
  await opensearch.indices.deleteIndexTemplate({ name: eventTemplateName(prefix) }).catch(() => {});
  const admin = kafka.admin();
  await admin.connect();
  await admin
    .deleteTopics({ topics: ['raw', 'signals', 'alerts', 'dlq'].map((t) => `${prefix}.${t}`) })
    .catch(() => {});
  await admin.disconnect();
}

/** Vigil: raw records already in Kafka; time from the processor's start to the last event indexed. */
async function vigilRun(dir: string, prefix: string, records: RawRecord[]): Promise<VigilRun> {
  const port = await freePort('tcp');
  const config = await configFor(dir, prefix, port);
  await run(['setup', '-c', config]);
  await produce(`${prefix}.raw`, records);
  // The processor's documented flags (docs/operations.md); VIGIL_BENCH_PROCESSOR_FLAGS replaces them.
  const extra = (process.env.VIGIL_BENCH_PROCESSOR_FLAGS ?? PROCESSOR_FLAGS).split(' ').filter(Boolean);
  const child = spawn(NODE, [...CLI_NODE_FLAGS.split(' '), ...extra, VIGIL, 'processor', '-c', config], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => {
    stderr += c;
  });
  const pid = child.pid as number;
  let first: { at: number; cpu: number } | undefined;
  let last: { at: number; cpu: number } | undefined;
  const deadline = Date.now() + 600_000;
  while (!last) {
    if (Date.now() > deadline || child.exitCode !== null)
      throw new Error(`The processor stalled:\n${stderr}`);
    const text = await fetch(`http://127.0.0.1:${port}/metrics`)
      .then((r) => r.text())
      .catch(() => undefined);
    if (text !== undefined) {
      const samples = parseMetrics(text);
      const done =
        metricSum(samples, 'vigil_processor_events_indexed_total') +
        metricSum(samples, 'vigil_processor_events_already_indexed_total');
      const now = { at: performance.now(), cpu: processCpuSeconds(pid) };
      // The clock starts when the processor serves metrics, just before it joins the group.
      first ??= now;
      if (done >= records.length) last = now;
    }
    await sleep(100);
  }
  child.kill('SIGTERM');
  await new Promise((resolve) => child.on('exit', resolve));
  const start = first as { at: number; cpu: number };
  const seconds = (last.at - start.at) / 1000;
  return { seconds, cpuSeconds: last.cpu - start.cpu, eventsPerSecond: records.length / seconds };
}

async function readDocs(prefix: string): Promise<Doc[]> {
  const docs: Doc[] = [];
  await opensearch.indices.refresh({ index: `${prefix}-*` });
  let response = await opensearch.search({
    index: `${prefix}-*`,
    scroll: '2m',
    size: 5000,
    body: { query: { match_all: {} }, sort: ['_doc'] },
  });
  for (;;) {
    const hits = response.body.hits.hits as Array<{ _index: string; _id: string; _source: unknown }>;
    if (hits.length === 0) break;
    for (const hit of hits) {
      docs.push({ index: hit._index.slice(prefix.length), id: hit._id, source: JSON.stringify(hit._source) });
    }
    response = await opensearch.scroll({ scroll_id: response.body._scroll_id as string, scroll: '2m' });
  }
  return docs;
}

/** The minimal loader: sequential bulk requests of BULK_DOCS `create` actions, nothing else. */
async function directRun(prefix: string, docs: Doc[]): Promise<number> {
  await ensureEventTemplate(opensearch, {
    index_prefix: prefix,
    index_replicas: 0,
  } as Parameters<typeof ensureEventTemplate>[1]);
  const bodies: string[] = [];
  for (let i = 0; i < docs.length; i += BULK_DOCS) {
    let body = '';
    for (const doc of docs.slice(i, i + BULK_DOCS)) {
      body += `{"create":{"_index":"${prefix}${doc.index}","_id":"${doc.id}"}}\n${doc.source}\n`;
    }
    bodies.push(body);
  }
  const started = performance.now();
  for (const body of bodies) {
    const response = await fetch(`${OPENSEARCH}/_bulk`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson' },
      body,
    });
    const result = (await response.json()) as {
      errors: boolean;
      items: Array<{ create: { status: number } }>;
    };
    if (result.errors && result.items.some((item) => item.create.status !== 201)) {
      throw new Error('The direct loader was refused documents.');
    }
  }
  return docs.length / ((performance.now() - started) / 1000);
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'vigil-bench-indexing-'));
  const machine = describeMachine(dir);
  const stamp = Date.now().toString(36);
  const { readFile } = await import('node:fs/promises');
  const lines = (await readFile(APACHE, 'utf8')).split('\n').filter(Boolean);
  const records = rawRecords(lines);
  log(`Warm-up: Vigil indexes ${count(EVENTS)} events to obtain the documents for the direct loader.`);
  const warm = `bench-idx-${stamp}-warm`;
  await vigilRun(dir, warm, records);
  const docs = await readDocs(warm);
  if (docs.length !== EVENTS) throw new Error(`The warm-up indexed ${docs.length} of ${EVENTS} events.`);
  await cleanup(warm);
  const rows: Array<{ round: number; direct: number; vigil: VigilRun }> = [];
  for (let round = 1; round <= ROUNDS; round++) {
    const directPrefix = `bench-idx-${stamp}-direct-${round}`;
    const vigilPrefix = `bench-idx-${stamp}-vigil-${round}`;
    log(`Round ${round}: direct loader.`);
    const direct = await directRun(directPrefix, docs);
    await cleanup(directPrefix);
    log(`Round ${round}: Vigil.`);
    const vigil = await vigilRun(dir, vigilPrefix, records);
    await cleanup(vigilPrefix);
    rows.push({ round, direct, vigil });
    log(
      `Round ${round}: direct ${count(Math.round(direct))} events/s, Vigil ${count(Math.round(vigil.eventsPerSecond))} events/s.`,
    );
  }
  await rm(dir, { recursive: true, force: true });
  await opensearch.close();
  const median = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    return s.length % 2
      ? (s[(s.length - 1) / 2] as number)
      : ((s[s.length / 2 - 1] as number) + (s[s.length / 2] as number)) / 2;
  };
  const ratios = rows.map((r) => r.vigil.eventsPerSecond / r.direct);
  const ratio = median(ratios);
  const out = [
    `### OpenSearch indexing: Vigil against a direct bulk loader`,
    '',
    `- Date: ${new Date().toISOString()}`,
    `- Command: \`node bench/indexing.ts --events ${EVENTS} --rounds ${ROUNDS} --partitions ${PARTITIONS}\``,
    `- Machine: ${machineLine(machine)}`,
    `- Input: ${count(EVENTS)} Apache access lines as raw records in Kafka (${PARTITIONS} partitions), processed by \`vigil processor\` run with the processor's documented flags (\`${process.env.VIGIL_BENCH_PROCESSOR_FLAGS ?? PROCESSOR_FLAGS}\` after the collector's; built-in apache pipeline, GeoIP, bulk requests of ${BULK_DOCS}, two partitions at a time); the direct loader sends the same documents (same ids, same day indices under another prefix, ${BULK_DOCS} per bulk, one request at a time) to the same single OpenSearch node; fresh indices every run, 0 replicas.`,
    '',
    '| Round | Direct events/s | Vigil events/s | Vigil ÷ direct | Vigil wall s | Vigil CPU s | Vigil events per CPU-s |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows.map(
      (r, i) =>
        `| ${r.round} | ${count(Math.round(r.direct))} | ${count(Math.round(r.vigil.eventsPerSecond))} | ${fixed(ratios[i] as number, 2)} | ${fixed(r.vigil.seconds, 2)} | ${fixed(r.vigil.cpuSeconds, 2)} | ${count(Math.round(EVENTS / r.vigil.cpuSeconds))} |`,
    ),
    '',
    `- Median Vigil ÷ direct: ${fixed(ratio, 2)} (goal ≥ 0.90: ${ratio >= 0.9 ? 'met' : 'not met'}).`,
  ];
  process.stdout.write(`${out.join('\n')}\n`);
}

await main();
