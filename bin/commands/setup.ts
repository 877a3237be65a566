import { type Command, Option } from 'commander';
import { configOption, vigilCommand } from './options.ts';

export function setupCommand(): Command {
  return vigilCommand(
    'setup',
    'Create what Vigil needs in Kafka and OpenSearch: the topics vigil.raw, vigil.signals, vigil.alerts and ' +
      'vigil.dlq, and the index template for event indices. Running it again is safe: existing topics are kept and the template is brought up to date.',
  )
    .addOption(configOption())
    .addOption(new Option('--only <service>', 'Set up only this service.').choices(['kafka', 'opensearch']))
    .action(async (options: { config: string; only?: 'kafka' | 'opensearch' }) => {
      const { loadConfig } = await import('../runtime.ts');
      const { createKafka, ensureTopics, vigilTopics } = await import('../../core/clients/kafka.ts');
      const { createOpenSearch } = await import('../../core/clients/opensearch.ts');
      const { createLogger } = await import('../../core/log.ts');
      const { ensureEventTemplate } = await import('../../processor/sinks/opensearch/index-template.ts');
      const config = loadConfig(options.config);
      const logger = createLogger({ level: 'warn' });
      if (options.only !== 'opensearch') {
        const created = await ensureTopics(createKafka(config.kafka, logger, 'setup'), config.kafka);
        const all = vigilTopics(config.kafka).map((t) => t.topic);
        process.stdout.write(
          created.length > 0
            ? `Created Kafka topics ${created.join(', ')}.\n`
            : `Kafka topics ${all.join(', ')} already exist.\n`,
        );
      }
      if (options.only !== 'kafka') {
        if (!config.opensearch) {
          process.stdout.write('No OpenSearch is configured; events will be written to NDJSON files.\n');
        } else {
          const client = createOpenSearch(config.opensearch);
          try {
            const name = await ensureEventTemplate(client, config.opensearch);
            process.stdout.write(`Index template ${name} is installed in OpenSearch.\n`);
          } finally {
            await client.close();
          }
        }
      }
    });
}
