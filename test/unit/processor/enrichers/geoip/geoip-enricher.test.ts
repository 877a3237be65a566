import { copyFile, mkdtemp, readdir, readFile, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { VigilError } from '../../../../../core/errors.ts';
import { createLogger } from '../../../../../core/log.ts';
import { Metrics } from '../../../../../core/telemetry/metrics.ts';
import {
  type GeoIpConfigInput,
  type GeoIpEnricher,
  geoipConfigSchema,
  openGeoIpEnricher,
} from '../../../../../processor/enrichers/geoip/geoip-enricher.ts';
import type { EcsEvent } from '../../../../../processor/event-builder.ts';

/** Events and source records are read as loose nested JSON. */
// biome-ignore lint/suspicious/noExplicitAny: assertions read nested event fields freely.
type Doc = Record<string, any>;

const GEOIP_DATA = new URL('../../../../../../shared/data/geoip/', import.meta.url);
const testData = (name: string): string => fileURLToPath(new URL(`test-data/${name}`, GEOIP_DATA));
const sourceData = (name: string): string => fileURLToPath(new URL(`source-data/${name}`, GEOIP_DATA));
const BAD_DATA = fileURLToPath(new URL('bad-data/', GEOIP_DATA));

const CITY = testData('GeoIP2-City-Test.mmdb');
const LITE_CITY = testData('GeoLite2-City-Test.mmdb');
const ASN = testData('GeoLite2-ASN-Test.mmdb');

interface Harness {
  metrics: Metrics;
  logs: Array<Record<string, unknown>>;
  open(config: GeoIpConfigInput, reloadIntervalMs?: number): Promise<GeoIpEnricher>;
}

let opened: GeoIpEnricher[] = [];
let dirs: string[] = [];

function harness(): Harness {
  const metrics = new Metrics({ defaultMetrics: false });
  const logs: Array<Record<string, unknown>> = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n')) if (line) logs.push(JSON.parse(line));
      done();
    },
  });
  const logger = createLogger({ destination, level: 'debug' });
  return {
    metrics,
    logs,
    async open(config, reloadIntervalMs = 0) {
      const enricher = await openGeoIpEnricher(config, { logger, metrics, reloadIntervalMs });
      opened.push(enricher);
      return enricher;
    },
  };
}

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'vigil-geoip-'));
  dirs.push(dir);
  return dir;
}

/** Replaces a file the way updaters do: write beside it, then rename over it. */
async function replaceFile(from: string, to: string): Promise<void> {
  await copyFile(from, `${to}.new`);
  await rename(`${to}.new`, to);
}

function event(fields: Record<string, unknown>): EcsEvent {
  return {
    '@timestamp': '2026-01-01T00:00:00.000Z',
    message: 'test',
    event: { dataset: 'test' },
    vigil: { record: { id: 'r1', offset: 0, stream: 's1' } },
    ...fields,
  };
}

function enrichSource(enricher: GeoIpEnricher, ip: unknown): EcsEvent & { source: Doc } {
  const e = event({ source: { ip } });
  enricher.enrich(e);
  return e as EcsEvent & { source: Doc };
}

async function count(metrics: Metrics, name: string, labels: Record<string, string> = {}): Promise<number> {
  const metric = metrics.registry.getSingleMetric(name);
  if (!metric) return 0;
  const { values } = await metric.get();
  return values
    .filter((v) => Object.entries(labels).every(([k, l]) => (v.labels as Record<string, unknown>)[k] === l))
    .reduce((sum, v) => sum + v.value, 0);
}

beforeEach(() => {
  opened = [];
  dirs = [];
});

afterEach(async () => {
  for (const enricher of opened) await enricher.close();
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

// ---- MaxMind's source data: every network's first address --------------------------------------

interface Network {
  cidr: string;
  /** The network's first address, as written in the source data. */
  first: string;
  /** Start and prefix in the IPv6 tree, where IPv4 networks live in ::/96 as in .mmdb files. */
  start: bigint;
  prefix: number;
  record: Doc;
}

function ipv4Value(address: string): bigint {
  return address.split('.').reduce((acc, part) => (acc << 8n) | BigInt(Number(part)), 0n);
}

function ipv6Value(address: string): bigint {
  const groups = (part: string): bigint[] =>
    part === ''
      ? []
      : part.split(':').flatMap((group) => {
          if (!group.includes('.')) return [BigInt(Number.parseInt(group, 16))];
          const v4 = ipv4Value(group);
          return [v4 >> 16n, v4 & 0xffffn];
        });
  const [head, tail] = address.split('::') as [string, string | undefined];
  const left = groups(head);
  const right = tail === undefined ? [] : groups(tail);
  const all =
    tail === undefined ? left : [...left, ...Array(8 - left.length - right.length).fill(0n), ...right];
  return all.reduce((acc, group) => (acc << 16n) | group, 0n);
}

function parseNetwork(cidr: string, record: Doc): Network {
  const [address, length] = cidr.split('/') as [string, string];
  const v6 = address.includes(':');
  const start = v6 ? ipv6Value(address) : ipv4Value(address);
  return { cidr, first: address, start, prefix: Number(length) + (v6 ? 0 : 96), record };
}

function contains(outer: Network, inner: Network): boolean {
  if (outer.prefix > inner.prefix) return false;
  const shift = BigInt(128 - outer.prefix);
  return outer.start >> shift === inner.start >> shift;
}

/** Each network with the record the database gives its first address: the most specific network holding it. */
async function representatives(json: string): Promise<Array<{ network: Network; expected: Doc }>> {
  const entries = JSON.parse(await readFile(sourceData(json), 'utf8')) as Array<Doc>;
  const networks = entries.flatMap((entry) =>
    Object.entries(entry).map(([cidr, record]) => parseNetwork(cidr, record)),
  );
  return networks.map((network) => {
    const firstAsHost = { ...network, prefix: 128 };
    const best = networks
      .filter((candidate) => contains(candidate, firstAsHost))
      .reduce((a, b) => (b.prefix > a.prefix ? b : a));
    return { network, expected: best.record };
  });
}

describe('MaxMind test databases, every network of the source data', () => {
  for (const [mmdb, json] of [
    ['GeoIP2-City-Test.mmdb', 'GeoIP2-City-Test.json'],
    ['GeoLite2-City-Test.mmdb', 'GeoLite2-City-Test.json'],
  ] as const) {
    it(`gives the country, city and location of ${json}`, async () => {
      const enricher = await harness().open({ city_db: testData(mmdb) });
      const cases = await representatives(json);
      expect(cases.length).toBeGreaterThan(200);
      for (const { network, expected } of cases) {
        const geo = enrichSource(enricher, network.first).source.geo;
        const where = `${network.cidr} (${network.first})`;
        expect(geo?.country_iso_code, where).toBe(expected.country?.iso_code);
        expect(geo?.country_name, where).toBe(expected.country?.names?.en);
        expect(geo?.city_name, where).toBe(expected.city?.names?.en);
        expect(geo?.continent_code, where).toBe(expected.continent?.code);
        const location = expected.location;
        expect(geo?.location, where).toEqual(
          location?.latitude === undefined ? undefined : { lat: location.latitude, lon: location.longitude },
        );
      }
    });
  }

  it('gives the AS number and organization of GeoLite2-ASN-Test.json', async () => {
    const enricher = await harness().open({ asn_db: ASN, default_database: false });
    const cases = await representatives('GeoLite2-ASN-Test.json');
    expect(cases.length).toBeGreaterThan(700);
    for (const { network, expected } of cases) {
      const as = enrichSource(enricher, network.first).source.as;
      const where = `${network.cidr} (${network.first})`;
      expect(as?.number, where).toBe(expected.autonomous_system_number);
      expect(as?.organization?.name, where).toBe(expected.autonomous_system_organization);
    }
  });
});

// ---- corrupt databases --------------------------------------------------------------------------

async function mmdbFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries
    .filter((entry) => entry.isFile() && entry.name.endsWith('.mmdb'))
    .map((entry) => join(entry.parentPath, entry.name))
    .sort();
}

describe('corrupt databases (MaxMind bad-data)', () => {
  it('finds the corrupt test files', async () => {
    expect((await mmdbFiles(BAD_DATA)).length).toBeGreaterThanOrEqual(20);
  });

  it('refuses each one at startup with a VigilError naming the file', async () => {
    for (const file of await mmdbFiles(BAD_DATA)) {
      for (const option of ['city_db', 'asn_db'] as const) {
        const failure = await harness()
          .open({ [option]: file, default_database: false })
          .then(
            () => undefined,
            (error: unknown) => error,
          );
        expect(failure, `${option}: ${file}`).toBeInstanceOf(VigilError);
        expect((failure as VigilError).message, file).toContain(file);
        expect((failure as VigilError).message, file).toContain(`processor.geoip.${option}`);
      }
    }
  });

  it('keeps the previous database when the file is replaced by each one, and reports it', async () => {
    const dir = await tempDir();
    const path = join(dir, 'city.mmdb');
    await copyFile(CITY, path);
    const h = harness();
    const enricher = await h.open({ city_db: path });
    const files = await mmdbFiles(BAD_DATA);
    for (const [i, file] of files.entries()) {
      await replaceFile(file, path);
      await enricher.reload();
      expect(await count(h.metrics, 'vigil_processor_geoip_reloads_total', { outcome: 'failed' }), file).toBe(
        i + 1,
      );
      expect(enrichSource(enricher, `81.2.69.${160 + (i % 32)}`).source.geo?.city_name, file).toBe('London');
    }
    const errors = h.logs.filter((line) => line.level === 'error');
    expect(errors).toHaveLength(files.length);
    for (const error of errors) expect(String(error.msg)).toContain(path);
    // An unchanged bad file is reported once, not on every check.
    await enricher.reload();
    expect(await count(h.metrics, 'vigil_processor_geoip_reloads_total', { outcome: 'failed' })).toBe(
      files.length,
    );
  });
});

// ---- embedded default ---------------------------------------------------------------------------

describe('the embedded default database', () => {
  it('gives public addresses a country with no configuration', async () => {
    const enricher = await harness().open({});
    expect(enrichSource(enricher, '8.8.8.8').source.geo).toMatchObject({
      country_iso_code: 'US',
      country_name: 'United States',
      continent_code: 'NA',
      continent_name: 'North America',
    });
    expect(enrichSource(enricher, '1.1.1.1').source.geo?.country_iso_code).toBe('AU');
    expect(enrichSource(enricher, '2001:4860:4860::8888').source.geo?.country_iso_code).toMatch(/^[A-Z]{2}$/);
  });

  it('is used for locations when only an ASN database is given', async () => {
    const enricher = await harness().open({ asn_db: ASN });
    const source = enrichSource(enricher, '1.128.0.1').source;
    expect(source.as).toEqual({ number: 1221, organization: { name: 'Telstra Pty Ltd' } });
    expect(source.geo?.country_iso_code).toBe('AU');
  });

  it('is not used when turned off, and the enricher then does nothing and says so', async () => {
    const h = harness();
    const enricher = await h.open({ default_database: false });
    expect(enrichSource(enricher, '8.8.8.8').source).toEqual({ ip: '8.8.8.8' });
    expect(h.logs.some((line) => String(line.msg).includes('GeoIP enrichment is off'))).toBe(true);
  });
});

// ---- fields, special addresses, invalid values ---------------------------------------------------

describe('enrichment', () => {
  it('enriches source, destination, client, server and configured fields into their targets', async () => {
    const enricher = await harness().open({
      city_db: CITY,
      asn_db: ASN,
      fields: [{ ip: 'observer.ip' }, { ip: 'threat.indicator.ip', target: 'threat.indicator' }],
    });
    const e = event({
      source: { ip: '81.2.69.160' },
      destination: { ip: '216.160.83.56' },
      client: { ip: '1.128.0.1' },
      server: { ip: '2001:218::1' },
      observer: { ip: '89.160.20.112' },
      threat: { indicator: { ip: '81.2.69.142' } },
    }) as Doc;
    enricher.enrich(e as EcsEvent);
    expect(e.source.geo).toEqual({
      continent_code: 'EU',
      continent_name: 'Europe',
      country_iso_code: 'GB',
      country_name: 'United Kingdom',
      region_iso_code: 'GB-ENG',
      region_name: 'England',
      city_name: 'London',
      timezone: 'Europe/London',
      location: { lat: 51.5142, lon: -0.0931 },
    });
    expect(e.destination.geo).toMatchObject({
      city_name: 'Milton',
      region_iso_code: 'US-WA',
      postal_code: '98354',
    });
    expect(e.destination.as).toEqual({ number: 209 });
    expect(e.client.as?.number).toBe(1221);
    expect(e.server.geo?.country_iso_code).toBe('JP');
    expect(e.observer.geo?.city_name).toBe('Linköping');
    expect(e.observer.as?.number).toBe(29518);
    expect(e.threat.indicator.geo?.country_iso_code).toBe('GB');
  });

  it('keeps fields already in the target object', async () => {
    const enricher = await harness().open({ city_db: CITY });
    const e = event({ source: { ip: '81.2.69.160', geo: { name: 'office' } } }) as Doc;
    enricher.enrich(e as EcsEvent);
    expect(e.source.geo).toMatchObject({ name: 'office', city_name: 'London' });
  });

  it('reads Country and Enterprise databases', async () => {
    const country = await harness().open({ country_db: testData('GeoLite2-Country-Test.mmdb') });
    expect(enrichSource(country, '81.2.69.160').source.geo).toMatchObject({ country_iso_code: 'GB' });
    expect(enrichSource(country, '81.2.69.160').source.geo?.city_name).toBeUndefined();
    const enterprise = await harness().open({ city_db: testData('GeoIP2-Enterprise-Test.mmdb') });
    const source = enrichSource(enterprise, '89.160.20.112').source;
    expect(source.geo?.city_name).toBe('Linköping');
    expect(source.as).toEqual({ number: 29518, organization: { name: 'Bredband2 AB' } });
  });

  it('falls back to the country database where the city database has no record', async () => {
    const enricher = await harness().open({
      city_db: CITY,
      country_db: testData('GeoLite2-Country-Test.mmdb'),
    });
    expect(enrichSource(enricher, '81.2.69.160').source.geo?.city_name).toBe('London');
    expect(enrichSource(enricher, '2a02:d280::1').source.geo?.country_iso_code).toBe('CZ');
  });

  const special: Array<[string, string]> = [
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['192.168.1.1', 'private'],
    ['127.0.0.1', 'loopback'],
    ['169.254.1.1', 'link_local'],
    ['100.64.0.1', 'cgnat'],
    ['224.0.0.251', 'multicast'],
    ['192.0.2.10', 'documentation'],
    ['198.51.100.7', 'documentation'],
    ['203.0.113.9', 'documentation'],
    ['240.0.0.1', 'reserved'],
    ['255.255.255.255', 'reserved'],
    ['0.0.0.0', 'unspecified'],
    ['::', 'unspecified'],
    ['::1', 'loopback'],
    ['fd00::1', 'private'],
    ['fe80::1%eth0', 'link_local'],
    ['ff02::1', 'multicast'],
    ['2001:db8::1', 'documentation'],
    ['::ffff:192.168.0.1', 'private'],
    ['::ffff:c0a8:1', 'private'],
  ];
  for (const [ip, reason] of special) {
    it(`does not look up ${ip} and marks it as ${reason}`, async () => {
      const h = harness();
      const enricher = await h.open({});
      const e = enrichSource(enricher, ip);
      expect(e.source.geo).toBeUndefined();
      expect(e.vigil.geoip).toEqual({ skipped: [`source.ip:${reason}`] });
      expect(await count(h.metrics, 'vigil_processor_geoip_skipped_total', { reason })).toBe(1);
      expect(await count(h.metrics, 'vigil_processor_geoip_lookups_total')).toBe(0);
    });
  }

  it('skips and counts values that are not addresses, and never throws', async () => {
    const h = harness();
    const enricher = await h.open({ city_db: CITY });
    for (const ip of ['not an ip', '999.1.1.1', '', 42, { a: 1 }, ['81.2.69.160'], '81.2.69.160 ']) {
      expect(() => enrichSource(enricher, ip)).not.toThrow();
    }
    expect(await count(h.metrics, 'vigil_processor_geoip_skipped_total', { reason: 'invalid' })).toBe(7);
    const odd = event({ source: 'a string', destination: { ip: '81.2.69.160', geo: 'x' } }) as Doc;
    expect(() => enricher.enrich(odd as EcsEvent)).not.toThrow();
    expect(odd.source).toBe('a string');
    expect(odd.destination.geo).toBe('x');
    expect(() => enricher.enrich({} as EcsEvent)).not.toThrow();
  });

  it('counts lookups, cache hits and misses', async () => {
    const h = harness();
    const enricher = await h.open({ city_db: CITY });
    enrichSource(enricher, '81.2.69.160');
    enrichSource(enricher, '81.2.69.160');
    enrichSource(enricher, '8.8.8.8');
    expect(await count(h.metrics, 'vigil_processor_geoip_lookups_total')).toBe(3);
    expect(await count(h.metrics, 'vigil_processor_geoip_cache_hits_total')).toBe(1);
    expect(await count(h.metrics, 'vigil_processor_geoip_misses_total')).toBe(1);
  });

  it('gives each event its own copy of cached values', async () => {
    const enricher = await harness().open({ city_db: CITY });
    const first = enrichSource(enricher, '81.2.69.160');
    first.source.geo.location.lat = 0;
    expect(enrichSource(enricher, '81.2.69.160').source.geo.location.lat).toBe(51.5142);
  });
});

// ---- configuration and startup errors --------------------------------------------------------------

describe('configuration', () => {
  it('has its defaults', () => {
    expect(geoipConfigSchema.parse({})).toEqual({ fields: [], cache_size: 10_000, default_database: true });
  });

  it('requires a target for a field whose name does not end in .ip', async () => {
    await expect(harness().open({ fields: [{ ip: 'observer.address' }] })).rejects.toThrow(
      /target is required/,
    );
  });

  it('refuses a database whose type it cannot use, naming the file and the type', async () => {
    const file = testData('GeoIP2-Anonymous-IP-Test.mmdb');
    await expect(harness().open({ city_db: file })).rejects.toThrow(
      new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}.*GeoIP2-Anonymous-IP`),
    );
    await expect(harness().open({ asn_db: CITY })).rejects.toThrow(/"GeoIP2-City".*asn_db needs an ASN/);
    await expect(harness().open({ city_db: ASN })).rejects.toThrow(/"GeoLite2-ASN".*city_db needs a City/);
  });

  it('refuses a missing file, naming it', async () => {
    const failure = harness().open({ city_db: '/nonexistent/GeoLite2-City.mmdb' });
    await expect(failure).rejects.toBeInstanceOf(VigilError);
    await expect(failure).rejects.toThrow(
      /\/nonexistent\/GeoLite2-City\.mmdb \(processor\.geoip\.city_db\) cannot be read/,
    );
  });
});

// ---- hot reload ---------------------------------------------------------------------------------

describe('reloading', () => {
  it('swaps in a replaced database and empties the cache', async () => {
    const dir = await tempDir();
    const path = join(dir, 'city.mmdb');
    await copyFile(LITE_CITY, path);
    const h = harness();
    const enricher = await h.open({ city_db: path });
    // 2.2.3.1 is in the GeoIP2 test database only (Boxford); the lookup's miss is cached first.
    expect(enrichSource(enricher, '2.2.3.1').source.geo).toBeUndefined();
    await replaceFile(CITY, path);
    await enricher.reload();
    expect(enrichSource(enricher, '2.2.3.1').source.geo?.city_name).toBe('Boxford');
    expect(await count(h.metrics, 'vigil_processor_geoip_reloads_total', { outcome: 'ok' })).toBe(1);
    await enricher.reload();
    expect(await count(h.metrics, 'vigil_processor_geoip_reloads_total')).toBe(1);
  });

  it('keeps the database when its file disappears, and reports it once', async () => {
    const dir = await tempDir();
    const path = join(dir, 'city.mmdb');
    await copyFile(CITY, path);
    const h = harness();
    const enricher = await h.open({ city_db: path });
    await rm(path);
    await enricher.reload();
    await enricher.reload();
    expect(enrichSource(enricher, '81.2.69.160').source.geo?.city_name).toBe('London');
    expect(await count(h.metrics, 'vigil_processor_geoip_reloads_total', { outcome: 'failed' })).toBe(1);
    await copyFile(LITE_CITY, path);
    await enricher.reload();
    expect(await count(h.metrics, 'vigil_processor_geoip_reloads_total', { outcome: 'ok' })).toBe(1);
  });

  it('checks the files on a timer once started', async () => {
    const dir = await tempDir();
    const path = join(dir, 'city.mmdb');
    await copyFile(LITE_CITY, path);
    const h = harness();
    const enricher = await h.open({ city_db: path }, 20);
    enricher.start?.();
    await replaceFile(CITY, path);
    await expect
      .poll(() => enrichSource(enricher, '2.2.3.1').source.geo?.city_name, { timeout: 3000 })
      .toBe('Boxford');
  });
});
