/**
 * UDP syslog (RFC 5426): one message per datagram. UDP is best effort by
 * nature: when the shipper cannot take more, datagrams are dropped — and every
 * drop is counted (`vigil_collector_syslog_dropped_total{reason}`), never silent.
 */
import { createSocket, type Socket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import type { Logger } from '../../../core/log.ts';
import { splitAddress } from '../../../core/telemetry/http-server.ts';
import type { Metrics } from '../../../core/telemetry/metrics.ts';
import type { Shipper } from '../../shipper.ts';
import { type SyslogRecordContext, syslogRecord } from './records.ts';
import type { SyslogCounters } from './syslog-source.ts';

const RECEIVE_BUFFER_BYTES = 8 * 1024 * 1024;

export class UdpListener {
  readonly #context: SyslogRecordContext;
  readonly #shipper: Shipper;
  readonly #logger: Logger;
  readonly #counters: SyslogCounters;
  #socket: Socket | undefined;
  #sequence = 0;

  constructor(
    context: SyslogRecordContext,
    shipper: Shipper,
    logger: Logger,
    _metrics: Metrics,
    counters: SyslogCounters,
  ) {
    this.#context = context;
    this.#shipper = shipper;
    this.#logger = logger;
    this.#counters = counters;
  }

  get address(): string {
    const a = this.#socket?.address();
    return a ? `${a.address}:${a.port}` : '';
  }

  async start(): Promise<void> {
    const { host, port } = splitAddress(this.#context.input.address);
    const socket = createSocket({
      type: isIPv6(host) ? 'udp6' : 'udp4',
      recvBufferSize: RECEIVE_BUFFER_BYTES,
    });
    socket.on('message', (message, remote) => this.#onMessage(message, remote.address, remote.port));
    socket.on('error', (error) => this.#logger.error({ err: error }, 'The UDP syslog socket failed.'));
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(port, host, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    this.#socket = socket;
  }

  #onMessage(message: Buffer, address: string, port: number): void {
    const { input } = this.#context;
    const labels = { listener: input.address, protocol: 'udp' };
    this.#counters.received.inc(labels);
    this.#counters.bytes.inc(labels, message.length);
    if (message.length > input.max_frame_bytes) {
      this.#counters.dropped.inc({ ...labels, reason: 'too_large' });
      return;
    }
    if (!this.#shipper.hasRoom(1, message.length)) {
      this.#counters.dropped.inc({ ...labels, reason: 'backpressure' });
      return;
    }
    this.#sequence += 1;
    const record = syslogRecord(this.#context, message, this.#sequence, { address, port });
    void this.#shipper.push([record], () => {});
  }

  async stop(): Promise<void> {
    const socket = this.#socket;
    this.#socket = undefined;
    if (socket) await new Promise<void>((resolve) => socket.close(() => resolve()));
  }
}
