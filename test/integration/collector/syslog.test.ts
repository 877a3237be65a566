/**
 * Syslog into Kafka with real clients: util-linux `logger` over UDP, TCP with
 * both RFC 6587 framings, and TLS with a client certificate (logger's bytes
 * carried by socat's OpenSSL client). Each message must arrive in the raw
 * topic exactly once, with its header fields parsed and its peer recorded.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Collector } from '../../../collector/collector.ts';
import { KafkaRecordSink } from '../../../collector/sinks/kafka.ts';
import { createKafka, ensureTopics } from '../../../core/clients/kafka.ts';
import { parseConfig } from '../../../core/config/loader.ts';
import { decodeMessage, type RawRecord } from '../../../core/event/raw-record.ts';
import { silentLogger } from '../../../core/log.ts';
import { Metrics } from '../../../core/telemetry/metrics.ts';
import { waitFor } from '../../helpers/cli.ts';
import { KAFKA_BROKERS, listenPort, uniqueName } from '../../helpers/services.ts';
import { makeCertificates } from '../../helpers/tls.ts';

const dir = mkdtempSync(join(tmpdir(), 'vigil-syslog-'));
const prefix = uniqueName('it-syslog');
const certs = makeCertificates(dir);
const config = parseConfig(
  `
kafka:
  brokers: ${JSON.stringify(KAFKA_BROKERS)}
  partitions: 2
  topics: { raw: ${prefix}.raw, signals: ${prefix}.signals, alerts: ${prefix}.alerts, dlq: ${prefix}.dlq }
http: { enabled: false }
collector:
  id: syslog-it
  data_dir: ${join(dir, 'state')}
  flush_interval_ms: 50
  syslog:
    - { protocol: udp, address: "127.0.0.1:0", dataset: syslog.udp }
    - { protocol: tcp, address: "127.0.0.1:0", dataset: syslog.tcp }
    - protocol: tls
      address: "127.0.0.1:0"
      dataset: syslog.tls
      tls: { cert_file: ${certs.serverCert}, key_file: ${certs.serverKey}, ca_file: ${certs.ca}, client_auth: required }
`,
  'syslog-it.yaml',
);
const logger = silentLogger();
const metrics = new Metrics({ defaultMetrics: false });
const kafka = createKafka(config.kafka, logger, 'syslog-it');
const collector = new Collector({ config, sink: new KafkaRecordSink(kafka, config.kafka), logger, metrics });
const received: RawRecord[] = [];
const consumer = kafka.consumer({ groupId: `${prefix}-reader`, allowAutoTopicCreation: false });
let socat: ReturnType<typeof spawn> | undefined;

function tcpAnswers(portNumber: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = tcpConnect({ host: '127.0.0.1', port: portNumber });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

function port(address: string): string {
  return address.slice(address.lastIndexOf(':') + 1);
}

function logger_(args: string[]): void {
  execFileSync('logger', args, { stdio: 'pipe' });
}

function find(token: string): RawRecord[] {
  return received.filter((r) => r.line.includes(token));
}

beforeAll(async () => {
  await ensureTopics(kafka, config.kafka);
  await collector.start();
  await consumer.connect();
  await consumer.subscribe({ topic: config.kafka.topics.raw, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      const decoded = decodeMessage(message.value?.toString() ?? '');
      if (!('invalid' in decoded)) received.push(...decoded);
    },
  });
});

afterAll(async () => {
  socat?.kill();
  await consumer.disconnect();
  await collector.stop();
  const admin = kafka.admin();
  await admin.connect();
  await admin.deleteTopics({ topics: Object.values(config.kafka.topics) });
  await admin.disconnect();
  rmSync(dir, { recursive: true, force: true });
});

describe('syslog listeners with util-linux logger', () => {
  it('receives RFC 5424 over UDP with structured data and message id parsed', async () => {
    const [udp] = collector.syslogAddresses;
    const token = uniqueName('udp5424');
    logger_(
      [
        '--udp',
        '--server',
        '127.0.0.1',
        '--port',
        port(udp as string),
        '--rfc5424',
        '--msgid',
        'LOGIN',
      ].concat(['--sd-id', 'origin@32473', '--sd-param', 'team="soc"', '-t', 'vigil-it', token]),
    );
    await waitFor('the UDP message', () => find(token).length > 0, 20_000);
    const [record] = find(token);
    expect(find(token)).toHaveLength(1);
    expect(record?.syslog).toMatchObject({
      format: 'rfc5424',
      app_name: 'vigil-it',
      msg_id: 'LOGIN',
      message: token,
      facility: 1,
      severity: 5,
    });
    expect(record?.syslog?.structured_data?.['origin@32473']).toMatchObject({ team: 'soc' });
    expect(record?.listener).toEqual({ protocol: 'udp', address: '127.0.0.1:0' });
    expect(record?.peer?.address).toBe('127.0.0.1');
    expect(record?.dataset).toBe('syslog.udp');
  });

  it('receives RFC 3164 over UDP with tag and timestamp parsed', async () => {
    const [udp] = collector.syslogAddresses;
    const token = uniqueName('udp3164');
    logger_([
      '--udp',
      '--server',
      '127.0.0.1',
      '--port',
      port(udp as string),
      '--rfc3164',
      '-t',
      'sshd',
      '-p',
      'auth.warning',
      token,
    ]);
    await waitFor('the UDP message', () => find(token).length > 0, 20_000);
    expect(find(token)).toHaveLength(1);
    expect(find(token)[0]?.syslog).toMatchObject({
      format: 'rfc3164',
      app_name: 'sshd',
      facility: 4,
      severity: 4,
      message: token,
    });
    expect(find(token)[0]?.syslog?.timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d/);
  });

  it('receives newline-framed and octet-counted messages over TCP, each once', async () => {
    const tcp = collector.syslogAddresses[1] as string;
    const newline = uniqueName('tcp-newline');
    const octet = uniqueName('tcp-octet');
    logger_(['--tcp', '--server', '127.0.0.1', '--port', port(tcp), '--rfc5424', '-t', 'app', newline]);
    logger_([
      '--tcp',
      '--octet-count',
      '--server',
      '127.0.0.1',
      '--port',
      port(tcp),
      '--rfc5424',
      '-t',
      'app',
      octet,
    ]);
    logger_([
      '--tcp',
      '--octet-count',
      '--server',
      '127.0.0.1',
      '--port',
      port(tcp),
      '--rfc3164',
      '-t',
      'cron',
      `${octet}-3164`,
    ]);
    await waitFor('the TCP messages', () => find(newline).length > 0 && find(octet).length >= 2, 20_000);
    await new Promise((r) => setTimeout(r, 500));
    expect(find(newline)).toHaveLength(1);
    expect(find(`${octet}-3164`)).toHaveLength(1);
    expect(find(octet).filter((r) => r.syslog?.message === octet)).toHaveLength(1);
    expect(find(newline)[0]).toMatchObject({
      dataset: 'syslog.tcp',
      listener: { protocol: 'tcp' },
      syslog: { format: 'rfc5424', app_name: 'app', message: newline },
    });
    expect(find(`${octet}-3164`)[0]?.syslog).toMatchObject({ format: 'rfc3164', app_name: 'cron' });
    // Spool sequence numbers identify TCP records: distinct and increasing.
    const offsets = received.filter((r) => r.listener?.protocol === 'tcp').map((r) => r.offset);
    expect(new Set(offsets).size).toBe(offsets.length);
  });

  it('receives messages over TLS from a client presenting a certificate', async () => {
    const tls = collector.syslogAddresses[2] as string;
    const relay = listenPort();
    socat = spawn('socat', [
      `TCP-LISTEN:${relay},bind=127.0.0.1,reuseaddr,fork`,
      `OPENSSL:127.0.0.1:${port(tls)},cert=${certs.clientCert},key=${certs.clientKey},cafile=${certs.ca},verify=1`,
    ]);
    await waitFor('socat to listen', () => tcpAnswers(relay), 10_000);
    const token = uniqueName('tls');
    logger_([
      '--tcp',
      '--octet-count',
      '--server',
      '127.0.0.1',
      '--port',
      String(relay),
      '--rfc5424',
      '-t',
      'fw',
      token,
    ]);
    await waitFor('the TLS message', () => find(token).length > 0, 20_000);
    await new Promise((r) => setTimeout(r, 300));
    expect(find(token)).toHaveLength(1);
    expect(find(token)[0]).toMatchObject({
      dataset: 'syslog.tls',
      listener: { protocol: 'tls' },
      syslog: { app_name: 'fw' },
    });
  });

  it('refuses a TLS client without a certificate and counts the refusal', async () => {
    const tls = collector.syslogAddresses[2] as string;
    const outcome = await new Promise<string>((resolve) => {
      const socket = tlsConnect(
        { host: '127.0.0.1', port: Number(port(tls)), ca: [execFileSync('cat', [certs.ca])] },
        () => {
          socket.write('<13>1 - - - - - - should not arrive\n');
        },
      );
      socket.on('error', (e) => resolve(`error: ${e.message}`));
      socket.on('close', () => resolve('closed'));
    });
    expect(outcome).toMatch(/error|closed/);
    await waitFor(
      'the refusal to be counted',
      async () => (await metrics.text()).includes('reason="tls_handshake"'),
      10_000,
    );
    expect(received.some((r) => r.line.includes('should not arrive'))).toBe(false);
  });
});
