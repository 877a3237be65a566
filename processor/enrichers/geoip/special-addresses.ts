/**
 * Addresses that are never looked up because no database can place them:
 * the IANA special-purpose ranges (RFC 6890 and successors) for IPv4 and
 * IPv6. IPv4-mapped (`::ffff:a.b.c.d`), IPv4-compatible (`::a.b.c.d`) and
 * NAT64 (`64:ff9b::a.b.c.d`) addresses are read as the IPv4 address they carry.
 */
import { BlockList, isIPv4, isIPv6 } from 'node:net';

export type SkipReason =
  | 'invalid'
  | 'unspecified'
  | 'loopback'
  | 'private'
  | 'link_local'
  | 'cgnat'
  | 'multicast'
  | 'documentation'
  | 'reserved';

const RANGES: ReadonlyArray<readonly [Exclude<SkipReason, 'invalid'>, string]> = [
  ['unspecified', '0.0.0.0/32'],
  ['reserved', '0.0.0.0/8'],
  ['private', '10.0.0.0/8'],
  ['cgnat', '100.64.0.0/10'],
  ['loopback', '127.0.0.0/8'],
  ['link_local', '169.254.0.0/16'],
  ['private', '172.16.0.0/12'],
  ['reserved', '192.0.0.0/24'],
  ['documentation', '192.0.2.0/24'],
  ['reserved', '192.88.99.0/24'],
  ['private', '192.168.0.0/16'],
  ['reserved', '198.18.0.0/15'],
  ['documentation', '198.51.100.0/24'],
  ['documentation', '203.0.113.0/24'],
  ['multicast', '224.0.0.0/4'],
  ['reserved', '240.0.0.0/4'],
  ['unspecified', '::/128'],
  ['loopback', '::1/128'],
  ['private', '64:ff9b:1::/48'],
  ['private', 'fc00::/7'],
  ['private', 'fec0::/10'],
  ['link_local', 'fe80::/10'],
  ['multicast', 'ff00::/8'],
  ['documentation', '2001:db8::/32'],
  ['documentation', '3fff::/20'],
  ['reserved', '2001::/23'],
  // Everything outside global unicast (2000::/3) not named above.
  ['reserved', '::/8'],
  ['reserved', '100::/8'],
  ['reserved', '200::/7'],
  ['reserved', '400::/6'],
  ['reserved', '800::/5'],
  ['reserved', '1000::/4'],
  ['reserved', '4000::/2'],
  ['reserved', '8000::/2'],
  ['reserved', 'c000::/3'],
  ['reserved', 'e000::/4'],
  ['reserved', 'f000::/5'],
  ['reserved', 'f800::/6'],
  ['reserved', 'fe00::/9'],
];

/** One block list per range, in order, so the first (most specific) match names the reason. */
const LISTS = RANGES.map(([reason, cidr]) => {
  const [network, prefix] = cidr.split('/') as [string, string];
  const list = new BlockList();
  const family = network.includes(':') ? 'ipv6' : 'ipv4';
  list.addSubnet(network, Number(prefix), family);
  return { reason, family, list };
});

export interface ParsedAddress {
  /** The address to look up (IPv4 for mapped and NAT64 addresses), or undefined when it is skipped. */
  address?: string;
  skipped?: SkipReason;
}

/** Validates an address and tells whether it can be looked up. */
export function classifyAddress(input: string): ParsedAddress {
  // A zone id (fe80::1%eth0) only exists on link-local and multicast addresses.
  const zone = input.indexOf('%');
  const address = zone >= 0 ? input.slice(0, zone) : input;
  if (isIPv4(address)) return classify(address, 'ipv4');
  if (!isIPv6(address)) return { skipped: 'invalid' };
  const embedded = embeddedIpv4(ipv6Groups(address));
  return embedded === undefined ? classify(address, 'ipv6') : classify(embedded, 'ipv4');
}

function classify(address: string, family: 'ipv4' | 'ipv6'): ParsedAddress {
  for (const entry of LISTS) {
    if (entry.family === family && entry.list.check(address, family)) return { skipped: entry.reason };
  }
  return { address };
}

/** The eight 16-bit groups of a valid IPv6 address (a dotted IPv4 tail counts as two). */
function ipv6Groups(address: string): number[] {
  const parse = (part: string): number[] => {
    if (part === '') return [];
    return part.split(':').flatMap((group) => {
      if (!group.includes('.')) return [Number.parseInt(group, 16)];
      const [a, b, c, d] = group.split('.').map(Number) as [number, number, number, number];
      return [(a << 8) | b, (c << 8) | d];
    });
  };
  const gap = address.indexOf('::');
  if (gap < 0) return parse(address);
  const head = parse(address.slice(0, gap));
  const tail = parse(address.slice(gap + 2));
  return [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
}

/**
 * The IPv4 address carried by an IPv4-mapped (::ffff:0:0/96), IPv4-compatible
 * (::/96, deprecated, but where .mmdb files keep IPv4 data) or NAT64
 * (64:ff9b::/96) address; undefined for any other.
 */
function embeddedIpv4(groups: readonly number[]): string | undefined {
  const [g0, g1, g2, g3, g4, g5, g6, g7] = groups as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const zeroTo4 = g1 === 0 && g2 === 0 && g3 === 0 && g4 === 0;
  const mapped = g0 === 0 && zeroTo4 && g5 === 0xffff;
  const compatible = g0 === 0 && zeroTo4 && g5 === 0 && (g6 !== 0 || g7 > 1);
  const nat64 = g0 === 0x64 && g1 === 0xff9b && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0;
  if (!mapped && !compatible && !nat64) return undefined;
  return `${g6 >> 8}.${g6 & 255}.${g7 >> 8}.${g7 & 255}`;
}
