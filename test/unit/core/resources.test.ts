import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { packageRoot, resourcePath } from '../../../core/resources.ts';
import { ROOT } from '../../helpers/cli.ts';

describe('packageRoot', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it("is the folder of Vigil's package.json", () => {
    expect(join(packageRoot(), '/')).toBe(join(ROOT, '/'));
  });

  it('walks up from a module past folders whose package.json is another package', () => {
    dir = mkdtempSync(join(tmpdir(), 'vigil-resources-'));
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'vigil' }));
    mkdirSync(join(dir, 'dist', 'inner'), { recursive: true });
    writeFileSync(join(dir, 'dist', 'package.json'), JSON.stringify({ name: 'other' }));
    const from = pathToFileURL(join(dir, 'dist', 'inner', 'vigil.mjs')).href;
    expect(packageRoot(from)).toBe(dir);
  });

  it("throws when no package.json above the module is Vigil's", () => {
    dir = mkdtempSync(join(tmpdir(), 'vigil-resources-'));
    const from = pathToFileURL(join(dir, 'vigil.mjs')).href;
    expect(() => packageRoot(from)).toThrow(/package\.json \(name "vigil"\) was not found/);
  });
});

describe('resourcePath', () => {
  it('resolves shipped files from the package root', () => {
    expect(resourcePath('processor', 'parsers', 'grok', 'patterns', 'base.grok')).toBe(
      join(ROOT, 'processor', 'parsers', 'grok', 'patterns', 'base.grok'),
    );
    expect(existsSync(resourcePath('examples/demo.yaml'))).toBe(true);
  });
});
