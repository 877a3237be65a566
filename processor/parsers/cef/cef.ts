/**
 * ArcSight Common Event Format (CEF), the pure parser: text in, header and
 * extension pairs out, no event and no ECS (that is `cef-step.ts`).
 *
 *   [syslog prefix] CEF:Version|Vendor|Product|Device Version|Class ID|Name|Severity|k1=v1 k2=v 2
 *
 * Header fields escape `\|` and `\\`. Extension values run until the next
 * ` key=` (so they may hold spaces) and escape `\=`, `\\`, `\n` and `\r`;
 * any other backslash is kept as it is (Windows paths are often sent
 * unescaped). An `=` that is not preceded by ` key` belongs to the value
 * (vendors rarely escape `=` in URLs). Short keys (`src`, `dpt`) are renamed
 * to the dictionary's full names (`sourceAddress`, `destinationPort`), as
 * Elastic's decoder does, so `cef.extensions.*` is the same whichever form a
 * device sends. The parser is one forward pass with bounded look-backs: it is
 * linear in the input, whatever the input.
 */

import { isoUtc } from '../../../core/time-zone.ts';

export interface CefHeader {
  version: string;
  deviceVendor: string;
  deviceProduct: string;
  deviceVersion: string;
  deviceEventClassId: string;
  name: string;
  severity: string;
}

/** What the dictionary knows about a key: its full name and how its value is typed. */
export interface CefKey {
  readonly name: string;
  readonly type?: CefValueType;
}

export interface CefMessage<K extends CefKey = CefKey> extends CefHeader {
  /** Extension keys in the order sent, renamed to full names; `values[i]` and `known[i]` belong to `keys[i]`. */
  keys: string[];
  /** The dictionary entry of each key, undefined for keys the dictionary does not have (vendor keys). */
  known: Array<K | undefined>;
  /** Extension values, unescaped and trimmed; pairs with an empty value are left out. */
  values: string[];
}

export type CefParseResult<K extends CefKey = CefKey> =
  | CefMessage<K>
  | { error: 'not CEF' | 'too many fields' };

const BACKSLASH = 0x5c;
const PIPE = 0x7c;
const EQUALS = 0x3d;
const SPACE = 0x20;
const TAB = 0x09;
/** A run of key characters longer than this is not a key. */
const MAX_KEY_LENGTH = 128;

const NOT_CEF = { error: 'not CEF' } as const;
const TOO_MANY = { error: 'too many fields' } as const;

/**
 * Parses the first `CEF:` header in `text` and its extension. `maxPairs`
 * bounds the number of extension pairs (hostile input): more is an error.
 * `dictionary` (CEF_KEYS, or a copy whose entries carry more) is looked up
 * once per key. Keys `__proto__`, `constructor` and `prototype` are dropped.
 */
export function parseCef<K extends CefKey>(
  text: string,
  maxPairs: number,
  dictionary: ReadonlyMap<string, K>,
): CefParseResult<K> {
  const start = text.indexOf('CEF:');
  if (start === -1) return NOT_CEF;
  const header: string[] = [];
  let pos = start + 4;
  let slash = text.indexOf('\\', pos);
  for (let i = 0; i < 7; i++) {
    const end = headerFieldEnd(text, pos);
    if (end === -1) return NOT_CEF;
    if (slash === -1 || slash >= end) header.push(text.slice(pos, end));
    else {
      header.push(unescapeHeader(text, slash, pos, end));
      slash = text.indexOf('\\', end);
    }
    pos = end + 1;
  }
  const version = (header[0] as string).trim();
  if (!isDigits(version, 0, version.length)) return NOT_CEF;
  const pairs: Pairs<K> = { dictionary, keys: [], known: [], values: [] };
  if (!parseExtension(text, pos, maxPairs, pairs)) return TOO_MANY;
  return {
    version,
    deviceVendor: header[1] as string,
    deviceProduct: header[2] as string,
    deviceVersion: header[3] as string,
    deviceEventClassId: header[4] as string,
    name: header[5] as string,
    severity: (header[6] as string).trim(),
    keys: pairs.keys,
    known: pairs.known,
    values: pairs.values,
  };
}

/** Index of the next unescaped `|` from `from`, or -1. */
function headerFieldEnd(text: string, from: number): number {
  let pipe = text.indexOf('|', from);
  while (pipe !== -1 && isEscaped(text, pipe, from)) pipe = text.indexOf('|', pipe + 1);
  return pipe;
}

/**
 * Whether the character at `at` is escaped: an odd run of backslashes (not
 * before `floor`) ends just before it. A backslash escapes the character
 * after it whatever that is, so only the parity of the run matters.
 */
function isEscaped(text: string, at: number, floor: number): boolean {
  let i = at - 1;
  while (i >= floor && text.charCodeAt(i) === BACKSLASH) i--;
  return (at - 1 - i) % 2 === 1;
}

/** The header field between `start` and `end`, whose first backslash is at `slash`. */
function unescapeHeader(text: string, slash: number, start: number, end: number): string {
  let out = '';
  let chunk = start;
  for (let i = slash; i < end; i++) {
    if (text.charCodeAt(i) !== BACKSLASH || i + 1 >= end) continue;
    const next = text.charCodeAt(i + 1);
    if (next === BACKSLASH || next === PIPE) {
      out += text.slice(chunk, i);
      chunk = i + 1;
      i++;
    }
  }
  return out + text.slice(chunk, end);
}

function isKeyChar(c: number): boolean {
  return (
    (c >= 0x61 && c <= 0x7a) || // a-z
    (c >= 0x41 && c <= 0x5a) || // A-Z
    (c >= 0x30 && c <= 0x39) || // 0-9
    c === 0x5f || // _
    c === 0x2e || // .
    c === 0x2d || // -
    c === 0x5b || // [
    c === 0x5d // ]
  );
}

function isBlank(c: number): boolean {
  return c === SPACE || c === TAB || c === 0x0a || c === 0x0d;
}

/**
 * Fills `keys` and `values` with the extension's pairs; false when there are
 * more than `maxPairs`. Each `=` is found with `indexOf`; the key before it
 * is looked for backwards over key characters only (so never past the
 * previous `=`) and at most MAX_KEY_LENGTH of them: the pass stays linear.
 */
function parseExtension<K extends CefKey>(
  text: string,
  from: number,
  maxPairs: number,
  pairs: Pairs<K>,
): boolean {
  let end = text.length;
  while (end > from && isBlank(text.charCodeAt(end - 1))) end--;
  let begin = from;
  while (begin < end && isBlank(text.charCodeAt(begin))) begin++;
  let found = 0;
  let valueStart = -1;
  let key = '';
  // The next backslash at or after the value being read, so a value without one is a plain slice.
  let slash = text.indexOf('\\', begin);
  const value = (start: number, stop: number): string => {
    while (slash !== -1 && slash < start) slash = text.indexOf('\\', start);
    return slash === -1 || slash >= stop ? trimmed(text, start, stop) : unescapeValue(text, start, stop);
  };
  let eq = text.indexOf('=', begin);
  while (eq !== -1 && eq < end) {
    // An escaped `=` follows a backslash, which is not a key character: no key.
    const floor = Math.max(begin, eq - MAX_KEY_LENGTH - 1);
    let k = eq;
    while (k > floor && isKeyChar(text.charCodeAt(k - 1))) k--;
    if (k < eq && (k === begin || text.charCodeAt(k - 1) === SPACE || text.charCodeAt(k - 1) === TAB)) {
      if (found === maxPairs) return false;
      found++;
      if (valueStart !== -1) push(pairs, key, value(valueStart, k - 1));
      key = text.slice(k, eq);
      valueStart = eq + 1;
    }
    eq = text.indexOf('=', eq + 1);
  }
  if (valueStart !== -1) push(pairs, key, value(valueStart, end));
  return true;
}

interface Pairs<K extends CefKey> {
  dictionary: ReadonlyMap<string, K>;
  keys: string[];
  known: Array<K | undefined>;
  values: string[];
}

function push<K extends CefKey>(pairs: Pairs<K>, key: string, value: string): void {
  if (value.length === 0) return;
  const known = pairs.dictionary.get(key);
  if (known === undefined && isReserved(key)) return;
  pairs.keys.push(known === undefined ? key : known.name);
  pairs.known.push(known);
  pairs.values.push(value);
}

/** `__proto__`, `constructor`, `prototype`: names that could reach an object's prototype. */
function isReserved(key: string): boolean {
  if (key.length === 9) return key === '__proto__' || key === 'prototype';
  return key.length === 11 && key === 'constructor';
}

function isSpace(c: number): boolean {
  return c === SPACE || c === TAB;
}

/** The text between `start` and `end`, trimmed of spaces and tabs. */
function trimmed(text: string, start: number, end: number): string {
  while (start < end && isSpace(text.charCodeAt(start))) start++;
  while (end > start && isSpace(text.charCodeAt(end - 1))) end--;
  return text.slice(start, end);
}

/** The value between `start` and `end`, trimmed of spaces and tabs, escapes resolved. */
function unescapeValue(text: string, start: number, end: number): string {
  while (start < end && isSpace(text.charCodeAt(start))) start++;
  while (end > start && isSpace(text.charCodeAt(end - 1))) end--;
  const slash = text.indexOf('\\', start);
  if (slash === -1 || slash >= end) return text.slice(start, end);
  let out = '';
  let chunk = start;
  for (let i = slash; i < end; i++) {
    if (text.charCodeAt(i) !== BACKSLASH || i + 1 >= end) continue;
    const next = text.charCodeAt(i + 1);
    let replacement: string | undefined;
    if (next === BACKSLASH) replacement = '\\';
    else if (next === EQUALS) replacement = '=';
    else if (next === 0x6e) replacement = '\n';
    else if (next === 0x72) replacement = '\r';
    if (replacement === undefined) continue;
    out += text.slice(chunk, i) + replacement;
    chunk = i + 2;
    i++;
  }
  return out + text.slice(chunk, end);
}

export function isDigits(text: string, start: number, end: number): boolean {
  if (end <= start) return false;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return false;
  }
  return true;
}

/** The CEF dictionary's short key names and their full names (CEF 25 and 26). */
const FULL_NAMES: ReadonlyMap<string, string> = new Map([
  ['act', 'deviceAction'],
  ['agt', 'agentAddress'],
  ['ahost', 'agentHostName'],
  ['aid', 'agentId'],
  ['amac', 'agentMacAddress'],
  ['app', 'applicationProtocol'],
  ['art', 'agentReceiptTime'],
  ['at', 'agentType'],
  ['atz', 'agentTimeZone'],
  ['av', 'agentVersion'],
  ['c6a1', 'deviceCustomIPv6Address1'],
  ['c6a1Label', 'deviceCustomIPv6Address1Label'],
  ['c6a2', 'deviceCustomIPv6Address2'],
  ['c6a2Label', 'deviceCustomIPv6Address2Label'],
  ['c6a3', 'deviceCustomIPv6Address3'],
  ['c6a3Label', 'deviceCustomIPv6Address3Label'],
  ['c6a4', 'deviceCustomIPv6Address4'],
  ['c6a4Label', 'deviceCustomIPv6Address4Label'],
  ['cat', 'deviceEventCategory'],
  ['catdt', 'categoryDeviceType'],
  ['cfp1', 'deviceCustomFloatingPoint1'],
  ['cfp1Label', 'deviceCustomFloatingPoint1Label'],
  ['cfp2', 'deviceCustomFloatingPoint2'],
  ['cfp2Label', 'deviceCustomFloatingPoint2Label'],
  ['cfp3', 'deviceCustomFloatingPoint3'],
  ['cfp3Label', 'deviceCustomFloatingPoint3Label'],
  ['cfp4', 'deviceCustomFloatingPoint4'],
  ['cfp4Label', 'deviceCustomFloatingPoint4Label'],
  ['cn1', 'deviceCustomNumber1'],
  ['cn1Label', 'deviceCustomNumber1Label'],
  ['cn2', 'deviceCustomNumber2'],
  ['cn2Label', 'deviceCustomNumber2Label'],
  ['cn3', 'deviceCustomNumber3'],
  ['cn3Label', 'deviceCustomNumber3Label'],
  ['cnt', 'baseEventCount'],
  ['cs1', 'deviceCustomString1'],
  ['cs1Label', 'deviceCustomString1Label'],
  ['cs2', 'deviceCustomString2'],
  ['cs2Label', 'deviceCustomString2Label'],
  ['cs3', 'deviceCustomString3'],
  ['cs3Label', 'deviceCustomString3Label'],
  ['cs4', 'deviceCustomString4'],
  ['cs4Label', 'deviceCustomString4Label'],
  ['cs5', 'deviceCustomString5'],
  ['cs5Label', 'deviceCustomString5Label'],
  ['cs6', 'deviceCustomString6'],
  ['cs6Label', 'deviceCustomString6Label'],
  ['dhost', 'destinationHostName'],
  ['dlat', 'destinationGeoLatitude'],
  ['dlong', 'destinationGeoLongitude'],
  ['dmac', 'destinationMacAddress'],
  ['dntdom', 'destinationNtDomain'],
  ['dpid', 'destinationProcessId'],
  ['dpriv', 'destinationUserPrivileges'],
  ['dproc', 'destinationProcessName'],
  ['dpt', 'destinationPort'],
  ['dst', 'destinationAddress'],
  ['dtz', 'deviceTimeZone'],
  ['duid', 'destinationUserId'],
  ['duser', 'destinationUserName'],
  ['dvc', 'deviceAddress'],
  ['dvchost', 'deviceHostName'],
  ['dvcmac', 'deviceMacAddress'],
  ['dvcpid', 'deviceProcessId'],
  ['end', 'endTime'],
  ['fname', 'filename'],
  ['fsize', 'fileSize'],
  ['in', 'bytesIn'],
  ['msg', 'message'],
  ['mrt', 'managerReceiptTime'],
  ['out', 'bytesOut'],
  ['outcome', 'eventOutcome'],
  ['proto', 'transportProtocol'],
  ['request', 'requestUrl'],
  ['rt', 'deviceReceiptTime'],
  ['shost', 'sourceHostName'],
  ['slat', 'sourceGeoLatitude'],
  ['slong', 'sourceGeoLongitude'],
  ['smac', 'sourceMacAddress'],
  ['sntdom', 'sourceNtDomain'],
  ['spid', 'sourceProcessId'],
  ['spriv', 'sourceUserPrivileges'],
  ['sproc', 'sourceProcessName'],
  ['spt', 'sourcePort'],
  ['src', 'sourceAddress'],
  ['start', 'startTime'],
  ['suid', 'sourceUserId'],
  ['suser', 'sourceUserName'],
]);

/** How a full-named extension value is typed in `cef.extensions`; keys not listed stay strings. */
export type CefValueType = 'integer' | 'float' | 'time';

const VALUE_TYPES: ReadonlyMap<string, CefValueType> = new Map<string, CefValueType>([
  ['baseEventCount', 'integer'],
  ['bytesIn', 'integer'],
  ['bytesOut', 'integer'],
  ['destinationPort', 'integer'],
  ['destinationProcessId', 'integer'],
  ['destinationTranslatedPort', 'integer'],
  ['deviceCustomNumber1', 'integer'],
  ['deviceCustomNumber2', 'integer'],
  ['deviceCustomNumber3', 'integer'],
  ['deviceDirection', 'integer'],
  ['deviceProcessId', 'integer'],
  ['eventId', 'integer'],
  ['fileSize', 'integer'],
  ['oldFileSize', 'integer'],
  ['sourcePort', 'integer'],
  ['sourceProcessId', 'integer'],
  ['sourceTranslatedPort', 'integer'],
  ['type', 'integer'],
  ['deviceCustomFloatingPoint1', 'float'],
  ['deviceCustomFloatingPoint2', 'float'],
  ['deviceCustomFloatingPoint3', 'float'],
  ['deviceCustomFloatingPoint4', 'float'],
  ['destinationGeoLatitude', 'float'],
  ['destinationGeoLongitude', 'float'],
  ['sourceGeoLatitude', 'float'],
  ['sourceGeoLongitude', 'float'],
  ['agentReceiptTime', 'time'],
  ['deviceCustomDate1', 'time'],
  ['deviceCustomDate2', 'time'],
  ['deviceReceiptTime', 'time'],
  ['endTime', 'time'],
  ['fileCreateTime', 'time'],
  ['fileModificationTime', 'time'],
  ['flexDate1', 'time'],
  ['managerReceiptTime', 'time'],
  ['oldFileCreateTime', 'time'],
  ['oldFileModificationTime', 'time'],
  ['startTime', 'time'],
]);

/** The dictionary: every short and full key name → one entry per full name. */
export const CEF_KEYS: ReadonlyMap<string, CefKey> = buildDictionary();

function buildDictionary(): Map<string, CefKey> {
  const dictionary = new Map<string, CefKey>();
  const entry = (name: string): CefKey => {
    let key = dictionary.get(name);
    if (key === undefined) {
      const type = VALUE_TYPES.get(name);
      key = type === undefined ? { name } : { name, type };
      dictionary.set(name, key);
    }
    return key;
  };
  for (const name of VALUE_TYPES.keys()) entry(name);
  for (const [short, full] of FULL_NAMES) dictionary.set(short, entry(full));
  return dictionary;
}

/** An integer written in decimal, or undefined (`0x10`, ` 1`, `1e3` and unsafe integers are not). */
export function toInteger(text: string): number | undefined {
  const start = text.charCodeAt(0) === 0x2d ? 1 : 0;
  if (text.length - start > 16 || !isDigits(text, start, text.length)) return undefined;
  const value = Number(text);
  return Number.isSafeInteger(value) ? value : undefined;
}

const FLOAT = /^[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$/;

export function toFloat(text: string): number | undefined {
  if (text.length > 64 || !FLOAT.test(text)) return undefined;
  const value = Number(text);
  return Number.isFinite(value) ? value : undefined;
}

const MONTHS: ReadonlyMap<string, number> = new Map(
  ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'].map((m, i) => [m, i]),
);
/** Zone abbreviations that are not ambiguous, in minutes east of UTC. */
const ZONES: ReadonlyMap<string, number> = new Map([
  ['z', 0],
  ['utc', 0],
  ['gmt', 0],
  ['est', -300],
  ['edt', -240],
  ['cst', -360],
  ['cdt', -300],
  ['mst', -420],
  ['mdt', -360],
  ['pst', -480],
  ['pdt', -420],
  ['cet', 60],
  ['cest', 120],
  ['eet', 120],
  ['eest', 180],
  ['wet', 0],
  ['west', 60],
  ['jst', 540],
]);
const CLOCK = /^(\d{1,2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?$/;
const OFFSET = /^([+-])(\d{2}):?(\d{2})$/;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}T/;
const DAY_MS = 86_400_000;
/** Epoch numbers below this are seconds, not milliseconds (1e11 ms is 1973, 1e11 s is year 5138). */
const SECONDS_BELOW = 1e11;
const MAX_TIME_MS = 8.64e15;

/**
 * A CEF time as epoch milliseconds, or undefined. Accepted: epoch
 * milliseconds (or seconds, below 1e11), ISO 8601 with a zone, and
 * `MMM dd [yyyy] HH:mm:ss[.SSS] [zone]` (zone `UTC`, `+01:00` or a common
 * abbreviation; none means UTC; no year means the current year, or the last
 * one when that would put the time more than a day ahead). `now` is for tests.
 */
export function parseCefTime(text: string, now: number = Date.now()): number | undefined {
  if (text.length > 64) return undefined;
  if (isDigits(text, 0, text.length)) {
    if (text.length > 16) return undefined;
    const n = Number(text);
    return n < SECONDS_BELOW ? n * 1000 : n;
  }
  if (ISO_DATE.test(text)) {
    const ms = Date.parse(text);
    return Number.isFinite(ms) ? ms : undefined;
  }
  const parts = text.split(' ').filter((p) => p.length > 0);
  if (parts.length < 3 || parts.length > 5) return undefined;
  const month = MONTHS.get((parts[0] as string).toLowerCase());
  if (month === undefined) return undefined;
  const dayText = parts[1] as string;
  if (dayText.length > 2 || !isDigits(dayText, 0, dayText.length)) return undefined;
  const day = Number(dayText);
  let index = 2;
  let year: number | undefined;
  const maybeYear = parts[2] as string;
  if (maybeYear.length === 4 && isDigits(maybeYear, 0, 4)) {
    year = Number(maybeYear);
    index = 3;
  }
  const clock = CLOCK.exec(parts[index] ?? '');
  if (clock === null) return undefined;
  let offsetMinutes = 0;
  const zone = parts[index + 1];
  if (zone !== undefined) {
    const named = ZONES.get(zone.toLowerCase());
    const numeric = named === undefined ? OFFSET.exec(zone) : null;
    if (named !== undefined) offsetMinutes = named;
    else if (numeric !== null) {
      const minutes = Number(numeric[2]) * 60 + Number(numeric[3]);
      offsetMinutes = numeric[1] === '-' ? -minutes : minutes;
    } else return undefined;
    if (parts.length > index + 2) return undefined;
  } else if (parts.length > index + 1) return undefined;
  const hours = Number(clock[1]);
  const minutes = Number(clock[2]);
  const seconds = Number(clock[3]);
  const millis = clock[4] === undefined ? 0 : Number(clock[4].padEnd(3, '0').slice(0, 3));
  if (day < 1 || day > 31 || hours > 23 || minutes > 59 || seconds > 60) return undefined;
  const at = (y: number): number | undefined => {
    const utc = Date.UTC(y, month, day, hours, minutes, seconds, millis);
    if (new Date(utc).getUTCDate() !== day) return undefined; // Feb 30
    return utc - offsetMinutes * 60_000;
  };
  if (year !== undefined) return at(year);
  const thisYear = new Date(now).getUTCFullYear();
  const guess = at(thisYear);
  if (guess !== undefined && guess <= now + DAY_MS) return guess;
  return at(thisYear - 1);
}

/** `parseCefTime` as an ISO 8601 string, or undefined. */
export function cefTimeToIso(text: string): string | undefined {
  const ms = parseCefTime(text);
  if (ms === undefined || !Number.isFinite(ms) || Math.abs(ms) > MAX_TIME_MS) return undefined;
  return isoUtc(ms);
}
