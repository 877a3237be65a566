/**
 * Joins lines into multiline events (stack traces, wrapped messages).
 *
 * * `start`: a line matching `pattern` starts a new event; any other line
 *   joins the event before it.
 * * `continuation`: a line matching `pattern` joins the event before it
 *   (a Java stack trace: `^\s+at |^\s*Caused by:|^\s+\.\.\. \d+ more`); any
 *   other line starts a new event.
 *
 * `negate` inverts the match. Lines are joined with "\n"; an event keeps the
 * offset of its first line. An event is complete when the next event starts,
 * when it holds `max_lines` lines or `max_bytes` bytes (the next line then
 * starts a new event marked as a continuation; nothing is dropped), or when
 * no line arrived for `timeout_ms` (the caller asks with `expired`).
 *
 * The joiner only ever holds the one event being assembled, so its memory is
 * bounded by `max_bytes`.
 */

export interface MultilineOptions {
  mode: 'start' | 'continuation';
  /** A JavaScript regular expression. */
  pattern: string;
  negate: boolean;
  maxLines: number;
  /** Most bytes (as spanned in the file) of one event. */
  maxBytes: number;
  timeoutMs: number;
}

/** One line as read from the file, or an event joined from several. */
export interface TextPiece {
  /** File offset of the first byte. */
  offset: number;
  /** File offset just after the last line's terminator. */
  next: number;
  text: string;
  /** The exact bytes, base64, when `text` is not a valid decoding of them. */
  base64: string | undefined;
  /** The reader's flag bits; an event carries the union of its lines' flags. */
  flags: number;
}

export interface JoinedEvent extends TextPiece {
  /** How many lines were joined. */
  lines: number;
  /** The event continues the previous one (it was split at max_lines or max_bytes). */
  continuation: boolean;
}

interface Pending {
  pieces: TextPiece[];
  continuation: boolean;
}

export class MultilineJoiner {
  readonly #options: MultilineOptions;
  readonly #regex: RegExp;
  readonly #encode: ((text: string) => Uint8Array) | undefined;
  readonly #separator: Uint8Array;
  #pending: Pending | undefined;
  #lastPushAt = 0;

  /**
   * `encode` turns valid text back into the file's bytes so that an event
   * with an invalid line still gets an exact base64 copy; `separator` is the
   * line feed in the file's encoding.
   */
  constructor(
    options: MultilineOptions,
    encode?: (text: string) => Uint8Array,
    separator: Uint8Array = Buffer.from('\n'),
  ) {
    this.#options = options;
    this.#regex = new RegExp(options.pattern);
    this.#encode = encode;
    this.#separator = separator;
  }

  /** File offset of the event being assembled, if any. */
  get pendingOffset(): number | undefined {
    return this.#pending?.pieces[0]?.offset;
  }

  /** Whether the event being assembled continues the previous event. */
  get pendingContinuation(): boolean {
    return this.#pending?.continuation ?? false;
  }

  /** Whether an event is waiting and no line arrived for `timeout_ms`. */
  expired(now: number): boolean {
    return this.#pending !== undefined && now - this.#lastPushAt >= this.#options.timeoutMs;
  }

  /** Feeds one line; returns the event it completed, if any. */
  push(line: TextPiece, now: number): JoinedEvent | undefined {
    this.#lastPushAt = now;
    const pending = this.#pending;
    const { mode, negate, maxLines, maxBytes } = this.#options;
    if (pending === undefined) {
      this.#pending = { pieces: [line], continuation: false };
      return undefined;
    }
    const matches = this.#regex.test(line.text) !== negate;
    const joins = mode === 'start' ? !matches : matches;
    if (!joins) {
      const done = this.#join(pending);
      this.#pending = { pieces: [line], continuation: false };
      return done;
    }
    const first = pending.pieces[0] as TextPiece;
    if (pending.pieces.length >= maxLines || line.next - first.offset > maxBytes) {
      const done = this.#join(pending);
      this.#pending = { pieces: [line], continuation: true };
      return done;
    }
    pending.pieces.push(line);
    return undefined;
  }

  /** Completes the event being assembled, if any. */
  flush(): JoinedEvent | undefined {
    const pending = this.#pending;
    this.#pending = undefined;
    return pending && this.#join(pending);
  }

  #join(pending: Pending): JoinedEvent {
    const { pieces } = pending;
    const first = pieces[0] as TextPiece;
    const last = pieces[pieces.length - 1] as TextPiece;
    if (pieces.length === 1) return { ...first, lines: 1, continuation: pending.continuation };
    let flags = 0;
    let invalid = false;
    for (const piece of pieces) {
      flags |= piece.flags;
      if (piece.base64 !== undefined) invalid = true;
    }
    let base64: string | undefined;
    if (invalid) {
      const encode = this.#encode ?? ((text: string) => Buffer.from(text, 'utf8'));
      const parts: Uint8Array[] = [];
      for (const piece of pieces) {
        if (parts.length > 0) parts.push(this.#separator);
        parts.push(piece.base64 === undefined ? encode(piece.text) : Buffer.from(piece.base64, 'base64'));
      }
      base64 = Buffer.concat(parts).toString('base64');
    }
    return {
      offset: first.offset,
      next: last.next,
      text: pieces.map((p) => p.text).join('\n'),
      base64,
      flags,
      lines: pieces.length,
      continuation: pending.continuation,
    };
  }
}
