/**
 * Text encodings of tailed files, by the keyword an input's `encoding`
 * option names them with. A codec knows where lines end in its encoding
 * (a 0x0A byte is not a newline in UTF-16), where characters begin (so a
 * long line is cut between characters), and how to decode strictly: bytes
 * that are not valid are reported, never silently replaced, so the file
 * source can keep them (base64 copy + flag).
 *
 * A new encoding is one file exporting a LineCodec factory, plus one line here.
 */
import { latin1 } from './latin1.ts';
import { utf8 } from './utf8.ts';
import { utf16be, utf16le } from './utf16.ts';

/** What an encoding implements. Buffer indexes are absolute; `base` is the file offset of `buf[0]`. */
export interface LineCodec {
  readonly name: EncodingKeyword;
  /** Bytes per code unit: 1 (UTF-8, Latin-1) or 2 (UTF-16). */
  readonly unit: 1 | 2;
  /** The byte order mark of the encoding, if it has one. */
  readonly bom: Buffer | undefined;
  /** The line separator as bytes, for rebuilding the exact bytes of joined lines. */
  readonly newline: Buffer;
  /**
   * Index of the first line feed in buf[from, to) that sits on a code-unit
   * boundary of the file (`base` is the file offset of buf[0]); -1 if none.
   * The line feed occupies `unit` bytes from there.
   */
  indexOfNewline(buf: Buffer, from: number, to: number, base: number): number;
  /** Whether buf[start, end) ends with a carriage return unit. */
  endsWithCr(buf: Buffer, start: number, end: number): boolean;
  /**
   * The largest index in [start, end] such that buf[start, index) does not
   * end inside a character; used to cut long lines and flush fragments.
   */
  boundary(buf: Buffer, start: number, end: number): number;
  /**
   * Bytes in buf[from, to) from which every line can be decoded without
   * validation: returns the index up to which the whole range is valid
   * (from when unknown). A fast path for the common all-valid chunk.
   */
  validUntil(buf: Buffer, from: number, to: number): number;
  /** Decodes bytes known to be valid. */
  decodeTrusted(buf: Buffer, start: number, end: number): string;
  /** Decodes strictly; undefined when the bytes are not valid in the encoding. */
  decode(buf: Buffer, start: number, end: number): string | undefined;
  /** Decodes with U+FFFD for invalid sequences. */
  decodeLossy(buf: Buffer, start: number, end: number): string;
  /** Encodes decoded text back to its bytes (exact for text that decoded strictly). */
  encode(text: string): Buffer;
}

export const encodings = {
  'utf-8': utf8,
  'utf-16le': utf16le,
  'utf-16be': utf16be,
  latin1,
} as const satisfies Record<string, () => LineCodec>;

/** The encoding keywords a configuration may use. */
export type EncodingKeyword = keyof typeof encodings;

export const ENCODING_KEYWORDS = Object.keys(encodings) as EncodingKeyword[];

export function createLineCodec(keyword: EncodingKeyword): LineCodec {
  return encodings[keyword]();
}

/** Unicode encodings whose byte order mark is recognized at the start of a file. */
const BOM_ENCODINGS: readonly EncodingKeyword[] = ['utf-8', 'utf-16le', 'utf-16be'];

export interface DetectedEncoding {
  codec: LineCodec;
  /** Bytes of byte order mark at the start of the file (skipped, never part of a line). */
  bomBytes: number;
}

/**
 * Decides a file's encoding from its first bytes. For the Unicode encodings a
 * byte order mark wins over the configured one (a UTF-16 file tailed with the
 * default utf-8 is read as UTF-16); Latin-1 has no byte order mark, so its
 * bytes are taken as they are. Returns undefined while the first bytes could
 * still become a byte order mark (the file is shorter than one).
 */
export function detectEncoding(configured: EncodingKeyword, head: Uint8Array): DetectedEncoding | undefined {
  if (!BOM_ENCODINGS.includes(configured)) return { codec: createLineCodec(configured), bomBytes: 0 };
  for (const keyword of BOM_ENCODINGS) {
    const codec = createLineCodec(keyword);
    const bom = codec.bom as Buffer;
    const n = Math.min(bom.length, head.length);
    let prefix = true;
    for (let i = 0; i < n; i++) {
      if (head[i] !== bom[i]) {
        prefix = false;
        break;
      }
    }
    if (!prefix) continue;
    if (head.length < bom.length) return undefined;
    return { codec, bomBytes: bom.length };
  }
  return { codec: createLineCodec(configured), bomBytes: 0 };
}
