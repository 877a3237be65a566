// The production build: `npm run build` bundles the `vigil` command line (bin/vigil.ts and everything it
// imports from this repository) into one JavaScript file, dist/vigil.mjs, with esbuild. Packages from
// node_modules stay external (imported at run time, as from the sources).
//
//   node scripts/build.ts [--out <file>]     (default dist/vigil.mjs)
//
// Why: Node strips the types of every .ts module it loads, and keeps what that costs (≈ 20 MiB of the
// collector's resident memory); the bundle is plain JavaScript, loaded in one piece. The bundle starts with
// bin/vigil.ts's first line, so it runs with the same Node flags. Files that modules read at run time
// (grok patterns, built-in pipelines, examples, package.json) are found from the package root
// (core/resources.ts), so the bundle must stay in a folder directly under the package root, like dist/.

import { chmod, mkdir, readFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const ENTRY = join(ROOT, 'bin', 'vigil.ts');
export const DEFAULT_OUT = join(ROOT, 'dist', 'vigil.mjs');

/** Bundles bin/vigil.ts into `out` (an executable file); returns its size in bytes. */
export async function buildBundle(out: string = DEFAULT_OUT): Promise<number> {
  const shebang = (await readFile(ENTRY, 'utf8')).split('\n', 1)[0] ?? '';
  if (!shebang.startsWith('#!')) throw new Error(`${ENTRY} must start with a #! line.`);
  await mkdir(dirname(out), { recursive: true });
  const result = await build({
    entryPoints: [ENTRY],
    outfile: out,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node24',
    packages: 'external',
    // esbuild carries the entry's #! line over; the check below makes sure.
    legalComments: 'none',
    logLevel: 'warning',
    metafile: true,
  });
  const text = await readFile(out, 'utf8');
  if (text.split('\n', 1)[0] !== shebang) {
    throw new Error(`${out} does not start with bin/vigil.ts's first line (${shebang}).`);
  }
  await chmod(out, 0o755);
  return result.metafile.outputs[relative(process.cwd(), out)]?.bytes ?? Buffer.byteLength(text);
}

if (import.meta.main) {
  const { values } = parseArgs({ options: { out: { type: 'string' } }, strict: true });
  const out = values.out === undefined ? DEFAULT_OUT : resolve(values.out);
  const bytes = await buildBundle(out);
  process.stdout.write(`Built ${relative(process.cwd(), out)} (${Math.round(bytes / 1024)} KiB).\n`);
}
