/**
 * Throughput of Vigil's data path in standalone mode (`vigil run`), against
 * the cheapest equivalent work measured in the same process.
 *
 * Vigil: a complete file is tailed by the collector's FileSource, batched by
 * the Shipper, handed through the in-process MemoryQueue to the Processor
 * (event building, deterministic id, index name) and written by the
 * NdjsonSink — wired by `createRuntime` and `addStandalone` from a vigil.yaml,
 * exactly as `vigil run` does, with default settings. A run lasts from
 * starting the components until `vigil_processor_records_total` counts every
 * line; the sink fsyncs each batch before the processor counts it, so by then
 * the NDJSON output holds every line (checked afterwards).
 *
 * Baseline: read the same file with a read stream, split lines, JSON.stringify
 * a small object per line, append to a file, fsync once at the end.
 *
 * Baseline and Vigil runs alternate (baseline, vigil, baseline, ...) so that
 * noise from a shared machine falls on both; medians are reported.
 */
import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { addStandalone, createRuntime, loadConfig } from '../bin/runtime.ts';
import { silentLogger } from '../core/log.ts';
import { readSourceLines, writeRepeatedLines } from './inputs.ts';
import { type Measurement, measure, median } from './measure.ts';

/** Read size of the baseline; the same as the FileSource's chunk, so both read alike. */
const READ_CHUNK_BYTES = 256 * 1024;
/** How often the Vigil run checks whether every line is processed. */
const POLL_MS = 5;
/** A Vigil run that makes no progress for this long has failed. */
const STALL_MS = 30_000;

export interface StandaloneThroughputOptions {
  /** Apache access log whose lines are repeated to make the input. */
  source: string;
  /** Lines of input per run. */
  lines: number;
  /** Measured rounds; each runs the baseline once and Vigil once. */
  rounds: number;
  /** Lines of one unmeasured round run first to warm the JIT; 0 for none. */
  warmupLines: number;
  /** Folder for inputs, checkpoints and outputs (its disk is where fsync happens). */
  workDir: string;
  /** Called with a sentence after each step. */
  progress?: (message: string) => void;
}

export type Pipeline = 'baseline' | 'vigil';

export interface Run extends Measurement {
  pipeline: Pipeline;
  round: number;
  lines: number;
  bytes: number;
  linesPerSecond: number;
}

export interface PipelineSummary {
  pipeline: Pipeline;
  medianLinesPerSecond: number;
  minLinesPerSecond: number;
  maxLinesPerSecond: number;
  medianMegabytesPerSecond: number;
  medianSeconds: number;
  medianCpuSeconds: number;
  /** Largest peak over the rounds (bytes). */
  peakRss: number;
  /** Largest peak over the rounds (bytes). */
  peakHeapUsed: number;
  /** Median of peak minus start, per round (bytes). */
  medianRssGrowth: number;
  medianHeapGrowth: number;
  /** Median heap still in use at the end, after a full collection, over the start (bytes). */
  medianRetainedHeap: number;
}

export interface StandaloneThroughputResult {
  lines: number;
  inputBytes: number;
  rounds: number;
  warmupLines: number;
  runs: Run[];
  baseline: PipelineSummary;
  vigil: PipelineSummary;
  /** Vigil's median lines/s divided by the baseline's. */
  ratio: number;
  /** Vigil ÷ baseline lines/s of each round (the pair ran back to back). */
  roundRatios: number[];
  /** Vigil's median CPU seconds divided by the baseline's: CPU per line, as a multiple. */
  cpuRatio: number;
}

export async function standaloneThroughput(
  options: StandaloneThroughputOptions,
): Promise<StandaloneThroughputResult> {
  const say = options.progress ?? (() => {});
  const sourceLines = await readSourceLines(options.source);
  await mkdir(join(options.workDir, 'input'), { recursive: true });
  const input = join(options.workDir, 'input', 'access.log');
  const inputBytes = await writeRepeatedLines(sourceLines, options.lines, input);
  say(`Input: ${options.lines} lines (${inputBytes} bytes) from ${sourceLines.length} source lines.`);

  if (options.warmupLines > 0) {
    const warmupInput = join(options.workDir, 'input', 'warmup.log');
    await writeRepeatedLines(sourceLines, options.warmupLines, warmupInput);
    await runOnce('baseline', warmupInput, options.warmupLines, join(options.workDir, 'warmup-baseline'));
    await runOnce('vigil', warmupInput, options.warmupLines, join(options.workDir, 'warmup-vigil'));
    say(`Warm-up round of ${options.warmupLines} lines done (not counted).`);
  }

  const runs: Run[] = [];
  for (let round = 1; round <= options.rounds; round++) {
    for (const pipeline of ['baseline', 'vigil'] as const) {
      const m = await runOnce(pipeline, input, options.lines, join(options.workDir, `${pipeline}-${round}`));
      const run: Run = {
        pipeline,
        round,
        lines: options.lines,
        bytes: inputBytes,
        linesPerSecond: options.lines / m.seconds,
        ...m,
      };
      runs.push(run);
      say(
        `Round ${round}/${options.rounds}, ${pipeline}: ${Math.round(run.linesPerSecond)} lines/s ` +
          `in ${m.seconds.toFixed(2)} s.`,
      );
    }
  }

  const baseline = summarize('baseline', runs);
  const vigil = summarize('vigil', runs);
  const roundRatios: number[] = [];
  for (let round = 1; round <= options.rounds; round++) {
    const b = runs.find((r) => r.round === round && r.pipeline === 'baseline') as Run;
    const v = runs.find((r) => r.round === round && r.pipeline === 'vigil') as Run;
    roundRatios.push(v.linesPerSecond / b.linesPerSecond);
  }
  return {
    lines: options.lines,
    inputBytes,
    rounds: options.rounds,
    warmupLines: options.warmupLines,
    runs,
    baseline,
    vigil,
    ratio: vigil.medianLinesPerSecond / baseline.medianLinesPerSecond,
    roundRatios,
    cpuRatio: vigil.medianCpuSeconds / baseline.medianCpuSeconds,
  };
}

/** One measured run in a fresh folder, which is removed afterwards. */
async function runOnce(pipeline: Pipeline, input: string, lines: number, dir: string): Promise<Measurement> {
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  try {
    return pipeline === 'baseline' ? await baselineRun(input, lines, dir) : await vigilRun(input, lines, dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function baselineRun(input: string, lines: number, dir: string): Promise<Measurement> {
  const output = join(dir, 'out.ndjson');
  const m = await measure(async (finished) => {
    const out = await open(output, 'a');
    try {
      let carry = '';
      let n = 0;
      for await (const chunk of createReadStream(input, {
        encoding: 'utf8',
        highWaterMark: READ_CHUNK_BYTES,
      })) {
        const text = carry + (chunk as string);
        const encoded: string[] = [];
        let start = 0;
        for (let newline = text.indexOf('\n'); newline !== -1; newline = text.indexOf('\n', start)) {
          encoded.push(JSON.stringify({ n, message: text.slice(start, newline) }));
          n += 1;
          start = newline + 1;
        }
        carry = text.slice(start);
        if (encoded.length > 0) await out.write(`${encoded.join('\n')}\n`);
      }
      await out.sync();
    } finally {
      await out.close();
    }
    finished();
  });
  await expectLines(lines, [output]);
  return m;
}

async function vigilRun(input: string, lines: number, dir: string): Promise<Measurement> {
  const events = join(dir, 'events');
  const configFile = join(dir, 'vigil.yaml');
  // Only what `vigil run` needs to find the file and put its state here; everything else at its default.
  await writeFile(
    configFile,
    [
      'http:',
      '  enabled: false',
      'log:',
      '  level: silent',
      'collector:',
      '  id: bench',
      `  data_dir: ${JSON.stringify(join(dir, 'state'))}`,
      '  files:',
      `    - paths: [${JSON.stringify(input)}]`,
      '      dataset: apache.access',
      'processor:',
      `  output_dir: ${JSON.stringify(events)}`,
      '',
    ].join('\n'),
  );
  const runtime = createRuntime(loadConfig(configFile), { logger: silentLogger() });
  await addStandalone(runtime);
  const processed = runtime.metrics.counter('vigil_processor_records_total', 'Raw records processed.');
  const m = await measure(async (finished) => {
    try {
      await runtime.group.start();
      let last = 0;
      let lastProgress = performance.now();
      for (;;) {
        const value = (await processed.get()).values[0]?.value ?? 0;
        if (value >= lines) break;
        if (value > last) {
          last = value;
          lastProgress = performance.now();
        } else if (performance.now() - lastProgress > STALL_MS) {
          throw new Error(
            `Vigil processed ${value} of ${lines} lines and made no progress for ${STALL_MS} ms.`,
          );
        }
        await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      }
      finished();
    } finally {
      await runtime.group.stop();
    }
  });
  const files = (await readdir(events)).filter((f) => f.endsWith('.ndjson') && f !== 'dead-letters.ndjson');
  await expectLines(
    lines,
    files.map((f) => join(events, f)),
  );
  const dlq = await stat(join(events, 'dead-letters.ndjson')).catch(() => undefined);
  if (dlq && dlq.size > 0) throw new Error('Vigil dead-lettered records during the benchmark.');
  return m;
}

function summarize(pipeline: Pipeline, runs: readonly Run[]): PipelineSummary {
  const mine = runs.filter((r) => r.pipeline === pipeline);
  const rates = mine.map((r) => r.linesPerSecond);
  return {
    pipeline,
    medianLinesPerSecond: median(rates),
    minLinesPerSecond: Math.min(...rates),
    maxLinesPerSecond: Math.max(...rates),
    medianMegabytesPerSecond: median(mine.map((r) => r.bytes / r.seconds / 1e6)),
    medianSeconds: median(mine.map((r) => r.seconds)),
    medianCpuSeconds: median(mine.map((r) => r.cpuSeconds)),
    peakRss: Math.max(...mine.map((r) => r.peakRss)),
    peakHeapUsed: Math.max(...mine.map((r) => r.peakHeapUsed)),
    medianRssGrowth: median(mine.map((r) => r.peakRss - r.startRss)),
    medianHeapGrowth: median(mine.map((r) => r.peakHeapUsed - r.startHeapUsed)),
    medianRetainedHeap: median(mine.map((r) => r.retainedHeap)),
  };
}

async function expectLines(expected: number, files: readonly string[]): Promise<void> {
  let count = 0;
  for (const file of files) {
    for await (const chunk of createReadStream(file)) {
      const bytes = chunk as Buffer;
      for (let i = bytes.indexOf(0x0a); i !== -1; i = bytes.indexOf(0x0a, i + 1)) count += 1;
    }
  }
  if (count !== expected) throw new Error(`Expected ${expected} output lines, found ${count}.`);
}
