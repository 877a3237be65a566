import { describe, expect, it } from 'vitest';
import type { EcsEvent } from '../../../../../processor/event-builder.ts';
import { parseCefTime } from '../../../../../processor/parsers/cef/cef.ts';
import { cefStep } from '../../../../../processor/parsers/cef/cef-step.ts';
import type { StepBuildContext } from '../../../../../processor/pipeline/step.ts';
import { DEFAULT_LIMITS } from '../../../../../processor/pipeline/step.ts';

/** Parsed events are read as loose nested JSON. */
// biome-ignore lint/suspicious/noExplicitAny: assertions read nested event fields freely.
type Doc = Record<string, any>;

const context = { pipeline: 'test', index: 0 } as StepBuildContext;

function step(config: Record<string, unknown> = {}) {
  return cefStep.create(cefStep.schema.parse(config), context);
}

function eventOf(message: unknown): EcsEvent {
  return {
    '@timestamp': '2026-01-01T00:00:00.000Z',
    message,
    event: { dataset: 'cef' },
    vigil: { record: { id: 'r1', offset: 0, stream: 's1' } },
  } as EcsEvent;
}

function parse(message: unknown, config: Record<string, unknown> = {}) {
  const event = eventOf(message);
  const result = step(config).run(event);
  return { event: event as Doc, result };
}

const ARCSIGHT =
  'CEF:0|Security|threatmanager|1.0|100|worm successfully stopped|10|src=10.0.0.1 dst=2.1.2.2 spt=1232';

const CHECK_POINT =
  '<134>1 2023-11-08T10:15:32Z gw-01 CheckPoint 12345 - - CEF:0|Check Point|VPN-1 & FireWall-1|Check Point|Log|https|Unknown|' +
  'act=Accept deviceDirection=1 rt=1699438532000 spt=51962 dpt=443 cs2Label=Rule Name cs2=Allow outbound web ' +
  'layer_name=Network src=192.168.1.10 dst=93.184.216.34 proto=6 ' +
  'sourceTranslatedAddress=198.51.100.7 sourceTranslatedPort=40001 ifname=eth1';

const FORTINET =
  'CEF:0|Fortinet|Fortigate|v7.2.5|00013|traffic:forward close|3|deviceExternalId=FGT60F0000000001 ' +
  'FTNTFGTlogid=0000000013 cat=traffic:forward FTNTFGTsubtype=forward FTNTFGTlevel=notice FTNTFGTvd=root ' +
  'src=172.16.200.55 spt=60446 deviceInboundInterface=port11 dst=172.16.200.254 dpt=80 ' +
  'deviceOutboundInterface=port12 proto=6 act=close FTNTFGTpolicyid=1 app=HTTP in=1820 out=424 ' +
  'duser=bob outcome=success smac=00:0c:29:aa:bb:cc';

const TREND_MICRO =
  'CEF:0|Trend Micro|Deep Security Agent|20.0.877|4000000|Eicar_test_file|6|cn1=1 cn1Label=Host ID ' +
  'dvchost=ws-042.corp.example cn2=205 cn2Label=Quarantine File Size fileHash=44D88612FEA8A8F36DE82E1278ABB02F ' +
  'filePath=C:\\\\Users\\\\alice\\\\Desktop\\\\eicar.exe act=Delete result=Delete msg=Realtime suser=CORP\\\\alice ' +
  'rt=Nov 08 2023 10:15:32';

describe('cef step', () => {
  describe('configuration', () => {
    it('has defaults for every key', () => {
      expect(cefStep.schema.parse({})).toEqual({ field: 'message', target: 'cef', ecs: true });
    });

    it('rejects unknown keys', () => {
      expect(() => cefStep.schema.parse({ feild: 'message' })).toThrow();
    });

    it('refuses a reserved target name when built', () => {
      expect(() => step({ target: 'a.__proto__' })).toThrow(/reserved/);
    });
  });

  describe('header', () => {
    it('parses the seven header fields into cef.*', () => {
      const { event, result } = parse(ARCSIGHT);
      expect(result).toBeUndefined();
      expect(event.cef).toMatchObject({
        version: '0',
        device: { vendor: 'Security', product: 'threatmanager', version: '1.0', event_class_id: '100' },
        name: 'worm successfully stopped',
        severity: '10',
      });
    });

    it('maps the header to observer.*, event.code, message and event.severity', () => {
      const { event } = parse(ARCSIGHT);
      expect(event.observer).toEqual({ vendor: 'Security', product: 'threatmanager', version: '1.0' });
      expect(event.event.code).toBe('100');
      expect(event.message).toBe('worm successfully stopped');
      expect(event.event.severity).toBe(10);
    });

    it('skips a syslog prefix before CEF:', () => {
      const { event, result } = parse(CHECK_POINT);
      expect(result).toBeUndefined();
      expect(event.cef.device.vendor).toBe('Check Point');
    });

    it('unescapes \\| and \\\\ in header fields', () => {
      const { event } = parse('CEF:0|Acme\\|Corp|Fire\\\\wall|1|id|a \\| b|5|');
      expect(event.cef.device.vendor).toBe('Acme|Corp');
      expect(event.cef.device.product).toBe('Fire\\wall');
      expect(event.cef.name).toBe('a | b');
    });

    it('accepts a header with an empty extension', () => {
      const { event, result } = parse('CEF:1|V|P|1|id|Name|Low|');
      expect(result).toBeUndefined();
      expect(event.cef.extensions).toBeUndefined();
      expect(event.event.severity).toBe(0);
    });

    it.each([
      ['Low', 0],
      ['medium', 4],
      ['High', 7],
      ['Very-High', 9],
      ['3', 3],
    ])('maps severity %s to %d', (word, number) => {
      expect(parse(`CEF:0|V|P|1|id|N|${word}|`).event.event.severity).toBe(number);
    });

    it('leaves event.severity out for an unknown severity', () => {
      const { event } = parse('CEF:0|V|P|1|id|N|Unknown|');
      expect(event.event.severity).toBeUndefined();
      expect(event.cef.severity).toBe('Unknown');
    });
  });

  describe('extension', () => {
    it('renames short keys to their full dictionary names', () => {
      const { event } = parse(ARCSIGHT);
      expect(event.cef.extensions).toEqual({
        sourceAddress: '10.0.0.1',
        destinationAddress: '2.1.2.2',
        sourcePort: 1232,
      });
    });

    it('accepts full key names as sent', () => {
      const { event } = parse('CEF:0|V|P|1|id|N|1|sourceAddress=10.1.1.1 destinationPort=22');
      expect(event.source.ip).toBe('10.1.1.1');
      expect(event.destination.port).toBe(22);
    });

    it('lets values hold spaces up to the next key', () => {
      const { event } = parse('CEF:0|V|P|1|id|N|1|msg=user logged in from home suser=alice');
      expect(event.cef.extensions.message).toBe('user logged in from home');
      expect(event.cef.extensions.sourceUserName).toBe('alice');
    });

    it('unescapes \\=, \\\\, \\n and \\r in values', () => {
      const { event } = parse('CEF:0|V|P|1|id|N|1|msg=a\\=b c\\\\d line1\\nline2\\rend suser=x');
      expect(event.cef.extensions.message).toBe('a=b c\\d line1\nline2\rend');
    });

    it('keeps an = that does not follow " key" inside the value', () => {
      const { event } = parse('CEF:0|V|P|1|id|N|1|request=http://x.example/?a=b&c=d requestMethod=GET');
      expect(event.url.original).toBe('http://x.example/?a=b&c=d');
      expect(event.http.request.method).toBe('GET');
    });

    it('keeps other backslashes as they are', () => {
      const { event } = parse('CEF:0|V|P|1|id|N|1|filePath=C:\\Windows\\system32\\cmd.exe');
      expect(event.file.path).toBe('C:\\Windows\\system32\\cmd.exe');
    });

    it('leaves empty values out', () => {
      const { event } = parse('CEF:0|V|P|1|id|N|1|suser= dst=10.0.0.2');
      expect(event.cef.extensions).toEqual({ destinationAddress: '10.0.0.2' });
    });

    it('trims a trailing newline from the last value', () => {
      const { event } = parse('CEF:0|V|P|1|id|N|1|act=blocked\r\n');
      expect(event.event.action).toBe('blocked');
    });

    it('keeps the last of repeated keys', () => {
      const { event } = parse('CEF:0|V|P|1|id|N|1|act=first act=second');
      expect(event.cef.extensions.deviceAction).toBe('second');
      expect(event.event.action).toBe('second');
    });

    it('puts custom fields under their labels and keeps the pairs', () => {
      const { event } = parse(TREND_MICRO);
      expect(event.cef.labels).toEqual({ 'Host ID': 1, 'Quarantine File Size': 205 });
      expect(event.cef.extensions.deviceCustomNumber1).toBe(1);
      expect(event.cef.extensions.deviceCustomNumber1Label).toBe('Host ID');
    });

    it('leaves out labels that would nest or are reserved', () => {
      const { event } = parse(
        'CEF:0|V|P|1|id|N|1|cs1=a cs1Label=x.y cs2=b cs2Label=__proto__ cs3=c cs3Label=ok',
      );
      expect(event.cef.labels).toEqual({ ok: 'c' });
    });

    it('converts numbers and times in cef.extensions and keeps what does not convert', () => {
      const { event } = parse(
        'CEF:0|V|P|1|id|N|1|spt=70000 dpt=http cfp1=1.5 rt=1699438532000 end=yesterday',
      );
      expect(event.cef.extensions).toEqual({
        sourcePort: 70000,
        destinationPort: 'http',
        deviceCustomFloatingPoint1: 1.5,
        deviceReceiptTime: '2023-11-08T10:15:32.000Z',
        endTime: 'yesterday',
      });
    });

    it('keeps vendor keys it does not know', () => {
      const { event } = parse(FORTINET);
      expect(event.cef.extensions.FTNTFGTlogid).toBe('0000000013');
      expect(event.cef.extensions.deviceEventCategory).toBe('traffic:forward');
    });
  });

  describe('ECS mapping', () => {
    it('maps a Check Point line', () => {
      const { event } = parse(CHECK_POINT);
      expect(event['@timestamp']).toBe('2023-11-08T10:15:32.000Z');
      expect(event.event).toMatchObject({ action: 'Accept', code: 'Log' });
      expect(event.network).toEqual({ direction: 'outbound', transport: 'tcp' });
      expect(event.source).toEqual({
        ip: '192.168.1.10',
        port: 51962,
        nat: { ip: '198.51.100.7', port: 40001 },
      });
      expect(event.destination).toEqual({ ip: '93.184.216.34', port: 443 });
      expect(event.message).toBe('https');
      expect(event.event.severity).toBeUndefined();
      expect(event.cef.labels).toEqual({ 'Rule Name': 'Allow outbound web' });
    });

    it('maps a FortiGate line', () => {
      const { event } = parse(FORTINET);
      expect(event.observer).toMatchObject({
        vendor: 'Fortinet',
        product: 'Fortigate',
        version: 'v7.2.5',
        ingress: { interface: { name: 'port11' } },
        egress: { interface: { name: 'port12' } },
      });
      expect(event.source).toMatchObject({
        ip: '172.16.200.55',
        port: 60446,
        bytes: 1820,
        mac: '00-0C-29-AA-BB-CC',
      });
      expect(event.destination).toMatchObject({ ip: '172.16.200.254', port: 80, bytes: 424 });
      expect(event.destination.user.name).toBe('bob');
      expect(event.network).toEqual({ transport: 'tcp', protocol: 'http' });
      expect(event.event).toMatchObject({ action: 'close', outcome: 'success', severity: 3 });
      expect(event.event.category).toBeUndefined();
    });

    it('maps a Trend Micro line', () => {
      const { event } = parse(TREND_MICRO);
      expect(event['@timestamp']).toBe('2023-11-08T10:15:32.000Z');
      expect(event.message).toBe('Realtime');
      expect(event.file).toEqual({
        path: 'C:\\Users\\alice\\Desktop\\eicar.exe',
        hash: { md5: '44d88612fea8a8f36de82e1278abb02f' },
      });
      expect(event.observer.hostname).toBe('ws-042.corp.example');
      expect(event.source.user.name).toBe('CORP\\alice');
      expect(event.related).toEqual({
        hosts: ['ws-042.corp.example'],
        hash: ['44d88612fea8a8f36de82e1278abb02f'],
        user: ['CORP\\alice'],
      });
    });

    it('maps users, hosts, the URL and the user agent', () => {
      const { event } = parse(
        'CEF:0|V|P|1|id|N|1|suser=alice duser=bob shost=pc1.example dhost=srv.example request=https://srv.example/login ' +
          'requestMethod=POST requestClientApplication=curl/8.4.0 requestContext=https://ref.example/ reason=bad password',
      );
      expect(event.source).toEqual({ user: { name: 'alice' }, domain: 'pc1.example' });
      expect(event.destination).toEqual({ user: { name: 'bob' }, domain: 'srv.example' });
      expect(event.url.original).toBe('https://srv.example/login');
      expect(event.http.request).toEqual({ method: 'POST', referrer: 'https://ref.example/' });
      expect(event.user_agent.original).toBe('curl/8.4.0');
      expect(event.event.reason).toBe('bad password');
      expect(event.related).toEqual({ user: ['alice', 'bob'], hosts: ['pc1.example', 'srv.example'] });
    });

    it('adds each IP once to related.ip', () => {
      const { event } = parse('CEF:0|V|P|1|id|N|1|src=10.0.0.1 dst=10.0.0.1 dvc=10.0.0.254 c6a1=fe80::1');
      expect(event.related.ip).toEqual(['10.0.0.1', '10.0.0.254']);
      expect(event.observer.ip).toBe('10.0.0.254');
    });

    it('accepts IPv6 addresses', () => {
      const { event } = parse('CEF:0|V|P|1|id|N|1|src=2001:db8::1');
      expect(event.source.ip).toBe('2001:db8::1');
    });

    it('leaves out of ECS ports out of range and addresses that are not IPs', () => {
      const { event } = parse('CEF:0|V|P|1|id|N|1|src=999.1.1.1 spt=70000 dst=gateway dpt=-1');
      expect(event.source).toBeUndefined();
      expect(event.destination).toBeUndefined();
      expect(event.related).toBeUndefined();
      expect(event.cef.extensions).toEqual({
        sourceAddress: '999.1.1.1',
        sourcePort: 70000,
        destinationAddress: 'gateway',
        destinationPort: -1,
      });
    });

    it('only maps the outcomes ECS allows', () => {
      expect(parse('CEF:0|V|P|1|id|N|1|outcome=Failure').event.event.outcome).toBe('failure');
      expect(parse('CEF:0|V|P|1|id|N|1|outcome=blocked').event.event.outcome).toBeUndefined();
    });

    it('lowercases the transport and leaves unknown protocol numbers out', () => {
      expect(parse('CEF:0|V|P|1|id|N|1|proto=UDP').event.network.transport).toBe('udp');
      expect(parse('CEF:0|V|P|1|id|N|1|proto=255').event.network).toBeUndefined();
    });

    it('maps start and end times', () => {
      const { event } = parse(
        'CEF:0|V|P|1|id|N|1|start=Nov 08 2023 10:15:32.250 UTC end=Nov 08 2023 11:15:32 +01:00',
      );
      expect(event.event.start).toBe('2023-11-08T10:15:32.250Z');
      expect(event.event.end).toBe('2023-11-08T10:15:32.000Z');
    });

    it('keeps @timestamp when rt does not parse', () => {
      const { event } = parse('CEF:0|V|P|1|id|N|1|rt=sometime');
      expect(event['@timestamp']).toBe('2026-01-01T00:00:00.000Z');
    });

    it('sets geo locations only from a valid latitude and longitude pair', () => {
      const { event } = parse('CEF:0|V|P|1|id|N|1|slat=48.85 slong=2.35 dlat=95 dlong=2');
      expect(event.source.geo.location).toEqual({ lat: 48.85, lon: 2.35 });
      expect(event.destination).toBeUndefined();
    });

    it('leaves the ECS fields alone when ecs is false', () => {
      const { event } = parse(ARCSIGHT, { ecs: false });
      expect(event.message).toBe(ARCSIGHT);
      expect(event.source).toBeUndefined();
      expect(event.observer).toBeUndefined();
      expect(event.cef.extensions.sourceAddress).toBe('10.0.0.1');
    });

    it('reads from and writes to the configured fields', () => {
      const event = eventOf('x') as Doc;
      event.raw = { cef: ARCSIGHT };
      const result = step({ field: 'raw.cef', target: 'vendor.cef' }).run(event as EcsEvent);
      expect(result).toBeUndefined();
      expect(event.vendor.cef.device.vendor).toBe('Security');
      expect(event.cef).toBeUndefined();
    });
  });

  describe('failures', () => {
    it('fails with "not CEF" for text without a CEF header', () => {
      expect(parse('Accepted password for alice from 10.0.0.9').result).toEqual({ failure: 'not CEF' });
    });

    it('fails with "not CEF" when the header has fewer than seven pipes', () => {
      expect(parse('CEF:0|Vendor|Product|1.0|100|Name').result).toEqual({ failure: 'not CEF' });
    });

    it('fails with "not CEF" when the version is not a number', () => {
      expect(parse('CEF:x|V|P|1|id|N|1|src=10.0.0.1').result).toEqual({ failure: 'not CEF' });
    });

    it('fails with "not a string" for a field that is not text', () => {
      expect(parse(42).result).toEqual({ failure: 'not a string' });
    });

    it('does nothing when the field is absent', () => {
      expect(step({ field: 'nope' }).run(eventOf('x'))).toBeUndefined();
    });

    it('writes nothing when it fails', () => {
      const { event } = parse('CEF:0|V|P|1');
      expect(event.cef).toBeUndefined();
      expect(event.message).toBe('CEF:0|V|P|1');
    });
  });

  describe('hostile input', () => {
    it('fails with "too long" for text over the field limit', () => {
      const text = `CEF:0|V|P|1|id|N|1|msg=${'a'.repeat(DEFAULT_LIMITS.maxFieldBytes)}`;
      expect(parse(text).result).toEqual({ failure: 'too long' });
    });

    it('counts bytes, not characters, against the field limit', () => {
      const text = `CEF:0|V|P|1|id|N|1|msg=${'é'.repeat(DEFAULT_LIMITS.maxFieldBytes / 2)}`;
      expect(parse(text).result).toEqual({ failure: 'too long' });
    });

    it('parses a 1 MB extension value just under the limit', () => {
      const header = 'CEF:0|V|P|1|id|N|1|msg=';
      const text = `${header}${'word '.repeat((DEFAULT_LIMITS.maxFieldBytes - header.length - 20) / 5)}act=x`;
      const { event, result } = parse(text);
      expect(result).toBeUndefined();
      expect(event.event.action).toBe('x');
      expect(event.message.length).toBeGreaterThan(1_000_000);
    });

    it('parses a megabyte of = signs and backslashes without slowing down', () => {
      const text = `CEF:0|V|P|1|id|N|1|msg=${'=\\'.repeat(400_000)}`;
      const started = performance.now();
      const { result } = parse(text);
      expect(result).toBeUndefined();
      expect(performance.now() - started).toBeLessThan(1000);
    });

    it('reads many long values before a far backslash in linear time', () => {
      const value = 'x'.repeat(1000);
      const pairs = Array.from({ length: 999 }, (_, i) => `k${i}=${value}`).join(' ');
      const started = performance.now();
      const { event, result } = parse(`CEF:0|V|P|1|id|N|1|${pairs} last=a\\=b`);
      expect(result).toBeUndefined();
      expect(event.cef.extensions.last).toBe('a=b');
      expect(performance.now() - started).toBeLessThan(1000);
    });

    it('fails quickly with "not CEF" for a header of escaped pipes', () => {
      const started = performance.now();
      expect(parse(`CEF:0|${'\\|'.repeat(500_000)}`).result).toEqual({ failure: 'not CEF' });
      expect(performance.now() - started).toBeLessThan(1000);
    });

    it('accepts as many pairs as the field limit', () => {
      const pairs = Array.from({ length: DEFAULT_LIMITS.maxFields }, (_, i) => `k${i}=v${i}`).join(' ');
      const { event, result } = parse(`CEF:0|V|P|1|id|N|1|${pairs}`);
      expect(result).toBeUndefined();
      expect(Object.keys(event.cef.extensions)).toHaveLength(DEFAULT_LIMITS.maxFields);
    });

    it('fails with "too many fields" for thousands of keys', () => {
      const pairs = Array.from({ length: 5000 }, (_, i) => `k${i}=v`).join(' ');
      const { event, result } = parse(`CEF:0|V|P|1|id|N|1|${pairs}`);
      expect(result).toEqual({ failure: 'too many fields' });
      expect(event.cef).toBeUndefined();
    });

    it('keeps a backslash that ends a value', () => {
      const { event } = parse('CEF:0|V|P|1|id|N|1|msg=abc\\');
      expect(event.cef.extensions.message).toBe('abc\\');
    });

    it('fails with "not CEF" when a header ends in an escape', () => {
      expect(parse('CEF:0|V|P|1|id|N|1\\').result).toEqual({ failure: 'not CEF' });
    });

    it('skips reserved keys and leaves prototypes alone', () => {
      const { event } = parse('CEF:0|V|P|1|id|N|1|__proto__=x constructor=y prototype=z act=ok');
      expect(Object.keys(event.cef.extensions)).toEqual(['deviceAction']);
      expect(Object.getPrototypeOf(event.cef.extensions)).toBe(Object.prototype);
      expect(({} as Record<string, unknown>).x).toBeUndefined();
    });

    it('does not take a very long run of key characters as a key', () => {
      const { event } = parse(`CEF:0|V|P|1|id|N|1|msg=a ${'k'.repeat(500)}=v`);
      expect(Object.keys(event.cef.extensions)).toEqual(['message']);
    });
  });
});

describe('parseCefTime', () => {
  const now = Date.UTC(2026, 2, 15, 12, 0, 0);

  it.each([
    ['1699438532000', '2023-11-08T10:15:32.000Z'],
    ['1699438532', '2023-11-08T10:15:32.000Z'],
    ['Nov 08 2023 10:15:32', '2023-11-08T10:15:32.000Z'],
    ['Nov  8 2023 10:15:32.5', '2023-11-08T10:15:32.500Z'],
    ['Nov 08 2023 10:15:32 CET', '2023-11-08T09:15:32.000Z'],
    ['nov 08 2023 10:15:32 -0500', '2023-11-08T15:15:32.000Z'],
    ['2023-11-08T10:15:32+02:00', '2023-11-08T08:15:32.000Z'],
    ['Mar 15 11:00:00', '2026-03-15T11:00:00.000Z'],
    ['Dec 31 23:59:59', '2025-12-31T23:59:59.000Z'],
  ])('reads %s', (text, iso) => {
    expect(new Date(parseCefTime(text, now) as number).toISOString()).toBe(iso);
  });

  it.each([
    'Feb 30 2023 10:00:00',
    'Nov 08 2023 25:00:00',
    'Nov 08 2023 10:15:32 XYZ',
    'Nov 08 2023',
    'Foo 08 2023 10:15:32',
    '12345678901234567',
    '',
  ])('refuses %j', (text) => {
    expect(parseCefTime(text, now)).toBeUndefined();
  });
});
