import { appendFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fileSourceHarness, inodeStreamOf, severalPolls, sleep, until } from './harness.ts';

const t = fileSourceHarness();

const JAVA = { mode: 'continuation', pattern: '^\\s+at |^Caused by:|^\\s+\\.\\.\\. \\d+ more' } as const;
const TIMESTAMPED = { mode: 'start', pattern: '^\\d{4}-\\d\\d-\\d\\d ' } as const;

const trace = [
  'java.lang.IllegalStateException: boom',
  '\tat com.example.App.run(App.java:10)',
  '\tat com.example.App.main(App.java:5)',
  'Caused by: java.io.IOException: disk',
  '\t... 2 more',
];

describe('FileSource multiline', () => {
  it('joins a Java stack trace into one event at the offset of its first line', async () => {
    await writeFile(join(t.dir, 'app.log'), `before\n${trace.join('\n')}\nafter\n`);
    const { sink } = await t.tail({ multiline: { ...JAVA, timeout_ms: 50 } });
    await until(() => sink.received.length === 3);
    expect(sink.received.map((r) => [r.line, r.offset, r.flags])).toEqual([
      ['before', 0, undefined],
      [trace.join('\n'), 7, ['multiline']],
      ['after', 7 + trace.join('\n').length + 1, undefined],
    ]);
  });

  it('starts an event at each line matching a start pattern', async () => {
    await writeFile(
      join(t.dir, 'app.log'),
      '2024-05-01 first\n  detail a\n  detail b\n2024-05-01 second\n2024-05-01 third\n  detail c\n',
    );
    const { sink } = await t.tail({ multiline: { ...TIMESTAMPED, timeout_ms: 50 } });
    await until(() => sink.received.length === 3);
    expect(sink.received.map((r) => r.line)).toEqual([
      '2024-05-01 first\n  detail a\n  detail b',
      '2024-05-01 second',
      '2024-05-01 third\n  detail c',
    ]);
    expect(sink.received[1]).not.toHaveProperty('flags');
  });

  it('inverts the match with negate', async () => {
    await writeFile(join(t.dir, 'app.log'), 'event one\n  more\nevent two\n');
    const { sink } = await t.tail({
      multiline: { mode: 'continuation', pattern: '^event', negate: true, timeout_ms: 50 },
    });
    await until(() => sink.received.length === 2);
    expect(sink.received.map((r) => r.line)).toEqual(['event one\n  more', 'event two']);
  });

  it('emits the last event once no line joined it for timeout_ms', async () => {
    await writeFile(join(t.dir, 'app.log'), `${trace.join('\n')}\n`);
    const { sink } = await t.tail({ multiline: { ...JAVA, timeout_ms: 100 } });
    await sleep(40);
    expect(sink.received).toHaveLength(0);
    await until(() => sink.received.length === 1);
    expect(sink.received[0]?.line).toBe(trace.join('\n'));
  });

  it('keeps joining lines that arrive before the timeout', async () => {
    const path = join(t.dir, 'app.log');
    await writeFile(path, `${trace.slice(0, 2).join('\n')}\n`);
    const { sink } = await t.tail({ multiline: { ...JAVA, timeout_ms: 300 } });
    await sleep(60);
    await appendFile(path, `${trace.slice(2).join('\n')}\n`);
    await until(() => sink.received.length === 1);
    expect(sink.received[0]?.line).toBe(trace.join('\n'));
  });

  it('splits an event at max_lines without dropping a line, marking the rest a continuation', async () => {
    await writeFile(join(t.dir, 'app.log'), `${trace.join('\n')}\n`);
    const { sink } = await t.tail({ multiline: { ...JAVA, max_lines: 3, timeout_ms: 50 } });
    await until(() => sink.received.length === 2);
    expect(sink.received.map((r) => [r.line, r.flags])).toEqual([
      [trace.slice(0, 3).join('\n'), ['multiline']],
      [trace.slice(3).join('\n'), ['continuation', 'multiline']],
    ]);
  });

  it('does not move the checkpoint past an event that is still being joined', async () => {
    const path = join(t.dir, 'app.log');
    await writeFile(path, `before\n${trace.join('\n')}\n`);
    const { sink, store } = await t.tail({ multiline: { ...JAVA, timeout_ms: 400 } });
    await until(() => sink.received.length === 1);
    const stream = await inodeStreamOf(path);
    await until(() => store.get(stream)?.offset === 7);
    await sleep(100);
    expect(store.get(stream)?.offset).toBe(7);
    await until(() => sink.received.length === 2);
    await until(() => store.get(stream)?.offset === 7 + trace.join('\n').length + 1);
  });

  it('joins an unfinished event again from its first line after a restart', async () => {
    const path = join(t.dir, 'app.log');
    await writeFile(path, `before\n${trace.slice(0, 2).join('\n')}\n`);
    const first = await t.tail({ multiline: { ...JAVA, timeout_ms: 10_000 } });
    await until(() => first.sink.received.length === 1);
    await severalPolls();
    await first.stop();
    await appendFile(path, `${trace.slice(2).join('\n')}\nafter\n`);
    const second = await t.tail({ multiline: { ...JAVA, timeout_ms: 50 } });
    await until(() => second.sink.received.length === 2);
    expect(second.sink.received.map((r) => [r.line, r.offset])).toEqual([
      [trace.join('\n'), 7],
      ['after', 7 + trace.join('\n').length + 1],
    ]);
  });

  it('counts multiline events and their lines', async () => {
    await writeFile(join(t.dir, 'app.log'), `${trace.join('\n')}\nsingle\n`);
    const { sink, metric } = await t.tail({ dataset: 'app', multiline: { ...JAVA, timeout_ms: 50 } });
    await until(() => sink.received.length === 2);
    expect(await metric('vigil_collector_file_multiline_events_total{dataset="app"} 1')).toBe(true);
    expect(await metric('vigil_collector_file_multiline_lines_total{dataset="app"} 5')).toBe(true);
  });

  it('keeps the exact bytes of an event with an invalid line', async () => {
    const bytes = Buffer.concat([Buffer.from('error\n\tat x'), Buffer.from([0xff]), Buffer.from('\n')]);
    await writeFile(join(t.dir, 'app.log'), bytes);
    const { sink } = await t.tail({ multiline: { ...JAVA, timeout_ms: 50 } });
    await until(() => sink.received.length === 1);
    expect(sink.received[0]).toMatchObject({
      line: 'error\n\tat x\uFFFD',
      flags: ['invalid_encoding', 'multiline'],
    });
    expect(Buffer.from(sink.received[0]?.line_base64 ?? '', 'base64')).toEqual(
      bytes.subarray(0, bytes.length - 1),
    );
  });
});
