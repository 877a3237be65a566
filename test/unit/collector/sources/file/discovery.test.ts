import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { discoverFiles, watchedDirectories } from '../../../../../collector/sources/file/discovery.ts';

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vigil-discovery-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('discoverFiles', () => {
  it('finds the files the patterns match, minus the excluded ones', async () => {
    await writeFile(join(dir, 'a.log'), '');
    await writeFile(join(dir, 'b.log'), '');
    await writeFile(join(dir, 'c.txt'), '');
    const found = await discoverFiles([join(dir, '*.log')], ['b.log']);
    expect([...found.values()].map((f) => f.paths)).toEqual([[join(dir, 'a.log')]]);
  });

  it('keys a file by device and inode, with every path it was found at', async () => {
    await writeFile(join(dir, 'a.log'), '');
    await symlink(join(dir, 'a.log'), join(dir, 'link.log'));
    const found = await discoverFiles([join(dir, '*.log')], []);
    expect(found.size).toBe(1);
    const [file] = [...found.values()];
    expect(file?.key).toBe(`${file?.dev}:${file?.ino}`);
    expect(file?.paths.sort()).toEqual([join(dir, 'a.log'), join(dir, 'link.log')]);
  });

  it('leaves out folders and broken links', async () => {
    await mkdir(join(dir, 'folder.log'));
    await symlink(join(dir, 'missing'), join(dir, 'broken.log'));
    expect((await discoverFiles([join(dir, '*.log')], [])).size).toBe(0);
  });
});

describe('watchedDirectories', () => {
  it('watches the folder of a plain path or of a file-name pattern', () => {
    expect(watchedDirectories(['/var/log/auth.log', '/var/log/apache2/*.log', '/var/log/syslog'])).toEqual([
      '/var/log',
      '/var/log/apache2',
    ]);
  });

  it('watches the plain part of a pattern with globs in its folders', () => {
    expect(watchedDirectories(['/var/log/*/app.log', '/srv/{a,b}/x.log'])).toEqual(['/var/log', '/srv']);
  });
});
