import type { Command } from 'commander';
import { runComponents } from '../../core/lifecycle.ts';
import { configOption, vigilCommand } from './options.ts';

export function runCommand(): Command {
  return vigilCommand(
    'run',
    'Run every part of Vigil in one process (standalone mode): the collector hands lines to the processor ' +
      'through a bounded in-process queue instead of Kafka. Events go to OpenSearch when one is configured, ' +
      'and to NDJSON files under processor.output_dir otherwise.',
  )
    .addOption(configOption())
    .action(async (options: { config: string }) => {
      const { addStandalone, createRuntime, loadConfig } = await import('../runtime.ts');
      const runtime = createRuntime(loadConfig(options.config));
      await addStandalone(runtime);
      process.exitCode = await runComponents(runtime.group, { logger: runtime.logger });
    });
}
