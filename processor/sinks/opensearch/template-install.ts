/**
 * Installs one composable index template the way `vigil setup` promises:
 * only when what is installed differs from what this Vigil ships, and
 * saying why. A template carries its version twice, as the template's
 * `version` and as `_meta.vigil_template_version`; an upgrade that changes a
 * mapping raises the version, so "updated from v2 to v3" tells an operator
 * that new indices will be mapped differently. A template of the same version
 * whose settings differ (a changed `index_replicas`, a hand edit) is put back
 * too, and a template newer than this Vigil's is left alone.
 */

import { isDeepStrictEqual } from 'node:util';
import type { Client } from '@opensearch-project/opensearch';
import { VigilError } from '../../../core/errors.ts';

/** A composable index template as Vigil writes it. */
export interface IndexTemplateBody {
  index_patterns: string[];
  priority: number;
  version: number;
  _meta: { managed_by: 'vigil'; vigil_template_version: number; [key: string]: unknown };
  template: {
    settings: Record<string, unknown>;
    mappings: Record<string, unknown>;
    aliases?: Record<string, Record<string, unknown>>;
  };
}

/** What happened to (or, with `dryRun`, would happen to) one template. */
export interface TemplateChange {
  name: string;
  action: 'created' | 'updated' | 'unchanged';
  /** The installed version before, when there was one (`null`: installed without a version). */
  from?: number | null;
  /** The version installed now (for a newer template left alone: that one's). */
  version: number;
  /** Why a template of the same version was put back, or why nothing was done. */
  details: string[];
  warnings: string[];
}

export interface EnsureTemplateOptions {
  /** Only report what would change. */
  dryRun?: boolean;
}

export async function ensureIndexTemplate(
  client: Client,
  name: string,
  body: IndexTemplateBody,
  options: EnsureTemplateOptions = {},
): Promise<TemplateChange> {
  const installed = await getTemplate(client, name);
  const shipped = body.version;
  let change: TemplateChange;
  if (installed === undefined) {
    change = { name, action: 'created', version: shipped, details: [], warnings: [] };
  } else {
    const from = installedVersion(installed);
    if (from !== null && from > shipped) {
      return {
        name,
        action: 'unchanged',
        from,
        version: from,
        details: [],
        warnings: [
          `the installed template is v${from}, newer than v${shipped} of this Vigil; it is left as it is (upgrade Vigil)`,
        ],
      };
    }
    if (from === shipped) {
      const differences = differingParts(normalized(installed), normalized(body));
      if (differences.length === 0) {
        return { name, action: 'unchanged', from, version: shipped, details: [], warnings: [] };
      }
      change = { name, action: 'updated', from, version: shipped, details: differences, warnings: [] };
    } else {
      change = { name, action: 'updated', from, version: shipped, details: [], warnings: [] };
    }
  }
  if (!options.dryRun) await putTemplate(client, name, body);
  return change;
}

async function getTemplate(client: Client, name: string): Promise<Record<string, unknown> | undefined> {
  try {
    const response = await client.indices.getIndexTemplate({ name });
    const found = (response.body.index_templates as Array<{ name: string; index_template: unknown }>).find(
      (t) => t.name === name,
    );
    return found?.index_template as Record<string, unknown> | undefined;
  } catch (error) {
    if ((error as { meta?: { statusCode?: number } }).meta?.statusCode === 404) return undefined;
    throw openSearchError(`Cannot read index template ${name}`, error);
  }
}

async function putTemplate(client: Client, name: string, body: IndexTemplateBody): Promise<void> {
  try {
    await client.indices.putIndexTemplate({ name, body: body as never });
  } catch (error) {
    throw openSearchError(`Cannot install index template ${name}`, error);
  }
}

function installedVersion(template: Record<string, unknown>): number | null {
  const version =
    template.version ?? (template._meta as Record<string, unknown> | undefined)?.vigil_template_version;
  return typeof version === 'number' ? version : null;
}

/**
 * A template as OpenSearch returns it and as Vigil sends it, made comparable:
 * settings flattened to `index.*` keys with string values (OpenSearch nests
 * and stringifies them), and the defaults OpenSearch adds filled in.
 */
function normalized(template: object): Record<string, unknown> {
  const t = template as Record<string, unknown>;
  const inner = (t.template ?? {}) as Record<string, unknown>;
  return {
    index_patterns: t.index_patterns,
    priority: t.priority ?? 0,
    version: t.version ?? null,
    _meta: t._meta ?? {},
    composed_of: t.composed_of ?? [],
    settings: flattenSettings(inner.settings ?? {}),
    mappings: inner.mappings ?? {},
    aliases: inner.aliases ?? {},
  };
}

function flattenSettings(settings: unknown, prefix = ''): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [key, value] of Object.entries(settings as Record<string, unknown>)) {
    const path = prefix === '' ? key : `${prefix}.${key}`;
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      Object.assign(flat, flattenSettings(value, path));
    } else {
      flat[path.startsWith('index.') ? path : `index.${path}`] = String(value);
    }
  }
  return flat;
}

function differingParts(installed: Record<string, unknown>, shipped: Record<string, unknown>): string[] {
  const parts: string[] = [];
  for (const key of Object.keys(shipped)) {
    if (key === 'settings') {
      const a = installed.settings as Record<string, string>;
      const b = shipped.settings as Record<string, string>;
      for (const setting of new Set([...Object.keys(a), ...Object.keys(b)])) {
        if (a[setting] !== b[setting]) {
          parts.push(`${setting} ${a[setting] ?? '(unset)'} → ${b[setting] ?? '(unset)'}`);
        }
      }
    } else if (!isDeepStrictEqual(sortKeys(installed[key]), sortKeys(shipped[key]))) {
      parts.push(`${key} differed from the shipped template`);
    }
  }
  return parts;
}

/** Objects compared without regard to key order (OpenSearch reorders them); arrays keep theirs. */
function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([k, v]) => [k, sortKeys(v)]),
    );
  }
  return value;
}

/** A failed OpenSearch request as a VigilError naming what was attempted and the cause. */
export function openSearchError(what: string, error: unknown): VigilError {
  const meta = (error as { meta?: { statusCode?: number; body?: { error?: { reason?: string } } } }).meta;
  const status = meta?.statusCode;
  const reason = meta?.body?.error?.reason ?? (error as Error).message;
  if (status === 401 || status === 403) {
    return new VigilError(
      'OPENSEARCH_REJECTED',
      `${what}: OpenSearch refused the request (${status}: ${reason}). Check opensearch.username and opensearch.password_file, and the user's permissions.`,
      { cause: error },
    );
  }
  if (status !== undefined && status >= 400 && status < 500) {
    return new VigilError('OPENSEARCH_REJECTED', `${what}: OpenSearch answered ${status}: ${reason}`, {
      cause: error,
    });
  }
  return new VigilError(
    'OPENSEARCH_UNAVAILABLE',
    `${what}: ${reason}. Is OpenSearch running and reachable at opensearch.url?`,
    { cause: error },
  );
}
