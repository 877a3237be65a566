/**
 * Acceptance: one million mixed indicators (IPv4 and IPv6 addresses and
 * networks, domains, URLs, MD5/SHA-1/SHA-256 digests) in one plain list load
 * in bounded time and memory, and match correctly afterwards. The figures
 * are printed; the bounds asserted are generous (the machine may be slow).
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../../../core/log.ts';
import { Metrics } from '../../../../../core/telemetry/metrics.ts';
import { indicatorsConfigSchema } from '../../../../../processor/enrichers/threat-intel/config.ts';
import { openThreatIntelEnricher } from '../../../../../processor/enrichers/threat-intel/threat-intel-enricher.ts';
import type { EcsEvent } from '../../../../../processor/event-builder.ts';

const TOTAL = 1_000_000;
const dir = mkdtempSync(join(tmpdir(), 'vigil-ti-million-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function hex(kind: 'md5' | 'sha1' | 'sha256', n: number): string {
  return createHash(kind).update(`indicator-${n}`).digest('hex');
}

/** The i-th generated indicator; the mix below sums to one million. */
function indicator(i: number): string {
  const bucket = i % 20;
  if (bucket < 6) {
    // 30% IPv4 in 1.0.0.0–99.255.255.255, spread by a multiplicative hash.
    const n = (Math.imul(i, 2654435761) >>> 0) % (99 * 2 ** 24);
    const a = 2 ** 24 + n;
    return `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}`;
  }
  if (bucket < 8) return `2001:db8:${(i >>> 16).toString(16)}:${(i & 0xffff).toString(16)}::${(i % 7) + 1}`; // 10% IPv6
  if (bucket === 8) {
    // 5% networks, all distinct: IPv4 /26 in 100.80.0.0/12, IPv6 /48 in fd00::/8.
    const j = (i - 8) / 20;
    const k = j >>> 1;
    if (j % 2 === 0) return `100.${80 + (k >>> 10)}.${(k >>> 2) & 255}.${(k & 3) * 64}/26`;
    return `fd00:0:${k.toString(16)}::/48`;
  }
  if (bucket < 14) return `evil-${i}.example`; // 25% domains
  if (bucket < 17) return `http://host-${i % 1000}.example/path/${i}?q=${i}`; // 15% URLs
  return hex(bucket === 17 ? 'md5' : bucket === 18 ? 'sha1' : 'sha256', i); // 15% hashes
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

function matches(
  enrich: (e: EcsEvent) => void,
  fields: Record<string, unknown>,
): Array<{ indicator: Record<string, unknown> }> {
  const e = event(fields);
  enrich(e);
  return ((e.threat as { enrichments?: unknown[] } | undefined)?.enrichments ?? []) as never;
}

describe('one million indicators', () => {
  it('load in bounded time and memory and match correctly', { timeout: 180_000 }, () => {
    const path = join(dir, 'million.txt');
    const lines = ['# provider: Generated feed', '100.64.0.0/16', '100.64.1.0/24'];
    for (let i = 0; lines.length < TOTAL; i++) lines.push(indicator(i));
    writeFileSync(path, `${lines.join('\n')}\n`);
    lines.length = 0;

    gc();
    const before = process.memoryUsage();
    const started = performance.now();
    const enricher = openThreatIntelEnricher(indicatorsConfigSchema.parse({ files: [path] }), {
      logger: silentLogger(),
      metrics: new Metrics({ defaultMetrics: false }),
      reloadIntervalMs: 0,
    });
    const seconds = (performance.now() - started) / 1000;
    const peak = process.memoryUsage();
    gc();
    const after = process.memoryUsage();
    const mb = (bytes: number) => Math.round((bytes / 2 ** 20) * 10) / 10;
    const retainedHeap = after.heapUsed - before.heapUsed;
    const retainedBuffers = after.arrayBuffers - before.arrayBuffers;
    const counts = enricher.indicators.counts();
    const loaded = Object.values(counts).reduce((a, b) => a + b, 0);
    console.log(
      `1M indicators: loaded ${loaded} ${JSON.stringify(counts)} in ${seconds.toFixed(2)} s; ` +
        `retained after GC: heap ${mb(retainedHeap)} MB + typed arrays ${mb(retainedBuffers)} MB, ` +
        `RSS +${mb(after.rss - before.rss)} MB (RSS +${mb(peak.rss - before.rss)} MB right after loading)`,
    );
    expect(seconds).toBeLessThan(30);
    expect(retainedHeap + retainedBuffers).toBeLessThan(400 * 2 ** 20);
    expect(after.rss - before.rss).toBeLessThan(400 * 2 ** 20);
    // Duplicates (a few IPv4 addresses generated twice) are stored once.
    expect(loaded).toBeGreaterThan(0.99 * TOTAL);

    const enrich = (e: EcsEvent) => enricher.enrich(e);
    // Every type, sampled across the whole file.
    for (let i = 0; i < TOTAL - 3; i += 997) {
      const value = indicator(i);
      const bucket = i % 20;
      let fields: Record<string, unknown>;
      if (bucket < 8) fields = { source: { ip: value } };
      else if (bucket === 8) {
        const base = value.slice(0, value.indexOf('/'));
        const inside = base.endsWith('::') ? `${base}1` : base.replace(/\d+$/, (d) => String(Number(d) + 5));
        fields = { destination: { ip: inside } };
      } else if (bucket < 14) fields = { dns: { question: { name: `www.${value.toUpperCase()}.` } } };
      else if (bucket < 17) fields = { url: { full: value.replace('http://', 'HTTP://') } };
      else fields = { related: { hash: [value.toUpperCase()] } };
      const found = matches(enrich, fields);
      expect(found.length, `${i}: ${value}`).toBeGreaterThanOrEqual(1);
      expect(found[0]?.indicator.name).toBe(value);
      expect(found[0]?.indicator.provider).toBe('Generated feed');
    }
    // Longest prefix among nested networks.
    expect(matches(enrich, { source: { ip: '100.64.1.5' } })[0]?.indicator.name).toBe('100.64.1.0/24');
    expect(matches(enrich, { source: { ip: '100.64.2.5' } })[0]?.indicator.name).toBe('100.64.0.0/16');
    // No false matches.
    expect(matches(enrich, { source: { ip: '198.18.0.1' } })).toEqual([]);
    expect(matches(enrich, { source: { ip: '2001:db9::1' } })).toEqual([]);
    expect(matches(enrich, { url: { domain: 'notevil-9.example' } })).toEqual([]);
    expect(matches(enrich, { url: { domain: 'evil-9.example.org' } })).toEqual([]);
    expect(matches(enrich, { url: { full: 'http://host-14.example/path/14?q=15' } })).toEqual([]);
    expect(matches(enrich, { file: { hash: { sha256: hex('sha256', -1) } } })).toEqual([]);

    // Matching cost per event, for the record.
    const probe = event({
      source: { ip: '198.18.0.1' },
      destination: { ip: '100.64.1.5' },
      url: { domain: 'a.b.evil-9.example', full: 'http://host-14.example/path/14?q=14' },
      related: { ip: ['198.18.0.1', '100.64.1.5'], hosts: ['a.b.evil-9.example'] },
    });
    const rounds = 100_000;
    const t0 = performance.now();
    for (let i = 0; i < rounds; i++) {
      delete probe.threat;
      enricher.enrich(probe);
    }
    console.log(
      `matching: ${(((performance.now() - t0) * 1000) / rounds).toFixed(2)} µs per event (21 fields looked up, 3 matches)`,
    );
  });
});
