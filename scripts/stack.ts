#!/usr/bin/env node
// The Vigil development stack: one command that installs what is missing and starts, stops and reports real
// Kafka, OpenSearch and Redis services bound to 127.0.0.1 for development and tests.
//
//   node scripts/stack.ts up [--kafka-brokers 1|3] [--only kafka,opensearch,redis] [--quiet]
//   node scripts/stack.ts down [--purge] [--only ...]
//   node scripts/stack.ts status [--only ...]
//
// It uses node built-ins only, so it works before `npm install`. Linux only: it reads /proc to check pids.
// CONTRIBUTING.md ("The development stack") explains the versions, folders and logs.

import { spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';

const KAFKA_VERSION = '4.4.0';
const KAFKA_ARTIFACT = 'kafka_2.13';
const LOG4J_VERSION = '2.24.3';
const SLF4J_VERSION = '2.0.17';
/** OpenSearch 3.x needs Java 21 or newer. */
const OPENSEARCH_VERSION = '3.6.0';
const OPENSEARCH_MIN_JAVA = 21;
/** The newest 2.19.x on Maven Central, used when only Java 17 to 20 is available. */
const OPENSEARCH_FALLBACK_VERSION = '2.19.6';
const MIN_JAVA = 17;
const MAVEN_CENTRAL = 'https://repo1.maven.org/maven2';
const HOST = '127.0.0.1';
/** OpenSearch refuses to run as root; as root, the stack runs it as this system user. */
const SERVICE_USER = 'vigil';
const JVM_DIR = '/usr/lib/jvm';

const SERVICES = ['kafka', 'opensearch', 'redis'] as const;
type Service = (typeof SERVICES)[number];
type Brokers = 1 | 3;

const SERVICE_LABEL: Record<Service, string> = { kafka: 'Kafka', opensearch: 'OpenSearch', redis: 'Redis' };
const DEFAULT_PORT: Record<Service, number> = { kafka: 9092, opensearch: 9200, redis: 6379 };
const PORT_ENV: Record<Service, string> = {
  kafka: 'VIGIL_KAFKA_PORT',
  opensearch: 'VIGIL_OPENSEARCH_PORT',
  redis: 'VIGIL_REDIS_PORT',
};
const START_TIMEOUT_S: Record<Service, number> = { kafka: 120, opensearch: 240, redis: 30 };
const STOP_TIMEOUT_S = 30;
const PLUGIN_PROBE_TTL_MS = 7 * 24 * 3600 * 1000;

const HELP = `Usage: node scripts/stack.ts <command> [options]

Installs what is missing, then starts, stops or reports the services Vigil needs for development and
tests: Kafka, OpenSearch and Redis, all bound to 127.0.0.1. Kafka jars and OpenSearch come from Maven
Central, Redis and missing tools from Debian packages (installed with apt-get when run as root).

Commands:
  up       Start the services that are not running and wait until each one answers.
  down     Stop the services (SIGTERM, then SIGKILL after ${STOP_TIMEOUT_S} s); their data is kept.
  status   Show what runs where; exit 0 if every service answers, 1 otherwise.

Options:
  --kafka-brokers 1|3   up: run one Kafka node (default), or a three-node cluster on the client ports
                        base, base+2 and base+4 (9092, 9094, 9096 by default).
  --only LIST           Act on some services only, for example --only kafka,redis.
  --purge               down: also delete the data, logs and generated configuration.
  --quiet               Print only warnings, errors and the final table.
  -h, --help            Show this help.

Environment:
  VIGIL_KAFKA_PORT            Kafka client port (default 9092); the controller port is the next one.
  VIGIL_OPENSEARCH_PORT       OpenSearch HTTP port (default 9200); the transport port is 100 higher.
  VIGIL_REDIS_PORT            Redis port (default 6379).
  VIGIL_OPENSEARCH_HEAP       OpenSearch heap size, for example 1g (default 512m).
  VIGIL_OPENSEARCH_SETTINGS   Extra OpenSearch node settings, space-separated key=value pairs, for example
                              "thread_pool.write.queue_size=1" (tests use it to make a node reject writes).
  VIGIL_OPENSEARCH_JAVA_HOME  JDK for OpenSearch (default: the newest JDK found); Java 21 or newer runs
                              OpenSearch ${OPENSEARCH_VERSION}, Java 17 to 20 runs ${OPENSEARCH_FALLBACK_VERSION}.
  VIGIL_STACK_DIR             State folder: logs, data, pid files, generated configuration
                              (default ~/.local/state/vigil/stack).
  VIGIL_CACHE_DIR             Download cache (default ~/.cache/vigil).

Exit codes: 0 success, 1 a service failed or does not answer, 2 usage error.
`;

class UsageError extends Error {}

/** VIGIL_OPENSEARCH_SETTINGS: space-separated key=value pairs. */
function parseSettings(value: string): string[] {
  const settings = value.split(/\s+/).filter(Boolean);
  for (const setting of settings) {
    if (!/^[a-z0-9_.]+=\S+$/.test(setting)) {
      throw new UsageError(
        `VIGIL_OPENSEARCH_SETTINGS holds "${setting}"; expected key=value pairs separated by spaces.`,
      );
    }
  }
  return settings;
}
class StackError extends Error {}

// ---------------------------------------------------------------------------------------------------------
// Options and environment

type Command = 'up' | 'down' | 'status' | 'help';

interface Options {
  command: Command;
  kafkaBrokers: Brokers | undefined;
  only: Service[] | undefined;
  quiet: boolean;
  purge: boolean;
}

function parseArgs(argv: string[]): Options {
  let command: string | undefined;
  let help = false;
  let kafkaBrokers: Brokers | undefined;
  let only: Service[] | undefined;
  let quiet = false;
  let purge = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const flag = eq > 0 ? arg.slice(0, eq) : arg;
    const inline = eq > 0 ? arg.slice(eq + 1) : undefined;
    const value = (): string => {
      if (inline !== undefined) return inline;
      const next = argv[i + 1];
      if (next === undefined || next.startsWith('-'))
        throw new UsageError(`The option ${flag} needs a value.`);
      i++;
      return next;
    };
    switch (flag) {
      case '-h':
      case '--help':
        help = true;
        break;
      case '-q':
      case '--quiet':
        quiet = true;
        break;
      case '--purge':
        purge = true;
        break;
      case '--kafka-brokers': {
        const v = value();
        if (v !== '1' && v !== '3')
          throw new UsageError(`The option --kafka-brokers takes 1 or 3, not "${v}".`);
        kafkaBrokers = v === '1' ? 1 : 3;
        break;
      }
      case '--only': {
        const names = value()
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean);
        const bad = names.filter((n) => !(SERVICES as readonly string[]).includes(n));
        if (bad.length > 0 || names.length === 0) {
          throw new UsageError(`The option --only takes a comma-separated list of ${SERVICES.join(', ')}.`);
        }
        only = SERVICES.filter((s) => names.includes(s));
        break;
      }
      default:
        if (flag.startsWith('-')) throw new UsageError(`The option ${flag} is unknown.`);
        if (command !== undefined) throw new UsageError(`The argument "${arg}" is unexpected.`);
        command = arg;
    }
  }
  if (help) return { command: 'help', kafkaBrokers, only, quiet, purge };
  if (command === undefined) throw new UsageError('No command was given; use up, down or status.');
  if (command !== 'up' && command !== 'down' && command !== 'status') {
    throw new UsageError(`The command "${command}" is unknown; use up, down or status.`);
  }
  if (kafkaBrokers !== undefined && command !== 'up') {
    throw new UsageError('The option --kafka-brokers only applies to up.');
  }
  if (purge && command !== 'down') throw new UsageError('The option --purge only applies to down.');
  return { command, kafkaBrokers, only, quiet, purge };
}

interface Env {
  stateDir: string;
  cacheDir: string;
  ports: Record<Service, number>;
  opensearchHeap: string;
  opensearchJavaHome: string | undefined;
  opensearchSettings: string[];
}

function readEnv(): Env {
  const e = process.env;
  const home = os.homedir();
  const ports = { ...DEFAULT_PORT };
  for (const s of SERVICES) {
    const raw = e[PORT_ENV[s]];
    if (raw === undefined || raw === '') continue;
    const n = Number(raw);
    if (!/^\d+$/.test(raw) || n < 1 || n > 65535) {
      throw new UsageError(`${PORT_ENV[s]} must be a port number between 1 and 65535, not "${raw}".`);
    }
    ports[s] = n;
  }
  if (ports.kafka + 5 > 65535) throw new UsageError('VIGIL_KAFKA_PORT must leave room for 5 more ports.');
  if (ports.opensearch + 100 > 65535) {
    throw new UsageError('VIGIL_OPENSEARCH_PORT must be at most 65435 (the transport port is 100 higher).');
  }
  const heap = e.VIGIL_OPENSEARCH_HEAP || '512m';
  if (!/^\d+[mMgG]$/.test(heap)) {
    throw new UsageError(`VIGIL_OPENSEARCH_HEAP must look like 512m or 1g, not "${heap}".`);
  }
  return {
    stateDir: path.resolve(e.VIGIL_STACK_DIR || path.join(home, '.local', 'state', 'vigil', 'stack')),
    cacheDir: path.resolve(e.VIGIL_CACHE_DIR || path.join(home, '.cache', 'vigil')),
    ports,
    opensearchHeap: heap,
    opensearchJavaHome: e.VIGIL_OPENSEARCH_JAVA_HOME || undefined,
    opensearchSettings: parseSettings(e.VIGIL_OPENSEARCH_SETTINGS ?? ''),
  };
}

// ---------------------------------------------------------------------------------------------------------
// Output

interface Ctx {
  env: Env;
  quiet: boolean;
  notes: string[];
}

function say(ctx: Ctx, message: string): void {
  if (!ctx.quiet) console.log(message);
}

function warn(message: string): void {
  console.error(message);
}

function brokerCount(n: number): string {
  return n === 1 ? 'one broker' : `${n} brokers`;
}

function seconds(since: number): string {
  return `${((Date.now() - since) / 1000).toFixed(1)} s`;
}

// ---------------------------------------------------------------------------------------------------------
// State: what `up` last started, so that status and down know the ports and the Kafka broker count.

interface StackState {
  kafka?: { brokers: Brokers; port: number };
  opensearch?: { port: number };
  redis?: { port: number };
}

function stateFile(env: Env): string {
  return path.join(env.stateDir, 'stack.json');
}

function readState(env: Env): StackState {
  const raw = readJson(stateFile(env));
  return raw && typeof raw === 'object' ? (raw as StackState) : {};
}

function writeState(env: Env, state: StackState): void {
  if (Object.keys(state).length === 0) {
    fs.rmSync(stateFile(env), { force: true });
    return;
  }
  writeFileAtomic(stateFile(env), `${JSON.stringify(state, null, 2)}\n`);
}

function readJson(file: string): unknown {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

function writeFileAtomic(file: string, content: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, content);
  fs.renameSync(tmp, file);
}

function exists(p: string): boolean {
  return fs.existsSync(p);
}

/** Only one up or down at a time works on a state folder. */
function acquireLock(env: Env): void {
  fs.mkdirSync(env.stateDir, { recursive: true });
  const lock = path.join(env.stateDir, 'stack.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(lock, String(process.pid), { flag: 'wx' });
      const release = (): void => {
        try {
          if (fs.readFileSync(lock, 'utf8') === String(process.pid)) fs.rmSync(lock, { force: true });
        } catch {
          // Already gone.
        }
      };
      process.on('exit', release);
      for (const signal of ['SIGINT', 'SIGTERM'] as const) {
        process.on(signal, () => {
          warn(`Interrupted; services that were already started keep running (see "status").`);
          process.exit(130);
        });
      }
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = Number(fs.readFileSync(lock, 'utf8'));
      if (owner && owner !== process.pid && processAlive(owner)) {
        throw new StackError(
          `Another stack command (pid ${owner}) is working on ${env.stateDir}; wait for it to finish and try again.`,
        );
      }
      fs.rmSync(lock, { force: true });
    }
  }
  throw new StackError(`Could not take the lock file ${lock}.`);
}

// ---------------------------------------------------------------------------------------------------------
// Units: one process each (kafka-1..3, opensearch, redis).

interface Unit {
  name: string;
  service: Service;
  label: string;
  port: number;
  /** Other ports the process listens on, which must be free before it starts. */
  extraPorts: { port: number; what: string }[];
  dir: string;
  logFile: string;
  pidFile: string;
  /** Whether a live pid really is this unit's process (pids get reused). */
  owns: (pid: number) => boolean;
}

interface KafkaNode extends Unit {
  id: number;
  controllerPort: number;
}

function kafkaNodes(env: Env, brokers: Brokers, basePort: number): KafkaNode[] {
  const nodes: KafkaNode[] = [];
  for (let id = 1; id <= brokers; id++) {
    const port = basePort + (id - 1) * 2;
    const dir = path.join(env.stateDir, `kafka-${id}`);
    const props = path.join(dir, 'server.properties');
    nodes.push({
      name: `kafka-${id}`,
      service: 'kafka',
      label: brokers === 1 ? 'Kafka' : `Kafka node ${id}`,
      id,
      port,
      controllerPort: port + 1,
      extraPorts: [{ port: port + 1, what: `the controller port of Kafka node ${id}` }],
      dir,
      logFile: path.join(env.stateDir, 'logs', `kafka-${id}.log`),
      pidFile: path.join(env.stateDir, 'run', `kafka-${id}.pid`),
      owns: (pid) => cmdline(pid).includes(props),
    });
  }
  return nodes;
}

function opensearchUnit(env: Env, port: number): Unit {
  const dir = path.join(env.stateDir, 'opensearch');
  const conf = path.join(dir, 'config');
  return {
    name: 'opensearch',
    service: 'opensearch',
    label: 'OpenSearch',
    port,
    extraPorts: [{ port: port + 100, what: 'the OpenSearch transport port' }],
    dir,
    logFile: path.join(env.stateDir, 'logs', 'opensearch.log'),
    pidFile: path.join(env.stateDir, 'run', 'opensearch.pid'),
    owns: (pid) => cmdline(pid).includes(`-Dopensearch.path.conf=${conf}`),
  };
}

function redisUnit(env: Env, port: number): Unit {
  const dir = path.join(env.stateDir, 'redis');
  return {
    name: 'redis',
    service: 'redis',
    label: 'Redis',
    port,
    extraPorts: [],
    dir,
    logFile: path.join(env.stateDir, 'logs', 'redis.log'),
    pidFile: path.join(env.stateDir, 'run', 'redis.pid'),
    owns: (pid) => cmdline(pid).includes('redis-server') && processCwd(pid) === dir,
  };
}

function unitsOf(env: Env, service: Service, port: number, brokers: Brokers): Unit[] {
  if (service === 'kafka') return kafkaNodes(env, brokers, port);
  if (service === 'opensearch') return [opensearchUnit(env, port)];
  return [redisUnit(env, port)];
}

// ---------------------------------------------------------------------------------------------------------
// Processes

function procStat(pid: number): string[] | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which is in parentheses and may contain spaces: state, ppid, pgrp, ...
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

function processAlive(pid: number): boolean {
  const state = procStat(pid)?.[0];
  return state !== undefined && state !== 'Z' && state !== 'X';
}

function processGroup(pid: number): number | undefined {
  const pgrp = Number(procStat(pid)?.[2]);
  return Number.isInteger(pgrp) && pgrp > 1 ? pgrp : undefined;
}

function cmdline(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {
    return '';
  }
}

function processCwd(pid: number): string {
  try {
    return fs.readlinkSync(`/proc/${pid}/cwd`);
  } catch {
    return '';
  }
}

function childrenOf(pid: number): number[] {
  const found: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    if (Number(procStat(Number(entry))?.[1]) === pid) found.push(Number(entry));
  }
  return found;
}

interface PidInfo {
  /** The unit's live process, if its pid file names one. */
  pid: number | undefined;
  /** The pid file names a process that is gone (or is something else now). */
  stale: number | undefined;
}

function readPid(unit: Unit): PidInfo {
  let raw: string;
  try {
    raw = fs.readFileSync(unit.pidFile, 'utf8').trim();
  } catch {
    return { pid: undefined, stale: undefined };
  }
  const pid = Number(raw);
  if (Number.isInteger(pid) && pid > 0 && processAlive(pid) && unit.owns(pid))
    return { pid, stale: undefined };
  return { pid: undefined, stale: Number.isInteger(pid) ? pid : -1 };
}

function removeStalePid(ctx: Ctx, unit: Unit, info: PidInfo): void {
  if (info.stale === undefined) return;
  fs.rmSync(unit.pidFile, { force: true });
  say(ctx, `Removed the stale pid file of ${unit.name} (pid ${info.stale} no longer runs it).`);
}

interface Started {
  pid: number;
  /** Where this start's lines begin in the log file, to quote them on failure. */
  logOffset: number;
}

function startDetached(
  unit: Unit,
  command: string,
  args: string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv },
): { pid: number; logOffset: number } {
  fs.mkdirSync(path.dirname(unit.logFile), { recursive: true });
  const logOffset = exists(unit.logFile) ? fs.statSync(unit.logFile).size : 0;
  fs.appendFileSync(
    unit.logFile,
    `\n==== ${new Date().toISOString()} scripts/stack.ts starts ${unit.label}: ${command} ${args.join(' ')}\n`,
  );
  const fd = fs.openSync(unit.logFile, 'a');
  try {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      detached: true,
      stdio: ['ignore', fd, fd],
    });
    child.on('error', () => {
      // Reported below through the missing pid, or later through the dead process.
    });
    if (child.pid === undefined) throw new StackError(`Could not start ${unit.label} with ${command}.`);
    child.unref();
    return { pid: child.pid, logOffset };
  } finally {
    fs.closeSync(fd);
  }
}

function writePid(unit: Unit, pid: number): void {
  writeFileAtomic(unit.pidFile, `${pid}\n`);
}

function logTail(file: string, offset: number, lines = 12): string {
  try {
    const text = fs.readFileSync(file, 'utf8').slice(offset);
    return text
      .split('\n')
      .filter((l) => l.trim() !== '')
      .slice(-lines)
      .map((l) => `    ${l}`)
      .join('\n');
  } catch {
    return '';
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!processAlive(pid)) return true;
    await sleep(200);
  }
  return !processAlive(pid);
}

/** SIGTERM, wait, then SIGKILL the process and the process group the stack created for it. */
async function stopUnit(ctx: Ctx, unit: Unit, pid: number): Promise<void> {
  const started = Date.now();
  const group = processGroup(pid);
  const ownGroup = processGroup(process.pid);
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    // Already gone.
  }
  if (await waitForExit(pid, STOP_TIMEOUT_S * 1000)) {
    say(ctx, `Stopped ${unit.name} (pid ${pid}) in ${seconds(started)}.`);
  } else {
    warn(
      `${unit.label} (pid ${pid}) did not stop within ${STOP_TIMEOUT_S} s, so it was killed with SIGKILL.`,
    );
    for (const target of [pid, group && group !== ownGroup ? -group : undefined]) {
      if (target === undefined) continue;
      try {
        process.kill(target, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    await waitForExit(pid, 5000);
  }
  fs.rmSync(unit.pidFile, { force: true });
}

// ---------------------------------------------------------------------------------------------------------
// Commands run for installing and preparing

interface RunResult {
  code: number;
  output: string;
}

function run(
  command: string,
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const collect = (chunk: Buffer): void => {
      output += chunk.toString();
      if (output.length > 200_000) output = output.slice(-100_000);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.on('error', (error) => resolve({ code: -1, output: `${output}${error.message}\n` }));
    child.on('close', (code) => resolve({ code: code ?? -1, output }));
  });
}

function lastLines(text: string, n = 15): string {
  return text
    .trimEnd()
    .split('\n')
    .slice(-n)
    .map((l) => `    ${l}`)
    .join('\n');
}

function which(command: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, command);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      if (fs.statSync(candidate).isFile()) return candidate;
    } catch {
      // Not here.
    }
  }
  return undefined;
}

function isRoot(): boolean {
  return process.getuid?.() === 0;
}

let aptQueue: Promise<unknown> = Promise.resolve();

/** Installs Debian packages (as root only); concurrent callers take turns. */
function aptInstall(ctx: Ctx, packages: string[], what: string): Promise<void> {
  const job = aptQueue.then(() => aptInstallNow(ctx, packages, what));
  aptQueue = job.catch(() => undefined);
  return job;
}

async function aptInstallNow(ctx: Ctx, packages: string[], what: string): Promise<void> {
  const list = packages.join(' ');
  if (!isRoot() || !which('apt-get')) {
    throw new StackError(
      `${what} is missing; install the Debian package ${list} (for example "sudo apt-get install -y ${list}") and run up again.`,
    );
  }
  const started = Date.now();
  say(ctx, `Installing ${what} with "apt-get install -y ${list}".`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  // Waits for a dpkg lock held by another apt-get instead of failing at once.
  const lock = ['-o', 'DPkg::Lock::Timeout=600'];
  const install = (): Promise<RunResult> =>
    run('apt-get', [...lock, 'install', '-y', '--no-install-recommends', ...packages], { env });
  let result = await install();
  if (result.code !== 0) {
    say(
      ctx,
      'The install failed, so the package lists are refreshed with "apt-get update" and it is tried again.',
    );
    await run('apt-get', [...lock, 'update'], { env });
    result = await install();
  }
  if (result.code !== 0) {
    throw new StackError(`Installing ${list} with apt-get failed:\n${lastLines(result.output)}`);
  }
  say(ctx, `Installed ${list} in ${seconds(started)}.`);
}

async function fetchOk(url: string, what: string, init?: RequestInit): Promise<Response> {
  let res: Response;
  try {
    res = await fetch(url, { ...init, signal: init?.signal ?? AbortSignal.timeout(30_000) });
  } catch (error) {
    throw new StackError(`Could not reach ${url} for ${what}: ${(error as Error).message}.`);
  }
  if (!res.ok) throw new StackError(`Downloading ${what} from ${url} failed with HTTP ${res.status}.`);
  return res;
}

/** Downloads url to dest (via dest.part) and checks it against the .sha1 file Maven Central serves beside it. */
async function download(ctx: Ctx, url: string, dest: string, what: string): Promise<void> {
  const started = Date.now();
  fs.mkdirSync(path.dirname(dest), { recursive: true });
  let res: Response;
  try {
    res = await fetch(url);
  } catch (error) {
    throw new StackError(
      `Could not reach ${url} to download ${what} (${(error as Error).message}); Maven Central must be reachable for the first start.`,
    );
  }
  if (!res.ok || !res.body)
    throw new StackError(`Downloading ${what} from ${url} failed with HTTP ${res.status}.`);
  const size = Number(res.headers.get('content-length') ?? 0);
  say(ctx, `Downloading ${what}${size >= 1e6 ? ` (${Math.round(size / 1e6)} MB)` : ''} from ${url}.`);
  const tmp = `${dest}.part`;
  const hash = createHash('sha1');
  try {
    await pipeline(
      Readable.fromWeb(res.body as WebReadableStream<Uint8Array>),
      async function* (source: AsyncIterable<Buffer>) {
        for await (const chunk of source) {
          hash.update(chunk);
          yield chunk;
        }
      },
      fs.createWriteStream(tmp),
    );
  } catch (error) {
    fs.rmSync(tmp, { force: true });
    throw new StackError(`Downloading ${what} from ${url} broke off: ${(error as Error).message}.`);
  }
  const expected = (await (await fetchOk(`${url}.sha1`, `the checksum of ${what}`)).text())
    .trim()
    .split(/\s+/)[0];
  const actual = hash.digest('hex');
  if (expected !== actual) {
    fs.rmSync(tmp, { force: true });
    throw new StackError(
      `The download of ${what} from ${url} is damaged (SHA-1 ${actual}, expected ${expected}).`,
    );
  }
  fs.renameSync(tmp, dest);
  say(ctx, `Downloaded ${what} in ${seconds(started)}.`);
}

async function urlExists(url: string): Promise<boolean | undefined> {
  try {
    const res = await fetch(url, { method: 'HEAD', signal: AbortSignal.timeout(15_000) });
    if (res.status === 200) return true;
    if (res.status === 404) return false;
    return undefined;
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Java

interface Jdk {
  home: string;
  major: number;
  version: string;
}

function javaMajor(version: string): number {
  const m = /^(\d+)(?:\.(\d+))?/.exec(version);
  if (!m) return 0;
  return m[1] === '1' ? Number(m[2] ?? 0) : Number(m[1]);
}

function readJdk(home: string): Jdk | undefined {
  let real: string;
  try {
    real = fs.realpathSync(home);
    fs.accessSync(path.join(real, 'bin', 'java'), fs.constants.X_OK);
  } catch {
    return undefined;
  }
  let version: string | undefined;
  try {
    version = /^JAVA_VERSION="([^"]+)"/m.exec(fs.readFileSync(path.join(real, 'release'), 'utf8'))?.[1];
  } catch {
    // No release file: ask the binary.
  }
  if (!version) {
    const r = spawnSync(path.join(real, 'bin', 'java'), ['-version'], { encoding: 'utf8' });
    version = /version "([^"]+)"/.exec(`${r.stderr ?? ''}${r.stdout ?? ''}`)?.[1];
  }
  return version ? { home: real, major: javaMajor(version), version } : undefined;
}

/** JDKs from JAVA_HOME, the `java` on PATH and the folders under /usr/lib/jvm. */
function findJdks(): { all: Jdk[]; javaHome: Jdk | undefined; onPath: Jdk | undefined } {
  const byHome = new Map<string, Jdk>();
  const add = (home: string | undefined): Jdk | undefined => {
    if (!home) return undefined;
    const jdk = readJdk(home);
    if (jdk && !byHome.has(jdk.home)) byHome.set(jdk.home, jdk);
    return jdk;
  };
  const javaHome = add(process.env.JAVA_HOME);
  const javaOnPath = which('java');
  let onPath: Jdk | undefined;
  if (javaOnPath) {
    try {
      onPath = add(path.dirname(path.dirname(fs.realpathSync(javaOnPath))));
    } catch {
      // A broken link.
    }
  }
  try {
    for (const entry of fs.readdirSync(JVM_DIR)) add(path.join(JVM_DIR, entry));
  } catch {
    // No such folder.
  }
  return { all: [...byHome.values()].sort((a, b) => a.major - b.major), javaHome, onPath };
}

async function ensureSomeJdk(ctx: Ctx): Promise<void> {
  if (findJdks().all.some((j) => j.major >= MIN_JAVA)) return;
  await aptInstall(ctx, ['default-jre-headless'], `A Java ${MIN_JAVA} or newer runtime`);
  if (!findJdks().all.some((j) => j.major >= MIN_JAVA)) {
    throw new StackError(`No Java ${MIN_JAVA} or newer was found in JAVA_HOME, on PATH or under ${JVM_DIR}.`);
  }
}

/** Kafka 4.4 is verified on Java 17: prefer JAVA_HOME, then `java` on PATH, then the oldest JDK >= 17. */
async function kafkaJdk(ctx: Ctx): Promise<Jdk> {
  await ensureSomeJdk(ctx);
  const { all, javaHome, onPath } = findJdks();
  const pick = [javaHome, onPath, ...all].find((j) => j !== undefined && j.major >= MIN_JAVA);
  if (!pick) throw new StackError(`Kafka needs Java ${MIN_JAVA} or newer, and none was found.`);
  return pick;
}

async function opensearchRuntime(ctx: Ctx): Promise<{ jdk: Jdk; version: string }> {
  let jdk: Jdk | undefined;
  if (ctx.env.opensearchJavaHome) {
    jdk = readJdk(ctx.env.opensearchJavaHome);
    if (!jdk)
      throw new StackError(`VIGIL_OPENSEARCH_JAVA_HOME (${ctx.env.opensearchJavaHome}) holds no JDK.`);
  } else {
    await ensureSomeJdk(ctx);
    jdk = findJdks().all.at(-1);
  }
  if (!jdk || jdk.major < MIN_JAVA) {
    throw new StackError(`OpenSearch needs Java ${MIN_JAVA} or newer, and none was found.`);
  }
  if (jdk.major >= OPENSEARCH_MIN_JAVA) return { jdk, version: OPENSEARCH_VERSION };
  ctx.notes.push(
    ctx.env.opensearchJavaHome
      ? `OpenSearch ${OPENSEARCH_FALLBACK_VERSION} is used because VIGIL_OPENSEARCH_JAVA_HOME is a Java ${jdk.major}; ${OPENSEARCH_VERSION} needs Java ${OPENSEARCH_MIN_JAVA} or newer.`
      : `OpenSearch ${OPENSEARCH_FALLBACK_VERSION} is used because the newest JDK found is Java ${jdk.major}; install a JDK ${OPENSEARCH_MIN_JAVA} or newer under ${JVM_DIR} to get ${OPENSEARCH_VERSION}.`,
  );
  return { jdk, version: OPENSEARCH_FALLBACK_VERSION };
}

// ---------------------------------------------------------------------------------------------------------
// Probes: does the service answer its own protocol?

interface Probe {
  answering: boolean;
  version?: string;
}

/** Sends payload and collects the answer until done() says it is complete; undefined when it fails. */
function tcpExchange(
  port: number,
  payload: Buffer | string,
  done: (data: Buffer) => boolean,
  timeoutMs = 3000,
): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    let data = Buffer.alloc(0);
    const socket = net.connect({ host: HOST, port });
    const finish = (result: Buffer | undefined): void => {
      socket.destroy();
      resolve(result);
    };
    socket.setTimeout(timeoutMs, () => finish(undefined));
    socket.on('error', () => finish(undefined));
    socket.on('close', () => finish(undefined));
    socket.on('connect', () => socket.write(payload));
    socket.on('data', (chunk) => {
      data = Buffer.concat([data, chunk]);
      if (done(data)) finish(data);
    });
  });
}

/** Whether something accepts TCP connections on the port. */
function portInUse(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: HOST, port });
    socket.setTimeout(2000, () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
}

let correlationId = 0;

/** Kafka ApiVersions v0: int32 size, int16 api_key 18, int16 version 0, int32 correlation id, string client id. */
async function probeKafka(port: number): Promise<Probe> {
  const id = ++correlationId;
  const clientId = Buffer.from('vigil-stack');
  const request = Buffer.alloc(4 + 2 + 2 + 4 + 2 + clientId.length);
  request.writeInt32BE(request.length - 4, 0);
  request.writeInt16BE(18, 4);
  request.writeInt16BE(0, 6);
  request.writeInt32BE(id, 8);
  request.writeInt16BE(clientId.length, 12);
  clientId.copy(request, 14);
  const response = await tcpExchange(port, request, (b) => b.length >= 4 && b.length >= 4 + b.readInt32BE(0));
  // Response: int32 size, int32 correlation id, int16 error code, [api versions].
  if (!response || response.length < 10) return { answering: false };
  return { answering: response.readInt32BE(4) === id && response.readInt16BE(8) === 0 };
}

async function probeOpenSearch(port: number): Promise<Probe> {
  const base = `http://${HOST}:${port}`;
  try {
    const health = await fetch(`${base}/_cluster/health?wait_for_status=yellow&timeout=1s`, {
      signal: AbortSignal.timeout(5000),
    });
    await health.text();
    if (health.status !== 200) return { answering: false };
    const root = await fetch(`${base}/`, { signal: AbortSignal.timeout(5000) });
    const info = (await root.json()) as { version?: { number?: string } };
    return { answering: true, version: info.version?.number };
  } catch {
    return { answering: false };
  }
}

async function probeRedis(port: number): Promise<Probe> {
  const pong = '+PONG\r\n';
  const response = await tcpExchange(port, 'PING\r\nINFO server\r\n', (b) => {
    const s = b.toString('latin1');
    if (!s.startsWith(pong)) return s.includes('\r\n');
    const rest = s.slice(pong.length);
    const bulk = /^\$(\d+)\r\n/.exec(rest);
    if (!bulk) return /^-.*\r\n/.test(rest);
    return rest.length >= bulk[0].length + Number(bulk[1]) + 2;
  });
  const text = response?.toString('latin1') ?? '';
  if (!text.startsWith(pong)) return { answering: false };
  return { answering: true, version: /redis_version:(\S+)/.exec(text)?.[1] };
}

const PROBES: Record<Service, (port: number) => Promise<Probe>> = {
  kafka: probeKafka,
  opensearch: probeOpenSearch,
  redis: probeRedis,
};

interface Inspection {
  unit: Unit;
  pid: PidInfo;
  probe: Probe;
}

async function inspect(unit: Unit): Promise<Inspection> {
  return { unit, pid: readPid(unit), probe: await PROBES[unit.service](unit.port) };
}

async function waitUntilAnswering(unit: Unit, started: Started): Promise<void> {
  const timeoutS = START_TIMEOUT_S[unit.service];
  const deadline = Date.now() + timeoutS * 1000;
  for (;;) {
    if ((await PROBES[unit.service](unit.port)).answering) return;
    if (!processAlive(started.pid)) {
      fs.rmSync(unit.pidFile, { force: true });
      const tail = logTail(unit.logFile, started.logOffset);
      throw new StackError(
        `${unit.label} exited while starting; see ${unit.logFile}.${tail ? ` Its last lines are:\n${tail}` : ''}`,
      );
    }
    if (Date.now() > deadline) {
      throw new StackError(
        `${unit.label} (pid ${started.pid}) did not answer on ${HOST}:${unit.port} within ${timeoutS} s; see ${unit.logFile}. It was left running; "down" stops it.`,
      );
    }
    await sleep(1000);
  }
}

/**
 * Common start logic of a service: leave it alone when it answers, wait for it when its process runs but
 * does not answer yet, and otherwise check its ports are free and call start() for the stopped units.
 */
async function bringUp(
  ctx: Ctx,
  service: Service,
  units: Unit[],
  start: (stopped: Unit[], running: Inspection[]) => Promise<Started[]>,
): Promise<void> {
  const label = SERVICE_LABEL[service];
  const found = await Promise.all(units.map(inspect));
  for (const f of found) removeStalePid(ctx, f.unit, f.pid);
  if (found.every((f) => f.probe.answering)) {
    if (found.every((f) => f.pid.pid !== undefined)) {
      say(ctx, `${label} is already running and answering, so it is left alone.`);
    } else {
      ctx.notes.push(
        `${label} already answers on ${units.map((u) => `${HOST}:${u.port}`).join(', ')} but was not started by this script; it is left alone (stop it and run up again to use the stack's own).`,
      );
    }
    return;
  }
  const foreign = found.filter((f) => f.probe.answering && f.pid.pid === undefined);
  if (foreign.length > 0) {
    throw new StackError(
      `${foreign.map((f) => f.unit.label).join(', ')} already answers on ${foreign.map((f) => `${HOST}:${f.unit.port}`).join(', ')} but was not started by this script; stop it or choose other ports with ${PORT_ENV[service]}.`,
    );
  }
  const running = found.filter((f) => f.pid.pid !== undefined);
  const stopped = found.filter((f) => f.pid.pid === undefined).map((f) => f.unit);
  for (const unit of stopped) {
    for (const { port, what } of [
      { port: unit.port, what: `the port of ${unit.label}` },
      ...unit.extraPorts,
    ]) {
      if (await portInUse(port)) {
        throw new StackError(
          `Port ${port} (${what}) is already in use by another program; stop it or choose other ports with ${PORT_ENV[service]}.`,
        );
      }
    }
  }
  const waits: Promise<void>[] = [];
  for (const r of running) {
    say(ctx, `${r.unit.label} (pid ${r.pid.pid}) runs but does not answer yet; waiting for it.`);
    waits.push(waitUntilAnswering(r.unit, { pid: r.pid.pid!, logOffset: 0 }));
  }
  const begun = Date.now();
  if (stopped.length > 0) {
    const started = await start(stopped, running);
    stopped.forEach((unit, i) => {
      const s = started[i];
      if (s) waits.push(waitUntilAnswering(unit, s));
    });
  }
  const results = await Promise.allSettled(waits);
  const failures = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failures.length > 0) throw failures.length === 1 ? failures[0]!.reason : joinErrors(failures);
  if (stopped.length > 0) say(ctx, `${label} answers after ${seconds(begun)}.`);
}

function joinErrors(failures: PromiseRejectedResult[]): StackError {
  return new StackError(failures.map((f) => (f.reason as Error).message).join('\n'));
}

// ---------------------------------------------------------------------------------------------------------
// Kafka

function kafkaHome(env: Env): string {
  return path.join(env.cacheDir, `kafka-${KAFKA_VERSION}`);
}

const KAFKA_POM = `<project xmlns="http://maven.apache.org/POM/4.0.0">
  <!-- Generated by scripts/stack.ts: only used to fetch the Kafka broker jars from Maven Central. -->
  <modelVersion>4.0.0</modelVersion>
  <groupId>vigil.stack</groupId>
  <artifactId>kafka-runtime</artifactId>
  <version>1</version>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>${KAFKA_ARTIFACT}</artifactId><version>${KAFKA_VERSION}</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-slf4j2-impl</artifactId><version>${LOG4J_VERSION}</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-core</artifactId><version>${LOG4J_VERSION}</version></dependency>
  </dependencies>
</project>
`;

/** Fetches the broker jars into <cache>/kafka-<version>/libs once; a marker file written last proves it is complete. */
async function ensureKafkaJars(ctx: Ctx): Promise<string> {
  const home = kafkaHome(ctx.env);
  const libs = path.join(home, 'libs');
  const marker = path.join(home, '.complete');
  try {
    const jars = fs.readFileSync(marker, 'utf8').split('\n').filter(Boolean);
    if (jars.length > 0 && jars.every((j) => exists(path.join(libs, j)))) return home;
  } catch {
    // Not fetched yet.
  }
  const started = Date.now();
  if (!which('mvn')) await aptInstall(ctx, ['maven'], 'Maven (to fetch the Kafka jars)');
  await ensureSomeJdk(ctx);
  fs.rmSync(libs, { recursive: true, force: true });
  fs.mkdirSync(home, { recursive: true });
  fs.writeFileSync(path.join(home, 'pom.xml'), KAFKA_POM);
  say(ctx, `Fetching the Kafka ${KAFKA_VERSION} jars with Maven into ${libs}.`);
  const result = await run(
    'mvn',
    ['-q', '-B', 'dependency:copy-dependencies', `-DoutputDirectory=${libs}`, '-DincludeScope=runtime'],
    { cwd: home },
  );
  fs.writeFileSync(path.join(home, 'mvn.log'), result.output);
  if (result.code !== 0) {
    throw new StackError(
      `Maven could not fetch the Kafka jars (see ${path.join(home, 'mvn.log')}):\n${lastLines(result.output)}`,
    );
  }
  // Kafka brings slf4j-api 1.7, which cannot bind to log4j-slf4j2-impl: replace it with slf4j-api 2.
  for (const jar of fs.readdirSync(libs)) {
    if (/^slf4j-api-1\..*\.jar$/.test(jar)) fs.rmSync(path.join(libs, jar));
  }
  const slf4j = `slf4j-api-${SLF4J_VERSION}.jar`;
  if (!exists(path.join(libs, slf4j))) {
    await download(
      ctx,
      `${MAVEN_CENTRAL}/org/slf4j/slf4j-api/${SLF4J_VERSION}/${slf4j}`,
      path.join(libs, slf4j),
      `slf4j-api ${SLF4J_VERSION}`,
    );
  }
  const jars = fs.readdirSync(libs).filter((j) => j.endsWith('.jar'));
  if (!jars.some((j) => j.startsWith(`${KAFKA_ARTIFACT}-${KAFKA_VERSION}`))) {
    throw new StackError(`Maven finished but ${libs} holds no ${KAFKA_ARTIFACT}-${KAFKA_VERSION} jar.`);
  }
  fs.writeFileSync(marker, `${jars.sort().join('\n')}\n`);
  say(ctx, `Fetched ${jars.length} Kafka jars in ${seconds(started)}.`);
  return home;
}

function kafkaProperties(node: KafkaNode, nodes: KafkaNode[]): string {
  const voters = nodes.map((n) => `${n.id}@${HOST}:${n.controllerPort}`).join(',');
  const cluster = nodes.length > 1;
  const lines = [
    '# Generated by scripts/stack.ts on every start; edits are overwritten.',
    'process.roles=broker,controller',
    `node.id=${node.id}`,
    `controller.quorum.voters=${voters}`,
    `listeners=PLAINTEXT://${HOST}:${node.port},CONTROLLER://${HOST}:${node.controllerPort}`,
    `advertised.listeners=PLAINTEXT://${HOST}:${node.port}`,
    'controller.listener.names=CONTROLLER',
    'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    `log.dirs=${path.join(node.dir, 'data')}`,
    'num.partitions=3',
    `offsets.topic.replication.factor=${cluster ? 3 : 1}`,
    `transaction.state.log.replication.factor=${cluster ? 3 : 1}`,
    `transaction.state.log.min.isr=${cluster ? 2 : 1}`,
    ...(cluster ? ['min.insync.replicas=2', 'default.replication.factor=3'] : []),
    'group.initial.rebalance.delay.ms=0',
    'auto.create.topics.enable=false',
  ];
  return `${lines.join('\n')}\n`;
}

const KAFKA_LOG4J2 = `# Generated by scripts/stack.ts: everything goes to stdout, which the stack sends to logs/kafka-N.log.
Configuration:
  Appenders:
    Console:
      name: STDOUT
      PatternLayout:
        pattern: "[%d] %p %m (%c)%n"
  Loggers:
    Root:
      level: INFO
      AppenderRef:
        - ref: STDOUT
`;

/** A Kafka cluster id: 16 random bytes in unpadded base64url that does not start with "-", as Kafka's own. */
function kafkaClusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

async function upKafka(ctx: Ctx, brokers: Brokers): Promise<void> {
  const env = ctx.env;
  const nodes = kafkaNodes(env, brokers, env.ports.kafka);
  await bringUp(ctx, 'kafka', nodes, async (stopped, running) => {
    const home = await ensureKafkaJars(ctx);
    const jdk = await kafkaJdk(ctx);
    const java = path.join(jdk.home, 'bin', 'java');
    // The storage of every node is formatted once, with one cluster id, for one broker count.
    const clusterFile = path.join(env.stateDir, 'kafka-cluster.json');
    let cluster = readJson(clusterFile) as { clusterId: string; brokers: number } | undefined;
    if (!cluster || cluster.brokers !== brokers) {
      if (running.length > 0)
        throw new StackError('Kafka is partly running with another layout; run down first.');
      const old = fs.readdirSync(env.stateDir).filter((d) => /^kafka-\d+$/.test(d));
      if (old.length > 0) {
        say(
          ctx,
          `The Kafka data in ${env.stateDir} was made for ${cluster ? brokerCount(cluster.brokers) : 'another cluster'}; it is deleted and formatted anew for ${brokerCount(brokers)}.`,
        );
        for (const d of old) fs.rmSync(path.join(env.stateDir, d), { recursive: true, force: true });
      }
      cluster = { clusterId: kafkaClusterId(), brokers };
      writeFileAtomic(clusterFile, `${JSON.stringify(cluster, null, 2)}\n`);
    }
    const clusterId = cluster.clusterId;
    const classpath = path.join(home, 'libs', '*');
    const stoppedNodes = nodes.filter((n) => stopped.includes(n));
    await Promise.all(
      stoppedNodes.map(async (node) => {
        fs.mkdirSync(path.join(node.dir, 'data'), { recursive: true });
        fs.writeFileSync(path.join(node.dir, 'server.properties'), kafkaProperties(node, nodes));
        fs.writeFileSync(path.join(node.dir, 'log4j2.yaml'), KAFKA_LOG4J2);
        if (exists(path.join(node.dir, 'data', 'meta.properties'))) return;
        const result = await run(
          java,
          ['-cp', classpath, 'kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', 'server.properties'],
          { cwd: node.dir },
        );
        if (result.code !== 0) {
          throw new StackError(
            `Formatting the storage of ${node.label} failed:\n${lastLines(result.output)}`,
          );
        }
      }),
    );
    say(
      ctx,
      `Starting Kafka ${KAFKA_VERSION} (${stoppedNodes.map((n) => `${HOST}:${n.port}`).join(', ')}) on Java ${jdk.version}.`,
    );
    return stoppedNodes.map((node) => {
      const started = startDetached(
        node,
        java,
        [
          '-Xmx512m',
          `-Dlog4j2.configurationFile=${path.join(node.dir, 'log4j2.yaml')}`,
          '-cp',
          classpath,
          'kafka.Kafka',
          path.join(node.dir, 'server.properties'),
        ],
        { cwd: node.dir },
      );
      writePid(node, started.pid);
      return started;
    });
  });
}

// ---------------------------------------------------------------------------------------------------------
// OpenSearch

/** Downloads the minimal distribution from Maven Central and extracts it into the cache once. */
async function ensureOpenSearchDist(ctx: Ctx, version: string): Promise<string> {
  const cache = ctx.env.cacheDir;
  const dist = path.join(cache, `opensearch-${version}`);
  const marker = path.join(dist, '.vigil-complete');
  if (exists(marker)) return dist;
  const zip = path.join(cache, `opensearch-${version}.zip`);
  if (!exists(zip)) {
    await download(
      ctx,
      `${MAVEN_CENTRAL}/org/opensearch/distribution/integ-test-zip/opensearch/${version}/opensearch-${version}.zip`,
      zip,
      `OpenSearch ${version}`,
    );
  }
  if (!which('unzip')) await aptInstall(ctx, ['unzip'], 'unzip (to extract OpenSearch)');
  const started = Date.now();
  const tmp = `${dist}.extracting`;
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.mkdirSync(tmp, { recursive: true });
  const result = await run('unzip', ['-q', zip, '-d', tmp]);
  const inner = path.join(tmp, `opensearch-${version}`);
  if (result.code !== 0 || !exists(path.join(inner, 'bin', 'opensearch'))) {
    fs.rmSync(tmp, { recursive: true, force: true });
    fs.rmSync(zip, { force: true });
    throw new StackError(`Extracting ${zip} failed, so it was deleted:\n${lastLines(result.output)}`);
  }
  fs.rmSync(dist, { recursive: true, force: true });
  fs.renameSync(inner, dist);
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.rmSync(zip, { force: true });
  if (isRoot()) {
    await ensureServiceUser(ctx);
    await chownToServiceUser(dist);
  }
  fs.writeFileSync(marker, `${new Date().toISOString()}\n`);
  say(ctx, `Extracted OpenSearch ${version} into ${dist} in ${seconds(started)}.`);
  return dist;
}

async function ensureServiceUser(ctx: Ctx): Promise<void> {
  if (spawnSync('id', ['-u', SERVICE_USER]).status === 0) return;
  const result = await run('useradd', [
    '--system',
    '--no-create-home',
    '--shell',
    '/usr/sbin/nologin',
    SERVICE_USER,
  ]);
  if (result.code !== 0 && spawnSync('id', ['-u', SERVICE_USER]).status !== 0) {
    throw new StackError(`Creating the system user ${SERVICE_USER} failed:\n${lastLines(result.output)}`);
  }
  say(ctx, `Created the system user ${SERVICE_USER}, because OpenSearch refuses to run as root.`);
}

async function chownToServiceUser(...dirs: string[]): Promise<void> {
  const result = await run('chown', ['-R', `${SERVICE_USER}:${SERVICE_USER}`, ...dirs]);
  if (result.code !== 0)
    throw new StackError(`chown of ${dirs.join(', ')} failed:\n${lastLines(result.output)}`);
}

/**
 * The service user must pass through every parent folder of the distribution and the state folder; home
 * folders such as /root are often closed (mode 700), so it gets execute-only access through an ACL entry.
 */
async function grantTraversal(ctx: Ctx, targets: string[]): Promise<void> {
  const dirs = new Set<string>();
  for (const target of targets) {
    let dir = path.dirname(target);
    for (;;) {
      dirs.add(dir);
      const parent = path.dirname(dir);
      if (parent === dir) break;
      dir = parent;
    }
  }
  for (const dir of [...dirs].sort((a, b) => a.length - b.length)) {
    if (spawnSync('runuser', ['-u', SERVICE_USER, '--', 'test', '-x', dir]).status === 0) continue;
    if (!which('setfacl')) await aptInstall(ctx, ['acl'], 'setfacl');
    const result = await run('setfacl', ['-m', `u:${SERVICE_USER}:x`, dir]);
    if (result.code !== 0) {
      throw new StackError(
        `The ${SERVICE_USER} user cannot pass through ${dir}, and setfacl failed:\n${lastLines(result.output)}`,
      );
    }
    say(
      ctx,
      `Let the ${SERVICE_USER} user pass through ${dir} (setfacl u:${SERVICE_USER}:x) so OpenSearch can reach its files.`,
    );
  }
}

/** The copied config keeps the distribution's files; jvm.options gets the heap and absolute log paths. */
function prepareOpenSearchConfig(dist: string, dir: string, heap: string): void {
  const conf = path.join(dir, 'config');
  if (!exists(path.join(conf, 'jvm.options'))) {
    fs.cpSync(path.join(dist, 'config'), conf, { recursive: true });
  }
  const logs = path.join(dir, 'logs');
  const data = path.join(dir, 'data');
  const jvm = fs
    .readFileSync(path.join(dist, 'config', 'jvm.options'), 'utf8')
    .replace(/^-Xms\S+$/m, `-Xms${heap}`)
    .replace(/^-Xmx\S+$/m, `-Xmx${heap}`)
    .replace(/HeapDumpPath=data$/m, `HeapDumpPath=${data}`)
    .replace(/([=:])logs\//g, `$1${logs}/`);
  fs.writeFileSync(
    path.join(conf, 'jvm.options'),
    `## Generated by scripts/stack.ts from the distribution's jvm.options on every start.\n${jvm}`,
  );
}

interface PluginProbe {
  served: boolean | undefined;
  checkedAt: number;
}

const INDEX_MANAGEMENT_CANDIDATES = [
  'org/opensearch/plugin/opensearch-index-management',
  'org/opensearch/plugin/index-management',
  'org/opensearch/opensearch-index-management',
];

function pluginZip(coordinate: string, pluginVersion: string): string {
  const artifact = path.posix.basename(coordinate);
  return `${MAVEN_CENTRAL}/${coordinate}/${pluginVersion}/${artifact}-${pluginVersion}.zip`;
}

/**
 * Installs the index-management plugin (and job-scheduler, which it needs) when Maven Central serves a zip
 * for this OpenSearch version. The answer is cached for a week. Returns one line for the report.
 */
async function indexManagementPlugin(
  ctx: Ctx,
  version: string,
  dist: string,
  jdk: Jdk,
  conf: string,
): Promise<string> {
  const fallback = "retention falls back to Vigil's own day-index deletion";
  if (exists(path.join(dist, 'plugins', 'opensearch-index-management'))) {
    return `The index-management plugin is installed in OpenSearch ${version}.`;
  }
  const pluginVersion = `${version}.0`;
  const cacheFile = path.join(ctx.env.cacheDir, 'index-management-probe.json');
  const probes = (readJson(cacheFile) ?? {}) as Record<string, PluginProbe & { url?: string }>;
  let probe = probes[version];
  if (!probe || probe.served === undefined || Date.now() - probe.checkedAt > PLUGIN_PROBE_TTL_MS) {
    let served: boolean | undefined = false;
    let url: string | undefined;
    for (const coordinate of INDEX_MANAGEMENT_CANDIDATES) {
      const candidate = pluginZip(coordinate, pluginVersion);
      const found = await urlExists(candidate);
      if (found) {
        served = true;
        url = candidate;
        break;
      }
      if (found === undefined) served = undefined;
    }
    probe = { served, checkedAt: Date.now(), url };
    probes[version] = probe;
    writeFileAtomic(cacheFile, `${JSON.stringify(probes, null, 2)}\n`);
  }
  if (probe.served === undefined) {
    return `Maven Central could not be asked whether it serves the index-management plugin for OpenSearch ${version}; ${fallback}.`;
  }
  if (!probe.served || !probe.url) {
    return `The index-management plugin is not served by Maven Central for OpenSearch ${version}; ${fallback}.`;
  }
  const scheduler = pluginZip('org/opensearch/plugin/opensearch-job-scheduler', pluginVersion);
  const pluginDir = path.join(ctx.env.cacheDir, 'plugins');
  const env = { ...process.env, OPENSEARCH_JAVA_HOME: jdk.home, OPENSEARCH_PATH_CONF: conf };
  for (const [url, name] of [
    [scheduler, 'opensearch-job-scheduler'],
    [probe.url, 'opensearch-index-management'],
  ] as const) {
    if (exists(path.join(dist, 'plugins', name))) continue;
    const zip = path.join(pluginDir, path.posix.basename(url));
    if (!exists(zip)) await download(ctx, url, zip, `the OpenSearch plugin ${name} ${pluginVersion}`);
    const result = await run(
      path.join(dist, 'bin', 'opensearch-plugin'),
      ['install', '--batch', `file://${zip}`],
      {
        env,
      },
    );
    if (result.code !== 0) {
      return `Installing the OpenSearch plugin ${name} failed, so ${fallback}:\n${lastLines(result.output)}`;
    }
  }
  if (isRoot()) await chownToServiceUser(dist);
  return `The index-management plugin ${pluginVersion} was installed from Maven Central.`;
}

async function upOpenSearch(ctx: Ctx): Promise<void> {
  const env = ctx.env;
  const unit = opensearchUnit(env, env.ports.opensearch);
  await bringUp(ctx, 'opensearch', [unit], async () => {
    const { jdk, version } = await opensearchRuntime(ctx);
    const dist = await ensureOpenSearchDist(ctx, version);
    const dir = unit.dir;
    const versionFile = path.join(dir, 'VERSION');
    const dataVersion = exists(versionFile) ? fs.readFileSync(versionFile, 'utf8').trim() : undefined;
    if (dataVersion && dataVersion !== version) {
      throw new StackError(
        `The OpenSearch data in ${dir} belongs to OpenSearch ${dataVersion}, but ${version} would start; run "down --purge --only opensearch" to delete it, or set VIGIL_OPENSEARCH_JAVA_HOME to a JDK that selects ${dataVersion}.`,
      );
    }
    for (const sub of ['data', 'logs', 'tmp']) fs.mkdirSync(path.join(dir, sub), { recursive: true });
    fs.writeFileSync(versionFile, `${version}\n`);
    prepareOpenSearchConfig(dist, dir, env.opensearchHeap);
    const conf = path.join(dir, 'config');
    ctx.notes.push(await indexManagementPlugin(ctx, version, dist, jdk, conf));
    const args = [
      '-Ecluster.name=vigil-dev',
      '-Ediscovery.type=single-node',
      `-Enetwork.host=${HOST}`,
      `-Ehttp.port=${unit.port}`,
      `-Etransport.port=${unit.port + 100}`,
      `-Epath.data=${path.join(dir, 'data')}`,
      `-Epath.logs=${path.join(dir, 'logs')}`,
      '-Ecluster.routing.allocation.disk.threshold_enabled=false',
      ...env.opensearchSettings.map((setting) => `-E${setting}`),
    ];
    const childEnv = {
      ...process.env,
      OPENSEARCH_JAVA_HOME: jdk.home,
      OPENSEARCH_PATH_CONF: conf,
      OPENSEARCH_TMPDIR: path.join(dir, 'tmp'),
    };
    const bin = path.join(dist, 'bin', 'opensearch');
    say(
      ctx,
      `Starting OpenSearch ${version} (${HOST}:${unit.port}) on Java ${jdk.version}, heap ${env.opensearchHeap}.`,
    );
    if (!isRoot()) {
      const started = startDetached(unit, bin, args, { cwd: dir, env: childEnv });
      writePid(unit, started.pid);
      return [started];
    }
    await ensureServiceUser(ctx);
    await chownToServiceUser(dir);
    await grantTraversal(ctx, [bin, path.join(dir, 'data')]);
    const launcher = startDetached(unit, 'runuser', ['-u', SERVICE_USER, '--', bin, ...args], {
      cwd: dir,
      env: childEnv,
    });
    // runuser forks the real process; its pid is the one to signal (a signal to runuser kills it after 2 s).
    const deadline = Date.now() + 10_000;
    for (;;) {
      const child = childrenOf(launcher.pid)[0];
      if (child !== undefined) {
        writePid(unit, child);
        return [{ pid: child, logOffset: launcher.logOffset }];
      }
      if (!processAlive(launcher.pid) || Date.now() > deadline) {
        const tail = logTail(unit.logFile, launcher.logOffset);
        throw new StackError(`OpenSearch did not start under runuser; see ${unit.logFile}.\n${tail}`);
      }
      await sleep(50);
    }
  });
}

// ---------------------------------------------------------------------------------------------------------
// Redis

async function upRedis(ctx: Ctx): Promise<void> {
  const env = ctx.env;
  const unit = redisUnit(env, env.ports.redis);
  await bringUp(ctx, 'redis', [unit], async () => {
    let bin = which('redis-server');
    if (!bin) {
      await aptInstall(ctx, ['redis-server'], 'Redis');
      bin = which('redis-server');
      if (!bin) throw new StackError('redis-server is still not on PATH after installing it.');
    }
    fs.mkdirSync(unit.dir, { recursive: true });
    say(ctx, `Starting Redis (${HOST}:${unit.port}).`);
    const started = startDetached(
      unit,
      bin,
      [
        '--bind',
        HOST,
        '--port',
        String(unit.port),
        '--dir',
        unit.dir,
        '--daemonize',
        'no',
        '--save',
        '',
        '--appendonly',
        'no',
        '--protected-mode',
        'yes',
      ],
      { cwd: unit.dir },
    );
    writePid(unit, started.pid);
    return [started];
  });
}

// ---------------------------------------------------------------------------------------------------------
// Report

interface Row {
  service: string;
  version: string;
  address: string;
  pid: string;
  state: string;
  log: string;
  answering: boolean;
}

const OWN_VERSION: Partial<Record<Service, string>> = { kafka: KAFKA_VERSION };

async function rowsFor(env: Env, services: readonly Service[], state: StackState): Promise<Row[]> {
  const units = services.flatMap((s) =>
    unitsOf(env, s, state[s]?.port ?? env.ports[s], state.kafka?.brokers ?? 1),
  );
  const found = await Promise.all(units.map(inspect));
  return found.map(({ unit, pid, probe }) => {
    const own = pid.pid !== undefined;
    let status: string;
    if (probe.answering) status = own ? 'running' : 'running, not started by this script';
    else if (own) status = 'not answering';
    else status = pid.stale !== undefined ? 'stopped (stale pid file)' : 'stopped';
    return {
      service: unit.name,
      version:
        probe.version ?? (own ? (OWN_VERSION[unit.service] ?? '-') : probe.answering ? 'unknown' : '-'),
      address: `${HOST}:${unit.port}`,
      pid: own ? String(pid.pid) : '-',
      state: status,
      log: own || !probe.answering ? unit.logFile : '-',
      answering: probe.answering,
    };
  });
}

function printTable(rows: Row[]): void {
  const header = {
    service: 'SERVICE',
    version: 'VERSION',
    address: 'ADDRESS',
    pid: 'PID',
    state: 'STATE',
    log: 'LOG',
  };
  const keys = ['service', 'version', 'address', 'pid', 'state', 'log'] as const;
  const width = (k: (typeof keys)[number]): number =>
    Math.max(header[k].length, ...rows.map((r) => r[k].length));
  const widths = keys.map(width);
  for (const row of [header, ...rows]) {
    console.log(
      keys
        .map((k, i) => (i === keys.length - 1 ? row[k] : row[k].padEnd(widths[i]!)))
        .join('  ')
        .trimEnd(),
    );
  }
}

// ---------------------------------------------------------------------------------------------------------
// Commands

async function commandUp(opts: Options, env: Env): Promise<number> {
  const ctx: Ctx = { env, quiet: opts.quiet, notes: [] };
  const services = opts.only ?? [...SERVICES];
  acquireLock(env);
  const state = readState(env);
  // A running service keeps its ports and broker count; changing them needs a down first.
  const runningKafka =
    state.kafka &&
    kafkaNodes(env, state.kafka.brokers, state.kafka.port).some((n) => readPid(n).pid !== undefined);
  const brokers: Brokers = opts.kafkaBrokers ?? (runningKafka ? state.kafka!.brokers : 1);
  if (services.includes('kafka') && runningKafka && state.kafka) {
    if (state.kafka.brokers !== brokers || state.kafka.port !== env.ports.kafka) {
      throw new StackError(
        `Kafka runs with ${brokerCount(state.kafka.brokers)} from port ${state.kafka.port}; run "node scripts/stack.ts down" first to change to ${brokerCount(brokers)} from port ${env.ports.kafka}.`,
      );
    }
  }
  for (const s of ['opensearch', 'redis'] as const) {
    const recorded = state[s];
    if (!services.includes(s) || !recorded || recorded.port === env.ports[s]) continue;
    if (readPid(unitsOf(env, s, recorded.port, 1)[0]!).pid !== undefined) {
      throw new StackError(
        `${SERVICE_LABEL[s]} runs on port ${recorded.port}; run "node scripts/stack.ts down --only ${s}" first to move it to port ${env.ports[s]}.`,
      );
    }
  }
  for (const s of services) {
    if (s === 'kafka') state.kafka = { brokers, port: env.ports.kafka };
    else state[s] = { port: env.ports[s] };
  }
  writeState(env, state);

  const started = Date.now();
  const jobs: Record<Service, () => Promise<void>> = {
    kafka: () => upKafka(ctx, brokers),
    opensearch: () => upOpenSearch(ctx),
    redis: () => upRedis(ctx),
  };
  const results = await Promise.allSettled(services.map((s) => jobs[s]()));
  const failures = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
  for (const note of ctx.notes) say(ctx, note);
  for (const failure of failures) {
    const error = failure.reason as Error;
    warn(error instanceof StackError ? error.message : (error.stack ?? String(error)));
  }
  const rows = await rowsFor(env, SERVICES.filter((s) => state[s]) as Service[], state);
  if (!ctx.quiet) console.log('');
  printTable(rows);
  if (failures.length > 0) {
    const which = failures.length === 1 ? 'one service' : `${failures.length} services`;
    warn(`The stack is not complete: ${which} failed to start (see above).`);
    return 1;
  }
  say(
    ctx,
    `\nThe stack is up (${seconds(started)}); state in ${env.stateDir}, downloads in ${env.cacheDir}.`,
  );
  return 0;
}

async function commandStatus(opts: Options, env: Env): Promise<number> {
  const state = readState(env);
  const recorded = SERVICES.filter((s) => state[s]);
  const services = opts.only ?? (recorded.length > 0 ? recorded : [...SERVICES]);
  const rows = await rowsFor(env, services, state);
  printTable(rows);
  const down = rows.filter((r) => !r.answering);
  if (down.length > 0) {
    if (!opts.quiet)
      console.log(`\n${down.map((r) => r.service).join(', ')} not answering; start with "up".`);
    return 1;
  }
  return 0;
}

async function commandDown(opts: Options, env: Env): Promise<number> {
  const ctx: Ctx = { env, quiet: opts.quiet, notes: [] };
  const services = opts.only ?? [...SERVICES];
  if (!exists(env.stateDir)) {
    say(ctx, `Nothing to stop: ${env.stateDir} does not exist.`);
    return 0;
  }
  acquireLock(env);
  const state = readState(env);
  // Every pid file counts, whatever the recorded layout says.
  const runDir = path.join(env.stateDir, 'run');
  const pidFiles = exists(runDir) ? fs.readdirSync(runDir).filter((f) => f.endsWith('.pid')) : [];
  const kafkaIds = pidFiles.map((f) => /^kafka-(\d+)\.pid$/.exec(f)?.[1]).filter((id) => id !== undefined);
  const brokers: Brokers = kafkaIds.some((id) => Number(id) > 1) || state.kafka?.brokers === 3 ? 3 : 1;
  const units = services.flatMap((s) => unitsOf(env, s, state[s]?.port ?? env.ports[s], brokers));
  let stoppedAny = false;
  await Promise.all(
    units.map(async (unit) => {
      const info = readPid(unit);
      removeStalePid(ctx, unit, info);
      if (info.pid === undefined) return;
      stoppedAny = true;
      await stopUnit(ctx, unit, info.pid);
    }),
  );
  // Services this state folder uses that something else serves (see "up") are mentioned, not touched.
  for (const unit of units) {
    if (state[unit.service] && (await PROBES[unit.service](unit.port)).answering) {
      warn(
        `${unit.label} still answers on ${HOST}:${unit.port} but was not started by this script; it is left running.`,
      );
    }
  }
  for (const s of services) delete state[s];
  const names = services.map((s) => SERVICE_LABEL[s]).join(', ');
  const stoppedWhat = opts.only
    ? `${names} ${services.length === 1 ? 'is' : 'are'} stopped`
    : 'The stack is stopped';
  if (opts.purge) {
    const purgeAll = SERVICES.every((s) => services.includes(s));
    const targets = purgeAll
      ? [env.stateDir]
      : services.flatMap((s) => {
          const list = unitsOf(env, s, 0, 3).flatMap((u) => [u.dir, u.logFile]);
          return s === 'kafka' ? [...list, path.join(env.stateDir, 'kafka-cluster.json')] : list;
        });
    for (const target of targets) fs.rmSync(target, { recursive: true, force: true });
    say(ctx, `Deleted the data, logs and configuration of ${services.join(', ')} in ${env.stateDir}.`);
    if (!purgeAll) writeState(env, state);
  } else {
    writeState(env, state);
    say(
      ctx,
      `${stoppedAny ? stoppedWhat : 'Nothing was running'}; data is kept in ${env.stateDir} ("down --purge" deletes it).`,
    );
  }
  return 0;
}

async function main(argv: string[]): Promise<number> {
  let opts: Options;
  let env: Env;
  try {
    opts = parseArgs(argv);
    if (opts.command === 'help') {
      process.stdout.write(HELP);
      return 0;
    }
    env = readEnv();
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    warn(`${error.message}\nRun "node scripts/stack.ts --help" for the usage.`);
    return 2;
  }
  try {
    if (process.platform !== 'linux') throw new StackError('The development stack only runs on Linux.');
    if (opts.command === 'up') return await commandUp(opts, env);
    if (opts.command === 'down') return await commandDown(opts, env);
    return await commandStatus(opts, env);
  } catch (error) {
    warn(error instanceof StackError ? error.message : ((error as Error).stack ?? String(error)));
    return 1;
  }
}

process.exit(await main(process.argv.slice(2)));
