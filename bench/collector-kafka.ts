/**
 * What the Kafka benchmarks share: a Vigil collector run as a separate
 * process (`vigil collector -c <config>`), exactly as users run it, with fresh
 * topics created by `vigil setup --only kafka`; the process's CPU time and
 * peak resident set read from /proc; its /metrics scraped; and a Kafka client
 * that counts the messages in a topic (the sum of its partitions' high
 * watermarks), reads a topic back and decodes its raw records, and deletes
 * the topics afterwards.
 *
 * The collector's Kafka messages are bundles (schema 2: up to
 * `kafka.records_per_message` records of one stream in one message), so
 * message counts are not line counts: a Vigil run is complete when the
 * collector's `vigil_collector_produced_records_total` (records acknowledged
 * by Kafka) reaches the line count, and is checked by reading the topic.
 *
 * Linux only: CPU and memory of child processes come from /proc.
 */
import { execFile, execFileSync, spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { openSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { type Admin, Kafka, logLevel } from 'kafkajs';
import { decodeMessage, type RawRecord } from '../core/event/raw-record.ts';

/** The `vigil` command line, run with the same Node as the benchmark. */
export const VIGIL_BIN = fileURLToPath(new URL('../bin/vigil.ts', import.meta.url));
/** The production bundle of the same command line (`npm run build`, scripts/build.ts). */
export const VIGIL_BUNDLE = fileURLToPath(new URL('../dist/vigil.mjs', import.meta.url));

/** Which `vigil` the collector processes run: the TypeScript sources or the production bundle. */
export type VigilBuild = 'source' | 'dist';
export const VIGIL_BUILDS: readonly VigilBuild[] = ['source', 'dist'];
export const VIGIL_ENTRY: Record<VigilBuild, string> = { source: VIGIL_BIN, dist: VIGIL_BUNDLE };

/**
 * The `vigil` shebang's Node flags (bin/vigil.ts's first line; the bundle starts with the same
 * line). The benchmark starts `node <flags> <entry>` itself, as the shebang would: the warning
 * filter always; the others (`CLI_NODE_FLAGS`) are the default of the collector processes'
 * flags, which a benchmark option can replace. They go on the command line, not in
 * NODE_OPTIONS, which refuses most V8 flags (e.g. `--optimize-for-size`).
 */
const SHEBANG_FLAGS = (readFileSync(VIGIL_BIN, 'utf8').split('\n', 1)[0] ?? '')
  .split(/\s+/)
  .filter((word) => word.startsWith('--'));
const WARNING_FLAG = '--disable-warning=TimeoutNegativeWarning';
const NODE_FLAGS = [WARNING_FLAG];
/** The Node flags the `vigil` command line runs with, besides the warning filter (e.g. `--max-semi-space-size=2`). */
export const CLI_NODE_FLAGS = SHEBANG_FLAGS.filter((flag) => flag !== WARNING_FLAG).join(' ');

/** How often the benchmarks count the messages in Kafka while waiting. */
export const OFFSETS_POLL_MS = 25;
/** A run whose Kafka topic gains no message for this long has failed. */
export const STALL_MS = 60_000;
/** Time allowed for the collector to start and become ready. */
const START_TIMEOUT_MS = 60_000;
/** Time allowed for the collector to stop after SIGTERM before it is killed. */
const STOP_TIMEOUT_MS = 20_000;

const run = promisify(execFile);

/** The goal of issue 3 for the collector's resident memory under load. */
export const RSS_GOAL_BYTES = 150 * 2 ** 20;

/** "peak RSS 213 MiB (goal < 150 MiB: not met)". */
export function rssVerdict(peakRss: number): string {
  const mib = (bytes: number) => Math.round(bytes / 2 ** 20);
  return `peak RSS ${mib(peakRss)} MiB (goal < ${mib(RSS_GOAL_BYTES)} MiB: ${peakRss < RSS_GOAL_BYTES ? 'met' : 'not met'})`;
}

export interface BenchTopics {
  raw: string;
  signals: string;
  alerts: string;
  dlq: string;
}

let topicSerial = 0;
const sessionId = Date.now().toString(36);

/** Fresh names for the four topics `vigil setup` creates, unique to this run. */
export function freshTopics(label: string): BenchTopics {
  topicSerial += 1;
  const prefix = `vigil-bench-${sessionId}-${topicSerial}-${label}`;
  return {
    raw: `${prefix}.raw`,
    signals: `${prefix}.signals`,
    alerts: `${prefix}.alerts`,
    dlq: `${prefix}.dlq`,
  };
}

export function topicList(topics: BenchTopics): string[] {
  return [topics.raw, topics.signals, topics.alerts, topics.dlq];
}

export interface CollectorConfigOptions {
  /** Folder of this run: the config, the collector's state and its log go here. */
  dir: string;
  brokers: readonly string[];
  topics: BenchTopics;
  compression: 'gzip' | 'none';
  /** Port of the telemetry endpoint on 127.0.0.1. */
  httpPort: number;
  files?: ReadonlyArray<{ paths: string[]; dataset: string }>;
  syslog?: ReadonlyArray<{ protocol: 'tcp' | 'udp'; address: string; dataset?: string }>;
}

/**
 * Writes the run's vigil.yaml (JSON is YAML) with only what the benchmark
 * needs: brokers, topics, compression, the telemetry port, the inputs, and a
 * quiet log. Everything else keeps its default. Returns the file's path.
 */
export async function writeCollectorConfig(options: CollectorConfigOptions): Promise<string> {
  const config = {
    http: { address: `127.0.0.1:${options.httpPort}` },
    log: { level: 'warn' },
    kafka: { brokers: options.brokers, compression: options.compression, topics: options.topics },
    collector: {
      id: 'bench',
      data_dir: join(options.dir, 'state'),
      files: options.files ?? [],
      syslog: options.syslog ?? [],
    },
  };
  const file = join(options.dir, 'vigil.yaml');
  await writeFile(file, `${JSON.stringify(config, null, 2)}\n`);
  return file;
}

/**
 * `vigil setup -c <config> --only kafka`: creates the run's topics as users
 * would; then waits until the broker answers offset requests for the raw
 * topic (a new partition's leader needs a moment), so the measured part
 * starts on a topic that is ready.
 */
export async function setupTopics(configFile: string, admin: KafkaAdmin, topics: BenchTopics): Promise<void> {
  try {
    await run(process.execPath, [...NODE_FLAGS, VIGIL_BIN, 'setup', '-c', configFile, '--only', 'kafka']);
  } catch (error) {
    const e = error as { stderr?: string; message: string };
    throw new Error(`vigil setup failed: ${(e.stderr ?? '').trim() || e.message}`, { cause: error });
  }
  const count = await admin.messages(topics.raw);
  if (count !== 0) throw new Error(`The new topic ${topics.raw} already holds ${count} messages.`);
}

/** A free port on 127.0.0.1 (bound once, then released for the collector to take). */
export async function freePort(kind: 'tcp' | 'udp'): Promise<number> {
  if (kind === 'udp') {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(0, '127.0.0.1', () => resolve());
    });
    const { port } = socket.address();
    await new Promise<void>((resolve) => socket.close(() => resolve()));
    return port;
  }
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (!address || typeof address !== 'object') throw new Error('Could not find a free port.');
  return address.port;
}

let clockTicks: number | undefined;

/** Clock ticks per second, the unit of CPU times in /proc/<pid>/stat. */
function ticksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

/** User plus system CPU seconds a process has used so far (all its threads). */
export function processCpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name, which is in parentheses and may hold spaces:
  // state is field 3, utime field 14, stime field 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond();
}

/** Peak (VmHWM) and current (VmRSS) resident set of a process, in bytes. */
export function processMemory(pid: number): { peakRss: number; rss: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (key: string) =>
    Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN);
  return { peakRss: kib('VmHWM') * 1024, rss: kib('VmRSS') * 1024 };
}

/** Prometheus text format, reduced to `name{labels}` → value. */
export type MetricSamples = Map<string, number>;

export function parseMetrics(text: string): MetricSamples {
  const samples: MetricSamples = new Map();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    samples.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return samples;
}

/** Sum of every sample of a metric, over all label values; 0 when absent. */
export function metricSum(samples: MetricSamples, name: string, labelFilter = ''): number {
  let sum = 0;
  for (const [key, value] of samples) {
    if ((key === name || key.startsWith(`${name}{`)) && key.includes(labelFilter)) sum += value;
  }
  return sum;
}

/** A `vigil collector` process. */
export class CollectorProcess {
  readonly pid: number;
  readonly #httpPort: number;
  readonly #logFile: string;
  readonly #exited: Promise<number | null>;
  #exitCode: number | null | undefined;

  private constructor(pid: number, httpPort: number, logFile: string, exited: Promise<number | null>) {
    this.pid = pid;
    this.#httpPort = httpPort;
    this.#logFile = logFile;
    this.#exited = exited.then((code) => {
      this.#exitCode = code;
      return code;
    });
  }

  /**
   * Starts `vigil collector -c <configFile>` and waits until /readyz answers
   * 200. `nodeFlags` (e.g. `--max-semi-space-size=2 --max-old-space-size=128`)
   * go on Node's command line before the entry, where the shebang puts its
   * flags; NODE_OPTIONS is empty, so the benchmark's own never leaks into the
   * collector. `vigil` picks the
   * sources (bin/vigil.ts) or the bundle (dist/vigil.mjs, which must be built).
   */
  static async start(
    configFile: string,
    httpPort: number,
    logFile: string,
    nodeFlags = '',
    vigil: VigilBuild = 'source',
  ): Promise<CollectorProcess> {
    const log = openSync(logFile, 'a');
    const entry = VIGIL_ENTRY[vigil];
    const flags = nodeFlags.split(/\s+/).filter((flag) => flag !== '');
    const child = spawn(process.execPath, [...NODE_FLAGS, ...flags, entry, 'collector', '-c', configFile], {
      stdio: ['ignore', log, log],
      env: { ...process.env, NODE_OPTIONS: '' },
    });
    const exited = new Promise<number | null>((resolve) => {
      child.once('exit', (code, signal) => resolve(code ?? (signal ? -1 : null)));
    });
    if (child.pid === undefined) throw new Error('The collector process did not start.');
    const collector = new CollectorProcess(child.pid, httpPort, logFile, exited);
    const deadline = performance.now() + START_TIMEOUT_MS;
    for (;;) {
      if (collector.#exitCode !== undefined) {
        throw new Error(
          `The collector exited with code ${collector.#exitCode} while starting: ${collector.logTail()}`,
        );
      }
      const ready = await fetch(`http://127.0.0.1:${httpPort}/readyz`).then(
        (res) => res.status === 200,
        () => false,
      );
      if (ready) return collector;
      if (performance.now() > deadline) {
        await collector.stop();
        throw new Error(`The collector was not ready after ${START_TIMEOUT_MS} ms: ${collector.logTail()}`);
      }
      await sleep(20);
    }
  }

  /** Why the process is gone, or undefined while it runs. */
  get exitReason(): string | undefined {
    return this.#exitCode === undefined ? undefined : `the collector exited with code ${this.#exitCode}`;
  }

  cpuSeconds(): number {
    return processCpuSeconds(this.pid);
  }

  memory(): { peakRss: number; rss: number } {
    return processMemory(this.pid);
  }

  async metrics(): Promise<MetricSamples> {
    const res = await fetch(`http://127.0.0.1:${this.#httpPort}/metrics`);
    return parseMetrics(await res.text());
  }

  /** The end of the collector's log, for error messages. */
  logTail(): string {
    try {
      const text = readFileSync(this.#logFile, 'utf8').trim();
      return text === '' ? '(its log is empty)' : text.slice(-2000);
    } catch {
      return '(no log)';
    }
  }

  /** SIGTERM, then SIGKILL if it has not exited in time; resolves with the exit code. */
  async stop(): Promise<number | null> {
    if (this.#exitCode !== undefined) return this.#exitCode;
    process.kill(this.pid, 'SIGTERM');
    const timer = setTimeout(() => {
      if (this.#exitCode === undefined) process.kill(this.pid, 'SIGKILL');
    }, STOP_TIMEOUT_MS);
    const code = await this.#exited;
    clearTimeout(timer);
    return code;
  }
}

/** What a topic held when read back from its beginning (see `KafkaAdmin.readRecords`). */
export interface TopicContents {
  /** Kafka messages (bundles, or single records of schema 1). */
  messages: number;
  /** Raw records decoded from them. */
  records: number;
  /** Bytes of the messages' values, uncompressed (JSON). */
  valueBytes: number;
  /** Messages whose value `decodeMessage` refused. */
  invalid: number;
  /** The first refusal's reason, if any. */
  firstInvalid?: string;
}

/** How long reading a topic back may take. */
const READ_TIMEOUT_MS = 120_000;

let readerSerial = 0;

/** A Kafka admin connection: counts messages in topics, reads topics back, deletes them. */
export class KafkaAdmin {
  readonly #kafka: Kafka;
  readonly #admin: Admin;

  private constructor(kafka: Kafka, admin: Admin) {
    this.#kafka = kafka;
    this.#admin = admin;
  }

  static async connect(brokers: readonly string[]): Promise<KafkaAdmin> {
    const kafka = new Kafka({ clientId: 'vigil-bench', brokers: [...brokers], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    try {
      await admin.connect();
    } catch (error) {
      throw new Error(
        `Cannot reach Kafka at ${brokers.join(', ')} (start it with \`npm run stack:up\`): ${(error as Error).message}`,
        { cause: error },
      );
    }
    return new KafkaAdmin(kafka, admin);
  }

  /** Messages in a topic: the sum of its partitions' high watermarks (fresh topics start at 0). */
  async messages(topic: string): Promise<number> {
    for (let attempt = 1; ; attempt++) {
      try {
        const offsets = await this.#admin.fetchTopicOffsets(topic);
        let sum = 0;
        for (const p of offsets) sum += Number(p.high) - Number(p.low);
        return sum;
      } catch (error) {
        // Right after a topic is created the admin's metadata may name a stale leader
        // ("not the leader for that topic-partition"); kafkajs marks such errors retriable.
        if ((error as { retriable?: boolean }).retriable !== true || attempt >= 20) throw error;
        await sleep(100);
      }
    }
  }

  /**
   * Polls until the topic holds at least `expected` messages; resolves with
   * the moment (performance.now()) that was first seen and the count then.
   * Fails when `failure()` names a reason (e.g. the producer died) or when no
   * message arrives for STALL_MS.
   */
  async waitForMessages(
    topic: string,
    expected: number,
    failure: () => string | undefined = () => undefined,
  ): Promise<{ at: number; count: number }> {
    let last = -1;
    let lastProgress = performance.now();
    for (;;) {
      const count = await this.messages(topic);
      const at = performance.now();
      if (count >= expected) return { at, count };
      const reason = failure();
      if (reason) throw new Error(`Kafka topic ${topic} holds ${count} of ${expected} messages: ${reason}.`);
      if (count > last) {
        last = count;
        lastProgress = at;
      } else if (at - lastProgress > STALL_MS) {
        throw new Error(
          `Kafka topic ${topic} holds ${count} of ${expected} messages and gained none for ${STALL_MS} ms.`,
        );
      }
      await sleep(OFFSETS_POLL_MS);
    }
  }

  /**
   * Reads a topic from its beginning up to the high watermarks it has now,
   * decodes every message with `decodeMessage` (either schema) and hands each
   * record to `onRecord`; returns the counts. Uses a consumer in a fresh
   * group, which is deleted afterwards.
   */
  async readRecords(topic: string, onRecord: (record: RawRecord) => void): Promise<TopicContents> {
    const expected = await this.messages(topic);
    const contents: TopicContents = { messages: 0, records: 0, valueBytes: 0, invalid: 0 };
    if (expected === 0) return contents;
    readerSerial += 1;
    const groupId = `vigil-bench-${sessionId}-reader-${readerSerial}`;
    const consumer = this.#kafka.consumer({
      groupId,
      allowAutoTopicCreation: false,
      maxBytes: 64 * 2 ** 20,
      maxBytesPerPartition: 16 * 2 ** 20,
    });
    await consumer.connect();
    try {
      await consumer.subscribe({ topic, fromBeginning: true });
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () =>
            reject(
              new Error(
                `Read ${contents.messages} of ${expected} messages of ${topic} in ${READ_TIMEOUT_MS} ms.`,
              ),
            ),
          READ_TIMEOUT_MS,
        );
        consumer
          .run({
            autoCommit: false,
            eachBatch: async ({ batch }) => {
              for (const message of batch.messages) {
                contents.messages += 1;
                const value = message.value ?? Buffer.alloc(0);
                contents.valueBytes += value.length;
                const decoded = decodeMessage(value.toString('utf8'));
                if ('invalid' in decoded) {
                  contents.invalid += 1;
                  contents.firstInvalid ??= decoded.invalid;
                  continue;
                }
                contents.records += decoded.length;
                for (const record of decoded) onRecord(record);
              }
              if (contents.messages >= expected) {
                clearTimeout(timer);
                resolve();
              }
            },
          })
          .catch((error: unknown) => {
            clearTimeout(timer);
            reject(error);
          });
      });
    } finally {
      await consumer.disconnect();
      await this.#admin.deleteGroups([groupId]).catch(() => {});
    }
    return contents;
  }

  /** Waits until the broker answers again (e.g. after another process restarted it). */
  async waitForBroker(timeoutMs = BROKER_BACK_TIMEOUT_MS): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      try {
        await this.#admin.listTopics();
        return;
      } catch (error) {
        if (performance.now() > deadline) {
          throw new Error(`Kafka did not answer for ${timeoutMs} ms: ${(error as Error).message}`, {
            cause: error,
          });
        }
        await sleep(1000);
      }
    }
  }

  async deleteTopics(topics: readonly string[]): Promise<void> {
    const existing = new Set(await this.#admin.listTopics());
    const present = topics.filter((t) => existing.has(t));
    if (present.length > 0) await this.#admin.deleteTopics({ topics: present, timeout: 30_000 });
  }

  async disconnect(): Promise<void> {
    await this.#admin.disconnect();
  }
}

/** How long a failed run waits for the broker to answer again before it is repeated. */
const BROKER_BACK_TIMEOUT_MS = 300_000;
/** Attempts at one run before the benchmark gives up. */
const RUN_ATTEMPTS = 3;

/** A run that was thrown away and taken again, and why. */
export interface RepeatedRun {
  run: string;
  reason: string;
}

/**
 * Runs `run`, and takes it again (up to RUN_ATTEMPTS in all) when it fails
 * or when `disturbed` finds a reason in its result (e.g. the collector had to
 * retry batches): on a shared development machine the broker is sometimes
 * restarted by other processes (fault tests), which breaks or slows the run
 * in progress. Waits for the broker to answer before the next attempt, and
 * records every repetition in `repeats`.
 */
export async function withRepeats<T>(
  admin: KafkaAdmin,
  name: string,
  run: () => Promise<T>,
  repeats: RepeatedRun[],
  progress: (message: string) => void,
  disturbed: (result: T) => string | undefined = () => undefined,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    let reason: string;
    try {
      const result = await run();
      const trouble = disturbed(result);
      if (trouble === undefined || attempt >= RUN_ATTEMPTS) return result;
      reason = trouble;
    } catch (error) {
      if (attempt >= RUN_ATTEMPTS) throw error;
      reason = (error as Error).message.slice(0, 300);
    }
    repeats.push({ run: name, reason });
    progress(`${name}: taken again (${reason}).`);
    await admin.waitForBroker();
  }
}

/** The collector's counter of records Kafka acknowledged (all in-sync replicas). */
export const PRODUCED_RECORDS = 'vigil_collector_produced_records_total';
/** How often `waitForRecords` scrapes the collector's /metrics (each scrape costs it ≈ 1.5 ms of CPU). */
const METRICS_POLL_MS = 200;

/**
 * Waits until the collector's `vigil_collector_produced_records_total`
 * reaches `expected`; resolves with the moment the last of them reached
 * Kafka, and the counts then.
 *
 * Scraping /metrics costs the measured process CPU, so it is scraped only
 * every METRICS_POLL_MS; the moment is taken from the topic's high watermarks
 * instead, polled every OFFSETS_POLL_MS at no cost to the collector: it is
 * when the message count that holds the last record was first seen (the
 * broker appends a message before the collector's acknowledgement counts its
 * records). Fails when `failure()` names a reason, or when neither count
 * moves for STALL_MS.
 */
export async function waitForRecords(
  admin: KafkaAdmin,
  collector: CollectorProcess,
  topic: string,
  expected: number,
  failure: () => string | undefined = () => undefined,
): Promise<{ at: number; records: number; messages: number }> {
  let messages = -1;
  let messagesSeenAt = performance.now();
  let records = -1;
  let lastScrape = Number.NEGATIVE_INFINITY;
  let lastProgress = performance.now();
  const pollMessages = async () => {
    const count = await admin.messages(topic);
    const at = performance.now();
    if (count !== messages) {
      messages = count;
      messagesSeenAt = at;
      lastProgress = at;
    }
  };
  for (;;) {
    await pollMessages();
    const now = performance.now();
    if (now - lastScrape >= METRICS_POLL_MS) {
      lastScrape = now;
      // A collector that has exited does not answer; failure() below says why.
      const samples = await collector.metrics().catch(() => undefined);
      const produced = samples ? metricSum(samples, PRODUCED_RECORDS) : records;
      if (produced !== records) {
        records = produced;
        lastProgress = performance.now();
      }
      if (records >= expected) {
        // The watermark after the scrape covers every acknowledged record.
        await pollMessages();
        return { at: messagesSeenAt, records, messages };
      }
    }
    const reason = failure();
    if (reason) {
      throw new Error(
        `The collector had produced ${records} of ${expected} records (${messages} messages in ${topic}): ${reason}.`,
      );
    }
    if (performance.now() - lastProgress > STALL_MS) {
      throw new Error(
        `The collector had produced ${records} of ${expected} records (${messages} messages in ${topic}) ` +
          `and made no progress for ${STALL_MS} ms.`,
      );
    }
    await sleep(OFFSETS_POLL_MS);
  }
}

/** Kernel UDP counters of this network namespace (/proc/net/snmp). */
export interface UdpCounters {
  inDatagrams: number;
  inErrors: number;
  rcvbufErrors: number;
}

export function udpCounters(): UdpCounters {
  const lines = readFileSync('/proc/net/snmp', 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('Udp:'));
  const names = (lines[0] ?? '').split(/\s+/).slice(1);
  const values = (lines[1] ?? '').split(/\s+/).slice(1).map(Number);
  const get = (name: string) => values[names.indexOf(name)] ?? Number.NaN;
  return { inDatagrams: get('InDatagrams'), inErrors: get('InErrors'), rcvbufErrors: get('RcvbufErrors') };
}

/** The largest socket receive buffer an unprivileged SO_RCVBUF may ask for (bytes). */
export function maxReceiveBuffer(): number {
  try {
    return Number(readFileSync('/proc/sys/net/core/rmem_max', 'utf8').trim());
  } catch {
    return Number.NaN;
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * One syslog run's collector: a free telemetry port and listener port, the
 * run's vigil.yaml with one listener, its topics made by `vigil setup`, and
 * the collector started. The caller owns `topics` (made before, cleaned up
 * after) and stops the collector.
 */
export async function startSyslogCollector(options: {
  protocol: 'tcp' | 'udp';
  dir: string;
  brokers: readonly string[];
  topics: BenchTopics;
  admin: KafkaAdmin;
  nodeFlags?: string;
  vigil?: VigilBuild;
}): Promise<{ collector: CollectorProcess; address: string }> {
  const httpPort = await freePort('tcp');
  const address = `127.0.0.1:${await freePort(options.protocol)}`;
  const config = await writeCollectorConfig({
    dir: options.dir,
    brokers: options.brokers,
    topics: options.topics,
    compression: 'gzip',
    httpPort,
    syslog: [{ protocol: options.protocol, address }],
  });
  await setupTopics(config, options.admin, options.topics);
  const collector = await CollectorProcess.start(
    config,
    httpPort,
    join(options.dir, 'collector.log'),
    options.nodeFlags,
    options.vigil,
  );
  return { collector, address };
}
