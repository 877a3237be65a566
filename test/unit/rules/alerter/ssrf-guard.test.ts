import { describe, expect, it } from 'vitest';
import {
  classifyAddress,
  parseHostAddress,
  parseLooseIpv4,
  type Resolver,
  SsrfGuard,
} from '../../../../rules/alerter/ssrf-guard.ts';

const strict = { allowHttp: true, allowPrivate: false, allowCidrs: [] };
const resolveTo =
  (...addresses: string[]): Resolver =>
  async () =>
    addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }) as const);

describe('parseLooseIpv4', () => {
  it.each([
    ['2130706433', '127.0.0.1'],
    ['0x7f000001', '127.0.0.1'],
    ['0177.0.0.1', '127.0.0.1'],
    ['127.1', '127.0.0.1'],
    ['0x7f.1', '127.0.0.1'],
    ['10.1', '10.0.0.1'],
    ['192.168.257', '192.168.1.1'],
    ['169.254.169.254', '169.254.169.254'],
    ['0', '0.0.0.0'],
  ])('reads %s as %s', (text, address) => {
    expect(parseLooseIpv4(text)).toBe(address);
  });

  it.each(['example.org', '1.2.3.4.5', '256.1.1.1', '08.1.1.1', '4294967296', ''])(
    'does not read %s as an address',
    (text) => {
      expect(parseLooseIpv4(text)).toBeUndefined();
    },
  );
});

describe('classifyAddress', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['::1', 'loopback'],
    ['10.2.3.4', 'private'],
    ['172.16.0.1', 'private'],
    ['192.168.1.1', 'private'],
    ['fd00::1', 'private'],
    ['169.254.169.254', 'link_local'],
    ['fe80::1', 'link_local'],
    ['100.64.0.1', 'cgnat'],
    ['0.0.0.0', 'unspecified'],
    ['::', 'unspecified'],
    ['224.0.0.1', 'multicast'],
    ['ff02::1', 'multicast'],
    ['255.255.255.255', 'broadcast'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['::ffff:169.254.169.254', 'link_local'],
    ['::ffff:10.0.0.1', 'private'],
    ['64:ff9b::a9fe:a9fe', 'link_local'],
    ['2002:7f00:1::', 'loopback'],
    ['8.8.8.8', 'public'],
    ['2606:4700:4700::1111', 'public'],
  ])('%s is %s', (address, cls) => {
    expect(classifyAddress(address)).toBe(cls);
  });
});

describe('SsrfGuard.checkUrl', () => {
  const guard = new SsrfGuard(strict);

  it.each([
    'http://127.0.0.1:8080/hook',
    'http://[::1]:8080/hook',
    'http://169.254.169.254/latest/meta-data/',
    'http://10.0.0.5/hook',
    'http://192.168.1.10/hook',
    'http://2130706433/hook',
    'http://0x7f000001/hook',
    'http://0177.0.0.1/hook',
    'http://127.1/hook',
    'http://[::ffff:127.0.0.1]/hook',
    'http://[fe80::1]/hook',
    'http://100.64.1.1/hook',
    'http://0.0.0.0/hook',
  ])('refuses %s', (url) => {
    expect(() => guard.checkUrl(url)).toThrow(expect.objectContaining({ code: 'WEBHOOK_TARGET_REFUSED' }));
  });

  it.each([
    'ftp://hooks.example.org/x',
    'file:///etc/passwd',
    'gopher://hooks.example.org/',
    'javascript:alert(1)',
  ])('refuses the scheme of %s', (url) => {
    expect(() => guard.checkUrl(url)).toThrow(/is not http or https/);
  });

  it('refuses plain http unless the destination allows it', () => {
    const httpsOnly = new SsrfGuard({ ...strict, allowHttp: false });
    expect(() => httpsOnly.checkUrl('http://hooks.example.org/x')).toThrow(/not https/);
    expect(httpsOnly.checkUrl('https://hooks.example.org/x').hostname).toBe('hooks.example.org');
  });

  it('refuses credentials in the URL', () => {
    expect(() => guard.checkUrl('https://user:pw@hooks.example.org/x')).toThrow(/credentials/);
  });

  it('accepts a public address', () => {
    expect(guard.checkUrl('https://93.184.215.14/hook').hostname).toBe('93.184.215.14');
  });

  it('accepts private addresses when the destination sets allow_private', () => {
    const open = new SsrfGuard({ ...strict, allowPrivate: true });
    for (const url of ['http://127.0.0.1/', 'http://[::1]/', 'http://10.0.0.5/', 'http://169.254.169.254/'])
      expect(open.checkUrl(url)).toBeInstanceOf(URL);
  });

  it('never accepts unspecified or multicast addresses, even with allow_private', () => {
    const open = new SsrfGuard({ ...strict, allowPrivate: true });
    expect(() => open.checkUrl('http://0.0.0.0/')).toThrow(/unspecified/);
    expect(() => open.checkUrl('http://224.0.0.1/')).toThrow(/multicast/);
  });

  it('accepts addresses inside allow_cidrs and only those', () => {
    const listed = new SsrfGuard({ ...strict, allowCidrs: ['10.20.0.0/16', 'fd00:1::/48'] });
    expect(listed.checkUrl('http://10.20.3.4/')).toBeInstanceOf(URL);
    expect(listed.checkUrl('http://[fd00:1::5]/')).toBeInstanceOf(URL);
    expect(() => listed.checkUrl('http://10.21.0.1/')).toThrow(/private/);
    expect(() => listed.checkUrl('http://127.0.0.1/')).toThrow(/loopback/);
  });
});

describe('SsrfGuard.resolve', () => {
  it('refuses a public-looking name that resolves to a private address', async () => {
    const guard = new SsrfGuard(strict, { resolve: resolveTo('169.254.169.254') });
    await expect(guard.resolve('hooks.example.org')).rejects.toThrow(/resolves to 169\.254\.169\.254/);
  });

  it('refuses a name when any of its addresses is private', async () => {
    const guard = new SsrfGuard(strict, { resolve: resolveTo('93.184.215.14', '10.0.0.1') });
    await expect(guard.resolve('hooks.example.org')).rejects.toThrow(/10\.0\.0\.1/);
  });

  it('returns the checked address of a public name', async () => {
    const guard = new SsrfGuard(strict, { resolve: resolveTo('93.184.215.14') });
    await expect(guard.resolve('hooks.example.org')).resolves.toEqual({
      address: '93.184.215.14',
      family: 4,
    });
  });

  it('hands the socket layer only the address it checked, whatever a second answer says (rebinding)', async () => {
    let answers = 0;
    const rebinding: Resolver = async () => [
      { address: answers++ === 0 ? '93.184.215.14' : '127.0.0.1', family: 4 },
    ];
    const guard = new SsrfGuard(strict, { resolve: rebinding });
    const first = await new Promise((resolve) =>
      guard.lookup('hooks.example.org', { all: true }, (error, all) => resolve(error ?? all)),
    );
    expect(first).toEqual([{ address: '93.184.215.14', family: 4 }]);
    const second = await new Promise((resolve) =>
      guard.lookup('hooks.example.org', {}, (error, address) => resolve(error ?? address)),
    );
    expect(second).toMatchObject({ code: 'WEBHOOK_TARGET_REFUSED' });
  });
});

describe('parseHostAddress', () => {
  it('strips IPv6 brackets and zones', () => {
    expect(parseHostAddress('[::1]')).toEqual({ address: '::1', family: 6 });
    expect(parseHostAddress('fe80::1%eth0')).toEqual({ address: 'fe80::1', family: 6 });
  });
});
