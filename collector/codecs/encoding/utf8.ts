/**
 * UTF-8: lines end at a 0x0A byte (a byte that never occurs inside a
 * multi-byte character). Validation runs once per chunk (simdutf through
 * `isUtf8`); only lines of a chunk that is not all valid are checked one by one.
 */
import { isUtf8 } from 'node:buffer';
import type { LineCodec } from './registry.ts';

const LF = 0x0a;
const CR = 0x0d;
const strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export function utf8(): LineCodec {
  return {
    name: 'utf-8',
    unit: 1,
    bom: Buffer.from([0xef, 0xbb, 0xbf]),
    newline: Buffer.from([LF]),
    indexOfNewline(buf, from, to) {
      const index = buf.indexOf(LF, from);
      return index === -1 || index >= to ? -1 : index;
    },
    endsWithCr(buf, start, end) {
      return end > start && buf[end - 1] === CR;
    },
    boundary(buf, start, end) {
      // Walk back over continuation bytes to the lead byte of the last character.
      let lead = end - 1;
      while (lead >= start && end - lead < 4 && ((buf[lead] as number) & 0xc0) === 0x80) lead -= 1;
      if (lead < start) return end;
      const byte = buf[lead] as number;
      const length = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
      return end - lead < length ? lead : end;
    },
    validUntil(buf, from, to) {
      const last = buf.lastIndexOf(LF, to - 1);
      if (last < from) return from;
      return isUtf8(buf.subarray(from, last + 1)) ? last + 1 : from;
    },
    decodeTrusted(buf, start, end) {
      return buf.toString('utf8', start, end);
    },
    decode(buf, start, end) {
      try {
        return strict.decode(buf.subarray(start, end));
      } catch {
        return undefined;
      }
    },
    decodeLossy(buf, start, end) {
      return buf.toString('utf8', start, end);
    },
    encode(text) {
      return Buffer.from(text, 'utf8');
    },
  };
}
