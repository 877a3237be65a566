/**
 * Consumes raw records from Kafka topic vigil.raw as a consumer group member.
 * Offsets are resolved and committed by hand, only after the processor
 * settled every record of the batch (indexed or dead-lettered); kafkajs'
 * automatic batch resolution and commits are off, so a crash at any moment
 * replays uncommitted records instead of losing them. Values that are not
 * raw records go to the dead-letter queue with the reason.
 */
import type { Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import { assertTopicsExist } from '../../core/clients/kafka.ts';
import type { KafkaConfig } from '../../core/config/schema.ts';
import { decodeMessage, type RawRecord } from '../../core/event/raw-record.ts';
import { failPoint } from '../../core/failpoint.ts';
import type { Logger } from '../../core/log.ts';
import type { Metrics } from '../../core/telemetry/metrics.ts';
import type { BatchHandler } from '../../core/transport/record-transport.ts';
import type { RecordInput } from '../processor.ts';
import type { DeadLetter } from '../sinks/event-sink.ts';

const HEARTBEAT_MS = 2000;

export interface KafkaRecordInputOptions {
  kafka: Kafka;
  config: KafkaConfig;
  groupId: string;
  /** A member silent this long loses its partitions to the others. */
  sessionTimeoutMs?: number;
  logger: Logger;
  /** Partitions processed at the same time by this instance. */
  partitionsConcurrently?: number;
  /** Longest wait for a fetch to fill before the records at hand are processed. */
  maxWaitMs?: number;
  metrics?: Metrics;
}

export class KafkaRecordInput implements RecordInput {
  readonly name = 'kafka';
  readonly #options: KafkaRecordInputOptions;
  readonly #logger: Logger;
  #consumer: Consumer | undefined;
  #joined = false;
  readonly #lag;
  #resolveDone: () => void = () => {};
  #rejectDone: (error: unknown) => void = () => {};
  readonly done: Promise<void>;

  constructor(options: KafkaRecordInputOptions) {
    this.#options = options;
    this.#logger = options.logger.child({ input: 'kafka', topic: options.config.topics.raw });
    this.#lag = options.metrics?.gauge(
      'vigil_processor_consumer_lag',
      'Records of vigil.raw behind the latest offset, per partition, as of the last batch taken from it.',
      ['partition'],
    );
    this.done = new Promise<void>((resolve, reject) => {
      this.#resolveDone = resolve;
      this.#rejectDone = reject;
    });
    this.done.catch(() => {});
  }

  async start(handler: BatchHandler, onInvalid: (entries: DeadLetter[]) => Promise<void>): Promise<void> {
    const { kafka, config, groupId } = this.#options;
    const topic = config.topics.raw;
    await assertTopicsExist(kafka, [topic, config.topics.dlq]);
    const consumer = kafka.consumer({
      groupId,
      allowAutoTopicCreation: false,
      sessionTimeout: this.#options.sessionTimeoutMs ?? 30_000,
      heartbeatInterval: Math.min(3000, Math.floor((this.#options.sessionTimeoutMs ?? 30_000) / 3)),
      maxBytesPerPartition: 2 * 1024 * 1024,
      maxWaitTimeInMs: this.#options.maxWaitMs ?? 1000,
    });
    this.#consumer = consumer;
    consumer.on(consumer.events.GROUP_JOIN, (event) => {
      this.#joined = true;
      this.#logger.info(
        { group: groupId, member: event.payload.memberId, assignment: event.payload.memberAssignment },
        'Joined the processor group.',
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
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.#options.partitionsConcurrently ?? 1,
      eachBatch: (payload) => this.#eachBatch(payload, handler, onInvalid),
    });
  }

  async #eachBatch(
    payload: EachBatchPayload,
    handler: BatchHandler,
    onInvalid: (entries: DeadLetter[]) => Promise<void>,
  ): Promise<void> {
    const { batch, heartbeat, isRunning, isStale, resolveOffset } = payload;
    if (batch.messages.length === 0 || !isRunning() || isStale()) return;
    this.#lag?.set({ partition: String(batch.partition) }, Number(batch.offsetLagLow()) + 1);
    const records: RawRecord[] = [];
    const invalid: DeadLetter[] = [];
    const now = new Date().toISOString();
    for (const message of batch.messages) {
      const value = message.value?.toString('utf8') ?? '';
      const decoded = decodeMessage(value);
      if ('invalid' in decoded) {
        invalid.push({
          reason: `not raw records (${decoded.invalid})`,
          stage: 'decode',
          payload: { topic: batch.topic, partition: batch.partition, offset: message.offset, value },
          failed_at: now,
        });
      } else {
        for (const record of decoded) records.push(record);
      }
    }
    const beat = setInterval(() => {
      heartbeat().catch(() => {});
    }, HEARTBEAT_MS);
    try {
      await onInvalid(invalid);
      if (records.length > 0) await handler(records);
    } finally {
      clearInterval(beat);
    }
    if (!isRunning() || isStale()) return;
    failPoint('processor.before_commit');
    const last = batch.lastOffset();
    resolveOffset(last);
    await (this.#consumer as Consumer).commitOffsets([
      { topic: batch.topic, partition: batch.partition, offset: (BigInt(last) + 1n).toString() },
    ]);
    this.#lag?.set({ partition: String(batch.partition) }, Number(batch.offsetLag()));
    await heartbeat();
  }

  ready(): boolean {
    return this.#joined;
  }

  async stop(): Promise<void> {
    const consumer = this.#consumer;
    this.#consumer = undefined;
    this.#joined = false;
    await consumer?.disconnect();
    this.#resolveDone();
  }
}
