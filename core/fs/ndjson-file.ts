/** An NDJSON file opened for appending; every append is one write followed by fdatasync. */
import { mkdir, open } from 'node:fs/promises';
import { dirname } from 'node:path';

type FileHandle = Awaited<ReturnType<typeof open>>;

export class NdjsonAppendFile {
  readonly path: string;
  #handle: FileHandle | undefined;

  constructor(path: string) {
    this.path = path;
  }

  async open(): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true });
    this.#handle = await open(this.path, 'a');
  }

  /** Appends one line per value and resolves once they are on disk. */
  async append(values: readonly unknown[]): Promise<void> {
    if (values.length === 0) return;
    const handle = this.#handle;
    if (!handle) throw new Error(`${this.path} is not open.`);
    await handle.write(`${values.map((value) => JSON.stringify(value)).join('\n')}\n`);
    await handle.datasync();
  }

  async close(): Promise<void> {
    await this.#handle?.close();
    this.#handle = undefined;
  }
}
