/**
 * Golden samples for every pattern in patterns/base.grok: lines each pattern
 * must match whole, and lines it must not. A pattern without samples fails
 * the corpus test.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { compileGrok } from '../../../../../processor/parsers/grok/matcher.ts';
import { PatternLibrary } from '../../../../../processor/parsers/grok/pattern-library.ts';

const SAMPLES: Record<string, { match: string[]; reject: string[] }> = {
  USERNAME: { match: ['root', 'john.doe', 'svc_backup-01'], reject: ['john doe', 'a@b', ''] },
  USER: { match: ['www-data'], reject: ['a b'] },
  EMAILLOCALPART: { match: ['john.doe', "o'brien+tag"], reject: ['.john', 'john..doe'] },
  EMAILADDRESS: {
    match: ['alice@example.org', 'a.b+c@mail.example.co.uk'],
    reject: ['alice@', '@example.org'],
  },
  INT: { match: ['0', '-12', '+7'], reject: ['1.5', '--1', ''] },
  BASE10NUM: { match: ['42', '-3.14', '.5', '+0.25'], reject: ['1.', 'e5', '1e5'] },
  NUMBER: { match: ['200', '1.1', '-0.001'], reject: ['abc', '1.2.3'] },
  BASE16NUM: { match: ['0x1F', 'deadbeef', '-0xff'], reject: ['0xg1', 'xyz'] },
  BASE16FLOAT: { match: ['0x1.8', 'ff.f', 'A'], reject: ['0x', 'zz', '.a'] },
  POSINT: { match: ['1', '65535'], reject: ['0', '-1', '012'] },
  NONNEGINT: { match: ['0', '42', '007'], reject: ['-1', '4a'] },
  WORD: { match: ['hello', 'snake_case_1'], reject: ['two words', 'dash-ed', 'é'] },
  NOTSPACE: { match: ['/var/log/x.log', 'a"b'], reject: ['a b', ''] },
  SPACE: { match: ['', ' ', ' \t '], reject: ['x'] },
  DATA: { match: ['', 'anything at all'], reject: [] },
  GREEDYDATA: { match: ['', 'everything\nacross lines'], reject: [] },
  QUOTEDSTRING: {
    match: ['"simple"', '""', '"with \\"escaped\\" quotes"', "'single'", '`back`', '"trailing \\\\"'],
    reject: ['"unterminated', '"a\\"', '\'mixed"', 'noquotes'],
  },
  QS: { match: ['"-"', '"Mozilla/5.0 (X11; Linux x86_64)"'], reject: ['"a" "b"'] },
  UUID: {
    match: ['123e4567-e89b-12d3-a456-426614174000'],
    reject: ['123e4567-e89b-12d3-a456-42661417400', 'not-a-uuid'],
  },
  URN: {
    match: ['urn:isbn:0451450523', 'urn:ietf:rfc:2648', 'urn:x:a%20b'],
    reject: ['urn:', 'isbn:0451450523'],
  },
  MAC: {
    match: ['00:1A:2b:3C:4d:5E', '00-1a-2b-3c-4d-5e', '001a.2b3c.4d5e'],
    reject: ['00:1a:2b:3c:4d', 'zz:1a:2b:3c:4d:5e'],
  },
  CISCOMAC: { match: ['001a.2b3c.4d5e'], reject: ['001a.2b3c'] },
  WINDOWSMAC: { match: ['00-1A-2B-3C-4D-5E'], reject: ['00:1A:2B:3C:4D:5E'] },
  COMMONMAC: { match: ['00:1a:2b:3c:4d:5e'], reject: ['00-1a-2b-3c-4d-5e'] },
  IPV4_OCTET: {
    match: ['0', '9', '10', '99', '100', '199', '249', '255', '007'],
    reject: ['256', '300', '1000'],
  },
  IPV4: {
    match: ['10.0.0.1', '255.255.255.255', '0.0.0.0', '192.168.001.010'],
    reject: ['256.1.1.1', '1.2.3', '1.2.3.4.5'],
  },
  IPV6_H16: { match: ['0', 'fe80', 'FFFF'], reject: ['12345', 'g'] },
  IPV6_LS32: { match: ['ffff:0', '10.0.0.1'], reject: ['ffff'] },
  IPV6_UPTO1: { match: ['1'], reject: ['1:2'] },
  IPV6_UPTO2: { match: ['1', '1:2'], reject: ['1:2:3'] },
  IPV6_UPTO3: { match: ['1:2:3'], reject: ['1:2:3:4'] },
  IPV6_UPTO4: { match: ['1:2:3:4'], reject: ['1:2:3:4:5'] },
  IPV6_UPTO5: { match: ['1:2:3:4:5'], reject: ['1:2:3:4:5:6'] },
  IPV6_UPTO6: { match: ['1:2:3:4:5:6'], reject: ['1:2:3:4:5:6:7'] },
  IPV6_UPTO7: { match: ['1:2:3:4:5:6:7'], reject: ['1:2:3:4:5:6:7:8'] },
  IPV6_ADDRESS: {
    match: [
      '2001:db8::1',
      '::',
      '::1',
      'fe80::',
      '1:2:3:4:5:6:7:8',
      '::ffff:192.0.2.128',
      '2001:db8:0:0:1::1',
      '1::8',
    ],
    reject: ['1:2:3:4:5:6:7:8:9', '2001:db8:::1', '1::2::3', 'gggg::1'],
  },
  IPV6: {
    match: ['fe80::1%eth0', '2001:0db8:85a3:0000:0000:8a2e:0370:7334'],
    reject: ['fe80::1%', '12345::'],
  },
  IP: { match: ['10.0.0.1', '::1'], reject: ['example.org', '999.1.1.1'] },
  HOSTNAME: {
    match: ['localhost', 'web-01.example.org', 'example.org.', 'xn--bcher-kva.example'],
    reject: ['-bad.example', 'a..b', 'under_score'],
  },
  IPORHOST: { match: ['10.0.0.1', '2001:db8::1', 'db.example.org'], reject: ['bad host', ''] },
  HOSTPORT: { match: ['db.example.org:5432', '10.0.0.1:80'], reject: ['db.example.org', 'host:0'] },
  PATH: {
    match: ['/var/log/auth.log', 'C:\\Windows\\System32', '\\\\server\\share'],
    reject: ['relative/path'],
  },
  UNIXPATH: {
    match: ['/', '/var/log/nginx/access.log', '/srv/Überweisung-2024.pdf'],
    reject: ['var/log', '/with space'],
  },
  WINPATH: { match: ['C:\\Users\\alice', 'D:\\'], reject: ['C:/Users', 'Users\\alice'] },
  TTY: { match: ['/dev/pts/0', '/dev/tty1', '/dev/ttyS0'], reject: ['/dev/sda1', '/dev/pts/'] },
  URIPROTO: { match: ['http', 'https', 'svn+ssh', 'git'], reject: ['h', '1http'] },
  URIHOST: { match: ['example.org', 'example.org:8080', '10.0.0.1:443'], reject: ['example.org:'] },
  URIPATH: { match: ['/', '/a/b.html', "/search;jsessionid=1/x!y*z'(1)"], reject: ['a/b', '/a b'] },
  URIQUERY: { match: ['', 'q=1&lang=en', 'a[]=1&b=<x>'], reject: ['a b'] },
  URIPARAM: { match: ['?q=grok', '?'], reject: ['q=grok'] },
  URIPATHPARAM: { match: ['/index.html?page=2', '/a/b/'], reject: ['index.html'] },
  URI: {
    match: [
      'http://example.org',
      'https://user:pw@example.org:8443/a/b?c=d',
      'ftp://10.0.0.1/pub/',
      'file:///etc/hosts',
    ],
    reject: ['example.org/a', '://example.org'],
  },
  MONTH: {
    match: ['Jan', 'January', 'Mar', 'März', 'May', 'Mai', 'Sept', 'Okt', 'Dez', 'december'],
    reject: ['Janu', 'Mr', '13'],
  },
  MONTHNUM: { match: ['1', '01', '9', '12'], reject: ['0', '13', '00'] },
  MONTHNUM2: { match: ['01', '12'], reject: ['1', '13'] },
  MONTHDAY: { match: ['1', '01', '09', '10', '29', '31'], reject: ['0', '32', '00'] },
  DAY: { match: ['Mon', 'Monday', 'Thu', 'Sunday'], reject: ['Mo', 'monday'] },
  YEAR: { match: ['15', '2015', '1999'], reject: ['201', '20155'] },
  HOUR: { match: ['0', '09', '19', '23'], reject: ['24', '123'] },
  MINUTE: { match: ['00', '59'], reject: ['60', '5'] },
  SECOND: { match: ['00', '59', '60', '5', '05.123', '59,9', '00:000'], reject: ['61', '5.'] },
  TIME: {
    match: ['10:05:03', '23:59:60', '7:00:00', '12:00:00.123456'],
    reject: ['24:00:00', '10:05', '10:60:00'],
  },
  DATE_US: { match: ['05/17/2015', '5-17-15'], reject: ['17/05/2015'] },
  DATE_EU: { match: ['17.05.2015', '17/5/15'], reject: ['2015-05-17'] },
  DATE: { match: ['12/31/2024', '31.12.2024'], reject: ['2024-12-31'] },
  DATESTAMP: { match: ['12/31/2024 23:59:59', '31.12.2024-08:00:00'], reject: ['12/31/2024T23:59:59'] },
  TZ: { match: ['UTC', 'PST', 'EDT'], reject: ['utc', 'XYZ'] },
  ISO8601_TIMEZONE: { match: ['Z', '+02:00', '-0530', '+2:00'], reject: ['z', '+01', '+25:00'] },
  ISO8601_SECOND: { match: ['07', '07.5'], reject: ['70'] },
  TIMESTAMP_ISO8601: {
    match: ['2015-05-17T10:05:03Z', '2015-05-17 10:05:03.123+02:00', '2015-05-17T10:05', '2015-05-17T100503'],
    reject: ['2015-13-17T10:05:03Z', '2015/05/17 10:05:03', '17-05-2015T10:05:03'],
  },
  DATESTAMP_RFC822: { match: ['Sun Nov 24 2024 10:00:00 UTC'], reject: ['Sun, 24 Nov 2024 10:00:00 +0000'] },
  DATESTAMP_RFC2822: { match: ['Sun, 24 Nov 2024 10:00:00 +0000'], reject: ['Sun Nov 24 2024 10:00:00 UTC'] },
  DATESTAMP_OTHER: { match: ['Sun Nov 24 10:00:00 UTC 2024'], reject: ['Sun Nov 24 2024 10:00:00 UTC'] },
  DATESTAMP_EVENTLOG: { match: ['20241124100000'], reject: ['2024-11-24 10:00:00'] },
  HTTPDATE: {
    match: ['17/May/2015:10:05:03 +0000', '01/Jan/2000:00:00:00 -0700'],
    reject: ['17/May/2015 10:05:03 +0000', '32/May/2015:10:05:03 +0000'],
  },
  SYSLOGTIMESTAMP: {
    match: ['Nov 24 10:00:00', 'Nov  4 10:00:00', 'Mar 1 00:00:01'],
    reject: ['Nov 24 10:00', '24 Nov 10:00:00'],
  },
  LOGLEVEL: {
    match: [
      'TRACE',
      'debug',
      'Info',
      'INFORMATION',
      'notice',
      'WARN',
      'Warning',
      'ERR',
      'error',
      'CRIT',
      'critical',
      'alert',
      'EMERG',
      'emergency',
      'FATAL',
      'Severe',
    ],
    reject: ['verbose', 'WARNINGS', 'inform'],
  },
};

const library = new PatternLibrary();
const baseFile = fileURLToPath(
  new URL('../../../../../processor/parsers/grok/patterns/base.grok', import.meta.url),
);
const names = [...readFileSync(baseFile, 'utf8').matchAll(/^([A-Z0-9_]+) /gm)].map((m) => m[1] as string);

describe('base patterns', () => {
  it('have golden samples, every one of them', () => {
    expect(names.filter((name) => !(name in SAMPLES))).toEqual([]);
    expect(Object.keys(SAMPLES).filter((name) => !names.includes(name))).toEqual([]);
  });

  it.each(Object.entries(SAMPLES))(
    '%s matches its samples whole and rejects the others',
    (name, { match, reject }) => {
      const grok = compileGrok([`^%{${name}:value}$`], { library });
      for (const sample of match)
        expect(grok.match(sample)?.fields.value ?? '', `${name} on ${JSON.stringify(sample)}`).toBe(sample);
      for (const sample of reject)
        expect(grok.match(sample), `${name} on ${JSON.stringify(sample)}`).toBeUndefined();
    },
  );
});
