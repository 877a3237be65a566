/**
 * Ships raw records to Kafka topic vigil.raw. Every send waits for all
 * in-sync replicas (acks=all); topics are never created automatically (a
 * missing topic is a clear startup error pointing at `vigil setup`). Records
 * are keyed by stream, so one source's lines stay in order on one partition,
 * and carry a schema-version header.
 */
import { CompressionTypes, type ICustomPartitioner, type Kafka, Partitioners, type Producer } from 'kafkajs';
import type { Counter, Histogram } from 'prom-client';
import { assertTopicsExist } from '../../core/clients/kafka.ts';
import type { KafkaConfig } from '../../core/config/schema.ts';
import { VigilError } from '../../core/errors.ts';
import {
  encodeBundle,
  RAW_SCHEMA_VERSION,
  type RawRecord,
  recordKey,
  SCHEMA_HEADER,
  sameBundle,
} from '../../core/event/raw-record.ts';

interface Message {
  key: string;
  value: string;
  headers: Record<string, string>;
  /** Records in the bundle. */
  records: number;
}

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
  readonly #recordsPerMessage: number;
  readonly #maxBundleBytes: number;
  readonly #messages: Counter | undefined;
  readonly #records: Counter | undefined;
  readonly #latency: Histogram | undefined;
  readonly #bytes: Counter | undefined;
  readonly #logger: Logger | undefined;
  #producer: Producer | undefined;
  #connecting: Promise<Producer> | undefined;
  /** Partitions the current produce request writes to (filled by the partitioner). */
  readonly #chosenPartitions = new Set<number>();

  constructor(kafka: Kafka, config: KafkaConfig, metrics?: Metrics, logger?: Logger) {
    this.#logger = logger;
    this.#kafka = kafka;
    this.#topic = config.topics.raw;
    this.#maxRequestBytes = config.max_request_bytes;
    this.#recordsPerMessage = config.records_per_message;
    // A bundle always fits a request, whatever the lines' sizes.
    this.#maxBundleBytes = Math.floor(config.max_request_bytes / 2);
    this.#messages = metrics?.counter(
      'vigil_collector_produced_messages_total',
      'Kafka messages produced (bundles of records).',
    );
    this.#records = metrics?.counter(
      'vigil_collector_produced_records_total',
      'Raw records produced to Kafka.',
    );
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
        createPartitioner: cachedKeyPartitioner(this.#chosenPartitions),
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
    // Consecutive records of one stream travel as one bundle (schema 2), up to
    // records_per_message of them; Kafka refuses a produce batch above the
    // broker's message.max.bytes (1 MiB by default), so a large send goes out
    // as several requests, in order.
    let chunk: Message[] = [];
    let chunkBytes = 0;
    const flushBundle = async (bundle: RawRecord[]): Promise<void> => {
      const value = encodeBundle(bundle);
      const size = Buffer.byteLength(value) + 64;
      if (chunk.length > 0 && chunkBytes + size > this.#maxRequestBytes) {
        await this.#produce(producer, chunk, chunkBytes, this.#recordsIn(chunk));
        chunk = [];
        chunkBytes = 0;
      }
      chunk.push({
        key: recordKey(bundle[0] as RawRecord),
        value,
        headers: { [SCHEMA_HEADER]: header },
        records: bundle.length,
      });
      chunkBytes += size;
    };
    let bundle: RawRecord[] = [];
    let bundleBytes = 0;
    for (const record of records) {
      const size = record.line.length + 128;
      if (
        bundle.length > 0 &&
        (bundle.length >= this.#recordsPerMessage ||
          bundleBytes + size > this.#maxBundleBytes ||
          !sameBundle(bundle[0] as RawRecord, record))
      ) {
        await flushBundle(bundle);
        bundle = [];
        bundleBytes = 0;
      }
      bundle.push(record);
      bundleBytes += size;
    }
    if (bundle.length > 0) await flushBundle(bundle);
    if (chunk.length > 0) await this.#produce(producer, chunk, chunkBytes, this.#recordsIn(chunk));
  }

  #recordsIn(chunk: Message[]): number {
    let n = 0;
    for (const m of chunk) n += m.records;
    return n;
  }

  async #produce(producer: Producer, messages: Message[], bytes: number, records: number): Promise<void> {
    const end = this.#latency?.startTimer();
    this.#chosenPartitions.clear();
    const result = await producer.send({
      topic: this.#topic,
      acks: -1,
      compression: this.#compression,
      messages: messages.map(({ key, value, headers }) => ({ key, value, headers })),
    });
    // kafkajs silently leaves out messages for a partition it has no metadata
    // for (seen while a broker shuts down) and still resolves. Only a response
    // for every partition written to counts as acknowledged; otherwise the
    // whole batch is sent again (record identities make the repeat harmless).
    const acknowledged = new Set(result.map((r) => r.partition));
    const missing = [...this.#chosenPartitions].filter((p) => !acknowledged.has(p));
    if (this.#chosenPartitions.size === 0 || acknowledged.size === 0) {
      throw new VigilError(
        'KAFKA_UNAVAILABLE',
        `Kafka returned no acknowledgement for a batch to topic ${this.#topic}; the batch is sent again.`,
        { retriable: true },
      );
    }
    if (missing.length > 0) {
      throw new VigilError(
        'KAFKA_UNAVAILABLE',
        `Kafka did not acknowledge partition ${missing.join(', ')} of topic ${this.#topic}; the batch is sent again.`,
        { retriable: true },
      );
    }
    end?.();
    this.#bytes?.inc(bytes);
    this.#messages?.inc(messages.length);
    this.#records?.inc(records);
  }

  async stop(): Promise<void> {
    const producer = this.#producer;
    this.#producer = undefined;
    await producer?.disconnect();
  }
}

/**
 * kafkajs' default partitioner (murmur2 of the key, as Java clients do),
 * remembered per key: all lines of a stream share one key, and hashing it
 * for every record was a large share of the collector's CPU.
 */
function cachedKeyPartitioner(written: Set<number>): ICustomPartitioner {
  return () => {
    const partition = Partitioners.DefaultPartitioner();
    // One sink produces to one topic, so the key alone identifies the choice.
    const cache = new Map<string, { partitions: number; chosen: number }>();
    const choose: ReturnType<ICustomPartitioner> = (args) => {
      const key = args.message.key;
      if (typeof key !== 'string') return partition(args);
      const partitions = args.partitionMetadata.length;
      const hit = cache.get(key);
      if (hit !== undefined && hit.partitions === partitions) return hit.chosen;
      const chosen = partition(args);
      if (cache.size > 100_000) cache.clear();
      cache.set(key, { partitions, chosen });
      return chosen;
    };
    return (args) => {
      const chosen = choose(args);
      written.add(chosen);
      return chosen;
    };
  };
}
