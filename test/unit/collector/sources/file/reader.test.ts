import { describe, expect, it } from 'vitest';
import { createLineCodec, type EncodingKeyword } from '../../../../../collector/codecs/encoding/registry.ts';
import { flagNames, LineSplitter } from '../../../../../collector/sources/file/reader.ts';

interface Seen {
  offset: number;
  next: number;
  text: string;
  base64?: string;
  flags: string[];
}

function splitter(encoding: EncodingKeyword = 'utf-8', maxLineBytes = 100): LineSplitter {
  return new LineSplitter(createLineCodec(encoding), maxLineBytes);
}

/** Splits `bytes` (at file offset `base`); returns the lines and the consumed index. */
function split(s: LineSplitter, bytes: Buffer, base = 0, from = 0): { lines: Seen[]; consumed: number } {
  const lines: Seen[] = [];
  const consumed = s.split(bytes, from, bytes.length, base, (offset, next, text, base64, flags) => {
    lines.push({ offset, next, text, ...(base64 === undefined ? {} : { base64 }), flags: flagNames(flags) });
  });
  return { lines, consumed };
}

describe('LineSplitter', () => {
  it('splits lines and reports where each starts and where the next begins', () => {
    const { lines, consumed } = split(splitter(), Buffer.from('one\ntwo\r\nthree'));
    expect(lines).toEqual([
      { offset: 0, next: 4, text: 'one', flags: [] },
      { offset: 4, next: 9, text: 'two', flags: [] },
    ]);
    expect(consumed).toBe(9);
  });

  it('counts offsets from the file offset of the buffer', () => {
    const { lines } = split(splitter(), Buffer.from('xxone\n'), 100, 2);
    expect(lines).toEqual([{ offset: 102, next: 106, text: 'one', flags: [] }]);
  });

  it('cuts a long line, flags it and skips its rest across calls', () => {
    const s = splitter('utf-8', 4);
    const first = split(s, Buffer.from('abcdefgh'));
    expect(first.lines).toEqual([{ offset: 0, next: 8, text: 'abcd', flags: ['truncated'] }]);
    expect(first.consumed).toBe(8);
    expect(s.skipping).toBe(true);
    const second = split(s, Buffer.from('ij\nok\n'), 8);
    expect(second.lines).toEqual([{ offset: 11, next: 14, text: 'ok', flags: [] }]);
    expect(s.skipping).toBe(false);
  });

  it('keeps invalid bytes in base64 with a lossy text', () => {
    const { lines } = split(splitter(), Buffer.from([0x61, 0xff, 0x0a]));
    expect(lines).toEqual([
      {
        offset: 0,
        next: 3,
        text: 'a\uFFFD',
        base64: Buffer.from([0x61, 0xff]).toString('base64'),
        flags: ['invalid_encoding'],
      },
    ]);
  });

  it('flushes a partial line as an unterminated fragment and continues it after', () => {
    const s = splitter();
    const bytes = Buffer.from('frag');
    const seen: string[][] = [];
    const consumed = s.flushPartial(bytes, 0, 4, 0, (_o, _n, text, _b, flags) =>
      seen.push([text, ...flagNames(flags)]),
    );
    expect(consumed).toBe(4);
    expect(seen).toEqual([['frag', 'unterminated']]);
    expect(s.continuing).toBe(true);
    const { lines } = split(s, Buffer.from('ment\n'), 4);
    expect(lines).toEqual([{ offset: 4, next: 9, text: 'ment', flags: ['continuation'] }]);
    expect(s.continuing).toBe(false);
  });

  it('does not flush anything while skipping the rest of a long line', () => {
    const s = splitter('utf-8', 2);
    split(s, Buffer.from('abcd'));
    expect(s.flushPartial(Buffer.from('ef'), 0, 2, 4, () => {})).toBe(0);
  });

  it('splits UTF-16LE at line feed units only', () => {
    const bytes = Buffer.from('\u0A0A\nb\r\n', 'utf16le');
    const { lines } = split(splitter('utf-16le'), bytes);
    expect(lines.map((l) => [l.text, l.offset, l.next])).toEqual([
      ['\u0A0A', 0, 4],
      ['b', 4, 10],
    ]);
  });

  it('stops a skipped UTF-16 run at a unit boundary', () => {
    const s = splitter('utf-16le', 2);
    const { consumed } = split(s, Buffer.from([0x61, 0x00, 0x62, 0x00, 0x63]));
    expect(consumed).toBe(4);
  });
});
