import { appendFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fileSourceHarness, inodeStreamOf, severalPolls, sleep, until } from './harness.ts';

const t = fileSourceHarness();

describe('FileSource partial last lines', () => {
  it('waits for the newline while the file keeps growing', async () => {
    const path = join(t.dir, 'app.log');
    await writeFile(path, 'one\npa');
    const { sink } = await t.tail({ flush_partial_after_ms: 100 });
    await until(() => sink.received.length === 1);
    for (const part of ['r', 't', 'i', 'a', 'l']) {
      await sleep(40);
      await appendFile(path, part);
    }
    await appendFile(path, '\n');
    await until(() => sink.received.length === 2);
    expect(sink.received[1]).toMatchObject({ line: 'partial', offset: 4 });
    expect(sink.received[1]).not.toHaveProperty('flags');
  });

  it('emits a last line without newline, flagged unterminated, once the file stopped growing', async () => {
    const path = join(t.dir, 'app.log');
    await writeFile(path, 'one\nlast words');
    const { sink, metric } = await t.tail({ flush_partial_after_ms: 50, dataset: 'app' });
    await until(() => sink.received.length === 2);
    expect(sink.received[1]).toMatchObject({ line: 'last words', offset: 4, flags: ['unterminated'] });
    expect(await metric('vigil_collector_file_unterminated_total{dataset="app"} 1')).toBe(true);
  });

  it('never emits it when flush_partial_after_ms is 0', async () => {
    const path = join(t.dir, 'app.log');
    await writeFile(path, 'one\nlast words');
    const { sink } = await t.tail({ flush_partial_after_ms: 0 });
    await until(() => sink.received.length === 1);
    await sleep(150);
    expect(sink.received).toHaveLength(1);
  });

  it('ships the rest of a flushed line as its own record, flagged continuation, without repeating bytes', async () => {
    const path = join(t.dir, 'app.log');
    await writeFile(path, 'one\nfirst half');
    const { sink } = await t.tail({ flush_partial_after_ms: 50 });
    await until(() => sink.received.length === 2);
    await appendFile(path, ' second half\nnext\n');
    await until(() => sink.received.length === 4);
    expect(sink.received.map((r) => [r.line, r.offset, r.flags])).toEqual([
      ['one', 0, undefined],
      ['first half', 4, ['unterminated']],
      [' second half', 14, ['continuation']],
      ['next', 27, undefined],
    ]);
  });

  it('does not ship an empty record when only the newline of a flushed line follows', async () => {
    const path = join(t.dir, 'app.log');
    await writeFile(path, 'whole line');
    const { sink } = await t.tail({ flush_partial_after_ms: 50 });
    await until(() => sink.received.length === 1);
    await appendFile(path, '\nnext\n');
    await until(() => sink.received.length === 2);
    await severalPolls();
    expect(sink.received.map((r) => [r.line, r.offset, r.flags])).toEqual([
      ['whole line', 0, ['unterminated']],
      ['next', 11, undefined],
    ]);
  });

  it('checkpoints past a flushed fragment and continues the line after a restart', async () => {
    const path = join(t.dir, 'app.log');
    await writeFile(path, 'first half');
    const first = await t.tail({ flush_partial_after_ms: 50 });
    await until(() => first.sink.received.length === 1);
    const stream = await inodeStreamOf(path);
    await until(() => first.store.get(stream)?.offset === 10);
    expect(first.store.get(stream)?.mid_line).toBe('continue');
    await first.stop();
    await appendFile(path, ' second half\n');
    const second = await t.tail({ flush_partial_after_ms: 50 });
    await until(() => second.sink.received.length === 1);
    expect(second.sink.received[0]).toMatchObject({
      line: ' second half',
      offset: 10,
      flags: ['continuation'],
    });
  });

  it('delivers a partial last line completed after a restart once, whole', async () => {
    const path = join(t.dir, 'app.log');
    await writeFile(path, 'complete\npart');
    const first = await t.tail();
    await until(() => first.sink.received.length === 1);
    await severalPolls();
    await first.stop();
    await appendFile(path, 'ial\n');
    const second = await t.tail();
    await until(() => second.sink.received.length === 1);
    await severalPolls();
    expect([...first.lines(), ...second.lines()]).toEqual(['complete', 'partial']);
    expect(second.sink.received[0]).toMatchObject({ offset: 9 });
    expect(second.sink.received[0]).not.toHaveProperty('flags');
  });

  it('does not cut a multi-byte character when it flushes a fragment', async () => {
    const path = join(t.dir, 'app.log');
    const euro = Buffer.from('€'); // 3 bytes
    await writeFile(path, Buffer.concat([Buffer.from('price 5'), euro.subarray(0, 2)]));
    const { sink } = await t.tail({ flush_partial_after_ms: 50 });
    await until(() => sink.received.length === 1);
    expect(sink.received[0]).toMatchObject({ line: 'price 5', flags: ['unterminated'] });
    await appendFile(path, Buffer.concat([euro.subarray(2), Buffer.from('\n')]));
    await until(() => sink.received.length === 2);
    expect(sink.received[1]).toMatchObject({ line: '€', offset: 7, flags: ['continuation'] });
  });
});
