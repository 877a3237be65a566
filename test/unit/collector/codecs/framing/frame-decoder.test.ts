import { describe, expect, it } from 'vitest';
import {
  FRAME_HEADER_BYTES,
  FrameDecoder,
  type FrameDecoderOptions,
  type FrameResult,
} from '../../../../../collector/codecs/framing/frame-decoder.ts';
import { createFrameSplitter, FRAMING_KEYWORDS } from '../../../../../collector/codecs/framing/registry.ts';

type Seen =
  | { frame: string; truncated?: true; unterminated?: true }
  | { error: 'frame_too_large' | 'bad_octet_count' | 'desynchronized' };

function simplify(results: FrameResult[]): Seen[] {
  return results.map((r) => {
    if ('error' in r) return { error: r.error.reason };
    const seen: Seen = { frame: r.frame.toString('latin1') };
    if (r.truncated) seen.truncated = true;
    if (r.unterminated) seen.unterminated = true;
    return seen;
  });
}

/** Feeds `chunks` to a new decoder, then closes the connection. */
function decode(options: FrameDecoderOptions, ...chunks: Array<string | Buffer>): Seen[] {
  const decoder = new FrameDecoder(options);
  const results: FrameResult[] = [];
  for (const chunk of chunks)
    results.push(...decoder.push(typeof chunk === 'string' ? latin1(chunk) : chunk));
  results.push(...decoder.end());
  return simplify(results);
}

function latin1(text: string): Buffer {
  return Buffer.from(text, 'latin1');
}

const AUTO: FrameDecoderOptions = { maxFrameBytes: 1024, mode: 'auto' };
const OCTET: FrameDecoderOptions = { maxFrameBytes: 1024, mode: 'octet_counting' };
const NEWLINE: FrameDecoderOptions = { maxFrameBytes: 1024, mode: 'newline' };

function octetFrame(message: string): string {
  return `${Buffer.byteLength(message, 'latin1')} ${message}`;
}

describe('FrameDecoder, newline framing', () => {
  it('splits frames at LF', () => {
    expect(decode(NEWLINE, '<13>one\n<13>two\n')).toEqual([{ frame: '<13>one' }, { frame: '<13>two' }]);
  });

  it('drops the CR of a CRLF delimiter', () => {
    expect(decode(NEWLINE, '<13>one\r\n<13>two\r\n')).toEqual([{ frame: '<13>one' }, { frame: '<13>two' }]);
  });

  it('drops a CR whose LF arrives in the next chunk', () => {
    expect(decode(NEWLINE, '<13>one\r', '\n<13>two\n')).toEqual([{ frame: '<13>one' }, { frame: '<13>two' }]);
  });

  it('keeps a CR that is not before the LF', () => {
    expect(decode(NEWLINE, '<13>a\rb\n')).toEqual([{ frame: '<13>a\rb' }]);
  });

  it('accepts NUL as a delimiter', () => {
    expect(decode(NEWLINE, '<13>one\0<13>two\0')).toEqual([{ frame: '<13>one' }, { frame: '<13>two' }]);
  });

  it('accepts LF and NUL delimiters mixed in one chunk', () => {
    expect(decode(NEWLINE, 'a\0b\nc\0d\n')).toEqual([
      { frame: 'a' },
      { frame: 'b' },
      { frame: 'c' },
      { frame: 'd' },
    ]);
  });

  it('skips empty lines', () => {
    expect(decode(NEWLINE, '\n\r\n<13>one\n\n\n<13>two\n')).toEqual([
      { frame: '<13>one' },
      { frame: '<13>two' },
    ]);
  });

  it('treats lines opening with digits as lines', () => {
    expect(decode(NEWLINE, '12 monkeys\n')).toEqual([{ frame: '12 monkeys' }]);
  });

  it('emits a last line without delimiter on end(), flagged unterminated', () => {
    expect(decode(NEWLINE, '<13>one\n<13>tw', 'o')).toEqual([
      { frame: '<13>one' },
      { frame: '<13>two', unterminated: true },
    ]);
  });

  it('emits nothing on end() when the stream ended on a delimiter', () => {
    expect(decode(NEWLINE, '<13>one\n')).toEqual([{ frame: '<13>one' }]);
  });

  it('cuts a line longer than maxFrameBytes, flags it truncated and skips to the next newline', () => {
    const options = { maxFrameBytes: 8, mode: 'newline' } as const;
    expect(decode(options, '0123456789abcdef\nnext\n')).toEqual([
      { frame: '01234567', truncated: true },
      { frame: 'next' },
    ]);
  });

  it('cuts a long line spread over many chunks and resumes after its newline', () => {
    const options = { maxFrameBytes: 8, mode: 'newline' } as const;
    expect(decode(options, 'abc', 'defgh', 'ijkl', 'mnop', 'qr\nnext\n')).toEqual([
      { frame: 'abcdefgh', truncated: true },
      { frame: 'next' },
    ]);
  });

  it('keeps a line of exactly maxFrameBytes whole, also with CRLF split between chunks', () => {
    const options = { maxFrameBytes: 8, mode: 'newline' } as const;
    expect(decode(options, '01234567\n')).toEqual([{ frame: '01234567' }]);
    expect(decode(options, '01234567\r', '\nnext\n')).toEqual([{ frame: '01234567' }, { frame: 'next' }]);
  });

  it('cuts a line of maxFrameBytes + 1 bytes', () => {
    const options = { maxFrameBytes: 8, mode: 'newline' } as const;
    expect(decode(options, '012345678\n')).toEqual([{ frame: '01234567', truncated: true }]);
    expect(decode(options, '012345678', '\n')).toEqual([{ frame: '01234567', truncated: true }]);
  });
});

describe('FrameDecoder, octet counting', () => {
  it('splits frames by their counts', () => {
    const stream = octetFrame('<13>1 - - - - - - one') + octetFrame('<13>1 - - - - - - two');
    expect(decode(OCTET, stream)).toEqual([
      { frame: '<13>1 - - - - - - one' },
      { frame: '<13>1 - - - - - - two' },
    ]);
  });

  it('keeps newlines inside an octet-counted frame', () => {
    expect(decode(OCTET, octetFrame('line 1\nline 2\n'))).toEqual([{ frame: 'line 1\nline 2\n' }]);
  });

  it('tolerates a newline after each frame', () => {
    expect(decode(OCTET, `${octetFrame('one')}\n${octetFrame('two')}\r\n`)).toEqual([
      { frame: 'one' },
      { frame: 'two' },
    ]);
  });

  it('reports a count above maxFrameBytes as frame_too_large and stops', () => {
    const decoder = new FrameDecoder(OCTET);
    const results = decoder.push(latin1('99999999999 <13>1 - - - - - - x'));
    expect(results).toHaveLength(1);
    expect(results[0]).toMatchObject({ error: { reason: 'frame_too_large' } });
    expect(decoder.desynchronized).toBe(true);
    expect(decoder.push(latin1(octetFrame('<13>fine')))).toEqual([]);
    expect(decoder.end()).toEqual([]);
    expect(decoder.bufferedBytes).toBe(0);
  });

  it('reports frame_too_large for a count just above the limit', () => {
    expect(decode({ maxFrameBytes: 10, mode: 'octet_counting' }, '11 01234567890')).toEqual([
      { error: 'frame_too_large' },
    ]);
    expect(decode({ maxFrameBytes: 10, mode: 'octet_counting' }, '10 0123456789')).toEqual([
      { frame: '0123456789' },
    ]);
  });

  it('reports letters where a count belongs as bad_octet_count', () => {
    const decoder = new FrameDecoder(OCTET);
    const results = decoder.push(latin1('abc <13>x'));
    expect(results).toEqual([
      { error: { reason: 'bad_octet_count', detail: expect.stringContaining("'a'") } },
    ]);
    expect(decoder.desynchronized).toBe(true);
  });

  it('reports a count with a leading zero as bad_octet_count', () => {
    expect(decode(OCTET, '05 hello')).toEqual([{ error: 'bad_octet_count' }]);
  });

  it('reports a count not followed by a space as desynchronized', () => {
    expect(decode(OCTET, '12<13>hello')).toEqual([{ error: 'desynchronized' }]);
  });

  it('returns frames decoded before the error', () => {
    expect(decode(OCTET, `${octetFrame('one')}x`)).toEqual([{ frame: 'one' }, { error: 'bad_octet_count' }]);
  });

  it('emits a frame cut short by the end of the connection, flagged unterminated', () => {
    expect(decode(OCTET, '10 01234')).toEqual([{ frame: '01234', unterminated: true }]);
  });

  it('reports a connection closed inside a count', () => {
    expect(decode(OCTET, octetFrame('one'), '12')).toEqual([{ frame: 'one' }, { error: 'bad_octet_count' }]);
  });
});

describe('FrameDecoder, auto mode (decided by the first frame, then kept)', () => {
  it('reads an octet-counted connection', () => {
    expect(decode(AUTO, octetFrame('<13>1 - - - - - - a'), octetFrame('<13>b'))).toEqual([
      { frame: '<13>1 - - - - - - a' },
      { frame: '<13>b' },
    ]);
    const decoder = new FrameDecoder(AUTO);
    decoder.push(latin1(octetFrame('x')));
    expect(decoder.framing).toBe('octet_counting');
  });

  it('reads a newline connection', () => {
    expect(decode(AUTO, '<13>a\n<13>b\n')).toEqual([{ frame: '<13>a' }, { frame: '<13>b' }]);
    const decoder = new FrameDecoder(AUTO);
    decoder.push(latin1('<13>a\n'));
    expect(decoder.framing).toBe('newline');
  });

  it('keeps newline framing when a later frame looks octet counted', () => {
    expect(decode(AUTO, '<13>a\n12 monkeys\n', octetFrame('<13>b'), '\n')).toEqual([
      { frame: '<13>a' },
      { frame: '12 monkeys' },
      { frame: '5 <13>b' },
    ]);
  });

  it('keeps octet counting when a later frame is a line: the stream is desynchronized', () => {
    expect(decode(AUTO, octetFrame('<13>a'), '<13>b\n')).toEqual([
      { frame: '<13>a' },
      { error: 'bad_octet_count' },
    ]);
  });

  it('reads a first line opening with digits but no count as newline framing', () => {
    expect(decode(AUTO, '2026-11-24T22:31:05Z boot\n12 later\n')).toEqual([
      { frame: '2026-11-24T22:31:05Z boot' },
      { frame: '12 later' },
    ]);
    expect(decode(AUTO, '2026', '-11-24 boot\n')).toEqual([{ frame: '2026-11-24 boot' }]);
    expect(decode(AUTO, '123\n')).toEqual([{ frame: '123' }]);
    expect(decode(AUTO, '123')).toEqual([{ frame: '123', unterminated: true }]);
  });

  it('reports a huge first count as frame_too_large', () => {
    expect(decode(AUTO, '99999999999 ')).toEqual([{ error: 'frame_too_large' }]);
    expect(decode(AUTO, '9'.repeat(40))).toEqual([{ error: 'frame_too_large' }]);
  });

  it('does not decide on empty lines before the first frame', () => {
    expect(decode(AUTO, '\r\n\n', octetFrame('<13>a'))).toEqual([{ frame: '<13>a' }]);
  });
});

describe('FrameDecoder, chunk boundaries', () => {
  const streams: Array<{ name: string; options: FrameDecoderOptions; stream: string; expected: Seen[] }> = [
    {
      name: 'octet counting',
      options: OCTET,
      stream: [
        octetFrame('<13>1 2026-11-24T22:31:05Z h a - - - one'),
        octetFrame('two\nlines'),
        '\n',
        octetFrame('<165>1 - - - - - [x@1 a="\\]"] three'),
      ].join(''),
      expected: [
        { frame: '<13>1 2026-11-24T22:31:05Z h a - - - one' },
        { frame: 'two\nlines' },
        { frame: '<165>1 - - - - - [x@1 a="\\]"] three' },
      ],
    },
    {
      name: 'newline framing with CRLF, NUL and a truncated line',
      options: { maxFrameBytes: 12, mode: 'newline' },
      stream: '<13>one\r\n<13>two\0\n\n<13>three is too long\n<13>exact-12\r\n<13>tail',
      expected: [
        { frame: '<13>one' },
        { frame: '<13>two' },
        { frame: '<13>three is', truncated: true },
        { frame: '<13>exact-12' },
        { frame: '<13>tail', unterminated: true },
      ],
    },
    {
      name: 'auto detecting octet counting',
      options: AUTO,
      stream: `${octetFrame('<13>a')}${octetFrame('<13>bb')}\n${octetFrame('<13>ccc')}`,
      expected: [{ frame: '<13>a' }, { frame: '<13>bb' }, { frame: '<13>ccc' }],
    },
    {
      name: 'auto detecting newline framing',
      options: AUTO,
      stream: '<13>a\n17 not a count\n<13>c\r\n',
      expected: [{ frame: '<13>a' }, { frame: '17 not a count' }, { frame: '<13>c' }],
    },
    {
      name: 'auto falling back from digits',
      options: AUTO,
      stream: '2026-11-24 a\n<13>b\n',
      expected: [{ frame: '2026-11-24 a' }, { frame: '<13>b' }],
    },
  ];

  for (const { name, options, stream, expected } of streams) {
    it(`gives the same frames for every split position: ${name}`, () => {
      const bytes = latin1(stream);
      expect(decode(options, bytes)).toEqual(expected);
      for (let at = 0; at <= bytes.length; at += 1) {
        expect(decode(options, bytes.subarray(0, at), bytes.subarray(at)), `split at ${at}`).toEqual(
          expected,
        );
      }
    });

    it(`gives the same frames one byte at a time: ${name}`, () => {
      const bytes = latin1(stream);
      const chunks = Array.from(bytes, (byte) => Buffer.of(byte));
      expect(decode(options, ...chunks)).toEqual(expected);
    });
  }

  it('copies what it keeps, so a chunk may be reused after push', () => {
    const decoder = new FrameDecoder(NEWLINE);
    const chunk = Buffer.alloc(8);
    chunk.write('<13>abc', 'latin1');
    const first = decoder.push(chunk.subarray(0, 7));
    chunk.write('d\n<13>x\n', 'latin1');
    const second = decoder.push(chunk);
    expect(simplify([...first, ...second])).toEqual([{ frame: '<13>abcd' }, { frame: '<13>x' }]);
  });
});

describe('FrameDecoder, bounded memory', () => {
  it('never holds more than maxFrameBytes + FRAME_HEADER_BYTES while 100 MB arrive without a newline', () => {
    const maxFrameBytes = 256 * 1024;
    const decoder = new FrameDecoder({ maxFrameBytes, mode: 'auto' });
    const chunk = Buffer.alloc(64 * 1024, 'x');
    const frames: FrameResult[] = [];
    let most = 0;
    for (let sent = 0; sent < 100 * 1024 * 1024; sent += chunk.length) {
      frames.push(...decoder.push(chunk));
      most = Math.max(most, decoder.bufferedBytes);
    }
    expect(most).toBeLessThanOrEqual(maxFrameBytes + FRAME_HEADER_BYTES);
    expect(frames).toHaveLength(1);
    const [first] = frames;
    expect(first).toMatchObject({ truncated: true });
    expect(first && 'frame' in first ? first.frame.length : 0).toBe(maxFrameBytes);
    expect(simplify(decoder.push(latin1('\n<13>after\n')))).toEqual([{ frame: '<13>after' }]);
  });

  it('never holds more than the count of an octet-counted frame', () => {
    const maxFrameBytes = 100_000;
    const decoder = new FrameDecoder({ maxFrameBytes, mode: 'octet_counting' });
    const chunk = Buffer.alloc(4096, 'y');
    let most = 0;
    const frames: FrameResult[] = [...decoder.push(latin1(`${maxFrameBytes} `))];
    for (let sent = 0; sent < maxFrameBytes; sent += chunk.length) {
      frames.push(...decoder.push(chunk.subarray(0, Math.min(chunk.length, maxFrameBytes - sent))));
      most = Math.max(most, decoder.bufferedBytes);
    }
    expect(most).toBeLessThanOrEqual(maxFrameBytes + FRAME_HEADER_BYTES);
    expect(frames).toHaveLength(1);
    expect(decoder.bufferedBytes).toBe(0);
  });

  it('refuses a maxFrameBytes that is not a positive integer', () => {
    expect(() => new FrameDecoder({ maxFrameBytes: 0, mode: 'auto' })).toThrow(RangeError);
    expect(() => new FrameDecoder({ maxFrameBytes: 1.5, mode: 'auto' })).toThrow(RangeError);
  });
});

describe('framing registry', () => {
  it('offers the three framing keywords', () => {
    expect(FRAMING_KEYWORDS).toEqual(['auto', 'octet_counting', 'newline']);
  });

  it('builds a decoder of the named framing', () => {
    const newline = createFrameSplitter('newline', { maxFrameBytes: 64 });
    expect(simplify(newline.push(latin1('5 hello\n')))).toEqual([{ frame: '5 hello' }]);
    const octet = createFrameSplitter('octet_counting', { maxFrameBytes: 64 });
    expect(simplify(octet.push(latin1('5 hello\n')))).toEqual([{ frame: 'hello' }]);
  });
});
