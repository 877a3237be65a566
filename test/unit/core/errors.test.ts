import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES, type ErrorCode, isVigilError, toVigilError, VigilError } from '../../../core/errors.ts';

describe('VigilError', () => {
  it('carries its code, message and name', () => {
    const error = new VigilError('CONFIG_INVALID', 'Configuration file vigil.yaml has 1 problem.');
    expect(error).toBeInstanceOf(Error);
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toBe('Configuration file vigil.yaml has 1 problem.');
    expect(error.name).toBe('VigilError');
  });

  it('takes its default retriability from the code', () => {
    expect(new VigilError('KAFKA_UNAVAILABLE', 'down').retriable).toBe(true);
    expect(new VigilError('CONFIG_PARSE', 'bad').retriable).toBe(false);
  });

  it('lets the thrower override the default retriability both ways', () => {
    expect(new VigilError('OPENSEARCH_REJECTED', '503', { retriable: true }).retriable).toBe(true);
    expect(new VigilError('OPENSEARCH_UNAVAILABLE', '400', { retriable: false }).retriable).toBe(false);
  });

  it('keeps the cause it was given', () => {
    const cause = new Error('ECONNREFUSED');
    expect(new VigilError('REDIS_UNAVAILABLE', 'down', { cause }).cause).toBe(cause);
  });

  it('has no cause when none was given', () => {
    const error = new VigilError('INTERNAL', 'oops');
    expect(error.cause).toBeUndefined();
    expect('cause' in error).toBe(false);
  });

  it('keeps its details', () => {
    expect(new VigilError('KAFKA_TOPIC_MISSING', 'missing', { details: { missing: ['t'] } }).details).toEqual(
      {
        missing: ['t'],
      },
    );
  });

  it('ends a command with exit code 2 for configuration and usage errors', () => {
    for (const code of [
      'CONFIG_NOT_FOUND',
      'CONFIG_PARSE',
      'CONFIG_INVALID',
      'CONFIG_SECRET_UNREADABLE',
      'USAGE',
    ] as const) {
      expect(new VigilError(code, 'x').exitCode).toBe(2);
    }
  });

  it('ends a command with exit code 1 for runtime errors', () => {
    expect(new VigilError('KAFKA_UNAVAILABLE', 'x').exitCode).toBe(1);
    expect(new VigilError('INTERNAL', 'x').exitCode).toBe(1);
  });

  it('does not let a retriability override change the exit code', () => {
    expect(new VigilError('CONFIG_INVALID', 'x', { retriable: true }).exitCode).toBe(2);
  });
});

describe('isVigilError', () => {
  it('recognises a VigilError', () => {
    expect(isVigilError(new VigilError('INTERNAL', 'x'))).toBe(true);
  });

  it('rejects plain errors and other values', () => {
    expect(isVigilError(new Error('x'))).toBe(false);
    expect(isVigilError({ code: 'INTERNAL', message: 'x' })).toBe(false);
    expect(isVigilError(undefined)).toBe(false);
  });
});

describe('toVigilError', () => {
  it('returns a VigilError unchanged', () => {
    const error = new VigilError('SOURCE_IO', 'x');
    expect(toVigilError(error, 'INTERNAL')).toBe(error);
  });

  it('wraps a plain error as INTERNAL, keeping its message and the error as cause', () => {
    const cause = new TypeError('undefined is not a function');
    const wrapped = toVigilError(cause);
    expect(wrapped).toBeInstanceOf(VigilError);
    expect(wrapped.code).toBe('INTERNAL');
    expect(wrapped.message).toBe('undefined is not a function');
    expect(wrapped.cause).toBe(cause);
    expect(wrapped.retriable).toBe(false);
  });

  it('wraps with the code it is given', () => {
    const wrapped = toVigilError(new Error('connect ECONNREFUSED'), 'KAFKA_UNAVAILABLE');
    expect(wrapped.code).toBe('KAFKA_UNAVAILABLE');
    expect(wrapped.retriable).toBe(true);
  });

  it('wraps a thrown non-error value using its string form', () => {
    const wrapped = toVigilError('boom');
    expect(wrapped.message).toBe('boom');
    expect(wrapped.cause).toBe('boom');
  });
});

describe('docs/errors.md', () => {
  const doc = readFileSync(new URL('../../../docs/errors.md', import.meta.url), 'utf8');
  const headings = [...doc.matchAll(/^## (.*)$/gm)].map((m) => (m[1] as string).trim());
  const codes = Object.keys(ERROR_CODES) as ErrorCode[];

  it('has a section for every error code', () => {
    expect(codes.filter((code) => !headings.includes(code))).toEqual([]);
  });

  it('has no section that is not an error code', () => {
    expect(headings.filter((heading) => !(heading in ERROR_CODES))).toEqual([]);
  });

  it('has each section once', () => {
    expect(headings.filter((heading, i) => headings.indexOf(heading) !== i)).toEqual([]);
  });

  it('states the retriability and exit code each code has', () => {
    const sections = doc.split(/^## /m).slice(1);
    for (const section of sections) {
      const code = section.slice(0, section.indexOf('\n')).trim() as ErrorCode;
      const { retriable, exitCode } = ERROR_CODES[code];
      expect(section, code).toMatch(new RegExp(`Retriable: ${retriable ? 'yes' : 'no'}\\b`));
      expect(section, code).toContain(`Exit code: ${exitCode}.`);
    }
  });
});
