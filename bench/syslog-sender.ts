/**
 * The syslog load generator of the benchmarks, run as its own process so its
 * CPU is not the benchmark's: `node bench/syslog-sender.ts --protocol tcp|udp
 * --address host:port ...`.
 *
 * It sends RFC 5424 messages whose body is a line of the sample log and whose
 * structured data carries a sequence number:
 *   <134>1 2026-11-24T22:54:59.850Z bench-sender apache 4242 access [bench@32473 seq="17"] 83.149.9.216 - - ...
 * TCP: newline framing (RFC 6587), spread over --connections connections, as
 * fast as the listener takes them (each write waits for 'drain'). UDP: one
 * message per datagram at --rate messages per second for --seconds seconds.
 *
 * Protocol with the parent: once connected it writes `{"ready":true}` on a
 * line of standard output and waits for any line on standard input; then it
 * sends, and finally writes one line of JSON with what it did (SenderResult).
 */
import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { connect, type Socket } from 'node:net';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { readSourceLines } from './inputs.ts';

export interface SenderResult {
  /** Messages handed to the kernel without error. */
  sent: number;
  /** UDP: sends that reported an error (not sent). */
  errors: number;
  /** From the go signal until the last message was handed to the kernel. */
  seconds: number;
  /** CPU the sender used while sending. */
  cpuSeconds: number;
  /** Bytes sent, framing included. */
  bytes: number;
}

/** Messages joined into one TCP write. */
const TCP_MESSAGES_PER_WRITE = 200;

function message(lines: readonly string[], seq: number, timestamp: string): string {
  return `<134>1 ${timestamp} bench-sender apache ${process.pid} access [bench@32473 seq="${seq}"] ${lines[seq % lines.length]}`;
}

async function sendTcp(
  lines: readonly string[],
  host: string,
  port: number,
  messages: number,
  connections: number,
  go: Promise<void>,
): Promise<SenderResult> {
  const sockets: Socket[] = [];
  for (let i = 0; i < connections; i++) {
    const socket = connect({ host, port, noDelay: false });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    sockets.push(socket);
  }
  process.stdout.write('{"ready":true}\n');
  await go;
  const cpu = process.cpuUsage();
  const started = performance.now();
  let bytes = 0;
  const timestamp = new Date().toISOString();
  await Promise.all(
    sockets.map(async (socket, c) => {
      // Connection c sends sequence numbers c, c + connections, c + 2 × connections, ...
      const batch: string[] = [];
      for (let seq = c; seq < messages; seq += connections) {
        batch.push(message(lines, seq, timestamp));
        if (batch.length === TCP_MESSAGES_PER_WRITE || seq + connections >= messages) {
          const chunk = `${batch.join('\n')}\n`;
          batch.length = 0;
          bytes += Buffer.byteLength(chunk);
          if (!socket.write(chunk)) await new Promise((resolve) => socket.once('drain', resolve));
        }
      }
      await new Promise<void>((resolve, reject) => {
        socket.once('error', reject);
        socket.end(resolve);
      });
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  for (const socket of sockets) socket.destroy();
  return { sent: messages, errors: 0, seconds, cpuSeconds: (used.user + used.system) / 1e6, bytes };
}

async function sendUdp(
  lines: readonly string[],
  host: string,
  port: number,
  rate: number,
  seconds: number,
  go: Promise<void>,
): Promise<SenderResult> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.connect(port, host, () => resolve());
  });
  process.stdout.write('{"ready":true}\n');
  await go;
  const total = Math.round(rate * seconds);
  let queued = 0;
  let sent = 0;
  let errors = 0;
  let bytes = 0;
  let lastError = '';
  const onSent = (error: Error | null) => {
    if (error) {
      errors += 1;
      lastError = error.message;
    } else sent += 1;
  };
  const cpu = process.cpuUsage();
  const started = performance.now();
  const timestamp = new Date().toISOString();
  while (queued < total) {
    // Keep to the offered rate: send what is due by now, then sleep a timer tick (≈ 1 ms)
    // rather than spin, so the sender takes no more CPU than the sending needs.
    const due = Math.min(total, Math.floor((rate * (performance.now() - started)) / 1000));
    while (queued < due) {
      const datagram = Buffer.from(message(lines, queued, timestamp));
      bytes += datagram.length;
      socket.send(datagram, onSent);
      queued += 1;
    }
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  while (sent + errors < total) await new Promise((resolve) => setTimeout(resolve, 1));
  const elapsed = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  if (errors > 0) process.stderr.write(`${errors} datagrams failed to send; the last error: ${lastError}\n`);
  return { sent, errors, seconds: elapsed, cpuSeconds: (used.user + used.system) / 1e6, bytes };
}

export type SenderOptions = { source: string; address: string } & (
  | { protocol: 'tcp'; messages: number; connections: number }
  | { protocol: 'udp'; rate: number; seconds: number }
);

/** A sender process, connected and waiting for `go()`. */
export interface Sender {
  pid: number;
  /** Starts sending; resolves with what the sender did once it is done. */
  go(): Promise<SenderResult>;
  kill(): void;
}

/** Spawns this file as a sender process and waits until it is connected. */
export async function startSender(options: SenderOptions): Promise<Sender> {
  const args = ['--protocol', options.protocol, '--address', options.address, '--source', options.source];
  if (options.protocol === 'tcp') {
    args.push('--messages', String(options.messages), '--connections', String(options.connections));
  } else {
    args.push('--rate', String(options.rate), '--seconds', String(options.seconds));
  }
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), ...args], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (text: string) => {
    stderr = (stderr + text).slice(-2000);
  });
  const output = createInterface({ input: child.stdout });
  const replies: string[] = [];
  const waiting: Array<(line: string | undefined) => void> = [];
  output.on('line', (line) => {
    const next = waiting.shift();
    if (next) next(line);
    else replies.push(line);
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  void exited.then(() => {
    for (const next of waiting.splice(0)) next(undefined);
  });
  const reply = async (): Promise<string> => {
    const line =
      replies.shift() ?? (await new Promise<string | undefined>((resolve) => waiting.push(resolve)));
    if (line === undefined) {
      const code = await exited;
      throw new Error(`The syslog sender exited with code ${code}: ${stderr.trim() || '(no message)'}`);
    }
    return line;
  };
  await reply();
  if (child.pid === undefined) throw new Error('The syslog sender did not start.');
  return {
    pid: child.pid,
    async go() {
      child.stdin.end('go\n');
      const result = JSON.parse(await reply()) as SenderResult;
      await exited;
      return result;
    },
    kill() {
      child.kill('SIGKILL');
    },
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      protocol: { type: 'string' },
      address: { type: 'string' },
      source: { type: 'string' },
      messages: { type: 'string', default: '200000' },
      connections: { type: 'string', default: '4' },
      rate: { type: 'string', default: '10000' },
      seconds: { type: 'string', default: '5' },
    },
    strict: true,
  });
  const [host, port] = (values.address ?? '').split(/:(?=\d+$)/);
  if (!host || !port || !values.source || (values.protocol !== 'tcp' && values.protocol !== 'udp')) {
    throw new Error(
      'Usage: syslog-sender.ts --protocol tcp|udp --address host:port --source <log file> [...]',
    );
  }
  const lines = await readSourceLines(values.source);
  const input = createInterface({ input: process.stdin });
  const go = new Promise<void>((resolve) => input.once('line', () => resolve()));
  const result =
    values.protocol === 'tcp'
      ? await sendTcp(lines, host, Number(port), Number(values.messages), Number(values.connections), go)
      : await sendUdp(lines, host, Number(port), Number(values.rate), Number(values.seconds), go);
  input.close();
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

if (import.meta.main) {
  await main().catch((error: unknown) => {
    process.stderr.write(
      `The syslog sender failed: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    process.exitCode = 1;
  });
}
