/**
 * The collector component: file sources feeding the shipper, which ships
 * through a transport (Kafka, or the in-process queue in standalone mode), and
 * the checkpoint store that remembers how far each file is acknowledged.
 */
import type { VigilConfig } from '../core/config/schema.ts';
import type { RawRecord } from '../core/event/raw-record.ts';
import { hostInfo } from '../core/host-info.ts';
import type { Component } from '../core/lifecycle.ts';
import type { Logger } from '../core/log.ts';
import { RateLimitedLog } from '../core/rate-limited-log.ts';
import type { Metrics } from '../core/telemetry/metrics.ts';
import type { RecordSink } from '../core/transport/record-transport.ts';
import { VIGIL_VERSION } from '../core/version.ts';
import { Shipper } from './shipper.ts';
import { FileSource } from './sources/file/file-source.ts';
import { SyslogSource } from './sources/syslog/syslog-source.ts';
import { CheckpointStore } from './state/checkpoint-store.ts';

/**
 * How often acknowledged progress is made durable. Short, so that after a
 * crash only the batch in flight (and at most one acknowledged while its
 * checkpoint was being written) is read again; a flush with nothing new to
 * write costs nothing.
 */
const CHECKPOINT_FLUSH_MS = 20;

export interface CollectorOptions {
  config: VigilConfig;
  sink: RecordSink;
  logger: Logger;
  metrics: Metrics;
}

export class Collector implements Component {
  readonly name = 'collector';
  readonly #options: CollectorOptions;
  readonly #logger: Logger;
  readonly #store: CheckpointStore;
  readonly #shipper: Shipper;
  readonly #sources: FileSource[] = [];
  readonly #syslog: SyslogSource[] = [];
  #flushTimer: NodeJS.Timeout | undefined;
  readonly #checkpointProblems: RateLimitedLog;
  #running = false;

  constructor(options: CollectorOptions) {
    this.#options = options;
    const { config, sink, metrics } = options;
    this.#logger = options.logger.child({ component: 'collector' });
    this.#store = new CheckpointStore(config.collector.data_dir, this.#logger);
    this.#checkpointProblems = new RateLimitedLog(this.#logger);
    this.#shipper = new Shipper({
      sink,
      logger: this.#logger,
      metrics,
      batchMaxRecords: config.collector.batch_max_records,
      batchMaxBytes: config.collector.batch_max_bytes,
      maxBufferedBytes: config.collector.max_buffered_bytes,
      flushIntervalMs: config.collector.flush_interval_ms,
    });
    const collector: RawRecord['collector'] = { id: config.collector.id, version: VIGIL_VERSION };
    const host = hostInfo();
    for (const input of config.collector.files) {
      this.#sources.push(
        new FileSource({
          input,
          store: this.#store,
          shipper: this.#shipper,
          collector,
          host,
          logger: this.#logger,
          metrics,
          pollIntervalMs: config.collector.poll_interval_ms,
        }),
      );
    }
    for (const input of config.collector.syslog) {
      this.#syslog.push(
        new SyslogSource({
          input,
          shipper: this.#shipper,
          collector,
          host,
          dataDir: config.collector.data_dir,
          logger: this.#logger,
          metrics,
        }),
      );
    }
  }

  /** Bound addresses of the syslog listeners, in configuration order. */
  get syslogAddresses(): string[] {
    return this.#syslog.map((s) => s.address);
  }

  async start(): Promise<void> {
    await this.#store.load();
    await this.#options.sink.start();
    this.#shipper.start();
    for (const source of this.#sources) source.start();
    for (const source of this.#syslog) await source.start();
    let flushing = false;
    this.#flushTimer = setInterval(() => {
      if (flushing) return;
      flushing = true;
      this.#store
        .flush()
        .catch((error: unknown) => {
          this.#checkpointProblems.warn(
            'checkpoint',
            { err: error, file: this.#store.path },
            'Writing checkpoints failed; will retry.',
          );
        })
        .finally(() => {
          flushing = false;
        });
    }, CHECKPOINT_FLUSH_MS);
    this.#running = true;
    this.#logger.info(
      {
        id: this.#options.config.collector.id,
        inputs: this.#sources.length,
        transport: this.#options.sink.name,
      },
      'Collector started.',
    );
  }

  ready(): boolean {
    return this.#running && this.#shipper.healthy;
  }

  async stop(): Promise<void> {
    if (!this.#running) return;
    this.#running = false;
    // Sources stop reading; the shipper then ships what is buffered (a source
    // waiting for buffer room is released by the shipper's stop).
    const sourcesStopped = Promise.all([
      ...this.#sources.map((s) => s.stop()),
      ...this.#syslog.map((s) => s.stop()),
    ]);
    await this.#shipper.stop();
    await sourcesStopped;
    for (const source of this.#syslog) await source.close();
    clearInterval(this.#flushTimer);
    await this.#store.flush();
    await this.#options.sink.stop();
    this.#logger.info('Collector stopped; checkpoints are saved.');
  }
}
