import { describe, expect, it } from 'vitest';
import type { RawRecord } from '../../../core/event/raw-record.ts';
import { buildEvent } from '../../../processor/event-builder.ts';

function record(overrides: Partial<RawRecord> = {}): RawRecord {
  return {
    collector: { id: 'web-1', version: '0.1.0' },
    host: { name: 'web-1', ip: ['10.0.0.5'], os: { type: 'linux' } },
    stream: { id: 'file:803:1a2b', kind: 'file' },
    offset: 4096,
    line: 'Accepted password for alice from 10.0.0.9',
    dataset: 'linux.auth',
    observed_at: '2026-11-24T10:00:00.000Z',
    file: { path: '/var/log/auth.log' },
    ...overrides,
  };
}

const keep = { keepOriginal: true };

describe('buildEvent', () => {
  it('takes @timestamp from the time the collector read the line', () => {
    expect(buildEvent(record(), keep)['@timestamp']).toBe('2026-11-24T10:00:00.000Z');
  });

  it('takes the message from the line', () => {
    expect(buildEvent(record(), keep).message).toBe('Accepted password for alice from 10.0.0.9');
  });

  it('sets event.dataset from the record', () => {
    expect(buildEvent(record(), keep).event.dataset).toBe('linux.auth');
  });

  it('keeps the line as event.original when asked to', () => {
    expect(buildEvent(record(), { keepOriginal: true }).event.original).toBe(
      'Accepted password for alice from 10.0.0.9',
    );
  });

  it('leaves event.original out when not asked to keep it', () => {
    expect(buildEvent(record(), { keepOriginal: false }).event).not.toHaveProperty('original');
  });

  it('copies the host of the record', () => {
    expect(buildEvent(record(), keep).host).toEqual({
      name: 'web-1',
      ip: ['10.0.0.5'],
      os: { type: 'linux' },
    });
  });

  it('does not share the host object with the record', () => {
    const raw = record();
    const event = buildEvent(raw, keep);
    (event.host as { name: string }).name = 'changed';
    expect(raw.host.name).toBe('web-1');
  });

  it('names the collector as the agent', () => {
    expect(buildEvent(record(), keep).agent).toEqual({ type: 'vigil', id: 'web-1', version: '0.1.0' });
  });

  it('records the identity, offset and stream of the raw record under vigil.record', () => {
    expect(buildEvent(record(), keep).vigil.record).toEqual({
      id: 'web-1/file:803:1a2b/4096',
      offset: 4096,
      stream: 'file:803:1a2b',
    });
  });

  it('sets log.file.path and log.offset for a line from a file', () => {
    expect(buildEvent(record(), keep).log).toEqual({ file: { path: '/var/log/auth.log' }, offset: 4096 });
  });

  it('leaves log out for a line from syslog', () => {
    const event = buildEvent(
      record({ stream: { id: 'syslog:udp:514', kind: 'syslog' }, file: undefined }),
      keep,
    );
    expect(event).not.toHaveProperty('log');
  });

  it('turns flags into vigil_ tags', () => {
    expect(buildEvent(record({ flags: ['truncated'] }), keep).tags).toEqual(['vigil_truncated']);
  });

  it('leaves tags out when the record has no flags', () => {
    expect(buildEvent(record(), keep)).not.toHaveProperty('tags');
  });

  it('leaves tags out when the flags are empty', () => {
    expect(buildEvent(record({ flags: [] }), keep)).not.toHaveProperty('tags');
  });

  it('keeps the exact bytes of an invalid line as vigil.original_base64', () => {
    const event = buildEvent(
      record({ line: 'a\uFFFDb', line_base64: 'Yf9i', flags: ['invalid_encoding'] }),
      keep,
    );
    expect(event.tags).toEqual(['vigil_invalid_encoding']);
    expect(event.vigil.original_base64).toBe('Yf9i');
  });

  it('leaves vigil.original_base64 out for a valid line', () => {
    expect(buildEvent(record({ flags: ['truncated'] }), keep).vigil).not.toHaveProperty('original_base64');
  });

  it('does not set event.ingested; the processor does', () => {
    expect(buildEvent(record(), keep).event).not.toHaveProperty('ingested');
  });
});
