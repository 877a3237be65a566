import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../core/config/loader.ts';

function example(name: string): string {
  return readFileSync(new URL(`../../../examples/${name}`, import.meta.url), 'utf8');
}

/** Parses an example with an empty environment, so only the examples' own defaults apply. */
function parseExample(name: string) {
  return parseConfig(example(name), `examples/${name}`, { env: {} });
}

describe('examples/vigil.yaml', () => {
  it('is valid according to the loader', () => {
    expect(() => parseExample('vigil.yaml')).not.toThrow();
  });

  it('tails the auth log and the Apache logs and indexes into OpenSearch through Kafka', () => {
    const config = parseExample('vigil.yaml');
    expect(config.collector.files.map((f) => f.dataset)).toEqual([
      'linux.auth',
      'apache.access',
      'apache.error',
    ]);
    expect(config.collector.files[0]?.paths).toEqual(['/var/log/auth.log*']);
    expect(config.opensearch?.url).toMatch(/^https:\/\//);
    expect(config.kafka.brokers.length).toBeGreaterThan(1);
  });

  it('takes the variables it refers to from the environment', () => {
    const config = parseConfig(example('vigil.yaml'), 'examples/vigil.yaml', {
      env: { VIGIL_OPENSEARCH_URL: 'http://127.0.0.1:9200', VIGIL_KAFKA_PARTITIONS: '3' },
    });
    expect(config.opensearch?.url).toBe('http://127.0.0.1:9200');
    expect(config.kafka.partitions).toBe(3);
  });
});

describe('examples/demo.yaml', () => {
  it('is valid according to the loader', () => {
    expect(() => parseExample('demo.yaml')).not.toThrow();
  });

  it('keeps everything under the demo folder', () => {
    const config = parseConfig(example('demo.yaml'), 'examples/demo.yaml', {
      env: { VIGIL_DEMO_DIR: '/tmp/demo' },
    });
    expect(config.collector.data_dir).toBe('/tmp/demo/collector');
    expect(config.processor.output_dir).toBe('/tmp/demo/events');
    expect(config.collector.files.every((f) => f.paths.every((p) => p.startsWith('/tmp/demo/logs/')))).toBe(
      true,
    );
  });
});
