#!/usr/bin/env -S node --disable-warning=TimeoutNegativeWarning --max-semi-space-size=8 --heap-growing-percent=75
/**
 * The `vigil` command line. Exit codes: 0 success, 1 runtime failure,
 * 2 usage or configuration error.
 */
import { Command, CommanderError } from 'commander';
import { isVigilError } from '../core/errors.ts';
import { VIGIL_VERSION } from '../core/version.ts';
import { alerterCommand } from './commands/alerter.ts';
import { alertsCommand } from './commands/alerts.ts';
import { collectorCommand } from './commands/collector.ts';
import { configCommand } from './commands/config.ts';
import { correlatorCommand } from './commands/correlator.ts';
import { demoCommand } from './commands/demo.ts';
import { grokCommand } from './commands/grok.ts';
import { processorCommand } from './commands/processor.ts';
import { retentionCommand } from './commands/retention.ts';
import { rulesCommand } from './commands/rules.ts';
import { runCommand } from './commands/run.ts';
import { setupCommand } from './commands/setup.ts';

/** How long the process may linger after a command finished before it exits anyway. */
const EXIT_GRACE_MS = 2000;

export function buildProgram(): Command {
  const program = new Command('vigil')
    .description(
      'Vigil collects logs from files and syslog, ships them through Kafka, parses and enriches them, ' +
        'detects threats with Sigma rules, and indexes every event into OpenSearch.',
    )
    .version(VIGIL_VERSION, '-V, --version', 'Print the version of Vigil and exit.')
    .helpOption('-h, --help', 'Show this help and exit.')
    .helpCommand('help [command]', 'Show the help of a command.')
    .showSuggestionAfterError(true)
    .exitOverride();
  for (const command of [
    collectorCommand(),
    processorCommand(),
    correlatorCommand(),
    runCommand(),
    setupCommand(),
    retentionCommand(),
    demoCommand(),
    configCommand(),
    grokCommand(),
    rulesCommand(),
    alerterCommand(),
    alertsCommand(),
  ]) {
    program.addCommand(command);
  }
  program.addHelpText(
    'after',
    '\nExit codes: 0 success, 1 runtime failure, 2 usage or configuration error.\n' +
      'Every command reads one configuration file (vigil.yaml); see docs/configuration.md.',
  );
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (
        error.code === 'commander.helpDisplayed' ||
        error.code === 'commander.version' ||
        error.code === 'commander.help'
      ) {
        return 0;
      }
      return 2;
    }
    if (isVigilError(error)) {
      process.stderr.write(`vigil: ${error.message}\n`);
      return error.exitCode;
    }
    process.stderr.write(
      `vigil: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    return 1;
  }
}

if (import.meta.main) {
  const code = await main(process.argv.slice(2));
  process.exitCode = code;
  // Everything is stopped and saved by now. A client library that keeps
  // retrying a connection in the background (kafkajs with a broker down)
  // must not keep the process alive: exit after a short grace period.
  setTimeout(() => process.exit(code), EXIT_GRACE_MS).unref();
}
