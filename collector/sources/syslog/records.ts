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

const utf8 = new TextDecoder('utf-8', { fatal: true });

export function syslogRecord(
  context: SyslogRecordContext,
  bytes: Buffer,
  offset: number,
  peer: { address: string; port: number },
  flags: string[] = [],
): RawRecord {
  const { input } = context;
  let text: string;
  let lineBase64: string | undefined;
  const recordFlags = [...flags];
  try {
    text = utf8.decode(bytes);
  } catch {
    text = bytes.toString('utf8');
    lineBase64 = bytes.toString('base64');
    recordFlags.push('invalid_encoding');
  }
  if (text.endsWith('\n')) text = text.slice(0, text.endsWith('\r\n') ? -2 : -1);
  const now = new Date();
  const record: RawRecord = {
    collector: context.collector,
    host: context.host,
    stream: { id: context.streamId, kind: 'syslog' },
    offset,
    line: text,
    dataset: input.dataset,
    observed_at: now.toISOString(),
    syslog: parseSyslog(text, { now, defaultTimeZone: input.default_time_zone }),
    peer,
    listener: { protocol: input.protocol, address: input.address },
  };
  if (lineBase64 !== undefined) record.line_base64 = lineBase64;
  if (recordFlags.length > 0) record.flags = recordFlags;
  return record;
}
