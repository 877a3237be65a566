/**
 * `node bench/processor.ts`: the processor stage without the network, on the
 * 10,000 real Apache lines (../shared/data/apache/access.log), repeated:
 * Kafka message values (schema-2 bundles of raw records, as the collector
 * produces them) → decode → route → pipeline (grok, date, mutate) → ECS event
 * → the bulk request body (NDJSON action and document lines).
 *
 * Measured per core: CPU time of this single-threaded process
 * (process.cpuUsage), events per CPU-second. In the same rounds, interleaved,
 * a baseline does the same minus the pipeline (decode → base event → bulk
 * body), so the pipeline's cost is a ratio on one machine. The pipeline is
 * the built-in Apache access pipeline when it routes the lines, or an inline
 * one (grok combined → date → mutate).
 *
 * Prints Markdown (or JSON with --json); progress goes to standard error.
 * Benchmarks measure and record; they never fail on a number.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { indexFor } from '../core/event/index-name.ts';
import { decodeMessage, encodeBundle, eventId, type RawRecord } from '../core/event/raw-record.ts';
import { silentLogger } from '../core/log.ts';
import { Metrics } from '../core/telemetry/metrics.ts';
import { buildEvent } from '../processor/event-builder.ts';
import { loadPipelines } from '../processor/pipeline/loader.ts';
import type { PipelineSet } from '../processor/pipeline/pipeline-set.ts';
import { describeMachine, machineLine } from './machine.ts';
import { median } from './measure.ts';

const DEFAULT_INPUT = fileURLToPath(new URL('../../shared/data/apache/access.log', import.meta.url));
const DATASET = 'apache.access';

const USAGE = `Usage: node bench/processor.ts [options]

Options:
  --events <count>  Events per case and round: the sample lines, repeated (default 200000).
  --rounds <count>  Measured rounds (default 5).
  --input <file>    Source of the Apache lines (default ../shared/data/apache/access.log).
  --json            Print JSON instead of Markdown.
  -h, --help        Show this help.
`;

interface Result {
  name: string;
  eventsPerCpuSecond: number;
  min: number;
  max: number;
  parsed: number;
  events: number;
}

function progress(message: string): void {
  process.stderr.write(`${message}\n`);
}

/** Bundles of 200 records per Kafka message, as the collector ships a file's lines. */
function messages(lines: readonly string[]): string[] {
  const out: string[] = [];
  const now = new Date().toISOString();
  for (let i = 0; i < lines.length; i += 200) {
    const bundle: RawRecord[] = [];
    for (let k = i; k < Math.min(lines.length, i + 200); k++) {
      bundle.push({
        collector: { id: 'bench', version: 'bench' },
        host: { name: 'web-01' },
        stream: { id: 'file:bench', kind: 'file' },
        offset: k * 200,
        line: lines[k] as string,
        dataset: DATASET,
        observed_at: now,
        file: { path: '/var/log/apache2/access.log' },
      } as RawRecord);
    }
    out.push(encodeBundle(bundle));
  }
  return out;
}

function stage(
  values: readonly string[],
  pipelines: PipelineSet | undefined,
): { events: number; parsed: number } {
  let events = 0;
  let parsed = 0;
  let bodyBytes = 0;
  const ingested = new Date().toISOString();
  for (const value of values) {
    const decoded = decodeMessage(value);
    if ('invalid' in decoded) throw new Error(decoded.invalid);
    const lines: string[] = [];
    for (const record of decoded) {
      const event = buildEvent(record, { keepOriginal: true });
      if (pipelines !== undefined && pipelines.process(record, event) === 'dropped') continue;
      if (event.http !== undefined) parsed++;
      event.event.ingested = ingested;
      lines.push(
        JSON.stringify({
          create: { _index: indexFor('vigil', record.dataset, event['@timestamp']), _id: eventId(record) },
        }),
        JSON.stringify(event),
      );
      events++;
    }
    bodyBytes += lines.join('\n').length;
  }
  if (bodyBytes === 0) throw new Error('no output');
  return { events, parsed };
}

function inlinePipelines(metrics: Metrics): PipelineSet | undefined {
  const set = loadPipelines({ builtin: true, metrics, logger: silentLogger() });
  const probe = {
    dataset: DATASET,
    file: { path: '/var/log/apache2/access.log' },
  } as RawRecord;
  return set.select(probe) ? set : undefined;
}

function main(): number {
  let values: { events?: string; rounds?: string; input?: string; json?: boolean; help?: boolean };
  try {
    ({ values } = parseArgs({
      options: {
        events: { type: 'string' },
        rounds: { type: 'string' },
        input: { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const count = Number(values.events ?? 200_000);
  const rounds = Number(values.rounds ?? 5);
  if (!Number.isInteger(count) || count <= 0 || !Number.isInteger(rounds) || rounds <= 0) {
    process.stderr.write(`--events and --rounds take positive whole numbers.\n\n${USAGE}`);
    return 2;
  }
  const machine = describeMachine(process.cwd());
  progress(`Machine: ${machineLine(machine)}.`);
  const sample = readFileSync(values.input ?? DEFAULT_INPUT, 'utf8')
    .split('\n')
    .filter((line) => line !== '');
  const lines = Array.from({ length: count }, (_, i) => sample[i % sample.length] as string);
  const input = messages(lines);
  const pipelines = inlinePipelines(new Metrics({ defaultMetrics: false }));
  if (pipelines === undefined) {
    process.stderr.write(`No built-in pipeline routes dataset ${DATASET}.\n`);
    return 1;
  }
  const pipelineId = pipelines.select({ dataset: DATASET, file: { path: '' } } as RawRecord)?.id;
  const cases = [
    { name: 'baseline: decode → base ECS event → bulk body', pipelines: undefined },
    { name: `processor stage: decode → route → pipeline ${pipelineId} → bulk body`, pipelines },
  ];
  const samples = new Map<string, number[]>(cases.map((c) => [c.name, []]));
  const counts = new Map<string, { events: number; parsed: number }>();
  for (let round = 0; round <= rounds; round++) {
    const order = round % 2 === 0 ? cases : [...cases].reverse();
    for (const c of order) {
      const before = process.cpuUsage();
      const result = stage(input, c.pipelines);
      const used = process.cpuUsage(before);
      const cpuSeconds = (used.user + used.system) / 1e6;
      if (round === 0) continue; // warm-up
      samples.get(c.name)?.push(result.events / cpuSeconds);
      counts.set(c.name, result);
    }
    if (round > 0) progress(`Round ${round} of ${rounds} done.`);
  }
  const results: Result[] = cases.map((c) => {
    const s = samples.get(c.name) as number[];
    const n = counts.get(c.name) as { events: number; parsed: number };
    return {
      name: c.name,
      eventsPerCpuSecond: median(s),
      min: Math.min(...s),
      max: Math.max(...s),
      events: n.events,
      parsed: n.parsed,
    };
  });
  const [baseline, full] = results as [Result, Result];
  if (values.json) {
    process.stdout.write(`${JSON.stringify({ machine, events: count, rounds, results }, null, 2)}\n`);
    return 0;
  }
  const lines_: string[] = [
    `Machine: ${machineLine(machine)}; ${count} events per case and round, ${rounds} rounds (median, range).`,
    '',
    '| Case | Events per CPU-second | Range | Parsed (http.* set) | × baseline |',
    '| --- | ---: | ---: | ---: | ---: |',
  ];
  for (const r of results) {
    lines_.push(
      `| ${r.name} | ${Math.round(r.eventsPerCpuSecond).toLocaleString('en-US')} | ${Math.round(r.min).toLocaleString('en-US')}–${Math.round(r.max).toLocaleString('en-US')} | ${r.parsed} of ${r.events} | ${(r.eventsPerCpuSecond / baseline.eventsPerCpuSecond).toFixed(2)} |`,
    );
  }
  lines_.push(
    '',
    `Goal: at least 150,000 events per CPU-second: ${full.eventsPerCpuSecond >= 150_000 ? 'met' : 'not met'}.`,
  );
  process.stdout.write(`${lines_.join('\n')}\n`);
  return 0;
}

process.exitCode = main();
