import type { Command } from 'commander';
import { Option } from 'commander';
import { configOption, vigilCommand } from './options.ts';

export function retentionCommand(): Command {
  return vigilCommand(
    'retention',
    "Apply the index retention of the opensearch section by the dates in Vigil's index names: delete day " +
      'indices (and monthly alerts indices) older than retention_days and, with read_only_after_days, make older ' +
      'days read-only and force-merge them to one segment. Other indices are left alone. Run it daily where ' +
      'OpenSearch has no index-management plugin.',
  )
    .addOption(configOption())
    .addOption(new Option('--dry-run', 'Change nothing: list what would be deleted or made read-only.'))
    .action(async (options: { config: string; dryRun?: boolean }) => {
      const { loadConfig } = await import('../runtime.ts');
      const { createOpenSearch } = await import('../../core/clients/opensearch.ts');
      const { VigilError } = await import('../../core/errors.ts');
      const { applyRetention } = await import('../../processor/sinks/opensearch/retention.ts');
      const config = loadConfig(options.config);
      if (!config.opensearch) {
        throw new VigilError(
          'USAGE',
          `${options.config} has no opensearch section; retention applies to OpenSearch indices only.`,
        );
      }
      const dryRun = options.dryRun === true;
      const client = createOpenSearch(config.opensearch);
      try {
        const result = await applyRetention(client, config.opensearch, new Date(), { dryRun });
        const { retention_days: days, read_only_after_days: readOnlyDays } = config.opensearch;
        for (const index of result.deleted) {
          process.stdout.write(
            `${dryRun ? 'Would delete' : 'Deleted'} index ${index} (older than ${days} days).\n`,
          );
        }
        for (const index of result.madeReadOnly) {
          process.stdout.write(
            `${dryRun ? 'Would make' : 'Made'} index ${index} read-only and force-merge it to one segment (older than ${readOnlyDays} days).\n`,
          );
        }
        process.stdout.write(
          `Retention${dryRun ? ' (dry run)' : ''}: ${result.deleted.length} deleted, ` +
            `${result.madeReadOnly.length} made read-only, ${result.kept.length} kept, ` +
            `${result.ignored.length} other indices left alone.\n`,
        );
      } catch (error) {
        if (error instanceof VigilError) {
          throw new VigilError(error.code, `${error.message} (configuration: ${options.config})`, {
            cause: error.cause,
          });
        }
        throw error;
      } finally {
        await client.close();
      }
    });
}
