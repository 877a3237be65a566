/**
 * `npm run bench`: runs Vigil's benchmarks and prints the results as a
 * Markdown report (or JSON with --json) on standard output; progress goes to
 * standard error. Benchmarks measure and record; they never fail on a number.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { describeMachine, type Machine, machineLine } from './machine.ts';
import {
  type PipelineSummary,
  type StandaloneThroughputResult,
  standaloneThroughput,
} from './standalone-throughput.ts';

/** The shared Apache sample, read in place next to the project. */
const APACHE_ACCESS_LOG = fileURLToPath(new URL('../../shared/data/apache/access.log', import.meta.url));

const USAGE = `Usage: node bench/run.ts [options]

Measures Vigil's standalone data path (file → collector → in-process queue →
processor → NDJSON) against a minimal baseline run in the same process.

Options:
  --lines <count>   Input lines per run (default 200000).
  --rounds <count>  Measured rounds, each one baseline run and one Vigil run (default 3).
  --warmup <count>  Lines of an unmeasured warm-up round; 0 for none (default 20000).
  --dir <folder>    Where inputs and outputs go; its disk is the one fsync hits (default: the OS temp folder).
  --input <file>    Source of the lines (default ../shared/data/apache/access.log).
  --keep            Keep the work folder (inputs) afterwards.
  --json            Print JSON instead of Markdown.
  -h, --help        Show this help.
`;

interface Report {
  command: string;
  machine: Machine;
  standaloneThroughput: StandaloneThroughputResult;
}

async function main(): Promise<number> {
  let options: Options;
  try {
    options = parseOptions();
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (options.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const workDir = await mkdtemp(join(options.dir ?? tmpdir(), 'vigil-bench-'));
  const progress = (message: string) => process.stderr.write(`${message}\n`);
  try {
    const machine = describeMachine(workDir);
    progress(`Machine: ${machineLine(machine)}.`);
    const result = await standaloneThroughput({
      source: options.input ?? APACHE_ACCESS_LOG,
      lines: options.lines,
      rounds: options.rounds,
      warmupLines: options.warmupLines,
      workDir,
      progress,
    });
    const report: Report = { command: commandLine(), machine, standaloneThroughput: result };
    process.stdout.write(options.json ? `${JSON.stringify(report, null, 2)}\n` : markdown(report));
  } finally {
    if (options.keep) progress(`Work folder kept: ${workDir}`);
    else await rm(workDir, { recursive: true, force: true });
  }
  return 0;
}

interface Options {
  lines: number;
  rounds: number;
  warmupLines: number;
  dir: string | undefined;
  input: string | undefined;
  keep: boolean;
  json: boolean;
  help: boolean;
}

function parseOptions(): Options {
  const { values } = parseArgs({
    options: {
      lines: { type: 'string', default: '200000' },
      rounds: { type: 'string', default: '3' },
      warmup: { type: 'string', default: '20000' },
      dir: { type: 'string' },
      input: { type: 'string' },
      keep: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  return {
    lines: positive(values.lines, '--lines'),
    rounds: positive(values.rounds, '--rounds'),
    warmupLines: positive(values.warmup, '--warmup', true),
    dir: values.dir,
    input: values.input,
    keep: values.keep,
    json: values.json,
    help: values.help,
  };
}

function positive(value: string, name: string, zeroAllowed = false): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < (zeroAllowed ? 0 : 1)) {
    throw new Error(`${name} must be a ${zeroAllowed ? 'non-negative' : 'positive'} whole number.`);
  }
  return n;
}

function commandLine(): string {
  const script = relative(process.cwd(), fileURLToPath(import.meta.url));
  return ['node', script, ...process.argv.slice(2)].join(' ');
}

const count = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const mib = (bytes: number) => String(Math.round(bytes / 2 ** 20));

function markdown(report: Report): string {
  const r = report.standaloneThroughput;
  const row = (label: string, s: PipelineSummary, ratio: number, cpuRatio: number) =>
    `| ${label} | ${count.format(s.medianLinesPerSecond)} | ` +
    `${count.format(s.minLinesPerSecond)}–${count.format(s.maxLinesPerSecond)} | ` +
    `${s.medianMegabytesPerSecond.toFixed(1)} | ${s.medianSeconds.toFixed(2)} | ${s.medianCpuSeconds.toFixed(2)} | ` +
    `${((s.medianCpuSeconds / r.lines) * 1e6).toFixed(1)} | ` +
    `${mib(s.peakRss)} (+${mib(s.medianRssGrowth)}) | ${mib(s.peakHeapUsed)} (+${mib(s.medianHeapGrowth)}) | ${mib(s.medianRetainedHeap)} | ` +
    `${ratio.toFixed(2)} | ${cpuRatio.toFixed(1)} |`;
  const rounds = r.runs
    .filter((run) => run.pipeline === 'baseline')
    .map((b, i) => {
      const v = r.runs.find((run) => run.pipeline === 'vigil' && run.round === b.round);
      return (
        `| ${b.round} | ${count.format(b.linesPerSecond)} | ${v ? count.format(v.linesPerSecond) : '–'} | ` +
        `${(r.roundRatios[i] ?? Number.NaN).toFixed(2)} |`
      );
    });
  return [
    '## Standalone throughput',
    '',
    `- Date: ${report.machine.date}`,
    `- Command: \`${report.command}\``,
    `- Machine: ${machineLine(report.machine)}`,
    `- Input: ${count.format(r.lines)} Apache access lines (${(r.inputBytes / 1e6).toFixed(1)} MB), ` +
      `${r.rounds} round${r.rounds === 1 ? '' : 's'} alternating baseline and Vigil` +
      (r.warmupLines > 0
        ? ` after an unmeasured warm-up round of ${count.format(r.warmupLines)} lines`
        : '') +
      '; medians over the rounds.',
    '',
    '| Pipeline | Lines/s | Range lines/s | Input MB/s | Wall s | CPU s | CPU µs/line | Peak RSS MiB (growth) | Peak heap MiB (growth) | Heap retained MiB | × baseline | CPU/line × baseline |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    row('baseline (read stream, split, stringify, append, 1 fsync)', r.baseline, 1, 1),
    row(
      'vigil run (FileSource → Shipper → MemoryQueue → Processor → NdjsonSink)',
      r.vigil,
      r.ratio,
      r.cpuRatio,
    ),
    '',
    '| Round | Baseline lines/s | Vigil lines/s | Vigil ÷ baseline |',
    '| ---: | ---: | ---: | ---: |',
    ...rounds,
    '',
  ].join('\n');
}

process.exitCode = await main().catch((error: unknown) => {
  process.stderr.write(`The benchmark failed: ${error instanceof Error ? error.message : String(error)}\n`);
  return 1;
});
