import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { isVigilError, type VigilError } from '../../../../../core/errors.ts';
import type { Logger } from '../../../../../core/log.ts';
import { Metrics } from '../../../../../core/telemetry/metrics.ts';
import { assetConfigSchema } from '../../../../../processor/enrichers/asset/asset-config.ts';
import {
  type AssetEnricher,
  openAssetEnricher,
} from '../../../../../processor/enrichers/asset/asset-enricher.ts';
import type { EcsEvent } from '../../../../../processor/event-builder.ts';

// biome-ignore lint/suspicious/noExplicitAny: assertions read nested event fields freely.
type Doc = Record<string, any>;

const dir = mkdtempSync(join(tmpdir(), 'vigil-asset-enricher-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const open: AssetEnricher[] = [];
afterEach(() => {
  for (const enricher of open.splice(0)) enricher.close();
});

function fakeLogger() {
  return { info: vi.fn(), warn: vi.fn(), error: vi.fn(), debug: vi.fn() };
}

/** Replaces a file the way a deployment should: write a new one, rename it over the old. */
function replace(file: string, text: string): void {
  writeFileSync(`${file}.tmp`, text);
  renameSync(`${file}.tmp`, file);
}

function setup(text: string, options: { name?: string; reloadIntervalMs?: number; config?: object } = {}) {
  const file = join(dir, options.name ?? `inv-${open.length}-${Math.random().toString(36).slice(2)}.csv`);
  replace(file, text);
  const metrics = new Metrics({ defaultMetrics: false });
  const logger = fakeLogger();
  const enricher = openAssetEnricher(assetConfigSchema.parse({ files: [file], ...options.config }), {
    logger: logger as unknown as Logger,
    metrics,
    reloadIntervalMs: options.reloadIntervalMs ?? 0,
  });
  open.push(enricher);
  return { file, enricher, metrics, logger };
}

async function counts(metrics: Metrics, name: string): Promise<Record<string, number>> {
  const metric = metrics.registry.getSingleMetric(name);
  const out: Record<string, number> = {};
  for (const value of (await metric?.get())?.values ?? []) {
    out[String(Object.values(value.labels)[0] ?? '')] = value.value;
  }
  return out;
}

function event(fields: Record<string, unknown>): EcsEvent {
  return {
    '@timestamp': '2026-01-01T00:00:00.000Z',
    message: 'm',
    event: { dataset: 'test' },
    vigil: { record: { id: 'r', offset: 0, stream: 's' } },
    ...fields,
  } as EcsEvent;
}

const INVENTORY = `id,name,owner,criticality,environment,business_unit,tags,ip,cidr,hostname
web,Web 1,web-team,high,production,shop,pci;dmz,10.1.2.3,,web01.corp.example
db,DB 1,dba,critical,production,shop,,10.1.2.4;2001:db8::4,,
office,Office LAN,netops,low,production,it,,,10.9.0.0/16,
laptop,Laptop,alice,medium,corp,it,,10.9.1.7,,lt-alice
`;

describe('openAssetEnricher', () => {
  it('adds asset context for source, destination, client and server addresses', () => {
    const { enricher } = setup(INVENTORY);
    const e = event({
      source: { ip: '10.9.1.8', port: 5555 },
      destination: { ip: '10.1.2.3' },
      client: { ip: '2001:db8::4' },
      server: { ip: '192.0.2.1' },
    }) as Doc;
    enricher.enrich(e as EcsEvent);
    expect(e.source).toEqual({
      ip: '10.9.1.8',
      port: 5555,
      asset: {
        id: 'office',
        name: 'Office LAN',
        owner: 'netops',
        criticality: 'low',
        environment: 'production',
        business_unit: 'it',
      },
    });
    expect(e.destination.asset).toEqual({
      id: 'web',
      name: 'Web 1',
      owner: 'web-team',
      criticality: 'high',
      environment: 'production',
      business_unit: 'shop',
      tags: ['pci', 'dmz'],
    });
    expect(e.client.asset.id).toBe('db');
    expect(e.server.asset).toBeUndefined();
  });

  it('gives each event its own copy of the asset', () => {
    const { enricher } = setup(INVENTORY);
    const a = event({ source: { ip: '10.1.2.3' } }) as Doc;
    const b = event({ source: { ip: '10.1.2.3' } }) as Doc;
    enricher.enrich(a as EcsEvent);
    enricher.enrich(b as EcsEvent);
    a.source.asset.tags.push('changed');
    a.source.asset.owner = 'someone';
    expect(b.source.asset.tags).toEqual(['pci', 'dmz']);
    expect(b.source.asset.owner).toBe('web-team');
    const c = event({ source: { ip: '10.1.2.3' } }) as Doc;
    enricher.enrich(c as EcsEvent);
    expect(c.source.asset.tags).toEqual(['pci', 'dmz']);
  });

  it('finds the host by host.name, host.hostname, then each host.ip', () => {
    const { enricher } = setup(INVENTORY);
    const byName = event({ host: { name: 'WEB01', ip: ['10.1.2.4'] } }) as Doc;
    enricher.enrich(byName as EcsEvent);
    expect(byName.host.asset.id).toBe('web');
    const byHostname = event({ host: { name: 'unknown', hostname: 'lt-alice.corp.example' } }) as Doc;
    enricher.enrich(byHostname as EcsEvent);
    expect(byHostname.host.asset.id).toBe('laptop');
    const byIps = event({ host: { name: 'unknown', ip: ['127.0.0.1', 'fe80::1%eth0', '10.1.2.4'] } }) as Doc;
    enricher.enrich(byIps as EcsEvent);
    expect(byIps.host.asset.id).toBe('db');
    const byIp = event({ host: { ip: '10.9.200.1' } }) as Doc;
    enricher.enrich(byIp as EcsEvent);
    expect(byIp.host.asset.id).toBe('office');
    const none = event({ host: { name: 'other', ip: ['192.0.2.1'] } }) as Doc;
    enricher.enrich(none as EcsEvent);
    expect(none.host.asset).toBeUndefined();
  });

  it('counts lookups and matches per field', async () => {
    const { enricher, metrics } = setup(INVENTORY);
    enricher.enrich(event({ source: { ip: '10.1.2.3' }, destination: { ip: '192.0.2.1' } }));
    enricher.enrich(
      event({ source: { ip: 'not-an-ip' }, host: { name: 'x', ip: ['192.0.2.9', '10.1.2.4'] } }),
    );
    expect(await counts(metrics, 'vigil_processor_asset_lookups_total')).toMatchObject({
      'source.ip': 2,
      'destination.ip': 1,
      'host.name': 1,
      'host.ip': 2,
      'client.ip': 0,
    });
    expect(await counts(metrics, 'vigil_processor_asset_matches_total')).toMatchObject({
      'source.ip': 1,
      'destination.ip': 0,
      'host.name': 0,
      'host.ip': 1,
    });
  });

  it('never throws for an odd event, and counts what went wrong', async () => {
    const { enricher, metrics } = setup(INVENTORY);
    const odd: unknown[] = [
      { source: 'a string' },
      { source: { ip: 10 } },
      { source: { ip: ['10.1.2.3'] } },
      { destination: null },
      { host: { ip: [null, 5, {}, '10.1.2.3'] } },
      { host: { name: 12, hostname: {} } },
      { host: [] },
    ];
    for (const fields of odd)
      expect(() => enricher.enrich(event(fields as Record<string, unknown>))).not.toThrow();
    const hostile = event({});
    Object.defineProperty(hostile, 'source', {
      get() {
        throw new Error('boom');
      },
    });
    expect(() => enricher.enrich(hostile)).not.toThrow();
    expect((await counts(metrics, 'vigil_processor_asset_errors_total'))['']).toBe(1);
  });

  it('does nothing without files', () => {
    const enricher = openAssetEnricher(assetConfigSchema.parse({}), {
      logger: fakeLogger() as unknown as Logger,
      metrics: new Metrics({ defaultMetrics: false }),
      reloadIntervalMs: 100,
    });
    enricher.start();
    const e = event({ source: { ip: '10.1.2.3' } }) as Doc;
    enricher.enrich(e as EcsEvent);
    expect(e.source).toEqual({ ip: '10.1.2.3' });
    enricher.close();
  });

  it('refuses a broken file at startup, naming the file, line and field', () => {
    let error: unknown;
    try {
      setup('id,ip\nok,10.0.0.1\nbad,10.0.0.999\n', { name: 'startup.csv' });
    } catch (caught) {
      error = caught;
    }
    expect(isVigilError(error)).toBe(true);
    expect((error as VigilError).code).toBe('CONFIG_INVALID');
    expect((error as VigilError).message).toMatch(/startup\.csv:3 ip: "10\.0\.0\.999" is not an IP address/);
  });
});

describe('reloading', () => {
  it('swaps in a changed file and keeps the previous inventory when the new one is broken', async () => {
    const { file, enricher, metrics, logger } = setup('id,ip\nv1,10.0.0.1\n');
    const id = () => {
      const e = event({ source: { ip: '10.0.0.1' } }) as Doc;
      enricher.enrich(e as EcsEvent);
      return e.source.asset?.id;
    };
    expect(await enricher.check()).toBe('unchanged');
    expect(id()).toBe('v1');

    replace(file, 'id,ip\nv2,10.0.0.1\n');
    expect(await enricher.check()).toBe('reloaded');
    expect(id()).toBe('v2');

    replace(file, 'id,ip\nv3,10.0.0.1\nbroken,10.0.0.300\n');
    expect(await enricher.check()).toBe('failed');
    expect(id()).toBe('v2');
    expect(logger.warn).toHaveBeenCalledTimes(1);
    const [fields, message] = logger.warn.mock.calls[0] as [Doc, string];
    expect(message).toBe(
      'The changed asset inventory was not loaded; the previous inventory stays in force.',
    );
    expect(fields.problems).toEqual([
      { file, line: 3, field: 'ip', message: '"10.0.0.300" is not an IP address' },
    ]);
    // The same broken version is reported once.
    expect(await enricher.check()).toBe('unchanged');
    expect(logger.warn).toHaveBeenCalledTimes(1);

    rmSync(file);
    expect(await enricher.check()).toBe('failed');
    expect(id()).toBe('v2');

    replace(file, 'id,ip\nv4,10.0.0.1\n');
    expect(await enricher.check()).toBe('reloaded');
    expect(id()).toBe('v4');
    expect(await counts(metrics, 'vigil_processor_asset_reloads_total')).toEqual({ ok: 2, failed: 2 });
    expect((await counts(metrics, 'vigil_processor_asset_entries'))['']).toBe(1);
  });

  it('checks the files on its own every reload interval once started', async () => {
    const { file, enricher } = setup('id,ip\nv1,10.0.0.1\n', { reloadIntervalMs: 10 });
    enricher.start();
    replace(file, 'id,ip\nv2,10.0.0.1\nextra,10.0.0.2\n');
    const deadline = Date.now() + 5000;
    while (enricher.inventory.size !== 2 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 10));
    expect(enricher.inventory.matchIp('10.0.0.1')?.id).toBe('v2');
    enricher.close();
    replace(file, 'id,ip\nv3,10.0.0.1\n');
    await new Promise((r) => setTimeout(r, 50));
    expect(enricher.inventory.matchIp('10.0.0.1')?.id).toBe('v2');
  });
});
