/**
 * The in-process transport of standalone mode: a bounded queue between the
 * collector and the processor. `send` waits for room (backpressure) and then
 * for the processor to settle the batch, so the collector's checkpoints mean
 * the same thing as with Kafka: "downstream has it".
 */
import type { RawRecord } from '../event/raw-record.ts';
import type { BatchHandler, RecordSink } from './record-transport.ts';

interface Pending {
  records: readonly RawRecord[];
  resolve: () => void;
  reject: (error: unknown) => void;
}

export interface MemoryQueueOptions {
  /** Most records held in the queue; senders wait beyond it. */
  maxRecords: number;
  /** Most records handed to the handler at once. */
  maxBatchRecords?: number;
}

export class MemoryQueue implements RecordSink {
  readonly name = 'memory';
  readonly #maxRecords: number;
  readonly #maxBatch: number;
  readonly #queue: Pending[] = [];
  #queued = 0;
  #waitingForRoom: Array<() => void> = [];
  #wakeConsumer: (() => void) | undefined;
  #handler: BatchHandler | undefined;
  #loop: Promise<void> | undefined;
  #stopped = false;

  constructor(options: MemoryQueueOptions) {
    this.#maxRecords = options.maxRecords;
    this.#maxBatch = options.maxBatchRecords ?? 1000;
  }

  /** Number of records waiting for the processor. */
  get depth(): number {
    return this.#queued;
  }

  async start(): Promise<void> {}

  async send(records: readonly RawRecord[]): Promise<void> {
    if (records.length === 0) return;
    while (!this.#stopped && this.#queued > 0 && this.#queued + records.length > this.#maxRecords) {
      await new Promise<void>((resolve) => this.#waitingForRoom.push(resolve));
    }
    if (this.#stopped) throw new Error('The in-process queue is stopped.');
    return new Promise<void>((resolve, reject) => {
      this.#queue.push({ records, resolve, reject });
      this.#queued += records.length;
      this.#wakeConsumer?.();
    });
  }

  /** Starts handing queued batches to the handler, one batch at a time. */
  consume(handler: BatchHandler): Promise<void> {
    this.#handler = handler;
    this.#loop ??= this.#run();
    return this.#loop;
  }

  async #run(): Promise<void> {
    while (!this.#stopped) {
      if (this.#queue.length === 0) {
        await new Promise<void>((resolve) => {
          this.#wakeConsumer = resolve;
        });
        this.#wakeConsumer = undefined;
        continue;
      }
      const taken: Pending[] = [];
      let count = 0;
      while (
        this.#queue.length > 0 &&
        (taken.length === 0 || count + (this.#queue[0]?.records.length ?? 0) <= this.#maxBatch)
      ) {
        const next = this.#queue.shift() as Pending;
        taken.push(next);
        count += next.records.length;
      }
      const records = taken.length === 1 ? (taken[0] as Pending).records : taken.flatMap((p) => p.records);
      try {
        await (this.#handler as BatchHandler)(records);
        for (const p of taken) p.resolve();
      } catch (error) {
        for (const p of taken) p.reject(error);
      }
      this.#queued -= count;
      const waiting = this.#waitingForRoom;
      this.#waitingForRoom = [];
      for (const wake of waiting) wake();
    }
  }

  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#wakeConsumer?.();
    for (const wake of this.#waitingForRoom) wake();
    this.#waitingForRoom = [];
    await this.#loop;
    for (const p of this.#queue.splice(0))
      p.reject(new Error('The in-process queue stopped before this batch was processed.'));
  }
}
