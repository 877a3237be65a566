/**
 * UDP syslog → Kafka: events delivered and lost at several offered rates,
 * with every loss accounted for.
 *
 * Each run: `vigil collector` as its own process with one UDP listener on a
 * free port (defaults otherwise: gzip, the 8,000-record shipper buffer) and
 * fresh topics; a sender process (bench/syslog-sender.ts) offers RFC 5424
 * datagrams at a fixed rate for a few seconds. When the sender is done, the
 * benchmark waits until the collector has shipped what it accepted (its
 * `vigil_collector_produced_records_total`: records acknowledged by Kafka) and
 * its receive counter stands still, reads the topic back (its messages are
 * bundles of records) and balances the books:
 *
 *   sent = in Kafka + dropped by Vigil (vigil_collector_syslog_dropped_total)
 *              + dropped by the kernel (Udp InErrors of /proc/net/snmp) + unexplained
 *
 * with "in Kafka" the distinct messages found in the topic (by the sequence
 * number the sender put in each); a duplicate would be reported apart.
 *
 * The kernel counters are the network namespace's, so other UDP traffic on the
 * machine at the same moment would show up there too.
 */
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type CollectorProcess,
  freshTopics,
  type KafkaAdmin,
  maxReceiveBuffer,
  metricSum,
  PRODUCED_RECORDS,
  type RepeatedRun,
  rssVerdict,
  sleep,
  startSyslogCollector,
  udpCounters,
  type VigilBuild,
  withRepeats,
} from './collector-kafka.ts';
import { checkSyslogDelivery, type DeliveryCheck, deliveredAtMostOnce, deliverySummary } from './delivery.ts';
import { cleanUp, repeatsMarkdown } from './file-kafka-throughput.ts';
import { count, fixed, mib } from './format.ts';
import { readSourceLines } from './inputs.ts';
import { median } from './measure.ts';
import { type SenderResult, startSender } from './syslog-sender.ts';

/** How often the settling collector is checked after the sender is done. */
const SETTLE_POLL_MS = 100;
/** The collector has settled when nothing changed for this long. */
const SETTLE_QUIET_MS = 1000;
/** Longest wait for the collector to settle. */
const SETTLE_TIMEOUT_MS = 60_000;

export interface SyslogUdpOptions {
  source: string;
  /** Offered rates, messages per second. */
  rates: number[];
  /** How long each rate is offered. */
  seconds: number;
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

export interface UdpRun {
  rate: number;
  round: number;
  sender: SenderResult;
  /** Rate the sender achieved (sent ÷ its seconds). */
  offeredPerSecond: number;
  /** Distinct messages found in the topic, read back and decoded. */
  inKafka: number;
  /** Kafka messages (bundles of records) in the topic. */
  kafkaMessages: number;
  /** What the topic held against the messages sent. */
  delivery: DeliveryCheck;
  /** In Kafka ÷ the sender's seconds. */
  deliveredPerSecond: number;
  /** `vigil_collector_syslog_messages_total`: datagrams the collector read from its socket. */
  received: number;
  /** `vigil_collector_syslog_dropped_total` by reason. */
  dropped: Record<string, number>;
  droppedTotal: number;
  /** Kernel UDP counters over the run (/proc/net/snmp deltas). */
  kernelInErrors: number;
  kernelRcvbufErrors: number;
  kernelInDatagrams: number;
  /** sent − in Kafka − dropped by Vigil − kernel InErrors; 0 when every loss is counted. */
  unexplained: number;
  /** Share of sent messages not in Kafka. */
  loss: number;
  /** From go until the collector settled. */
  seconds: number;
  /** Collector CPU over that span. */
  cpuSeconds: number;
  peakRss: number;
  /** True when the collector did not settle in time (then `unexplained` may hold messages in flight). */
  unsettled: boolean;
  /** `vigil_collector_ship_failures_total`: batches that failed and were retried. */
  shipFailures: number;
  /** When unsettled: the last counts seen, and the end of the collector's log. */
  unsettledState?: string;
  collectorLog?: string;
}

export interface UdpRateSummary {
  rate: number;
  medianOfferedPerSecond: number;
  medianDeliveredPerSecond: number;
  medianLoss: number;
  maxLoss: number;
  medianDroppedByVigil: number;
  medianDroppedByKernel: number;
  /** The largest |unexplained| over the rounds. */
  maxUnexplained: number;
  medianCores: number;
  peakRss: number;
}

export interface SyslogUdpResult {
  seconds: number;
  rounds: number;
  /** net.core.rmem_max: what the listener's 8 MiB SO_RCVBUF request is capped to. */
  rmemMax: number;
  runs: UdpRun[];
  rates: UdpRateSummary[];
  nodeFlags: string;
  vigil: VigilBuild;
  /** Runs thrown away and taken again (the shared broker was restarted, say). */
  repeats: RepeatedRun[];
}

export async function syslogUdpLoss(options: SyslogUdpOptions): Promise<SyslogUdpResult> {
  const say = options.progress ?? (() => {});
  const bodies = await readSourceLines(options.source);
  const runs: UdpRun[] = [];
  const repeats: RepeatedRun[] = [];
  for (let round = 1; round <= options.rounds; round++) {
    for (const rate of options.rates) {
      const run = await withRepeats(
        options.admin,
        `round ${round} ${rate}/s`,
        () => udpRun(options, bodies, rate, round, join(options.workDir, `udp-${rate}-${round}`)),
        repeats,
        say,
        (r) => (r.shipFailures > 0 ? `the collector retried ${r.shipFailures} failed batches` : undefined),
      );
      runs.push(run);
      say(
        `UDP syslog round ${round}/${options.rounds}, ${rate}/s offered (${Math.round(run.offeredPerSecond)}/s achieved): ` +
          `${count(run.inKafka)} of ${count(run.sender.sent)} in Kafka, Vigil dropped ${count(run.droppedTotal)}, ` +
          `kernel ${count(run.kernelInErrors)}, unexplained ${count(run.unexplained)}, peak RSS ${mib(run.peakRss)} MiB; ` +
          `${count(run.kafkaMessages)} Kafka messages, read back: ${deliverySummary(run.delivery)}.`,
      );
    }
  }
  const rates = options.rates.map((rate) => {
    const mine = runs.filter((r) => r.rate === rate);
    return {
      rate,
      medianOfferedPerSecond: median(mine.map((r) => r.offeredPerSecond)),
      medianDeliveredPerSecond: median(mine.map((r) => r.deliveredPerSecond)),
      medianLoss: median(mine.map((r) => r.loss)),
      maxLoss: Math.max(...mine.map((r) => r.loss)),
      medianDroppedByVigil: median(mine.map((r) => r.droppedTotal)),
      medianDroppedByKernel: median(mine.map((r) => r.kernelInErrors)),
      maxUnexplained: Math.max(...mine.map((r) => Math.abs(r.unexplained))),
      medianCores: median(mine.map((r) => r.cpuSeconds / r.seconds)),
      peakRss: Math.max(...mine.map((r) => r.peakRss)),
    };
  });
  return {
    seconds: options.seconds,
    rounds: options.rounds,
    rmemMax: maxReceiveBuffer(),
    runs,
    rates,
    nodeFlags: options.nodeFlags ?? '',
    vigil: options.vigil ?? 'source',
    repeats,
  };
}

async function udpRun(
  options: SyslogUdpOptions,
  bodies: readonly string[],
  rate: number,
  round: number,
  dir: string,
): Promise<UdpRun> {
  const { admin } = options;
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const topics = freshTopics(`syslog-udp-${rate}`);
  let collector: CollectorProcess | undefined;
  let kill: (() => void) | undefined;
  try {
    const run = await startSyslogCollector({
      protocol: 'udp',
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
      protocol: 'udp',
      address,
      source: options.source,
      rate,
      seconds: options.seconds,
    });
    kill = () => sender.kill();
    const kernelBefore = udpCounters();
    const startCpu = running.cpuSeconds();
    const started = performance.now();
    const sent = await sender.go();

    // Settle: the collector has read what the kernel held for it and shipped what it accepted.
    let last = '';
    let lastChange = performance.now();
    let produced = 0;
    let received = 0;
    let dropped: Record<string, number> = {};
    let shipFailures = 0;
    let unsettled = false;
    for (;;) {
      const metrics = await running.metrics();
      produced = metricSum(metrics, PRODUCED_RECORDS);
      received = metricSum(metrics, 'vigil_collector_syslog_messages_total');
      dropped = droppedByReason(metrics);
      const droppedTotal = Object.values(dropped).reduce((a, b) => a + b, 0);
      const buffered = metricSum(metrics, 'vigil_collector_buffered_records');
      shipFailures = metricSum(metrics, 'vigil_collector_ship_failures_total');
      const state =
        `produced ${produced}, received ${received}, dropped ${droppedTotal}, buffered ${buffered}, ` +
        `failed batches ${shipFailures}`;
      const now = performance.now();
      if (state !== last) {
        last = state;
        lastChange = now;
      } else if (
        now - lastChange >= SETTLE_QUIET_MS &&
        buffered === 0 &&
        produced >= received - droppedTotal
      ) {
        break;
      }
      if (running.exitReason) throw new Error(`${running.exitReason}: ${running.logTail()}`);
      if (now - started > sent.seconds * 1000 + SETTLE_TIMEOUT_MS) {
        unsettled = true;
        break;
      }
      await sleep(SETTLE_POLL_MS);
    }
    const cpuSeconds = running.cpuSeconds() - startCpu;
    const seconds = (lastChange - started) / 1000;
    const { peakRss } = running.memory();
    const kernelAfter = udpCounters();
    await running.stop();
    const kafkaMessages = await admin.messages(topics.raw);
    const delivery = await checkSyslogDelivery(admin, topics.raw, sent.sent + sent.errors, bodies);
    const inKafka = delivery.exact;
    const droppedTotal = Object.values(dropped).reduce((a, b) => a + b, 0);
    const kernelInErrors = kernelAfter.inErrors - kernelBefore.inErrors;
    return {
      rate,
      round,
      sender: sent,
      offeredPerSecond: sent.sent / sent.seconds,
      inKafka,
      kafkaMessages,
      delivery,
      deliveredPerSecond: inKafka / sent.seconds,
      received,
      dropped,
      droppedTotal,
      kernelInErrors,
      kernelRcvbufErrors: kernelAfter.rcvbufErrors - kernelBefore.rcvbufErrors,
      kernelInDatagrams: kernelAfter.inDatagrams - kernelBefore.inDatagrams,
      unexplained: sent.sent - inKafka - droppedTotal - kernelInErrors,
      loss: (sent.sent - inKafka) / sent.sent,
      seconds,
      cpuSeconds,
      peakRss,
      unsettled,
      shipFailures,
      ...(unsettled ? { unsettledState: last, collectorLog: running.logTail().slice(-600) } : {}),
    };
  } finally {
    kill?.();
    await collector?.stop();
    await cleanUp(admin, topics, dir);
  }
}

function droppedByReason(metrics: Map<string, number>): Record<string, number> {
  const byReason: Record<string, number> = {};
  for (const [key, value] of metrics) {
    if (!key.startsWith('vigil_collector_syslog_dropped_total{')) continue;
    const reason = /reason="([^"]*)"/.exec(key)?.[1] ?? 'unknown';
    byReason[reason] = (byReason[reason] ?? 0) + value;
  }
  return byReason;
}

const percent = (share: number) => `${fixed(share * 100, share > 0 && share < 0.001 ? 3 : 1)} %`;

export function syslogUdpMarkdown(r: SyslogUdpResult): string[] {
  const lines = [
    `- Input: RFC 5424 datagrams (bodies: Apache access lines) from a separate sender process at each offered rate ` +
      `for ${r.seconds} s, ${r.rounds} round${r.rounds === 1 ? '' : 's'} through the rates; medians. ` +
      `A fresh collector per run (${r.vigil === 'dist' ? 'the bundle dist/vigil.mjs' : 'the sources bin/vigil.ts'}` +
      `${r.nodeFlags === '' ? '' : `, Node flags \`${r.nodeFlags}\``}). ` +
      `net.core.rmem_max = ${count(r.rmemMax)} bytes (caps the listener's 8 MiB SO_RCVBUF request).`,
    '',
    '| Offered /s | Achieved /s | Delivered to Kafka /s | Loss (median, max) | Dropped by Vigil | Dropped by kernel | Largest unexplained | Collector cores | Peak RSS MiB |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const s of r.rates) {
    lines.push(
      `| ${count(s.rate)} | ${count(s.medianOfferedPerSecond)} | ${count(s.medianDeliveredPerSecond)} | ` +
        `${percent(s.medianLoss)}, ${percent(s.maxLoss)} | ${count(s.medianDroppedByVigil)} | ${count(s.medianDroppedByKernel)} | ` +
        `${count(s.maxUnexplained)} | ${fixed(s.medianCores, 2)} | ${mib(s.peakRss)} |`,
    );
  }
  lines.push(
    '',
    '| Round | Offered /s | Sent | In Kafka (Kafka messages) | Vigil drops (by reason) | Kernel InErrors (RcvbufErrors) | Unexplained | Settled |',
    '| ---: | ---: | ---: | ---: | --- | ---: | ---: | --- |',
  );
  for (const run of r.runs) {
    const reasons = Object.entries(run.dropped)
      .filter(([, n]) => n > 0)
      .map(([reason, n]) => `${count(n)} ${reason}`)
      .join(', ');
    lines.push(
      `| ${run.round} | ${count(run.rate)} | ${count(run.sender.sent)} | ${count(run.inKafka)} (${count(run.kafkaMessages)}) | ${reasons || '0'} | ` +
        `${count(run.kernelInErrors)} (${count(run.kernelRcvbufErrors)}) | ${count(run.unexplained)} | ${run.unsettled ? 'no' : 'yes'} |`,
    );
  }
  const lossless = r.rates.filter((s) => s.maxLoss === 0).map((s) => s.rate);
  const unexplained = Math.max(...r.rates.map((s) => s.maxUnexplained));
  lines.push(
    '',
    `- Highest offered rate delivered without loss in every round: ` +
      `${lossless.length > 0 ? `${count(Math.max(...lossless))}/s` : 'none of those tried'}; ` +
      `highest delivered rate: ${count(Math.max(...r.rates.map((s) => s.medianDeliveredPerSecond)))}/s (median).`,
    `- Losses ${unexplained === 0 ? 'all counted: sent = in Kafka + Vigil drops + kernel drops in every run' : `not all counted: up to ${count(unexplained)} messages per run are unexplained`}; ` +
      `collector ${rssVerdict(Math.max(...r.rates.map((s) => s.peakRss)))}.`,
  );
  for (const run of r.runs.filter((x) => x.unsettled)) {
    lines.push(
      `- ${count(run.rate)}/s round ${run.round} did not settle within ${SETTLE_TIMEOUT_MS / 1000} s after sending: ` +
        `${run.unsettledState ?? '?'}; the end of the collector's log: \`${(run.collectorLog ?? '').replaceAll('`', "'").replaceAll('\n', ' ⏎ ')}\`.`,
    );
  }
  const off = r.runs.filter((run) => !deliveredAtMostOnce(run.delivery));
  lines.push(
    off.length === 0
      ? '- Every topic, read back and decoded, held each message at most once (by sequence number and body); "In Kafka" counts the distinct ones.'
      : `- Topics with duplicates or foreign records: ${off
          .map((run) => `${count(run.rate)}/s round ${run.round}: ${deliverySummary(run.delivery)}`)
          .join('; ')}.`,
  );
  lines.push(...repeatsMarkdown(r.repeats));
  const sendErrors = r.runs.reduce((a, run) => a + run.sender.errors, 0);
  if (sendErrors > 0)
    lines.push('', `- The sender saw ${count(sendErrors)} send errors (not counted as sent).`);
  return lines;
}
