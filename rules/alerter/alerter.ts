/**
 * The alerter: consumes alerts from `vigil.alerts`, indexes each one exactly
 * once into `<prefix>-alerts-<yyyy.mm>`, applies suppression, and hands
 * notifications to BullMQ, whose workers deliver them to webhooks.
 *
 * Per batch, in this order, before the Kafka offsets are committed:
 * 1. values that are not alert records go to the dead-letter topic;
 * 2. suppression is decided for each alert (Redis, shared by all alerters);
 * 3. alerts are created in OpenSearch (409: a replay, already there);
 *    refused documents go to the dead-letter topic with the reason;
 * 4. suppressed alerts are counted on the first alert of their window;
 * 5. notification jobs are added: for a new alert, one per destination; for
 *    a replayed one, one per destination its document still lists as pending.
 * Redis or OpenSearch trouble is retried until it passes; nothing is
 * committed before it does.
 */
import type { Client } from '@opensearch-project/opensearch';
import type { Kafka } from 'kafkajs';
import type { VigilConfig } from '../../core/config/schema.ts';
import type { Component } from '../../core/lifecycle.ts';
import type { Logger } from '../../core/log.ts';
import type { Metrics } from '../../core/telemetry/metrics.ts';
import type { DeadLetter, DeadLetterSink } from '../../processor/sinks/event-sink.ts';
import {
  alertsTemplateName,
  ensureAlertsTemplate,
} from '../../processor/sinks/opensearch/alerts-template.ts';
import { type AlertRecord, decodeAlert } from './alert.ts';
import { alertDocument, alertIndexName } from './alert-document.ts';
import { AlertIndex, type CreateRequest, sleep } from './alert-index.ts';
import { type AlertMessage, KafkaAlertSource } from './alert-source.ts';
import type { DestinationOptions, Notifier } from './notifier.ts';
import { type SuppressedBy, SuppressionPolicy, type SuppressionStore } from './suppression.ts';

export type AlerterConfig = VigilConfig['alerter'];

export interface AlerterOptions {
  config: VigilConfig;
  kafka: Kafka;
  opensearch: Client;
  dlq: DeadLetterSink;
  notifier: Notifier;
  suppression: SuppressionStore;
  logger: Logger;
  metrics: Metrics;
}

interface Pending {
  alert: AlertRecord;
  index: string;
  suppressedBy?: SuppressedBy;
  message: AlertMessage;
}

export class Alerter implements Component {
  readonly name = 'alerter';
  readonly #options: AlerterOptions;
  readonly #logger: Logger;
  readonly #source: KafkaAlertSource;
  readonly #index: AlertIndex;
  readonly #policy: SuppressionPolicy;
  readonly #prefix: string;
  readonly #stopping = new AbortController();
  #reconcileTimer: NodeJS.Timeout | undefined;
  #reconciling: Promise<void> | undefined;
  readonly #indexed;
  readonly #already;
  readonly #suppressed;
  readonly #deadLetters;
  readonly done: Promise<void>;

  constructor(options: AlerterOptions) {
    this.#options = options;
    const { config, logger, metrics } = options;
    if (!config.opensearch) throw new Error('The alerter needs opensearch.url.');
    this.#prefix = config.opensearch.index_prefix;
    this.#logger = logger.child({ component: 'alerter' });
    this.#source = new KafkaAlertSource({
      kafka: options.kafka,
      topic: config.kafka.topics.alerts,
      dlqTopic: config.kafka.topics.dlq,
      groupId: config.alerter.group_id,
      sessionTimeoutMs: config.alerter.session_timeout_ms,
      logger: this.#logger,
    });
    this.done = this.#source.done;
    this.#index = alertIndexFor(options.opensearch, config, this.#logger);
    this.#policy = new SuppressionPolicy(
      config.alerter.suppression.map((s) => ({ rule: s.rule, by: s.by, forMs: s.for_ms })),
    );
    this.#indexed = metrics.counter(
      'vigil_alerter_alerts_indexed_total',
      'Alerts newly indexed into OpenSearch.',
    );
    this.#already = metrics.counter(
      'vigil_alerter_alerts_already_indexed_total',
      'Alerts found already indexed (a replay); not duplicated and not notified again.',
    );
    this.#suppressed = metrics.counter(
      'vigil_alerter_alerts_suppressed_total',
      'Alerts indexed but not notified because a suppression window of their rule and entity was open.',
    );
    this.#deadLetters = metrics.counter(
      'vigil_alerter_dead_letters_total',
      'Alert records sent to the dead-letter topic, by stage (decode, index).',
      ['stage'],
    );
  }

  async start(): Promise<void> {
    const { config, opensearch, dlq, notifier } = this.#options;
    const osConfig = config.opensearch as NonNullable<VigilConfig['opensearch']>;
    try {
      const exists = await opensearch.indices.existsIndexTemplate({ name: alertsTemplateName(this.#prefix) });
      if (!exists.body) await ensureAlertsTemplate(opensearch, osConfig);
    } catch (error) {
      this.#logger.warn(
        { err: error },
        'Could not check the alerts index template; indexing goes on without it.',
      );
    }
    await dlq.start();
    await notifier.start();
    await this.#source.start((messages) => this.#handle(messages));
    const interval = config.alerter.reconcile_interval_ms;
    if (interval > 0) this.#reconcileTimer = setInterval(() => this.#reconcile(), interval);
    this.#logger.info(
      { topic: config.kafka.topics.alerts, destinations: notifier.destinations.map((d) => d.name) },
      'Alerter started.',
    );
  }

  #reconcile(): void {
    if (this.#reconciling) return;
    const { alerter } = this.#options.config;
    this.#reconciling = this.#options.notifier
      .reconcile(alerter.reconcile_after_ms, alerter.reconcile_lookback_hours * 3_600_000, this.#prefix)
      .then(
        () => {},
        (error: unknown) =>
          this.#logger.warn({ err: error }, 'Checking pending notifications failed; trying again later.'),
      )
      .finally(() => {
        this.#reconciling = undefined;
      });
  }

  async #handle(messages: AlertMessage[]): Promise<void> {
    const signal = this.#stopping.signal;
    const now = new Date();
    const invalid: DeadLetter[] = [];
    const pending: Pending[] = [];
    const seen = new Set<string>();
    for (const message of messages) {
      const decoded = decodeAlert(message.message.value);
      if ('invalid' in decoded) {
        invalid.push(deadLetter(message, `not an alert record (${decoded.invalid})`, 'decode', now));
        continue;
      }
      if (seen.has(decoded.alert.id)) continue;
      seen.add(decoded.alert.id);
      pending.push({
        alert: decoded.alert,
        index: alertIndexName(this.#prefix, decoded.alert['@timestamp']),
        message,
      });
    }
    await this.#deadLetter(invalid, 'decode');

    for (const item of pending) {
      const match = this.#policy.match(item.alert);
      if (!match) continue;
      const suppressedBy = await this.#retrying('Deciding suppression', () =>
        this.#options.suppression.decide(match, item.alert.id, item.index),
      );
      if (suppressedBy) item.suppressedBy = suppressedBy;
    }

    const notifier = this.#options.notifier;
    const requests: CreateRequest[] = pending.map((item) => {
      const destinations = item.suppressedBy ? [] : notifier.destinationsFor(item.alert);
      const base = {
        destinations,
        now,
        ...(item.suppressedBy ? { suppressedBy: item.suppressedBy.id } : {}),
      };
      return {
        id: item.alert.id,
        index: item.index,
        document: alertDocument(item.alert, base),
        ...(item.alert.fields
          ? { fallback: alertDocument(item.alert, { ...base, withoutFields: true }) }
          : {}),
      };
    });
    const results = requests.length > 0 ? await this.#index.create(requests, signal) : [];

    const rejected: DeadLetter[] = [];
    const fresh: Pending[] = [];
    const replayed: Pending[] = [];
    results.forEach((result, i) => {
      const item = pending[i] as Pending;
      if (result.status === 'rejected') {
        rejected.push(
          deadLetter(
            item.message,
            `OpenSearch refused the alert: ${result.reason}`,
            'index',
            now,
            item.alert,
          ),
        );
      } else if (result.status === 'created') {
        this.#indexed.inc();
        fresh.push(item);
      } else {
        this.#already.inc();
        replayed.push(item);
      }
    });
    await this.#deadLetter(rejected, 'index');

    for (const item of fresh) {
      if (!item.suppressedBy) continue;
      this.#suppressed.inc();
      await this.#index.addSuppressed(item.suppressedBy.index, item.suppressedBy.id, item.alert.id, signal);
    }

    const jobs = fresh
      .filter((item) => !item.suppressedBy)
      .map((item) => ({
        alert: item.alert,
        index: item.index,
        destinations: notifier.destinationsFor(item.alert),
      }));
    if (replayed.length > 0) {
      const documents = await this.#index.get(
        replayed.map((item) => ({ index: item.index, id: item.alert.id })),
        signal,
      );
      for (const item of replayed) {
        const source = documents.get(item.alert.id);
        const owed = (
          (source?.vigil as { alert?: { notify?: { pending?: string[] } } })?.alert?.notify?.pending ?? []
        ).slice();
        if (owed.length > 0) jobs.push({ alert: item.alert, index: item.index, destinations: owed });
      }
    }
    if (jobs.length > 0) await this.#retrying('Adding notification jobs', () => notifier.enqueue(jobs));
  }

  async #deadLetter(entries: DeadLetter[], stage: 'decode' | 'index'): Promise<void> {
    if (entries.length === 0) return;
    await this.#retrying('Writing to the dead-letter topic', () => this.#options.dlq.write(entries));
    this.#deadLetters.inc({ stage }, entries.length);
    this.#logger.warn(
      { count: entries.length, stage, reason: entries[0]?.reason },
      'Alert records went to the dead-letter topic.',
    );
  }

  /** Repeats a call to Redis, Kafka or OpenSearch until it succeeds; gives up only when the alerter stops. */
  async #retrying<T>(what: string, call: () => Promise<T>): Promise<T> {
    const signal = this.#stopping.signal;
    let delay = 200;
    for (let attempt = 1; ; attempt++) {
      if (signal.aborted) throw new Error(`${what} was cut short because the alerter is stopping.`);
      try {
        return await withTimeout(call(), 15_000, what);
      } catch (error) {
        if (attempt === 1 || attempt % 10 === 0)
          this.#logger.warn({ err: error, attempt }, `${what} failed; retrying with backoff.`);
        await sleep(delay / 2 + Math.random() * (delay / 2), signal);
        delay = Math.min(delay * 2, 10_000);
      }
    }
  }

  ready(): boolean {
    return this.#source.ready() && this.#options.notifier.ready();
  }

  async stop(): Promise<void> {
    if (this.#reconcileTimer) clearInterval(this.#reconcileTimer);
    this.#stopping.abort();
    await this.#source.stop();
    await this.#reconciling;
    await this.#options.notifier.stop();
    await this.#options.dlq.stop();
    await this.#options.opensearch.close();
  }
}

export function alertIndexFor(client: Client, config: VigilConfig, logger: Logger): AlertIndex {
  const os = config.opensearch as NonNullable<VigilConfig['opensearch']>;
  return new AlertIndex(client, logger, {
    retryMaxMs: os.retry_max_ms,
    requestTimeoutMs: os.request_timeout_ms,
  });
}

/** The destinations of the configuration, as the notifier takes them. */
export function destinationsOf(
  config: AlerterConfig,
  secret: (file: string) => string,
): DestinationOptions[] {
  return config.webhooks.map((w) => ({
    name: w.name,
    url: w.url,
    ...(w.secret_file !== undefined ? { secret: secret(w.secret_file) } : {}),
    timeoutMs: w.timeout_ms,
    connectTimeoutMs: w.connect_timeout_ms,
    policy: { allowHttp: w.allow_http, allowPrivate: w.allow_private, allowCidrs: w.allow_cidrs },
    minLevel: w.min_level,
    rateLimit: { max: w.rate_limit_max, durationMs: w.rate_limit_window_ms },
    concurrency: w.concurrency,
  }));
}

/** Notifier options from the configuration. */
export function notifierOptions(config: VigilConfig) {
  const a = config.alerter;
  return {
    prefix: a.redis_prefix,
    attempts: a.attempts,
    backoff: { initialMs: a.backoff_initial_ms, maxMs: a.backoff_max_ms },
    keepCompletedHours: a.keep_completed_hours,
    keepFailedHours: a.keep_failed_hours,
  };
}

function deadLetter(
  message: AlertMessage,
  reason: string,
  stage: 'decode' | 'index',
  now: Date,
  alert?: AlertRecord,
): DeadLetter {
  return {
    ...(alert ? { record_id: alert.id } : {}),
    reason,
    stage,
    payload: alert ?? {
      topic: message.topic,
      partition: message.partition,
      offset: message.offset,
      value: message.message.value?.toString('utf8') ?? null,
    },
    failed_at: now.toISOString(),
  };
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms.`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
