import { cp, mkdtemp, open, readdir, rm, stat, truncate } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  DiskSpool,
  type DiskSpoolOptions,
  FRAME_HEADER_BYTES,
  SEGMENT_HEADER_BYTES,
} from '../../../../collector/spool/disk-spool.ts';
import { VigilError } from '../../../../core/errors.ts';
import { silentLogger } from '../../../../core/log.ts';
import { Metrics } from '../../../../core/telemetry/metrics.ts';

interface Line {
  n: number;
  line: string;
}

let root: string;
let opened: Array<DiskSpool<Line>> = [];

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'vigil-spool-'));
  opened = [];
});

afterEach(async () => {
  for (const spool of opened) await spool.close();
  await rm(root, { recursive: true, force: true });
});

/** Entries of one fixed size (the number is padded), so their frames are all alike. */
function line(n: number): Line {
  return { n, line: `<34>Oct 11 22:14:15 host app: message ${String(n).padStart(6, '0')} ${'x'.repeat(40)}` };
}

const FRAME_BYTES = FRAME_HEADER_BYTES + Buffer.byteLength(JSON.stringify(line(0)));

async function openSpool(
  options: Partial<DiskSpoolOptions> = {},
): Promise<{ spool: DiskSpool<Line>; metrics: Metrics; dir: string }> {
  const metrics = options.metrics ?? new Metrics({ defaultMetrics: false });
  const dir = options.dir ?? join(root, 'spool');
  const spool = new DiskSpool<Line>({
    dir,
    maxBytes: 1024 * 1024,
    segmentBytes: 4096,
    whenFull: 'block',
    logger: silentLogger(),
    name: 'tcp://127.0.0.1:5514',
    ...options,
    metrics,
  });
  await spool.open();
  opened.push(spool);
  return { spool, metrics, dir };
}

async function close(spool: DiskSpool<Line>): Promise<void> {
  await spool.close();
  opened = opened.filter((s) => s !== spool);
}

async function appendEach(spool: DiskSpool<Line>, from: number, to: number): Promise<number> {
  let last = 0;
  for (let n = from; n <= to; n++) last = await spool.append([line(n)]);
  return last;
}

async function readAll(spool: DiskSpool<Line>, batch = 1000): Promise<Array<{ seq: number; entry: Line }>> {
  const out: Array<{ seq: number; entry: Line }> = [];
  for (;;) {
    const entries = await spool.read(batch);
    if (entries.length === 0) return out;
    out.push(...entries);
  }
}

async function segmentFiles(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((name) => name.endsWith('.seg')).sort();
}

async function metric(metrics: Metrics, name: string, labels: Record<string, string> = {}): Promise<number> {
  const found = metrics.registry.getSingleMetric(name);
  if (!found) return 0;
  const { values } = await found.get();
  const value = values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l));
  return value?.value ?? 0;
}

/** Lets scheduled spool writes start, so a following read queues behind them. */
function tick(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

describe('DiskSpool appending and reading', () => {
  it('numbers appended entries from 1 and reads them back in order', async () => {
    const { spool } = await openSpool();
    expect(await spool.append([line(1), line(2), line(3)])).toBe(3);
    const entries = await spool.read(10);
    expect(entries).toEqual([
      { seq: 1, entry: line(1) },
      { seq: 2, entry: line(2) },
      { seq: 3, entry: line(3) },
    ]);
  });

  it('keeps the order across segment boundaries', async () => {
    const { spool, dir } = await openSpool({ segmentBytes: 4096 });
    for (let n = 1; n <= 200; n += 10) await spool.append(range(n, n + 9).map(line));
    expect((await segmentFiles(dir)).length).toBeGreaterThan(3);
    const entries = await readAll(spool, 7);
    expect(entries.map((e) => e.seq)).toEqual(range(1, 200));
    expect(entries.map((e) => e.entry.n)).toEqual(range(1, 200));
  });

  it('names each segment file by its first sequence number', async () => {
    const { spool, dir } = await openSpool({ segmentBytes: 4096 });
    await spool.append(range(1, 100).map(line));
    const perSegment = Math.floor((4096 - SEGMENT_HEADER_BYTES) / FRAME_BYTES);
    const files = await segmentFiles(dir);
    expect(files[0]).toBe('00000000000000000001.seg');
    expect(files[1]).toBe(`${String(1 + perSegment).padStart(20, '0')}.seg`);
  });

  it('continues after the last read position and returns nothing once all is read', async () => {
    const { spool } = await openSpool();
    await spool.append(range(1, 10).map(line));
    expect((await spool.read(4)).map((e) => e.seq)).toEqual([1, 2, 3, 4]);
    expect((await spool.read(4)).map((e) => e.seq)).toEqual([5, 6, 7, 8]);
    expect((await spool.read(4)).map((e) => e.seq)).toEqual([9, 10]);
    expect(await spool.read(4)).toEqual([]);
  });

  it('limits a read by bytes but always returns at least one entry', async () => {
    const { spool } = await openSpool();
    await spool.append(range(1, 10).map(line));
    expect(await spool.read(10, 1)).toHaveLength(1);
    const payload = FRAME_BYTES - FRAME_HEADER_BYTES;
    expect(await spool.read(10, payload * 3)).toHaveLength(3);
  });

  it('reads everything in order with byte-limited reads smaller than a read chunk, large entries included', async () => {
    const { spool } = await openSpool({ maxBytes: 64 * 1024 * 1024, segmentBytes: 16 * 1024 * 1024 });
    const entries = range(1, 3000).map((n) => ({ n, line: 'y'.repeat(n % 500 === 0 ? 200_000 : 300) }));
    await spool.append(entries);
    const seen: number[] = [];
    for (;;) {
      const batch = await spool.read(1000, 20 * 1024);
      if (batch.length === 0) break;
      let bytes = 0;
      for (const { entry } of batch) bytes += JSON.stringify(entry).length;
      // Within the limit, or a single entry that alone exceeds it.
      expect(batch.length === 1 || bytes <= 20 * 1024).toBe(true);
      for (const { seq, entry } of batch) {
        expect(entry.n).toBe(seq);
        seen.push(entry.n);
      }
    }
    expect(seen).toEqual(range(1, 3000));
  });

  it('reads entries appended after the reader reached the end', async () => {
    const { spool } = await openSpool();
    await spool.append([line(1)]);
    expect(await spool.read(10)).toHaveLength(1);
    await spool.append([line(2)]);
    expect(await spool.read(10)).toEqual([{ seq: 2, entry: line(2) }]);
  });

  it('goes back to the first unacknowledged entry on rewind', async () => {
    const { spool } = await openSpool();
    await spool.append(range(1, 5).map(line));
    await spool.read(5);
    await spool.ack(2);
    spool.rewind();
    expect((await spool.read(10)).map((e) => e.seq)).toEqual([3, 4, 5]);
  });

  it('serializes entries when they are appended, not later', async () => {
    const { spool } = await openSpool();
    const entry = line(1);
    const appended = spool.append([entry]);
    entry.line = 'changed';
    await appended;
    expect((await spool.read(1))[0]?.entry).toEqual(line(1));
  });

  it('resolves waitForData once there is something to read', async () => {
    const { spool } = await openSpool();
    let woken = false;
    const waiting = spool.waitForData().then(() => {
      woken = true;
    });
    await sleep(20);
    expect(woken).toBe(false);
    await spool.append([line(1)]);
    await waiting;
    expect(woken).toBe(true);
  });

  it('rejects waitForData with the reason of its aborted signal', async () => {
    const { spool } = await openSpool();
    const controller = new AbortController();
    const waiting = spool.waitForData(controller.signal);
    controller.abort(new Error('stopping'));
    await expect(waiting).rejects.toThrow('stopping');
  });

  it('rejects a pending waitForData when the spool closes', async () => {
    const { spool } = await openSpool();
    const waiting = expect(spool.waitForData()).rejects.toMatchObject({ code: 'SHUTDOWN' });
    await close(spool);
    await waiting;
  });
});

describe('DiskSpool group commit', () => {
  it('completes 1,000 concurrent appends with far fewer fsyncs than appends', async () => {
    const { spool } = await openSpool({ maxBytes: 64 * 1024 * 1024, segmentBytes: 1024 * 1024 });
    const before = spool.syncs;
    const seqs = await Promise.all(range(1, 1000).map((n) => spool.append([line(n)])));
    expect(seqs).toEqual(range(1, 1000));
    expect(spool.syncs - before).toBeLessThan(20);
    expect((await readAll(spool)).map((e) => e.entry.n)).toEqual(range(1, 1000));
  });

  it('waits syncIntervalMs for more appends before the fsync', async () => {
    const { spool } = await openSpool({ syncIntervalMs: 200 });
    const before = spool.syncs;
    const first = spool.append([line(1)]);
    await sleep(5);
    const second = spool.append([line(2)]);
    expect(await Promise.all([first, second])).toEqual([1, 2]);
    // Both share one fsync of the segment file.
    expect(spool.syncs - before).toBe(1);
  });

  it('shares one fsync between appends that arrive while a write is in flight', async () => {
    const { spool } = await openSpool({ maxBytes: 64 * 1024 * 1024, segmentBytes: 1024 * 1024 });
    await spool.append([line(0)]);
    const before = spool.syncs;
    const first = spool.append([line(1)]);
    await tick();
    // The first write has started; these queue behind it and go together.
    const rest = range(2, 101).map((n) => spool.append([line(n)]));
    await Promise.all([first, ...rest]);
    expect(spool.syncs - before).toBeLessThanOrEqual(2);
  });
});

describe('DiskSpool acknowledgements', () => {
  it('deletes segment files that hold only acknowledged entries', async () => {
    const { spool, dir } = await openSpool({ segmentBytes: 4096 });
    await spool.append(range(1, 200).map(line));
    await readAll(spool);
    const before = await segmentFiles(dir);
    await spool.ack(100);
    const after = await segmentFiles(dir);
    expect(after.length).toBeLessThan(before.length);
    // What is left starts with the segment holding entry 101.
    expect(Number(after[0]?.slice(0, 20))).toBeLessThanOrEqual(101);
    expect(Number(after[1]?.slice(0, 20))).toBeGreaterThan(101);
    await spool.ack(200);
    expect(await segmentFiles(dir)).toHaveLength(1);
  });

  it('reports the size of its segment files as bytes', async () => {
    const { spool, dir } = await openSpool({ segmentBytes: 4096 });
    await spool.append(range(1, 150).map(line));
    await spool.ack(60);
    let size = 0;
    for (const name of await segmentFiles(dir)) size += (await stat(join(dir, name))).size;
    expect(spool.bytes).toBe(size);
  });

  it('ignores an acknowledgement at or below the acknowledged position', async () => {
    const { spool } = await openSpool();
    await spool.append(range(1, 5).map(line));
    await spool.ack(3);
    await spool.ack(2);
    expect(spool.acked).toBe(3);
    expect(spool.entries).toBe(2);
  });

  it('cannot acknowledge entries that were never appended', async () => {
    const { spool } = await openSpool();
    await spool.append(range(1, 5).map(line));
    await spool.ack(50);
    expect(spool.acked).toBe(5);
    expect(await spool.append([line(6)])).toBe(6);
  });
});

describe('DiskSpool restarts', () => {
  it('resumes at the acknowledged position and sees unacknowledged entries again', async () => {
    const first = await openSpool();
    await first.spool.append(range(1, 10).map(line));
    await first.spool.read(10);
    await first.spool.ack(4);
    await close(first.spool);
    const second = await openSpool();
    expect(second.spool.acked).toBe(4);
    expect((await readAll(second.spool)).map((e) => e.seq)).toEqual(range(5, 10));
  });

  it('continues the sequence numbers after a restart', async () => {
    const first = await openSpool();
    await first.spool.append(range(1, 10).map(line));
    await close(first.spool);
    const second = await openSpool();
    expect(await second.spool.append([line(11)])).toBe(11);
  });

  it('continues the sequence numbers after everything was acknowledged and deleted', async () => {
    const first = await openSpool({ segmentBytes: 4096 });
    await first.spool.append(range(1, 100).map(line));
    await first.spool.ack(100);
    await close(first.spool);
    const second = await openSpool({ segmentBytes: 4096 });
    expect(await second.spool.append([line(101)])).toBe(101);
  });

  it('keeps every appended entry through a crash', async () => {
    const { spool, dir } = await openSpool({ segmentBytes: 4096 });
    await spool.append(range(1, 100).map(line));
    // A copy of the folder taken while the spool is open is what a crash leaves behind.
    const crashed = join(root, 'crashed');
    await cp(dir, crashed, { recursive: true });
    const after = await openSpool({ dir: crashed, segmentBytes: 4096 });
    expect((await readAll(after.spool)).map((e) => e.seq)).toEqual(range(1, 100));
    expect(await after.spool.append([line(101)])).toBe(101);
  });

  it('replays acknowledged entries whose position was not saved before a crash', async () => {
    const { spool, dir } = await openSpool({ cursorIntervalMs: 60_000 });
    await spool.append(range(1, 5).map(line));
    await spool.read(5);
    await spool.ack(3);
    const crashed = join(root, 'crashed');
    await cp(dir, crashed, { recursive: true });
    const after = await openSpool({ dir: crashed });
    expect((await readAll(after.spool)).map((e) => e.seq)).toEqual(range(1, 5));
  });

  it('saves the acknowledged position within cursorIntervalMs', async () => {
    const { spool, dir } = await openSpool({ cursorIntervalMs: 10 });
    await spool.append(range(1, 5).map(line));
    await spool.ack(3);
    await sleep(100);
    const crashed = join(root, 'crashed');
    await cp(dir, crashed, { recursive: true });
    const after = await openSpool({ dir: crashed });
    expect((await readAll(after.spool)).map((e) => e.seq)).toEqual([4, 5]);
  });
});

describe('DiskSpool corruption', () => {
  async function spoolWithFive(): Promise<{ dir: string; lastSegment: string }> {
    const { spool, dir } = await openSpool();
    for (let n = 1; n <= 5; n++) await spool.append([line(n)]);
    await close(spool);
    const files = await segmentFiles(dir);
    return { dir, lastSegment: join(dir, files.at(-1) as string) };
  }

  it('cuts off a torn tail at open, counts it, and keeps the entries before it', async () => {
    const { lastSegment } = await spoolWithFive();
    const { size } = await stat(lastSegment);
    await truncate(lastSegment, size - 7);
    const { spool, metrics } = await openSpool();
    expect(await metric(metrics, 'vigil_collector_spool_corrupt_total')).toBe(1);
    expect((await stat(lastSegment)).size).toBe(size - FRAME_BYTES);
    expect((await readAll(spool)).map((e) => e.entry.n)).toEqual([1, 2, 3, 4]);
  });

  it('detects a flipped byte in the last entry', async () => {
    const { lastSegment } = await spoolWithFive();
    const { size } = await stat(lastSegment);
    const handle = await open(lastSegment, 'r+');
    const byte = Buffer.alloc(1);
    await handle.read(byte, 0, 1, size - 3);
    byte[0] = (byte[0] as number) ^ 0x20;
    await handle.write(byte, 0, 1, size - 3);
    await handle.close();
    const { spool, metrics } = await openSpool();
    expect(await metric(metrics, 'vigil_collector_spool_corrupt_total')).toBe(1);
    expect((await readAll(spool)).map((e) => e.entry.n)).toEqual([1, 2, 3, 4]);
  });

  it('does not find the same corruption again at the next start', async () => {
    const { lastSegment } = await spoolWithFive();
    await truncate(lastSegment, (await stat(lastSegment)).size - 7);
    await close((await openSpool()).spool);
    const { spool, metrics } = await openSpool();
    expect(await metric(metrics, 'vigil_collector_spool_corrupt_total')).toBe(0);
    expect((await readAll(spool)).map((e) => e.entry.n)).toEqual([1, 2, 3, 4]);
  });

  it('never reuses the sequence numbers of a lost tail', async () => {
    const { lastSegment } = await spoolWithFive();
    await truncate(lastSegment, (await stat(lastSegment)).size - 7);
    const { spool } = await openSpool();
    const seq = await spool.append([line(6)]);
    expect(seq).toBeGreaterThan(5);
    await close(spool);
    const again = await openSpool();
    const entries = await readAll(again.spool);
    expect(entries.map((e) => e.entry.n)).toEqual([1, 2, 3, 4, 6]);
    expect(entries.at(-1)?.seq).toBe(seq);
    expect(await again.spool.append([line(7)])).toBe(seq + 1);
  });

  it('sets a newest segment with a broken header aside as .corrupt', async () => {
    const { spool, dir } = await openSpool({ segmentBytes: 4096 });
    await spool.append(range(1, 100).map(line));
    await close(spool);
    const files = await segmentFiles(dir);
    const newest = join(dir, files.at(-1) as string);
    const handle = await open(newest, 'r+');
    await handle.write(Buffer.alloc(SEGMENT_HEADER_BYTES), 0, SEGMENT_HEADER_BYTES, 0);
    await handle.close();
    const reopened = await openSpool({ segmentBytes: 4096 });
    expect(await metric(reopened.metrics, 'vigil_collector_spool_corrupt_total')).toBe(1);
    expect(await readdir(dir)).toContain(`${files.at(-1)}.corrupt`);
    const entries = await readAll(reopened.spool);
    expect(entries.map((e) => e.seq)).toEqual(range(1, Number(files.at(-1)?.slice(0, 20)) - 1));
  });

  it('cuts off corruption inside an older segment when reading it and goes on with the next one', async () => {
    const { spool, dir } = await openSpool({ segmentBytes: 4096 });
    await spool.append(range(1, 100).map(line));
    await close(spool);
    const files = await segmentFiles(dir);
    const second = Number(files[1]?.slice(0, 20));
    const handle = await open(join(dir, files[0] as string), 'r+');
    // A byte inside the JSON of the tenth entry.
    const at = SEGMENT_HEADER_BYTES + 9 * FRAME_BYTES + FRAME_HEADER_BYTES + 5;
    await handle.write(Buffer.from('#'), 0, 1, at);
    await handle.close();
    const reopened = await openSpool({ segmentBytes: 4096 });
    const entries = await readAll(reopened.spool);
    expect(entries.map((e) => e.seq)).toEqual([...range(1, 9), ...range(second, 100)]);
    expect(await metric(reopened.metrics, 'vigil_collector_spool_corrupt_total')).toBe(1);
    expect(await metric(reopened.metrics, 'vigil_collector_spool_dropped_total', { reason: 'corrupt' })).toBe(
      second - 10,
    );
    expect((await stat(join(dir, files[0] as string))).size).toBe(SEGMENT_HEADER_BYTES + 9 * FRAME_BYTES);
  });

  it('sets a corrupt cursor file aside and reads from the oldest entry on disk', async () => {
    const { spool, dir } = await openSpool();
    await spool.append(range(1, 5).map(line));
    await spool.ack(2);
    await close(spool);
    const handle = await open(join(dir, 'cursor.json'), 'w');
    await handle.write('{"version":1,');
    await handle.close();
    const reopened = await openSpool();
    expect(await metric(reopened.metrics, 'vigil_collector_spool_corrupt_total')).toBe(1);
    expect((await readAll(reopened.spool)).map((e) => e.seq)).toEqual(range(1, 5));
  });
});

describe('DiskSpool when full', () => {
  const small = { maxBytes: 8192, segmentBytes: 4096 } as const;

  it('makes appends wait under block until acknowledgements free space', async () => {
    const { spool } = await openSpool({ ...small, whenFull: 'block' });
    const done: number[] = [];
    const appends = range(1, 200).map((n) =>
      spool.append([line(n)]).then((seq) => {
        done.push(seq);
        return seq;
      }),
    );
    await tick();
    const firstBatch = await spool.read(1000);
    expect(done.length).toBeGreaterThan(0);
    expect(done.length).toBeLessThan(200);
    expect(firstBatch).toHaveLength(done.length);
    expect(spool.bytes).toBeLessThanOrEqual(small.maxBytes);
    await sleep(30);
    expect(done.length).toBe(firstBatch.length);

    await spool.ack(firstBatch.at(-1)?.seq as number);
    const read = [...firstBatch];
    while (read.length < 200) {
      await tick();
      const batch = await spool.read(1000);
      read.push(...batch);
      if (batch.length > 0) await spool.ack(batch.at(-1)?.seq as number);
      expect(spool.bytes).toBeLessThanOrEqual(small.maxBytes);
    }
    expect(await Promise.all(appends)).toEqual(range(1, 200));
    expect(read.map((e) => e.entry.n)).toEqual(range(1, 200));
  });

  it('lets a waiting append give up through its signal without writing it', async () => {
    const { spool } = await openSpool({ ...small, whenFull: 'block' });
    const filling = range(1, 200).map((n) => spool.append([line(n)]).catch(() => 0));
    await tick();
    const controller = new AbortController();
    const givingUp = spool.append([line(999)], { signal: controller.signal });
    controller.abort(new Error('client went away'));
    await expect(givingUp).rejects.toThrow('client went away');
    const read: number[] = [];
    while (read.length < 200) {
      await tick();
      const batch = await spool.read(1000);
      read.push(...batch.map((e) => e.entry.n));
      if (batch.length > 0) await spool.ack(batch.at(-1)?.seq as number);
    }
    await Promise.all(filling);
    expect(read).toEqual(range(1, 200));
  });

  it('drops the oldest unacknowledged segments under drop_oldest and counts every dropped entry', async () => {
    const { spool, metrics } = await openSpool({ ...small, whenFull: 'drop_oldest' });
    for (let n = 1; n <= 300; n++) {
      expect(await spool.append([line(n)])).toBe(n);
      expect(spool.bytes).toBeLessThanOrEqual(small.maxBytes + SEGMENT_HEADER_BYTES);
    }
    const dropped = await metric(metrics, 'vigil_collector_spool_dropped_total', { reason: 'full' });
    expect(dropped).toBeGreaterThan(0);
    const left = await readAll(spool);
    expect(left.map((e) => e.seq)).toEqual(range(dropped + 1, 300));
    expect(await metric(metrics, 'vigil_collector_spool_entries')).toBe(left.length);
  });

  it('drops older entries of the same burst when one burst is larger than the spool', async () => {
    const { spool, metrics } = await openSpool({ ...small, whenFull: 'drop_oldest' });
    const seqs = await Promise.all(range(1, 300).map((n) => spool.append([line(n)])));
    expect(seqs).toEqual(range(1, 300));
    expect(spool.bytes).toBeLessThanOrEqual(small.maxBytes + SEGMENT_HEADER_BYTES);
    const dropped = await metric(metrics, 'vigil_collector_spool_dropped_total', { reason: 'full' });
    const left = await readAll(spool);
    expect(dropped).toBeGreaterThan(0);
    expect(dropped + left.length).toBe(300);
    expect(left.at(-1)?.seq).toBe(300);
  });

  it('refuses appends still waiting for room when the spool closes', async () => {
    const { spool } = await openSpool({ ...small, whenFull: 'block' });
    const results = range(1, 200).map((n) =>
      spool.append([line(n)]).then(
        () => 'written',
        (error: VigilError) => error.code,
      ),
    );
    await tick();
    await close(spool);
    const outcomes = await Promise.all(results);
    expect(outcomes).toContain('written');
    expect(outcomes).toContain('SHUTDOWN');
    expect(outcomes.indexOf('SHUTDOWN')).toBe(outcomes.lastIndexOf('written') + 1);
  });

  it('moves the reader past dropped entries', async () => {
    const { spool } = await openSpool({ ...small, whenFull: 'drop_oldest' });
    await spool.append(range(1, 10).map(line));
    expect((await spool.read(3)).map((e) => e.seq)).toEqual([1, 2, 3]);
    await appendEach(spool, 11, 300);
    const next = await spool.read(1);
    expect(next[0]?.seq).toBeGreaterThan(10);
  });

  it('gives back acknowledged space in the segment still being written', async () => {
    const { spool, dir } = await openSpool({ ...small, whenFull: 'block' });
    const perSegment = Math.floor((small.segmentBytes - SEGMENT_HEADER_BYTES) / FRAME_BYTES);
    await spool.append(range(1, perSegment).map(line));
    await spool.ack(perSegment);
    expect(await segmentFiles(dir)).toEqual(['00000000000000000001.seg']);
    // Two segments' worth fits only once the acknowledged segment is given back; it must not wait.
    const batch = range(perSegment + 1, 3 * perSegment).map(line);
    expect(await spool.append(batch)).toBe(3 * perSegment);
    expect(await segmentFiles(dir)).not.toContain('00000000000000000001.seg');
    expect(spool.bytes).toBeLessThanOrEqual(small.maxBytes);
  });
});

describe('DiskSpool metrics and options', () => {
  it('exports size, backlog, appended, acknowledged counts per spool', async () => {
    const { spool, metrics } = await openSpool();
    await spool.append(range(1, 3).map(line));
    await spool.ack(1);
    const labels = { spool: 'tcp://127.0.0.1:5514' };
    expect(await metric(metrics, 'vigil_collector_spool_entries', labels)).toBe(2);
    expect(await metric(metrics, 'vigil_collector_spool_appended_total', labels)).toBe(3);
    expect(await metric(metrics, 'vigil_collector_spool_acked_total', labels)).toBe(1);
    expect(await metric(metrics, 'vigil_collector_spool_bytes', labels)).toBe(spool.bytes);
    expect(spool.bytes).toBe(SEGMENT_HEADER_BYTES + 3 * FRAME_BYTES);
  });

  it('refuses a segment size above half of max_bytes', () => {
    expect(
      () =>
        new DiskSpool({
          dir: root,
          maxBytes: 10_000,
          segmentBytes: 8_000,
          whenFull: 'block',
          logger: silentLogger(),
          metrics: new Metrics({ defaultMetrics: false }),
          name: 'x',
        }),
    ).toThrow(VigilError);
  });

  it('refuses an append that could never fit', async () => {
    const { spool } = await openSpool({ maxBytes: 8192, segmentBytes: 4096 });
    await expect(spool.append([{ n: 1, line: 'x'.repeat(9000) }])).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
    });
  });

  it('refuses an entry that is not JSON', async () => {
    const { spool } = await openSpool();
    await expect(spool.append([undefined as unknown as Line])).rejects.toBeInstanceOf(VigilError);
  });

  it('refuses appends after close', async () => {
    const { spool } = await openSpool();
    await close(spool);
    await expect(spool.append([line(1)])).rejects.toMatchObject({ code: 'SHUTDOWN' });
  });
});
