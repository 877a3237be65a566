import type { Command } from 'commander';
import { runComponents } from '../../core/lifecycle.ts';
import { configOption, vigilCommand } from './options.ts';

export function alerterCommand(): Command {
  return vigilCommand(
    'alerter',
    'Run an alerter: consume alerts from Kafka as a member of the alerter group, index each alert once ' +
      'into OpenSearch, apply suppression, and deliver notifications to webhooks through a Redis-backed ' +
      'queue, with retries. Kafka offsets are committed only after an alert is indexed and its ' +
      'notification jobs are queued. Start more alerters to share the work.',
  )
    .addOption(configOption())
    .action(async (options: { config: string }) => {
      const { addAlerter, createRuntime, loadConfig } = await import('../runtime.ts');
      const runtime = createRuntime(loadConfig(options.config));
      await addAlerter(runtime);
      process.exitCode = await runComponents(runtime.group, { logger: runtime.logger });
    });
}
