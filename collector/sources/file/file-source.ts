/**
 * Tails files matching an input's globs and turns each complete line (or
 * multiline event) into a raw record. A line counts as accepted — and the
 * stream's checkpoint moves past it — only when the shipper reports it
 * acknowledged downstream.
 *
 * How files are told apart (fingerprints, epochs, rotation, copies) and how
 * partial lines are handled is described in README.md beside this file.
 * The parts: discovery.ts finds files, fingerprint.ts recognizes content,
 * reader.ts splits bytes into lines, the encoding and multiline codecs live
 * in collector/codecs/.
 */
import { type FileHandle, open } from 'node:fs/promises';
import type { FileInputConfig } from '../../../core/config/schema.ts';
import type { RawRecord } from '../../../core/event/raw-record.ts';
import type { Logger } from '../../../core/log.ts';
import { RateLimitedLog } from '../../../core/rate-limited-log.ts';
import type { Metrics } from '../../../core/telemetry/metrics.ts';
import { detectEncoding } from '../../codecs/encoding/registry.ts';
import { type JoinedEvent, MultilineJoiner } from '../../codecs/multiline/multiline-joiner.ts';
import type { Shipper } from '../../shipper.ts';
import type { Checkpoint, CheckpointStore, MidLine } from '../../state/checkpoint-store.ts';
import { DirectoryWatcher, discoverFiles, type FoundFile, watchedDirectories } from './discovery.ts';
import { CHECK_BYTES, checkFromBuffer, checkFromFile, readAt, shortHash } from './fingerprint.ts';
import {
  CONTINUATION,
  flagNames,
  INVALID_ENCODING,
  LineSplitter,
  type LineVisitor,
  MULTILINE,
  TRUNCATED,
  UNTERMINATED,
} from './reader.ts';

const READ_CHUNK_BYTES = 256 * 1024;
/** With start_at end, how far back the last complete line is looked for. */
const START_AT_END_LOOKBACK = 64 * 1024;

export interface FileSourceOptions {
  input: FileInputConfig;
  store: CheckpointStore;
  shipper: Shipper;
  collector: RawRecord['collector'];
  host: RawRecord['host'];
  logger: Logger;
  metrics: Metrics;
  pollIntervalMs: number;
  /**
   * How long a new file waits for its identity while it may be a copy in
   * the making (copytruncate) of a file being read. Default: 4 polls, at
   * least one second.
   */
  settleMs?: number;
}

/** A content lineage being read: what a stream id names. */
interface Stream {
  id: string;
  base: string;
  epoch: number;
  /** How many first bytes of the file `head` covers. */
  headBytes: number;
  head: string | undefined;
  /** Next byte to read: everything before it is shipped, in flight, or held by the joiner. */
  position: number;
  /** Hash of the bytes before `position`. */
  check: string;
  /** Where `position` is inside a line, until the splitter exists. */
  midLine: MidLine | undefined;
  /** Created once the encoding is known (it may wait for a byte order mark to complete). */
  splitter: LineSplitter | undefined;
  joiner: MultilineJoiner | undefined;
  /** The check of the joiner's pending event start. */
  pendingCheck: { offset: number; check: string } | undefined;
  /** Shared by the stream's records. */
  recordStream: RawRecord['stream'];
  /** When last_seen was last written for it. */
  touchedAt: number;
  /** When its file was truncated under it (this run), if it was. */
  truncatedAt: number | undefined;
}

/** An open file. */
interface TrackedFile {
  key: string;
  dev: string;
  ino: string;
  path: string;
  recordFile: { path: string };
  handle: FileHandle;
  /** Undefined while its identity is being decided. */
  stream: Stream | undefined;
  /** Another input reads this file; this one leaves it alone. */
  ignored: boolean;
  /** Found by the first scan (start_at applies). */
  firstScan: boolean;
  foundAt: number;
  /** Size when found (start_at end starts there). */
  foundSize: number;
  /** Size at the previous scan while its identity is pending. */
  scanSize: number | undefined;
  /** Base of a checkpoint of this device+inode whose content no longer matches. */
  replacedBase: string | undefined;
  size: number;
  /** When the size last changed. */
  grewAt: number;
  /** Found in the latest scan. */
  seen: boolean;
  /** When it left the watched paths (renamed away, deleted, link swapped). */
  leftAt: number | undefined;
  /** The last read found nothing complete to consume. */
  drained: boolean;
  headCheckedAt: number;
}

/** A checkpointed stream that a file may continue. */
interface Candidate {
  id: string;
  cp: Checkpoint;
  headBytes: number;
  head: string | undefined;
  position: number;
  check: string | undefined;
}

type ChunkContext = {
  stream: Stream;
  file: TrackedFile;
  records: RawRecord[];
  now: number;
  observedAt: string;
  /** Lines split in this chunk (counted once per chunk: a labelled metric per line is costly). */
  lines: number;
};

export class FileSource {
  readonly #options: FileSourceOptions;
  readonly #input: FileInputConfig;
  readonly #store: CheckpointStore;
  readonly #files = new Map<string, TrackedFile>();
  /** Streams read earlier in this run that no file holds now (truncated, released): a copy may continue them. */
  readonly #detached = new Map<string, Stream>();
  readonly #logger: Logger;
  readonly #warnings: RateLimitedLog;
  readonly #settleMs: number;
  readonly #fingerprintBytes: number;
  readonly #buffer: Buffer;
  #loop: Promise<void> | undefined;
  #stopping = false;
  #wake: (() => void) | undefined;
  #firstScan = true;
  #nextScanAt = 0;
  #nextHousekeepingAt = 0;
  #nextForgetAt: number | undefined;
  #chunk: ChunkContext | undefined;
  readonly #visit: LineVisitor;
  readonly #watcher: DirectoryWatcher;
  #acquiring: Promise<void> | undefined;
  #acquireAgain = false;
  readonly #metrics;

  constructor(options: FileSourceOptions) {
    this.#options = options;
    this.#input = options.input;
    this.#store = options.store;
    this.#logger = options.logger.child({ source: 'file', dataset: options.input.dataset });
    this.#warnings = new RateLimitedLog(this.#logger);
    this.#settleMs = options.settleMs ?? Math.max(1000, 4 * options.pollIntervalMs);
    this.#fingerprintBytes = options.input.fingerprint_bytes;
    // A read always holds more than one maximal line (so a partial line can complete) plus the
    // bytes before the read position that its check covers.
    this.#buffer = Buffer.allocUnsafe(
      Math.max(READ_CHUNK_BYTES, options.input.max_line_bytes + 8) + CHECK_BYTES,
    );
    const { metrics } = options;
    const dataset = ['dataset'] as const;
    this.#metrics = {
      lines: metrics.counter('vigil_collector_file_lines_total', 'Lines read from files.', dataset),
      bytes: metrics.counter(
        'vigil_collector_file_bytes_total',
        'Bytes of files read and split into lines.',
        dataset,
      ),
      truncations: metrics.counter(
        'vigil_collector_file_truncations_total',
        'Files truncated in place (copytruncate) or whose content was replaced; each starts a new epoch read from 0.',
        dataset,
      ),
      longLines: metrics.counter(
        'vigil_collector_file_long_lines_total',
        'Lines longer than max_line_bytes, cut and flagged truncated.',
        dataset,
      ),
      invalid: metrics.counter(
        'vigil_collector_file_invalid_encoding_total',
        'Lines not valid in their encoding, kept as base64 and flagged invalid_encoding.',
        dataset,
      ),
      unterminated: metrics.counter(
        'vigil_collector_file_unterminated_total',
        'Partial last lines emitted without their newline (flush_partial_after_ms), flagged unterminated.',
        dataset,
      ),
      multilineEvents: metrics.counter(
        'vigil_collector_file_multiline_events_total',
        'Events joined from more than one line.',
        dataset,
      ),
      multilineLines: metrics.counter(
        'vigil_collector_file_multiline_lines_total',
        'Lines that went into multiline events.',
        dataset,
      ),
      copies: metrics.counter(
        'vigil_collector_file_copies_resumed_total',
        'Files recognized as a copy of a stream read before (copytruncate) and read on from its checkpoint.',
        dataset,
      ),
      behind: metrics.gauge(
        'vigil_collector_file_bytes_behind',
        'Size of a tailed file minus its acknowledged offset.',
        ['path'],
      ),
      tracked: metrics.gauge('vigil_collector_files_tracked', 'Files held open for reading.', dataset),
    };
    this.#visit = (offset, next, text, base64, flags) => this.#onLine(offset, next, text, base64, flags);
    this.#watcher = new DirectoryWatcher(() => this.#onDirectoryChange());
  }

  start(): void {
    this.#loop ??= this.#run();
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    this.#wake?.();
    this.#watcher.close();
    await this.#loop;
    await this.#acquiring;
    // Unfinished multiline events and partial lines are not flushed: the checkpoints stop before them,
    // so the next start reads them again whole.
    for (const file of this.#files.values()) {
      if (file.stream) this.#store.detach(file.stream.id);
      await file.handle.close().catch(() => {});
      this.#metrics.tracked.dec({ dataset: this.#input.dataset });
      this.#metrics.behind.remove({ path: file.path });
    }
    this.#files.clear();
  }

  async #run(): Promise<void> {
    const { pollIntervalMs } = this.#options;
    while (!this.#stopping) {
      let moreToRead = false;
      try {
        if (Date.now() >= this.#nextScanAt) {
          await this.#scan(Date.now());
          this.#nextScanAt = Date.now() + pollIntervalMs;
        }
        for (const file of [...this.#files.values()]) {
          if (this.#stopping) break;
          try {
            moreToRead = (await this.#readSome(file, Date.now())) || moreToRead;
          } catch (error) {
            this.#warnings.warn(
              `read:${file.key}`,
              { path: file.path, err: error },
              'Reading a file failed; it is retried at the next poll.',
            );
          }
        }
        // Timeouts, releases, gauges: once per poll, not once per chunk while catching up.
        if (!this.#stopping && Date.now() >= this.#nextHousekeepingAt) {
          await this.#housekeeping(Date.now());
          this.#nextHousekeepingAt = Date.now() + pollIntervalMs;
        }
      } catch (error) {
        this.#warnings.warn('loop', { err: error }, 'Reading files failed; retrying at the next poll.');
      }
      if (moreToRead || this.#stopping) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, pollIntervalMs);
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#wake = undefined;
    }
  }

  // ---------------------------------------------------------------- discovery and identity

  /**
   * A watched folder changed: open new matching files right away, apart from
   * the read loop (which may be waiting for the transport), so that a file
   * renamed away soon after it appeared is still held. Identities are
   * decided by the next scan.
   */
  #onDirectoryChange(): void {
    if (this.#stopping) return;
    if (this.#acquiring) {
      this.#acquireAgain = true;
      return;
    }
    this.#acquiring = this.#acquire().finally(() => {
      this.#acquiring = undefined;
    });
  }

  async #acquire(): Promise<void> {
    do {
      this.#acquireAgain = false;
      try {
        const found = await discoverFiles(this.#input.paths, this.#input.exclude);
        for (const item of found.values()) {
          if (this.#stopping) return;
          if (!this.#files.has(item.key)) await this.#open(item, Date.now());
        }
      } catch (error) {
        this.#warnings.warn('acquire', { err: error }, 'Looking for new files failed; polling goes on.');
      }
    } while (this.#acquireAgain && !this.#stopping);
    this.#nextScanAt = 0;
    this.#wake?.();
  }

  async #scan(now: number): Promise<void> {
    this.#watcher.update(watchedDirectories(this.#input.paths));
    const found = await discoverFiles(this.#input.paths, this.#input.exclude);
    for (const file of this.#files.values()) file.seen = false;
    const fresh: FoundFile[] = [];
    for (const item of found.values()) {
      const file = this.#files.get(item.key);
      if (!file) {
        fresh.push(item);
        continue;
      }
      file.seen = true;
      file.leftAt = undefined;
      if (!item.paths.includes(file.path)) {
        const to = item.paths[0] as string;
        this.#logger.info({ from: file.path, to }, 'A tailed file was renamed; reading continues.');
        this.#rename(file, to);
      }
    }
    for (const item of fresh) await this.#open(item, now);
    for (const file of this.#files.values()) {
      if (!file.seen && file.leftAt === undefined) {
        file.leftAt = now;
        this.#logger.info(
          { path: file.path, stream: file.stream?.id },
          'A tailed file left the watched paths (renamed away, deleted or replaced); it is read to its end.',
        );
      }
    }
    // Files that left the paths before their identity was decided are decided all the same: they
    // are read to their end like any other file that left.
    const pending = [...this.#files.values()].filter((f) => !f.stream && !f.ignored);
    if (pending.length > 0) {
      let assigned = false;
      const byHolder = this.#checkpointsByHolder();
      for (const file of pending) {
        if (await this.#resume(file, byHolder.get(file.key) ?? [])) assigned = true;
      }
      for (const file of pending) {
        if (file.stream || file.ignored) continue;
        if (await this.#decide(file, now)) assigned = true;
      }
      // A stream's identity is durable before any record carries it, so that after a crash the same
      // bytes get the same identity again.
      if (assigned) await this.#persist();
    }
    this.#firstScan = false;
  }

  async #open(item: FoundFile, now: number): Promise<void> {
    const path = item.paths[0] as string;
    let handle: FileHandle;
    try {
      handle = await open(path, 'r');
    } catch {
      return;
    }
    const info = await handle.stat({ bigint: true });
    if (
      info.dev.toString(16) !== item.dev ||
      info.ino.toString(16) !== item.ino ||
      this.#files.has(item.key) ||
      this.#stopping
    ) {
      // Replaced between the scan and the open (the next scan sees the new file), or opened
      // meanwhile by the other discovery path.
      await handle.close();
      return;
    }
    const size = Number(info.size);
    this.#files.set(item.key, {
      key: item.key,
      dev: item.dev,
      ino: item.ino,
      path,
      recordFile: { path },
      handle,
      stream: undefined,
      ignored: false,
      firstScan: this.#firstScan,
      foundAt: now,
      foundSize: size,
      scanSize: undefined,
      replacedBase: undefined,
      size,
      grewAt: now,
      seen: true,
      leftAt: undefined,
      drained: false,
      headCheckedAt: 0,
    });
    this.#metrics.tracked.inc({ dataset: this.#input.dataset });
  }

  #checkpointsByHolder(): Map<string, Array<[string, Checkpoint]>> {
    const index = new Map<string, Array<[string, Checkpoint]>>();
    for (const entry of this.#store.entries()) {
      const cp = entry[1];
      if (cp.dev === undefined || cp.ino === undefined) continue;
      const key = `${cp.dev}:${cp.ino}`;
      const list = index.get(key);
      if (list) list.push(entry);
      else index.set(key, [entry]);
    }
    return index;
  }

  /** Pass 1: the file is the one a checkpoint names (same device+inode) and still holds its content. */
  async #resume(file: TrackedFile, entries: Array<[string, Checkpoint]>): Promise<boolean> {
    if (entries.length === 0) return false;
    const { size, head } = await this.#facts(file);
    const sorted = [...entries].sort((a, b) => (b[1].epoch ?? 0) - (a[1].epoch ?? 0));
    for (const [id, cp] of sorted) {
      const candidate = this.#candidate(id, cp);
      if (!(await this.#holds(file, size, head, candidate))) continue;
      if (this.#store.isAttached(id)) {
        this.#ignore(file, id);
        return false;
      }
      this.#attach(file, this.#streamFor(candidate), 'resumed');
      return true;
    }
    // The device and inode are known but the content is not what was read: truncated while the
    // collector was down, or a new file on a reused inode. Either way: a new epoch, from 0.
    const latest = sorted[0]?.[1];
    file.replacedBase = latest ? (latest.base ?? (sorted[0] as [string, Checkpoint])[0]) : undefined;
    return false;
  }

  /** Pass 2: a copy of a stream read before, a file to wait for, or a new stream. */
  async #decide(file: TrackedFile, now: number): Promise<boolean> {
    const { size, head } = await this.#facts(file);
    const stable = file.scanSize === size;
    file.scanSize = size;
    const waited = now - file.foundAt;
    // A file found after start settles first: a copy being written grows between two scans.
    if (!file.firstScan && !stable && waited < this.#settleMs) return false;
    let wait = false;
    const prefixHashes = new Map<number, string>();
    const prefixHash = (bytes: number) => {
      let hash = prefixHashes.get(bytes);
      if (hash === undefined) {
        hash = shortHash(head.subarray(0, bytes));
        prefixHashes.set(bytes, hash);
      }
      return hash;
    };
    for (const [id, cp] of [...this.#store.entries()]) {
      if (cp.dev === file.dev && cp.ino === file.ino) {
        // Being read by another input that got to it first: leave it to that one.
        if (this.#store.isAttached(id)) {
          this.#ignore(file, id);
          return false;
        }
        // The file's own checkpoints were judged in pass 1.
        continue;
      }
      const candidate = this.#candidate(id, cp);
      if (candidate.headBytes === 0 || candidate.position === 0 || candidate.head === undefined) continue;
      if (candidate.headBytes > size || prefixHash(candidate.headBytes) !== candidate.head) continue;
      if (this.#store.isAttached(id)) {
        // The same first bytes as a file being read: a copytruncate copy made before the truncation,
        // or a file that merely starts alike. Look at the original now; if it was not truncated,
        // wait a little before deciding.
        const holder = [...this.#files.values()].find((f) => f.stream?.id === id);
        if (holder) await this.#checkContent(holder, now, true);
        if (this.#store.isAttached(id)) {
          if (waited < this.#settleMs) wait = true;
          continue;
        }
      }
      const current = this.#candidate(id, cp);
      // Only a full fingerprint is strong enough to skip a file's first bytes as already read: two
      // files that merely start with the same short line must both be read (a duplicate beats a
      // loss). The exception is the copytruncate signature: a stream whose file was truncated a
      // moment ago, and a new file holding exactly what was read of it.
      const truncatedAt = this.#detached.get(id)?.truncatedAt;
      const justTruncated = truncatedAt !== undefined && now - truncatedAt <= this.#settleMs * 10;
      if (current.headBytes < this.#fingerprintBytes && !justTruncated) continue;
      if (size < current.position) {
        // Shorter than what was read: a copy still being written, or a different file.
        if (!stable && waited < this.#settleMs * 10) wait = true;
        continue;
      }
      if (!(await this.#holds(file, size, head, current))) continue;
      this.#store.update(id, { dev: file.dev, ino: file.ino, path: file.path });
      this.#metrics.copies.inc({ dataset: this.#input.dataset });
      this.#logger.info(
        { path: file.path, stream: id, position: current.position },
        'A file holds the content of a stream read before (a rotated copy); reading continues where that stream stopped.',
      );
      this.#attach(file, this.#streamFor(current), 'copy');
      return true;
    }
    if (wait) return false;
    this.#attach(file, await this.#newStream(file, size, head), 'new');
    return true;
  }

  #ignore(file: TrackedFile, streamId: string): void {
    file.ignored = true;
    this.#logger.warn(
      { path: file.path, stream: streamId },
      'Another file input already reads this file; this input leaves it alone (check for overlapping paths).',
    );
  }

  /** The size and first bytes (up to fingerprint_bytes) of a file. */
  async #facts(file: TrackedFile): Promise<{ size: number; head: Buffer }> {
    const size = Number((await file.handle.stat()).size);
    const head = await readAt(file.handle, 0, Math.min(this.#fingerprintBytes, size));
    return { size: Math.max(size, head.length), head };
  }

  #candidate(id: string, cp: Checkpoint): Candidate {
    const live = this.#detached.get(id);
    return {
      id,
      cp,
      headBytes: live?.headBytes ?? cp.head_bytes ?? 0,
      head: live?.head ?? cp.head,
      position: live?.position ?? cp.offset,
      check: live ? live.check : cp.check,
    };
  }

  /** Whether the file holds the candidate's content up to its position. */
  async #holds(file: TrackedFile, size: number, head: Buffer, candidate: Candidate): Promise<boolean> {
    if (candidate.headBytes > 0) {
      if (size < candidate.headBytes || head.length < candidate.headBytes) return false;
      if (shortHash(head.subarray(0, candidate.headBytes)) !== candidate.head) return false;
    }
    if (size < candidate.position) return false;
    if (candidate.position === 0 || candidate.check === undefined) return true;
    const check =
      candidate.position <= head.length
        ? shortHash(head.subarray(Math.max(0, candidate.position - CHECK_BYTES), candidate.position))
        : await checkFromFile(file.handle, candidate.position);
    return check === candidate.check;
  }

  /** The in-memory stream of a candidate: the detached one of this run, or one built from its checkpoint. */
  #streamFor(candidate: Candidate): Stream {
    const live = this.#detached.get(candidate.id);
    if (live) {
      this.#detached.delete(candidate.id);
      return live;
    }
    const { cp } = candidate;
    return this.#makeStream({
      id: candidate.id,
      base: cp.base ?? candidate.id,
      epoch: cp.epoch ?? 0,
      headBytes: candidate.headBytes,
      head: candidate.head,
      position: cp.offset,
      check: cp.check ?? '',
      midLine: cp.mid_line,
    });
  }

  async #newStream(file: TrackedFile, size: number, head: Buffer): Promise<Stream> {
    const { input } = this.#options;
    let base = file.replacedBase;
    if (base === undefined) {
      if (head.length >= this.#fingerprintBytes) {
        const fingerprint = `file:${shortHash(head)}`;
        base = this.#store.hasBase(fingerprint) ? `${fingerprint}:${file.dev}:${file.ino}` : fingerprint;
      } else {
        base = `file:ino:${file.dev}:${file.ino}`;
      }
    }
    const epoch = this.#store.nextEpoch(base);
    let position = 0;
    let midLine: MidLine | undefined;
    if (file.firstScan && input.start_at === 'end' && file.replacedBase === undefined) {
      ({ position, midLine } = await this.#lastLineEnd(file, Math.min(file.foundSize, size), head));
    }
    const stream = this.#makeStream({
      id: epoch === 0 ? base : `${base}#${epoch}`,
      base,
      epoch,
      headBytes: head.length,
      head: head.length > 0 ? shortHash(head) : undefined,
      position,
      check: position > 0 ? await checkFromFile(file.handle, position) : '',
      midLine,
    });
    this.#store.put(stream.id, {
      offset: position,
      path: file.path,
      updated_at: new Date().toISOString(),
      base,
      epoch,
      dev: file.dev,
      ino: file.ino,
      head_bytes: stream.headBytes,
      ...(stream.head === undefined ? {} : { head: stream.head }),
      ...(position > 0 ? { check: stream.check } : {}),
      ...(midLine === undefined ? {} : { mid_line: midLine }),
      last_seen: new Date().toISOString(),
    });
    return stream;
  }

  /** With start_at end: the end of the last complete line, so a partial last line is read whole. */
  async #lastLineEnd(
    file: TrackedFile,
    size: number,
    head: Buffer,
  ): Promise<{ position: number; midLine: MidLine | undefined }> {
    const detected = detectEncoding(this.#input.encoding, head);
    if (!detected || size === 0) return { position: 0, midLine: undefined };
    const { codec } = detected;
    const from = Math.max(0, size - START_AT_END_LOOKBACK);
    const tail = await readAt(file.handle, from, size - from);
    let last = -1;
    for (let at = codec.indexOfNewline(tail, 0, tail.length, from); at !== -1; ) {
      last = at;
      at = codec.indexOfNewline(tail, at + codec.unit, tail.length, from);
    }
    if (last !== -1) return { position: from + last + codec.unit, midLine: undefined };
    // No line end in sight: start after what is there and skip the rest of that line.
    return { position: size, midLine: 'skip' };
  }

  #makeStream(fields: {
    id: string;
    base: string;
    epoch: number;
    headBytes: number;
    head: string | undefined;
    position: number;
    check: string;
    midLine: MidLine | undefined;
  }): Stream {
    return {
      ...fields,
      splitter: undefined,
      joiner: undefined,
      pendingCheck: undefined,
      recordStream: { id: fields.id, kind: 'file' },
      touchedAt: 0,
      truncatedAt: undefined,
    };
  }

  #attach(file: TrackedFile, stream: Stream, how: 'new' | 'resumed' | 'copy'): void {
    file.stream = stream;
    file.replacedBase = undefined;
    file.headCheckedAt = 0;
    this.#store.attach(stream.id);
    this.#store.update(stream.id, { path: file.path, dev: file.dev, ino: file.ino });
    this.#logger.info(
      { path: file.path, stream: stream.id, position: stream.position, how },
      'Tailing a file.',
    );
  }

  #rename(file: TrackedFile, path: string): void {
    this.#metrics.behind.remove({ path: file.path });
    file.path = path;
    file.recordFile = { path };
  }

  /** Lets a stream go: no file holds it now. A copy may still continue it. */
  #detach(stream: Stream, path: string): void {
    this.#store.detach(stream.id);
    this.#store.update(stream.id, { path, last_seen: new Date().toISOString() });
    this.#detached.set(stream.id, stream);
  }

  async #persist(): Promise<void> {
    try {
      await this.#store.flush();
    } catch (error) {
      this.#warnings.warn(
        'persist',
        { err: error, file: this.#store.path },
        'Saving new stream identities failed; reading goes on and saving is retried.',
      );
    }
  }

  // ---------------------------------------------------------------- reading

  /**
   * Checks that an attached file still holds its stream's content (not
   * truncated, first bytes unchanged) and extends the head hash while the
   * file is shorter than fingerprint_bytes. On a change the file starts a
   * new epoch; returns false then.
   */
  async #checkContent(file: TrackedFile, now: number, force = false): Promise<boolean> {
    const stream = file.stream as Stream;
    if (force) file.size = Number((await file.handle.stat()).size);
    if (file.size < stream.position) {
      await this.#replace(
        file,
        now,
        'File is shorter than the read position (truncated in place); reading restarts at its start as a new epoch.',
      );
      return false;
    }
    const growing = stream.headBytes < this.#fingerprintBytes && file.size > stream.headBytes;
    if (!force && !growing && now - file.headCheckedAt < this.#options.pollIntervalMs) return true;
    file.headCheckedAt = now;
    const head = await readAt(file.handle, 0, Math.min(this.#fingerprintBytes, file.size));
    if (
      stream.headBytes > 0 &&
      (head.length < stream.headBytes || shortHash(head.subarray(0, stream.headBytes)) !== stream.head)
    ) {
      await this.#replace(
        file,
        now,
        'The first bytes of a file changed (truncated and rewritten); reading restarts at its start as a new epoch.',
      );
      return false;
    }
    if (head.length > stream.headBytes) {
      stream.headBytes = head.length;
      stream.head = shortHash(head);
      this.#store.update(stream.id, { head_bytes: stream.headBytes, head: stream.head });
    }
    return true;
  }

  /** The file's content was replaced under its device+inode: its stream ends, a new epoch begins. */
  async #replace(file: TrackedFile, now: number, message: string): Promise<void> {
    const old = file.stream as Stream;
    this.#logger.warn({ path: file.path, size: file.size, position: old.position, stream: old.id }, message);
    this.#metrics.truncations.inc({ dataset: this.#input.dataset });
    await this.#flushJoiner(file, old, now);
    old.truncatedAt = now;
    this.#detach(old, file.path);
    file.stream = undefined;
    file.replacedBase = old.base;
    const { size, head } = await this.#facts(file);
    file.size = size;
    this.#attach(file, await this.#newStream(file, size, head), 'new');
    await this.#persist();
  }

  /** Decides the encoding (a byte order mark may still be incomplete) and sets up the splitter. */
  async #prepare(file: TrackedFile, stream: Stream): Promise<boolean> {
    const detected = detectEncoding(this.#input.encoding, await readAt(file.handle, 0, 4));
    if (!detected) return false;
    const { codec, bomBytes } = detected;
    const splitter = new LineSplitter(codec, this.#input.max_line_bytes);
    splitter.skipping = stream.midLine === 'skip';
    splitter.continuing = stream.midLine === 'continue';
    stream.splitter = splitter;
    if (stream.position < bomBytes) {
      stream.position = bomBytes;
      stream.check = await checkFromFile(file.handle, bomBytes);
    }
    const { multiline } = this.#input;
    if (multiline) {
      stream.joiner = new MultilineJoiner(
        {
          mode: multiline.mode,
          pattern: multiline.pattern,
          negate: multiline.negate,
          maxLines: multiline.max_lines,
          maxBytes: this.#input.max_line_bytes,
          timeoutMs: multiline.timeout_ms,
        },
        (text) => codec.encode(text),
        codec.newline,
      );
    }
    return true;
  }

  /**
   * Reads one chunk of a file and ships its complete lines; with
   * `flushPartial`, also a partial last line. Returns true when more data is
   * waiting.
   */
  async #readSome(file: TrackedFile, now: number, flushPartial = false): Promise<boolean> {
    const stream = file.stream;
    if (!stream) return false;
    const size = Number((await file.handle.stat()).size);
    if (size !== file.size) {
      file.size = size;
      file.grewAt = now;
      file.drained = false;
    }
    if (!(await this.#checkContent(file, now))) return true;
    if (!stream.splitter && !(await this.#prepare(file, stream))) return false;
    const splitter = stream.splitter as LineSplitter;
    if (size <= stream.position) {
      file.drained = true;
      return false;
    }
    const back = Math.min(CHECK_BYTES, stream.position);
    const base = stream.position - back;
    const want = Math.min(this.#buffer.length - back, size - stream.position);
    const { bytesRead } = await file.handle.read(this.#buffer, 0, back + want, base);
    const buf = this.#buffer;
    if (
      back > 0 &&
      stream.check !== '' &&
      (bytesRead < back || shortHash(buf.subarray(0, back)) !== stream.check)
    ) {
      // The bytes just before the read position are not the ones read there: the file was truncated
      // and written past the position again between two reads.
      await this.#replace(
        file,
        now,
        'The bytes before the read position changed (truncated and rewritten); reading restarts at its start as a new epoch.',
      );
      return true;
    }
    if (bytesRead <= back) return false;
    const to = bytesRead;
    const context: ChunkContext = {
      stream,
      file,
      records: [],
      now,
      observedAt: new Date(now).toISOString(),
      lines: 0,
    };
    this.#chunk = context;
    let consumed: number;
    try {
      consumed = splitter.split(buf, back, to, base, this.#visit);
      const atEnd = base + to >= size;
      const { flush_partial_after_ms: flushAfter } = this.#input;
      if (consumed < to && atEnd && (flushPartial || (flushAfter > 0 && now - file.grewAt >= flushAfter))) {
        consumed = splitter.flushPartial(buf, consumed, to, base, this.#visit);
        if (stream.joiner) this.#emitEvent(stream.joiner.flush());
      }
    } finally {
      this.#chunk = undefined;
    }
    const { records } = context;
    if (context.lines > 0) this.#metrics.lines.inc({ dataset: this.#input.dataset }, context.lines);
    if (consumed === back) {
      file.drained = true;
      return false;
    }
    const end = base + consumed;
    this.#metrics.bytes.inc({ dataset: this.#input.dataset }, end - stream.position);
    stream.position = end;
    stream.check = checkFromBuffer(buf, base, end);
    let ackOffset = end;
    let ackCheck = stream.check;
    let midLine: MidLine | undefined = splitter.skipping
      ? 'skip'
      : splitter.continuing
        ? 'continue'
        : undefined;
    const pending = stream.joiner?.pendingOffset;
    if (pending !== undefined) {
      // The checkpoint may not pass an event that is still being joined: after a crash it is read
      // and joined again from its first line.
      if (stream.pendingCheck?.offset !== pending) {
        stream.pendingCheck = { offset: pending, check: checkFromBuffer(buf, base, pending) };
      }
      ackOffset = pending;
      ackCheck = stream.pendingCheck.check;
      midLine = stream.joiner?.pendingContinuation ? 'continue' : undefined;
    }
    file.drained = end >= size;
    // A chunk that only skipped the rest of a long line (or joined lines into a pending event) has
    // nothing to ship. Pushing it empty would acknowledge it at once, moving the checkpoint past
    // records still in flight; the next acknowledged record's checkpoint covers these bytes.
    if (records.length > 0) await this.#push(stream, file.path, records, ackOffset, ackCheck, midLine);
    return end < size;
  }

  #onLine(offset: number, next: number, text: string, base64: string | undefined, flags: number): void {
    const context = this.#chunk as ChunkContext;
    context.lines += 1;
    if (flags !== 0) this.#flagged(context.file.path, offset, flags);
    const joiner = context.stream.joiner;
    if (joiner) {
      this.#emitEvent(joiner.push({ offset, next, text, base64, flags }, context.now));
      return;
    }
    context.records.push(this.#record(context, offset, text, base64, flags));
  }

  /** Counts (and logs, rate-limited per file) lines that are not plain. */
  #flagged(path: string, offset: number, flags: number): void {
    const dataset = this.#input.dataset;
    if ((flags & TRUNCATED) !== 0) {
      this.#metrics.longLines.inc({ dataset });
      this.#warnings.warn(
        `long:${path}`,
        { path, offset, max_line_bytes: this.#input.max_line_bytes },
        'A line longer than max_line_bytes was cut there; the rest of it is skipped.',
      );
    }
    if ((flags & INVALID_ENCODING) !== 0) {
      this.#metrics.invalid.inc({ dataset });
      this.#warnings.warn(
        `invalid:${path}`,
        { path, offset, encoding: this.#input.encoding },
        'A line is not valid in the encoding of its file; its exact bytes are kept in line_base64.',
      );
    }
    if ((flags & UNTERMINATED) !== 0) {
      this.#metrics.unterminated.inc({ dataset });
      this.#warnings.warn(
        `unterminated:${path}`,
        { path, offset, flush_partial_after_ms: this.#input.flush_partial_after_ms },
        'A last line without newline was shipped as it is, flagged unterminated.',
      );
    }
  }

  #emitEvent(event: JoinedEvent | undefined): void {
    if (!event) return;
    const context = this.#chunk as ChunkContext;
    let { flags } = event;
    if (event.continuation) flags |= CONTINUATION;
    if (event.lines > 1) {
      flags |= MULTILINE;
      this.#metrics.multilineEvents.inc({ dataset: this.#input.dataset });
      this.#metrics.multilineLines.inc({ dataset: this.#input.dataset }, event.lines);
    }
    context.records.push(this.#record(context, event.offset, event.text, event.base64, flags));
  }

  #record(
    context: ChunkContext,
    offset: number,
    text: string,
    base64: string | undefined,
    flags: number,
  ): RawRecord {
    const { collector, host } = this.#options;
    const record: RawRecord = {
      collector,
      host,
      stream: context.stream.recordStream,
      offset,
      line: text,
      dataset: this.#input.dataset,
      observed_at: context.observedAt,
      file: context.file.recordFile,
    };
    if (base64 !== undefined) record.line_base64 = base64;
    if (flags !== 0) record.flags = flagNames(flags);
    return record;
  }

  async #push(
    stream: Stream,
    path: string,
    records: RawRecord[],
    offset: number,
    check: string,
    midLine: MidLine | undefined,
  ): Promise<void> {
    const { id } = stream;
    await this.#options.shipper.push(records, () => {
      this.#store.advance(id, path, offset, { check, mid_line: midLine });
    });
  }

  /** Ships the event a joiner is holding; the checkpoint may then move to the read position. */
  async #flushJoiner(file: TrackedFile, stream: Stream, now: number): Promise<void> {
    const joiner = stream.joiner;
    if (!joiner || joiner.pendingOffset === undefined) return;
    const context: ChunkContext = {
      stream,
      file,
      records: [],
      now,
      observedAt: new Date(now).toISOString(),
      lines: 0,
    };
    this.#chunk = context;
    try {
      this.#emitEvent(joiner.flush());
    } finally {
      this.#chunk = undefined;
    }
    const splitter = stream.splitter as LineSplitter;
    const midLine = splitter.skipping ? 'skip' : splitter.continuing ? 'continue' : undefined;
    await this.#push(stream, file.path, context.records, stream.position, stream.check, midLine);
  }

  // ---------------------------------------------------------------- housekeeping

  async #housekeeping(now: number): Promise<void> {
    const { input } = this.#options;
    for (const file of [...this.#files.values()]) {
      const stream = file.stream;
      if (stream?.joiner?.expired(now)) await this.#flushJoiner(file, stream, now);
      if (file.leftAt !== undefined && file.ignored) {
        await this.#release(file);
        continue;
      }
      // A file that left the watched paths is read to its end, then let go once it stopped growing.
      if (file.leftAt !== undefined && file.drained && now - file.grewAt >= input.rotate_wait_ms) {
        if (stream && stream.position < file.size) await this.#readSome(file, now, true);
        if (stream) await this.#flushJoiner(file, stream, now);
        await this.#release(file);
        continue;
      }
      if (stream) {
        const acked = this.#store.get(stream.id)?.offset ?? 0;
        this.#metrics.behind.set({ path: file.path }, Math.max(0, file.size - acked));
        if (now - stream.touchedAt >= input.forget_after_ms / 4) {
          stream.touchedAt = now;
          this.#store.update(stream.id, { last_seen: new Date(now).toISOString() });
        }
      }
    }
    // The first look comes one interval after start, when every input has found its files again.
    const interval = Math.min(input.forget_after_ms / 4, 60_000);
    this.#nextForgetAt ??= now + interval;
    if (now >= this.#nextForgetAt) {
      this.#nextForgetAt = now + interval;
      this.#forget(now);
    }
  }

  async #release(file: TrackedFile): Promise<void> {
    this.#files.delete(file.key);
    this.#metrics.tracked.dec({ dataset: this.#input.dataset });
    this.#metrics.behind.remove({ path: file.path });
    if (file.stream && !file.ignored) {
      this.#detach(file.stream, file.path);
      // A deleted file's inode is free once the descriptor closes and may come back as another
      // file: its checkpoint must not be resumed by device and inode then.
      const links = await file.handle
        .stat()
        .then((info) => info.nlink)
        .catch(() => 1);
      if (links === 0) this.#store.update(file.stream.id, { dev: undefined, ino: undefined });
      this.#logger.info(
        { path: file.path, stream: file.stream.id, position: file.stream.position },
        'A file that left the watched paths was read to its end and released.',
      );
    }
    await file.handle.close().catch(() => {});
  }

  /** Forgets checkpoints of streams no file has held for forget_after_ms. */
  #forget(now: number): void {
    const cutoff = now - this.#input.forget_after_ms;
    for (const [id, cp] of [...this.#store.entries()]) {
      if (this.#store.isAttached(id)) continue;
      const seen = Date.parse(cp.last_seen ?? cp.updated_at);
      if (Number.isNaN(seen) || seen >= cutoff) continue;
      this.#store.forget(id);
      this.#detached.delete(id);
      this.#logger.info(
        { stream: id, path: cp.path },
        'Forgot the checkpoint of a file not seen for a long time.',
      );
    }
  }
}
