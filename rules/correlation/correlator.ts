/**
 * The correlator: a member of the correlator consumer group on vigil.signals.
 * Each assigned partition has its own engine (its own state and watermark);
 * signals are keyed by correlation and group, so a group lives on one
 * partition.
 *
 * On every assignment a partition's state is rebuilt: it is re-read from the
 * first offset at or after now − (longest timespan + allowed lateness +
 * margin) — or from the committed offset if that is earlier — before the
 * signals not yet committed are processed.
 *
 * Delivery: alerts (and the signals of chained correlations) are produced
 * with acks from all in-sync replicas before the offsets of the signals that
 * made them are committed. The committed offset never passes a signal held
 * in a window that is decided at its end (its alert is not out yet). While
 * a rebuild re-reads signals below the committed offset, the alerts they
 * complete are not produced again: a signal below the committed offset was
 * processed before, and the alerts it completed were produced then. The one
 * case left — a crash between producing and committing — produces the same
 * alert again with the same id; the alerter indexes alerts with op_type
 * create, so it is stored and notified once.
 */
import {
  type Admin,
  CompressionTypes,
  type Consumer,
  type EachBatchPayload,
  type Kafka,
  type Producer,
} from 'kafkajs';
import { assertTopicsExist } from '../../core/clients/kafka.ts';
import type { CorrelatorConfig, KafkaConfig } from '../../core/config/schema.ts';
import { SCHEMA_HEADER } from '../../core/event/raw-record.ts';
import { failPoint } from '../../core/failpoint.ts';
import type { Component } from '../../core/lifecycle.ts';
import type { Logger } from '../../core/log.ts';
import type { Metrics } from '../../core/telemetry/metrics.ts';
import type { CorrelationSet } from './correlation-set.ts';
import { CorrelationEngine, type Emission, type EngineHooks } from './engine.ts';
import { type Signal, signalKey } from './signal.ts';

const HEARTBEAT_MS = 2000;
const TICK_MS = 1000;

export interface CorrelatorOptions {
  kafka: Kafka;
  kafkaConfig: KafkaConfig;
  config: CorrelatorConfig;
  set: CorrelationSet;
  logger: Logger;
  metrics: Metrics;
}

interface PartitionState {
  partition: number;
  engine: CorrelationEngine;
  /** Resolves once the partition is positioned for its rebuild. */
  ready: Promise<void>;
  /** Signals below this offset were processed before the assignment: their alerts are out. */
  replayUntil: bigint;
  /** The offset committed (or found committed) last. */
  committed: bigint;
  /** The offset after the last signal processed. */
  next: bigint;
  lastSignalAt: number;
  /** Serializes batches and clock ticks on this partition. */
  lock: Promise<void>;
}

export class Correlator implements Component {
  readonly name = 'correlator';
  readonly #options: CorrelatorOptions;
  readonly #logger: Logger;
  readonly #partitions = new Map<number, PartitionState>();
  readonly #metrics;
  #consumer: Consumer | undefined;
  #producer: Producer | undefined;
  #admin: Admin | undefined;
  #timer: NodeJS.Timeout | undefined;
  #joined = false;
  #resolveDone: () => void = () => {};
  #rejectDone: (error: unknown) => void = () => {};
  readonly done: Promise<void>;

  constructor(options: CorrelatorOptions) {
    this.#options = options;
    this.#logger = options.logger.child({
      component: 'correlator',
      topic: options.kafkaConfig.topics.signals,
    });
    const m = options.metrics;
    this.#metrics = {
      signals: m.counter('vigil_correlator_signals_total', 'Signals taken by the correlation engine.', [
        'rule',
      ]),
      alerts: m.counter('vigil_correlator_alerts_total', 'Correlation alerts produced to vigil.alerts.', [
        'rule',
      ]),
      late: m.counter(
        'vigil_correlator_late_signals_total',
        'Signals older than the watermark (handled by late_policy).',
        ['rule'],
      ),
      evictions: m.counter(
        'vigil_correlator_evictions_total',
        'Groups or events evicted to keep state within its bounds.',
        ['rule', 'what'],
      ),
      groups: m.gauge('vigil_correlator_active_groups', 'Correlation groups held in memory.', ['rule']),
      rejected: m.counter(
        'vigil_correlator_rejected_signals_total',
        'Signals the correlator could not use.',
        ['reason'],
      ),
      duplicates: m.counter(
        'vigil_correlator_duplicate_signals_total',
        'Signals of an event a group already holds.',
        ['rule'],
      ),
      replayed: m.counter(
        'vigil_correlator_replayed_signals_total',
        'Signals re-read to rebuild state after an assignment.',
      ),
      suppressed: m.counter(
        'vigil_correlator_suppressed_alerts_total',
        'Alerts completed again while rebuilding state and not produced twice.',
      ),
    };
    this.done = new Promise<void>((resolve, reject) => {
      this.#resolveDone = resolve;
      this.#rejectDone = reject;
    });
    this.done.catch(() => {});
  }

  #hooks(): EngineHooks {
    const m = this.#metrics;
    return {
      signal: (rule) => m.signals.inc({ rule }),
      late: (rule) => m.late.inc({ rule }),
      evicted: (rule, what) => m.evictions.inc({ rule, what }),
      rejected: (reason) => m.rejected.inc({ reason }),
      duplicate: (rule) => m.duplicates.inc({ rule }),
    };
  }

  async start(): Promise<void> {
    const { kafka, kafkaConfig, config } = this.#options;
    const topic = kafkaConfig.topics.signals;
    await assertTopicsExist(kafka, [topic, kafkaConfig.topics.alerts]);
    const admin = kafka.admin();
    await admin.connect();
    this.#admin = admin;
    const producer = kafka.producer({ allowAutoTopicCreation: false, maxInFlightRequests: 1 });
    await producer.connect();
    this.#producer = producer;
    const consumer = kafka.consumer({
      groupId: config.group_id,
      allowAutoTopicCreation: false,
      sessionTimeout: config.session_timeout_ms,
      heartbeatInterval: Math.min(3000, Math.floor(config.session_timeout_ms / 3)),
      maxWaitTimeInMs: 500,
    });
    this.#consumer = consumer;
    consumer.on(consumer.events.GROUP_JOIN, (event) => {
      this.#joined = true;
      const assigned = (event.payload.memberAssignment[topic] ?? []) as number[];
      this.#assign(assigned);
      this.#logger.info(
        { group: config.group_id, partitions: assigned },
        'Joined the correlator group; rebuilding state.',
      );
    });
    consumer.on(consumer.events.CRASH, (event) => {
      const { error, restart } = event.payload;
      if (!restart) {
        this.#logger.error({ err: error }, 'The Kafka consumer crashed and will not restart.');
        this.#rejectDone(error);
      }
    });
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: false });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 4,
      eachBatch: (payload) => this.#eachBatch(payload),
    });
    this.#timer = setInterval(() => this.#tick(), TICK_MS);
    this.#timer.unref();
    this.#logger.info(
      { rules: this.#options.set.correlations.length, rebuild_ms: this.#rebuildMs() },
      'Correlator started.',
    );
  }

  #rebuildMs(): number {
    const { config, set } = this.#options;
    return set.longestTimespanMs + config.allowed_lateness_ms + config.rebuild_margin_ms;
  }

  /** A new assignment: every assigned partition starts over with fresh state. */
  #assign(partitions: number[]): void {
    for (const p of [...this.#partitions.keys()]) if (!partitions.includes(p)) this.#partitions.delete(p);
    for (const partition of partitions) {
      const { config, set } = this.#options;
      const state: PartitionState = {
        partition,
        engine: new CorrelationEngine(set, {
          allowedLatenessMs: config.allowed_lateness_ms,
          latePolicy: config.late_policy,
          maxGroupsPerRule: config.max_groups_per_rule,
          maxEventsPerGroup: config.max_events_per_group,
          hooks: this.#hooks(),
        }),
        ready: Promise.resolve(),
        replayUntil: 0n,
        committed: -1n,
        next: 0n,
        lastSignalAt: Date.now(),
        lock: Promise.resolve(),
      };
      state.ready = this.#position(state).catch((error: unknown) => {
        this.#logger.error({ err: error, partition }, 'Cannot position the partition for its rebuild.');
        this.#rejectDone(error);
      });
      this.#partitions.set(partition, state);
    }
  }

  /** Seeks the partition to where its rebuild starts. */
  async #position(state: PartitionState): Promise<void> {
    const { kafkaConfig, config } = this.#options;
    const topic = kafkaConfig.topics.signals;
    const admin = this.#admin as Admin;
    const [committedTopic] = await admin.fetchOffsets({ groupId: config.group_id, topics: [topic] });
    const committedText =
      committedTopic?.partitions.find((p) => p.partition === state.partition)?.offset ?? '-1';
    const committed = BigInt(committedText);
    const since = Date.now() - this.#rebuildMs();
    const byTime = await admin.fetchTopicOffsetsByTimestamp(topic, since);
    const fromTime = BigInt(byTime.find((p) => p.partition === state.partition)?.offset ?? '0');
    const start = committed < 0n || fromTime < committed ? fromTime : committed;
    state.replayUntil = committed < 0n ? start : committed;
    state.committed = committed;
    state.next = start;
    (this.#consumer as Consumer).seek({ topic, partition: state.partition, offset: start.toString() });
    this.#logger.info(
      {
        partition: state.partition,
        from: start.toString(),
        committed: committedText,
        since: new Date(since).toISOString(),
      },
      'Rebuilding correlation state from the signals of the partition.',
    );
  }

  async #eachBatch(payload: EachBatchPayload): Promise<void> {
    const { batch, heartbeat, isRunning, isStale, resolveOffset } = payload;
    const state = this.#partitions.get(batch.partition);
    if (state === undefined || batch.messages.length === 0 || !isRunning()) return;
    await state.ready;
    if (isStale() || this.#partitions.get(batch.partition) !== state) return;
    await this.#locked(state, async () => {
      const beat = setInterval(() => {
        heartbeat().catch(() => {});
      }, HEARTBEAT_MS);
      try {
        const emissions: Emission[] = [];
        for (const message of batch.messages) {
          const offset = BigInt(message.offset);
          if (offset < state.next) continue; // already taken before a seek
          if (offset < state.replayUntil) this.#metrics.replayed.inc();
          const signal = decodeSignal(message.value);
          if (signal === undefined) this.#metrics.rejected.inc({ reason: 'not_a_signal' });
          else for (const e of state.engine.process(signal, Number(offset))) emissions.push(e);
          state.next = offset + 1n;
        }
        state.lastSignalAt = Date.now();
        await this.#publish(state, emissions);
      } finally {
        clearInterval(beat);
      }
      if (!isRunning() || isStale()) return;
      failPoint('correlator.before_commit');
      resolveOffset(batch.lastOffset());
      await this.#commit(state);
    });
    await heartbeat();
  }

  /** Produces the alerts that generate and the signals of chained correlations, unless a rebuild made them again. */
  async #publish(state: PartitionState, emissions: readonly Emission[]): Promise<void> {
    if (emissions.length === 0) return;
    const { kafkaConfig } = this.#options;
    const alerts: Array<{ key: string; value: string; headers: Record<string, string> }> = [];
    const signals: Array<{ key: string; value: string; headers: Record<string, string> }> = [];
    const headers = { [SCHEMA_HEADER]: '1' };
    for (const e of emissions) {
      if (BigInt(e.maxSeq) < state.replayUntil) {
        this.#metrics.suppressed.inc();
        continue;
      }
      if (e.generate) {
        alerts.push({ key: e.alert.id, value: JSON.stringify(e.alert), headers });
        this.#metrics.alerts.inc({ rule: e.alert.rule.id });
      }
      for (const s of e.signals) {
        signals.push({
          key: signalKey(s, this.#options.set.correlation(s.correlation)),
          value: JSON.stringify(s),
          headers,
        });
      }
    }
    const producer = this.#producer as Producer;
    const topicMessages = [
      ...(alerts.length > 0 ? [{ topic: kafkaConfig.topics.alerts, messages: alerts }] : []),
      ...(signals.length > 0 ? [{ topic: kafkaConfig.topics.signals, messages: signals }] : []),
    ];
    if (topicMessages.length > 0)
      await producer.sendBatch({ acks: -1, compression: CompressionTypes.GZIP, topicMessages });
    if (alerts.length > 0)
      this.#logger.info(
        { partition: state.partition, alerts: alerts.map((a) => a.key) },
        'Correlation alerts produced.',
      );
  }

  /** Commits up to the last signal processed, but not past a signal still held in a window decided at its end. */
  async #commit(state: PartitionState): Promise<void> {
    let offset = state.next;
    const pending = state.engine.oldestPendingSeq();
    if (pending !== undefined && BigInt(pending) < offset) offset = BigInt(pending);
    if (offset <= state.committed) return;
    await (this.#consumer as Consumer).commitOffsets([
      {
        topic: this.#options.kafkaConfig.topics.signals,
        partition: state.partition,
        offset: offset.toString(),
      },
    ]);
    state.committed = offset;
  }

  #locked(state: PartitionState, work: () => Promise<void>): Promise<void> {
    const run = state.lock.then(work);
    state.lock = run.catch(() => {});
    return run;
  }

  /** Once a second: active groups, and the watermark of idle partitions follows the clock. */
  #tick(): void {
    const perRule = new Map<string, number>();
    for (const rule of this.#options.set.correlations) perRule.set(rule.key, 0);
    for (const state of this.#partitions.values()) {
      for (const [rule, n] of state.engine.groupsByRule()) perRule.set(rule, (perRule.get(rule) ?? 0) + n);
    }
    for (const [rule, n] of perRule) this.#metrics.groups.set({ rule }, n);
    const { config } = this.#options;
    if (config.idle_advance_ms === 0) return;
    const now = Date.now();
    for (const state of this.#partitions.values()) {
      if (now - state.lastSignalAt < config.idle_advance_ms || state.next < state.replayUntil) continue;
      this.#locked(state, async () => {
        await state.ready;
        if (this.#partitions.get(state.partition) !== state) return;
        const emissions = state.engine.advanceWatermark(Date.now() - config.allowed_lateness_ms);
        if (emissions.length === 0) return;
        await this.#publish(state, emissions);
        await this.#commit(state);
      }).catch((error: unknown) => {
        this.#logger.warn(
          { err: error, partition: state.partition },
          'Closing idle windows failed; retrying on the next tick.',
        );
      });
    }
  }

  ready(): boolean {
    return this.#joined;
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    const consumer = this.#consumer;
    this.#consumer = undefined;
    this.#joined = false;
    await consumer?.disconnect();
    await Promise.all([...this.#partitions.values()].map((s) => s.lock));
    await this.#producer?.disconnect();
    this.#producer = undefined;
    await this.#admin?.disconnect();
    this.#admin = undefined;
    this.#resolveDone();
  }
}

/** A signal from a message value, or undefined when the value is not one. */
export function decodeSignal(value: Buffer | string | null | undefined): Signal | undefined {
  if (value === null || value === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(typeof value === 'string' ? value : value.toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const s = parsed as Record<string, unknown>;
  if (
    typeof s.correlation !== 'string' ||
    typeof s.rule !== 'string' ||
    typeof s.time !== 'string' ||
    typeof s.event_id !== 'string'
  ) {
    return undefined;
  }
  if (typeof s.group !== 'object' || s.group === null || Array.isArray(s.group)) return undefined;
  for (const v of Object.values(s.group)) if (typeof v !== 'string') return undefined;
  if (s.value !== undefined && typeof s.value !== 'number' && typeof s.value !== 'string') return undefined;
  return s as unknown as Signal;
}
