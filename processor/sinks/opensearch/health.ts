/**
 * The OpenSearch health probe: it does what the sink does, on a small scale —
 * one bulk request writing one document into `<prefix>_health` (outside `<prefix>-*`, so
 * searches, templates and retention of events never see it) — so a node
 * that answers pings but cannot index (a read-only cluster block, a full write
 * queue, missing permissions) is reported as unhealthy too.
 */
import { hostname } from 'node:os';
import type { Client } from '@opensearch-project/opensearch';
import type { OpenSearchConfig } from '../../../core/config/schema.ts';
import type { Logger } from '../../../core/log.ts';
import type { Metrics } from '../../../core/telemetry/metrics.ts';

export interface HealthProbe {
  healthy: boolean;
  /** Round trip of the probe, in milliseconds. */
  latency_ms: number;
  /** Why the probe failed. */
  reason?: string;
}

export function healthIndexName(prefix: string): string {
  return `${prefix}_health`;
}

export class OpenSearchHealth {
  readonly #client: Client;
  readonly #config: OpenSearchConfig;
  readonly #logger: Logger;
  readonly #intervalMs: number;
  readonly #gauge;
  readonly #duration;
  #timer: NodeJS.Timeout | undefined;
  #healthy = true;
  #probing: Promise<HealthProbe> | undefined;

  constructor(
    client: Client,
    config: OpenSearchConfig,
    logger: Logger,
    metrics: Metrics,
    intervalMs: number,
  ) {
    this.#client = client;
    this.#config = config;
    this.#logger = logger;
    this.#intervalMs = intervalMs;
    this.#gauge = metrics.gauge(
      'vigil_processor_opensearch_healthy',
      '1 when the last health probe (a one-document bulk write) succeeded, 0 otherwise.',
    );
    this.#duration = metrics.histogram(
      'vigil_processor_opensearch_probe_duration_seconds',
      'Round trip of the OpenSearch health probe.',
    );
  }

  get healthy(): boolean {
    return this.#healthy;
  }

  async start(): Promise<void> {
    const first = await this.probe();
    if (!first.healthy) {
      this.#logger.warn(
        { reason: first.reason },
        'OpenSearch does not accept writes yet; events wait in Kafka until it does.',
      );
    }
    if (this.#intervalMs > 0) {
      this.#timer = setInterval(() => {
        this.probe().catch(() => {});
      }, this.#intervalMs);
      this.#timer.unref();
    }
  }

  /** One probe; concurrent callers share it. */
  probe(): Promise<HealthProbe> {
    this.#probing ??= this.#run().finally(() => {
      this.#probing = undefined;
    });
    return this.#probing;
  }

  async #run(): Promise<HealthProbe> {
    const started = performance.now();
    let result: HealthProbe;
    try {
      const index = healthIndexName(this.#config.index_prefix);
      const response = await this.#client.bulk(
        {
          body: [
            { index: { _index: index, _id: hostname() } },
            { '@timestamp': new Date().toISOString(), host: { name: hostname() }, pid: process.pid },
          ],
        },
        { requestTimeout: Math.min(this.#config.request_timeout_ms, 10_000) },
      );
      const item = (
        response.body.items as Array<
          Record<string, { status: number; error?: { type?: string; reason?: string } }>
        >
      )[0];
      const result0 = item ? Object.values(item)[0] : undefined;
      const latency = performance.now() - started;
      if (result0 && result0.status < 300) result = { healthy: true, latency_ms: latency };
      else {
        const error = result0?.error;
        result = {
          healthy: false,
          latency_ms: latency,
          reason: error ? `${error.type}: ${error.reason}` : `status ${result0?.status ?? 'missing'}`,
        };
      }
    } catch (error) {
      result = { healthy: false, latency_ms: performance.now() - started, reason: (error as Error).message };
    }
    this.#duration.observe(result.latency_ms / 1000);
    this.#gauge.set(result.healthy ? 1 : 0);
    if (result.healthy && !this.#healthy) this.#logger.info('The OpenSearch health probe succeeds again.');
    if (!result.healthy && this.#healthy) {
      this.#logger.warn({ reason: result.reason }, 'The OpenSearch health probe failed.');
    }
    this.#healthy = result.healthy;
    return result;
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
