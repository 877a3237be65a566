/**
 * The enricher on events: which fields match which indicators, the ECS
 * `threat.enrichments` it writes, what must not match, hot reload, startup
 * errors, and that no event makes it throw.
 */
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../../../core/log.ts';
import { Metrics } from '../../../../../core/telemetry/metrics.ts';
import { indicatorsConfigSchema } from '../../../../../processor/enrichers/threat-intel/config.ts';
import {
  openThreatIntelEnricher,
  type ThreatIntelEnricher,
} from '../../../../../processor/enrichers/threat-intel/threat-intel-enricher.ts';
import type { EcsEvent } from '../../../../../processor/event-builder.ts';

const dir = mkdtempSync(join(tmpdir(), 'vigil-ti-enricher-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, content: string): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

const MD5 = 'd41d8cd98f00b204e9800998ecf8427e';
const SHA1 = 'da39a3ee5e6b4b0d3255bfef95601890afd80709';
const SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

const plain = file(
  'blocklist.txt',
  [
    '# provider: Blocklist Inc',
    '198.51.100.7',
    '10.0.0.0/8',
    '10.1.0.0/16',
    '2001:db8::7',
    '2001:db8:100::/40',
    'evil.example',
    'deep.sub.bad.example',
    'HTTP://Evil.Example/payload.exe',
    MD5,
    SHA1,
    SHA256,
  ].join('\n'),
);
const csv = file(
  'partner.csv',
  'indicator,type,provider,first_seen,last_seen,description,confidence\n' +
    '203.0.113.9,ipv4-addr,Partner CERT,2024-01-01,2024-02-01,Scanner,20\n',
);
const stix = file(
  'feed.json',
  JSON.stringify({
    type: 'bundle',
    objects: [
      { type: 'identity', id: 'identity--x', name: 'X-ISAC' },
      {
        type: 'indicator',
        id: 'indicator--1',
        created_by_ref: 'identity--x',
        created: '2024-01-01T00:00:00Z',
        modified: '2024-01-03T00:00:00Z',
        valid_from: '2024-01-01T00:00:00Z',
        name: 'Phishing kit',
        confidence: 60,
        pattern_type: 'stix',
        pattern: "[domain-name:value = 'phish.example'] OR [url:value = 'https://phish.example/login']",
      },
    ],
  }),
);

function context(logger = silentLogger()) {
  const metrics = new Metrics({ defaultMetrics: false });
  return { metrics, context: { logger, metrics, reloadIntervalMs: 0 } };
}

function open(
  files: string[],
  options: Record<string, unknown> = {},
): { enricher: ThreatIntelEnricher; metrics: Metrics } {
  const { metrics, context: ctx } = context();
  const config = indicatorsConfigSchema.parse({ files, ...options });
  return { enricher: openThreatIntelEnricher(config, ctx), metrics };
}

function event(fields: Record<string, unknown>): EcsEvent {
  return {
    '@timestamp': '2025-01-01T00:00:00.000Z',
    message: 'x',
    event: { dataset: 'test' },
    vigil: { record: { id: 'r', offset: 0, stream: 's' } },
    ...fields,
  };
}

function enrichments(
  e: EcsEvent,
): Array<{ indicator: Record<string, unknown>; matched: Record<string, unknown> }> {
  return ((e.threat as { enrichments?: unknown[] } | undefined)?.enrichments ?? []) as never;
}

const { enricher } = open([plain, csv, stix]);

function enrich(fields: Record<string, unknown>) {
  const e = event(fields);
  enricher.enrich(e);
  return enrichments(e);
}

describe('IP matching', () => {
  it('matches an exact IPv4 address and writes an ECS enrichment', () => {
    expect(enrich({ source: { ip: '198.51.100.7' } })).toEqual([
      {
        indicator: { type: 'ipv4-addr', name: '198.51.100.7', ip: '198.51.100.7', provider: 'Blocklist Inc' },
        matched: { atomic: '198.51.100.7', field: 'source.ip', type: 'indicator_match_rule' },
      },
    ]);
  });

  it('matches the longest listed network only', () => {
    expect(enrich({ destination: { ip: '10.1.2.3' } }).map((m) => m.indicator.name)).toEqual(['10.1.0.0/16']);
    expect(enrich({ destination: { ip: '10.2.2.3' } }).map((m) => m.indicator.name)).toEqual(['10.0.0.0/8']);
    expect(enrich({ destination: { ip: '10.2.2.3' } })[0]?.indicator.ip).toBeUndefined();
  });

  it('matches IPv6 exactly and by network, in any text form', () => {
    expect(enrich({ client: { ip: '2001:0db8:0000::0007' } })[0]?.indicator).toMatchObject({
      type: 'ipv6-addr',
      ip: '2001:db8::7',
    });
    expect(enrich({ server: { ip: '2001:db8:1ff::1' } })[0]?.indicator.name).toBe('2001:db8:100::/40');
    expect(enrich({ server: { ip: '2001:db8:200::1' } })).toEqual([]);
  });

  it('looks into arrays and every IP field', () => {
    const found = enrich({ host: { ip: ['192.0.2.1', '198.51.100.7'] }, server: { ip: '10.9.9.9' } });
    expect(found.map((m) => m.matched.field).sort()).toEqual(['host.ip', 'server.ip']);
  });

  it('carries the CSV metadata', () => {
    expect(enrich({ source: { ip: '203.0.113.9' } })[0]?.indicator).toEqual({
      type: 'ipv4-addr',
      name: '203.0.113.9',
      ip: '203.0.113.9',
      provider: 'Partner CERT',
      first_seen: '2024-01-01T00:00:00.000Z',
      last_seen: '2024-02-01T00:00:00.000Z',
      description: 'Scanner',
      confidence: 'Low',
    });
  });

  it('does not match neighbouring addresses', () => {
    expect(enrich({ source: { ip: '198.51.100.8' }, destination: { ip: '11.0.0.1' } })).toEqual([]);
  });
});

describe('domain matching', () => {
  it('matches the domain and its subdomains, case-insensitively, ignoring a trailing dot', () => {
    for (const name of ['evil.example', 'a.b.evil.example', 'WWW.Evil.Example.']) {
      expect(enrich({ dns: { question: { name } } })[0], name).toEqual({
        indicator: {
          type: 'domain-name',
          name: 'evil.example',
          url: { domain: 'evil.example' },
          provider: 'Blocklist Inc',
        },
        matched: { atomic: name, field: 'dns.question.name', type: 'indicator_match_rule' },
      });
    }
  });

  it('does not match a name that only ends with the same letters, or a parent of the indicator', () => {
    expect(enrich({ url: { domain: 'notevil.example' } })).toEqual([]);
    expect(enrich({ url: { domain: 'example' } })).toEqual([]);
    expect(enrich({ url: { domain: 'sub.bad.example' } })).toEqual([]);
    expect(enrich({ url: { domain: 'x.deep.sub.bad.example' } })).toHaveLength(1);
  });

  it('matches STIX domains with the identity as provider', () => {
    expect(enrich({ destination: { domain: 'login.phish.example' } })[0]?.indicator).toEqual({
      type: 'domain-name',
      name: 'phish.example',
      url: { domain: 'phish.example' },
      provider: 'X-ISAC',
      first_seen: '2024-01-01T00:00:00.000Z',
      last_seen: '2024-01-03T00:00:00.000Z',
      modified_at: '2024-01-03T00:00:00.000Z',
      description: 'Phishing kit',
      confidence: 'Medium',
    });
  });
});

describe('URL matching', () => {
  it('matches exactly after normalizing scheme and host case', () => {
    expect(enrich({ url: { full: 'http://EVIL.example/payload.exe' } })[0]?.indicator).toMatchObject({
      type: 'url',
      url: { full: 'http://evil.example/payload.exe' },
    });
    expect(enrich({ url: { full: 'https://phish.example/login' } })).toHaveLength(1);
  });

  it('does not match another path, path case or query', () => {
    expect(enrich({ url: { full: 'http://evil.example/PAYLOAD.exe' } })).toEqual([]);
    expect(enrich({ url: { full: 'http://evil.example/payload.exe?x=1' } })).toEqual([]);
  });

  it('reports url.original only when url.full did not already match it', () => {
    const same = 'http://evil.example/payload.exe';
    expect(enrich({ url: { full: same, original: same } }).map((m) => m.matched.field)).toEqual(['url.full']);
    expect(enrich({ url: { original: same } }).map((m) => m.matched.field)).toEqual(['url.original']);
  });
});

describe('hash matching', () => {
  it('matches each algorithm case-insensitively into file.hash.<algorithm>', () => {
    expect(enrich({ file: { hash: { md5: MD5.toUpperCase() } } })[0]?.indicator).toMatchObject({
      type: 'file',
      file: { hash: { md5: MD5 } },
    });
    expect(enrich({ process: { hash: { sha1: SHA1 } } })[0]?.indicator.file).toEqual({
      hash: { sha1: SHA1 },
    });
    expect(enrich({ file: { hash: { sha256: SHA256 } } })[0]?.matched.field).toBe('file.hash.sha256');
  });

  it('does not match a digest that differs in one digit', () => {
    expect(enrich({ file: { hash: { md5: `${MD5.slice(0, -1)}f` } } })).toEqual([]);
  });
});

describe('related fields', () => {
  it('does not repeat a match already made through a primary field', () => {
    const found = enrich({ source: { ip: '198.51.100.7' }, related: { ip: ['198.51.100.7', '10.0.0.1'] } });
    expect(found.map((m) => `${m.matched.field} ${m.matched.atomic}`)).toEqual([
      'source.ip 198.51.100.7',
      'related.ip 10.0.0.1',
    ]);
  });

  it('matches related.hosts and related.hash on their own', () => {
    expect(
      enrich({ related: { hosts: ['x.evil.example'], hash: [SHA1] } }).map((m) => m.matched.field),
    ).toEqual(['related.hosts', 'related.hash']);
  });
});

describe('the event', () => {
  it('keeps enrichments already there and adds to them', () => {
    const e = event({ threat: { enrichments: [{ earlier: true }] }, source: { ip: '198.51.100.7' } });
    enricher.enrich(e);
    expect(enrichments(e)).toHaveLength(2);
  });

  it('adds at most max_enrichments_per_event entries but counts every match', async () => {
    const { enricher: limited, metrics } = open([plain], { max_enrichments_per_event: 2 });
    const e = event({ related: { ip: ['198.51.100.7', '10.0.0.1', '10.1.0.1', '2001:db8::7'] } });
    limited.enrich(e);
    expect(enrichments(e)).toHaveLength(2);
    const text = await metrics.text();
    expect(text).toContain('vigil_processor_indicator_matches_total{type="ipv4-addr"} 3');
    expect(text).toContain('vigil_processor_indicator_matches_total{type="ipv6-addr"} 1');
  });

  it('never throws, whatever the fields hold', () => {
    const odd: Record<string, unknown>[] = [
      { source: 'a string' },
      { source: { ip: 42 } },
      { source: { ip: [null, {}, ['198.51.100.7']] } },
      { related: { ip: 'x'.repeat(100_000) } },
      { url: { full: 'http://' }, dns: { question: { name: '....' } } },
      { file: { hash: { md5: { toString: () => MD5 } } } },
      { threat: 'not an object', source: { ip: '198.51.100.7' } },
    ];
    for (const fields of odd) expect(() => enricher.enrich(event(fields))).not.toThrow();
    const getter = event({});
    Object.defineProperty(getter, 'source', {
      enumerable: true,
      get() {
        throw new Error('boom');
      },
    });
    expect(() => enricher.enrich(getter)).not.toThrow();
  });

  it('leaves events alone when there are no indicators', () => {
    const { enricher: none } = open([]);
    const e = event({ source: { ip: '198.51.100.7' } });
    none.enrich(e);
    expect(e.threat).toBeUndefined();
  });
});

describe('loading and reloading', () => {
  it('publishes the loaded indicators by type', async () => {
    const { metrics } = open([plain]);
    const text = await metrics.text();
    expect(text).toContain('vigil_processor_indicators{type="ipv4-addr"} 3');
    expect(text).toContain('vigil_processor_indicators{type="file"} 3');
  });

  it('stops the start with an error naming a broken file', () => {
    const broken = file('broken-at-start.json', '{not json');
    expect(() => open([plain, broken])).toThrow(
      expect.objectContaining({
        name: 'VigilError',
        code: 'CONFIG_PARSE',
        message: expect.stringContaining(broken),
      }),
    );
  });

  it('swaps in a replaced file, and keeps the previous set when the new one is broken, logging once', async () => {
    const path = file('live.json', JSON.stringify({ type: 'bundle', objects: [] }));
    const lines: string[] = [];
    const logger = pino(
      { level: 'info' },
      new Writable({
        write(chunk, _encoding, done) {
          lines.push(String(chunk));
          done();
        },
      }),
    );
    const { metrics, context: ctx } = context(logger);
    const live = openThreatIntelEnricher(indicatorsConfigSchema.parse({ files: [path] }), ctx);
    const probe = () => {
      const e = event({ source: { ip: '192.0.2.66' } });
      live.enrich(e);
      return enrichments(e).length;
    };
    expect(live.check()).toBe(false);
    expect(probe()).toBe(0);

    const good = {
      type: 'bundle',
      objects: [{ type: 'indicator', pattern: "[ipv4-addr:value = '192.0.2.66']", pattern_type: 'stix' }],
    };
    writeFileSync(`${path}.tmp`, JSON.stringify(good));
    renameSync(`${path}.tmp`, path);
    expect(live.check()).toBe(true);
    expect(probe()).toBe(1);

    writeFileSync(`${path}.tmp`, '{"type": "bundle", "objects": [');
    renameSync(`${path}.tmp`, path);
    expect(live.check()).toBe(false);
    expect(live.check()).toBe(false);
    expect(probe()).toBe(1);
    writeFileSync(path, '{"type": "bundle", "objects": [ ');
    expect(live.check()).toBe(false);
    expect(probe()).toBe(1);

    const failures = lines.filter((line) => line.includes('do not load'));
    expect(failures).toHaveLength(1);
    expect(failures[0]).toContain(path);
    const text = await metrics.text();
    expect(text).toContain('vigil_processor_indicator_reloads_total{outcome="ok"} 1');
    expect(text).toContain('vigil_processor_indicator_reloads_total{outcome="failed"} 2');
    live.close();
  });

  it('checks the files on its own every reloadIntervalMs once started', async () => {
    const path = file('timed.txt', '');
    const { context: ctx } = context();
    const timed = openThreatIntelEnricher(indicatorsConfigSchema.parse({ files: [path] }), {
      ...ctx,
      reloadIntervalMs: 20,
    });
    timed.start();
    writeFileSync(path, 'timed.example\n');
    await expect
      .poll(() => {
        const e = event({ url: { domain: 'a.timed.example' } });
        timed.enrich(e);
        return enrichments(e).length;
      })
      .toBe(1);
    timed.close();
  });
});
