/**
 * Builds the base ECS event from a raw record: the fields every event has
 * before parsing adds more. `@timestamp` starts as the time the collector read
 * the line; a parser that finds the event's own time replaces it.
 */
import { type RawRecord, recordIdentity } from '../core/event/raw-record.ts';

/** An ECS event as nested JSON. */
export type EcsEvent = Record<string, unknown> & {
  '@timestamp': string;
  message: string;
  event: { dataset: string; ingested?: string; original?: string; [key: string]: unknown };
  vigil: { record: { id: string; offset: number; stream: string }; [key: string]: unknown };
};

export interface EventBuilderOptions {
  keepOriginal: boolean;
}

export function buildEvent(record: RawRecord, options: EventBuilderOptions): EcsEvent {
  const event: EcsEvent = {
    '@timestamp': record.observed_at,
    message: record.line,
    event: { dataset: record.dataset },
    host: { ...record.host },
    agent: { type: 'vigil', id: record.collector.id, version: record.collector.version },
    vigil: {
      record: { id: recordIdentity(record), offset: record.offset, stream: record.stream.id },
    },
  };
  if (options.keepOriginal) event.event.original = record.line;
  if (record.stream.kind === 'file') {
    event.log = { file: { path: record.file?.path }, offset: record.offset };
  }
  if (record.syslog) applySyslog(event, record);
  if (record.flags && record.flags.length > 0) {
    event.tags = record.flags.map((flag) => `vigil_${flag}`);
    if (record.line_base64 !== undefined) event.vigil.original_base64 = record.line_base64;
  }
  return event;
}

/**
 * Syslog records: the header becomes ECS `log.syslog.*`, the sender becomes
 * `host` (the collector stays in `agent`), the body becomes `message`, and
 * the sender's timestamp becomes `@timestamp` when it has one.
 */
function applySyslog(event: EcsEvent, record: RawRecord): void {
  const syslog = record.syslog;
  if (!syslog) return;
  if (syslog.timestamp !== undefined) event['@timestamp'] = syslog.timestamp;
  event.message = syslog.message;
  const log: Record<string, unknown> = {
    syslog: compact({
      priority: syslog.priority,
      facility:
        syslog.facility === undefined ? undefined : { code: syslog.facility, name: syslog.facility_name },
      severity:
        syslog.severity === undefined ? undefined : { code: syslog.severity, name: syslog.severity_name },
      version: syslog.version === undefined ? undefined : String(syslog.version),
      hostname: syslog.hostname,
      appname: syslog.app_name,
      procid: syslog.proc_id,
      msgid: syslog.msg_id,
      structured_data: syslog.structured_data,
    }),
  };
  if (record.peer)
    log.source = { address: `${record.peer.address}:${record.peer.port}`, ip: record.peer.address };
  event.log = log;
  event.host = compact({
    name: syslog.hostname ?? record.peer?.address,
    ip: record.peer ? [record.peer.address] : undefined,
  });
  if (syslog.app_name !== undefined) {
    const pid = Number(syslog.proc_id);
    event.process = compact({ name: syslog.app_name, pid: Number.isSafeInteger(pid) ? pid : undefined });
  }
  event.vigil.syslog = compact({
    format: syslog.format,
    listener: record.listener,
    sequence: syslog.sequence,
  });
}

function compact(value: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = v;
  return out;
}
