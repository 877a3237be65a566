/**
 * The index template for event indices (<prefix>-<dataset>-<yyyy.mm.dd>):
 * ECS field types for the fields Vigil sets (ip, geo_point, date, numbers),
 * strings as keywords so that search and aggregations work on every field
 * without surprises, `message` and `error.message` as text with a `keyword`
 * sub-field, and `labels.*` as keywords. `event.original` is kept in the
 * source but not indexed: `message` holds the same text searchably, and
 * indexing the raw line a second time would double the index size for it.
 *
 * Every event index joins the alias <prefix>-events. The template matches
 * <prefix>-*; the alerts template (alerts-template.ts) has a higher priority,
 * so alerts indices get the alerts mappings instead.
 *
 * Raise EVENT_TEMPLATE_VERSION with every change of the body: `vigil setup`
 * installs the template when the installed version differs, and reports it.
 */
import type { Client } from '@opensearch-project/opensearch';
import type { OpenSearchConfig } from '../../../core/config/schema.ts';
import {
  type EnsureTemplateOptions,
  ensureIndexTemplate,
  type IndexTemplateBody,
  type TemplateChange,
} from './template-install.ts';

/** Version of the event template this Vigil ships (v1 was installed without a version). */
export const EVENT_TEMPLATE_VERSION = 2;

/** Priority of the event template; the alerts template's is higher. */
export const EVENT_TEMPLATE_PRIORITY = 100;

export function eventTemplateName(prefix: string): string {
  return `${prefix}-events`;
}

/** The alias every event index joins, for searching all events at once. */
export function eventAliasName(prefix: string): string {
  return `${prefix}-events`;
}

/**
 * ECS `labels` are keywords whatever the value looks like (a number, a date,
 * true). One dynamic template per JSON type, because an object under
 * `labels` must stay an object (its leaves become keywords in turn).
 */
export const labelsAsKeywords = (['string', 'long', 'double', 'boolean', 'date'] as const).map((type) => ({
  [`labels_${type}`]: {
    path_match: 'labels.*',
    match_mapping_type: type,
    mapping: { type: 'keyword', ignore_above: 1024 },
  },
}));

export function eventIndexTemplate(
  config: Pick<OpenSearchConfig, 'index_prefix' | 'index_replicas'>,
): IndexTemplateBody {
  const keyword = { type: 'keyword', ignore_above: 1024 };
  // Full-text search without positions or scores (log lines are searched, not ranked),
  // plus the exact value for aggregations and term queries.
  const text = { type: 'match_only_text', fields: { keyword } };
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
    priority: EVENT_TEMPLATE_PRIORITY,
    version: EVENT_TEMPLATE_VERSION,
    _meta: { managed_by: 'vigil', vigil_template_version: EVENT_TEMPLATE_VERSION },
    template: {
      aliases: { [eventAliasName(config.index_prefix)]: {} },
      settings: {
        number_of_shards: 1,
        number_of_replicas: config.index_replicas,
        'index.refresh_interval': '5s',
        'index.mapping.total_fields.limit': 2000,
      },
      mappings: {
        // Unknown strings stay keywords even when they look like dates: a later value that is
        // not a date would otherwise be refused for the whole index.
        date_detection: false,
        dynamic_templates: [
          ...labelsAsKeywords,
          { strings_as_keyword: { match_mapping_type: 'string', mapping: keyword } },
        ],
        properties: {
          '@timestamp': { type: 'date' },
          message: text,
          tags: keyword,
          labels: { type: 'object' },
          error: {
            properties: {
              message: text,
              type: keyword,
              code: keyword,
              stack_trace: { type: 'match_only_text' },
            },
          },
          event: {
            properties: {
              original: { type: 'keyword', index: false, doc_values: false },
              dataset: keyword,
              ingested: { type: 'date' },
              created: { type: 'date' },
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
              // Kept as text: it may be the very value that was not a date.
              original_timestamp: keyword,
              rule_hits: keyword,
            },
          },
        },
      },
    },
  };
}

/**
 * Installs the event index template unless the same version is installed
 * already; reports what it did. Safe to run again (the sink calls it at start).
 */
export async function ensureEventTemplate(
  client: Client,
  config: OpenSearchConfig,
  options: EnsureTemplateOptions = {},
): Promise<TemplateChange> {
  return ensureIndexTemplate(
    client,
    eventTemplateName(config.index_prefix),
    eventIndexTemplate(config),
    options,
  );
}
