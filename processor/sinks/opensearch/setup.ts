/**
 * What `vigil setup` installs in OpenSearch, in order: the event index
 * template, the alerts index template, and the ISM retention policies (or,
 * without the plugin, a warning that `vigil retention` is the retention).
 * Each step installs only what differs from what is there and reports it.
 */
import type { Client } from '@opensearch-project/opensearch';
import type { OpenSearchConfig } from '../../../core/config/schema.ts';
import { ensureAlertsTemplate } from './alerts-template.ts';
import { ensureEventTemplate } from './index-template.ts';
import { ensureIsmPolicies } from './ism.ts';
import { openSearchError } from './template-install.ts';

/** One line of the setup report. */
export interface OpenSearchSetupItem {
  /** What it is, e.g. "index template vigil-events". */
  subject: string;
  action: 'created' | 'updated' | 'unchanged' | 'skipped';
  /** Said after the action, e.g. "from v1 to v2", "(v2)" or "(v2; index.number_of_replicas 1 → 0)". */
  detail: string;
  warnings: string[];
}

export async function setupOpenSearch(
  client: Client,
  config: OpenSearchConfig,
  options: { dryRun?: boolean } = {},
): Promise<OpenSearchSetupItem[]> {
  try {
    await client.info();
  } catch (error) {
    throw openSearchError(`Cannot reach OpenSearch at ${config.url}`, error);
  }
  const items: OpenSearchSetupItem[] = [];
  for (const change of [
    await ensureEventTemplate(client, config, options),
    await ensureAlertsTemplate(client, config, options),
  ]) {
    let detail = `(v${change.version})`;
    if (change.action === 'updated' && change.from !== change.version) {
      const from =
        change.from === null || change.from === undefined ? 'an unversioned template' : `v${change.from}`;
      detail = `from ${from} to v${change.version}`;
    } else if (change.details.length > 0) {
      detail = `(v${change.version}; ${change.details.join(', ')})`;
    }
    items.push({
      subject: `index template ${change.name}`,
      action: change.action,
      detail,
      warnings: change.warnings,
    });
  }
  for (const change of await ensureIsmPolicies(client, config, options)) {
    items.push({
      subject: change.name === 'ISM policies' ? change.name : `ISM policy ${change.name}`,
      action: change.action,
      detail: change.details.length > 0 ? `(${change.details.join(', ')})` : '',
      warnings: change.warnings,
    });
  }
  return items;
}
