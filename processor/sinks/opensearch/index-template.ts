/**
 * The index template for event indices (<prefix>-<dataset>-<yyyy.mm.dd>):
 * ECS field types for the fields Vigil sets, and strings as keywords (with a
 * text sub-field for `message`) so that search and aggregations work on every
 * field without surprises.
 */
import type { Client } from '@opensearch-project/opensearch';
import type { OpenSearchConfig } from '../../../core/config/schema.ts';
import { VigilError } from '../../../core/errors.ts';
import { VIGIL_VERSION } from '../../../core/version.ts';

export function eventTemplateName(prefix: string): string {
  return `${prefix}-events`;
}

export function eventIndexTemplate(config: Pick<OpenSearchConfig, 'index_prefix' | 'index_replicas'>) {
  const keyword = { type: 'keyword', ignore_above: 1024 };
  const endpoint = {
    properties: {
      ip: { type: 'ip' },
      port: { type: 'long' },
      bytes: { type: 'long' },
      packets: { type: 'long' },
      address: keyword,
      domain: keyword,
      mac: keyword,
      geo: { properties: { location: { type: 'geo_point' } } },
      as: { properties: { number: { type: 'long' }, organization: { properties: { name: keyword } } } },
    },
  };
  return {
    index_patterns: [`${config.index_prefix}-*`],
    priority: 100,
    _meta: { managed_by: 'vigil', vigil_version: VIGIL_VERSION },
    template: {
      settings: {
        number_of_shards: 1,
        number_of_replicas: config.index_replicas,
        'index.refresh_interval': '5s',
        'index.mapping.total_fields.limit': 2000,
      },
      mappings: {
        dynamic_templates: [{ strings_as_keyword: { match_mapping_type: 'string', mapping: keyword } }],
        properties: {
          '@timestamp': { type: 'date' },
          message: { type: 'match_only_text' },
          tags: keyword,
          event: {
            properties: {
              original: { type: 'keyword', index: false, doc_values: false },
              dataset: keyword,
              ingested: { type: 'date' },
              category: keyword,
              type: keyword,
              outcome: keyword,
              action: keyword,
              kind: keyword,
              module: keyword,
              code: keyword,
              severity: { type: 'long' },
              duration: { type: 'long' },
              start: { type: 'date' },
              end: { type: 'date' },
            },
          },
          host: {
            properties: {
              name: keyword,
              ip: { type: 'ip' },
              geo: { properties: { location: { type: 'geo_point' } } },
            },
          },
          agent: { properties: { id: keyword, type: keyword, version: keyword } },
          log: {
            properties: {
              file: { properties: { path: keyword } },
              offset: { type: 'long' },
              source: { properties: { address: keyword, ip: { type: 'ip' } } },
              syslog: {
                properties: {
                  priority: { type: 'long' },
                  facility: { properties: { code: { type: 'long' }, name: keyword } },
                  severity: { properties: { code: { type: 'long' }, name: keyword } },
                  structured_data: { type: 'flat_object' },
                },
              },
            },
          },
          process: { properties: { name: keyword, pid: { type: 'long' } } },
          source: endpoint,
          destination: endpoint,
          client: endpoint,
          server: endpoint,
          observer: { properties: { ip: { type: 'ip' }, hostname: keyword } },
          related: { properties: { ip: { type: 'ip' }, user: keyword, hosts: keyword, hash: keyword } },
          http: {
            properties: {
              request: { properties: { method: keyword, referrer: keyword, bytes: { type: 'long' } } },
              response: {
                properties: {
                  status_code: { type: 'long' },
                  bytes: { type: 'long' },
                  body: { properties: { bytes: { type: 'long' } } },
                },
              },
              version: keyword,
            },
          },
          url: { properties: { original: keyword, path: keyword, query: keyword, domain: keyword } },
          user_agent: { properties: { original: keyword, name: keyword, version: keyword } },
          user: { properties: { name: keyword, id: keyword } },
          network: { properties: { transport: keyword, protocol: keyword, bytes: { type: 'long' } } },
          threat: {
            properties: {
              enrichments: {
                properties: {
                  indicator: {
                    properties: {
                      ip: { type: 'ip' },
                      first_seen: { type: 'date' },
                      last_seen: { type: 'date' },
                      modified_at: { type: 'date' },
                    },
                  },
                },
              },
            },
          },
          vigil: {
            properties: {
              record: { properties: { id: keyword, offset: { type: 'long' }, stream: keyword } },
              pipeline: keyword,
              failures: keyword,
              original_base64: { type: 'binary' },
            },
          },
        },
      },
    },
  };
}

/** Installs (or updates) the event index template. Safe to run again. */
export async function ensureEventTemplate(client: Client, config: OpenSearchConfig): Promise<string> {
  const name = eventTemplateName(config.index_prefix);
  try {
    await client.indices.putIndexTemplate({ name, body: eventIndexTemplate(config) as never });
  } catch (error) {
    throw new VigilError(
      'OPENSEARCH_UNAVAILABLE',
      `Cannot install index template ${name}: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
  return name;
}
