/**
 * Framings by the keyword a syslog listener's configuration names them with.
 * A new framing is one file exporting a factory whose result implements
 * FrameSplitter, plus one line here.
 */
import { FrameDecoder, type FrameResult } from './frame-decoder.ts';

/** What a framing implements: bytes in, frames (or one FramingError) out, bounded memory. */
export interface FrameSplitter {
  /** Decodes one chunk of the stream; returns the frames it completes. */
  push(chunk: Buffer): FrameResult[];
  /** The connection closed: returns what was left, flagged `unterminated`. */
  end(): FrameResult[];
  /** Bytes held for an incomplete frame. */
  readonly bufferedBytes: number;
}

export interface FramingOptions {
  /** Largest frame accepted, in bytes. */
  maxFrameBytes: number;
}

export type FramingFactory = (options: FramingOptions) => FrameSplitter;

export const framings = {
  auto: (options) => new FrameDecoder({ maxFrameBytes: options.maxFrameBytes, mode: 'auto' }),
  octet_counting: (options) =>
    new FrameDecoder({ maxFrameBytes: options.maxFrameBytes, mode: 'octet_counting' }),
  newline: (options) => new FrameDecoder({ maxFrameBytes: options.maxFrameBytes, mode: 'newline' }),
} as const satisfies Record<string, FramingFactory>;

/** The framing keywords a configuration may use. */
export type FramingKeyword = keyof typeof framings;

export const FRAMING_KEYWORDS = Object.keys(framings) as FramingKeyword[];

/** One decoder per connection: framing state is never shared between connections. */
export function createFrameSplitter(keyword: FramingKeyword, options: FramingOptions): FrameSplitter {
  return framings[keyword](options);
}
