import { describe, expect, it } from 'vitest';
import { topicConfigs, vigilTopics } from '../../../../core/clients/kafka.ts';
import { kafkaSchema } from '../../../../core/config/schema.ts';

describe('vigilTopics', () => {
  it('lists the four topics with the configured partitions and replication factor', () => {
    const config = kafkaSchema.parse({ partitions: 12, replication_factor: 3 });
    expect(
      vigilTopics(config).map(({ topic, numPartitions, replicationFactor }) => [
        topic,
        numPartitions,
        replicationFactor,
      ]),
    ).toEqual([
      ['vigil.raw', 12, 3],
      ['vigil.signals', 12, 3],
      ['vigil.alerts', 12, 3],
      ['vigil.dlq', 12, 3],
    ]);
  });

  it('sets each topic its own retention, in milliseconds', () => {
    const config = kafkaSchema.parse({ retention_hours: { raw: 24, signals: 48, alerts: 720, dlq: 1 } });
    expect(vigilTopics(config).map((t) => t.configs['retention.ms'])).toEqual([
      String(24 * 3_600_000),
      String(48 * 3_600_000),
      String(720 * 3_600_000),
      '3600000',
    ]);
  });

  it('keeps the default retention of a topic the configuration does not name', () => {
    const config = kafkaSchema.parse({ retention_hours: { raw: 1 } });
    expect(topicConfigs(config, 'dlq')['retention.ms']).toBe(String(720 * 3_600_000));
  });
});

describe('topicConfigs', () => {
  it('asks for two in-sync replicas by default, or fewer when there are fewer replicas', () => {
    expect(topicConfigs(kafkaSchema.parse({ replication_factor: 3 }), 'raw')['min.insync.replicas']).toBe(
      '2',
    );
    expect(topicConfigs(kafkaSchema.parse({ replication_factor: 1 }), 'raw')['min.insync.replicas']).toBe(
      '1',
    );
  });

  it('takes min_insync_replicas as configured', () => {
    const config = kafkaSchema.parse({ replication_factor: 5, min_insync_replicas: 3 });
    expect(topicConfigs(config, 'signals')['min.insync.replicas']).toBe('3');
  });

  it('sets compression.type from topic_compression, keeping what producers sent by default', () => {
    expect(topicConfigs(kafkaSchema.parse({}), 'raw')['compression.type']).toBe('producer');
    expect(topicConfigs(kafkaSchema.parse({ topic_compression: 'zstd' }), 'raw')['compression.type']).toBe(
      'zstd',
    );
  });

  it('sets exactly the three configs Vigil manages', () => {
    expect(Object.keys(topicConfigs(kafkaSchema.parse({}), 'alerts')).sort()).toEqual([
      'compression.type',
      'min.insync.replicas',
      'retention.ms',
    ]);
  });
});
