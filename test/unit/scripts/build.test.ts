import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VIGIL_VERSION } from '../../../core/version.ts';
import { buildBundle } from '../../../scripts/build.ts';
import { nodeBinary, ROOT } from '../../helpers/cli.ts';

const run = promisify(execFile);

// The bundle must sit in a folder under the package root (as dist/ does): it imports its packages
// from node_modules and finds its resources from the package root. A fresh folder under dist/
// keeps the test apart from `npm run build`'s dist/vigil.mjs.
let dir: string;
let bundle: string;

beforeAll(async () => {
  const parent = join(ROOT, 'dist');
  await mkdir(parent, { recursive: true });
  dir = await mkdtemp(join(parent, 'test-'));
  bundle = join(dir, 'vigil.mjs');
  await buildBundle(bundle);
}, 60_000);

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Runs the bundle as its shebang would: with the Node flags of its first line. */
async function vigil(args: string[]): Promise<{ stdout: string; stderr: string }> {
  const first = (await readFile(bundle, 'utf8')).split('\n', 1)[0] ?? '';
  const flags = first.split(/\s+/).filter((word) => word.startsWith('--'));
  return run(nodeBinary(), [...flags, bundle, ...args], {
    cwd: dir,
    env: { ...process.env, NODE_OPTIONS: '' },
  });
}

describe('scripts/build.ts', () => {
  it('writes an executable bundle that starts with the first line of bin/vigil.ts', async () => {
    const source = (await readFile(join(ROOT, 'bin', 'vigil.ts'), 'utf8')).split('\n', 1)[0];
    const built = (await readFile(bundle, 'utf8')).split('\n', 1)[0];
    expect(built).toBe(source);
    expect(built).toMatch(/^#!\/usr\/bin\/env -S node /);
    expect((await stat(bundle)).mode & 0o111).not.toBe(0);
  });

  it('bundles the repository but leaves the packages of node_modules to be imported', async () => {
    const text = await readFile(bundle, 'utf8');
    expect(text).not.toMatch(/from ["']\.\.?\//);
    expect(text).toMatch(/from ["']kafkajs["']/);
  });

  it('prints the version of package.json', async () => {
    const { stdout } = await vigil(['--version']);
    expect(stdout.trim()).toBe(VIGIL_VERSION);
  });

  it('finds the grok base patterns from the package root', async () => {
    const { stdout } = await vigil(['grok', 'test', '--pattern', '%{IP:ip}', '--line', '1.2.3.4', '--json']);
    expect(JSON.parse(stdout.trim())).toMatchObject({ fields: { ip: '1.2.3.4' } });
  });
});
