/**
 * Bulk-indexes events into OpenSearch with `op_type: create` and the event's
 * deterministic `_id`, so a replay or a retry never duplicates: 409 means the
 * document is already there, which counts as success.
 *
 * Per item: 201/409 are done; 429, 5xx and cluster blocks are retried with
 * backoff until they succeed (never sent to the dead-letter queue); other 4xx
 * (mapping errors, bad documents) are rejected with the reason. A failed
 * request as a whole (connection refused, timeout) is retried the same way.
 */
import type { Client } from '@opensearch-project/opensearch';
import type { OpenSearchConfig } from '../../../core/config/schema.ts';
import type { Logger } from '../../../core/log.ts';
import type { Metrics } from '../../../core/telemetry/metrics.ts';
import type { EventSink, IndexRequest, Rejection } from '../event-sink.ts';
import { ensureEventTemplate, eventTemplateName } from './index-template.ts';

interface BulkItemResult {
  status: number;
  error?: { type?: string; reason?: string; caused_by?: { type?: string; reason?: string } };
}

export class OpenSearchSink implements EventSink {
  readonly name = 'opensearch';
  readonly #client: Client;
  readonly #config: OpenSearchConfig;
  readonly #logger: Logger;
  #healthy = true;
  readonly #indexed;
  readonly #duplicates;
  readonly #retries;

  constructor(client: Client, config: OpenSearchConfig, logger: Logger, metrics: Metrics) {
    this.#client = client;
    this.#config = config;
    this.#logger = logger.child({ sink: 'opensearch' });
    this.#indexed = metrics.counter('vigil_processor_events_indexed_total', 'Events newly indexed.');
    this.#duplicates = metrics.counter(
      'vigil_processor_events_already_indexed_total',
      'Events found already indexed (a replay); not duplicated.',
    );
    this.#retries = metrics.counter('vigil_processor_bulk_retries_total', 'Bulk items or requests retried.', [
      'reason',
    ]);
  }

  /**
   * Installs the event index template when it is missing (standalone mode has
   * no separate `vigil setup` step); an existing template is left as it is.
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
  }

  ready(): boolean {
    return this.#healthy;
  }

  async write(requests: readonly IndexRequest[], signal: AbortSignal): Promise<Rejection[]> {
    const rejections: Rejection[] = [];
    for (const chunk of this.#chunks(requests)) {
      rejections.push(...(await this.#writeChunk(chunk, signal)));
    }
    return rejections;
  }

  *#chunks(requests: readonly IndexRequest[]): Generator<IndexRequest[]> {
    let chunk: IndexRequest[] = [];
    let bytes = 0;
    for (const request of requests) {
      const size = JSON.stringify(request.event).length;
      if (
        chunk.length > 0 &&
        (chunk.length >= this.#config.bulk_max_docs || bytes + size > this.#config.bulk_max_bytes)
      ) {
        yield chunk;
        chunk = [];
        bytes = 0;
      }
      chunk.push(request);
      bytes += size;
    }
    if (chunk.length > 0) yield chunk;
  }

  async #writeChunk(requests: IndexRequest[], signal: AbortSignal): Promise<Rejection[]> {
    const rejections: Rejection[] = [];
    let pending = requests;
    let delay = Math.min(100, this.#config.retry_max_ms);
    for (let attempt = 1; pending.length > 0; attempt++) {
      if (signal.aborted) throw new Error('Indexing was aborted because the processor is stopping.');
      let items: BulkItemResult[] | undefined;
      try {
        const body = pending.flatMap((r) => [{ create: { _index: r.index, _id: r.id } }, r.event]);
        const response = await this.#client.bulk(
          { body },
          { requestTimeout: this.#config.request_timeout_ms },
        );
        items = (response.body.items as Array<Record<string, BulkItemResult>>).map(
          (item) => (item.create ?? Object.values(item)[0]) as BulkItemResult,
        );
        if (!this.#healthy) this.#logger.info('OpenSearch accepts bulk requests again.');
        this.#healthy = true;
      } catch (error) {
        this.#healthy = false;
        this.#retries.inc({ reason: 'request' });
        if (attempt === 1 || attempt % 10 === 0) {
          this.#logger.warn(
            { attempt, documents: pending.length, err: error },
            'A bulk request to OpenSearch failed; retrying with backoff.',
          );
        }
      }
      if (items) {
        const retry: IndexRequest[] = [];
        items.forEach((item, i) => {
          const request = pending[i] as IndexRequest;
          if (item.status === 201 || item.status === 200) this.#indexed.inc();
          else if (item.status === 409) this.#duplicates.inc();
          else if (isTransient(item)) retry.push(request);
          else rejections.push({ request, reason: describeItemError(item) });
        });
        if (retry.length > 0) {
          this.#retries.inc({ reason: 'item' }, retry.length);
          if (attempt === 1 || attempt % 10 === 0) {
            this.#logger.warn(
              { attempt, documents: retry.length, reason: describeItemError(firstTransient(items)) },
              'OpenSearch asked to slow down or is not ready; retrying those documents with backoff.',
            );
          }
        }
        pending = retry;
        if (pending.length === 0) break;
      }
      await sleep(delay, signal);
      delay = Math.min(delay * 2, this.#config.retry_max_ms);
    }
    return rejections;
  }

  async stop(): Promise<void> {
    await this.#client.close();
  }
}

function isTransient(item: BulkItemResult): boolean {
  if (item.status === 429 || item.status >= 500) return true;
  const type = item.error?.type ?? '';
  return type === 'cluster_block_exception' || type === 'es_rejected_execution_exception';
}

function firstTransient(items: BulkItemResult[]): BulkItemResult {
  return items.find(isTransient) ?? (items[0] as BulkItemResult);
}

function describeItemError(item: BulkItemResult): string {
  const error = item.error;
  if (!error) return `status ${item.status}`;
  const cause = error.caused_by ? ` (caused by ${error.caused_by.type}: ${error.caused_by.reason})` : '';
  return `${error.type ?? 'error'}: ${error.reason ?? 'no reason given'}${cause}`;
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
