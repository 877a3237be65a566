import { type Command, Option } from 'commander';
import { createKafka, ensureTopics, vigilTopics } from '../../core/clients/kafka.ts';
import { createOpenSearch } from '../../core/clients/opensearch.ts';
import { createLogger } from '../../core/log.ts';
import { ensureEventTemplate } from '../../processor/sinks/opensearch/index-template.ts';
import { loadConfig } from '../runtime.ts';
import { configOption, vigilCommand } from './options.ts';

export function setupCommand(): Command {
  return vigilCommand(
    'setup',
    'Create what Vigil needs in Kafka and OpenSearch: the topics vigil.raw, vigil.signals, vigil.alerts and ' +
      'vigil.dlq, and the index template for event indices. Running it again changes nothing that exists.',
  )
    .addOption(configOption())
    .addOption(new Option('--only <service>', 'Set up only this service.').choices(['kafka', 'opensearch']))
    .action(async (options: { config: string; only?: 'kafka' | 'opensearch' }) => {
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
