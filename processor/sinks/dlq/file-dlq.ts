/** Dead-letter queue as an NDJSON file, for standalone mode. Each batch is fsynced. */
import { mkdir, open } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { DeadLetter, DeadLetterSink } from '../event-sink.ts';

type FileHandle = Awaited<ReturnType<typeof open>>;

export class FileDeadLetterSink implements DeadLetterSink {
  readonly name = 'dlq-file';
  readonly #path: string;
  #handle: FileHandle | undefined;

  constructor(path: string) {
    this.#path = path;
  }

  async start(): Promise<void> {
    await mkdir(dirname(this.#path), { recursive: true });
    this.#handle = await open(this.#path, 'a');
  }

  async write(entries: readonly DeadLetter[]): Promise<void> {
    if (entries.length === 0) return;
    const handle = this.#handle;
    if (!handle) throw new Error('The dead-letter file is not open.');
    await handle.write(`${entries.map((e) => JSON.stringify(e)).join('\n')}\n`);
    await handle.datasync();
  }

  async stop(): Promise<void> {
    await this.#handle?.close();
    this.#handle = undefined;
  }
}
