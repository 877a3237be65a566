/**
 * RFC 5424 syslog:
 * `<PRI>VERSION SP TIMESTAMP SP HOSTNAME SP APP-NAME SP PROCID SP MSGID SP STRUCTURED-DATA [SP MSG]`.
 *
 * Strict about structure, so that it never claims a message of another
 * dialect: anything off the grammar returns undefined and the next dialect
 * tries. Leniencies, each harmless to that decision: header fields longer
 * than the RFC's limits (APP-NAME > 48, as Kubernetes pod names are) and
 * fractions of up to 9 digits (Go and journald senders) are accepted; a
 * param value may hold an unescaped `]` (it is unambiguous inside quotes);
 * a repeated SD-ID merges its params. Leap seconds (`:60`), which the RFC
 * forbids, are refused.
 *
 * The timestamp is kept as sent (it always has `Z` or an offset); a UTF-8
 * BOM opening MSG is dropped.
 */

import { daysInMonth } from '../../../core/time-zone.ts';
import { decodePriority, MAX_PRIORITY, type SyslogMessage } from './message.ts';

// PRI, VERSION, TIMESTAMP (NILVALUE or RFC 3339 full date-time), then four SP-terminated
// PRINTUSASCII fields. No group can match a space, so matching is linear.
const HEADER =
  /^<(\d{1,3})>([1-9]\d{0,2}) (-|(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d{1,9})?(?:Z|[+-](\d{2}):(\d{2}))) ([!-~]+) ([!-~]+) ([!-~]+) ([!-~]+) /;

const SP = 0x20;
const QUOTE = 0x22;
const EQUALS = 0x3d;
const BACKSLASH = 0x5c;
const OPEN = 0x5b;
const CLOSE = 0x5d;
const BOM = '\uFEFF';

type StructuredData = Record<string, Record<string, string | string[]>>;

/** Parses an RFC 5424 message; undefined when `text` is not one. Never throws. */
export function parseRfc5424(text: string): SyslogMessage | undefined {
  if (text.charCodeAt(0) !== 0x3c) return undefined;
  const m = HEADER.exec(text);
  if (m === null) return undefined;
  const pri = Number(m[1]);
  if (pri > MAX_PRIORITY) return undefined;
  const timestampRaw = m[3]!;
  let timestamp: string | undefined;
  if (timestampRaw !== '-') {
    if (!validDateTime(m)) return undefined;
    timestamp = timestampRaw;
  }

  let pos = m[0].length;
  let structuredData: StructuredData | undefined;
  if (text.charCodeAt(pos) === 0x2d /* - */) {
    pos += 1;
  } else {
    structuredData = {};
    pos = parseStructuredData(text, pos, structuredData);
    if (pos < 0) return undefined;
  }

  let message = '';
  if (pos < text.length) {
    if (text.charCodeAt(pos) !== SP) return undefined;
    message = text.startsWith(BOM, pos + 1) ? text.slice(pos + 2) : text.slice(pos + 1);
  }

  const p = decodePriority(pri);
  return {
    format: 'rfc5424',
    priority: p.priority,
    facility: p.facility,
    severity: p.severity,
    facility_name: p.facility_name,
    severity_name: p.severity_name,
    version: Number(m[2]),
    timestamp,
    timestamp_raw: timestamp,
    hostname: nil(m[12]!),
    app_name: nil(m[13]!),
    proc_id: nil(m[14]!),
    msg_id: nil(m[15]!),
    structured_data: structuredData,
    sequence: undefined,
    message,
  };
}

function nil(field: string): string | undefined {
  return field === '-' ? undefined : field;
}

function validDateTime(m: RegExpExecArray): boolean {
  const year = Number(m[4]);
  const month = Number(m[5]);
  const day = Number(m[6]);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return false;
  if (Number(m[7]) > 23 || Number(m[8]) > 59 || Number(m[9]) > 59) return false;
  // Offset groups are absent for `Z`.
  if (m[10] !== undefined && (Number(m[10]) > 23 || Number(m[11]) > 59)) return false;
  return true;
}

/**
 * Reads one or more SD-ELEMENTs starting at `pos` into `into`; returns the
 * position after the last `]`, or -1 when the text is not STRUCTURED-DATA.
 */
function parseStructuredData(text: string, start: number, into: StructuredData): number {
  const len = text.length;
  let pos = start;
  if (text.charCodeAt(pos) !== OPEN) return -1;
  while (pos < len && text.charCodeAt(pos) === OPEN) {
    pos += 1;
    const idEnd = scanName(text, pos);
    if (idEnd === pos) return -1;
    const id = text.slice(pos, idEnd);
    pos = idEnd;
    let params = Object.hasOwn(into, id) ? into[id] : undefined;
    if (params === undefined) {
      params = {};
      setOwn(into, id, params);
    }
    while (text.charCodeAt(pos) === SP) {
      pos += 1;
      const nameEnd = scanName(text, pos);
      if (nameEnd === pos || text.charCodeAt(nameEnd) !== EQUALS || text.charCodeAt(nameEnd + 1) !== QUOTE) {
        return -1;
      }
      const name = text.slice(pos, nameEnd);
      pos = nameEnd + 2;
      // Scan the value up to its closing quote, noting whether it holds escapes.
      const valueStart = pos;
      let escaped = false;
      while (pos < len) {
        const c = text.charCodeAt(pos);
        if (c === QUOTE) break;
        if (c === BACKSLASH) {
          const next = text.charCodeAt(pos + 1);
          if (next === QUOTE || next === BACKSLASH || next === CLOSE) {
            escaped = true;
            pos += 2;
            continue;
          }
        }
        pos += 1;
      }
      if (pos >= len) return -1;
      const raw = text.slice(valueStart, pos);
      pos += 1;
      addParam(params, name, escaped ? unescapeValue(raw) : raw);
    }
    if (text.charCodeAt(pos) !== CLOSE) return -1;
    pos += 1;
  }
  return pos;
}

/** End of an SD-NAME at `pos`: PRINTUSASCII except `=`, SP, `]` and `"`. */
function scanName(text: string, pos: number): number {
  const len = text.length;
  let end = pos;
  while (end < len) {
    const c = text.charCodeAt(end);
    if (c <= SP || c > 0x7e || c === EQUALS || c === CLOSE || c === QUOTE) break;
    end += 1;
  }
  return end;
}

/** `\"`, `\\` and `\]` stand for the character; any other backslash is itself (RFC 5424 §6.3.3). */
function unescapeValue(raw: string): string {
  let out = '';
  let from = 0;
  let i = raw.indexOf('\\');
  while (i !== -1 && i + 1 < raw.length) {
    const next = raw.charCodeAt(i + 1);
    if (next === QUOTE || next === BACKSLASH || next === CLOSE) {
      out += raw.slice(from, i);
      from = i + 1;
      i = raw.indexOf('\\', i + 2);
    } else {
      i = raw.indexOf('\\', i + 1);
    }
  }
  return out + raw.slice(from);
}

function addParam(params: Record<string, string | string[]>, name: string, value: string): void {
  const existing = Object.hasOwn(params, name) ? params[name] : undefined;
  if (existing === undefined) setOwn(params, name, value);
  else if (typeof existing === 'string') params[name] = [existing, value];
  else existing.push(value);
}

/** Assigns an own property even for the name `__proto__`, which plain assignment would not. */
function setOwn<T>(target: Record<string, T>, key: string, value: T): void {
  if (key === '__proto__') {
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    target[key] = value;
  }
}
