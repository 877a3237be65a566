import { afterAll, describe, expect, it } from 'vitest';
import { createOpenSearch } from '../../../../core/clients/opensearch.ts';
import { opensearchSchema } from '../../../../core/config/schema.ts';
import { silentLogger } from '../../../../core/log.ts';
import { Metrics } from '../../../../core/telemetry/metrics.ts';
import type { EcsEvent } from '../../../../processor/event-builder.ts';
import type { IndexRequest } from '../../../../processor/sinks/event-sink.ts';
import {
  ensureEventTemplate,
  eventTemplateName,
} from '../../../../processor/sinks/opensearch/index-template.ts';
import { OpenSearchSink } from '../../../../processor/sinks/opensearch/opensearch-sink.ts';
import { OPENSEARCH_URL, uniqueName } from '../../../helpers/services.ts';

const config = opensearchSchema.parse({
  url: OPENSEARCH_URL,
  index_prefix: uniqueName('it-os'),
  index_replicas: 0,
});
const client = createOpenSearch(config);
const index = `${config.index_prefix}-generic-2026.11.24`;

function request(id: string, message: string, extra: Record<string, unknown> = {}): IndexRequest {
  const event: EcsEvent = {
    '@timestamp': '2026-11-24T10:00:00.000Z',
    message,
    event: { dataset: 'generic' },
    vigil: { record: { id: `it/${id}`, offset: 0, stream: 's' } },
    ...extra,
  };
  return { id, index, event };
}

async function count(): Promise<number> {
  await client.indices.refresh({ index: `${config.index_prefix}-*` });
  const response = await client.count({ index: `${config.index_prefix}-*` });
  return response.body.count as number;
}

describe('OpenSearch (real node)', () => {
  afterAll(async () => {
    await client.indices.delete({ index: `${config.index_prefix}-*` });
    await client.indices.deleteIndexTemplate({ name: eventTemplateName(config.index_prefix) });
    await client.close();
  });

  it('installs the event index template, and installing it again succeeds', async () => {
    await ensureEventTemplate(client, config);
    await ensureEventTemplate(client, config);
    const response = await client.indices.getIndexTemplate({ name: eventTemplateName(config.index_prefix) });
    const template = response.body.index_templates[0]?.index_template;
    expect(template?.index_patterns).toEqual([`${config.index_prefix}-*`]);
  });

  it('indexes events once even when the same batch is written twice', async () => {
    const sink = new OpenSearchSink(
      createOpenSearch(config),
      config,
      silentLogger(),
      new Metrics({ defaultMetrics: false }),
    );
    const batch = [request('a', 'first'), request('b', 'second'), request('c', 'third')];
    expect(await sink.write(batch, new AbortController().signal)).toEqual([]);
    expect(await sink.write(batch, new AbortController().signal)).toEqual([]);
    await sink.stop();
    expect(await count()).toBe(3);
    const doc = await client.get({ index, id: 'b' });
    expect(doc.body._source?.message).toBe('second');
  });

  it('maps event fields with the template: log.offset is a long and message is searchable text', async () => {
    const mapping = await client.indices.getMapping({ index });
    const properties = mapping.body[index]?.mappings.properties as Record<
      string,
      { type?: string; properties?: unknown }
    >;
    expect(properties.message?.type).toBe('match_only_text');
    expect(properties['@timestamp']?.type).toBe('date');
  });

  it('returns a mapping error as a rejection with the reason instead of retrying it', async () => {
    const sink = new OpenSearchSink(
      createOpenSearch(config),
      config,
      silentLogger(),
      new Metrics({ defaultMetrics: false }),
    );
    // @timestamp is a date in the template: a non-date string cannot be indexed.
    const bad = request('bad', 'bad time', { '@timestamp': 'not a date' });
    const rejections = await sink.write([bad, request('good', 'fine')], new AbortController().signal);
    await sink.stop();
    expect(rejections).toHaveLength(1);
    expect(rejections[0]?.request.id).toBe('bad');
    expect(rejections[0]?.reason).toMatch(/mapper_parsing_exception|document_parsing_exception/);
  });
});
