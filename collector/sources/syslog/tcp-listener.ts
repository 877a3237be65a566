/**
 * TCP and TLS syslog (RFC 6587 framing, RFC 5425 for TLS). A message counts
 * as accepted once it is durable in the listener's disk spool; a reader ships
 * the spool to the transport in order and releases it as acknowledgements
 * come back. While the spool write is in progress the connection is not read,
 * so a slow transport slows senders down (TCP backpressure) instead of
 * growing memory.
 *
 * Bounded resources: frames up to `max_frame_bytes` (the decoder never holds
 * more), at most `max_connections` connections, idle and handshake timeouts.
 * A connection whose framing desynchronizes is closed; the others go on.
 */
import { readFileSync, unwatchFile, watchFile } from 'node:fs';
import { createServer as createTcpServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { createServer as createTlsServer, type SecureContextOptions } from 'node:tls';
import type { RawRecord } from '../../../core/event/raw-record.ts';
import type { Logger } from '../../../core/log.ts';
import { RateLimitedLog } from '../../../core/rate-limited-log.ts';
import { splitAddress } from '../../../core/telemetry/http-server.ts';
import type { Metrics } from '../../../core/telemetry/metrics.ts';
import { FrameDecoder } from '../../codecs/framing/frame-decoder.ts';
import type { Shipper } from '../../shipper.ts';
import { DiskSpool } from '../../spool/disk-spool.ts';
import {
  buildSyslogRecord,
  type ReceivedMessage,
  receivedMessage,
  type SyslogRecordContext,
} from './records.ts';
import type { SyslogCounters } from './syslog-source.ts';

/** Most entries, and about the most bytes of them, taken from the spool at once. */
const READ_BATCH = 1000;
const READ_BATCH_BYTES = 128 * 1024;
const CERT_CHECK_MS = 2000;
/** At shutdown, a connection that sent nothing for this long is closed. */
const STOP_QUIET_MS = 300;
/** At shutdown, the longest wait for senders to finish what they sent. */
const STOP_DRAIN_MS = 5000;

/**
 * What the spool keeps of a message: its text and how it arrived, not the
 * record. The record (parsed header, listener, collector) is built when the
 * spool is read, so the spool holds about a third of the bytes and the JSON
 * written and parsed per message is small.
 */
interface SpooledMessage {
  /** Received at, ms since the epoch (the record's observed_at, and "now" for the header's parsing). */
  t: number;
  /** Peer address. */
  a: string;
  /** Peer port. */
  p: number;
  /** The message text, without its line terminator. */
  m: string;
  /** The exact bytes, base64, when they are not valid UTF-8. */
  b?: string;
  /** Flags such as "truncated". */
  f?: string[];
}

/** Spools written by earlier versions hold whole records; they are shipped as they are. */
type SpoolItem = SpooledMessage | RawRecord;

interface Connection {
  /** Last time bytes arrived or a spool write finished. */
  lastActivity: number;
  /** The spool write in progress (the socket is paused meanwhile). */
  writing: Promise<void>;
  busy: boolean;
}

export class TcpListener {
  readonly #context: SyslogRecordContext;
  readonly #shipper: Shipper;
  readonly #logger: Logger;
  readonly #counters: SyslogCounters;
  readonly #problems: RateLimitedLog;
  readonly #spool: DiskSpool<SpoolItem>;
  readonly #sockets = new Map<Socket, Connection>();
  readonly #abort = new AbortController();
  #server: Server | undefined;
  #reader: Promise<void> | undefined;
  #watched: string[] = [];

  constructor(
    context: SyslogRecordContext,
    shipper: Shipper,
    dataDir: string,
    logger: Logger,
    metrics: Metrics,
    counters: SyslogCounters,
  ) {
    this.#context = context;
    this.#shipper = shipper;
    this.#logger = logger;
    this.#counters = counters;
    this.#problems = new RateLimitedLog(logger);
    const { input } = context;
    this.#spool = new DiskSpool<SpoolItem>({
      dir: join(dataDir, 'spool', `${input.protocol}-${input.address.replace(/[^A-Za-z0-9.-]+/g, '_')}`),
      maxBytes: input.spool.max_bytes,
      whenFull: input.spool.when_full,
      logger,
      metrics,
      name: `${input.protocol}://${input.address}`,
    });
  }

  get address(): string {
    const a = this.#server?.address();
    return a && typeof a === 'object' ? `${a.address}:${a.port}` : '';
  }

  get connections(): number {
    return this.#sockets.size;
  }

  async start(): Promise<void> {
    const { input } = this.#context;
    await this.#spool.open();
    const server = input.protocol === 'tls' ? this.#tlsServer() : createTcpServer();
    server.maxConnections = input.max_connections;
    server.on(input.protocol === 'tls' ? 'secureConnection' : 'connection', (socket: Socket) =>
      this.#onConnection(socket),
    );
    server.on('drop', () =>
      this.#problem('too_many_connections', 'A connection was refused: too many connections.'),
    );
    server.on('error', (error) => this.#logger.error({ err: error }, 'The syslog listener failed.'));
    const { host, port } = splitAddress(input.address);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.#server = server;
    this.#reader = this.#drain();
  }

  #tlsContext(): SecureContextOptions {
    const tls = this.#context.input.tls;
    if (!tls) throw new Error('TLS settings are missing.');
    return {
      cert: readFileSync(tls.cert_file),
      key: readFileSync(tls.key_file),
      ...(tls.ca_file ? { ca: readFileSync(tls.ca_file) } : {}),
    };
  }

  #tlsServer(): Server {
    const { input } = this.#context;
    const tls = input.tls;
    if (!tls) throw new Error('TLS settings are missing.');
    const server = createTlsServer({
      ...this.#tlsContext(),
      minVersion: 'TLSv1.2',
      requestCert: tls.client_auth !== 'none',
      rejectUnauthorized: tls.client_auth === 'required',
      handshakeTimeout: input.handshake_timeout_ms,
    });
    server.on('tlsClientError', (error) => {
      this.#problem('tls_handshake', 'A TLS handshake failed.', { reason: error.message });
    });
    // Certificate reload: a renewed certificate or key is picked up without a restart;
    // a broken pair keeps the previous one and says why.
    const reload = () => {
      try {
        server.setSecureContext({ ...this.#tlsContext(), minVersion: 'TLSv1.2' });
        this.#logger.info({ listener: input.address }, 'The TLS certificate was reloaded.');
      } catch (error) {
        this.#logger.error(
          { err: error, listener: input.address },
          'The new TLS certificate could not be loaded; the previous one stays.',
        );
      }
    };
    this.#watched = [tls.cert_file, tls.key_file, ...(tls.ca_file ? [tls.ca_file] : [])];
    for (const file of this.#watched) {
      watchFile(file, { interval: CERT_CHECK_MS, persistent: false }, (current, previous) => {
        if (current.mtimeMs !== previous.mtimeMs) reload();
      });
    }
    return server;
  }

  #onConnection(socket: Socket): void {
    const { input } = this.#context;
    const labels = { listener: input.address, protocol: input.protocol };
    const connection: Connection = { lastActivity: Date.now(), writing: Promise.resolve(), busy: false };
    this.#sockets.set(socket, connection);
    this.#counters.connections.inc(labels);
    const peer = { address: socket.remoteAddress ?? '', port: socket.remotePort ?? 0 };
    const decoder = new FrameDecoder({ maxFrameBytes: input.max_frame_bytes, mode: input.framing });
    socket.setTimeout(input.idle_timeout_ms);
    socket.on('timeout', () => {
      this.#counters.closed.inc({ ...labels, reason: 'idle' });
      socket.destroy();
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      this.#sockets.delete(socket);
    });
    const accept = (frames: Array<{ bytes: Buffer; flags: string[] }>) => {
      if (frames.length === 0) return;
      const receivedAt = Date.now();
      const records = frames.map((f) => spooled(receivedMessage(f.bytes, f.flags), receivedAt, peer));
      this.#counters.received.inc(labels, records.length);
      socket.pause();
      connection.busy = true;
      connection.writing = connection.writing
        .then(() => this.#spool.append(records))
        .then(
          () => {
            connection.busy = false;
            connection.lastActivity = Date.now();
            if (!socket.destroyed) socket.resume();
          },
          (error: unknown) => {
            this.#problem(
              'spool',
              'A syslog message could not be written to the spool; the connection is closed.',
              {
                err: error,
              },
            );
            connection.busy = false;
            socket.destroy();
          },
        );
    };
    socket.on('data', (chunk: Buffer) => {
      connection.lastActivity = Date.now();
      this.#counters.bytes.inc(labels, chunk.length);
      const frames: Array<{ bytes: Buffer; flags: string[] }> = [];
      for (const result of decoder.push(chunk)) {
        if ('error' in result) {
          this.#counters.closed.inc({ ...labels, reason: result.error.reason });
          this.#problem(result.error.reason, 'A syslog connection sent bad framing and is closed.', {
            peer: `${peer.address}:${peer.port}`,
            detail: result.error.detail,
          });
          accept(frames);
          socket.destroy();
          return;
        }
        frames.push({ bytes: result.frame, flags: frameFlags(result) });
      }
      accept(frames);
    });
    socket.on('end', () => {
      const frames = decoder
        .end()
        .flatMap((r) => ('error' in r ? [] : [{ bytes: r.frame, flags: frameFlags(r) }]));
      accept(frames);
      void connection.writing.then(() => socket.end());
    });
  }

  #problem(reason: string, message: string, fields: Record<string, unknown> = {}): void {
    const { input } = this.#context;
    this.#counters.problems.inc({ listener: input.address, protocol: input.protocol, reason });
    this.#problems.warn(reason, { listener: input.address, reason, ...fields }, message);
  }

  /** Ships spooled messages in order; the spool is released as the transport acknowledges. */
  async #drain(): Promise<void> {
    const signal = this.#abort.signal;
    while (!signal.aborted) {
      try {
        await this.#spool.waitForData(signal);
        if (signal.aborted) break;
        const entries = await this.#spool.read(READ_BATCH, READ_BATCH_BYTES);
        if (entries.length === 0) continue;
        const records = entries.map(({ seq, entry }) => this.#record(entry, seq));
        const last = (entries[entries.length - 1] as { seq: number }).seq;
        await this.#shipper.push(records, () => this.#spool.ack(last));
        // A stopping shipper takes nothing more; the rest waits in the spool.
        if (this.#shipper.stopping) break;
      } catch (error) {
        if (signal.aborted) break;
        this.#logger.error({ err: error }, 'Reading the syslog spool failed; retrying.');
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
  }

  #record(entry: SpoolItem, seq: number): RawRecord {
    if ('stream' in entry) return { ...entry, offset: seq };
    const message: ReceivedMessage = { text: entry.m };
    if (entry.b !== undefined) message.base64 = entry.b;
    if (entry.f !== undefined) message.flags = entry.f;
    return buildSyslogRecord(this.#context, message, entry.t, seq, entry.a, entry.p);
  }

  async stop(): Promise<void> {
    for (const file of this.#watched) unwatchFile(file);
    const server = this.#server;
    this.#server = undefined;
    if (server) {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      await this.#drainConnections();
      const { input } = this.#context;
      const writes: Array<Promise<void>> = [];
      for (const [socket, connection] of this.#sockets) {
        this.#counters.closed.inc({ listener: input.address, protocol: input.protocol, reason: 'shutdown' });
        socket.destroy();
        writes.push(connection.writing);
      }
      // Frames already taken from a socket finish their spool write (a full
      // spool with when_full: block is released by close, so do not wait forever).
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.all(writes),
        new Promise((r) => {
          timer = setTimeout(r, STOP_DRAIN_MS);
        }),
      ]);
      clearTimeout(timer);
      await closed;
    }
    this.#abort.abort();
    await this.#reader;
  }

  /**
   * Syslog over TCP has no acknowledgements: what a sender wrote before the
   * shutdown may still sit in the socket's receive buffer. Read on until each
   * sender is done (it closed, or sent nothing for a moment), within a bound,
   * so a restart does not throw those messages away.
   */
  async #drainConnections(): Promise<void> {
    const deadline = Date.now() + STOP_DRAIN_MS;
    while (Date.now() < deadline) {
      const now = Date.now();
      let active = false;
      for (const [socket, connection] of this.#sockets) {
        if (socket.destroyed) continue;
        if (connection.busy || now - connection.lastActivity < STOP_QUIET_MS) active = true;
      }
      if (!active) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    this.#logger.warn(
      { connections: this.#sockets.size },
      'Syslog senders kept sending during shutdown; their connections are closed now.',
    );
  }

  /** Called after the shipper drained: releases the spool's files. */
  async close(): Promise<void> {
    await this.#spool.close();
  }
}

function spooled(
  message: ReceivedMessage,
  receivedAt: number,
  peer: { address: string; port: number },
): SpooledMessage {
  const entry: SpooledMessage = { t: receivedAt, a: peer.address, p: peer.port, m: message.text };
  if (message.base64 !== undefined) entry.b = message.base64;
  if (message.flags !== undefined) entry.f = message.flags;
  return entry;
}

function frameFlags(result: { frame: Buffer; truncated?: boolean; unterminated?: boolean }): string[] {
  const flags: string[] = [];
  if (result.truncated) flags.push('truncated');
  if (result.unterminated) flags.push('unterminated');
  return flags;
}
