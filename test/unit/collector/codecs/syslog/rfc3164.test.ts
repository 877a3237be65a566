import { describe, expect, it } from 'vitest';
import type { SyslogMessage, SyslogParseOptions } from '../../../../../collector/codecs/syslog/message.ts';
import { parseRfc3164 } from '../../../../../collector/codecs/syslog/rfc3164.ts';

/** Reference time of the fixtures: just after the messages of 24 November 2026. */
const NOW = new Date('2026-11-25T00:00:00Z');
const options: SyslogParseOptions = { now: NOW };

const USER_NOTICE = {
  priority: 13,
  facility: 1,
  severity: 5,
  facility_name: 'user',
  severity_name: 'notice',
} as const;
const LOCAL7_NOTICE = {
  priority: 189,
  facility: 23,
  severity: 5,
  facility_name: 'local7',
  severity_name: 'notice',
} as const;

/** Golden fixtures: a line as sent and the message it must give. */
const GOLDEN: Array<{ name: string; line: string; expected: SyslogMessage }> = [
  {
    name: 'RFC 3164 §5.4 example 1',
    line: "<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on /dev/pts/8",
    expected: {
      format: 'rfc3164',
      priority: 34,
      facility: 4,
      severity: 2,
      facility_name: 'auth',
      severity_name: 'crit',
      timestamp: '2026-10-11T22:14:15Z',
      timestamp_raw: 'Oct 11 22:14:15',
      hostname: 'mymachine',
      app_name: 'su',
      message: "'su root' failed for lonvick on /dev/pts/8",
    },
  },
  {
    name: 'RFC 3164 §5.4 example 2, as relayed (no tag)',
    line: '<13>Feb  5 17:32:18 10.0.0.99 Use the BFG!',
    expected: {
      format: 'rfc3164',
      ...USER_NOTICE,
      timestamp: '2026-02-05T17:32:18Z',
      timestamp_raw: 'Feb  5 17:32:18',
      hostname: '10.0.0.99',
      message: 'Use the BFG!',
    },
  },
  {
    name: 'RFC 3164 §5.4 example 3 (read as the RFC says a relay reads it: HOSTNAME "CST")',
    line: "<165>Aug 24 05:34:00 CST 1987 mymachine myproc[10]: %% It's time to make the do-nuts.  %%  Ingredients: Mix=OK, Jelly=OK # Devices: Mixer=OK, Jelly_Injector=OK, Frier=OK # Transport: Conveyer1=OK, Conveyer2=OK # %%",
    expected: {
      format: 'rfc3164',
      priority: 165,
      facility: 20,
      severity: 5,
      facility_name: 'local4',
      severity_name: 'notice',
      timestamp: '2026-08-24T05:34:00Z',
      timestamp_raw: 'Aug 24 05:34:00',
      hostname: 'CST',
      message:
        "1987 mymachine myproc[10]: %% It's time to make the do-nuts.  %%  Ingredients: Mix=OK, Jelly=OK # Devices: Mixer=OK, Jelly_Injector=OK, Frier=OK # Transport: Conveyer1=OK, Conveyer2=OK # %%",
    },
  },
  {
    name: 'RFC 3164 §5.4 example 4 (no valid TIMESTAMP: all of it is content)',
    line: "<0>1990 Oct 22 10:52:01 TZ-6 scapegoat.dmz.example.org 10.1.2.3 sched[0]: That's All Folks!",
    expected: {
      format: 'rfc3164',
      priority: 0,
      facility: 0,
      severity: 0,
      facility_name: 'kern',
      severity_name: 'emerg',
      message: "1990 Oct 22 10:52:01 TZ-6 scapegoat.dmz.example.org 10.1.2.3 sched[0]: That's All Folks!",
    },
  },
  {
    name: 'RFC 3164 §5.4 example 4, as relayed',
    line: "<0>Oct 22 10:52:12 scapegoat 1990 Oct 22 10:52:01 TZ-6 scapegoat.dmz.example.org 10.1.2.3 sched[0]: That's All Folks!",
    expected: {
      format: 'rfc3164',
      priority: 0,
      facility: 0,
      severity: 0,
      facility_name: 'kern',
      severity_name: 'emerg',
      timestamp: '2026-10-22T10:52:12Z',
      timestamp_raw: 'Oct 22 10:52:12',
      hostname: 'scapegoat',
      message: "1990 Oct 22 10:52:01 TZ-6 scapegoat.dmz.example.org 10.1.2.3 sched[0]: That's All Folks!",
    },
  },
  {
    name: 'util-linux logger --rfc3164 (no hostname)',
    line: '<13>Nov 24 22:31:05 user: msg',
    expected: {
      format: 'rfc3164',
      ...USER_NOTICE,
      timestamp: '2026-11-24T22:31:05Z',
      timestamp_raw: 'Nov 24 22:31:05',
      app_name: 'user',
      message: 'msg',
    },
  },
  {
    name: 'a Linux rsyslog forwarder',
    line: '<30>Nov 24 22:31:05 web-01 systemd[1]: Started foo.service.',
    expected: {
      format: 'rfc3164',
      priority: 30,
      facility: 3,
      severity: 6,
      facility_name: 'daemon',
      severity_name: 'info',
      timestamp: '2026-11-24T22:31:05Z',
      timestamp_raw: 'Nov 24 22:31:05',
      hostname: 'web-01',
      app_name: 'systemd',
      proc_id: '1',
      message: 'Started foo.service.',
    },
  },
  {
    name: 'rsyslog RSYSLOG_ForwardFormat (RFC 3339 timestamp)',
    line: '<86>2026-11-24T22:31:05.123456+01:00 web-01 sshd[4242]: Accepted publickey for deploy from 10.0.0.7 port 50022 ssh2',
    expected: {
      format: 'rfc3164',
      priority: 86,
      facility: 10,
      severity: 6,
      facility_name: 'authpriv',
      severity_name: 'info',
      timestamp: '2026-11-24T22:31:05.123456+01:00',
      timestamp_raw: '2026-11-24T22:31:05.123456+01:00',
      hostname: 'web-01',
      app_name: 'sshd',
      proc_id: '4242',
      message: 'Accepted publickey for deploy from 10.0.0.7 port 50022 ssh2',
    },
  },
  {
    name: 'Cisco IOS with a sequence number and an unsynchronised clock',
    line: '<189>123: *Mar  1 18:46:11.123: %SYS-5-CONFIG_I: Configured from console by vty0 (10.0.0.1)',
    expected: {
      format: 'rfc3164',
      ...LOCAL7_NOTICE,
      timestamp: '2026-03-01T18:46:11.123Z',
      timestamp_raw: '*Mar  1 18:46:11.123',
      sequence: 123,
      message: '%SYS-5-CONFIG_I: Configured from console by vty0 (10.0.0.1)',
    },
  },
  {
    name: 'Cisco IOS with origin-id hostname and a UTC zone word',
    line: '<187>52: router1: Nov 24 22:31:05.123 UTC: %LINK-3-UPDOWN: Interface GigabitEthernet0/1, changed state to up',
    expected: {
      format: 'rfc3164',
      priority: 187,
      facility: 23,
      severity: 3,
      facility_name: 'local7',
      severity_name: 'err',
      timestamp: '2026-11-24T22:31:05.123Z',
      timestamp_raw: 'Nov 24 22:31:05.123 UTC',
      hostname: 'router1',
      sequence: 52,
      message: '%LINK-3-UPDOWN: Interface GigabitEthernet0/1, changed state to up',
    },
  },
  {
    name: 'Cisco ASA with a year in the timestamp',
    line: '<166>Nov 24 2026 22:31:05: %ASA-6-302013: Built outbound TCP connection 1 for outside:192.0.2.1/443 (192.0.2.1/443) to inside:10.0.0.5/51234 (203.0.113.9/51234)',
    expected: {
      format: 'rfc3164',
      priority: 166,
      facility: 20,
      severity: 6,
      facility_name: 'local4',
      severity_name: 'info',
      timestamp: '2026-11-24T22:31:05Z',
      timestamp_raw: 'Nov 24 2026 22:31:05',
      message:
        '%ASA-6-302013: Built outbound TCP connection 1 for outside:192.0.2.1/443 (192.0.2.1/443) to inside:10.0.0.5/51234 (203.0.113.9/51234)',
    },
  },
  {
    name: 'Cisco ASA with logging device-id hostname',
    line: '<164>Nov 24 2026 22:31:05 fw-01 : %ASA-4-106023: Deny tcp src outside:198.51.100.7/4444 dst inside:10.0.0.5/22',
    expected: {
      format: 'rfc3164',
      priority: 164,
      facility: 20,
      severity: 4,
      facility_name: 'local4',
      severity_name: 'warning',
      timestamp: '2026-11-24T22:31:05Z',
      timestamp_raw: 'Nov 24 2026 22:31:05',
      hostname: 'fw-01',
      message: '%ASA-4-106023: Deny tcp src outside:198.51.100.7/4444 dst inside:10.0.0.5/22',
    },
  },
  {
    name: 'Juniper Junos (standard format)',
    line: "<29>Nov 24 22:31:05 mx-01 mgd[4321]: UI_COMMIT: User 'admin' requested 'commit' operation (comment: none)",
    expected: {
      format: 'rfc3164',
      priority: 29,
      facility: 3,
      severity: 5,
      facility_name: 'daemon',
      severity_name: 'notice',
      timestamp: '2026-11-24T22:31:05Z',
      timestamp_raw: 'Nov 24 22:31:05',
      hostname: 'mx-01',
      app_name: 'mgd',
      proc_id: '4321',
      message: "UI_COMMIT: User 'admin' requested 'commit' operation (comment: none)",
    },
  },
  {
    name: 'Juniper SRX session log (tag without pid)',
    line: '<14>Nov 24 22:31:05 srx-01 RT_FLOW: RT_FLOW_SESSION_CREATE: session created 10.0.0.5/51234->192.0.2.1/443',
    expected: {
      format: 'rfc3164',
      priority: 14,
      facility: 1,
      severity: 6,
      facility_name: 'user',
      severity_name: 'info',
      timestamp: '2026-11-24T22:31:05Z',
      timestamp_raw: 'Nov 24 22:31:05',
      hostname: 'srx-01',
      app_name: 'RT_FLOW',
      message: 'RT_FLOW_SESSION_CREATE: session created 10.0.0.5/51234->192.0.2.1/443',
    },
  },
  {
    name: 'a line of /var/log/syslog (no PRI)',
    line: 'Nov 24 22:31:05 web-01 CRON[2211]: (root) CMD (run-parts /etc/cron.hourly)',
    expected: {
      format: 'rfc3164',
      timestamp: '2026-11-24T22:31:05Z',
      timestamp_raw: 'Nov 24 22:31:05',
      hostname: 'web-01',
      app_name: 'CRON',
      proc_id: '2211',
      message: '(root) CMD (run-parts /etc/cron.hourly)',
    },
  },
];

describe('parseRfc3164 golden fixtures', () => {
  for (const { name, line, expected } of GOLDEN) {
    it(`parses ${name}`, () => {
      expect(parseRfc3164(line, options)).toEqual(expected);
    });
  }
});

describe('parseRfc3164 header', () => {
  it('reads a day padded with a space and a day with one space', () => {
    expect(parseRfc3164('<13>Nov  4 01:02:03 h a: m', options)?.timestamp).toBe('2026-11-04T01:02:03Z');
    expect(parseRfc3164('<13>Nov 4 01:02:03 h a: m', options)?.timestamp).toBe('2026-11-04T01:02:03Z');
  });

  it('reads a tag with pid but no hostname', () => {
    expect(parseRfc3164('<13>Nov 24 22:31:05 sshd[1]: msg', options)).toMatchObject({
      hostname: undefined,
      app_name: 'sshd',
      proc_id: '1',
      message: 'msg',
    });
  });

  it('reads a tag with a slash in its name', () => {
    expect(parseRfc3164('<22>Nov 24 22:31:05 mail postfix/smtpd[77]: connect from x', options)).toMatchObject(
      {
        hostname: 'mail',
        app_name: 'postfix/smtpd',
        proc_id: '77',
        message: 'connect from x',
      },
    );
  });

  it('reads a tag with an empty message', () => {
    expect(parseRfc3164('<13>Nov 24 22:31:05 h a:', options)).toMatchObject({ app_name: 'a', message: '' });
  });

  it('reads a message with no hostname and no tag after the timestamp', () => {
    expect(parseRfc3164('<13>Nov 24 22:31:05', options)).toMatchObject({ hostname: undefined, message: '' });
  });

  it('keeps a colon-less second word in the message', () => {
    expect(parseRfc3164('<13>Nov 24 22:31:05 h kernel panic: oops', options)).toMatchObject({
      hostname: 'h',
      app_name: undefined,
      message: 'kernel panic: oops',
    });
  });

  it('never takes a Cisco mnemonic for a tag', () => {
    expect(parseRfc3164('<189>Nov 24 22:31:05 router1 %SYS-5-CONFIG_I: Configured', options)).toMatchObject({
      hostname: 'router1',
      app_name: undefined,
      message: '%SYS-5-CONFIG_I: Configured',
    });
  });

  it('does not take an IPv6 hostname for a tag', () => {
    expect(parseRfc3164('<13>Nov 24 22:31:05 fe80::1 ntpd[5]: sync', options)).toMatchObject({
      hostname: 'fe80::1',
      app_name: 'ntpd',
    });
  });

  it('reads the PRI and keeps the rest as message when there is no timestamp', () => {
    expect(parseRfc3164('<13>hello world', options)).toEqual({
      format: 'rfc3164',
      ...USER_NOTICE,
      message: 'hello world',
    });
  });

  it('reads a tag when there is a PRI but no timestamp', () => {
    expect(parseRfc3164('<13>myapp[7]: hello', options)).toMatchObject({
      app_name: 'myapp',
      proc_id: '7',
      message: 'hello',
    });
  });

  it('tolerates a space after the PRI', () => {
    expect(parseRfc3164('<165> 2014-05-16T21:33:39.531Z esx-01 Hostd: ready', options)).toMatchObject({
      timestamp: '2014-05-16T21:33:39.531Z',
      hostname: 'esx-01',
      app_name: 'Hostd',
      message: 'ready',
    });
  });

  it('gives every parsed message the same set of keys', () => {
    const a = parseRfc3164('<13>hello', options);
    const b = parseRfc3164(GOLDEN[8]!.line, options);
    expect(Object.keys(a ?? {})).toEqual(Object.keys(b ?? {}));
  });
});

describe('parseRfc3164 without PRI', () => {
  it('returns undefined for a line that is not syslog', () => {
    expect(parseRfc3164('Use the BFG!', options)).toBeUndefined();
  });

  it('returns undefined for a timestamped line without a tag', () => {
    expect(parseRfc3164('2026-11-24T22:31:05Z INFO server started', options)).toBeUndefined();
  });

  it('returns undefined for a PRI out of range', () => {
    expect(parseRfc3164('<192>hello', options)).toBeUndefined();
  });

  it('accepts a Cisco line', () => {
    expect(parseRfc3164('000042: *Mar  1 18:46:11.123: %SYS-5-CONFIG_I: x', options)).toMatchObject({
      priority: undefined,
      sequence: 42,
      message: '%SYS-5-CONFIG_I: x',
    });
  });
});

describe('parseRfc3164 timestamps', () => {
  it('reads an ISO 8601 timestamp without offset in the default zone', () => {
    expect(parseRfc3164('<13>2026-11-24T22:31:05 h a: m', options)?.timestamp).toBe('2026-11-24T22:31:05Z');
    expect(
      parseRfc3164('<13>2026-11-24T22:31:05.5 h a: m', { now: NOW, defaultTimeZone: 'Europe/Berlin' })
        ?.timestamp,
    ).toBe('2026-11-24T22:31:05.5+01:00');
  });

  it('normalises an ISO 8601 offset without colon', () => {
    expect(parseRfc3164('<13>2026-11-24T22:31:05-0500 h a: m', options)?.timestamp).toBe(
      '2026-11-24T22:31:05-05:00',
    );
  });

  it('refuses an ISO 8601 date that does not exist as a timestamp', () => {
    expect(parseRfc3164('<13>2026-02-30T22:31:05Z h a: m', options)).toMatchObject({
      timestamp: undefined,
      message: '2026-02-30T22:31:05Z h a: m',
    });
  });

  it('keeps the raw timestamp but no timestamp for February 30', () => {
    expect(parseRfc3164('<13>Feb 30 22:31:05 h a: m', options)).toMatchObject({
      timestamp: undefined,
      timestamp_raw: 'Feb 30 22:31:05',
      hostname: 'h',
      app_name: 'a',
    });
  });

  it('refuses a BSD time that does not exist as a timestamp', () => {
    expect(parseRfc3164('<13>Nov 24 25:31:05 h a: m', options)).toMatchObject({
      timestamp: undefined,
      timestamp_raw: undefined,
      message: 'Nov 24 25:31:05 h a: m',
    });
  });

  it('places a BSD date read in January in December of the year before', () => {
    const now = new Date('2027-01-01T00:10:00Z');
    expect(parseRfc3164('<13>Dec 31 23:59:58 h a: m', { now })?.timestamp).toBe('2026-12-31T23:59:58Z');
  });

  it('keeps the current year for a date up to a day ahead of now (clock skew)', () => {
    const now = new Date('2026-11-24T12:00:00Z');
    expect(parseRfc3164('<13>Nov 25 11:00:00 h a: m', { now })?.timestamp).toBe('2026-11-25T11:00:00Z');
    expect(parseRfc3164('<13>Nov 25 13:00:00 h a: m', { now })?.timestamp).toBe('2025-11-25T13:00:00Z');
  });

  it('infers the year in the default zone, not in UTC', () => {
    // 2027-01-01 00:30 in Berlin is still 2026 in UTC.
    const now = new Date('2026-12-31T23:30:00Z');
    expect(
      parseRfc3164('<13>Jan  1 00:20:00 h a: m', { now, defaultTimeZone: 'Europe/Berlin' })?.timestamp,
    ).toBe('2027-01-01T00:20:00+01:00');
  });

  it('reads February 29 of a leap year', () => {
    const now = new Date('2028-03-01T00:00:00Z');
    expect(parseRfc3164('<13>Feb 29 12:00:00 h a: m', { now })?.timestamp).toBe('2028-02-29T12:00:00Z');
  });

  it('applies the default zone, summer and winter', () => {
    const berlin = { now: NOW, defaultTimeZone: 'Europe/Berlin' };
    expect(parseRfc3164('<13>Nov 24 22:31:05 h a: m', berlin)?.timestamp).toBe('2026-11-24T22:31:05+01:00');
    expect(parseRfc3164('<13>Jul 24 22:31:05 h a: m', berlin)?.timestamp).toBe('2026-07-24T22:31:05+02:00');
    const newYork = { now: NOW, defaultTimeZone: 'America/New_York' };
    expect(parseRfc3164('<13>Jul 24 22:31:05 h a: m', newYork)?.timestamp).toBe('2026-07-24T22:31:05-04:00');
    const kolkata = { now: NOW, defaultTimeZone: 'Asia/Kolkata' };
    expect(parseRfc3164('<13>Jul 24 22:31:05 h a: m', kolkata)?.timestamp).toBe('2026-07-24T22:31:05+05:30');
  });

  it('gives a wall-clock time around a DST change its offset', () => {
    const berlin = { now: NOW, defaultTimeZone: 'Europe/Berlin' };
    // 29 March 2026: 02:00 CET becomes 03:00 CEST.
    expect(parseRfc3164('<13>Mar 29 01:59:59 h a: m', berlin)?.timestamp).toBe('2026-03-29T01:59:59+01:00');
    expect(parseRfc3164('<13>Mar 29 03:00:00 h a: m', berlin)?.timestamp).toBe('2026-03-29T03:00:00+02:00');
    expect(parseRfc3164('<13>Mar 29 02:30:00 h a: m', berlin)?.timestamp).toBe('2026-03-29T02:30:00+01:00');
  });

  it('counts an unknown default zone as UTC', () => {
    expect(
      parseRfc3164('<13>Nov 24 22:31:05 h a: m', { now: NOW, defaultTimeZone: 'Mars/Olympus_Mons' })
        ?.timestamp,
    ).toBe('2026-11-24T22:31:05Z');
  });

  it('keeps fractions of a BSD timestamp', () => {
    expect(parseRfc3164('<13>Nov 24 22:31:05.123456 h a: m', options)?.timestamp).toBe(
      '2026-11-24T22:31:05.123456Z',
    );
  });

  it('reads a month name in capitals', () => {
    expect(parseRfc3164('<13>NOV 24 22:31:05 h a: m', options)?.timestamp).toBe('2026-11-24T22:31:05Z');
  });
});

describe('parseRfc3164 Cisco variants', () => {
  it('reads a clock marked as having lost synchronisation (.)', () => {
    expect(parseRfc3164('<189>7: .Nov 24 22:31:05.001: %SYS-6-CLOCKUPDATE: x', options)).toMatchObject({
      ...LOCAL7_NOTICE,
      sequence: 7,
      timestamp: '2026-11-24T22:31:05.001Z',
      timestamp_raw: '.Nov 24 22:31:05.001',
      message: '%SYS-6-CLOCKUPDATE: x',
    });
  });

  it('takes a zone word other than UTC or GMT as the default zone', () => {
    const parsed = parseRfc3164('<189>8: Nov 24 22:31:05.123 CET: %SYS-5-CONFIG_I: x', {
      now: NOW,
      defaultTimeZone: 'Europe/Paris',
    });
    expect(parsed).toMatchObject({
      timestamp: '2026-11-24T22:31:05.123+01:00',
      timestamp_raw: 'Nov 24 22:31:05.123 CET',
      message: '%SYS-5-CONFIG_I: x',
    });
    expect(
      parseRfc3164('<189>9: Nov 24 22:31:05 GMT: %X-1-Y: z', { now: NOW, defaultTimeZone: 'Europe/Paris' })
        ?.timestamp,
    ).toBe('2026-11-24T22:31:05Z');
  });

  it('reads a sequence number followed by a message without timestamp', () => {
    expect(parseRfc3164('<189>31: %SYS-5-CONFIG_I: x', options)).toMatchObject({
      sequence: 31,
      timestamp: undefined,
      message: '%SYS-5-CONFIG_I: x',
    });
  });

  it('keeps digits and a colon that lead to nothing Cisco-like in the message', () => {
    expect(parseRfc3164('<13>12: not cisco', options)).toMatchObject({
      sequence: undefined,
      message: '12: not cisco',
    });
  });
});
