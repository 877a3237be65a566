/**
 * Ships raw records to Kafka topic vigil.raw. Every send waits for all
 * in-sync replicas (acks=all); topics are never created automatically (a
 * missing topic is a clear startup error pointing at `vigil setup`). Records
 * are keyed by stream, so one source's lines stay in order on one partition,
 * and carry a schema-version header.
 */
import { CompressionTypes, type Kafka, type Producer } from 'kafkajs';
import type { Counter, Histogram } from 'prom-client';
import { assertTopicsExist } from '../../core/clients/kafka.ts';
import type { KafkaConfig } from '../../core/config/schema.ts';
import { VigilError } from '../../core/errors.ts';
import {
  encodeRecord,
  RAW_SCHEMA_VERSION,
  type RawRecord,
  recordKey,
  SCHEMA_HEADER,
} from '../../core/event/raw-record.ts';
import type { Logger } from '../../core/log.ts';
import type { Metrics } from '../../core/telemetry/metrics.ts';
import type { RecordSink } from '../../core/transport/record-transport.ts';

const START_CHECK_MS = 10_000;

export class KafkaRecordSink implements RecordSink {
  readonly name = 'kafka';
  readonly #kafka: Kafka;
  readonly #topic: string;
  readonly #compression: CompressionTypes;
  readonly #maxRequestBytes: number;
  readonly #latency: Histogram | undefined;
  readonly #bytes: Counter | undefined;
  readonly #logger: Logger | undefined;
  #producer: Producer | undefined;
  #connecting: Promise<Producer> | undefined;

  constructor(kafka: Kafka, config: KafkaConfig, metrics?: Metrics, logger?: Logger) {
    this.#logger = logger;
    this.#kafka = kafka;
    this.#topic = config.topics.raw;
    this.#maxRequestBytes = config.max_request_bytes;
    this.#compression = config.compression === 'gzip' ? CompressionTypes.GZIP : CompressionTypes.None;
    this.#latency = metrics?.histogram(
      'vigil_collector_produce_seconds',
      'Time from sending a batch to Kafka until all in-sync replicas acknowledged it.',
    );
    this.#bytes = metrics?.counter(
      'vigil_collector_produced_bytes_total',
      'Bytes of record values produced to Kafka.',
    );
  }

  /**
   * Checks the topic when Kafka answers: a missing topic is a configuration
   * problem and stops the start. When Kafka does not answer, the collector
   * starts anyway — files wait where they are and syslog goes to the spool —
   * and the producer connects on the first send that succeeds.
   */
  async start(): Promise<void> {
    try {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new VigilError('KAFKA_UNAVAILABLE', 'Kafka did not answer within 10 s.')),
          START_CHECK_MS,
        );
      });
      try {
        await Promise.race([assertTopicsExist(this.#kafka, [this.#topic]), timeout]);
      } finally {
        clearTimeout(timer);
      }
    } catch (error) {
      if (error instanceof VigilError && error.code === 'KAFKA_TOPIC_MISSING') throw error;
      this.#logger?.warn(
        { err: error, topic: this.#topic },
        'Kafka does not answer; the collector starts anyway and ships once it does.',
      );
      return;
    }
    await this.#connect().catch(() => {});
  }

  async #connect(): Promise<Producer> {
    if (this.#producer) return this.#producer;
    this.#connecting ??= (async () => {
      const producer = this.#kafka.producer({
        allowAutoTopicCreation: false,
        idempotent: false,
        maxInFlightRequests: 1,
        retry: { retries: 5 },
      });
      try {
        await producer.connect();
      } catch (error) {
        throw new VigilError('KAFKA_UNAVAILABLE', `Cannot connect to Kafka: ${(error as Error).message}`, {
          cause: error,
        });
      } finally {
        this.#connecting = undefined;
      }
      this.#producer = producer;
      return producer;
    })();
    return this.#connecting;
  }

  async send(records: readonly RawRecord[]): Promise<void> {
    const producer = await this.#connect();
    const header = String(RAW_SCHEMA_VERSION);
    // Kafka refuses a produce batch above the broker's message.max.bytes (1 MiB by
    // default), so a large send goes out as several requests, in order.
    let chunk: Array<{ key: string; value: string; headers: Record<string, string> }> = [];
    let chunkBytes = 0;
    for (const record of records) {
      const value = encodeRecord(record);
      const size = Buffer.byteLength(value) + 64;
      if (chunk.length > 0 && chunkBytes + size > this.#maxRequestBytes) {
        await this.#produce(producer, chunk, chunkBytes);
        chunk = [];
        chunkBytes = 0;
      }
      chunk.push({ key: recordKey(record), value, headers: { [SCHEMA_HEADER]: header } });
      chunkBytes += size;
    }
    if (chunk.length > 0) await this.#produce(producer, chunk, chunkBytes);
  }

  async #produce(
    producer: Producer,
    messages: Array<{ key: string; value: string; headers: Record<string, string> }>,
    bytes: number,
  ): Promise<void> {
    const end = this.#latency?.startTimer();
    await producer.send({ topic: this.#topic, acks: -1, compression: this.#compression, messages });
    end?.();
    this.#bytes?.inc(bytes);
  }

  async stop(): Promise<void> {
    const producer = this.#producer;
    this.#producer = undefined;
    await producer?.disconnect();
  }
}
