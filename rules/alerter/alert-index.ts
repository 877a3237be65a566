/**
 * The alerter's writes to OpenSearch: alerts are created with `op_type:
 * create` and `_id` = alert id (409 = already there, a replay), notification
 * states and suppressed counts are updated by id with idempotent scripts.
 *
 * Like the processor's sink: 429, 5xx and unreachable clusters are retried
 * with jittered exponential backoff until they succeed (or the alerter
 * stops); a document OpenSearch refuses for its content is tried once more
 * without the copied event fields, then reported as rejected.
 */
import type { Client } from '@opensearch-project/opensearch';
import type { Logger } from '../../core/log.ts';
import type { AlertDocument } from './alert-document.ts';

export interface CreateRequest {
  id: string;
  index: string;
  document: AlertDocument;
  /** A smaller document to try when OpenSearch refuses `document` (a mapping conflict). */
  fallback?: AlertDocument;
}

export type CreateResult =
  | { status: 'created' }
  | { status: 'exists' }
  | { status: 'rejected'; reason: string };

export type NotifyState = 'pending' | 'sent' | 'failed';

export interface PendingAlert {
  index: string;
  source: Record<string, unknown>;
  pending: string[];
}

interface BulkItem {
  status: number;
  error?: { type?: string; reason?: string; caused_by?: { type?: string; reason?: string } };
}

export interface AlertIndexOptions {
  retryMaxMs: number;
  requestTimeoutMs: number;
}

export class AlertIndex {
  readonly #client: Client;
  readonly #logger: Logger;
  readonly #options: AlertIndexOptions;

  constructor(client: Client, logger: Logger, options: AlertIndexOptions) {
    this.#client = client;
    this.#logger = logger;
    this.#options = options;
  }

  /** Creates the alerts; one result per request, in order. Retries transient trouble until `signal` aborts. */
  async create(requests: readonly CreateRequest[], signal: AbortSignal): Promise<CreateResult[]> {
    const results: CreateResult[] = new Array(requests.length);
    let todo = requests.map((request, i) => ({ request, i, fallback: false }));
    let delay = 100;
    for (let attempt = 1; todo.length > 0; attempt++) {
      if (signal.aborted) throw new Error('Indexing alerts was aborted because the alerter is stopping.');
      let body = '';
      for (const { request, fallback } of todo) {
        const doc = fallback && request.fallback ? request.fallback : request.document;
        body += `{"create":{"_index":${JSON.stringify(request.index)},"_id":${JSON.stringify(request.id)}}}\n${JSON.stringify(doc)}\n`;
      }
      let items: BulkItem[] | undefined;
      try {
        const response = await this.#client.bulk({ body } as unknown as Parameters<Client['bulk']>[0], {
          requestTimeout: this.#options.requestTimeoutMs,
        });
        items = (response.body.items as Array<Record<string, BulkItem>>).map(
          (item) => (item.create ?? Object.values(item)[0]) as BulkItem,
        );
      } catch (error) {
        if (!isTransient(error)) throw error;
        if (attempt === 1 || attempt % 10 === 0)
          this.#logger.warn(
            { err: error, attempt, alerts: todo.length },
            'Indexing alerts failed; retrying with backoff.',
          );
      }
      if (items) {
        const next: typeof todo = [];
        let transient = false;
        items.forEach((item, k) => {
          const entry = todo[k] as (typeof todo)[number];
          if (item.status === 200 || item.status === 201) results[entry.i] = { status: 'created' };
          else if (item.status === 409) results[entry.i] = { status: 'exists' };
          else if (
            item.status === 429 ||
            item.status >= 500 ||
            item.error?.type === 'cluster_block_exception'
          ) {
            transient = true;
            next.push(entry);
          } else if (!entry.fallback && entry.request.fallback) next.push({ ...entry, fallback: true });
          else results[entry.i] = { status: 'rejected', reason: describe(item) };
        });
        todo = next;
        if (!transient) continue;
      }
      await sleep(delay / 2 + Math.random() * (delay / 2), signal);
      delay = Math.min(delay * 2, this.#options.retryMaxMs);
    }
    return results;
  }

  /** The documents of alerts that exist already (replays), by id; missing ones are left out. */
  async get(
    refs: ReadonlyArray<{ index: string; id: string }>,
    signal: AbortSignal,
  ): Promise<Map<string, Record<string, unknown>>> {
    const found = new Map<string, Record<string, unknown>>();
    if (refs.length === 0) return found;
    const response = await this.#retrying(
      () =>
        this.#client.mget(
          { body: { docs: refs.map((r) => ({ _index: r.index, _id: r.id })) } },
          {
            requestTimeout: this.#options.requestTimeoutMs,
          },
        ),
      signal,
    );
    for (const doc of response.body.docs as Array<{
      _id: string;
      found?: boolean;
      _source?: Record<string, unknown>;
    }>) {
      if (doc.found && doc._source) found.set(doc._id, doc._source);
    }
    return found;
  }

  /** Moves one destination of an alert to a notification state; a missing alert is ignored. */
  async setNotifyState(
    index: string,
    id: string,
    destination: string,
    state: NotifyState,
    signal?: AbortSignal,
  ): Promise<void> {
    await this.#update(
      index,
      id,
      NOTIFY_SCRIPT,
      { dest: destination, state },
      signal ?? AbortSignal.timeout(60_000),
    );
  }

  /** Counts one suppressed alert on the first alert of its window; counting the same one again changes nothing. */
  async addSuppressed(
    index: string,
    firstId: string,
    suppressedId: string,
    signal: AbortSignal,
  ): Promise<boolean> {
    // The first alert may still be on its way into the index (another instance, another partition).
    for (let attempt = 1; attempt <= 5; attempt++) {
      const found = await this.#update(
        index,
        firstId,
        SUPPRESSED_SCRIPT,
        { id: suppressedId, at: new Date().toISOString() },
        signal,
      );
      if (found) return true;
      await sleep(500 * attempt, signal);
    }
    this.#logger.warn(
      { alert: firstId, suppressed: suppressedId },
      'The first alert of a suppression window was not found; its suppressed count misses one.',
    );
    return false;
  }

  /** Alerts indexed between `lookbackMs` and `olderThanMs` ago that still owe a notification. */
  async pending(
    olderThanMs: number,
    lookbackMs: number,
    size: number,
    prefix: string,
  ): Promise<PendingAlert[]> {
    const response = await this.#client.search(
      {
        index: `${prefix}-alerts-*`,
        ignore_unavailable: true,
        allow_no_indices: true,
        body: {
          size,
          query: {
            bool: {
              filter: [
                { exists: { field: 'vigil.alert.notify.pending' } },
                {
                  range: {
                    'event.created': {
                      lte: new Date(Date.now() - olderThanMs).toISOString(),
                      gte: new Date(Date.now() - lookbackMs).toISOString(),
                    },
                  },
                },
              ],
            },
          },
          sort: [{ 'event.created': 'asc' }],
        },
      },
      { requestTimeout: this.#options.requestTimeoutMs },
    );
    const hits = (response.body.hits as { hits: Array<{ _index: string; _source: Record<string, unknown> }> })
      .hits;
    return hits.map((hit) => ({
      index: hit._index,
      source: hit._source,
      pending: (
        (hit._source.vigil as { alert: { notify?: { pending?: string[] } } }).alert.notify?.pending ?? []
      ).slice(),
    }));
  }

  async #update(
    index: string,
    id: string,
    source: string,
    params: Record<string, unknown>,
    signal: AbortSignal,
  ): Promise<boolean> {
    try {
      await this.#retrying(
        () =>
          this.#client.update(
            { index, id, retry_on_conflict: 10, body: { script: { lang: 'painless', source, params } } },
            { requestTimeout: this.#options.requestTimeoutMs },
          ),
        signal,
      );
      return true;
    } catch (error) {
      if ((error as { meta?: { statusCode?: number } }).meta?.statusCode === 404) return false;
      throw error;
    }
  }

  async #retrying<T>(call: () => Promise<T>, signal: AbortSignal): Promise<T> {
    let delay = 100;
    for (let attempt = 1; ; attempt++) {
      try {
        return await call();
      } catch (error) {
        if (!isTransient(error) || signal.aborted) throw error;
        if (attempt === 1 || attempt % 10 === 0)
          this.#logger.warn(
            { err: error, attempt },
            'An OpenSearch request of the alerter failed; retrying with backoff.',
          );
        await sleep(delay / 2 + Math.random() * (delay / 2), signal);
        delay = Math.min(delay * 2, this.#options.retryMaxMs);
      }
    }
  }
}

const NOTIFY_SCRIPT = `
def a = ctx._source.vigil.alert;
if (a.notify == null) { a.notify = new HashMap(); }
String dest = params.dest;
for (String s : ['pending', 'sent', 'failed']) {
  if (a.notify[s] == null) { a.notify[s] = new ArrayList(); }
  a.notify[s].removeIf(d -> d == dest);
}
a.notify[params.state].add(dest);
`;

const SUPPRESSED_SCRIPT = `
def a = ctx._source.vigil.alert;
if (a.suppressed_ids == null) { a.suppressed_ids = new ArrayList(); }
if (a.suppressed_ids.contains(params.id)) {
  ctx.op = 'noop';
} else {
  a.suppressed_ids.add(params.id);
  if (a.suppressed_ids.size() > 100) { a.suppressed_ids.remove(0); }
  a.suppressed_count = (a.suppressed_count == null ? 0 : a.suppressed_count) + 1;
  a.last_suppressed_at = params.at;
}
`;

/** Worth trying again: no answer at all, 429, or 5xx. */
export function isTransient(error: unknown): boolean {
  const status = (error as { meta?: { statusCode?: number } }).meta?.statusCode;
  return status === undefined || status === 429 || status >= 500;
}

function describe(item: BulkItem): string {
  const e = item.error;
  if (!e) return `status ${item.status}`;
  const cause = e.caused_by ? ` (caused by ${e.caused_by.type}: ${e.caused_by.reason})` : '';
  return `${e.type ?? 'error'}: ${e.reason ?? 'no reason given'}${cause}`;
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
