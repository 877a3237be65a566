/**
 * Ships raw records to Kafka topic vigil.raw. Every send waits for all
 * in-sync replicas (acks=all); topics are never created automatically (a
 * missing topic is a clear startup error pointing at `vigil setup`). Records
 * are keyed by stream, so one source's lines stay in order on one partition,
 * and carry a schema-version header.
 */
import { CompressionTypes, type Kafka, type Producer } from 'kafkajs';
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
import type { RecordSink } from '../../core/transport/record-transport.ts';

export class KafkaRecordSink implements RecordSink {
  readonly name = 'kafka';
  readonly #kafka: Kafka;
  readonly #topic: string;
  #producer: Producer | undefined;

  constructor(kafka: Kafka, config: KafkaConfig) {
    this.#kafka = kafka;
    this.#topic = config.topics.raw;
  }

  async start(): Promise<void> {
    await assertTopicsExist(this.#kafka, [this.#topic]);
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
    }
    this.#producer = producer;
  }

  async send(records: readonly RawRecord[]): Promise<void> {
    const producer = this.#producer;
    if (!producer) throw new VigilError('KAFKA_UNAVAILABLE', 'The Kafka producer is not connected.');
    const header = String(RAW_SCHEMA_VERSION);
    await producer.send({
      topic: this.#topic,
      acks: -1,
      compression: CompressionTypes.GZIP,
      messages: records.map((record) => ({
        key: recordKey(record),
        value: encodeRecord(record),
        headers: { [SCHEMA_HEADER]: header },
      })),
    });
  }

  async stop(): Promise<void> {
    const producer = this.#producer;
    this.#producer = undefined;
    await producer?.disconnect();
  }
}
