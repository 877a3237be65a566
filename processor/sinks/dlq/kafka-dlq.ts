/**
 * Dead-letter queue as Kafka topic vigil.dlq: what could not be processed,
 * with the reason, acknowledged by all in-sync replicas before the processor
 * commits the offsets of the batch it came from. The producer is the one
 * alerts and signals use (KafkaMessageSink); entries are keyed by their raw
 * record's identity.
 */
import type { Kafka } from 'kafkajs';
import type { KafkaConfig } from '../../../core/config/schema.ts';
import type { DeadLetter, DeadLetterSink } from '../event-sink.ts';
import { KafkaMessageSink } from '../messages/kafka-message-sink.ts';

export class KafkaDeadLetterSink implements DeadLetterSink {
  readonly name = 'dlq-kafka';
  readonly #messages: KafkaMessageSink;

  constructor(kafka: Kafka, config: KafkaConfig) {
    this.#messages = new KafkaMessageSink(kafka, config.topics.dlq);
  }

  start(): Promise<void> {
    return this.#messages.start();
  }

  write(entries: readonly DeadLetter[]): Promise<void> {
    return this.#messages.write(entries.map((entry) => ({ key: entry.record_id ?? null, value: entry })));
  }

  stop(): Promise<void> {
    return this.#messages.stop();
  }
}
