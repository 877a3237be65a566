import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fsyncDir, writeFileAtomic } from '../../../../core/fs/atomic-write.ts';

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vigil-atomic-write-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('writeFileAtomic', () => {
  it('creates the file when it does not exist', async () => {
    const target = join(dir, 'checkpoints.json');
    await writeFileAtomic(target, '{"version":1}\n');
    expect(await readFile(target, 'utf8')).toBe('{"version":1}\n');
  });

  it('replaces the whole content of an existing file', async () => {
    const target = join(dir, 'checkpoints.json');
    await writeFile(target, 'old content that is longer than the new one\n');
    await writeFileAtomic(target, 'new\n');
    expect(await readFile(target, 'utf8')).toBe('new\n');
  });

  it('writes bytes as given', async () => {
    const target = join(dir, 'blob.bin');
    await writeFileAtomic(target, new Uint8Array([0, 255, 10, 13]));
    expect([...(await readFile(target))]).toEqual([0, 255, 10, 13]);
  });

  it('leaves no temporary file beside the target', async () => {
    const target = join(dir, 'checkpoints.json');
    await writeFileAtomic(target, 'one');
    await writeFileAtomic(target, 'two');
    expect(await readdir(dir)).toEqual(['checkpoints.json']);
  });

  it('keeps the last content when writes to one file follow each other', async () => {
    const target = join(dir, 'checkpoints.json');
    for (let i = 0; i < 5; i++) await writeFileAtomic(target, `version ${i}`);
    expect(await readFile(target, 'utf8')).toBe('version 4');
  });

  it('gives concurrent writes distinct temporary files, so each leaves a complete content', async () => {
    const target = join(dir, 'checkpoints.json');
    const contents = Array.from({ length: 5 }, (_, i) => `content ${i} `.repeat(1000));
    await Promise.all(contents.map((c) => writeFileAtomic(target, c)));
    expect(contents).toContain(await readFile(target, 'utf8'));
    expect(await readdir(dir)).toEqual(['checkpoints.json']);
  });

  it('fails when the folder does not exist', async () => {
    await expect(writeFileAtomic(join(dir, 'missing', 'checkpoints.json'), 'x')).rejects.toMatchObject({
      code: 'ENOENT',
    });
  });

  it('removes its temporary file when the rename fails', async () => {
    const target = join(dir, 'occupied');
    await mkdir(target);
    await writeFile(join(target, 'inside'), 'keeps the directory non-empty');
    await expect(writeFileAtomic(target, 'x')).rejects.toThrow();
    expect(await readdir(dir)).toEqual(['occupied']);
    expect((await stat(target)).isDirectory()).toBe(true);
  });

  it('leaves the target untouched and removes its temporary file when writing fails', async () => {
    const target = join(dir, 'checkpoints.json');
    await writeFile(target, 'old');
    // Not a string nor bytes: the write into the temporary file fails.
    await expect(writeFileAtomic(target, 42 as unknown as string)).rejects.toThrow();
    expect(await readFile(target, 'utf8')).toBe('old');
    expect(await readdir(dir)).toEqual(['checkpoints.json']);
  });
});

describe('fsyncDir', () => {
  it('succeeds on an existing folder', async () => {
    await expect(fsyncDir(dir)).resolves.toBeUndefined();
  });

  it('fails on a missing folder', async () => {
    await expect(fsyncDir(join(dir, 'missing'))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
