import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { type Command, Option } from 'commander';
import { LOG_KINDS, LogGenerator, type LogKind } from '../../collector/demo/log-generator.ts';
import { parseConfig } from '../../core/config/loader.ts';
import { VigilError } from '../../core/errors.ts';
import { runComponents } from '../../core/lifecycle.ts';
import { createLogger } from '../../core/log.ts';
import { resourcePath } from '../../core/resources.ts';
import type { EventSink, IndexRequest, Rejection } from '../../processor/sinks/event-sink.ts';
import { vigilCommand } from './options.ts';

const DEMO_CONFIG = resourcePath('examples/demo.yaml');

/** Where each kind of generated line is written; the demo config tails these files. */
const FILE_OF: Record<LogKind, string> = {
  'linux.auth': 'logs/auth.log',
  'linux.syslog': 'logs/syslog',
  'apache.access': 'logs/apache2/access.log',
  'apache.error': 'logs/apache2/error.log',
};

interface DemoOptions {
  dataDir: string;
  lines: string;
  rate: string;
  follow: boolean;
  quiet: boolean;
  opensearch?: string;
}

export function demoCommand(): Command {
  return vigilCommand(
    'demo',
    'Run a self-contained demonstration: a built-in generator writes realistic sshd, sudo, cron, kernel ' +
      'and Apache log lines to files, and Vigil in standalone mode (the bundled examples/demo.yaml) tails ' +
      'them, turns each line into an ECS event and writes it to NDJSON files, printing what it ingests. ' +
      'Nothing else needs to be installed or running.',
  )
    .addOption(
      new Option('--data-dir <dir>', 'Keep the generated logs, checkpoints and events here.').default(
        '.vigil/demo',
      ),
    )
    .addOption(new Option('--lines <count>', 'Generate this many log lines, then stop.').default('300'))
    .addOption(new Option('--rate <per-second>', 'Generate this many lines per second.').default('100'))
    .addOption(
      new Option('--follow', 'Keep generating and ingesting until interrupted (Ctrl-C).').default(false),
    )
    .addOption(new Option('--quiet', 'Print only the summary, not every ingested event.').default(false))
    .addOption(new Option('--opensearch <url>', 'Index into this OpenSearch instead of NDJSON files.'))
    .action(async (options: DemoOptions) => {
      process.exitCode = await runDemo(options);
    });
}

async function runDemo(options: DemoOptions): Promise<number> {
  const { addStandalone, createRuntime } = await import('../runtime.ts');
  const lines = Number(options.lines);
  const rate = Number(options.rate);
  if (!Number.isInteger(lines) || lines <= 0) throw usage('--lines must be a positive whole number');
  if (!Number.isFinite(rate) || rate <= 0) throw usage('--rate must be a positive number');
  const dataDir = resolve(options.dataDir);
  const env = { ...process.env, VIGIL_DEMO_DIR: dataDir };
  const config = parseConfig(await readFile(DEMO_CONFIG, 'utf8'), 'examples/demo.yaml', { env });
  if (options.opensearch) {
    config.opensearch = parseConfig(
      `opensearch:\n  url: ${JSON.stringify(options.opensearch)}\n  index_replicas: 0\n`,
      '--opensearch',
      {
        env,
      },
    ).opensearch;
  }
  for (const file of Object.values(FILE_OF)) await mkdir(dirname(join(dataDir, file)), { recursive: true });

  // Vigil's own log goes to standard error at warning level so the event feed stays readable.
  const logger = createLogger({ level: 'warn', destination: process.stderr });
  const runtime = createRuntime(config, { logger });
  let ingested = 0;
  const perDataset = new Map<string, number>();
  let allIngested: () => void = () => {};
  const finished = new Promise<void>((resolve) => {
    allIngested = resolve;
  });
  await addStandalone(runtime, {
    wrapSink: (sink) =>
      tap(sink, (request) => {
        ingested += 1;
        const dataset = request.event.event.dataset;
        perDataset.set(dataset, (perDataset.get(dataset) ?? 0) + 1);
        if (!options.quiet) process.stdout.write(`${dataset.padEnd(14)} ${request.event.message}\n`);
        if (!options.follow && ingested >= lines) allIngested();
      }),
  });

  const generator = new LogGenerator({ seed: Date.now() >>> 0 });
  const stopGenerating = new AbortController();
  const generating = (async () => {
    const intervalMs = 100;
    const perTick = Math.max(1, Math.round((rate * intervalMs) / 1000));
    let written = 0;
    while (!stopGenerating.signal.aborted && (options.follow || written < lines)) {
      const count = options.follow ? perTick : Math.min(perTick, lines - written);
      const byFile = new Map<string, string[]>();
      for (const { kind, line } of generator.lines(count)) {
        const file = join(dataDir, FILE_OF[kind as LogKind] ?? FILE_OF[LOG_KINDS[0]]);
        const list = byFile.get(file) ?? [];
        list.push(line);
        byFile.set(file, list);
      }
      for (const [file, list] of byFile) await appendFile(file, `${list.join('\n')}\n`);
      written += count;
      await new Promise((r) => setTimeout(r, intervalMs));
    }
  })();

  process.stdout.write(
    `Vigil demo: generating ${options.follow ? 'log lines until interrupted' : `${lines} log lines`} ` +
      `under ${join(dataDir, 'logs')}; events go to ${config.opensearch ? config.opensearch.url : join(dataDir, 'events')}.\n`,
  );
  const code = await runComponents(runtime.group, {
    logger,
    // Without --follow the demo ends by itself once every generated line is ingested.
    ...(options.follow ? {} : { until: finished }),
  });
  stopGenerating.abort();
  await generating;
  const breakdown = [...perDataset].map(([d, n]) => `${d} ${n}`).join(', ');
  process.stdout.write(
    `\nIngested ${ingested} events (${breakdown || 'none'}) into ` +
      `${config.opensearch ? config.opensearch.url : join(dataDir, 'events')}.\n` +
      'Run `npm run demo -- --follow` to keep going, or `vigil run -c <your vigil.yaml>` for real logs.\n',
  );
  return code;
}

function tap(sink: EventSink, onEvent: (request: IndexRequest) => void): EventSink {
  return {
    name: sink.name,
    start: () => sink.start(),
    ready: () => sink.ready(),
    stop: () => sink.stop(),
    async write(requests, signal): Promise<Rejection[]> {
      const rejections = await sink.write(requests, signal);
      const rejected = new Set(rejections.map((r) => r.request));
      for (const request of requests) if (!rejected.has(request)) onEvent(request);
      return rejections;
    },
  };
}

function usage(message: string): VigilError {
  return new VigilError('USAGE', message);
}
