/**
 * The TCP/TLS syslog listener on its own, with a fake transport: what a
 * sender wrote before a shutdown is spooled and shipped after the restart,
 * and a renewed TLS certificate is served without a restart while a broken
 * one keeps the previous certificate.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { Shipper } from '../../../../../collector/shipper.ts';
import { SyslogSource } from '../../../../../collector/sources/syslog/syslog-source.ts';
import { parseConfig } from '../../../../../core/config/loader.ts';
import type { RawRecord } from '../../../../../core/event/raw-record.ts';
import { silentLogger } from '../../../../../core/log.ts';
import { Metrics } from '../../../../../core/telemetry/metrics.ts';
import type { RecordSink } from '../../../../../core/transport/record-transport.ts';
import { waitFor } from '../../../../helpers/cli.ts';
import { makeCertificates } from '../../../../helpers/tls.ts';

class FakeSink implements RecordSink {
  readonly name = 'fake';
  readonly records: RawRecord[] = [];
  failing = false;
  async start(): Promise<void> {}
  async send(records: readonly RawRecord[]): Promise<void> {
    if (this.failing) throw new Error('transport down');
    this.records.push(...records);
  }
  async stop(): Promise<void> {}
}

const dirs: string[] = [];
const running: Array<() => Promise<void>> = [];

afterEach(async () => {
  for (const stop of running.splice(0)) await stop();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-tcp-listener-'));
  dirs.push(dir);
  return dir;
}

interface Started {
  source: SyslogSource;
  sink: FakeSink;
  metrics: Metrics;
  /** Stops the listener, the shipper and the spool, as the collector does. */
  stop: () => Promise<void>;
}

async function startListener(dataDir: string, input: string, sink = new FakeSink()): Promise<Started> {
  const config = parseConfig(
    `collector:\n  id: t\n  data_dir: ${dataDir}\n  syslog:\n    - ${input}\n`,
    'vigil.yaml',
  );
  const metrics = new Metrics({ defaultMetrics: false });
  const logger = silentLogger();
  const shipper = new Shipper({
    sink,
    logger,
    metrics,
    batchMaxRecords: 500,
    batchMaxBytes: 1_000_000,
    flushIntervalMs: 20,
    retryMaxMs: 50,
  });
  shipper.start();
  const source = new SyslogSource({
    input: config.collector.syslog[0] as NonNullable<(typeof config.collector.syslog)[number]>,
    shipper,
    collector: { id: 't', version: 'test' },
    host: { name: 'h' },
    dataDir,
    logger,
    metrics,
  });
  await source.start();
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    // As the collector does: sources and the shipper stop together.
    const sourceStopped = source.stop();
    await shipper.stop(500);
    await sourceStopped;
    await source.close();
  };
  running.push(stop);
  return { source, sink, metrics, stop };
}

function message(n: number): string {
  return `<14>1 2026-11-24T22:00:00Z host app - - - message ${n} ${'x'.repeat(200)}`;
}

function numbers(records: readonly RawRecord[]): Set<number> {
  return new Set(records.map((r) => Number(/message (\d+)/.exec(r.line)?.[1])));
}

/** Writes every message and half-closes; resolves once the bytes are handed to the kernel. */
function send(port: number, from: number, count: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = tcpConnect({ host: '127.0.0.1', port }, () => {
      for (let i = from; i < from + count; i++) socket.write(`${message(i)}\n`);
      socket.end(() => resolve());
    });
    socket.on('error', reject);
  });
}

function portOf(address: string): number {
  return Number(address.slice(address.lastIndexOf(':') + 1));
}

describe('TCP syslog listener', { timeout: 40_000 }, () => {
  it('spools what a sender wrote just before a shutdown and ships it after the restart', async () => {
    const dataDir = tempDir();
    const port = 20000 + Math.floor(Math.random() * 20000);
    const input = `{ protocol: tcp, address: "127.0.0.1:${port}", dataset: t }`;
    const first = await startListener(dataDir, input);
    first.sink.failing = true;
    // About 1.3 MB: more than the socket buffers hand over in one read, so
    // much of it is still in the kernel when the shutdown begins.
    await send(port, 0, 6000);
    await first.stop();
    expect(first.sink.records).toHaveLength(0);
    const closed = await first.metrics.text();
    expect(closed).toMatch(/vigil_collector_syslog_messages_total\{[^}]*\} 6000/);

    const second = await startListener(dataDir, input);
    await waitFor('the spooled messages to be shipped', () => second.sink.records.length >= 6000, 20_000);
    const seen = numbers(second.sink.records);
    const missing = Array.from({ length: 6000 }, (_, i) => i).filter((n) => !seen.has(n));
    expect(missing).toEqual([]);
    // In order, each once: the spool's sequence numbers are the offsets.
    const offsets = second.sink.records.map((r) => r.offset);
    expect(offsets).toEqual([...offsets].sort((a, b) => a - b));
    expect(new Set(offsets).size).toBe(offsets.length);
    // Sent counts per input.
    await waitFor('the sent count', async () =>
      (await second.metrics.text()).includes(
        `vigil_collector_sent_records_total{input="tcp://127.0.0.1:${port}"} 6000`,
      ),
    );
  });

  it('serves a renewed TLS certificate without a restart and keeps the previous one when the new pair is broken', async () => {
    const dir = tempDir();
    const before = join(dir, 'before');
    const after = join(dir, 'after');
    mkdirSync(before);
    mkdirSync(after);
    const old = makeCertificates(before);
    const renewed = makeCertificates(after);
    const cert = join(dir, 'server.pem');
    const key = join(dir, 'server.key');
    copyFileSync(old.serverCert, cert);
    copyFileSync(old.serverKey, key);
    const { source } = await startListener(
      join(dir, 'state'),
      `{ protocol: tls, address: "127.0.0.1:0", dataset: t, tls: { cert_file: ${cert}, key_file: ${key}, client_auth: none } }`,
    );
    const port = portOf(source.address);
    const handshake = (ca: string) =>
      new Promise<string>((resolve) => {
        const socket = tlsConnect({
          host: '127.0.0.1',
          port,
          ca: [readFileSync(ca)],
          servername: 'localhost',
        });
        socket.once('secureConnect', () => {
          socket.destroy();
          resolve('ok');
        });
        socket.once('error', (error) => resolve(error.message));
      });
    expect(await handshake(old.ca)).toBe('ok');
    expect(await handshake(renewed.ca)).not.toBe('ok');

    copyFileSync(renewed.serverKey, key);
    copyFileSync(renewed.serverCert, cert);
    await waitFor('the renewed certificate', async () => (await handshake(renewed.ca)) === 'ok', 15_000);
    expect(await handshake(old.ca)).not.toBe('ok');

    // A broken certificate file: the listener keeps serving the renewed one.
    writeFileSync(cert, 'not a certificate\n');
    await new Promise((r) => setTimeout(r, 3000));
    expect(await handshake(renewed.ca)).toBe('ok');
  });
});
