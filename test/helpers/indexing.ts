/**
 * Shared steps of the indexing tests: a processor configuration with fresh
 * topic and index names, raw records produced straight into vigil.raw the
 * way collectors send them (bundles keyed by stream), and exact counts of
 * what reached OpenSearch and the dead-letter topic.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@opensearch-project/opensearch';
import { CompressionTypes } from 'kafkajs';
import { encodeBundle, type RawRecord, recordKey, SCHEMA_HEADER } from '../../core/event/raw-record.ts';
import { ROOT, runVigil, type VigilProcess } from './cli.ts';
import { deleteTopics, testKafka } from './kafka-topic.ts';
import { KAFKA_BROKERS, listenPort, OPENSEARCH_URL, uniqueName } from './services.ts';

export interface IndexingRun {
  dir: string;
  prefix: string;
  /** The OpenSearch endpoint. */
  url: string;
  rawTopic: string;
  dlqTopic: string;
  opensearch: Client;
  /** Writes a processor configuration serving telemetry on `httpPort` (0: no telemetry); returns its path. */
  config(httpPort?: number): string;
  cleanup(): Promise<void>;
}

export interface IndexingRunOptions {
  opensearchUrl?: string;
  /** Extra keys of the `opensearch:` section, as YAML flow entries. */
  opensearch?: string;
  /** Extra lines of the `processor:` section (indented by two spaces). */
  processor?: string;
  partitions?: number;
}

export function indexingRun(name: string, options: IndexingRunOptions = {}): IndexingRun {
  const dir = mkdtempSync(join(tmpdir(), `vigil-${name}-`));
  const prefix = uniqueName(`e2e-${name}`);
  const url = options.opensearchUrl ?? OPENSEARCH_URL;
  const opensearch = new Client({ node: url });
  return {
    dir,
    prefix,
    url,
    rawTopic: `${prefix}.raw`,
    dlqTopic: `${prefix}.dlq`,
    opensearch,
    config(httpPort = 0) {
      const file = join(dir, `vigil-${httpPort}.yaml`);
      writeFileSync(
        file,
        `kafka:
  brokers: ${JSON.stringify(KAFKA_BROKERS)}
  partitions: ${options.partitions ?? 4}
  topics: { raw: ${prefix}.raw, signals: ${prefix}.signals, alerts: ${prefix}.alerts, dlq: ${prefix}.dlq }
opensearch: { url: ${url}, index_prefix: ${prefix}, index_replicas: 0, retry_max_ms: 2000${options.opensearch ? `, ${options.opensearch}` : ''} }
http: ${httpPort > 0 ? `{ address: "127.0.0.1:${httpPort}" }` : '{ enabled: false }'}
log: { level: info }
processor:
  group_id: ${prefix}-processors
  session_timeout_ms: 6000
${options.processor ?? ''}
`,
      );
      return file;
    },
    cleanup: () => cleanupRun({ prefix, dir, opensearch }),
  };
}

/**
 * Stops the Vigil processes a test left running, then deletes what a run made
 * under `prefix` (topics, indices, health index, templates) and its folder.
 */
export async function cleanupRun(run: {
  prefix: string;
  dir: string;
  opensearch: Client;
  processes?: readonly VigilProcess[];
}): Promise<void> {
  for (const p of run.processes ?? []) {
    if (p.child.exitCode === null && p.child.signalCode === null) {
      p.child.kill('SIGTERM');
      await p.exited;
    }
  }
  const { prefix, opensearch } = run;
  await deleteTopics(['raw', 'signals', 'alerts', 'dlq'].map((t) => `${prefix}.${t}`)).catch(() => {});
  await opensearch.indices.delete({ index: `${prefix}-*` }).catch(() => {});
  await opensearch.indices.delete({ index: `${prefix}_health` }).catch(() => {});
  await opensearch.indices.deleteIndexTemplate({ name: `${prefix}-*` }).catch(() => {});
  await opensearch.close();
  rmSync(run.dir, { recursive: true, force: true });
}

/** `vigil setup` for the run's topics and template; fails the test with the output when it fails. */
export async function setupRun(configFile: string): Promise<void> {
  const result = await runVigil(['setup', '-c', configFile]);
  if (result.code !== 0) throw new Error(`vigil setup failed:\n${result.stdout}${result.stderr}`);
}

/** Raw file records `first` … `first + count - 1`, spread over `streams` streams of one host. */
export function fileRecords(
  first: number,
  count: number,
  options: { streams?: number; dataset?: string; line?: (n: number) => string } = {},
): RawRecord[] {
  const streams = options.streams ?? 8;
  const observed = new Date().toISOString();
  const records: RawRecord[] = [];
  for (let n = first; n < first + count; n++) {
    records.push({
      collector: { id: 'e2e-host', version: '0.1.0' },
      host: { name: 'e2e-host' },
      stream: { id: `file:s${n % streams}`, kind: 'file' },
      offset: n,
      line: options.line ? options.line(n) : `event ${n} user=u${n % 50} action=login`,
      dataset: options.dataset ?? 'e2e.index',
      observed_at: observed,
      file: { path: `/var/log/e2e-${n % streams}.log` },
    });
  }
  return records;
}

/** Produces records as collectors do: consecutive records of one stream bundled, keyed by stream. */
export async function produce(topic: string, records: readonly RawRecord[], bundle = 200): Promise<void> {
  const byStream = new Map<string, RawRecord[]>();
  for (const record of records) {
    const key = recordKey(record);
    const list = byStream.get(key);
    if (list) list.push(record);
    else byStream.set(key, [record]);
  }
  const messages: Array<{ key: string; value: string; headers: Record<string, string> }> = [];
  for (const [key, list] of byStream) {
    for (let i = 0; i < list.length; i += bundle) {
      messages.push({
        key,
        value: encodeBundle(list.slice(i, i + bundle)),
        headers: { [SCHEMA_HEADER]: '2' },
      });
    }
  }
  const producer = testKafka().producer({ allowAutoTopicCreation: false });
  await producer.connect();
  try {
    for (let i = 0; i < messages.length; i += 50) {
      await producer.send({
        topic,
        acks: -1,
        compression: CompressionTypes.None,
        messages: messages.slice(i, i + 50),
      });
    }
  } finally {
    await producer.disconnect();
  }
}

/** Documents under `<prefix>-*`, after a refresh. */
export async function indexedCount(opensearch: Client, prefix: string): Promise<number> {
  await opensearch.indices.refresh({ index: `${prefix}-*`, allow_no_indices: true }).catch(() => {});
  const response = await opensearch
    .count({ index: `${prefix}-*`, allow_no_indices: true })
    .catch(() => undefined);
  return (response?.body.count as number | undefined) ?? 0;
}

/** Exact number of distinct raw-record identities indexed (composite aggregation, page by page). */
export async function distinctRecords(opensearch: Client, prefix: string): Promise<number> {
  let after: Record<string, string> | undefined;
  let distinct = 0;
  for (;;) {
    const response = await opensearch.search({
      index: `${prefix}-*`,
      body: {
        size: 0,
        aggs: {
          ids: {
            composite: {
              size: 10_000,
              sources: [{ id: { terms: { field: 'vigil.record.id' } } }],
              ...(after ? { after } : {}),
            },
          },
        },
      },
    });
    const ids = (
      response.body.aggregations as { ids: { buckets: unknown[]; after_key?: Record<string, string> } }
    ).ids;
    distinct += ids.buckets.length;
    if (ids.buckets.length === 0 || !ids.after_key) return distinct;
    after = ids.after_key;
  }
}

/** Every JSON value of a topic (the dead-letter queue), read until `expected` values were seen. */
export async function readJsonTopic(topic: string, expected: number, timeoutMs = 60_000): Promise<unknown[]> {
  const consumer = testKafka().consumer({
    groupId: uniqueName('json-reader'),
    allowAutoTopicCreation: false,
  });
  const values: unknown[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(new Error(`Read ${values.length} of ${expected} values from ${topic} before the timeout.`)),
        timeoutMs,
      );
      consumer
        .run({
          eachMessage: async ({ message }) => {
            values.push(JSON.parse(message.value?.toString() ?? 'null'));
            if (values.length >= expected) {
              clearTimeout(timer);
              resolve();
            }
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  return values;
}

/** Sum of a metric's samples (all label sets) in a process's /metrics text. */
export async function metricSum(httpPort: number, name: string, labels = ''): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    if (!(rest.startsWith(' ') || rest.startsWith('{'))) continue;
    if (labels && !rest.includes(labels)) continue;
    sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

/** Resident memory of a process, in MiB (Linux). */
export function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return kb / 1024;
}

/** Runs the project's stack script (start or stop services), with extra environment. */
export function stack(args: string[], env: Record<string, string> = {}): void {
  execFileSync(process.execPath, [join(ROOT, 'scripts', 'stack.ts'), ...args, '--quiet'], {
    stdio: 'pipe',
    env: { ...process.env, ...env },
    timeout: 300_000,
  });
}

/** A free-looking TCP port for a telemetry endpoint. */
export function randomPort(): number {
  return listenPort();
}
