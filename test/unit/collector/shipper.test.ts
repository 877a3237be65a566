import { afterEach, describe, expect, it } from 'vitest';
import { Shipper, type ShipperOptions } from '../../../collector/shipper.ts';
import type { RawRecord } from '../../../core/event/raw-record.ts';
import { silentLogger } from '../../../core/log.ts';
import { Metrics } from '../../../core/telemetry/metrics.ts';
import type { RecordSink } from '../../../core/transport/record-transport.ts';

interface Deferred {
  promise: Promise<void>;
  resolve: () => void;
}

function deferred(): Deferred {
  let resolve!: () => void;
  const promise = new Promise<void>((res) => {
    resolve = res;
  });
  return { promise, resolve };
}

/**
 * A transport that records every send. It can fail a number of sends, fail
 * every send, or hold each send until the test releases it.
 */
class FakeSink implements RecordSink {
  readonly name = 'fake';
  /** Offsets of every send attempt, in order. */
  readonly attempts: number[][] = [];
  /** When each send attempt started (ms since the epoch). */
  readonly attemptTimes: number[] = [];
  /** Offsets of the batches accepted, in order. */
  readonly accepted: number[][] = [];
  failuresLeft = 0;
  failAlways = false;
  holding = false;
  readonly #held: Deferred[] = [];

  async send(records: readonly RawRecord[]): Promise<void> {
    const offsets = records.map((r) => r.offset);
    this.attempts.push(offsets);
    this.attemptTimes.push(Date.now());
    if (this.holding) {
      const gate = deferred();
      this.#held.push(gate);
      await gate.promise;
    }
    if (this.failAlways || this.failuresLeft > 0) {
      this.failuresLeft -= 1;
      throw new Error('The broker is unreachable.');
    }
    this.accepted.push(offsets);
  }

  /** Number of sends waiting to be released. */
  get held(): number {
    return this.#held.length;
  }

  /** Lets the oldest held send finish. */
  releaseOne(): void {
    this.#held.shift()?.resolve();
  }

  /** Stops holding and lets every held send finish. */
  releaseAll(): void {
    this.holding = false;
    for (const gate of this.#held.splice(0)) gate.resolve();
  }

  async start(): Promise<void> {}
  async stop(): Promise<void> {}
}

function record(offset: number, line = `line ${offset}`): RawRecord {
  return {
    collector: { id: 'c1', version: '0.1.0' },
    host: { name: 'h1' },
    stream: { id: 'file:1:1', kind: 'file' },
    offset,
    line,
    dataset: 'generic',
    observed_at: '2026-11-24T10:00:00.000Z',
  };
}

function records(...offsets: number[]): RawRecord[] {
  return offsets.map((offset) => record(offset));
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

const cleanups: Array<() => Promise<void>> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

/** A started shipper over `sink`; stopped after the test. */
function startShipper(sink: FakeSink, options: Partial<ShipperOptions> = {}) {
  const metrics = new Metrics({ defaultMetrics: false });
  const shipper = new Shipper({
    sink,
    logger: silentLogger(),
    metrics,
    batchMaxRecords: 100,
    batchMaxBytes: 1_000_000,
    flushIntervalMs: 10,
    retryMaxMs: 10,
    ...options,
  });
  shipper.start();
  cleanups.push(async () => {
    sink.failAlways = false;
    sink.failuresLeft = 0;
    sink.releaseAll();
    await shipper.stop(50);
  });
  return { shipper, metrics };
}

/** Observes whether a promise has settled, without awaiting it. */
function track(promise: Promise<unknown>) {
  const state = { settled: false };
  void promise.then(() => {
    state.settled = true;
  });
  return state;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function until(condition: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(2);
  }
}

describe('Shipper', () => {
  it('ships pushed records to the sink', async () => {
    const sink = new FakeSink();
    const { shipper } = startShipper(sink);
    await shipper.push(records(1, 2, 3), () => {});
    await until(() => sink.accepted.length === 1);
    expect(sink.accepted).toEqual([[1, 2, 3]]);
  });

  it('cuts batches at batchMaxRecords', async () => {
    const sink = new FakeSink();
    const { shipper } = startShipper(sink, { batchMaxRecords: 2 });
    await shipper.push(records(1, 2, 3, 4, 5), () => {});
    await until(() => sink.accepted.flat().length === 5);
    expect(sink.accepted).toEqual([[1, 2], [3, 4], [5]]);
  });

  it('cuts batches at batchMaxBytes', async () => {
    const sink = new FakeSink();
    const { shipper } = startShipper(sink, { batchMaxBytes: 25 });
    const tenBytes = [1, 2, 3, 4, 5].map((offset) => record(offset, '0123456789'));
    await shipper.push(tenBytes, () => {});
    await until(() => sink.accepted.flat().length === 5);
    expect(sink.accepted).toEqual([[1, 2], [3, 4], [5]]);
  });

  it('ships a record larger than batchMaxBytes alone', async () => {
    const sink = new FakeSink();
    const { shipper } = startShipper(sink, { batchMaxBytes: 25 });
    await shipper.push([record(1, 'short'), record(2, 'x'.repeat(100)), record(3, 'short')], () => {});
    await until(() => sink.accepted.flat().length === 3);
    expect(sink.accepted).toEqual([[1], [2], [3]]);
  });

  it('ships a full batch without waiting for the flush interval', async () => {
    const sink = new FakeSink();
    const { shipper } = startShipper(sink, { batchMaxRecords: 3, flushIntervalMs: 60_000 });
    await shipper.push(records(1, 2, 3), () => {});
    await until(() => sink.accepted.length === 1, 1000);
    expect(sink.accepted).toEqual([[1, 2, 3]]);
  });

  it('holds a small batch until the flush interval passed', async () => {
    const sink = new FakeSink();
    const { shipper } = startShipper(sink, { flushIntervalMs: 150 });
    await shipper.push(records(1), () => {});
    await sleep(30);
    expect(sink.attempts).toEqual([]);
    await until(() => sink.accepted.length === 1);
    expect(sink.accepted).toEqual([[1]]);
  });

  it('acknowledges a group once its records are accepted', async () => {
    const sink = new FakeSink();
    const { shipper } = startShipper(sink);
    let acks = 0;
    await shipper.push(records(1, 2), () => {
      acks += 1;
    });
    await until(() => acks === 1);
    expect(sink.accepted).toEqual([[1, 2]]);
  });

  it('does not acknowledge a group while its batch is in flight', async () => {
    const sink = new FakeSink();
    sink.holding = true;
    const { shipper } = startShipper(sink);
    let acked = false;
    await shipper.push(records(1, 2), () => {
      acked = true;
    });
    await until(() => sink.held === 1);
    await sleep(20);
    expect(acked).toBe(false);
    sink.releaseOne();
    await until(() => acked);
  });

  it('acknowledges a group split across batches only after its last batch', async () => {
    const sink = new FakeSink();
    sink.holding = true;
    const { shipper } = startShipper(sink, { batchMaxRecords: 2 });
    let acked = false;
    await shipper.push(records(1, 2, 3), () => {
      acked = true;
    });
    await until(() => sink.held === 1);
    sink.releaseOne();
    await until(() => sink.accepted.length === 1 && sink.held === 1);
    expect(sink.accepted).toEqual([[1, 2]]);
    expect(acked).toBe(false);
    sink.releaseOne();
    await until(() => acked);
    expect(sink.accepted).toEqual([[1, 2], [3]]);
  });

  it('acknowledges groups in the order they were pushed', async () => {
    const sink = new FakeSink();
    const { shipper } = startShipper(sink, { batchMaxRecords: 2 });
    const acks: string[] = [];
    await shipper.push(records(1), () => acks.push('a'));
    await shipper.push(records(2, 3, 4), () => acks.push('b'));
    await shipper.push(records(5), () => acks.push('c'));
    await until(() => acks.length === 3);
    expect(acks).toEqual(['a', 'b', 'c']);
  });

  it('acknowledges an empty push at once', async () => {
    const sink = new FakeSink();
    const { shipper } = startShipper(sink);
    let acked = false;
    await shipper.push([], () => {
      acked = true;
    });
    expect(acked).toBe(true);
    expect(sink.attempts).toEqual([]);
  });

  it('retries a failed batch until the sink accepts it', async () => {
    const sink = new FakeSink();
    sink.failuresLeft = 3;
    const { shipper } = startShipper(sink);
    await shipper.push(records(1, 2), () => {});
    await until(() => sink.accepted.length === 1);
    expect(sink.attempts).toEqual([
      [1, 2],
      [1, 2],
      [1, 2],
      [1, 2],
    ]);
  });

  it('waits no longer than retryMaxMs between retries', async () => {
    const sink = new FakeSink();
    sink.failuresLeft = 1;
    const { shipper } = startShipper(sink, { retryMaxMs: 10 });
    await shipper.push(records(1), () => {});
    await until(() => sink.accepted.length === 1);
    const [first = 0, second = 0] = sink.attemptTimes;
    expect(second - first).toBeLessThan(150);
  });

  it('keeps every record and its order while the sink fails', async () => {
    const sink = new FakeSink();
    sink.failuresLeft = 2;
    const { shipper } = startShipper(sink, { batchMaxRecords: 3 });
    await shipper.push(records(1, 2, 3, 4), () => {});
    await shipper.push(records(5, 6, 7), () => {});
    await until(() => sink.accepted.flat().length === 7);
    expect(sink.accepted.flat()).toEqual(range(1, 7));
  });

  it('acknowledges a group only after a failing sink recovered', async () => {
    const sink = new FakeSink();
    sink.failAlways = true;
    const { shipper } = startShipper(sink);
    let acked = false;
    await shipper.push(records(1), () => {
      acked = true;
    });
    await until(() => sink.attempts.length >= 3);
    expect(acked).toBe(false);
    sink.failAlways = false;
    await until(() => acked);
    expect(sink.accepted).toEqual([[1]]);
  });

  it('reports itself unhealthy while sends fail and healthy again after one succeeds', async () => {
    const sink = new FakeSink();
    sink.failAlways = true;
    const { shipper } = startShipper(sink);
    expect(shipper.healthy).toBe(true);
    await shipper.push(records(1), () => {});
    await until(() => sink.attempts.length >= 1);
    expect(shipper.healthy).toBe(false);
    sink.failAlways = false;
    await until(() => sink.accepted.length === 1);
    expect(shipper.healthy).toBe(true);
  });

  it('counts shipped records and failed sends in its metrics', async () => {
    const sink = new FakeSink();
    sink.failuresLeft = 2;
    const { shipper, metrics } = startShipper(sink);
    await shipper.push(records(1, 2, 3), () => {});
    await until(() => sink.accepted.length === 1);
    const text = await metrics.text();
    expect(text).toContain('vigil_collector_records_shipped_total{transport="fake"} 3');
    expect(text).toContain('vigil_collector_ship_failures_total{transport="fake"} 2');
  });

  it('makes push wait while the buffer is full', async () => {
    const sink = new FakeSink();
    sink.holding = true;
    const { shipper } = startShipper(sink, { batchMaxRecords: 2, maxBufferedRecords: 2 });
    await shipper.push(records(1, 2), () => {});
    await until(() => sink.held === 1);
    await shipper.push(records(3, 4), () => {});
    const third = track(shipper.push(records(5), () => {}));
    await sleep(20);
    expect(third.settled).toBe(false);
    expect(shipper.buffered).toBe(2);
    sink.releaseOne();
    await until(() => third.settled);
    sink.releaseAll();
    await until(() => sink.accepted.flat().length === 5);
    expect(sink.accepted.flat()).toEqual([1, 2, 3, 4, 5]);
  });

  it('lets push proceed at once while the buffer has room', async () => {
    const sink = new FakeSink();
    sink.holding = true;
    const { shipper } = startShipper(sink, { batchMaxRecords: 2, maxBufferedRecords: 4 });
    await shipper.push(records(1, 2), () => {});
    await until(() => sink.held === 1);
    const next = track(shipper.push(records(3, 4, 5, 6), () => {}));
    await sleep(5);
    expect(next.settled).toBe(true);
    expect(shipper.buffered).toBe(4);
  });

  it('makes push wait while the buffered lines reach maxBufferedBytes', async () => {
    const sink = new FakeSink();
    sink.holding = true;
    const line = 'x'.repeat(100);
    const { shipper } = startShipper(sink, {
      batchMaxRecords: 2,
      maxBufferedRecords: 100,
      maxBufferedBytes: 250,
    });
    await shipper.push([record(1, line), record(2, line)], () => {});
    await until(() => sink.held === 1);
    await shipper.push([record(3, line), record(4, line)], () => {});
    expect(shipper.bufferedBytes).toBe(200);
    const third = track(shipper.push([record(5, line)], () => {}));
    await sleep(20);
    expect(third.settled).toBe(false);
    sink.releaseOne();
    await until(() => third.settled);
    sink.releaseAll();
    await until(() => sink.accepted.flat().length === 5);
    expect(sink.accepted.flat()).toEqual([1, 2, 3, 4, 5]);
  });

  it('defaults maxBufferedBytes to batchMaxBytes when that is below 256 KiB', async () => {
    const sink = new FakeSink();
    sink.holding = true;
    const line = 'x'.repeat(100);
    const { shipper } = startShipper(sink, { batchMaxRecords: 2, batchMaxBytes: 300 });
    await shipper.push([record(1, line), record(2, line)], () => {});
    await until(() => sink.held === 1);
    await shipper.push([record(3, line), record(4, line), record(5, line)], () => {});
    expect(shipper.hasRoom(1, 0)).toBe(true);
    expect(shipper.hasRoom(1, 1)).toBe(false);
  });

  it('takes a push larger than maxBufferedBytes when the buffer is empty', async () => {
    const sink = new FakeSink();
    const { shipper } = startShipper(sink, { maxBufferedBytes: 10 });
    expect(shipper.hasRoom(3, 1000)).toBe(true);
    const push = track(shipper.push([record(1, 'x'.repeat(500)), record(2, 'y'.repeat(500))], () => {}));
    await until(() => push.settled);
    await until(() => sink.accepted.flat().length === 2);
  });

  it('tells UDP there is no room once the buffered bytes would exceed the limit', async () => {
    const sink = new FakeSink();
    sink.holding = true;
    const { shipper } = startShipper(sink, { batchMaxRecords: 1, maxBufferedBytes: 150 });
    await shipper.push([record(1, 'x'.repeat(100))], () => {});
    await until(() => sink.held === 1);
    await shipper.push([record(2, 'x'.repeat(100))], () => {});
    expect(shipper.hasRoom(1, 50)).toBe(true);
    expect(shipper.hasRoom(1, 51)).toBe(false);
  });

  it('ships the buffered records when stopped', async () => {
    const sink = new FakeSink();
    const { shipper } = startShipper(sink, { flushIntervalMs: 60_000 });
    let acked = false;
    await shipper.push(records(1, 2, 3), () => {
      acked = true;
    });
    expect(sink.attempts).toEqual([]);
    await shipper.stop();
    expect(sink.accepted).toEqual([[1, 2, 3]]);
    expect(acked).toBe(true);
  });

  it('returns from stop after the drain timeout when the sink keeps failing, without acknowledging', async () => {
    const sink = new FakeSink();
    sink.failAlways = true;
    const { shipper } = startShipper(sink);
    let acked = false;
    await shipper.push(records(1), () => {
      acked = true;
    });
    await until(() => sink.attempts.length >= 1);
    const started = Date.now();
    await shipper.stop(100);
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(90);
    expect(elapsed).toBeLessThan(1000);
    expect(acked).toBe(false);
    expect(sink.accepted).toEqual([]);
  });

  it('neither ships nor acknowledges records pushed after stop', async () => {
    const sink = new FakeSink();
    const { shipper } = startShipper(sink);
    await shipper.stop();
    let acked = false;
    await shipper.push(records(1), () => {
      acked = true;
    });
    await sleep(30);
    expect(sink.attempts).toEqual([]);
    expect(acked).toBe(false);
  });

  it('releases a push waiting for room when stopped', async () => {
    const sink = new FakeSink();
    sink.holding = true;
    const { shipper } = startShipper(sink, { batchMaxRecords: 1, maxBufferedRecords: 1 });
    await shipper.push(records(1), () => {});
    await until(() => sink.held === 1);
    await shipper.push(records(2), () => {});
    const waiting = track(shipper.push(records(3), () => {}));
    const stopping = shipper.stop(50);
    await until(() => waiting.settled);
    sink.releaseAll();
    await stopping;
    expect(sink.accepted.flat()).not.toContain(3);
  });
});
