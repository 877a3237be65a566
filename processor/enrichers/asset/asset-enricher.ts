/**
 * The asset enricher: adds inventory context to the parts of an event that
 * name a machine.
 *
 *   source.ip       → source.asset.*
 *   destination.ip  → destination.asset.*
 *   client.ip       → client.asset.*
 *   server.ip       → server.asset.*
 *   host.name, then host.hostname, then each host.ip → host.asset.*
 *
 * `*.asset` holds `id` and whichever of `name, owner, criticality,
 * environment, business_unit, tags` the inventory gives; it replaces an
 * `asset` already there. Each event is enriched from one inventory, read
 * once at the start of `enrich`.
 *
 * Reloading: every `reloadIntervalMs` the files' size, modification time and
 * inode are compared with those of the last load. When they changed, the
 * files are read (and read again later if they changed while being read),
 * a complete new inventory is built, then swapped in with one assignment.
 * Replace a file by writing a new one and renaming it over the old one. A broken new file keeps the previous inventory; the
 * problems are logged once for that version of the files and counted in
 * `vigil_processor_asset_reloads_total{outcome="failed"}`.
 *
 * openAssetEnricher is synchronous: it reads the files at once and throws a
 * CONFIG_INVALID VigilError naming every problem's file, line and field.
 */

import { statSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { isVigilError } from '../../../core/errors.ts';
import type { Logger } from '../../../core/log.ts';
import { RateLimitedLog } from '../../../core/rate-limited-log.ts';
import type { EcsEvent } from '../../event-builder.ts';
import type { Enricher, EnricherContext } from '../enricher.ts';
import type { AssetConfig } from './asset-config.ts';
import type { Asset, Inventory } from './inventory.ts';
import {
  buildInventory,
  type InventoryProblem,
  type InventorySource,
  loadInventory,
} from './inventory-loader.ts';

/** Event parts enriched from their `ip` field. */
const IP_SIDES = [
  ['source', 'source.ip'],
  ['destination', 'destination.ip'],
  ['client', 'client.ip'],
  ['server', 'server.ip'],
] as const;

/** The fields counted in the lookup and match metrics. */
const FIELDS = [
  'source.ip',
  'destination.ip',
  'client.ip',
  'server.ip',
  'host.name',
  'host.hostname',
  'host.ip',
] as const;
type Field = (typeof FIELDS)[number];

interface Counter {
  inc(value?: number): void;
}

/** The counter for one label value, exported as 0 from the start. */
function child(
  counter: { labels(labels: Record<string, string>): Counter },
  labels: Record<string, string>,
): Counter {
  const bound = counter.labels(labels);
  bound.inc(0);
  return bound;
}

export type CheckOutcome = 'unchanged' | 'reloaded' | 'failed';

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function copyAsset(asset: Asset): Asset {
  const copy = { ...asset };
  if (asset.tags !== undefined) copy.tags = asset.tags.slice();
  return copy;
}

/** Size, modification time and inode of each file; a file that cannot be stat'ed says why. */
function describeStat(file: string, s: { size: number; mtimeMs: number; ino: number }): string {
  return `${file}\0${s.size}\0${s.mtimeMs}\0${s.ino}`;
}

function signatureSync(files: readonly string[]): string {
  return files
    .map((file) => {
      try {
        return describeStat(file, statSync(file));
      } catch (error) {
        return `${file}\0${(error as NodeJS.ErrnoException).code ?? 'error'}`;
      }
    })
    .join('\n');
}

async function signatureOf(files: readonly string[]): Promise<string> {
  const parts = await Promise.all(
    files.map(async (file) => {
      try {
        return describeStat(file, await stat(file));
      } catch (error) {
        return `${file}\0${(error as NodeJS.ErrnoException).code ?? 'error'}`;
      }
    }),
  );
  return parts.join('\n');
}

export class AssetEnricher implements Enricher {
  readonly name = 'asset';
  readonly #files: readonly string[];
  readonly #shortNames: boolean;
  readonly #logger: Logger;
  readonly #problems: RateLimitedLog;
  readonly #reloadIntervalMs: number;
  #inventory: Inventory;
  #signature: string;
  #failedSignature: string | undefined;
  #timer: NodeJS.Timeout | undefined;
  #checking: Promise<CheckOutcome> | undefined;
  #closed = false;
  readonly #lookups: Record<Field, Counter>;
  readonly #matches: Record<Field, Counter>;
  readonly #reloaded: Counter;
  readonly #reloadFailed: Counter;
  readonly #errors: Counter;
  readonly #entries: { set(value: number): void };

  constructor(config: AssetConfig, context: EnricherContext) {
    this.#files = config.files;
    this.#shortNames = config.short_names ?? true;
    this.#logger = context.logger;
    this.#problems = new RateLimitedLog(context.logger);
    this.#reloadIntervalMs = context.reloadIntervalMs;
    const { metrics } = context;
    const lookups = metrics.counter(
      'vigil_processor_asset_lookups_total',
      'Event fields looked up in the asset inventory, by field.',
      ['field'],
    );
    const matches = metrics.counter(
      'vigil_processor_asset_matches_total',
      'Event fields the asset inventory had an asset for, by field.',
      ['field'],
    );
    this.#lookups = Object.fromEntries(FIELDS.map((f) => [f, child(lookups, { field: f })])) as Record<
      Field,
      Counter
    >;
    this.#matches = Object.fromEntries(FIELDS.map((f) => [f, child(matches, { field: f })])) as Record<
      Field,
      Counter
    >;
    const reloads = metrics.counter(
      'vigil_processor_asset_reloads_total',
      'Reloads of changed asset inventory files, by outcome (ok, or failed: the previous inventory stays).',
      ['outcome'],
    );
    this.#reloaded = child(reloads, { outcome: 'ok' });
    this.#reloadFailed = child(reloads, { outcome: 'failed' });
    this.#errors = metrics.counter(
      'vigil_processor_asset_errors_total',
      'Events the asset enricher failed on unexpectedly (the event goes on unenriched).',
    );
    this.#entries = metrics.gauge('vigil_processor_asset_entries', 'Assets in the inventory in force.');

    this.#signature = signatureSync(this.#files);
    this.#inventory = loadInventory(this.#files, { shortNames: this.#shortNames });
    this.#entries.set(this.#inventory.size);
  }

  /** The inventory in force. */
  get inventory(): Inventory {
    return this.#inventory;
  }

  enrich(event: EcsEvent): void {
    const inventory = this.#inventory;
    if (inventory.size === 0) return;
    try {
      for (const [side, field] of IP_SIDES) {
        const part = event[side];
        if (!isObject(part)) continue;
        const ip = part.ip;
        if (typeof ip !== 'string') continue;
        this.#lookups[field].inc();
        const asset = inventory.matchIp(ip);
        if (asset === undefined) continue;
        this.#matches[field].inc();
        part.asset = copyAsset(asset);
      }
      const host = event.host;
      if (isObject(host)) {
        const asset = this.#hostAsset(inventory, host);
        if (asset !== undefined) host.asset = copyAsset(asset);
      }
    } catch (error) {
      this.#errors.inc();
      this.#problems.warn(
        'enrich',
        { err: error instanceof Error ? error.message : String(error) },
        'The asset enricher failed on an event; the event goes on without asset context.',
      );
    }
  }

  #hostAsset(inventory: Inventory, host: Record<string, unknown>): Asset | undefined {
    for (const field of ['name', 'hostname'] as const) {
      const name = host[field];
      if (typeof name !== 'string') continue;
      this.#lookups[`host.${field}`].inc();
      const asset = inventory.matchHost(name);
      if (asset !== undefined) {
        this.#matches[`host.${field}`].inc();
        return asset;
      }
    }
    const ips = host.ip;
    if (typeof ips === 'string') return this.#hostIp(inventory, ips);
    if (Array.isArray(ips)) {
      for (const ip of ips) {
        if (typeof ip !== 'string') continue;
        const asset = this.#hostIp(inventory, ip);
        if (asset !== undefined) return asset;
      }
    }
    return undefined;
  }

  #hostIp(inventory: Inventory, ip: string): Asset | undefined {
    this.#lookups['host.ip'].inc();
    const asset = inventory.matchIp(ip);
    if (asset !== undefined) this.#matches['host.ip'].inc();
    return asset;
  }

  start(): void {
    if (this.#closed || this.#timer !== undefined) return;
    if (this.#reloadIntervalMs <= 0 || this.#files.length === 0) return;
    this.#timer = setInterval(() => void this.check(), this.#reloadIntervalMs);
    this.#timer.unref();
  }

  /**
   * Checks the files now and reloads them when they changed. Never rejects;
   * concurrent calls share one check.
   */
  check(): Promise<CheckOutcome> {
    if (this.#checking !== undefined) return this.#checking;
    this.#checking = this.#check().finally(() => {
      this.#checking = undefined;
    });
    return this.#checking;
  }

  async #check(): Promise<CheckOutcome> {
    if (this.#closed) return 'unchanged';
    const signature = await signatureOf(this.#files);
    if (signature === this.#signature || signature === this.#failedSignature) return 'unchanged';
    const sources: InventorySource[] = [];
    const problems: InventoryProblem[] = [];
    for (const file of this.#files) {
      try {
        sources.push({ file, text: await readFile(file, 'utf8') });
      } catch (error) {
        problems.push({ file, field: '', message: `cannot be read (${(error as Error).message})` });
      }
    }
    // A file still being written is loaded once it stops changing.
    if (this.#closed || (await signatureOf(this.#files)) !== signature) return 'unchanged';
    let next: Inventory;
    try {
      next = buildInventory(sources, { shortNames: this.#shortNames }, problems);
    } catch (error) {
      // Remember this version of the files so the same problem is logged once.
      this.#failedSignature = signature;
      this.#reloadFailed.inc();
      const reported = isVigilError(error)
        ? (error.details?.problems as InventoryProblem[] | undefined)
        : undefined;
      this.#logger.warn(
        {
          files: this.#files,
          problems: reported?.slice(0, 50),
          err: error instanceof Error ? error.message : String(error),
        },
        'The changed asset inventory was not loaded; the previous inventory stays in force.',
      );
      return 'failed';
    }
    // The swap: events enriched from now on see the whole new inventory.
    this.#inventory = next;
    this.#signature = signature;
    this.#failedSignature = undefined;
    this.#reloaded.inc();
    this.#entries.set(next.size);
    this.#logger.info({ files: this.#files, assets: next.size }, 'The asset inventory was reloaded.');
    return 'reloaded';
  }

  close(): void {
    this.#closed = true;
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
  }
}

/** Opens the asset enricher (synchronously; throws CONFIG_INVALID for a broken inventory). */
export function openAssetEnricher(config: AssetConfig, context: EnricherContext): AssetEnricher {
  return new AssetEnricher(config, context);
}
