/**
 * Hostile input against a running collector (a separate process, as users run
 * it), shipping into the real Kafka: huge lines, a file without newlines,
 * invalid bytes, broken syslog framing, garbage and plaintext on the TLS port,
 * and 2,000 idle connections. Memory must stay bounded, well-behaved senders
 * must keep flowing, and each problem must be counted and logged once.
 */
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runVigil, spawnVigil, type VigilProcess, waitFor } from '../helpers/cli.ts';
import { deleteTopics, TopicRecords } from '../helpers/kafka-topic.ts';
import { KAFKA_BROKERS, listenPort, uniqueName } from '../helpers/services.ts';
import { makeCertificates } from '../helpers/tls.ts';

/** Peak resident memory the collector may reach under all of this. */
const RSS_BOUND_MIB = 200;

const dir = mkdtempSync(join(tmpdir(), 'vigil-hostile-'));
const prefix = uniqueName('e2e-hostile');
const topic = `${prefix}.raw`;
const certs = makeCertificates(dir);
const logFile = join(dir, 'hostile.log');
const ports = { tcp: listenPort(), octet: listenPort(), tls: listenPort(), http: listenPort() };
let collector: VigilProcess | undefined;

afterAll(async () => {
  collector?.child.kill('SIGKILL');
  await deleteTopics(['raw', 'signals', 'alerts', 'dlq'].map((t) => `${prefix}.${t}`));
  rmSync(dir, { recursive: true, force: true });
});

function peakRssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024;
}

function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port }, () => resolve(socket));
    socket.on('error', reject);
  });
}

/** Resolves when the server closes the connection (or after `ms`, with false). */
function closedByServer(socket: Socket, ms = 10_000): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(true);
    });
    socket.on('error', () => {});
  });
}

async function metric(name: string, reason?: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${ports.http}/metrics`)).text();
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (reason !== undefined && !line.includes(`reason="${reason}"`)) continue;
    sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

function logCount(message: string): number {
  return (collector?.output() ?? '').split('\n').filter((l) => l.includes(message)).length;
}

describe('hostile input', () => {
  it('keeps memory bounded and good senders flowing, and counts and logs each problem once', async () => {
    writeFileSync(logFile, 'first\n');
    const configFile = join(dir, 'vigil.yaml');
    writeFileSync(
      configFile,
      `kafka:
  brokers: ${JSON.stringify(KAFKA_BROKERS)}
  partitions: 2
  topics: { raw: ${prefix}.raw, signals: ${prefix}.signals, alerts: ${prefix}.alerts, dlq: ${prefix}.dlq }
http: { address: "127.0.0.1:${ports.http}" }
collector:
  id: hostile
  data_dir: ${join(dir, 'state')}
  poll_interval_ms: 50
  files:
    - paths: [${JSON.stringify(logFile)}]
      dataset: e2e.hostile
  syslog:
    - { protocol: tcp, address: "127.0.0.1:${ports.tcp}", max_connections: 4000, idle_timeout_ms: 120000 }
    - { protocol: tcp, address: "127.0.0.1:${ports.octet}", framing: octet_counting }
    - protocol: tls
      address: "127.0.0.1:${ports.tls}"
      handshake_timeout_ms: 2000
      tls: { cert_file: ${certs.serverCert}, key_file: ${certs.serverKey}, ca_file: ${certs.ca}, client_auth: required }
`,
    );
    expect((await runVigil(['setup', '-c', configFile, '--only', 'kafka'])).code).toBe(0);
    const follower = new TopicRecords(topic);
    await follower.start();
    collector = spawnVigil(['collector', '-c', configFile]);
    await waitFor('three listeners', () => logCount('Syslog listener started.') === 3, 30_000);
    const pid = collector.child.pid as number;

    // A well-behaved sender that keeps sending throughout.
    const good = await open(ports.tcp);
    let goodSent = 0;
    const sending = setInterval(() => {
      for (let i = 0; i < 20; i++)
        good.write(`<13>1 2026-11-24T22:00:00Z host good - - - good ${goodSent++}\n`);
    }, 50);

    // Files: a 10 MB line, 100 MB without a newline, invalid UTF-8 and NUL bytes.
    appendFileSync(logFile, `${'a'.repeat(10 * 1024 * 1024)}\nafter-10mb\n`);
    const block = Buffer.alloc(1024 * 1024, 0x62);
    for (let i = 0; i < 100; i++) appendFileSync(logFile, block);
    appendFileSync(logFile, '\nafter-100mb\n');
    appendFileSync(
      logFile,
      Buffer.concat([
        Buffer.from('bin '),
        Buffer.from([0xff, 0xfe, 0x00, 0xc3, 0x28, 0x00]),
        Buffer.from(' end\nafter-binary\n'),
      ]),
    );

    // Syslog framing: an absurd octet count, and a non-numeric frame where octet counting is required.
    const absurd = await open(ports.tcp);
    absurd.write('99999999999 <13>1 - - - - - - x');
    expect(await closedByServer(absurd)).toBe(true);
    const nonNumeric = await open(ports.octet);
    nonNumeric.write('hello world\n');
    expect(await closedByServer(nonNumeric)).toBe(true);

    // TLS port: random bytes, then plaintext syslog.
    const random = await open(ports.tls);
    random.write(Buffer.from(Array.from({ length: 4096 }, () => Math.floor(Math.random() * 256))));
    expect(await closedByServer(random)).toBe(true);
    const plaintext = await open(ports.tls);
    plaintext.write('<13>1 2026-11-24T22:00:00Z host app - - - plaintext on TLS\n');
    expect(await closedByServer(plaintext)).toBe(true);

    // 2,000 idle connections.
    const idle: Socket[] = [];
    for (let i = 0; i < 2000; i++) idle.push(await open(ports.tcp));
    await new Promise((r) => setTimeout(r, 2000));

    await waitFor(
      'the file lines after the hostile ones',
      async () => {
        const count = follower.count;
        return count >= 6 && (collector?.output() ?? '').length > 0;
      },
      60_000,
    );
    clearInterval(sending);
    good.end();
    for (const socket of idle) socket.destroy();

    const expectedGood = goodSent;
    await waitFor('every good message', () => follower.count >= expectedGood + 5, 60_000);
    await follower.stop();
    const records = follower.records;
    const peak = peakRssMiB(pid);
    console.log(
      `Hostile input: peak collector RSS ${peak.toFixed(0)} MiB (bound ${RSS_BOUND_MIB} MiB), ${goodSent} good messages.`,
    );
    expect(peak).toBeLessThan(RSS_BOUND_MIB);

    const lines = records.filter((r) => r.stream.kind === 'file');
    const byText = (t: string) => lines.filter((r) => r.line === t);
    expect(byText('first')).toHaveLength(1);
    expect(byText('after-10mb')).toHaveLength(1);
    expect(byText('after-100mb')).toHaveLength(1);
    expect(byText('after-binary')).toHaveLength(1);
    const truncated = lines.filter((r) => r.flags?.includes('truncated'));
    expect(truncated.length).toBeGreaterThanOrEqual(2);
    const binary = lines.find((r) => r.line.startsWith('bin '));
    expect(binary?.flags).toContain('invalid_encoding');
    expect(Buffer.from(binary?.line_base64 ?? '', 'base64')).toEqual(
      Buffer.concat([
        Buffer.from('bin '),
        Buffer.from([0xff, 0xfe, 0x00, 0xc3, 0x28, 0x00]),
        Buffer.from(' end'),
      ]),
    );
    const goodRecords = records.filter((r) => r.syslog?.message?.startsWith('good '));
    expect(new Set(goodRecords.map((r) => r.syslog?.message)).size).toBe(goodSent);

    // Counted, and logged once each (rate-limited).
    expect(await metric('vigil_collector_syslog_problems_total', 'frame_too_large')).toBe(1);
    expect(await metric('vigil_collector_syslog_problems_total', 'bad_octet_count')).toBe(1);
    expect(await metric('vigil_collector_syslog_problems_total', 'tls_handshake')).toBe(2);
    expect(await metric('vigil_collector_file_long_lines_total')).toBeGreaterThanOrEqual(2);
    expect(logCount('A syslog connection sent bad framing and is closed.')).toBe(2);
    expect(logCount('A TLS handshake failed.')).toBe(1);

    collector.child.kill('SIGTERM');
    expect(await collector.exited).toBe(0);
  });
});
