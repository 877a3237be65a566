/**
 * Persists file checkpoints (stream identity → next byte offset to read) in
 * one JSON file, replaced crash-safely. Offsets only move forward after the
 * transport acknowledged everything before them, so after a crash the
 * collector re-reads at most what was in flight, and the stable record
 * identities make that re-read harmless downstream.
 *
 * A corrupt checkpoint file is quarantined (renamed aside), counted and
 * logged; the collector then starts over from each file's beginning.
 */
import { mkdir, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../../core/fs/atomic-write.ts';
import type { Logger } from '../../core/log.ts';

export interface Checkpoint {
  /** Next byte to read; every byte before it is acknowledged downstream. */
  offset: number;
  /** Last path the stream was seen at (informational). */
  path: string;
  updated_at: string;
}

interface CheckpointFile {
  version: 1;
  streams: Record<string, Checkpoint>;
}

export class CheckpointStore {
  readonly #file: string;
  readonly #dir: string;
  readonly #logger: Logger;
  #streams = new Map<string, Checkpoint>();
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
      if (parsed.version !== 1 || typeof parsed.streams !== 'object' || parsed.streams === null) {
        throw new Error('unexpected checkpoint file shape');
      }
      for (const [id, cp] of Object.entries(parsed.streams)) {
        if (!Number.isSafeInteger(cp.offset) || cp.offset < 0) throw new Error(`bad offset for stream ${id}`);
        this.#streams.set(id, cp);
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

  /** Records progress in memory; `flush` makes it durable. Offsets never move backwards here. */
  advance(streamId: string, path: string, offset: number): void {
    const current = this.#streams.get(streamId);
    if (current && current.offset >= offset && current.path === path) return;
    this.#streams.set(streamId, {
      offset: Math.max(offset, current?.offset ?? 0),
      path,
      updated_at: new Date().toISOString(),
    });
    this.#dirty = true;
  }

  /** Resets a stream (e.g. after copytruncate) so reading restarts at `offset`. */
  reset(streamId: string, path: string, offset: number): void {
    this.#streams.set(streamId, { offset, path, updated_at: new Date().toISOString() });
    this.#dirty = true;
  }

  forget(streamId: string): void {
    if (this.#streams.delete(streamId)) this.#dirty = true;
  }

  /** Writes the checkpoints if anything changed; concurrent calls are serialized. */
  flush(): Promise<void> {
    // Run after the previous write even if it failed: one failure must not fail every later flush.
    this.#writing = this.#writing
      .catch(() => {})
      .then(async () => {
        if (!this.#dirty) return;
        this.#dirty = false;
        const body: CheckpointFile = { version: 1, streams: Object.fromEntries(this.#streams) };
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
