/** Dead-letter queue as an NDJSON file, for standalone mode. Each batch is fsynced. */
import { NdjsonAppendFile } from '../../../core/fs/ndjson-file.ts';
import type { DeadLetter, DeadLetterSink } from '../event-sink.ts';

export class FileDeadLetterSink implements DeadLetterSink {
  readonly name = 'dlq-file';
  readonly #file: NdjsonAppendFile;

  constructor(path: string) {
    this.#file = new NdjsonAppendFile(path);
  }

  start(): Promise<void> {
    return this.#file.open();
  }

  write(entries: readonly DeadLetter[]): Promise<void> {
    return this.#file.append(entries);
  }

  stop(): Promise<void> {
    return this.#file.close();
  }
}
