/**
 * File rotation while lines are written, through the CLI collector into the
 * real Kafka: rotation by rename every 1,000 lines, and copytruncate with the
 * rotated copies matched by the glob. Every line must arrive, and — without
 * faults — exactly once.
 */
import {
  appendFileSync,
  copyFileSync,
  existsSync,
  mkdtempSync,
  renameSync,
  rmSync,
  truncateSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { RawRecord } from '../../core/event/raw-record.ts';
import { runVigil, spawnVigil, waitFor } from '../helpers/cli.ts';
import { deleteTopics, TopicRecords } from '../helpers/kafka-topic.ts';
import { KAFKA_BROKERS, uniqueName } from '../helpers/services.ts';

const LINES = 100_000;
const EVERY = 1000;
const KEEP = 5;
const dirs: string[] = [];
const topics: string[] = [];

afterAll(async () => {
  await deleteTopics(topics);
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function setup(
  name: string,
  glob: string,
): { dir: string; configFile: string; topic: string; logFile: string } {
  const dir = mkdtempSync(join(tmpdir(), `vigil-${name}-`));
  dirs.push(dir);
  const prefix = uniqueName(`e2e-${name}`);
  topics.push(...['raw', 'signals', 'alerts', 'dlq'].map((t) => `${prefix}.${t}`));
  const logFile = join(dir, 'app.log');
  writeFileSync(logFile, '');
  const configFile = join(dir, 'vigil.yaml');
  writeFileSync(
    configFile,
    `kafka:
  brokers: ${JSON.stringify(KAFKA_BROKERS)}
  partitions: 3
  topics: { raw: ${prefix}.raw, signals: ${prefix}.signals, alerts: ${prefix}.alerts, dlq: ${prefix}.dlq }
http: { enabled: false }
collector:
  id: ${name}
  data_dir: ${join(dir, 'state')}
  poll_interval_ms: 50
  files:
    - paths: [${JSON.stringify(join(dir, glob))}]
      dataset: e2e.rotation
`,
  );
  return { dir, configFile, topic: `${prefix}.raw`, logFile };
}

function line(n: number): string {
  return `${new Date(1_795_000_000_000 + n * 10).toISOString()} line ${String(n).padStart(6, '0')} user=u${n % 97}`;
}

const LINE = /^\S+ line (\d{6}) user=u\d+$/;

function shift(logFile: string, keep: number): void {
  if (existsSync(`${logFile}.${keep}`)) unlinkSync(`${logFile}.${keep}`);
  for (let i = keep - 1; i >= 1; i--)
    if (existsSync(`${logFile}.${i}`)) renameSync(`${logFile}.${i}`, `${logFile}.${i + 1}`);
}

async function writeWithRotation(logFile: string, mode: 'rename' | 'copytruncate'): Promise<void> {
  for (let start = 0; start < LINES; start += EVERY) {
    // Written in a few appends, as a logging process would.
    for (let part = 0; part < EVERY; part += 250) {
      appendFileSync(logFile, Array.from({ length: 250 }, (_, k) => `${line(start + part + k)}\n`).join(''));
    }
    shift(logFile, KEEP);
    if (mode === 'rename') {
      renameSync(logFile, `${logFile}.1`);
      writeFileSync(logFile, '');
    } else {
      copyFileSync(logFile, `${logFile}.1`);
      truncateSync(logFile, 0);
    }
    await new Promise((r) => setTimeout(r, 40));
  }
}

function analyse(records: RawRecord[]): { missing: number; duplicates: number; fragments: number } {
  const seen = new Map<number, number>();
  let fragments = 0;
  for (const record of records) {
    const match = LINE.exec(record.line);
    if (!match) fragments += 1;
    else seen.set(Number(match[1]), (seen.get(Number(match[1])) ?? 0) + 1);
  }
  let missing = 0;
  for (let n = 0; n < LINES; n++) if (!seen.has(n)) missing += 1;
  return { missing, duplicates: [...seen.values()].reduce((s, c) => s + c - 1, 0), fragments };
}

async function settledCount(follower: TopicRecords): Promise<number> {
  let last = -1;
  let stableSince = Date.now();
  for (;;) {
    const count = follower.count;
    if (count !== last) {
      last = count;
      stableSince = Date.now();
    } else if (count >= LINES && Date.now() - stableSince > 3000) {
      return count;
    }
    await new Promise((r) => setTimeout(r, 300));
  }
}

describe('file rotation while writing', { timeout: 300_000 }, () => {
  it.each([
    ['rename', 'app.log'],
    ['copytruncate', 'app.log*'],
  ] as const)(
    'delivers 100,000 lines rotated by %s every 1,000 lines, each exactly once',
    async (mode, glob) => {
      const s = setup(`rotate-${mode}`, glob);
      expect((await runVigil(['setup', '-c', s.configFile, '--only', 'kafka'])).code).toBe(0);
      const follower = new TopicRecords(s.topic);
      await follower.start();
      const collector = spawnVigil(['collector', '-c', s.configFile]);
      await waitFor(
        'the collector to tail the file',
        () => collector.output().includes('Tailing a file'),
        30_000,
      );
      await writeWithRotation(s.logFile, mode);
      const count = await Promise.race([
        settledCount(follower),
        new Promise<number>((_, reject) =>
          setTimeout(() => reject(new Error('lines did not all arrive')), 200_000),
        ),
      ]);
      collector.child.kill('SIGTERM');
      expect(await collector.exited, collector.output()).toBe(0);
      await follower.stop();
      const result = analyse(follower.records);
      console.log(
        `Rotation by ${mode}: ${count} records, ${result.duplicates} duplicates, ${result.missing} missing, ${result.fragments} fragments.`,
      );
      expect(result.missing).toBe(0);
      expect(result.fragments).toBe(0);
      expect(result.duplicates).toBe(0);
    },
  );
});
