import { describe, expect, it } from 'vitest';
import { classifyAddress } from '../../../../../processor/enrichers/geoip/special-addresses.ts';

describe('classifyAddress', () => {
  it('looks up public IPv4 and IPv6 addresses as written', () => {
    expect(classifyAddress('8.8.8.8')).toEqual({ address: '8.8.8.8' });
    expect(classifyAddress('2001:4860:4860::8888')).toEqual({ address: '2001:4860:4860::8888' });
  });

  it('reads IPv4-mapped, IPv4-compatible and NAT64 addresses as the IPv4 address they carry', () => {
    expect(classifyAddress('::ffff:1.1.1.1')).toEqual({ address: '1.1.1.1' });
    expect(classifyAddress('::ffff:0101:0101')).toEqual({ address: '1.1.1.1' });
    expect(classifyAddress('::81.2.69.160')).toEqual({ address: '81.2.69.160' });
    expect(classifyAddress('64:ff9b::8.8.8.8')).toEqual({ address: '8.8.8.8' });
    expect(classifyAddress('::ffff:10.0.0.1')).toEqual({ skipped: 'private' });
  });

  it('names the kind of special address', () => {
    expect(classifyAddress('100.127.255.255')).toEqual({ skipped: 'cgnat' });
    expect(classifyAddress('100.128.0.0')).toEqual({ address: '100.128.0.0' });
    expect(classifyAddress('198.18.0.1')).toEqual({ skipped: 'reserved' });
    expect(classifyAddress('3fff::1')).toEqual({ skipped: 'documentation' });
    expect(classifyAddress('2001::1')).toEqual({ skipped: 'reserved' });
    expect(classifyAddress('100::1')).toEqual({ skipped: 'reserved' });
    expect(classifyAddress('fec0::1')).toEqual({ skipped: 'private' });
  });

  it('refuses what is not an address', () => {
    for (const input of ['', 'localhost', '1.2.3', '1.2.3.4.5', '::g', '1.2.3.4/24', ' 1.2.3.4']) {
      expect(classifyAddress(input), input).toEqual({ skipped: 'invalid' });
    }
  });
});
