/**
 * Where processed events go. A sink settles every event it is given: written,
 * or rejected with a reason (which the processor routes to the dead-letter
 * queue). Transient trouble (unreachable, 429, 503, cluster blocks) is retried
 * inside the sink and never turns into a rejection.
 */
import type { EcsEvent } from '../event-builder.ts';

export interface IndexRequest {
  /** Deterministic document id. */
  id: string;
  index: string;
  event: EcsEvent;
}

export interface Rejection {
  request: IndexRequest;
  reason: string;
}

export interface EventSink {
  readonly name: string;
  start(): Promise<void>;
  /** Resolves with the requests the destination refused for good; everything else is written. */
  write(requests: readonly IndexRequest[], signal: AbortSignal): Promise<Rejection[]>;
  ready(): boolean;
  stop(): Promise<void>;
}

/** Where events that cannot be processed or indexed go, with the reason. */
export interface DeadLetterSink {
  readonly name: string;
  start(): Promise<void>;
  /** Resolves once the entries are durably written. */
  write(entries: readonly DeadLetter[]): Promise<void>;
  stop(): Promise<void>;
}

export interface DeadLetter {
  /** Identity of the raw record, when known. */
  record_id?: string;
  reason: string;
  stage: 'decode' | 'index';
  /** The event or the raw value that could not be processed. */
  payload: unknown;
  failed_at: string;
}
