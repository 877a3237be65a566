import { type Command, Option } from 'commander';
import { configOption, vigilCommand } from './options.ts';

interface SetupOptions {
  config: string;
  only?: 'kafka' | 'opensearch';
  check?: boolean;
}

/** One line of the report: a thing Vigil set up and what happened to it. */
interface ReportLine {
  subject: string;
  action: 'created' | 'updated' | 'unchanged' | 'skipped';
  detail: string;
  warnings: string[];
}

export function setupCommand(): Command {
  return vigilCommand(
    'setup',
    'Create or update what Vigil needs in Kafka and OpenSearch: the topics vigil.raw, vigil.signals, ' +
      'vigil.alerts and vigil.dlq with their partitions and topic configs, the event and alerts index ' +
      'templates with their aliases, and the retention policies where OpenSearch has the index-management plugin. ' +
      'It changes only what differs from the configuration and this version of Vigil, prints one line per item ' +
      '(created, updated, unchanged), and is safe to run again, for instance after an upgrade.',
  )
    .addOption(configOption())
    .addOption(new Option('--only <service>', 'Set up only this service.').choices(['kafka', 'opensearch']))
    .addOption(
      new Option(
        '--check',
        'Change nothing: report what would change, and exit 1 if anything would (for upgrades and CI).',
      ),
    )
    .action(async (options: SetupOptions) => {
      const { loadConfig } = await import('../runtime.ts');
      const { createKafka, reconcileTopics } = await import('../../core/clients/kafka.ts');
      const { createOpenSearch } = await import('../../core/clients/opensearch.ts');
      const { createLogger } = await import('../../core/log.ts');
      const { isVigilError, VigilError } = await import('../../core/errors.ts');
      const { setupOpenSearch } = await import('../../processor/sinks/opensearch/setup.ts');
      const config = loadConfig(options.config);
      const dryRun = options.check === true;
      // The Kafka client's own messages only with VIGIL_LOG_LEVEL; the report says what matters.
      const logger = createLogger({ level: 'fatal', destination: process.stderr });
      const report = new Report(dryRun);
      const withConfigHint = (error: unknown): unknown =>
        isVigilError(error) && /UNAVAILABLE|REJECTED/.test(error.code)
          ? new VigilError(error.code, `${error.message} (configuration: ${options.config})`, {
              cause: error.cause,
            })
          : error;

      if (options.only !== 'opensearch') {
        try {
          await assertSomeBrokerListens(config.kafka.brokers, config.kafka.connection_timeout_ms);
          const changes = await reconcileTopics(createKafka(config.kafka, logger, 'setup'), config.kafka, {
            dryRun,
          });
          for (const change of changes) {
            report.add({
              subject: `Kafka topic ${change.topic}`,
              action: change.action,
              detail: change.changes.length > 0 ? `(${change.changes.join(', ')})` : '',
              warnings: change.warnings,
            });
          }
        } catch (error) {
          throw withConfigHint(error);
        }
      }
      if (options.only !== 'kafka') {
        if (!config.opensearch) {
          process.stdout.write(
            'OpenSearch: not configured (no opensearch section); events are written to NDJSON files.\n',
          );
        } else {
          const client = createOpenSearch(config.opensearch);
          try {
            for (const item of await setupOpenSearch(client, config.opensearch, { dryRun })) {
              report.add({ ...item, subject: `OpenSearch ${item.subject}` });
            }
          } catch (error) {
            throw withConfigHint(error);
          } finally {
            await client.close();
          }
        }
      }
      report.finish();
    });
}

/**
 * Fails at once when no broker accepts a TCP connection, instead of after the
 * Kafka client's retries (half a minute and more).
 */
async function assertSomeBrokerListens(brokers: string[], timeoutMs: number): Promise<void> {
  const { connect } = await import('node:net');
  const { VigilError } = await import('../../core/errors.ts');
  const listens = (address: string) =>
    new Promise<string | undefined>((resolve) => {
      const at = address.lastIndexOf(':');
      const host = address.slice(0, at).replace(/^\[|\]$/g, '');
      const socket = connect({ host, port: Number(address.slice(at + 1)), timeout: timeoutMs });
      socket.once('connect', () => {
        socket.destroy();
        resolve(undefined);
      });
      socket.once('error', (error) => resolve(error.message));
      socket.once('timeout', () => {
        socket.destroy();
        resolve(`no answer within ${timeoutMs} ms`);
      });
    });
  const failures = await Promise.all(brokers.map(listens));
  if (failures.every((f) => f !== undefined)) {
    throw new VigilError(
      'KAFKA_UNAVAILABLE',
      `Cannot reach Kafka at ${brokers.join(', ')}: ${failures.join('; ')}. Is Kafka running there? Check kafka.brokers in the configuration.`,
    );
  }
}

/** Prints each item as it becomes known (warnings to stderr), then a summary; sets exit code 1 when `--check` finds changes. */
class Report {
  readonly #dryRun: boolean;
  readonly #counts = { created: 0, updated: 0, unchanged: 0, skipped: 0 };

  constructor(dryRun: boolean) {
    this.#dryRun = dryRun;
  }

  add(line: ReportLine): void {
    const changes = line.action === 'created' || line.action === 'updated';
    const verb = this.#dryRun && changes ? `would be ${line.action}` : line.action;
    process.stdout.write(`${line.subject}: ${verb}${line.detail ? ` ${line.detail}` : ''}.\n`);
    for (const warning of line.warnings)
      process.stderr.write(`vigil: warning: ${line.subject}: ${warning}.\n`);
    this.#counts[line.action] += 1;
  }

  finish(): void {
    const { created, updated, unchanged } = this.#counts;
    const changed = created + updated;
    if (!this.#dryRun) {
      process.stdout.write(
        `Setup finished: ${created} created, ${updated} updated, ${unchanged} unchanged.\n`,
      );
    } else if (changed === 0) {
      process.stdout.write('Nothing would change.\n');
    } else {
      process.stdout.write(
        `${changed} ${changed === 1 ? 'item' : 'items'} would change; run vigil setup to apply.\n`,
      );
      process.exitCode = 1;
    }
  }
}
