/**
 * Parsing end to end through the real Kafka and OpenSearch, as a user runs
 * Vigil: the collector tails real Apache access lines and receives sshd
 * messages over TCP syslog; the processor's built-in pipelines turn them
 * into typed ECS events. In OpenSearch the fields must be searchable as
 * their types: addresses as `ip` (CIDR queries), status codes and sizes as
 * numbers (range queries, sums), times as dates, methods and users as
 * keywords. The expected figures are counted independently in the test.
 */
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@opensearch-project/opensearch';
import { afterAll, describe, expect, it } from 'vitest';
import { runVigil, spawnVigil, type VigilProcess, waitFor } from '../helpers/cli.ts';
import { deleteTopics } from '../helpers/kafka-topic.ts';
import { KAFKA_BROKERS, listenPort, OPENSEARCH_URL, uniqueName } from '../helpers/services.ts';

const APACHE = join(import.meta.dirname, '..', '..', '..', 'shared', 'data', 'apache', 'access.log');
const APACHE_LINES = 500;
const SSHD = [
  'Accepted publickey for alice from 203.0.113.7 port 50122 ssh2: RSA SHA256:abcdef',
  'Failed password for invalid user admin from 198.51.100.23 port 41234 ssh2',
  'Failed password for root from 198.51.100.23 port 41236 ssh2',
  'Accepted password for bob from 203.0.113.8 port 50200 ssh2',
];

const opensearch = new Client({ node: OPENSEARCH_URL });
const dir = mkdtempSync(join(tmpdir(), 'vigil-parsing-'));
const prefix = uniqueName('e2e-parsing');
const processes: VigilProcess[] = [];

afterAll(async () => {
  for (const p of processes) {
    p.child.kill('SIGTERM');
    await p.exited;
  }
  await deleteTopics(['raw', 'signals', 'alerts', 'dlq'].map((t) => `${prefix}.${t}`));
  await opensearch.indices.delete({ index: `${prefix}-*` }).catch(() => {});
  await opensearch.indices.deleteIndexTemplate({ name: `${prefix}-events` }).catch(() => {});
  await opensearch.close();
  rmSync(dir, { recursive: true, force: true });
});

async function count(query: Record<string, unknown>): Promise<number> {
  const response = await opensearch.count({ index: `${prefix}-*`, body: { query } });
  return response.body.count as number;
}

describe('typed ECS events from raw records', () => {
  it('indexes Apache lines from a file and sshd messages from TCP syslog with ip, numeric, date and keyword fields', async () => {
    const logFile = join(dir, 'access.log');
    writeFileSync(logFile, '');
    const tcpPort = listenPort();
    const configFile = join(dir, 'vigil.yaml');
    const assetsFile = join(dir, 'assets.csv');
    writeFileSync(
      assetsFile,
      'id,name,owner,criticality,cidr,tags\nvpn-pool,VPN clients,netops,high,203.0.113.0/24,vpn;remote\n',
    );
    const indicatorsFile = join(dir, 'indicators.txt');
    writeFileSync(indicatorsFile, '# provider: e2e-feed\n198.51.100.23\n');
    writeFileSync(
      configFile,
      `kafka:
  brokers: ${JSON.stringify(KAFKA_BROKERS)}
  partitions: 2
  topics: { raw: ${prefix}.raw, signals: ${prefix}.signals, alerts: ${prefix}.alerts, dlq: ${prefix}.dlq }
# The Apache lines are from 2015: a historical import keeps their own dates (and no retention sweep).
opensearch: { url: ${OPENSEARCH_URL}, index_prefix: ${prefix}, index_replicas: 0, max_event_age_days: 36500, retention_days: 0 }
http: { enabled: false }
collector:
  id: parsing-host
  data_dir: ${join(dir, 'collector')}
  poll_interval_ms: 50
  files:
    - { paths: [${JSON.stringify(logFile)}], dataset: apache.access }
  syslog:
    - { protocol: tcp, address: "127.0.0.1:${tcpPort}", dataset: linux.auth }
processor:
  group_id: ${prefix}-processors
  session_timeout_ms: 6000
  assets: { files: [${JSON.stringify(assetsFile)}] }
  indicators: { files: [${JSON.stringify(indicatorsFile)}] }
`,
    );
    const setup = await runVigil(['setup', '-c', configFile]);
    expect(setup.code, setup.stdout + setup.stderr).toBe(0);
    const collector = spawnVigil(['collector', '-c', configFile]);
    processes.push(collector);
    processes.push(spawnVigil(['processor', '-c', configFile]));
    await waitFor('the TCP listener', () => collector.output().includes('Syslog listener started.'), 30_000);

    const lines = readFileSync(APACHE, 'utf8').split('\n').filter(Boolean).slice(0, APACHE_LINES);
    appendFileSync(logFile, `${lines.join('\n')}\n`);
    await new Promise<void>((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port: tcpPort }, () => {
        for (const [i, text] of SSHD.entries()) {
          socket.write(`<38>1 2026-11-24T10:00:0${i}.000Z bastion sshd ${4000 + i} - - ${text}\n`);
        }
        socket.end(resolve);
      });
      socket.on('error', reject);
    });

    const total = APACHE_LINES + SSHD.length;
    await waitFor(
      `${total} documents`,
      async () => {
        await opensearch.indices.refresh({ index: `${prefix}-*`, allow_no_indices: true });
        return (await count({ match_all: {} }).catch(() => 0)) >= total;
      },
      90_000,
    );
    expect(await count({ match_all: {} })).toBe(total);
    expect(await count({ term: { tags: 'vigil.parse_failure' } })).toBe(0);

    // Independent counts from the raw lines.
    const parsed = lines.map((line) => {
      const m = /^(\S+) \S+ \S+ \[([^\]]+)\] "(\S+) [^"]*" (\d{3}) (\d+|-)/.exec(line);
      if (!m) throw new Error(`unexpected test line: ${line}`);
      return {
        ip: m[1] as string,
        method: m[3] as string,
        status: Number(m[4]),
        bytes: m[5] === '-' ? 0 : Number(m[5]),
      };
    });
    const errors = parsed.filter((p) => p.status >= 400).length;
    const gets = parsed.filter((p) => p.method === 'GET').length;
    const bytes = parsed.reduce((sum, p) => sum + p.bytes, 0);
    const in83 = parsed.filter((p) => p.ip.startsWith('83.')).length;

    // Numbers: range queries and a sum.
    expect(await count({ range: { 'http.response.status_code': { gte: 400 } } })).toBe(errors);
    const sum = await opensearch.search({
      index: `${prefix}-*`,
      body: { size: 0, aggs: { bytes: { sum: { field: 'http.response.body.bytes' } } } },
    });
    expect((sum.body.aggregations as { bytes: { value: number } }).bytes.value).toBe(bytes);
    // Keywords: exact terms.
    expect(await count({ term: { 'http.request.method': 'GET' } })).toBe(gets);
    // Addresses: CIDR queries work only on the ip type.
    expect(await count({ term: { 'source.ip': '83.0.0.0/8' } })).toBe(in83);
    expect(await count({ term: { 'source.ip': '198.51.100.0/24' } })).toBe(2);
    // Dates: the event's own time, not the time it was read.
    expect(
      await count({ range: { '@timestamp': { gte: '2015-05-17T00:00:00Z', lt: '2015-05-21T00:00:00Z' } } }),
    ).toBe(APACHE_LINES);
    // sshd over syslog: keyword user, outcome, and the syslog header.
    expect(
      await count({
        bool: { filter: [{ term: { 'event.outcome': 'failure' } }, { term: { 'process.name': 'sshd' } }] },
      }),
    ).toBe(2);
    // Web access outcome follows the status code.
    expect(
      await count({
        bool: { filter: [{ term: { 'event.outcome': 'failure' } }, { term: { 'event.module': 'apache' } }] },
      }),
    ).toBe(errors);
    expect(await count({ term: { 'user.name': 'alice' } })).toBe(1);
    expect(await count({ term: { 'process.name': 'sshd' } })).toBe(SSHD.length);

    // Enrichment: GeoIP from the embedded database, asset context, threat-intel matches.
    expect(await count({ exists: { field: 'source.geo.country_iso_code' } })).toBeGreaterThan(
      APACHE_LINES * 0.9,
    );
    expect(await count({ term: { 'source.asset.id': 'vpn-pool' } })).toBe(2);
    expect(await count({ term: { 'threat.enrichments.indicator.provider': 'e2e-feed' } })).toBe(2);

    const mapping = await opensearch.indices.getFieldMapping({
      index: `${prefix}-*`,
      fields: ['source.ip', 'http.response.status_code', '@timestamp', 'http.request.method', 'user.name'],
    });
    const types: Record<string, string> = {};
    for (const index of Object.values(
      mapping.body as Record<string, { mappings: Record<string, unknown> }>,
    )) {
      for (const [field, m] of Object.entries(index.mappings)) {
        const leaf = (m as { mapping: Record<string, { type: string }> }).mapping;
        const type = Object.values(leaf)[0]?.type;
        if (type !== undefined) types[field] = type;
      }
    }
    expect(types).toMatchObject({
      'source.ip': 'ip',
      'http.response.status_code': 'long',
      '@timestamp': 'date',
      'http.request.method': 'keyword',
      'user.name': 'keyword',
    });
  });
});
