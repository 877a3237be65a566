/**
 * The pipeline engine: loading YAML with exact error locations, routing a
 * record to its pipeline, step conditions, route and drop, failure tagging,
 * and hot reload that keeps the previous pipelines when a file breaks.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { RawRecord } from '../../../../core/event/raw-record.ts';
import { silentLogger } from '../../../../core/log.ts';
import { Metrics } from '../../../../core/telemetry/metrics.ts';
import { buildEvent, type EcsEvent } from '../../../../processor/event-builder.ts';
import { loadPipelines } from '../../../../processor/pipeline/loader.ts';
import type { PipelineSet } from '../../../../processor/pipeline/pipeline-set.ts';
import { Pipelines } from '../../../../processor/pipeline/pipelines.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function files(contents: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-pipelines-'));
  dirs.push(dir);
  for (const [name, text] of Object.entries(contents)) writeFileSync(join(dir, name), text);
  return dir;
}

function load(dir: string, metrics = new Metrics({ defaultMetrics: false })): PipelineSet {
  return loadPipelines({ userPaths: [dir], builtin: false, metrics, logger: silentLogger() });
}

function record(overrides: Partial<RawRecord> = {}): RawRecord {
  return {
    collector: { id: 'c', version: 't' },
    host: { name: 'collector-host' },
    stream: { id: 'file:1', kind: 'file' },
    offset: 0,
    line: 'hello',
    dataset: 'app.log',
    observed_at: '2026-11-24T10:00:00.000Z',
    file: { path: '/var/log/app.log' },
    ...overrides,
  } as RawRecord;
}

function run(set: PipelineSet, r: RawRecord): { event: EcsEvent; outcome: string } {
  const event = buildEvent(r, { keepOriginal: false });
  const outcome = set.process(r, event);
  return { event, outcome };
}

const WEB = `pipelines:
  - id: web
    when: { dataset: ["web.*"] }
    steps:
      - grok:
          anchor: start
          patterns:
            - pattern: '%{IP:source.ip} %{WORD:http.request.method} %{INT:http.response.status_code:int}'
              set: { event.category: [web], event.outcome: success }
            - '%{IP:source.ip} %{GREEDYDATA:vigil.tmp.rest}'
      - drop: { if: { http.request.method: HEALTH } }
      - route: { pipeline: errors, if: { http.response.status_code: [500, 502] } }
      - grok: { patterns: ['%{WORD:labels.tail}$'], if: { source.ip: { exists: true } } }
  - id: errors
    steps:
      - grok: { patterns: ['%{INT:labels.code}$'], field: message }
`;

describe('pipeline engine', () => {
  it('routes by dataset glob, runs grok with per-pattern fields, and leaves other records alone', () => {
    const set = load(files({ 'web.yaml': WEB }));
    const { event } = run(set, record({ dataset: 'web.access', line: '203.0.113.9 GET 200' }));
    expect(event).toMatchObject({
      source: { ip: '203.0.113.9' },
      http: { request: { method: 'GET' }, response: { status_code: 200 } },
      event: { category: ['web'], outcome: 'success' },
      vigil: { pipeline: 'web' },
      labels: { tail: '200' },
    });
    expect(event.tags).toBeUndefined();
    // Another dataset: no pipeline, the event stays as built.
    const other = run(set, record({ dataset: 'other', line: '203.0.113.9 GET 200' })).event;
    expect(other.source).toBeUndefined();
    expect(other.vigil.pipeline).toBeUndefined();
  });

  it('gives every event its own copy of list values set by a pattern', () => {
    const set = load(files({ 'web.yaml': WEB }));
    const a = run(set, record({ dataset: 'web.a', line: '203.0.113.9 GET 200' })).event;
    const b = run(set, record({ dataset: 'web.a', line: '203.0.113.8 GET 200' })).event;
    (a.event.category as string[]).push('changed');
    expect(b.event.category).toEqual(['web']);
  });

  it('tags an event no pattern matches with vigil.parse_failure naming the pipeline, and still keeps it', () => {
    const metrics = new Metrics({ defaultMetrics: false });
    const set = load(files({ 'web.yaml': WEB }), metrics);
    const { event, outcome } = run(set, record({ dataset: 'web.a', line: 'not an address at all' }));
    expect(outcome).toBe('indexed');
    expect(event.message).toBe('not an address at all');
    expect(event.tags).toEqual(['vigil.parse_failure']);
    expect(event.vigil.failures).toEqual(['web#0 grok: no pattern matched']);
    return metrics.text().then((text) => {
      expect(text).toMatch(
        /vigil_processor_step_failures_total\{pipeline="web",step="0:grok",reason="no pattern matched"\} 1/,
      );
    });
  });

  it('drops on a matching condition and routes to another pipeline', () => {
    const set = load(files({ 'web.yaml': WEB }));
    expect(run(set, record({ dataset: 'web.a', line: '203.0.113.9 HEALTH 200' })).outcome).toBe('dropped');
    const routed = run(set, record({ dataset: 'web.a', line: '203.0.113.9 GET 502' })).event;
    expect(routed.vigil.pipeline).toBe('errors');
    expect(routed.labels).toEqual({ code: '502' });
  });

  it('routes by file path, syslog app name and listener', () => {
    const set = load(
      files({
        'a.yaml': `pipelines:
  - id: by-path
    when: { path: ["/var/log/auth.log*"] }
    steps: [ { grok: { patterns: ['%{GREEDYDATA:labels.p}'] } } ]
  - id: by-app
    when: { app_name: [sshd] }
    steps: [ { grok: { patterns: ['%{GREEDYDATA:labels.a}'] } } ]
  - id: by-listener
    when: { listener: ["udp://*"] }
    steps: [ { grok: { patterns: ['%{GREEDYDATA:labels.l}'] } } ]
`,
      }),
    );
    expect(set.select(record({ file: { path: '/var/log/auth.log.1' } } as Partial<RawRecord>))?.id).toBe(
      'by-path',
    );
    expect(set.select(record({ file: { path: '/var/log/other/auth.log' } } as Partial<RawRecord>))).toBe(
      undefined,
    );
    const syslog = (app: string, protocol: string) =>
      record({
        stream: { id: 's', kind: 'syslog' },
        file: undefined,
        syslog: { format: 'rfc3164', message: 'x', app_name: app },
        listener: { protocol, address: '0.0.0.0:514' },
      } as Partial<RawRecord>);
    expect(set.select(syslog('sshd', 'tcp'))?.id).toBe('by-app');
    expect(set.select(syslog('cron', 'udp'))?.id).toBe('by-listener');
    expect(set.select(syslog('cron', 'tcp'))).toBe(undefined);
  });

  it('selects again when only the listener of the record changes', () => {
    const set = load(
      files({
        'a.yaml': `pipelines:
  - id: by-listener
    when: { listener: ["udp://*"] }
    steps: []
`,
      }),
    );
    const listener = { protocol: 'udp', address: '0.0.0.0:514' };
    const r = record({ listener } as Partial<RawRecord>);
    expect(set.select(r)?.id).toBe('by-listener');
    listener.protocol = 'tcp';
    expect(set.select(r)).toBe(undefined);
    expect(
      set.select(record({ listener: { protocol: 'udp', address: 'x' } } as Partial<RawRecord>))?.id,
    ).toBe('by-listener');
    expect(set.select(record())).toBe(undefined);
  });

  it('counts every event of a pipeline in the metric whenever it is read', async () => {
    const metrics = new Metrics({ defaultMetrics: false });
    const set = load(files({ 'web.yaml': WEB }), metrics);
    for (let i = 0; i < 5000; i++) run(set, record({ dataset: 'web.access', line: '10.0.0.1 GET 200' }));
    expect(await metrics.text()).toMatch(/vigil_processor_pipeline_events_total\{pipeline="web"\} 5000\n/);
    run(set, record({ dataset: 'web.access', line: '10.0.0.1 GET 200' }));
    expect(await metrics.text()).toMatch(/vigil_processor_pipeline_events_total\{pipeline="web"\} 5001\n/);
  });

  it('reports every problem of every file with file, line, column and key path', () => {
    const dir = files({
      'a.yaml': `pipelines:
  - id: one
    steps:
      - grok: { patterns: ['%{NOSUCHPATTERN:x}'] }
      - mutilate: { x: 1 }
      - route: { pipeline: nowhere }
  - id: one
`,
      'b.yaml': `pipelines:
  - id: Bad Id
    unknown_key: 1
    steps:
      - grok: { patterns: [] }
        drop: {}
`,
    });
    let message = '';
    try {
      load(dir);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain('Pipelines have');
    expect(message).toMatch(/a\.yaml:4:\d+ pipelines\[0\]\.steps\[0\]\.grok: .*NOSUCHPATTERN/);
    expect(message).toMatch(/a\.yaml:5:\d+ pipelines\[0\]\.steps\[1\]\.mutilate: unknown step "mutilate"/);
    expect(message).toMatch(
      /a\.yaml:6:\d+ pipelines\[0\]\.steps\[2\]\.route\.pipeline: no pipeline has the id "nowhere"/,
    );
    expect(message).toMatch(/a\.yaml:7:\d+ pipelines\[1\]\.id: pipeline id "one" is already used/);
    expect(message).toMatch(/b\.yaml:2:\d+ pipelines\[0\]\.id: /);
    expect(message).toMatch(/b\.yaml:3:\d+ pipelines\[0\]\.unknown_key: /);
  });

  it('reports invalid YAML with its position', () => {
    expect(() => load(files({ 'a.yaml': 'pipelines:\n  - id: x\n    steps: [\n' }))).toThrow(
      /a\.yaml:\d+:\d+/,
    );
  });

  it('hot-reloads a changed file and keeps the previous pipelines when the new file is broken', () => {
    const dir = files({ 'web.yaml': WEB });
    const metrics = new Metrics({ defaultMetrics: false });
    const pipelines = new Pipelines({
      userPaths: [dir],
      builtin: false,
      reloadIntervalMs: 0,
      metrics,
      logger: silentLogger(),
    });
    const first = pipelines.current;
    expect(pipelines.check()).toBe(false);
    writeFileSync(join(dir, 'web.yaml'), WEB.replace('labels.tail', 'labels.last'));
    expect(pipelines.check()).toBe(true);
    const second = pipelines.current;
    expect(second).not.toBe(first);
    expect(run(second, record({ dataset: 'web.a', line: '203.0.113.9 GET 200' })).event.labels).toEqual({
      last: '200',
    });
    writeFileSync(join(dir, 'web.yaml'), 'pipelines:\n  - id: web\n    steps: [ { grok: {} } ]\n');
    expect(pipelines.check()).toBe(false);
    expect(pipelines.current).toBe(second);
    return metrics.text().then((text) => {
      expect(text).toMatch(/vigil_processor_pipeline_reloads_total\{outcome="ok"\} 1/);
      expect(text).toMatch(/vigil_processor_pipeline_reloads_total\{outcome="failed"\} 1/);
    });
  });

  it('stops a route loop and tags the event instead of spinning', () => {
    const set = load(
      files({
        'loop.yaml': `pipelines:
  - id: a
    when: { dataset: [loop] }
    steps: [ { route: { pipeline: b } } ]
  - id: b
    steps: [ { route: { pipeline: a } } ]
`,
      }),
    );
    const { event, outcome } = run(set, record({ dataset: 'loop' }));
    expect(outcome).toBe('indexed');
    expect(event.tags).toEqual(['vigil.route_failure']);
    expect((event.vigil.failures as string[])[0]).toMatch(/too many routes/);
  });
});

describe('numeric range conditions', () => {
  it('run a step only when a number is in range', () => {
    const set = load(
      files({
        'r.yaml': `pipelines:
  - id: r
    when: { dataset: [r] }
    steps:
      - grok: { patterns: ['%{INT:code:int}'] }
      - mutate: { set: { event.outcome: success }, if: { code: { lt: 400 } } }
      - mutate: { set: { event.outcome: failure }, if: { code: { gte: 400, lte: 599 } } }
`,
      }),
    );
    const outcome = (line: string) =>
      (run(set, record({ dataset: 'r', line })).event.event as { outcome?: string }).outcome;
    expect(outcome('200')).toBe('success');
    expect(outcome('399')).toBe('success');
    expect(outcome('400')).toBe('failure');
    expect(outcome('599')).toBe('failure');
    expect(outcome('600')).toBeUndefined();
  });

  it('refuses an empty range when loading', () => {
    expect(() =>
      load(
        files({
          'r.yaml': `pipelines:\n  - id: r\n    steps: [ { drop: { if: { code: {} } } } ]\n`,
        }),
      ),
    ).toThrow(/r\.yaml:3:\d+ pipelines\[0\]\.steps\[0\]\.drop\.if: a range needs gte, gt, lte or lt/);
  });
});
