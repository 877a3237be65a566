/**
 * Kafka client factory (kafkajs). Vigil's delivery promise needs explicit
 * settings where kafkajs' defaults do not fit: no automatic topic creation,
 * acks from all in-sync replicas, manual offset resolution in consumers.
 * kafkajs' own log lines are routed into Vigil's structured log.
 */
import { Kafka, type KafkaConfig as KafkaJsConfig, type logCreator, logLevel } from 'kafkajs';
import type { KafkaConfig } from '../config/schema.ts';
import { VigilError } from '../errors.ts';
import type { Logger } from '../log.ts';

// kafkajs warns about its v2 partitioner change on every producer; Vigil chooses its partitioner explicitly.
process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';

export function createKafka(config: KafkaConfig, logger: Logger, clientSuffix = ''): Kafka {
  const options: KafkaJsConfig = {
    clientId: clientSuffix ? `${config.client_id}-${clientSuffix}` : config.client_id,
    brokers: config.brokers,
    connectionTimeout: config.connection_timeout_ms,
    requestTimeout: config.request_timeout_ms,
    logLevel: logLevel.WARN,
    logCreator: kafkaLogCreator(logger),
    retry: { initialRetryTime: 300, retries: 8, maxRetryTime: 10_000 },
  };
  return new Kafka(options);
}

function kafkaLogCreator(logger: Logger): logCreator {
  const child = logger.child({ component: 'kafkajs' });
  return () =>
    ({ level, log }) => {
      const { message, ...rest } = log;
      const text = message.endsWith('.') ? message : `${message}.`;
      if (level === logLevel.ERROR) child.error(rest, text);
      else if (level === logLevel.WARN) child.warn(rest, text);
      else if (level === logLevel.INFO) child.info(rest, text);
      else child.debug(rest, text);
    };
}

/** Fails with a clear message when a topic Vigil needs does not exist. */
export async function assertTopicsExist(kafka: Kafka, topics: readonly string[]): Promise<void> {
  const admin = kafka.admin();
  try {
    await admin.connect();
    const existing = new Set(await admin.listTopics());
    const missing = topics.filter((t) => !existing.has(t));
    if (missing.length > 0) {
      throw new VigilError(
        'KAFKA_TOPIC_MISSING',
        `Kafka topic ${missing.join(', ')} does not exist; run \`vigil setup -c <config>\` to create Vigil's topics.`,
        { details: { missing } },
      );
    }
  } catch (error) {
    if (error instanceof VigilError) throw error;
    throw new VigilError('KAFKA_UNAVAILABLE', `Cannot reach Kafka: ${(error as Error).message}`, {
      cause: error,
    });
  } finally {
    await admin.disconnect();
  }
}

/** The topics Vigil needs, with their partition counts, as `vigil setup` creates them. */
export function vigilTopics(
  config: KafkaConfig,
): Array<{ topic: string; numPartitions: number; replicationFactor: number }> {
  const { topics, partitions, replication_factor: replicationFactor } = config;
  return [topics.raw, topics.signals, topics.alerts, topics.dlq].map((topic) => ({
    topic,
    numPartitions: partitions,
    replicationFactor,
  }));
}

/** Creates the topics that do not exist yet; returns the names created. Safe to run again. */
export async function ensureTopics(kafka: Kafka, config: KafkaConfig): Promise<string[]> {
  const admin = kafka.admin();
  try {
    await admin.connect();
    const existing = new Set(await admin.listTopics());
    const wanted = vigilTopics(config).filter((t) => !existing.has(t.topic));
    if (wanted.length === 0) return [];
    await admin.createTopics({
      topics: wanted.map((t) => ({
        ...t,
        configEntries: [{ name: 'min.insync.replicas', value: String(Math.min(2, t.replicationFactor)) }],
      })),
      waitForLeaders: true,
    });
    return wanted.map((t) => t.topic);
  } catch (error) {
    if (error instanceof VigilError) throw error;
    throw new VigilError('KAFKA_UNAVAILABLE', `Cannot create Kafka topics: ${(error as Error).message}`, {
      cause: error,
    });
  } finally {
    await admin.disconnect();
  }
}
