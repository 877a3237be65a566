/**
 * Latin-1 (ISO-8859-1): every byte is a character, so every line is valid
 * and lines end at a 0x0A byte.
 */
import type { LineCodec } from './registry.ts';

const LF = 0x0a;
const CR = 0x0d;

export function latin1(): LineCodec {
  return {
    name: 'latin1',
    unit: 1,
    bom: undefined,
    newline: Buffer.from([LF]),
    indexOfNewline(buf, from, to) {
      const index = buf.indexOf(LF, from);
      return index === -1 || index >= to ? -1 : index;
    },
    endsWithCr(buf, start, end) {
      return end > start && buf[end - 1] === CR;
    },
    boundary(_buf, _start, end) {
      return end;
    },
    validUntil(_buf, _from, to) {
      return to;
    },
    decodeTrusted(buf, start, end) {
      return buf.toString('latin1', start, end);
    },
    decode(buf, start, end) {
      return buf.toString('latin1', start, end);
    },
    decodeLossy(buf, start, end) {
      return buf.toString('latin1', start, end);
    },
    encode(text) {
      return Buffer.from(text, 'latin1');
    },
  };
}
