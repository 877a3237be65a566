import type { Command } from 'commander';
import { runComponents } from '../../core/lifecycle.ts';
import { configOption, vigilCommand } from './options.ts';

export function collectorCommand(): Command {
  return vigilCommand(
    'collector',
    'Run the collector: tail the configured files and ship every line to the Kafka topic vigil.raw. ' +
      'A file position is saved only after Kafka has acknowledged every line before it, so nothing is lost ' +
      'when Kafka or the collector goes down.',
  )
    .addOption(configOption())
    .action(async (options: { config: string }) => {
      const { addKafkaCollector, createRuntime, loadConfig } = await import('../runtime.ts');
      const runtime = createRuntime(loadConfig(options.config));
      addKafkaCollector(runtime);
      process.exitCode = await runComponents(runtime.group, { logger: runtime.logger });
    });
}
