import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readSecretFile, Secret } from '../../../../core/config/secret.ts';
import { VigilError } from '../../../../core/errors.ts';

const VALUE = 'hunter2-s3cr3t';

describe('Secret', () => {
  const secret = new Secret(VALUE, '/run/secrets/opensearch');

  it('reveals its value on request', () => {
    expect(secret.reveal()).toBe(VALUE);
  });

  it('prints as [redacted] with String()', () => {
    expect(String(secret)).toBe('[redacted]');
  });

  it('prints as [redacted] in a template literal', () => {
    expect(`password=${secret}`).toBe('password=[redacted]');
  });

  it('prints as [redacted] when concatenated', () => {
    // biome-ignore lint/style/useTemplate: concatenation is the behaviour under test
    expect('password=' + secret).toBe('password=[redacted]');
  });

  it('serializes as [redacted] with JSON.stringify, also inside an object', () => {
    expect(JSON.stringify(secret)).toBe('"[redacted]"');
    expect(JSON.stringify({ auth: { password: secret } })).toBe('{"auth":{"password":"[redacted]"}}');
  });

  it('shows only where it came from in util.inspect, also inside an object', () => {
    expect(inspect(secret)).toBe('Secret(/run/secrets/opensearch)');
    const nested = inspect({ auth: { password: secret } }, { depth: 5, showHidden: true });
    expect(nested).toContain('Secret(/run/secrets/opensearch)');
    expect(nested).not.toContain(VALUE);
  });

  it('keeps its value out of its enumerable properties', () => {
    expect(Object.values(secret)).not.toContain(VALUE);
    expect(JSON.stringify({ ...secret })).not.toContain(VALUE);
  });
});

describe('readSecretFile', () => {
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'vigil-secret-'));
  });

  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  const write = (name: string, content: string): string => {
    const file = join(dir, name);
    writeFileSync(file, content);
    return file;
  };

  it('reads the file and remembers its name', () => {
    const file = write('password', VALUE);
    const secret = readSecretFile(file);
    expect(secret.reveal()).toBe(VALUE);
    expect(secret.source).toBe(file);
  });

  it('drops one trailing newline', () => {
    expect(readSecretFile(write('password', `${VALUE}\n`)).reveal()).toBe(VALUE);
  });

  it('drops one trailing CRLF', () => {
    expect(readSecretFile(write('password', `${VALUE}\r\n`)).reveal()).toBe(VALUE);
  });

  it('drops only one trailing newline', () => {
    expect(readSecretFile(write('password', `${VALUE}\n\n`)).reveal()).toBe(`${VALUE}\n`);
  });

  it('keeps surrounding spaces and inner newlines', () => {
    expect(readSecretFile(write('password', ` a\nb \n`)).reveal()).toBe(' a\nb ');
  });

  it('throws CONFIG_SECRET_UNREADABLE naming the file when it does not exist', () => {
    const file = join(dir, 'missing');
    let caught: unknown;
    try {
      readSecretFile(file);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(VigilError);
    const error = caught as VigilError;
    expect(error.code).toBe('CONFIG_SECRET_UNREADABLE');
    expect(error.message).toContain(file);
    expect(error.exitCode).toBe(2);
    expect((error.cause as NodeJS.ErrnoException).code).toBe('ENOENT');
  });

  it('throws CONFIG_SECRET_UNREADABLE when the name is a folder', () => {
    expect(() => readSecretFile(dir)).toThrow(expect.objectContaining({ code: 'CONFIG_SECRET_UNREADABLE' }));
  });
});
