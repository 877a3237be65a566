/**
 * Failed notification jobs, for `vigil alerts failed` and `vigil alerts
 * retry`: listed from each destination's BullMQ queue; a retried job goes
 * back to waiting with its attempts reset, and its alert document lists the
 * destination as pending again.
 */
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { AlertIndex } from './alert-index.ts';
import { type NotificationJob, parseJobId, queueName } from './notifier.ts';

export interface FailedJob {
  id: string;
  destination: string;
  alertId: string;
  rule: string;
  level: string;
  attempts: number;
  reason: string;
  failedAt: string | undefined;
}

export interface FailedJobsOptions {
  destinations: readonly string[];
  prefix: string;
  connection: Redis;
  /** Where alert documents are updated when a job is retried (optional). */
  index?: AlertIndex;
}

export class FailedJobs {
  readonly #options: FailedJobsOptions;
  readonly #queues = new Map<string, Queue<NotificationJob>>();

  constructor(options: FailedJobsOptions) {
    this.#options = options;
    for (const name of options.destinations) {
      this.#queues.set(
        name,
        new Queue<NotificationJob>(queueName(name), {
          connection: options.connection,
          prefix: options.prefix,
        }),
      );
    }
  }

  #queue(destination: string): Queue<NotificationJob> {
    const queue = this.#queues.get(destination);
    if (!queue) throw new Error(`There is no destination "${destination}" in alerter.webhooks.`);
    return queue;
  }

  async list(destination?: string): Promise<FailedJob[]> {
    const names = destination ? [destination] : [...this.#queues.keys()];
    const out: FailedJob[] = [];
    for (const name of names) {
      const jobs = await this.#queue(name).getFailed(0, -1);
      for (const job of jobs) {
        if (!job?.id) continue;
        out.push({
          id: job.id,
          destination: name,
          alertId: job.data.alert.id,
          rule: job.data.alert.rule.title,
          level: job.data.alert.rule.level,
          attempts: job.attemptsMade,
          reason: job.failedReason,
          failedAt: job.finishedOn ? new Date(job.finishedOn).toISOString() : undefined,
        });
      }
    }
    return out.sort((a, b) => (a.failedAt ?? '').localeCompare(b.failedAt ?? ''));
  }

  /** Retries one failed job (`<alert id>.<destination>` or `<alert id>:<destination>`); false when there is none. */
  async retry(text: string): Promise<boolean> {
    const parsed = parseJobId(text);
    if (!parsed) throw new Error(`"${text}" is not a job id (<alert id>.<destination>).`);
    const queue = this.#queue(parsed.destination);
    const job = await queue.getJob(`${parsed.alertId}.${parsed.destination}`);
    if (!job || (await job.getState()) !== 'failed') return false;
    await this.#markPending(job.data.index, job.data.alert.id, parsed.destination);
    await job.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
    return true;
  }

  /** Retries every failed job (of one destination); returns how many. */
  async retryAll(destination?: string): Promise<number> {
    let count = 0;
    for (const job of await this.list(destination)) if (await this.retry(job.id)) count += 1;
    return count;
  }

  async #markPending(index: string, alertId: string, destination: string): Promise<void> {
    await this.#options.index
      ?.setNotifyState(index, alertId, destination, 'pending', AbortSignal.timeout(30_000))
      .catch(() => {});
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.#queues.values()].map((q) => q.close()));
  }
}
