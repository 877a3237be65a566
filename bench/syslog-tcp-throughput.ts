/**
 * TCP syslog → Kafka throughput of the Vigil collector. There is no kcat
 * equivalent, so the baseline is the collector's own file → Kafka rate,
 * measured in the same session: each round ships a file of as many lines as
 * there are messages, then takes the TCP run.
 *
 * TCP run: `vigil collector` as its own process with one TCP syslog listener
 * on a free port (every setting at its default: auto framing, a disk spool
 * fsynced per group of appends, gzip) and fresh topics. A sender process
 * (bench/syslog-sender.ts) connects, then writes newline-framed RFC 5424
 * messages over several connections as fast as the listener takes them. The
 * run lasts from the go signal until Kafka has acknowledged a record per
 * message (`vigil_collector_produced_records_total`; the collector's Kafka
 * messages are bundles of records); CPU time is the collector's over that
 * span, from /proc. Afterwards the topic is read back and decoded: it must
 * hold each message exactly once.
 */
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type CollectorProcess,
  freshTopics,
  type KafkaAdmin,
  metricSum,
  type RepeatedRun,
  rssVerdict,
  startSyslogCollector,
  type VigilBuild,
  waitForRecords,
  withRepeats,
} from './collector-kafka.ts';
import {
  checkSyslogDelivery,
  type DeliveryCheck,
  deliveredExactlyOnce,
  deliverySummary,
  InputLines,
} from './delivery.ts';
import {
  cleanUp,
  disturbance,
  type ProduceMeasurement,
  repeatsMarkdown,
  vigilFileRun,
} from './file-kafka-throughput.ts';
import { count, fixed, mib } from './format.ts';
import { readSourceLines, writeRepeatedLines } from './inputs.ts';
import { median } from './measure.ts';
import { type SenderResult, startSender } from './syslog-sender.ts';

export interface SyslogTcpOptions {
  /** Log whose lines become the message bodies (and the file baseline's input). */
  source: string;
  messages: number;
  connections: number;
  rounds: number;
  workDir: string;
  brokers: string[];
  admin: KafkaAdmin;
  /** Node flags of the collector processes; empty for none. */
  nodeFlags?: string;
  /** Which `vigil` the collector processes run (default the sources). */
  vigil?: VigilBuild;
  progress?: (message: string) => void;
}

export interface TcpMeasurement {
  seconds: number;
  cpuSeconds: number;
  peakRss: number;
  /** Kafka messages (bundles of records) in the topic. */
  messagesInKafka: number;
  /** What the topic held, read back and decoded, against the messages sent. */
  delivery: DeliveryCheck;
  /** What the sender did: its time is how long the collector kept it waiting. */
  sender: SenderResult;
  /** `vigil_collector_syslog_messages_total` when Kafka held every message. */
  received: number;
  /** `vigil_collector_syslog_dropped_total`, all reasons. */
  dropped: number;
  /** `vigil_collector_ship_failures_total`: batches that failed and were retried. */
  shipFailures: number;
  /** `vigil_collector_produced_bytes_total` (values plus 64 bytes per message, the collector's estimate). */
  producedBytes: number;
}

export interface SyslogTcpRound {
  round: number;
  file: ProduceMeasurement & { linesPerSecond: number; linesPerCpuSecond: number };
  tcp: TcpMeasurement & { eventsPerSecond: number; eventsPerCpuSecond: number };
  /** TCP events/s ÷ file lines/s of this round. */
  ratio: number;
  cpuRatio: number;
}

export interface SyslogTcpResult {
  messages: number;
  connections: number;
  rounds: SyslogTcpRound[];
  medianEventsPerSecond: number;
  medianEventsPerCpuSecond: number;
  medianFileLinesPerSecond: number;
  medianFileLinesPerCpuSecond: number;
  ratio: number;
  cpuRatio: number;
  peakRss: number;
  filePeakRss: number;
  medianSenderSeconds: number;
  /** Bytes of the bundles' values per record, read back (uncompressed JSON). */
  medianBytesPerRecord: number;
  medianFileBytesPerRecord: number;
  /** Kafka messages per run (median). */
  medianMessages: number;
  medianFileMessages: number;
  nodeFlags: string;
  vigil: VigilBuild;
  /** Runs thrown away and taken again (the shared broker was restarted, say). */
  repeats: RepeatedRun[];
}

export async function syslogTcpThroughput(options: SyslogTcpOptions): Promise<SyslogTcpResult> {
  const say = options.progress ?? (() => {});
  const { admin, brokers } = options;
  const lines = await readSourceLines(options.source);
  await mkdir(join(options.workDir, 'input'), { recursive: true });
  const fileInput = join(options.workDir, 'input', 'syslog-tcp-baseline.log');
  await writeRepeatedLines(lines, options.messages, fileInput);
  const inputLines = new InputLines(lines, options.messages);
  const nodeFlags = options.nodeFlags ?? '';
  const rounds: SyslogTcpRound[] = [];
  const repeats: RepeatedRun[] = [];
  for (let round = 1; round <= options.rounds; round++) {
    const f = await withRepeats(
      admin,
      `round ${round} file baseline`,
      () =>
        vigilFileRun({
          admin,
          brokers,
          input: fileInput,
          inputLines,
          dir: join(options.workDir, `tcp-baseline-${round}`),
          compression: 'gzip',
          nodeFlags,
          vigil: options.vigil,
        }),
      repeats,
      say,
      (m) => disturbance(m, options.messages),
    );
    const file = {
      ...f,
      linesPerSecond: options.messages / f.seconds,
      linesPerCpuSecond: options.messages / f.cpuSeconds,
    };
    say(
      `TCP syslog round ${round}/${options.rounds}, file baseline: ${Math.round(file.linesPerSecond)} lines/s, ` +
        `${Math.round(file.linesPerCpuSecond)} lines/CPU-s.`,
    );
    const t = await withRepeats(
      admin,
      `round ${round} TCP`,
      () => tcpRun({ ...options, nodeFlags, bodies: lines, dir: join(options.workDir, `tcp-${round}`) }),
      repeats,
      say,
      (m) => (m.shipFailures > 0 ? `the collector retried ${m.shipFailures} failed batches` : undefined),
    );
    const tcp = {
      ...t,
      eventsPerSecond: options.messages / t.seconds,
      eventsPerCpuSecond: options.messages / t.cpuSeconds,
    };
    say(
      `TCP syslog round ${round}/${options.rounds}: ${Math.round(tcp.eventsPerSecond)} events/s, ` +
        `${Math.round(tcp.eventsPerCpuSecond)} events/CPU-s, ${t.seconds.toFixed(2)} s, peak RSS ${mib(t.peakRss)} MiB, ` +
        `${t.messagesInKafka} messages; read back: ${deliverySummary(t.delivery)}.`,
    );
    rounds.push({
      round,
      file,
      tcp,
      ratio: tcp.eventsPerSecond / file.linesPerSecond,
      cpuRatio: tcp.eventsPerCpuSecond / file.linesPerCpuSecond,
    });
  }
  const medianEventsPerSecond = median(rounds.map((r) => r.tcp.eventsPerSecond));
  const medianEventsPerCpuSecond = median(rounds.map((r) => r.tcp.eventsPerCpuSecond));
  const medianFileLinesPerSecond = median(rounds.map((r) => r.file.linesPerSecond));
  const medianFileLinesPerCpuSecond = median(rounds.map((r) => r.file.linesPerCpuSecond));
  return {
    messages: options.messages,
    connections: options.connections,
    rounds,
    medianEventsPerSecond,
    medianEventsPerCpuSecond,
    medianFileLinesPerSecond,
    medianFileLinesPerCpuSecond,
    ratio: medianEventsPerSecond / medianFileLinesPerSecond,
    cpuRatio: medianEventsPerCpuSecond / medianFileLinesPerCpuSecond,
    peakRss: Math.max(...rounds.map((r) => r.tcp.peakRss)),
    filePeakRss: Math.max(...rounds.map((r) => r.file.peakRss)),
    medianSenderSeconds: median(rounds.map((r) => r.tcp.sender.seconds)),
    medianBytesPerRecord: median(rounds.map((r) => r.tcp.delivery.valueBytes / r.tcp.delivery.records)),
    medianFileBytesPerRecord: median(
      rounds.map((r) =>
        r.file.delivery ? r.file.delivery.valueBytes / r.file.delivery.records : Number.NaN,
      ),
    ),
    medianMessages: median(rounds.map((r) => r.tcp.messagesInKafka)),
    medianFileMessages: median(rounds.map((r) => r.file.messagesInKafka)),
    nodeFlags,
    vigil: options.vigil ?? 'source',
    repeats,
  };
}

async function tcpRun(
  options: SyslogTcpOptions & { dir: string; nodeFlags: string; bodies: readonly string[] },
): Promise<TcpMeasurement> {
  const { admin, dir, messages } = options;
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const topics = freshTopics('syslog-tcp');
  let collector: CollectorProcess | undefined;
  let kill: (() => void) | undefined;
  try {
    const run = await startSyslogCollector({
      protocol: 'tcp',
      dir,
      brokers: options.brokers,
      topics,
      admin,
      nodeFlags: options.nodeFlags,
      vigil: options.vigil,
    });
    const running = run.collector;
    collector = running;
    const { address } = run;
    const sender = await startSender({
      protocol: 'tcp',
      address,
      source: options.source,
      messages,
      connections: options.connections,
    });
    kill = () => sender.kill();
    const startCpu = running.cpuSeconds();
    const started = performance.now();
    let senderFailure: string | undefined;
    const sent = sender.go().catch((error: unknown) => {
      senderFailure = (error as Error).message;
      return undefined;
    });
    const done = await waitForRecords(
      admin,
      running,
      topics.raw,
      messages,
      () => running.exitReason ?? senderFailure,
    );
    const cpuSeconds = running.cpuSeconds() - startCpu;
    const { peakRss } = running.memory();
    const metrics = await running.metrics();
    const senderResult = await sent;
    if (!senderResult) throw new Error(senderFailure ?? 'The syslog sender failed.');
    await running.stop();
    return {
      seconds: (done.at - started) / 1000,
      cpuSeconds,
      peakRss,
      messagesInKafka: await admin.messages(topics.raw),
      delivery: await checkSyslogDelivery(admin, topics.raw, messages, options.bodies),
      sender: senderResult,
      received: metricSum(metrics, 'vigil_collector_syslog_messages_total'),
      dropped: metricSum(metrics, 'vigil_collector_syslog_dropped_total'),
      shipFailures: metricSum(metrics, 'vigil_collector_ship_failures_total'),
      producedBytes: metricSum(metrics, 'vigil_collector_produced_bytes_total'),
    };
  } finally {
    kill?.();
    await collector?.stop();
    await cleanUp(admin, topics, dir);
  }
}

export function syslogTcpMarkdown(r: SyslogTcpResult): string[] {
  const lines = [
    `- Input: ${count(r.messages)} newline-framed RFC 5424 messages (bodies: Apache access lines) over ` +
      `${r.connections} TCP connections from a separate sender process, as fast as the listener takes them; ` +
      `baseline: the collector shipping a file of ${count(r.messages)} Apache lines, run just before in each round; ` +
      `${r.rounds.length} round${r.rounds.length === 1 ? '' : 's'}, medians` +
      `; collector: ${r.vigil === 'dist' ? 'the bundle dist/vigil.mjs' : 'the sources bin/vigil.ts'}` +
      (r.nodeFlags === '' ? '.' : `, run with the Node flags \`${r.nodeFlags}\`.`),
    '',
    '| Input | Events/s | Range events/s | Wall s | CPU s | Cores | Events per CPU-s | Kafka messages | Bytes/event | Peak RSS MiB | Events/s × file | Per CPU-s × file |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  const fileRates = r.rounds.map((x) => x.file.linesPerSecond);
  const tcpRates = r.rounds.map((x) => x.tcp.eventsPerSecond);
  lines.push(
    `| file → Kafka (baseline) | ${count(r.medianFileLinesPerSecond)} | ${count(Math.min(...fileRates))}–${count(Math.max(...fileRates))} | ` +
      `${fixed(median(r.rounds.map((x) => x.file.seconds)), 2)} | ${fixed(median(r.rounds.map((x) => x.file.cpuSeconds)), 2)} | ` +
      `${fixed(median(r.rounds.map((x) => x.file.cpuSeconds / x.file.seconds)), 2)} | ${count(r.medianFileLinesPerCpuSecond)} | ` +
      `${count(r.medianFileMessages)} | ${count(r.medianFileBytesPerRecord)} | ${mib(r.filePeakRss)} | 1.00 | 1.00 |`,
    `| TCP syslog → Kafka | ${count(r.medianEventsPerSecond)} | ${count(Math.min(...tcpRates))}–${count(Math.max(...tcpRates))} | ` +
      `${fixed(median(r.rounds.map((x) => x.tcp.seconds)), 2)} | ${fixed(median(r.rounds.map((x) => x.tcp.cpuSeconds)), 2)} | ` +
      `${fixed(median(r.rounds.map((x) => x.tcp.cpuSeconds / x.tcp.seconds)), 2)} | ${count(r.medianEventsPerCpuSecond)} | ` +
      `${count(r.medianMessages)} | ${count(r.medianBytesPerRecord)} | ${mib(r.peakRss)} | ${fixed(r.ratio, 2)} | ${fixed(r.cpuRatio, 2)} |`,
    '',
    '| Round | File lines/s | TCP events/s | TCP ÷ file | Sender done after s | TCP records in Kafka (messages) | Dropped |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  );
  for (const x of r.rounds) {
    lines.push(
      `| ${x.round} | ${count(x.file.linesPerSecond)} | ${count(x.tcp.eventsPerSecond)} | ${fixed(x.ratio, 2)} | ` +
        `${fixed(x.tcp.sender.seconds, 2)} | ${count(x.tcp.delivery.records)} (${count(x.tcp.messagesInKafka)}) | ${count(x.tcp.dropped)} |`,
    );
  }
  const off = r.rounds.filter(
    (x) =>
      !deliveredExactlyOnce(x.tcp.delivery) || !x.file.delivery || !deliveredExactlyOnce(x.file.delivery),
  );
  lines.push(
    '',
    `- TCP syslog → Kafka: ${count(r.medianEventsPerSecond)} events/s, ${fixed(r.ratio, 2)} × the file → Kafka rate ` +
      `of the same session; collector ${rssVerdict(r.peakRss)}.`,
    off.length === 0
      ? '- Every topic, read back and decoded, held each message (TCP: by sequence number and body) or line (file: by offset and text) exactly once.'
      : `- Topics that did not hold each message or line exactly once: ${off
          .map(
            (x) =>
              `round ${x.round}: TCP ${deliverySummary(x.tcp.delivery)}; file ${x.file.delivery ? deliverySummary(x.file.delivery) : 'not read back'}`,
          )
          .join('; ')}.`,
    ...repeatsMarkdown(r.repeats),
  );
  return lines;
}
