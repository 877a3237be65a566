/**
 * What an enricher is. Enrichers run in the processor after the event's
 * pipeline and before detection, so rules can use what they add: GeoIP
 * (`*.geo.*`, `*.as.*`), asset context (`*.asset.*`) and threat-intel
 * matches (`threat.enrichments`).
 *
 * An enricher is opened once from its configuration (a broken data file at
 * startup is a clear error naming the file), reloads its data files when
 * they are replaced (an atomic swap; a broken new file keeps the previous
 * data and reports why, in the log and in a metric), and never throws for an
 * event.
 */
import type { Logger } from '../../core/log.ts';
import type { Metrics } from '../../core/telemetry/metrics.ts';
import type { EcsEvent } from '../event-builder.ts';

export interface Enricher {
  /** `geoip`, `asset`, `threat_intel`. */
  readonly name: string;
  /** Adds what it knows to the event, in place. Never throws for an event. */
  enrich(event: EcsEvent): void;
  /** Starts watching the data files for replacement (optional). */
  start?(): void;
  /** Stops watching; the enricher may not be used afterwards. */
  close(): Promise<void> | void;
}

export interface EnricherContext {
  logger: Logger;
  metrics: Metrics;
  /** How often data files are checked for replacement, in ms; 0 turns reloading off. */
  reloadIntervalMs: number;
}
