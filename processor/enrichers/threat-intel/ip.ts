/**
 * IP addresses as numbers, for compact storage and prefix matching: IPv4 is
 * one unsigned 32-bit word, IPv6 four (most significant first). Parsing is
 * strict (dotted quads without leading zeros beyond the value, RFC 4291 text
 * forms) and never throws: text that is not an address gives `undefined`.
 */

/** An address or network: `words` has 1 (IPv4) or 4 (IPv6) unsigned 32-bit words. */
export interface IpAddress {
  family: 4 | 6;
  words: Uint32Array;
}

export function parseIPv4(text: string): number | undefined {
  let value = 0;
  let part = -1;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      if (digits > 0 && part === 0) return undefined; // leading zero: ambiguous (octal in some tools)
      part = digits === 0 ? c - 48 : part * 10 + (c - 48);
      digits++;
      if (part > 255) return undefined;
    } else if (c === 46) {
      if (digits === 0 || dots === 3) return undefined;
      value = value * 256 + part;
      dots++;
      digits = 0;
      part = -1;
    } else return undefined;
  }
  if (dots !== 3 || digits === 0) return undefined;
  return value * 256 + part;
}

export function formatIPv4(value: number): string {
  return `${value >>> 24}.${(value >>> 16) & 255}.${(value >>> 8) & 255}.${value & 255}`;
}

function parseGroups(text: string, out: number[]): boolean {
  if (text === '') return true;
  const groups = text.split(':');
  for (let i = 0; i < groups.length; i++) {
    const group = groups[i] as string;
    if (i === groups.length - 1 && group.includes('.')) {
      const v4 = parseIPv4(group);
      if (v4 === undefined) return false;
      out.push(v4 >>> 16, v4 & 0xffff);
    } else {
      if (!/^[0-9a-fA-F]{1,4}$/.test(group)) return false;
      out.push(Number.parseInt(group, 16));
    }
  }
  return true;
}

/** Four words, or undefined. A zone (`fe80::1%eth0`) is ignored. */
export function parseIPv6(text: string): Uint32Array | undefined {
  const zone = text.indexOf('%');
  const address = zone === -1 ? text : text.slice(0, zone);
  if (address.length < 2 || address.length > 45) return undefined;
  const gap = address.indexOf('::');
  const head: number[] = [];
  const tail: number[] = [];
  if (gap === -1) {
    if (!parseGroups(address, head) || head.length !== 8) return undefined;
  } else {
    if (address.indexOf('::', gap + 1) !== -1) return undefined;
    if (!parseGroups(address.slice(0, gap), head) || !parseGroups(address.slice(gap + 2), tail))
      return undefined;
    if (head.length + tail.length > 7) return undefined;
    // `::` stands for at least one zero group.
    while (head.length + tail.length < 8) head.push(0);
    head.push(...tail);
  }
  const words = new Uint32Array(4);
  for (let i = 0; i < 4; i++)
    words[i] = (((head[2 * i] as number) << 16) | (head[2 * i + 1] as number)) >>> 0;
  return words;
}

/** RFC 5952 text: lower case, no leading zeros, the longest run of zero groups as `::`. */
export function formatIPv6(words: ArrayLike<number>): string {
  const groups: number[] = [];
  for (let i = 0; i < 4; i++) {
    const word = words[i] as number;
    groups.push(word >>> 16, word & 0xffff);
  }
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart === -1) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}

/** `::ffff:a.b.c.d` carries an IPv4 address: it is matched as one. */
function mappedIPv4(words: Uint32Array): number | undefined {
  return words[0] === 0 && words[1] === 0 && words[2] === 0xffff ? words[3] : undefined;
}

/** An address of either family; IPv4-mapped IPv6 addresses become IPv4. */
export function parseIp(text: string): IpAddress | undefined {
  const v4 = parseIPv4(text);
  if (v4 !== undefined) return { family: 4, words: Uint32Array.of(v4) };
  if (!text.includes(':')) return undefined;
  const v6 = parseIPv6(text);
  if (v6 === undefined) return undefined;
  const mapped = mappedIPv4(v6);
  return mapped === undefined ? { family: 6, words: v6 } : { family: 4, words: Uint32Array.of(mapped) };
}

/** A network as `address/length`; a bare address is a network of one. Host bits are kept: the table masks them. */
export function parseNetwork(text: string): { address: IpAddress; length: number } | undefined {
  const slash = text.indexOf('/');
  if (slash === -1) {
    const address = parseIp(text);
    return address && { address, length: address.family === 4 ? 32 : 128 };
  }
  const lengthText = text.slice(slash + 1);
  if (!/^\d{1,3}$/.test(lengthText)) return undefined;
  let length = Number(lengthText);
  const addressText = text.slice(0, slash);
  const address = parseIp(addressText);
  if (!address) return undefined;
  const max = addressText.includes(':') ? 128 : 32;
  if (length > max) return undefined;
  // ::ffff:10.0.0.0/104 is 10.0.0.0/8.
  if (max === 128 && address.family === 4) {
    if (length < 96) return undefined;
    length -= 96;
  }
  return { address, length };
}
