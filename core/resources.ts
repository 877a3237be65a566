/**
 * Files Vigil ships beside its code (package.json, grok pattern files,
 * built-in pipelines, examples), found from the package root. A module must
 * not locate them relative to its own `import.meta.url`: in the production
 * bundle (`dist/vigil.mjs`, see scripts/build.ts) every module shares the
 * bundle's URL, so only the package root is a fixed point both there and
 * when Vigil runs from its TypeScript sources.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The `name` in Vigil's package.json, which marks the package root. */
const PACKAGE_NAME = 'vigil';

let root: string | undefined;

/**
 * The folder holding Vigil's package.json: the nearest one above `from`
 * (a file: URL; default this module, or the bundle) whose package.json is
 * named "vigil". Throws when there is none, which means a broken install.
 */
export function packageRoot(from: string = import.meta.url): string {
  if (from === import.meta.url && root !== undefined) return root;
  const start = dirname(fileURLToPath(from));
  for (let dir = start; ; dir = dirname(dir)) {
    if (isVigilPackage(join(dir, 'package.json'))) {
      if (from === import.meta.url) root = dir;
      return dir;
    }
    if (dirname(dir) === dir) break;
  }
  throw new Error(`Vigil's package.json (name "${PACKAGE_NAME}") was not found in ${start} or above it.`);
}

/** An absolute path to a shipped file, from path segments relative to the package root. */
export function resourcePath(...segments: string[]): string {
  return join(packageRoot(), ...segments);
}

function isVigilPackage(file: string): boolean {
  try {
    return (JSON.parse(readFileSync(file, 'utf8')) as { name?: unknown }).name === PACKAGE_NAME;
  } catch {
    return false;
  }
}
