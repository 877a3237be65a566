/**
 * UTF-16, little and big endian. A line feed is the code unit 0x000A: the
 * bytes 0A 00 (LE) or 00 0A (BE) at an even file offset. A lone 0x0A byte,
 * e.g. inside U+0A41 or U+410A, is not a newline. Lines are validated one by
 * one (odd byte counts and unpaired surrogates are invalid).
 */
import type { LineCodec } from './registry.ts';

const LF = 0x0a;
const CR = 0x0d;

function utf16(littleEndian: boolean): LineCodec {
  const strict = new TextDecoder(littleEndian ? 'utf-16le' : 'utf-16be', { fatal: true, ignoreBOM: true });
  const lossy = new TextDecoder(littleEndian ? 'utf-16le' : 'utf-16be', { ignoreBOM: true });
  /** Index of the byte that holds the low 8 bits of the unit starting at `i`. */
  const low = littleEndian ? 0 : 1;
  const high = 1 - low;
  const unitAt = (buf: Buffer, i: number) => ((buf[i + high] as number) << 8) | (buf[i + low] as number);
  return {
    name: littleEndian ? 'utf-16le' : 'utf-16be',
    unit: 2,
    bom: Buffer.from(littleEndian ? [0xff, 0xfe] : [0xfe, 0xff]),
    newline: Buffer.from(littleEndian ? [LF, 0] : [0, LF]),
    indexOfNewline(buf, from, to, base) {
      let search = from + low;
      for (;;) {
        const hit = buf.indexOf(LF, search);
        if (hit === -1) return -1;
        const start = hit - low;
        if (start + 2 > to) return -1;
        if (start >= from && (base + start) % 2 === 0 && buf[start + high] === 0) return start;
        search = hit + 1;
      }
    },
    endsWithCr(buf, start, end) {
      return end - start >= 2 && unitAt(buf, end - 2) === CR;
    },
    boundary(buf, start, end) {
      let cut = end - ((end - start) % 2);
      if (cut - start >= 2) {
        const last = unitAt(buf, cut - 2);
        // A high surrogate whose low half is beyond the cut: leave the pair whole.
        if (last >= 0xd800 && last <= 0xdbff) cut -= 2;
      }
      return cut;
    },
    validUntil(_buf, from) {
      return from;
    },
    decodeTrusted(buf, start, end) {
      return lossy.decode(buf.subarray(start, end));
    },
    decode(buf, start, end) {
      if ((end - start) % 2 !== 0) return undefined;
      try {
        return strict.decode(buf.subarray(start, end));
      } catch {
        return undefined;
      }
    },
    decodeLossy(buf, start, end) {
      return lossy.decode(buf.subarray(start, end));
    },
    encode(text) {
      const bytes = Buffer.from(text, 'utf16le');
      return littleEndian ? bytes : bytes.swap16();
    },
  };
}

export function utf16le(): LineCodec {
  return utf16(true);
}

export function utf16be(): LineCodec {
  return utf16(false);
}
