/**
 * What the processor asks of detection: for one event, the ids of the rules
 * it matched (recorded in `vigil.rule_hits`), the alert records to publish
 * on `vigil.alerts`, and the signals to publish on `vigil.signals` for the
 * correlator. The processor publishes both, durably, before it commits the
 * batch the event came from; alert and signal ids are deterministic, so a
 * replay publishes the same records again and nothing downstream doubles.
 */
import type { EcsEvent } from '../event-builder.ts';

/** A record for a Kafka topic (or its standalone stand-in): key and JSON value. */
export interface OutboundMessage {
  /** Kafka key; null for none. */
  key: string | null;
  value: unknown;
}

export interface Detection {
  ruleIds: string[];
  alerts: OutboundMessage[];
  signals: OutboundMessage[];
}

export interface Detector {
  readonly name: string;
  start?(): Promise<void> | void;
  /** `eventId` and `index` are where the event is indexed; alerts point at it. */
  detect(event: EcsEvent, eventId: string, index: string): Detection | undefined;
  stop?(): Promise<void> | void;
}

/** Where alerts or signals go: a Kafka topic, or a file in standalone mode. */
export interface MessageSink {
  readonly name: string;
  start(): Promise<void>;
  /** Resolves once every message is durably written (Kafka: acknowledged by all in-sync replicas). */
  write(messages: readonly OutboundMessage[]): Promise<void>;
  stop(): Promise<void>;
}
