/**
 * The correlator through the real Kafka, run through the CLI as a user runs
 * it: signals produced into a fresh signals topic, the correlator killed
 * with SIGKILL in the middle of a window and restarted. Its state is rebuilt
 * from the signals topic, and the alert fires exactly once: the alerts topic
 * holds one record, with the expected id — also after another SIGKILL and
 * restart once the alert is out.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CompressionTypes } from 'kafkajs';
import { afterAll, describe, expect, it } from 'vitest';
import { correlationAlertId } from '../../rules/correlation/alert.ts';
import type { Signal } from '../../rules/correlation/signal.ts';
import { spawnVigil, type VigilProcess, waitFor } from '../helpers/cli.ts';
import { deleteTopics, testKafka } from '../helpers/kafka-topic.ts';
import { KAFKA_BROKERS, uniqueName } from '../helpers/services.ts';

const RULES = `
title: Failed login
name: failed_login
logsource: { product: linux, service: sshd }
detection:
  selection: { event.outcome: failure }
  condition: selection
---
title: Five failed logins in a minute
id: 0b7f3d5e-2a4c-4e8f-9b1d-5c6e7f8a9b01
correlation:
  type: event_count
  rules: [failed_login]
  group-by: [user.name]
  timespan: 1m
  condition: { gte: 5 }
level: high
`;

const processes: VigilProcess[] = [];
const cleanups: Array<() => Promise<void>> = [];

afterAll(async () => {
  for (const p of processes) {
    if (p.child.exitCode === null && p.child.signalCode === null) {
      p.child.kill('SIGTERM');
      await p.exited;
    }
  }
  for (const cleanup of cleanups) await cleanup();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function alertsOf(
  topic: string,
): Promise<Array<{ id: string; count?: number; event_ids: string[]; group: Record<string, string> }>> {
  const admin = testKafka().admin();
  await admin.connect();
  const offsets = await admin.fetchTopicOffsets(topic);
  await admin.disconnect();
  const expected = offsets.reduce((sum, p) => sum + Number(p.high) - Number(p.low), 0);
  if (expected === 0) return [];
  const consumer = testKafka().consumer({ groupId: uniqueName('alerts-reader') });
  const values: Array<{ id: string; count?: number; event_ids: string[]; group: Record<string, string> }> =
    [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await new Promise<void>((resolve, reject) => {
    consumer
      .run({
        eachMessage: async ({ message }) => {
          values.push(JSON.parse(message.value?.toString() ?? '{}'));
          if (values.length >= expected) resolve();
        },
      })
      .catch(reject);
  });
  await consumer.disconnect();
  return values;
}

describe('the correlator under SIGKILL', { timeout: 300_000 }, () => {
  it('rebuilds its state from vigil.signals after a SIGKILL in the middle of a window and alerts exactly once', async () => {
    const prefix = uniqueName('e2e-correlator');
    const topics = { signals: `${prefix}.signals`, alerts: `${prefix}.alerts` };
    const dir = mkdtempSync(join(tmpdir(), 'vigil-correlator-'));
    cleanups.push(async () => {
      await deleteTopics([topics.signals, topics.alerts]);
      rmSync(dir, { recursive: true, force: true });
    });
    const kafka = testKafka();
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      topics: [
        { topic: topics.signals, numPartitions: 2, replicationFactor: 1 },
        { topic: topics.alerts, numPartitions: 1, replicationFactor: 1 },
      ],
      waitForLeaders: true,
    });
    writeFileSync(join(dir, 'rules.yml'), RULES);
    const configFile = join(dir, 'vigil.yaml');
    const groupId = `${prefix}-correlators`;
    writeFileSync(
      configFile,
      `kafka:
  brokers: ${JSON.stringify(KAFKA_BROKERS)}
  topics: { raw: ${prefix}.raw, signals: ${topics.signals}, alerts: ${topics.alerts}, dlq: ${prefix}.dlq }
http: { enabled: false }
log: { level: info }
rules: { paths: [${JSON.stringify(join(dir, 'rules.yml'))}] }
correlator: { group_id: ${groupId}, session_timeout_ms: 6000, allowed_lateness_ms: 5000 }
`,
    );
    const producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    const rule = '0b7f3d5e-2a4c-4e8f-9b1d-5c6e7f8a9b01';
    const t0 = Date.now();
    const signalOf = (n: number, user: string): Signal => ({
      correlation: rule,
      rule: 'failed_login',
      time: new Date(t0 + n * 1000).toISOString(),
      event_id: `${user}-event-${n}`,
      group: { 'user.name': user },
    });
    const send = async (signals: Signal[]) => {
      await producer.send({
        topic: topics.signals,
        acks: -1,
        compression: CompressionTypes.GZIP,
        messages: signals.map((s) => ({
          key: `${s.correlation}|${s.group['user.name']}`,
          value: JSON.stringify(s),
        })),
      });
    };
    const committed = async () => {
      const [offsets] = await admin.fetchOffsets({ groupId, topics: [topics.signals] });
      return (offsets?.partitions ?? []).reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0);
    };
    const start = async () => {
      const p = spawnVigil(['correlator', '-c', configFile]);
      processes.push(p);
      await waitFor(
        'the correlator to join its group',
        () => {
          if (p.child.exitCode !== null)
            throw new Error(`The correlator exited with ${p.child.exitCode}:\n${p.output()}`);
          return p.output().includes('Rebuilding correlation state');
        },
        90_000,
      );
      return p;
    };
    const kill = async (p: VigilProcess) => {
      p.child.kill('SIGKILL');
      await p.exited;
    };

    let correlator = await start();
    // Three of five for root, two for bob (who never reaches five).
    await send([
      signalOf(0, 'root'),
      signalOf(1, 'bob'),
      signalOf(1, 'root'),
      signalOf(2, 'root'),
      signalOf(3, 'bob'),
    ]);
    await waitFor(
      'the correlator to commit the first signals',
      async () => (await committed()) === 5,
      60_000,
    );
    // In the middle of root's window: the state exists only in the correlator's memory.
    await kill(correlator);
    expect(await alertsOf(topics.alerts)).toEqual([]);

    correlator = await start();
    await send([signalOf(3, 'root'), signalOf(4, 'root')]);
    await waitFor('the alert', async () => (await alertsOf(topics.alerts)).length > 0, 60_000);
    await sleep(3000);
    const alerts = await alertsOf(topics.alerts);
    expect(alerts.map((a) => a.id)).toEqual([correlationAlertId(rule, ['root'], 'root-event-4')]);
    expect(alerts[0]).toMatchObject({
      kind: 'correlation',
      count: 5,
      group: { 'user.name': 'root' },
      event_ids: [0, 1, 2, 3, 4].map((n) => `root-event-${n}`),
      rule: { id: rule, title: 'Five failed logins in a minute', level: 'high', type: 'event_count' },
    });
    await waitFor('the correlator to commit every signal', async () => (await committed()) === 7, 60_000);

    // Killed again once the alert is out: the rebuild completes the window again but does not alert twice.
    await kill(correlator);
    correlator = await start();
    await waitFor(
      'the rebuild to re-read the signals',
      () => /"from":"0"[^\n]*Rebuilding correlation state/.test(correlator.output()),
      30_000,
    );
    await send([signalOf(5, 'bob')]);
    await waitFor('the correlator to commit the new signal', async () => (await committed()) === 8, 60_000);
    await sleep(2000);
    expect((await alertsOf(topics.alerts)).map((a) => a.id)).toEqual([
      correlationAlertId(rule, ['root'], 'root-event-4'),
    ]);

    correlator.child.kill('SIGTERM');
    expect(await correlator.exited).toBe(0);
    await producer.disconnect();
    await admin.disconnect();
  });
});
