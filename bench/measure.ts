/**
 * What every benchmark records about one run: wall time, CPU time of the
 * process, and the peak resident set and V8 heap sampled while it ran.
 * Memory is process-wide, so a run is preceded by a full garbage collection
 * and its starting figures are kept next to the peaks; another full collection
 * when the measured part ends tells what the work still retains.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** How often memory is sampled during a run. */
const SAMPLE_INTERVAL_MS = 20;

export interface Measurement {
  /** Wall-clock seconds from start to end of the measured work. */
  seconds: number;
  /** User plus system CPU seconds the whole process spent meanwhile. */
  cpuSeconds: number;
  /** Resident set size before the run, after a full collection (bytes). */
  startRss: number;
  /** Highest resident set size seen during the run (bytes). */
  peakRss: number;
  /** V8 heap in use before the run, after a full collection (bytes). */
  startHeapUsed: number;
  /** Highest V8 heap in use seen during the run (bytes). */
  peakHeapUsed: number;
  /** V8 heap in use at the end of the run after a full collection, minus `startHeapUsed` (bytes). */
  retainedHeap: number;
}

/**
 * Runs `work` and measures it until it calls `finished` (or resolves), so
 * teardown done after the measured part — stopping components, checking the
 * output — is counted neither in time nor in CPU.
 */
export async function measure(work: (finished: () => void) => Promise<void>): Promise<Measurement> {
  collectGarbage();
  const before = process.memoryUsage();
  let peakRss = before.rss;
  let peakHeapUsed = before.heapUsed;
  const sample = () => {
    const now = process.memoryUsage();
    if (now.rss > peakRss) peakRss = now.rss;
    if (now.heapUsed > peakHeapUsed) peakHeapUsed = now.heapUsed;
  };
  const sampler = setInterval(sample, SAMPLE_INTERVAL_MS);
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  let end: { at: number; cpu: NodeJS.CpuUsage; retained: number } | undefined;
  const finished = () => {
    if (end) return;
    const at = performance.now();
    const cpu = process.cpuUsage(cpuBefore);
    clearInterval(sampler);
    sample();
    // What the work still holds while it is running, e.g. caches and buffers of live components.
    collectGarbage();
    end = { at, cpu, retained: process.memoryUsage().heapUsed - before.heapUsed };
  };
  try {
    await work(finished);
    finished();
  } finally {
    clearInterval(sampler);
  }
  const { at, cpu, retained } = end as { at: number; cpu: NodeJS.CpuUsage; retained: number };
  return {
    seconds: (at - started) / 1000,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    startRss: before.rss,
    peakRss,
    startHeapUsed: before.heapUsed,
    peakHeapUsed,
    retainedHeap: retained,
  };
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

let gc: (() => void) | undefined;

/** A full collection, so each run starts from the same heap; works without `--expose-gc`. */
function collectGarbage(): void {
  if (!gc) {
    setFlagsFromString('--expose-gc');
    gc = runInNewContext('gc') as () => void;
  }
  gc();
}
