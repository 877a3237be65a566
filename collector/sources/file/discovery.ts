/**
 * Finds the files an input names: expands its glob patterns, drops what an
 * exclude pattern matches, and stats each path (following symbolic links, so
 * a pattern that finds a link tails its target). Files are keyed by device
 * and inode: one file found under several names is one file.
 */
import { type BigIntStats, type FSWatcher, watch } from 'node:fs';
import { glob, stat } from 'node:fs/promises';
import { matchesGlob, resolve } from 'node:path';

export interface FoundFile {
  /** `<dev>:<ino>` in hex. */
  key: string;
  dev: string;
  ino: string;
  /** Every path it was found at, in discovery order. */
  paths: string[];
}

export async function discoverFiles(
  patterns: readonly string[],
  exclude: readonly string[],
): Promise<Map<string, FoundFile>> {
  const paths = new Set<string>();
  for (const pattern of patterns) {
    for await (const found of glob(pattern)) {
      const path = resolve(found);
      if (
        exclude.some(
          (ex) => matchesGlob(path, ex) || matchesGlob(found, ex) || matchesGlob(baseName(path), ex),
        )
      ) {
        continue;
      }
      paths.add(path);
    }
  }
  const files = new Map<string, FoundFile>();
  for (const path of paths) {
    let info: BigIntStats;
    try {
      info = await stat(path, { bigint: true });
    } catch {
      continue;
    }
    if (!info.isFile()) continue;
    const dev = info.dev.toString(16);
    const ino = info.ino.toString(16);
    const key = fileKey(dev, ino);
    const known = files.get(key);
    if (known) known.paths.push(path);
    else files.set(key, { key, dev, ino, paths: [path] });
  }
  return files;
}

export function fileKey(dev: string, ino: string): string {
  return `${dev}:${ino}`;
}

function baseName(path: string): string {
  const index = path.lastIndexOf('/');
  return index === -1 ? path : path.slice(index + 1);
}

const GLOB_CHARS = /[*?[\]{}!]/;

/**
 * The folders to watch for the patterns: the folder of a plain path or of
 * `dir/*.log`. A pattern with globs in its folder part contributes its
 * longest plain prefix; changes deeper down are found by polling.
 */
export function watchedDirectories(patterns: readonly string[]): string[] {
  const dirs = new Set<string>();
  for (const pattern of patterns) {
    const parts = resolve(pattern).split('/');
    parts.pop();
    const plain: string[] = [];
    for (const part of parts) {
      if (GLOB_CHARS.test(part)) break;
      plain.push(part);
    }
    dirs.add(plain.join('/') || '/');
  }
  return [...dirs];
}

/**
 * Watches folders (inotify on Linux) and calls back when an entry appears,
 * disappears or is renamed, so a new file is opened at once instead of at
 * the next poll: a file renamed away soon after it was created is then still
 * held. A folder that cannot be watched (missing, unsupported file system)
 * is tried again at the next `update`; polling covers it meanwhile.
 */
export class DirectoryWatcher {
  readonly #onChange: () => void;
  readonly #watchers = new Map<string, FSWatcher>();

  constructor(onChange: () => void) {
    this.#onChange = onChange;
  }

  update(dirs: readonly string[]): void {
    for (const dir of dirs) {
      if (this.#watchers.has(dir)) continue;
      try {
        const watcher = watch(dir, { persistent: false }, (event) => {
          if (event === 'rename') this.#onChange();
        });
        watcher.on('error', () => {
          watcher.close();
          this.#watchers.delete(dir);
        });
        this.#watchers.set(dir, watcher);
      } catch {
        // Not there (yet) or not watchable: polling finds its files.
      }
    }
  }

  close(): void {
    for (const watcher of this.#watchers.values()) watcher.close();
    this.#watchers.clear();
  }
}
