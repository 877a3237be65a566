import type { Client } from '@opensearch-project/opensearch';
import { describe, expect, it } from 'vitest';
import { opensearchSchema } from '../../../../../core/config/schema.ts';
import { ensureIsmPolicies, ismPolicies } from '../../../../../processor/sinks/opensearch/ism.ts';

const config = opensearchSchema.parse({
  url: 'http://127.0.0.1:9200',
  index_prefix: 'vigil',
  retention_days: 30,
  read_only_after_days: 7,
});

type States = Array<{
  name: string;
  actions: unknown[];
  transitions: Array<{ state_name: string; conditions: unknown }>;
}>;

describe('ismPolicies', () => {
  it('deletes event indices after retention_days, read-only and force-merged after read_only_after_days', () => {
    const [events] = ismPolicies(config);
    expect(events?.id).toBe('vigil-events-retention');
    const states = events?.policy.states as States;
    expect(states.map((s) => s.name)).toEqual(['hot', 'read_only', 'delete']);
    expect(states[0]?.transitions).toEqual([
      { state_name: 'read_only', conditions: { min_index_age: '7d' } },
    ]);
    expect(states[1]?.actions).toEqual([{ read_only: {} }, { force_merge: { max_num_segments: 1 } }]);
    expect(states[1]?.transitions).toEqual([{ state_name: 'delete', conditions: { min_index_age: '30d' } }]);
    expect(states[2]?.actions).toEqual([{ delete: {} }]);
    expect(events?.policy.ism_template).toEqual([{ index_patterns: ['vigil-*'], priority: 100 }]);
  });

  it('counts the ages of monthly alerts indices from the end of their month', () => {
    const alerts = ismPolicies(config)[1];
    expect(alerts?.id).toBe('vigil-alerts-retention');
    const states = alerts?.policy.states as States;
    expect(states[0]?.transitions[0]?.conditions).toEqual({ min_index_age: '38d' });
    expect(states[1]?.transitions[0]?.conditions).toEqual({ min_index_age: '61d' });
    expect(alerts?.policy.ism_template).toEqual([{ index_patterns: ['vigil-alerts-*'], priority: 200 }]);
  });

  it('only deletes when read_only_after_days is not set', () => {
    const states = ismPolicies({ ...config, read_only_after_days: undefined })[0]?.policy.states as States;
    expect(states.map((s) => s.name)).toEqual(['hot', 'delete']);
  });

  it('asks for no policy when indices are kept forever and never made read-only', () => {
    expect(ismPolicies({ ...config, retention_days: 0, read_only_after_days: undefined })).toEqual([]);
  });

  it('fingerprints each policy in its description, so a changed retention changes it', () => {
    const before = ismPolicies(config)[0]?.policy.description;
    const after = ismPolicies({ ...config, retention_days: 60 })[0]?.policy.description;
    expect(before).toMatch(/\[vigil:[0-9a-f]{16}\]$/);
    expect(after).not.toBe(before);
  });
});

/** Stands in for the OpenSearch client: a plugin list and a policy store, recording the requests. */
function fakeClient(plugins: string[], installed: Record<string, { description: unknown }> = {}) {
  const requests: string[] = [];
  const client = {
    cat: { plugins: async () => ({ body: plugins.map((component) => ({ name: 'node-1', component })) }) },
    transport: {
      request: async ({ method, path }: { method: string; path: string }) => {
        const id = path.split('/').pop() ?? '';
        if (method === 'GET') {
          const policy = installed[id];
          if (!policy) throw Object.assign(new Error('not found'), { meta: { statusCode: 404 } });
          return { body: { _id: id, _seq_no: 4, _primary_term: 1, policy } };
        }
        requests.push(`${method} ${path}`);
        return { body: {} };
      },
    },
  };
  return { client: client as unknown as Client, requests };
}

describe('ensureIsmPolicies', () => {
  it('installs nothing without the index-management plugin and warns that vigil retention is the fallback', async () => {
    const { client, requests } = fakeClient(['opensearch-job-scheduler']);
    const [change] = await ensureIsmPolicies(client, config);
    expect(change?.action).toBe('skipped');
    expect(change?.warnings[0]).toMatch(/no index-management \(ISM\) plugin.*vigil retention/);
    expect(requests).toEqual([]);
  });

  it('creates the policies and attaches them to existing indices, alerts indices to their own', async () => {
    const { client, requests } = fakeClient(['opensearch-index-management']);
    const changes = await ensureIsmPolicies(client, config);
    expect(changes.map((c) => [c.name, c.action])).toEqual([
      ['vigil-events-retention', 'created'],
      ['vigil-alerts-retention', 'created'],
    ]);
    expect(requests).toEqual([
      'PUT /_plugins/_ism/policies/vigil-events-retention',
      'POST /_plugins/_ism/add/vigil-*,-vigil-alerts-*',
      'PUT /_plugins/_ism/policies/vigil-alerts-retention',
      'POST /_plugins/_ism/add/vigil-alerts-*',
    ]);
  });

  it('leaves policies with the same fingerprint unchanged', async () => {
    const installed = Object.fromEntries(
      ismPolicies(config).map((p) => [p.id, { description: p.policy.description }]),
    );
    const { client, requests } = fakeClient(['opensearch-index-management'], installed);
    const changes = await ensureIsmPolicies(client, config);
    expect(changes.map((c) => c.action)).toEqual(['unchanged', 'unchanged']);
    expect(requests).toEqual([]);
  });

  it('updates a changed policy with optimistic concurrency and moves managed indices to it', async () => {
    const installed = {
      'vigil-events-retention': { description: 'older' },
      'vigil-alerts-retention': { description: 'older' },
    };
    const { client, requests } = fakeClient(['opensearch-index-management'], installed);
    const changes = await ensureIsmPolicies(client, config);
    expect(changes.map((c) => c.action)).toEqual(['updated', 'updated']);
    expect(requests[0]).toBe(
      'PUT /_plugins/_ism/policies/vigil-events-retention?if_seq_no=4&if_primary_term=1',
    );
    expect(requests[1]).toBe('POST /_plugins/_ism/change_policy/vigil-*,-vigil-alerts-*');
  });

  it('reports what would change without changing it in a dry run', async () => {
    const { client, requests } = fakeClient(['opensearch-index-management']);
    const changes = await ensureIsmPolicies(client, config, { dryRun: true });
    expect(changes.map((c) => c.action)).toEqual(['created', 'created']);
    expect(requests).toEqual([]);
  });
});
