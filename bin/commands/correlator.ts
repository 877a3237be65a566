import type { Command } from 'commander';
import { runComponents } from '../../core/lifecycle.ts';
import { configOption, vigilCommand } from './options.ts';

export function correlatorCommand(): Command {
  return vigilCommand(
    'correlator',
    'Run a correlator: consume detection signals from Kafka as a member of the correlator group, evaluate ' +
      'the Sigma correlation rules of rules.paths over sliding event-time windows, and produce correlation ' +
      'alerts to vigil.alerts. State is rebuilt from vigil.signals on every partition assignment. ' +
      'Start more correlators to share the work.',
  )
    .addOption(configOption())
    .action(async (options: { config: string }) => {
      const { addCorrelator, createRuntime, loadConfig } = await import('../runtime.ts');
      const runtime = createRuntime(loadConfig(options.config));
      await addCorrelator(runtime);
      process.exitCode = await runComponents(runtime.group, { logger: runtime.logger });
    });
}
