/**
 * A durable, bounded FIFO on local disk. TCP/TLS syslog messages count as
 * accepted only once they are in the spool; a reader drains it to the
 * transport in order and acknowledges what was delivered, and only then is
 * spool space released.
 *
 * Every entry gets a sequence number that only grows and is never reused,
 * not even after a crash, so it can serve as the record's stable offset
 * (and hence its OpenSearch `_id`).
 *
 * Layout: the spool owns its folder. Segment files are named by the
 * sequence number of their first entry (20 digits, `.seg`); `cursor.json`
 * holds the acknowledged position and the sequence reservation.
 *
 *   segment header (16 bytes): "VSPL" | version u32 | first sequence u64
 *   entry frame:  length u32 | crc32 u32 | sequence u64 | JSON (length bytes)
 *
 * Integers are big-endian; the crc32 covers the length, sequence and JSON
 * bytes. Entries of one segment have consecutive sequence numbers.
 *
 * `append` resolves once its entries are fsynced. Appends that arrive while a
 * write is in flight (or in the same event-loop turn) share the next fsync
 * (group commit). Readers only ever see fsynced entries.
 *
 * Crash safety: a torn or corrupt tail of the newest segment is found at
 * `open`, truncated away, counted and logged once. Because that tail may
 * have held entries that were already read, numbering then resumes at the
 * reservation recorded in the cursor file, above every number ever used.
 * Corruption inside an older segment is found when the reader gets there:
 * the rest of that segment is cut off, counted, and reading goes on with the
 * next segment.
 */
import type { FileHandle } from 'node:fs/promises';
import { mkdir, open, readdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { VigilError } from '../../core/errors.ts';
import { fsyncDir, writeFileAtomic } from '../../core/fs/atomic-write.ts';
import type { Logger } from '../../core/log.ts';
import { RateLimitedLog } from '../../core/rate-limited-log.ts';
import type { Metrics } from '../../core/telemetry/metrics.ts';

/** Size of the header at the start of every segment file. */
export const SEGMENT_HEADER_BYTES = 16;
/** Size of the header before every entry's JSON bytes. */
export const FRAME_HEADER_BYTES = 16;

const MAGIC = Buffer.from('VSPL', 'ascii');
const FORMAT_VERSION = 1;
const DEFAULT_SEGMENT_BYTES = 16 * 1024 * 1024;
const MIN_SEGMENT_BYTES = 4096;
const DEFAULT_CURSOR_INTERVAL_MS = 1000;
/** Sequence numbers reserved (in the cursor file) ahead of use, so a lost tail never leads to reuse. */
const SEQ_RESERVATION = 1 << 20;
const READ_CHUNK_BYTES = 1024 * 1024;
const MIN_READ_CHUNK_BYTES = 64 * 1024;
const CURSOR_FILE = 'cursor.json';
const SEGMENT_NAME = /^(\d{20})\.seg$/;
const CURSOR_TEMP_NAME = /^\.cursor\.json\..+\.tmp$/;
const U32 = 2 ** 32;

export type SpoolWhenFull = 'block' | 'drop_oldest';

export interface DiskSpoolOptions {
  /** Folder of this spool; created if missing. It must not be shared with another spool. */
  dir: string;
  /** Most bytes the segment files may take together. */
  maxBytes: number;
  /** Size at which a new segment file is started; default 16 MiB (at most a quarter of maxBytes). */
  segmentBytes?: number;
  /** When full: `block` makes appends wait for acknowledgements; `drop_oldest` deletes the oldest unacknowledged segments. */
  whenFull: SpoolWhenFull;
  logger: Logger;
  metrics: Metrics;
  /** Label of the spool in metrics and logs, e.g. the listener's name. */
  name: string;
  /** How long the first append of a group waits for others to share its fsync; default 0 (appends arriving during the previous fsync share the next one). */
  syncIntervalMs?: number;
  /** Longest time an acknowledgement stays in memory only before the cursor file is rewritten; default 1000. */
  cursorIntervalMs?: number;
}

export interface SpoolEntry<T> {
  seq: number;
  entry: T;
}

export interface SpoolAppendOptions {
  /** Gives up waiting for room (policy `block`); the append then rejects with the signal's reason and writes nothing. */
  signal?: AbortSignal;
}

interface Segment {
  firstSeq: number;
  path: string;
  /**
   * Sequence number of the last durable entry (firstSeq - 1 when none). For
   * older segments found at open this is an upper bound (the next segment's
   * first number minus one) until the reader has gone through them.
   */
  lastSeq: number;
  /** Bytes on disk, including frames written but not yet fsynced. */
  size: number;
  /** End of the fsynced frames; readers stop here. */
  durableSize: number;
}

interface ActiveSegment {
  segment: Segment;
  handle: FileHandle;
  /** Frames placed but not yet written. */
  pending: Buffer[];
  pendingBytes: number;
  /** Sequence number of the last frame placed (written or not). */
  lastPlacedSeq: number;
}

interface PendingAppend {
  frames: Buffer[];
  lastSeq: number;
  resolve: (seq: number) => void;
  reject: (error: unknown) => void;
  detach: () => void;
}

interface ReaderPosition {
  segment: Segment;
  handle: FileHandle;
  /** File offset of the next frame. */
  offset: number;
  /** Sequence number the next frame must carry. */
  expectSeq: number;
}

interface DataWaiter {
  resolve: () => void;
  reject: (error: unknown) => void;
}

interface CursorFile {
  version: 1;
  /** Every entry up to this sequence number is delivered (or was dropped). */
  acked: number;
  /** No sequence number at or above this one has been used yet. */
  reserved: number;
}

interface ScanResult {
  /** Offset after the last frame accepted. */
  offset: number;
  /** Sequence number the next frame must carry. */
  nextSeq: number;
  /** Why the frame at `offset` is unreadable, if it is. */
  corrupt?: string;
}

type State = 'new' | 'open' | 'closing' | 'closed';

export class DiskSpool<T> {
  readonly #dir: string;
  readonly #name: string;
  readonly #maxBytes: number;
  readonly #segmentBytes: number;
  readonly #whenFull: SpoolWhenFull;
  readonly #syncIntervalMs: number;
  readonly #cursorIntervalMs: number;
  readonly #logger: Logger;
  readonly #cursorPath: string;

  #state: State = 'new';
  /** Oldest first; the active segment, when there is one, is last. */
  #segments: Segment[] = [];
  #active: ActiveSegment | undefined;
  #bytes = 0;
  #nextSeq = 1;
  #acked = 0;
  /** Durable reservation: no sequence number at or above it has been used. */
  #reserved = 0;
  #readSeq = 1;
  #reader: ReaderPosition | undefined;
  #syncs = 0;
  /** Set when a failed write could not be rolled back; appends are refused from then on. */
  #broken: unknown;

  readonly #queue: PendingAppend[] = [];
  #flushScheduled = false;
  /** Serializes every operation on segment files. */
  #exclusiveTail: Promise<unknown> = Promise.resolve();
  readonly #dataWaiters = new Set<DataWaiter>();

  #cursorWrite: Promise<void> = Promise.resolve();
  #cursorDirty = false;
  #cursorTimer: NodeJS.Timeout | undefined;

  #fullLogged = false;
  readonly #dropLog: RateLimitedLog;

  readonly #bytesGauge;
  readonly #entriesGauge;
  readonly #appendedTotal;
  readonly #ackedTotal;
  readonly #droppedTotal;
  readonly #corruptTotal;

  constructor(options: DiskSpoolOptions) {
    const { maxBytes, name } = options;
    if (!Number.isSafeInteger(maxBytes) || maxBytes < 2 * MIN_SEGMENT_BYTES) {
      throw new VigilError(
        'CONFIG_INVALID',
        `Spool "${name}": max_bytes must be an integer of at least ${2 * MIN_SEGMENT_BYTES}, got ${maxBytes}.`,
      );
    }
    const segmentBytes =
      options.segmentBytes ??
      Math.max(MIN_SEGMENT_BYTES, Math.min(DEFAULT_SEGMENT_BYTES, Math.floor(maxBytes / 4)));
    if (
      !Number.isSafeInteger(segmentBytes) ||
      segmentBytes < MIN_SEGMENT_BYTES ||
      segmentBytes > maxBytes / 2
    ) {
      throw new VigilError(
        'CONFIG_INVALID',
        `Spool "${name}": segment_bytes must be an integer from ${MIN_SEGMENT_BYTES} to half of max_bytes (${Math.floor(maxBytes / 2)}), got ${segmentBytes}.`,
      );
    }
    this.#dir = options.dir;
    this.#name = name;
    this.#maxBytes = maxBytes;
    this.#segmentBytes = segmentBytes;
    this.#whenFull = options.whenFull;
    this.#syncIntervalMs = options.syncIntervalMs ?? 0;
    this.#cursorIntervalMs = options.cursorIntervalMs ?? DEFAULT_CURSOR_INTERVAL_MS;
    this.#logger = options.logger.child({ spool: name });
    this.#dropLog = new RateLimitedLog(this.#logger);
    this.#cursorPath = join(options.dir, CURSOR_FILE);

    const { metrics } = options;
    this.#bytesGauge = metrics.gauge('vigil_collector_spool_bytes', 'Bytes the spool takes on disk.', [
      'spool',
    ]);
    this.#entriesGauge = metrics.gauge(
      'vigil_collector_spool_entries',
      'Entries in the spool not yet acknowledged by the reader.',
      ['spool'],
    );
    this.#appendedTotal = metrics.counter(
      'vigil_collector_spool_appended_total',
      'Entries written durably to the spool.',
      ['spool'],
    );
    this.#ackedTotal = metrics.counter(
      'vigil_collector_spool_acked_total',
      'Spool entries acknowledged by the reader (delivered).',
      ['spool'],
    );
    this.#droppedTotal = metrics.counter(
      'vigil_collector_spool_dropped_total',
      'Spool entries lost before delivery: reason "full" (dropped to make room) or "corrupt" (unreadable on disk).',
      ['spool', 'reason'],
    );
    this.#corruptTotal = metrics.counter(
      'vigil_collector_spool_corrupt_total',
      'Corrupt spool data found (a torn or damaged segment tail, a bad segment header, a bad cursor file).',
      ['spool'],
    );
  }

  /** Bytes the segment files take on disk. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Entries written and not yet acknowledged. */
  get entries(): number {
    return this.#unacked();
  }

  /** Highest acknowledged sequence number. */
  get acked(): number {
    return this.#acked;
  }

  /** Number of fsyncs done (segment files and the folder); group commit keeps this far below the number of appends. */
  get syncs(): number {
    return this.#syncs;
  }

  /** Scans the segments, cuts off a corrupt tail, and gets ready to append and read. */
  async open(): Promise<void> {
    if (this.#state !== 'new') throw new VigilError('INTERNAL', `Spool "${this.#name}" was already opened.`);
    try {
      await this.#recover();
    } catch (error) {
      await this.#active?.handle.close().catch(() => {});
      this.#active = undefined;
      throw this.#ioError('opening the spool', error);
    }
    this.#state = 'open';
    this.#updateGauges();
    this.#logger.debug(
      { dir: this.#dir, segments: this.#segments.length, bytes: this.#bytes, entries: this.#unacked() },
      'Spool opened.',
    );
  }

  /**
   * Writes entries durably and resolves with the sequence number of the last
   * one once they are fsynced. Entries are serialized as JSON at once, so
   * later changes to the objects do not matter.
   */
  append(entries: readonly T[], options: SpoolAppendOptions = {}): Promise<number> {
    if (this.#state !== 'open') return Promise.reject(this.#closedError());
    if (this.#broken !== undefined) return Promise.reject(this.#ioError('writing', this.#broken));
    const { signal } = options;
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (entries.length === 0) return Promise.resolve(this.#nextSeq - 1);
    let frames: Buffer[];
    try {
      frames = entries.map((entry, index) => this.#encode(entry, index));
    } catch (error) {
      return Promise.reject(error);
    }
    if (SEGMENT_HEADER_BYTES + standaloneBytes(frames, this.#segmentBytes) > this.#maxBytes) {
      return Promise.reject(
        new VigilError(
          'CONFIG_INVALID',
          `Spool "${this.#name}": an append of ${entries.length} entries can never fit in max_bytes ${this.#maxBytes}; raise max_bytes.`,
        ),
      );
    }
    return new Promise<number>((resolve, reject) => {
      const onAbort = () => {
        const index = this.#queue.indexOf(pending);
        if (index < 0) return;
        this.#queue.splice(index, 1);
        reject(signal?.reason);
        // The next append in line may fit where this one did not.
        if (index === 0 && this.#queue.length > 0) this.#scheduleFlush();
      };
      const pending: PendingAppend = {
        frames,
        lastSeq: 0,
        resolve,
        reject,
        detach: () => signal?.removeEventListener('abort', onAbort),
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#queue.push(pending);
      this.#scheduleFlush();
    });
  }

  /**
   * The oldest entries after the reader's position, at most `maxEntries` and
   * about `maxBytes` of JSON (always at least one entry when any is there).
   * The position lives in memory: after a restart, reading starts again at
   * the first unacknowledged entry.
   */
  read(maxEntries: number, maxBytes = Number.POSITIVE_INFINITY): Promise<Array<SpoolEntry<T>>> {
    if (this.#state !== 'open') return Promise.reject(this.#closedError());
    if (maxEntries <= 0) return Promise.resolve([]);
    return this.#exclusive(() => this.#readLocked(maxEntries, maxBytes));
  }

  /** Resolves as soon as there is something to read; rejects with the signal's reason when it aborts. */
  waitForData(signal?: AbortSignal): Promise<void> {
    if (this.#state !== 'open') return Promise.reject(this.#closedError());
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.#hasData()) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => waiter.reject(signal?.reason);
      const done = () => {
        this.#dataWaiters.delete(waiter);
        signal?.removeEventListener('abort', onAbort);
      };
      const waiter: DataWaiter = {
        resolve: () => {
          done();
          resolve();
        },
        reject: (error) => {
          done();
          reject(error);
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#dataWaiters.add(waiter);
    });
  }

  /** Moves the reader back to the first unacknowledged entry, e.g. after the transport lost a batch. */
  rewind(): void {
    this.#readSeq = this.#acked + 1;
    this.#wakeReaders();
  }

  /**
   * Marks everything up to `seq` as delivered. Segment files that hold only
   * acknowledged entries are deleted before the promise resolves; the
   * position itself is saved within `cursorIntervalMs` (and at `close`).
   * Until then a crash only means those entries are read again.
   */
  async ack(seq: number): Promise<void> {
    if (this.#state !== 'open' && this.#state !== 'closing') return;
    if (!Number.isSafeInteger(seq)) {
      throw new VigilError(
        'INTERNAL',
        `Spool "${this.#name}": ack needs an integer sequence number, got ${seq}.`,
      );
    }
    const target = Math.min(seq, this.#lastDurableSeq());
    if (target <= this.#acked) return;
    const before = this.#unacked();
    this.#acked = target;
    this.#ackedTotal.inc({ spool: this.#name }, before - this.#unacked());
    if (this.#readSeq <= target) this.#readSeq = target + 1;
    this.#scheduleCursorWrite();
    this.#updateGauges();
    await this.#exclusive(async () => {
      try {
        await this.#deleteAcked();
      } catch (error) {
        this.#logger.warn(
          { err: error },
          'Deleting acknowledged spool segments failed; it is retried at the next acknowledgement.',
        );
      }
      this.#updateGauges();
    });
    if (this.#queue.length > 0) this.#scheduleFlush();
  }

  /**
   * Writes what is queued and fits, refuses appends still waiting for room,
   * saves the acknowledged position, and releases the files.
   */
  async close(): Promise<void> {
    if (this.#state !== 'open') return;
    this.#state = 'closing';
    for (const waiter of [...this.#dataWaiters]) waiter.reject(this.#closedError());
    await this.#exclusive(() => this.#flushJob());
    for (const pending of this.#queue.splice(0)) {
      pending.detach();
      pending.reject(this.#closedError());
    }
    clearTimeout(this.#cursorTimer);
    this.#cursorTimer = undefined;
    try {
      if (this.#cursorDirty) await this.#writeCursor();
    } finally {
      await this.#exclusive(async () => {
        await this.#reader?.handle.close().catch(() => {});
        this.#reader = undefined;
        await this.#active?.handle.close().catch(() => {});
        this.#active = undefined;
      });
      this.#state = 'closed';
    }
  }

  // ---- appending ----

  #encode(entry: T, index: number): Buffer {
    let json: string | undefined;
    try {
      json = JSON.stringify(entry);
    } catch (error) {
      throw new VigilError(
        'INTERNAL',
        `Spool "${this.#name}": entry ${index} cannot be serialized as JSON.`,
        {
          cause: error,
        },
      );
    }
    if (json === undefined) {
      throw new VigilError('INTERNAL', `Spool "${this.#name}": entry ${index} cannot be serialized as JSON.`);
    }
    const length = Buffer.byteLength(json);
    if (length > U32 - 1) {
      throw new VigilError(
        'INTERNAL',
        `Spool "${this.#name}": entry ${index} is too large (${length} bytes).`,
      );
    }
    const frame = Buffer.allocUnsafe(FRAME_HEADER_BYTES + length);
    frame.write(json, FRAME_HEADER_BYTES, 'utf8');
    return frame;
  }

  #scheduleFlush(): void {
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    const run = () => {
      this.#exclusive(() => {
        // Appends arriving from here on wait for the next job (and share its fsync).
        this.#flushScheduled = false;
        return this.#flushJob();
      }).catch((error: unknown) =>
        this.#logger.error({ err: error }, 'A spool write job failed unexpectedly.'),
      );
    };
    if (this.#syncIntervalMs > 0) setTimeout(run, this.#syncIntervalMs);
    else setImmediate(run);
  }

  /** Writes as many queued appends as fit, with one fsync at the end. Runs exclusively. */
  async #flushJob(): Promise<void> {
    if (this.#queue.length === 0 || this.#state === 'closed') return;
    if (this.#broken !== undefined) {
      const error = this.#ioError('writing', this.#broken);
      for (const pending of this.#queue.splice(0)) {
        pending.detach();
        pending.reject(error);
      }
      return;
    }
    const taken: PendingAppend[] = [];
    let current: PendingAppend | undefined;
    try {
      while (this.#queue.length > 0) {
        current = this.#queue[0] as PendingAppend;
        if (!(await this.#makeRoom(current.frames))) break;
        // Aborted while room was being made: it has left the queue already.
        if (this.#queue[0] !== current) {
          current = undefined;
          continue;
        }
        this.#queue.shift();
        current.detach();
        const count = current.frames.length;
        if (this.#nextSeq + count > this.#reserved) {
          await this.#writeCursor(this.#nextSeq + count + SEQ_RESERVATION);
        }
        current.lastSeq = await this.#place(current.frames);
        taken.push(current);
        current = undefined;
      }
      if (taken.length > 0) await this.#syncActive();
    } catch (error) {
      const failure = this.#ioError('writing', error);
      this.#logger.error(
        { err: error, appends: taken.length + (current ? 1 : 0) },
        'Writing to the spool failed; the affected appends were refused.',
      );
      if (current && this.#queue[0] === current) {
        this.#queue.shift();
        current.detach();
      }
      for (const pending of current ? [...taken, current] : taken) pending.reject(failure);
      await this.#rollBackUnsynced();
      this.#updateGauges();
      this.#wakeReaders();
      return;
    }
    if (taken.length === 0) return;
    let appended = 0;
    for (const pending of taken) {
      appended += pending.frames.length;
      pending.resolve(pending.lastSeq);
    }
    this.#appendedTotal.inc({ spool: this.#name }, appended);
    if (this.#fullLogged && this.#queue.length === 0) {
      this.#fullLogged = false;
      this.#logger.info('The spool has room again.');
    }
    this.#updateGauges();
    this.#wakeReaders();
  }

  /** Bytes the frames would add, given the active segment. */
  #bytesNeeded(frames: readonly Buffer[]): number {
    const active = this.#active;
    let size = active ? active.segment.size : SEGMENT_HEADER_BYTES;
    let hasEntries = active ? active.lastPlacedSeq >= active.segment.firstSeq : false;
    let need = active ? 0 : SEGMENT_HEADER_BYTES;
    for (const frame of frames) {
      if (hasEntries && size + frame.length > this.#segmentBytes) {
        need += SEGMENT_HEADER_BYTES;
        size = SEGMENT_HEADER_BYTES;
      }
      size += frame.length;
      need += frame.length;
      hasEntries = true;
    }
    return need;
  }

  /** Frees space for the frames if the policy allows; false when the append has to wait (policy `block`). */
  async #makeRoom(frames: readonly Buffer[]): Promise<boolean> {
    if (this.#bytes + this.#bytesNeeded(frames) <= this.#maxBytes) return true;
    // First reclaim what is acknowledged but still on disk.
    await this.#deleteAcked();
    const active = this.#active;
    if (active && active.lastPlacedSeq >= active.segment.firstSeq && active.lastPlacedSeq <= this.#acked) {
      await this.#roll();
      await this.#deleteAcked();
    }
    if (this.#bytes + this.#bytesNeeded(frames) <= this.#maxBytes) return true;
    if (this.#whenFull === 'block') {
      if (!this.#fullLogged) {
        this.#fullLogged = true;
        this.#logger.warn(
          { bytes: this.#bytes, max_bytes: this.#maxBytes, entries: this.#unacked() },
          'The spool is full; appends wait until the reader acknowledges entries.',
        );
      }
      return false;
    }
    while (this.#bytes + this.#bytesNeeded(frames) > this.#maxBytes) {
      const oldest = this.#segments[0];
      if (oldest === undefined) break;
      if (oldest !== this.#active?.segment) {
        await this.#dropSegment(oldest);
      } else if (this.#active.lastPlacedSeq >= oldest.firstSeq) {
        // Only the active segment is left: start a new one so the old one can go.
        await this.#roll();
      } else {
        break;
      }
    }
    return true;
  }

  /** Assigns sequence numbers and queues the frames for writing; returns the last number. */
  async #place(frames: readonly Buffer[]): Promise<number> {
    let seq = this.#nextSeq - 1;
    for (const frame of frames) {
      let active = this.#active;
      if (
        !active ||
        (active.lastPlacedSeq >= active.segment.firstSeq &&
          active.segment.size + frame.length > this.#segmentBytes)
      ) {
        active = await this.#roll();
      }
      seq = this.#nextSeq;
      stampFrame(frame, seq);
      this.#nextSeq = seq + 1;
      active.pending.push(frame);
      active.pendingBytes += frame.length;
      active.segment.size += frame.length;
      active.lastPlacedSeq = seq;
      this.#bytes += frame.length;
    }
    return seq;
  }

  async #writePending(): Promise<void> {
    const active = this.#active;
    if (!active || active.pendingBytes === 0) return;
    const position = active.segment.size - active.pendingBytes;
    let written = 0;
    if (active.pending.length > 1) {
      // The frames as they are (one writev), without copying them into one buffer first.
      written = (await active.handle.writev(active.pending, position)).bytesWritten;
      if (written === active.pendingBytes) {
        active.pending = [];
        active.pendingBytes = 0;
        return;
      }
    }
    // One frame, or the rest of a short writev.
    const all = active.pending.length === 1 ? (active.pending[0] as Buffer) : Buffer.concat(active.pending);
    const data = written > 0 ? all.subarray(written) : all;
    written = 0;
    const start = position + (all.length - data.length);
    while (written < data.length) {
      const { bytesWritten } = await active.handle.write(
        data,
        written,
        data.length - written,
        start + written,
      );
      written += bytesWritten;
    }
    active.pending = [];
    active.pendingBytes = 0;
  }

  /** Writes and fsyncs the active segment; its frames become readable. */
  async #syncActive(): Promise<void> {
    const active = this.#active;
    if (!active) return;
    await this.#writePending();
    await active.handle.sync();
    this.#syncs += 1;
    active.segment.durableSize = active.segment.size;
    active.segment.lastSeq = active.lastPlacedSeq;
  }

  /** Seals the active segment (if any) and starts a new one at the next sequence number. */
  async #roll(): Promise<ActiveSegment> {
    const previous = this.#active;
    if (previous) {
      await this.#syncActive();
      this.#active = undefined;
      await previous.handle.close();
    }
    return this.#createSegment(this.#nextSeq);
  }

  async #createSegment(firstSeq: number): Promise<ActiveSegment> {
    const path = join(this.#dir, segmentFileName(firstSeq));
    const handle = await open(path, 'wx', 0o640);
    try {
      const header = segmentHeader(firstSeq);
      await handle.write(header, 0, header.length, 0);
      await handle.sync();
      await fsyncDir(this.#dir);
      this.#syncs += 2;
    } catch (error) {
      await handle.close().catch(() => {});
      await rm(path, { force: true }).catch(() => {});
      throw error;
    }
    const segment: Segment = {
      firstSeq,
      path,
      lastSeq: firstSeq - 1,
      size: SEGMENT_HEADER_BYTES,
      durableSize: SEGMENT_HEADER_BYTES,
    };
    this.#segments.push(segment);
    this.#bytes += SEGMENT_HEADER_BYTES;
    this.#active = { segment, handle, pending: [], pendingBytes: 0, lastPlacedSeq: firstSeq - 1 };
    return this.#active;
  }

  /** After a failed write: forget what was not fsynced, so numbering and the file stay consistent. */
  async #rollBackUnsynced(): Promise<void> {
    const active = this.#active;
    if (!active) {
      const last = this.#segments.at(-1);
      if (last) this.#nextSeq = last.lastSeq + 1;
      return;
    }
    const { segment } = active;
    active.pending = [];
    active.pendingBytes = 0;
    active.lastPlacedSeq = segment.lastSeq;
    // The numbers after the last durable entry were never visible to a reader, so they can be used again.
    this.#nextSeq = segment.lastSeq + 1;
    if (segment.size === segment.durableSize) return;
    try {
      await active.handle.truncate(segment.durableSize);
      await active.handle.sync();
      this.#syncs += 1;
    } catch (error) {
      this.#broken = error;
      this.#logger.error(
        { err: error, segment: segment.path },
        'Rolling back a failed spool write failed too; the spool refuses appends until restarted.',
      );
    }
    this.#bytes -= segment.size - segment.durableSize;
    segment.size = segment.durableSize;
  }

  // ---- space ----

  /** Deletes sealed segments that hold only acknowledged entries. Runs exclusively. */
  async #deleteAcked(): Promise<void> {
    while (this.#segments.length > 0) {
      const oldest = this.#segments[0] as Segment;
      if (oldest === this.#active?.segment || oldest.lastSeq > this.#acked) return;
      await this.#deleteSegment(oldest);
    }
  }

  async #dropSegment(segment: Segment): Promise<void> {
    const dropped = this.#unackedIn(segment);
    await this.#deleteSegment(segment);
    if (segment.lastSeq > this.#acked) this.#acked = segment.lastSeq;
    if (this.#readSeq <= this.#acked) this.#readSeq = this.#acked + 1;
    this.#scheduleCursorWrite();
    if (dropped > 0) {
      this.#droppedTotal.inc({ spool: this.#name, reason: 'full' }, dropped);
      this.#dropLog.warn(
        'full',
        { dropped, segment: segment.path, max_bytes: this.#maxBytes },
        'The spool was full; its oldest unacknowledged entries were dropped to make room.',
      );
    }
  }

  async #deleteSegment(segment: Segment): Promise<void> {
    if (this.#reader?.segment === segment) {
      const { handle } = this.#reader;
      this.#reader = undefined;
      await handle.close().catch(() => {});
    }
    await rm(segment.path, { force: true });
    this.#segments.splice(this.#segments.indexOf(segment), 1);
    this.#bytes -= segment.size;
  }

  // ---- reading ----

  async #readLocked(maxEntries: number, maxBytes: number): Promise<Array<SpoolEntry<T>>> {
    const out: Array<SpoolEntry<T>> = [];
    let bytes = 0;
    while (out.length < maxEntries && this.#state !== 'closed') {
      const segment = this.#locate();
      if (!segment) break;
      const position = await this.#positionAt(segment);
      if (!position) continue;
      if (position.offset >= segment.durableSize) {
        if (segment === this.#active?.segment) break;
        // The end of a sealed segment: its last number is now known exactly.
        segment.lastSeq = position.expectSeq - 1;
        if (this.#readSeq < position.expectSeq) this.#readSeq = position.expectSeq;
        continue;
      }
      const frames: Array<{ seq: number; payload: Buffer; offset: number }> = [];
      let frameOffset = position.offset;
      let limited = false;
      const result = await scanFrames(
        position.handle,
        position.offset,
        segment.durableSize,
        position.expectSeq,
        (seq, payload, end) => {
          const taken = out.length + frames.length;
          if (taken >= maxEntries || (taken > 0 && bytes + payload.length > maxBytes)) {
            limited = true;
            return false;
          }
          frames.push({ seq, payload, offset: frameOffset });
          frameOffset = end;
          bytes += payload.length;
          return true;
        },
        // A read limited to fewer bytes than a chunk reads no more than it may take
        // (the chunk is new memory on every read).
        readChunkBytes(maxBytes - bytes),
      );
      let corrupt = result.corrupt;
      let corruptAt = result.offset;
      let nextSeq = result.nextSeq;
      for (const frame of frames) {
        let entry: T;
        try {
          entry = JSON.parse(frame.payload.toString('utf8')) as T;
        } catch {
          corrupt = 'an entry is not valid JSON';
          corruptAt = frame.offset;
          nextSeq = frame.seq;
          break;
        }
        out.push({ seq: frame.seq, entry });
      }
      position.offset = corruptAt;
      position.expectSeq = nextSeq;
      this.#readSeq = nextSeq;
      if (corrupt !== undefined) {
        await this.#cutCorruptTail(segment, corruptAt, nextSeq, corrupt);
        continue;
      }
      if (limited || out.length >= maxEntries) break;
      if (segment === this.#active?.segment && position.offset >= segment.durableSize) break;
    }
    return out;
  }

  /** The first segment that may hold the reader's next entry; moves the reader over gaps. */
  #locate(): Segment | undefined {
    for (const segment of this.#segments) {
      if (segment.lastSeq < this.#readSeq) continue;
      if (segment.firstSeq > this.#readSeq) this.#readSeq = segment.firstSeq;
      return segment;
    }
    return undefined;
  }

  /** The reader's file position in `segment` at `#readSeq`; undefined when corruption was found on the way. */
  async #positionAt(segment: Segment): Promise<ReaderPosition | undefined> {
    const current = this.#reader;
    if (current?.segment === segment && current.expectSeq === this.#readSeq) return current;
    let handle: FileHandle;
    if (current?.segment === segment) {
      handle = current.handle;
    } else {
      if (current) await current.handle.close().catch(() => {});
      this.#reader = undefined;
      handle = await open(segment.path, 'r');
    }
    const position: ReaderPosition = {
      segment,
      handle,
      offset: SEGMENT_HEADER_BYTES,
      expectSeq: segment.firstSeq,
    };
    this.#reader = position;
    if (this.#readSeq > segment.firstSeq) {
      // Skip what was read or acknowledged before.
      const target = this.#readSeq;
      const result = await scanFrames(
        handle,
        position.offset,
        segment.durableSize,
        position.expectSeq,
        (seq) => seq < target,
      );
      position.offset = result.offset;
      position.expectSeq = result.nextSeq;
      if (result.corrupt !== undefined) {
        if (this.#readSeq < result.nextSeq) this.#readSeq = result.nextSeq;
        await this.#cutCorruptTail(segment, result.offset, result.nextSeq, result.corrupt);
        return undefined;
      }
    }
    return position;
  }

  /**
   * Corruption found while reading: the rest of the segment is cut off (it
   * cannot be framed any more), counted and logged, and reading goes on with
   * the next segment. A damaged active segment is sealed first, so new
   * appends stay reachable.
   */
  async #cutCorruptTail(segment: Segment, offset: number, nextSeq: number, reason: string): Promise<void> {
    const lastKnown = segment === this.#active?.segment ? this.#active.lastPlacedSeq : segment.lastSeq;
    const lost = Math.max(0, lastKnown - Math.max(nextSeq, this.#acked + 1) + 1);
    this.#corruptTotal.inc({ spool: this.#name });
    if (lost > 0) this.#droppedTotal.inc({ spool: this.#name, reason: 'corrupt' }, lost);
    this.#logger.error(
      { segment: segment.path, offset, reason, lost_entries: lost },
      'A spool segment is corrupt; the rest of it was cut off and reading continues with the next segment.',
    );
    if (segment === this.#active?.segment) {
      this.#active.lastPlacedSeq = nextSeq - 1;
      await this.#roll();
    }
    try {
      const handle = await open(segment.path, 'r+');
      try {
        await handle.truncate(offset);
        await handle.sync();
        this.#syncs += 1;
      } finally {
        await handle.close();
      }
      this.#bytes -= segment.size - offset;
      segment.size = offset;
    } catch (error) {
      this.#logger.warn({ err: error, segment: segment.path }, 'Cutting off a corrupt spool tail failed.');
    }
    segment.durableSize = offset;
    segment.lastSeq = nextSeq - 1;
    if (this.#readSeq < nextSeq) this.#readSeq = nextSeq;
    this.#updateGauges();
  }

  #hasData(): boolean {
    for (let i = this.#segments.length - 1; i >= 0; i--) {
      const segment = this.#segments[i] as Segment;
      if (segment.lastSeq >= segment.firstSeq) return segment.lastSeq >= this.#readSeq;
    }
    return false;
  }

  #wakeReaders(): void {
    if (this.#dataWaiters.size === 0 || !this.#hasData()) return;
    for (const waiter of [...this.#dataWaiters]) waiter.resolve();
  }

  // ---- bookkeeping ----

  #lastDurableSeq(): number {
    return this.#segments.at(-1)?.lastSeq ?? this.#nextSeq - 1;
  }

  #unackedIn(segment: Segment): number {
    return Math.max(0, segment.lastSeq - Math.max(segment.firstSeq, this.#acked + 1) + 1);
  }

  #unacked(): number {
    let count = 0;
    for (const segment of this.#segments) count += this.#unackedIn(segment);
    return count;
  }

  #updateGauges(): void {
    this.#bytesGauge.set({ spool: this.#name }, this.#bytes);
    this.#entriesGauge.set({ spool: this.#name }, this.#unacked());
  }

  #exclusive<R>(task: () => Promise<R>): Promise<R> {
    const run = this.#exclusiveTail.then(task);
    this.#exclusiveTail = run.catch(() => {});
    return run;
  }

  #scheduleCursorWrite(): void {
    this.#cursorDirty = true;
    if (this.#cursorTimer !== undefined || this.#state !== 'open') return;
    this.#cursorTimer = setTimeout(() => {
      this.#cursorTimer = undefined;
      if (!this.#cursorDirty || this.#state !== 'open') return;
      this.#writeCursor().catch((error: unknown) =>
        this.#logger.warn(
          { err: error },
          'Saving the spool position failed; it is retried at the next acknowledgement.',
        ),
      );
    }, this.#cursorIntervalMs);
    this.#cursorTimer.unref();
  }

  /** Saves the acknowledged position (and raises the reservation to `reserve`); writes are serialized. */
  #writeCursor(reserve = 0): Promise<void> {
    const run = this.#cursorWrite
      .catch(() => {})
      .then(async () => {
        const body: CursorFile = {
          version: 1,
          acked: this.#acked,
          reserved: Math.max(this.#reserved, reserve),
        };
        this.#cursorDirty = false;
        try {
          await writeFileAtomic(this.#cursorPath, `${JSON.stringify(body)}\n`);
        } catch (error) {
          this.#cursorDirty = true;
          throw error;
        }
        this.#reserved = body.reserved;
      });
    this.#cursorWrite = run;
    return run;
  }

  // ---- recovery ----

  async #recover(): Promise<void> {
    await mkdir(this.#dir, { recursive: true });
    const cursor = await this.#loadCursor();
    const names = await readdir(this.#dir);
    for (const name of names) {
      if (CURSOR_TEMP_NAME.test(name)) await rm(join(this.#dir, name), { force: true });
    }
    const found = names
      .map((name) => SEGMENT_NAME.exec(name))
      .filter((match) => match !== null)
      .map((match) => ({ firstSeq: Number(match[1]), path: join(this.#dir, match[0]) }))
      .sort((a, b) => a.firstSeq - b.firstSeq);

    // Older segments were fsynced before the next one was started: check their headers only.
    const sealed: Segment[] = [];
    for (const [index, file] of found.entries()) {
      if (index === found.length - 1) break;
      const handle = await open(file.path, 'r');
      let size: number;
      let header: Buffer;
      try {
        size = (await handle.stat()).size;
        header = await readAt(handle, 0, SEGMENT_HEADER_BYTES);
      } finally {
        await handle.close();
      }
      if (!isSegmentHeader(header, file.firstSeq)) {
        await this.#quarantine(file.path, 'its header is not a spool segment header');
        continue;
      }
      const next = found[index + 1] as { firstSeq: number };
      sealed.push({ ...file, lastSeq: next.firstSeq - 1, size, durableSize: size });
    }

    // The newest segment may end in a torn write.
    let newest: { segment: Segment; handle: FileHandle } | undefined;
    let tailLost = false;
    const last = found.at(-1);
    if (last) {
      const handle = await open(last.path, 'r+');
      try {
        const size = (await handle.stat()).size;
        const header = await readAt(handle, 0, SEGMENT_HEADER_BYTES);
        if (!isSegmentHeader(header, last.firstSeq)) {
          await handle.close();
          await this.#quarantine(last.path, 'its header is torn or not a spool segment header');
          tailLost = true;
        } else {
          const result = await scanFrames(handle, SEGMENT_HEADER_BYTES, size, last.firstSeq, () => true);
          if (result.corrupt !== undefined) {
            await handle.truncate(result.offset);
            await handle.sync();
            this.#syncs += 1;
            tailLost = true;
            this.#corruptTotal.inc({ spool: this.#name });
            this.#logger.error(
              {
                segment: last.path,
                offset: result.offset,
                cut_bytes: size - result.offset,
                reason: result.corrupt,
              },
              'The newest spool segment ends in a torn or corrupt write; the tail was cut off and the entries before it kept.',
            );
          }
          newest = {
            segment: {
              ...last,
              lastSeq: result.nextSeq - 1,
              size: result.offset,
              durableSize: result.offset,
            },
            handle,
          };
        }
      } catch (error) {
        await handle.close().catch(() => {});
        throw error;
      }
    }

    this.#segments = newest ? [...sealed, newest.segment] : sealed;
    this.#bytes = this.#segments.reduce((sum, segment) => sum + segment.size, 0);
    const oldest = this.#segments[0];
    this.#acked = Math.max(cursor?.acked ?? 0, oldest ? oldest.firstSeq - 1 : 0);
    this.#reserved = cursor?.reserved ?? 0;

    const lastSeq = newest ? newest.segment.lastSeq : last ? last.firstSeq - 1 : 0;
    let nextSeq = Math.max(lastSeq + 1, this.#acked + 1);
    // Entries in a lost tail (or in segments gone missing) may have been read
    // already: continue above every number ever reserved.
    if (tailLost || (found.length === 0 && cursor)) nextSeq = Math.max(nextSeq, this.#reserved);
    this.#nextSeq = nextSeq;

    if (newest && nextSeq === newest.segment.lastSeq + 1) {
      this.#active = {
        segment: newest.segment,
        handle: newest.handle,
        pending: [],
        pendingBytes: 0,
        lastPlacedSeq: newest.segment.lastSeq,
      };
    } else {
      if (newest) {
        await newest.handle.close();
        if (newest.segment.lastSeq < newest.segment.firstSeq) await this.#deleteSegment(newest.segment);
      }
      // A segment named by the next number records where numbering continues.
      await this.#createSegment(nextSeq);
    }
    await this.#deleteAcked();
    this.#readSeq = this.#acked + 1;
  }

  async #loadCursor(): Promise<CursorFile | undefined> {
    let text: string;
    try {
      text = await readFile(this.#cursorPath, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    try {
      const parsed = JSON.parse(text) as Partial<CursorFile>;
      if (
        parsed.version !== 1 ||
        !Number.isSafeInteger(parsed.acked) ||
        !Number.isSafeInteger(parsed.reserved) ||
        (parsed.acked as number) < 0 ||
        (parsed.reserved as number) < 0
      ) {
        throw new Error('unexpected cursor file shape');
      }
      return parsed as CursorFile;
    } catch (error) {
      const aside = `${this.#cursorPath}.corrupt-${Date.now()}`;
      await rename(this.#cursorPath, aside);
      this.#corruptTotal.inc({ spool: this.#name });
      this.#logger.error(
        { file: this.#cursorPath, quarantined_as: aside, err: error },
        'The spool cursor file is corrupt; it was set aside and reading starts at the oldest entry on disk.',
      );
      return undefined;
    }
  }

  async #quarantine(path: string, reason: string): Promise<void> {
    const aside = `${path}.corrupt`;
    await rename(path, aside);
    this.#corruptTotal.inc({ spool: this.#name });
    this.#logger.error(
      { segment: path, quarantined_as: aside, reason },
      'A spool segment is unreadable; it was set aside and the spool continues without it.',
    );
  }

  #closedError(): VigilError {
    if (this.#state === 'new') return new VigilError('INTERNAL', `Spool "${this.#name}" is not open yet.`);
    return new VigilError('SHUTDOWN', `Spool "${this.#name}" is closed.`);
  }

  #ioError(what: string, error: unknown): VigilError {
    if (error instanceof VigilError) return error;
    const message = error instanceof Error ? error.message : String(error);
    return new VigilError('SOURCE_IO', `Spool "${this.#name}" in ${this.#dir}: ${what} failed: ${message}`, {
      cause: error,
      details: { spool: this.#name, dir: this.#dir },
    });
  }
}

// ---- on-disk format ----

function segmentFileName(firstSeq: number): string {
  return `${String(firstSeq).padStart(20, '0')}.seg`;
}

function segmentHeader(firstSeq: number): Buffer {
  const header = Buffer.alloc(SEGMENT_HEADER_BYTES);
  MAGIC.copy(header, 0);
  header.writeUInt32BE(FORMAT_VERSION, 4);
  header.writeUInt32BE(Math.floor(firstSeq / U32), 8);
  header.writeUInt32BE(firstSeq >>> 0, 12);
  return header;
}

function isSegmentHeader(header: Buffer, firstSeq: number): boolean {
  return (
    header.length === SEGMENT_HEADER_BYTES &&
    header.subarray(0, 4).equals(MAGIC) &&
    header.readUInt32BE(4) === FORMAT_VERSION &&
    header.readUInt32BE(8) * U32 + header.readUInt32BE(12) === firstSeq
  );
}

/** crc32 over the length, the sequence number and the JSON bytes of the frame at `at`. */
function frameChecksum(buffer: Buffer, at: number, length: number): number {
  let crc = crc32(buffer.subarray(at, at + 4));
  crc = crc32(buffer.subarray(at + 8, at + FRAME_HEADER_BYTES), crc);
  return crc32(buffer.subarray(at + FRAME_HEADER_BYTES, at + FRAME_HEADER_BYTES + length), crc);
}

/** Fills in the header of a frame whose JSON bytes are already in place. */
function stampFrame(frame: Buffer, seq: number): void {
  const length = frame.length - FRAME_HEADER_BYTES;
  frame.writeUInt32BE(length, 0);
  frame.writeUInt32BE(Math.floor(seq / U32), 8);
  frame.writeUInt32BE(seq >>> 0, 12);
  frame.writeUInt32BE(frameChecksum(frame, 0, length), 4);
}

/** Bytes the frames take when written to a fresh segment, segment headers for further segments included. */
function standaloneBytes(frames: readonly Buffer[], segmentBytes: number): number {
  let size = SEGMENT_HEADER_BYTES;
  let hasEntries = false;
  let need = 0;
  for (const frame of frames) {
    if (hasEntries && size + frame.length > segmentBytes) {
      need += SEGMENT_HEADER_BYTES;
      size = SEGMENT_HEADER_BYTES;
    }
    size += frame.length;
    need += frame.length;
    hasEntries = true;
  }
  return need;
}

/** Bytes to read at once when about `wanted` bytes of entries may be taken. */
function readChunkBytes(wanted: number): number {
  if (!(wanted < READ_CHUNK_BYTES)) return READ_CHUNK_BYTES;
  // Room for the frame headers (about one per 200 bytes of entries) and one more entry.
  return Math.max(MIN_READ_CHUNK_BYTES, Math.ceil(wanted * 1.1) + 4096);
}

async function readAt(handle: FileHandle, position: number, length: number): Promise<Buffer> {
  const buffer = Buffer.allocUnsafe(length);
  let filled = 0;
  while (filled < length) {
    const { bytesRead } = await handle.read(buffer, filled, length - filled, position + filled);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return buffer.subarray(0, filled);
}

/**
 * Walks the frames from `offset` to `end`, checking length, checksum and
 * sequence. `visit` gets each valid frame and returns false to stop before
 * it (the frame is then not consumed). Stops at the first invalid frame and
 * says why.
 */
async function scanFrames(
  handle: FileHandle,
  offset: number,
  end: number,
  nextSeq: number,
  visit: (seq: number, payload: Buffer, frameEnd: number) => boolean,
  chunkBytes = READ_CHUNK_BYTES,
): Promise<ScanResult> {
  let buffer: Buffer = Buffer.alloc(0);
  let bufferStart = offset;
  while (offset < end) {
    let at = offset - bufferStart;
    if (at + FRAME_HEADER_BYTES > buffer.length) {
      if (offset + FRAME_HEADER_BYTES > end)
        return { offset, nextSeq, corrupt: 'the last frame is cut short' };
      buffer = await readAt(handle, offset, Math.min(end - offset, chunkBytes));
      bufferStart = offset;
      at = 0;
      if (buffer.length < FRAME_HEADER_BYTES) return { offset, nextSeq, corrupt: 'the file ends early' };
    }
    const length = buffer.readUInt32BE(at);
    const frameBytes = FRAME_HEADER_BYTES + length;
    if (offset + frameBytes > end) return { offset, nextSeq, corrupt: 'the last frame is cut short' };
    if (at + frameBytes > buffer.length) {
      buffer = await readAt(handle, offset, Math.min(end - offset, Math.max(chunkBytes, frameBytes)));
      bufferStart = offset;
      at = 0;
      if (buffer.length < frameBytes) return { offset, nextSeq, corrupt: 'the file ends early' };
    }
    if (frameChecksum(buffer, at, length) !== buffer.readUInt32BE(at + 4)) {
      return { offset, nextSeq, corrupt: 'checksum mismatch' };
    }
    const seq = buffer.readUInt32BE(at + 8) * U32 + buffer.readUInt32BE(at + 12);
    if (seq !== nextSeq) return { offset, nextSeq, corrupt: `sequence ${seq} where ${nextSeq} was expected` };
    const payload = buffer.subarray(at + FRAME_HEADER_BYTES, at + frameBytes);
    if (!visit(seq, payload, offset + frameBytes)) return { offset, nextSeq };
    offset += frameBytes;
    nextSeq += 1;
  }
  return { offset, nextSeq };
}
