/**
 * Wall-clock times in an IANA time zone, for timestamps that carry no
 * offset (BSD `Nov 24 22:31:05`). Uses Intl.DateTimeFormat only; as one
 * lookup costs microseconds, offsets are cached per zone in 15-minute
 * buckets of UTC time (every zone in use today changes offset on a multiple
 * of 15 minutes), so a steady stream of messages costs one Map lookup each.
 */

const BUCKET_MS = 15 * 60_000;
/** Cached buckets per zone before the cache starts over (~6 weeks of distinct quarter-hours). */
const MAX_BUCKETS_PER_ZONE = 4096;
/** Zone names seen before the cache starts over (names come from configuration and device zone words). */
const MAX_ZONES = 256;

interface Zone {
  format: Intl.DateTimeFormat;
  /** UTC bucket number → offset in minutes east of UTC. */
  offsets: Map<number, number>;
}

/** Zone name → its formatter, or null for a name Intl does not know. */
const zones = new Map<string, Zone | null>();

function lookupZone(name: string): Zone | null {
  let zone = zones.get(name);
  if (zone === undefined) {
    try {
      zone = {
        format: new Intl.DateTimeFormat('en-US', {
          timeZone: name,
          hourCycle: 'h23',
          year: 'numeric',
          month: 'numeric',
          day: 'numeric',
          hour: 'numeric',
          minute: 'numeric',
          second: 'numeric',
        }),
        offsets: new Map(),
      };
    } catch {
      zone = null;
    }
    if (zones.size >= MAX_ZONES) zones.clear();
    zones.set(name, zone);
  }
  return zone;
}

/** True for `UTC` and names Intl resolves to UTC without a lookup. */
function isUtcName(name: string): boolean {
  return name === 'UTC' || name === 'Etc/UTC' || name === 'GMT' || name === 'Etc/GMT' || name === 'Z';
}

/** Whether `name` is a time zone Intl.DateTimeFormat accepts (for validating configuration). */
export function isValidTimeZone(name: string): boolean {
  return isUtcName(name) || lookupZone(name) !== null;
}

/** Offset of `zone` at the UTC instant `utcMs`, in minutes east of UTC; undefined for an unknown zone. */
export function zoneOffsetMinutes(zone: string, utcMs: number): number | undefined {
  if (isUtcName(zone)) return 0;
  const cached = lookupZone(zone);
  if (cached === null) return undefined;
  const bucket = Math.floor(utcMs / BUCKET_MS);
  let offset = cached.offsets.get(bucket);
  if (offset === undefined) {
    const start = bucket * BUCKET_MS;
    let year = 0;
    let month = 1;
    let day = 1;
    let hour = 0;
    let minute = 0;
    let second = 0;
    for (const part of cached.format.formatToParts(start)) {
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
          hour = Number(part.value);
          break;
        case 'minute':
          minute = Number(part.value);
          break;
        case 'second':
          second = Number(part.value);
          break;
      }
    }
    offset = Math.round((utcFromFields(year, month, day, hour, minute, second, 0) - start) / 60_000);
    if (cached.offsets.size >= MAX_BUCKETS_PER_ZONE) cached.offsets.clear();
    cached.offsets.set(bucket, offset);
  }
  return offset;
}

/**
 * The offset (minutes east of UTC) that a wall-clock time in `zone` has;
 * `wallMs` is that wall-clock time read as if it were UTC. A time skipped by
 * a DST change gets the offset from before the change, a time that occurs
 * twice gets the later one. An unknown zone counts as UTC.
 */
export function offsetOfWallClock(zone: string, wallMs: number): number {
  const guess = zoneOffsetMinutes(zone, wallMs);
  if (guess === undefined) return 0;
  return zoneOffsetMinutes(zone, wallMs - guess * 60_000) ?? 0;
}

/** Date.UTC without its mapping of years 0-99 to 1900-1999. Month is 1-12. */
export function utcFromFields(
  year: number,
  month: number,
  day: number,
  hour: number,
  minute: number,
  second: number,
  ms: number,
): number {
  const t = Date.UTC(year, month - 1, day, hour, minute, second, ms);
  if (year >= 100) return t;
  const date = new Date(t);
  date.setUTCFullYear(year);
  return date.getTime();
}

/** `Z` for 0, else `+hh:mm` / `-hh:mm`. */
export function formatOffset(minutes: number): string {
  if (minutes === 0) return 'Z';
  const sign = minutes < 0 ? '-' : '+';
  const abs = Math.abs(minutes);
  return `${sign}${pad2(Math.floor(abs / 60))}:${pad2(abs % 60)}`;
}

/** `YYYY-MM-DDThh:mm:ss[.fraction]offset`; `fraction` is the digits as sent (may be empty). */
export function formatIsoTimestamp(
  year: number,
  month: number,
  day: number,
  hour: number,
  minute: number,
  second: number,
  fraction: string,
  offset: string,
): string {
  const y = year >= 1000 ? String(year) : String(year).padStart(4, '0');
  const frac = fraction.length > 0 ? `.${fraction}` : '';
  return `${y}-${pad2(month)}-${pad2(day)}T${pad2(hour)}:${pad2(minute)}:${pad2(second)}${frac}${offset}`;
}

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/** Days in `month` (1-12) of `year`, proleptic Gregorian. */
export function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}
