import type { Command } from 'commander';
import { loadConfigFile } from '../../core/config/loader.ts';
import { configJsonSchema } from '../../core/config/schema.ts';
import { resourcePath } from '../../core/resources.ts';
import { configOption, vigilCommand } from './options.ts';

const BUILTIN_PREFIX = resourcePath('processor', 'pipeline', 'builtin');

export function configCommand(): Command {
  const command = vigilCommand(
    'config',
    'Check a configuration file, or print the JSON Schema of the configuration.',
  );
  command.addCommand(
    vigilCommand(
      'check',
      'Validate a configuration file and the pipelines it names, and report every problem with its line and key path.',
    )
      .addOption(configOption())
      .action(async (options: { config: string }) => {
        const config = loadConfigFile(options.config);
        const { loadPipelines } = await import('../../processor/pipeline/loader.ts');
        const { Metrics } = await import('../../core/telemetry/metrics.ts');
        const { silentLogger } = await import('../../core/log.ts');
        const processor = config.processor;
        const pipelines = loadPipelines({
          userPaths: processor.pipelines_dir === undefined ? [] : [processor.pipelines_dir],
          patternsDir: processor.patterns_dir,
          builtin: processor.builtin_pipelines,
          metrics: new Metrics({ defaultMetrics: false }),
          logger: silentLogger(),
        });
        const yours = pipelines.pipelines.filter((p) => !p.source.startsWith(BUILTIN_PREFIX)).length;
        process.stdout.write(
          `Configuration file ${options.config} is valid; ${pipelines.pipelines.length} pipelines load (${yours} of them yours).\n`,
        );
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
