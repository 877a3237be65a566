/**
 * `npm run bench`: runs Vigil's benchmarks and prints the results as a
 * Markdown report (or JSON with --json) on standard output; progress goes to
 * standard error. Benchmarks measure and record; they never fail on a number.
 *
 * Suites: `standalone` (in process, no services needed), and `file-kafka`,
 * `syslog-tcp`, `syslog-udp`, `collector-memory`, which run the collector as a
 * process against the Kafka broker of the development stack (`npm run stack:up`).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { buildBundle } from '../scripts/build.ts';
import { CLI_NODE_FLAGS, KafkaAdmin, VIGIL_BUILDS, type VigilBuild } from './collector-kafka.ts';
import {
  type CollectorMemoryResult,
  collectorMemory,
  collectorMemoryMarkdown,
  DEFAULT_MEMORY_BUILDS,
  DEFAULT_MEMORY_VARIANTS,
} from './collector-memory.ts';
import { type FileKafkaResult, fileKafkaMarkdown, fileKafkaThroughput } from './file-kafka-throughput.ts';
import { count, mib } from './format.ts';
import { describeMachine, type Machine, machineLine } from './machine.ts';
import {
  type PipelineSummary,
  type StandaloneThroughputResult,
  standaloneThroughput,
} from './standalone-throughput.ts';
import { type SyslogTcpResult, syslogTcpMarkdown, syslogTcpThroughput } from './syslog-tcp-throughput.ts';
import { type SyslogUdpResult, syslogUdpLoss, syslogUdpMarkdown } from './syslog-udp-loss.ts';

/** The shared Apache sample, read in place next to the project. */
const APACHE_ACCESS_LOG = fileURLToPath(new URL('../../shared/data/apache/access.log', import.meta.url));

const SUITES = ['standalone', 'file-kafka', 'syslog-tcp', 'syslog-udp', 'collector-memory'] as const;
type Suite = (typeof SUITES)[number];

const USAGE = `Usage: node bench/run.ts [options]

Suites (--suite, default standalone):
  standalone   Vigil's standalone data path (file → collector → in-process queue →
               processor → NDJSON) against a minimal baseline in the same process.
  file-kafka   The collector process shipping a file to Kafka, against kcat -P
               producing the same file to the same broker; gzip and no compression.
  syslog-tcp   The collector taking newline-framed RFC 5424 messages over TCP into
               Kafka, against its own file → Kafka rate in the same session.
  syslog-udp   UDP syslog into Kafka at several offered rates: delivered, dropped
               (by Vigil and by the kernel), and any loss nobody counted.
  collector-memory
               The collector's peak RSS and file → Kafka throughput with several
               Node flags variants (--memory-variants).
  all          All five, in this order.
The Kafka suites need the broker of \`npm run stack:up\`, kcat and GNU time.

Options:
  --suite <names>        standalone, file-kafka, syslog-tcp, syslog-udp, collector-memory or all;
                         comma-separated or repeated.
  --lines <count>        Input lines per run (default 200000 standalone, 500000 file-kafka and
                         collector-memory).
  --rounds <count>       Measured rounds; each runs baseline and Vigil back to back (default 3).
  --warmup <count>       Lines of an unmeasured warm-up round; 0 for none (default 20000).
  --messages <count>     syslog-tcp: messages per run (default 200000).
  --connections <count>  syslog-tcp: sender connections (default 4).
  --udp-rates <list>     syslog-udp: offered rates, messages/s (default 10000,30000,60000,100000).
  --udp-seconds <count>  syslog-udp: seconds each rate is offered (default 5).
  --vigil <builds>       Which vigil the collector processes run: dist (the production bundle
                         dist/vigil.mjs, built afresh first with scripts/build.ts) or source
                         (bin/vigil.ts). file-kafka, syslog-tcp, syslog-udp: one (default dist);
                         collector-memory: one or both, comma-separated (default source,dist).
  --node-flags <flags>   Node flags of the collector processes of file-kafka, syslog-tcp and
                         syslog-udp, on their command line in place of the shebang's, e.g.
                         --node-flags='--max-semi-space-size=2 --max-old-space-size=128' (default:
                         the flags of vigil's shebang, "${CLI_NODE_FLAGS}"; "none" for none; the
                         benchmark's own NODE_OPTIONS is never passed on).
  --memory-variants <list>
                         collector-memory: sets of Node flags separated by ";", "none" for none
                         (default "${DEFAULT_MEMORY_VARIANTS.map((v) => v || 'none').join(';')}").
  --brokers <list>       Kafka bootstrap brokers (default 127.0.0.1:9092).
  --dir <folder>         Where inputs and outputs go; its disk is the one fsync hits (default: the OS temp folder).
  --input <file>         Source of the lines (default ../shared/data/apache/access.log).
  --keep                 Keep the work folder (inputs) afterwards.
  --json                 Print JSON instead of Markdown.
  --save-json <file>     Also write the JSON report to this file.
  -h, --help             Show this help.
`;

interface Report {
  command: string;
  machine: Machine;
  standaloneThroughput?: StandaloneThroughputResult;
  fileKafka?: FileKafkaResult;
  syslogTcp?: SyslogTcpResult;
  syslogUdp?: SyslogUdpResult;
  collectorMemory?: CollectorMemoryResult;
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
  const source = options.input ?? APACHE_ACCESS_LOG;
  let admin: KafkaAdmin | undefined;
  try {
    const machine = describeMachine(workDir);
    progress(`Machine: ${machineLine(machine)}.`);
    const report: Report = { command: commandLine(), machine };
    if (options.suites.has('standalone')) {
      report.standaloneThroughput = await standaloneThroughput({
        source,
        lines: options.lines ?? 200_000,
        rounds: options.rounds,
        warmupLines: options.warmupLines,
        workDir,
        progress,
      });
    }
    const kafka = { workDir, brokers: options.brokers, progress, rounds: options.rounds, source };
    const nodeFlags = options.nodeFlags;
    const kafkaSuites = ['file-kafka', 'syslog-tcp', 'syslog-udp'] as const;
    const builds =
      options.vigil ?? (options.suites.has('collector-memory') ? DEFAULT_MEMORY_BUILDS : ['dist']);
    if (kafkaSuites.some((suite) => options.suites.has(suite)) && builds.length > 1) {
      throw new Error('file-kafka, syslog-tcp and syslog-udp take one --vigil build: dist or source.');
    }
    const vigil: VigilBuild = options.vigil?.[0] ?? 'dist';
    if (
      builds.includes('dist') ||
      (vigil === 'dist' && kafkaSuites.some((suite) => options.suites.has(suite)))
    ) {
      const bytes = await buildBundle();
      progress(`Built the bundle dist/vigil.mjs (${Math.round(bytes / 1024)} KiB).`);
    }
    if (options.suites.has('file-kafka')) {
      admin ??= await KafkaAdmin.connect(options.brokers);
      report.fileKafka = await fileKafkaThroughput({
        ...kafka,
        admin,
        lines: options.lines ?? 500_000,
        warmupLines: options.warmupLines,
        nodeFlags,
        vigil,
      });
    }
    if (options.suites.has('syslog-tcp')) {
      admin ??= await KafkaAdmin.connect(options.brokers);
      report.syslogTcp = await syslogTcpThroughput({
        ...kafka,
        admin,
        messages: options.messages,
        connections: options.connections,
        nodeFlags,
        vigil,
      });
    }
    if (options.suites.has('syslog-udp')) {
      admin ??= await KafkaAdmin.connect(options.brokers);
      report.syslogUdp = await syslogUdpLoss({
        ...kafka,
        admin,
        rates: options.udpRates,
        seconds: options.udpSeconds,
        nodeFlags,
        vigil,
      });
    }
    if (options.suites.has('collector-memory')) {
      admin ??= await KafkaAdmin.connect(options.brokers);
      report.collectorMemory = await collectorMemory({
        ...kafka,
        admin,
        lines: options.lines ?? 500_000,
        warmupLines: options.warmupLines,
        variants: options.memoryVariants,
        builds: options.vigil ?? DEFAULT_MEMORY_BUILDS,
        compression: 'gzip',
      });
    }
    const json = `${JSON.stringify(report, null, 2)}\n`;
    if (options.saveJson) await writeFile(options.saveJson, json);
    process.stdout.write(options.json ? json : markdown(report));
  } finally {
    await admin?.disconnect();
    if (options.keep) progress(`Work folder kept: ${workDir}`);
    else await rm(workDir, { recursive: true, force: true });
  }
  return 0;
}

interface Options {
  suites: Set<Suite>;
  /** Unset: each suite's own default. */
  lines: number | undefined;
  rounds: number;
  messages: number;
  connections: number;
  udpRates: number[];
  udpSeconds: number;
  nodeFlags: string;
  memoryVariants: string[];
  /** Unset: each suite's own default. */
  vigil: VigilBuild[] | undefined;
  brokers: string[];
  warmupLines: number;
  dir: string | undefined;
  input: string | undefined;
  keep: boolean;
  json: boolean;
  saveJson: string | undefined;
  help: boolean;
}

function parseOptions(): Options {
  const { values } = parseArgs({
    options: {
      suite: { type: 'string', multiple: true, default: ['standalone'] },
      lines: { type: 'string' },
      rounds: { type: 'string', default: '3' },
      warmup: { type: 'string', default: '20000' },
      messages: { type: 'string', default: '200000' },
      connections: { type: 'string', default: '4' },
      'udp-rates': { type: 'string', default: '10000,30000,60000,100000' },
      'udp-seconds': { type: 'string', default: '5' },
      'node-flags': { type: 'string', default: CLI_NODE_FLAGS },
      vigil: { type: 'string' },
      'memory-variants': { type: 'string' },
      brokers: { type: 'string', default: '127.0.0.1:9092' },
      dir: { type: 'string' },
      input: { type: 'string' },
      keep: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      'save-json': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  const suites = new Set<Suite>();
  for (const name of values.suite.flatMap((v) => v.split(','))) {
    if (name === 'all') for (const suite of SUITES) suites.add(suite);
    else if ((SUITES as readonly string[]).includes(name)) suites.add(name as Suite);
    else throw new Error(`--suite must be one of ${SUITES.join(', ')} or all, not "${name}".`);
  }
  return {
    suites,
    lines: values.lines === undefined ? undefined : positive(values.lines, '--lines'),
    rounds: positive(values.rounds, '--rounds'),
    messages: positive(values.messages, '--messages'),
    connections: positive(values.connections, '--connections'),
    udpRates: values['udp-rates'].split(',').map((rate) => positive(rate.trim(), '--udp-rates')),
    udpSeconds: positive(values['udp-seconds'], '--udp-seconds'),
    nodeFlags: values['node-flags'].trim() === 'none' ? '' : values['node-flags'].trim(),
    vigil: values.vigil === undefined ? undefined : vigilBuilds(values.vigil),
    memoryVariants:
      values['memory-variants'] === undefined
        ? DEFAULT_MEMORY_VARIANTS
        : values['memory-variants'].split(';').map((v) => (v.trim() === 'none' ? '' : v.trim())),
    brokers: values.brokers.split(',').map((b) => b.trim()),
    warmupLines: positive(values.warmup, '--warmup', true),
    dir: values.dir,
    input: values.input,
    keep: values.keep,
    json: values.json,
    saveJson: values['save-json'],
    help: values.help,
  };
}

function vigilBuilds(value: string): VigilBuild[] {
  const builds = value.split(',').map((v) => v.trim());
  for (const b of builds) {
    if (!(VIGIL_BUILDS as readonly string[]).includes(b)) {
      throw new Error(`--vigil must be dist, source or both (comma-separated), not "${b}".`);
    }
  }
  return [...new Set(builds)] as VigilBuild[];
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
  // Quoted as a POSIX shell would need it, so the command can be pasted back.
  const quote = (arg: string) => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", "'\\''")}'`);
  return ['node', script, ...process.argv.slice(2).map(quote)].join(' ');
}

function markdown(report: Report): string {
  const sections: string[] = [];
  const header = (title: string) => [
    `## ${title}`,
    '',
    `- Date: ${report.machine.date}`,
    `- Command: \`${report.command}\``,
    `- Machine: ${machineLine(report.machine)}`,
  ];
  if (report.standaloneThroughput) sections.push(standaloneMarkdown(report.standaloneThroughput, header));
  if (report.fileKafka) {
    sections.push(
      [...header('File → Kafka throughput'), ...fileKafkaMarkdown(report.fileKafka), ''].join('\n'),
    );
  }
  if (report.syslogTcp) {
    sections.push(
      [...header('TCP syslog → Kafka throughput'), ...syslogTcpMarkdown(report.syslogTcp), ''].join('\n'),
    );
  }
  if (report.syslogUdp) {
    sections.push(
      [...header('UDP syslog → Kafka: delivery and loss'), ...syslogUdpMarkdown(report.syslogUdp), ''].join(
        '\n',
      ),
    );
  }
  if (report.collectorMemory) {
    sections.push(
      [
        ...header('Collector memory: Node flags under file → Kafka load'),
        ...collectorMemoryMarkdown(report.collectorMemory),
        '',
      ].join('\n'),
    );
  }
  return sections.join('\n');
}

function standaloneMarkdown(r: StandaloneThroughputResult, header: (title: string) => string[]): string {
  const row = (label: string, s: PipelineSummary, ratio: number, cpuRatio: number) =>
    `| ${label} | ${count(s.medianLinesPerSecond)} | ` +
    `${count(s.minLinesPerSecond)}–${count(s.maxLinesPerSecond)} | ` +
    `${s.medianMegabytesPerSecond.toFixed(1)} | ${s.medianSeconds.toFixed(2)} | ${s.medianCpuSeconds.toFixed(2)} | ` +
    `${((s.medianCpuSeconds / r.lines) * 1e6).toFixed(1)} | ` +
    `${mib(s.peakRss)} (+${mib(s.medianRssGrowth)}) | ${mib(s.peakHeapUsed)} (+${mib(s.medianHeapGrowth)}) | ${mib(s.medianRetainedHeap)} | ` +
    `${ratio.toFixed(2)} | ${cpuRatio.toFixed(1)} |`;
  const rounds = r.runs
    .filter((run) => run.pipeline === 'baseline')
    .map((b, i) => {
      const v = r.runs.find((run) => run.pipeline === 'vigil' && run.round === b.round);
      return (
        `| ${b.round} | ${count(b.linesPerSecond)} | ${v ? count(v.linesPerSecond) : '–'} | ` +
        `${(r.roundRatios[i] ?? Number.NaN).toFixed(2)} |`
      );
    });
  return [
    ...header('Standalone throughput'),
    `- Input: ${count(r.lines)} Apache access lines (${(r.inputBytes / 1e6).toFixed(1)} MB), ` +
      `${r.rounds} round${r.rounds === 1 ? '' : 's'} alternating baseline and Vigil` +
      (r.warmupLines > 0 ? ` after an unmeasured warm-up round of ${count(r.warmupLines)} lines` : '') +
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
