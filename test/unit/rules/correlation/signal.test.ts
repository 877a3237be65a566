import { describe, expect, it } from 'vitest';
import { signalKey, signalsForHit } from '../../../../rules/correlation/signal.ts';
import { BASE_RULES, setOf } from './helpers.ts';

const { set } = setOf(`${BASE_RULES}
---
title: Per user and host
name: per_user
correlation: { type: event_count, rules: [a], group-by: [User, host.name], timespan: 1m, condition: { gte: 2 } }
---
title: Bytes
name: bytes
correlation: { type: value_sum, rules: [a, b], group-by: [host.name], timespan: 1m, condition: { field: bytes, gt: 10 } }
---
title: Aliased
name: aliased
correlation:
  type: temporal
  rules: [a, b]
  group-by: [ip]
  timespan: 1m
  aliases: { ip: { a: source.ip, b: destination.ip } }
`);

const event = {
  '@timestamp': '2025-03-01T10:00:00Z',
  user: { name: 'root' },
  host: { name: 'web1' },
  source: { ip: '203.0.113.7' },
  destination: { ip: '10.0.0.5' },
  http: { bytes: '1234' },
};
const resolveField = (f: string) => ({ User: ['user.name'], bytes: ['http.bytes'] })[f] ?? [f];

describe('signals for a detection hit', () => {
  it('makes one signal per correlation referencing the rule, with group values through the field mapping', () => {
    const signals = signalsForHit(set, { name: 'a' }, event, { eventId: 'e1', resolveField });
    expect(signals).toEqual([
      {
        correlation: 'per_user',
        rule: 'a',
        time: '2025-03-01T10:00:00.000Z',
        event_id: 'e1',
        group: { User: 'root', 'host.name': 'web1' },
      },
      {
        correlation: 'bytes',
        rule: 'a',
        time: '2025-03-01T10:00:00.000Z',
        event_id: 'e1',
        group: { 'host.name': 'web1' },
        value: 1234,
      },
      {
        correlation: 'aliased',
        rule: 'a',
        time: '2025-03-01T10:00:00.000Z',
        event_id: 'e1',
        group: { ip: '203.0.113.7' },
      },
    ]);
    expect(signalKey(signals[0] as never, set.correlation('per_user'))).toBe('per_user|root|web1');
  });

  it('reads each rule’s own field for an alias', () => {
    expect(
      signalsForHit(set, { name: 'b' }, event, { eventId: 'e1' }).find((s) => s.correlation === 'aliased')
        ?.group,
    ).toEqual({ ip: '10.0.0.5' });
  });

  it('makes no signal when a group-by value, a number for value_sum, or the time is missing', () => {
    const noUser = { ...event, user: {} };
    expect(
      signalsForHit(set, { name: 'a' }, noUser, { eventId: 'e1', resolveField }).map((s) => s.correlation),
    ).toEqual(['bytes', 'aliased']);
    const noBytes = { ...event, http: { bytes: 'many' } };
    expect(
      signalsForHit(set, { name: 'b' }, noBytes, { eventId: 'e1', resolveField }).map((s) => s.correlation),
    ).toEqual(['aliased']);
    expect(
      signalsForHit(set, { name: 'a' }, { ...event, '@timestamp': 'yesterday' }, { eventId: 'e1' }),
    ).toEqual([]);
  });

  it('makes nothing for a rule no correlation references', () => {
    expect(signalsForHit(set, { name: 'c', id: 'x' }, event, { eventId: 'e1' })).toEqual([]);
  });
});
