import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CheckpointStore } from '../../../../collector/state/checkpoint-store.ts';
import { silentLogger } from '../../../../core/log.ts';

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vigil-checkpoints-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function loadedStore(dataDir = dir): Promise<CheckpointStore> {
  const store = new CheckpointStore(dataDir, silentLogger());
  await store.load();
  return store;
}

describe('CheckpointStore', () => {
  it('keeps its checkpoints in checkpoints.json inside the data folder', () => {
    expect(new CheckpointStore(dir, silentLogger()).path).toBe(join(dir, 'checkpoints.json'));
  });

  it('starts empty when there is no checkpoint file', async () => {
    const store = await loadedStore();
    expect(store.get('file:1:2')).toBeUndefined();
  });

  it('creates a missing data folder when loading', async () => {
    const dataDir = join(dir, 'nested', 'collector');
    await loadedStore(dataDir);
    expect((await stat(dataDir)).isDirectory()).toBe(true);
  });

  it('remembers an advanced offset with its path', async () => {
    const store = await loadedStore();
    store.advance('file:1:2', '/var/log/auth.log', 120);
    expect(store.get('file:1:2')).toMatchObject({ offset: 120, path: '/var/log/auth.log' });
  });

  it('keeps checkpoints across instances once flushed', async () => {
    const first = await loadedStore();
    first.advance('file:1:2', '/var/log/auth.log', 120);
    first.advance('file:1:3', '/var/log/syslog', 7);
    await first.flush();
    const second = await loadedStore();
    expect(second.get('file:1:2')).toMatchObject({ offset: 120, path: '/var/log/auth.log' });
    expect(second.get('file:1:3')).toMatchObject({ offset: 7, path: '/var/log/syslog' });
  });

  it('does not persist progress that was never flushed', async () => {
    const first = await loadedStore();
    first.advance('file:1:2', '/var/log/auth.log', 120);
    const second = await loadedStore();
    expect(second.get('file:1:2')).toBeUndefined();
  });

  it('moves an offset forward', async () => {
    const store = await loadedStore();
    store.advance('file:1:2', '/var/log/auth.log', 120);
    store.advance('file:1:2', '/var/log/auth.log', 300);
    expect(store.get('file:1:2')?.offset).toBe(300);
  });

  it('never moves an offset backwards when advancing', async () => {
    const store = await loadedStore();
    store.advance('file:1:2', '/var/log/auth.log', 300);
    store.advance('file:1:2', '/var/log/auth.log', 120);
    expect(store.get('file:1:2')?.offset).toBe(300);
  });

  it('records a new path without moving the offset backwards', async () => {
    const store = await loadedStore();
    store.advance('file:1:2', '/var/log/auth.log', 300);
    store.advance('file:1:2', '/var/log/auth.log.1', 120);
    expect(store.get('file:1:2')).toMatchObject({ offset: 300, path: '/var/log/auth.log.1' });
  });

  it('moves an offset backwards when reset', async () => {
    const store = await loadedStore();
    store.advance('file:1:2', '/var/log/auth.log', 300);
    store.reset('file:1:2', '/var/log/auth.log', 0);
    expect(store.get('file:1:2')?.offset).toBe(0);
  });

  it('persists a reset', async () => {
    const first = await loadedStore();
    first.advance('file:1:2', '/var/log/auth.log', 300);
    await first.flush();
    first.reset('file:1:2', '/var/log/auth.log', 0);
    await first.flush();
    expect((await loadedStore()).get('file:1:2')?.offset).toBe(0);
  });

  it('forgets a stream', async () => {
    const first = await loadedStore();
    first.advance('file:1:2', '/var/log/auth.log', 300);
    await first.flush();
    first.forget('file:1:2');
    await first.flush();
    expect(first.get('file:1:2')).toBeUndefined();
    expect((await loadedStore()).get('file:1:2')).toBeUndefined();
  });

  it('writes nothing when nothing changed', async () => {
    const store = await loadedStore();
    await store.flush();
    expect(await readdir(dir)).toEqual([]);
  });

  it('does not rewrite the file when nothing changed since the last flush', async () => {
    const store = await loadedStore();
    store.advance('file:1:2', '/var/log/auth.log', 300);
    await store.flush();
    // Replace the file behind the store's back: a flush with nothing new must leave it alone.
    await writeFile(store.path, 'sentinel');
    await store.flush();
    expect(await readFile(store.path, 'utf8')).toBe('sentinel');
  });

  it('does not mark the store changed when advancing to an offset it already has', async () => {
    const store = await loadedStore();
    store.advance('file:1:2', '/var/log/auth.log', 300);
    await store.flush();
    await writeFile(store.path, 'sentinel');
    store.advance('file:1:2', '/var/log/auth.log', 200);
    await store.flush();
    expect(await readFile(store.path, 'utf8')).toBe('sentinel');
  });

  it('serializes concurrent flushes so the last change is on disk', async () => {
    const store = await loadedStore();
    const flushes: Promise<void>[] = [];
    for (let offset = 1; offset <= 5; offset++) {
      store.advance('file:1:2', '/var/log/auth.log', offset * 100);
      flushes.push(store.flush());
    }
    await Promise.all(flushes);
    expect((await loadedStore()).get('file:1:2')?.offset).toBe(500);
  });

  it('flushes again after a failed flush once the problem is gone', async () => {
    const store = await loadedStore();
    store.advance('file:1:2', '/var/log/auth.log', 300);
    await rm(dir, { recursive: true });
    await expect(store.flush()).rejects.toMatchObject({ code: 'ENOENT' });
    await mkdir(dir);
    await store.flush();
    expect((await loadedStore()).get('file:1:2')?.offset).toBe(300);
  });

  describe('with a corrupt checkpoint file', () => {
    it.each([
      ['text that is not JSON', '{"version":1,"streams":{'],
      ['an unknown version', JSON.stringify({ version: 2, streams: {} })],
      ['no streams', JSON.stringify({ version: 1 })],
      ['a negative offset', JSON.stringify({ version: 1, streams: { a: { offset: -1, path: 'x' } } })],
      ['a fractional offset', JSON.stringify({ version: 1, streams: { a: { offset: 1.5, path: 'x' } } })],
      ['a stream that is null', JSON.stringify({ version: 1, streams: { a: null } })],
    ])('quarantines a file with %s', async (_what, content) => {
      await writeFile(join(dir, 'checkpoints.json'), content);
      const store = await loadedStore();
      expect(store.quarantined).toBe(1);
      const files = await readdir(dir);
      expect(files).toHaveLength(1);
      expect(files[0]).toMatch(/^checkpoints\.json\.corrupt-\d+$/);
      expect(await readFile(join(dir, files[0] as string), 'utf8')).toBe(content);
    });

    it('starts empty, dropping streams read before the problem was found', async () => {
      const content = JSON.stringify({
        version: 1,
        streams: { good: { offset: 10, path: 'a', updated_at: '' }, bad: { offset: -1, path: 'b' } },
      });
      await writeFile(join(dir, 'checkpoints.json'), content);
      const store = await loadedStore();
      expect(store.get('good')).toBeUndefined();
    });

    it('keeps working and writes a fresh file on the next flush', async () => {
      await writeFile(join(dir, 'checkpoints.json'), 'garbage');
      const store = await loadedStore();
      store.advance('file:1:2', '/var/log/auth.log', 42);
      await store.flush();
      expect((await loadedStore()).get('file:1:2')?.offset).toBe(42);
    });

    it('does not count a valid file as quarantined', async () => {
      const first = await loadedStore();
      first.advance('file:1:2', '/var/log/auth.log', 42);
      await first.flush();
      const second = await loadedStore();
      expect(second.quarantined).toBe(0);
    });
  });
});
