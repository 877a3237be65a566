/**
 * The processor stage: raw records in, ECS events out to the event sink, and
 * whatever cannot be processed or indexed to the dead-letter queue with its
 * reason. A batch is settled — and its input may be committed — only when
 * every record is indexed or dead-lettered.
 *
 * The same Processor runs behind Kafka (`vigil processor`) and behind the
 * in-process queue (`vigil run`); only the RecordInput differs.
 */
import type { VigilConfig } from '../core/config/schema.ts';
import { indexFor } from '../core/event/index-name.ts';
import { eventId, type RawRecord } from '../core/event/raw-record.ts';
import type { Component } from '../core/lifecycle.ts';
import type { Logger } from '../core/log.ts';
import type { Metrics } from '../core/telemetry/metrics.ts';
import type { BatchHandler } from '../core/transport/record-transport.ts';
import type { Detector, MessageSink, OutboundMessage } from './detection/detector.ts';
import type { Enricher } from './enrichers/enricher.ts';
import { openEnrichers } from './enrichers/enrichers.ts';
import { buildEvent, type EcsEvent } from './event-builder.ts';
import { Pipelines } from './pipeline/pipelines.ts';
import type { DeadLetter, DeadLetterSink, EventSink, IndexRequest } from './sinks/event-sink.ts';

/** Where a processor's records come from: Kafka or the in-process queue. */
export interface RecordInput {
  readonly name: string;
  /** Starts delivering batches; `onInvalid` receives values that are not raw records. */
  start(handler: BatchHandler, onInvalid: (entries: DeadLetter[]) => Promise<void>): Promise<void>;
  ready(): boolean;
  stop(): Promise<void>;
  readonly done?: Promise<void>;
}

const STOP_GRACE_MS = 5000;
const DAY_MS = 86_400_000;
const OUT_OF_RANGE_TAG = 'vigil_timestamp_out_of_range';

export interface ProcessorOptions {
  config: VigilConfig;
  input: RecordInput;
  sink: EventSink;
  dlq: DeadLetterSink;
  logger: Logger;
  metrics: Metrics;
  /** Detection rules evaluated on each event; their alerts and signals go to `alerts` and `signals`. */
  detector?: Detector;
  alerts?: MessageSink;
  signals?: MessageSink;
}

export class Processor implements Component {
  readonly name = 'processor';
  readonly #options: ProcessorOptions;
  readonly #logger: Logger;
  readonly #abort = new AbortController();
  readonly #indexPrefix: string;
  readonly #pipelines: Pipelines;
  #enrichers: Enricher[] = [];
  #running = false;
  readonly #processed;
  readonly #deadLettered;
  readonly #ruleHits;
  readonly #published;
  readonly #outOfRange;
  /** How far before and after the time its collector read it an event's own time may lie. */
  readonly #maxAgeMs: number;
  readonly #maxFutureMs: number;

  constructor(options: ProcessorOptions) {
    this.#options = options;
    this.#logger = options.logger.child({ component: 'processor' });
    this.#indexPrefix = options.config.opensearch?.index_prefix ?? 'vigil';
    const processor = options.config.processor;
    // Broken pipelines stop the start here, with every problem listed.
    this.#pipelines = new Pipelines({
      userPaths: processor.pipelines_dir === undefined ? [] : [processor.pipelines_dir],
      patternsDir: processor.patterns_dir,
      builtin: processor.builtin_pipelines,
      reloadIntervalMs: processor.reload_interval_ms,
      metrics: options.metrics,
      logger: this.#logger,
    });
    this.#processed = options.metrics.counter('vigil_processor_records_total', 'Raw records processed.');
    const opensearch = options.config.opensearch;
    const retentionDays = opensearch?.retention_days ?? 0;
    this.#maxAgeMs = (opensearch?.max_event_age_days ?? (retentionDays > 0 ? retentionDays : 3650)) * DAY_MS;
    this.#maxFutureMs = (opensearch?.max_event_future_minutes ?? 1440) * 60_000;
    this.#outOfRange = options.metrics.counter(
      'vigil_processor_events_out_of_range_total',
      `Events whose own time was invalid, too old or in the future (by direction); indexed at the time their collector read them, tagged ${OUT_OF_RANGE_TAG}.`,
      ['direction'],
    );
    this.#ruleHits = options.metrics.counter(
      'vigil_processor_rule_hits_total',
      'Detection rule matches on events (an event matching two rules counts twice).',
    );
    this.#published = options.metrics.counter(
      'vigil_processor_published_total',
      'Alerts and correlation signals published, by topic (alerts, signals).',
      ['topic'],
    );
    this.#deadLettered = options.metrics.counter(
      'vigil_processor_dead_letters_total',
      'Records sent to the dead-letter queue, by stage.',
      ['stage'],
    );
  }

  get done(): Promise<void> | undefined {
    return this.#options.input.done;
  }

  async start(): Promise<void> {
    const { sink, dlq, input, config, metrics } = this.#options;
    // Enrichment data (GeoIP, assets, indicators) loads before any event flows.
    this.#enrichers = await openEnrichers(config.processor, {
      logger: this.#logger,
      metrics,
      reloadIntervalMs: config.processor.reload_interval_ms,
    });
    for (const enricher of this.#enrichers) enricher.start?.();
    await sink.start();
    await dlq.start();
    await this.#options.detector?.start?.();
    await this.#options.alerts?.start();
    await this.#options.signals?.start();
    await input.start(this.handle, (entries) => this.#deadLetter(entries));
    this.#pipelines.start();
    this.#running = true;
    this.#logger.info({ input: input.name, sink: sink.name, dlq: dlq.name }, 'Processor started.');
  }

  /** Processes one batch; resolves when every record is indexed or dead-lettered. */
  readonly handle: BatchHandler = async (records) => {
    const keepOriginal = this.#options.config.processor.keep_original;
    const pipelines = this.#pipelines.current;
    const ingested = new Date().toISOString();
    const requests: IndexRequest[] = [];
    const detector = this.#options.detector;
    const alerts: OutboundMessage[] = [];
    const signals: OutboundMessage[] = [];
    for (const record of records as RawRecord[]) {
      const event = buildEvent(record, { keepOriginal });
      if (pipelines.process(record, event) === 'dropped') continue;
      for (const enricher of this.#enrichers) enricher.enrich(event);
      this.#checkTime(record, event);
      event.event.ingested = ingested;
      const id = eventId(record);
      const index = indexFor(this.#indexPrefix, record.dataset, event['@timestamp']);
      if (detector) {
        const detection = detector.detect(event, id, index);
        if (detection && detection.ruleIds.length > 0) {
          event.vigil.rule_hits = detection.ruleIds;
          this.#ruleHits.inc(detection.ruleIds.length);
          for (const alert of detection.alerts) alerts.push(alert);
          for (const signal of detection.signals) signals.push(signal);
        }
      }
      requests.push({ id, index, event });
    }
    const rejections = await this.#options.sink.write(requests, this.#abort.signal);
    if (rejections.length > 0) {
      const now = new Date().toISOString();
      await this.#deadLetter(
        rejections.map((r) => ({
          record_id: r.request.event.vigil.record.id,
          reason: r.reason,
          stage: 'index',
          payload: r.request.event,
          failed_at: now,
        })),
      );
    }
    // Alerts and signals are durable before the batch counts as settled (and its offsets are
    // committed); their ids are deterministic, so the replay after a crash publishes the same ones.
    await Promise.all([this.#publish('alerts', alerts), this.#publish('signals', signals)]);
    this.#processed.inc(records.length);
  };

  async #publish(topic: 'alerts' | 'signals', messages: OutboundMessage[]): Promise<void> {
    const sink = this.#options[topic];
    if (!sink || messages.length === 0) return;
    await sink.write(messages);
    this.#published.inc({ topic }, messages.length);
  }

  /**
   * The stated policy for event times out of range: an event dated further
   * before the time its collector read it than the retention keeps, or further
   * in the future than `max_event_future_minutes` (a wrong clock, a year-less
   * syslog date guessed wrong), or not a date at all, is indexed at the time it
   * was read, with its own time kept in `vigil.original_timestamp`, tagged and
   * counted. The bounds are relative to the record's read time, not to now, so
   * a replay picks the same index.
   */
  #checkTime(record: RawRecord, event: EcsEvent): void {
    const time = Date.parse(event['@timestamp']);
    const read = this.#readTime(record.observed_at);
    let direction: 'invalid' | 'past' | 'future' | undefined;
    if (Number.isNaN(time)) direction = 'invalid';
    else if (time < read - this.#maxAgeMs) direction = 'past';
    else if (time > read + this.#maxFutureMs) direction = 'future';
    if (direction === undefined || Number.isNaN(read)) return;
    this.#outOfRange.inc({ direction });
    event.vigil.original_timestamp = event['@timestamp'];
    event['@timestamp'] = record.observed_at;
    const tags = Array.isArray(event.tags) ? (event.tags as string[]) : [];
    if (!tags.includes(OUT_OF_RANGE_TAG)) tags.push(OUT_OF_RANGE_TAG);
    event.tags = tags;
  }

  #lastObserved = '';
  #lastRead = Number.NaN;

  /** The records of a bundle share their read time: parse it once. */
  #readTime(observedAt: string): number {
    if (observedAt !== this.#lastObserved) {
      this.#lastObserved = observedAt;
      this.#lastRead = Date.parse(observedAt);
    }
    return this.#lastRead;
  }

  async #deadLetter(entries: DeadLetter[]): Promise<void> {
    if (entries.length === 0) return;
    for (const entry of entries) this.#deadLettered.inc({ stage: entry.stage });
    this.#logger.warn(
      { count: entries.length, first_reason: entries[0]?.reason, first_record: entries[0]?.record_id },
      'Records could not be processed and went to the dead-letter queue.',
    );
    await this.#options.dlq.write(entries);
  }

  ready(): boolean {
    return this.#running && this.#options.input.ready() && this.#options.sink.ready();
  }

  async stop(): Promise<void> {
    if (!this.#running) return;
    this.#running = false;
    // Let the batch in hand finish; if the sink is stuck retrying, give up on it
    // (uncommitted, so it is processed again after the restart).
    const giveUp = setTimeout(() => this.#abort.abort(), STOP_GRACE_MS);
    await this.#options.input.stop();
    clearTimeout(giveUp);
    this.#pipelines.stop();
    for (const enricher of this.#enrichers) await enricher.close();
    this.#abort.abort();
    await this.#options.dlq.stop();
    await this.#options.alerts?.stop();
    await this.#options.signals?.stop();
    await this.#options.detector?.stop?.();
    await this.#options.sink.stop();
    this.#logger.info('Processor stopped.');
  }
}
