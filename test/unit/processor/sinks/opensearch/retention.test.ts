import type { Client } from '@opensearch-project/opensearch';
import { describe, expect, it } from 'vitest';
import { applyRetention, parseIndexName } from '../../../../../processor/sinks/opensearch/retention.ts';

describe('parseIndexName', () => {
  it('reads a day index of any dataset', () => {
    expect(parseIndexName('vigil', 'vigil-linux.auth-2026.11.24')).toEqual({
      kind: 'day',
      lastDay: new Date('2026-11-24T00:00:00Z'),
    });
    expect(parseIndexName('vigil', 'vigil-apache-access-2026.01.02')?.kind).toBe('day');
  });

  it('reads a monthly alerts index as ending on the last day of its month', () => {
    expect(parseIndexName('vigil', 'vigil-alerts-2026.02')).toEqual({
      kind: 'month',
      lastDay: new Date('2026-02-28T00:00:00Z'),
    });
    expect(parseIndexName('vigil', 'vigil-alerts-2028.02')?.lastDay).toEqual(
      new Date('2028-02-29T00:00:00Z'),
    );
  });

  it('refuses names that are not Vigil index names', () => {
    for (const name of [
      'vigil-generic-2026.02.30',
      'vigil-generic-2026.13.01',
      'vigil-generic-26.11.24',
      'vigil-2026.11.24',
      'vigil-alerts-2026.13',
      'vigil-events',
      'other-generic-2026.11.24',
      'vigilx-generic-2026.11.24',
      'vigil-generic-2026.11.24-restored',
    ]) {
      expect(parseIndexName('vigil', name), name).toBeUndefined();
    }
  });

  it('treats the prefix literally, dots included', () => {
    expect(parseIndexName('soc.eu', 'soc.eu-generic-2026.11.24')?.kind).toBe('day');
    expect(parseIndexName('soc.eu', 'socxeu-generic-2026.11.24')).toBeUndefined();
  });
});

interface Row {
  index: string;
  status?: string;
  blocked?: boolean;
  aliases?: string[];
}

/** Stands in for the OpenSearch client: answers the listing from `rows` and records changes. */
function fakeClient(rows: Row[]) {
  const calls: string[] = [];
  const client = {
    cat: {
      indices: async () => ({ body: rows.map(({ index, status }) => ({ index, status: status ?? 'open' })) }),
    },
    indices: {
      getSettings: async () => ({
        body: Object.fromEntries(
          rows.map((r) => [r.index, { settings: r.blocked ? { 'index.blocks.write': 'true' } : {} }]),
        ),
      }),
      getAlias: async () => ({
        body: Object.fromEntries(
          rows.map((r) => [r.index, { aliases: Object.fromEntries((r.aliases ?? []).map((a) => [a, {}])) }]),
        ),
      }),
      delete: async (p: { index: string }) => calls.push(`delete ${p.index}`),
      addBlock: async (p: { index: string; block: string }) => calls.push(`block ${p.block} ${p.index}`),
      forcemerge: async (p: { index: string; max_num_segments: number }) =>
        calls.push(`forcemerge ${p.max_num_segments} ${p.index}`),
    },
  };
  return { client: client as unknown as Client, calls };
}

const now = new Date('2026-11-24T15:00:00Z');

describe('applyRetention', () => {
  it('deletes day indices more than retention_days before today and keeps the rest', async () => {
    const { client, calls } = fakeClient([
      { index: 'vigil-generic-2026.10.24' }, // 31 days old
      { index: 'vigil-generic-2026.10.25' }, // 30 days old: kept
      { index: 'vigil-linux.auth-2026.11.24' },
    ]);
    const result = await applyRetention(client, { index_prefix: 'vigil', retention_days: 30 }, now);
    expect(result.deleted).toEqual(['vigil-generic-2026.10.24']);
    expect(result.kept).toEqual(['vigil-generic-2026.10.25', 'vigil-linux.auth-2026.11.24']);
    expect(calls).toEqual(['delete vigil-generic-2026.10.24']);
  });

  it('deletes an alerts index only when its whole month has expired', async () => {
    const { client } = fakeClient([{ index: 'vigil-alerts-2026.10' }, { index: 'vigil-alerts-2026.09' }]);
    const result = await applyRetention(client, { index_prefix: 'vigil', retention_days: 30 }, now);
    expect(result.deleted).toEqual(['vigil-alerts-2026.09']);
    expect(result.kept).toEqual(['vigil-alerts-2026.10']);
  });

  it('leaves alone other indices under the prefix and those of an installation with a longer prefix', async () => {
    const { client, calls } = fakeClient([
      { index: 'vigil-notes' },
      { index: 'vigil-generic-2020.01.01-restored' },
      { index: 'vigil-eu-generic-2020.01.01', aliases: ['vigil-eu-events'] },
    ]);
    const result = await applyRetention(client, { index_prefix: 'vigil', retention_days: 30 }, now);
    expect(result.ignored).toEqual([
      'vigil-notes',
      'vigil-generic-2020.01.01-restored',
      'vigil-eu-generic-2020.01.01',
    ]);
    expect(result.deleted).toEqual([]);
    expect(calls).toEqual([]);
  });

  it('makes older days read-only and force-merges them, once', async () => {
    const { client, calls } = fakeClient([
      { index: 'vigil-generic-2026.11.20' },
      { index: 'vigil-generic-2026.11.19', blocked: true },
      { index: 'vigil-generic-2026.11.18', status: 'close' },
      { index: 'vigil-generic-2026.11.22' }, // 2 days old: not yet
    ]);
    const result = await applyRetention(
      client,
      { index_prefix: 'vigil', retention_days: 30, read_only_after_days: 2 },
      now,
    );
    expect(result.madeReadOnly).toEqual(['vigil-generic-2026.11.20']);
    expect(calls).toEqual(['block write vigil-generic-2026.11.20', 'forcemerge 1 vigil-generic-2026.11.20']);
  });

  it('keeps every index when retention_days is 0', async () => {
    const { client, calls } = fakeClient([{ index: 'vigil-generic-2000.01.01' }]);
    const result = await applyRetention(client, { index_prefix: 'vigil', retention_days: 0 }, now);
    expect(result.deleted).toEqual([]);
    expect(calls).toEqual([]);
  });

  it('changes nothing in a dry run but reports the same decisions', async () => {
    const { client, calls } = fakeClient([
      { index: 'vigil-generic-2026.01.01' },
      { index: 'vigil-generic-2026.11.20' },
    ]);
    const result = await applyRetention(
      client,
      { index_prefix: 'vigil', retention_days: 30, read_only_after_days: 1 },
      now,
      { dryRun: true },
    );
    expect(result.deleted).toEqual(['vigil-generic-2026.01.01']);
    expect(result.madeReadOnly).toEqual(['vigil-generic-2026.11.20']);
    expect(calls).toEqual([]);
  });
});
