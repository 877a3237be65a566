/**
 * Turns the text of one syslog frame or datagram into a SyslogMessage: the
 * dialects of `registry.ts` are tried in order, and a message none of them
 * recognises comes back as `{ format: 'unparsed', message: text }`. It never
 * throws: a message is never a reason to stop the pipeline; the caller counts
 * `unparsed` results.
 *
 * `text` is the decoded frame (UTF-8). Trailing CR, LF and NUL characters,
 * which datagram senders often append, are dropped first.
 */
import type { SyslogMessage, SyslogParseOptions } from './message.ts';
import { dialects } from './registry.ts';

export function parseSyslog(text: string, options: SyslogParseOptions = {}): SyslogMessage {
  const line = trimLineEnd(text);
  for (const dialect of dialects) {
    let parsed: SyslogMessage | undefined;
    try {
      parsed = dialect.parse(line, options);
    } catch {
      // A dialect that throws has a bug; the message still goes on, unparsed.
      parsed = undefined;
    }
    if (parsed !== undefined) return parsed;
  }
  return { format: 'unparsed', message: line };
}

function trimLineEnd(text: string): string {
  let end = text.length;
  while (end > 0) {
    const c = text.charCodeAt(end - 1);
    if (c !== 0x0a && c !== 0x0d && c !== 0x00) break;
    end -= 1;
  }
  return end === text.length ? text : text.slice(0, end);
}
