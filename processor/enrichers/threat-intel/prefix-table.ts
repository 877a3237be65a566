/**
 * IP indicators for longest-prefix matching, stored compactly: for each
 * prefix length in use, a sorted Uint32Array of masked network keys (1 word
 * per IPv4 key, 4 per IPv6 key) and a parallel Uint32Array of metadata
 * references. A lookup masks the address to each length, longest first, and
 * binary-searches that length's keys: the first length with a hit wins.
 * An exact address is a network of 32 (IPv4) or 128 (IPv6) bits.
 *
 * Eight bytes per IPv4 indicator, twenty per IPv6 indicator; no object or
 * string per indicator.
 */

/** A Uint32Array that grows while a table is built. */
class GrowableU32 {
  #data = new Uint32Array(64);
  length = 0;

  push(value: number): void {
    if (this.length === this.#data.length) {
      const next = new Uint32Array(this.#data.length * 2);
      next.set(this.#data);
      this.#data = next;
    }
    this.#data[this.length++] = value;
  }

  get(index: number): number {
    return this.#data[index] as number;
  }
}

function mask(bits: number): number {
  if (bits <= 0) return 0;
  if (bits >= 32) return 0xffffffff;
  return (0xffffffff << (32 - bits)) >>> 0;
}

/** Writes `words` masked to `length` bits into `out`. */
function maskInto(words: ArrayLike<number>, length: number, out: Uint32Array): void {
  for (let i = 0; i < out.length; i++) out[i] = ((words[i] as number) & mask(length - 32 * i)) >>> 0;
}

interface Level {
  length: number;
  /** `count * width` words, sorted. */
  keys: Uint32Array;
  refs: Uint32Array;
  count: number;
}

export interface PrefixHit {
  /** The matching prefix length. */
  length: number;
  /** The masked network, `width` words. */
  network: Uint32Array;
  /** Metadata references of the indicators with this network, without duplicates. */
  refs: number[];
}

export class PrefixTableBuilder {
  readonly #width: 1 | 4;
  readonly #levels = new Map<number, { keys: GrowableU32; refs: GrowableU32 }>();
  readonly #scratch: Uint32Array;

  /** `width` is 1 for IPv4, 4 for IPv6. */
  constructor(width: 1 | 4) {
    this.#width = width;
    this.#scratch = new Uint32Array(width);
  }

  add(words: ArrayLike<number>, length: number, ref: number): void {
    let level = this.#levels.get(length);
    if (!level) {
      level = { keys: new GrowableU32(), refs: new GrowableU32() };
      this.#levels.set(length, level);
    }
    maskInto(words, length, this.#scratch);
    for (const word of this.#scratch) level.keys.push(word);
    level.refs.push(ref);
  }

  build(): PrefixTable {
    const levels: Level[] = [];
    for (const [length, level] of this.#levels) {
      levels.push(this.#width === 1 ? sortNarrow(length, level) : sortWide(length, level));
    }
    levels.sort((a, b) => b.length - a.length);
    return new PrefixTable(this.#width, levels);
  }
}

/** IPv4: key and reference packed in one 64-bit integer, sorted natively, duplicates dropped. */
function sortNarrow(length: number, level: { keys: GrowableU32; refs: GrowableU32 }): Level {
  const n = level.refs.length;
  const packed = new BigUint64Array(n);
  for (let i = 0; i < n; i++) packed[i] = (BigInt(level.keys.get(i)) << 32n) | BigInt(level.refs.get(i));
  packed.sort();
  const keys = new Uint32Array(n);
  const refs = new Uint32Array(n);
  let count = 0;
  let previous = -1n;
  for (let i = 0; i < n; i++) {
    const value = packed[i] as bigint;
    if (value === previous) continue;
    previous = value;
    keys[count] = Number(value >> 32n);
    refs[count] = Number(value & 0xffffffffn);
    count++;
  }
  return { length, keys: keys.slice(0, count), refs: refs.slice(0, count), count };
}

/** IPv6: an index permutation sorted by key, then reference; duplicates dropped. */
function sortWide(length: number, level: { keys: GrowableU32; refs: GrowableU32 }): Level {
  const n = level.refs.length;
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  const compare = (a: number, b: number): number => {
    for (let w = 0; w < 4; w++) {
      const d = level.keys.get(a * 4 + w) - level.keys.get(b * 4 + w);
      if (d !== 0) return d;
    }
    return level.refs.get(a) - level.refs.get(b);
  };
  order.sort(compare);
  const keys = new Uint32Array(n * 4);
  const refs = new Uint32Array(n);
  let count = 0;
  for (let i = 0; i < n; i++) {
    const index = order[i] as number;
    if (i > 0 && compare(order[i - 1] as number, index) === 0) continue;
    for (let w = 0; w < 4; w++) keys[count * 4 + w] = level.keys.get(index * 4 + w);
    refs[count] = level.refs.get(index);
    count++;
  }
  return { length, keys: keys.slice(0, count * 4), refs: refs.slice(0, count), count };
}

export class PrefixTable {
  readonly #width: number;
  readonly #levels: readonly Level[];
  readonly #scratch: Uint32Array;

  constructor(width: 1 | 4, levels: Level[]) {
    this.#width = width;
    this.#levels = levels;
    this.#scratch = new Uint32Array(width);
  }

  /** Indicators stored (exact addresses and networks). */
  get size(): number {
    let size = 0;
    for (const level of this.#levels) size += level.count;
    return size;
  }

  /** Exact addresses (full-length prefixes) and networks, counted apart. */
  counts(): { exact: number; networks: number } {
    const full = this.#width * 32;
    let exact = 0;
    let networks = 0;
    for (const level of this.#levels) {
      if (level.length === full) exact += level.count;
      else networks += level.count;
    }
    return { exact, networks };
  }

  /** The longest prefix holding `words`, or undefined. */
  lookup(words: ArrayLike<number>): PrefixHit | undefined {
    const width = this.#width;
    const key = this.#scratch;
    for (const level of this.#levels) {
      maskInto(words, level.length, key);
      // Lower bound: the first key not less than `key`.
      let low = 0;
      let high = level.count;
      while (low < high) {
        const middle = (low + high) >>> 1;
        if (compareAt(level.keys, middle * width, key) < 0) low = middle + 1;
        else high = middle;
      }
      if (low >= level.count || compareAt(level.keys, low * width, key) !== 0) continue;
      const refs: number[] = [];
      for (let i = low; i < level.count && compareAt(level.keys, i * width, key) === 0; i++) {
        refs.push(level.refs[i] as number);
      }
      return { length: level.length, network: key.slice(), refs };
    }
    return undefined;
  }
}

function compareAt(keys: Uint32Array, offset: number, key: Uint32Array): number {
  for (let w = 0; w < key.length; w++) {
    const d = (keys[offset + w] as number) - (key[w] as number);
    if (d !== 0) return d;
  }
  return 0;
}
