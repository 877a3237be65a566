import { describe, expect, it } from 'vitest';
import { parseIp, parsePrefix } from '../../../../../processor/enrichers/asset/ip-address.ts';

function ip(text: string): { family: number; words: number[] } {
  const out = new Int32Array(4);
  const family = parseIp(text, out);
  return { family, words: Array.from(out.slice(0, family === 4 ? 1 : family === 6 ? 4 : 0), (w) => w >>> 0) };
}

describe('parseIp', () => {
  it('reads dotted-quad IPv4 addresses', () => {
    expect(ip('10.1.2.3')).toEqual({ family: 4, words: [0x0a010203] });
    expect(ip('255.255.255.255')).toEqual({ family: 4, words: [0xffffffff] });
    expect(ip('0.0.0.0')).toEqual({ family: 4, words: [0] });
  });

  it('refuses malformed IPv4 text, including leading zeros', () => {
    for (const text of [
      '',
      '10.1.2',
      '10.1.2.3.4',
      '10.1.2.256',
      '10..2.3',
      '10.1.2.',
      '.10.1.2',
      '010.1.2.3',
      '1.2.3.4 ',
      'a.b.c.d',
      '10.1.2.3/24',
    ]) {
      expect(ip(text).family, text).toBe(0);
    }
  });

  it('reads IPv6 in full, compressed and with an embedded IPv4 tail', () => {
    expect(ip('2001:db8:0:0:0:0:0:1')).toEqual({ family: 6, words: [0x20010db8, 0, 0, 1] });
    expect(ip('2001:DB8::1')).toEqual({ family: 6, words: [0x20010db8, 0, 0, 1] });
    expect(ip('::')).toEqual({ family: 6, words: [0, 0, 0, 0] });
    expect(ip('::1')).toEqual({ family: 6, words: [0, 0, 0, 1] });
    expect(ip('fe80::')).toEqual({ family: 6, words: [0xfe800000, 0, 0, 0] });
    expect(ip('64:ff9b::192.0.2.33')).toEqual({ family: 6, words: [0x0064ff9b, 0, 0, 0xc0000221] });
    expect(ip('1:2:3:4:5:6:7:8')).toEqual({ family: 6, words: [0x10002, 0x30004, 0x50006, 0x70008] });
  });

  it('reads IPv4-mapped IPv6 addresses as IPv4', () => {
    expect(ip('::ffff:10.1.2.3')).toEqual({ family: 4, words: [0x0a010203] });
    expect(ip('::FFFF:a01:203')).toEqual({ family: 4, words: [0x0a010203] });
  });

  it('ignores an IPv6 zone in event values', () => {
    expect(ip('fe80::1%eth0')).toEqual({ family: 6, words: [0xfe800000, 0, 0, 1] });
    expect(parseIp('fe80::1%eth0', new Int32Array(4), false)).toBe(0);
  });

  it('refuses malformed IPv6 text', () => {
    for (const text of [
      ':',
      ':::',
      '1::2::3',
      '1:2:3:4:5:6:7:8:9',
      '1:2:3:4:5:6:7',
      '12345::',
      'g::1',
      '1:',
      ':1',
      '1:2:3:4:5:6:7:8::',
      '::1.2.3',
      '1::2:3:4:5:6:7:1.2.3.4',
      'fe80::1%',
    ]) {
      expect(ip(text).family, text).toBe(0);
    }
  });
});

describe('parsePrefix', () => {
  it('reads IPv4 and IPv6 networks', () => {
    const out = new Int32Array(4);
    expect(parsePrefix('10.1.0.0/16', false, out)).toEqual({ family: 4, length: 16 });
    expect(out[0]).toBe(0x0a010000);
    expect(parsePrefix('2001:db8:1::/48', false, out)).toEqual({ family: 6, length: 48 });
    expect(parsePrefix('0.0.0.0/0', false, out)).toEqual({ family: 4, length: 0 });
  });

  it('turns an IPv4-mapped network into the IPv4 one', () => {
    const out = new Int32Array(4);
    expect(parsePrefix('::ffff:10.0.0.0/104', false, out)).toEqual({ family: 4, length: 8 });
    expect(out[0]).toBe(0x0a000000);
  });

  it('takes a bare address as a host prefix only where allowed', () => {
    const out = new Int32Array(4);
    expect(parsePrefix('10.1.2.3', true, out)).toEqual({ family: 4, length: 32 });
    expect(parsePrefix('2001:db8::1', true, out)).toEqual({ family: 6, length: 128 });
    expect(parsePrefix('10.1.2.3', false, out)).toMatch(/is not a network/);
  });

  it('refuses bits after the prefix length and lengths out of range', () => {
    const out = new Int32Array(4);
    expect(parsePrefix('10.1.2.3/24', false, out)).toMatch(/bits set after its prefix length/);
    expect(parsePrefix('2001:db8::1/64', false, out)).toMatch(/bits set/);
    expect(parsePrefix('10.0.0.0/33', false, out)).toMatch(/above 32/);
    expect(parsePrefix('::/129', false, out)).toMatch(/above 128/);
    expect(parsePrefix('10.0.0.0/', false, out)).toMatch(/no valid prefix length/);
    expect(parsePrefix('10.0.0.300/8', false, out)).toMatch(/not an IP address/);
  });
});
