import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Metrics } from '../../../../../core/telemetry/metrics.ts';
import type { EcsEvent } from '../../../../../processor/event-builder.ts';
import type { IndexRequest } from '../../../../../processor/sinks/event-sink.ts';
import { NdjsonSink } from '../../../../../processor/sinks/ndjson/ndjson-sink.ts';

let root: string;
let dir: string;
const sinks: NdjsonSink[] = [];

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'vigil-ndjson-'));
  dir = join(root, 'events');
});

afterEach(async () => {
  for (const sink of sinks.splice(0)) await sink.stop();
  await rm(root, { recursive: true, force: true });
});

async function startedSink() {
  const metrics = new Metrics({ defaultMetrics: false });
  const sink = new NdjsonSink(dir, metrics);
  sinks.push(sink);
  await sink.start();
  return { sink, metrics };
}

function request(id: string, index = 'vigil-linux.auth-2026.11.24'): IndexRequest {
  const event: EcsEvent = {
    '@timestamp': '2026-11-24T10:00:00.000Z',
    message: `message ${id}`,
    event: { dataset: 'linux.auth' },
    vigil: { record: { id: `c/s/${id}`, offset: 0, stream: 's' } },
  };
  return { id, index, event };
}

/** The documents of one index file, parsed. */
async function documents(index: string): Promise<Array<Record<string, unknown>>> {
  const text = await readFile(join(dir, `${index}.ndjson`), 'utf8');
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('NdjsonSink', () => {
  it('creates its folder when started', async () => {
    await startedSink();
    expect((await stat(dir)).isDirectory()).toBe(true);
  });

  it('writes each event as one JSON line in <index>.ndjson', async () => {
    const { sink } = await startedSink();
    await sink.write([request('a'), request('b')]);
    const text = await readFile(join(dir, 'vigil-linux.auth-2026.11.24.ndjson'), 'utf8');
    expect(text.split('\n')).toHaveLength(3);
    expect(text.endsWith('\n')).toBe(true);
    expect((await documents('vigil-linux.auth-2026.11.24')).map((d) => d._id)).toEqual(['a', 'b']);
  });

  it('writes one file per index', async () => {
    const { sink } = await startedSink();
    await sink.write([
      request('a', 'vigil-linux.auth-2026.11.24'),
      request('b', 'vigil-apache.access-2026.11.24'),
      request('c', 'vigil-linux.auth-2026.11.25'),
      request('d', 'vigil-linux.auth-2026.11.24'),
    ]);
    expect((await readdir(dir)).sort()).toEqual([
      'vigil-apache.access-2026.11.24.ndjson',
      'vigil-linux.auth-2026.11.24.ndjson',
      'vigil-linux.auth-2026.11.25.ndjson',
    ]);
    expect((await documents('vigil-linux.auth-2026.11.24')).map((d) => d._id)).toEqual(['a', 'd']);
  });

  it('puts _id first, followed by the event', async () => {
    const { sink } = await startedSink();
    const req = request('a');
    await sink.write([req]);
    const [doc] = await documents('vigil-linux.auth-2026.11.24');
    expect(Object.keys(doc ?? {})[0]).toBe('_id');
    expect(doc).toEqual({ _id: 'a', ...req.event });
  });

  it('appends to the file of an index across writes', async () => {
    const { sink } = await startedSink();
    await sink.write([request('a')]);
    await sink.write([request('b')]);
    expect((await documents('vigil-linux.auth-2026.11.24')).map((d) => d._id)).toEqual(['a', 'b']);
  });

  it('writes an id written before only once', async () => {
    const { sink } = await startedSink();
    await sink.write([request('a'), request('b')]);
    await sink.write([request('b'), request('c')]);
    expect((await documents('vigil-linux.auth-2026.11.24')).map((d) => d._id)).toEqual(['a', 'b', 'c']);
  });

  it('writes an id that appears twice in one batch only once', async () => {
    const { sink } = await startedSink();
    await sink.write([request('a'), request('a')]);
    expect((await documents('vigil-linux.auth-2026.11.24')).map((d) => d._id)).toEqual(['a']);
  });

  it('keeps appending to files written by an earlier sink', async () => {
    const first = await startedSink();
    await first.sink.write([request('a')]);
    await first.sink.stop();
    const second = await startedSink();
    await second.sink.write([request('b')]);
    expect((await documents('vigil-linux.auth-2026.11.24')).map((d) => d._id)).toEqual(['a', 'b']);
  });

  it('rejects nothing', async () => {
    const { sink } = await startedSink();
    await expect(sink.write([request('a'), request('a')])).resolves.toEqual([]);
  });

  it('counts the events it wrote, not the repeated ones', async () => {
    const { sink, metrics } = await startedSink();
    await sink.write([request('a'), request('b')]);
    await sink.write([request('b')]);
    expect(await metrics.text()).toContain('vigil_processor_events_written_total 2');
  });

  it('is always ready', async () => {
    const { sink } = await startedSink();
    expect(sink.ready()).toBe(true);
  });

  it('reports the folder it writes to', () => {
    expect(new NdjsonSink(dir, new Metrics({ defaultMetrics: false })).directory).toBe(dir);
  });
});
