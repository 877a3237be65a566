import type { Command } from 'commander';
import { runComponents } from '../../core/lifecycle.ts';
import { configOption, vigilCommand } from './options.ts';

export function processorCommand(): Command {
  return vigilCommand(
    'processor',
    'Run a processor: consume raw records from Kafka as a member of the processor group, turn them into ' +
      'ECS events and index them into OpenSearch (or NDJSON files when no OpenSearch is configured). ' +
      'Kafka offsets are committed only after every event of a batch is indexed or dead-lettered. ' +
      'Start more processors to share the work.',
  )
    .addOption(configOption())
    .action(async (options: { config: string }) => {
      const { addKafkaProcessor, createRuntime, loadConfig } = await import('../runtime.ts');
      const runtime = createRuntime(loadConfig(options.config));
      await addKafkaProcessor(runtime);
      process.exitCode = await runComponents(runtime.group, { logger: runtime.logger });
    });
}
