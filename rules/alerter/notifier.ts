/**
 * Notification delivery through BullMQ: one queue per destination
 * (`<redis_prefix>` key prefix, queue `webhook-<destination>`), so each
 * destination has its own rate limit (BullMQ's limiter is per queue and holds
 * across alerter instances) and its own failed list.
 *
 * One job per alert and destination, job id `<alert id>.<destination>`: a
 * replayed alert adds a job that exists already, which BullMQ ignores.
 * (BullMQ refuses a custom job id with a single ':'; the webhook's
 * idempotency key keeps the `<alert id>:<destination>` form.)
 *
 * Each job's state is mirrored into the alert document
 * (`vigil.alert.notify.{pending,sent,failed}`). Redis without persistence
 * loses its jobs when it restarts; `reconcile` finds alerts whose
 * notification is still pending in OpenSearch but whose job is gone, and
 * adds the job again (same id, same idempotency key).
 */
import { type Job, Queue, UnrecoverableError, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from '../../core/log.ts';
import { RateLimitedLog } from '../../core/rate-limited-log.ts';
import type { Metrics } from '../../core/telemetry/metrics.ts';
import { ALERT_LEVELS, type AlertLevel, type AlertRecord } from './alert.ts';
import { alertFromDocument } from './alert-document.ts';
import type { AlertIndex, NotifyState } from './alert-index.ts';
import { webhookPayload } from './payload.ts';
import { backoffDelay } from './retry-policy.ts';
import { type WebhookDestination, WebhookSender } from './webhook-sender.ts';

export interface NotificationJob {
  alert: AlertRecord;
  /** The alerts index holding the alert, for state updates. */
  index: string;
}

export interface DestinationOptions extends WebhookDestination {
  minLevel: AlertLevel;
  rateLimit: { max: number; durationMs: number };
  concurrency: number;
}

export interface NotifierOptions {
  destinations: readonly DestinationOptions[];
  /** Key prefix of every queue in Redis. */
  prefix: string;
  /** Makes a Redis connection (each worker needs its own). */
  connection: () => Redis;
  attempts: number;
  backoff: { initialMs: number; maxMs: number };
  keepCompletedHours: number;
  keepFailedHours: number;
  index: AlertIndex;
  logger: Logger;
  metrics: Metrics;
  /** Start workers that send (false: only enqueue, as the CLI does). */
  workers: boolean;
}

/** A failed attempt that may be repeated; carries the receiver's Retry-After. */
export class DeliveryError extends Error {
  readonly retryAfterMs: number | undefined;
  constructor(message: string, retryAfterMs?: number) {
    super(message);
    this.name = 'DeliveryError';
    this.retryAfterMs = retryAfterMs;
  }
}

export function queueName(destination: string): string {
  return `webhook-${destination}`;
}

export function jobId(alertId: string, destination: string): string {
  return `${alertId}.${destination}`;
}

/** Reads `<alert id>.<destination>` or the idempotency-key form `<alert id>:<destination>`. */
export function parseJobId(text: string): { alertId: string; destination: string } | undefined {
  const match = /^([A-Za-z0-9_-]+)[.:]([A-Za-z0-9_-]+)$/.exec(text.trim());
  return match ? { alertId: match[1] as string, destination: match[2] as string } : undefined;
}

export class Notifier {
  readonly #options: NotifierOptions;
  readonly #queues = new Map<string, Queue<NotificationJob>>();
  readonly #workers: Worker<NotificationJob>[] = [];
  readonly #senders: WebhookSender[] = [];
  readonly #connections: Redis[] = [];
  readonly #logger: Logger;
  readonly #problems: RateLimitedLog;
  readonly #enqueued;
  readonly #sent;
  readonly #failed;
  readonly #retried;
  readonly #requeued;
  readonly #latency;

  constructor(options: NotifierOptions) {
    this.#options = options;
    this.#logger = options.logger.child({ component: 'notifier' });
    this.#problems = new RateLimitedLog(this.#logger, 30_000);
    const m = options.metrics;
    this.#enqueued = m.counter(
      'vigil_alerter_notifications_enqueued_total',
      'Notification jobs added, by destination.',
      ['destination'],
    );
    this.#sent = m.counter(
      'vigil_alerter_notifications_sent_total',
      'Notifications delivered (2xx), by destination.',
      ['destination'],
    );
    this.#failed = m.counter(
      'vigil_alerter_notifications_failed_total',
      'Notifications given up on, by destination and reason (refused, rejected, redirect, exhausted).',
      ['destination', 'reason'],
    );
    this.#retried = m.counter(
      'vigil_alerter_notifications_retried_total',
      'Webhook attempts that failed and will be repeated, by destination and reason (network, server_error, too_many_requests).',
      ['destination', 'reason'],
    );
    this.#requeued = m.counter(
      'vigil_alerter_notifications_requeued_total',
      'Notification jobs added again because Redis had lost them, by destination.',
      ['destination'],
    );
    this.#latency = m.histogram(
      'vigil_alerter_webhook_duration_seconds',
      'Time of one webhook attempt, by destination and outcome (delivered, retry, fail).',
      ['destination', 'outcome'],
      [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    );
  }

  get destinations(): readonly DestinationOptions[] {
    return this.#options.destinations;
  }

  async start(): Promise<void> {
    const { prefix } = this.#options;
    const shared = this.#connection();
    for (const destination of this.#options.destinations) {
      const queue = new Queue<NotificationJob>(queueName(destination.name), { connection: shared, prefix });
      queue.on('error', (error) =>
        this.#problems.warn(
          `queue:${destination.name}`,
          { err: error },
          'The notification queue has a Redis problem.',
        ),
      );
      this.#queues.set(destination.name, queue);
      if (this.#options.workers) this.#startWorker(destination);
    }
    await Promise.all([...this.#queues.values()].map((q) => q.waitUntilReady()));
  }

  #connection(): Redis {
    const connection = this.#options.connection();
    connection.on('error', () => {});
    this.#connections.push(connection);
    return connection;
  }

  #startWorker(destination: DestinationOptions): void {
    const sender = new WebhookSender(destination);
    this.#senders.push(sender);
    const { backoff } = this.#options;
    const worker = new Worker<NotificationJob>(
      queueName(destination.name),
      (job) => this.#deliver(destination, sender, job),
      {
        connection: this.#connection(),
        prefix: this.#options.prefix,
        concurrency: destination.concurrency,
        limiter: { max: destination.rateLimit.max, duration: destination.rateLimit.durationMs },
        // A webhook attempt is bounded by its timeouts; the lock outlives it.
        lockDuration: Math.max(30_000, 2 * (destination.timeoutMs + destination.connectTimeoutMs)),
        maxStalledCount: 10,
        settings: {
          backoffStrategy: (attemptsMade, _type, error) =>
            backoffDelay(
              attemptsMade,
              backoff,
              error instanceof DeliveryError ? error.retryAfterMs : undefined,
            ),
        },
      },
    );
    worker.on('error', (error) =>
      this.#problems.warn(
        `worker:${destination.name}`,
        { err: error, destination: destination.name },
        'A notification worker has a Redis problem; it keeps trying.',
      ),
    );
    this.#workers.push(worker);
  }

  async #deliver(
    destination: DestinationOptions,
    sender: WebhookSender,
    job: Job<NotificationJob>,
  ): Promise<{ status: number }> {
    const name = destination.name;
    const attempt = job.attemptsMade + 1;
    const { alert, index } = job.data;
    const result = await sender.send(webhookPayload(alert, name), attempt);
    this.#latency.observe({ destination: name, outcome: result.kind }, result.durationMs / 1000);
    if (result.kind === 'delivered') {
      this.#sent.inc({ destination: name });
      await this.#mark(index, alert.id, name, 'sent');
      return { status: result.status };
    }
    const log = { destination: name, alert: alert.id, attempt, status: result.status, reason: result.reason };
    if (result.kind === 'fail') {
      const reason = result.reason.startsWith('Refused')
        ? 'refused'
        : result.status !== undefined && result.status < 400
          ? 'redirect'
          : 'rejected';
      this.#failed.inc({ destination: name, reason });
      this.#logger.warn(log, 'A notification failed and will not be retried.');
      await this.#mark(index, alert.id, name, 'failed');
      throw new UnrecoverableError(result.reason);
    }
    if (attempt >= this.#options.attempts) {
      this.#failed.inc({ destination: name, reason: 'exhausted' });
      this.#logger.warn(log, 'A notification failed on its last attempt.');
      await this.#mark(index, alert.id, name, 'failed');
    } else {
      const reason =
        result.status === undefined
          ? 'network'
          : result.status === 429
            ? 'too_many_requests'
            : 'server_error';
      this.#retried.inc({ destination: name, reason });
      this.#problems.warn(
        `retry:${name}`,
        log,
        'A notification attempt failed; it will be retried with backoff.',
      );
    }
    throw new DeliveryError(result.reason, result.kind === 'retry' ? result.retryAfterMs : undefined);
  }

  async #mark(index: string, alertId: string, destination: string, state: NotifyState): Promise<void> {
    try {
      await this.#options.index.setNotifyState(
        index,
        alertId,
        destination,
        state,
        AbortSignal.timeout(30_000),
      );
    } catch (error) {
      // The job's own state is in Redis; `reconcile` brings the alert document in line later.
      this.#problems.warn(
        'mark',
        { err: error, alert: alertId, destination, state },
        'Could not record a notification state on the alert.',
      );
    }
  }

  /** The destinations an alert goes to: those whose min_level it reaches. */
  destinationsFor(alert: AlertRecord): string[] {
    const level = ALERT_LEVELS.indexOf(alert.rule.level);
    return this.#options.destinations
      .filter((d) => level >= ALERT_LEVELS.indexOf(d.minLevel))
      .map((d) => d.name);
  }

  /** Adds one job per alert and destination; resolves once Redis has them all. */
  async enqueue(
    items: ReadonlyArray<{ alert: AlertRecord; index: string; destinations: readonly string[] }>,
  ): Promise<void> {
    const byQueue = new Map<string, Array<{ name: string; data: NotificationJob; opts: object }>>();
    for (const { alert, index, destinations } of items) {
      for (const destination of destinations) {
        if (!this.#queues.has(destination)) continue;
        const list = byQueue.get(destination) ?? [];
        list.push({ name: 'webhook', data: { alert, index }, opts: this.#jobOptions(alert.id, destination) });
        byQueue.set(destination, list);
      }
    }
    for (const [destination, jobs] of byQueue) {
      await (this.#queues.get(destination) as Queue<NotificationJob>).addBulk(jobs);
      this.#enqueued.inc({ destination }, jobs.length);
    }
  }

  #jobOptions(alertId: string, destination: string) {
    return {
      jobId: jobId(alertId, destination),
      attempts: this.#options.attempts,
      backoff: { type: 'vigil' },
      removeOnComplete: { age: this.#options.keepCompletedHours * 3600 },
      removeOnFail: { age: this.#options.keepFailedHours * 3600 },
    };
  }

  /**
   * Brings Redis and the alert documents in line: a pending notification
   * without a job (Redis lost it) gets its job again; a finished job whose
   * state did not reach the document is recorded there. Returns jobs added.
   */
  async reconcile(olderThanMs: number, lookbackMs: number, prefix: string): Promise<number> {
    let added = 0;
    const pending = await this.#options.index.pending(olderThanMs, lookbackMs, 500, prefix);
    for (const { index, source, pending: destinations } of pending) {
      const alert = alertFromDocument(source);
      for (const destination of destinations) {
        const queue = this.#queues.get(destination);
        if (!queue) continue;
        const job = await queue.getJob(jobId(alert.id, destination));
        if (!job) {
          await queue.add('webhook', { alert, index }, this.#jobOptions(alert.id, destination));
          this.#requeued.inc({ destination });
          added += 1;
          continue;
        }
        const state = await job.getState();
        if (state === 'completed') await this.#mark(index, alert.id, destination, 'sent');
        else if (state === 'failed') await this.#mark(index, alert.id, destination, 'failed');
      }
    }
    if (added > 0) this.#logger.info({ jobs: added }, 'Added notification jobs again that Redis had lost.');
    return added;
  }

  /** True while every queue's Redis connection is up. */
  ready(): boolean {
    return this.#connections.every((c) => c.status === 'ready');
  }

  async stop(): Promise<void> {
    await Promise.allSettled(this.#workers.map((w) => w.close()));
    await Promise.allSettled([...this.#queues.values()].map((q) => q.close()));
    await Promise.allSettled(this.#senders.map((s) => s.close()));
    for (const c of this.#connections) c.disconnect();
    this.#workers.length = 0;
    this.#queues.clear();
    this.#connections.length = 0;
  }
}
