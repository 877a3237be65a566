import { describe, expect, it } from 'vitest';
import type { EcsEvent } from '../../../../../processor/event-builder.ts';
import type { PipelineStep } from '../../../../../processor/pipeline/step.ts';
import { dateStep, dateStepWithClock } from '../../../../../processor/transforms/date/date-step.ts';
import { stepContext, stepEvent } from '../../../../helpers/pipeline-steps.ts';

const context = stepContext();

const INITIAL = '2000-01-01T00:00:00.000Z';

function build(options: Record<string, unknown>, now?: string): PipelineStep {
  const definition = now === undefined ? dateStep : dateStepWithClock(() => new Date(now));
  return definition.create(definition.schema.parse(options), context);
}

function makeEvent(fields: Record<string, unknown> = {}): EcsEvent {
  return stepEvent(fields, INITIAL);
}

/** The @timestamp a step makes of `text`, or the failure. */
function parse(
  text: unknown,
  formats: string[],
  options: Record<string, unknown> = {},
  now?: string,
): unknown {
  const event = makeEvent({ timestamp: text });
  const result = build({ formats, ...options }, now).run(event);
  return result === undefined ? event['@timestamp'] : result;
}

const NO_MATCH = { failure: 'no format matched' };

describe('date step', () => {
  describe('ISO8601', () => {
    it('reads UTC, offsets in every form and fractions of a second', () => {
      const iso = ['ISO8601'];
      expect(parse('2024-01-15T12:00:00Z', iso)).toBe('2024-01-15T12:00:00.000Z');
      expect(parse('2024-01-15T12:00:00.5+01:00', iso)).toBe('2024-01-15T11:00:00.500Z');
      expect(parse('2024-01-15T12:00:00.123456789-0530', iso)).toBe('2024-01-15T17:30:00.123Z');
      expect(parse('2024-01-15 12:00:00,25 +02', iso)).toBe('2024-01-15T10:00:00.250Z');
      expect(parse('2024-01-15t12:00z', iso)).toBe('2024-01-15T12:00:00.000Z');
    });

    it('reads a date without offset in the timezone, UTC by default', () => {
      expect(parse('2024-01-15T12:00:00', ['ISO8601'])).toBe('2024-01-15T12:00:00.000Z');
      expect(parse('2024-01-15', ['ISO8601'])).toBe('2024-01-15T00:00:00.000Z');
      expect(parse('2024-01-15T12:00:00', ['ISO8601'], { timezone: 'Asia/Kolkata' })).toBe(
        '2024-01-15T06:30:00.000Z',
      );
    });

    it('prefers the offset in the text to the timezone', () => {
      expect(parse('2024-01-15T12:00:00Z', ['ISO8601'], { timezone: 'Europe/Berlin' })).toBe(
        '2024-01-15T12:00:00.000Z',
      );
    });

    it('refuses dates and times that do not exist', () => {
      for (const text of [
        '2024-02-30T00:00:00Z',
        '2023-02-29T00:00:00Z',
        '2024-13-01T00:00:00Z',
        '2024-00-10T00:00:00Z',
        '2024-01-15T24:00:00Z',
        '2024-01-15T12:60:00Z',
        '2024-01-15T12:00:60Z',
        '2024-01-15T12:00:00+24:00',
        '2024-1-15T12:00:00Z',
        '2024-01-15T12:00:00.1234567890Z',
        '2024-01-15T12:00:00 Z junk',
      ]) {
        expect(parse(text, ['ISO8601']), text).toEqual(NO_MATCH);
      }
      expect(parse('2024-02-29T00:00:00Z', ['ISO8601'])).toBe('2024-02-29T00:00:00.000Z');
    });

    it('reads years before 100 without turning them into the 1900s', () => {
      expect(parse('0050-06-01T00:00:00Z', ['ISO8601'])).toBe('0050-06-01T00:00:00.000Z');
    });
  });

  describe('time zones', () => {
    const berlin = { timezone: 'Europe/Berlin' };

    it('applies winter and summer time', () => {
      expect(parse('2024-01-15 12:00:00', ['ISO8601'], berlin)).toBe('2024-01-15T11:00:00.000Z');
      expect(parse('2024-07-15 12:00:00', ['ISO8601'], berlin)).toBe('2024-07-15T10:00:00.000Z');
      const newYork = { timezone: 'America/New_York' };
      expect(parse('2024-12-25 12:00:00', ['ISO8601'], newYork)).toBe('2024-12-25T17:00:00.000Z');
      expect(parse('2024-07-04 12:00:00', ['ISO8601'], newYork)).toBe('2024-07-04T16:00:00.000Z');
    });

    it('switches exactly at the transitions', () => {
      expect(parse('2024-03-31 01:59:59', ['ISO8601'], berlin)).toBe('2024-03-31T00:59:59.000Z');
      expect(parse('2024-03-31 03:00:00', ['ISO8601'], berlin)).toBe('2024-03-31T01:00:00.000Z');
      expect(parse('2024-10-27 01:59:59', ['ISO8601'], berlin)).toBe('2024-10-26T23:59:59.000Z');
      expect(parse('2024-10-27 03:00:00', ['ISO8601'], berlin)).toBe('2024-10-27T02:00:00.000Z');
    });

    it('moves a time in the spring-forward gap on by the gap', () => {
      // 02:30 does not exist in Berlin that night; it is read as 03:30 summer time.
      expect(parse('2024-03-31 02:30:00', ['ISO8601'], berlin)).toBe('2024-03-31T01:30:00.000Z');
    });

    it('reads a time that occurs twice at the fall-back as the first of the two', () => {
      expect(parse('2024-10-27 02:30:00', ['ISO8601'], berlin)).toBe('2024-10-27T00:30:00.000Z');
    });

    it('handles zones with half-hour and no daylight saving time', () => {
      expect(parse('2024-07-01 12:00:00', ['ISO8601'], { timezone: 'Asia/Kathmandu' })).toBe(
        '2024-07-01T06:15:00.000Z',
      );
      expect(parse('2024-01-01 12:00:00', ['ISO8601'], { timezone: 'Australia/Adelaide' })).toBe(
        '2024-01-01T01:30:00.000Z',
      );
    });

    it('treats UTC aliases as UTC', () => {
      expect(parse('2024-07-01 12:00:00', ['ISO8601'], { timezone: 'Etc/UTC' })).toBe(
        '2024-07-01T12:00:00.000Z',
      );
    });
  });

  describe('UNIX and UNIX_MS', () => {
    it('reads seconds as text, with a fraction, or as a number', () => {
      expect(parse('1705320000', ['UNIX'])).toBe('2024-01-15T12:00:00.000Z');
      expect(parse('1705320000.123456', ['UNIX'])).toBe('2024-01-15T12:00:00.123Z');
      expect(parse('1705320000.5', ['UNIX'])).toBe('2024-01-15T12:00:00.500Z');
      expect(parse(1705320000.123, ['UNIX'])).toBe('2024-01-15T12:00:00.123Z');
      expect(parse('-1.5', ['UNIX'])).toBe('1969-12-31T23:59:58.500Z');
      expect(parse('0', ['UNIX'])).toBe('1970-01-01T00:00:00.000Z');
    });

    it('reads milliseconds as text or number', () => {
      expect(parse('1705320000123', ['UNIX_MS'])).toBe('2024-01-15T12:00:00.123Z');
      expect(parse(1705320000123, ['UNIX_MS'])).toBe('2024-01-15T12:00:00.123Z');
      expect(parse('1705320000123.9', ['UNIX_MS'])).toBe('2024-01-15T12:00:00.123Z');
    });

    it('refuses other text, infinite numbers and dates beyond year 9999', () => {
      for (const value of [
        '',
        '12a',
        '1e9',
        ' 1',
        '0x10',
        '1.',
        Number.POSITIVE_INFINITY,
        Number.NaN,
        1e15,
      ]) {
        expect(parse(value, ['UNIX']), String(value)).toEqual(NO_MATCH);
      }
      expect(parse('9'.repeat(100_000), ['UNIX', 'UNIX_MS'])).toEqual(NO_MATCH);
    });

    it('refuses numbers for the text formats', () => {
      expect(parse(1705320000, ['ISO8601', 'RFC3164', 'yyyyMMdd'])).toEqual(NO_MATCH);
    });
  });

  describe('RFC3164 and year inference', () => {
    const now = '2024-06-15T12:00:00Z';

    it('reads syslog dates with one- or two-digit days, space-padded or not', () => {
      expect(parse('Jan 15 12:00:00', ['RFC3164'], {}, now)).toBe('2024-01-15T12:00:00.000Z');
      expect(parse('Jan  5 08:09:10', ['RFC3164'], {}, now)).toBe('2024-01-05T08:09:10.000Z');
      expect(parse('Jan 5 08:09:10', ['RFC3164'], {}, now)).toBe('2024-01-05T08:09:10.000Z');
      expect(parse('Jun 05 08:09:10', ['RFC3164'], {}, now)).toBe('2024-06-05T08:09:10.000Z');
      expect(parse('jun 05 08:09:10', ['RFC3164'], {}, now)).toBe('2024-06-05T08:09:10.000Z');
    });

    it('puts a December line read in January in the previous year', () => {
      expect(parse('Dec 31 23:59:59', ['RFC3164'], {}, '2024-01-01T00:10:00Z')).toBe(
        '2023-12-31T23:59:59.000Z',
      );
    });

    it('keeps the current year for dates up to a day in the future, not beyond', () => {
      const early = '2024-01-01T00:10:00Z';
      expect(parse('Jan  1 23:00:00', ['RFC3164'], {}, early)).toBe('2024-01-01T23:00:00.000Z');
      expect(parse('Jan  3 00:00:00', ['RFC3164'], {}, early)).toBe('2023-01-03T00:00:00.000Z');
    });

    it("takes the current year in the timezone's own calendar", () => {
      // It is already 2025 in Tokyo.
      expect(parse('Jan  1 08:00:00', ['RFC3164'], { timezone: 'Asia/Tokyo' }, '2024-12-31T23:30:00Z')).toBe(
        '2024-12-31T23:00:00.000Z',
      );
    });

    it('finds the last 29 February', () => {
      expect(parse('Feb 29 10:00:00', ['RFC3164'], {}, '2025-03-10T00:00:00Z')).toBe(
        '2024-02-29T10:00:00.000Z',
      );
      expect(parse('Feb 30 10:00:00', ['RFC3164'], {}, now)).toEqual(NO_MATCH);
    });

    it('refuses unknown month names', () => {
      expect(parse('Foo 15 12:00:00', ['RFC3164'], {}, now)).toEqual(NO_MATCH);
    });

    it('uses the real clock by default', () => {
      const result = parse('Jan  1 00:00:00', ['RFC3164']) as string;
      const year = Number(result.slice(0, 4));
      expect([new Date().getUTCFullYear(), new Date().getUTCFullYear() - 1]).toContain(year);
    });
  });

  describe('HTTPDATE and patterns', () => {
    it('reads the Apache common log date', () => {
      expect(parse('15/Jan/2024:12:00:00 +0100', ['HTTPDATE'])).toBe('2024-01-15T11:00:00.000Z');
      expect(parse('15/Jan/2024:12:00:00 +0100', ['dd/MMM/yyyy:HH:mm:ss Z'])).toBe(
        '2024-01-15T11:00:00.000Z',
      );
    });

    it('reads patterns with fractions of any length', () => {
      const log4j = ['yyyy-MM-dd HH:mm:ss,SSS'];
      expect(parse('2024-01-15 12:00:00,123', log4j)).toBe('2024-01-15T12:00:00.123Z');
      expect(parse('2024-01-15 12:00:00,1', log4j)).toBe('2024-01-15T12:00:00.100Z');
      expect(parse('2024-01-15 12:00:00,123456789', log4j)).toBe('2024-01-15T12:00:00.123Z');
    });

    it('reads one-digit fields, two-digit years and quoted literals', () => {
      expect(parse('5.1.24 7:03:09', ['d.M.yy H:m:s'])).toBe('2024-01-05T07:03:09.000Z');
      expect(parse('31.12.99', ['dd.MM.yy'])).toBe('1999-12-31T00:00:00.000Z');
      expect(parse('2024-01-15T12:00:00', ["yyyy-MM-dd'T'HH:mm:ss"])).toBe('2024-01-15T12:00:00.000Z');
      expect(parse("day 15 o'clock 12 of 01/2024", ["'day' dd 'o''clock' HH 'of' MM/yyyy"])).toBe(
        '2024-01-15T12:00:00.000Z',
      );
      expect(parse('20240115120000', ['yyyyMMddHHmmss'])).toBe('2024-01-15T12:00:00.000Z');
    });

    it('reads offsets with ZZ and day names with EEE', () => {
      expect(parse('2024-01-15 12:00:00 +05:30', ['yyyy-MM-dd HH:mm:ss ZZ'])).toBe(
        '2024-01-15T06:30:00.000Z',
      );
      expect(parse('Mon Jan 15 12:00:00 2024', ['EEE MMM d HH:mm:ss yyyy'])).toBe('2024-01-15T12:00:00.000Z');
    });

    it('reads pattern dates without offset in the timezone', () => {
      expect(parse('2024-07-15 12:00:00', ['yyyy-MM-dd HH:mm:ss'], { timezone: 'Europe/Berlin' })).toBe(
        '2024-07-15T10:00:00.000Z',
      );
    });

    it('infers the year for any pattern without one', () => {
      expect(parse('12-31 23:00', ['MM-dd HH:mm'], {}, '2024-01-01T00:00:00Z')).toBe(
        '2023-12-31T23:00:00.000Z',
      );
    });

    it('matches the whole text only', () => {
      expect(parse('2024-01-15 x', ['yyyy-MM-dd'])).toEqual(NO_MATCH);
      expect(parse('x2024-01-15', ['yyyy-MM-dd'])).toEqual(NO_MATCH);
    });
  });

  describe('fixed-format scanners', () => {
    // A quoted literal makes the same pattern without its scanner: both must agree on every text.
    const cases: Array<[string, string, string[]]> = [
      [
        'dd/MMM/yyyy:HH:mm:ss Z',
        "dd'/'MMM'/'yyyy:HH:mm:ss Z",
        [
          '17/May/2015:10:05:03 +0000',
          '17/may/2015:10:05:03 -0730',
          '31/Feb/2015:10:05:03 +0000',
          '17/Mai/2015:10:05:03 +0000',
          '17/May/2015:24:05:03 +0000',
          '17/May/2015:10:05:03 +2400',
          '17/May/2015:10:05:03  +0000',
          '17/May/2015:10:05:03 +01:00',
          '7/May/2015:10:05:03 +0000',
          '17/M4y/2015:10:05:03 +0000',
        ],
      ],
      [
        'MMM d HH:mm:ss',
        "MMM d HH':'mm:ss",
        [
          'Jan 15 12:00:00',
          'Jan  5 12:00:00',
          'Jan 5 12:00:00',
          'jan 05 12:00:00',
          'Feb 29 10:00:00',
          'Jan 123 12:00:00',
          'Jan 32 12:00:00',
          'Jan15 12:00:00',
          'Jan 15  12:00:00',
          'Jan 15 1:00:00',
        ],
      ],
    ];
    for (const [pattern, unscanned, texts] of cases) {
      it(`reads ${pattern} as the general pattern does`, () => {
        for (const timezone of ['UTC', 'Europe/Berlin']) {
          for (const text of texts) {
            const options = { timezone };
            expect(parse(text, [pattern], options, '2016-03-01T00:00:00Z'), text).toEqual(
              parse(text, [unscanned], options, '2016-03-01T00:00:00Z'),
            );
          }
        }
      });
    }

    it('reads the common ISO8601 shapes as the other ISO8601 forms do', () => {
      const iso = ['ISO8601'];
      expect(parse('2024-01-15T12:00:00.123+01:00', iso)).toBe(parse('2024-01-15 12:00:00.123 +01:00', iso));
      expect(parse('2024-01-15T12:00:00Z', iso)).toBe(parse('2024-01-15T12:00Z', iso));
      expect(parse('2024-01-15T12:00:00.1234567890Z', iso)).toEqual(NO_MATCH);
      expect(parse('2024-01-15T12:00:00+24:00', iso)).toEqual(NO_MATCH);
      expect(parse('2024-02-30T12:00:00Z', iso)).toEqual(NO_MATCH);
    });
  });

  describe('options', () => {
    it('tries formats in order and takes the first that matches', () => {
      expect(parse('1705320000', ['ISO8601', 'UNIX_MS', 'UNIX'])).toBe('1970-01-20T17:42:00.000Z');
      expect(parse('2024-01-15', ['UNIX', 'ISO8601'])).toBe('2024-01-15T00:00:00.000Z');
    });

    it('fails with no format matched and leaves the event unchanged', () => {
      const event = makeEvent({ timestamp: 'yesterday' });
      const before = structuredClone(event);
      expect(build({ formats: ['ISO8601', 'UNIX'] }).run(event)).toEqual(NO_MATCH);
      expect(event).toEqual(before);
    });

    it('reads field and writes target', () => {
      const event = makeEvent({ log: { time: '2024-01-15T12:00:00Z' } });
      build({ field: 'log.time', target: 'event.created', formats: ['ISO8601'] }).run(event);
      expect(event.event).toEqual({ dataset: 'test', created: '2024-01-15T12:00:00.000Z' });
      expect(event['@timestamp']).toBe(INITIAL);
      expect(event.log).toEqual({ time: '2024-01-15T12:00:00Z' });
    });

    it('removes the source with remove_field, only when the date parsed', () => {
      const parsed = makeEvent({ timestamp: '2024-01-15T12:00:00Z' });
      build({ formats: ['ISO8601'], remove_field: true }).run(parsed);
      expect(parsed).not.toHaveProperty('timestamp');
      expect(parsed['@timestamp']).toBe('2024-01-15T12:00:00.000Z');

      const failed = makeEvent({ timestamp: 'garbage' });
      build({ formats: ['ISO8601'], remove_field: true }).run(failed);
      expect(failed.timestamp).toBe('garbage');
    });

    it('keeps the field when it is also the target', () => {
      const event = makeEvent({ '@timestamp': '2024-01-15 12:00:00' });
      build({ field: '@timestamp', formats: ['ISO8601'], remove_field: true }).run(event);
      expect(event['@timestamp']).toBe('2024-01-15T12:00:00.000Z');
    });
  });

  describe('failures and hostile input', () => {
    it('does nothing when the field is missing, and fails when it is neither text nor number', () => {
      expect(build({ formats: ['ISO8601'] }).run(makeEvent())).toBeUndefined();
      expect(parse({ a: 1 }, ['ISO8601'])).toEqual(NO_MATCH);
      expect(parse(['2024-01-15'], ['ISO8601'])).toEqual(NO_MATCH);
      expect(parse(null, ['ISO8601'])).toEqual(NO_MATCH);
    });

    it('fails with too long on text over 1 MB', () => {
      expect(parse(`2024-01-15${' '.repeat(1_048_576)}`, ['ISO8601'])).toEqual({ failure: 'too long' });
    });

    it('fails quickly on long text that nearly matches', () => {
      const formats = ['ISO8601', 'RFC3164', 'HTTPDATE', 'yyyy-MM-dd HH:mm:ss'];
      expect(parse(`2024-01-15 12:00:00${' '.repeat(1_000_000)}x`, formats)).toEqual(NO_MATCH);
      expect(parse(`Jan${' '.repeat(1_000_000)}5 12:00:00x`, formats)).toEqual(NO_MATCH);
      expect(parse('1'.repeat(1_000_000), formats)).toEqual(NO_MATCH);
    });

    it('does not backtrack over spaces in patterns with spaces next to spaces', () => {
      const formats = ["yyyy ' ' MM ' ' dd ' ' HH"];
      expect(parse(`2024${' '.repeat(100_000)}01${' '.repeat(100_000)}x`, formats)).toEqual(NO_MATCH);
      expect(parse('Jan  5 08:09:10', ["MMM ' 'd HH:mm:ss"], {}, '2024-06-01T00:00:00Z')).toEqual(NO_MATCH);
    });

    it('fails on lone UTF-16 surrogates', () => {
      expect(parse('2024-01-15\ud800', ['ISO8601'])).toEqual(NO_MATCH);
      expect(parse('\udc00an 15 12:00:00', ['RFC3164'])).toEqual(NO_MATCH);
    });
  });

  describe('configuration', () => {
    function problem(formats: string[]): string | undefined {
      const result = dateStep.schema.safeParse({ formats });
      expect(result.success).toBe(false);
      return result.error?.issues[0]?.message;
    }

    it('needs formats and has defaults for the other options', () => {
      expect(dateStep.schema.safeParse({}).success).toBe(false);
      expect(dateStep.schema.safeParse({ formats: [] }).success).toBe(false);
      expect(dateStep.schema.parse({ formats: ['ISO8601'] })).toEqual({
        field: 'timestamp',
        formats: ['ISO8601'],
        timezone: 'UTC',
        target: '@timestamp',
        remove_field: false,
      });
    });

    it('refuses unknown letters, unclosed quotes, repeated parts and missing month or day', () => {
      expect(problem(['yyyy-MM-dd hh:mm'])).toContain('"hh"');
      expect(problem(['yyy-MM-dd'])).toContain('"yyy"');
      expect(problem(['MMMM dd'])).toContain('"MMMM"');
      expect(problem(['iso8601'])).toBe(
        '"iso8601" is neither a date pattern nor a named format (ISO8601, UNIX, UNIX_MS, RFC3164, HTTPDATE)',
      );
      expect(problem(['RFC5424'])).toContain('neither a date pattern nor a named format');
      expect(problem(["yyyy-MM-dd'T"])).toContain('unclosed quote');
      expect(problem(['yyyy-MM-dd yy'])).toContain('the year twice');
      expect(problem(['yyyy-MM HH:mm'])).toContain('needs the month');
    });

    it('refuses unknown time zones and unsafe field names', () => {
      expect(dateStep.schema.safeParse({ formats: ['UNIX'], timezone: 'Mars/Olympus' }).success).toBe(false);
      expect(dateStep.schema.safeParse({ formats: ['UNIX'], target: '__proto__' }).success).toBe(false);
    });

    it('describes every option with its default', () => {
      for (const [key, option] of Object.entries(dateStep.schema.shape)) {
        expect(option.description, key).toMatch(/default|required/);
      }
    });
  });
});
