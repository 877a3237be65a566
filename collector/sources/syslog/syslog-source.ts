/**
 * The syslog source: one listener per configured entry — UDP (best effort,
 * drops counted) or TCP/TLS (accepted into a disk spool first). Each message
 * becomes a raw record with its parsed header, the peer address and the
 * listener it arrived on.
 */
import type { Counter } from 'prom-client';
import type { SyslogInputConfig } from '../../../core/config/schema.ts';
import type { RawRecord } from '../../../core/event/raw-record.ts';
import type { Logger } from '../../../core/log.ts';
import type { Metrics } from '../../../core/telemetry/metrics.ts';
import type { Shipper } from '../../shipper.ts';
import { TcpListener } from './tcp-listener.ts';
import { UdpListener } from './udp-listener.ts';

export interface SyslogCounters {
  received: Counter<'listener' | 'protocol'>;
  bytes: Counter<'listener' | 'protocol'>;
  dropped: Counter<'listener' | 'protocol' | 'reason'>;
  connections: Counter<'listener' | 'protocol'>;
  closed: Counter<'listener' | 'protocol' | 'reason'>;
  problems: Counter<'listener' | 'protocol' | 'reason'>;
}

export interface SyslogSourceOptions {
  input: SyslogInputConfig;
  shipper: Shipper;
  collector: RawRecord['collector'];
  host: RawRecord['host'];
  dataDir: string;
  logger: Logger;
  metrics: Metrics;
}

export function syslogCounters(metrics: Metrics): SyslogCounters {
  return {
    received: metrics.counter('vigil_collector_syslog_messages_total', 'Syslog messages received.', [
      'listener',
      'protocol',
    ]),
    bytes: metrics.counter('vigil_collector_syslog_bytes_total', 'Syslog bytes received.', [
      'listener',
      'protocol',
    ]),
    dropped: metrics.counter('vigil_collector_syslog_dropped_total', 'Syslog messages dropped, by reason.', [
      'listener',
      'protocol',
      'reason',
    ]),
    connections: metrics.counter(
      'vigil_collector_syslog_connections_total',
      'TCP/TLS connections accepted.',
      ['listener', 'protocol'],
    ),
    closed: metrics.counter(
      'vigil_collector_syslog_connections_closed_total',
      'Connections closed by Vigil, by reason.',
      ['listener', 'protocol', 'reason'],
    ),
    problems: metrics.counter(
      'vigil_collector_syslog_problems_total',
      'Bad input and refused connections, by reason.',
      ['listener', 'protocol', 'reason'],
    ),
  };
}

export class SyslogSource {
  readonly #listener: UdpListener | TcpListener;
  readonly #input: SyslogInputConfig;
  readonly #logger: Logger;

  constructor(options: SyslogSourceOptions) {
    const { input, shipper, collector, host, dataDir, metrics } = options;
    this.#input = input;
    this.#logger = options.logger.child({
      source: 'syslog',
      protocol: input.protocol,
      listener: input.address,
    });
    const counters = syslogCounters(metrics);
    if (input.protocol === 'udp') {
      // UDP records are numbered per process start: the stream id carries the start time.
      const streamId = `syslog:udp:${input.address}:${Date.now().toString(36)}`;
      this.#listener = new UdpListener(
        { input, collector, host, streamId },
        shipper,
        this.#logger,
        metrics,
        counters,
      );
    } else {
      // TCP/TLS records are numbered by the spool, whose sequence survives restarts.
      const streamId = `syslog:${input.protocol}:${input.address}`;
      this.#listener = new TcpListener(
        { input, collector, host, streamId },
        shipper,
        dataDir,
        this.#logger,
        metrics,
        counters,
      );
    }
  }

  /** The bound address (useful with port 0). */
  get address(): string {
    return this.#listener.address;
  }

  async start(): Promise<void> {
    await this.#listener.start();
    this.#logger.info({ address: this.address }, 'Syslog listener started.');
  }

  /** Stops accepting messages; spooled ones stay for the next start. */
  async stop(): Promise<void> {
    await this.#listener.stop();
  }

  async close(): Promise<void> {
    if (this.#listener instanceof TcpListener) await this.#listener.close();
    this.#logger.debug({ protocol: this.#input.protocol }, 'Syslog listener closed.');
  }
}
