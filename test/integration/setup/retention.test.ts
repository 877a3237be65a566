/**
 * The retention sweep against the real OpenSearch: day and month indices
 * under a fresh prefix, old and recent, beside indices it must not touch.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createOpenSearch } from '../../../core/clients/opensearch.ts';
import { opensearchSchema } from '../../../core/config/schema.ts';
import { applyRetention } from '../../../processor/sinks/opensearch/retention.ts';
import { runVigil, waitFor } from '../../helpers/cli.ts';
import { OPENSEARCH_URL, uniqueName } from '../../helpers/services.ts';

const prefix = uniqueName('it-retention');
const client = createOpenSearch(opensearchSchema.parse({ url: OPENSEARCH_URL }));
const dir = mkdtempSync(join(tmpdir(), 'vigil-retention-'));
const now = new Date('2026-11-24T12:00:00Z');

async function create(index: string, aliases: string[] = []): Promise<void> {
  await client.indices.create({
    index,
    body: {
      settings: { number_of_shards: 1, number_of_replicas: 0 },
      aliases: Object.fromEntries(aliases.map((a) => [a, {}])),
    },
  });
}

async function exists(index: string): Promise<boolean> {
  return (await client.indices.exists({ index })).body as unknown as boolean;
}

async function writeBlocked(index: string): Promise<boolean> {
  const response = await client.indices.getSettings({
    index,
    name: 'index.blocks.write',
    flat_settings: true,
  });
  return String(response.body[index]?.settings?.['index.blocks.write']) === 'true';
}

async function segments(index: string): Promise<number> {
  const response = await client.indices.segments({ index });
  const shards = (response.body.indices[index]?.shards ?? {}) as Record<
    string,
    Array<{ num_search_segments: number }>
  >;
  return Object.values(shards)
    .flat()
    .reduce((sum, shard) => sum + shard.num_search_segments, 0);
}

afterAll(async () => {
  await client.indices.delete({ index: `${prefix}-*` }).catch(() => undefined);
  await client.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('applyRetention (real OpenSearch)', () => {
  const expired = [
    `${prefix}-linux.auth-2026.10.01`,
    `${prefix}-generic-2026.10.23`,
    `${prefix}-alerts-2026.09`,
  ];
  // Kept, but more than read_only_after_days (2) old.
  const older = [
    `${prefix}-generic-2026.10.25`, // 30 days old: the last day kept
    `${prefix}-alerts-2026.10`, // its month ended 24 days ago
  ];
  const readOnly = `${prefix}-generic-2026.11.20`;
  const recent = [`${prefix}-linux.auth-2026.11.22`, `${prefix}-generic-2026.11.24`];
  const unrelated = [
    `${prefix}-notes`,
    `${prefix}-generic-2026.01.01-restored`,
    `${prefix}-eu-generic-2026.01.01`, // another installation, prefix <prefix>-eu
  ];

  it('deletes exactly the expired day and month indices, makes older days read-only, and leaves the rest', async () => {
    for (const index of [...expired, ...older, readOnly, ...recent, ...unrelated.slice(0, 2)])
      await create(index);
    await create(unrelated[2] as string, [`${prefix}-eu-events`]);
    // Two refreshes, two segments: the force merge has something to do.
    for (const n of [1, 2]) {
      await client.index({ index: readOnly, body: { n }, refresh: true });
    }

    const result = await applyRetention(
      client,
      { index_prefix: prefix, retention_days: 30, read_only_after_days: 2 },
      now,
    );

    expect(result.deleted.sort()).toEqual([...expired].sort());
    expect(result.madeReadOnly).toEqual([...older, readOnly]);
    expect(result.kept).toEqual(recent);
    expect(result.ignored.sort()).toEqual([...unrelated].sort());
    for (const index of expired) expect(await exists(index), index).toBe(false);
    for (const index of [...older, readOnly, ...recent, ...unrelated]) {
      expect(await exists(index), index).toBe(true);
    }

    for (const index of [...older, readOnly]) expect(await writeBlocked(index), index).toBe(true);
    for (const index of [...recent, ...unrelated]) expect(await writeBlocked(index), index).toBe(false);
    await expect(client.index({ index: readOnly, body: { n: 3 } })).rejects.toMatchObject({
      meta: { statusCode: 403 },
    });
    await waitFor('the force merge to one segment', async () => (await segments(readOnly)) === 1, 30_000);
  });

  it('does nothing more when run again', async () => {
    const result = await applyRetention(
      client,
      { index_prefix: prefix, retention_days: 30, read_only_after_days: 2 },
      now,
    );
    expect(result.deleted).toEqual([]);
    expect(result.madeReadOnly).toEqual([]);
  });
});

describe('vigil retention', () => {
  it('lists what it would delete with --dry-run, then deletes it, by today’s date', async () => {
    const today = new Date().toISOString().slice(0, 10).replaceAll('-', '.');
    const old = `${prefix}-cli-2000.01.01`;
    const current = `${prefix}-cli-${today}`;
    await create(old);
    await create(current);
    const file = join(dir, 'vigil.yaml');
    writeFileSync(
      file,
      JSON.stringify({ opensearch: { url: OPENSEARCH_URL, index_prefix: prefix, retention_days: 30 } }),
    );

    const dry = await runVigil(['retention', '-c', file, '--dry-run']);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain(`Would delete index ${old} (older than 30 days).`);
    expect(dry.stdout).not.toContain(current);
    expect(await exists(old)).toBe(true);

    const run = await runVigil(['retention', '-c', file]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(`Deleted index ${old} (older than 30 days).`);
    expect(run.stdout).toMatch(
      /^Retention: \d+ deleted, 0 made read-only, \d+ kept, 3 other indices left alone\.$/m,
    );
    expect(await exists(old)).toBe(false);
    expect(await exists(current)).toBe(true);
  });

  it('names OpenSearch and exits 1 when it cannot reach it', async () => {
    const file = join(dir, 'unreachable.yaml');
    writeFileSync(file, JSON.stringify({ opensearch: { url: 'http://127.0.0.1:9', index_prefix: prefix } }));
    const { code, stderr } = await runVigil(['retention', '-c', file]);
    expect(code).toBe(1);
    expect(stderr).toContain('opensearch.url');
  });
});
