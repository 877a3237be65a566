import { describe, expect, it } from 'vitest';
import {
  MultilineJoiner,
  type MultilineOptions,
  type TextPiece,
} from '../../../../../collector/codecs/multiline/multiline-joiner.ts';

const defaults: MultilineOptions = {
  mode: 'continuation',
  pattern: '^\\s',
  negate: false,
  maxLines: 500,
  maxBytes: 1_000_000,
  timeoutMs: 1000,
};

/** Lines laid out one after another as in a file, each ending in "\n". */
function lines(...texts: string[]): TextPiece[] {
  let offset = 0;
  return texts.map((text) => {
    const piece = { offset, next: offset + text.length + 1, text, base64: undefined, flags: 0 };
    offset = piece.next;
    return piece;
  });
}

function feed(joiner: MultilineJoiner, pieces: TextPiece[]): string[] {
  const out: string[] = [];
  for (const piece of pieces) {
    const done = joiner.push(piece, 0);
    if (done) out.push(done.text);
  }
  const last = joiner.flush();
  if (last) out.push(last.text);
  return out;
}

describe('MultilineJoiner', () => {
  it('joins continuation lines to the line before them', () => {
    const joiner = new MultilineJoiner(defaults);
    expect(feed(joiner, lines('a', ' 1', ' 2', 'b', 'c', ' 3'))).toEqual(['a\n 1\n 2', 'b', 'c\n 3']);
  });

  it('starts events at lines matching a start pattern', () => {
    const joiner = new MultilineJoiner({ ...defaults, mode: 'start', pattern: '^\\[' });
    expect(feed(joiner, lines('[1] a', 'x', '[2] b', '[3] c', 'y', 'z'))).toEqual([
      '[1] a\nx',
      '[2] b',
      '[3] c\ny\nz',
    ]);
  });

  it('lets a first line that does not start an event start one anyway', () => {
    const joiner = new MultilineJoiner({ ...defaults, mode: 'start', pattern: '^\\[' });
    expect(feed(joiner, lines('orphan', 'more', '[1] a'))).toEqual(['orphan\nmore', '[1] a']);
  });

  it('inverts the pattern with negate', () => {
    const joiner = new MultilineJoiner({ ...defaults, pattern: '^\\[', negate: true });
    expect(feed(joiner, lines('[1] a', 'x', '[2] b'))).toEqual(['[1] a\nx', '[2] b']);
  });

  it('keeps the first line offset and the last line end', () => {
    const joiner = new MultilineJoiner(defaults);
    for (const piece of lines('a', ' 1', ' 2')) joiner.push(piece, 0);
    expect(joiner.pendingOffset).toBe(0);
    expect(joiner.flush()).toMatchObject({ offset: 0, next: 8, lines: 3, continuation: false });
    expect(joiner.pendingOffset).toBeUndefined();
  });

  it('completes an event at max_lines and marks the next part a continuation', () => {
    const joiner = new MultilineJoiner({ ...defaults, maxLines: 2 });
    const pieces = lines('a', ' 1', ' 2', ' 3', ' 4');
    const done = pieces.map((p) => joiner.push(p, 0)).filter((e) => e !== undefined);
    expect(done.map((e) => [e.text, e.continuation])).toEqual([
      ['a\n 1', false],
      [' 2\n 3', true],
    ]);
    expect(joiner.pendingContinuation).toBe(true);
    expect(joiner.flush()).toMatchObject({ text: ' 4', continuation: true, lines: 1 });
  });

  it('completes an event before it grows past max_bytes', () => {
    const joiner = new MultilineJoiner({ ...defaults, maxBytes: 6 });
    expect(feed(joiner, lines('ab', ' c', ' d'))).toEqual(['ab\n c', ' d']);
  });

  it('expires an event after timeout_ms without a new line', () => {
    const joiner = new MultilineJoiner({ ...defaults, timeoutMs: 100 });
    expect(joiner.expired(1000)).toBe(false);
    joiner.push(lines('a')[0] as TextPiece, 1000);
    expect(joiner.expired(1099)).toBe(false);
    expect(joiner.expired(1100)).toBe(true);
  });

  it('carries the union of its lines flags', () => {
    const joiner = new MultilineJoiner(defaults);
    const [a, b] = lines('a', ' b');
    joiner.push({ ...(a as TextPiece), flags: 1 }, 0);
    joiner.push({ ...(b as TextPiece), flags: 4 }, 0);
    expect(joiner.flush()?.flags).toBe(5);
  });

  it('rebuilds the exact bytes of an event with an invalid line', () => {
    const joiner = new MultilineJoiner(defaults, (text) => Buffer.from(text, 'latin1'));
    const [a, b] = lines('caf\xe9', ' x');
    joiner.push(a as TextPiece, 0);
    joiner.push({ ...(b as TextPiece), base64: Buffer.from([0x20, 0xff]).toString('base64') }, 0);
    const event = joiner.flush();
    expect(Buffer.from(event?.base64 ?? '', 'base64')).toEqual(
      Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x0a, 0x20, 0xff]),
    );
  });

  it('leaves an event of valid lines without a base64 copy', () => {
    const joiner = new MultilineJoiner(defaults);
    for (const piece of lines('a', ' b')) joiner.push(piece, 0);
    expect(joiner.flush()?.base64).toBeUndefined();
  });
});
