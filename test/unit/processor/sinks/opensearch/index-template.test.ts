import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  ALERTS_TEMPLATE_VERSION,
  alertsIndexTemplate,
} from '../../../../../processor/sinks/opensearch/alerts-template.ts';
import {
  EVENT_TEMPLATE_VERSION,
  eventIndexTemplate,
} from '../../../../../processor/sinks/opensearch/index-template.ts';

const config = { index_prefix: 'vigil', index_replicas: 0 };
const events = eventIndexTemplate(config);
const alerts = alertsIndexTemplate(config);

type Mapping = {
  type?: string;
  properties?: Record<string, Mapping>;
  fields?: Record<string, Mapping>;
} & Record<string, unknown>;

/** The mapping of a dotted field path in a template, e.g. "source.geo.location". */
function field(template: typeof events, path: string): Mapping | undefined {
  let node: Mapping | undefined = {
    properties: template.template.mappings.properties as Record<string, Mapping>,
  };
  for (const part of path.split('.')) node = node?.properties?.[part];
  return node;
}

/** Fingerprint of a template body without its version, to catch a change that forgot to raise it. */
function fingerprint(template: typeof events): string {
  const { version: _v, _meta: _m, ...body } = template;
  return createHash('sha256').update(JSON.stringify(body)).digest('hex').slice(0, 12);
}

describe('event index template', () => {
  it('maps addresses as ip, times as date and geo locations as geo_point', () => {
    for (const path of [
      'source.ip',
      'destination.ip',
      'client.ip',
      'host.ip',
      'related.ip',
      'log.source.ip',
    ]) {
      expect(field(events, path)?.type, path).toBe('ip');
    }
    for (const path of ['@timestamp', 'event.ingested', 'event.created', 'event.start']) {
      expect(field(events, path)?.type, path).toBe('date');
    }
    expect(field(events, 'source.geo.location')?.type).toBe('geo_point');
    expect(field(events, 'destination.geo.location')?.type).toBe('geo_point');
  });

  it('maps counts, ports and codes as numbers', () => {
    for (const path of [
      'source.port',
      'source.bytes',
      'http.response.status_code',
      'process.pid',
      'log.offset',
    ]) {
      expect(field(events, path)?.type, path).toBe('long');
    }
  });

  it('maps message and error.message as full text with an exact keyword sub-field', () => {
    for (const path of ['message', 'error.message']) {
      expect(field(events, path)?.type, path).toBe('match_only_text');
      expect(field(events, path)?.fields?.keyword).toEqual({ type: 'keyword', ignore_above: 1024 });
    }
  });

  it('keeps event.original in the source without indexing it', () => {
    expect(field(events, 'event.original')).toEqual({ type: 'keyword', index: false, doc_values: false });
  });

  it('maps labels.* as keyword whatever the value looks like, before any other string field', () => {
    const dynamic = events.template.mappings.dynamic_templates as Array<
      Record<string, { path_match?: string; match_mapping_type?: string; mapping: Mapping }>
    >;
    const labels = dynamic.slice(0, 5).map((entry) => Object.values(entry)[0]);
    expect(labels.map((l) => l?.match_mapping_type)).toEqual(['string', 'long', 'double', 'boolean', 'date']);
    for (const label of labels) {
      expect(label).toMatchObject({ path_match: 'labels.*', mapping: { type: 'keyword' } });
    }
    expect(dynamic[5]?.strings_as_keyword?.mapping.type).toBe('keyword');
  });

  it('matches <prefix>-*, joins the alias <prefix>-events and takes the configured replicas', () => {
    expect(events.index_patterns).toEqual(['vigil-*']);
    expect(events.template.aliases).toEqual({ 'vigil-events': {} });
    expect(events.template.settings.number_of_replicas).toBe(0);
    expect(
      eventIndexTemplate({ index_prefix: 'soc', index_replicas: 2 }).template.settings.number_of_replicas,
    ).toBe(2);
  });

  it('carries its version as the template version and in _meta', () => {
    expect(events.version).toBe(EVENT_TEMPLATE_VERSION);
    expect(events._meta).toEqual({ managed_by: 'vigil', vigil_template_version: EVENT_TEMPLATE_VERSION });
  });

  it('has a new version whenever its content changes', () => {
    // If this fails, you changed the template: raise EVENT_TEMPLATE_VERSION, then update both values here.
    expect({ version: EVENT_TEMPLATE_VERSION, fingerprint: fingerprint(events) }).toEqual({
      version: 2,
      fingerprint: '4704ab8323bf',
    });
  });
});

describe('alerts index template', () => {
  it('matches only <prefix>-alerts-*, above the event template, and joins the alias <prefix>-alerts', () => {
    expect(alerts.index_patterns).toEqual(['vigil-alerts-*']);
    expect(alerts.priority).toBeGreaterThan(events.priority);
    expect(alerts.template.aliases).toEqual({ 'vigil-alerts': {} });
  });

  it('maps the rule, its ATT&CK tags and the alert bookkeeping', () => {
    for (const path of [
      'rule.id',
      'rule.level',
      'rule.tags',
      'threat.technique.id',
      'vigil.alert.id',
      'vigil.alert.event_ids',
    ]) {
      expect(field(alerts, path)?.type, path).toBe('keyword');
    }
    expect(field(alerts, 'rule.name')?.fields?.keyword?.type).toBe('keyword');
    for (const path of ['@timestamp', 'vigil.alert.first_event_time', 'vigil.alert.last_event_time']) {
      expect(field(alerts, path)?.type, path).toBe('date');
    }
    expect(field(alerts, 'vigil.alert.suppressed_count')?.type).toBe('long');
    expect(field(alerts, 'vigil.alert.group')?.type).toBe('flat_object');
    expect(field(alerts, 'source.ip')?.type).toBe('ip');
  });

  it('has a new version whenever its content changes', () => {
    // If this fails, you changed the template: raise ALERTS_TEMPLATE_VERSION, then update both values here.
    expect({ version: ALERTS_TEMPLATE_VERSION, fingerprint: fingerprint(alerts) }).toEqual({
      version: 2,
      fingerprint: 'acd151e45914',
    });
  });
});
