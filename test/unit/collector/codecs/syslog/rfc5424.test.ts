import { describe, expect, it } from 'vitest';
import type { SyslogMessage } from '../../../../../collector/codecs/syslog/message.ts';
import { parseRfc5424 } from '../../../../../collector/codecs/syslog/rfc5424.ts';

const BOM = '\uFEFF';

/** Golden fixtures: a line as sent and the message it must give. */
const GOLDEN: Array<{ name: string; line: string; expected: SyslogMessage }> = [
  {
    name: 'RFC 5424 §6.5 example 1 (no structured data, BOM before MSG)',
    line: `<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - ${BOM}'su root' failed for lonvick on /dev/pts/8`,
    expected: {
      format: 'rfc5424',
      priority: 34,
      facility: 4,
      severity: 2,
      facility_name: 'auth',
      severity_name: 'crit',
      version: 1,
      timestamp: '2003-10-11T22:14:15.003Z',
      timestamp_raw: '2003-10-11T22:14:15.003Z',
      hostname: 'mymachine.example.com',
      app_name: 'su',
      msg_id: 'ID47',
      message: "'su root' failed for lonvick on /dev/pts/8",
    },
  },
  {
    name: 'RFC 5424 §6.5 example 2 (microseconds and an offset, no BOM)',
    line: "<165>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc 8710 - - %% It's time to make the do-nuts.",
    expected: {
      format: 'rfc5424',
      priority: 165,
      facility: 20,
      severity: 5,
      facility_name: 'local4',
      severity_name: 'notice',
      version: 1,
      timestamp: '2003-08-24T05:14:15.000003-07:00',
      timestamp_raw: '2003-08-24T05:14:15.000003-07:00',
      hostname: '192.0.2.1',
      app_name: 'myproc',
      proc_id: '8710',
      message: "%% It's time to make the do-nuts.",
    },
  },
  {
    name: 'RFC 5424 §6.5 example 3 (structured data and MSG)',
    line: `<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"] ${BOM}An application event log entry...`,
    expected: {
      format: 'rfc5424',
      priority: 165,
      facility: 20,
      severity: 5,
      facility_name: 'local4',
      severity_name: 'notice',
      version: 1,
      timestamp: '2003-10-11T22:14:15.003Z',
      timestamp_raw: '2003-10-11T22:14:15.003Z',
      hostname: 'mymachine.example.com',
      app_name: 'evntslog',
      msg_id: 'ID47',
      structured_data: { 'exampleSDID@32473': { iut: '3', eventSource: 'Application', eventID: '1011' } },
      message: 'An application event log entry...',
    },
  },
  {
    name: 'RFC 5424 §6.5 example 4 (two SD elements, no MSG)',
    line: '<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"][examplePriority@32473 class="high"]',
    expected: {
      format: 'rfc5424',
      priority: 165,
      facility: 20,
      severity: 5,
      facility_name: 'local4',
      severity_name: 'notice',
      version: 1,
      timestamp: '2003-10-11T22:14:15.003Z',
      timestamp_raw: '2003-10-11T22:14:15.003Z',
      hostname: 'mymachine.example.com',
      app_name: 'evntslog',
      msg_id: 'ID47',
      structured_data: {
        'exampleSDID@32473': { iut: '3', eventSource: 'Application', eventID: '1011' },
        'examplePriority@32473': { class: 'high' },
      },
      message: '',
    },
  },
  {
    name: 'util-linux logger --rfc5424',
    line: '<13>1 2026-11-24T22:31:05.123456+00:00 host user - - [timeQuality tzKnown="1" isSynced="0"] msg',
    expected: {
      format: 'rfc5424',
      priority: 13,
      facility: 1,
      severity: 5,
      facility_name: 'user',
      severity_name: 'notice',
      version: 1,
      timestamp: '2026-11-24T22:31:05.123456+00:00',
      timestamp_raw: '2026-11-24T22:31:05.123456+00:00',
      hostname: 'host',
      app_name: 'user',
      structured_data: { timeQuality: { tzKnown: '1', isSynced: '0' } },
      message: 'msg',
    },
  },
  {
    name: 'Junos structured-data format',
    line: '<29>1 2026-11-24T22:31:05.481+01:00 mx-01 mgd 4321 UI_COMMIT [junos@2636.1.1.1.2.18 username="admin" comment=""] User \'admin\' requested \'commit\' operation',
    expected: {
      format: 'rfc5424',
      priority: 29,
      facility: 3,
      severity: 5,
      facility_name: 'daemon',
      severity_name: 'notice',
      version: 1,
      timestamp: '2026-11-24T22:31:05.481+01:00',
      timestamp_raw: '2026-11-24T22:31:05.481+01:00',
      hostname: 'mx-01',
      app_name: 'mgd',
      proc_id: '4321',
      msg_id: 'UI_COMMIT',
      structured_data: { 'junos@2636.1.1.1.2.18': { username: 'admin', comment: '' } },
      message: "User 'admin' requested 'commit' operation",
    },
  },
];

describe('parseRfc5424 golden fixtures', () => {
  for (const { name, line, expected } of GOLDEN) {
    it(`parses ${name}`, () => {
      expect(parseRfc5424(line)).toEqual(expected);
    });
  }
});

describe('parseRfc5424', () => {
  it('leaves every NILVALUE field undefined', () => {
    expect(parseRfc5424('<13>1 - - - - - -')).toEqual({
      format: 'rfc5424',
      priority: 13,
      facility: 1,
      severity: 5,
      facility_name: 'user',
      severity_name: 'notice',
      version: 1,
      message: '',
    });
  });

  it('gives every parsed message the same set of keys', () => {
    const a = parseRfc5424('<13>1 - - - - - -');
    const b = parseRfc5424(GOLDEN[3]!.line);
    expect(Object.keys(a ?? {})).toEqual(Object.keys(b ?? {}));
  });

  it('reads an RFC 3339 offset timestamp with a short fraction', () => {
    expect(parseRfc5424('<13>1 1985-04-12T19:20:50.52-04:00 h a p m - x')?.timestamp).toBe(
      '1985-04-12T19:20:50.52-04:00',
    );
  });

  it('accepts fractions of up to nine digits', () => {
    expect(parseRfc5424('<13>1 2026-11-24T22:31:05.123456789Z h a p m - x')?.timestamp).toBe(
      '2026-11-24T22:31:05.123456789Z',
    );
    expect(parseRfc5424('<13>1 2026-11-24T22:31:05.1234567890Z h a p m - x')).toBeUndefined();
  });

  it('unescapes \\", \\\\ and \\] in param values and keeps other backslashes', () => {
    const parsed = parseRfc5424('<13>1 - h a - - [x@1 q="say \\"hi\\"" b="C:\\\\dir" c="[a\\]" d="\\n"] m');
    expect(parsed?.structured_data).toEqual({ 'x@1': { q: 'say "hi"', b: 'C:\\dir', c: '[a]', d: '\\n' } });
    expect(parsed?.message).toBe('m');
  });

  it('accepts an unescaped ] inside a quoted value', () => {
    expect(parseRfc5424('<13>1 - h a - - [x@1 v="a]b"] m')?.structured_data).toEqual({ 'x@1': { v: 'a]b' } });
  });

  it('collects a repeated param into an array, in order', () => {
    const parsed = parseRfc5424('<13>1 - h a - - [x@1 ip="10.0.0.1" ip="10.0.0.2" ip="10.0.0.3" n="1"] m');
    expect(parsed?.structured_data).toEqual({ 'x@1': { ip: ['10.0.0.1', '10.0.0.2', '10.0.0.3'], n: '1' } });
  });

  it('merges the params of a repeated SD-ID', () => {
    const parsed = parseRfc5424('<13>1 - h a - - [x@1 a="1"][y@1][x@1 a="2" b="3"] m');
    expect(parsed?.structured_data).toEqual({ 'x@1': { a: ['1', '2'], b: '3' }, 'y@1': {} });
  });

  it('keeps UTF-8 and spaces in param values and MSG', () => {
    const parsed = parseRfc5424(`<13>1 - h a - - [x@1 city="Zürich  Altstetten"] ${BOM}grüezi  mitenand`);
    expect(parsed?.structured_data).toEqual({ 'x@1': { city: 'Zürich  Altstetten' } });
    expect(parsed?.message).toBe('grüezi  mitenand');
  });

  it('keeps a BOM that is not at the start of MSG', () => {
    expect(parseRfc5424(`<13>1 - h a - - - a${BOM}b`)?.message).toBe(`a${BOM}b`);
  });

  it('stores an SD-ID named __proto__ as data without touching the prototype', () => {
    const parsed = parseRfc5424('<13>1 - h a - - [__proto__ polluted="yes"] m');
    expect(Object.getPrototypeOf(parsed?.structured_data)).toBe(Object.prototype);
    expect(Object.hasOwn(parsed?.structured_data ?? {}, '__proto__')).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('reads facility and severity from PRI 0 and 191', () => {
    expect(parseRfc5424('<0>1 - - - - - -')).toMatchObject({ facility_name: 'kern', severity_name: 'emerg' });
    expect(parseRfc5424('<191>1 - - - - - -')).toMatchObject({
      facility_name: 'local7',
      severity_name: 'debug',
    });
  });

  const NOT_RFC5424: Array<[string, string]> = [
    ['an RFC 3164 message', '<13>Nov 24 22:31:05 host user: msg'],
    ['a message without PRI', '1 2026-11-24T22:31:05Z h a p m - x'],
    ['a PRI above 191', '<192>1 - - - - - -'],
    ['version 0', '<13>0 - - - - - -'],
    ['a missing STRUCTURED-DATA', '<13>1 2026-11-24T22:31:05Z h a p m'],
    ['a timestamp without offset', '<13>1 2026-11-24T22:31:05 h a p m - x'],
    ['a lower-case t in the timestamp', '<13>1 2026-11-24t22:31:05Z h a p m - x'],
    ['month 13', '<13>1 2026-13-24T22:31:05Z h a p m - x'],
    ['February 30', '<13>1 2026-02-30T22:31:05Z h a p m - x'],
    ['February 29 of a common year', '<13>1 2026-02-29T22:31:05Z h a p m - x'],
    ['hour 24', '<13>1 2026-11-24T24:00:00Z h a p m - x'],
    ['a leap second', '<13>1 2016-12-31T23:59:60Z h a p m - x'],
    ['an offset of 24 hours', '<13>1 2026-11-24T22:31:05+24:00 h a p m - x'],
    ['two spaces between fields', '<13>1 2026-11-24T22:31:05Z  h a p m - x'],
    ['an unterminated SD element', '<13>1 - h a - - [x@1 a="1" m'],
    ['an unterminated param value', '<13>1 - h a - - [x@1 a="1] m'],
    ['a param without quotes', '<13>1 - h a - - [x@1 a=1] m'],
    ['an empty SD-ID', '<13>1 - h a - - [ a="1"] m'],
    ['text glued to the SD', '<13>1 - h a - - [x@1 a="1"]m'],
    ['text glued to a NILVALUE SD', '<13>1 - h a - - -m'],
    ['an empty string', ''],
  ];
  for (const [what, line] of NOT_RFC5424) {
    it(`returns undefined for ${what}`, () => {
      expect(parseRfc5424(line)).toBeUndefined();
    });
  }
});
