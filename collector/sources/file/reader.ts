/**
 * Splits the bytes of a tailed file into lines, in the file's encoding.
 *
 * * A line ends at a line feed (LF, or CRLF whose CR is dropped); a partial
 *   last line waits for its newline, unless the caller flushes it
 *   (`flushPartial`), which emits it flagged `unterminated` and makes the
 *   next line a `continuation`.
 * * A line longer than `maxLineBytes` is cut there (between characters),
 *   flagged `truncated`, and the rest of it is skipped up to the next newline.
 * * Bytes that are not valid in the encoding are kept: the line gets a lossy
 *   decoding, the exact bytes in base64 and the flag `invalid_encoding`.
 *   NUL bytes are ordinary characters.
 *
 * The splitter copies nothing per line: it decodes straight out of the read
 * buffer and calls a visitor, which builds records or feeds a multiline joiner.
 */
import type { LineCodec } from '../../codecs/encoding/registry.ts';

/** Flag bits of a line; `flagNames` turns them into the record's flags. */
export const TRUNCATED = 1;
export const INVALID_ENCODING = 2;
export const UNTERMINATED = 4;
export const CONTINUATION = 8;
export const MULTILINE = 16;

const FLAG_NAMES: ReadonlyArray<readonly [number, string]> = [
  [INVALID_ENCODING, 'invalid_encoding'],
  [TRUNCATED, 'truncated'],
  [UNTERMINATED, 'unterminated'],
  [CONTINUATION, 'continuation'],
  [MULTILINE, 'multiline'],
];

export function flagNames(flags: number): string[] {
  const names: string[] = [];
  for (const [bit, name] of FLAG_NAMES) if ((flags & bit) !== 0) names.push(name);
  return names;
}

/**
 * Receives one line: the file offset of its first byte, the file offset just
 * after its terminator (where the next line starts), its text, the exact
 * bytes in base64 when the text is not a valid decoding, and its flag bits.
 */
export type LineVisitor = (
  offset: number,
  next: number,
  text: string,
  base64: string | undefined,
  flags: number,
) => void;

export class LineSplitter {
  readonly codec: LineCodec;
  readonly #maxLineBytes: number;
  /** Inside an over-long line: bytes up to the next newline are skipped. */
  skipping = false;
  /** A fragment of the current line was already emitted: the next line continues it. */
  continuing = false;

  constructor(codec: LineCodec, maxLineBytes: number) {
    this.codec = codec;
    this.#maxLineBytes = maxLineBytes;
  }

  /**
   * Emits the complete lines of buf[from, to); buf[0] is at file offset
   * `base`. Returns the index up to which bytes are consumed: the start of a
   * partial last line, or `to`.
   */
  split(buf: Buffer, from: number, to: number, base: number, visit: LineVisitor): number {
    const { codec } = this;
    const unit = codec.unit;
    const maxLine = this.#maxLineBytes;
    const trusted = codec.validUntil(buf, from, to);
    let start = from;
    while (start < to) {
      const newline = codec.indexOfNewline(buf, start, to, base);
      if (this.skipping) {
        if (newline === -1) return aligned(to, base, unit);
        this.skipping = false;
        start = newline + unit;
        continue;
      }
      const lineEnd = newline === -1 ? to : newline;
      // Partial last line: wait for its newline. At exactly maxLine bytes it is not known yet whether
      // the line is longer; the next read holds at least one more unit and decides.
      if (newline === -1 && lineEnd - start <= maxLine) break;
      const truncated = lineEnd - start > maxLine;
      let end = truncated ? codec.boundary(buf, start, start + maxLine) : lineEnd;
      if (!truncated && codec.endsWithCr(buf, start, end)) end -= unit;
      let flags = truncated ? TRUNCATED : 0;
      if (this.continuing) {
        this.continuing = false;
        flags |= CONTINUATION;
        // The newline that ends a flushed fragment carries nothing of its own.
        if (end === start && !truncated) {
          start = lineEnd + unit;
          continue;
        }
      }
      const next = newline === -1 ? base + to : base + newline + unit;
      this.#emit(buf, start, end, base, next, flags, trusted, visit);
      if (truncated && newline === -1) {
        this.skipping = true;
        return aligned(to, base, unit);
      }
      start = lineEnd + unit;
    }
    return start;
  }

  /**
   * Emits the partial line buf[from, to) (which holds no newline) as a
   * fragment flagged `unterminated`, up to the last whole character. Returns
   * the index consumed to.
   */
  flushPartial(buf: Buffer, from: number, to: number, base: number, visit: LineVisitor): number {
    if (this.skipping || from >= to) return from;
    const cut = this.codec.boundary(buf, from, to);
    if (cut <= from) return from;
    const flags = UNTERMINATED | (this.continuing ? CONTINUATION : 0);
    this.#emit(buf, from, cut, base, base + cut, flags, from, visit);
    this.continuing = true;
    return cut;
  }

  #emit(
    buf: Buffer,
    start: number,
    end: number,
    base: number,
    next: number,
    flags: number,
    trusted: number,
    visit: LineVisitor,
  ): void {
    const { codec } = this;
    if (end <= trusted) {
      visit(base + start, next, codec.decodeTrusted(buf, start, end), undefined, flags);
      return;
    }
    const text = codec.decode(buf, start, end);
    if (text !== undefined) {
      visit(base + start, next, text, undefined, flags);
      return;
    }
    visit(
      base + start,
      next,
      codec.decodeLossy(buf, start, end),
      buf.toString('base64', start, end),
      flags | INVALID_ENCODING,
    );
  }
}

/** The largest index ≤ `to` at a code-unit boundary of the file. */
function aligned(to: number, base: number, unit: number): number {
  return unit === 1 ? to : to - ((base + to) % unit);
}
