/**
 * The alerter through the CLI, against the real Kafka, OpenSearch and Redis
 * of the stack and real local HTTP receivers:
 * (a) alerts are indexed exactly once and notified once each, also when the
 *     same alerts are produced again; suppression holds back repeats;
 * (b) Redis is stopped while notifications are being retried and the
 *     receiver answers 500 for two minutes: every alert is still delivered,
 *     with one idempotency key per alert and destination on every attempt;
 * (c) webhook targets on loopback, link-local, private addresses (in odd
 *     spellings too), behind a redirect, or with other schemes are refused,
 *     and the listener they point at receives nothing.
 */
import { writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { CompressionTypes } from 'kafkajs';
import { afterAll, describe, expect, it } from 'vitest';
import type { AlertRecord } from '../../rules/alerter/alert.ts';
import { runVigil, spawnVigil, type VigilProcess, waitFor } from '../helpers/cli.ts';
import { type IndexingRun, indexingRun, metricSum, randomPort, stack } from '../helpers/indexing.ts';
import { testKafka, topicMessageCount } from '../helpers/kafka-topic.ts';
import { KAFKA_BROKERS, REDIS_URL } from '../helpers/services.ts';

const runs: IndexingRun[] = [];
const processes: VigilProcess[] = [];
const servers: Server[] = [];

afterAll(async () => {
  for (const p of processes) {
    if (p.child.exitCode === null && p.child.signalCode === null) {
      p.child.kill('SIGTERM');
      await p.exited;
    }
  }
  for (const s of servers) await new Promise((r) => s.close(r));
  const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 3 });
  try {
    await redis.connect();
    for (const run of runs) {
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${run.prefix}:*`, 'COUNT', 1000);
        cursor = next;
        if (keys.length > 0) await redis.del(...keys);
      } while (cursor !== '0');
    }
  } finally {
    redis.disconnect();
  }
  for (const run of runs) await run.cleanup();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Attempt {
  at: number;
  key: string;
  alertId: string;
  status: number;
}

/** A webhook receiver that records every attempt and answers what `answer` says. */
async function receiver(answer: () => number, host = '127.0.0.1') {
  const attempts: Attempt[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c.toString();
    });
    req.on('end', () => {
      const status = answer();
      let alertId = '';
      try {
        alertId = (JSON.parse(body) as { alert: { id: string } }).alert.id;
      } catch {}
      attempts.push({ at: Date.now(), key: String(req.headers['idempotency-key']), alertId, status });
      res.writeHead(status).end();
    });
  });
  servers.push(server);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, resolve);
  });
  const port = (server.address() as AddressInfo).port;
  const delivered = () => new Set(attempts.filter((a) => a.status < 300).map((a) => a.key));
  return { port, attempts, delivered };
}

async function createTopics(run: IndexingRun): Promise<void> {
  const admin = testKafka().admin();
  await admin.connect();
  try {
    await admin.createTopics({
      topics: ['alerts', 'dlq'].map((t) => ({
        topic: `${run.prefix}.${t}`,
        numPartitions: 3,
        replicationFactor: 1,
      })),
      waitForLeaders: true,
    });
  } finally {
    await admin.disconnect();
  }
}

function writeConfig(run: IndexingRun, alerter: string, httpPort: number, name = 'alerter.yaml'): string {
  const file = join(run.dir, name);
  writeFileSync(
    file,
    `kafka:
  brokers: ${JSON.stringify(KAFKA_BROKERS)}
  topics: { raw: ${run.prefix}.raw, signals: ${run.prefix}.signals, alerts: ${run.prefix}.alerts, dlq: ${run.prefix}.dlq }
opensearch: { url: ${run.url}, index_prefix: ${run.prefix}, index_replicas: 0, retry_max_ms: 2000 }
redis: { url: ${REDIS_URL} }
http: { address: "127.0.0.1:${httpPort}" }
log: { level: info }
alerter:
  group_id: ${run.prefix}-alerter
  session_timeout_ms: 6000
  redis_prefix: ${run.prefix}
${alerter}
`,
  );
  return file;
}

function startAlerter(configFile: string): VigilProcess {
  const p = spawnVigil(['alerter', '-c', configFile]);
  processes.push(p);
  return p;
}

const started = (p: VigilProcess) => () => {
  if (p.child.exitCode !== null)
    throw new Error(`The alerter exited with ${p.child.exitCode}:\n${p.output()}`);
  return p.output().includes('Alerter started.');
};

let serial = 0;
function makeAlert(run: IndexingRun, n: number, overrides: Partial<AlertRecord> = {}): AlertRecord {
  const id = Buffer.from(`${run.prefix}:${n}:${serial++}`).toString('base64url').slice(-27).padStart(12, 'A');
  const at = new Date(Date.now() - 60_000 + n).toISOString();
  return {
    id,
    kind: 'detection',
    '@timestamp': at,
    rule: { id: `rule-${n % 3}`, title: `Rule ${n % 3}`, level: 'high', tags: ['attack.t1110'] },
    first_event_at: at,
    last_event_at: at,
    event_ids: [`event-${n}`],
    fields: { 'source.ip': `203.0.113.${n}`, 'user.name': `user${n}`, 'host.name': 'web-01' },
    ...overrides,
  };
}

async function produceAlerts(topic: string, values: Array<AlertRecord | string>): Promise<void> {
  const producer = testKafka().producer({ allowAutoTopicCreation: false });
  await producer.connect();
  try {
    await producer.send({
      topic,
      acks: -1,
      compression: CompressionTypes.None,
      messages: values.map((v) => ({
        key: typeof v === 'string' ? 'bad' : v.id,
        value: typeof v === 'string' ? v : JSON.stringify(v),
        headers: { 'vigil-schema': '1' },
      })),
    });
  } finally {
    await producer.disconnect();
  }
}

interface AlertSource {
  rule: { id: string; name: string; level: string };
  source: { ip: string };
  vigil: { alert: { suppressed: boolean; suppressed_count: number; notify: { pending: string[] } } };
}

async function alertDocs(run: IndexingRun): Promise<Array<{ _id: string; _source: AlertSource }>> {
  await run.opensearch.indices
    .refresh({ index: `${run.prefix}-alerts-*`, allow_no_indices: true })
    .catch(() => {});
  const response = await run.opensearch
    .search({
      index: `${run.prefix}-alerts-*`,
      allow_no_indices: true,
      body: { size: 1000, query: { match_all: {} } },
    })
    .catch(() => undefined);
  return (response?.body.hits.hits as Array<{ _id: string; _source: AlertSource }> | undefined) ?? [];
}

describe('the alerter', { timeout: 600_000 }, () => {
  it('indexes alerts exactly once and notifies each once, also when the alerts are produced again', async () => {
    const run = indexingRun('alerter-once');
    runs.push(run);
    await createTopics(run);
    const hook = await receiver(() => 200);
    const port = randomPort();
    const config = writeConfig(
      run,
      `  suppression: [{ rule: rule-0, by: [host.name], for_ms: 3600000 }]
  webhooks:
    - { name: soc, url: "http://127.0.0.1:${hook.port}/hook", allow_http: true, allow_cidrs: ["127.0.0.1/32"] }`,
      port,
    );
    const alerter = startAlerter(config);
    await waitFor('the alerter to start', started(alerter), 60_000);

    // 30 alerts: rules 0, 1, 2 in turn; rule 0 is suppressed per host (all on web-01), so 10 - 1 = 9 are held back.
    const alerts = Array.from({ length: 30 }, (_, n) => makeAlert(run, n));
    await produceAlerts(`${run.prefix}.alerts`, [...alerts, '{"not": "an alert"}']);
    await waitFor('30 alert documents', async () => (await alertDocs(run)).length >= 30, 60_000);
    await waitFor('21 deliveries', () => hook.delivered().size >= 21, 60_000);

    // The same alerts again, as after a consumer group reset.
    await produceAlerts(`${run.prefix}.alerts`, alerts);
    await waitFor(
      'the replay to be handled',
      async () => (await metricSum(port, 'vigil_alerter_alerts_already_indexed_total')) >= 30,
      60_000,
    );
    await sleep(3000);

    const docs = await alertDocs(run);
    expect(docs).toHaveLength(30);
    expect(new Set(docs.map((d) => d._id))).toEqual(new Set(alerts.map((a) => a.id)));
    const suppressed = docs.filter((d) => d._source.vigil.alert.suppressed);
    expect(suppressed).toHaveLength(9);
    const first = docs.find((d) => d._source.rule.id === 'rule-0' && !d._source.vigil.alert.suppressed);
    expect(first?._source.vigil.alert.suppressed_count).toBe(9);
    expect(first?._source.rule).toMatchObject({ id: 'rule-0', name: 'Rule 0', level: 'high' });
    expect(first?._source.source.ip).toMatch(/^203\.0\.113\./);

    // Delivered once each: 21 requests, 21 distinct idempotency keys, nothing for suppressed alerts.
    expect(hook.attempts).toHaveLength(21);
    expect(hook.delivered().size).toBe(21);
    const suppressedIds = new Set(suppressed.map((d) => d._id));
    expect(hook.attempts.filter((a) => suppressedIds.has(a.alertId))).toEqual([]);
    for (const a of hook.attempts) expect(a.key).toBe(`${a.alertId}:soc`);
    await waitFor('notification states', async () =>
      (await alertDocs(run)).every((d) => d._source.vigil.alert.notify.pending.length === 0),
    );
    expect(await topicMessageCount(`${run.prefix}.dlq`)).toBe(1);
    alerter.child.kill('SIGTERM');
    expect(await alerter.exited).toBe(0);
  });

  it('delivers every alert although Redis is stopped during dispatch and the receiver answers 500 for 2 minutes', async () => {
    const run = indexingRun('alerter-redis');
    runs.push(run);
    await createTopics(run);
    const failingUntil = Date.now() + Number(process.env.VIGIL_E2E_RECEIVER_OUTAGE_MS ?? 120_000);
    const hook = await receiver(() => (Date.now() < failingUntil ? 500 : 200));
    const port = randomPort();
    const config = writeConfig(
      run,
      `  attempts: 40
  backoff_initial_ms: 1000
  backoff_max_ms: 8000
  reconcile_interval_ms: 3000
  reconcile_after_ms: 3000
  webhooks:
    - { name: soc, url: "http://127.0.0.1:${hook.port}/hook", allow_http: true, allow_private: true, timeout_ms: 3000 }`,
      port,
    );
    const alerter = startAlerter(config);
    await waitFor('the alerter to start', started(alerter), 60_000);
    const alerts = Array.from({ length: 20 }, (_, n) =>
      makeAlert(run, n, { rule: { id: `r${n}`, title: `R${n}`, level: 'medium', tags: [] } }),
    );
    await produceAlerts(`${run.prefix}.alerts`, alerts);
    await waitFor(
      'every alert to be attempted',
      () => new Set(hook.attempts.map((a) => a.key)).size >= 20,
      60_000,
    );

    stack(['down', '--only', 'redis']);
    try {
      // More alerts arrive while Redis is down: they wait in Kafka.
      await produceAlerts(
        `${run.prefix}.alerts`,
        Array.from({ length: 5 }, (_, n) => makeAlert(run, 100 + n)),
      );
      await sleep(15_000);
      expect(alerter.child.exitCode).toBeNull();
    } finally {
      stack(['up', '--only', 'redis']);
    }
    const expected = new Set([...alerts.map((a) => `${a.id}:soc`)]);
    try {
      await waitFor('25 deliveries', () => hook.delivered().size >= 25, 300_000);
    } catch (error) {
      console.log(`${hook.delivered().size} delivered; alerter output:\n${alerter.output().slice(-6000)}`);
      throw error;
    }
    const delivered = hook.delivered();
    for (const key of expected) expect(delivered.has(key)).toBe(true);
    // Every attempt for an alert carried the same key: the key is the alert id and the destination.
    for (const a of hook.attempts) expect(a.key).toBe(`${a.alertId}:soc`);
    const perKey = new Map<string, number>();
    for (const a of hook.attempts) perKey.set(a.key, (perKey.get(a.key) ?? 0) + 1);
    const successes = hook.attempts.filter((a) => a.status < 300).length;
    console.log(
      `Redis outage during a 120 s receiver outage: ${hook.attempts.length} attempts for ${perKey.size} notifications ` +
        `(${Math.min(...perKey.values())}–${Math.max(...perKey.values())} per notification), ${successes} successful deliveries ` +
        `(${successes - perKey.size} repeats after a success), requeued after Redis restart: ` +
        `${await metricSum(port, 'vigil_alerter_notifications_requeued_total')}, last delivery ${((Math.max(...hook.attempts.map((a) => a.at)) - failingUntil) / 1000).toFixed(1)} s after the receiver recovered.`,
    );
    expect(await alertDocs(run)).toHaveLength(25);
    alerter.child.kill('SIGTERM');
    await alerter.exited;
  });

  it('refuses loopback, link-local, private and oddly spelled targets, redirects and other schemes; the listener receives nothing', async () => {
    const run = indexingRun('alerter-ssrf');
    runs.push(run);
    await createTopics(run);
    const listener = await receiver(() => 200);
    let listener6: Awaited<ReturnType<typeof receiver>> | undefined;
    try {
      listener6 = await receiver(() => 200, '::1');
    } catch {
      listener6 = undefined;
    }
    const redirector = await receiver(() => 302);
    // The redirector answers 302 to the listener; it is the only target allowed (first hop on localhost).
    const redirectServer = servers.at(-1) as Server;
    redirectServer.removeAllListeners('request');
    redirectServer.on('request', (req: IncomingMessage, res: ServerResponse) => {
      req.resume();
      redirector.attempts.push({
        at: Date.now(),
        key: String(req.headers['idempotency-key']),
        alertId: '',
        status: 302,
      });
      res.writeHead(302, { location: `http://127.0.0.1:${listener.port}/stolen` }).end();
    });
    const p = listener.port;
    const targets: Array<[string, string]> = [
      ['loopback', `http://127.0.0.1:${p}/hook`],
      ['loopback6', `http://[::1]:${listener6?.port ?? p}/hook`],
      ['metadata', 'http://169.254.169.254/latest/meta-data/'],
      ['private10', `http://10.0.0.1:${p}/hook`],
      ['private192', `http://192.168.1.1:${p}/hook`],
      ['decimal', `http://2130706433:${p}/hook`],
      ['hex', `http://0x7f000001:${p}/hook`],
      ['octal', `http://0177.0.0.1:${p}/hook`],
      ['short', `http://127.1:${p}/hook`],
      ['mapped', `http://[::ffff:127.0.0.1]:${p}/hook`],
      ['localname', `http://localhost:${p}/hook`],
    ];
    const webhooks = targets
      .map(([name, url]) => `    - { name: ${name}, url: "${url}", allow_http: true }`)
      .concat(
        `    - { name: redirect, url: "http://localhost:${redirector.port}/hook", allow_http: true, allow_cidrs: ["127.0.0.1/32", "::1/128"] }`,
      )
      .join('\n');
    const port = randomPort();
    const config = writeConfig(run, `  webhooks:\n${webhooks}`, port);
    const alerter = startAlerter(config);
    await waitFor('the alerter to start', started(alerter), 60_000);
    const alert = makeAlert(run, 1);
    await produceAlerts(`${run.prefix}.alerts`, [alert]);

    const failed = async () => {
      const result = await runVigil(['alerts', 'failed', '-c', config, '--json']);
      return result.stdout
        .trim()
        .split('\n')
        .filter(Boolean)
        .map(
          (line) => JSON.parse(line) as { id: string; destination: string; reason: string; attempts: number },
        );
    };
    await waitFor(
      'every notification to fail',
      async () => (await failed()).length === targets.length + 1,
      60_000,
    );
    const jobs = await failed();
    for (const job of jobs) {
      expect(job.attempts).toBe(1);
      if (job.destination === 'redirect')
        expect(job.reason).toMatch(/302 \(a redirect, which is not followed\)/);
      else expect(job.reason).toMatch(/^Refused to send to /);
    }
    expect(listener.attempts).toHaveLength(0);
    expect(listener6?.attempts ?? []).toHaveLength(0);
    expect(redirector.attempts).toHaveLength(1);
    expect(await metricSum(port, 'vigil_alerter_notifications_failed_total', 'reason="refused"')).toBe(
      targets.length,
    );

    // Retrying changes nothing: still refused, still nothing received.
    const retry = await runVigil(['alerts', 'retry', '--all', '-c', config]);
    expect(retry.stdout).toContain(`Retrying ${targets.length + 1} notifications.`);
    await waitFor(
      'the retried notifications to fail again',
      async () =>
        (await metricSum(port, 'vigil_alerter_notifications_failed_total')) >= 2 * (targets.length + 1),
    );
    expect(listener.attempts).toHaveLength(0);
    alerter.child.kill('SIGTERM');
    await alerter.exited;

    // Other schemes are refused when the configuration is loaded.
    for (const url of ['ftp://hooks.example.org/x', 'file:///etc/passwd', 'gopher://hooks.example.org/x']) {
      const bad = writeConfig(run, `  webhooks:\n    - { name: bad, url: "${url}" }`, port, 'bad.yaml');
      const result = await runVigil(['alerter', '-c', bad]);
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(/alerter\.webhooks\[0\]\.url|alerter\.webhooks\.0\.url/);
    }
    // So is plain http without allow_http.
    const plain = writeConfig(
      run,
      `  webhooks:\n    - { name: plain, url: "http://hooks.example.org/x" }`,
      port,
      'plain.yaml',
    );
    const result = await runVigil(['alerter', '-c', plain]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/https/);
  });
});
