/**
 * Dead-letter queue as Kafka topic vigil.dlq: what could not be processed,
 * with the reason, acknowledged by all in-sync replicas before the processor
 * commits the offsets of the batch it came from.
 */
import { CompressionTypes, type Kafka, type Producer } from 'kafkajs';
import type { KafkaConfig } from '../../../core/config/schema.ts';
import { SCHEMA_HEADER } from '../../../core/event/raw-record.ts';
import type { DeadLetter, DeadLetterSink } from '../event-sink.ts';

export class KafkaDeadLetterSink implements DeadLetterSink {
  readonly name = 'dlq-kafka';
  readonly #kafka: Kafka;
  readonly #topic: string;
  #producer: Producer | undefined;

  constructor(kafka: Kafka, config: KafkaConfig) {
    this.#kafka = kafka;
    this.#topic = config.topics.dlq;
  }

  async start(): Promise<void> {
    const producer = this.#kafka.producer({ allowAutoTopicCreation: false, maxInFlightRequests: 1 });
    await producer.connect();
    this.#producer = producer;
  }

  async write(entries: readonly DeadLetter[]): Promise<void> {
    if (entries.length === 0) return;
    const producer = this.#producer;
    if (!producer) throw new Error('The dead-letter producer is not connected.');
    await producer.send({
      topic: this.#topic,
      acks: -1,
      compression: CompressionTypes.GZIP,
      messages: entries.map((entry) => ({
        key: entry.record_id ?? null,
        value: JSON.stringify(entry),
        headers: { [SCHEMA_HEADER]: '1' },
      })),
    });
  }

  async stop(): Promise<void> {
    await this.#producer?.disconnect();
    this.#producer = undefined;
  }
}
