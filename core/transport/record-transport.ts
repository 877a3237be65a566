/**
 * The seam between the collector and the processor. In distributed mode it is
 * Kafka; in standalone mode (`vigil run`) it is an in-process bounded queue.
 * The stage code on either side is the same; only these implementations differ.
 */
import type { RawRecord } from '../event/raw-record.ts';

/** Where a collector ships batches. */
export interface RecordSink {
  readonly name: string;
  /**
   * Resolves once every record of the batch is durably accepted downstream
   * (Kafka acknowledged it with acks=all, or the in-process processor settled
   * it). Only then may the collector checkpoint past these records.
   */
  send(records: readonly RawRecord[]): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * What a processor does with a batch. Resolves once every record is settled:
 * indexed, or written to the dead-letter queue with the reason. Rejects only
 * when the processor is stopping, in which case nothing may be committed.
 */
export type BatchHandler = (records: readonly RawRecord[]) => Promise<void>;
