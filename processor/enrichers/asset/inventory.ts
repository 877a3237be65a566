/**
 * One loaded asset inventory: immutable once built, so the enricher can swap
 * a whole new one in with a single assignment.
 *
 * Addresses: longest-prefix match over the IPv4 and IPv6 prefix tables (an
 * exact address is the longest prefix, so it beats every network).
 *
 * Host names are compared case-insensitively, without a trailing dot:
 *   1. the full name matches an entry with the same name
 *      (`web01.corp.example` ↔ `web01.corp.example`, `web01` ↔ `web01`);
 *   2. otherwise a dotted name matches an entry written as a short name by
 *      its first label (event `web01.corp.example` → entry `web01`);
 *   3. otherwise a short name matches an entry written as a full name by
 *      that entry's first label (event `web01` → entry `web01.corp.example`),
 *      but only when exactly one full name in the inventory starts with that
 *      label: with `web01.corp.example` and `web01.lab.example` both listed,
 *      `web01` is ambiguous and matches neither.
 * Two different full names never match each other (`web01.lab.example` does
 * not match entry `web01.corp.example`). Rules 2 and 3 apply only when
 * `short_names` is on (the default).
 */
import { type IpFamily, parseIp } from './ip-address.ts';
import type { PrefixTable } from './prefix-table.ts';

/** What an inventory says about an asset; it becomes `<side>.asset`. */
export interface Asset {
  id: string;
  name?: string;
  owner?: string;
  criticality?: string;
  environment?: string;
  business_unit?: string;
  tags?: string[];
}

/** A host-name index value that stands for "more than one asset". */
export const AMBIGUOUS = -1;

export interface InventoryParts {
  assets: readonly Asset[];
  v4: PrefixTable;
  v6: PrefixTable;
  /** Full lowercased names (with or without dots) → asset index. */
  names: ReadonlyMap<string, number>;
  /** First label of dotted names → asset index, or AMBIGUOUS. */
  labels: ReadonlyMap<string, number>;
  shortNames: boolean;
}

const words = new Int32Array(4);

export class Inventory {
  readonly assets: readonly Asset[];
  readonly #v4: PrefixTable;
  readonly #v6: PrefixTable;
  readonly #names: ReadonlyMap<string, number>;
  readonly #labels: ReadonlyMap<string, number>;
  readonly #shortNames: boolean;

  constructor(parts: InventoryParts) {
    this.assets = parts.assets;
    this.#v4 = parts.v4;
    this.#v6 = parts.v6;
    this.#names = parts.names;
    this.#labels = parts.labels;
    this.#shortNames = parts.shortNames;
  }

  /** An empty inventory (no files configured). */
  static empty(v4: PrefixTable, v6: PrefixTable): Inventory {
    return new Inventory({ assets: [], v4, v6, names: new Map(), labels: new Map(), shortNames: true });
  }

  get size(): number {
    return this.assets.length;
  }

  /** The asset whose address or longest network contains `ip`; undefined for none or for text that is not an address. */
  matchIp(ip: string): Asset | undefined {
    const family: IpFamily = parseIp(ip, words);
    if (family === 0) return undefined;
    const index = family === 4 ? this.#v4.match(words) : this.#v6.match(words);
    return index < 0 ? undefined : this.assets[index];
  }

  /** The asset with this host name, by the rules above. */
  matchHost(name: string): Asset | undefined {
    if (name.length === 0 || this.#names.size === 0) return undefined;
    let key = name.toLowerCase();
    if (key.endsWith('.')) key = key.slice(0, -1);
    const exact = this.#names.get(key);
    if (exact !== undefined) return this.assets[exact];
    if (!this.#shortNames) return undefined;
    const dot = key.indexOf('.');
    if (dot > 0) {
      const short = this.#names.get(key.slice(0, dot));
      return short === undefined ? undefined : this.assets[short];
    }
    const byLabel = this.#labels.get(key);
    return byLabel === undefined || byLabel === AMBIGUOUS ? undefined : this.assets[byLabel];
  }
}
