/** Reading back what reached a Kafka topic, for delivery tests. */
import { Kafka, logLevel } from 'kafkajs';
import { decodeMessage, type RawRecord } from '../../core/event/raw-record.ts';
import { KAFKA_BROKERS, uniqueName } from './services.ts';

export function testKafka(): Kafka {
  return new Kafka({ brokers: KAFKA_BROKERS, logLevel: logLevel.NOTHING, clientId: 'vigil-tests' });
}

/** Number of Kafka messages in a topic (sum of high watermarks); a message may bundle several records. */
export async function topicMessageCount(topic: string): Promise<number> {
  const admin = testKafka().admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    return offsets.reduce((sum, p) => sum + Number(p.high) - Number(p.low), 0);
  } catch {
    return 0;
  } finally {
    await admin.disconnect();
  }
}

/** Every record of a topic, read from the beginning until `expected` messages (bundles) were seen. */
export async function readTopic(topic: string, expected: number, timeoutMs = 60_000): Promise<RawRecord[]> {
  const kafka = testKafka();
  const consumer = kafka.consumer({
    groupId: uniqueName('reader'),
    allowAutoTopicCreation: false,
    maxBytes: 50 * 1024 * 1024,
  });
  const records: RawRecord[] = [];
  let messages = 0;
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`Read ${messages} of ${expected} messages from ${topic} before the timeout.`)),
        timeoutMs,
      );
      consumer
        .run({
          eachBatch: async ({ batch }) => {
            for (const message of batch.messages) {
              const decoded = decodeMessage(message.value?.toString() ?? '');
              if ('invalid' in decoded)
                throw new Error(`Topic ${topic} holds a value that is not raw records.`);
              records.push(...decoded);
              messages += 1;
            }
            if (messages >= expected) {
              clearTimeout(timer);
              resolve();
            }
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  return records;
}

export async function deleteTopics(topics: string[]): Promise<void> {
  const admin = testKafka().admin();
  await admin.connect();
  await admin.deleteTopics({ topics }).catch(() => {});
  await admin.disconnect();
}

/**
 * Follows a topic from its beginning and keeps every record it holds, for
 * tests that wait for records to arrive (messages bundle several records, so
 * message counts do not tell).
 */
export class TopicRecords {
  readonly records: RawRecord[] = [];
  readonly topic: string;
  readonly #consumer;
  #started: Promise<void> | undefined;

  constructor(topic: string) {
    this.topic = topic;
    this.#consumer = testKafka().consumer({
      groupId: uniqueName('follower'),
      allowAutoTopicCreation: false,
      maxBytes: 50 * 1024 * 1024,
    });
  }

  start(): Promise<void> {
    this.#started ??= (async () => {
      await this.#consumer.connect();
      await this.#consumer.subscribe({ topic: this.topic, fromBeginning: true });
      await this.#consumer.run({
        eachBatch: async ({ batch }) => {
          for (const message of batch.messages) {
            const decoded = decodeMessage(message.value?.toString() ?? '');
            if ('invalid' in decoded)
              throw new Error(`Topic ${this.topic} holds a value that is not raw records.`);
            this.records.push(...decoded);
          }
        },
      });
    })();
    return this.#started;
  }

  get count(): number {
    return this.records.length;
  }

  async stop(): Promise<void> {
    await this.#consumer.disconnect();
  }
}
