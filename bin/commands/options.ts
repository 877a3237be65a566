/** Options shared by the commands. */
import { Command, Option } from 'commander';

export const DEFAULT_CONFIG = 'vigil.yaml';

export function configOption(): Option {
  return new Option('-c, --config <file>', 'Read the configuration from this YAML file.').default(
    DEFAULT_CONFIG,
  );
}

/** A sub-command with Vigil's help conventions. */
export function vigilCommand(name: string, summary: string): Command {
  return new Command(name)
    .description(summary)
    .helpOption('-h, --help', 'Show this help and exit.')
    .exitOverride();
}
