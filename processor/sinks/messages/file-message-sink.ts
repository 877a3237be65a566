/** Alerts (or signals) as an NDJSON file of their values, for standalone mode. Each batch is fsynced. */
import { NdjsonAppendFile } from '../../../core/fs/ndjson-file.ts';
import type { MessageSink, OutboundMessage } from '../../detection/detector.ts';

export class FileMessageSink implements MessageSink {
  readonly name: string;
  readonly #file: NdjsonAppendFile;

  constructor(path: string) {
    this.#file = new NdjsonAppendFile(path);
    this.name = `file:${path}`;
  }

  start(): Promise<void> {
    return this.#file.open();
  }

  write(messages: readonly OutboundMessage[]): Promise<void> {
    return this.#file.append(messages.map((m) => m.value));
  }

  stop(): Promise<void> {
    return this.#file.close();
  }
}
