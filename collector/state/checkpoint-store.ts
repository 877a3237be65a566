/**
 * Persists file checkpoints (stream identity → next byte offset to read, and
 * what it takes to recognize the stream's file again) in one JSON file,
 * replaced crash-safely. Offsets only move forward after the transport
 * acknowledged everything before them, so after a crash the collector
 * re-reads at most what was in flight, and the stable record identities make
 * that re-read harmless downstream.
 *
 * Besides the offset, a checkpoint keeps the identity facts of its stream
 * (see collector/sources/file/README.md): the file's device and inode, a
 * hash of its first bytes, a hash of the bytes just before the offset, and
 * the epoch (how many times content was replaced under the same identity).
 * Checkpoint files of version 1 (offsets by `file:<dev>:<ino>` only) are
 * read and upgraded.
 *
 * Which streams are being read right now ("attached") is kept in memory
 * here too, because every file input of the collector shares this store and
 * must not take over a stream another input is reading.
 *
 * A corrupt checkpoint file is quarantined (renamed aside), counted and
 * logged; the collector then starts over from each file's beginning.
 */
import { mkdir, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../../core/fs/atomic-write.ts';
import type { Logger } from '../../core/log.ts';

/** Where reading resumes inside a line: skip to the next newline, or continue a flushed fragment. */
export type MidLine = 'skip' | 'continue';

export interface Checkpoint {
  /** Next byte to read; every byte before it is acknowledged downstream. */
  offset: number;
  /** Last path the stream was seen at (informational). */
  path: string;
  updated_at: string;
  /** The stream identity without its epoch (e.g. `file:<fingerprint>`). */
  base?: string;
  /** Number of times the content was replaced under this base (truncation, inode reuse). */
  epoch?: number;
  /** Device and inode (hex) of the file last seen holding this stream. */
  dev?: string;
  ino?: string;
  /** How many of the file's first bytes `head` covers (up to fingerprint_bytes). */
  head_bytes?: number;
  /** Hash of the first `head_bytes` bytes. */
  head?: string;
  /** Hash of the bytes just before `offset` (up to 128 of them). */
  check?: string;
  /** `offset` is inside a line: what to do with the rest of it. */
  mid_line?: MidLine;
  /** When the stream's file was last seen (ISO 8601); streams unseen for long are forgotten. */
  last_seen?: string;
}

/** Position details that travel with an advanced offset. */
export interface PositionFacts {
  check?: string | undefined;
  mid_line?: MidLine | undefined;
}

interface CheckpointFile {
  version: 1 | 2;
  streams: Record<string, Checkpoint>;
}

const VERSION = 2;
const LEGACY_ID = /^file:([0-9a-f]+):([0-9a-f]+)$/;

export class CheckpointStore {
  readonly #file: string;
  readonly #dir: string;
  readonly #logger: Logger;
  #streams = new Map<string, Checkpoint>();
  readonly #attached = new Set<string>();
  #dirty = false;
  #writing: Promise<void> = Promise.resolve();
  /** Number of corrupt checkpoint files quarantined since start. */
  quarantined = 0;

  constructor(dataDir: string, logger: Logger) {
    this.#dir = dataDir;
    this.#file = join(dataDir, 'checkpoints.json');
    this.#logger = logger;
  }

  get path(): string {
    return this.#file;
  }

  async load(): Promise<void> {
    await mkdir(this.#dir, { recursive: true });
    let text: string;
    try {
      text = await readFile(this.#file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw error;
    }
    try {
      const parsed = JSON.parse(text) as CheckpointFile;
      if (
        (parsed.version !== 1 && parsed.version !== VERSION) ||
        typeof parsed.streams !== 'object' ||
        parsed.streams === null
      ) {
        throw new Error('unexpected checkpoint file shape');
      }
      for (const [id, cp] of Object.entries(parsed.streams)) {
        if (cp === null || typeof cp !== 'object') throw new Error(`bad checkpoint for stream ${id}`);
        if (!Number.isSafeInteger(cp.offset) || cp.offset < 0) throw new Error(`bad offset for stream ${id}`);
        if (cp.epoch !== undefined && (!Number.isSafeInteger(cp.epoch) || cp.epoch < 0)) {
          throw new Error(`bad epoch for stream ${id}`);
        }
        if (cp.head_bytes !== undefined && (!Number.isSafeInteger(cp.head_bytes) || cp.head_bytes < 0)) {
          throw new Error(`bad head_bytes for stream ${id}`);
        }
        this.#streams.set(id, parsed.version === 1 ? upgrade(id, cp) : cp);
      }
    } catch (error) {
      const aside = `${this.#file}.corrupt-${Date.now()}`;
      await rename(this.#file, aside);
      this.quarantined += 1;
      this.#streams.clear();
      this.#logger.error(
        { file: this.#file, quarantined_as: aside, err: error },
        'Checkpoint file is corrupt; it was set aside and files will be read from their start.',
      );
    }
  }

  get(streamId: string): Checkpoint | undefined {
    return this.#streams.get(streamId);
  }

  /** Every stream with a checkpoint. */
  entries(): IterableIterator<[string, Checkpoint]> {
    return this.#streams.entries();
  }

  /**
   * Records progress in memory; `flush` makes it durable. Offsets never move
   * backwards here; the position facts are kept with the offset they belong to.
   */
  advance(streamId: string, path: string, offset: number, facts: PositionFacts = {}): void {
    const current = this.#streams.get(streamId);
    if (current && current.offset >= offset && current.path === path) return;
    const next: Checkpoint = { ...current, offset, path, updated_at: new Date().toISOString() };
    if (current && current.offset >= offset) {
      next.offset = current.offset;
    } else {
      delete next.check;
      delete next.mid_line;
      if (facts.check !== undefined) next.check = facts.check;
      if (facts.mid_line !== undefined) next.mid_line = facts.mid_line;
    }
    this.#streams.set(streamId, next);
    this.#dirty = true;
  }

  /** Resets a stream so reading restarts at `offset`. */
  reset(streamId: string, path: string, offset: number): void {
    const current = this.#streams.get(streamId);
    const next: Checkpoint = { ...current, offset, path, updated_at: new Date().toISOString() };
    delete next.check;
    delete next.mid_line;
    this.#streams.set(streamId, next);
    this.#dirty = true;
  }

  /** Creates (or replaces) a stream's checkpoint. */
  put(streamId: string, checkpoint: Checkpoint): void {
    this.#streams.set(streamId, { ...checkpoint });
    this.#dirty = true;
  }

  /**
   * Changes identity facts of a stream (not its offset); a fact given as
   * undefined is removed. Does nothing for an unknown stream.
   */
  update(
    streamId: string,
    facts: Partial<Pick<Checkpoint, 'path' | 'dev' | 'ino' | 'head_bytes' | 'head' | 'last_seen'>>,
  ): void {
    const current = this.#streams.get(streamId);
    if (!current) return;
    const next: Checkpoint = { ...current, ...facts };
    for (const [key, value] of Object.entries(facts)) {
      if (value === undefined) delete next[key as keyof typeof facts];
    }
    this.#streams.set(streamId, next);
    this.#dirty = true;
  }

  forget(streamId: string): void {
    if (this.#streams.delete(streamId)) this.#dirty = true;
  }

  /** The epoch a new stream of `base` gets: one above every epoch known for it (0 for a new base). */
  nextEpoch(base: string): number {
    let next = 0;
    for (const [id, cp] of this.#streams) {
      if ((cp.base ?? id) === base) next = Math.max(next, (cp.epoch ?? 0) + 1);
    }
    return next;
  }

  /** Whether any stream (or its epochs) uses `base`. */
  hasBase(base: string): boolean {
    for (const [id, cp] of this.#streams) if ((cp.base ?? id) === base) return true;
    return false;
  }

  /** Marks a stream as being read by a file source of this process (not persisted). */
  attach(streamId: string): void {
    this.#attached.add(streamId);
  }

  detach(streamId: string): void {
    this.#attached.delete(streamId);
  }

  isAttached(streamId: string): boolean {
    return this.#attached.has(streamId);
  }

  /** Writes the checkpoints if anything changed; concurrent calls are serialized. */
  flush(): Promise<void> {
    // Run after the previous write even if it failed: one failure must not fail every later flush.
    this.#writing = this.#writing
      .catch(() => {})
      .then(async () => {
        if (!this.#dirty) return;
        this.#dirty = false;
        const body: CheckpointFile = { version: VERSION, streams: Object.fromEntries(this.#streams) };
        try {
          await writeFileAtomic(this.#file, `${JSON.stringify(body)}\n`);
        } catch (error) {
          this.#dirty = true;
          throw error;
        }
      });
    return this.#writing;
  }
}

/** A version-1 checkpoint knew its file by device and inode only, in its id. */
function upgrade(id: string, cp: Checkpoint): Checkpoint {
  const match = LEGACY_ID.exec(id);
  if (!match) return cp;
  return { ...cp, base: id, epoch: 0, dev: match[1] as string, ino: match[2] as string };
}
