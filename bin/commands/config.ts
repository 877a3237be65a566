import type { Command } from 'commander';
import { loadConfigFile } from '../../core/config/loader.ts';
import { configJsonSchema } from '../../core/config/schema.ts';
import { configOption, vigilCommand } from './options.ts';

export function configCommand(): Command {
  const command = vigilCommand(
    'config',
    'Check a configuration file, or print the JSON Schema of the configuration.',
  );
  command.addCommand(
    vigilCommand(
      'check',
      'Validate a configuration file and report every problem with its line and key path.',
    )
      .addOption(configOption())
      .action((options: { config: string }) => {
        loadConfigFile(options.config);
        process.stdout.write(`Configuration file ${options.config} is valid.\n`);
      }),
  );
  command.addCommand(
    vigilCommand('schema', 'Print the JSON Schema of vigil.yaml, for editors and the Helm chart.').action(
      () => {
        process.stdout.write(`${JSON.stringify(configJsonSchema(), null, 2)}\n`);
      },
    ),
  );
  return command;
}
