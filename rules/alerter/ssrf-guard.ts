/**
 * Guards webhook requests against server-side request forgery: a webhook URL
 * (or a DNS answer for its host) must not make the alerter talk to itself,
 * to the cluster's private network, or to a cloud metadata service.
 *
 * - Only http(s); https unless the destination sets `allow_http`.
 * - The host is resolved here, every address is checked, and the connection
 *   goes to the checked address: the undici Agent's `connect.lookup` is this
 *   guard's `lookup`, which resolves, checks and hands the socket only that
 *   address (TLS SNI and the Host header keep the name). A DNS answer that
 *   changes between check and connect (rebinding) cannot slip through.
 * - Refused unless explicitly allowed: loopback, RFC 1918 and ULA, link-local
 *   (169.254/16 with the cloud metadata address, fe80::/10), CGNAT, unspecified,
 *   multicast, broadcast and reserved ranges, also inside IPv4-mapped,
 *   IPv4-compatible, NAT64 and 6to4 IPv6 addresses. IPv4 written the odd ways
 *   inet_aton accepts (2130706433, 0x7f000001, 0177.0.0.1, 127.1) is read as
 *   the address it means.
 * - `allow_private` permits loopback, private, link-local and CGNAT addresses;
 *   `allow_cidrs` permits the listed ranges. Unspecified, multicast and
 *   broadcast addresses are never permitted.
 *
 * Node's `net.BlockList` does the CIDR matching; the classification is written
 * here because no maintained package covers the embedded-IPv4 forms.
 */
import { lookup as dnsLookup } from 'node:dns/promises';
import { BlockList, isIPv4, isIPv6, type LookupFunction } from 'node:net';
import { VigilError } from '../../core/errors.ts';

export type AddressClass =
  | 'public'
  | 'loopback'
  | 'private'
  | 'link_local'
  | 'cgnat'
  | 'unspecified'
  | 'multicast'
  | 'broadcast'
  | 'reserved';

export interface SsrfPolicy {
  allowHttp: boolean;
  allowPrivate: boolean;
  allowCidrs: readonly string[];
}

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

export type Resolver = (hostname: string) => Promise<ResolvedAddress[]>;

const PRIVATE_LIKE = new Set<AddressClass>(['loopback', 'private', 'link_local', 'cgnat']);

const V4_RANGES: Array<[string, number, AddressClass]> = [
  ['0.0.0.0', 8, 'unspecified'],
  ['10.0.0.0', 8, 'private'],
  ['100.64.0.0', 10, 'cgnat'],
  ['127.0.0.0', 8, 'loopback'],
  ['169.254.0.0', 16, 'link_local'],
  ['172.16.0.0', 12, 'private'],
  ['192.0.0.0', 24, 'reserved'],
  ['192.0.2.0', 24, 'reserved'],
  ['192.88.99.0', 24, 'reserved'],
  ['192.168.0.0', 16, 'private'],
  ['198.18.0.0', 15, 'reserved'],
  ['198.51.100.0', 24, 'reserved'],
  ['203.0.113.0', 24, 'reserved'],
  ['224.0.0.0', 4, 'multicast'],
  ['255.255.255.255', 32, 'broadcast'],
  ['240.0.0.0', 4, 'reserved'],
];

/** Reads a host the way the socket layer would: IPv6 literals (with or without brackets) and every inet_aton spelling of IPv4. */
export function parseHostAddress(host: string): ResolvedAddress | undefined {
  let h = host.trim();
  if (h.startsWith('[') && h.endsWith(']')) h = h.slice(1, -1);
  const zone = h.indexOf('%');
  if (zone > 0 && isIPv6(h.slice(0, zone))) h = h.slice(0, zone);
  if (isIPv6(h)) return { address: h.toLowerCase(), family: 6 };
  const v4 = parseLooseIpv4(h);
  return v4 === undefined ? undefined : { address: v4, family: 4 };
}

/**
 * IPv4 as inet_aton reads it: one to four parts, each decimal, 0x-hex or
 * 0-octal; the last part fills the remaining bytes (127.1 = 127.0.0.1,
 * 2130706433 = 127.0.0.1). Undefined for anything else.
 */
export function parseLooseIpv4(text: string): string | undefined {
  const host = text.endsWith('.') ? text.slice(0, -1) : text;
  const parts = host.split('.');
  if (parts.length < 1 || parts.length > 4) return undefined;
  const numbers: number[] = [];
  for (const part of parts) {
    let value: number;
    if (/^0x[0-9a-f]*$/i.test(part)) value = part.length === 2 ? 0 : Number.parseInt(part.slice(2), 16);
    else if (/^0[0-7]+$/.test(part)) value = Number.parseInt(part.slice(1), 8);
    else if (/^(0|[1-9][0-9]*)$/.test(part)) value = Number(part);
    else return undefined;
    if (!Number.isSafeInteger(value)) return undefined;
    numbers.push(value);
  }
  const last = numbers.pop() as number;
  if (numbers.some((n) => n > 255)) return undefined;
  const lastBytes = 4 - numbers.length;
  if (last >= 2 ** (8 * lastBytes)) return undefined;
  const bytes = [...numbers];
  for (let i = lastBytes - 1; i >= 0; i--) bytes.push(Math.floor(last / 2 ** (8 * i)) % 256);
  return bytes.join('.');
}

function v4ToInt(address: string): number {
  return address.split('.').reduce((n, part) => n * 256 + Number(part), 0);
}

function intToV4(n: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join('.');
}

function classifyV4(address: string): AddressClass {
  const n = v4ToInt(address);
  for (const [base, bits, cls] of V4_RANGES) {
    const size = 2 ** (32 - bits);
    const start = v4ToInt(base);
    if (n >= start && n < start + size) return cls;
  }
  return 'public';
}

/** The eight 16-bit groups of a valid IPv6 address (an embedded dotted IPv4 tail is allowed). */
function ipv6Groups(address: string): number[] {
  let text = address.toLowerCase();
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const n = v4ToInt(dotted[1] as string);
    text = `${text.slice(0, dotted.index)}${(n >>> 16).toString(16)}:${(n & 0xffff).toString(16)}`;
  }
  const [head, tail] = text.split('::') as [string, string | undefined];
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = tail === undefined || tail === '' ? [] : tail.split(':');
  const fill = tail === undefined ? 0 : 8 - headGroups.length - tailGroups.length;
  return [...headGroups, ...new Array(fill).fill('0'), ...tailGroups].map((g) => Number.parseInt(g, 16));
}

function classifyV6(address: string): AddressClass {
  const g = ipv6Groups(address);
  const embedded = (hi: number, lo: number) => intToV4(hi * 65536 + lo);
  const zeroUpTo = (n: number) => g.slice(0, n).every((x) => x === 0);
  if (g.every((x) => x === 0)) return 'unspecified';
  if (zeroUpTo(7) && g[7] === 1) return 'loopback';
  // IPv4-mapped ::ffff:a.b.c.d and IPv4-compatible ::a.b.c.d.
  if (zeroUpTo(5) && g[5] === 0xffff) return classifyV4(embedded(g[6] as number, g[7] as number));
  if (zeroUpTo(6)) return classifyV4(embedded(g[6] as number, g[7] as number));
  // NAT64 64:ff9b::/96 and 6to4 2002::/16 carry an IPv4 address the gateway connects to.
  if (g[0] === 0x64 && g[1] === 0xff9b && g.slice(2, 6).every((x) => x === 0))
    return classifyV4(embedded(g[6] as number, g[7] as number));
  if (g[0] === 0x2002) {
    const inner = classifyV4(embedded(g[1] as number, g[2] as number));
    return inner === 'public' ? 'public' : inner;
  }
  const first = g[0] as number;
  if (first === 0x64 && g[1] === 0xff9b && g[2] === 1) return 'reserved'; // local-use NAT64
  if (first === 0x100 && zeroUpTo(4)) return 'reserved'; // discard-only
  if (first === 0x2001 && g[1] === 0x0db8) return 'reserved'; // documentation
  if (first === 0x2001 && g[1] === 0) return 'reserved'; // Teredo: hides its IPv4 peer
  if ((first & 0xfe00) === 0xfc00) return 'private'; // ULA fc00::/7
  if ((first & 0xffc0) === 0xfe80) return 'link_local'; // fe80::/10
  if ((first & 0xffc0) === 0xfec0) return 'private'; // deprecated site-local
  if ((first & 0xff00) === 0xff00) return 'multicast';
  return 'public';
}

/** What kind of address this is; IPv4 embedded in IPv6 is judged by the IPv4 address. */
export function classifyAddress(address: string): AddressClass {
  const parsed = parseHostAddress(address);
  if (!parsed) throw new Error(`${address} is not an IP address.`);
  return parsed.family === 4 ? classifyV4(parsed.address) : classifyV6(parsed.address);
}

const defaultResolver: Resolver = async (hostname) =>
  (await dnsLookup(hostname, { all: true, verbatim: true })).map((a) => ({
    address: a.address,
    family: a.family === 6 ? 6 : 4,
  }));

export class SsrfGuard {
  readonly #policy: SsrfPolicy;
  readonly #allowList = new BlockList();
  readonly #resolve: Resolver;

  constructor(policy: SsrfPolicy, options: { resolve?: Resolver } = {}) {
    this.#policy = policy;
    this.#resolve = options.resolve ?? defaultResolver;
    for (const cidr of policy.allowCidrs) {
      const [base, bits] = cidr.split('/') as [string, string | undefined];
      const family = isIPv4(base) ? 'ipv4' : 'ipv6';
      this.#allowList.addSubnet(base, Number(bits ?? (family === 'ipv4' ? 32 : 128)), family);
    }
  }

  /** Why an address may not be connected to, or undefined when it may. */
  refusal(address: string): string | undefined {
    const parsed = parseHostAddress(address);
    if (!parsed) return `${address} is not an IP address`;
    const cls = classifyAddress(parsed.address);
    if (cls === 'unspecified' || cls === 'multicast' || cls === 'broadcast')
      return `${address} is ${cls.replace('_', '-')}`;
    if (cls === 'public') return undefined;
    if (this.#allowList.check(parsed.address, parsed.family === 4 ? 'ipv4' : 'ipv6')) return undefined;
    if (this.#policy.allowPrivate && PRIVATE_LIKE.has(cls)) return undefined;
    return `${address} is a ${cls.replace('_', '-')} address (set allow_private or allow_cidrs on the destination to permit it)`;
  }

  /** Checks scheme and, for an address literal, the address; returns the parsed URL. Throws WEBHOOK_TARGET_REFUSED. */
  checkUrl(url: string): URL {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw refused(url, 'it is not a valid URL');
    }
    if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:')
      throw refused(url, `the scheme ${parsed.protocol} is not http or https`);
    if (parsed.protocol === 'http:' && !this.#policy.allowHttp)
      throw refused(url, 'it is not https (set allow_http on the destination to permit http)');
    if (parsed.username || parsed.password)
      throw refused(url, 'credentials in the URL are not allowed (use secret_file)');
    const literal = parseHostAddress(parsed.hostname);
    if (literal) {
      const why = this.refusal(literal.address);
      if (why) throw refused(url, why);
    }
    return parsed;
  }

  /** Resolves a host name and returns the address to connect to, after checking every address the name has. */
  async resolve(hostname: string): Promise<ResolvedAddress> {
    const literal = parseHostAddress(hostname);
    const addresses = literal ? [literal] : await this.#resolve(hostname);
    if (addresses.length === 0) throw refused(hostname, 'the name has no address');
    for (const a of addresses) {
      const why = this.refusal(a.address);
      if (why) throw refused(hostname, `it resolves to ${why}`);
    }
    return addresses[0] as ResolvedAddress;
  }

  /** A `lookup` for net/tls.connect (undici Agent `connect.lookup`) that yields only a checked address. */
  readonly lookup: LookupFunction = (hostname, options, callback) => {
    this.resolve(hostname).then(
      (a) => {
        if ((options as { all?: boolean }).all) {
          (callback as unknown as (e: null, all: Array<{ address: string; family: number }>) => void)(null, [
            { address: a.address, family: a.family },
          ]);
        } else callback(null, a.address, a.family);
      },
      (error: NodeJS.ErrnoException) => callback(error, '', 0),
    );
  };
}

function refused(target: string, why: string): VigilError {
  return new VigilError('WEBHOOK_TARGET_REFUSED', `Refused to send to ${redactUrl(target)}: ${why}.`, {
    details: { target: redactUrl(target) },
  });
}

/** A URL for messages: no credentials, no query (which may hold tokens). */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return url.length > 200 ? `${url.slice(0, 200)}…` : url;
  }
}

/** True when the error (or one of its causes) is the guard's refusal. */
export function isTargetRefused(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e && depth < 6; depth++) {
    if (e instanceof VigilError && e.code === 'WEBHOOK_TARGET_REFUSED') return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}
