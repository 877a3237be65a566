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
  if (record.flags && record.flags.length > 0) {
    event.tags = record.flags.map((flag) => `vigil_${flag}`);
    if (record.line_base64 !== undefined) event.vigil.original_base64 = record.line_base64;
  }
  return event;
}
