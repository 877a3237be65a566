/**
 * Hostile input through the processor stage (decode → route → pipeline →
 * the event as it is serialized for indexing): binary garbage, a 1 MB line,
 * JSON nested 10,000 deep, an object with 100,000 keys, invalid UTF-8 and a
 * message that is not a raw record at all. Nothing may crash or stall; every
 * case comes out tagged and counted, and an undecodable message goes to the
 * dead-letter queue with its reason.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeMessage, encodeBundle, type RawRecord } from '../../../core/event/raw-record.ts';
import { silentLogger } from '../../../core/log.ts';
import { Metrics } from '../../../core/telemetry/metrics.ts';
import { buildEvent } from '../../../processor/event-builder.ts';
import { loadPipelines } from '../../../processor/pipeline/loader.ts';

const dir = mkdtempSync(join(tmpdir(), 'vigil-hostile-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
writeFileSync(
  join(dir, 'hostile.yaml'),
  `pipelines:
  - id: hostile.json
    when: { dataset: [hostile.json] }
    steps: [ { json: { field: message, target: payload } } ]
  - id: hostile.kv
    when: { dataset: [hostile.kv] }
    steps: [ { kv: { field: message, target: kv } } ]
  - id: hostile.web
    when: { dataset: [hostile.web] }
    steps:
      - grok:
          anchor: start
          patterns: ['%{IPORHOST:source.address} %{USER:user.name} \\[%{HTTPDATE:vigil.tmp.time}\\] "%{WORD:http.request.method} %{NOTSPACE:url.original}"']
      - date: { field: vigil.tmp.time, formats: [HTTPDATE] }
`,
);

const metrics = new Metrics({ defaultMetrics: false });
const pipelines = loadPipelines({ userPaths: [dir], builtin: true, metrics, logger: silentLogger() });

function record(dataset: string, line: string, extra: Partial<RawRecord> = {}): RawRecord {
  return {
    collector: { id: 'c', version: 't' },
    host: { name: 'h' },
    stream: { id: 'file:hostile', kind: 'file' },
    offset: 0,
    line,
    dataset,
    observed_at: '2026-11-24T10:00:00.000Z',
    file: { path: '/var/log/hostile.log' },
    ...extra,
  } as RawRecord;
}

/** Runs one record the way the processor does, through the Kafka encoding, and serializes the result. */
function process(r: RawRecord): { event: Record<string, unknown>; serialized: string; ms: number } {
  const started = performance.now();
  const decoded = decodeMessage(encodeBundle([r]));
  if ('invalid' in decoded) throw new Error(decoded.invalid);
  const input = decoded[0] as RawRecord;
  const event = buildEvent(input, { keepOriginal: true });
  pipelines.process(input, event);
  const serialized = JSON.stringify(event);
  return { event, serialized, ms: performance.now() - started };
}

function randomBytes(n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += String.fromCharCode(Math.floor(Math.random() * 256));
  return s;
}

describe('hostile input in the processor', () => {
  it('tags binary garbage that no pattern matches and indexes it', () => {
    const { event } = process(record('hostile.web', randomBytes(4096)));
    expect(event.tags).toContain('vigil.parse_failure');
    expect(typeof event.message).toBe('string');
  });

  it('does not run grok on a 1 MB line and tags it, without stalling', () => {
    const line = `203.0.113.9 alice [17/May/2015:10:05:03 +0000] "GET /${'a'.repeat(1_048_600)}"`;
    const { event, ms } = process(record('hostile.web', line));
    expect(event.tags).toContain('vigil.parse_failure');
    expect((event.vigil as { failures: string[] }).failures[0]).toMatch(/too long/);
    // A stall detector, not a speed target: a backtracking regex would take minutes.
    expect(ms).toBeLessThan(5000);
  });

  it('refuses JSON nested 10,000 deep without overflowing the stack', () => {
    const deep = `${'['.repeat(10_000)}${']'.repeat(10_000)}`;
    const { event, serialized } = process(record('hostile.json', `{"a":${deep}}`));
    expect(event.tags).toEqual(['vigil.json_failure']);
    expect(event.payload).toBeUndefined();
    expect(serialized.length).toBeGreaterThan(20_000);
  });

  it('refuses an object with 100,000 keys, as JSON and as key=value pairs', () => {
    const keys = Array.from({ length: 100_000 }, (_, i) => i.toString(36));
    const json = process(record('hostile.json', JSON.stringify(Object.fromEntries(keys.map((k) => [k, 1])))));
    expect(json.event.tags).toEqual(['vigil.json_failure']);
    expect(json.event.payload).toBeUndefined();
    const kv = process(record('hostile.kv', keys.map((k) => `${k}=1`).join(' ')));
    expect(kv.event.tags).toEqual(['vigil.kv_failure']);
    expect(kv.event.kv).toBeUndefined();
  });

  it('keeps invalid UTF-8 as the collector flagged it, with the original bytes', () => {
    const bytes = Buffer.from([0x66, 0x6f, 0xff, 0xfe, 0x00, 0x6f]);
    const { event } = process(
      record('hostile.web', bytes.toString('utf8'), {
        flags: ['invalid_encoding'],
        line_base64: bytes.toString('base64'),
      }),
    );
    expect(event.tags).toEqual(expect.arrayContaining(['vigil_invalid_encoding', 'vigil.parse_failure']));
    expect((event.vigil as { original_base64: string }).original_base64).toBe(bytes.toString('base64'));
  });

  it('names a message that is not a raw record, for the dead-letter queue', () => {
    for (const value of [randomBytes(300), '{"not":"a record"}', '[1,2,3]', '']) {
      const decoded = decodeMessage(value);
      expect('invalid' in decoded ? decoded.invalid : 'decoded').toMatch(/\w/);
      expect('invalid' in decoded).toBe(true);
    }
  });

  it('counted every failure by pipeline and reason', async () => {
    const text = await metrics.text();
    expect(text).toMatch(
      /vigil_processor_step_failures_total\{pipeline="hostile.web",step="0:grok",reason="too long"\} 1/,
    );
    expect(text).toMatch(
      /vigil_processor_step_failures_total\{pipeline="hostile.json",step="0:json",reason="too deep"\} 1/,
    );
    expect(text).toMatch(
      /vigil_processor_step_failures_total\{pipeline="hostile.json",step="0:json",reason="too many fields"\} 1/,
    );
    expect(text).toMatch(
      /vigil_processor_step_failures_total\{pipeline="hostile.kv",step="0:kv",reason="too many fields"\} 1/,
    );
  });
});
