/**
 * File → Kafka throughput of the Vigil collector, against kcat producing the
 * same file to the same broker in the same session.
 *
 * Vigil: `vigil collector -c <config>` runs as its own process with every
 * setting at its default except brokers, fresh topics (created by `vigil
 * setup --only kafka`), `kafka.compression`, the telemetry port and a glob
 * over an empty folder. Once it is ready, the input is hard-linked into that
 * folder (an atomic appearance of a complete file); the run lasts from then
 * until Kafka has acknowledged a record per line (the collector's
 * `vigil_collector_produced_records_total`; its messages are bundles of up to
 * `kafka.records_per_message` records). CPU time is the collector process's
 * user + system time over that span (/proc/<pid>/stat), so its start-up is
 * not counted; peak RSS is its VmHWM, start-up included. Afterwards the topic
 * is read back and decoded: it must hold each line exactly once.
 *
 * kcat: `kcat -P -l <file> -X acks=all -z gzip|none` to a fresh topic made
 * the same way, under /usr/bin/time for its CPU time and peak RSS; it sends
 * one message per line, and its run lasts from spawning it until the topic
 * holds a message per line.
 *
 * Each round runs kcat then Vigil, with gzip, then again without compression,
 * so noise from the shared machine falls on both; medians are reported.
 */
import { execFile, spawn } from 'node:child_process';
import { openSync } from 'node:fs';
import { link, mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  type BenchTopics,
  CollectorProcess,
  freePort,
  freshTopics,
  type KafkaAdmin,
  metricSum,
  type RepeatedRun,
  rssVerdict,
  setupTopics,
  topicList,
  type VigilBuild,
  waitForRecords,
  withRepeats,
  writeCollectorConfig,
} from './collector-kafka.ts';
import {
  checkFileDelivery,
  type DeliveryCheck,
  deliveredExactlyOnce,
  deliverySummary,
  InputLines,
} from './delivery.ts';
import { count, fixed, mib } from './format.ts';
import { readSourceLines, writeRepeatedLines } from './inputs.ts';
import { median } from './measure.ts';

/** Where GNU time lives on Debian (package `time`). */
const GNU_TIME = '/usr/bin/time';
/** The goal of issue 3: Vigil moves at least half as many lines per second as kcat. */
export const KCAT_RATIO_GOAL = 0.5;

export type Compression = 'gzip' | 'none';
export type Producer = 'kcat' | 'vigil';

export interface FileKafkaOptions {
  /** Log whose lines are repeated to make the input. */
  source: string;
  lines: number;
  rounds: number;
  /** Lines of one unmeasured round (kcat and Vigil, gzip) run first; 0 for none. */
  warmupLines: number;
  workDir: string;
  brokers: string[];
  admin: KafkaAdmin;
  /** Node flags of the collector processes (e.g. `--max-old-space-size=128`); empty for none. */
  nodeFlags?: string;
  /** Which `vigil` the collector processes run (default the sources). */
  vigil?: VigilBuild;
  progress?: (message: string) => void;
}

/** One producer moving the whole file into Kafka. */
export interface ProduceMeasurement {
  /** From the file's appearance (Vigil) or kcat's spawn until Kafka holds every line. */
  seconds: number;
  /** CPU of the producing process over that span (Vigil) or its whole life (kcat). */
  cpuSeconds: number;
  /** Highest resident set of the producing process (bytes). */
  peakRss: number;
  /**
   * Messages in the topic after the producer stopped: kcat one per line (more
   * would be duplicates); Vigil bundles of records.
   */
  messagesInKafka: number;
  /** Vigil: what the topic held, read back and decoded, against the input lines. */
  delivery?: DeliveryCheck;
  /** Vigil: CPU seconds spent starting up, before the input appeared (not in cpuSeconds). */
  startupCpuSeconds?: number;
  /** Vigil: resident set when ready, before the input appeared (bytes). */
  readyRss?: number;
  /** Vigil: `vigil_collector_produced_bytes_total` (values plus 64 bytes per message, the collector's estimate). */
  producedBytes?: number;
  /** Vigil: `vigil_collector_produced_records_total` when the run ended. */
  producedRecords?: number;
  /** Vigil: batches that failed and were retried. */
  shipFailures?: number;
}

export interface FileKafkaRun extends ProduceMeasurement {
  producer: Producer;
  compression: Compression;
  round: number;
  lines: number;
  bytes: number;
  linesPerSecond: number;
  linesPerCpuSecond: number;
}

export interface ProducerSummary {
  producer: Producer;
  compression: Compression;
  medianLinesPerSecond: number;
  minLinesPerSecond: number;
  maxLinesPerSecond: number;
  medianLinesPerCpuSecond: number;
  medianSeconds: number;
  medianCpuSeconds: number;
  /** CPU seconds per wall second: how many cores the producer kept busy. */
  medianCores: number;
  /** Largest peak RSS over the rounds (bytes). */
  peakRss: number;
  /** Median peak RSS over the rounds (bytes). */
  medianPeakRss: number;
  /** Bytes per line as produced, uncompressed (Vigil: its JSON bundles' bytes ÷ records; kcat: the line). */
  bytesPerRecord: number;
  /** Kafka messages per run (median); kcat sends one per line. */
  medianMessages: number;
  /** Lines (records) per Kafka message. */
  recordsPerMessage: number;
}

export interface CompressionComparison {
  compression: Compression;
  kcat: ProducerSummary;
  vigil: ProducerSummary;
  /** Vigil's median lines/s ÷ kcat's. */
  ratio: number;
  /** Vigil's median lines per CPU-second ÷ kcat's. */
  cpuRatio: number;
  /** Per round: the pair ran back to back. */
  roundRatios: Array<{ round: number; ratio: number; cpuRatio: number }>;
}

export interface FileKafkaResult {
  lines: number;
  inputBytes: number;
  rounds: number;
  warmupLines: number;
  kcatVersion: string;
  /** Node flags of the collector processes; empty for none. */
  nodeFlags: string;
  vigil: VigilBuild;
  /** Runs thrown away and taken again (the shared broker was restarted, say). */
  repeats: RepeatedRun[];
  runs: FileKafkaRun[];
  comparisons: CompressionComparison[];
}

export async function fileKafkaThroughput(options: FileKafkaOptions): Promise<FileKafkaResult> {
  const say = options.progress ?? (() => {});
  const kcatVersion = await kcatVersionLine();
  const sourceLines = await readSourceLines(options.source);
  await mkdir(join(options.workDir, 'input'), { recursive: true });
  const input = join(options.workDir, 'input', 'file-kafka.log');
  const inputBytes = await writeRepeatedLines(sourceLines, options.lines, input);
  const inputLines = new InputLines(sourceLines, options.lines);
  const nodeFlags = options.nodeFlags ?? '';
  say(
    `File → Kafka input: ${options.lines} lines (${inputBytes} bytes); ${kcatVersion}` +
      (nodeFlags === '' ? '.' : `; collector Node flags "${nodeFlags}".`),
  );
  const vigil = options.vigil ?? 'source';
  const context = { admin: options.admin, brokers: options.brokers, nodeFlags, vigil };

  if (options.warmupLines > 0) {
    const warmup = join(options.workDir, 'input', 'file-kafka-warmup.log');
    await writeRepeatedLines(sourceLines, options.warmupLines, warmup);
    const warm = {
      ...context,
      input: warmup,
      inputLines: new InputLines(sourceLines, options.warmupLines),
      dir: join(options.workDir, 'warmup'),
      compression: 'gzip' as const,
    };
    await withRepeats(options.admin, 'warm-up kcat', () => kcatFileRun(warm), [], say);
    await withRepeats(options.admin, 'warm-up Vigil', () => vigilFileRun(warm), [], say);
    say(`File → Kafka warm-up round of ${options.warmupLines} lines done (not counted).`);
  }

  const repeats: RepeatedRun[] = [];
  const runs: FileKafkaRun[] = [];
  const compressions: Compression[] = ['gzip', 'none'];
  for (let round = 1; round <= options.rounds; round++) {
    for (const compression of compressions) {
      for (const producer of ['kcat', 'vigil'] as const) {
        const dir = join(options.workDir, `${producer}-${compression}-${round}`);
        const run = { ...context, input, inputLines, dir, compression };
        const m = await withRepeats(
          options.admin,
          `round ${round} ${producer} ${compression}`,
          () => (producer === 'kcat' ? kcatFileRun(run) : vigilFileRun(run)),
          repeats,
          say,
          (result) => disturbance(result, options.lines),
        );
        const result: FileKafkaRun = {
          producer,
          compression,
          round,
          lines: options.lines,
          bytes: inputBytes,
          linesPerSecond: options.lines / m.seconds,
          linesPerCpuSecond: options.lines / m.cpuSeconds,
          ...m,
        };
        runs.push(result);
        say(
          `File → Kafka round ${round}/${options.rounds}, ${producer} ${compression}: ` +
            `${Math.round(result.linesPerSecond)} lines/s, ${Math.round(result.linesPerCpuSecond)} lines/CPU-s, ` +
            `${m.seconds.toFixed(2)} s, peak RSS ${mib(m.peakRss)} MiB, ${m.messagesInKafka} messages` +
            (m.delivery ? `; read back: ${deliverySummary(m.delivery)}.` : '.'),
        );
      }
    }
  }

  const comparisons = compressions.map((compression) => {
    const kcat = summarize(runs, 'kcat', compression, inputBytes);
    const vigil = summarize(runs, 'vigil', compression, inputBytes);
    const roundRatios: CompressionComparison['roundRatios'] = [];
    for (let round = 1; round <= options.rounds; round++) {
      const k = runs.find((r) => r.round === round && r.producer === 'kcat' && r.compression === compression);
      const v = runs.find(
        (r) => r.round === round && r.producer === 'vigil' && r.compression === compression,
      );
      if (k && v) {
        roundRatios.push({
          round,
          ratio: v.linesPerSecond / k.linesPerSecond,
          cpuRatio: v.linesPerCpuSecond / k.linesPerCpuSecond,
        });
      }
    }
    return {
      compression,
      kcat,
      vigil,
      ratio: vigil.medianLinesPerSecond / kcat.medianLinesPerSecond,
      cpuRatio: vigil.medianLinesPerCpuSecond / kcat.medianLinesPerCpuSecond,
      roundRatios,
    };
  });
  return {
    lines: options.lines,
    inputBytes,
    rounds: options.rounds,
    warmupLines: options.warmupLines,
    kcatVersion,
    nodeFlags,
    vigil,
    repeats,
    runs,
    comparisons,
  };
}

/**
 * Why a finished run does not measure the producer alone: Vigil retried
 * batches (the broker was unavailable for a while), or kcat's topic holds
 * more or fewer messages than lines. Undefined when there is nothing wrong.
 */
export function disturbance(m: ProduceMeasurement, lines: number): string | undefined {
  if ((m.shipFailures ?? 0) > 0) return `the collector retried ${m.shipFailures} failed batches`;
  if (m.delivery === undefined && m.messagesInKafka !== lines) {
    return `kcat left ${m.messagesInKafka} messages for ${lines} lines`;
  }
  return undefined;
}

export interface FileRunOptions {
  admin: KafkaAdmin;
  brokers: string[];
  /** The complete input file. */
  input: string;
  /** Its lines, to check what reached Kafka. */
  inputLines: InputLines;
  /** Folder of this run; created, and removed afterwards. */
  dir: string;
  compression: Compression;
  /** Node flags of the collector process (Vigil runs only); empty for none. */
  nodeFlags?: string;
  /** Which `vigil` the collector process runs (Vigil runs only; default the sources). */
  vigil?: VigilBuild;
}

/** One Vigil collector process shipping the input file to a fresh topic. */
export async function vigilFileRun(options: FileRunOptions): Promise<ProduceMeasurement> {
  const { admin, dir } = options;
  const { lines } = options.inputLines;
  await rm(dir, { recursive: true, force: true });
  await mkdir(join(dir, 'in'), { recursive: true });
  const topics = freshTopics(`file-vigil-${options.compression}`);
  let collector: CollectorProcess | undefined;
  try {
    const httpPort = await freePort('tcp');
    const config = await writeCollectorConfig({
      dir,
      brokers: options.brokers,
      topics,
      compression: options.compression,
      httpPort,
      files: [{ paths: [join(dir, 'in', '*.log')], dataset: 'apache.access' }],
    });
    await setupTopics(config, admin, topics);
    collector = await CollectorProcess.start(
      config,
      httpPort,
      join(dir, 'collector.log'),
      options.nodeFlags,
      options.vigil,
    );
    const running = collector;
    const startupCpu = running.cpuSeconds();
    const readyRss = running.memory().rss;
    const started = performance.now();
    await link(options.input, join(dir, 'in', 'input.log'));
    const done = await waitForRecords(admin, running, topics.raw, lines, () => running.exitReason);
    const cpuSeconds = running.cpuSeconds() - startupCpu;
    const { peakRss } = running.memory();
    const metrics = await running.metrics();
    await stopCollector(running);
    return {
      seconds: (done.at - started) / 1000,
      cpuSeconds,
      peakRss,
      messagesInKafka: await admin.messages(topics.raw),
      delivery: await checkFileDelivery(admin, topics.raw, options.inputLines),
      startupCpuSeconds: startupCpu,
      readyRss,
      producedBytes: metricSum(metrics, 'vigil_collector_produced_bytes_total'),
      producedRecords: metricSum(metrics, 'vigil_collector_produced_records_total'),
      shipFailures: metricSum(metrics, 'vigil_collector_ship_failures_total'),
    };
  } finally {
    await collector?.stop();
    await cleanUp(admin, topics, dir);
  }
}

/** `kcat -P` producing the input file to a fresh topic, acks from all in-sync replicas. */
async function kcatFileRun(options: FileRunOptions): Promise<ProduceMeasurement> {
  const { admin, dir } = options;
  const { lines } = options.inputLines;
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const topics = freshTopics(`file-kcat-${options.compression}`);
  try {
    // The topic is created by `vigil setup`, so it has the same partitions and settings as Vigil's.
    const config = await writeCollectorConfig({
      dir,
      brokers: options.brokers,
      topics,
      compression: options.compression,
      httpPort: 0,
    });
    await setupTopics(config, admin, topics);
    const timeFile = join(dir, 'time.txt');
    const stderrFile = join(dir, 'kcat.stderr');
    const args = [
      '-o',
      timeFile,
      '-f',
      '%e %U %S %M',
      'kcat',
      '-P',
      '-b',
      options.brokers.join(','),
      '-t',
      topics.raw,
      '-X',
      'acks=all',
      '-z',
      options.compression,
      '-l',
      options.input,
    ];
    const started = performance.now();
    const child = spawn(GNU_TIME, args, { stdio: ['ignore', 'ignore', openSync(stderrFile, 'w')] });
    let exitCode: number | null | undefined;
    const exited = new Promise<void>((resolve) => {
      child.once('error', () => {
        exitCode = -1;
        resolve();
      });
      child.once('exit', (code) => {
        exitCode = code;
        resolve();
      });
    });
    const failed = async () => {
      const stderr = await readFile(stderrFile, 'utf8').catch(() => '');
      return `kcat exited with code ${exitCode}: ${stderr.trim().slice(-1000)}`;
    };
    let done: { at: number };
    try {
      done = await admin.waitForMessages(topics.raw, lines, () =>
        exitCode !== undefined && exitCode !== 0 ? 'kcat failed' : undefined,
      );
    } catch (error) {
      if (exitCode !== undefined && exitCode !== 0) throw new Error(await failed(), { cause: error });
      child.kill('SIGKILL');
      throw error;
    }
    await exited;
    if (exitCode !== 0) throw new Error(await failed());
    // GNU time: elapsed s, user s, system s, peak RSS KiB.
    const [, user, system, maxRssKib] =
      (await readFile(timeFile, 'utf8')).trim().split('\n').at(-1)?.split(' ') ?? [];
    return {
      seconds: (done.at - started) / 1000,
      cpuSeconds: Number(user) + Number(system),
      peakRss: Number(maxRssKib) * 1024,
      messagesInKafka: await admin.messages(topics.raw),
    };
  } finally {
    await cleanUp(admin, topics, dir);
  }
}

async function stopCollector(collector: CollectorProcess): Promise<void> {
  const code = await collector.stop();
  if (code !== 0)
    throw new Error(`The collector exited with code ${code} when stopped: ${collector.logTail()}`);
}

export async function cleanUp(admin: KafkaAdmin, topics: BenchTopics, dir: string): Promise<void> {
  await admin.deleteTopics(topicList(topics)).catch(async () => {
    // The broker may be restarting (see withRepeats): delete once it answers.
    await admin.waitForBroker();
    await admin.deleteTopics(topicList(topics));
  });
  await rm(dir, { recursive: true, force: true });
}

async function kcatVersionLine(): Promise<string> {
  try {
    const { stdout } = await promisify(execFile)('kcat', ['-V']);
    const version = /Version (\S+).*?(librdkafka \S+)/.exec(stdout);
    await promisify(execFile)(GNU_TIME, ['-f', '', 'true']);
    return version ? `kcat ${version[1]} (${version[2]})` : 'kcat';
  } catch (error) {
    throw new Error(
      `The file → Kafka benchmark needs kcat and GNU time (Debian: apt-get install kcat time): ${(error as Error).message}`,
      { cause: error },
    );
  }
}

function summarize(
  runs: readonly FileKafkaRun[],
  producer: Producer,
  compression: Compression,
  inputBytes: number,
): ProducerSummary {
  const mine = runs.filter((r) => r.producer === producer && r.compression === compression);
  const rates = mine.map((r) => r.linesPerSecond);
  const lines = mine[0]?.lines ?? Number.NaN;
  const checks = mine.map((r) => r.delivery).filter((d) => d !== undefined);
  // kcat sends each line without its newline, one message per line; Vigil's
  // bundles were read back: their values' bytes over the records they hold.
  const bytesPerRecord =
    checks.length > 0 ? median(checks.map((d) => d.valueBytes / d.records)) : (inputBytes - lines) / lines;
  const medianMessages = median(mine.map((r) => r.messagesInKafka));
  return {
    producer,
    compression,
    medianLinesPerSecond: median(rates),
    minLinesPerSecond: Math.min(...rates),
    maxLinesPerSecond: Math.max(...rates),
    medianLinesPerCpuSecond: median(mine.map((r) => r.linesPerCpuSecond)),
    medianSeconds: median(mine.map((r) => r.seconds)),
    medianCpuSeconds: median(mine.map((r) => r.cpuSeconds)),
    medianCores: median(mine.map((r) => r.cpuSeconds / r.seconds)),
    peakRss: Math.max(...mine.map((r) => r.peakRss)),
    medianPeakRss: median(mine.map((r) => r.peakRss)),
    bytesPerRecord,
    medianMessages,
    recordsPerMessage: lines / medianMessages,
  };
}

/** The suite's Markdown section body: summary table, per-round ratios, verdicts. */
export function fileKafkaMarkdown(r: FileKafkaResult): string[] {
  const row = (label: string, s: ProducerSummary, ratio: string, cpuRatio: string) =>
    `| ${label} | ${s.compression} | ${count(s.medianLinesPerSecond)} | ` +
    `${count(s.minLinesPerSecond)}–${count(s.maxLinesPerSecond)} | ${fixed(s.medianSeconds, 2)} | ` +
    `${fixed(s.medianCpuSeconds, 2)} | ${fixed(s.medianCores, 2)} | ${count(s.medianLinesPerCpuSecond)} | ` +
    `${count(s.medianMessages)} | ${count(s.recordsPerMessage)} | ${count(s.bytesPerRecord)} | ` +
    `${mib(s.peakRss)} | ${ratio} | ${cpuRatio} |`;
  const lines = [
    `- Input: ${count(r.lines)} Apache access lines (${fixed(r.inputBytes / 1e6, 1)} MB), ` +
      `${r.rounds} round${r.rounds === 1 ? '' : 's'}, each kcat then Vigil with gzip, then again without compression` +
      (r.warmupLines > 0 ? `, after an unmeasured warm-up round of ${count(r.warmupLines)} lines` : '') +
      '; medians over the rounds.',
    `- Baseline: ${r.kcatVersion}, \`kcat -P -b <broker> -t <topic> -X acks=all -z gzip|none -l <file>\` (one message per line).`,
    `- Vigil: \`vigil collector\` (${r.vigil === 'dist' ? 'the bundle dist/vigil.mjs' : 'the sources bin/vigil.ts'}), ` +
      'defaults otherwise (bundles of up to 200 records per message)' +
      (r.nodeFlags === '' ? '.' : `, run with the Node flags \`${r.nodeFlags}\`.`),
    '',
    '| Producer | Compression | Lines/s | Range lines/s | Wall s | CPU s | Cores | Lines per CPU-s | Messages | Lines/message | Bytes/line | Peak RSS MiB | Lines/s × kcat | Lines per CPU-s × kcat |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const c of r.comparisons) {
    lines.push(row('kcat -P', c.kcat, '1.00', '1.00'));
    lines.push(row('vigil collector', c.vigil, fixed(c.ratio, 2), fixed(c.cpuRatio, 2)));
  }
  lines.push(
    '',
    '| Round | Compression | Vigil ÷ kcat lines/s | Vigil ÷ kcat lines per CPU-s |',
    '| ---: | --- | ---: | ---: |',
  );
  for (const round of Array.from({ length: r.rounds }, (_, i) => i + 1)) {
    for (const c of r.comparisons) {
      const rr = c.roundRatios.find((x) => x.round === round);
      if (rr)
        lines.push(`| ${round} | ${c.compression} | ${fixed(rr.ratio, 2)} | ${fixed(rr.cpuRatio, 2)} |`);
    }
  }
  lines.push('');
  for (const c of r.comparisons) {
    lines.push(
      `- ${c.compression}: Vigil moves ${fixed(c.ratio, 2)} × kcat's lines/s ` +
        `(goal ≥ ${fixed(KCAT_RATIO_GOAL, 2)}: ${c.ratio >= KCAT_RATIO_GOAL ? 'met' : 'not met'}) and ` +
        `${fixed(c.cpuRatio, 2)} × kcat's lines per CPU-second ` +
        `(goal ≥ ${fixed(KCAT_RATIO_GOAL, 2)}: ${c.cpuRatio >= KCAT_RATIO_GOAL ? 'met' : 'not met'}); ` +
        `Vigil's ${rssVerdict(c.vigil.peakRss)}.`,
    );
  }
  const vigilRuns = r.runs.filter((run) => run.producer === 'vigil');
  lines.push(
    `- Vigil start-up before the input appeared (not counted above): median ` +
      `${fixed(median(vigilRuns.map((run) => run.startupCpuSeconds ?? Number.NaN)), 2)} CPU s, ` +
      `resident ${mib(median(vigilRuns.map((run) => run.readyRss ?? Number.NaN)))} MiB when ready.`,
  );
  const kcatOff = r.runs.filter((run) => run.producer === 'kcat' && run.messagesInKafka !== run.lines);
  const vigilOff = vigilRuns.filter((run) => !run.delivery || !deliveredExactlyOnce(run.delivery));
  lines.push(
    kcatOff.length === 0
      ? '- Every kcat run left exactly one message per line in Kafka.'
      : `- kcat runs whose topic did not hold exactly one message per line: ${kcatOff
          .map((d) => `${d.compression} round ${d.round}: ${count(d.messagesInKafka)}`)
          .join('; ')}.`,
    vigilOff.length === 0
      ? '- Every Vigil topic, read back and decoded, held each input line exactly once (offset and text).'
      : `- Vigil runs whose topic did not hold each line exactly once: ${vigilOff
          .map(
            (d) =>
              `${d.compression} round ${d.round}: ${d.delivery ? deliverySummary(d.delivery) : 'not read back'}`,
          )
          .join('; ')}.`,
  );
  const retried = vigilRuns.reduce((sum, run) => sum + (run.shipFailures ?? 0), 0);
  if (retried > 0) lines.push(`- Vigil retried ${count(retried)} failed batches over all runs.`);
  lines.push(...repeatsMarkdown(r.repeats));
  return lines;
}

/** Report lines about runs that were taken again; none when there were none. */
export function repeatsMarkdown(repeats: readonly RepeatedRun[]): string[] {
  if (repeats.length === 0) return [];
  return [
    `- Taken again (the figures above are of the repeated runs): ${repeats
      .map((x) => `${x.run} (${x.reason.replaceAll('\n', ' ')})`)
      .join('; ')}.`,
  ];
}
