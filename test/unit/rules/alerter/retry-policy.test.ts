import { describe, expect, it } from 'vitest';
import {
  backoffDelay,
  classifyNetworkError,
  classifyStatus,
  parseRetryAfter,
  RETRY_AFTER_MAX_MS,
} from '../../../../rules/alerter/retry-policy.ts';

describe('classifyStatus', () => {
  it.each([200, 201, 202, 204])('treats %i as delivered', (status) => {
    expect(classifyStatus(status).kind).toBe('delivered');
  });

  it.each([500, 502, 503, 504, 429, 408])('retries %i', (status) => {
    expect(classifyStatus(status).kind).toBe('retry');
  });

  it.each([400, 401, 403, 404, 410, 422])('fails %i at once', (status) => {
    expect(classifyStatus(status).kind).toBe('fail');
  });

  it.each([301, 302, 303, 307, 308])('fails the redirect %i at once', (status) => {
    expect(classifyStatus(status)).toMatchObject({ kind: 'fail', reason: expect.stringMatching(/redirect/) });
  });

  it('keeps the Retry-After of a 429 and a 503', () => {
    expect(classifyStatus(429, '30')).toMatchObject({ kind: 'retry', retryAfterMs: 30_000 });
    expect(classifyStatus(503, '2')).toMatchObject({ kind: 'retry', retryAfterMs: 2000 });
  });
});

describe('parseRetryAfter', () => {
  it('reads delay-seconds and HTTP dates', () => {
    expect(parseRetryAfter('120')).toBe(120_000);
    const now = Date.parse('2026-05-01T10:00:00Z');
    expect(parseRetryAfter('Fri, 01 May 2026 10:00:30 GMT', now)).toBe(30_000);
  });

  it('ignores what it cannot read and caps what is too long', () => {
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter(undefined)).toBeUndefined();
    expect(parseRetryAfter('999999')).toBe(RETRY_AFTER_MAX_MS);
  });
});

describe('backoffDelay', () => {
  const options = { initialMs: 1000, maxMs: 60_000 };

  it('doubles with each attempt, with equal jitter', () => {
    expect(backoffDelay(1, { ...options, random: () => 0 })).toBe(500);
    expect(backoffDelay(1, { ...options, random: () => 1 })).toBe(1000);
    expect(backoffDelay(3, { ...options, random: () => 1 })).toBe(4000);
    expect(backoffDelay(3, { ...options, random: () => 0 })).toBe(2000);
  });

  it('never exceeds the maximum', () => {
    expect(backoffDelay(30, { ...options, random: () => 1 })).toBe(60_000);
  });

  it('never comes before the receiver’s Retry-After', () => {
    expect(backoffDelay(1, { ...options, random: () => 0 }, 90_000)).toBe(90_000);
  });
});

describe('classifyNetworkError', () => {
  it('retries connection errors', () => {
    const error = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    expect(classifyNetworkError(error)).toMatchObject({
      kind: 'retry',
      reason: expect.stringMatching(/ECONNREFUSED/),
    });
  });
});
