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

  it('keeps the check and mid-line state that belong to the advanced offset', async () => {
    const store = await loadedStore();
    store.advance('s', '/a.log', 10, { check: 'c10', mid_line: 'continue' });
    store.advance('s', '/a.log', 20, { check: 'c20' });
    expect(store.get('s')).toMatchObject({ offset: 20, check: 'c20' });
    expect(store.get('s')).not.toHaveProperty('mid_line');
    store.advance('s', '/b.log', 15, { check: 'c15', mid_line: 'skip' });
    expect(store.get('s')).toMatchObject({ offset: 20, check: 'c20', path: '/b.log' });
  });

  it('keeps identity facts when advancing', async () => {
    const store = await loadedStore();
    store.put('file:abc', {
      offset: 0,
      path: '/a.log',
      updated_at: '',
      base: 'file:abc',
      epoch: 0,
      dev: '1',
      ino: '2',
      head_bytes: 1024,
      head: 'h',
    });
    store.advance('file:abc', '/a.log', 50);
    expect(store.get('file:abc')).toMatchObject({
      offset: 50,
      base: 'file:abc',
      dev: '1',
      ino: '2',
      head: 'h',
    });
  });

  it('changes identity facts without touching the offset, and ignores unknown streams', async () => {
    const store = await loadedStore();
    store.advance('s', '/a.log', 10);
    store.update('s', { dev: 'd', ino: 'i', path: '/b.log' });
    store.update('unknown', { dev: 'd' });
    expect(store.get('s')).toMatchObject({ offset: 10, dev: 'd', ino: 'i', path: '/b.log' });
    expect(store.get('unknown')).toBeUndefined();
  });

  it('removes a fact that is updated to undefined', async () => {
    const store = await loadedStore();
    store.put('s', { offset: 1, path: '/a.log', updated_at: '', dev: 'd', ino: 'i' });
    store.update('s', { dev: undefined, ino: undefined });
    expect(store.get('s')).not.toHaveProperty('dev');
    expect(store.get('s')).not.toHaveProperty('ino');
  });

  it('persists identity facts', async () => {
    const first = await loadedStore();
    first.put('file:abc#1', {
      offset: 7,
      path: '/a.log',
      updated_at: '',
      base: 'file:abc',
      epoch: 1,
      check: 'c',
    });
    await first.flush();
    expect((await loadedStore()).get('file:abc#1')).toMatchObject({
      offset: 7,
      base: 'file:abc',
      epoch: 1,
      check: 'c',
    });
  });

  it('gives a base the epoch after the highest one it has', async () => {
    const store = await loadedStore();
    expect(store.nextEpoch('file:abc')).toBe(0);
    store.put('file:abc', { offset: 0, path: '', updated_at: '', base: 'file:abc', epoch: 0 });
    store.put('file:abc#3', { offset: 0, path: '', updated_at: '', base: 'file:abc', epoch: 3 });
    store.put('file:other', { offset: 0, path: '', updated_at: '', base: 'file:other', epoch: 7 });
    expect(store.nextEpoch('file:abc')).toBe(4);
    expect(store.hasBase('file:abc')).toBe(true);
    expect(store.hasBase('file:none')).toBe(false);
  });

  it('tracks which streams are being read, in memory only', async () => {
    const store = await loadedStore();
    store.advance('s', '/a.log', 1);
    store.attach('s');
    expect(store.isAttached('s')).toBe(true);
    await store.flush();
    expect((await loadedStore()).isAttached('s')).toBe(false);
    store.detach('s');
    expect(store.isAttached('s')).toBe(false);
  });

  it('upgrades a version 1 file, reading device and inode from the stream id', async () => {
    await writeFile(
      join(dir, 'checkpoints.json'),
      JSON.stringify({
        version: 1,
        streams: { 'file:803:1f': { offset: 12, path: '/a.log', updated_at: '' } },
      }),
    );
    const store = await loadedStore();
    expect(store.get('file:803:1f')).toMatchObject({
      offset: 12,
      base: 'file:803:1f',
      epoch: 0,
      dev: '803',
      ino: '1f',
    });
    store.advance('file:803:1f', '/a.log', 20);
    await store.flush();
    expect(JSON.parse(await readFile(store.path, 'utf8')).version).toBe(2);
  });

  describe('with a corrupt checkpoint file', () => {
    it.each([
      ['text that is not JSON', '{"version":1,"streams":{'],
      ['an unknown version', JSON.stringify({ version: 99, streams: {} })],
      ['no streams', JSON.stringify({ version: 1 })],
      ['a negative offset', JSON.stringify({ version: 1, streams: { a: { offset: -1, path: 'x' } } })],
      ['a fractional offset', JSON.stringify({ version: 1, streams: { a: { offset: 1.5, path: 'x' } } })],
      ['a stream that is null', JSON.stringify({ version: 1, streams: { a: null } })],
      [
        'a negative epoch',
        JSON.stringify({ version: 2, streams: { a: { offset: 1, path: 'x', epoch: -1 } } }),
      ],
      [
        'a fractional head_bytes',
        JSON.stringify({ version: 2, streams: { a: { offset: 1, path: 'x', head_bytes: 0.5 } } }),
      ],
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
