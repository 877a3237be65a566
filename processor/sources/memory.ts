/** The processor's input in standalone mode: the in-process queue the collector ships into. */
import type { MemoryQueue } from '../../core/transport/memory-queue.ts';
import type { BatchHandler } from '../../core/transport/record-transport.ts';
import type { RecordInput } from '../processor.ts';

export class MemoryRecordInput implements RecordInput {
  readonly name = 'memory';
  readonly #queue: MemoryQueue;
  #loop: Promise<void> | undefined;

  constructor(queue: MemoryQueue) {
    this.#queue = queue;
  }

  async start(handler: BatchHandler): Promise<void> {
    this.#loop = this.#queue.consume(handler);
  }

  ready(): boolean {
    return this.#loop !== undefined;
  }

  async stop(): Promise<void> {
    await this.#queue.stop();
    await this.#loop;
  }
}
