import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../../', import.meta.url));

function sources(dir: string): string[] {
  return readdirSync(join(root, dir)).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(join(root, path)).isDirectory()) return sources(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

describe('docs/operations.md', () => {
  it('documents every metric the code exports', () => {
    const doc = readFileSync(join(root, 'docs', 'operations.md'), 'utf8');
    const names = new Set<string>();
    for (const file of ['collector', 'core', 'processor', 'bin'].flatMap(sources)) {
      for (const match of readFileSync(join(root, file), 'utf8').matchAll(/'(vigil_[a-z_]+)'/g)) {
        names.add(match[1] as string);
      }
    }
    expect(names.size).toBeGreaterThan(10);
    const undocumented = [...names].filter((name) => !doc.includes(`\`${name}\``));
    expect(undocumented).toEqual([]);
  });
});
