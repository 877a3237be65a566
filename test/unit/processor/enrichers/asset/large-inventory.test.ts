/**
 * The 100,000-entry inventory (overlapping IPv4 and IPv6 networks, hosts
 * with names) in each file format, and reloading while events flow. Load
 * time, memory and lookup cost are printed, not asserted: they depend on the
 * machine.
 */
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { stringify } from 'yaml';
import type { Logger } from '../../../../../core/log.ts';
import { Metrics } from '../../../../../core/telemetry/metrics.ts';
import { assetConfigSchema } from '../../../../../processor/enrichers/asset/asset-config.ts';
import { openAssetEnricher } from '../../../../../processor/enrichers/asset/asset-enricher.ts';
import type { Inventory } from '../../../../../processor/enrichers/asset/inventory.ts';
import { loadInventory } from '../../../../../processor/enrichers/asset/inventory-loader.ts';
import type { EcsEvent } from '../../../../../processor/event-builder.ts';

// biome-ignore lint/suspicious/noExplicitAny: assertions read nested event fields freely.
type Doc = Record<string, any>;

interface Row {
  id: string;
  criticality?: string;
  environment?: string;
  tags?: string[];
  ip?: string[];
  cidr?: string[];
  hostname?: string[];
}

const dir = mkdtempSync(join(tmpdir(), 'vigil-asset-large-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** 100,000 entries: /8 and /32 over /16s, /24s and hosts (IPv4); /48s, /64s and hosts (IPv6); names. */
function largeInventory(): Row[] {
  const rows: Row[] = [
    { id: 'v4-8', cidr: ['10.0.0.0/8'] },
    { id: 'v6-32', cidr: ['2001:db8::/32'] },
  ];
  for (let a = 0; a < 200; a++) {
    rows.push({ id: `v4-16-${a}`, cidr: [`10.${a}.0.0/16`] });
    rows.push({ id: `v6-48-${a}`, cidr: [`2001:db8:${a.toString(16)}::/48`] });
    for (let b = 0; b < 50; b++) rows.push({ id: `v4-24-${a}-${b}`, cidr: [`10.${a}.${b}.0/24`] });
    for (let b = 0; b < 25; b++)
      rows.push({ id: `v6-64-${a}-${b}`, cidr: [`2001:db8:${a.toString(16)}:${b.toString(16)}::/64`] });
    for (let b = 0; b < 100; b++) {
      for (let c = 1; c <= 3; c++) {
        rows.push({
          id: `h-${a}-${b}-${c}`,
          criticality: 'high',
          environment: 'production',
          tags: ['server', `rack-${b}`],
          ip: [`10.${a}.${b}.${c}`],
          hostname: [`h-${a}-${b}-${c}.corp.example`],
        });
      }
    }
    for (let b = 0; b < 25; b++) {
      for (let c = 1; c <= 4; c++)
        rows.push({ id: `h6-${a}-${b}-${c}`, ip: [`2001:db8:${a.toString(16)}:${b.toString(16)}::${c}`] });
    }
  }
  for (let n = 0; rows.length < 100_000; n++) rows.push({ id: `named-${n}`, hostname: [`named-${n}`] });
  return rows;
}

function toCsv(rows: Row[]): string {
  const lines = ['id,criticality,environment,tags,ip,cidr,hostname'];
  for (const r of rows) {
    lines.push(
      [
        r.id,
        r.criticality,
        r.environment,
        r.tags?.join(';'),
        r.ip?.join(';'),
        r.cidr?.join(';'),
        r.hostname?.join(';'),
      ]
        .map((v) => v ?? '')
        .join(','),
    );
  }
  return `${lines.join('\n')}\n`;
}

// A full collection before each memory reading, so the numbers are what the inventory keeps.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function measure(file: string): { inventory: Inventory; ms: number; heapMiB: number } {
  gc();
  const before = process.memoryUsage();
  const start = performance.now();
  const inventory = loadInventory([file]);
  const ms = performance.now() - start;
  gc();
  const after = process.memoryUsage();
  const heapMiB = (after.heapUsed + after.arrayBuffers - before.heapUsed - before.arrayBuffers) / 2 ** 20;
  return { inventory, ms, heapMiB };
}

function checkLongestPrefix(inventory: Inventory, size: number): void {
  const id = (ip: string) => inventory.matchIp(ip)?.id;
  expect(inventory.size).toBe(size);
  // IPv4: exact host beats /24 beats /16 beats /8.
  expect(id('10.5.7.2')).toBe('h-5-7-2');
  expect(id('10.5.7.200')).toBe('v4-24-5-7');
  expect(id('10.5.70.9')).toBe('v4-16-5');
  expect(id('10.250.0.1')).toBe('v4-8');
  expect(id('11.0.0.1')).toBeUndefined();
  // IPv6: exact host beats /64 beats /48 beats /32.
  expect(id('2001:db8:5:7::2')).toBe('h6-5-7-2');
  expect(id('2001:db8:5:7::9')).toBe('v6-64-5-7');
  expect(id('2001:db8:5:70::1')).toBe('v6-48-5');
  expect(id('2001:db8:ffff::1')).toBe('v6-32');
  expect(id('2001:db9::1')).toBeUndefined();
  // Host names, case-insensitive, full or short.
  expect(inventory.matchHost('H-5-7-2.CORP.EXAMPLE')?.id).toBe('h-5-7-2');
  expect(inventory.matchHost('h-5-7-2')?.id).toBe('h-5-7-2');
  expect(inventory.matchHost('h-5-7-2.lab.example')).toBeUndefined();
  if (size < 100_000) return;
  expect(id('::ffff:10.199.99.3')).toBe('h-199-99-3');
  expect(inventory.matchHost('named-42.corp.example')?.id).toBe('named-42');
}

describe('a 100,000-entry inventory', () => {
  let rows: Row[];
  beforeAll(() => {
    rows = largeInventory();
    writeFileSync(join(dir, 'large.csv'), toCsv(rows));
    writeFileSync(join(dir, 'large.json'), JSON.stringify({ assets: rows }));
    // The yaml package parses about ten times slower than CSV or JSON: a fifth of the entries.
    writeFileSync(join(dir, 'large.yaml'), stringify({ assets: rows.slice(0, 20_000) }));
  }, 60_000);

  it.each([
    ['csv', 100_000],
    ['json', 100_000],
    ['yaml', 20_000],
  ])(
    'loads from %s (%i entries) with the longest prefix winning',
    (format, size) => {
      const { inventory, ms, heapMiB } = measure(join(dir, `large.${format}`));
      console.log(
        `asset inventory, ${size} entries from ${format}: loaded in ${ms.toFixed(0)} ms, retained heap +${heapMiB.toFixed(1)} MiB`,
      );
      checkLongestPrefix(inventory, size as number);
    },
    60_000,
  );

  it('looks addresses and names up in about a microsecond or less', () => {
    const inventory = loadInventory([join(dir, 'large.csv')]);
    const ips: string[] = [];
    for (let i = 0; i < 1000; i++) {
      ips.push(
        `10.${i % 200}.${i % 100}.${(i % 3) + 1}`,
        `10.${i % 200}.${i % 250}.77`,
        `2001:db8:${(i % 200).toString(16)}:${(i % 25).toString(16)}::${(i % 4) + 1}`,
      );
    }
    let found = 0;
    const rounds = 300;
    const start = performance.now();
    for (let r = 0; r < rounds; r++)
      for (const ip of ips) if (inventory.matchIp(ip) !== undefined) found += 1;
    const ns = ((performance.now() - start) * 1e6) / (rounds * ips.length);
    const names = ips.map((_, i) => `h-${i % 200}-${i % 100}-${(i % 3) + 1}`);
    const nameStart = performance.now();
    for (let r = 0; r < rounds; r++)
      for (const name of names) if (inventory.matchHost(name) !== undefined) found += 1;
    const nameNs = ((performance.now() - nameStart) * 1e6) / (rounds * names.length);
    console.log(`asset lookups: ${ns.toFixed(0)} ns per address, ${nameNs.toFixed(0)} ns per host name`);
    expect(found).toBe(rounds * ips.length * 2);
  });
});

describe('reloading while events flow', () => {
  const HOSTS = 20_000;
  const TOTAL = 200_000;
  const CHUNK = 1000;

  /** Version v: every host 10.0.x.y and 2001:db8::x:y is asset `v<v>-<n>`, environment `v<v>`. */
  function version(v: number, broken = false): string {
    const lines = ['id,environment,ip,cidr'];
    lines.push(`v${v}-net,v${v},,10.0.0.0/8;2001:db8::/32`);
    for (let n = 0; n < HOSTS; n++) {
      lines.push(
        `v${v}-${n},v${v},10.0.${n >> 8}.${n & 255};2001:db8::${(n >> 8).toString(16)}:${(n & 255).toString(16)},`,
      );
    }
    // A broken version is broken at its very end: a half-loaded inventory would look complete.
    if (broken) lines.push(`v${v}-bad,v${v},10.0.300.1,`);
    return `${lines.join('\n')}\n`;
  }

  it('enriches every event from the old or the new inventory, never a half-loaded one', async () => {
    const file = join(dir, 'flow.csv');
    const replace = (text: string) => {
      writeFileSync(`${file}.tmp`, text);
      renameSync(`${file}.tmp`, file);
    };
    replace(version(1));
    const metrics = new Metrics({ defaultMetrics: false });
    const logger = { info: vi.fn(), warn: vi.fn(), error: vi.fn(), debug: vi.fn() };
    const enricher = openAssetEnricher(assetConfigSchema.parse({ files: [file] }), {
      logger: logger as unknown as Logger,
      metrics,
      reloadIntervalMs: 5,
    });
    enricher.start();
    const reloads = async () => {
      const values =
        (await metrics.registry.getSingleMetric('vigil_processor_asset_reloads_total')?.get())?.values ?? [];
      return values.reduce((sum, v) => sum + v.value, 0);
    };

    // The writer: each new version once the previous one was seen (loaded or refused).
    const plan = [
      { v: 2, broken: false },
      { v: 3, broken: true },
      { v: 4, broken: false },
      { v: 5, broken: false },
    ];
    let writerDone = false;
    const writer = (async () => {
      for (const step of plan) {
        await new Promise((r) => setTimeout(r, 20));
        const before = await reloads();
        replace(version(step.v, step.broken));
        while ((await reloads()) === before) await new Promise((r) => setTimeout(r, 5));
      }
      writerDone = true;
    })();

    const seen: number[] = [];
    let enriched = 0;
    let last = 1;
    let outOfOrder = 0;
    let mixed = 0;
    let fallback = 0;
    for (let i = 0; i < TOTAL || !writerDone; i++) {
      const n = (i * 7919) % HOSTS;
      const e = {
        '@timestamp': '2026-01-01T00:00:00.000Z',
        message: 'm',
        event: { dataset: 'test' },
        vigil: { record: { id: String(i), offset: i, stream: 's' } },
        source: { ip: `10.0.${n >> 8}.${n & 255}` },
        destination: { ip: `2001:db8::${(n >> 8).toString(16)}:${(n & 255).toString(16)}` },
      } as Doc;
      enricher.enrich(e as EcsEvent);
      const src = e.source.asset;
      const dst = e.destination.asset;
      if (src === undefined || dst === undefined) throw new Error(`event ${i} was not enriched`);
      const v = Number(src.environment.slice(1));
      if (dst.environment !== src.environment) mixed += 1;
      if (src.id !== `v${v}-${n}` || dst.id !== `v${v}-${n}`) fallback += 1;
      if (v < last) outOfOrder += 1;
      if (v !== last || seen.length === 0) seen.push(v);
      last = v;
      enriched += 1;
      if (i % CHUNK === CHUNK - 1) await new Promise((r) => setImmediate(r));
    }
    await writer;
    enricher.close();

    expect(enriched).toBeGreaterThanOrEqual(TOTAL);
    expect(mixed).toBe(0);
    expect(fallback).toBe(0);
    expect(outOfOrder).toBe(0);
    // Version 3 was broken: version 2 stayed in force until version 4 came.
    expect(seen).toEqual([1, 2, 4, 5]);
    const values =
      (await metrics.registry.getSingleMetric('vigil_processor_asset_reloads_total')?.get())?.values ?? [];
    expect(Object.fromEntries(values.map((v) => [v.labels.outcome, v.value]))).toEqual({
      ok: 3,
      failed: 1,
    });
    expect(logger.warn).toHaveBeenCalledTimes(1);
    console.log(`reload under flow: ${enriched} events enriched across versions ${seen.join(' → ')}`);
  }, 120_000);
});
