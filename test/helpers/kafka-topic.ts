/** Reading back what reached a Kafka topic, for delivery tests. */
import { Kafka, logLevel } from 'kafkajs';
import { decodeRecord, type RawRecord } from '../../core/event/raw-record.ts';
import { KAFKA_BROKERS, uniqueName } from './services.ts';

export function testKafka(): Kafka {
  return new Kafka({ brokers: KAFKA_BROKERS, logLevel: logLevel.NOTHING, clientId: 'vigil-tests' });
}

/** Number of messages in a topic (sum of high watermarks; topics here are never compacted or trimmed). */
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

/** Every record of a topic, read from the beginning until `expected` messages were seen. */
export async function readTopic(topic: string, expected: number, timeoutMs = 60_000): Promise<RawRecord[]> {
  const kafka = testKafka();
  const consumer = kafka.consumer({
    groupId: uniqueName('reader'),
    allowAutoTopicCreation: false,
    maxBytes: 50 * 1024 * 1024,
  });
  const records: RawRecord[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new Error(`Read ${records.length} of ${expected} messages from ${topic} before the timeout.`),
          ),
        timeoutMs,
      );
      consumer
        .run({
          eachBatch: async ({ batch }) => {
            for (const message of batch.messages) {
              const decoded = decodeRecord(message.value?.toString() ?? '');
              if ('invalid' in decoded)
                throw new Error(`Topic ${topic} holds a value that is not a raw record.`);
              records.push(decoded);
            }
            if (records.length >= expected) {
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
