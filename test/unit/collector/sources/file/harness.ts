/**
 * Runs a FileSource over files in a fresh folder, shipping through a real
 * Shipper into a sink that records what it accepts, with a real
 * CheckpointStore. Register it once per test file (it adds the hooks).
 */
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach } from 'vitest';
import type { z } from 'zod';
import { Shipper } from '../../../../../collector/shipper.ts';
import { FileSource } from '../../../../../collector/sources/file/file-source.ts';
import { CheckpointStore } from '../../../../../collector/state/checkpoint-store.ts';
import { fileInputSchema } from '../../../../../core/config/schema.ts';
import type { RawRecord } from '../../../../../core/event/raw-record.ts';
import { silentLogger } from '../../../../../core/log.ts';
import { Metrics } from '../../../../../core/telemetry/metrics.ts';
import type { RecordSink } from '../../../../../core/transport/record-transport.ts';

export const POLL_MS = 20;

/** A transport that keeps every record it accepts; it can hold sends until released. */
export class RecordingSink implements RecordSink {
  readonly name = 'recording';
  readonly received: RawRecord[] = [];
  attempts = 0;
  holding = false;
  #release: Array<() => void> = [];

  async send(records: readonly RawRecord[]): Promise<void> {
    this.attempts += 1;
    if (this.holding) await new Promise<void>((resolve) => this.#release.push(resolve));
    this.received.push(...records);
  }

  releaseAll(): void {
    this.holding = false;
    for (const release of this.#release.splice(0)) release();
  }

  async start(): Promise<void> {}
  async stop(): Promise<void> {}
}

export interface LogEntry {
  msg: string;
  level: number;
  path?: string;
  stream?: string;
}

export interface TailOptions {
  holdSends?: boolean;
  settleMs?: number;
  /** Share a checkpoint store with another source (as the inputs of one collector do). */
  store?: CheckpointStore;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export async function until(condition: () => boolean | Promise<boolean>, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(5);
  }
}

/** Waits long enough for several polls to have happened. */
export const severalPolls = () => sleep(POLL_MS * 5);

/** The stream id the source gives a file shorter than fingerprint_bytes at first sight. */
export async function inodeStreamOf(path: string): Promise<string> {
  const info = await stat(path, { bigint: true });
  return `file:ino:${info.dev.toString(16)}:${info.ino.toString(16)}`;
}

export async function devIno(path: string): Promise<{ dev: string; ino: string }> {
  const info = await stat(path, { bigint: true });
  return { dev: info.dev.toString(16), ino: info.ino.toString(16) };
}

export function fileSourceHarness() {
  let dir = '';
  const cleanups: Array<() => Promise<void>> = [];

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vigil-file-source-'));
  });

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    await rm(dir, { recursive: true, force: true });
  });

  /** A running FileSource over `*.log` in the test folder (unless `paths` says otherwise). */
  async function tail(input: Partial<z.input<typeof fileInputSchema>> = {}, options: TailOptions = {}) {
    const config = fileInputSchema.parse({ paths: [join(dir, '*.log')], ...input });
    const logs: LogEntry[] = [];
    const logger = pino(
      { level: 'info' },
      { write: (line: string) => logs.push(JSON.parse(line) as LogEntry) },
    );
    const metrics = new Metrics({ defaultMetrics: false });
    const sink = new RecordingSink();
    sink.holding = options.holdSends ?? false;
    const store = options.store ?? new CheckpointStore(join(dir, 'data'), silentLogger());
    if (!options.store) await store.load();
    const shipper = new Shipper({
      sink,
      logger: silentLogger(),
      metrics,
      batchMaxRecords: 100,
      batchMaxBytes: 1_000_000,
      flushIntervalMs: 5,
      retryMaxMs: 10,
    });
    const source = new FileSource({
      input: config,
      store,
      shipper,
      collector: { id: 'test-collector', version: '0.1.0' },
      host: { name: 'test-host' },
      logger,
      metrics,
      pollIntervalMs: POLL_MS,
      settleMs: options.settleMs ?? 200,
    });
    shipper.start();
    source.start();
    let stopped = false;
    /** Stops cleanly: checkpoints are saved. */
    const stop = async () => {
      if (stopped) return;
      stopped = true;
      sink.releaseAll();
      await source.stop();
      await shipper.stop(100);
      await store.flush();
    };
    /** Stops like a killed process: checkpoints not saved since the last flush stay unsaved. */
    const crash = async () => {
      if (stopped) return;
      stopped = true;
      sink.releaseAll();
      await source.stop();
      await shipper.stop(0);
    };
    cleanups.push(stop);
    const lines = () => sink.received.map((r) => r.line);
    /** Resolves once the source logged that it tails `path`. */
    const tailing = (path: string) =>
      until(() => logs.some((l) => l.msg === 'Tailing a file.' && l.path === path));
    const metric = async (text: string) => (await metrics.text()).includes(text);
    return { sink, store, metrics, source, lines, tailing, stop, crash, logs, metric };
  }

  return {
    get dir() {
      return dir;
    },
    tail,
  };
}
