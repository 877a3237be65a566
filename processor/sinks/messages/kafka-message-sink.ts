/**
 * Alerts and signals onto their Kafka topics (vigil.alerts, vigil.signals),
 * JSON values keyed as the detector decided (signals by rule and group, so
 * each correlation group lives on one correlator), acknowledged by all
 * in-sync replicas before the processor commits the batch they came from.
 */
import { CompressionTypes, type Kafka, type Producer } from 'kafkajs';
import { SCHEMA_HEADER } from '../../../core/event/raw-record.ts';
import type { MessageSink, OutboundMessage } from '../../detection/detector.ts';

const MAX_MESSAGES_PER_SEND = 1000;

export class KafkaMessageSink implements MessageSink {
  readonly name: string;
  readonly #kafka: Kafka;
  readonly #topic: string;
  #producer: Producer | undefined;

  constructor(kafka: Kafka, topic: string) {
    this.#kafka = kafka;
    this.#topic = topic;
    this.name = `kafka:${topic}`;
  }

  async start(): Promise<void> {
    const producer = this.#kafka.producer({ allowAutoTopicCreation: false, maxInFlightRequests: 1 });
    await producer.connect();
    this.#producer = producer;
  }

  async write(messages: readonly OutboundMessage[]): Promise<void> {
    if (messages.length === 0) return;
    const producer = this.#producer;
    if (!producer) throw new Error(`The producer for ${this.#topic} is not connected.`);
    for (let i = 0; i < messages.length; i += MAX_MESSAGES_PER_SEND) {
      await producer.send({
        topic: this.#topic,
        acks: -1,
        compression: CompressionTypes.GZIP,
        messages: messages.slice(i, i + MAX_MESSAGES_PER_SEND).map((m) => ({
          key: m.key,
          value: JSON.stringify(m.value),
          headers: { [SCHEMA_HEADER]: '1' },
        })),
      });
    }
  }

  async stop(): Promise<void> {
    await this.#producer?.disconnect();
    this.#producer = undefined;
  }
}
