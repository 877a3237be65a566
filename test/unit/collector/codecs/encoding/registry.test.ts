import { describe, expect, it } from 'vitest';
import {
  createLineCodec,
  detectEncoding,
  ENCODING_KEYWORDS,
  type EncodingKeyword,
} from '../../../../../collector/codecs/encoding/registry.ts';

function encode(keyword: EncodingKeyword, text: string): Buffer {
  return createLineCodec(keyword).encode(text);
}

describe('encoding registry', () => {
  it('offers the encodings the configuration allows', () => {
    expect(ENCODING_KEYWORDS).toEqual(['utf-8', 'utf-16le', 'utf-16be', 'latin1']);
  });

  it.each(ENCODING_KEYWORDS)('round-trips text through %s', (keyword) => {
    const codec = createLineCodec(keyword);
    const text = keyword === 'latin1' ? 'café' : 'café 😀 ਁ';
    const bytes = codec.encode(text);
    expect(codec.decode(bytes, 0, bytes.length)).toBe(text);
  });

  describe('detectEncoding', () => {
    it('uses the configured encoding when there is no byte order mark', () => {
      expect(detectEncoding('utf-16be', Buffer.from([0x00, 0x41]))).toMatchObject({
        codec: { name: 'utf-16be' },
        bomBytes: 0,
      });
    });

    it.each([
      ['utf-8', [0xef, 0xbb, 0xbf, 0x41]],
      ['utf-16le', [0xff, 0xfe, 0x41, 0x00]],
      ['utf-16be', [0xfe, 0xff, 0x00, 0x41]],
    ] as const)('recognizes the %s byte order mark', (name, bytes) => {
      const detected = detectEncoding('utf-8', Buffer.from(bytes));
      expect(detected?.codec.name).toBe(name);
      expect(detected?.bomBytes).toBe(name === 'utf-8' ? 3 : 2);
    });

    it('waits while the first bytes could still become a byte order mark', () => {
      expect(detectEncoding('utf-8', Buffer.alloc(0))).toBeUndefined();
      expect(detectEncoding('utf-8', Buffer.from([0xef, 0xbb]))).toBeUndefined();
      expect(detectEncoding('utf-8', Buffer.from([0xff]))).toBeUndefined();
    });

    it('decides at once when the first bytes cannot be a byte order mark', () => {
      expect(detectEncoding('utf-8', Buffer.from('a'))?.codec.name).toBe('utf-8');
    });

    it('takes Latin-1 bytes as they are, byte order mark or not', () => {
      expect(detectEncoding('latin1', Buffer.from([0xef, 0xbb, 0xbf]))).toMatchObject({
        codec: { name: 'latin1' },
        bomBytes: 0,
      });
    });
  });

  describe('newlines', () => {
    it('finds a UTF-8 newline', () => {
      const codec = createLineCodec('utf-8');
      expect(codec.indexOfNewline(Buffer.from('ab\ncd'), 0, 5, 0)).toBe(2);
      expect(codec.indexOfNewline(Buffer.from('ab\ncd'), 0, 2, 0)).toBe(-1);
    });

    it('finds only a UTF-16LE line feed unit at an even file offset', () => {
      const codec = createLineCodec('utf-16le');
      // "\u0A41" is 41 0A: a 0x0A byte that is no line feed.
      const bytes = encode('utf-16le', '\u0A41\n');
      expect(codec.indexOfNewline(bytes, 0, bytes.length, 0)).toBe(2);
    });

    it('finds only a UTF-16BE line feed unit', () => {
      const codec = createLineCodec('utf-16be');
      // "\u0A00\u4100" is 0A 00 41 00: line feed bytes in the wrong places.
      const bytes = encode('utf-16be', '\u0A00\u4100\n');
      expect(codec.indexOfNewline(bytes, 0, bytes.length, 0)).toBe(4);
    });

    it('aligns UTF-16 units to file offsets, not to the buffer', () => {
      const codec = createLineCodec('utf-16le');
      // The buffer starts at odd file offset 1: the unit boundaries are at odd buffer indexes.
      const bytes = Buffer.from([0x00, 0x0a, 0x00, 0x0a, 0x00]);
      expect(codec.indexOfNewline(bytes, 0, bytes.length, 1)).toBe(1);
      expect(codec.indexOfNewline(bytes, 0, bytes.length, 0)).toBe(-1);
    });

    it.each(ENCODING_KEYWORDS)('recognizes a carriage return before the newline in %s', (keyword) => {
      const codec = createLineCodec(keyword);
      const bytes = codec.encode('ab\r');
      expect(codec.endsWithCr(bytes, 0, bytes.length)).toBe(true);
      expect(codec.endsWithCr(bytes, 0, bytes.length - codec.unit)).toBe(false);
    });
  });

  describe('boundaries', () => {
    it('does not cut a UTF-8 character', () => {
      const codec = createLineCodec('utf-8');
      const bytes = Buffer.from('a€b'); // 61 E2 82 AC 62
      expect(codec.boundary(bytes, 0, 1)).toBe(1);
      expect(codec.boundary(bytes, 0, 2)).toBe(1);
      expect(codec.boundary(bytes, 0, 3)).toBe(1);
      expect(codec.boundary(bytes, 0, 4)).toBe(4);
    });

    it('keeps stray continuation bytes rather than cutting everything', () => {
      const codec = createLineCodec('utf-8');
      expect(codec.boundary(Buffer.from([0x80, 0x80]), 0, 2)).toBe(2);
    });

    it('does not cut a UTF-16 unit or surrogate pair', () => {
      const codec = createLineCodec('utf-16le');
      const bytes = encode('utf-16le', 'a😀'); // 2 + 4 bytes
      expect(codec.boundary(bytes, 0, 3)).toBe(2);
      expect(codec.boundary(bytes, 0, 4)).toBe(2);
      expect(codec.boundary(bytes, 0, 6)).toBe(6);
    });
  });

  describe('validation', () => {
    it('reports invalid UTF-8 instead of replacing it', () => {
      const codec = createLineCodec('utf-8');
      const bytes = Buffer.from([0x61, 0xc3]);
      expect(codec.decode(bytes, 0, 2)).toBeUndefined();
      expect(codec.decodeLossy(bytes, 0, 2)).toBe('a\uFFFD');
    });

    it('keeps a byte order mark character inside a line', () => {
      const codec = createLineCodec('utf-8');
      const bytes = Buffer.from('\uFEFFx');
      expect(codec.decode(bytes, 0, bytes.length)).toBe('\uFEFFx');
    });

    it('validates a UTF-8 chunk up to its last newline at once', () => {
      const codec = createLineCodec('utf-8');
      const bytes = Buffer.concat([Buffer.from('ok\nfine\n'), Buffer.from([0xe2, 0x82])]);
      expect(codec.validUntil(bytes, 0, bytes.length)).toBe(8);
      expect(codec.validUntil(Buffer.from([0xff, 0x0a]), 0, 2)).toBe(0);
    });

    it('reports unpaired UTF-16 surrogates and odd byte counts', () => {
      const codec = createLineCodec('utf-16be');
      expect(codec.decode(Buffer.from([0xd8, 0x00, 0x00, 0x41]), 0, 4)).toBeUndefined();
      expect(codec.decode(Buffer.from([0x00, 0x41, 0x00]), 0, 3)).toBeUndefined();
    });
  });
});
