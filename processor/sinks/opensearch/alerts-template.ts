/**
 * The index template for alerts indices (<prefix>-alerts-<yyyy.mm>): who
 * fired (`rule.*`, ECS), what it means (`threat.*`, MITRE ATT&CK from the
 * rule's tags), and Vigil's alert bookkeeping under `vigil.alert.*`: the
 * alert id, the group-by values of a correlation, the first and last
 * contributing event times, the contributing event ids and how many repeats
 * were suppressed. Fields copied from the events (host, source, user, ...)
 * keep the event mappings' types.
 *
 * Its priority is above the event template's, whose pattern <prefix>-* also
 * matches alerts indices. Every alerts index joins the alias <prefix>-alerts.
 * Raise ALERTS_TEMPLATE_VERSION with every change of the body.
 */
import type { Client } from '@opensearch-project/opensearch';
import type { OpenSearchConfig } from '../../../core/config/schema.ts';
import { EVENT_TEMPLATE_PRIORITY, labelsAsKeywords } from './index-template.ts';
import {
  type EnsureTemplateOptions,
  ensureIndexTemplate,
  type IndexTemplateBody,
  type TemplateChange,
} from './template-install.ts';

export const ALERTS_TEMPLATE_VERSION = 2;

export function alertsTemplateName(prefix: string): string {
  return `${prefix}-alerts`;
}

/** The alias every alerts index joins. */
export function alertsAliasName(prefix: string): string {
  return `${prefix}-alerts`;
}

export function alertsIndexTemplate(
  config: Pick<OpenSearchConfig, 'index_prefix' | 'index_replicas'>,
): IndexTemplateBody {
  const keyword = { type: 'keyword', ignore_above: 1024 };
  const text = { type: 'match_only_text', fields: { keyword } };
  const idName = { properties: { id: keyword, name: keyword, reference: keyword } };
  const endpoint = {
    properties: {
      ip: { type: 'ip' },
      port: { type: 'long' },
      domain: keyword,
      geo: { properties: { location: { type: 'geo_point' } } },
    },
  };
  return {
    index_patterns: [`${config.index_prefix}-alerts-*`],
    priority: EVENT_TEMPLATE_PRIORITY + 100,
    version: ALERTS_TEMPLATE_VERSION,
    _meta: { managed_by: 'vigil', vigil_template_version: ALERTS_TEMPLATE_VERSION },
    template: {
      aliases: { [alertsAliasName(config.index_prefix)]: {} },
      settings: {
        number_of_shards: 1,
        number_of_replicas: config.index_replicas,
        'index.refresh_interval': '1s',
      },
      mappings: {
        dynamic_templates: [
          ...labelsAsKeywords,
          { strings_as_keyword: { match_mapping_type: 'string', mapping: keyword } },
        ],
        properties: {
          '@timestamp': { type: 'date' },
          message: text,
          tags: keyword,
          event: {
            properties: {
              kind: keyword,
              created: { type: 'date' },
              dataset: keyword,
              severity: { type: 'long' },
            },
          },
          rule: {
            properties: {
              id: keyword,
              uuid: keyword,
              name: text,
              description: { type: 'match_only_text' },
              level: keyword,
              tags: keyword,
              author: keyword,
              reference: keyword,
              ruleset: keyword,
              version: keyword,
              type: keyword,
              correlation: { properties: { type: keyword } },
            },
          },
          threat: {
            properties: {
              framework: keyword,
              tactic: idName,
              technique: { properties: { ...idName.properties, subtechnique: idName } },
            },
          },
          host: { properties: { name: keyword, ip: { type: 'ip' } } },
          source: endpoint,
          destination: endpoint,
          user: { properties: { name: keyword, id: keyword } },
          related: { properties: { ip: { type: 'ip' }, user: keyword, hosts: keyword } },
          vigil: {
            properties: {
              alert: {
                properties: {
                  id: keyword,
                  // Group-by values of a correlation, keyed by field name.
                  group: { type: 'flat_object' },
                  first_event_time: { type: 'date' },
                  last_event_time: { type: 'date' },
                  event_ids: keyword,
                  event_count: { type: 'long' },
                  suppressed_count: { type: 'long' },
                  status: keyword,
                  kind: keyword,
                  suppressed: { type: 'boolean' },
                  suppressed_by: keyword,
                  suppressed_ids: keyword,
                  last_suppressed_at: { type: 'date' },
                  event_index: keyword,
                  // The event fields an alert carries, as JSON text for display; searchable copies
                  // of the key fields live at their ECS names above.
                  fields_json: { type: 'keyword', index: false, doc_values: false },
                  // Destinations still owed a notification, notified, failed.
                  notify: { properties: { pending: keyword, sent: keyword, failed: keyword } },
                },
              },
            },
          },
        },
      },
    },
  };
}

/** Installs the alerts index template unless the same version is installed already. */
export async function ensureAlertsTemplate(
  client: Client,
  config: OpenSearchConfig,
  options: EnsureTemplateOptions = {},
): Promise<TemplateChange> {
  return ensureIndexTemplate(
    client,
    alertsTemplateName(config.index_prefix),
    alertsIndexTemplate(config),
    options,
  );
}
