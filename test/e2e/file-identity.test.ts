/**
 * File identity against the real Kafka (issue 3, acceptance 5): inode reuse,
 * 50 files with an identical first line, empty files that grow later, and a
 * partial last line completed after a restart — every line delivered once.
 */
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runVigil, spawnVigil, type VigilProcess, waitFor } from '../helpers/cli.ts';
import { deleteTopics, TopicRecords } from '../helpers/kafka-topic.ts';
import { KAFKA_BROKERS, uniqueName } from '../helpers/services.ts';

const dir = mkdtempSync(join(tmpdir(), 'vigil-identity-'));
const prefix = uniqueName('e2e-identity');
const topic = `${prefix}.raw`;
const logs = join(dir, 'logs');
mkdirSync(logs);

afterAll(async () => {
  await deleteTopics(['raw', 'signals', 'alerts', 'dlq'].map((t) => `${prefix}.${t}`));
  rmSync(dir, { recursive: true, force: true });
});

async function stop(process: VigilProcess): Promise<number | null> {
  process.child.kill('SIGTERM');
  return process.exited;
}

describe('file identity', { timeout: 180_000 }, () => {
  it('delivers every line once across inode reuse, identical first lines, growing empty files and a restart mid-line', async () => {
    const configFile = join(dir, 'vigil.yaml');
    writeFileSync(
      configFile,
      `kafka:
  brokers: ${JSON.stringify(KAFKA_BROKERS)}
  partitions: 3
  topics: { raw: ${prefix}.raw, signals: ${prefix}.signals, alerts: ${prefix}.alerts, dlq: ${prefix}.dlq }
http: { enabled: false }
collector:
  id: identity
  data_dir: ${join(dir, 'state')}
  poll_interval_ms: 50
  files:
    - paths: [${JSON.stringify(join(logs, '*.log'))}]
      dataset: e2e.identity
      flush_partial_after_ms: 0
`,
    );
    expect((await runVigil(['setup', '-c', configFile, '--only', 'kafka'])).code).toBe(0);
    const follower = new TopicRecords(topic);
    await follower.start();
    const expected = new Set<string>();
    const add = (file: string, text: string) => {
      appendFileSync(join(logs, file), text);
      for (const line of text.split('\n').slice(0, -1)) expected.add(`${file}|${line}`);
    };

    let collector = spawnVigil(['collector', '-c', configFile]);
    await waitFor('the collector to start', () => collector.output().includes('Collector started.'), 30_000);

    // 50 files that begin with the same line.
    for (let i = 0; i < 50; i++)
      add(`same-${i}.log`, `2026-11-24T10:00:00Z service started\nfile ${i} second line\n`);
    // Empty files that grow later.
    for (let i = 0; i < 5; i++) writeFileSync(join(logs, `empty-${i}.log`), '');
    await new Promise((r) => setTimeout(r, 500));
    for (let i = 0; i < 5; i++) add(`empty-${i}.log`, `grown ${i} line a\n`);
    await new Promise((r) => setTimeout(r, 300));
    for (let i = 0; i < 5; i++)
      add(
        `empty-${i}.log`,
        `grown ${i} line b with more text to pass the fingerprint size ${'x'.repeat(1100)}\n`,
      );

    // Inode reuse: delete a file and create another, which the file system may give the same inode.
    add('reuse.log', 'old file line 1\nold file line 2\n');
    await waitFor(
      'the old file to be read',
      () => follower.records.some((r) => r.line === 'old file line 2'),
      30_000,
    );
    unlinkSync(join(logs, 'reuse.log'));
    await new Promise((r) => setTimeout(r, 300));
    add('reuse.log', 'new file line 1\n');

    // A partial last line completed after a restart.
    appendFileSync(join(logs, 'partial.log'), 'complete line\nhalf of a li');
    expected.add('partial.log|complete line');
    await waitFor(
      'the complete line',
      () => follower.records.some((r) => r.line === 'complete line'),
      30_000,
    );
    expect(await stop(collector), collector.output()).toBe(0);
    appendFileSync(join(logs, 'partial.log'), 'ne finished after the restart\n');
    expected.add('partial.log|half of a line finished after the restart');
    collector = spawnVigil(['collector', '-c', configFile]);

    const key = (r: { file?: { path: string }; line: string }) =>
      `${(r.file?.path ?? '').split('/').pop()}|${r.line}`;
    await waitFor(
      'every expected line',
      () => {
        const seen = new Set(follower.records.map(key));
        return [...expected].every((e) => seen.has(e));
      },
      60_000,
    );
    await new Promise((r) => setTimeout(r, 1500));
    expect(await stop(collector), collector.output()).toBe(0);
    await follower.stop();

    const counts = new Map<string, number>();
    for (const record of follower.records) counts.set(key(record), (counts.get(key(record)) ?? 0) + 1);
    const duplicated = [...counts].filter(([, n]) => n > 1).map(([k]) => k);
    const unexpected = [...counts.keys()].filter((k) => !expected.has(k));
    expect(duplicated).toEqual([]);
    expect(unexpected).toEqual([]);
    expect(counts.size).toBe(expected.size);
  });
});
