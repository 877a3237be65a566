/**
 * `node bench/grok.ts`: grok on the 10,000 real Apache lines
 * (../shared/data/apache/access.log), repeated. Measures, per core (CPU time
 * of this single-threaded process, from process.cpuUsage):
 *
 * - matching lines/s: `GrokMatcher.match` with the combined-log expression
 *   built from the base patterns, fields extracted and converted;
 * - the same compiled RegExp's bare `exec` on the same lines, in the same
 *   rounds, so that the cost of field extraction is a ratio on one machine;
 * - non-matching lines/s: lines of other formats that fail early (JSON,
 *   RFC 5424 syslog) and ones that fail late (an Apache line cut short);
 * - the same without anchoring, and with every match timed by the budget.
 *
 * Each case runs once per round, interleaved with the others, after a
 * warm-up round; the report gives the median and range over the rounds.
 * It prints Markdown (or JSON with --json); progress goes to standard error.
 * Benchmarks measure and record; they never fail on a number.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { compileGrok, type GrokMatcher } from '../processor/parsers/grok/matcher.ts';
import { describeMachine, type Machine, machineLine } from './machine.ts';
import { median } from './measure.ts';

const DEFAULT_INPUT = fileURLToPath(new URL('../../shared/data/apache/access.log', import.meta.url));

const USAGE = `Usage: node bench/grok.ts [options]

Options:
  --lines <count>   Lines per case and round: the sample lines, repeated (default 200000).
  --rounds <count>  Measured rounds (default 7).
  --input <file>    Source of the Apache lines (default ../shared/data/apache/access.log).
  --json            Print JSON instead of Markdown.
  -h, --help        Show this help.
`;

/** The combined log format, from Vigil's base patterns, with ECS field names. */
export const COMBINED =
  '%{IPORHOST:source.address} %{USER:apache.access.user.identity} %{USER:user.name} \\[%{HTTPDATE:timestamp}\\] ' +
  '"(?:%{WORD:http.request.method} %{NOTSPACE:url.original}(?: HTTP/%{NUMBER:http.version})?|%{DATA:http.request.raw})" ' +
  '%{INT:http.response.status_code:int} (?:%{INT:http.response.body.bytes:int}|-) ' +
  '%{QS:http.request.referrer} %{QS:user_agent.original}';

interface Case {
  name: string;
  /** What the case runs per line; returns something that depends on the work done. */
  run: (line: string) => number;
  input: readonly string[];
  /** The case `× bare exec` is relative to. */
  baseline?: string;
}

interface CaseResult {
  name: string;
  linesPerSecond: number;
  min: number;
  max: number;
  cpuNsPerLine: number;
  matched: number;
  lines: number;
  timesBaseline?: number;
  baseline?: string;
}

interface Report {
  command: string;
  machine: Machine;
  expression: string;
  regexLength: number;
  guard: string;
  linesPerRound: number;
  rounds: number;
  results: CaseResult[];
}

function main(): number {
  let values: { lines?: string; rounds?: string; input?: string; json?: boolean; help?: boolean };
  try {
    ({ values } = parseArgs({
      options: {
        lines: { type: 'string' },
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
  const linesPerRound = Number(values.lines ?? 200_000);
  const rounds = Number(values.rounds ?? 7);
  if (!Number.isInteger(linesPerRound) || linesPerRound <= 0 || !Number.isInteger(rounds) || rounds <= 0) {
    process.stderr.write(`--lines and --rounds take positive whole numbers.\n\n${USAGE}`);
    return 2;
  }
  const machine = describeMachine(process.cwd());
  progress(`Machine: ${machineLine(machine)}.`);

  const sample = readFileSync(values.input ?? DEFAULT_INPUT, 'utf8')
    .split('\n')
    .filter((line) => line !== '');
  const repeat = (lines: readonly string[]): string[] =>
    Array.from({ length: linesPerRound }, (_, i) => lines[i % lines.length] as string);
  // Fresh strings, so that no case benefits from another's string caches (hash, flattening).
  const apache = repeat(sample).map((line) => ` ${line}`.slice(1));
  const json = repeat(sample.map((line) => JSON.stringify({ message: line, host: 'web-01' })));
  const rfc5424 = repeat(
    sample.map(
      (line, i) => `<134>1 2015-05-17T10:05:${String(i % 60).padStart(2, '0')}Z web-01 apache - - - ${line}`,
    ),
  );
  // Apache lines cut before the user agent: they fail at the very end.
  const truncated = repeat(sample.map((line) => line.slice(0, line.lastIndexOf(' "'))));

  const anchored = compileGrok([COMBINED], { anchor: 'start' });
  const floating = compileGrok([COMBINED], { anchor: 'none' });
  const timed = compileGrok([COMBINED], { anchor: 'start', budget: { timeAll: true } });
  const regex = (anchored.expressions[0] as GrokMatcher['expressions'][number]).regex;
  const floatingRegex = (floating.expressions[0] as GrokMatcher['expressions'][number]).regex;
  const match = (grok: GrokMatcher) => (line: string) => (grok.match(line) === undefined ? 0 : 1);
  const exec = (re: RegExp) => (line: string) => (re.exec(line) === null ? 0 : 1);

  const cases: Case[] = [
    { name: 'matching, bare RegExp.exec (anchored)', run: exec(regex), input: apache },
    {
      name: 'matching, grok match with fields (anchored)',
      run: match(anchored),
      input: apache,
      baseline: 'matching, bare RegExp.exec (anchored)',
    },
    {
      name: 'matching, grok match, every match timed by the budget',
      run: match(timed),
      input: apache,
      baseline: 'matching, bare RegExp.exec (anchored)',
    },
    { name: 'matching, bare RegExp.exec (unanchored)', run: exec(floatingRegex), input: apache },
    {
      name: 'matching, grok match with fields (unanchored)',
      run: match(floating),
      input: apache,
      baseline: 'matching, bare RegExp.exec (unanchored)',
    },
    { name: 'non-matching: JSON lines (anchored)', run: match(anchored), input: json },
    { name: 'non-matching: RFC 5424 syslog lines (anchored)', run: match(anchored), input: rfc5424 },
    {
      name: 'non-matching: Apache lines cut short, failing at the end (anchored)',
      run: match(anchored),
      input: truncated,
    },
    { name: 'non-matching: JSON lines (unanchored)', run: match(floating), input: json },
  ];

  progress(
    `Warm-up round, then ${rounds} measured rounds of ${linesPerRound.toLocaleString('en-US')} lines per case.`,
  );
  const seconds = new Map<string, number[]>(cases.map((c) => [c.name, []]));
  const matched = new Map<string, number>();
  for (let round = 0; round <= rounds; round++) {
    for (const c of cases) {
      const before = process.cpuUsage();
      let sum = 0;
      const { input, run } = c;
      for (let i = 0; i < input.length; i++) sum += run(input[i] as string);
      const cpu = process.cpuUsage(before);
      if (round === 0) continue;
      (seconds.get(c.name) as number[]).push((cpu.user + cpu.system) / 1e6);
      matched.set(c.name, sum);
    }
    if (round > 0) progress(`Round ${round} of ${rounds} done.`);
  }

  const results: CaseResult[] = cases.map((c) => {
    const runs = seconds.get(c.name) as number[];
    const rates = runs.map((s) => c.input.length / s);
    const medianSeconds = median(runs);
    return {
      name: c.name,
      linesPerSecond: c.input.length / medianSeconds,
      min: Math.min(...rates),
      max: Math.max(...rates),
      cpuNsPerLine: (medianSeconds / c.input.length) * 1e9,
      matched: matched.get(c.name) ?? 0,
      lines: c.input.length,
      ...(c.baseline ? { baseline: c.baseline } : {}),
    };
  });
  for (const result of results) {
    if (!result.baseline) continue;
    // The ratio per round (same round, same machine state), then its median.
    const own = seconds.get(result.name) as number[];
    const base = seconds.get(result.baseline) as number[];
    result.timesBaseline = median(own.map((s, i) => s / (base[i] as number)));
  }

  const report: Report = {
    command: ['node', 'bench/grok.ts', ...process.argv.slice(2)].join(' '),
    machine,
    expression: COMBINED,
    regexLength: regex.source.length,
    guard: anchored.stats()[0]?.guard ?? 'none',
    linesPerRound,
    rounds,
    results,
  };
  process.stdout.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : markdown(report));
  return 0;
}

function markdown(report: Report): string {
  const n = (x: number) => Math.round(x).toLocaleString('en-US');
  const rows = report.results.map(
    (r) =>
      `| ${r.name} | ${n(r.linesPerSecond)} | ${n(r.min)}–${n(r.max)} | ${Math.round(r.cpuNsPerLine)} | ` +
      `${n(r.matched)} of ${n(r.lines)} | ${r.timesBaseline === undefined ? '' : `${r.timesBaseline.toFixed(2)}×`} |`,
  );
  return [
    `## Grok — ${report.machine.date.slice(0, 10)}`,
    '',
    `- Date: ${report.machine.date}`,
    `- Command: \`${report.command}\``,
    `- Machine: ${machineLine(report.machine)}`,
    `- Input: the 10,000 Apache lines of the shared sample, repeated to ${n(report.linesPerRound)} lines per case; ` +
      `${report.rounds} measured rounds after a warm-up round, cases interleaved; medians over the rounds, CPU time of the process.`,
    `- Expression (combined log, base patterns, ${n(report.regexLength)} characters of RegExp source, guard: ${report.guard}):`,
    '',
    '  ```',
    `  ${report.expression}`,
    '  ```',
    '',
    '| Case | Lines/s per core | Range | CPU ns/line | Matched | × bare exec |',
    '| --- | ---: | ---: | ---: | ---: | ---: |',
    ...rows,
    '',
  ].join('\n');
}

function progress(message: string): void {
  process.stderr.write(`${message}\n`);
}

if (import.meta.main) process.exitCode = main();
