/**
 * Batches records from the collector's sources and ships them through the
 * transport (Kafka or the in-process queue), one batch in flight at a time so
 * per-stream order holds. A failed batch is retried with backoff, never
 * dropped; while it waits, the bounded buffer fills and sources pause reading
 * (backpressure) instead of holding unbounded memory.
 *
 * Sources push groups of records with an acknowledgement callback; it fires
 * once every record of the group is accepted downstream, and that is when a
 * source may checkpoint past them.
 */
import type { RawRecord } from '../core/event/raw-record.ts';
import type { Logger } from '../core/log.ts';
import type { Metrics } from '../core/telemetry/metrics.ts';
import type { RecordSink } from '../core/transport/record-transport.ts';

/** Default of `maxBufferedBytes`: larger buffers cost memory and gain no throughput (bench/BENCHMARKS.md, 2026-11-25). */
export const DEFAULT_MAX_BUFFERED_BYTES = 256 * 1024;

export interface ShipperOptions {
  sink: RecordSink;
  logger: Logger;
  metrics: Metrics;
  /** Most records in one batch. */
  batchMaxRecords: number;
  /** Most bytes (of lines) in one batch. */
  batchMaxBytes: number;
  /** Longest time a record waits before its batch is sent. */
  flushIntervalMs: number;
  /** Most records buffered before `push` makes sources wait; default 4 × batchMaxRecords. */
  maxBufferedRecords?: number;
  /**
   * Most bytes (of lines) buffered before `push` makes sources wait (UDP
   * drops); default 256 KiB (or batchMaxBytes when smaller). A batch is taken
   * from the buffer, so batches never exceed it either. Records take several
   * times their line's size in memory (a syslog record ≈ 3 ×: parsed header,
   * object headers), so this bounds the collector's memory where the record
   * count alone does not; one batch in flight and one buffered keep the
   * transport busy.
   */
  maxBufferedBytes?: number;
  /** Longest pause between retries of a failed batch. */
  retryMaxMs?: number;
}

interface Group {
  remaining: number;
  onAck: () => void;
  /** The input the records came from (one push comes from one input), as a metric label. */
  input: string;
}

interface Entry {
  record: RawRecord;
  group: Group;
}

export class Shipper {
  readonly #options: ShipperOptions;
  readonly #buffer: Entry[] = [];
  #bufferedBytes = 0;
  /** A source was turned away since the last batch was taken. */
  #full = false;
  #waitingForRoom: Array<() => void> = [];
  #wake: (() => void) | undefined;
  /** Cuts a retry pause short; only stopping does that (new records must not hasten retries). */
  #wakeRetry: (() => void) | undefined;
  #loop: Promise<void> | undefined;
  #stopping = false;
  #stopped = false;
  #lastSendOk = true;
  readonly #sent;
  readonly #sentByInput;
  readonly #sentBytesByInput;
  readonly #failures;
  readonly #buffered;

  constructor(options: ShipperOptions) {
    this.#options = options;
    const { metrics } = options;
    this.#sent = metrics.counter(
      'vigil_collector_records_shipped_total',
      'Records accepted by the transport.',
      ['transport'],
    );
    this.#sentByInput = metrics.counter(
      'vigil_collector_sent_records_total',
      'Records acknowledged by the transport, by input (file:<dataset> or <protocol>://<listener>).',
      ['input'],
    );
    this.#sentBytesByInput = metrics.counter(
      'vigil_collector_sent_bytes_total',
      'Bytes of lines acknowledged by the transport, by input.',
      ['input'],
    );
    this.#failures = metrics.counter(
      'vigil_collector_ship_failures_total',
      'Batches that failed and were retried.',
      ['transport'],
    );
    this.#buffered = metrics.gauge('vigil_collector_buffered_records', 'Records waiting to be shipped.');
  }

  /** True while the last send attempt succeeded (used for readiness). */
  get healthy(): boolean {
    return this.#lastSendOk;
  }

  /** True once `stop` was called: `push` accepts nothing more. */
  get stopping(): boolean {
    return this.#stopping;
  }

  get buffered(): number {
    return this.#buffer.length;
  }

  /** Bytes of lines buffered. */
  get bufferedBytes(): number {
    return this.#bufferedBytes;
  }

  /**
   * Whether `count` more records with `bytes` of lines fit without waiting
   * (for sources that cannot wait, like UDP).
   */
  hasRoom(count: number, bytes = 0): boolean {
    if (this.#stopping) return false;
    if (this.#fits(count, bytes)) return true;
    this.#sendNow();
    return false;
  }

  /** Whether records fit in the buffer; anything fits an empty buffer, so an oversized push never waits forever. */
  #fits(count: number, bytes: number): boolean {
    if (this.#buffer.length === 0) return true;
    const maxRecords = this.#options.maxBufferedRecords ?? this.#options.batchMaxRecords * 4;
    const maxBytes =
      this.#options.maxBufferedBytes ?? Math.min(this.#options.batchMaxBytes, DEFAULT_MAX_BUFFERED_BYTES);
    return this.#buffer.length + count <= maxRecords && this.#bufferedBytes + bytes <= maxBytes;
  }

  start(): void {
    this.#loop ??= this.#run();
  }

  /**
   * Queues records for shipping; waits while the buffer is full. `onAck` is
   * called once all of them are accepted downstream.
   */
  async push(records: readonly RawRecord[], onAck: () => void): Promise<void> {
    if (records.length === 0) {
      onAck();
      return;
    }
    let bytes = 0;
    for (const record of records) bytes += record.line.length;
    while (!this.#stopping && !this.#fits(records.length, bytes)) {
      this.#sendNow();
      await new Promise<void>((resolve) => this.#waitingForRoom.push(resolve));
    }
    if (this.#stopping) return;
    const group: Group = { remaining: records.length, onAck, input: inputLabel(records[0] as RawRecord) };
    for (const record of records) this.#buffer.push({ record, group });
    this.#bufferedBytes += bytes;
    this.#buffered.set(this.#buffer.length);
    if (
      this.#buffer.length >= this.#options.batchMaxRecords ||
      this.#bufferedBytes >= this.#options.batchMaxBytes
    ) {
      this.#wake?.();
    }
  }

  async #run(): Promise<void> {
    const { flushIntervalMs } = this.#options;
    while (!this.#stopped) {
      if (this.#buffer.length === 0 || (!this.#stopping && !this.#batchIsFull())) {
        if (this.#stopping && this.#buffer.length === 0) break;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, flushIntervalMs);
          this.#wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        this.#wake = undefined;
        if (this.#buffer.length === 0) continue;
      }
      const batch = this.#takeBatch();
      const shipped = await this.#sendWithRetry(batch.map((e) => e.record));
      if (!shipped || this.#stopped) {
        // Stopping while the transport is down (or a send that outlived the drain
        // timeout): these records stay unacknowledged and are read again on the
        // next start — a duplicate at worst, never a loss.
        break;
      }
      this.#sent.inc({ transport: this.#options.sink.name }, batch.length);
      const perInput = new Map<string, { records: number; bytes: number }>();
      for (const entry of batch) {
        const counts = perInput.get(entry.group.input);
        if (counts) {
          counts.records += 1;
          counts.bytes += entry.record.line.length;
        } else perInput.set(entry.group.input, { records: 1, bytes: entry.record.line.length });
        entry.group.remaining -= 1;
        if (entry.group.remaining === 0) entry.group.onAck();
      }
      for (const [input, counts] of perInput) {
        this.#sentByInput.inc({ input }, counts.records);
        this.#sentBytesByInput.inc({ input }, counts.bytes);
      }
      const waiting = this.#waitingForRoom;
      this.#waitingForRoom = [];
      for (const wake of waiting) wake();
    }
  }

  #batchIsFull(): boolean {
    return (
      this.#full ||
      this.#buffer.length >= this.#options.batchMaxRecords ||
      this.#bufferedBytes >= this.#options.batchMaxBytes
    );
  }

  /**
   * The buffer turned a source away (a push waits, UDP drops): ship what is
   * there without waiting for the flush interval, or a buffer limit below one
   * batch would hold every batch back that long.
   */
  #sendNow(): void {
    this.#full = true;
    this.#wake?.();
  }

  #takeBatch(): Entry[] {
    let bytes = 0;
    let count = 0;
    while (count < this.#buffer.length && count < this.#options.batchMaxRecords) {
      const size = (this.#buffer[count] as Entry).record.line.length;
      if (count > 0 && bytes + size > this.#options.batchMaxBytes) break;
      bytes += size;
      count += 1;
    }
    const batch = this.#buffer.splice(0, count);
    this.#full = false;
    this.#bufferedBytes -= bytes;
    this.#buffered.set(this.#buffer.length);
    return batch;
  }

  async #sendWithRetry(records: RawRecord[]): Promise<boolean> {
    const { sink, logger } = this.#options;
    const maxDelay = this.#options.retryMaxMs ?? 10_000;
    let delay = Math.min(200, maxDelay);
    for (let attempt = 1; ; attempt++) {
      try {
        await sink.send(records);
        if (!this.#lastSendOk) logger.info({ transport: sink.name }, 'Shipping works again.');
        this.#lastSendOk = true;
        return true;
      } catch (error) {
        this.#lastSendOk = false;
        this.#failures.inc({ transport: sink.name });
        if (attempt === 1 || attempt % 10 === 0) {
          logger.warn(
            { transport: sink.name, attempt, records: records.length, err: error },
            'Shipping a batch failed; it will be retried and nothing is dropped.',
          );
        }
        if (this.#stopped) return false;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, delay);
          this.#wakeRetry = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        this.#wakeRetry = undefined;
        if (this.#stopped) return false;
        delay = Math.min(delay * 2, maxDelay);
      }
    }
  }

  /**
   * Stops accepting records and ships what is buffered, waiting at most
   * `drainTimeoutMs`. Records not shipped by then stay unacknowledged.
   */
  async stop(drainTimeoutMs = 10_000): Promise<void> {
    if (this.#stopping) return this.#loop;
    this.#stopping = true;
    for (const wake of this.#waitingForRoom) wake();
    this.#waitingForRoom = [];
    this.#wake?.();
    let timer: NodeJS.Timeout | undefined;
    const drainTimeout = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        this.#stopped = true;
        this.#wake?.();
        this.#wakeRetry?.();
        resolve();
      }, drainTimeoutMs);
    });
    // A send stuck in the transport (a broker that does not answer) cannot be
    // interrupted; after the drain timeout it is abandoned. Its records were
    // never acknowledged, so they are read again after the restart.
    await Promise.race([this.#loop, drainTimeout]);
    clearTimeout(timer);
    this.#stopped = true;
  }
}

/** The input a record came from, as used in metric labels: `file:<dataset>` or `<protocol>://<listener>`. */
export function inputLabel(record: RawRecord): string {
  if (record.listener) return `${record.listener.protocol}://${record.listener.address}`;
  return `${record.stream.kind}:${record.dataset}`;
}
