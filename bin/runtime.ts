/**
 * Wiring shared by the commands: configuration, logging, metrics and the
 * telemetry endpoint, and the builders that assemble collector and processor
 * from their parts for each mode (Kafka or in-process transport).
 *
 * Processor parts are imported on demand, so a collector — which runs on
 * every host — never loads the OpenSearch client and keeps its memory small.
 */
import { join } from 'node:path';
import { Collector } from '../collector/collector.ts';
import { KafkaRecordSink } from '../collector/sinks/kafka.ts';
import { createKafka } from '../core/clients/kafka.ts';
import { loadConfigFile } from '../core/config/loader.ts';
import type { VigilConfig } from '../core/config/schema.ts';
import { type Component, ComponentGroup } from '../core/lifecycle.ts';
import { createLogger, type Logger } from '../core/log.ts';
import { TelemetryServer } from '../core/telemetry/http-server.ts';
import { Metrics } from '../core/telemetry/metrics.ts';
import { MemoryQueue } from '../core/transport/memory-queue.ts';
import type { RecordSink } from '../core/transport/record-transport.ts';
import type { Detector, MessageSink } from '../processor/detection/detector.ts';
import type { Processor, RecordInput } from '../processor/processor.ts';
import type { DeadLetterSink, EventSink } from '../processor/sinks/event-sink.ts';

export interface Runtime {
  config: VigilConfig;
  logger: Logger;
  metrics: Metrics;
  group: ComponentGroup;
}

export function loadConfig(file: string): VigilConfig {
  return loadConfigFile(file);
}

/** Logger, metrics, and a component group that already holds the telemetry endpoint when enabled. */
export function createRuntime(config: VigilConfig, options: { logger?: Logger } = {}): Runtime {
  const logger = options.logger ?? createLogger({ level: config.log.level });
  const metrics = new Metrics();
  const group = new ComponentGroup(logger);
  if (config.http.enabled) group.add(telemetryComponent(config, metrics, logger, group));
  return { config, logger, metrics, group };
}

function telemetryComponent(
  config: VigilConfig,
  metrics: Metrics,
  logger: Logger,
  group: ComponentGroup,
): Component {
  const server = new TelemetryServer({
    address: config.http.address,
    metrics,
    logger,
    checks: () => group.components.filter((c) => c.name !== 'telemetry'),
  });
  return {
    name: 'telemetry',
    start: () => server.start(),
    stop: () => server.stop(),
    ready: () => true,
  };
}

export async function eventSinkFor(runtime: Runtime): Promise<EventSink> {
  const { config, logger, metrics } = runtime;
  if (config.opensearch) {
    const { createOpenSearch } = await import('../core/clients/opensearch.ts');
    const { OpenSearchSink } = await import('../processor/sinks/opensearch/opensearch-sink.ts');
    return new OpenSearchSink(createOpenSearch(config.opensearch), config.opensearch, logger, metrics);
  }
  const { NdjsonSink } = await import('../processor/sinks/ndjson/ndjson-sink.ts');
  return new NdjsonSink(config.processor.output_dir, metrics);
}

/** `vigil collector`: files → Kafka. */
export function addKafkaCollector(runtime: Runtime): Collector {
  const { config, logger, metrics } = runtime;
  const sink = new KafkaRecordSink(
    createKafka(config.kafka, logger, 'collector'),
    config.kafka,
    metrics,
    logger,
  );
  const collector = new Collector({ config, sink, logger, metrics });
  runtime.group.add(collector);
  return collector;
}

/** `vigil processor`: Kafka → OpenSearch (or NDJSON files), DLQ in Kafka. */
export async function addKafkaProcessor(runtime: Runtime): Promise<Processor> {
  const { config, logger, metrics } = runtime;
  const { Processor } = await import('../processor/processor.ts');
  const { KafkaRecordInput } = await import('../processor/sources/kafka.ts');
  const { KafkaDeadLetterSink } = await import('../processor/sinks/dlq/kafka-dlq.ts');
  const kafka = createKafka(config.kafka, logger, 'processor');
  const input: RecordInput = new KafkaRecordInput({
    kafka,
    config: config.kafka,
    groupId: config.processor.group_id,
    sessionTimeoutMs: config.processor.session_timeout_ms,
    maxWaitMs: config.opensearch?.bulk_max_wait_ms,
    partitionsConcurrently: config.processor.partitions_concurrently,
    logger,
    metrics,
  });
  const dlq: DeadLetterSink = new KafkaDeadLetterSink(kafka, config.kafka);
  const { KafkaMessageSink } = await import('../processor/sinks/messages/kafka-message-sink.ts');
  const detection = await detectionFor(runtime, (topic) => new KafkaMessageSink(kafka, topic));
  const processor = new Processor({
    config,
    input,
    sink: await eventSinkFor(runtime),
    dlq,
    logger,
    metrics,
    ...detection,
  });
  runtime.group.add(processor);
  return processor;
}

/**
 * Detection for a processor when `rules.paths` is set: the Sigma rules
 * (problems stop the start, listed), alerts to `kafka.topics.alerts` and
 * correlation signals to `kafka.topics.signals` (or their standalone files).
 */
export async function detectionFor(
  runtime: Runtime,
  sinkFor: (topic: string) => MessageSink,
): Promise<{ detector?: Detector; alerts?: MessageSink; signals?: MessageSink }> {
  const { config, logger, metrics } = runtime;
  if (config.rules.paths.length === 0) return {};
  const { RuleSetHolder } = await import('../rules/sigma/index.ts');
  const { SigmaDetector } = await import('../processor/detection/sigma-detector.ts');
  const rules = new RuleSetHolder({
    paths: config.rules.paths,
    pipelines: config.rules.pipelines,
    builtinPipeline: config.rules.builtin_pipeline,
    placeholders: config.rules.placeholders,
    reloadIntervalMs: config.rules.reload_interval_ms,
    metrics,
    logger,
  });
  // Correlation rules in the same paths: the events that feed them become signals for the
  // correlator, and rules only a correlation uses raise no alerts of their own (Sigma's `generate`).
  const { loadCorrelations } = await import('../rules/correlation/load.ts');
  const { signalKey, signalsForHit } = await import('../rules/correlation/signal.ts');
  const correlations = loadCorrelations({ paths: config.rules.paths });
  if (correlations.problems.length > 0) {
    const { VigilError } = await import('../core/errors.ts');
    const { formatProblem } = await import('../rules/sigma/index.ts');
    throw new VigilError(
      'RULE_INVALID',
      `Correlation rules have ${correlations.problems.length} problem(s):\n${correlations.problems.map((p) => `  ${formatProblem(p)}`).join('\n')}`,
    );
  }
  const set = correlations.set;
  return {
    detector: new SigmaDetector(rules, {
      alerts: (hit) =>
        set.generatesAlerts(hit.ruleId) &&
        (hit.rule.name === undefined || set.generatesAlerts(hit.rule.name)),
      signalsFor: (hits, event, eventId) => {
        const out = [];
        for (const hit of hits) {
          for (const signal of signalsForHit(set, { id: hit.ruleId, name: hit.rule.name }, event, {
            eventId,
          })) {
            out.push({ key: signalKey(signal), value: signal });
          }
        }
        return out;
      },
    }),
    alerts: sinkFor(config.kafka.topics.alerts),
    signals: sinkFor(config.kafka.topics.signals),
  };
}

/**
 * `vigil run`: collector and processor in one process over the in-process
 * queue; events to OpenSearch when configured, otherwise NDJSON files.
 */
export async function addStandalone(
  runtime: Runtime,
  options: { wrapSink?: (sink: EventSink) => EventSink } = {},
): Promise<{ collector: Collector; processor: Processor; queue: MemoryQueue }> {
  const { config, logger, metrics } = runtime;
  const { Processor } = await import('../processor/processor.ts');
  const { MemoryRecordInput } = await import('../processor/sources/memory.ts');
  const { FileDeadLetterSink } = await import('../processor/sinks/dlq/file-dlq.ts');
  const queue = new MemoryQueue({
    maxRecords: config.standalone.queue_max_records,
    maxBatchRecords: config.opensearch?.bulk_max_docs ?? 1000,
  });
  const base = await eventSinkFor(runtime);
  const sink = options.wrapSink ? options.wrapSink(base) : base;
  const dlq = new FileDeadLetterSink(join(config.processor.output_dir, 'dead-letters.ndjson'));
  const { FileMessageSink } = await import('../processor/sinks/messages/file-message-sink.ts');
  const detection = await detectionFor(
    runtime,
    (topic) => new FileMessageSink(join(config.processor.output_dir, `${topic}.ndjson`)),
  );
  const processor = new Processor({
    config,
    input: new MemoryRecordInput(queue),
    sink,
    dlq,
    logger,
    metrics,
    ...detection,
  });
  const collector = new Collector({ config, sink: queue satisfies RecordSink, logger, metrics });
  // Started in this order, stopped in reverse: the collector stops first and
  // its last batches are settled by the processor before that stops too.
  runtime.group.add(processor).add(collector);
  return { collector, processor, queue };
}

/**
 * `vigil alerter`: vigil.alerts → OpenSearch alerts indices, suppression in
 * Redis, notifications through BullMQ to webhooks. Needs opensearch.url.
 */
export async function addAlerter(runtime: Runtime): Promise<import('../rules/alerter/alerter.ts').Alerter> {
  const { config, logger, metrics } = runtime;
  if (!config.opensearch) {
    const { VigilError } = await import('../core/errors.ts');
    throw new VigilError('CONFIG_INVALID', 'The alerter indexes alerts into OpenSearch: set opensearch.url.');
  }
  const { createOpenSearch } = await import('../core/clients/opensearch.ts');
  const { createRedis } = await import('../core/clients/redis.ts');
  const { readSecretFile } = await import('../core/config/secret.ts');
  const { KafkaDeadLetterSink } = await import('../processor/sinks/dlq/kafka-dlq.ts');
  const { Alerter, alertIndexFor, destinationsOf, notifierOptions } = await import(
    '../rules/alerter/alerter.ts'
  );
  const { Notifier } = await import('../rules/alerter/notifier.ts');
  const { RedisSuppressionStore } = await import('../rules/alerter/suppression.ts');
  const kafka = createKafka(config.kafka, logger, 'alerter');
  const opensearch = createOpenSearch(config.opensearch);
  const connection = () => createRedis(config.redis);
  const suppressionRedis = connection();
  suppressionRedis.on('error', () => {});
  const notifier = new Notifier({
    ...notifierOptions(config),
    destinations: destinationsOf(config.alerter, (file) => readSecretFile(file).reveal()),
    connection,
    index: alertIndexFor(opensearch, config, logger),
    logger,
    metrics,
    workers: true,
  });
  const alerter = new Alerter({
    config,
    kafka,
    opensearch,
    dlq: new KafkaDeadLetterSink(kafka, config.kafka),
    notifier,
    suppression: new RedisSuppressionStore(suppressionRedis, config.alerter.redis_prefix),
    logger,
    metrics,
  });
  // Added first so that it is stopped last, after the alerter settled its batch.
  runtime.group
    .add({
      name: 'suppression-store',
      start: async () => {},
      stop: async () => {
        suppressionRedis.disconnect();
      },
      ready: () => suppressionRedis.status === 'ready' || suppressionRedis.status === 'wait',
    })
    .add(alerter);
  return alerter;
}

/**
 * `vigil correlator`: vigil.signals → correlation rules → vigil.alerts.
 * Refuses to start when a correlation rule has a problem (each is printed
 * with file, line and column).
 */
export async function addCorrelator(runtime: Runtime): Promise<void> {
  const { config, logger, metrics } = runtime;
  const { loadCorrelations } = await import('../rules/correlation/load.ts');
  const { Correlator } = await import('../rules/correlation/correlator.ts');
  const { formatProblem } = await import('../rules/sigma/model/problem.ts');
  const { VigilError } = await import('../core/errors.ts');
  const loaded = loadCorrelations({ paths: config.rules.paths });
  if (loaded.problems.length > 0) {
    const code = loaded.problems.some((p) => p.code === 'RULE_INVALID')
      ? 'RULE_INVALID'
      : (loaded.problems[0]?.code ?? 'RULE_INVALID');
    throw new VigilError(
      code,
      `The correlation rules have ${loaded.problems.length} problem(s):\n${loaded.problems.map((p) => `  ${formatProblem(p)}`).join('\n')}`,
    );
  }
  if (loaded.set.correlations.length === 0) {
    logger.warn(
      { paths: config.rules.paths },
      'No correlation rules found under rules.paths; the correlator will only consume.',
    );
  }
  runtime.group.add(
    new Correlator({
      kafka: createKafka(config.kafka, logger, 'correlator'),
      kafkaConfig: config.kafka,
      config: config.correlator,
      set: loaded.set,
      logger,
      metrics,
    }),
  );
}
