/**
 * Bulk-indexes events into OpenSearch with `op_type: create` and the event's
 * deterministic `_id`, so a replay or a retry never duplicates: 409 means the
 * document is already there, which counts as success.
 *
 * Per item: 201/409 are done; 429, 5xx and cluster blocks (a read-only index
 * after the flood-stage watermark, for one) are retried with jittered
 * exponential backoff until they succeed, never sent to the dead-letter
 * queue; other 4xx (mapping errors, bad documents) are rejected with the
 * reason. A failed request as a whole (connection refused, timeout, 429/5xx)
 * is retried the same way, and a request too large for the cluster (413) is
 * split. Each event is serialized once; retries resend the same lines.
 */
import type { Client } from '@opensearch-project/opensearch';
import type { OpenSearchConfig } from '../../../core/config/schema.ts';
import type { Logger } from '../../../core/log.ts';
import type { Metrics } from '../../../core/telemetry/metrics.ts';
import type { EventSink, IndexRequest, Rejection } from '../event-sink.ts';
import { type HealthProbe, OpenSearchHealth } from './health.ts';
import { ensureEventTemplate, eventTemplateName } from './index-template.ts';
import { applyRetention } from './retention.ts';

interface BulkItemResult {
  status: number;
  error?: { type?: string; reason?: string; caused_by?: { type?: string; reason?: string } };
}

/** A request with its bulk lines, serialized once. */
interface Entry {
  request: IndexRequest;
  lines: string;
}

export interface OpenSearchSinkOptions {
  /** Interval of the background health probe; 0 turns it off. */
  healthIntervalMs?: number;
  /** Interval of the retention sweep (`applyRetention`); 0 turns it off. */
  retentionIntervalMs?: number;
}

const RETENTION_INTERVAL_MS = 6 * 3600_000;
/** The first sweep waits a little, so that a fleet of processors starting together does not sweep at once. */
const RETENTION_FIRST_DELAY_MS = 60_000;

export class OpenSearchSink implements EventSink {
  readonly name = 'opensearch';
  readonly #client: Client;
  readonly #config: OpenSearchConfig;
  readonly #logger: Logger;
  readonly #health: OpenSearchHealth;
  #reachable = true;
  readonly #retentionIntervalMs: number;
  #retentionTimer: NodeJS.Timeout | undefined;
  readonly #retentionDeleted;
  readonly #indexed;
  readonly #duplicates;
  readonly #retries;
  readonly #latency;
  readonly #bulkBytes;

  constructor(
    client: Client,
    config: OpenSearchConfig,
    logger: Logger,
    metrics: Metrics,
    options: OpenSearchSinkOptions = {},
  ) {
    this.#client = client;
    this.#config = config;
    this.#logger = logger.child({ sink: 'opensearch' });
    this.#health = new OpenSearchHealth(
      client,
      config,
      this.#logger,
      metrics,
      options.healthIntervalMs ?? 15_000,
    );
    this.#indexed = metrics.counter('vigil_processor_events_indexed_total', 'Events newly indexed.');
    this.#duplicates = metrics.counter(
      'vigil_processor_events_already_indexed_total',
      'Events found already indexed (a replay); not duplicated.',
    );
    this.#retries = metrics.counter(
      'vigil_processor_bulk_retries_total',
      'Bulk documents (or whole requests) retried, by reason: too_many_requests, unavailable, cluster_block, server_error, request_failed, too_large.',
      ['reason'],
    );
    this.#latency = metrics.histogram(
      'vigil_processor_bulk_duration_seconds',
      'Time of one bulk request to OpenSearch, by outcome.',
      ['outcome'],
      [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    );
    this.#bulkBytes = metrics.counter('vigil_processor_bulk_bytes_total', 'Bytes of bulk bodies sent.');
    this.#retentionIntervalMs = options.retentionIntervalMs ?? RETENTION_INTERVAL_MS;
    this.#retentionDeleted = metrics.counter(
      'vigil_processor_retention_deleted_indices_total',
      'Day and month indices the retention sweep deleted.',
    );
  }

  /**
   * Installs the event index template when it is missing (standalone mode has
   * no separate `vigil setup` step); an existing template is left as it is.
   * Then probes the write path once and keeps probing in the background.
   */
  async start(): Promise<void> {
    const name = eventTemplateName(this.#config.index_prefix);
    try {
      const exists = await this.#client.indices.existsIndexTemplate({ name });
      if (!exists.body) await ensureEventTemplate(this.#client, this.#config);
    } catch (error) {
      this.#logger.warn(
        { err: error, template: name },
        'Could not check the index template; indexing goes on without it.',
      );
    }
    await this.#health.start();
    if (this.#config.retention_days > 0 && this.#retentionIntervalMs > 0) {
      const sweep = () => {
        this.#sweep().finally(() => {
          if (this.#retentionTimer)
            this.#retentionTimer = setTimeout(sweep, this.#retentionIntervalMs).unref();
        });
      };
      const first = Math.min(RETENTION_FIRST_DELAY_MS * (0.5 + Math.random()), this.#retentionIntervalMs);
      this.#retentionTimer = setTimeout(sweep, first).unref();
    }
  }

  /**
   * Deletes the day indices past `retention_days` (and makes older days
   * read-only with `read_only_after_days`), by the date in their names; the
   * same as `vigil retention`. Every processor sweeps; the work is idempotent.
   */
  async #sweep(): Promise<void> {
    try {
      const result = await applyRetention(this.#client, this.#config);
      this.#retentionDeleted.inc(result.deleted.length);
      if (result.deleted.length > 0 || result.madeReadOnly.length > 0) {
        this.#logger.info(
          { deleted: result.deleted, made_read_only: result.madeReadOnly },
          'The retention sweep deleted expired indices.',
        );
      }
    } catch (error) {
      this.#logger.warn({ err: error }, 'The retention sweep failed; it runs again later.');
    }
  }

  /** Ready while OpenSearch accepts bulk requests: the last request and the last probe succeeded. */
  ready(): boolean {
    return this.#reachable && this.#health.healthy;
  }

  /** Does what indexing does, on a small scale: one bulk write into the health index. */
  probe(): Promise<HealthProbe> {
    return this.#health.probe();
  }

  async write(requests: readonly IndexRequest[], signal: AbortSignal): Promise<Rejection[]> {
    const rejections: Rejection[] = [];
    for (const chunk of this.#chunks(requests)) {
      rejections.push(...(await this.#writeChunk(chunk, signal)));
    }
    return rejections;
  }

  *#chunks(requests: readonly IndexRequest[]): Generator<Entry[]> {
    let chunk: Entry[] = [];
    let bytes = 0;
    for (const request of requests) {
      const lines = bulkLines(request);
      if (
        chunk.length > 0 &&
        (chunk.length >= this.#config.bulk_max_docs || bytes + lines.length > this.#config.bulk_max_bytes)
      ) {
        yield chunk;
        chunk = [];
        bytes = 0;
      }
      chunk.push({ request, lines });
      bytes += lines.length;
    }
    if (chunk.length > 0) yield chunk;
  }

  async #writeChunk(entries: Entry[], signal: AbortSignal): Promise<Rejection[]> {
    const rejections: Rejection[] = [];
    // Parts still to write; a request too large for the cluster is split into two parts.
    const parts: Entry[][] = [entries];
    let delay = Math.min(100, this.#config.retry_max_ms);
    for (let attempt = 1; parts.length > 0; attempt++) {
      if (signal.aborted) throw new Error('Indexing was aborted because the processor is stopping.');
      const pending = parts.shift() as Entry[];
      const outcome = await this.#bulk(pending);
      if (outcome.kind === 'items') {
        const retry: Entry[] = [];
        outcome.items.forEach((item, i) => {
          const entry = pending[i] as Entry;
          if (item.status === 201 || item.status === 200) this.#indexed.inc();
          else if (item.status === 409) this.#duplicates.inc();
          else {
            const reason = transientReason(item);
            if (reason === undefined)
              rejections.push({ request: entry.request, reason: describeItemError(item) });
            else {
              this.#retries.inc({ reason });
              retry.push(entry);
            }
          }
        });
        if (retry.length === 0) {
          delay = Math.min(100, this.#config.retry_max_ms);
          continue;
        }
        if (attempt === 1 || attempt % 10 === 0) {
          const first = outcome.items.find((item) => transientReason(item) !== undefined) as BulkItemResult;
          this.#logger.warn(
            { attempt, documents: retry.length, reason: describeItemError(first) },
            'OpenSearch asked to slow down or is not ready; retrying those documents with backoff.',
          );
        }
        parts.unshift(retry);
      } else if (outcome.kind === 'too_large') {
        this.#retries.inc({ reason: 'too_large' });
        if (pending.length === 1) {
          const entry = pending[0] as Entry;
          rejections.push({
            request: entry.request,
            reason: `the document (${entry.lines.length} bytes with its action) is larger than OpenSearch accepts in one request (HTTP 413)`,
          });
          continue;
        }
        const half = Math.ceil(pending.length / 2);
        parts.unshift(pending.slice(0, half), pending.slice(half));
        continue;
      } else {
        this.#retries.inc({ reason: outcome.reason }, pending.length);
        if (attempt === 1 || attempt % 10 === 0) {
          this.#logger.warn(
            { attempt, documents: pending.length, err: outcome.error },
            'A bulk request to OpenSearch failed; retrying with backoff.',
          );
        }
        parts.unshift(pending);
      }
      await sleep(jitter(delay), signal);
      delay = Math.min(delay * 2, this.#config.retry_max_ms);
    }
    return rejections;
  }

  async #bulk(
    entries: Entry[],
  ): Promise<
    | { kind: 'items'; items: BulkItemResult[] }
    | { kind: 'too_large' }
    | { kind: 'failed'; reason: string; error: unknown }
  > {
    let body = '';
    for (const entry of entries) body += entry.lines;
    const started = performance.now();
    try {
      const response = await this.#client.bulk(
        // The body is already NDJSON; the client sends a string as it is.
        // Only what settling needs comes back: a fraction of the full response to parse.
        { body, filter_path: BULK_FILTER_PATH } as unknown as Parameters<Client['bulk']>[0],
        { requestTimeout: this.#config.request_timeout_ms },
      );
      this.#latency.observe({ outcome: 'ok' }, (performance.now() - started) / 1000);
      this.#bulkBytes.inc(body.length);
      if (!this.#reachable) this.#logger.info('OpenSearch accepts bulk requests again.');
      this.#reachable = true;
      const items = (response.body.items as Array<Record<string, BulkItemResult>>).map(
        (item) => (item.create ?? Object.values(item)[0]) as BulkItemResult,
      );
      return { kind: 'items', items };
    } catch (error) {
      this.#latency.observe({ outcome: 'failed' }, (performance.now() - started) / 1000);
      const status = (error as { meta?: { statusCode?: number } }).meta?.statusCode;
      if (status === 413) return { kind: 'too_large' };
      this.#reachable = false;
      return { kind: 'failed', reason: requestReason(status), error };
    }
  }

  async stop(): Promise<void> {
    this.#health.stop();
    clearTimeout(this.#retentionTimer);
    this.#retentionTimer = undefined;
    await this.#client.close();
  }
}

const BULK_FILTER_PATH =
  'errors,items.*.status,items.*.error.type,items.*.error.reason,items.*.error.caused_by';

/** The action line and the document, each ending with a newline. */
function bulkLines(request: IndexRequest): string {
  return `{"create":{"_index":${JSON.stringify(request.index)},"_id":${JSON.stringify(request.id)}}}\n${JSON.stringify(request.event)}\n`;
}

/** Why an item is worth retrying, or undefined when it is refused for good. */
function transientReason(item: BulkItemResult): string | undefined {
  const type = item.error?.type ?? '';
  if (type === 'cluster_block_exception') {
    // `index.blocks.write` (set on past days by retention) stays until someone lifts it: refused for
    // good. Other blocks (the flood-stage watermark's read_only_allow_delete, a cluster-wide block) pass.
    return /index write \(api\)/.test(item.error?.reason ?? '') ? undefined : 'cluster_block';
  }
  if (item.status === 429 || type === 'es_rejected_execution_exception') return 'too_many_requests';
  if (item.status === 503) return 'unavailable';
  if (item.status >= 500) return 'server_error';
  return undefined;
}

function requestReason(status: number | undefined): string {
  if (status === 429) return 'too_many_requests';
  if (status === 503) return 'unavailable';
  if (status !== undefined && status >= 500) return 'server_error';
  return 'request_failed';
}

function describeItemError(item: BulkItemResult): string {
  const error = item.error;
  if (!error) return `status ${item.status}`;
  const cause = error.caused_by ? ` (caused by ${error.caused_by.type}: ${error.caused_by.reason})` : '';
  return `${error.type ?? 'error'}: ${error.reason ?? 'no reason given'}${cause}`;
}

/** "Equal jitter": half the delay plus a random share of the other half, so retrying processors spread out. */
function jitter(ms: number): number {
  return ms / 2 + Math.random() * (ms / 2);
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) {
      resolve();
      return;
    }
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
