/**
 * Writes events as NDJSON files, one file per target index
 * (`<output_dir>/<index>.ndjson`), for standalone mode without OpenSearch.
 * Each line is the document with its deterministic `_id` first. A batch is
 * fsynced before it counts as written. Ids written by this process are
 * remembered so an in-process retry does not write a line twice.
 */
import { mkdir, open } from 'node:fs/promises';
import { join } from 'node:path';
import type { Metrics } from '../../../core/telemetry/metrics.ts';
import type { EventSink, IndexRequest, Rejection } from '../event-sink.ts';

type FileHandle = Awaited<ReturnType<typeof open>>;

const MAX_REMEMBERED_IDS = 1_000_000;

export class NdjsonSink implements EventSink {
  readonly name = 'ndjson';
  readonly #dir: string;
  readonly #files = new Map<string, FileHandle>();
  readonly #written = new Set<string>();
  readonly #counter;

  constructor(dir: string, metrics: Metrics) {
    this.#dir = dir;
    this.#counter = metrics.counter(
      'vigil_processor_events_written_total',
      'Events written to NDJSON files.',
    );
  }

  get directory(): string {
    return this.#dir;
  }

  async start(): Promise<void> {
    await mkdir(this.#dir, { recursive: true });
  }

  ready(): boolean {
    return true;
  }

  async write(requests: readonly IndexRequest[]): Promise<Rejection[]> {
    const byIndex = new Map<string, string[]>();
    // An id repeated within the batch is written once, as OpenSearch's op_type create would.
    const inBatch = new Set<string>();
    for (const request of requests) {
      if (this.#written.has(request.id) || inBatch.has(request.id)) continue;
      inBatch.add(request.id);
      const lines = byIndex.get(request.index) ?? [];
      lines.push(JSON.stringify({ _id: request.id, ...request.event }));
      byIndex.set(request.index, lines);
    }
    for (const [index, lines] of byIndex) {
      const handle = await this.#file(index);
      await handle.write(`${lines.join('\n')}\n`);
      await handle.datasync();
      this.#counter.inc(lines.length);
    }
    if (this.#written.size > MAX_REMEMBERED_IDS) this.#written.clear();
    for (const request of requests) this.#written.add(request.id);
    return [];
  }

  async #file(index: string): Promise<FileHandle> {
    let handle = this.#files.get(index);
    if (!handle) {
      handle = await open(join(this.#dir, `${index}.ndjson`), 'a');
      this.#files.set(index, handle);
    }
    return handle;
  }

  async stop(): Promise<void> {
    for (const handle of this.#files.values()) await handle.close();
    this.#files.clear();
  }
}
