import { describe, expect, it } from 'vitest';
import { FACILITY_NAMES, SEVERITY_NAMES } from '../../../../../collector/codecs/syslog/message.ts';
import { parseSyslog } from '../../../../../collector/codecs/syslog/parse.ts';
import { dialects } from '../../../../../collector/codecs/syslog/registry.ts';

const NOW = new Date('2026-11-25T00:00:00Z');

const SAMPLES = [
  "<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - \uFEFF'su root' failed",
  '<165>1 2003-10-11T22:14:15.003Z h evntslog - ID47 [exampleSDID@32473 iut="3" a="\\"\\]\\\\"][p@1 c="h"] m',
  '<13>Nov 24 22:31:05 user: msg',
  '<30>Nov 24 22:31:05 web-01 systemd[1]: Started foo.service.',
  '<189>52: router1: Nov 24 22:31:05.123 UTC: %LINK-3-UPDOWN: Interface up',
  '<189>123: *Mar  1 18:46:11.123: %SYS-5-CONFIG_I: Configured from console by vty0',
  '<86>2026-11-24T22:31:05.123456+01:00 web-01 sshd[4242]: Accepted',
];

describe('parseSyslog', () => {
  it('tries RFC 5424 first, then RFC 3164', () => {
    expect(dialects.map((d) => d.name)).toEqual(['rfc5424', 'rfc3164']);
  });

  it('reads an RFC 5424 message', () => {
    expect(parseSyslog('<13>1 2026-11-24T22:31:05Z h app 1 ID - hi')).toMatchObject({
      format: 'rfc5424',
      version: 1,
      app_name: 'app',
      message: 'hi',
    });
  });

  it('reads an RFC 3164 message with the given reference time and zone', () => {
    expect(
      parseSyslog('<13>Dec 31 23:00:00 h a: m', {
        now: new Date('2027-01-01T10:00:00Z'),
        defaultTimeZone: 'Asia/Tokyo',
      }),
    ).toMatchObject({ format: 'rfc3164', timestamp: '2026-12-31T23:00:00+09:00' });
  });

  it('returns text no dialect recognises as unparsed, whole', () => {
    expect(parseSyslog('Use the BFG!')).toEqual({ format: 'unparsed', message: 'Use the BFG!' });
    expect(parseSyslog('')).toEqual({ format: 'unparsed', message: '' });
  });

  it('falls back to RFC 3164 for an RFC 5424 message with broken structured data, keeping the PRI', () => {
    expect(parseSyslog('<13>1 - h a - - [x@1 a="1] m', { now: NOW })).toEqual({
      format: 'rfc3164',
      priority: 13,
      facility: 1,
      severity: 5,
      facility_name: 'user',
      severity_name: 'notice',
      message: '1 - h a - - [x@1 a="1] m',
    });
  });

  it('drops trailing newlines, carriage returns and NULs', () => {
    expect(parseSyslog('<13>Nov 24 22:31:05 h a: m\r\n', { now: NOW }).message).toBe('m');
    expect(parseSyslog('<13>1 - - - - - - m\n\0').message).toBe('m');
    expect(parseSyslog('plain\n')).toEqual({ format: 'unparsed', message: 'plain' });
  });

  it('names every facility and severity', () => {
    expect(FACILITY_NAMES).toHaveLength(24);
    expect(SEVERITY_NAMES).toHaveLength(8);
    for (let pri = 0; pri <= 191; pri += 1) {
      const parsed = parseSyslog(`<${pri}>1 - - - - - -`);
      expect(parsed.facility_name).toBe(FACILITY_NAMES[pri >> 3]);
      expect(parsed.severity_name).toBe(SEVERITY_NAMES[pri & 7]);
    }
  });

  it('never throws, for every prefix of real messages', () => {
    for (const sample of SAMPLES) {
      for (let end = 0; end <= sample.length; end += 1) {
        const parsed = parseSyslog(sample.slice(0, end), { now: NOW });
        expect(typeof parsed.message).toBe('string');
      }
    }
  });

  it('never throws on random text', () => {
    // Deterministic pseudo-random text biased towards syslog punctuation.
    let seed = 42;
    const next = (): number => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return seed / 2_147_483_648;
    };
    const alphabet = '<>[]:"\\= -*.%0123456789TZ+NovDecabc\uFEFF\u00e9\n';
    for (let n = 0; n < 2000; n += 1) {
      const length = Math.floor(next() * 60);
      let text = next() < 0.5 ? `<${Math.floor(next() * 200)}>` : '';
      for (let i = 0; i < length; i += 1) text += alphabet[Math.floor(next() * alphabet.length)];
      const parsed = parseSyslog(text, { now: NOW, defaultTimeZone: 'Europe/Berlin' });
      expect(['rfc5424', 'rfc3164', 'unparsed']).toContain(parsed.format);
    }
  });
});
