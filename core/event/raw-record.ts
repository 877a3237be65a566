/**
 * The raw record: one line as a collector accepted it, before any parsing.
 * It travels as JSON in Kafka topic vigil.raw (or through the in-process
 * queue in standalone mode), keyed by its stream so per-source order holds.
 *
 * Its identity — collector id + stream id + offset — is stable: re-reading
 * the same bytes gives the same identity, and the OpenSearch `_id` is derived
 * from it, so replays never duplicate.
 */
import { hash } from 'node:crypto';
import type { SyslogMessage } from '../../collector/codecs/syslog/message.ts';

/**
 * Version of the Kafka value shape, sent as the `vigil-schema` header:
 * 1 — one raw record per message (JSON of RawRecord);
 * 2 — a bundle: consecutive records of one stream in one message
 *     (JSON of RawBundle), which spares per-message costs and repeated
 *     stream metadata. Consumers accept both.
 */
export const RAW_SCHEMA_VERSION = 2;
export const SCHEMA_HEADER = 'vigil-schema';

export interface RawRecord {
  /** Collector that accepted the line. */
  collector: { id: string; version: string };
  /** The host the collector runs on. */
  host: { name: string; ip?: string[]; os?: { type?: string; platform?: string; kernel?: string } };
  /** Where the line came from: a file (by identity) or a syslog listener. */
  stream: { id: string; kind: 'file' | 'syslog' };
  /** Byte offset of the line's first byte in the file, or the spool sequence. */
  offset: number;
  /** The line, without its line terminator. */
  line: string;
  /** Routing hint for the processor, e.g. linux.auth. */
  dataset: string;
  /** When the collector read the line (ISO 8601, UTC). */
  observed_at: string;
  file?: { path: string };
  /** Syslog: the parsed header and body; `line` keeps the whole message as received. */
  syslog?: SyslogMessage;
  /** Syslog: the sending peer. */
  peer?: { address: string; port: number };
  /** Syslog: the listener that received the message. */
  listener?: { protocol: 'udp' | 'tcp' | 'tls'; address: string };
  /** The exact bytes, base64, when the line is not valid in its encoding (the `line` then has replacements). */
  line_base64?: string;
  /** Markers such as "truncated" or "invalid_encoding". */
  flags?: string[];
}

/** Kafka key: records of one stream share a key, hence a partition and an order. */
export function recordKey(record: Pick<RawRecord, 'collector' | 'stream'>): string {
  return `${record.collector.id}/${record.stream.id}`;
}

/** The record's stable identity as readable text. */
export function recordIdentity(record: Pick<RawRecord, 'collector' | 'stream' | 'offset'>): string {
  return `${record.collector.id}/${record.stream.id}/${record.offset}`;
}

/**
 * The OpenSearch `_id` of the event made from a record: 20 bytes of SHA-256
 * over the identity, base64url (27 characters).
 */
export function eventId(record: Pick<RawRecord, 'collector' | 'stream' | 'offset'>): string {
  // The one-shot hash straight to base64url (no Buffer) is much cheaper than a Hash object or a
  // Buffer per event. 20 bytes are 26 characters and 4 bits: the 27th character keeps the top 4
  // bits of its 6, as encoding only those 20 bytes would.
  const full = hash('sha256', recordIdentity(record), 'base64url') as string;
  return full.slice(0, 26) + (BASE64URL[BASE64URL.indexOf(full[26] as string) & 0x3c] as string);
}

const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

export function encodeRecord(record: RawRecord): string {
  return JSON.stringify(record);
}

/** The per-line part of a record inside a bundle. */
export type BundledRecord = Omit<
  RawRecord,
  'collector' | 'host' | 'stream' | 'dataset' | 'file' | 'listener'
>;

/** Consecutive records of one stream (same dataset, file path and listener) in one Kafka message. */
export interface RawBundle {
  v: 2;
  collector: RawRecord['collector'];
  host: RawRecord['host'];
  stream: RawRecord['stream'];
  dataset: string;
  file?: RawRecord['file'];
  listener?: RawRecord['listener'];
  records: BundledRecord[];
}

/** Whether `record` can join a bundle that starts with `first`. */
export function sameBundle(first: RawRecord, record: RawRecord): boolean {
  return (
    first.stream.id === record.stream.id &&
    first.dataset === record.dataset &&
    first.file?.path === record.file?.path &&
    first.listener?.address === record.listener?.address &&
    first.collector.id === record.collector.id &&
    first.host.name === record.host.name
  );
}

/** Encodes records that all satisfy `sameBundle` with the first as one bundle. */
export function encodeBundle(records: readonly RawRecord[]): string {
  const first = records[0];
  if (!first) throw new Error('A bundle needs at least one record.');
  const bundle: RawBundle = {
    v: 2,
    collector: first.collector,
    host: first.host,
    stream: first.stream,
    dataset: first.dataset,
    records: records.map(({ collector, host, stream, dataset, file, listener, ...rest }) => rest),
  };
  if (first.file) bundle.file = first.file;
  if (first.listener) bundle.listener = first.listener;
  return JSON.stringify(bundle);
}

/**
 * Decodes a Kafka value of either schema version into its records; returns a
 * reason when the value is neither a record nor a valid bundle.
 */
export function decodeMessage(value: string): RawRecord[] | { invalid: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch (error) {
    return { invalid: `value is not JSON: ${(error as Error).message}` };
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    return { invalid: 'value is not a JSON object' };
  }
  const bundle = parsed as Partial<RawBundle>;
  if (bundle.v !== 2) {
    const single = validateRecord(parsed as Partial<RawRecord>);
    return 'invalid' in single ? single : [single];
  }
  if (!Array.isArray(bundle.records)) return { invalid: 'bundle has no records list' };
  const out: RawRecord[] = [];
  for (let i = 0; i < bundle.records.length; i++) {
    const item = bundle.records[i] as Partial<BundledRecord>;
    const record: Partial<RawRecord> = {
      ...item,
      collector: bundle.collector,
      host: bundle.host,
      stream: bundle.stream,
      dataset: bundle.dataset,
    } as Partial<RawRecord>;
    if (bundle.file) record.file = bundle.file;
    if (bundle.listener) record.listener = bundle.listener;
    const checked = validateRecord(record);
    if ('invalid' in checked) return { invalid: `bundle record ${i}: ${checked.invalid}` };
    out.push(checked);
  }
  return out;
}

/** Decodes a record; returns a reason string when the bytes are not a valid record. */
export function decodeRecord(value: string): RawRecord | { invalid: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch (error) {
    return { invalid: `value is not JSON: ${(error as Error).message}` };
  }
  if (parsed === null || typeof parsed !== 'object') return { invalid: 'value is not a JSON object' };
  return validateRecord(parsed as Partial<RawRecord>);
}

function validateRecord(r: Partial<RawRecord>): RawRecord | { invalid: string } {
  if (typeof r.collector?.id !== 'string') return { invalid: 'collector.id is missing' };
  if (typeof r.stream?.id !== 'string') return { invalid: 'stream.id is missing' };
  if (typeof r.offset !== 'number' || !Number.isSafeInteger(r.offset))
    return { invalid: 'offset is not an integer' };
  if (typeof r.line !== 'string') return { invalid: 'line is missing' };
  if (typeof r.observed_at !== 'string') return { invalid: 'observed_at is missing' };
  if (typeof r.dataset !== 'string') r.dataset = 'generic';
  if (typeof r.host?.name !== 'string') r.host = { name: 'unknown' };
  return r as RawRecord;
}
