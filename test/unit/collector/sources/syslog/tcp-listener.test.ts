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
import { DiskSpool } from '../../../../../collector/spool/disk-spool.ts';
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

  it('builds each record from the spooled message: parsed header, peer, listener, receive time', async () => {
    const dataDir = tempDir();
    const port = 20000 + Math.floor(Math.random() * 20000);
    const input = `{ protocol: tcp, address: "127.0.0.1:${port}", dataset: t }`;
    const started = await startListener(dataDir, input);
    const before = Date.now();
    await send(port, 0, 3);
    await waitFor('the messages to be shipped', () => started.sink.records.length >= 3, 10_000);
    const [first, , third] = started.sink.records as [RawRecord, RawRecord, RawRecord];
    expect(first.line).toBe(message(0));
    expect(first.stream).toEqual({ id: `syslog:tcp:127.0.0.1:${port}`, kind: 'syslog' });
    expect(first.listener).toEqual({ protocol: 'tcp', address: `127.0.0.1:${port}` });
    expect(first.peer?.address).toBe('127.0.0.1');
    expect(first.dataset).toBe('t');
    expect(first.syslog?.format).toBe('rfc5424');
    expect(first.syslog?.message).toBe(`message 0 ${'x'.repeat(200)}`);
    expect(Date.parse(first.observed_at)).toBeGreaterThanOrEqual(before - 1);
    expect(first.flags).toBeUndefined();
    expect(third.offset).toBe(first.offset + 2);
  });

  it('ships whole records left in the spool by an earlier version', async () => {
    const dataDir = tempDir();
    const port = 20000 + Math.floor(Math.random() * 20000);
    const address = `127.0.0.1:${port}`;
    const spool = new DiskSpool<RawRecord>({
      dir: join(dataDir, 'spool', `tcp-127.0.0.1_${port}`),
      maxBytes: 1024 * 1024,
      whenFull: 'block',
      logger: silentLogger(),
      metrics: new Metrics({ defaultMetrics: false }),
      name: 'old',
    });
    await spool.open();
    const old: RawRecord = {
      collector: { id: 't', version: 'old' },
      host: { name: 'h' },
      stream: { id: `syslog:tcp:${address}`, kind: 'syslog' },
      offset: 0,
      line: message(7),
      dataset: 't',
      observed_at: '2026-11-24T22:00:01.000Z',
      syslog: { format: 'unparsed', message: message(7) },
      peer: { address: '127.0.0.1', port: 5 },
      listener: { protocol: 'tcp', address },
    };
    const seq = await spool.append([old]);
    await spool.close();
    const started = await startListener(dataDir, `{ protocol: tcp, address: "${address}", dataset: t }`);
    await waitFor('the old record to be shipped', () => started.sink.records.length >= 1, 10_000);
    expect(started.sink.records[0]).toEqual({ ...old, offset: seq });
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
