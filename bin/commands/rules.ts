/**
 * `vigil rules validate|test|list|match`: working with Sigma rules offline,
 * without any service. Exit codes: 0 success, 1 a test failed, 2 a rule,
 * pipeline or test file has a problem, or the command line is wrong.
 */
import { createReadStream, existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { type Command, Option } from 'commander';
import { VigilError } from '../../core/errors.ts';
import { vigilCommand } from './options.ts';

interface CommonOptions {
  pipeline?: string[];
  builtinPipeline: boolean;
  placeholder?: string[];
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

function withCommonOptions(command: Command): Command {
  return command
    .addOption(
      new Option(
        '--pipeline <file>',
        "Apply this mapping pipeline before Vigil's ECS pipeline; may be repeated.",
      ).argParser(collect),
    )
    .addOption(new Option('--no-builtin-pipeline', "Do not apply Vigil's ECS mapping pipeline."))
    .addOption(
      new Option(
        '--placeholder <name=values>',
        'Give an expand placeholder its values, comma-separated (Administrators=root,admin); may be repeated.',
      ).argParser(collect),
    );
}

function loadOptions(paths: string[], options: CommonOptions) {
  const placeholders: Record<string, string[]> = {};
  for (const spec of options.placeholder ?? []) {
    const eq = spec.indexOf('=');
    if (eq <= 0) throw new VigilError('USAGE', `--placeholder ${spec}: write name=value1,value2.`);
    placeholders[spec.slice(0, eq).replace(/^%|%$/g, '')] = spec.slice(eq + 1).split(',');
  }
  return {
    paths,
    pipelines: options.pipeline ?? [],
    builtinPipeline: options.builtinPipeline,
    placeholders,
  };
}

const EXIT_CODES =
  '\nExit codes: 0 success, 1 a rule test failed, 2 a rule, pipeline or test file has a problem, or a usage error.';

export function rulesCommand(): Command {
  const command = vigilCommand('rules', 'Validate, test, list and try Sigma detection rules, offline.');

  command.addCommand(
    withCommonOptions(
      vigilCommand(
        'validate',
        'Load rule files and folders and list every problem, with file, line and column.',
      )
        .argument('<paths...>', 'Rule files, or folders searched for *.yml and *.yaml.')
        .addOption(
          new Option(
            '--notes',
            'Also print notes: correlation rules kept, unmapped log sources, unused selections.',
          ),
        ),
    )
      .addHelpText('after', EXIT_CODES)
      .action(async (paths: string[], options: CommonOptions & { notes?: boolean }) => {
        process.exitCode = await validate(paths, options);
      }),
  );

  command.addCommand(
    withCommonOptions(
      vigilCommand('test', 'Run the test cases beside the rules (name.tests.yml next to name.yml), offline.')
        .argument('<paths...>', 'Rule files, or folders searched for *.yml and *.yaml.')
        .addOption(
          new Option('--require-tests', 'Fail when a rule lacks a matching or a non-matching test case.'),
        )
        .addOption(new Option('--verbose', 'Print every case, not only the failures.')),
    )
      .addHelpText('after', EXIT_CODES)
      .action(
        async (paths: string[], options: CommonOptions & { requireTests?: boolean; verbose?: boolean }) => {
          process.exitCode = await test(paths, options);
        },
      ),
  );

  command.addCommand(
    withCommonOptions(
      vigilCommand('list', 'List the rules: id, title, level, log source and status.')
        .argument('[paths...]', "Rule files or folders (default: Vigil's rule pack).")
        .addOption(new Option('--json', 'Print one JSON object per rule.')),
    )
      .addHelpText('after', EXIT_CODES)
      .action(async (paths: string[], options: CommonOptions & { json?: boolean }) => {
        process.exitCode = await list(paths, options);
      }),
  );

  command.addCommand(
    withCommonOptions(
      vigilCommand(
        'match',
        'Match events (NDJSON, one ECS event per line) against rules and print the rules each matches.',
      )
        .argument('<paths...>', 'Rule files, or folders searched for *.yml and *.yaml.')
        .addOption(
          new Option(
            '--events <file>',
            'The events: an NDJSON file, or - for standard input.',
          ).makeOptionMandatory(),
        ),
    )
      .addHelpText(
        'after',
        '\nOutput: one JSON line per input line, in order: {"line":1,"rules":["<rule id>",…]}, or {"line":2,"error":"…"} for a line that is not a JSON object.' +
          EXIT_CODES,
      )
      .action(async (paths: string[], options: CommonOptions & { events: string }) => {
        process.exitCode = await match(paths, options);
      }),
  );
  return command;
}

async function engine() {
  // Loaded on demand, so that other commands do not pay for the rule engine.
  return import('../../rules/sigma/index.ts');
}

async function validate(paths: string[], options: CommonOptions & { notes?: boolean }): Promise<number> {
  const { loadRuleSet, formatProblem, formatNote } = await engine();
  const loaded = loadRuleSet(loadOptions(paths, options));
  const out: string[] = loaded.problems.map(formatProblem);
  if (options.notes) out.push(...loaded.notes.map((n) => `note: ${formatNote(n)}`));
  const stats = loaded.ruleSet.stats();
  out.push(
    `${loaded.files.length} file${loaded.files.length === 1 ? '' : 's'}: ${stats.rules} detection rule${stats.rules === 1 ? '' : 's'} compiled, ` +
      `${stats.filters} filter${stats.filters === 1 ? '' : 's'}, ${stats.correlations} correlation rule${stats.correlations === 1 ? '' : 's'} (kept for the correlator); ` +
      `${loaded.problems.length} problem${loaded.problems.length === 1 ? '' : 's'}, ${loaded.notes.length} note${loaded.notes.length === 1 ? '' : 's'}${options.notes || loaded.notes.length === 0 ? '' : ' (--notes shows them)'}.`,
  );
  process.stdout.write(`${out.join('\n')}\n`);
  return loaded.problems.length > 0 ? 2 : 0;
}

async function test(
  paths: string[],
  options: CommonOptions & { requireTests?: boolean; verbose?: boolean },
): Promise<number> {
  const { formatProblem } = await engine();
  const { runRuleTests } = await import('../../rules/sigma/testing.ts');
  const report = runRuleTests(loadOptions(paths, options), existsSync);
  const out: string[] = report.problems.map(formatProblem);
  let failed = 0;
  for (const result of report.results) {
    if (result.passed && !options.verbose) continue;
    if (!result.passed) failed++;
    const expectation = result.match ? 'should match' : 'should not match';
    out.push(
      `${result.passed ? 'ok  ' : 'FAIL'} ${result.file}:${result.line} ${result.name}: rule ${result.rule} ${expectation}` +
        (result.passed
          ? ''
          : `; matched rules: ${result.matched.length ? result.matched.join(', ') : 'none'}`),
    );
  }
  if (options.requireTests) {
    for (const missing of report.untested) {
      failed++;
      out.push(
        `FAIL ${missing.file}: rule ${missing.rule} has no test case with ${missing.missing.join(' and ')}`,
      );
    }
  }
  // Correlation rules: timestamped event sequences with the alerts they must (and must not) raise.
  const { loadCorrelations } = await import('../../rules/correlation/load.ts');
  const { runCorrelationTests } = await import('../../rules/correlation/testing.ts');
  const correlations = loadCorrelations({ paths });
  const correlationTests = runCorrelationTests(correlations.set, existsSync);
  const correlationProblems = [...correlations.problems, ...correlationTests.problems];
  out.push(...correlationProblems.map(formatProblem));
  report.problems.push(...correlationProblems);
  for (const result of correlationTests.results) {
    if (result.passed && !options.verbose) continue;
    if (!result.passed) failed++;
    out.push(
      `${result.passed ? 'ok  ' : 'FAIL'} ${result.file}:${result.line} ${result.name}: correlation ${result.correlation}` +
        (result.passed ? '' : `; ${result.differences.join('; ')}`),
    );
  }
  const passed =
    report.results.filter((r) => r.passed).length + correlationTests.results.filter((r) => r.passed).length;
  const cases = report.results.length + correlationTests.results.length;
  const rules = report.loaded.ruleSet.size + correlations.set.correlations.length;
  out.push(
    `${passed} of ${cases} case${cases === 1 ? '' : 's'} passed, for ${rules} rule${rules === 1 ? '' : 's'}` +
      `${report.untested.length > 0 && !options.requireTests ? `; ${report.untested.length} rule${report.untested.length === 1 ? ' lacks' : 's lack'} a matching or non-matching case` : ''}` +
      `${report.problems.length > 0 ? `; ${report.problems.length} problem${report.problems.length === 1 ? '' : 's'}` : ''}.`,
  );
  process.stdout.write(`${out.join('\n')}\n`);
  if (report.problems.length > 0) return 2;
  return failed > 0 ? 1 : 0;
}

async function list(paths: string[], options: CommonOptions & { json?: boolean }): Promise<number> {
  const { loadRuleSet, formatProblem, RULE_PACK_DIR } = await engine();
  const loaded = loadRuleSet(loadOptions(paths.length > 0 ? paths : [RULE_PACK_DIR], options));
  const rows = loaded.documents.map((doc) => ({
    id: doc.id ?? null,
    title: doc.title,
    kind: doc.kind,
    level: doc.kind === 'filter' ? null : (doc.level ?? null),
    status: doc.kind === 'rule' ? (doc.status ?? null) : null,
    logsource: doc.kind === 'correlation' ? null : doc.logsource,
    file: doc.file,
  }));
  const out: string[] = [];
  if (options.json) {
    for (const row of rows) out.push(JSON.stringify(row));
  } else {
    const logsource = (l: Record<string, string> | null) =>
      l === null ? '-' : Object.values(l).join('/') || '-';
    const table = [
      ['ID', 'LEVEL', 'STATUS', 'LOGSOURCE', 'TITLE'],
      ...rows.map((r) => [
        r.id ?? '-',
        r.kind === 'rule' ? (r.level ?? '-') : r.kind,
        r.status ?? '-',
        logsource(r.logsource as Record<string, string> | null),
        r.title,
      ]),
    ];
    const widths = [0, 1, 2, 3].map((i) => Math.max(...table.map((row) => (row[i] as string).length)));
    for (const row of table)
      out.push(row.map((cell, i) => (i < 4 ? cell.padEnd(widths[i] as number) : cell)).join('  '));
  }
  process.stdout.write(`${out.join('\n')}\n`);
  if (loaded.problems.length > 0) {
    process.stderr.write(`${loaded.problems.map(formatProblem).join('\n')}\n`);
    return 2;
  }
  return 0;
}

async function match(paths: string[], options: CommonOptions & { events: string }): Promise<number> {
  const { loadRuleSet, formatProblem } = await engine();
  const loaded = loadRuleSet(loadOptions(paths, options));
  if (loaded.problems.length > 0) {
    process.stderr.write(`${loaded.problems.map(formatProblem).join('\n')}\n`);
    return 2;
  }
  const ruleSet = loaded.ruleSet;
  const { loadCorrelations } = await import('../../rules/correlation/load.ts');
  const { evaluateCorrelations } = await import('../../rules/correlation/evaluate.ts');
  const loadedCorrelations = loadCorrelations({ paths });
  if (loadedCorrelations.problems.length > 0) {
    process.stderr.write(`${loadedCorrelations.problems.map(formatProblem).join('\n')}\n`);
    return 2;
  }
  const correlations = loadedCorrelations.set;
  const matched: Array<{ event: Record<string, unknown>; rules: string[]; eventId: string }> = [];
  const input = options.events === '-' ? process.stdin : createReadStream(options.events, 'utf8');
  let number = 0;
  let buffer = '';
  const flush = async (): Promise<void> => {
    if (buffer === '') return;
    const chunk = buffer;
    buffer = '';
    if (!process.stdout.write(chunk)) await new Promise((resolve) => process.stdout.once('drain', resolve));
  };
  try {
    for await (const line of createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY })) {
      number++;
      if (line.trim() === '') continue;
      let event: unknown;
      try {
        event = JSON.parse(line);
      } catch (error) {
        buffer += `${JSON.stringify({ line: number, error: `not JSON: ${(error as Error).message}` })}\n`;
        continue;
      }
      if (typeof event !== 'object' || event === null || Array.isArray(event)) {
        buffer += `${JSON.stringify({ line: number, error: 'not a JSON object' })}\n`;
        continue;
      }
      const hits = ruleSet.match(event as Record<string, unknown>);
      const rules = hits.map((h) => h.ruleId);
      buffer += `${JSON.stringify({ line: number, rules })}\n`;
      // Events that feed a correlation are kept for the correlation pass at the end.
      const feeding = hits.filter((h) => correlations.usesRule({ id: h.ruleId, name: h.rule.name }));
      if (feeding.length > 0) {
        matched.push({
          event: event as Record<string, unknown>,
          rules: feeding.flatMap((h) => (h.rule.name ? [h.ruleId, h.rule.name] : [h.ruleId])),
          eventId: `line-${number}`,
        });
      }
      if (buffer.length >= 65_536) await flush();
    }
  } catch (error) {
    throw new VigilError('SOURCE_IO', `Cannot read ${options.events}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  // Correlation rules over the matching events in timestamp order; open windows close at the end.
  for (const alert of evaluateCorrelations(correlations, matched)) {
    buffer += `${JSON.stringify({ correlation: alert })}\n`;
    if (buffer.length >= 65_536) await flush();
  }
  await flush();
  return 0;
}
