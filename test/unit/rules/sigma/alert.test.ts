import { describe, expect, it } from 'vitest';
import { validateAlert } from '../../../../rules/alerter/alert.ts';
import { alertId, buildAlert, eventIdOf } from '../../../../rules/sigma/alert.ts';
import { attackTags } from '../../../../rules/sigma/engine/rule-set.ts';
import { build } from './helpers.ts';

const RULE = `title: Root SSH login
id: 11111111-2222-4333-8444-555555555555
status: stable
level: high
tags: [attack.initial-access, attack.t1078.003, attack.g0016, cve.2021-1]
logsource: { product: linux }
fields: [sshd.method]
detection:
  sel: { user.name: root }
  condition: sel
`;

const EVENT = {
  '@timestamp': '2026-11-24T10:00:01.000Z',
  host: { name: 'web1' },
  user: { name: 'root' },
  source: { ip: '203.0.113.7', port: 50122 },
  process: { name: 'sshd', pid: 4242 },
  sshd: { method: 'password' },
  event: { dataset: 'linux.auth', action: 'ssh_login', category: ['authentication'], outcome: 'success' },
  vigil: { record: { id: 'web-01/file:abc/1234', offset: 1234, stream: 'file:abc' } },
};

describe('buildAlert', () => {
  const [hit] = build(RULE).ruleSet.match(EVENT);

  it('builds the alert record: rule, event id and index, key fields', () => {
    const alert = buildAlert(hit!, EVENT, { eventId: 'evt-1', eventIndex: 'vigil-linux.auth-2026.11.24' });
    expect(alert).toEqual({
      id: alertId('11111111-2222-4333-8444-555555555555', 'evt-1'),
      kind: 'detection',
      '@timestamp': '2026-11-24T10:00:01.000Z',
      rule: {
        id: '11111111-2222-4333-8444-555555555555',
        title: 'Root SSH login',
        level: 'high',
        tags: ['attack.initial-access', 'attack.t1078.003', 'attack.g0016', 'cve.2021-1'],
      },
      first_event_at: '2026-11-24T10:00:01.000Z',
      last_event_at: '2026-11-24T10:00:01.000Z',
      event_ids: ['evt-1'],
      event_index: 'vigil-linux.auth-2026.11.24',
      fields: {
        'event.dataset': 'linux.auth',
        'event.action': 'ssh_login',
        'event.outcome': 'success',
        'host.name': 'web1',
        'source.ip': '203.0.113.7',
        'source.port': 50122,
        'user.name': 'root',
        'process.name': 'sshd',
        'process.pid': 4242,
        'sshd.method': 'password',
      },
    });
    expect(validateAlert(alert)).toEqual({ alert });
  });

  it('gives the same alert id for the same rule and event, and another for another event', () => {
    expect(buildAlert(hit!, EVENT, { eventId: 'a' }).id).toBe(buildAlert(hit!, EVENT, { eventId: 'a' }).id);
    expect(buildAlert(hit!, EVENT, { eventId: 'a' }).id).not.toBe(
      buildAlert(hit!, EVENT, { eventId: 'b' }).id,
    );
    expect(alertId('r', 'e')).toMatch(/^[A-Za-z0-9_-]{27}$/);
  });

  it("derives the event id from vigil.record.id like the event's OpenSearch _id", () => {
    expect(eventIdOf(EVENT)).toMatch(/^[A-Za-z0-9_-]{27}$/);
    expect(buildAlert(hit!, EVENT).event_ids).toEqual([eventIdOf(EVENT)]);
    expect(() => buildAlert(hit!, { user: { name: 'root' } })).toThrow(/no id/);
  });
});

describe('attackTags', () => {
  it('splits techniques (upper case) from tactics, ignoring groups and software', () => {
    expect(
      attackTags(['attack.t1110', 'attack.credential-access', 'attack.s0002', 'car.2016-04-004']),
    ).toEqual({
      tactics: ['credential-access'],
      techniques: ['T1110'],
    });
  });
});
