/**
 * IP address and prefix parsing for the asset enricher, without allocating:
 * an address is written as 32-bit words into a caller's Int32Array (one word
 * for IPv4, four for IPv6, most significant first) and the family is
 * returned. IPv4-mapped IPv6 addresses (`::ffff:10.1.2.3`) come back as
 * IPv4, so an inventory written with either form matches events with either.
 *
 * Accepted forms: dotted-quad IPv4 without leading zeros (`10.1.2.3`, not
 * `010.1.2.3`, which some tools read as octal); IPv6 as in RFC 4291 section
 * 2.2, with `::`, an embedded IPv4 tail and, for event values only, a zone
 * (`fe80::1%eth0`, the zone is ignored).
 */

/** 4 for IPv4, 6 for IPv6, 0 for text that is not an address. */
export type IpFamily = 0 | 4 | 6;

const DOT = 46;
const COLON = 58;
const PERCENT = 37;
const ZERO = 48;

/** The value of an IPv4 dotted quad in text[start, end) as an unsigned 32-bit number, or -1. */
function parseV4(text: string, start: number, end: number): number {
  let value = 0;
  let octets = 0;
  let i = start;
  while (i < end) {
    let octet = 0;
    let digits = 0;
    const first = text.charCodeAt(i);
    while (i < end) {
      const d = text.charCodeAt(i) - ZERO;
      if (d < 0 || d > 9) break;
      octet = octet * 10 + d;
      digits += 1;
      i += 1;
    }
    if (digits === 0 || digits > 3 || octet > 255 || (digits > 1 && first === ZERO)) return -1;
    value = value * 256 + octet;
    octets += 1;
    if (i === end) break;
    if (octets === 4 || text.charCodeAt(i) !== DOT) return -1;
    i += 1;
    if (i === end) return -1;
  }
  return octets === 4 ? value : -1;
}

function hexValue(code: number): number {
  if (code >= 48 && code <= 57) return code - 48;
  const lower = code | 0x20;
  if (lower >= 97 && lower <= 102) return lower - 87;
  return -1;
}

const groups = new Uint16Array(8);

/** Parses IPv6 text[start, end) into the eight 16-bit groups above; false when it is not IPv6. */
function parseV6(text: string, start: number, end: number): boolean {
  let count = 0;
  let gap = -1;
  let i = start;
  if (end - start < 2) return false;
  if (text.charCodeAt(i) === COLON) {
    if (text.charCodeAt(i + 1) !== COLON) return false;
    gap = 0;
    i += 2;
  }
  while (i < end) {
    if (count === 8) return false;
    let value = 0;
    let digits = 0;
    let j = i;
    while (j < end && digits <= 4) {
      const h = hexValue(text.charCodeAt(j));
      if (h < 0) break;
      value = value * 16 + h;
      digits += 1;
      j += 1;
    }
    if (j < end && text.charCodeAt(j) === DOT) {
      if (count > 6) return false;
      const v4 = parseV4(text, i, end);
      if (v4 < 0) return false;
      groups[count++] = Math.floor(v4 / 65536);
      groups[count++] = v4 % 65536;
      i = end;
      break;
    }
    if (digits === 0 || digits > 4) return false;
    groups[count++] = value;
    i = j;
    if (i === end) break;
    if (text.charCodeAt(i) !== COLON) return false;
    i += 1;
    if (i === end) return false;
    if (text.charCodeAt(i) === COLON) {
      if (gap >= 0) return false;
      gap = count;
      i += 1;
    }
  }
  if (gap < 0) return count === 8;
  if (count === 8) return false;
  const tail = count - gap;
  for (let k = 0; k < tail; k++) groups[7 - k] = groups[count - 1 - k] as number;
  for (let k = gap; k < 8 - tail; k++) groups[k] = 0;
  return true;
}

/**
 * Parses an IP address; writes it into `out` (length ≥ 4) and returns its
 * family, or 0 when the text is not an address. `allowZone` accepts and
 * ignores an IPv6 zone (`%eth0`).
 */
export function parseIp(text: string, out: Int32Array, allowZone = true): IpFamily {
  let end = text.length;
  if (end === 0 || end > 64) return 0;
  if (text.indexOf(':') < 0) {
    const v4 = parseV4(text, 0, end);
    if (v4 < 0) return 0;
    out[0] = v4 | 0;
    return 4;
  }
  const zone = text.indexOf('%');
  if (zone >= 0) {
    if (!allowZone || zone === end - 1) return 0;
    end = zone;
  }
  if (text.charCodeAt(end - 1) === PERCENT || !parseV6(text, 0, end)) return 0;
  const g = groups;
  if (g[0] === 0 && g[1] === 0 && g[2] === 0 && g[3] === 0 && g[4] === 0 && g[5] === 0xffff) {
    out[0] = ((g[6] as number) << 16) | (g[7] as number) | 0;
    return 4;
  }
  for (let k = 0; k < 4; k++) out[k] = ((g[2 * k] as number) << 16) | (g[2 * k + 1] as number);
  return 6;
}

/** An address or network parsed from an inventory: its family and prefix length (the words go to `out`). */
export interface ParsedPrefix {
  family: 4 | 6;
  length: number;
}

const unmasked = new Int32Array(4);

/**
 * Parses `address/length` (or, with `allowBare`, a bare address as a host
 * prefix) and writes the network's words into `out`. A network with bits set
 * after the prefix (`10.1.2.3/24`) is an error rather than silently widened:
 * it is usually a typo. An IPv4-mapped IPv6 network (`::ffff:10.0.0.0/104`)
 * becomes the IPv4 one (`10.0.0.0/8`). Returns the problem as text.
 */
export function parsePrefix(text: string, allowBare: boolean, out: Int32Array): ParsedPrefix | string {
  const slash = text.indexOf('/');
  if (slash < 0 && !allowBare)
    return `"${text}" is not a network: write it as address/length, e.g. 10.1.0.0/16`;
  const address = slash < 0 ? text : text.slice(0, slash);
  const family = parseIp(address, unmasked, false);
  if (family === 0) return `"${address}" is not an IP address`;
  const max = family === 4 ? 32 : 128;
  let length = max;
  if (slash >= 0) {
    const lengthText = text.slice(slash + 1);
    if (!/^\d{1,3}$/.test(lengthText)) return `"${text}" has no valid prefix length`;
    length = Number(lengthText);
    // An IPv4-mapped network is written with an IPv6 length (96 + the IPv4 length).
    if (family === 4 && address.includes(':')) {
      if (length < 96 || length > 128) return `"${text}" has a prefix length outside 96–128`;
      length -= 96;
    } else if (length > max) {
      return `"${text}" has a prefix length above ${max}`;
    }
  }
  const width = family === 4 ? 1 : 4;
  maskWords(unmasked, width, length, out);
  for (let k = 0; k < width; k++) {
    if (out[k] !== unmasked[k]) return `"${text}" has address bits set after its prefix length`;
  }
  return { family, length };
}

/** Writes the first `length` bits of `width` words of `words` into `out`, the rest zero. */
export function maskWords(words: Int32Array, width: number, length: number, out: Int32Array): void {
  for (let k = 0; k < width; k++) {
    const bits = length - 32 * k;
    out[k] = bits >= 32 ? (words[k] as number) : bits <= 0 ? 0 : (words[k] as number) & (-1 << (32 - bits));
  }
}
