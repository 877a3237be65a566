/** Vigil's version, read once from package.json. */
import { readFileSync } from 'node:fs';
import { resourcePath } from './resources.ts';

export const VIGIL_VERSION: string = (
  JSON.parse(readFileSync(resourcePath('package.json'), 'utf8')) as { version: string }
).version;
