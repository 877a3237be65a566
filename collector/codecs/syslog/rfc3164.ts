/**
 * RFC 3164 ("BSD") syslog and the variants real devices send:
 *
 *   <PRI>Mmm dd hh:mm:ss HOSTNAME TAG[PID]: MSG     the RFC's own form; `Nov  4` or `Nov 4`
 *   <PRI>Mmm dd hh:mm:ss TAG: MSG                   no hostname (util-linux `logger --rfc3164`)
 *   <PRI>2026-11-24T22:31:05.123+01:00 HOST TAG: MSG  ISO 8601 instead of BSD (rsyslog forwarders)
 *   <PRI>Mmm dd yyyy hh:mm:ss[.fff] …               a year and fractions (Cisco ASA, IOS)
 *   <PRI>SEQ: [HOST: ][*|.]Mmm dd hh:mm:ss[.fff] [ZONE]: MSG   Cisco IOS
 *   Mmm dd hh:mm:ss HOST TAG: MSG                   no PRI (lines of /var/log/syslog)
 *
 * Hostname or tag: the token after the timestamp is the TAG when it has the
 * tag shape `name:` or `name[pid]:` (a hostname never ends in a colon),
 * otherwise it is the HOSTNAME and the next token may be the TAG. A token
 * opening with `%` is never a tag: Cisco mnemonics (`%SYS-5-CONFIG_I:`) stay
 * in the message for the processor's patterns. This is ambiguous by nature:
 * `<13>Nov 24 22:31:05 Error: disk full` reads as tag `Error`.
 *
 * Without a valid timestamp but with a PRI, the rest is the message (with
 * its tag, if it opens with one), as RFC 3164 §4.3.2 tells a relay to do.
 * Without a PRI, the line counts as RFC 3164 only when it has a timestamp
 * and a tag (or a Cisco timestamp); otherwise the caller keeps it unparsed.
 *
 * Time: a timestamp without an offset is a wall-clock time in
 * `defaultTimeZone` (IANA name, default UTC). A BSD date has no year: it is
 * the year of `now` in that zone, unless that puts it more than a day in the
 * future, in which case it is the year before (December lines read in
 * January). A Cisco zone word is trusted only when it is UTC or GMT:
 * abbreviations are ambiguous (CST is both US Central and China) and devices
 * print whatever name their admin configured, so any other word falls back
 * to the default zone; it stays visible in `timestamp_raw`. A date that does
 * not exist (Feb 30) leaves `timestamp` unset and `timestamp_raw` as sent.
 */

import {
  daysInMonth,
  formatIsoTimestamp,
  formatOffset,
  offsetOfWallClock,
  utcFromFields,
  zoneOffsetMinutes,
} from '../../../core/time-zone.ts';
import { decodePriority, MAX_PRIORITY, type SyslogMessage, type SyslogParseOptions } from './message.ts';

const SP = 0x20;
const STAR = 0x2a;
const PLUS = 0x2b;
const MINUS = 0x2d;
const DOT = 0x2e;
const ZERO = 0x30;
const NINE = 0x39;
const COLON = 0x3a;
const LT = 0x3c;
const GT = 0x3e;
const OPEN = 0x5b;
const CLOSE = 0x5d;
const PERCENT = 0x25;
const DAY_MS = 86_400_000;

const MONTHS = new Map([
  ['jan', 1],
  ['feb', 2],
  ['mar', 3],
  ['apr', 4],
  ['may', 5],
  ['jun', 6],
  ['jul', 7],
  ['aug', 8],
  ['sep', 9],
  ['oct', 10],
  ['nov', 11],
  ['dec', 12],
]);

interface Timestamp {
  /** Position after the timestamp (after `: ` for a Cisco timestamp). */
  end: number;
  /** Ended by a colon, Cisco style: the message follows, no hostname or tag. */
  cisco: boolean;
  raw: string;
  /** ISO 8601 form; undefined when the date does not exist. */
  iso: string | undefined;
}

interface Tag {
  app: string;
  pid: string | undefined;
  /** Position where the message starts. */
  end: number;
}

/** Parses an RFC 3164 message or one of its variants; undefined when `text` is not one. Never throws. */
export function parseRfc3164(text: string, options: SyslogParseOptions = {}): SyslogMessage | undefined {
  const len = text.length;
  let pri = -1;
  let pos = 0;
  if (text.charCodeAt(0) === LT) {
    let value = 0;
    let j = 1;
    while (j <= 3 && isDigit(text.charCodeAt(j))) {
      value = value * 10 + (text.charCodeAt(j) - ZERO);
      j += 1;
    }
    if (j > 1 && text.charCodeAt(j) === GT && value <= MAX_PRIORITY) {
      pri = value;
      pos = j + 1;
    }
  }
  const afterPri = pos;
  const start = skipSpaces(text, pos);

  // Cisco IOS: `SEQ: ` then an optional `HOST: ` before the timestamp.
  let sequence: number | undefined;
  let hostname: string | undefined;
  let at = start;
  const seqEnd = sequenceEnd(text, start);
  if (seqEnd > 0) {
    sequence = Number(text.slice(start, text.indexOf(':', start)));
    at = seqEnd;
  }
  let ts = parseTimestamp(text, at, options);
  if (ts === undefined) {
    const hostEnd = ciscoHostEnd(text, at);
    if (hostEnd > 0) {
      const candidate = parseTimestamp(text, hostEnd, options);
      if (candidate?.cisco) {
        hostname = text.slice(at, tokenEnd(text, at) - 1);
        ts = candidate;
      }
    }
  }
  if (ts === undefined && sequence !== undefined && text.charCodeAt(at) !== PERCENT) {
    // Digits and a colon that lead to nothing Cisco-like are part of the message.
    sequence = undefined;
  }

  let appName: string | undefined;
  let procId: string | undefined;
  let message: string;
  if (ts?.cisco || (ts === undefined && sequence !== undefined)) {
    message = text.slice(ts?.end ?? at);
  } else if (ts !== undefined) {
    pos = skipSpaces(text, ts.end);
    let tag = readTag(text, pos);
    if (tag === undefined && pos < len) {
      const hostEnd = tokenEnd(text, pos);
      hostname = text.slice(pos, hostEnd);
      pos = skipSpaces(text, hostEnd);
      // Cisco ASA with `logging device-id`: `HOST : %ASA-…`.
      if (text.charCodeAt(pos) === COLON && (pos + 1 === len || text.charCodeAt(pos + 1) === SP)) {
        pos = Math.min(len, pos + 2);
      } else {
        tag = readTag(text, pos);
      }
    }
    if (tag !== undefined) {
      appName = tag.app;
      procId = tag.pid;
      pos = tag.end;
    } else if (pri < 0) {
      return undefined;
    }
    message = text.slice(pos);
  } else {
    if (pri < 0) return undefined;
    const tag = readTag(text, afterPri);
    if (tag !== undefined) {
      appName = tag.app;
      procId = tag.pid;
      message = text.slice(tag.end);
    } else {
      message = text.slice(afterPri);
    }
  }

  const p = pri < 0 ? undefined : decodePriority(pri);
  return {
    format: 'rfc3164',
    priority: p?.priority,
    facility: p?.facility,
    severity: p?.severity,
    facility_name: p?.facility_name,
    severity_name: p?.severity_name,
    version: undefined,
    timestamp: ts?.iso,
    timestamp_raw: ts?.raw,
    hostname,
    app_name: appName,
    proc_id: procId,
    msg_id: undefined,
    structured_data: undefined,
    sequence,
    message,
  };
}

/** `123: ` (digits, colon, space) at `pos`: the position after it, or -1. */
function sequenceEnd(text: string, pos: number): number {
  let i = pos;
  while (isDigit(text.charCodeAt(i))) i += 1;
  if (i === pos || i - pos > 10 || text.charCodeAt(i) !== COLON || text.charCodeAt(i + 1) !== SP) return -1;
  return skipSpaces(text, i + 2);
}

/** `router1: ` at `pos` (a token ending in a colon): the position after it, or -1. */
function ciscoHostEnd(text: string, pos: number): number {
  const end = tokenEnd(text, pos);
  if (end - pos < 2 || text.charCodeAt(end - 1) !== COLON || end >= text.length) return -1;
  return skipSpaces(text, end);
}

/**
 * A tag at `pos`: `name:` or `name[pid]:` followed by a space or the end.
 * The name has no space, `[`, `]` or `:`, does not open with `%` and is not
 * all digits (a Cisco counter such as `52:` is no process name).
 */
function readTag(text: string, pos: number): Tag | undefined {
  const len = text.length;
  const first = text.charCodeAt(pos);
  if (Number.isNaN(first) || first === PERCENT) return undefined;
  let i = pos;
  let onlyDigits = true;
  while (i < len) {
    const c = text.charCodeAt(i);
    if (c === SP || c === COLON || c === OPEN || c === CLOSE) break;
    if (!isDigit(c)) onlyDigits = false;
    i += 1;
  }
  if (i === pos || onlyDigits) return undefined;
  const app = text.slice(pos, i);
  let pid: string | undefined;
  if (text.charCodeAt(i) === OPEN) {
    const close = text.indexOf(']', i + 1);
    if (close === -1) return undefined;
    for (let k = i + 1; k < close; k += 1) if (text.charCodeAt(k) === SP) return undefined;
    if (close > i + 1) pid = text.slice(i + 1, close);
    i = close + 1;
  }
  if (text.charCodeAt(i) !== COLON) return undefined;
  i += 1;
  if (i < len) {
    if (text.charCodeAt(i) !== SP) return undefined;
    i += 1;
  }
  return { app, pid, end: i };
}

function parseTimestamp(text: string, pos: number, options: SyslogParseOptions): Timestamp | undefined {
  const c = text.charCodeAt(pos);
  if (isDigit(c)) return parseIsoTimestamp(text, pos, options);
  return parseBsdTimestamp(text, pos, options);
}

/** `YYYY-MM-DDThh:mm:ss[.f…][Z|±hh:mm|±hhmm]` followed by a space or the end. */
function parseIsoTimestamp(text: string, pos: number, options: SyslogParseOptions): Timestamp | undefined {
  const year = digits(text, pos, 4);
  if (year < 0 || text.charCodeAt(pos + 4) !== MINUS) return undefined;
  const month = digits(text, pos + 5, 2);
  if (month < 1 || month > 12 || text.charCodeAt(pos + 7) !== MINUS) return undefined;
  const day = digits(text, pos + 8, 2);
  const t = text.charCodeAt(pos + 10);
  if (day < 1 || day > daysInMonth(year, month) || (t !== 0x54 && t !== 0x74)) return undefined; // T or t
  const time = parseClock(text, pos + 11);
  if (time === undefined) return undefined;
  let i = time.end;
  let offset: string | undefined;
  const z = text.charCodeAt(i);
  if (z === 0x5a /* Z */ || z === 0x7a /* z */) {
    offset = 'Z';
    i += 1;
  } else if (z === PLUS || z === MINUS) {
    const hours = digits(text, i + 1, 2);
    const colon = text.charCodeAt(i + 3) === COLON ? 1 : 0;
    const minutes = digits(text, i + 3 + colon, 2);
    if (hours < 0 || hours > 23 || minutes < 0 || minutes > 59) return undefined;
    offset = `${z === PLUS ? '+' : '-'}${text.slice(i + 1, i + 3)}:${text.slice(i + 3 + colon, i + 5 + colon)}`;
    i += 5 + colon;
  }
  if (i < text.length && text.charCodeAt(i) !== SP) return undefined;
  if (offset === undefined) {
    const wall = utcFromFields(year, month, day, time.hour, time.minute, time.second, 0);
    offset = formatOffset(offsetOfWallClock(zoneOf(options), wall));
  }
  return {
    end: i,
    cisco: false,
    raw: text.slice(pos, i),
    iso: formatIsoTimestamp(year, month, day, time.hour, time.minute, time.second, time.fraction, offset),
  };
}

/** `[*|.]Mmm dd [yyyy ]hh:mm:ss[.f…]`, then a space or the end, or Cisco's `[ ZONE]:`. */
function parseBsdTimestamp(text: string, pos: number, options: SyslogParseOptions): Timestamp | undefined {
  let i = pos;
  const marker = text.charCodeAt(i);
  if (marker === STAR || marker === DOT) i += 1;
  const month = MONTHS.get(text.slice(i, i + 3).toLowerCase());
  if (month === undefined || text.charCodeAt(i + 3) !== SP) return undefined;
  i += 4;
  if (text.charCodeAt(i) === SP) i += 1; // `Nov  4`
  if (!isDigit(text.charCodeAt(i))) return undefined;
  let day = text.charCodeAt(i) - ZERO;
  i += 1;
  if (isDigit(text.charCodeAt(i))) {
    day = day * 10 + (text.charCodeAt(i) - ZERO);
    i += 1;
  }
  if (day < 1 || day > 31 || text.charCodeAt(i) !== SP) return undefined;
  i += 1;
  let year = -1;
  if (text.charCodeAt(i + 4) === SP) {
    year = digits(text, i, 4);
    if (year < 0) return undefined;
    i += 5;
  }
  const time = parseClock(text, i);
  if (time === undefined) return undefined;
  i = time.end;
  let rawEnd = i;
  let cisco = false;
  let zone = zoneOf(options);
  const next = text.charCodeAt(i);
  if (next === COLON) {
    cisco = true;
    i += 1;
  } else if (next === SP) {
    const word = zoneWordEnd(text, i + 1);
    if (word > 0 && text.charCodeAt(word) === COLON) {
      const name = text.slice(i + 1, word);
      if (name === 'UTC' || name === 'GMT' || name === 'UT') zone = 'UTC';
      cisco = true;
      rawEnd = word;
      i = word + 1;
    }
  } else if (i < text.length) {
    return undefined;
  }
  if (cisco && text.charCodeAt(i) === SP) i += 1;
  const raw = text.slice(pos, rawEnd);

  if (year < 0) year = inferYear(month, day, time.hour, time.minute, time.second, zone, options.now);
  if (day > daysInMonth(year, month)) return { end: i, cisco, raw, iso: undefined };
  const wall = utcFromFields(year, month, day, time.hour, time.minute, time.second, 0);
  const offset = formatOffset(offsetOfWallClock(zone, wall));
  return {
    end: i,
    cisco,
    raw,
    iso: formatIsoTimestamp(year, month, day, time.hour, time.minute, time.second, time.fraction, offset),
  };
}

/** End of a time zone word (2-6 capital letters) at `pos`, or -1. */
function zoneWordEnd(text: string, pos: number): number {
  let i = pos;
  while (i - pos < 7) {
    const c = text.charCodeAt(i);
    if (c < 0x41 || c > 0x5a) break;
    i += 1;
  }
  return i - pos >= 2 && i - pos <= 6 ? i : -1;
}

interface Clock {
  hour: number;
  minute: number;
  second: number;
  /** Digits after the decimal point, as sent; empty when none. */
  fraction: string;
  end: number;
}

/** `hh:mm:ss[.f…]` (1-9 fraction digits) at `pos`. */
function parseClock(text: string, pos: number): Clock | undefined {
  const hour = digits(text, pos, 2);
  const minute = digits(text, pos + 3, 2);
  const second = digits(text, pos + 6, 2);
  if (
    hour < 0 ||
    hour > 23 ||
    text.charCodeAt(pos + 2) !== COLON ||
    minute < 0 ||
    minute > 59 ||
    text.charCodeAt(pos + 5) !== COLON ||
    second < 0 ||
    second > 59
  ) {
    return undefined;
  }
  let end = pos + 8;
  let fraction = '';
  if (text.charCodeAt(end) === DOT && isDigit(text.charCodeAt(end + 1))) {
    let k = end + 1;
    while (k - end <= 9 && isDigit(text.charCodeAt(k))) k += 1;
    if (isDigit(text.charCodeAt(k))) return undefined;
    fraction = text.slice(end + 1, k);
    end = k;
  }
  return { hour, minute, second, fraction, end };
}

/**
 * The year of a BSD date: the year of `now` in `zone`, or the year before
 * when that would put the date more than a day after `now`.
 */
function inferYear(
  month: number,
  day: number,
  hour: number,
  minute: number,
  second: number,
  zone: string,
  now: Date | undefined,
): number {
  let nowMs = now === undefined ? Date.now() : now.getTime();
  if (Number.isNaN(nowMs)) nowMs = Date.now();
  const nowWall = nowMs + (zoneOffsetMinutes(zone, nowMs) ?? 0) * 60_000;
  const year = new Date(nowWall).getUTCFullYear();
  const candidate = utcFromFields(
    year,
    month,
    Math.min(day, daysInMonth(year, month)),
    hour,
    minute,
    second,
    0,
  );
  return candidate > nowWall + DAY_MS ? year - 1 : year;
}

function zoneOf(options: SyslogParseOptions): string {
  return options.defaultTimeZone ?? 'UTC';
}

/** The value of exactly `count` decimal digits at `pos`, or -1. */
function digits(text: string, pos: number, count: number): number {
  let value = 0;
  for (let i = pos; i < pos + count; i += 1) {
    const c = text.charCodeAt(i);
    if (c < ZERO || c > NINE) return -1;
    value = value * 10 + (c - ZERO);
  }
  return value;
}

function isDigit(c: number): boolean {
  return c >= ZERO && c <= NINE;
}

function skipSpaces(text: string, pos: number): number {
  let i = pos;
  while (text.charCodeAt(i) === SP) i += 1;
  return i;
}

/** Position of the next space at or after `pos`, or the end of the text. */
function tokenEnd(text: string, pos: number): number {
  const i = text.indexOf(' ', pos);
  return i === -1 ? text.length : i;
}
