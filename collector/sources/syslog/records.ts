/** Turns one received syslog message into a raw record. */
import type { SyslogInputConfig } from '../../../core/config/schema.ts';
import type { RawRecord } from '../../../core/event/raw-record.ts';
import { parseSyslog } from '../../codecs/syslog/parse.ts';

export interface SyslogRecordContext {
  input: SyslogInputConfig;
  collector: RawRecord['collector'];
  host: RawRecord['host'];
  streamId: string;
}

/** A received message before it becomes a record: its text and how it arrived. */
export interface ReceivedMessage {
  /** The message as text, without its line terminator (invalid UTF-8 replaced). */
  text: string;
  /** The exact bytes, base64, when they are not valid UTF-8. */
  base64?: string;
  /** Markers such as "truncated" or "invalid_encoding"; absent when none. */
  flags?: string[];
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Objects every record of one listener shares (records are read-only once
 * built, and shared objects keep the per-record memory down).
 */
interface Shared {
  stream: RawRecord['stream'];
  listener: NonNullable<RawRecord['listener']>;
  /** The last peer seen, reused while messages come from it. */
  peer: { address: string; port: number };
  /** The last second's ISO time, reused within the same millisecond. */
  isoMs: number;
  iso: string;
}

const sharedByContext = new WeakMap<SyslogRecordContext, Shared>();

function shared(context: SyslogRecordContext): Shared {
  let s = sharedByContext.get(context);
  if (s === undefined) {
    s = {
      stream: { id: context.streamId, kind: 'syslog' },
      listener: { protocol: context.input.protocol, address: context.input.address },
      peer: { address: '', port: -1 },
      isoMs: Number.NaN,
      iso: '',
    };
    sharedByContext.set(context, s);
  }
  return s;
}

/** Decodes a message's bytes; no record is built yet (TCP spools this, not the record). */
export function receivedMessage(bytes: Buffer, flags: readonly string[] = []): ReceivedMessage {
  let text: string;
  let base64: string | undefined;
  let recordFlags: string[] | undefined = flags.length > 0 ? [...flags] : undefined;
  try {
    text = utf8.decode(bytes);
  } catch {
    text = bytes.toString('utf8');
    base64 = bytes.toString('base64');
    recordFlags = [...flags, 'invalid_encoding'];
  }
  if (text.endsWith('\n')) text = text.slice(0, text.endsWith('\r\n') ? -2 : -1);
  const message: ReceivedMessage = { text };
  if (base64 !== undefined) message.base64 = base64;
  if (recordFlags !== undefined) message.flags = recordFlags;
  return message;
}

/** Builds the record of a decoded message received at `receivedAt` (ms since the epoch). */
export function buildSyslogRecord(
  context: SyslogRecordContext,
  message: ReceivedMessage,
  receivedAt: number,
  offset: number,
  peerAddress: string,
  peerPort: number,
): RawRecord {
  const { input } = context;
  const s = shared(context);
  if (s.peer.address !== peerAddress || s.peer.port !== peerPort) {
    s.peer = { address: peerAddress, port: peerPort };
  }
  const now = new Date(receivedAt);
  if (s.isoMs !== receivedAt) {
    s.isoMs = receivedAt;
    s.iso = now.toISOString();
  }
  const record: RawRecord = {
    collector: context.collector,
    host: context.host,
    stream: s.stream,
    offset,
    line: message.text,
    dataset: input.dataset,
    observed_at: s.iso,
    syslog: parseSyslog(message.text, { now, defaultTimeZone: input.default_time_zone }),
    peer: s.peer,
    listener: s.listener,
  };
  if (message.base64 !== undefined) record.line_base64 = message.base64;
  if (message.flags !== undefined && message.flags.length > 0) record.flags = message.flags;
  return record;
}

export function syslogRecord(
  context: SyslogRecordContext,
  bytes: Buffer,
  offset: number,
  peer: { address: string; port: number },
  flags: string[] = [],
): RawRecord {
  return buildSyslogRecord(
    context,
    receivedMessage(bytes, flags),
    Date.now(),
    offset,
    peer.address,
    peer.port,
  );
}
