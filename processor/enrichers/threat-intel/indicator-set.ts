/**
 * A loaded, immutable set of indicators and its lookups. Built once per
 * (re)load by `IndicatorSetBuilder`, then swapped in whole.
 *
 * Storage, chosen for a million indicators:
 * * IP addresses and networks: `PrefixTable`s of Uint32Arrays (8 bytes per
 *   IPv4 indicator, 20 per IPv6), longest prefix first.
 * * Domains, URLs and hashes: one `Map` each from the normal form (a string)
 *   to a metadata reference (a small integer), or to a list of them when
 *   several feeds name the same value.
 * * Metadata (provider, dates, description, confidence): interned — one
 *   object per distinct metadata, referenced by index. A plain list shares
 *   one object per file; a CSV row or STIX indicator with its own dates has
 *   its own.
 */
import {
  classify,
  type HashAlgorithm,
  hashAlgorithm,
  type IndicatorMeta,
  type IndicatorType,
  normalizeDomain,
  normalizeUrl,
  type ValueKind,
} from './indicator.ts';
import { formatIPv4, formatIPv6, parseIp, parseNetwork } from './ip.ts';
import { type PrefixTable, PrefixTableBuilder } from './prefix-table.ts';

/** One indicator that matched a value. */
export interface IndicatorHit {
  type: IndicatorType;
  /** The indicator as stored: `1.2.3.4`, `10.0.0.0/8`, `evil.example`, a URL, a lower-case digest. */
  value: string;
  /** Set for exact IP indicators (not networks). */
  ip?: string;
  /** Set for hash indicators. */
  hash?: HashAlgorithm;
  meta: IndicatorMeta;
}

type Refs = number | number[];

function addRef(map: Map<string, Refs>, key: string, ref: number): void {
  const existing = map.get(key);
  if (existing === undefined) map.set(key, ref);
  else if (typeof existing === 'number') {
    if (existing !== ref) map.set(key, [existing, ref]);
  } else if (!existing.includes(ref)) existing.push(ref);
}

function refCount(map: Map<string, Refs>): number {
  let count = 0;
  for (const refs of map.values()) count += typeof refs === 'number' ? 1 : refs.length;
  return count;
}

export class IndicatorSetBuilder {
  readonly #metas: IndicatorMeta[] = [];
  readonly #metaIndex = new Map<string, number>();
  readonly #v4 = new PrefixTableBuilder(1);
  readonly #v6 = new PrefixTableBuilder(4);
  readonly #domains = new Map<string, Refs>();
  readonly #urls = new Map<string, Refs>();
  readonly #hashes = new Map<string, Refs>();

  /** The reference of `meta`; equal metadata gets the same reference (and object). */
  meta(meta: IndicatorMeta): number {
    const key = JSON.stringify([
      meta.provider,
      meta.first_seen,
      meta.last_seen,
      meta.modified_at,
      meta.description,
      meta.confidence,
    ]);
    let ref = this.#metaIndex.get(key);
    if (ref === undefined) {
      ref = this.#metas.length;
      const compact: IndicatorMeta = { provider: meta.provider };
      if (meta.first_seen !== undefined) compact.first_seen = meta.first_seen;
      if (meta.last_seen !== undefined) compact.last_seen = meta.last_seen;
      if (meta.modified_at !== undefined) compact.modified_at = meta.modified_at;
      if (meta.description !== undefined) compact.description = meta.description;
      if (meta.confidence !== undefined) compact.confidence = meta.confidence;
      this.#metas.push(compact);
      this.#metaIndex.set(key, ref);
    }
    return ref;
  }

  /** An address or network (`10.0.0.0/8`, `2001:db8::/32`); false when it is neither. */
  addIp(text: string, ref: number, family?: 4 | 6): boolean {
    const network = parseNetwork(text);
    if (!network || (family !== undefined && network.address.family !== family)) return false;
    if (network.address.family === 4) this.#v4.add(network.address.words, network.length, ref);
    else this.#v6.add(network.address.words, network.length, ref);
    return true;
  }

  addDomain(text: string, ref: number): boolean {
    const domain = normalizeDomain(text);
    if (domain === undefined) return false;
    addRef(this.#domains, domain, ref);
    return true;
  }

  addUrl(text: string, ref: number): boolean {
    const url = normalizeUrl(text);
    if (url === undefined) return false;
    addRef(this.#urls, url, ref);
    return true;
  }

  /** A hex digest; with `algorithm`, only a digest of that algorithm. */
  addHash(text: string, ref: number, algorithm?: HashAlgorithm): boolean {
    const found = hashAlgorithm(text);
    if (found === undefined || (algorithm !== undefined && found !== algorithm)) return false;
    addRef(this.#hashes, text.toLowerCase(), ref);
    return true;
  }

  /** A value of the given kind (inferred when absent); the kind added, or undefined when it is not one. */
  add(text: string, ref: number, kind: ValueKind | undefined = classify(text)): ValueKind | undefined {
    switch (kind) {
      case 'ip':
        return this.addIp(text, ref) ? kind : undefined;
      case 'domain':
        return this.addDomain(text, ref) ? kind : undefined;
      case 'url':
        return this.addUrl(text, ref) ? kind : undefined;
      case 'hash':
        return this.addHash(text, ref) ? kind : undefined;
      default:
        return undefined;
    }
  }

  build(): IndicatorSet {
    this.#metaIndex.clear();
    return new IndicatorSet({
      metas: this.#metas,
      v4: this.#v4.build(),
      v6: this.#v6.build(),
      domains: this.#domains,
      urls: this.#urls,
      hashes: this.#hashes,
    });
  }
}

interface IndicatorSetParts {
  metas: IndicatorMeta[];
  v4: PrefixTable;
  v6: PrefixTable;
  domains: Map<string, Refs>;
  urls: Map<string, Refs>;
  hashes: Map<string, Refs>;
}

const NONE: readonly IndicatorHit[] = Object.freeze([]);

export class IndicatorSet {
  readonly #parts: IndicatorSetParts;

  constructor(parts: IndicatorSetParts) {
    this.#parts = parts;
  }

  static empty(): IndicatorSet {
    return new IndicatorSetBuilder().build();
  }

  /** Indicators by ECS type (the same value from two feeds counts twice). */
  counts(): Record<IndicatorType, number> {
    const { v4, v6, domains, urls, hashes } = this.#parts;
    return {
      'ipv4-addr': v4.size,
      'ipv6-addr': v6.size,
      'domain-name': refCount(domains),
      url: refCount(urls),
      file: refCount(hashes),
    };
  }

  get size(): number {
    let size = 0;
    for (const count of Object.values(this.counts())) size += count;
    return size;
  }

  /** Exact address first, else the longest network holding it. */
  matchIp(text: string): readonly IndicatorHit[] {
    const address = parseIp(text);
    if (!address) return NONE;
    const v4 = address.family === 4;
    const hit = (v4 ? this.#parts.v4 : this.#parts.v6).lookup(address.words);
    if (!hit) return NONE;
    const full = v4 ? 32 : 128;
    const ip = v4 ? formatIPv4(hit.network[0] as number) : formatIPv6(hit.network);
    const exact = hit.length === full;
    const value = exact ? ip : `${ip}/${hit.length}`;
    const type: IndicatorType = v4 ? 'ipv4-addr' : 'ipv6-addr';
    return hit.refs.map((ref) => {
      const meta = this.#parts.metas[ref] as IndicatorMeta;
      return exact ? { type, value, ip, meta } : { type, value, meta };
    });
  }

  /** The domain itself or its nearest listed parent: `a.b.evil.example` finds `evil.example`. */
  matchDomain(text: string): readonly IndicatorHit[] {
    let domain = text.toLowerCase();
    if (domain.endsWith('.')) domain = domain.slice(0, -1);
    const domains = this.#parts.domains;
    // From the full name towards the top-level label: the first found is the most specific.
    for (let start = 0; start !== -1 && start < domain.length; ) {
      const candidate = start === 0 ? domain : domain.slice(start);
      const refs = domains.get(candidate);
      if (refs !== undefined) return this.#hits(refs, 'domain-name', candidate);
      const dot = domain.indexOf('.', start);
      start = dot === -1 ? -1 : dot + 1;
    }
    return NONE;
  }

  matchUrl(text: string): readonly IndicatorHit[] {
    const url = normalizeUrl(text);
    const refs = url === undefined ? undefined : this.#parts.urls.get(url);
    return refs === undefined ? NONE : this.#hits(refs, 'url', url as string);
  }

  matchHash(text: string): readonly IndicatorHit[] {
    const algorithm = hashAlgorithm(text);
    if (algorithm === undefined) return NONE;
    const hash = text.toLowerCase();
    const refs = this.#parts.hashes.get(hash);
    return refs === undefined ? NONE : this.#hits(refs, 'file', hash, algorithm);
  }

  #hits(refs: Refs, type: IndicatorType, value: string, hash?: HashAlgorithm): IndicatorHit[] {
    const list = typeof refs === 'number' ? [refs] : refs;
    return list.map((ref) => {
      const meta = this.#parts.metas[ref] as IndicatorMeta;
      return hash === undefined ? { type, value, meta } : { type, value, hash, meta };
    });
  }
}
