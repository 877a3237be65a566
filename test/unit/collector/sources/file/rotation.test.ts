import {
  appendFile,
  copyFile,
  mkdir,
  open,
  rename,
  symlink,
  truncate,
  unlink,
  writeFile,
} from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fileSourceHarness, inodeStreamOf, severalPolls, sleep, until } from './harness.ts';

const t = fileSourceHarness();

function numbered(from: number, to: number, prefix = 'line'): string {
  let text = '';
  for (let i = from; i <= to; i++) text += `${prefix} ${i}\n`;
  return text;
}

function expectEachOnce(lines: string[], expected: string[]): void {
  expect([...lines].sort()).toEqual([...expected].sort());
}

describe('FileSource rotation', () => {
  describe('by rename', () => {
    it('reads the renamed file to its end even when the new name is outside the paths', async () => {
      const path = join(t.dir, 'app.log');
      await writeFile(path, 'one\n');
      const { sink, lines } = await t.tail();
      await until(() => sink.received.length === 1);
      await rename(path, join(t.dir, 'app.log.1'));
      await appendFile(join(t.dir, 'app.log.1'), 'two (written late to the old file)\n');
      await until(() => sink.received.length === 2);
      expect(lines()).toEqual(['one', 'two (written late to the old file)']);
      expect(sink.received[1]?.stream.id).toBe(sink.received[0]?.stream.id);
      expect(sink.received[1]?.offset).toBe(4);
    });

    it('reads the new file at the old path as a new stream', async () => {
      const path = join(t.dir, 'app.log');
      await writeFile(path, 'old\n');
      const { sink } = await t.tail();
      await until(() => sink.received.length === 1);
      await rename(path, join(t.dir, 'app.log.1'));
      await writeFile(path, 'new\n');
      await until(() => sink.received.length === 2);
      expect(sink.received[1]).toMatchObject({ line: 'new', offset: 0, file: { path } });
      expect(sink.received[1]?.stream.id).not.toBe(sink.received[0]?.stream.id);
    });

    it('releases the renamed file once it stopped growing for rotate_wait_ms', async () => {
      const path = join(t.dir, 'app.log');
      await writeFile(path, 'one\n');
      const { sink, logs, metric } = await t.tail({ rotate_wait_ms: 50, dataset: 'app' });
      await until(() => sink.received.length === 1);
      expect(await metric('vigil_collector_files_tracked{dataset="app"} 1')).toBe(true);
      await rename(path, join(t.dir, 'app.log.1'));
      await until(() =>
        logs.some((l) => l.msg === 'A file that left the watched paths was read to its end and released.'),
      );
      expect(await metric('vigil_collector_files_tracked{dataset="app"} 0')).toBe(true);
    });

    it('holds the renamed file while it keeps growing', async () => {
      const path = join(t.dir, 'app.log');
      await writeFile(path, 'one\n');
      const { sink, logs } = await t.tail({ rotate_wait_ms: 150 });
      await until(() => sink.received.length === 1);
      const renamed = join(t.dir, 'app.log.1');
      await rename(path, renamed);
      for (let i = 0; i < 6; i++) {
        await sleep(50);
        await appendFile(renamed, `late ${i}\n`);
      }
      await until(() => sink.received.length === 7);
      expect(logs.some((l) => l.msg.includes('released'))).toBe(false);
    });

    it('resumes a renamed file that comes back into the paths after a restart', async () => {
      const path = join(t.dir, 'app.log');
      await writeFile(path, 'one\n');
      const first = await t.tail();
      await until(() => first.sink.received.length === 1);
      await first.stop();
      await rename(path, join(t.dir, 'app-1.log'));
      await appendFile(join(t.dir, 'app-1.log'), 'two\n');
      const second = await t.tail();
      await until(() => second.sink.received.length === 1);
      await severalPolls();
      expect(second.sink.received.map((r) => [r.line, r.offset, r.stream.id])).toEqual([
        ['two', 4, first.sink.received[0]?.stream.id],
      ]);
    });
  });

  describe('when a file is deleted while open', () => {
    it('reads it to its end through the open descriptor', async () => {
      const path = join(t.dir, 'app.log');
      const writer = await open(path, 'a');
      try {
        await writer.write('one\n');
        const { sink, lines } = await t.tail({ rotate_wait_ms: 200 });
        await until(() => sink.received.length === 1);
        await unlink(path);
        await writer.write('two\nthree\n');
        await until(() => sink.received.length === 3);
        expect(lines()).toEqual(['one', 'two', 'three']);
      } finally {
        await writer.close();
      }
    });

    it('emits its partial last line when it lets the file go', async () => {
      const path = join(t.dir, 'app.log');
      await writeFile(path, 'one\ntail without newline');
      const { sink } = await t.tail({ rotate_wait_ms: 30, flush_partial_after_ms: 0 });
      await until(() => sink.received.length === 1);
      await unlink(path);
      await until(() => sink.received.length === 2);
      expect(sink.received[1]).toMatchObject({
        line: 'tail without newline',
        offset: 4,
        flags: ['unterminated'],
      });
    });
  });

  describe('when a symbolic link is swapped', () => {
    it('follows the link, reads the old target to its end and the new target as a new stream', async () => {
      const targets = join(t.dir, 'targets');
      await mkdir(targets);
      const a = join(targets, 'a.txt');
      const b = join(targets, 'b.txt');
      await writeFile(a, 'a one\n');
      await writeFile(b, 'b one\n');
      const link = join(t.dir, 'app.log');
      await symlink(a, link);
      const { sink, lines } = await t.tail({ rotate_wait_ms: 200 });
      await until(() => sink.received.length === 1);
      expect(sink.received[0]?.file?.path).toBe(link);
      await symlink(b, join(t.dir, 'swap.tmp'));
      await rename(join(t.dir, 'swap.tmp'), link);
      await appendFile(a, 'a two\n');
      await until(() => sink.received.length === 3);
      expectEachOnce(lines(), ['a one', 'a two', 'b one']);
      const byLine = new Map(sink.received.map((r) => [r.line, r.stream.id]));
      expect(byLine.get('a two')).toBe(byLine.get('a one'));
      expect(byLine.get('b one')).not.toBe(byLine.get('a one'));
    });
  });

  describe('by copytruncate', () => {
    it('does not read the copy again when it holds only lines already read', async () => {
      const path = join(t.dir, 'app.log');
      await writeFile(path, numbered(1, 5));
      const { sink, lines, metric } = await t.tail({ dataset: 'app' });
      await until(() => sink.received.length === 5);
      await copyFile(path, join(t.dir, 'app-1.log'));
      await truncate(path, 0);
      await appendFile(path, numbered(6, 8));
      await until(() => sink.received.length === 8);
      await until(() => metric('vigil_collector_file_copies_resumed_total{dataset="app"} 1'));
      await severalPolls();
      expectEachOnce(
        lines(),
        Array.from({ length: 8 }, (_, i) => `line ${i + 1}`),
      );
    });

    it('reads the lines that only the copy holds, under their original identities', async () => {
      const path = join(t.dir, 'app.log');
      await writeFile(path, numbered(1, 1000));
      // Hold the transport so the reader stops (backpressure) before the end of the file.
      const { sink, lines } = await t.tail({}, { holdSends: true });
      await until(() => sink.attempts >= 1);
      await severalPolls();
      await copyFile(path, join(t.dir, 'app-1.log'));
      await truncate(path, 0);
      await appendFile(path, numbered(1001, 1003));
      sink.releaseAll();
      await until(() => sink.received.length >= 1003, 5000);
      await severalPolls();
      expectEachOnce(
        lines(),
        Array.from({ length: 1003 }, (_, i) => `line ${i + 1}`),
      );
      const original = sink.received.find((r) => r.line === 'line 1')?.stream.id;
      expect(sink.received.find((r) => r.line === 'line 1000')?.stream.id).toBe(original);
      expect(sink.received.find((r) => r.line === 'line 1001')?.stream.id).not.toBe(original);
    });

    it('tells a copy made just before the truncation from a new file', async () => {
      const path = join(t.dir, 'app.log');
      await writeFile(path, numbered(1, 50));
      const { sink, lines } = await t.tail({}, { settleMs: 500 });
      await until(() => sink.received.length === 50);
      await copyFile(path, join(t.dir, 'app-1.log'));
      await sleep(100);
      await truncate(path, 0);
      await appendFile(path, numbered(51, 52));
      await until(() => sink.received.length >= 52);
      await sleep(600);
      expectEachOnce(
        lines(),
        Array.from({ length: 52 }, (_, i) => `line ${i + 1}`),
      );
    });

    it('reads from the copy what was written before a rotation while the collector was down', async () => {
      const path = join(t.dir, 'app.log');
      const prefix = 'a line long enough that forty of them make a full fingerprint';
      const before = numbered(1, 40, prefix);
      await writeFile(path, before);
      const first = await t.tail();
      await until(() => first.sink.received.length === 40);
      await first.stop();
      await appendFile(path, numbered(41, 42, prefix));
      await copyFile(path, join(t.dir, 'app-1.log'));
      await truncate(path, 0);
      await appendFile(path, numbered(43, 44, prefix));
      const second = await t.tail();
      await until(() => second.sink.received.length === 4);
      await severalPolls();
      const stream = first.sink.received[0]?.stream.id;
      const size = Buffer.byteLength(`${prefix} 41\n`);
      const seen = second.sink.received.map((r) => [r.line, r.stream.id, r.offset]);
      expect(seen).toEqual(
        expect.arrayContaining([
          [`${prefix} 41`, stream, before.length],
          [`${prefix} 42`, stream, before.length + size],
          [`${prefix} 43`, `${stream}#1`, 0],
          [`${prefix} 44`, `${stream}#1`, size],
        ]),
      );
      expect(seen).toHaveLength(4);
    });

    it('does not take a new file for the copy of a deleted one because it starts with the same lines', async () => {
      const old = join(t.dir, 'old.log');
      await writeFile(old, 'same first line\n');
      const { sink, lines } = await t.tail({ rotate_wait_ms: 0 });
      await until(() => sink.received.length === 1);
      await unlink(old);
      await severalPolls();
      await writeFile(join(t.dir, 'new.log'), 'same first line\nsecond line\n');
      await until(() => sink.received.length === 3);
      expect(lines()).toEqual(['same first line', 'same first line', 'second line']);
    });
  });

  describe('while lines are being written', () => {
    const total = 5000;
    const every = 500;
    const expected = Array.from({ length: total }, (_, i) => `line ${i + 1}`);

    it('delivers every line once when the file is rotated by rename into the paths', async () => {
      const path = join(t.dir, 'app.log');
      await writeFile(path, '');
      const { sink, lines } = await t.tail({ paths: [join(t.dir, 'app.log*')], rotate_wait_ms: 100 });
      for (let i = 1; i <= total; i += 50) {
        await appendFile(path, numbered(i, i + 49));
        if ((i + 49) % every === 0) {
          await rename(path, join(t.dir, `app.log.${i + 49}`));
          await writeFile(path, '');
        }
        if (i % 250 === 1) await sleep(2);
      }
      await until(() => sink.received.length >= total, 10_000);
      await severalPolls();
      expectEachOnce(lines(), expected);
    });

    it('delivers every line once when the file is renamed out of the paths after it was seen', async () => {
      const path = join(t.dir, 'app.log');
      await writeFile(path, '');
      const { sink, lines } = await t.tail({ rotate_wait_ms: 100 });
      for (let i = 1; i <= total; i += 50) {
        await appendFile(path, numbered(i, i + 49));
        if ((i + 49) % every === 0) {
          // A file must be there for a poll to be found at all (as with any polling tailer).
          await severalPolls();
          await rename(path, join(t.dir, `app.log.${i + 49}`));
          await writeFile(path, '');
        }
      }
      await until(() => sink.received.length >= total, 10_000);
      await severalPolls();
      expectEachOnce(lines(), expected);
    });

    it('holds files renamed out of the paths right after they appeared (faster than a poll)', async () => {
      const path = join(t.dir, 'app.log');
      await writeFile(path, '');
      const { sink, lines } = await t.tail({ rotate_wait_ms: 100 });
      for (let i = 1; i <= total; i += 50) {
        await appendFile(path, numbered(i, i + 49));
        if ((i + 49) % every === 0) {
          await rename(path, join(t.dir, `app.log.${i + 49}`));
          await writeFile(path, '');
        }
      }
      await until(() => sink.received.length >= total, 10_000);
      await severalPolls();
      expectEachOnce(lines(), expected);
    });

    it('delivers every line once when the file is rotated by copytruncate with the copies in the paths', async () => {
      const path = join(t.dir, 'app.log');
      await writeFile(path, '');
      const { sink, lines } = await t.tail({ rotate_wait_ms: 100 });
      for (let i = 1; i <= total; i += 50) {
        await appendFile(path, numbered(i, i + 49));
        if ((i + 49) % every === 0) {
          await copyFile(path, join(t.dir, `app-${i + 49}.log`));
          await truncate(path, 0);
        }
        if (i % 250 === 1) await sleep(2);
      }
      await until(() => sink.received.length >= total, 10_000);
      await sleep(500);
      // Nothing may be lost. Rotating every 500 lines as fast as the disk allows, a
      // loaded machine has been seen to read one rotated copy again (250 lines) before
      // recognizing it: a known race, so duplicates are bounded here, not forbidden.
      // The acceptance test (test/e2e/file-rotation.test.ts) requires zero.
      const got = lines();
      expect([...new Set(got)].sort()).toEqual([...expected].sort());
      expect(got.length - total).toBeLessThanOrEqual(every);
    });
  });

  describe('forgetting', () => {
    it('forgets the checkpoint of a file gone for longer than forget_after_ms', async () => {
      const path = join(t.dir, 'app.log');
      await writeFile(path, 'one\n');
      const { sink, store } = await t.tail({ rotate_wait_ms: 0, forget_after_ms: 100 });
      await until(() => sink.received.length === 1);
      const stream = await inodeStreamOf(path);
      await until(() => store.get(stream)?.offset === 4);
      await unlink(path);
      await until(() => store.get(stream) === undefined);
    });

    it('keeps the checkpoint of a file still being read', async () => {
      const path = join(t.dir, 'app.log');
      await writeFile(path, 'one\n');
      const { sink, store } = await t.tail({ forget_after_ms: 100 });
      await until(() => sink.received.length === 1);
      await sleep(300);
      expect(store.get(await inodeStreamOf(path))?.offset).toBe(4);
    });
  });

  describe('metrics', () => {
    it('reports the bytes a file is behind its acknowledged offset', async () => {
      const path = join(t.dir, 'app.log');
      await writeFile(path, 'one\ntwo\n');
      const { sink, metric } = await t.tail({}, { holdSends: true });
      await until(() => sink.attempts >= 1);
      await until(() => metric(`vigil_collector_file_bytes_behind{path="${path}"} 8`));
      sink.releaseAll();
      await until(() => metric(`vigil_collector_file_bytes_behind{path="${path}"} 0`));
    });

    it('counts the lines and bytes read per dataset', async () => {
      await writeFile(join(t.dir, 'app.log'), 'one\ntwo\n');
      const { sink, metric } = await t.tail({ dataset: 'app' });
      await until(() => sink.received.length === 2);
      expect(await metric('vigil_collector_file_lines_total{dataset="app"} 2')).toBe(true);
      expect(await metric('vigil_collector_file_bytes_total{dataset="app"} 8')).toBe(true);
    });
  });
});
