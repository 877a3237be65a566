/**
 * Opening one MaxMind DB (.mmdb) file safely. Before the `maxmind` reader
 * is trusted with lookups, the file is checked with bounded loops of our
 * own: the metadata marker, the metadata values, every search-tree record
 * (each must point to a node, to "no data", or inside the data section), and
 * a sample of data records decoded and mapped. Anything thrown while doing
 * so (including a stack overflow from crafted nesting) becomes a VigilError
 * naming the file, so a corrupt file can neither crash nor hang the process.
 */
import { readFile, stat } from 'node:fs/promises';
import { Reader } from 'maxmind';
import { VigilError } from '../../../core/errors.ts';
import { type GeoIpRecord, mapRecord } from './record-mapper.ts';

/** What a database can give: location (`geo`), network owner (`as`), or both (Enterprise). */
export interface DatabaseKinds {
  geo: boolean;
  as: boolean;
}

export interface FileSignature {
  mtimeMs: number;
  size: number;
  ino: number;
}

export interface MmdbDatabase {
  readonly path: string;
  readonly databaseType: string;
  readonly kinds: DatabaseKinds;
  readonly signature: FileSignature;
  /** Maps the record for an address; throws only for a corrupt data section. */
  lookup(ip: string): GeoIpRecord | null;
}

const METADATA_MARKER = Buffer.from('abcdef4d61784d696e642e636f6d', 'hex');
const DATA_SECTION_SEPARATOR = 16;
/** Search-tree nodes visited while looking for sample records. */
const SAMPLE_NODE_BUDGET = 200_000;
/** Data records decoded to check the database's shape. */
const SAMPLE_RECORDS = 64;
/** GeoIP records nest 3 or 4 levels; crafted files nest thousands deep to exhaust readers. */
const MAX_NESTING = 32;

/** Which kinds a `database_type` offers; both false when Vigil cannot use it. */
export function kindsOfType(databaseType: string): DatabaseKinds {
  const type = databaseType.toLowerCase();
  return {
    geo: /city|country|enterprise|location/.test(type),
    as: /asn|isp|enterprise/.test(type),
  };
}

export async function signatureOf(path: string): Promise<FileSignature> {
  const info = await stat(path);
  return { mtimeMs: info.mtimeMs, size: info.size, ino: info.ino };
}

export function sameSignature(a: FileSignature, b: FileSignature): boolean {
  return a.mtimeMs === b.mtimeMs && a.size === b.size && a.ino === b.ino;
}

/**
 * Reads, validates and opens a database. `need` is the kind the slot it is
 * configured for requires (`city_db` needs geo, `asn_db` needs as).
 */
export async function openMmdb(
  path: string,
  need: keyof DatabaseKinds,
  option: string,
): Promise<MmdbDatabase> {
  let signature: FileSignature;
  let bytes: Buffer;
  try {
    signature = await signatureOf(path);
    bytes = await readFile(path);
  } catch (error) {
    throw new VigilError(
      'GEOIP_DATABASE_INVALID',
      `GeoIP database ${path} (${option}) cannot be read: ${reason(error)}.`,
      {
        cause: error,
        details: { path, option },
      },
    );
  }
  return openMmdbBytes(path, bytes, signature, need, option);
}

export function openMmdbBytes(
  path: string,
  bytes: Buffer,
  signature: FileSignature,
  need: keyof DatabaseKinds,
  option: string,
): MmdbDatabase {
  const fail = (why: string, cause?: unknown): VigilError =>
    new VigilError('GEOIP_DATABASE_INVALID', `GeoIP database ${path} (${option}) is not usable: ${why}.`, {
      cause,
      details: { path, option },
    });
  let reader: Reader<Record<string, unknown>>;
  let tree: TreeShape;
  try {
    ({ reader, tree } = checkStructure(bytes));
  } catch (error) {
    throw error instanceof VigilError ? error : fail(reason(error), error);
  }
  // Decode a sample first, so a corrupt file is reported as corrupt whatever its type.
  const records: Record<string, unknown>[] = [];
  try {
    for (const address of sampleAddresses(bytes, tree)) {
      const record = reader.get(address);
      if (record === null || typeof record !== 'object') continue;
      if (nestingExceeds(record, MAX_NESTING))
        throw new Error(`a record nests deeper than ${MAX_NESTING} levels`);
      records.push(record);
    }
  } catch (error) {
    throw fail(`a data record cannot be decoded (${reason(error)})`, error);
  }
  const databaseType = String(reader.metadata.databaseType ?? '');
  const kinds = kindsOfType(databaseType);
  if (!kinds[need]) {
    const wanted = need === 'geo' ? 'a City, Country or Enterprise' : 'an ASN, ISP or Enterprise';
    throw fail(`its type is "${databaseType}", and ${option} needs ${wanted} database`);
  }
  if (records.length === 0) throw fail('it has no records');
  const usable = records.filter((record) => mapRecord(record)[need] !== undefined).length;
  if (usable === 0) {
    const fields = need === 'geo' ? 'country.iso_code or country_code' : 'autonomous_system_number';
    throw fail(`none of its sampled records has the fields Vigil reads (${fields})`);
  }
  return {
    path,
    databaseType,
    kinds,
    signature,
    lookup(ip) {
      const record = reader.get(ip);
      return record === null || typeof record !== 'object' ? null : mapRecord(record);
    },
  };
}

interface TreeShape {
  nodeCount: number;
  recordSize: 24 | 28 | 32;
  ipVersion: 4 | 6;
  dataSectionSize: number;
}

/** Bounds-checks the metadata and every search-tree record; throws a plain Error with the reason. */
function checkStructure(bytes: Buffer): { reader: Reader<Record<string, unknown>>; tree: TreeShape } {
  const marker = bytes.lastIndexOf(METADATA_MARKER);
  if (marker < 0) throw new Error('no MaxMind DB metadata marker found (not an .mmdb file?)');
  let reader: Reader<Record<string, unknown>>;
  try {
    reader = new Reader<Record<string, unknown>>(bytes);
  } catch (error) {
    throw new Error(`its metadata cannot be decoded (${reason(error)})`, { cause: error });
  }
  const metadata = reader.metadata;
  const { nodeCount, recordSize, ipVersion } = metadata;
  if (metadata.binaryFormatMajorVersion !== 2) {
    throw new Error(`binary format version ${String(metadata.binaryFormatMajorVersion)} is not 2`);
  }
  if (recordSize !== 24 && recordSize !== 28 && recordSize !== 32) {
    throw new Error(`record size ${String(recordSize)} is not 24, 28 or 32`);
  }
  if (ipVersion !== 4 && ipVersion !== 6) throw new Error(`IP version ${String(ipVersion)} is not 4 or 6`);
  if (typeof metadata.databaseType !== 'string') throw new Error('the metadata has no database_type');
  if (!Number.isSafeInteger(nodeCount) || nodeCount <= 0) {
    throw new Error(`node count ${String(nodeCount)} is not a positive integer`);
  }
  const treeBytes = (nodeCount * recordSize) / 4;
  const dataSectionSize = marker - treeBytes - DATA_SECTION_SEPARATOR;
  if (dataSectionSize < 0) {
    throw new Error(`the search tree (${nodeCount} nodes) is larger than the file`);
  }
  const tree: TreeShape = { nodeCount, recordSize, ipVersion, dataSectionSize };
  const nodeBytes = recordSize / 4;
  for (let node = 0; node < nodeCount; node++) {
    for (const side of [0, 1] as const) {
      const value = readRecord(bytes, node * nodeBytes, recordSize, side);
      if (value <= nodeCount) continue;
      const offset = value - nodeCount - DATA_SECTION_SEPARATOR;
      if (offset < 0 || offset >= dataSectionSize) {
        throw new Error(`search-tree node ${node} points outside the data section`);
      }
    }
  }
  return { reader, tree };
}

function nestingExceeds(value: unknown, limit: number): boolean {
  if (typeof value !== 'object' || value === null) return false;
  if (limit === 0) return true;
  const children = Array.isArray(value) ? value : Object.values(value);
  return children.some((child) => nestingExceeds(child, limit - 1));
}

function readRecord(bytes: Buffer, offset: number, recordSize: 24 | 28 | 32, side: 0 | 1): number {
  if (recordSize === 24) return bytes.readUIntBE(offset + side * 3, 3);
  if (recordSize === 32) return bytes.readUInt32BE(offset + side * 4);
  const middle = bytes[offset + 3] as number;
  return side === 0
    ? ((middle & 0xf0) << 20) + bytes.readUIntBE(offset, 3)
    : ((middle & 0x0f) << 24) + bytes.readUIntBE(offset + 4, 3);
}

/**
 * Addresses that lead to data records, found by a depth-first walk of the
 * search tree from the root (bounded by a node budget; depth is at most 128).
 */
function sampleAddresses(bytes: Buffer, tree: TreeShape): string[] {
  const bits = tree.ipVersion === 6 ? 128 : 32;
  const nodeBytes = tree.recordSize / 4;
  const found: string[] = [];
  const path: number[] = [];
  let visited = 0;
  const walk = (node: number, depth: number): void => {
    if (found.length >= SAMPLE_RECORDS || visited++ > SAMPLE_NODE_BUDGET || depth >= bits) return;
    for (const side of [0, 1] as const) {
      if (found.length >= SAMPLE_RECORDS) return;
      const value = readRecord(bytes, node * nodeBytes, tree.recordSize, side);
      path[depth] = side;
      if (value > tree.nodeCount) {
        found.push(addressOf(path, depth + 1, bits));
      } else if (value < tree.nodeCount) {
        walk(value, depth + 1);
      }
    }
  };
  walk(0, 0);
  return found;
}

function addressOf(path: readonly number[], length: number, bits: number): string {
  const bytes = new Uint8Array(bits / 8);
  for (let i = 0; i < length; i++) {
    if (path[i] === 1) bytes[i >> 3] = (bytes[i >> 3] as number) | (0x80 >> (i & 7));
  }
  if (bits === 32) return bytes.join('.');
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2)
    groups.push((((bytes[i] as number) << 8) | (bytes[i + 1] as number)).toString(16));
  return groups.join(':');
}

function reason(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.replace(/\.$/, '');
}
