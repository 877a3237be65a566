/**
 * The golden corpus of Vigil's built-in pipelines: every case in
 * test/fixtures/pipelines/*.yaml is a raw record as the collector ships it and
 * the ECS fields the processor must make of it. The corpus must cover the
 * built-ins: a pipeline no case runs through, or a grok expression of a
 * built-in pipeline that no case matches, fails the test.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseSyslog } from '../../../../collector/codecs/syslog/parse.ts';
import type { RawRecord } from '../../../../core/event/raw-record.ts';
import { silentLogger } from '../../../../core/log.ts';
import { Metrics } from '../../../../core/telemetry/metrics.ts';
import { buildEvent, type EcsEvent } from '../../../../processor/event-builder.ts';
import type { GrokMatcher } from '../../../../processor/parsers/grok/matcher.ts';
import { fieldPath, getField } from '../../../../processor/pipeline/fields.ts';
import { loadPipelines } from '../../../../processor/pipeline/loader.ts';

const FIXTURES = join(import.meta.dirname, '..', '..', '..', 'fixtures', 'pipelines');

interface Case {
  name: string;
  record: {
    kind?: 'file' | 'syslog';
    dataset?: string;
    path?: string;
    line: string;
    listener?: string;
  };
  expect?: Record<string, unknown>;
  absent?: string[];
  dropped?: boolean;
}

const cases: Array<Case & { file: string }> = readdirSync(FIXTURES)
  .filter((name) => name.endsWith('.yaml'))
  .sort()
  .flatMap((name) => {
    const parsed = parse(readFileSync(join(FIXTURES, name), 'utf8')) as { cases: Case[] };
    return parsed.cases.map((c) => ({ ...c, file: name }));
  });

const set = loadPipelines({
  builtin: true,
  metrics: new Metrics({ defaultMetrics: false }),
  logger: silentLogger(),
});
const visited = new Set<string>();
const NOW = new Date('2026-11-24T12:00:00Z');

function toRecord(c: Case, index: number): RawRecord {
  const r = c.record;
  const base = {
    collector: { id: 'golden', version: 'test' },
    host: { name: 'collector-host' },
    offset: index,
    line: r.line,
    dataset: r.dataset ?? 'generic',
    observed_at: NOW.toISOString(),
  };
  if ((r.kind ?? 'file') === 'syslog') {
    const listener = r.listener ?? 'udp://0.0.0.0:514';
    const [protocol, address] = listener.split('://') as [string, string];
    return {
      ...base,
      stream: { id: `syslog:${listener}`, kind: 'syslog' },
      syslog: parseSyslog(r.line, { now: NOW, defaultTimeZone: 'UTC' }),
      peer: { address: '198.51.100.1', port: 50514 },
      listener: { protocol, address },
    } as RawRecord;
  }
  return {
    ...base,
    stream: { id: 'file:golden', kind: 'file' },
    file: { path: r.path ?? '/var/log/app.log' },
  } as RawRecord;
}

describe('golden corpus of the built-in pipelines', () => {
  it('has cases', () => {
    expect(cases.length).toBeGreaterThan(50);
  });

  it.each(cases.map((c, i) => [`${c.file}: ${c.name}`, c, i] as const))('%s', (_name, c, index) => {
    const record = toRecord(c, index);
    const event: EcsEvent = buildEvent(record, { keepOriginal: false });
    const outcome = set.process(record, event);
    if (typeof event.vigil.pipeline === 'string') visited.add(event.vigil.pipeline);
    if (c.dropped) {
      expect(outcome).toBe('dropped');
      return;
    }
    expect(outcome).toBe('indexed');
    if (c.expect) expect(event).toMatchObject(c.expect);
    for (const field of c.absent ?? []) {
      expect(getField(event, fieldPath(field)), `${field} should be absent`).toBeUndefined();
    }
  });

  it('runs every built-in pipeline and matches every grok expression of them at least once', () => {
    const unvisited = set.pipelines.map((p) => p.id).filter((id) => !visited.has(id));
    expect(unvisited, 'pipelines without a golden case').toEqual([]);
    const unmatched: string[] = [];
    for (const pipeline of set.pipelines) {
      for (const step of pipeline.steps) {
        if (step.type !== 'grok') continue;
        const matcher = (step.step as unknown as { matcher: GrokMatcher }).matcher;
        matcher.stats().forEach((s, i) => {
          if (s.matches === 0) unmatched.push(`${pipeline.id}#${step.index} pattern ${i}: ${s.pattern}`);
        });
      }
    }
    expect(unmatched, 'grok expressions without a golden case').toEqual([]);
  });
});
