import { describe, expect, it } from 'vitest';
import { indexFor, sanitizeDataset } from '../../../../core/event/index-name.ts';

describe('indexFor', () => {
  it('names the index <prefix>-<dataset>-<yyyy.mm.dd>', () => {
    expect(indexFor('vigil', 'linux.auth', '2026-11-24T10:00:00Z')).toBe('vigil-linux.auth-2026.11.24');
  });

  it('uses the UTC day for a time late in the evening west of UTC', () => {
    expect(indexFor('vigil', 'linux.auth', '2026-11-24T23:30:00-05:00')).toBe('vigil-linux.auth-2026.11.25');
  });

  it('uses the UTC day for a time early in the morning east of UTC', () => {
    expect(indexFor('vigil', 'linux.auth', '2026-11-25T00:30:00+02:00')).toBe('vigil-linux.auth-2026.11.24');
  });

  it('keeps the day of the last millisecond before UTC midnight', () => {
    expect(indexFor('vigil', 'linux.auth', '2026-12-31T23:59:59.999Z')).toBe('vigil-linux.auth-2026.12.31');
  });

  it('accepts a Date as well as a string', () => {
    expect(indexFor('vigil', 'linux.auth', new Date('2026-11-24T23:30:00-05:00'))).toBe(
      'vigil-linux.auth-2026.11.25',
    );
  });

  it('uses the configured prefix', () => {
    expect(indexFor('siem', 'linux.auth', '2026-11-24T10:00:00Z')).toBe('siem-linux.auth-2026.11.24');
  });

  it('sanitizes the dataset', () => {
    expect(indexFor('vigil', 'Apache Access', '2026-11-24T10:00:00Z')).toBe('vigil-apache-access-2026.11.24');
  });

  it('falls back to 1970.01.01 for a timestamp that is not a date', () => {
    expect(indexFor('vigil', 'linux.auth', 'yesterday at noon')).toBe('vigil-linux.auth-1970.01.01');
  });

  it('falls back to 1970.01.01 for an invalid Date', () => {
    expect(indexFor('vigil', 'linux.auth', new Date(Number.NaN))).toBe('vigil-linux.auth-1970.01.01');
  });

  it('falls back to 1970.01.01 for an empty timestamp', () => {
    expect(indexFor('vigil', 'linux.auth', '')).toBe('vigil-linux.auth-1970.01.01');
  });
});

describe('sanitizeDataset', () => {
  it('keeps a dataset that is already valid', () => {
    expect(sanitizeDataset('linux.auth')).toBe('linux.auth');
  });

  it('keeps digits, dots, dashes and underscores', () => {
    expect(sanitizeDataset('fw_2.cisco-asa')).toBe('fw_2.cisco-asa');
  });

  it('lowercases the dataset', () => {
    expect(sanitizeDataset('Linux.Auth')).toBe('linux.auth');
  });

  it('replaces each run of disallowed characters with one dash', () => {
    expect(sanitizeDataset('apache  access/v2')).toBe('apache-access-v2');
  });

  it('removes characters OpenSearch forbids in index names', () => {
    expect(sanitizeDataset('a*b?c"d<e>f|g,h#i\\j')).toBe('a-b-c-d-e-f-g-h-i-j');
  });

  it('strips leading dashes, dots and underscores', () => {
    expect(sanitizeDataset('../_-linux')).toBe('linux');
  });

  it('returns generic for an empty dataset', () => {
    expect(sanitizeDataset('')).toBe('generic');
  });

  it('returns generic when nothing valid remains', () => {
    expect(sanitizeDataset('***')).toBe('generic');
  });
});

describe('indexFor on UTC ISO times', () => {
  it('agrees with the day Date gives, for ordinary and odd times', () => {
    for (const ts of [
      '2026-11-24T23:59:59.999Z',
      '2026-01-01T00:00:00Z',
      '2026-02-28T12:00Z',
      '2026-02-30T00:00:00Z',
      '2026-12-31T24:00:00Z',
      '2026-11-24T10:00:00+05:00',
      'not a time',
    ]) {
      const date = new Date(ts);
      const expected = Number.isNaN(date.getTime())
        ? '1970.01.01'
        : date.toISOString().slice(0, 10).replaceAll('-', '.');
      expect(indexFor('vigil', 'a', ts)).toBe(`vigil-a-${expected}`);
    }
  });

  it('names each event by its own prefix, dataset and day when consecutive events differ in one of them', () => {
    expect(indexFor('vigil', 'a', '2026-11-24T10:00:00.000Z')).toBe('vigil-a-2026.11.24');
    expect(indexFor('vigil', 'a', '2026-11-24T23:59:59.999Z')).toBe('vigil-a-2026.11.24');
    expect(indexFor('vigil', 'b', '2026-11-24T10:00:00.000Z')).toBe('vigil-b-2026.11.24');
    expect(indexFor('other', 'b', '2026-11-24T10:00:00.000Z')).toBe('other-b-2026.11.24');
    expect(indexFor('other', 'b', '2026-11-25T10:00:00.000Z')).toBe('other-b-2026.11.25');
    expect(indexFor('other', 'b', '2026-11-25T24:00:00.000Z')).toBe('other-b-2026.11.26');
    expect(indexFor('other', 'b', '2026-11-25T10:00:00.000+01:00')).toBe('other-b-2026.11.25');
    expect(indexFor('other', 'b', '2026-11-25T00:30:00.000+01:00')).toBe('other-b-2026.11.24');
  });
});
