import { describe, expect, it } from 'vitest';
import { configJsonSchema } from '../../../../core/config/schema.ts';

type JsonSchema = {
  type?: string | string[];
  description?: string;
  properties?: Record<string, JsonSchema>;
  additionalProperties?: boolean | JsonSchema;
  items?: JsonSchema;
  required?: string[];
  default?: unknown;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  $defs?: Record<string, JsonSchema>;
  [key: string]: unknown;
};

interface Visited {
  path: string;
  schema: JsonSchema;
}

/** Every property of the schema, nested ones included, with a readable key path. */
function properties(schema: JsonSchema, path = ''): Visited[] {
  const found: Visited[] = [];
  for (const [key, child] of Object.entries(schema.properties ?? {})) {
    const childPath = path === '' ? key : `${path}.${key}`;
    found.push({ path: childPath, schema: child }, ...properties(child, childPath));
  }
  if (schema.items) found.push(...properties(schema.items, `${path}[]`));
  for (const branch of [...(schema.anyOf ?? []), ...(schema.oneOf ?? []), ...(schema.allOf ?? [])]) {
    found.push(...properties(branch, path));
  }
  for (const [name, definition] of Object.entries(schema.$defs ?? {})) {
    found.push(...properties(definition, `$defs.${name}`));
  }
  return found;
}

/** Every object schema inside the schema, with its key path. */
function objects(schema: JsonSchema): Visited[] {
  return [{ path: '', schema }, ...properties(schema)].filter((v) => v.schema.properties !== undefined);
}

const schema = configJsonSchema() as JsonSchema;

describe('configJsonSchema', () => {
  it('is a draft 2020-12 JSON Schema of an object', () => {
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(schema.type).toBe('object');
  });

  it('has the fixed top-level sections', () => {
    expect(Object.keys(schema.properties ?? {})).toEqual(
      expect.arrayContaining([
        'kafka',
        'opensearch',
        'redis',
        'http',
        'collector',
        'processor',
        'rules',
        'alerter',
      ]),
    );
  });

  it('allows no other top-level keys', () => {
    expect(schema.additionalProperties).toBe(false);
  });

  it('allows no unknown keys in any section', () => {
    const open = objects(schema).filter((v) => v.schema.additionalProperties !== false);
    expect(open.map((v) => v.path)).toEqual([]);
  });

  it('requires no top-level section, since each has defaults or is optional', () => {
    expect(schema.required ?? []).toEqual([]);
  });

  it('walks every nested option, list items included', () => {
    const paths = properties(schema).map((v) => v.path);
    expect(paths).toContain('kafka.topics.dlq');
    expect(paths).toContain('collector.files[].max_line_bytes');
    expect(paths).toContain('collector.syslog[].tls.client_auth');
    expect(paths).toContain('alerter.webhooks[].secret_file');
  });

  it('describes every option', () => {
    const undocumented = properties(schema).filter((v) => !v.schema.description?.trim());
    expect(undocumented.map((v) => v.path)).toEqual([]);
  });

  it('describes every option in one line', () => {
    const multiline = properties(schema).filter((v) => v.schema.description?.includes('\n'));
    expect(multiline.map((v) => v.path)).toEqual([]);
  });

  it('describes the configuration as a whole', () => {
    expect(schema.description).toBeTruthy();
  });

  it('carries the defaults of options', () => {
    const kafka = schema.properties?.kafka;
    expect(kafka?.properties?.partitions?.default).toBe(6);
    expect(kafka?.properties?.brokers?.default).toEqual(['127.0.0.1:9092']);
  });

  it('marks options without a default as required in their section', () => {
    expect(schema.properties?.opensearch?.required).toContain('url');
  });

  it('lists the allowed values of an option with a fixed set', () => {
    expect(schema.properties?.log?.properties?.level?.enum).toEqual([
      'trace',
      'debug',
      'info',
      'warn',
      'error',
      'fatal',
      'silent',
    ]);
  });
});
