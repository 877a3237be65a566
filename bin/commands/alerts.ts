/**
 * `vigil alerts failed|retry`: the notification jobs that failed (receiver
 * refused, target refused by the SSRF guard, attempts used up), and sending
 * them again once the cause is fixed. Exit codes: 0 success, 1 Redis cannot
 * be reached or nothing was retried, 2 usage or configuration error.
 */
import { type Command, Option } from 'commander';
import { VigilError } from '../../core/errors.ts';
import { configOption, vigilCommand } from './options.ts';

async function open(configFile: string) {
  const { loadConfig } = await import('../runtime.ts');
  const { createRedis } = await import('../../core/clients/redis.ts');
  const { FailedJobs } = await import('../../rules/alerter/failed-jobs.ts');
  const config = loadConfig(configFile);
  const connection = createRedis(config.redis, { maxRetriesPerRequest: 2, enableOfflineQueue: true });
  connection.on('error', () => {});
  try {
    await connection.connect();
  } catch (error) {
    connection.disconnect();
    throw new VigilError(
      'REDIS_UNAVAILABLE',
      `Cannot reach Redis at ${config.redis.url}: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
  let index: import('../../rules/alerter/alert-index.ts').AlertIndex | undefined;
  let close = async () => {};
  if (config.opensearch) {
    const { createOpenSearch } = await import('../../core/clients/opensearch.ts');
    const { createLogger } = await import('../../core/log.ts');
    const { alertIndexFor } = await import('../../rules/alerter/alerter.ts');
    const client = createOpenSearch(config.opensearch);
    index = alertIndexFor(client, config, createLogger({ level: 'error' }));
    close = () => client.close();
  }
  const jobs = new FailedJobs({
    destinations: config.alerter.webhooks.map((w) => w.name),
    prefix: config.alerter.redis_prefix,
    connection,
    ...(index ? { index } : {}),
  });
  return {
    jobs,
    destinations: config.alerter.webhooks.map((w) => w.name),
    async close() {
      await jobs.close();
      await close();
      connection.disconnect();
    },
  };
}

function checkDestination(destinations: string[], destination: string | undefined): void {
  if (destination !== undefined && !destinations.includes(destination)) {
    throw new VigilError(
      'USAGE',
      `--destination ${destination}: no such webhook in alerter.webhooks (${destinations.join(', ') || 'none configured'}).`,
    );
  }
}

export function alertsCommand(): Command {
  const command = vigilCommand('alerts', 'Inspect and retry alert notifications that failed.');

  command.addCommand(
    vigilCommand(
      'failed',
      'List failed notification jobs: job id, destination, alert, attempts and the last reason.',
    )
      .addOption(configOption())
      .addOption(new Option('--destination <name>', 'Only this webhook destination.'))
      .addOption(new Option('--json', 'Print one JSON object per line.'))
      .action(async (options: { config: string; destination?: string; json?: boolean }) => {
        const handle = await open(options.config);
        try {
          checkDestination(handle.destinations, options.destination);
          const failed = await handle.jobs.list(options.destination);
          if (options.json) {
            for (const job of failed) process.stdout.write(`${JSON.stringify(job)}\n`);
          } else if (failed.length === 0) {
            process.stdout.write('No failed notifications.\n');
          } else {
            for (const job of failed) {
              process.stdout.write(
                `${job.id}  ${job.destination}  ${job.level}  ${job.rule}  attempts=${job.attempts}  failed_at=${job.failedAt ?? '-'}\n    ${job.reason}\n`,
              );
            }
            process.stdout.write(`${failed.length} failed notification${failed.length === 1 ? '' : 's'}.\n`);
          }
        } finally {
          await handle.close();
        }
      }),
  );

  command.addCommand(
    vigilCommand('retry', 'Send failed notifications again, with their attempts reset.')
      .argument('[job-id]', 'The job to retry: <alert id>.<destination> (or <alert id>:<destination>).')
      .addOption(configOption())
      .addOption(new Option('--all', 'Retry every failed notification.'))
      .addOption(new Option('--destination <name>', 'With --all: only this webhook destination.'))
      .action(
        async (
          jobId: string | undefined,
          options: { config: string; all?: boolean; destination?: string },
        ) => {
          if ((jobId === undefined) === !options.all)
            throw new VigilError('USAGE', 'Give either a job id or --all.');
          const handle = await open(options.config);
          try {
            checkDestination(handle.destinations, options.destination);
            if (options.all) {
              const count = await handle.jobs.retryAll(options.destination);
              process.stdout.write(`Retrying ${count} notification${count === 1 ? '' : 's'}.\n`);
            } else {
              let retried: boolean;
              try {
                retried = await handle.jobs.retry(jobId as string);
              } catch (error) {
                throw new VigilError('USAGE', (error as Error).message);
              }
              if (!retried) {
                process.stderr.write(`vigil: there is no failed notification ${jobId}.\n`);
                process.exitCode = 1;
                return;
              }
              process.stdout.write(`Retrying ${jobId}.\n`);
            }
          } finally {
            await handle.close();
          }
        },
      ),
  );
  return command;
}
