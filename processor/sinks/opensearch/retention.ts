/**
 * Vigil's own retention of indices, by the date in their names: the
 * fallback where OpenSearch has no index-management plugin (ism.ts), and
 * exact where it has one (ISM counts from an index's creation instead).
 *
 * Only Vigil's index names are touched: day indices
 * <prefix>-<dataset>-<yyyy.mm.dd> and monthly alerts indices
 * <prefix>-alerts-<yyyy.mm>; any other index under the prefix is left alone,
 * and so is an index that belongs to another installation whose prefix
 * starts with this one (it carries that installation's alias). An index is
 * deleted when its day (for alerts: the month's last day) is more than
 * `retention_days` days before today, UTC; with `read_only_after_days`, one
 * more than that many days old is made read-only (`index.blocks.write`) and
 * force-merged to one segment, once.
 */
import type { Client } from '@opensearch-project/opensearch';
import type { OpenSearchConfig } from '../../../core/config/schema.ts';
import { openSearchError } from './template-install.ts';

const DAY_MS = 86_400_000;
/** Indices per delete or block request, to keep request lines short. */
const CHUNK = 50;

/** A Vigil index name, understood. */
export interface VigilIndexName {
  kind: 'day' | 'month';
  /** The last day the index holds events of, as midnight UTC. */
  lastDay: Date;
}

export interface RetentionOptions {
  /** Only report what would be done. */
  dryRun?: boolean;
}

export interface RetentionResult {
  /** Indices deleted (with `dryRun`: that would be), oldest first. */
  deleted: string[];
  /** Indices made read-only and force-merged (with `dryRun`: that would be). */
  madeReadOnly: string[];
  /** Vigil indices left as they are. */
  kept: string[];
  /** Indices under the prefix that are not Vigil day or month indices of this installation. */
  ignored: string[];
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function utcDay(year: number, month: number, day: number): Date | undefined {
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day
    ? date
    : undefined;
}

/** Reads a Vigil index name under `prefix`; undefined for any other name. */
export function parseIndexName(prefix: string, index: string): VigilIndexName | undefined {
  const p = escapeRegExp(prefix);
  const month = new RegExp(`^${p}-alerts-(\\d{4})\\.(\\d{2})$`).exec(index);
  if (month) {
    const year = Number(month[1]);
    const m = Number(month[2]);
    if (m < 1 || m > 12) return undefined;
    // Day 0 of the next month is the last day of this one.
    return { kind: 'month', lastDay: new Date(Date.UTC(year, m, 0)) };
  }
  const day = new RegExp(`^${p}-[a-z0-9._-]+-(\\d{4})\\.(\\d{2})\\.(\\d{2})$`).exec(index);
  if (day) {
    const date = utcDay(Number(day[1]), Number(day[2]), Number(day[3]));
    return date === undefined ? undefined : { kind: 'day', lastDay: date };
  }
  return undefined;
}

/** Whole days from `lastDay` to the UTC day of `now` (0 for today's index). */
function ageDays(lastDay: Date, now: Date): number {
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  return Math.round((today - lastDay.getTime()) / DAY_MS);
}

/**
 * Deletes the expired Vigil indices and makes the older ones read-only, as
 * configured; returns what it did. `now` fixes "today" (tests, replays).
 */
export async function applyRetention(
  client: Client,
  config: Pick<OpenSearchConfig, 'index_prefix' | 'retention_days' | 'read_only_after_days'>,
  now: Date = new Date(),
  options: RetentionOptions = {},
): Promise<RetentionResult> {
  const prefix = config.index_prefix;
  const result: RetentionResult = { deleted: [], madeReadOnly: [], kept: [], ignored: [] };
  const indices = await listIndices(client, prefix);
  const ours = new Set([`${prefix}-events`, `${prefix}-alerts`]);
  const candidates: Array<{ index: string; age: number; open: boolean; writeBlocked: boolean }> = [];
  for (const info of indices) {
    const parsed = parseIndexName(prefix, info.index);
    const foreign = info.aliases.some((a) => /-(events|alerts)$/.test(a) && !ours.has(a));
    if (parsed === undefined || foreign) {
      result.ignored.push(info.index);
      continue;
    }
    candidates.push({
      index: info.index,
      age: ageDays(parsed.lastDay, now),
      open: info.open,
      writeBlocked: info.writeBlocked,
    });
  }
  candidates.sort((a, b) => b.age - a.age || (a.index < b.index ? -1 : 1));

  const readOnlyAfter = config.read_only_after_days;
  for (const c of candidates) {
    if (config.retention_days > 0 && c.age > config.retention_days) result.deleted.push(c.index);
    else if (readOnlyAfter !== undefined && c.age > readOnlyAfter && c.open && !c.writeBlocked) {
      result.madeReadOnly.push(c.index);
    } else result.kept.push(c.index);
  }
  if (options.dryRun) return result;

  for (const chunk of chunks(result.deleted)) {
    try {
      await client.indices.delete({ index: chunk.join(','), ignore_unavailable: true });
    } catch (error) {
      throw openSearchError(`Cannot delete expired indices ${chunk.join(', ')}`, error);
    }
  }
  for (const chunk of chunks(result.madeReadOnly)) {
    try {
      await client.indices.addBlock({ index: chunk.join(','), block: 'write' });
      // The merge runs in the background; the write block marks the index as done either way.
      await client.indices.forcemerge({
        index: chunk.join(','),
        max_num_segments: 1,
        wait_for_completion: false,
      });
    } catch (error) {
      throw openSearchError(`Cannot make indices ${chunk.join(', ')} read-only`, error);
    }
  }
  return result;
}

function chunks(items: string[]): string[][] {
  const out: string[][] = [];
  for (let i = 0; i < items.length; i += CHUNK) out.push(items.slice(i, i + CHUNK));
  return out;
}

interface IndexInfo {
  index: string;
  open: boolean;
  writeBlocked: boolean;
  aliases: string[];
}

async function listIndices(client: Client, prefix: string): Promise<IndexInfo[]> {
  const pattern = `${prefix}-*`;
  try {
    const [cat, settings, aliases] = await Promise.all([
      client.cat.indices({
        index: pattern,
        format: 'json',
        h: ['index', 'status'],
        expand_wildcards: ['open', 'closed'],
      }),
      client.indices.getSettings({
        index: pattern,
        name: 'index.blocks.write',
        flat_settings: true,
        expand_wildcards: ['open', 'closed'],
      }),
      client.indices.getAlias({ index: pattern, expand_wildcards: ['open', 'closed'] }),
    ]);
    const rows = cat.body as unknown as Array<{ index: string; status?: string }>;
    const settingsBody = settings.body as Record<string, { settings?: Record<string, unknown> }>;
    const aliasBody = aliases.body as Record<string, { aliases?: Record<string, unknown> }>;
    return rows.map((row) => ({
      index: row.index,
      open: row.status !== 'close',
      writeBlocked: String(settingsBody[row.index]?.settings?.['index.blocks.write']) === 'true',
      aliases: Object.keys(aliasBody[row.index]?.aliases ?? {}),
    }));
  } catch (error) {
    throw openSearchError(`Cannot list the indices ${pattern}`, error);
  }
}
