/**
 * The collector's resident memory and throughput under file → Kafka load
 * with different Node runtime flags, to choose the flags it
 * should run with.
 *
 * Each run is one `vigil file → Kafka` run of the `file-kafka` suite (a fresh
 * collector process, a fresh topic, the input hard-linked into its watched
 * folder, done when Kafka has acknowledged a record per line, then read back
 * and checked), with the variant's flags on its Node command line. Each
 * round runs every variant once, in an order rotated from round to round so
 * that drift on the shared machine does not always fall on the same variant.
 * Peak RSS is the process's VmHWM, start-up included.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import {
  CLI_NODE_FLAGS,
  type KafkaAdmin,
  type RepeatedRun,
  RSS_GOAL_BYTES,
  type VigilBuild,
  withRepeats,
} from './collector-kafka.ts';
import { deliveredExactlyOnce, deliverySummary, InputLines } from './delivery.ts';
import {
  type Compression,
  disturbance,
  type ProduceMeasurement,
  repeatsMarkdown,
  vigilFileRun,
} from './file-kafka-throughput.ts';
import { count, fixed, mib } from './format.ts';
import { readSourceLines, writeRepeatedLines } from './inputs.ts';
import { median } from './measure.ts';

/**
 * The flags tried by default: `--max-semi-space-size=2`, what the command line ran with before
 * the bundle (first: the ratios are against it), and the command line's own (bin/vigil.ts's shebang).
 */
export const DEFAULT_MEMORY_VARIANTS = ['--max-semi-space-size=2', CLI_NODE_FLAGS];
/** Which `vigil` each variant runs with by default: the sources, then the bundle. */
export const DEFAULT_MEMORY_BUILDS: VigilBuild[] = ['source', 'dist'];

export interface CollectorMemoryOptions {
  source: string;
  lines: number;
  rounds: number;
  /** Lines of one unmeasured run first (no flags); 0 for none. */
  warmupLines: number;
  /** Node flags to compare; '' for none. */
  variants: string[];
  /** The `vigil` builds to run each variant with (sources, bundle); the first variant of the first build is the reference. */
  builds: VigilBuild[];
  compression: Compression;
  workDir: string;
  brokers: string[];
  admin: KafkaAdmin;
  progress?: (message: string) => void;
}

export interface MemoryRun extends ProduceMeasurement {
  vigil: VigilBuild;
  variant: string;
  round: number;
  linesPerSecond: number;
  linesPerCpuSecond: number;
}

export interface VariantSummary {
  vigil: VigilBuild;
  variant: string;
  medianLinesPerSecond: number;
  minLinesPerSecond: number;
  maxLinesPerSecond: number;
  medianLinesPerCpuSecond: number;
  medianCpuSeconds: number;
  medianSeconds: number;
  medianPeakRss: number;
  minPeakRss: number;
  maxPeakRss: number;
  medianReadyRss: number;
  /** Median lines/s ÷ the first variant's (first build). */
  ratio: number;
  /** Median lines per CPU-second ÷ the first variant's. */
  cpuRatio: number;
}

export interface CollectorMemoryResult {
  lines: number;
  inputBytes: number;
  rounds: number;
  warmupLines: number;
  compression: Compression;
  runs: MemoryRun[];
  variants: VariantSummary[];
  /** Runs thrown away and taken again (the shared broker was restarted, say). */
  repeats: RepeatedRun[];
}

export async function collectorMemory(options: CollectorMemoryOptions): Promise<CollectorMemoryResult> {
  const say = options.progress ?? (() => {});
  const sourceLines = await readSourceLines(options.source);
  await mkdir(join(options.workDir, 'input'), { recursive: true });
  const input = join(options.workDir, 'input', 'collector-memory.log');
  const inputBytes = await writeRepeatedLines(sourceLines, options.lines, input);
  const inputLines = new InputLines(sourceLines, options.lines);
  const context = { admin: options.admin, brokers: options.brokers, compression: options.compression };
  say(`Collector memory input: ${options.lines} lines (${inputBytes} bytes), ${options.compression}.`);

  if (options.warmupLines > 0) {
    const warmup = join(options.workDir, 'input', 'collector-memory-warmup.log');
    await writeRepeatedLines(sourceLines, options.warmupLines, warmup);
    const warm = {
      ...context,
      input: warmup,
      inputLines: new InputLines(sourceLines, options.warmupLines),
      dir: join(options.workDir, 'memory-warmup'),
    };
    await withRepeats(options.admin, 'warm-up', () => vigilFileRun(warm), [], say);
    say(`Collector memory warm-up run of ${options.warmupLines} lines done (not counted).`);
  }

  const runs: MemoryRun[] = [];
  const repeats: RepeatedRun[] = [];
  const cases = options.builds.flatMap((vigil) => options.variants.map((variant) => ({ vigil, variant })));
  const n = cases.length;
  for (let round = 1; round <= options.rounds; round++) {
    for (let k = 0; k < n; k++) {
      const index = (k + round - 1) % n;
      const { vigil, variant } = cases[index] as { vigil: VigilBuild; variant: string };
      const m = await withRepeats(
        options.admin,
        `round ${round} ${vigil} flags "${variant}"`,
        () =>
          vigilFileRun({
            ...context,
            input,
            inputLines,
            dir: join(options.workDir, `memory-${index}-${round}`),
            nodeFlags: variant,
            vigil,
          }),
        repeats,
        say,
        (result) => disturbance(result, options.lines),
      );
      const run: MemoryRun = {
        ...m,
        vigil,
        variant,
        round,
        linesPerSecond: options.lines / m.seconds,
        linesPerCpuSecond: options.lines / m.cpuSeconds,
      };
      runs.push(run);
      say(
        `Collector memory round ${round}/${options.rounds}, ${vigil}, flags "${variant}": ` +
          `${Math.round(run.linesPerSecond)} lines/s, ${Math.round(run.linesPerCpuSecond)} lines/CPU-s, ` +
          `peak RSS ${mib(run.peakRss)} MiB` +
          (m.delivery ? `; read back: ${deliverySummary(m.delivery)}.` : '.'),
      );
    }
  }

  const summaries = cases.map(({ vigil, variant }) => {
    const mine = runs.filter((r) => r.vigil === vigil && r.variant === variant);
    const rates = mine.map((r) => r.linesPerSecond);
    const peaks = mine.map((r) => r.peakRss);
    return {
      vigil,
      variant,
      medianLinesPerSecond: median(rates),
      minLinesPerSecond: Math.min(...rates),
      maxLinesPerSecond: Math.max(...rates),
      medianLinesPerCpuSecond: median(mine.map((r) => r.linesPerCpuSecond)),
      medianCpuSeconds: median(mine.map((r) => r.cpuSeconds)),
      medianSeconds: median(mine.map((r) => r.seconds)),
      medianPeakRss: median(peaks),
      minPeakRss: Math.min(...peaks),
      maxPeakRss: Math.max(...peaks),
      medianReadyRss: median(mine.map((r) => r.readyRss ?? Number.NaN)),
      ratio: 1,
      cpuRatio: 1,
    };
  });
  const first = summaries[0];
  for (const s of summaries) {
    s.ratio = s.medianLinesPerSecond / (first?.medianLinesPerSecond ?? Number.NaN);
    s.cpuRatio = s.medianLinesPerCpuSecond / (first?.medianLinesPerCpuSecond ?? Number.NaN);
  }
  return {
    lines: options.lines,
    inputBytes,
    rounds: options.rounds,
    warmupLines: options.warmupLines,
    compression: options.compression,
    runs,
    variants: summaries,
    repeats,
  };
}

const flags = (variant: string) => (variant === '' ? '(none)' : `\`${variant}\``);
const build = (vigil: VigilBuild) => (vigil === 'dist' ? 'bundle' : 'sources');
const label = (run: { vigil: VigilBuild; variant: string }) => `${build(run.vigil)} | ${flags(run.variant)}`;

export function collectorMemoryMarkdown(r: CollectorMemoryResult): string[] {
  const goal = mib(RSS_GOAL_BYTES);
  const lines = [
    `- Input: ${count(r.lines)} Apache access lines (${fixed(r.inputBytes / 1e6, 1)} MB), file → Kafka with ` +
      `${r.compression}, a fresh collector process per run (\`node dist/vigil.mjs collector\`: the bundle, or ` +
      `\`node bin/vigil.ts collector\`: the sources) with the variant as its Node flags; ` +
      `${r.rounds} round${r.rounds === 1 ? '' : 's'}, each running every variant once (order rotated per round)` +
      (r.warmupLines > 0 ? `, after an unmeasured warm-up run of ${count(r.warmupLines)} lines` : '') +
      '; medians over the rounds.',
    '',
    `| Vigil | Node flags | Lines/s | Range lines/s | Wall s | CPU s | Lines per CPU-s | Lines/s × first | Per CPU-s × first | Peak RSS MiB (median, range) | Ready RSS MiB | Peak < ${goal} MiB |`,
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
  ];
  for (const s of r.variants) {
    lines.push(
      `| ${label(s)} | ${count(s.medianLinesPerSecond)} | ${count(s.minLinesPerSecond)}–${count(s.maxLinesPerSecond)} | ` +
        `${fixed(s.medianSeconds, 2)} | ${fixed(s.medianCpuSeconds, 2)} | ${count(s.medianLinesPerCpuSecond)} | ` +
        `${fixed(s.ratio, 2)} | ${fixed(s.cpuRatio, 2)} | ${mib(s.medianPeakRss)} (${mib(s.minPeakRss)}–${mib(s.maxPeakRss)}) | ` +
        `${mib(s.medianReadyRss)} | ${s.maxPeakRss < RSS_GOAL_BYTES ? 'yes, every run' : s.minPeakRss < RSS_GOAL_BYTES ? 'some runs' : 'no'} |`,
    );
  }
  lines.push(
    '',
    '| Round | Vigil | Node flags | Lines/s | Lines per CPU-s | Peak RSS MiB |',
    '| ---: | --- | --- | ---: | ---: | ---: |',
  );
  for (const run of r.runs) {
    lines.push(
      `| ${run.round} | ${label(run)} | ${count(run.linesPerSecond)} | ${count(run.linesPerCpuSecond)} | ${mib(run.peakRss)} |`,
    );
  }
  const off = r.runs.filter((run) => !run.delivery || !deliveredExactlyOnce(run.delivery));
  lines.push(
    '',
    off.length === 0
      ? '- Every topic, read back and decoded, held each input line exactly once.'
      : `- Runs whose topic did not hold each line exactly once: ${off
          .map(
            (run) =>
              `${build(run.vigil)} ${flags(run.variant)} round ${run.round}: ${run.delivery ? deliverySummary(run.delivery) : 'not read back'}`,
          )
          .join('; ')}.`,
    ...repeatsMarkdown(r.repeats),
  );
  return lines;
}
