import { describe, expect, it } from 'vitest';
import {
  decodeMessage,
  decodeRecord,
  encodeBundle,
  encodeRecord,
  eventId,
  type RawRecord,
  recordIdentity,
  recordKey,
  sameBundle,
} from '../../../../core/event/raw-record.ts';

function record(overrides: Partial<RawRecord> = {}): RawRecord {
  return {
    collector: { id: 'web-1', version: '0.1.0' },
    host: { name: 'web-1' },
    stream: { id: 'file:803:1a2b', kind: 'file' },
    offset: 4096,
    line: 'Nov 24 10:00:00 web-1 sshd[1]: Accepted password for alice',
    dataset: 'linux.auth',
    observed_at: '2026-11-24T10:00:00.000Z',
    file: { path: '/var/log/auth.log' },
    ...overrides,
  };
}

/** A valid record as JSON with some of its fields replaced or removed (undefined). */
function json(changes: Record<string, unknown>): string {
  return JSON.stringify({ ...record(), ...changes });
}

describe('eventId', () => {
  it('is the same for the same collector, stream and offset', () => {
    expect(eventId(record())).toBe(
      eventId(record({ line: 'other text', observed_at: '2027-01-01T00:00:00Z' })),
    );
  });

  it('keeps its value across releases, so replays of old records still deduplicate', () => {
    expect(eventId(record())).toBe('zvvJIe_jUtymtSPjnyhQz1c8OyM');
  });

  it('is 27 characters of base64url', () => {
    expect(eventId(record())).toMatch(/^[A-Za-z0-9_-]{27}$/);
  });

  it('differs when the collector differs', () => {
    expect(eventId(record({ collector: { id: 'web-2', version: '0.1.0' } }))).not.toBe(eventId(record()));
  });

  it('differs when the stream differs', () => {
    expect(eventId(record({ stream: { id: 'file:803:1a2c', kind: 'file' } }))).not.toBe(eventId(record()));
  });

  it('differs when the offset differs', () => {
    expect(eventId(record({ offset: 4097 }))).not.toBe(eventId(record()));
  });

  it('does not depend on the collector version', () => {
    expect(eventId(record({ collector: { id: 'web-1', version: '9.9.9' } }))).toBe(eventId(record()));
  });
});

describe('recordIdentity', () => {
  it('joins collector id, stream id and offset with slashes', () => {
    expect(recordIdentity(record())).toBe('web-1/file:803:1a2b/4096');
  });
});

describe('recordKey', () => {
  it('joins collector id and stream id', () => {
    expect(recordKey(record())).toBe('web-1/file:803:1a2b');
  });

  it('is the same for two records of one stream at different offsets', () => {
    expect(recordKey(record({ offset: 0 }))).toBe(recordKey(record({ offset: 99 })));
  });

  it('differs between streams of one collector', () => {
    expect(recordKey(record({ stream: { id: 'syslog:udp', kind: 'syslog' } }))).not.toBe(recordKey(record()));
  });
});

describe('decodeRecord', () => {
  it('returns an encoded record unchanged', () => {
    expect(decodeRecord(encodeRecord(record()))).toEqual(record());
  });

  it('keeps the flags and the exact bytes of a record that has them', () => {
    const flagged = record({ flags: ['invalid_encoding'], line_base64: '/w==' });
    expect(decodeRecord(encodeRecord(flagged))).toEqual(flagged);
  });

  it('says the value is not JSON when it cannot be parsed', () => {
    const result = decodeRecord('{"collector":');
    expect(result).toEqual({ invalid: expect.stringMatching(/^value is not JSON: /) });
  });

  it.each([
    ['null', 'null'],
    ['a number', '42'],
    ['a string', '"line"'],
  ])('says the value is not a JSON object when it is %s', (_what, value) => {
    expect(decodeRecord(value)).toEqual({ invalid: 'value is not a JSON object' });
  });

  it('says collector.id is missing when there is no collector', () => {
    expect(decodeRecord(json({ collector: undefined }))).toEqual({ invalid: 'collector.id is missing' });
  });

  it('says collector.id is missing when the id is not a string', () => {
    expect(decodeRecord(json({ collector: { id: 7, version: '0.1.0' } }))).toEqual({
      invalid: 'collector.id is missing',
    });
  });

  it('says stream.id is missing when there is no stream', () => {
    expect(decodeRecord(json({ stream: undefined }))).toEqual({ invalid: 'stream.id is missing' });
  });

  it('says the offset is not an integer when it is a fraction', () => {
    expect(decodeRecord(json({ offset: 1.5 }))).toEqual({ invalid: 'offset is not an integer' });
  });

  it('says the offset is not an integer when it is a numeric string', () => {
    expect(decodeRecord(json({ offset: '12' }))).toEqual({ invalid: 'offset is not an integer' });
  });

  it('says the offset is not an integer when it is beyond the safe integers', () => {
    expect(decodeRecord(json({ offset: 2 ** 60 }))).toEqual({ invalid: 'offset is not an integer' });
  });

  it('says the line is missing when there is none', () => {
    expect(decodeRecord(json({ line: undefined }))).toEqual({ invalid: 'line is missing' });
  });

  it('accepts an empty line', () => {
    expect(decodeRecord(json({ line: '' }))).toMatchObject({ line: '' });
  });

  it('says observed_at is missing when there is none', () => {
    expect(decodeRecord(json({ observed_at: undefined }))).toEqual({ invalid: 'observed_at is missing' });
  });

  it('fills in the generic dataset when the record has none', () => {
    expect(decodeRecord(json({ dataset: undefined }))).toMatchObject({ dataset: 'generic' });
  });

  it('fills in an unknown host when the record has none', () => {
    expect(decodeRecord(json({ host: undefined }))).toMatchObject({ host: { name: 'unknown' } });
  });
});

describe('bundles (schema 2)', () => {
  const collector = { id: 'web-1', version: '0.1.0' };
  const host = { name: 'web-1' };
  const lines = [0, 60, 130].map((offset, i) => record({ collector, host, offset, line: `line ${i}` }));

  it('round-trips consecutive records of one stream through one message', () => {
    expect(decodeMessage(encodeBundle(lines))).toEqual(lines);
  });

  it('writes the stream metadata once, not per record', () => {
    const value = encodeBundle(lines);
    expect(value.split('"collector"')).toHaveLength(2);
    expect(value.split('/var/log/auth.log')).toHaveLength(2);
  });

  it('keeps per-record fields such as flags and the base64 copy', () => {
    const flagged = [record({ collector, host, flags: ['invalid_encoding'], line_base64: '/w==' })];
    expect(decodeMessage(encodeBundle(flagged))).toEqual(flagged);
  });

  it('still decodes a schema 1 message holding one record', () => {
    expect(decodeMessage(encodeRecord(record()))).toEqual([record()]);
  });

  it('names the record of a bundle that is invalid', () => {
    const value = JSON.parse(encodeBundle(lines)) as { records: Array<Record<string, unknown>> };
    delete value.records[1]?.line;
    expect(decodeMessage(JSON.stringify(value))).toEqual({ invalid: 'bundle record 1: line is missing' });
  });

  it('rejects a bundle without a records list', () => {
    expect(decodeMessage('{"v":2}')).toEqual({ invalid: 'bundle has no records list' });
  });

  it('tells records of another stream, dataset or file path apart', () => {
    const first = lines[0] as RawRecord;
    expect(sameBundle(first, lines[1] as RawRecord)).toBe(true);
    expect(sameBundle(first, { ...first, stream: { id: 'file:other', kind: 'file' } })).toBe(false);
    expect(sameBundle(first, { ...first, dataset: 'apache.access' })).toBe(false);
    expect(sameBundle(first, { ...first, file: { path: '/var/log/auth.log.1' } })).toBe(false);
  });
});
