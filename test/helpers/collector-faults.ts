/**
 * Shared fixtures of the collector fault tests: a collector configuration
 * tailing one file into fresh topics, numbered lines written in chunks, and
 * the analysis of what reached Kafka (missing, duplicated, fragments).
 */
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RawRecord } from '../../core/event/raw-record.ts';
import type { VigilProcess } from './cli.ts';
import { deleteTopics } from './kafka-topic.ts';
import { KAFKA_BROKERS, uniqueName } from './services.ts';

const dirs: string[] = [];
const topics: string[] = [];

/** Deletes the topics and folders made by `setup`; call it from `afterAll`. */
export async function cleanupFaultSetups(): Promise<void> {
  await deleteTopics(topics.splice(0));
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

export interface Setup {
  dir: string;
  configFile: string;
  topic: string;
  logFile: string;
}

export function setup(name: string, extra = ''): Setup {
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
  request_timeout_ms: 5000
  topics: { raw: ${prefix}.raw, signals: ${prefix}.signals, alerts: ${prefix}.alerts, dlq: ${prefix}.dlq }
http: { enabled: false }
collector:
  id: ${name}
  data_dir: ${join(dir, 'state')}
  poll_interval_ms: 50
  files:
    - paths: [${JSON.stringify(logFile)}]
      dataset: e2e.faults
${extra}`,
  );
  return { dir, configFile, topic: `${prefix}.raw`, logFile };
}

/** Highest acknowledged offset the collector has made durable, over all streams. */
export function checkpointedBytes(s: Setup): number {
  const file = join(s.dir, 'state', 'checkpoints.json');
  if (!existsSync(file)) return 0;
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as { streams: Record<string, { offset: number }> };
    return Math.max(0, ...Object.values(parsed.streams).map((c) => c.offset));
  } catch {
    return 0;
  }
}

export function line(n: number): string {
  return `line ${String(n).padStart(6, '0')} ${'x'.repeat(60 + (n % 40))}`;
}

export const LINE = /^line (\d{6}) x{60,99}$/;

/** Appends `total` numbered lines in chunks; a chunk may end mid-line, as real writers do. */
export async function write(
  file: string,
  from: number,
  total: number,
  chunkLines: number,
  pauseMs: number,
): Promise<void> {
  let carry = '';
  for (let i = from; i < from + total; i += chunkLines) {
    const text =
      carry +
      Array.from({ length: Math.min(chunkLines, from + total - i) }, (_, k) => `${line(i + k)}\n`).join('');
    // Hold back half of the last line so that the file often ends with a partial line.
    const cut = text.length - Math.floor(line(0).length / 2);
    const last = i + chunkLines >= from + total;
    appendFileSync(file, last ? text : text.slice(0, cut));
    carry = last ? '' : text.slice(cut);
    await new Promise((r) => setTimeout(r, pauseMs));
  }
}

export function analyse(
  records: RawRecord[],
  expected: number,
): { missing: number[]; duplicates: number; fragments: string[] } {
  const seen = new Map<number, number>();
  const fragments: string[] = [];
  for (const record of records) {
    const match = LINE.exec(record.line);
    if (!match) {
      fragments.push(record.line);
      continue;
    }
    const n = Number(match[1]);
    seen.set(n, (seen.get(n) ?? 0) + 1);
  }
  const missing: number[] = [];
  for (let n = 0; n < expected; n++) if (!seen.has(n)) missing.push(n);
  const duplicates = [...seen.values()].reduce((sum, c) => sum + c - 1, 0);
  return { missing, duplicates, fragments };
}

export async function stop(process: VigilProcess): Promise<number | null> {
  process.child.kill('SIGTERM');
  return process.exited;
}
