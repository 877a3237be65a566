/**
 * Retention through OpenSearch's index-management (ISM) plugin, where the
 * cluster has it: one policy for event indices and one for alerts indices,
 * each attached to new indices by its `ism_template`. A policy deletes an
 * index `retention_days` after it was created and, with
 * `read_only_after_days`, first makes it read-only and force-merges it to one
 * segment. Alerts indices hold a month, so their ages count from the end of
 * the month (31 days more).
 *
 * ISM counts an index's age from its creation, not from the date in its
 * name: a day index created late by a backfill is kept `retention_days` from
 * then. `vigil retention` (retention.ts) goes by the name and can run beside
 * the policies; without the plugin it is the only retention.
 *
 * Each policy's description carries a fingerprint of its content, so setup
 * updates a policy only when the shipped content or the configuration
 * changed (ISM adds its own fields to a policy it returns).
 */
import { createHash } from 'node:crypto';
import type { Client } from '@opensearch-project/opensearch';
import type { OpenSearchConfig } from '../../../core/config/schema.ts';
import { EVENT_TEMPLATE_PRIORITY } from './index-template.ts';
import { openSearchError } from './template-install.ts';

/** The plugin's component name in `_cat/plugins`. */
const ISM_PLUGIN = 'opensearch-index-management';
const ALERTS_EXTRA_DAYS = 31;
/** Raise it when the shape of the policies changes, so that setup replaces installed ones. */
const POLICY_VERSION = 1;

export interface IsmPolicy {
  id: string;
  policy: Record<string, unknown>;
  /** The existing indices it applies to (an index expression; events exclude alerts). */
  indices: string;
}

/** What happened to (or would happen to) one policy; `skipped` when ISM is absent or not needed. */
export interface IsmChange {
  name: string;
  action: 'created' | 'updated' | 'unchanged' | 'skipped';
  details: string[];
  warnings: string[];
}

/** True when the cluster runs the index-management plugin. */
export async function hasIsmPlugin(client: Client): Promise<boolean> {
  try {
    const response = await client.cat.plugins({ format: 'json' });
    const plugins = response.body as unknown as Array<{ component?: string }>;
    return plugins.some((p) => p.component === ISM_PLUGIN);
  } catch (error) {
    throw openSearchError('Cannot list the plugins of OpenSearch', error);
  }
}

export function eventPolicyId(prefix: string): string {
  return `${prefix}-events-retention`;
}

export function alertsPolicyId(prefix: string): string {
  return `${prefix}-alerts-retention`;
}

/** The policies the configuration asks for: none when indices are kept forever and never made read-only. */
export function ismPolicies(
  config: Pick<OpenSearchConfig, 'index_prefix' | 'retention_days' | 'read_only_after_days'>,
): IsmPolicy[] {
  if (config.retention_days === 0 && config.read_only_after_days === undefined) return [];
  const prefix = config.index_prefix;
  return [
    {
      id: eventPolicyId(prefix),
      policy: policyBody(config, 0, `${prefix}-*`, EVENT_TEMPLATE_PRIORITY, `event indices ${prefix}-*`),
      indices: `${prefix}-*,-${prefix}-alerts-*`,
    },
    {
      id: alertsPolicyId(prefix),
      indices: `${prefix}-alerts-*`,
      policy: policyBody(
        config,
        ALERTS_EXTRA_DAYS,
        `${prefix}-alerts-*`,
        EVENT_TEMPLATE_PRIORITY + 100,
        `alerts indices ${prefix}-alerts-*`,
      ),
    },
  ];
}

function policyBody(
  config: Pick<OpenSearchConfig, 'retention_days' | 'read_only_after_days'>,
  extraDays: number,
  pattern: string,
  priority: number,
  what: string,
): Record<string, unknown> {
  const deleteAfter = config.retention_days > 0 ? config.retention_days + extraDays : undefined;
  const readOnlyAfter =
    config.read_only_after_days !== undefined &&
    (deleteAfter === undefined || config.read_only_after_days + extraDays < deleteAfter)
      ? config.read_only_after_days + extraDays
      : undefined;
  const states: Array<Record<string, unknown>> = [];
  const toDelete =
    deleteAfter === undefined
      ? []
      : [{ state_name: 'delete', conditions: { min_index_age: `${deleteAfter}d` } }];
  if (readOnlyAfter !== undefined) {
    states.push({
      name: 'hot',
      actions: [],
      transitions: [{ state_name: 'read_only', conditions: { min_index_age: `${readOnlyAfter}d` } }],
    });
    states.push({
      name: 'read_only',
      actions: [{ read_only: {} }, { force_merge: { max_num_segments: 1 } }],
      transitions: toDelete,
    });
  } else {
    states.push({ name: 'hot', actions: [], transitions: toDelete });
  }
  if (deleteAfter !== undefined) states.push({ name: 'delete', actions: [{ delete: {} }], transitions: [] });
  const content = {
    default_state: 'hot',
    states,
    ism_template: [{ index_patterns: [pattern], priority }],
  };
  const fingerprint = createHash('sha256')
    .update(JSON.stringify({ version: POLICY_VERSION, content }))
    .digest('hex')
    .slice(0, 16);
  return { description: `Vigil retention of ${what} [vigil:${fingerprint}]`, ...content };
}

/**
 * Installs Vigil's ISM policies when the plugin is present (or reports that
 * it is absent, as a warning naming the fallback). New indices get a policy
 * through its `ism_template`; existing unmanaged indices are attached when a
 * policy is created, and managed ones move to an updated policy.
 */
export async function ensureIsmPolicies(
  client: Client,
  config: OpenSearchConfig,
  options: { dryRun?: boolean } = {},
): Promise<IsmChange[]> {
  const policies = ismPolicies(config);
  if (!(await hasIsmPlugin(client))) {
    return [
      {
        name: 'ISM policies',
        action: 'skipped',
        details: ['the index-management plugin is not installed'],
        warnings:
          policies.length === 0
            ? []
            : [
                'OpenSearch has no index-management (ISM) plugin, so no retention policy is installed; ' +
                  'processors sweep instead (every 6 hours; `vigil retention` does the same once): they delete day indices older than ' +
                  `opensearch.retention_days (${config.retention_days})` +
                  (config.read_only_after_days === undefined ? '' : ' and makes older days read-only'),
              ],
      },
    ];
  }
  if (policies.length === 0) {
    return [
      {
        name: 'ISM policies',
        action: 'skipped',
        details: ['retention_days is 0: indices are kept'],
        warnings: [],
      },
    ];
  }
  const changes: IsmChange[] = [];
  for (const { id, policy, indices } of policies) {
    const installed = await getPolicy(client, id);
    if (installed === undefined) {
      if (!options.dryRun) {
        await request(
          client,
          'PUT',
          `/_plugins/_ism/policies/${id}`,
          { policy },
          `Cannot install ISM policy ${id}`,
        );
        await request(
          client,
          'POST',
          `/_plugins/_ism/add/${indices}`,
          { policy_id: id },
          `Cannot attach ISM policy ${id} to existing indices`,
        );
      }
      changes.push({ name: id, action: 'created', details: [], warnings: [] });
    } else if (installed.description !== policy.description) {
      if (!options.dryRun) {
        await request(
          client,
          'PUT',
          `/_plugins/_ism/policies/${id}?if_seq_no=${installed.seqNo}&if_primary_term=${installed.primaryTerm}`,
          { policy },
          `Cannot update ISM policy ${id}`,
        );
        await request(
          client,
          'POST',
          `/_plugins/_ism/change_policy/${indices}`,
          { policy_id: id },
          `Cannot move indices to the updated ISM policy ${id}`,
        );
      }
      changes.push({ name: id, action: 'updated', details: ['retention settings changed'], warnings: [] });
    } else {
      changes.push({ name: id, action: 'unchanged', details: [], warnings: [] });
    }
  }
  return changes;
}

async function getPolicy(
  client: Client,
  id: string,
): Promise<{ description: unknown; seqNo: number; primaryTerm: number } | undefined> {
  try {
    const response = await client.transport.request({ method: 'GET', path: `/_plugins/_ism/policies/${id}` });
    const body = response.body as {
      _seq_no: number;
      _primary_term: number;
      policy?: { description?: unknown };
    };
    return { description: body.policy?.description, seqNo: body._seq_no, primaryTerm: body._primary_term };
  } catch (error) {
    if ((error as { meta?: { statusCode?: number } }).meta?.statusCode === 404) return undefined;
    throw openSearchError(`Cannot read ISM policy ${id}`, error);
  }
}

async function request(
  client: Client,
  method: string,
  path: string,
  body: unknown,
  what: string,
): Promise<void> {
  try {
    await client.transport.request({ method, path, body: body as never });
  } catch (error) {
    throw openSearchError(what, error);
  }
}
