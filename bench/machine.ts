/**
 * The machine a benchmark ran on, recorded next to every result: absolute
 * figures mean little without it, and ratios still depend on the disk (fsync)
 * and on how busy the machine was.
 */
import { readFileSync, statfsSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, release, totalmem, type } from 'node:os';

export interface Machine {
  /** CPU model as /proc/cpuinfo names it. */
  cpu: string;
  /** CPUs this process may use. */
  cores: number;
  memoryBytes: number;
  node: string;
  v8: string;
  os: string;
  /** File system of the benchmark's work folder (where fsync happens). */
  filesystem: string;
  /** One-minute load average when the benchmark started. */
  load1: number;
  date: string;
}

/** statfs magic numbers of the file systems one meets on Linux. */
const FILESYSTEMS: Record<number, string> = {
  61267: 'ext4',
  1481003842: 'xfs',
  2435016766: 'btrfs',
  16914836: 'tmpfs',
  2035054128: 'overlayfs',
  801189825: 'zfs',
  26985: 'nfs',
};

export function describeMachine(workDir: string): Machine {
  const fsType = statfsSync(workDir).type;
  return {
    cpu: cpuModel(),
    cores: availableParallelism(),
    memoryBytes: totalmem(),
    node: process.version,
    v8: process.versions.v8,
    os: `${type()} ${release()}`,
    filesystem: FILESYSTEMS[fsType] ?? `type 0x${fsType.toString(16)}`,
    load1: loadavg()[0] ?? 0,
    date: new Date().toISOString(),
  };
}

/** One line describing the machine, for Markdown reports. */
export function machineLine(machine: Machine): string {
  const gib = (machine.memoryBytes / 2 ** 30).toFixed(1);
  return (
    `${machine.cpu}, ${machine.cores} cores, ${gib} GiB RAM, Node ${machine.node} (V8 ${machine.v8}), ` +
    `${machine.os}, work folder on ${machine.filesystem}, load average ${machine.load1.toFixed(2)} at start`
  );
}

function cpuModel(): string {
  try {
    const match = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (match?.[1]) return match[1].trim();
  } catch {
    // Not Linux: fall back to what Node reports.
  }
  return cpus()[0]?.model ?? 'unknown CPU';
}
