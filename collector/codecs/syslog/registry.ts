/**
 * Syslog header dialects, tried in this order on every message; the first
 * that recognises it wins. A new dialect is one file exporting a `parse`
 * that returns undefined for messages that are not its own, plus one line
 * here. Order matters: put strict dialects before lenient ones (RFC 3164
 * accepts almost anything that starts with a PRI).
 */
import type { SyslogMessage, SyslogParseOptions } from './message.ts';
import { parseRfc3164 } from './rfc3164.ts';
import { parseRfc5424 } from './rfc5424.ts';

export interface SyslogDialect {
  /** Name for logs and metrics; the `format` of the messages it returns. */
  readonly name: string;
  /** The parsed message, or undefined when `text` is not in this dialect. Must not throw. */
  parse(text: string, options: SyslogParseOptions): SyslogMessage | undefined;
}

export const dialects: readonly SyslogDialect[] = [
  { name: 'rfc5424', parse: parseRfc5424 },
  { name: 'rfc3164', parse: parseRfc3164 },
];
