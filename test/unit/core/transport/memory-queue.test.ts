import { describe, expect, it } from 'vitest';
import type { RawRecord } from '../../../../core/event/raw-record.ts';
import { MemoryQueue } from '../../../../core/transport/memory-queue.ts';

function records(...offsets: number[]): RawRecord[] {
  return offsets.map((offset) => ({
    collector: { id: 'c1', version: '0.1.0' },
    host: { name: 'h1' },
    stream: { id: 'file:1:1', kind: 'file' },
    offset,
    line: `line at ${offset}`,
    dataset: 'generic',
    observed_at: '2026-11-24T10:00:00.000Z',
  }));
}

interface Deferred {
  promise: Promise<void>;
  resolve: () => void;
  reject: (error: unknown) => void;
}

function deferred(): Deferred {
  let resolve!: () => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/**
 * A batch handler the test settles by hand: each call is recorded with its
 * records and a deferred that decides how the call ends.
 */
function controlledHandler() {
  const calls: Array<{ offsets: number[] } & Deferred> = [];
  const handler = (batch: readonly RawRecord[]): Promise<void> => {
    const call = { offsets: batch.map((r) => r.offset), ...deferred() };
    calls.push(call);
    return call.promise;
  };
  return { calls, handler };
}

/** Observes whether a promise has settled, without awaiting it. */
function track(promise: Promise<void>) {
  const state = { settled: false, error: undefined as unknown };
  promise.then(
    () => {
      state.settled = true;
    },
    (error: unknown) => {
      state.settled = true;
      state.error = error;
    },
  );
  return state;
}

/** Lets pending promise callbacks and zero-delay timers run. */
function tick(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

async function until(condition: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await tick();
  }
}

describe('MemoryQueue', () => {
  it('hands sent records to the handler', async () => {
    const queue = new MemoryQueue({ maxRecords: 10 });
    const seen: number[] = [];
    void queue.consume(async (batch) => {
      seen.push(...batch.map((r) => r.offset));
    });
    await queue.send(records(1, 2, 3));
    expect(seen).toEqual([1, 2, 3]);
    await queue.stop();
  });

  it('resolves send only after the handler settled the batch', async () => {
    const queue = new MemoryQueue({ maxRecords: 10 });
    const { calls, handler } = controlledHandler();
    void queue.consume(handler);
    const sent = track(queue.send(records(1)));
    await until(() => calls.length === 1);
    await tick();
    expect(sent.settled).toBe(false);
    calls[0]?.resolve();
    await until(() => sent.settled);
    expect(sent.error).toBeUndefined();
    await queue.stop();
  });

  it('rejects send with the error of a handler that rejects', async () => {
    const queue = new MemoryQueue({ maxRecords: 10 });
    void queue.consume(async () => {
      throw new Error('processor is stopping');
    });
    await expect(queue.send(records(1))).rejects.toThrow('processor is stopping');
    await queue.stop();
  });

  it('keeps handing batches over after a handler rejection', async () => {
    const queue = new MemoryQueue({ maxRecords: 10 });
    let calls = 0;
    void queue.consume(async () => {
      calls += 1;
      if (calls === 1) throw new Error('first fails');
    });
    await expect(queue.send(records(1))).rejects.toThrow('first fails');
    await expect(queue.send(records(2))).resolves.toBeUndefined();
    await queue.stop();
  });

  it('resolves an empty send at once without calling the handler', async () => {
    const queue = new MemoryQueue({ maxRecords: 10 });
    const { calls, handler } = controlledHandler();
    void queue.consume(handler);
    await queue.send([]);
    expect(calls).toHaveLength(0);
    await queue.stop();
  });

  it('counts queued and in-flight records in its depth', async () => {
    const queue = new MemoryQueue({ maxRecords: 10 });
    const { calls, handler } = controlledHandler();
    void queue.consume(handler);
    const sent = queue.send(records(1, 2));
    await until(() => calls.length === 1);
    expect(queue.depth).toBe(2);
    calls[0]?.resolve();
    await sent;
    expect(queue.depth).toBe(0);
    await queue.stop();
  });

  it('makes a send wait while the queue is full', async () => {
    const queue = new MemoryQueue({ maxRecords: 2 });
    const { calls, handler } = controlledHandler();
    void queue.consume(handler);
    const first = track(queue.send(records(1, 2)));
    await until(() => calls.length === 1);
    const second = track(queue.send(records(3)));
    await tick();
    expect(queue.depth).toBe(2);
    expect(calls).toHaveLength(1);
    expect(second.settled).toBe(false);
    calls[0]?.resolve();
    await until(() => calls.length === 2);
    expect(first.settled).toBe(true);
    expect(calls[1]?.offsets).toEqual([3]);
    calls[1]?.resolve();
    await until(() => second.settled);
    expect(second.error).toBeUndefined();
    await queue.stop();
  });

  it('accepts a send that fits beside what is queued', async () => {
    const queue = new MemoryQueue({ maxRecords: 3 });
    const { calls, handler } = controlledHandler();
    void queue.consume(handler);
    const first = queue.send(records(1, 2));
    await until(() => calls.length === 1);
    const second = queue.send(records(3));
    await tick();
    expect(queue.depth).toBe(3);
    calls[0]?.resolve();
    await until(() => calls.length === 2);
    calls[1]?.resolve();
    await Promise.all([first, second]);
    await queue.stop();
  });

  it('accepts a batch larger than the capacity once the queue is empty', async () => {
    const queue = new MemoryQueue({ maxRecords: 2 });
    const seen: number[][] = [];
    void queue.consume(async (batch) => {
      seen.push(batch.map((r) => r.offset));
    });
    await queue.send(records(1, 2, 3, 4));
    expect(seen).toEqual([[1, 2, 3, 4]]);
    await queue.stop();
  });

  it('merges queued batches into one handler call', async () => {
    const queue = new MemoryQueue({ maxRecords: 100, maxBatchRecords: 10 });
    const { calls, handler } = controlledHandler();
    void queue.consume(handler);
    const first = queue.send(records(1));
    await until(() => calls.length === 1);
    const later = [queue.send(records(2, 3)), queue.send(records(4)), queue.send(records(5, 6))];
    calls[0]?.resolve();
    await until(() => calls.length === 2);
    expect(calls[1]?.offsets).toEqual([2, 3, 4, 5, 6]);
    calls[1]?.resolve();
    await Promise.all([first, ...later]);
    await queue.stop();
  });

  it('does not merge beyond maxBatchRecords', async () => {
    const queue = new MemoryQueue({ maxRecords: 100, maxBatchRecords: 3 });
    const { calls, handler } = controlledHandler();
    void queue.consume(handler);
    const first = queue.send(records(1));
    await until(() => calls.length === 1);
    const later = [queue.send(records(2, 3)), queue.send(records(4)), queue.send(records(5, 6))];
    calls[0]?.resolve();
    await until(() => calls.length === 2);
    expect(calls[1]?.offsets).toEqual([2, 3, 4]);
    calls[1]?.resolve();
    await until(() => calls.length === 3);
    expect(calls[2]?.offsets).toEqual([5, 6]);
    calls[2]?.resolve();
    await Promise.all([first, ...later]);
    await queue.stop();
  });

  it('rejects every send of a merged batch when the handler rejects it', async () => {
    const queue = new MemoryQueue({ maxRecords: 100 });
    const { calls, handler } = controlledHandler();
    void queue.consume(handler);
    const first = queue.send(records(1));
    await until(() => calls.length === 1);
    const later = [queue.send(records(2)), queue.send(records(3))];
    calls[0]?.resolve();
    await until(() => calls.length === 2);
    calls[1]?.reject(new Error('stopping'));
    await first;
    await expect(Promise.allSettled(later)).resolves.toEqual([
      { status: 'rejected', reason: expect.objectContaining({ message: 'stopping' }) },
      { status: 'rejected', reason: expect.objectContaining({ message: 'stopping' }) },
    ]);
    await queue.stop();
  });

  it('holds sent records until a handler starts consuming', async () => {
    const queue = new MemoryQueue({ maxRecords: 10 });
    const sent = queue.send(records(1));
    await tick();
    expect(queue.depth).toBe(1);
    const seen: number[] = [];
    void queue.consume(async (batch) => {
      seen.push(...batch.map((r) => r.offset));
    });
    await sent;
    expect(seen).toEqual([1]);
    await queue.stop();
  });

  it('lets the batch in hand finish when stopped', async () => {
    const queue = new MemoryQueue({ maxRecords: 10 });
    const { calls, handler } = controlledHandler();
    void queue.consume(handler);
    const sent = track(queue.send(records(1)));
    await until(() => calls.length === 1);
    const stopped = track(queue.stop());
    await tick();
    expect(stopped.settled).toBe(false);
    calls[0]?.resolve();
    await until(() => stopped.settled);
    expect(sent).toEqual({ settled: true, error: undefined });
  });

  it('rejects batches that were queued but not handed over when stopped', async () => {
    const queue = new MemoryQueue({ maxRecords: 10, maxBatchRecords: 1 });
    const { calls, handler } = controlledHandler();
    void queue.consume(handler);
    const inHand = queue.send(records(1));
    await until(() => calls.length === 1);
    const queued = queue.send(records(2));
    const stopped = queue.stop();
    calls[0]?.resolve();
    await stopped;
    await expect(inHand).resolves.toBeUndefined();
    await expect(queued).rejects.toThrow('stopped before this batch was processed');
    expect(calls).toHaveLength(1);
  });

  it('rejects a send that was waiting for room when stopped', async () => {
    const queue = new MemoryQueue({ maxRecords: 1 });
    const { calls, handler } = controlledHandler();
    void queue.consume(handler);
    void queue.send(records(1));
    await until(() => calls.length === 1);
    const waiting = queue.send(records(2));
    await tick();
    const stopped = queue.stop();
    await expect(waiting).rejects.toThrow('The in-process queue is stopped.');
    calls[0]?.resolve();
    await stopped;
  });

  it('rejects a send after it was stopped', async () => {
    const queue = new MemoryQueue({ maxRecords: 10 });
    void queue.consume(async () => {});
    await queue.stop();
    await expect(queue.send(records(1))).rejects.toThrow('The in-process queue is stopped.');
  });

  it('ends the consume promise when stopped while idle', async () => {
    const queue = new MemoryQueue({ maxRecords: 10 });
    const consuming = queue.consume(async () => {});
    await tick();
    await queue.stop();
    await expect(consuming).resolves.toBeUndefined();
  });
});
