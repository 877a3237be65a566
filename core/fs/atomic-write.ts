/**
 * Crash-safe file replacement: write a temporary file beside the target,
 * fsync it, rename it over the target, then fsync the directory so the
 * rename itself survives a power loss. A reader sees the old or the new
 * content, never a torn mix.
 */
import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

let counter = 0;

export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const dir = dirname(path);
  counter += 1;
  const temp = join(dir, `.${basename(path)}.${process.pid}.${counter}.tmp`);
  const handle = await open(temp, 'w', 0o640);
  try {
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
  } catch (error) {
    // A failed write (e.g. a full disk) must not leave its temporary file behind.
    await rm(temp, { force: true });
    throw error;
  }
  await fsyncDir(dir);
}

export async function fsyncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
