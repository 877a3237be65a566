import { appendFile, rename, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fileSourceHarness, severalPolls, inodeStreamOf as streamOf, until } from './harness.ts';

const t = fileSourceHarness();

describe('FileSource', () => {
  it('turns each line of a file into a record', async () => {
    const path = join(t.dir, 'app.log');
    await writeFile(path, 'first\nsecond\n');
    const { sink, lines } = await t.tail();
    await until(() => sink.received.length === 2);
    expect(lines()).toEqual(['first', 'second']);
  });

  it('gives each record the byte offset of its line', async () => {
    await writeFile(join(t.dir, 'app.log'), 'first\nsecond\n\nlast\n');
    const { sink } = await t.tail();
    await until(() => sink.received.length === 4);
    expect(sink.received.map((r) => r.offset)).toEqual([0, 6, 13, 14]);
  });

  it('counts offsets in bytes when multi-byte characters come before a line', async () => {
    // "héllo wörld" is 11 characters but 13 bytes.
    await writeFile(join(t.dir, 'app.log'), 'héllo wörld\nnext\n');
    const { sink } = await t.tail();
    await until(() => sink.received.length === 2);
    expect(sink.received.map((r) => [r.line, r.offset])).toEqual([
      ['héllo wörld', 0],
      ['next', 14],
    ]);
  });

  it('fills the record with the collector, host, stream, dataset and path', async () => {
    const path = join(t.dir, 'auth.log');
    await writeFile(path, 'Accepted password for alice\n');
    const { sink } = await t.tail({ dataset: 'linux.auth' });
    await until(() => sink.received.length === 1);
    expect(sink.received[0]).toEqual({
      collector: { id: 'test-collector', version: '0.1.0' },
      host: { name: 'test-host' },
      stream: { id: expect.stringMatching(/^file:ino:[0-9a-f]+:[0-9a-f]+$/), kind: 'file' },
      offset: 0,
      line: 'Accepted password for alice',
      dataset: 'linux.auth',
      observed_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      file: { path },
    });
  });

  it('does not emit a partial last line before its newline arrives', async () => {
    const path = join(t.dir, 'app.log');
    await writeFile(path, 'complete\npart');
    const { sink, lines } = await t.tail();
    await until(() => sink.received.length === 1);
    await severalPolls();
    expect(lines()).toEqual(['complete']);
    await appendFile(path, 'ial\n');
    await until(() => sink.received.length === 2);
    expect(sink.received[1]).toMatchObject({ line: 'partial', offset: 9 });
  });

  it('strips the carriage return of CRLF line endings', async () => {
    await writeFile(join(t.dir, 'app.log'), 'one\r\ntwo\r\n');
    const { sink } = await t.tail();
    await until(() => sink.received.length === 2);
    expect(sink.received.map((r) => [r.line, r.offset])).toEqual([
      ['one', 0],
      ['two', 5],
    ]);
  });

  it('keeps a carriage return inside a line', async () => {
    await writeFile(join(t.dir, 'app.log'), 'one\rtwo\n');
    const { sink, lines } = await t.tail();
    await until(() => sink.received.length === 1);
    expect(lines()).toEqual(['one\rtwo']);
  });

  it('leaves valid lines without flags', async () => {
    await writeFile(join(t.dir, 'app.log'), 'plain\n');
    const { sink } = await t.tail();
    await until(() => sink.received.length === 1);
    expect(sink.received[0]).not.toHaveProperty('flags');
    expect(sink.received[0]).not.toHaveProperty('line_base64');
  });

  describe('with lines longer than max_line_bytes', () => {
    it('cuts a long line at max_line_bytes and flags it truncated', async () => {
      await writeFile(join(t.dir, 'app.log'), `${'x'.repeat(20)}\n`);
      const { sink } = await t.tail({ max_line_bytes: 8 });
      await until(() => sink.received.length === 1);
      expect(sink.received[0]).toMatchObject({ line: 'xxxxxxxx', offset: 0, flags: ['truncated'] });
    });

    it('passes the lines after a long line on unchanged', async () => {
      await writeFile(join(t.dir, 'app.log'), `short\n${'x'.repeat(20)}\nafter\n`);
      const { sink } = await t.tail({ max_line_bytes: 8 });
      await until(() => sink.received.length === 3);
      expect(sink.received.map((r) => [r.line, r.offset, r.flags])).toEqual([
        ['short', 0, undefined],
        ['xxxxxxxx', 6, ['truncated']],
        ['after', 27, undefined],
      ]);
    });

    it('skips the rest of a long line that is still being written', async () => {
      const path = join(t.dir, 'app.log');
      await writeFile(path, 'x'.repeat(20));
      const { sink } = await t.tail({ max_line_bytes: 8 });
      await until(() => sink.received.length === 1);
      await appendFile(path, 'yyyyyyyyyyyy\nafter\n');
      await until(() => sink.received.length === 2);
      expect(sink.received.map((r) => [r.line, r.offset, r.flags])).toEqual([
        ['xxxxxxxx', 0, ['truncated']],
        ['after', 33, undefined],
      ]);
    });

    it('cuts a line many times longer than a read and keeps the lines after it', async () => {
      await writeFile(join(t.dir, 'app.log'), `${'x'.repeat(3_000_000)}\nafter\n`);
      const { sink } = await t.tail({ max_line_bytes: 1000 });
      await until(() => sink.received.length === 2);
      expect(sink.received.map((r) => [r.line.length, r.offset, r.flags])).toEqual([
        [1000, 0, ['truncated']],
        [5, 3_000_001, undefined],
      ]);
    });

    it('logs long lines once per file, not once per line', async () => {
      await writeFile(join(t.dir, 'app.log'), `${'x'.repeat(20)}\n`.repeat(5));
      const { sink, logs } = await t.tail({ max_line_bytes: 8 });
      await until(() => sink.received.length === 5);
      expect(logs.filter((l) => l.msg.startsWith('A line longer than max_line_bytes'))).toHaveLength(1);
    });

    it('counts long lines in a metric', async () => {
      await writeFile(join(t.dir, 'app.log'), `${'x'.repeat(20)}\n${'y'.repeat(20)}\n`);
      const { sink, metrics } = await t.tail({ max_line_bytes: 8, dataset: 'app' });
      await until(() => sink.received.length === 2);
      expect(await metrics.text()).toContain('vigil_collector_file_long_lines_total{dataset="app"} 2');
    });

    it('does not flag a line exactly max_line_bytes long', async () => {
      await writeFile(join(t.dir, 'app.log'), '12345678\nnext\n');
      const { sink } = await t.tail({ max_line_bytes: 8 });
      await until(() => sink.received.length === 2);
      expect(sink.received.map((r) => [r.line, r.offset, r.flags])).toEqual([
        ['12345678', 0, undefined],
        ['next', 9, undefined],
      ]);
    });

    it('waits for the newline of a partial line exactly max_line_bytes long', async () => {
      const path = join(t.dir, 'app.log');
      await writeFile(path, '12345678');
      const { sink } = await t.tail({ max_line_bytes: 8 });
      await severalPolls();
      expect(sink.received).toEqual([]);
      await appendFile(path, '\nnext\n');
      await until(() => sink.received.length === 2);
      expect(sink.received.map((r) => [r.line, r.offset, r.flags])).toEqual([
        ['12345678', 0, undefined],
        ['next', 9, undefined],
      ]);
    });

    it('flags a partial line of max_line_bytes truncated once it grows longer', async () => {
      const path = join(t.dir, 'app.log');
      await writeFile(path, '12345678');
      const { sink } = await t.tail({ max_line_bytes: 8 });
      await severalPolls();
      await appendFile(path, '9\nnext\n');
      await until(() => sink.received.length === 2);
      expect(sink.received.map((r) => [r.line, r.offset, r.flags])).toEqual([
        ['12345678', 0, ['truncated']],
        ['next', 10, undefined],
      ]);
    });
  });

  it('flags invalid UTF-8 and keeps the exact bytes in line_base64', async () => {
    const bytes = Buffer.from([0x61, 0xff, 0x62, 0xc3]);
    await writeFile(join(t.dir, 'app.log'), Buffer.concat([bytes, Buffer.from('\nok\n')]));
    const { sink } = await t.tail();
    await until(() => sink.received.length === 2);
    expect(sink.received[0]).toMatchObject({
      line: 'a\uFFFDb\uFFFD',
      flags: ['invalid_encoding'],
      line_base64: bytes.toString('base64'),
    });
    expect(Buffer.from(sink.received[0]?.line_base64 ?? '', 'base64')).toEqual(bytes);
    expect(sink.received[1]).toMatchObject({ line: 'ok', offset: 5 });
    expect(sink.received[1]).not.toHaveProperty('flags');
  });

  describe('with start_at end', () => {
    it('skips what a file held at start and reads the lines appended later', async () => {
      const path = join(t.dir, 'app.log');
      await writeFile(path, 'old 1\nold 2\n');
      const { sink, lines, tailing } = await t.tail({ start_at: 'end' });
      await tailing(path);
      await appendFile(path, 'new\n');
      await until(() => sink.received.length === 1);
      expect(lines()).toEqual(['new']);
      expect(sink.received[0]?.offset).toBe(12);
    });

    it('reads a file that appears after start from its beginning', async () => {
      const first = join(t.dir, 'a.log');
      await writeFile(first, 'old\n');
      const { sink, lines, tailing } = await t.tail({ start_at: 'end' });
      await tailing(first);
      await writeFile(join(t.dir, 'b.log'), 'one\ntwo\n');
      await until(() => sink.received.length === 2);
      expect(lines()).toEqual(['one', 'two']);
    });

    it('resumes at the checkpoint of a file it has seen before', async () => {
      const path = join(t.dir, 'app.log');
      await writeFile(path, 'one\n');
      const first = await t.tail();
      await until(() => first.sink.received.length === 1);
      await first.stop();
      await appendFile(path, 'two\n');
      const second = await t.tail({ start_at: 'end' });
      await until(() => second.sink.received.length === 1);
      expect(second.lines()).toEqual(['two']);
    });
  });

  it('leaves files that match an exclude pattern alone', async () => {
    await writeFile(join(t.dir, 'debug.log'), 'excluded by name\n');
    await writeFile(join(t.dir, 'trace-1.log'), 'excluded by pattern\n');
    const kept = join(t.dir, 'app.log');
    await writeFile(kept, 'kept\n');
    const { sink, lines, tailing } = await t.tail({ exclude: ['debug.log', join(t.dir, 'trace-*.log')] });
    await tailing(kept);
    await appendFile(kept, 'kept again\n');
    await until(() => sink.received.length >= 2);
    await severalPolls();
    expect(lines()).toEqual(['kept', 'kept again']);
  });

  it('picks up a file that appears after start', async () => {
    const first = join(t.dir, 'a.log');
    await writeFile(first, 'from a\n');
    const { sink, lines, tailing } = await t.tail();
    await tailing(first);
    await writeFile(join(t.dir, 'b.log'), 'from b\n');
    await until(() => sink.received.length === 2);
    expect(lines().sort()).toEqual(['from a', 'from b']);
  });

  it('does not pick up a file that does not match its paths', async () => {
    const path = join(t.dir, 'app.log');
    await writeFile(path, 'one\n');
    await writeFile(join(t.dir, 'app.txt'), 'not a log\n');
    const { sink, lines } = await t.tail();
    await until(() => sink.received.length === 1);
    await severalPolls();
    expect(lines()).toEqual(['one']);
  });

  describe('when a file is truncated in place (copytruncate)', () => {
    it('restarts reading at 0', async () => {
      const path = join(t.dir, 'app.log');
      await writeFile(path, 'one\ntwo\n');
      const { sink, lines } = await t.tail();
      await until(() => sink.received.length === 2);
      await truncate(path, 0);
      await appendFile(path, '3\n');
      await until(() => sink.received.length === 3);
      expect(lines()).toEqual(['one', 'two', '3']);
      expect(sink.received[2]?.offset).toBe(0);
    });

    it('counts the truncation in a metric', async () => {
      const path = join(t.dir, 'app.log');
      await writeFile(path, 'one\ntwo\n');
      const { sink, metrics } = await t.tail({ dataset: 'app' });
      await until(() => sink.received.length === 2);
      await truncate(path, 0);
      await appendFile(path, '3\n');
      await until(() => sink.received.length === 3);
      expect(await metrics.text()).toContain('vigil_collector_file_truncations_total{dataset="app"} 1');
    });

    it('gives the lines after the truncation a new epoch of the stream, so no identity is used twice', async () => {
      const path = join(t.dir, 'app.log');
      await writeFile(path, 'one\ntwo\n');
      const { sink } = await t.tail();
      await until(() => sink.received.length === 2);
      await truncate(path, 0);
      await appendFile(path, '3\n');
      await until(() => sink.received.length === 3);
      const stream = await streamOf(path);
      expect(sink.received.map((r) => [r.line, r.stream.id, r.offset])).toEqual([
        ['one', stream, 0],
        ['two', stream, 4],
        ['3', `${stream}#1`, 0],
      ]);
    });

    it('checkpoints the new epoch from the truncation on and keeps the old epoch where it was', async () => {
      const path = join(t.dir, 'app.log');
      await writeFile(path, 'one\ntwo\n');
      const { sink, store } = await t.tail();
      await until(() => sink.received.length === 2);
      const stream = await streamOf(path);
      await until(() => store.get(stream)?.offset === 8);
      await truncate(path, 0);
      await appendFile(path, '3\n');
      await until(() => store.get(`${stream}#1`)?.offset === 2);
      expect(store.get(`${stream}#1`)).toMatchObject({ epoch: 1, base: stream });
      expect(store.get(stream)?.offset).toBe(8);
    });

    it('counts a second truncation as a further epoch', async () => {
      const path = join(t.dir, 'app.log');
      await writeFile(path, 'one\ntwo\n');
      const { sink, metric } = await t.tail({ dataset: 'app' });
      await until(() => sink.received.length === 2);
      await truncate(path, 0);
      await appendFile(path, '3\n');
      await until(() => sink.received.length === 3);
      await truncate(path, 0);
      await appendFile(path, '4\n');
      await until(() => sink.received.length === 4);
      const stream = await streamOf(path);
      expect(sink.received[3]).toMatchObject({ line: '4', offset: 0, stream: { id: `${stream}#2` } });
      expect(await metric('vigil_collector_file_truncations_total{dataset="app"} 2')).toBe(true);
    });

    it('notices a truncation that was written over past the read position before the next poll', async () => {
      const path = join(t.dir, 'app.log');
      await writeFile(path, 'one\ntwo\n');
      const { sink } = await t.tail();
      await until(() => sink.received.length === 2);
      // Same size as before and longer: only the changed first bytes tell.
      await writeFile(path, 'ONE\nTWO\nthree\n');
      await until(() => sink.received.length === 5);
      expect(sink.received.slice(2).map((r) => [r.line, r.offset])).toEqual([
        ['ONE', 0],
        ['TWO', 4],
        ['three', 8],
      ]);
    });

    it('ignores a late acknowledgement of lines read before the truncation', async () => {
      const path = join(t.dir, 'app.log');
      await writeFile(path, 'one\ntwo\n');
      const { sink, store, metrics } = await t.tail({}, { holdSends: true });
      await until(() => sink.attempts === 1);
      await truncate(path, 0);
      await appendFile(path, '3\n');
      await until(async () =>
        (await metrics.text()).includes('vigil_collector_file_truncations_total{dataset="generic"} 1'),
      );
      sink.releaseAll();
      await until(() => sink.received.length === 3);
      await severalPolls();
      const stream = await streamOf(path);
      expect(store.get(`${stream}#1`)?.offset).toBe(2);
      expect(store.get(stream)?.offset).toBe(8);
    });
  });

  describe('when a file is renamed', () => {
    it('keeps its stream identity and reads on from where it was', async () => {
      const before = join(t.dir, 'app.log');
      const after = join(t.dir, 'app-renamed.log');
      await writeFile(before, 'one\n');
      const { sink } = await t.tail();
      await until(() => sink.received.length === 1);
      await rename(before, after);
      await appendFile(after, 'two\n');
      await until(() => sink.received.length === 2);
      expect(sink.received.map((r) => [r.line, r.offset, r.file?.path])).toEqual([
        ['one', 0, before],
        ['two', 4, after],
      ]);
      expect(sink.received[1]?.stream.id).toBe(sink.received[0]?.stream.id);
    });

    it('does not read the file again', async () => {
      const before = join(t.dir, 'app.log');
      const after = join(t.dir, 'app-renamed.log');
      await writeFile(before, 'one\ntwo\n');
      const { sink, lines } = await t.tail();
      await until(() => sink.received.length === 2);
      await rename(before, after);
      await severalPolls();
      await appendFile(after, 'three\n');
      await until(() => sink.received.length >= 3);
      await severalPolls();
      expect(lines()).toEqual(['one', 'two', 'three']);
    });
  });

  it('reads a new file created at the path of a rotated one from its beginning', async () => {
    const path = join(t.dir, 'app.log');
    await writeFile(path, 'old line\n');
    const { sink } = await t.tail();
    await until(() => sink.received.length === 1);
    // logrotate "create": the old file moves out of the glob and a new one takes its path.
    await rename(path, join(t.dir, 'app.log.1'));
    await writeFile(path, 'new\n');
    await until(() => sink.received.length === 2);
    expect(sink.received[1]).toMatchObject({ line: 'new', offset: 0 });
    expect(sink.received[1]?.stream.id).not.toBe(sink.received[0]?.stream.id);
  });

  describe('checkpoints', () => {
    it('advance to the end of the acknowledged lines', async () => {
      const path = join(t.dir, 'app.log');
      await writeFile(path, 'one\ntwo\n');
      const { sink, store } = await t.tail();
      await until(() => sink.received.length === 2);
      const stream = await streamOf(path);
      await until(() => store.get(stream)?.offset === 8);
      expect(store.get(stream)?.path).toBe(path);
    });

    it('do not move while the transport has not acknowledged the lines', async () => {
      const path = join(t.dir, 'app.log');
      await writeFile(path, 'one\ntwo\n');
      const { sink, store } = await t.tail({}, { holdSends: true });
      await until(() => sink.attempts >= 1);
      await severalPolls();
      const stream = await streamOf(path);
      expect(store.get(stream)?.offset).toBe(0);
      sink.releaseAll();
      await until(() => store.get(stream)?.offset === 8);
    });

    it('do not move past an unacknowledged long line while skipping its rest', async () => {
      const path = join(t.dir, 'app.log');
      await writeFile(path, 'x'.repeat(20));
      const { sink, store } = await t.tail({ max_line_bytes: 8 }, { holdSends: true });
      await until(() => sink.attempts >= 1);
      await appendFile(path, 'y'.repeat(20));
      await severalPolls();
      const stream = await streamOf(path);
      expect(store.get(stream)?.offset).toBe(0);
      sink.releaseAll();
      await appendFile(path, '\nafter\n');
      await until(() => sink.received.length === 2);
      await until(() => store.get(stream)?.offset === 47);
      expect(sink.received.map((r) => r.line)).toEqual(['xxxxxxxx', 'after']);
    });

    it('stop before a partial last line', async () => {
      const path = join(t.dir, 'app.log');
      await writeFile(path, 'one\npart');
      const { sink, store } = await t.tail();
      await until(() => sink.received.length === 1);
      const stream = await streamOf(path);
      await until(() => store.get(stream)?.offset === 4);
      await severalPolls();
      expect(store.get(stream)?.offset).toBe(4);
    });

    it('let a new source with the same checkpoint file resume without reading again', async () => {
      const path = join(t.dir, 'app.log');
      await writeFile(path, 'one\ntwo\n');
      const first = await t.tail();
      await until(() => first.sink.received.length === 2);
      const stream = first.sink.received[0]?.stream.id ?? '';
      await until(() => first.store.get(stream)?.offset === 8);
      await first.stop();
      await appendFile(path, 'three\n');
      const second = await t.tail();
      await until(() => second.sink.received.length === 1);
      await severalPolls();
      expect(second.sink.received.map((r) => [r.line, r.offset, r.stream.id])).toEqual([
        ['three', 8, stream],
      ]);
    });
  });
});
