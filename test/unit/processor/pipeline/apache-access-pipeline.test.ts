/**
 * The 10,000 real Apache lines of ../shared/data/apache/access.log through
 * the built-in `apache.access` pipeline, as the processor runs it: every line
 * parses (no failure tag), and the status codes, methods, byte totals and
 * times agree with counts computed here with plain string operations.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { RawRecord } from '../../../../core/event/raw-record.ts';
import { silentLogger } from '../../../../core/log.ts';
import { Metrics } from '../../../../core/telemetry/metrics.ts';
import { buildEvent, type EcsEvent } from '../../../../processor/event-builder.ts';
import { loadPipelines } from '../../../../processor/pipeline/loader.ts';

const lines = readFileSync(new URL('../../../../../shared/data/apache/access.log', import.meta.url), 'utf8')
  .split('\n')
  .filter((line) => line !== '');

const set = loadPipelines({ metrics: new Metrics({ defaultMetrics: false }), logger: silentLogger() });

const events: EcsEvent[] = lines.map((line, i) => {
  const record = {
    collector: { id: 'c', version: 't' },
    host: { name: 'web-01' },
    stream: { id: 'file:apache', kind: 'file' },
    offset: i,
    line,
    dataset: 'apache.access',
    observed_at: '2026-11-24T10:00:00.000Z',
    file: { path: '/var/log/apache2/access.log' },
  } as RawRecord;
  const event = buildEvent(record, { keepOriginal: false });
  set.process(record, event);
  return event;
});

/** Status, method and bytes, found without regular expressions. */
function independently(line: string): { status: number; method: string; bytes: number } {
  const quoted = line.split('"');
  const [status, bytes] = (quoted[2] as string).trim().split(' ') as [string, string];
  return {
    status: Number(status),
    method: (quoted[1] as string).split(' ')[0] as string,
    bytes: bytes === '-' ? 0 : Number(bytes),
  };
}

describe('the 10,000 Apache lines through the built-in apache.access pipeline', () => {
  it('all parse, none tagged', () => {
    expect(lines).toHaveLength(10_000);
    expect(events.filter((e) => e.tags !== undefined).map((e) => e.message)).toEqual([]);
    expect(new Set(events.map((e) => e.vigil.pipeline))).toEqual(new Set(['apache.access']));
  });

  it('give the status codes, methods and byte totals counted independently', () => {
    const expected = lines.map(independently);
    const statuses = (list: Array<{ status: number }>) =>
      list.reduce<Record<number, number>>((acc, x) => {
        acc[x.status] = (acc[x.status] ?? 0) + 1;
        return acc;
      }, {});
    const got = events.map((e) => {
      const http = e.http as {
        request?: { method?: string };
        response: { status_code: number; body?: { bytes?: number } };
      };
      return {
        status: http.response.status_code,
        method: http.request?.method ?? '',
        bytes: http.response.body?.bytes ?? 0,
      };
    });
    expect(statuses(got)).toEqual(statuses(expected));
    expect(got.filter((g) => g.method === 'GET').length).toBe(
      expected.filter((x) => x.method === 'GET').length,
    );
    expect(got.reduce((s, g) => s + g.bytes, 0)).toBe(expected.reduce((s, x) => s + x.bytes, 0));
  });

  it('take the time of each line as @timestamp, in UTC', () => {
    for (const [i, event] of events.entries()) {
      const text = (lines[i] as string).split('[')[1]?.split(']')[0] as string; // 17/May/2015:10:05:03 +0000
      const [day, month, rest] = text.split('/') as [string, string, string];
      const [year, hh, mm, ss] = rest.slice(0, 13).split(':') as [string, string, string, string];
      const months = 'JanFebMarAprMayJunJulAugSepOctNovDec';
      const iso = `${year}-${String(months.indexOf(month) / 3 + 1).padStart(2, '0')}-${day}T${hh}:${mm}:${ss}.000Z`;
      expect(rest.slice(14)).toBe('+0000');
      expect(event['@timestamp']).toBe(iso);
    }
  });
});
