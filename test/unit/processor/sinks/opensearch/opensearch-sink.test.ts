import type { Client } from '@opensearch-project/opensearch';
import { describe, expect, it } from 'vitest';
import { type OpenSearchConfig, opensearchSchema } from '../../../../../core/config/schema.ts';
import { silentLogger } from '../../../../../core/log.ts';
import { Metrics } from '../../../../../core/telemetry/metrics.ts';
import type { EcsEvent } from '../../../../../processor/event-builder.ts';
import type { IndexRequest } from '../../../../../processor/sinks/event-sink.ts';
import { OpenSearchSink } from '../../../../../processor/sinks/opensearch/opensearch-sink.ts';

interface Item {
  status: number;
  error?: { type?: string; reason?: string; caused_by?: { type?: string; reason?: string } };
}

/** One bulk call as the fake client saw it. */
interface BulkCall {
  ids: string[];
  body: unknown[];
  options: unknown;
}

/**
 * Decides how the fake cluster answers a bulk call: an item per document
 * (in order), or an error to throw for the request as a whole.
 */
type Answer = (ids: string[], call: number) => Item[] | Error;

/** Stands in for the OpenSearch client: records bulk calls and answers them with `answer`. */
class FakeClient {
  readonly calls: BulkCall[] = [];
  closed = false;
  answer: Answer;

  constructor(answer: Answer = (ids) => ids.map(() => ({ status: 201 }))) {
    this.answer = answer;
  }

  async bulk(params: { body: string | unknown[] }, options: unknown) {
    // The sink sends NDJSON text, serialized once; the fake reads it back.
    const body =
      typeof params.body === 'string'
        ? params.body
            .split('\n')
            .filter((line) => line !== '')
            .map((line) => JSON.parse(line) as unknown)
        : params.body;
    const ids = body
      .filter((_, i) => i % 2 === 0)
      .map((action) => (Object.values(action as object)[0] as { _id: string })._id);
    this.calls.push({ ids, body, options });
    const result = this.answer(ids, this.calls.length);
    if (result instanceof Error) throw result;
    return {
      body: {
        errors: result.some((item) => item.status >= 300),
        items: result.map((create) => ({ create })),
      },
    };
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

function config(overrides: Partial<OpenSearchConfig> = {}): OpenSearchConfig {
  return { ...opensearchSchema.parse({ url: 'http://x:9200', retry_max_ms: 20 }), ...overrides };
}

function sinkWith(client: FakeClient, overrides: Partial<OpenSearchConfig> = {}) {
  const metrics = new Metrics({ defaultMetrics: false });
  const sink = new OpenSearchSink(client as unknown as Client, config(overrides), silentLogger(), metrics);
  return { sink, metrics };
}

function request(id: string, message = `message ${id}`): IndexRequest {
  const event: EcsEvent = {
    '@timestamp': '2026-11-24T10:00:00.000Z',
    message,
    event: { dataset: 'linux.auth' },
    vigil: { record: { id: `c/s/${id}`, offset: 0, stream: 's' } },
  };
  return { id, index: 'vigil-linux.auth-2026.11.24', event };
}

function requests(...ids: string[]): IndexRequest[] {
  return ids.map((id) => request(id));
}

/** Answers each document with the status in `statuses` for its id, 201 for the others. */
function statusById(statuses: Record<string, Item>): Answer {
  return (ids) => ids.map((id) => statuses[id] ?? { status: 201 });
}

const mappingError: Item = {
  status: 400,
  error: {
    type: 'mapper_parsing_exception',
    reason: 'failed to parse field [source.port] of type [long]',
    caused_by: { type: 'illegal_argument_exception', reason: 'For input string: "abc"' },
  },
};

const signal = () => new AbortController().signal;

describe('OpenSearchSink', () => {
  it('sends each event as a create action with its index and id', async () => {
    const client = new FakeClient();
    const { sink } = sinkWith(client);
    const [first, second] = requests('a', 'b');
    await sink.write([first!, second!], signal());
    expect(client.calls[0]?.body).toEqual([
      { create: { _index: 'vigil-linux.auth-2026.11.24', _id: 'a' } },
      first?.event,
      { create: { _index: 'vigil-linux.auth-2026.11.24', _id: 'b' } },
      second?.event,
    ]);
  });

  it('passes request_timeout_ms as the request timeout', async () => {
    const client = new FakeClient();
    const { sink } = sinkWith(client, { request_timeout_ms: 1234 });
    await sink.write(requests('a'), signal());
    expect(client.calls[0]?.options).toEqual({ requestTimeout: 1234 });
  });

  it('counts 201 items as written', async () => {
    const client = new FakeClient(statusById({ a: { status: 201 } }));
    const { sink } = sinkWith(client);
    await expect(sink.write(requests('a'), signal())).resolves.toEqual([]);
    expect(client.calls).toHaveLength(1);
  });

  it('counts 409 items as written, since the document is already there', async () => {
    const client = new FakeClient(
      statusById({ a: { status: 409, error: { type: 'version_conflict_engine_exception' } } }),
    );
    const { sink } = sinkWith(client);
    await expect(sink.write(requests('a'), signal())).resolves.toEqual([]);
    expect(client.calls).toHaveLength(1);
  });

  it('counts new and already indexed documents in separate metrics', async () => {
    const client = new FakeClient(statusById({ b: { status: 409 } }));
    const { sink, metrics } = sinkWith(client);
    await sink.write(requests('a', 'b', 'c'), signal());
    const text = await metrics.text();
    expect(text).toContain('vigil_processor_events_indexed_total 2');
    expect(text).toContain('vigil_processor_events_already_indexed_total 1');
  });

  it('returns a mapping error as a rejection of that document', async () => {
    const client = new FakeClient(statusById({ b: mappingError }));
    const { sink } = sinkWith(client);
    const batch = requests('a', 'b', 'c');
    const rejections = await sink.write(batch, signal());
    expect(rejections).toHaveLength(1);
    expect(rejections[0]?.request).toBe(batch[1]);
  });

  it('names the error type, its reason and its cause in the rejection', async () => {
    const client = new FakeClient(statusById({ a: mappingError }));
    const { sink } = sinkWith(client);
    const [rejection] = await sink.write(requests('a'), signal());
    expect(rejection?.reason).toBe(
      'mapper_parsing_exception: failed to parse field [source.port] of type [long]' +
        ' (caused by illegal_argument_exception: For input string: "abc")',
    );
  });

  it('gives the status as the reason when the item carries no error', async () => {
    const client = new FakeClient(statusById({ a: { status: 400 } }));
    const { sink } = sinkWith(client);
    const [rejection] = await sink.write(requests('a'), signal());
    expect(rejection?.reason).toBe('status 400');
  });

  it('does not retry a rejected document', async () => {
    const client = new FakeClient(statusById({ a: mappingError }));
    const { sink } = sinkWith(client);
    await sink.write(requests('a'), signal());
    expect(client.calls).toHaveLength(1);
  });

  it.each([
    ['429', { status: 429, error: { type: 'es_rejected_execution_exception', reason: 'queue full' } }],
    [
      '503',
      { status: 503, error: { type: 'unavailable_shards_exception', reason: 'primary shard is not active' } },
    ],
    [
      'a cluster block',
      { status: 403, error: { type: 'cluster_block_exception', reason: 'index read-only' } },
    ],
  ])('retries a document answered with %s until it is written', async (_what, item) => {
    const client = new FakeClient((ids, call) =>
      ids.map((id) => (id === 'b' && call <= 3 ? item : { status: 201 })),
    );
    const { sink } = sinkWith(client);
    await expect(sink.write(requests('a', 'b', 'c'), signal())).resolves.toEqual([]);
    expect(client.calls.map((c) => c.ids)).toEqual([['a', 'b', 'c'], ['b'], ['b'], ['b']]);
  });

  it('retries a request that failed as a whole until it succeeds', async () => {
    const client = new FakeClient((ids, call) =>
      call <= 3 ? new Error('connect ECONNREFUSED 127.0.0.1:9200') : ids.map(() => ({ status: 201 })),
    );
    const { sink } = sinkWith(client);
    await expect(sink.write(requests('a', 'b'), signal())).resolves.toEqual([]);
    expect(client.calls.map((c) => c.ids)).toEqual([
      ['a', 'b'],
      ['a', 'b'],
      ['a', 'b'],
      ['a', 'b'],
    ]);
  });

  it('rejects a mapping error found on a retry while keeping the written documents', async () => {
    const client = new FakeClient((ids, call) =>
      ids.map((id) => {
        if (id === 'b' && call === 1) return { status: 429 };
        if (id === 'b') return mappingError;
        return { status: 201 };
      }),
    );
    const { sink } = sinkWith(client);
    const rejections = await sink.write(requests('a', 'b'), signal());
    expect(rejections.map((r) => r.request.id)).toEqual(['b']);
    expect(client.calls.map((c) => c.ids)).toEqual([['a', 'b'], ['b']]);
  });

  it('reports itself not ready while requests fail and ready again after one succeeds', async () => {
    let failing = true;
    const readiness: boolean[] = [];
    const client = new FakeClient((ids) =>
      failing ? new Error('timeout') : ids.map(() => ({ status: 201 })),
    );
    const { sink } = sinkWith(client);
    const writing = sink.write(requests('a'), signal());
    while (client.calls.length < 2) await new Promise((resolve) => setTimeout(resolve, 5));
    readiness.push(sink.ready());
    failing = false;
    await writing;
    readiness.push(sink.ready());
    expect(readiness).toEqual([false, true]);
  });

  it('splits a large batch into bulk requests of at most bulk_max_docs', async () => {
    const client = new FakeClient();
    const { sink } = sinkWith(client, { bulk_max_docs: 2 });
    await sink.write(requests('a', 'b', 'c', 'd', 'e'), signal());
    expect(client.calls.map((c) => c.ids)).toEqual([['a', 'b'], ['c', 'd'], ['e']]);
  });

  it('splits a batch so a bulk request stays within bulk_max_bytes', async () => {
    const client = new FakeClient();
    // Each document costs its action line and its source line, with their newlines.
    const { index, event } = request('a');
    const size = `{"create":{"_index":"${index}","_id":"a"}}\n${JSON.stringify(event)}\n`.length;
    const { sink } = sinkWith(client, { bulk_max_bytes: size * 2 + 1 });
    await sink.write(requests('a', 'b', 'c'), signal());
    expect(client.calls.map((c) => c.ids)).toEqual([['a', 'b'], ['c']]);
  });

  it('sends an event larger than bulk_max_bytes in a request of its own', async () => {
    const client = new FakeClient();
    const { sink } = sinkWith(client, { bulk_max_bytes: 50 });
    await sink.write([request('a', 'x'.repeat(200)), request('b')], signal());
    expect(client.calls.map((c) => c.ids)).toEqual([['a'], ['b']]);
  });

  it('collects the rejections of every chunk', async () => {
    const client = new FakeClient(statusById({ a: mappingError, d: mappingError }));
    const { sink } = sinkWith(client, { bulk_max_docs: 2 });
    const rejections = await sink.write(requests('a', 'b', 'c', 'd'), signal());
    expect(rejections.map((r) => r.request.id)).toEqual(['a', 'd']);
  });

  it('sends nothing for an empty batch', async () => {
    const client = new FakeClient();
    const { sink } = sinkWith(client);
    await expect(sink.write([], signal())).resolves.toEqual([]);
    expect(client.calls).toHaveLength(0);
  });

  it('stops retrying with an error when aborted', async () => {
    const client = new FakeClient((ids) => ids.map(() => ({ status: 503 })));
    const { sink } = sinkWith(client, { retry_max_ms: 60_000 });
    const controller = new AbortController();
    const writing = sink.write(requests('a'), controller.signal);
    while (client.calls.length < 1) await new Promise((resolve) => setTimeout(resolve, 5));
    controller.abort();
    await expect(writing).rejects.toThrow('Indexing was aborted because the processor is stopping.');
  });

  it('sends nothing when already aborted', async () => {
    const client = new FakeClient();
    const { sink } = sinkWith(client);
    const controller = new AbortController();
    controller.abort();
    await expect(sink.write(requests('a'), controller.signal)).rejects.toThrow('aborted');
    expect(client.calls).toHaveLength(0);
  });

  it('waits no longer than retry_max_ms between retries', async () => {
    const client = new FakeClient((ids, call) => ids.map(() => ({ status: call === 1 ? 429 : 201 })));
    const { sink } = sinkWith(client, { retry_max_ms: 5 });
    const started = Date.now();
    await sink.write(requests('a'), signal());
    expect(Date.now() - started).toBeLessThan(80);
  });

  it('rejects a document for a day index made read-only by retention instead of retrying it forever', async () => {
    const blocked: Item = {
      status: 403,
      error: {
        type: 'cluster_block_exception',
        reason: 'index [vigil-linux.auth-2026.10.01] blocked by: [FORBIDDEN/8/index write (api)];',
      },
    };
    const client = new FakeClient(statusById({ a: blocked }));
    const { sink } = sinkWith(client);
    const rejections = await sink.write(requests('a', 'b'), signal());
    expect(rejections.map((r) => r.request.id)).toEqual(['a']);
    expect(rejections[0]?.reason).toContain('FORBIDDEN/8/index write (api)');
    expect(client.calls).toHaveLength(1);
  });

  it('retries a document blocked by the flood-stage watermark until the block is lifted', async () => {
    const flood: Item = {
      status: 429,
      error: {
        type: 'cluster_block_exception',
        reason:
          'index [vigil-linux.auth-2026.11.24] blocked by: [TOO_MANY_REQUESTS/12/disk usage exceeded flood-stage watermark, index has read-only-allow-delete block];',
      },
    };
    const client = new FakeClient((ids, call) => ids.map(() => (call <= 2 ? flood : { status: 201 })));
    const { sink } = sinkWith(client);
    await expect(sink.write(requests('a'), signal())).resolves.toEqual([]);
    expect(client.calls).toHaveLength(3);
  });

  it('counts retries by reason', async () => {
    const client = new FakeClient((ids, call) =>
      ids.map((id) => {
        if (call > 1) return { status: 201 };
        if (id === 'a') return { status: 429, error: { type: 'es_rejected_execution_exception' } };
        if (id === 'b') return { status: 403, error: { type: 'cluster_block_exception' } };
        return { status: 503 };
      }),
    );
    const { sink, metrics } = sinkWith(client);
    await sink.write(requests('a', 'b', 'c'), signal());
    const text = await metrics.text();
    expect(text).toContain('vigil_processor_bulk_retries_total{reason="too_many_requests"} 1');
    expect(text).toContain('vigil_processor_bulk_retries_total{reason="cluster_block"} 1');
    expect(text).toContain('vigil_processor_bulk_retries_total{reason="unavailable"} 1');
  });

  it('retries a whole request answered 429 and counts it as too_many_requests', async () => {
    const tooMany = Object.assign(new Error('Too Many Requests'), { meta: { statusCode: 429 } });
    const client = new FakeClient((ids, call) => (call === 1 ? tooMany : ids.map(() => ({ status: 201 }))));
    const { sink, metrics } = sinkWith(client);
    await expect(sink.write(requests('a', 'b'), signal())).resolves.toEqual([]);
    expect(client.calls).toHaveLength(2);
    expect(await metrics.text()).toContain(
      'vigil_processor_bulk_retries_total{reason="too_many_requests"} 2',
    );
  });

  it('splits a request answered 413 and rejects a single document that is still too large', async () => {
    const tooLarge = Object.assign(new Error('Request Entity Too Large'), { meta: { statusCode: 413 } });
    const client = new FakeClient((ids) => (ids.length > 1 || ids[0] === 'c' ? tooLarge : [{ status: 201 }]));
    const { sink } = sinkWith(client);
    const rejections = await sink.write(requests('a', 'b', 'c'), signal());
    expect(rejections.map((r) => r.request.id)).toEqual(['c']);
    expect(rejections[0]?.reason).toContain('HTTP 413');
    expect(client.calls.map((c) => c.ids)).toEqual([['a', 'b', 'c'], ['a', 'b'], ['a'], ['b'], ['c']]);
  });

  it('records the duration of each bulk request', async () => {
    const client = new FakeClient();
    const { sink, metrics } = sinkWith(client);
    await sink.write(requests('a'), signal());
    expect(await metrics.text()).toContain('vigil_processor_bulk_duration_seconds_count{outcome="ok"} 1');
  });

  it('reports itself not ready when the health probe cannot write', async () => {
    const client = new FakeClient(() => [
      { status: 403, error: { type: 'cluster_block_exception', reason: 'read-only' } },
    ]);
    const { sink } = sinkWith(client);
    const probe = await sink.probe();
    expect(probe).toMatchObject({ healthy: false, reason: 'cluster_block_exception: read-only' });
    expect(sink.ready()).toBe(false);
    client.answer = () => [{ status: 200 }];
    expect((await sink.probe()).healthy).toBe(true);
    expect(sink.ready()).toBe(true);
  });

  it('closes the client when stopped', async () => {
    const client = new FakeClient();
    const { sink } = sinkWith(client);
    await sink.stop();
    expect(client.closed).toBe(true);
  });
});
