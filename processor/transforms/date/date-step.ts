/**
 * The `date` pipeline step: reads the event's own time from a field and
 * writes it to `@timestamp` (or `target`) as ISO 8601 UTC with milliseconds,
 * e.g. `2024-01-15T12:00:00.000Z`.
 *
 *   - date: { field: timestamp, formats: [RFC3164, ISO8601], timezone: Europe/Berlin }
 *
 * Formats are tried in order; the first that matches wins, and when none
 * does the step fails with `no format matched`. Named formats:
 *
 * | Name       | Example                                                      |
 * | ---------- | ------------------------------------------------------------ |
 * | `ISO8601`  | `2024-01-15T12:00:00Z`, `2024-01-15 12:00:00.123456+01:00`, `2024-01-15` |
 * | `UNIX`     | `1705320000`, `1705320000.123` (seconds; a number field too)  |
 * | `UNIX_MS`  | `1705320000123` (milliseconds; a number field too)            |
 * | `RFC3164`  | `Jan 15 12:00:00`, `Jan  5 12:00:00` (syslog, no year)        |
 * | `HTTPDATE` | `15/Jan/2024:12:00:00 +0100` (Apache and common log format)   |
 *
 * Any other format is a pattern of these letters (Joda/Logstash style):
 * `yyyy` year, `yy` year 1969–2068, `MM`/`M` month (2 / 1–2 digits), `MMM`
 * English month abbreviation (any case), `dd`/`d` day, `HH`/`H` hour 0–23,
 * `mm`/`m` minute, `ss`/`s` second, `S`… fraction of a second (1–9 digits,
 * however many S), `Z`/`ZZ` offset (`+0100`, `+01:00`, `+01`, `Z`), `EEE` an
 * English day name (not checked). Text in single quotes is literal (`''` is
 * a quote), other characters stand for themselves, and a space matches all
 * the spaces there are, at least one (syslog pads days with a space). Other
 * letters are refused.
 * Each pattern is compiled once into a regular expression.
 *
 * A date without an offset is read in `timezone`, daylight saving time
 * included (a time that falls in the gap of a spring-forward is moved on by
 * the gap, a time that occurs twice in a fall-back is the first of the two).
 * A date without a year gets the year that puts it at most one day in the
 * future: a December line read in January belongs to last year.
 */
import { z } from 'zod';
import { daysInMonth, isoUtc, utcFromFields } from '../../../core/time-zone.ts';
import {
  deleteField,
  type FieldGetter,
  type FieldPath,
  type FieldSetter,
  fieldGetter,
  fieldNameSchema,
  fieldPath,
  fieldSetter,
} from '../../pipeline/fields.ts';
import type { PipelineStep, StepDefinition, StepResult } from '../../pipeline/step.ts';
import { DEFAULT_LIMITS } from '../../pipeline/step.ts';

function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

const schema = z.strictObject({
  field: fieldNameSchema
    .default('timestamp')
    .describe('Field holding the date text (or a number for UNIX formats); default `timestamp`.'),
  formats: z
    .array(
      z.string().superRefine((format, ctx) => {
        try {
          compileFormat(format);
        } catch (error) {
          ctx.addIssue({ code: 'custom', message: (error as Error).message });
        }
      }),
    )
    .min(1)
    .describe(
      'Formats tried in order: `ISO8601`, `UNIX`, `UNIX_MS`, `RFC3164`, `HTTPDATE` or a pattern such as `dd/MMM/yyyy:HH:mm:ss Z`; required.',
    ),
  timezone: z
    .string()
    .refine(isTimeZone, 'expected an IANA time zone such as "UTC" or "Europe/Berlin"')
    .default('UTC')
    .describe(
      'Time zone of dates that carry no offset, an IANA name such as `Europe/Berlin`; default `UTC`.',
    ),
  target: fieldNameSchema
    .default('@timestamp')
    .describe('Field that receives the date as ISO 8601 UTC with milliseconds; default `@timestamp`.'),
  remove_field: z
    .boolean()
    .default(false)
    .describe('Remove the source field once its date is parsed; default false.'),
});

type DateConfig = z.output<typeof schema>;

/** A missing source field is not a failure (an earlier step did not set it): the step does nothing. */
const MISSING = undefined;
const TOO_LONG = { failure: 'too long' } as const;
const NO_MATCH = { failure: 'no format matched' } as const;

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;
/** 0000-01-01T00:00:00.000Z and 9999-12-31T23:59:59.999Z: the dates ISO 8601 writes with four digits. */
const MIN_MS = -62_167_219_200_000;
const MAX_MS = 253_402_300_799_999;

// ---------------------------------------------------------------------------
// Civil time and time zones.

/** Milliseconds of a wall-clock time read as UTC; NaN when a part is out of range. */
function civil(
  year: number,
  month: number,
  day: number,
  hour: number,
  minute: number,
  second: number,
  ms: number,
): number {
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return Number.NaN;
  if (hour > 23 || minute > 59 || second > 59) return Number.NaN;
  return utcFromFields(year, month, day, hour, minute, second, ms);
}

interface Zone {
  /** Offset from UTC (local minus UTC, in ms) at an instant. */
  offsetAt(utcMs: number): number;
  /** The instant of a wall-clock time of the zone (given as if it were UTC). */
  toUtc(localMs: number): number;
}

const UTC_ZONE: Zone = { offsetAt: () => 0, toUtc: (localMs) => localMs };

/** An IANA zone; offsets come from Intl and are cached per minute. */
class IanaZone implements Zone {
  readonly format: Intl.DateTimeFormat;
  readonly offsets = new Map<number, number>();

  constructor(name: string) {
    this.format = new Intl.DateTimeFormat('en-US', {
      timeZone: name,
      hourCycle: 'h23',
      era: 'short',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
  }

  offsetAt(utcMs: number): number {
    const minute = Math.floor(utcMs / MINUTE_MS);
    let offset = this.offsets.get(minute);
    if (offset === undefined) {
      if (this.offsets.size >= 4096) this.offsets.clear();
      offset = this.compute(minute * MINUTE_MS);
      this.offsets.set(minute, offset);
    }
    return offset;
  }

  toUtc(localMs: number): number {
    const before = this.offsetAt(localMs - DAY_MS);
    const after = this.offsetAt(localMs + DAY_MS);
    if (before === after) return localMs - before;
    // A transition within a day: the wall time may exist twice (fall back) or not at all (spring forward).
    const early = localMs - before;
    const late = localMs - after;
    const earlyExists = this.offsetAt(early) === before;
    const lateExists = this.offsetAt(late) === after;
    if (earlyExists && lateExists) return Math.min(early, late);
    if (earlyExists) return early;
    if (lateExists) return late;
    return localMs - before;
  }

  private compute(utcMs: number): number {
    let year = 0;
    let month = 1;
    let day = 1;
    let hour = 0;
    let minute = 0;
    let second = 0;
    let bc = false;
    for (const part of this.format.formatToParts(utcMs)) {
      switch (part.type) {
        case 'year':
          year = Number(part.value);
          break;
        case 'month':
          month = Number(part.value);
          break;
        case 'day':
          day = Number(part.value);
          break;
        case 'hour':
          hour = Number(part.value) % 24;
          break;
        case 'minute':
          minute = Number(part.value);
          break;
        case 'second':
          second = Number(part.value);
          break;
        case 'era':
          bc = part.value.startsWith('B');
          break;
      }
    }
    if (bc) year = 1 - year;
    return civil(year, month, day, hour, minute, second, 0) - utcMs;
  }
}

const ZONES = new Map<string, Zone>();
const UTC_NAMES = new Set(['UTC', 'Etc/UTC', 'Etc/GMT', 'GMT', 'Etc/UCT', 'UCT', 'Etc/Zulu', 'Zulu']);

function zoneFor(name: string): Zone {
  const resolved = new Intl.DateTimeFormat('en-US', { timeZone: name }).resolvedOptions().timeZone;
  if (UTC_NAMES.has(resolved)) return UTC_ZONE;
  let zone = ZONES.get(resolved);
  if (zone === undefined) {
    zone = new IanaZone(resolved);
    ZONES.set(resolved, zone);
  }
  return zone;
}

// ---------------------------------------------------------------------------
// Pieces of date text.

/** `jan` … `dec` as a number made of the three lowercased letters. */
const MONTHS = new Map<number, number>(
  ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'].map((name, i) => [
    monthKey(name),
    i + 1,
  ]),
);

function monthKey(text: string): number {
  return (
    ((text.charCodeAt(0) | 0x20) << 16) | ((text.charCodeAt(1) | 0x20) << 8) | (text.charCodeAt(2) | 0x20)
  );
}

/** Milliseconds of a fraction of a second written as digits (`5` → 500, `123456` → 123). */
function fractionMs(digits: string | undefined): number {
  if (digits === undefined) return 0;
  let ms = 0;
  for (let i = 0; i < 3; i++) ms = ms * 10 + (i < digits.length ? digits.charCodeAt(i) - 0x30 : 0);
  return ms;
}

/** `Z`, `+01`, `+0100`, `+01:00` → offset in minutes; NaN when out of range. */
function offsetMinutes(text: string): number {
  if (text.length === 1) return 0;
  const sign = text.charCodeAt(0) === 0x2d ? -1 : 1;
  const hours = (text.charCodeAt(1) - 0x30) * 10 + (text.charCodeAt(2) - 0x30);
  const m = text.length === 6 ? 4 : 3;
  const minutes = text.length > 3 ? (text.charCodeAt(m) - 0x30) * 10 + (text.charCodeAt(m + 1) - 0x30) : 0;
  if (hours > 23 || minutes > 59) return Number.NaN;
  return sign * (hours * 60 + minutes);
}

const OFFSET_SOURCE = '([Zz]|[+-]\\d{2}(?::?\\d{2})?)';

// ---------------------------------------------------------------------------
// Formats. `parse` returns the instant in ms, or NaN when the value does not match.

interface DateFormat {
  parse(value: string | number, zone: Zone, now: () => Date): number;
}

/** Local time + optional offset (in minutes, NaN when out of range) → instant. */
function instant(
  year: number,
  month: number,
  day: number,
  hour: number,
  minute: number,
  second: number,
  ms: number,
  offset: number | undefined,
  zone: Zone,
): number {
  const local = civil(year, month, day, hour, minute, second, ms);
  if (Number.isNaN(local)) return local;
  if (offset === undefined) return zone.toUtc(local);
  return local - offset * MINUTE_MS;
}

/** A year-less date: the latest year that does not put it more than a day in the future. */
function instantWithoutYear(
  month: number,
  day: number,
  hour: number,
  minute: number,
  second: number,
  ms: number,
  offset: number | undefined,
  zone: Zone,
  now: () => Date,
): number {
  const nowMs = now().getTime();
  const latest = nowMs + DAY_MS;
  const thisYear = new Date(nowMs + zone.offsetAt(nowMs)).getUTCFullYear();
  let year = thisYear;
  let t = instant(year, month, day, hour, minute, second, ms, offset, zone);
  // Going back a few years also finds the last 29 February.
  while (!(t <= latest) && year > thisYear - 8) {
    year--;
    t = instant(year, month, day, hour, minute, second, ms, offset, zone);
  }
  return t;
}

// ---------------------------------------------------------------------------
// Fixed-format scanners for the common shapes of ISO8601, HTTPDATE and
// RFC3164. Each reads its shape character by character and gives the same
// instant as the format's regular expression would; for any other text it
// returns undefined and the regular expression decides (so a scanner only
// ever makes a match faster, never different).

const COLON = 0x3a;
const SPACE = 0x20;
const PLUS = 0x2b;
const MINUS = 0x2d;

/** The two digits at `i` as a number; -1 when they are not two ASCII digits. */
function twoDigits(text: string, i: number): number {
  const a = text.charCodeAt(i) - 0x30;
  const b = text.charCodeAt(i + 1) - 0x30;
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : -1;
}

function fourDigits(text: string, i: number): number {
  const high = twoDigits(text, i);
  const low = twoDigits(text, i + 2);
  return high < 0 || low < 0 ? -1 : high * 100 + low;
}

/** Whether the three characters at `i` are ASCII letters (what `[A-Za-z]{3}` matches). */
function threeLetters(text: string, i: number): boolean {
  return (
    ((text.charCodeAt(i) | 0x20) - 0x61) >>> 0 < 26 &&
    ((text.charCodeAt(i + 1) | 0x20) - 0x61) >>> 0 < 26 &&
    ((text.charCodeAt(i + 2) | 0x20) - 0x61) >>> 0 < 26
  );
}

/** The month named by the three letters at `i`; NaN for another word. */
function monthAt(text: string, i: number): number {
  const key =
    ((text.charCodeAt(i) | 0x20) << 16) |
    ((text.charCodeAt(i + 1) | 0x20) << 8) |
    (text.charCodeAt(i + 2) | 0x20);
  return MONTHS.get(key) ?? Number.NaN;
}

/** `+hh`, `+hhmm` or `+hh:mm` from `i` to the end, in minutes (NaN when out of range); undefined for another shape. */
function offsetAt(text: string, i: number): number | undefined {
  const sign = text.charCodeAt(i);
  if (sign !== PLUS && sign !== MINUS) return undefined;
  const rest = text.length - i;
  const hours = twoDigits(text, i + 1);
  if (hours < 0) return undefined;
  let minutes = 0;
  if (rest === 5) minutes = twoDigits(text, i + 3);
  else if (rest === 6 && text.charCodeAt(i + 3) === COLON) minutes = twoDigits(text, i + 4);
  else if (rest !== 3) return undefined;
  if (minutes < 0) return undefined;
  if (hours > 23 || minutes > 59) return Number.NaN;
  return (sign === MINUS ? -1 : 1) * (hours * 60 + minutes);
}

/** `2024-01-15`, `2024-01-15T12:00:00`, with `.123…` and `Z`, `+01`, `+0100` or `+01:00`. */
function scanIso(text: string, zone: Zone): number | undefined {
  const length = text.length;
  if (length < 10 || text.charCodeAt(4) !== MINUS || text.charCodeAt(7) !== MINUS) return undefined;
  const year = fourDigits(text, 0);
  const month = twoDigits(text, 5);
  const day = twoDigits(text, 8);
  if (year < 0 || month < 0 || day < 0) return undefined;
  if (length === 10) return instant(year, month, day, 0, 0, 0, 0, undefined, zone);
  const t = text.charCodeAt(10);
  if (length < 19 || (t !== 0x54 && t !== 0x74 && t !== SPACE)) return undefined;
  if (text.charCodeAt(13) !== COLON || text.charCodeAt(16) !== COLON) return undefined;
  const hour = twoDigits(text, 11);
  const minute = twoDigits(text, 14);
  const second = twoDigits(text, 17);
  if (hour < 0 || minute < 0 || second < 0) return undefined;
  let i = 19;
  let ms = 0;
  const dot = text.charCodeAt(i);
  if (dot === 0x2e || dot === 0x2c) {
    const start = ++i;
    while (i < length && (text.charCodeAt(i) - 0x30) >>> 0 < 10) {
      if (i - start < 3) ms = ms * 10 + text.charCodeAt(i) - 0x30;
      i++;
    }
    const digits = i - start;
    if (digits === 0 || digits > 9) return undefined;
    for (let k = digits; k < 3; k++) ms *= 10;
  }
  if (i === length) return instant(year, month, day, hour, minute, second, ms, undefined, zone);
  const z = text.charCodeAt(i);
  if ((z === 0x5a || z === 0x7a) && i + 1 === length) {
    return instant(year, month, day, hour, minute, second, ms, 0, zone);
  }
  const offset = offsetAt(text, i);
  if (offset === undefined) return undefined;
  return instant(year, month, day, hour, minute, second, ms, offset, zone);
}

/** `dd/MMM/yyyy:HH:mm:ss +hhmm`, e.g. `17/May/2015:10:05:03 +0000`. */
function scanHttpDate(text: string, zone: Zone): number | undefined {
  if (text.length !== 26) return undefined;
  if (
    text.charCodeAt(2) !== 0x2f ||
    text.charCodeAt(6) !== 0x2f ||
    text.charCodeAt(11) !== COLON ||
    text.charCodeAt(14) !== COLON ||
    text.charCodeAt(17) !== COLON ||
    text.charCodeAt(20) !== SPACE ||
    !threeLetters(text, 3)
  ) {
    return undefined;
  }
  const day = twoDigits(text, 0);
  const year = fourDigits(text, 7);
  const hour = twoDigits(text, 12);
  const minute = twoDigits(text, 15);
  const second = twoDigits(text, 18);
  const offset = offsetAt(text, 21);
  if (day < 0 || year < 0 || hour < 0 || minute < 0 || second < 0 || offset === undefined) return undefined;
  const month = monthAt(text, 3);
  if (Number.isNaN(month)) return month;
  return instant(year, month, day, hour, minute, second, 0, offset, zone);
}

/** `MMM d HH:mm:ss`: `Jan 15 12:00:00`, `Jan  5 12:00:00`, `Jan 5 12:00:00`. */
function scanSyslogDate(text: string, zone: Zone, now: () => Date): number | undefined {
  const length = text.length;
  if (length < 14 || !threeLetters(text, 0) || text.charCodeAt(3) !== SPACE) return undefined;
  let i = 4;
  while (text.charCodeAt(i) === SPACE) i++;
  const first = text.charCodeAt(i) - 0x30;
  if (first < 0 || first > 9) return undefined;
  let day = first;
  i++;
  const second = text.charCodeAt(i) - 0x30;
  if (second >= 0 && second <= 9) {
    day = day * 10 + second;
    i++;
  }
  if (text.charCodeAt(i) !== SPACE) return undefined;
  while (text.charCodeAt(i) === SPACE) i++;
  if (length - i !== 8 || text.charCodeAt(i + 2) !== COLON || text.charCodeAt(i + 5) !== COLON)
    return undefined;
  const hour = twoDigits(text, i);
  const minute = twoDigits(text, i + 3);
  const sec = twoDigits(text, i + 6);
  if (hour < 0 || minute < 0 || sec < 0) return undefined;
  const month = monthAt(text, 0);
  if (Number.isNaN(month)) return month;
  return instantWithoutYear(month, day, hour, minute, sec, 0, undefined, zone, now);
}

type Scanner = (text: string, zone: Zone, now: () => Date) => number | undefined;

/** Patterns with a scanner, by their text. */
const SCANNERS: Record<string, Scanner> = {
  'dd/MMM/yyyy:HH:mm:ss Z': scanHttpDate,
  'MMM d HH:mm:ss': scanSyslogDate,
};

const ISO =
  /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?(?: ?([Zz]|[+-]\d{2}(?::?\d{2})?))?$/;

const ISO8601: DateFormat = {
  parse(value, zone) {
    if (typeof value !== 'string') return Number.NaN;
    const scanned = scanIso(value, zone);
    if (scanned !== undefined) return scanned;
    const m = ISO.exec(value);
    if (m === null) return Number.NaN;
    return instant(
      Number(m[1]),
      Number(m[2]),
      Number(m[3]),
      m[4] === undefined ? 0 : Number(m[4]),
      m[5] === undefined ? 0 : Number(m[5]),
      m[6] === undefined ? 0 : Number(m[6]),
      fractionMs(m[7]),
      m[8] === undefined ? undefined : offsetMinutes(m[8]),
      zone,
    );
  },
};

const UNIX_TEXT = /^[+-]?\d{1,16}(?:\.\d{1,9})?$/;

/** Seconds (`scale` 1000) or milliseconds (`scale` 1) since 1970, as text or number. */
class UnixFormat implements DateFormat {
  readonly scale: number;

  constructor(scale: number) {
    this.scale = scale;
  }

  parse(value: string | number): number {
    if (typeof value === 'number')
      return Number.isFinite(value) ? Math.round(value * this.scale) : Number.NaN;
    if (!UNIX_TEXT.test(value)) return Number.NaN;
    const dot = value.indexOf('.');
    if (dot < 0) return Number(value) * this.scale;
    const whole = Number(value.slice(0, dot)) * this.scale;
    if (this.scale === 1) return whole;
    const fraction = fractionMs(value.slice(dot + 1));
    return value.charCodeAt(0) === 0x2d ? whole - fraction : whole + fraction;
  }
}

/** Capture group of each part of a pattern; 0 when the pattern does not have it. */
interface PatternGroups {
  year: number;
  shortYear: number;
  month: number;
  monthName: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  fraction: number;
  offset: number;
}

type Part = keyof PatternGroups;

function escapeRegExp(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');
}

const LETTER = /[A-Za-z]/;

/** What a run of one letter means: its part, the regex it captures with, and `undefined` parts capture nothing. */
function token(letter: string, count: number): { part: Part | undefined; source: string } | undefined {
  const oneOrTwo = count === 1 ? '(\\d{1,2})' : count === 2 ? '(\\d{2})' : undefined;
  switch (letter) {
    case 'y':
      if (count === 4) return { part: 'year', source: '(\\d{4})' };
      if (count === 2) return { part: 'shortYear', source: '(\\d{2})' };
      return undefined;
    case 'M':
      if (count === 3) return { part: 'monthName', source: '([A-Za-z]{3})' };
      return oneOrTwo === undefined ? undefined : { part: 'month', source: oneOrTwo };
    case 'd':
      return oneOrTwo === undefined ? undefined : { part: 'day', source: oneOrTwo };
    case 'H':
      return oneOrTwo === undefined ? undefined : { part: 'hour', source: oneOrTwo };
    case 'm':
      return oneOrTwo === undefined ? undefined : { part: 'minute', source: oneOrTwo };
    case 's':
      return oneOrTwo === undefined ? undefined : { part: 'second', source: oneOrTwo };
    case 'S':
      return count <= 9 ? { part: 'fraction', source: '(\\d{1,9})' } : undefined;
    case 'Z':
      return count <= 2 ? { part: 'offset', source: OFFSET_SOURCE } : undefined;
    case 'E':
      return count === 3 ? { part: undefined, source: '[A-Za-z]{3}' } : undefined;
    default:
      return undefined;
  }
}

/** The same kind of part written twice (`yyyy` and `yy`, `MM` and `MMM`). */
const KIND: Record<Part, string> = {
  year: 'year',
  shortYear: 'year',
  month: 'month',
  monthName: 'month',
  day: 'day',
  hour: 'hour',
  minute: 'minute',
  second: 'second',
  fraction: 'fraction',
  offset: 'offset',
};

/** A custom pattern, compiled once into one anchored regex and the groups of its parts. */
class PatternFormat implements DateFormat {
  readonly regex: RegExp;
  readonly groups: PatternGroups;
  readonly scanner: Scanner | undefined;

  constructor(pattern: string) {
    this.scanner = Object.hasOwn(SCANNERS, pattern) ? SCANNERS[pattern] : undefined;
    const groups: PatternGroups = {
      year: 0,
      shortYear: 0,
      month: 0,
      monthName: 0,
      day: 0,
      hour: 0,
      minute: 0,
      second: 0,
      fraction: 0,
      offset: 0,
    };
    const kinds = new Set<string>();
    let source = '^';
    let group = 0;
    let i = 0;
    while (i < pattern.length) {
      const ch = pattern[i] as string;
      if (ch === "'") {
        let literal = '';
        let j = i + 1;
        if (pattern[j] === "'") {
          literal = "'";
        } else {
          for (;;) {
            if (j >= pattern.length) throw new Error(`date pattern "${pattern}" has an unclosed quote`);
            if (pattern[j] === "'") {
              if (pattern[j + 1] !== "'") break;
              literal += "'";
              j += 2;
              continue;
            }
            literal += pattern[j];
            j++;
          }
        }
        source += escapeRegExp(literal);
        i = j + 1;
      } else if (LETTER.test(ch)) {
        let j = i;
        while (pattern[j] === ch) j++;
        const count = j - i;
        const meaning = token(ch, count);
        if (meaning === undefined) {
          throw new Error(
            `date pattern "${pattern}" has "${ch.repeat(count)}", which is not one of yyyy yy MMM MM M dd d HH H mm m ss s S… Z ZZ EEE; quote literal text with '…'`,
          );
        }
        source += meaning.source;
        if (meaning.part !== undefined) {
          const kind = KIND[meaning.part];
          if (kinds.has(kind)) throw new Error(`date pattern "${pattern}" has the ${kind} twice`);
          kinds.add(kind);
          groups[meaning.part] = ++group;
        }
        i = j;
      } else if (ch === ' ') {
        while (pattern[i] === ' ') i++;
        // All the spaces there are: never fewer, so that spaces next to spaces cannot backtrack.
        source += ' +(?! )';
      } else {
        source += escapeRegExp(ch);
        i++;
      }
    }
    if (!kinds.has('month') || !kinds.has('day')) {
      throw new Error(`date pattern "${pattern}" needs the month (MM, M or MMM) and the day (dd or d)`);
    }
    this.regex = new RegExp(`${source}$`);
    this.groups = groups;
  }

  parse(value: string | number, zone: Zone, now: () => Date): number {
    if (typeof value !== 'string') return Number.NaN;
    if (this.scanner !== undefined) {
      const scanned = this.scanner(value, zone, now);
      if (scanned !== undefined) return scanned;
    }
    const m = this.regex.exec(value);
    if (m === null) return Number.NaN;
    const g = this.groups;
    let month: number;
    if (g.monthName !== 0) {
      const found = MONTHS.get(monthKey(m[g.monthName] as string));
      if (found === undefined) return Number.NaN;
      month = found;
    } else {
      month = Number(m[g.month]);
    }
    const day = Number(m[g.day]);
    const hour = g.hour === 0 ? 0 : Number(m[g.hour]);
    const minute = g.minute === 0 ? 0 : Number(m[g.minute]);
    const second = g.second === 0 ? 0 : Number(m[g.second]);
    const ms = g.fraction === 0 ? 0 : fractionMs(m[g.fraction]);
    const offset = g.offset === 0 ? undefined : offsetMinutes(m[g.offset] as string);
    if (g.year !== 0) {
      return instant(Number(m[g.year]), month, day, hour, minute, second, ms, offset, zone);
    }
    if (g.shortYear !== 0) {
      const short = Number(m[g.shortYear]);
      const year = short < 69 ? 2000 + short : 1900 + short;
      return instant(year, month, day, hour, minute, second, ms, offset, zone);
    }
    return instantWithoutYear(month, day, hour, minute, second, ms, offset, zone, now);
  }
}

const NAMED: Record<string, () => DateFormat> = {
  ISO8601: () => ISO8601,
  UNIX: () => new UnixFormat(1000),
  UNIX_MS: () => new UnixFormat(1),
  RFC3164: () => new PatternFormat('MMM d HH:mm:ss'),
  HTTPDATE: () => new PatternFormat('dd/MMM/yyyy:HH:mm:ss Z'),
};

/** A named format or a pattern; throws an Error with a user-facing message when the pattern is wrong. */
function compileFormat(format: string): DateFormat {
  const named = Object.hasOwn(NAMED, format) ? NAMED[format] : undefined;
  if (named !== undefined) return named();
  try {
    return new PatternFormat(format);
  } catch (error) {
    // A word such as `iso8601` or `RFC5424` was meant as a named format.
    if (!/^[A-Za-z0-9_]+$/.test(format)) throw error;
    throw new Error(
      `"${format}" is neither a date pattern nor a named format (${Object.keys(NAMED).join(', ')})`,
    );
  }
}

// ---------------------------------------------------------------------------

class DateStep implements PipelineStep {
  readonly type = 'date';
  readonly source: FieldPath;
  readonly target: FieldPath;
  readonly getSource: FieldGetter;
  readonly setTarget: FieldSetter;
  readonly formats: DateFormat[];
  readonly zone: Zone;
  readonly removeSource: boolean;
  readonly now: () => Date;
  readonly maxLength = DEFAULT_LIMITS.maxFieldBytes;
  /**
   * Consecutive lines of a log mostly carry the same time text (one second
   * of an access log): the last text and its result are kept, for at most a
   * second of wall time so that year inference never goes stale.
   */
  #lastText: string | undefined;
  #lastIso = '';
  #lastAt = 0;

  constructor(config: DateConfig, now: () => Date) {
    this.source = fieldPath(config.field);
    this.target = fieldPath(config.target);
    this.getSource = fieldGetter(this.source);
    this.setTarget = fieldSetter(this.target);
    this.formats = config.formats.map(compileFormat);
    this.zone = zoneFor(config.timezone);
    this.removeSource = config.remove_field && this.source.join('\u0000') !== this.target.join('\u0000');
    this.now = now;
  }

  run(event: Record<string, unknown>): StepResult {
    const value = this.getSource(event);
    if (value === undefined) return MISSING;
    if (typeof value === 'string') {
      if (value.length > this.maxLength) return TOO_LONG;
      if (value === this.#lastText && performance.now() - this.#lastAt < 1000) {
        this.setTarget(event, this.#lastIso);
        if (this.removeSource) deleteField(event, this.source);
        return undefined;
      }
    } else if (typeof value !== 'number') {
      return NO_MATCH;
    }
    for (const format of this.formats) {
      const t = format.parse(value, this.zone, this.now);
      if (t >= MIN_MS && t <= MAX_MS) {
        const iso = isoUtc(t);
        if (typeof value === 'string') {
          this.#lastText = value;
          this.#lastIso = iso;
          this.#lastAt = performance.now();
        }
        this.setTarget(event, iso);
        if (this.removeSource) deleteField(event, this.source);
        return undefined;
      }
    }
    return NO_MATCH;
  }
}

/** The date step with another clock for the year of year-less dates; for tests. */
export function dateStepWithClock(now: () => Date): StepDefinition<typeof schema> {
  return {
    description: "Parses the event's own time from a field into `@timestamp`.",
    schema,
    create(config): PipelineStep {
      return new DateStep(config, now);
    },
  };
}

export const dateStep: StepDefinition<typeof schema> = dateStepWithClock(() => new Date());
