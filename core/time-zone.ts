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
  if (
    year >= 100 &&
    year <= 9999 &&
    month >= 1 &&
    month <= 12 &&
    day >= 1 &&
    day <= 31 &&
    hour >= 0 &&
    hour <= 23 &&
    minute >= 0 &&
    minute <= 59 &&
    second >= 0 &&
    second <= 59 &&
    ms >= 0 &&
    ms <= 999 &&
    Number.isInteger(year) &&
    Number.isInteger(month) &&
    Number.isInteger(day) &&
    Number.isInteger(hour) &&
    Number.isInteger(minute) &&
    Number.isInteger(second) &&
    Number.isInteger(ms)
  ) {
    // What Date.UTC gives for these (a day past the month's end rolls over alike), several times faster.
    return ((daysFromCivil(year, month, day) * 24 + hour) * 60 + minute) * 60_000 + second * 1000 + ms;
  }
  const t = Date.UTC(year, month - 1, day, hour, minute, second, ms);
  if (year >= 100) return t;
  const date = new Date(t);
  date.setUTCFullYear(year);
  return date.getTime();
}

/** Days from 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's algorithm); month 1-12. */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
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

/** 0000-01-01T00:00:00.000Z and 9999-12-31T23:59:59.999Z: the instants with a four-digit year. */
const ISO_MIN_MS = -62_167_219_200_000;
const ISO_MAX_MS = 253_402_300_799_999;
const DAY_MS = 86_400_000;

/**
 * `new Date(ms).toISOString()` (`2024-01-15T12:00:00.000Z`), four to five
 * times faster: whole milliseconds with a four-digit year are formatted
 * here (days to civil date after Howard Hinnant's algorithm), anything else
 * by Date.
 */
export function isoUtc(ms: number): string {
  if (!(ms >= ISO_MIN_MS && ms <= ISO_MAX_MS) || !Number.isInteger(ms)) return new Date(ms).toISOString();
  const days = Math.floor(ms / DAY_MS);
  let rest = ms - days * DAY_MS;
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  const hour = Math.floor(rest / 3_600_000);
  rest -= hour * 3_600_000;
  const minute = Math.floor(rest / 60_000);
  rest -= minute * 60_000;
  const second = Math.floor(rest / 1000);
  const milli = rest - second * 1000;
  const low = year % 100;
  const high = (year - low) / 100;
  // One flat string in one call, rather than a rope of pieces that JSON.stringify would flatten later.
  return String.fromCharCode(
    48 + ((high / 10) | 0),
    48 + (high % 10),
    48 + ((low / 10) | 0),
    48 + (low % 10),
    45,
    48 + ((month / 10) | 0),
    48 + (month % 10),
    45,
    48 + ((day / 10) | 0),
    48 + (day % 10),
    84,
    48 + ((hour / 10) | 0),
    48 + (hour % 10),
    58,
    48 + ((minute / 10) | 0),
    48 + (minute % 10),
    58,
    48 + ((second / 10) | 0),
    48 + (second % 10),
    46,
    48 + ((milli / 100) | 0),
    48 + (((milli / 10) | 0) % 10),
    48 + (milli % 10),
    90,
  );
}
