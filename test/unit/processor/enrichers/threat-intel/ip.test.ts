import { describe, expect, it } from 'vitest';
import {
  formatIPv4,
  formatIPv6,
  parseIPv4,
  parseIPv6,
  parseIp,
  parseNetwork,
} from '../../../../../processor/enrichers/threat-intel/ip.ts';

describe('IP addresses as numbers', () => {
  it('parses dotted quads into one unsigned word and formats them back', () => {
    expect(parseIPv4('1.2.3.4')).toBe(0x01020304);
    expect(parseIPv4('255.255.255.255')).toBe(0xffffffff);
    expect(formatIPv4(0xc0a80001)).toBe('192.168.0.1');
  });

  it('refuses text that is not a dotted quad', () => {
    for (const text of ['1.2.3', '1.2.3.4.5', '256.1.1.1', '01.2.3.4', '1..2.3', 'a.b.c.d', '', '1.2.3.4 ']) {
      expect(parseIPv4(text), text).toBeUndefined();
    }
  });

  it('parses IPv6 text forms, including :: and an embedded IPv4 tail, into four words', () => {
    expect(Array.from(parseIPv6('2001:db8::1') ?? [])).toEqual([0x20010db8, 0, 0, 1]);
    expect(Array.from(parseIPv6('::') ?? [])).toEqual([0, 0, 0, 0]);
    expect(Array.from(parseIPv6('::ffff:1.2.3.4') ?? [])).toEqual([0, 0, 0xffff, 0x01020304]);
    expect(Array.from(parseIPv6('fe80::1%eth0') ?? [])).toEqual([0xfe800000, 0, 0, 1]);
    expect(Array.from(parseIPv6('1:2:3:4:5:6:7:8') ?? [])).toEqual([0x10002, 0x30004, 0x50006, 0x70008]);
  });

  it('refuses malformed IPv6 text', () => {
    for (const text of ['1::2::3', '1:2:3:4:5:6:7:8:9', '12345::', 'g::1', ':', '1:2:3:4:5:6:7']) {
      expect(parseIPv6(text), text).toBeUndefined();
    }
  });

  it('formats IPv6 the RFC 5952 way', () => {
    expect(formatIPv6([0x20010db8, 0, 0, 1])).toBe('2001:db8::1');
    expect(formatIPv6([0, 0, 0, 0])).toBe('::');
    expect(formatIPv6([0x20010db8, 0x00010000, 0, 0x10000])).toBe('2001:db8:1::1:0');
  });

  it('reads an IPv4-mapped IPv6 address as IPv4', () => {
    expect(parseIp('::ffff:10.1.2.3')).toEqual({ family: 4, words: Uint32Array.of(0x0a010203) });
  });

  it('parses networks with their prefix length and refuses impossible lengths', () => {
    expect(parseNetwork('10.0.0.0/8')?.length).toBe(8);
    expect(parseNetwork('2001:db8::/32')?.length).toBe(32);
    expect(parseNetwork('1.2.3.4')?.length).toBe(32);
    expect(parseNetwork('1.2.3.4/33')).toBeUndefined();
    expect(parseNetwork('1.2.3.4/')).toBeUndefined();
    expect(parseNetwork('::ffff:10.0.0.0/104')).toMatchObject({ address: { family: 4 }, length: 8 });
  });
});
