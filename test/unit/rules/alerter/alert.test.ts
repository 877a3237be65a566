import { describe, expect, it } from 'vitest';
import { decodeAlert, validateAlert } from '../../../../rules/alerter/alert.ts';
import {
  alertDocument,
  alertFromDocument,
  alertIndexName,
  threatOf,
} from '../../../../rules/alerter/alert-document.ts';

const valid = {
  id: 'Zm9vYmFyYmF6cXV4MTIzNDU2Nzg',
  kind: 'detection',
  '@timestamp': '2026-05-31T23:59:59.000Z',
  rule: {
    id: 'ssh-brute',
    title: 'SSH brute force',
    level: 'high',
    tags: ['attack.t1110.001', 'attack.credential_access'],
  },
  first_event_at: '2026-05-31T23:59:59.000Z',
  last_event_at: '2026-05-31T23:59:59.000Z',
  event_ids: ['e1'],
  event_index: 'vigil-linux.auth-2026.05.31',
  fields: { 'source.ip': '203.0.113.7', 'user.name': 'root', 'host.name': 'web-01' },
};

describe('validateAlert', () => {
  it('accepts a well-formed alert record', () => {
    expect(validateAlert(valid)).toEqual({ alert: valid });
  });

  it.each([
    [{ ...valid, id: 'x' }, /^id:/],
    [{ ...valid, id: 'has spaces in it' }, /^id:/],
    [{ ...valid, kind: 'other' }, /^kind:/],
    [{ ...valid, '@timestamp': 'yesterday' }, /^@timestamp:/],
    [{ ...valid, rule: { ...valid.rule, level: 'severe' } }, /^rule\.level:/],
    [{ ...valid, rule: { ...valid.rule, tags: 'x' } }, /^rule\.tags:/],
    [{ ...valid, event_ids: [1] }, /^event_ids:/],
    [{ ...valid, group: { 'source.ip': 7 } }, /^group\.source\.ip:/],
    [{ ...valid, count: -1 }, /^count:/],
    [[], /not a JSON object/],
  ])('names what is wrong (%#)', (value, reason) => {
    const result = validateAlert(value);
    expect('invalid' in result && result.invalid).toMatch(reason);
  });

  it('reports values that are not JSON', () => {
    expect(decodeAlert('{nope')).toMatchObject({ invalid: expect.stringMatching(/^not JSON/) });
    expect(decodeAlert(null)).toEqual({ invalid: 'empty value' });
  });
});

describe('alertDocument', () => {
  const alert = validateAlert(valid) as { alert: import('../../../../rules/alerter/alert.ts').AlertRecord };
  const doc = alertDocument(alert.alert, { destinations: ['soc'], now: new Date('2026-06-01T00:00:01Z') });

  it('goes to the alerts index of the UTC month of its @timestamp', () => {
    expect(alertIndexName('vigil', valid['@timestamp'])).toBe('vigil-alerts-2026.05');
    expect(alertIndexName('vigil', '2026-06-01T01:00:00+02:00')).toBe('vigil-alerts-2026.05');
  });

  it('has the fields of the alerts index template', () => {
    expect(doc).toMatchObject({
      '@timestamp': valid['@timestamp'],
      event: { kind: 'alert', severity: 73 },
      rule: { id: 'ssh-brute', name: 'SSH brute force', level: 'high' },
      source: { ip: '203.0.113.7' },
      user: { name: 'root' },
      related: { ip: ['203.0.113.7'], user: ['root'], hosts: ['web-01'] },
      vigil: {
        alert: {
          id: valid.id,
          first_event_time: valid.first_event_at,
          last_event_time: valid.last_event_at,
          event_ids: ['e1'],
          suppressed: false,
          suppressed_count: 0,
          notify: { pending: ['soc'], sent: [], failed: [] },
        },
      },
    });
  });

  it('turns ATT&CK tags into threat fields', () => {
    expect(threatOf(valid.rule.tags)).toEqual({
      threat: {
        framework: 'MITRE ATT&CK',
        tactic: { id: ['TA0006'], name: ['Credential Access'] },
        technique: { id: ['T1110'], subtechnique: { id: ['T1110.001'] } },
      },
    });
  });

  it('reads back into the same alert record', () => {
    expect(alertFromDocument(doc)).toEqual(alert.alert);
    const bare = alertDocument(alert.alert, { destinations: [], now: new Date(), withoutFields: true });
    expect(alertFromDocument(bare)).toEqual(alert.alert);
  });

  it('ignores field names that would reach an object prototype', () => {
    const hostile = { ...alert.alert, fields: { '__proto__.polluted': 'yes', 'constructor.prototype.x': 1 } };
    alertDocument(hostile, { destinations: [], now: new Date() });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
