import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { AlertRecord } from '../../../../rules/alerter/alert.ts';
import { signature, verifySignature, webhookPayload } from '../../../../rules/alerter/payload.ts';

const alert: AlertRecord = {
  id: 'Zm9vYmFyYmF6cXV4MTIzNDU2Nzg',
  kind: 'correlation',
  '@timestamp': '2026-05-01T10:05:00.000Z',
  rule: {
    id: 'brute',
    title: 'Many failed logins',
    level: 'medium',
    tags: ['attack.t1110'],
    type: 'event_count',
  },
  first_event_at: '2026-05-01T10:00:00.000Z',
  last_event_at: '2026-05-01T10:05:00.000Z',
  event_ids: ['e1', 'e2', 'e3'],
  group: { 'source.ip': '203.0.113.7' },
  count: 12,
};

describe('signature', () => {
  it('is sha256=<hex HMAC-SHA256 over "<timestamp>.<body>">', () => {
    const expected = createHmac('sha256', 's3cret').update('1767225600.{"a":1}').digest('hex');
    expect(signature('s3cret', '1767225600', '{"a":1}')).toBe(`sha256=${expected}`);
  });

  it('verifies with the right secret and a fresh timestamp only', () => {
    const sig = signature('s3cret', '1000', 'body');
    expect(verifySignature('s3cret', '1000', 'body', sig, { now: 1010 })).toBe(true);
    expect(verifySignature('other', '1000', 'body', sig, { now: 1010 })).toBe(false);
    expect(verifySignature('s3cret', '1000', 'body!', sig, { now: 1010 })).toBe(false);
    expect(verifySignature('s3cret', '1000', 'body', sig, { now: 2000 })).toBe(false);
  });
});

describe('webhookPayload', () => {
  it('has the documented shape', () => {
    expect(webhookPayload(alert, 'soc')).toEqual({
      version: 1,
      idempotency_key: `${alert.id}:soc`,
      destination: 'soc',
      alert: {
        id: alert.id,
        kind: 'correlation',
        timestamp: '2026-05-01T10:05:00.000Z',
        first_event_at: '2026-05-01T10:00:00.000Z',
        last_event_at: '2026-05-01T10:05:00.000Z',
        count: 12,
        event_ids: ['e1', 'e2', 'e3'],
        group: { 'source.ip': '203.0.113.7' },
      },
      rule: {
        id: 'brute',
        title: 'Many failed logins',
        level: 'medium',
        tags: ['attack.t1110'],
        type: 'event_count',
      },
    });
  });

  it('is the same every time for the same alert and destination', () => {
    expect(JSON.stringify(webhookPayload(alert, 'soc'))).toBe(JSON.stringify(webhookPayload(alert, 'soc')));
  });

  it('lists at most 100 event ids and keeps the total in count', () => {
    const many = { ...alert, count: undefined, event_ids: Array.from({ length: 250 }, (_, i) => `e${i}`) };
    const payload = webhookPayload(many, 'soc');
    expect(payload.alert.event_ids).toHaveLength(100);
    expect(payload.alert.count).toBe(250);
  });
});
