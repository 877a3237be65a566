/**
 * `vigil setup` against the real Kafka and OpenSearch, driven through the
 * command line as an operator runs it: idempotent re-runs, template upgrades,
 * changed topic configs and partitions, aliases, and unreachable services.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Admin } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKafka } from '../../../core/clients/kafka.ts';
import { createOpenSearch } from '../../../core/clients/opensearch.ts';
import { kafkaSchema, opensearchSchema } from '../../../core/config/schema.ts';
import { silentLogger } from '../../../core/log.ts';
import { hasIsmPlugin } from '../../../processor/sinks/opensearch/ism.ts';
import { runVigil } from '../../helpers/cli.ts';
import { KAFKA_BROKERS, OPENSEARCH_URL, uniqueName } from '../../helpers/services.ts';

const prefix = uniqueName('it-setup');
const topics = {
  raw: `${prefix}.raw`,
  signals: `${prefix}.signals`,
  alerts: `${prefix}.alerts`,
  dlq: `${prefix}.dlq`,
};
const dir = mkdtempSync(join(tmpdir(), 'vigil-setup-'));
const configFile = join(dir, 'vigil.yaml');
const client = createOpenSearch(opensearchSchema.parse({ url: OPENSEARCH_URL }));
const kafka = createKafka(kafkaSchema.parse({ brokers: KAFKA_BROKERS }), silentLogger(), 'it-setup');
let admin: Admin;
let ism = false;

/** Writes the configuration file the CLI reads, with `kafka` extras merged in. */
function writeConfig(kafkaExtra: Record<string, unknown> = {}): void {
  const config = {
    kafka: { brokers: KAFKA_BROKERS, partitions: 2, topics, ...kafkaExtra },
    opensearch: { url: OPENSEARCH_URL, index_prefix: prefix, index_replicas: 0 },
  };
  // JSON is YAML.
  writeFileSync(configFile, JSON.stringify(config, null, 2));
}

async function setup(...args: string[]) {
  return runVigil(['setup', '-c', configFile, ...args]);
}

async function templates(): Promise<Record<string, unknown>> {
  const found: Record<string, unknown> = {};
  for (const name of [`${prefix}-events`, `${prefix}-alerts`]) {
    const response = await client.indices.getIndexTemplate({ name });
    found[name] = response.body.index_templates[0]?.index_template;
  }
  return found;
}

/** Every topic's partition count and its topic-level configs (as set on the topic). */
async function topicState(): Promise<
  Record<string, { partitions: number; configs: Record<string, string> }>
> {
  const names = Object.values(topics);
  const metadata = await admin.fetchTopicMetadata({ topics: names });
  const described = await admin.describeConfigs({
    resources: names.map((name) => ({ type: 2, name })),
    includeSynonyms: false,
  });
  const state: Record<string, { partitions: number; configs: Record<string, string> }> = {};
  for (const name of names) {
    const entries = described.resources.find((r) => r.resourceName === name)?.configEntries ?? [];
    state[name] = {
      partitions: metadata.topics.find((t) => t.name === name)?.partitions.length ?? 0,
      configs: Object.fromEntries(
        entries.filter((e) => e.configSource === 1).map((e) => [e.configName, e.configValue]),
      ),
    };
  }
  return state;
}

beforeAll(async () => {
  admin = kafka.admin();
  await admin.connect();
  ism = await hasIsmPlugin(client);
  writeConfig();
});

afterAll(async () => {
  await admin.deleteTopics({ topics: Object.values(topics) }).catch(() => undefined);
  await admin.disconnect();
  await client.indices.delete({ index: `${prefix}-*` }).catch(() => undefined);
  for (const name of [`${prefix}-events`, `${prefix}-alerts`]) {
    await client.indices.deleteIndexTemplate({ name }).catch(() => undefined);
  }
  await client.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('vigil setup', () => {
  it('creates the topics with their configs and both index templates, one line each, and exits 0', async () => {
    const { code, stdout, stderr } = await setup();
    expect(code, stderr).toBe(0);
    for (const topic of Object.values(topics)) {
      expect(stdout).toContain(
        `Kafka topic ${topic}: created (2 partitions, replication factor 1, min.insync.replicas=1`,
      );
    }
    expect(stdout).toContain(`OpenSearch index template ${prefix}-events: created (v2).`);
    expect(stdout).toContain(`OpenSearch index template ${prefix}-alerts: created (v2).`);
    if (ism) {
      expect(stdout).toContain(`OpenSearch ISM policy ${prefix}-events-retention: created.`);
    } else {
      expect(stdout).toContain(
        'OpenSearch ISM policies: skipped (the index-management plugin is not installed).',
      );
      expect(stderr).toContain('no index-management (ISM) plugin');
      expect(stderr).toContain('vigil retention');
    }
    expect(stdout).toContain('Setup finished: 6 created, 0 updated, 0 unchanged.');

    const state = await topicState();
    expect(state[topics.raw]).toEqual({
      partitions: 2,
      configs: {
        'min.insync.replicas': '1',
        'retention.ms': String(168 * 3_600_000),
        'compression.type': 'producer',
      },
    });
    expect(state[topics.dlq]?.configs['retention.ms']).toBe(String(720 * 3_600_000));
  });

  it('reports everything unchanged on a second run and changes nothing in Kafka or OpenSearch', async () => {
    const topicsBefore = await topicState();
    const templatesBefore = await templates();
    const { code, stdout, stderr } = await setup();
    expect(code, stderr).toBe(0);
    const lines = stdout.trim().split('\n');
    for (const topic of Object.values(topics)) expect(lines).toContain(`Kafka topic ${topic}: unchanged.`);
    expect(lines).toContain(`OpenSearch index template ${prefix}-events: unchanged (v2).`);
    expect(lines).toContain(`OpenSearch index template ${prefix}-alerts: unchanged (v2).`);
    expect(stdout).not.toMatch(/: (created|updated)/);
    expect(lines.at(-1)).toBe('Setup finished: 0 created, 0 updated, 6 unchanged.');
    expect(await topicState()).toEqual(topicsBefore);
    expect(await templates()).toEqual(templatesBefore);

    const check = await setup('--check');
    expect(check.code, check.stderr).toBe(0);
    expect(check.stdout.trim().split('\n').at(-1)).toBe('Nothing would change.');
  });

  it('puts aliases on new indices, and alerts indices get the alerts mappings, not the event ones', async () => {
    const events = `${prefix}-linux.auth-2026.11.24`;
    const alerts = `${prefix}-alerts-2026.11`;
    await client.indices.create({ index: events });
    await client.indices.create({ index: alerts });
    const aliases = await client.indices.getAlias({ index: `${prefix}-*` });
    expect(Object.keys(aliases.body[events]?.aliases ?? {})).toEqual([`${prefix}-events`]);
    expect(Object.keys(aliases.body[alerts]?.aliases ?? {})).toEqual([`${prefix}-alerts`]);
    const mappings = await client.indices.getMapping({ index: `${events},${alerts}` });
    const eventProps = mappings.body[events]?.mappings.properties as Record<string, unknown>;
    const alertProps = mappings.body[alerts]?.mappings.properties as Record<string, { properties?: unknown }>;
    expect(eventProps.message).toEqual({
      type: 'match_only_text',
      fields: { keyword: { type: 'keyword', ignore_above: 1024 } },
    });
    expect(alertProps.rule?.properties).toMatchObject({ level: { type: 'keyword' } });
    expect(alertProps.source).toBeDefined();
    expect(eventProps.rule).toBeUndefined();
  });

  it('upgrades an older installed template, says from which version to which, and --check announced it', async () => {
    const shipped = await templates();
    const old = structuredClone(shipped[`${prefix}-events`]) as Record<string, unknown>;
    old.version = 1;
    old._meta = { managed_by: 'vigil', vigil_template_version: 1 };
    (old.template as { mappings: { properties: Record<string, unknown> } }).mappings.properties.message = {
      type: 'text',
    };
    await client.indices.putIndexTemplate({ name: `${prefix}-events`, body: old as never });

    const check = await setup('--check', '--only', 'opensearch');
    expect(check.code).toBe(1);
    expect(check.stdout).toContain(
      `OpenSearch index template ${prefix}-events: would be updated from v1 to v2.`,
    );
    expect(check.stdout).toContain('1 item would change; run vigil setup to apply.');
    expect((await templates())[`${prefix}-events`]).toMatchObject({ version: 1 });

    const { code, stdout } = await setup('--only', 'opensearch');
    expect(code).toBe(0);
    expect(stdout).toContain(`OpenSearch index template ${prefix}-events: updated from v1 to v2.`);
    expect(stdout).toContain(`OpenSearch index template ${prefix}-alerts: unchanged (v2).`);
    expect(await templates()).toEqual(shipped);
  });

  it('leaves a newer installed template alone with a warning', async () => {
    const shipped = await templates();
    const newer = { ...(shipped[`${prefix}-alerts`] as Record<string, unknown>), version: 99 };
    await client.indices.putIndexTemplate({ name: `${prefix}-alerts`, body: newer as never });
    const { code, stdout, stderr } = await setup('--only', 'opensearch');
    expect(code).toBe(0);
    expect(stdout).toContain(`OpenSearch index template ${prefix}-alerts: unchanged (v99).`);
    expect(stderr).toContain(
      'the installed template is v99, newer than v2 of this Vigil; it is left as it is',
    );
    expect((await templates())[`${prefix}-alerts`]).toMatchObject({ version: 99 });
    await client.indices.putIndexTemplate({
      name: `${prefix}-alerts`,
      body: shipped[`${prefix}-alerts`] as never,
    });
  });

  it('puts back a template of the same version whose settings differ, naming the setting', async () => {
    writeFileSync(
      configFile,
      JSON.stringify({
        kafka: { brokers: KAFKA_BROKERS, partitions: 2, topics },
        opensearch: { url: OPENSEARCH_URL, index_prefix: prefix, index_replicas: 1 },
      }),
    );
    const { code, stdout } = await setup('--only', 'opensearch');
    writeConfig();
    expect(code).toBe(0);
    expect(stdout).toContain(
      `OpenSearch index template ${prefix}-events: updated (v2; index.number_of_replicas 0 → 1).`,
    );
    const back = await setup('--only', 'opensearch');
    expect(back.stdout).toContain(
      `OpenSearch index template ${prefix}-events: updated (v2; index.number_of_replicas 1 → 0).`,
    );
  });

  it('applies a changed retention_hours to the existing topic, reports it, and keeps configs an operator set', async () => {
    await admin.alterConfigs({
      validateOnly: false,
      resources: [
        {
          type: 2,
          name: topics.raw,
          configEntries: [
            ...Object.entries((await topicState())[topics.raw]?.configs ?? {}).map(([name, value]) => ({
              name,
              value,
            })),
            { name: 'max.message.bytes', value: '2000000' },
          ],
        },
      ],
    });
    writeConfig({ retention_hours: { raw: 2 } });
    const check = await setup('--check', '--only', 'kafka');
    expect(check.code).toBe(1);
    expect(check.stdout).toContain(
      `Kafka topic ${topics.raw}: would be updated (retention.ms 604800000 → 7200000).`,
    );

    const { code, stdout } = await setup('--only', 'kafka');
    expect(code).toBe(0);
    expect(stdout).toContain(`Kafka topic ${topics.raw}: updated (retention.ms 604800000 → 7200000).`);
    expect(stdout).toContain(`Kafka topic ${topics.signals}: unchanged.`);
    const state = await topicState();
    expect(state[topics.raw]?.configs).toEqual({
      'min.insync.replicas': '1',
      'retention.ms': '7200000',
      'compression.type': 'producer',
      'max.message.bytes': '2000000',
    });
    expect((await setup('--only', 'kafka')).stdout).toContain(`Kafka topic ${topics.raw}: unchanged.`);
  });

  it('adds partitions when more are configured and warns, changing nothing, when fewer are', async () => {
    writeConfig({ retention_hours: { raw: 2 }, partitions: 3 });
    const more = await setup('--only', 'kafka');
    expect(more.code).toBe(0);
    expect(more.stdout).toContain(`Kafka topic ${topics.dlq}: updated (partitions 2 → 3).`);
    expect((await topicState())[topics.dlq]?.partitions).toBe(3);

    writeConfig({ retention_hours: { raw: 2 }, partitions: 1 });
    const fewer = await setup('--only', 'kafka');
    expect(fewer.code).toBe(0);
    expect(fewer.stdout).toContain(`Kafka topic ${topics.dlq}: unchanged.`);
    expect(fewer.stderr).toContain(
      `Kafka topic ${topics.dlq}: it has 3 partitions, more than the configured 1; Kafka cannot remove partitions`,
    );
    expect((await topicState())[topics.dlq]?.partitions).toBe(3);
    writeConfig();
  });
});

describe('vigil setup with a service it cannot reach', () => {
  it('names Kafka, the address and the key to check, and exits 1', async () => {
    const file = join(dir, 'no-kafka.yaml');
    writeFileSync(file, JSON.stringify({ kafka: { brokers: ['127.0.0.1:9'], topics } }));
    const { code, stderr } = await runVigil(['setup', '-c', file, '--only', 'kafka']);
    expect(code).toBe(1);
    expect(stderr).toContain('Cannot reach Kafka at 127.0.0.1:9');
    expect(stderr).toContain('kafka.brokers');
    expect(stderr).toContain(file);
  });

  it('names OpenSearch, its URL and the key to check, and exits 1', async () => {
    const file = join(dir, 'no-opensearch.yaml');
    writeFileSync(file, JSON.stringify({ opensearch: { url: 'http://127.0.0.1:9', index_prefix: prefix } }));
    const { code, stderr } = await runVigil(['setup', '-c', file, '--only', 'opensearch']);
    expect(code).toBe(1);
    expect(stderr).toContain('Cannot reach OpenSearch at http://127.0.0.1:9');
    expect(stderr).toContain('opensearch.url');
  });
});
