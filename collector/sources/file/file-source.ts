/**
 * Tails files matching an input's globs and turns each complete line into a
 * raw record. A line counts as accepted — and the file's checkpoint moves past
 * it — only when the shipper reports it acknowledged downstream.
 *
 * Identity: a file is a stream named by its device and inode, so a rename
 * keeps its identity and a new file at the same path gets a new one.
 * A file whose size drops below the read position was truncated in place
 * (copytruncate): reading restarts at 0 and the event is counted.
 * A partial last line waits for its newline; a line longer than
 * `max_line_bytes` is cut there, flagged `truncated`, and the rest of it is
 * skipped up to the next newline.
 */
import { glob, open, stat } from 'node:fs/promises';
import { matchesGlob, resolve } from 'node:path';
import type { FileInputConfig } from '../../../core/config/schema.ts';
import type { RawRecord } from '../../../core/event/raw-record.ts';
import type { Logger } from '../../../core/log.ts';
import type { Metrics } from '../../../core/telemetry/metrics.ts';
import type { Shipper } from '../../shipper.ts';
import type { CheckpointStore } from '../../state/checkpoint-store.ts';

const READ_CHUNK_BYTES = 256 * 1024;
const NEWLINE = 0x0a;
const CR = 0x0d;

export interface FileSourceOptions {
  input: FileInputConfig;
  store: CheckpointStore;
  shipper: Shipper;
  collector: RawRecord['collector'];
  host: RawRecord['host'];
  logger: Logger;
  metrics: Metrics;
  pollIntervalMs: number;
}

interface Tracked {
  streamId: string;
  path: string;
  /** Next byte to read (everything before it is shipped or in flight). */
  position: number;
  /** Inside an over-long line: skip bytes up to the next newline. */
  skippingLongLine: boolean;
  /** Seen in the latest scan. */
  seen: boolean;
  /** Bumped when the file is truncated in place; acknowledgements of older reads are then stale. */
  generation: number;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

export class FileSource {
  readonly #options: FileSourceOptions;
  readonly #tracked = new Map<string, Tracked>();
  readonly #logger: Logger;
  #loop: Promise<void> | undefined;
  #stopping = false;
  #wake: (() => void) | undefined;
  #firstScan = true;
  readonly #lines;
  readonly #truncations;
  readonly #longLines;

  constructor(options: FileSourceOptions) {
    this.#options = options;
    this.#logger = options.logger.child({ source: 'file', dataset: options.input.dataset });
    const { metrics } = options;
    this.#lines = metrics.counter('vigil_collector_file_lines_total', 'Lines read from files.', ['dataset']);
    this.#truncations = metrics.counter(
      'vigil_collector_file_truncations_total',
      'Files found shorter than the read position (copytruncate); reading restarted at 0.',
      ['dataset'],
    );
    this.#longLines = metrics.counter(
      'vigil_collector_file_long_lines_total',
      'Lines longer than max_line_bytes, cut and flagged truncated.',
      ['dataset'],
    );
  }

  start(): void {
    this.#loop ??= this.#run();
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    this.#wake?.();
    await this.#loop;
  }

  async #run(): Promise<void> {
    while (!this.#stopping) {
      let moreToRead = false;
      try {
        await this.#scan();
        for (const tracked of this.#tracked.values()) {
          if (this.#stopping) break;
          moreToRead = (await this.#readSome(tracked)) || moreToRead;
        }
      } catch (error) {
        this.#logger.error({ err: error }, 'Reading files failed; retrying at the next poll.');
      }
      if (moreToRead || this.#stopping) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.#options.pollIntervalMs);
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#wake = undefined;
    }
  }

  async #scan(): Promise<void> {
    const { input, store } = this.#options;
    for (const tracked of this.#tracked.values()) tracked.seen = false;
    const paths = new Set<string>();
    for (const pattern of input.paths) {
      for await (const found of glob(pattern)) {
        const path = resolve(found);
        if (
          input.exclude.some(
            (ex) => matchesGlob(path, ex) || matchesGlob(found, ex) || matchesGlob(baseName(path), ex),
          )
        ) {
          continue;
        }
        paths.add(path);
      }
    }
    for (const path of paths) {
      let info: Awaited<ReturnType<typeof stat>>;
      try {
        info = await stat(path, { bigint: false });
      } catch {
        continue;
      }
      if (!info.isFile()) continue;
      const streamId = `file:${info.dev.toString(16)}:${info.ino.toString(16)}`;
      const existing = this.#tracked.get(streamId);
      if (existing) {
        existing.seen = true;
        if (existing.path !== path) {
          this.#logger.info(
            { from: existing.path, to: path },
            'A tailed file was renamed; reading continues.',
          );
          existing.path = path;
        }
        continue;
      }
      const checkpoint = store.get(streamId);
      let position = checkpoint?.offset ?? 0;
      if (!checkpoint && this.#firstScan && input.start_at === 'end') position = info.size;
      this.#tracked.set(streamId, {
        streamId,
        path,
        position,
        skippingLongLine: false,
        seen: true,
        generation: 0,
      });
      this.#logger.info({ path, stream: streamId, position }, 'Tailing a file.');
    }
    for (const [id, tracked] of this.#tracked) {
      if (!tracked.seen) {
        this.#logger.info(
          { path: tracked.path, stream: id },
          'A tailed file is gone; it is no longer watched.',
        );
        this.#tracked.delete(id);
      }
    }
    this.#firstScan = false;
  }

  /** Reads one chunk; returns true when more data is waiting. */
  async #readSome(tracked: Tracked): Promise<boolean> {
    const { input, store, shipper } = this.#options;
    let handle: Awaited<ReturnType<typeof open>>;
    try {
      handle = await open(tracked.path, 'r');
    } catch {
      return false;
    }
    try {
      const info = await handle.stat();
      if (`file:${info.dev.toString(16)}:${info.ino.toString(16)}` !== tracked.streamId) return false;
      if (info.size < tracked.position) {
        this.#truncations.inc({ dataset: input.dataset });
        this.#logger.warn(
          { path: tracked.path, size: info.size, position: tracked.position },
          'File is shorter than the read position (truncated in place); reading restarts at its start.',
        );
        tracked.position = 0;
        tracked.skippingLongLine = false;
        tracked.generation += 1;
        store.reset(tracked.streamId, tracked.path, 0);
      }
      if (info.size === tracked.position) return false;
      // A chunk always holds more than one maximal line, so a partial line can always complete.
      const want = Math.min(
        Math.max(READ_CHUNK_BYTES, input.max_line_bytes + 1),
        info.size - tracked.position,
      );
      const buffer = Buffer.allocUnsafe(want);
      const { bytesRead } = await handle.read(buffer, 0, want, tracked.position);
      const chunk = buffer.subarray(0, bytesRead);
      const { records, consumed } = this.#split(tracked, chunk);
      if (consumed === 0) return false;
      const endOffset = tracked.position + consumed;
      tracked.position = endOffset;
      const { streamId, path, generation } = tracked;
      this.#lines.inc({ dataset: input.dataset }, records.length);
      // A chunk that only skipped the rest of a long line has nothing to ship. Pushing it empty would
      // acknowledge it at once, moving the checkpoint past records still in flight; the next
      // acknowledged line's checkpoint covers the skipped bytes instead.
      if (records.length > 0) {
        await shipper.push(records, () => {
          // Lines read before a truncation must not move the restarted checkpoint forward again.
          if (tracked.generation === generation) store.advance(streamId, path, endOffset);
        });
      }
      return tracked.position < info.size;
    } finally {
      await handle.close();
    }
  }

  /** Splits complete lines out of a chunk; returns the records and the bytes consumed. */
  #split(tracked: Tracked, chunk: Buffer): { records: RawRecord[]; consumed: number } {
    const { input, collector, host } = this.#options;
    const maxLine = input.max_line_bytes;
    const records: RawRecord[] = [];
    const observedAt = new Date().toISOString();
    let start = 0;
    while (start < chunk.length) {
      const newline = chunk.indexOf(NEWLINE, start);
      if (tracked.skippingLongLine) {
        if (newline === -1) return { records, consumed: chunk.length };
        tracked.skippingLongLine = false;
        start = newline + 1;
        continue;
      }
      const lineEnd = newline === -1 ? chunk.length : newline;
      // Partial last line: wait for its newline. At exactly maxLine bytes it is not known yet whether
      // the line is longer; the next read holds at least one more byte and decides.
      if (newline === -1 && lineEnd - start <= maxLine) break;
      let end = Math.min(lineEnd, start + maxLine);
      const truncated = lineEnd - start > maxLine;
      if (!truncated && end > start && chunk[end - 1] === CR) end -= 1;
      const bytes = chunk.subarray(start, end);
      const record: RawRecord = {
        collector,
        host,
        stream: { id: tracked.streamId, kind: 'file' },
        offset: tracked.position + start,
        line: '',
        dataset: input.dataset,
        observed_at: observedAt,
        file: { path: tracked.path },
      };
      try {
        record.line = utf8.decode(bytes);
      } catch {
        record.line = bytes.toString('utf8');
        record.line_base64 = bytes.toString('base64');
        record.flags = ['invalid_encoding'];
      }
      if (truncated) {
        record.flags = [...(record.flags ?? []), 'truncated'];
        this.#longLines.inc({ dataset: input.dataset });
        if (newline === -1) {
          tracked.skippingLongLine = true;
          records.push(record);
          return { records, consumed: chunk.length };
        }
      }
      records.push(record);
      start = lineEnd + 1;
    }
    return { records, consumed: start };
  }
}

function baseName(path: string): string {
  const index = path.lastIndexOf('/');
  return index === -1 ? path : path.slice(index + 1);
}
