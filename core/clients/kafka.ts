/**
 * Kafka client factory (kafkajs). Vigil's delivery promise needs explicit
 * settings where kafkajs' defaults do not fit: no automatic topic creation,
 * acks from all in-sync replicas, manual offset resolution in consumers.
 * kafkajs' own log lines are routed into Vigil's structured log.
 */
import {
  type Admin,
  type ConfigResourceTypes,
  Kafka,
  type KafkaConfig as KafkaJsConfig,
  type logCreator,
  logLevel,
} from 'kafkajs';
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

/** One of Vigil's topics as `vigil setup` creates it: partitions, replication and topic configs. */
export interface TopicSpec {
  topic: string;
  numPartitions: number;
  replicationFactor: number;
  /** Topic-level configs Vigil sets: min.insync.replicas, retention.ms, compression.type. */
  configs: Record<string, string>;
}

const HOUR_MS = 3_600_000;

/** The topic configs Vigil sets on one of its topics, from the `kafka` section. */
export function topicConfigs(config: KafkaConfig, role: keyof KafkaConfig['topics']): Record<string, string> {
  const minInsync = config.min_insync_replicas ?? Math.min(2, config.replication_factor);
  return {
    'min.insync.replicas': String(minInsync),
    'retention.ms': String(config.retention_hours[role] * HOUR_MS),
    'compression.type': config.topic_compression,
  };
}

/** The topics Vigil needs, as `vigil setup` creates them. */
export function vigilTopics(config: KafkaConfig): TopicSpec[] {
  const roles = ['raw', 'signals', 'alerts', 'dlq'] as const;
  return roles.map((role) => ({
    topic: config.topics[role],
    numPartitions: config.partitions,
    replicationFactor: config.replication_factor,
    configs: topicConfigs(config, role),
  }));
}

/** What `reconcileTopics` did (or, with `dryRun`, would do) to one topic. */
export interface TopicChange {
  topic: string;
  action: 'created' | 'updated' | 'unchanged';
  /** One entry per change, e.g. "retention.ms 604800000 → 3600000" or "partitions 3 → 6". */
  changes: string[];
  /** What setup cannot or will not change, e.g. fewer partitions than the topic has. */
  warnings: string[];
}

export interface ReconcileTopicsOptions {
  /** Only report what would change. */
  dryRun?: boolean;
}

// kafkajs' ConfigResourceTypes and ConfigSource are enums its ESM entry does not export by name.
const TOPIC_RESOURCE = 2 as ConfigResourceTypes;
const TOPIC_CONFIG_SOURCE = 1;

/**
 * Brings Vigil's topics to the configuration: creates missing topics with
 * their partitions, replication factor and topic configs; on existing topics,
 * alters the configs that differ and adds partitions when more are
 * configured. Partitions are never removed and the replication factor is
 * never changed (both need a reassignment by an operator): those differences
 * are returned as warnings. Safe to run again; reports each topic.
 */
export async function reconcileTopics(
  kafka: Kafka,
  config: KafkaConfig,
  options: ReconcileTopicsOptions = {},
): Promise<TopicChange[]> {
  const admin = kafka.admin({ retry: { retries: 2, initialRetryTime: 300, maxRetryTime: 2000 } });
  try {
    try {
      await admin.connect();
    } catch (error) {
      throw new VigilError(
        'KAFKA_UNAVAILABLE',
        `Cannot reach Kafka at ${config.brokers.join(', ')}: ${(error as Error).message}. Is Kafka running there? Check kafka.brokers in the configuration.`,
        { cause: error },
      );
    }
    const existing = new Set(await admin.listTopics());
    const results: TopicChange[] = [];
    for (const spec of vigilTopics(config)) {
      results.push(
        existing.has(spec.topic)
          ? await reconcileTopic(admin, spec, options)
          : await createTopic(admin, spec, options),
      );
    }
    return results;
  } catch (error) {
    if (error instanceof VigilError) throw error;
    throw new VigilError('KAFKA_UNAVAILABLE', `Cannot set up Kafka topics: ${(error as Error).message}`, {
      cause: error,
    });
  } finally {
    await admin.disconnect();
  }
}

async function createTopic(
  admin: Admin,
  spec: TopicSpec,
  options: ReconcileTopicsOptions,
): Promise<TopicChange> {
  const warnings = insyncWarnings(spec);
  const changes = [
    `${spec.numPartitions} partitions`,
    `replication factor ${spec.replicationFactor}`,
    ...Object.entries(spec.configs).map(([name, value]) => `${name}=${value}`),
  ];
  if (!options.dryRun) {
    try {
      await admin.createTopics({
        topics: [
          {
            topic: spec.topic,
            numPartitions: spec.numPartitions,
            replicationFactor: spec.replicationFactor,
            configEntries: Object.entries(spec.configs).map(([name, value]) => ({ name, value })),
          },
        ],
        waitForLeaders: true,
      });
    } catch (error) {
      throw new VigilError(
        'KAFKA_UNAVAILABLE',
        `Cannot create Kafka topic ${spec.topic}: ${describeKafkaError(error)}`,
        { cause: error, retriable: false },
      );
    }
  }
  return { topic: spec.topic, action: 'created', changes, warnings };
}

async function reconcileTopic(
  admin: Admin,
  spec: TopicSpec,
  options: ReconcileTopicsOptions,
): Promise<TopicChange> {
  const changes: string[] = [];
  const warnings = insyncWarnings(spec);

  const described = await admin.describeConfigs({
    resources: [{ type: TOPIC_RESOURCE, name: spec.topic }],
    includeSynonyms: false,
  });
  const entries = described.resources[0]?.configEntries ?? [];
  const current = new Map(entries.map((e) => [e.configName, e.configValue]));
  const differing = Object.entries(spec.configs).filter(([name, value]) => current.get(name) !== value);
  for (const [name, value] of differing) changes.push(`${name} ${current.get(name) ?? '(unset)'} → ${value}`);
  if (differing.length > 0 && !options.dryRun) {
    // AlterConfigs replaces every topic-level config of the topic: keep the ones set
    // on the topic before (by an operator, say), overridden by Vigil's.
    const kept = entries
      .filter(
        (e) => e.configSource === TOPIC_CONFIG_SOURCE && !e.isSensitive && !(e.configName in spec.configs),
      )
      .map((e) => ({ name: e.configName, value: e.configValue }));
    const ours = Object.entries(spec.configs).map(([name, value]) => ({ name, value }));
    try {
      await admin.alterConfigs({
        validateOnly: false,
        resources: [{ type: TOPIC_RESOURCE, name: spec.topic, configEntries: [...kept, ...ours] }],
      });
    } catch (error) {
      throw new VigilError(
        'KAFKA_UNAVAILABLE',
        `Cannot change the configs of Kafka topic ${spec.topic}: ${describeKafkaError(error)}`,
        { cause: error, retriable: false },
      );
    }
  }

  const metadata = await admin.fetchTopicMetadata({ topics: [spec.topic] });
  const partitions = metadata.topics[0]?.partitions ?? [];
  if (partitions.length < spec.numPartitions) {
    changes.push(`partitions ${partitions.length} → ${spec.numPartitions}`);
    if (!options.dryRun) {
      await admin.createPartitions({ topicPartitions: [{ topic: spec.topic, count: spec.numPartitions }] });
    }
  } else if (partitions.length > spec.numPartitions) {
    warnings.push(
      `it has ${partitions.length} partitions, more than the configured ${spec.numPartitions}; Kafka cannot remove partitions, so it keeps ${partitions.length}`,
    );
  }
  const replicas = partitions[0]?.replicas.length;
  if (replicas !== undefined && replicas !== spec.replicationFactor) {
    warnings.push(
      `its replication factor is ${replicas}, not the configured ${spec.replicationFactor}; changing it needs a partition reassignment (kafka-reassign-partitions.sh)`,
    );
  }
  return { topic: spec.topic, action: changes.length > 0 ? 'updated' : 'unchanged', changes, warnings };
}

function insyncWarnings(spec: TopicSpec): string[] {
  const minInsync = Number(spec.configs['min.insync.replicas']);
  return minInsync > spec.replicationFactor
    ? [
        `min.insync.replicas ${minInsync} is more than the replication factor ${spec.replicationFactor}; producers (acks=all) will be refused`,
      ]
    : [];
}

function describeKafkaError(error: unknown): string {
  const err = error as Error & { errors?: Array<{ message?: string }> };
  const inner = err.errors?.map((e) => e.message).filter(Boolean) ?? [];
  return inner.length > 0 ? inner.join('; ') : err.message;
}

/** Creates the topics that do not exist yet (and brings existing ones to the configuration); returns the names created. Safe to run again. */
export async function ensureTopics(kafka: Kafka, config: KafkaConfig): Promise<string[]> {
  const changes = await reconcileTopics(kafka, config);
  return changes.filter((c) => c.action === 'created').map((c) => c.topic);
}
