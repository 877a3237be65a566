/**
 * The raw record: one line as a collector accepted it, before any parsing.
 * It travels as JSON in Kafka topic vigil.raw (or through the in-process
 * queue in standalone mode), keyed by its stream so per-source order holds.
 *
 * Its identity — collector id + stream id + offset — is stable: re-reading
 * the same bytes gives the same identity, and the OpenSearch `_id` is derived
 * from it, so replays never duplicate.
 */
import { createHash } from 'node:crypto';
import type { SyslogMessage } from '../../collector/codecs/syslog/message.ts';

/** Version of the raw-record JSON shape, sent as a Kafka header. */
export const RAW_SCHEMA_VERSION = 1;
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
  return createHash('sha256').update(recordIdentity(record)).digest().subarray(0, 20).toString('base64url');
}

export function encodeRecord(record: RawRecord): string {
  return JSON.stringify(record);
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
  const r = parsed as Partial<RawRecord>;
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
