/**
 * Longest-prefix matching for one address family: one open-addressing hash
 * table over typed arrays, keyed by (masked address, prefix length), probed
 * for each prefix length the inventory uses, longest first. An exact address
 * is the longest prefix (/32 or /128), so it beats every network.
 *
 * Why this and not a binary trie: inventories use few distinct prefix
 * lengths (hosts, /24s, /16s, a /8 or two), so a lookup is a handful of hash
 * probes (at most 33 for IPv4, 129 for IPv6); memory is a few flat arrays
 * (10 bytes a slot for IPv4, 22 for IPv6, at most half the slots used) whatever
 * the addresses, where a trie over 100,000 scattered IPv6 hosts needs
 * millions of nodes; and neither loading nor lookup allocates per entry.
 */

const EMPTY = -1;

function mix(h: number): number {
  let x = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return x ^ (x >>> 16);
}

export class PrefixTable {
  /** 32-bit words in a key: 1 for IPv4, 4 for IPv6. */
  readonly #width: number;
  #slots = 0;
  #keys = new Int32Array(0);
  /** The prefix length in each slot; EMPTY when the slot is free. */
  #lengths = new Int16Array(0);
  #values = new Int32Array(0);
  #size = 0;
  /** Prefix lengths in use, longest first. */
  #present: number[] = [];
  readonly #counts: Int32Array;
  readonly #scratch: Int32Array;

  constructor(width: 1 | 4, expected = 16) {
    this.#width = width;
    this.#counts = new Int32Array(32 * width + 1);
    this.#scratch = new Int32Array(width);
    this.#allocate(expected);
  }

  get size(): number {
    return this.#size;
  }

  /** Adds a prefix (the words must already be masked); returns the value it replaced, or -1. */
  set(words: Int32Array, length: number, value: number): number {
    if ((this.#size + 1) * 2 > this.#slots) this.#grow();
    const width = this.#width;
    for (let k = 0; k < width; k++) this.#scratch[k] = words[k] as number;
    const slot = this.#find(length);
    if (this.#lengths[slot] !== EMPTY) {
      const previous = this.#values[slot] as number;
      this.#values[slot] = value;
      return previous;
    }
    this.#lengths[slot] = length;
    this.#values[slot] = value;
    for (let k = 0; k < width; k++) this.#keys[slot * width + k] = this.#scratch[k] as number;
    this.#size += 1;
    if (this.#counts[length] === 0) {
      this.#present.push(length);
      this.#present.sort((a, b) => b - a);
    }
    this.#counts[length] = (this.#counts[length] as number) + 1;
    return -1;
  }

  /** The value of the longest prefix that contains the address, or -1. */
  match(words: Int32Array): number {
    const width = this.#width;
    const scratch = this.#scratch;
    const present = this.#present;
    for (let p = 0; p < present.length; p++) {
      const length = present[p] as number;
      for (let k = 0; k < width; k++) {
        const bits = length - 32 * k;
        scratch[k] =
          bits >= 32 ? (words[k] as number) : bits <= 0 ? 0 : (words[k] as number) & (-1 << (32 - bits));
      }
      const slot = this.#find(length);
      if (this.#lengths[slot] !== EMPTY) return this.#values[slot] as number;
    }
    return -1;
  }

  /** The slot holding the key in #scratch with this length, or the free slot where it belongs. */
  #find(length: number): number {
    const width = this.#width;
    const scratch = this.#scratch;
    let h = Math.imul(length + 1, 0x9e3779b1);
    for (let k = 0; k < width; k++) h = mix(h ^ (scratch[k] as number));
    const mask = this.#slots - 1;
    let slot = h & mask;
    const lengths = this.#lengths;
    const keys = this.#keys;
    for (;;) {
      const stored = lengths[slot] as number;
      if (stored === EMPTY) return slot;
      if (stored === length) {
        let same = true;
        const base = slot * width;
        for (let k = 0; k < width; k++) {
          if (keys[base + k] !== scratch[k]) {
            same = false;
            break;
          }
        }
        if (same) return slot;
      }
      slot = (slot + 1) & mask;
    }
  }

  #allocate(expected: number): void {
    let slots = 16;
    while (slots < expected * 2) slots *= 2;
    this.#slots = slots;
    this.#keys = new Int32Array(slots * this.#width);
    this.#lengths = new Int16Array(slots).fill(EMPTY);
    this.#values = new Int32Array(slots);
  }

  #grow(): void {
    const width = this.#width;
    const { keys, lengths, values } = { keys: this.#keys, lengths: this.#lengths, values: this.#values };
    this.#allocate(this.#slots);
    for (let slot = 0; slot < lengths.length; slot++) {
      const length = lengths[slot] as number;
      if (length === EMPTY) continue;
      for (let k = 0; k < width; k++) this.#scratch[k] = keys[slot * width + k] as number;
      const target = this.#find(length);
      this.#lengths[target] = length;
      this.#values[target] = values[slot] as number;
      for (let k = 0; k < width; k++) this.#keys[target * width + k] = this.#scratch[k] as number;
    }
  }
}
