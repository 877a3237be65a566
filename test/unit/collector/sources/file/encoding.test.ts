import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fileSourceHarness, until } from './harness.ts';

const t = fileSourceHarness();

function utf16be(text: string): Buffer {
  return Buffer.from(text, 'utf16le').swap16();
}

describe('FileSource encodings', () => {
  it('reads UTF-16LE, where a 0x0A byte inside a character is not a newline', async () => {
    // U+0A41 is the bytes 41 0A in UTF-16LE.
    const text = 'a\u0A41b\nsecond\n';
    await writeFile(join(t.dir, 'app.log'), Buffer.from(text, 'utf16le'));
    const { sink } = await t.tail({ encoding: 'utf-16le' });
    await until(() => sink.received.length === 2);
    expect(sink.received.map((r) => [r.line, r.offset])).toEqual([
      ['a\u0A41b', 0],
      ['second', 8],
    ]);
  });

  it('reads UTF-16BE with CRLF line endings', async () => {
    await writeFile(join(t.dir, 'app.log'), utf16be('one\r\n\u410Atwo\r\n'));
    const { sink } = await t.tail({ encoding: 'utf-16be' });
    await until(() => sink.received.length === 2);
    expect(sink.received.map((r) => [r.line, r.offset])).toEqual([
      ['one', 0],
      ['\u410Atwo', 10],
    ]);
  });

  it('skips a byte order mark and lets it choose the UTF-16 byte order', async () => {
    const bytes = Buffer.concat([Buffer.from([0xfe, 0xff]), utf16be('héllo\n')]);
    await writeFile(join(t.dir, 'app.log'), bytes);
    const { sink } = await t.tail({ encoding: 'utf-16le' });
    await until(() => sink.received.length === 1);
    expect(sink.received[0]).toMatchObject({ line: 'héllo', offset: 2 });
  });

  it('reads a UTF-16 file with a byte order mark even when the input says utf-8', async () => {
    const bytes = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('windows\n', 'utf16le')]);
    await writeFile(join(t.dir, 'app.log'), bytes);
    const { sink } = await t.tail();
    await until(() => sink.received.length === 1);
    expect(sink.received[0]).toMatchObject({ line: 'windows', offset: 2 });
  });

  it('skips a UTF-8 byte order mark', async () => {
    await writeFile(
      join(t.dir, 'app.log'),
      Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('one\n')]),
    );
    const { sink } = await t.tail();
    await until(() => sink.received.length === 1);
    expect(sink.received[0]).toMatchObject({ line: 'one', offset: 3 });
  });

  it('flags a UTF-16 line with an unpaired surrogate as invalid and keeps its bytes', async () => {
    const bad = Buffer.from([0x61, 0x00, 0x00, 0xd8, 0x62, 0x00]);
    await writeFile(join(t.dir, 'app.log'), Buffer.concat([bad, Buffer.from('\nok\n', 'utf16le')]));
    const { sink } = await t.tail({ encoding: 'utf-16le' });
    await until(() => sink.received.length === 2);
    expect(sink.received[0]).toMatchObject({ line: 'a\uFFFDb', flags: ['invalid_encoding'] });
    expect(Buffer.from(sink.received[0]?.line_base64 ?? '', 'base64')).toEqual(bad);
    expect(sink.received[1]).toMatchObject({ line: 'ok', offset: 8 });
  });

  it('reads Latin-1', async () => {
    await writeFile(join(t.dir, 'app.log'), Buffer.from('caf\xe9 cr\xe8me\n', 'latin1'));
    const { sink } = await t.tail({ encoding: 'latin1' });
    await until(() => sink.received.length === 1);
    expect(sink.received[0]).toMatchObject({ line: 'café crème' });
    expect(sink.received[0]).not.toHaveProperty('flags');
  });

  it('keeps NUL bytes as they are', async () => {
    await writeFile(join(t.dir, 'app.log'), Buffer.from('a\0b\0\0\nnext\n'));
    const { sink } = await t.tail();
    await until(() => sink.received.length === 2);
    expect(sink.received[0]).toMatchObject({ line: 'a\0b\0\0' });
    expect(sink.received[0]).not.toHaveProperty('flags');
  });

  it('counts invalid lines in a metric', async () => {
    await writeFile(join(t.dir, 'app.log'), Buffer.from([0x61, 0xff, 0x0a, 0x62, 0x0a]));
    const { sink, metric } = await t.tail({ dataset: 'app' });
    await until(() => sink.received.length === 2);
    expect(await metric('vigil_collector_file_invalid_encoding_total{dataset="app"} 1')).toBe(true);
  });

  it('cuts a long line between characters, so the cut line stays valid', async () => {
    await writeFile(join(t.dir, 'app.log'), 'aaaaaaa€€€\n');
    const { sink } = await t.tail({ max_line_bytes: 8 });
    await until(() => sink.received.length === 1);
    expect(sink.received[0]).toMatchObject({ line: 'aaaaaaa', flags: ['truncated'] });
  });

  it('cuts a long UTF-16 line between characters', async () => {
    await writeFile(join(t.dir, 'app.log'), Buffer.from('abcdefghij\nk\n', 'utf16le'));
    const { sink } = await t.tail({ encoding: 'utf-16le', max_line_bytes: 7 });
    await until(() => sink.received.length === 2);
    expect(sink.received.map((r) => [r.line, r.offset, r.flags])).toEqual([
      ['abc', 0, ['truncated']],
      ['k', 22, undefined],
    ]);
  });
});
