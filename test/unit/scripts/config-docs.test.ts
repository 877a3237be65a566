import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { configJsonSchema } from '../../../core/config/schema.ts';
import { CONFIG_DOCS_FILE, configOptions, main, renderConfigDocs } from '../../../scripts/config-docs.ts';

interface JsonSchema {
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema;
}

/** Every key of the schema as a key path, `[]` standing for the items of a list. */
function keyPaths(schema: JsonSchema, path = ''): string[] {
  const found: string[] = [];
  for (const [key, child] of Object.entries(schema.properties ?? {})) {
    const childPath = path === '' ? key : `${path}.${key}`;
    found.push(childPath, ...keyPaths(child, childPath));
  }
  if (schema.items) found.push(...keyPaths(schema.items, `${path}[]`));
  return found;
}

describe('docs/configuration.md', () => {
  it('is what the generator produces from the current schema (run `npm run docs:config` if not)', () => {
    expect(readFileSync(CONFIG_DOCS_FILE, 'utf8')).toBe(renderConfigDocs());
  });

  it('names every key of the schema', () => {
    const docs = renderConfigDocs();
    const paths = keyPaths(configJsonSchema() as JsonSchema);
    expect(paths).toContain('collector.files[].paths');
    const missing = paths.filter((path) => !docs.includes(`\`${path}\``));
    expect(missing).toEqual([]);
  });

  it('gives every option a description', () => {
    const undescribed = configOptions().filter((o) => o.description.trim() === '');
    expect(undescribed.map((o) => o.path)).toEqual([]);
  });

  it('says the collector id defaults to the host name instead of the generating machine’s name', () => {
    const id = configOptions().find((o) => o.path === 'collector.id');
    expect(id?.default).toBe('the host name');
  });

  it('marks no option as planned now that every section has the code that reads it', () => {
    expect(configOptions().filter((o) => o.planned)).toEqual([]);
    expect(renderConfigDocs()).not.toMatch(/Planned: /);
  });

  it('shows the real message of a rejected configuration', () => {
    expect(renderConfigDocs()).toContain('kafka.broker: unknown key (did you mean "brokers"?)');
  });
});

describe('config-docs script', () => {
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'vigil-config-docs-'));
    vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  });

  afterEach(() => {
    vi.restoreAllMocks();
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes the reference', () => {
    const file = join(dir, 'configuration.md');
    expect(main([], file)).toBe(0);
    expect(readFileSync(file, 'utf8')).toBe(renderConfigDocs());
  });

  it('with --check, exits 0 when the file is up to date', () => {
    const file = join(dir, 'configuration.md');
    writeFileSync(file, renderConfigDocs());
    expect(main(['--check'], file)).toBe(0);
  });

  it('with --check, exits 1 when the file is out of date and leaves it alone', () => {
    const file = join(dir, 'configuration.md');
    writeFileSync(file, '# stale\n');
    expect(main(['--check'], file)).toBe(1);
    expect(readFileSync(file, 'utf8')).toBe('# stale\n');
  });

  it('with --check, exits 1 when the file is missing', () => {
    expect(main(['--check'], join(dir, 'missing.md'))).toBe(1);
  });

  it('rejects an unknown argument with exit code 2', () => {
    expect(main(['--chek'], join(dir, 'configuration.md'))).toBe(2);
  });
});
