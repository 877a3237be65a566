import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KafkaRecordSink } from '../../../../collector/sinks/kafka.ts';
import { assertTopicsExist, createKafka, ensureTopics } from '../../../../core/clients/kafka.ts';
import { kafkaSchema } from '../../../../core/config/schema.ts';
import {
  decodeMessage,
  type RawRecord,
  recordKey,
  SCHEMA_HEADER,
} from '../../../../core/event/raw-record.ts';
import { silentLogger } from '../../../../core/log.ts';
import { KAFKA_BROKERS, uniqueName } from '../../../helpers/services.ts';

const prefix = uniqueName('it-kafka');
const config = kafkaSchema.parse({
  brokers: KAFKA_BROKERS,
  partitions: 3,
  topics: {
    raw: `${prefix}.raw`,
    signals: `${prefix}.signals`,
    alerts: `${prefix}.alerts`,
    dlq: `${prefix}.dlq`,
  },
});
const kafka = createKafka(config, silentLogger(), 'it');

function record(offset: number, stream = 'file:1:2'): RawRecord {
  return {
    collector: { id: 'it-host', version: '0.0.0' },
    host: { name: 'it-host' },
    stream: { id: stream, kind: 'file' },
    offset,
    line: `line at ${offset}`,
    dataset: 'generic',
    observed_at: new Date().toISOString(),
    file: { path: '/var/log/it.log' },
  };
}

describe('Kafka (real broker)', () => {
  beforeAll(async () => {
    await ensureTopics(kafka, config);
  });

  afterAll(async () => {
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics: Object.values(config.topics) });
    await admin.disconnect();
  });

  it('creates the four topics once and reports nothing to create the second time', async () => {
    expect(await ensureTopics(kafka, config)).toEqual([]);
    const admin = kafka.admin();
    await admin.connect();
    const metadata = await admin.fetchTopicMetadata({ topics: [config.topics.raw] });
    await admin.disconnect();
    expect(metadata.topics[0]?.partitions).toHaveLength(3);
  });

  it('refuses to start a producer when the raw topic does not exist, naming the topic', async () => {
    const missing = kafkaSchema.parse({ brokers: KAFKA_BROKERS, topics: { raw: `${prefix}.absent` } });
    await expect(assertTopicsExist(kafka, [missing.topics.raw])).rejects.toMatchObject({
      code: 'KAFKA_TOPIC_MISSING',
      message: expect.stringContaining(`${prefix}.absent`),
    });
  });

  it('round-trips raw records bundled per stream, with the stream key and schema header, in order per stream', async () => {
    const sink = new KafkaRecordSink(kafka, config);
    await sink.start();
    const sent = [record(0), record(10), record(20), record(0, 'file:9:9')];
    await sink.send(sent);
    await sink.stop();

    const consumer = kafka.consumer({ groupId: uniqueName('it-group'), allowAutoTopicCreation: false });
    await consumer.connect();
    await consumer.subscribe({ topic: config.topics.raw, fromBeginning: true });
    const received: Array<{ key: string; header: string; record: RawRecord }> = [];
    let messages = 0;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('records did not arrive within 30 s')), 30_000);
      consumer
        .run({
          eachMessage: async ({ message }) => {
            const decoded = decodeMessage(message.value?.toString() ?? '');
            if ('invalid' in decoded) throw new Error(decoded.invalid);
            messages += 1;
            for (const record of decoded) {
              received.push({
                key: message.key?.toString() ?? '',
                header: message.headers?.[SCHEMA_HEADER]?.toString() ?? '',
                record,
              });
            }
            if (received.length === sent.length) {
              clearTimeout(timer);
              resolve();
            }
          },
        })
        .catch(reject);
    });
    await consumer.disconnect();

    expect(received.map((r) => r.header)).toEqual(['2', '2', '2', '2']);
    // Consecutive records of one stream share a message (a bundle): two streams, two messages.
    expect(messages).toBe(2);
    for (const r of received) expect(r.key).toBe(recordKey(r.record));
    const firstStream = received.filter((r) => r.record.stream.id === 'file:1:2').map((r) => r.record.offset);
    expect(firstStream).toEqual([0, 10, 20]);
  });
});
