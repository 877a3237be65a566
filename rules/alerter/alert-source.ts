/**
 * Consumes `vigil.alerts` as a member of the alerter group. As in the
 * processor's Kafka source, offsets are resolved and committed by hand, only
 * after the batch is settled: every alert indexed and its notification jobs
 * in Redis, or dead-lettered. A crash at any moment replays the uncommitted
 * alerts, which the alert ids make harmless.
 */
import type { Consumer, EachBatchPayload, Kafka, KafkaMessage } from 'kafkajs';
import { assertTopicsExist } from '../../core/clients/kafka.ts';
import type { Logger } from '../../core/log.ts';

const HEARTBEAT_MS = 2000;

export interface AlertMessage {
  topic: string;
  partition: number;
  offset: string;
  message: KafkaMessage;
}

export type AlertBatchHandler = (messages: AlertMessage[]) => Promise<void>;

export interface KafkaAlertSourceOptions {
  kafka: Kafka;
  topic: string;
  dlqTopic: string;
  groupId: string;
  sessionTimeoutMs: number;
  logger: Logger;
}

export class KafkaAlertSource {
  readonly #options: KafkaAlertSourceOptions;
  readonly #logger: Logger;
  #consumer: Consumer | undefined;
  #joined = false;
  #resolveDone: () => void = () => {};
  #rejectDone: (error: unknown) => void = () => {};
  readonly done: Promise<void>;

  constructor(options: KafkaAlertSourceOptions) {
    this.#options = options;
    this.#logger = options.logger.child({ input: 'kafka', topic: options.topic });
    this.done = new Promise<void>((resolve, reject) => {
      this.#resolveDone = resolve;
      this.#rejectDone = reject;
    });
    this.done.catch(() => {});
  }

  async start(handler: AlertBatchHandler): Promise<void> {
    const { kafka, topic, groupId, sessionTimeoutMs } = this.#options;
    await assertTopicsExist(kafka, [topic, this.#options.dlqTopic]);
    const consumer = kafka.consumer({
      groupId,
      allowAutoTopicCreation: false,
      sessionTimeout: sessionTimeoutMs,
      heartbeatInterval: Math.min(3000, Math.floor(sessionTimeoutMs / 3)),
      maxBytesPerPartition: 1024 * 1024,
      maxWaitTimeInMs: 500,
    });
    this.#consumer = consumer;
    consumer.on(consumer.events.GROUP_JOIN, (event) => {
      this.#joined = true;
      this.#logger.info({ group: groupId, member: event.payload.memberId }, 'Joined the alerter group.');
    });
    consumer.on(consumer.events.CRASH, (event) => {
      const { error, restart } = event.payload;
      if (!restart) {
        this.#logger.error({ err: error }, 'The Kafka consumer crashed and will not restart.');
        this.#rejectDone(error);
      } else
        this.#logger.warn(
          { err: error },
          'The Kafka consumer hit an error; it restarts and the batch is read again.',
        );
    });
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 1,
      eachBatch: (payload) => this.#eachBatch(payload, handler),
    });
  }

  async #eachBatch(payload: EachBatchPayload, handler: AlertBatchHandler): Promise<void> {
    const { batch, heartbeat, isRunning, isStale, resolveOffset } = payload;
    if (batch.messages.length === 0 || !isRunning() || isStale()) return;
    const beat = setInterval(() => {
      heartbeat().catch(() => {});
    }, HEARTBEAT_MS);
    try {
      await handler(
        batch.messages.map((message) => ({
          topic: batch.topic,
          partition: batch.partition,
          offset: message.offset,
          message,
        })),
      );
    } finally {
      clearInterval(beat);
    }
    if (!isRunning() || isStale()) return;
    const last = batch.lastOffset();
    resolveOffset(last);
    await (this.#consumer as Consumer).commitOffsets([
      { topic: batch.topic, partition: batch.partition, offset: (BigInt(last) + 1n).toString() },
    ]);
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
