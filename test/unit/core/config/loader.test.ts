// biome-ignore-all lint/suspicious/noTemplateCurlyInString: `${VAR}` in plain strings is the configuration syntax under test.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  type ConfigProblem,
  defaultConfig,
  formatKeyPath,
  type LoadConfigOptions,
  loadConfigFile,
  parseConfig,
} from '../../../../core/config/loader.ts';
import { VigilError } from '../../../../core/errors.ts';

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'vigil-config-'));
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
  vi.unstubAllEnvs();
});

/** Writes `text` to a file in the test's temporary folder and returns its path. */
function write(name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

/** Runs `load` and returns the VigilError it throws; fails the test if it does not throw one. */
function failure(load: () => unknown): VigilError {
  try {
    load();
  } catch (error) {
    expect(error).toBeInstanceOf(VigilError);
    return error as VigilError;
  }
  throw new Error('expected the configuration to be rejected');
}

function problemsOf(error: VigilError): ConfigProblem[] {
  return (error.details?.problems ?? []) as ConfigProblem[];
}

/** Parses with an empty environment unless one is given. */
function parse(text: string, options: LoadConfigOptions = { env: {} }) {
  return parseConfig(text, 'vigil.yaml', options);
}

describe('loadConfigFile', () => {
  it('gives every default for an empty file', () => {
    expect(loadConfigFile(write('vigil.yaml', ''))).toEqual(defaultConfig());
  });

  it('gives every default for a file holding only comments', () => {
    expect(loadConfigFile(write('vigil.yaml', '# nothing configured yet\n'))).toEqual(defaultConfig());
  });

  it('fills in the defaults of keys the file leaves out', () => {
    const config = loadConfigFile(write('vigil.yaml', 'kafka:\n  partitions: 12\n'));
    expect(config.kafka.partitions).toBe(12);
    expect(config.kafka.brokers).toEqual(['127.0.0.1:9092']);
    expect(config.kafka.topics.dlq).toBe('vigil.dlq');
    expect(config.http.address).toBe('127.0.0.1:9600');
    expect(config.opensearch).toBeUndefined();
  });

  it('reports an unknown key, a wrong type and a missing required value in one error with key paths and lines', () => {
    const file = write(
      'vigil.yaml',
      [
        'kafka:',
        '  brokers: ["127.0.0.1:9092"]',
        '  partitons: 3',
        'collector:',
        '  poll_interval_ms: fast',
        'opensearch:',
        '  username: vigil',
        '',
      ].join('\n'),
    );
    const error = failure(() => loadConfigFile(file, { env: {} }));
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.exitCode).toBe(2);
    expect(error.retriable).toBe(false);
    expect(error.message).toContain(`Configuration file ${file} has 3 problems:`);
    expect(error.message).toContain(`${file}:3:3: kafka.partitons: unknown key`);
    expect(error.message).toContain(`${file}:5:21: collector.poll_interval_ms: expected number, got "fast"`);
    expect(error.message).toContain(`${file}:7:3: opensearch.url: required value is missing`);
    expect(problemsOf(error).map((p) => [p.path, p.line])).toEqual([
      ['kafka.partitons', 3],
      ['collector.poll_interval_ms', 5],
      ['opensearch.url', 7],
    ]);
    expect(error.details?.file).toBe(file);
  });

  it('throws CONFIG_NOT_FOUND naming the file when it does not exist', () => {
    const file = join(dir, 'missing.yaml');
    const error = failure(() => loadConfigFile(file));
    expect(error.code).toBe('CONFIG_NOT_FOUND');
    expect(error.exitCode).toBe(2);
    expect(error.message).toBe(`Configuration file ${file} does not exist.`);
    expect(error.details?.file).toBe(file);
    expect((error.cause as NodeJS.ErrnoException).code).toBe('ENOENT');
  });

  it('throws CONFIG_NOT_FOUND saying the file cannot be read when it is a folder', () => {
    const folder = join(dir, 'vigil.yaml');
    mkdirSync(folder);
    const error = failure(() => loadConfigFile(folder));
    expect(error.code).toBe('CONFIG_NOT_FOUND');
    expect(error.message).toBe(`Configuration file ${folder} cannot be read.`);
  });

  it('throws CONFIG_PARSE with the file and line of a YAML syntax error', () => {
    const file = write('vigil.yaml', 'kafka:\n  brokers: [127.0.0.1:9092\nhttp:\n  enabled: true\n');
    const error = failure(() => loadConfigFile(file));
    expect(error.code).toBe('CONFIG_PARSE');
    expect(error.exitCode).toBe(2);
    expect(error.message).toContain(`Configuration file ${file} is not valid YAML:`);
    expect(error.message).toMatch(new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+:\\d+: `));
    const [problem] = problemsOf(error);
    expect(problem?.line).toBeGreaterThanOrEqual(2);
  });
});

describe('parseConfig', () => {
  describe('structure', () => {
    it('rejects a key written twice in one mapping as a YAML error on the second one', () => {
      const error = failure(() => parse('kafka:\n  partitions: 1\n  partitions: 2\n'));
      expect(error.code).toBe('CONFIG_PARSE');
      expect(problemsOf(error)[0]?.line).toBe(3);
    });

    it('rejects a document that is a list instead of a mapping', () => {
      const error = failure(() => parse('- kafka\n- http\n'));
      expect(error.code).toBe('CONFIG_INVALID');
      expect(error.message).toContain('expected a mapping of sections at the top level');
    });

    it('rejects a document that is a single value', () => {
      expect(failure(() => parse('vigil\n')).code).toBe('CONFIG_INVALID');
    });

    it('names the source it was given in every problem', () => {
      const error = failure(() => parseConfig('htp: {}\n', 'conf/edge.yaml', { env: {} }));
      expect(error.message).toContain('Configuration file conf/edge.yaml has 1 problem:');
      expect(error.message).toContain('conf/edge.yaml:1:1: htp: unknown key');
    });

    it('lists problems in the order of their lines', () => {
      const error = failure(() => parse('htp: {}\nlog:\n  level: loud\nkafka:\n  partitions: -1\n'));
      expect(problemsOf(error).map((p) => [p.path, p.line])).toEqual([
        ['htp', 1],
        ['log.level', 3],
        ['kafka.partitions', 5],
      ]);
    });
  });

  describe('unknown keys', () => {
    it('suggests the closest known key for a typo', () => {
      const error = failure(() => parse('collector:\n  pol_interval_ms: 100\n'));
      expect(error.message).toContain(
        'collector.pol_interval_ms: unknown key (did you mean "poll_interval_ms"?)',
      );
    });

    it('suggests a top-level section for a misspelt section', () => {
      const error = failure(() => parse('kafak:\n  partitions: 1\n'));
      expect(error.message).toContain('kafak: unknown key (did you mean "kafka"?)');
    });

    it('suggests keys inside list items, with the index in the key path', () => {
      const error = failure(() =>
        parse('collector:\n  files:\n    - paths: [/var/log/auth.log]\n      datset: linux.auth\n'),
      );
      expect(error.message).toContain(
        'vigil.yaml:4:7: collector.files[0].datset: unknown key (did you mean "dataset"?)',
      );
    });

    it('makes no suggestion when no known key is close', () => {
      const error = failure(() => parse('kafka:\n  compression_codec: zstd\n'));
      expect(error.message).toContain('kafka.compression_codec: unknown key');
      expect(error.message).not.toContain('did you mean');
    });
  });

  describe('values', () => {
    it('lists the allowed values when a value is not one of them', () => {
      const error = failure(() => parse('log:\n  level: loud\n'));
      expect(error.message).toContain(
        'vigil.yaml:2:10: log.level: expected one of "trace", "debug", "info", "warn", "error", "fatal", "silent", got "loud"',
      );
    });

    it('reports a missing required value inside a list item with its key path', () => {
      const error = failure(() => parse('collector:\n  files:\n    - dataset: linux.auth\n'));
      expect(problemsOf(error)).toEqual([
        expect.objectContaining({ path: 'collector.files[0].paths', line: 3 }),
      ]);
    });

    it('reports a value that breaks a format rule with what was expected', () => {
      const error = failure(() => parse('kafka:\n  brokers: [localhost]\n'));
      expect(error.message).toContain('kafka.brokers[0]: expected "host:port", got "localhost"');
    });

    it('reads a section whose keys are all commented out as an empty section with defaults', () => {
      const config = parse('kafka:\n  # brokers: ["10.0.0.1:9092"]\n');
      expect(config.kafka.brokers).toEqual(['127.0.0.1:9092']);
    });

    it('still requires the keys of an empty section that has required keys', () => {
      const error = failure(() => parse('opensearch:\n'));
      expect(error.message).toContain('opensearch.url: required value is missing');
    });
  });

  describe('environment variables', () => {
    it('replaces ${VAR} with the variable', () => {
      const config = parse('opensearch:\n  url: ${OS_URL}\n', { env: { OS_URL: 'http://search:9200' } });
      expect(config.opensearch?.url).toBe('http://search:9200');
    });

    it('replaces variables inside a longer string', () => {
      const config = parse('kafka:\n  client_id: vigil-${SITE}-${ROLE}\n', {
        env: { SITE: 'ams', ROLE: 'edge' },
      });
      expect(config.kafka.client_id).toBe('vigil-ams-edge');
    });

    it('replaces variables inside lists', () => {
      const config = parse('kafka:\n  brokers: ["${BROKER}"]\n', { env: { BROKER: 'kafka-0:9092' } });
      expect(config.kafka.brokers).toEqual(['kafka-0:9092']);
    });

    it('reads process.env when no environment is given', () => {
      vi.stubEnv('VIGIL_TEST_CLIENT_ID', 'from-process-env');
      const config = parseConfig('kafka:\n  client_id: ${VIGIL_TEST_CLIENT_ID}\n', 'vigil.yaml');
      expect(config.kafka.client_id).toBe('from-process-env');
    });

    it('uses the default of ${VAR:-default} when the variable is unset', () => {
      expect(parse('kafka:\n  client_id: ${CLIENT:-edge}\n').kafka.client_id).toBe('edge');
    });

    it('uses the default of ${VAR:-default} when the variable is empty', () => {
      expect(parse('kafka:\n  client_id: ${CLIENT:-edge}\n', { env: { CLIENT: '' } }).kafka.client_id).toBe(
        'edge',
      );
    });

    it('prefers the variable over the default of ${VAR:-default}', () => {
      const config = parse('kafka:\n  client_id: ${CLIENT:-edge}\n', { env: { CLIENT: 'core' } });
      expect(config.kafka.client_id).toBe('core');
    });

    it('reads $$ as a literal dollar sign', () => {
      expect(parse('kafka:\n  client_id: cost$$5\n').kafka.client_id).toBe('cost$5');
    });

    it('does not expand a reference escaped with $$', () => {
      const config = parse('kafka:\n  client_id: $${CLIENT}\n', { env: { CLIENT: 'core' } });
      expect(config.kafka.client_id).toBe('${CLIENT}');
    });

    it('reports an unset variable with its key path and line', () => {
      const error = failure(() => parse('http:\n  enabled: true\nopensearch:\n  url: ${OS_URL}\n'));
      expect(error.code).toBe('CONFIG_INVALID');
      expect(error.message).toContain(
        'vigil.yaml:4:8: opensearch.url: environment variable OS_URL is not set (write ${OS_URL:-default} to give a default)',
      );
    });

    it('reports an unset variable once, not also as the invalid empty value it leaves', () => {
      const error = failure(() => parse('opensearch:\n  url: ${OS_URL}\n'));
      expect(problemsOf(error)).toHaveLength(1);
    });

    it('reports a variable that is set but empty as empty', () => {
      const error = failure(() => parse('redis:\n  url: ${REDIS_URL}\n', { env: { REDIS_URL: '' } }));
      expect(error.message).toContain('redis.url: environment variable REDIS_URL is empty');
    });

    it('reports every unset variable in one error', () => {
      const error = failure(() => parse('kafka:\n  client_id: ${A}\n  topics:\n    raw: ${B}\n'));
      expect(problemsOf(error).map((p) => p.path)).toEqual(['kafka.client_id', 'kafka.topics.raw']);
    });

    it('turns a variable into a number where the option expects a number', () => {
      const config = parse('kafka:\n  partitions: ${PARTITIONS:-6}\n', { env: { PARTITIONS: '12' } });
      expect(config.kafka.partitions).toBe(12);
    });

    it('turns a variable into true or false where the option expects a boolean', () => {
      expect(
        parse('http:\n  enabled: ${HTTP_ENABLED}\n', { env: { HTTP_ENABLED: 'false' } }).http.enabled,
      ).toBe(false);
    });

    it('keeps a variable a string where the option expects a string, even if it looks like a number', () => {
      expect(parse('kafka:\n  client_id: ${ID}\n', { env: { ID: '1234' } }).kafka.client_id).toBe('1234');
    });

    it('rejects a variable that does not read as the number the option expects', () => {
      const error = failure(() =>
        parse('kafka:\n  partitions: ${PARTITIONS}\n', { env: { PARTITIONS: 'six' } }),
      );
      expect(error.message).toContain('kafka.partitions: expected number, got "six"');
    });

    it('does not turn a quoted number written in the file into a number', () => {
      const error = failure(() => parse('kafka:\n  partitions: "6"\n'));
      expect(error.message).toContain('kafka.partitions: expected number, got "6"');
    });
  });

  describe('syslog over TLS', () => {
    it('reports a tls listener without a tls block', () => {
      const error = failure(() =>
        parse('collector:\n  syslog:\n    - protocol: tls\n      address: 0.0.0.0:6514\n'),
      );
      expect(error.code).toBe('CONFIG_INVALID');
      expect(error.message).toContain(
        'vigil.yaml:3:7: collector.syslog[0].tls: required when protocol is "tls" (cert_file and key_file)',
      );
    });

    it('accepts a tls listener whose certificate and key can be read', () => {
      const cert = write('cert.pem', 'cert');
      const key = write('key.pem', 'key');
      const config = parse(
        `collector:\n  syslog:\n    - protocol: tls\n      address: 0.0.0.0:6514\n      tls:\n        cert_file: ${cert}\n        key_file: ${key}\n`,
      );
      expect(config.collector.syslog[0]?.tls?.client_auth).toBe('none');
    });

    it('accepts a udp listener without a tls block', () => {
      const config = parse('collector:\n  syslog:\n    - protocol: udp\n      address: 0.0.0.0:5514\n');
      expect(config.collector.syslog[0]?.tls).toBeUndefined();
    });

    it('reports a missing tls block together with other problems in the same run', () => {
      const error = failure(() =>
        parse(
          'collector:\n  syslog:\n    - protocol: tls\n      address: 0.0.0.0:6514\n  pol_interval_ms: 5\n',
        ),
      );
      expect(problemsOf(error).map((p) => p.path)).toEqual([
        'collector.syslog[0].tls',
        'collector.pol_interval_ms',
      ]);
    });
  });

  describe('files named by *_file keys', () => {
    it('reports an unreadable secret file with its key path and line', () => {
      const missing = join(dir, 'no-such-password');
      const error = failure(() =>
        parse(`opensearch:\n  url: http://127.0.0.1:9200\n  username: vigil\n  password_file: ${missing}\n`),
      );
      expect(error.code).toBe('CONFIG_INVALID');
      expect(error.message).toContain(
        `vigil.yaml:4:18: opensearch.password_file: secret file ${missing} cannot be read`,
      );
    });

    it('reports an unreadable non-secret file as a file', () => {
      const missing = join(dir, 'no-such-ca.pem');
      const error = failure(() =>
        parse(`opensearch:\n  url: http://127.0.0.1:9200\n  ca_file: ${missing}\n`),
      );
      expect(error.message).toContain(`opensearch.ca_file: file ${missing} cannot be read`);
    });

    it('reports an unreadable file inside a list item with the index in the key path', () => {
      const missing = join(dir, 'hmac');
      const error = failure(() =>
        parse(
          `alerter:\n  webhooks:\n    - name: soc\n      url: https://soc.example/hook\n      secret_file: ${missing}\n`,
        ),
      );
      expect(error.message).toContain(
        `alerter.webhooks[0].secret_file: secret file ${missing} cannot be read`,
      );
    });

    it('accepts files that can be read', () => {
      const password = write('password', 'hunter2\n');
      const config = parse(`redis:\n  password_file: ${password}\n`);
      expect(config.redis.password_file).toBe(password);
    });

    it('reports an unreadable file together with other problems in the same run', () => {
      const missing = join(dir, 'no-such-password');
      const error = failure(() => parse(`redis:\n  password_file: ${missing}\nhtp: {}\n`));
      expect(problemsOf(error).map((p) => p.path)).toEqual(['redis.password_file', 'htp']);
    });

    it('checks a file named through an environment variable', () => {
      const password = write('password', 'hunter2');
      const config = parse('redis:\n  password_file: ${REDIS_PASSWORD_FILE}\n', {
        env: { REDIS_PASSWORD_FILE: password },
      });
      expect(config.redis.password_file).toBe(password);
    });
  });
});

describe('formatKeyPath', () => {
  it('joins keys with dots and writes list indexes in brackets', () => {
    expect(formatKeyPath(['collector', 'files', 0, 'paths', 2])).toBe('collector.files[0].paths[2]');
  });

  it('gives an empty string for the whole document', () => {
    expect(formatKeyPath([])).toBe('');
  });
});
