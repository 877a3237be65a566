/**
 * Correlation through the whole real pipeline, run as a user runs Vigil:
 * sshd messages over TCP syslog → collector → Kafka → processor (detection,
 * signals) → correlator → alerter → OpenSearch and a real local HTTP
 * receiver. Twenty failed SSH logins then a success from one address within
 * five minutes raise exactly one alert per address ("SSH Brute Force Followed
 * By A Successful Login"), indexed once and delivered once; an address with
 * nineteen failures raises none. The time from the success line's Kafka
 * message to the webhook receiving the alert is measured (p50/p99; goal ≤ 2 s).
 */
import { createHmac } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@opensearch-project/opensearch';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeMessage } from '../../core/event/raw-record.ts';
import { ROOT, runVigil, spawnVigil, type VigilProcess, waitFor } from '../helpers/cli.ts';
import { cleanupRun } from '../helpers/indexing.ts';
import { testKafka } from '../helpers/kafka-topic.ts';
import { KAFKA_BROKERS, listenPort, OPENSEARCH_URL, REDIS_URL, uniqueName } from '../helpers/services.ts';

const dir = mkdtempSync(join(tmpdir(), 'vigil-brute-force-'));
const prefix = uniqueName('e2e-brute');
const opensearch = new Client({ node: OPENSEARCH_URL });
const processes: VigilProcess[] = [];
const RULE = '7e2b9f61-3c8d-4e1a-a5b7-90d4f6c2e1b8';
const SECRET = 'e2e-webhook-secret';

afterAll(() => cleanupRun({ prefix, dir, opensearch, processes }));

interface Delivery {
  at: number;
  headers: IncomingHttpHeaders;
  body: string;
}

describe('brute force through the whole pipeline', () => {
  it('raises one alert per attacking address, indexed once and delivered once, within 2 s of the success line', {
    timeout: 300_000,
  }, async () => {
    const deliveries: Delivery[] = [];
    const receiver = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => {
        body += chunk.toString();
      });
      request.on('end', () => {
        deliveries.push({ at: Date.now(), headers: request.headers, body });
        response.writeHead(200).end('ok');
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const hookPort = (receiver.address() as AddressInfo).port;
    const secretFile = join(dir, 'webhook.secret');
    writeFileSync(secretFile, `${SECRET}\n`);
    const tcpPort = listenPort();
    const configFile = join(dir, 'vigil.yaml');
    writeFileSync(
      configFile,
      `kafka:
  brokers: ${JSON.stringify(KAFKA_BROKERS)}
  partitions: 2
  topics: { raw: ${prefix}.raw, signals: ${prefix}.signals, alerts: ${prefix}.alerts, dlq: ${prefix}.dlq }
opensearch: { url: ${OPENSEARCH_URL}, index_prefix: ${prefix}, index_replicas: 0 }
redis: { url: ${REDIS_URL} }
http: { enabled: false }
collector:
  id: brute-force-host
  data_dir: ${join(dir, 'collector')}
  syslog:
    - { protocol: tcp, address: "127.0.0.1:${tcpPort}", dataset: linux.auth }
processor:
  group_id: ${prefix}-processors
  session_timeout_ms: 6000
rules:
  paths: [${JSON.stringify(join(ROOT, 'rules', 'packs'))}]
correlator: { group_id: ${prefix}-correlators, session_timeout_ms: 6000, allowed_lateness_ms: 2000 }
alerter:
  group_id: ${prefix}-alerter
  session_timeout_ms: 6000
  redis_prefix: ${prefix}
  webhooks:
    - { name: soc, url: "http://127.0.0.1:${hookPort}/hook", allow_http: true, allow_cidrs: ["127.0.0.1/32"], secret_file: ${JSON.stringify(secretFile)} }
`,
    );
    const setup = await runVigil(['setup', '-c', configFile]);
    expect(setup.code, setup.stdout + setup.stderr).toBe(0);
    const started = (p: VigilProcess, line: string) => () => {
      if (p.child.exitCode !== null) throw new Error(`A Vigil process exited:\n${p.output()}`);
      return p.output().includes(line);
    };
    const alerter = spawnVigil(['alerter', '-c', configFile]);
    const correlator = spawnVigil(['correlator', '-c', configFile]);
    const processor = spawnVigil(['processor', '-c', configFile]);
    const collector = spawnVigil(['collector', '-c', configFile]);
    processes.push(alerter, correlator, processor, collector);
    await waitFor('the alerter', started(alerter, 'Alerter started.'), 60_000);
    await waitFor('the correlator', started(correlator, 'Correlator started.'), 60_000);
    await waitFor('the processor', started(processor, 'Processor started.'), 60_000);
    await waitFor('the TCP listener', started(collector, 'Syslog listener started.'), 60_000);
    // Give the consumer groups a moment to settle their assignments.
    await new Promise((r) => setTimeout(r, 3000));

    const socket: Socket = await new Promise((resolve, reject) => {
      const s = connect({ host: '127.0.0.1', port: tcpPort }, () => resolve(s));
      s.on('error', reject);
    });
    const send = (text: string, pid: number) =>
      socket.write(`<38>1 ${new Date().toISOString()} bastion sshd ${pid} - - ${text}\n`);
    // Ten attacking addresses (20 failures, then a success) and one that gives up after 19.
    const attackers = Array.from({ length: 10 }, (_, i) => `198.51.100.${10 + i}`);
    const quitter = '203.0.113.99';
    for (const [a, address] of [...attackers, quitter].entries()) {
      const failures = address === quitter ? 19 : 20;
      for (let i = 0; i < failures; i++) {
        send(`Failed password for admin from ${address} port ${40000 + i} ssh2`, 5000 + a);
        await new Promise((r) => setTimeout(r, 5));
      }
      await new Promise((r) => setTimeout(r, 300));
      send(`Accepted password for admin from ${address} port 41000 ssh2`, 5000 + a);
      await new Promise((r) => setTimeout(r, 700));
    }
    socket.end();

    await waitFor(
      `${attackers.length} webhook deliveries`,
      () => deliveries.length >= attackers.length,
      90_000,
    );
    // Anything more (a duplicate, the quitter) would arrive in this time.
    await new Promise((r) => setTimeout(r, 5000));

    // Delivered once each, signed, with a stable idempotency key.
    expect(deliveries).toHaveLength(attackers.length);
    const payloads = deliveries.map((d) => JSON.parse(d.body) as Record<string, unknown>);
    const alertIds = new Set<string>();
    for (const [i, delivery] of deliveries.entries()) {
      const timestamp = delivery.headers['x-vigil-timestamp'] as string;
      const expected = createHmac('sha256', SECRET).update(`${timestamp}.${delivery.body}`).digest('hex');
      expect(delivery.headers['x-vigil-signature']).toBe(`sha256=${expected}`);
      const key = delivery.headers['idempotency-key'] as string;
      expect(key).toMatch(/:soc$/);
      alertIds.add(key.slice(0, -':soc'.length));
      expect(JSON.stringify(payloads[i])).toContain(RULE);
    }
    expect(alertIds.size).toBe(attackers.length);

    // Indexed once each, one per attacking address, none for the quitter.
    await opensearch.indices.refresh({ index: `${prefix}-alerts-*` });
    const indexed = await opensearch.search({
      index: `${prefix}-alerts-*`,
      body: { size: 100, query: { term: { 'rule.id': RULE } } },
    });
    const docs = (indexed.body.hits.hits as Array<{ _id: string; _source: Record<string, unknown> }>).map(
      (h) => h,
    );
    expect(docs).toHaveLength(attackers.length);
    expect(new Set(docs.map((d) => d._id))).toEqual(alertIds);
    const grouped = JSON.stringify(docs.map((d) => d._source));
    for (const address of attackers) expect(grouped).toContain(address);
    expect(grouped).not.toContain(quitter);
    // No single-event alert for the failures or the successes: only the correlation uses those rules.
    const all = await opensearch.count({ index: `${prefix}-alerts-*` });
    expect(all.body.count).toBe(attackers.length);

    // Latency: each success line's Kafka message → the webhook receiving its alert.
    const raw = testKafka().consumer({ groupId: uniqueName('raw-reader'), allowAutoTopicCreation: false });
    const successAt = new Map<string, number>();
    await raw.connect();
    await raw.subscribe({ topic: `${prefix}.raw`, fromBeginning: true });
    await raw.run({
      eachMessage: async ({ message }) => {
        const decoded = decodeMessage(message.value?.toString() ?? '');
        if ('invalid' in decoded) return;
        for (const record of decoded) {
          const m = /Accepted password for admin from (\S+)/.exec(record.line);
          if (m) successAt.set(m[1] as string, Number(message.timestamp));
        }
      },
    });
    await waitFor('the success lines', () => successAt.size >= attackers.length + 1, 30_000);
    await raw.disconnect();
    const latencies = deliveries
      .map((d) => {
        const address = attackers.find((a) => d.body.includes(`"${a}"`));
        return address === undefined ? Number.NaN : d.at - (successAt.get(address) as number);
      })
      .sort((a, b) => a - b);
    expect(latencies.every((l) => Number.isFinite(l))).toBe(true);
    const pick = (p: number) =>
      latencies[Math.min(latencies.length - 1, Math.ceil(p * latencies.length) - 1)];
    console.log(
      `Brute force → webhook over ${latencies.length} alerts: p50 ${pick(0.5)} ms, p99 ${pick(0.99)} ms (success line in Kafka → webhook received).`,
    );
    expect(pick(0.99)).toBeLessThanOrEqual(2000);
    await new Promise<void>((resolve) => receiver.close(() => resolve()));
  });
});
