/**
 * Splits a TCP syslog byte stream into frames (RFC 6587). Only bytes → frames:
 * what a frame says is the syslog codec's business (`../syslog/`).
 *
 * Two framings exist on the wire:
 * - octet counting, `MSG-LEN SP SYSLOG-MSG`, where MSG-LEN is a decimal count
 *   without leading zeros (RFC 6587 §3.4.1, RFC 5425);
 * - non-transparent framing, a message ended by LF (§3.4.2). A CR before the
 *   LF is dropped, and NUL also ends a frame because some senders (Juniper
 *   NetScreen among them) use it.
 *
 * `mode: 'auto'` decides once per connection, on the first byte of the first
 * frame: a digit 1-9 means octet counting, anything else newline framing, and
 * the decision holds for the rest of the connection (syslog-ng's choice;
 * rsyslog instead re-decides at every frame). Holding it means a newline
 * stream whose lines start with a digit (PRI-less application logs, `12 jobs
 * done`) is never cut apart by a misread count, at the price of not
 * following a sender that switches framing mid-connection, which no known
 * sender does. One refinement: while the first frame is still undecided,
 * digits followed by anything but a space (`2026-11-24 …`) fall back to
 * newline framing instead of failing.
 *
 * Errors never throw. An octet count above `maxFrameBytes`, a frame that
 * does not start with a count, or a count not followed by a space leave the
 * stream with no trustworthy frame boundary: `push` reports one
 * FramingError, the decoder becomes `desynchronized` and ignores everything
 * after; the caller should count it and close the connection.
 * A newline frame longer than `maxFrameBytes` is not an error: newline
 * framing finds its next boundary by itself, so the frame is cut to
 * `maxFrameBytes`, flagged `truncated`, and the rest of it is skipped up to
 * the next delimiter (the file source treats long lines the same way).
 *
 * Memory is bounded: at most `maxFrameBytes + 16` bytes are held
 * (`bufferedBytes`), whatever the sender does. Bytes between frames that are
 * LF, CR or NUL are skipped, so empty lines and octet-counted senders that
 * add a newline after each frame are tolerated.
 *
 * A frame that lies inside one pushed chunk is a view of that chunk, not a
 * copy: do not overwrite a chunk's memory while its frames are in use
 * (socket 'data' chunks are never reused). Bytes kept across pushes are
 * copied, so reusing a chunk after `push` returns is safe.
 */

export type FramingMode = 'auto' | 'octet_counting' | 'newline';

export interface FrameDecoderOptions {
  /** Largest frame accepted, in bytes, not counting the octet count or the delimiter. */
  maxFrameBytes: number;
  /** `octet_counting` or `newline` force one framing; `auto` picks one per connection from its first byte. */
  mode: FramingMode;
}

export type FramingErrorReason = 'frame_too_large' | 'bad_octet_count' | 'desynchronized';

/**
 * Why the stream lost its frame boundaries.
 * - `frame_too_large`: an octet count above `maxFrameBytes`;
 * - `bad_octet_count`: an octet-counted frame does not start with a digit 1-9,
 *   or the connection closed in the middle of a count;
 * - `desynchronized`: a count's digits are followed by something else than a space.
 */
export interface FramingError {
  reason: FramingErrorReason;
  /** A sentence for the log, naming the stream offset and what was found. */
  detail: string;
}

export interface Frame {
  frame: Buffer;
  /** The frame was longer than `maxFrameBytes` and was cut there (newline framing only). */
  truncated?: true;
  /** The connection closed before the frame's end: no delimiter, or fewer bytes than its count. */
  unterminated?: true;
}

export type FrameResult = Frame | { error: FramingError };

/** Most bytes held above `maxFrameBytes`: an octet count, or the slack for a CR before LF. */
export const FRAME_HEADER_BYTES = 16;
/** Most digits read while deciding whether a first frame is octet counted (keeps counts exact). */
const MAX_UNDECIDED_DIGITS = 15;

const NUL = 0x00;
const LF = 0x0a;
const CR = 0x0d;
const SP = 0x20;
const DIGIT_0 = 0x30;
const DIGIT_1 = 0x31;
const DIGIT_9 = 0x39;

// Decoder states (numbers: this loop runs per byte of every frame start).
const FRAME_START = 0;
const COUNT = 1;
const BODY = 2;
const LINE = 3;
const SKIP_LINE = 4;
const DESYNCHRONIZED = 5;
const ENDED = 6;
type State = typeof FRAME_START | typeof COUNT | typeof BODY | typeof LINE | typeof SKIP_LINE;

export class FrameDecoder {
  readonly #max: number;
  /** The framing in force; undefined while `auto` has not seen a first frame. */
  #framing: 'octet_counting' | 'newline' | undefined;
  #state: State | typeof DESYNCHRONIZED | typeof ENDED = FRAME_START;
  /** Copies of the current frame's bytes received in earlier chunks. */
  #parts: Buffer[] = [];
  #partBytes = 0;
  /** The octet count read so far, and how many digits it had. */
  #count = 0;
  #countDigits = 0;
  /** Stream offset of the first byte of the chunk being decoded. */
  #offset = 0;

  constructor(options: FrameDecoderOptions) {
    if (!Number.isSafeInteger(options.maxFrameBytes) || options.maxFrameBytes < 1) {
      throw new RangeError(`maxFrameBytes must be a positive integer, got ${options.maxFrameBytes}`);
    }
    this.#max = options.maxFrameBytes;
    this.#framing = options.mode === 'auto' ? undefined : options.mode;
  }

  /** Bytes held for a frame not complete yet; never more than `maxFrameBytes + FRAME_HEADER_BYTES`. */
  get bufferedBytes(): number {
    return this.#partBytes + (this.#state === COUNT ? this.#countDigits : 0);
  }

  /** The framing in use: fixed by `mode`, or chosen by the first frame in `auto`. */
  get framing(): 'octet_counting' | 'newline' | undefined {
    return this.#framing;
  }

  /** True after a FramingError: later bytes are ignored and the connection should be closed. */
  get desynchronized(): boolean {
    return this.#state === DESYNCHRONIZED;
  }

  /** Decodes one chunk; returns the frames it completes, in order, and at most one error (last). */
  push(chunk: Buffer): FrameResult[] {
    const out: FrameResult[] = [];
    if (this.#state === DESYNCHRONIZED || this.#state === ENDED) return out;
    const len = chunk.length;
    // Next LF / NUL at or after the cursor; -2 = not searched yet, -1 = none left in this chunk.
    let nextLf = -2;
    let nextNul = -2;
    let i = 0;
    while (i < len) {
      switch (this.#state) {
        case FRAME_START: {
          const c = chunk[i]!;
          if (c === LF || c === CR || c === NUL) {
            i += 1;
          } else if (this.#framing === 'newline') {
            this.#state = LINE;
          } else if (c >= DIGIT_1 && c <= DIGIT_9) {
            this.#count = c - DIGIT_0;
            this.#countDigits = 1;
            this.#state = COUNT;
            i += 1;
          } else if (this.#framing === undefined) {
            this.#framing = 'newline';
            this.#state = LINE;
          } else {
            return this.#fail(
              out,
              'bad_octet_count',
              `expected an octet count at byte ${this.#offset + i}, found ${describeByte(c)}`,
            );
          }
          break;
        }
        case COUNT: {
          const c = chunk[i]!;
          if (c >= DIGIT_0 && c <= DIGIT_9) {
            this.#count = this.#count * 10 + (c - DIGIT_0);
            this.#countDigits += 1;
            i += 1;
            // An undecided first frame may still turn out to be a line, so its digits run on a while.
            const undecided = this.#framing === undefined;
            if (undecided ? this.#countDigits > MAX_UNDECIDED_DIGITS : this.#count > this.#max) {
              return this.#fail(
                out,
                'frame_too_large',
                `octet count ${this.#count}… at byte ${this.#offset + i - this.#countDigits} exceeds max_frame_bytes (${this.#max})`,
              );
            }
          } else if (c === SP) {
            i += 1;
            if (this.#count > this.#max) {
              return this.#fail(
                out,
                'frame_too_large',
                `octet count ${this.#count} at byte ${this.#offset + i - 1 - this.#countDigits} exceeds max_frame_bytes (${this.#max})`,
              );
            }
            this.#framing = 'octet_counting';
            this.#state = BODY;
          } else if (this.#framing === undefined) {
            // First frame of an auto connection: digits not followed by a space start a line.
            this.#framing = 'newline';
            this.#keep(Buffer.from(String(this.#count), 'latin1'));
            this.#state = LINE;
          } else {
            return this.#fail(
              out,
              'desynchronized',
              `expected a space after octet count ${this.#count} at byte ${this.#offset + i}, found ${describeByte(c)}`,
            );
          }
          break;
        }
        case BODY: {
          const need = this.#count - this.#partBytes;
          const available = len - i;
          if (available < need) {
            this.#keep(chunk.subarray(i));
            i = len;
          } else {
            out.push({ frame: this.#take(chunk.subarray(i, i + need)) });
            i += need;
            this.#state = FRAME_START;
          }
          break;
        }
        case LINE:
        case SKIP_LINE: {
          if (nextLf !== -1 && nextLf < i) nextLf = chunk.indexOf(LF, i);
          if (nextNul !== -1 && nextNul < i) nextNul = chunk.indexOf(NUL, i);
          const end = nextLf === -1 ? nextNul : nextNul === -1 ? nextLf : Math.min(nextLf, nextNul);
          if (this.#state === SKIP_LINE) {
            if (end === -1) {
              i = len;
            } else {
              i = end + 1;
              this.#state = FRAME_START;
            }
          } else if (end === -1) {
            this.#lineWithoutEnd(chunk, i, out);
            i = len;
          } else {
            this.#lineEnd(chunk, i, end, chunk[end] === LF, out);
            i = end + 1;
            this.#state = FRAME_START;
          }
          break;
        }
      }
    }
    this.#offset += len;
    return out;
  }

  /**
   * The connection closed: returns a last frame still waiting for its end,
   * flagged `unterminated`, or an error when it closed inside an octet
   * count. The decoder accepts nothing afterwards.
   */
  end(): FrameResult[] {
    const out: FrameResult[] = [];
    const state = this.#state;
    this.#state = ENDED;
    if (state === LINE && this.#partBytes > 0) {
      let frame = this.#take(undefined);
      if (frame[frame.length - 1] === CR) frame = frame.subarray(0, frame.length - 1);
      if (frame.length > 0) out.push({ frame, unterminated: true });
    } else if (state === BODY && this.#partBytes > 0) {
      out.push({ frame: this.#take(undefined), unterminated: true });
    } else if (state === COUNT) {
      if (this.#framing === undefined) {
        out.push({ frame: Buffer.from(String(this.#count), 'latin1'), unterminated: true });
      } else {
        out.push({
          error: {
            reason: 'bad_octet_count',
            detail: `the connection closed inside octet count ${this.#count} at byte ${this.#offset}`,
          },
        });
      }
    }
    this.#reset();
    return out;
  }

  /** Newline framing, no delimiter in the rest of the chunk: keep it, or cut the frame when too long. */
  #lineWithoutEnd(chunk: Buffer, from: number, out: FrameResult[]): void {
    const available = chunk.length - from;
    // One byte of slack: a frame of exactly maxFrameBytes may be waiting for the LF after its CR.
    if (this.#partBytes + available <= this.#max + 1) {
      this.#keep(chunk.subarray(from));
      return;
    }
    const wanted = Math.max(0, this.#max - this.#partBytes);
    const frame = this.#take(chunk.subarray(from, from + wanted)).subarray(0, this.#max);
    out.push({ frame, truncated: true });
    this.#state = SKIP_LINE;
  }

  /** Newline framing, delimiter at `end`: emit the frame (cut if too long); empty frames are dropped. */
  #lineEnd(chunk: Buffer, from: number, end: number, endsWithLf: boolean, out: FrameResult[]): void {
    const total = this.#partBytes + (end - from);
    if (total > this.#max + 1) {
      const wanted = Math.max(0, this.#max - this.#partBytes);
      const frame = this.#take(chunk.subarray(from, from + wanted)).subarray(0, this.#max);
      out.push({ frame, truncated: true });
      return;
    }
    let frame = this.#take(chunk.subarray(from, end));
    if (endsWithLf && frame[frame.length - 1] === CR) frame = frame.subarray(0, frame.length - 1);
    if (frame.length > this.#max) {
      out.push({ frame: frame.subarray(0, this.#max), truncated: true });
    } else if (frame.length > 0) {
      out.push({ frame });
    }
  }

  /** Keeps a copy of bytes of the current frame (the caller may reuse the chunk). */
  #keep(bytes: Buffer): void {
    if (bytes.length === 0) return;
    this.#parts.push(Buffer.from(bytes));
    this.#partBytes += bytes.length;
  }

  /** The current frame: the kept bytes followed by `last`; clears the kept bytes. */
  #take(last: Buffer | undefined): Buffer {
    if (this.#parts.length === 0) return last ?? Buffer.alloc(0);
    if (last !== undefined && last.length > 0) this.#parts.push(last);
    const frame = this.#parts.length === 1 ? this.#parts[0]! : Buffer.concat(this.#parts);
    this.#parts = [];
    this.#partBytes = 0;
    return frame;
  }

  #reset(): void {
    this.#parts = [];
    this.#partBytes = 0;
    this.#count = 0;
    this.#countDigits = 0;
  }

  #fail(out: FrameResult[], reason: FramingErrorReason, detail: string): FrameResult[] {
    this.#state = DESYNCHRONIZED;
    this.#reset();
    out.push({ error: { reason, detail } });
    return out;
  }
}

function describeByte(c: number): string {
  return c >= 0x21 && c <= 0x7e ? `'${String.fromCharCode(c)}'` : `byte 0x${c.toString(16).padStart(2, '0')}`;
}
