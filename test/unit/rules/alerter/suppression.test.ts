import { describe, expect, it } from 'vitest';
import type { AlertRecord } from '../../../../rules/alerter/alert.ts';
import { MemorySuppressionStore, SuppressionPolicy } from '../../../../rules/alerter/suppression.ts';

function alert(id: string, fields: Record<string, unknown>, ruleId = 'ssh-brute'): AlertRecord {
  return {
    id,
    kind: 'detection',
    '@timestamp': '2026-05-01T10:00:00.000Z',
    rule: { id: ruleId, title: 'SSH brute force', level: 'high', tags: [] },
    first_event_at: '2026-05-01T10:00:00.000Z',
    last_event_at: '2026-05-01T10:00:00.000Z',
    event_ids: ['e'],
    fields,
  };
}

const policy = new SuppressionPolicy([{ rule: 'ssh-*', by: ['source.ip'], forMs: 60_000 }]);

describe('SuppressionPolicy', () => {
  it('matches rules by glob and names the entity by the by-fields', () => {
    const a = policy.match(alert('aaaaaaaa1', { 'source.ip': '203.0.113.7' }));
    const b = policy.match(alert('aaaaaaaa2', { 'source.ip': '203.0.113.7', 'user.name': 'x' }));
    const c = policy.match(alert('aaaaaaaa3', { 'source.ip': '203.0.113.8' }));
    expect(a?.entity).toBe(b?.entity);
    expect(a?.entity).not.toBe(c?.entity);
    expect(a?.description).toBe('source.ip=203.0.113.7');
  });

  it('takes the entity from the group of a correlation too', () => {
    const correlated = { ...alert('aaaaaaaa4', {}), group: { 'source.ip': '203.0.113.7' } };
    expect(policy.match(correlated)?.entity).toBe(
      policy.match(alert('aaaaaaaa1', { 'source.ip': '203.0.113.7' }))?.entity,
    );
  });

  it('does not apply to other rules, nor to alerts without the by-fields', () => {
    expect(policy.match(alert('aaaaaaaa1', { 'source.ip': '1.2.3.4' }, 'web-scan'))).toBeUndefined();
    expect(policy.match(alert('aaaaaaaa1', { 'user.name': 'root' }))).toBeUndefined();
  });
});

describe('MemorySuppressionStore (the decisions the Redis store makes)', () => {
  const first = alert('aaaaaaaa1', { 'source.ip': '203.0.113.7' });
  const second = alert('aaaaaaaa2', { 'source.ip': '203.0.113.7' });
  const other = alert('aaaaaaaa3', { 'source.ip': '198.51.100.1' });

  it('notifies the first alert and suppresses later ones of the same rule and entity inside the window', async () => {
    let now = 0;
    const store = new MemorySuppressionStore(() => now);
    expect(await store.decide(policy.match(first)!, first.id, 'idx')).toBeUndefined();
    now = 30_000;
    expect(await store.decide(policy.match(second)!, second.id, 'idx')).toEqual({
      id: first.id,
      index: 'idx',
    });
    expect(await store.decide(policy.match(other)!, other.id, 'idx')).toBeUndefined();
  });

  it('opens a new window once the old one has passed', async () => {
    let now = 0;
    const store = new MemorySuppressionStore(() => now);
    await store.decide(policy.match(first)!, first.id, 'idx');
    now = 61_000;
    expect(await store.decide(policy.match(second)!, second.id, 'idx')).toBeUndefined();
  });

  it('gives a replayed alert the same decision as the first time, even after the window', async () => {
    let now = 0;
    const store = new MemorySuppressionStore(() => now);
    await store.decide(policy.match(first)!, first.id, 'idx');
    now = 10_000;
    expect(await store.decide(policy.match(second)!, second.id, 'idx')).toEqual({
      id: first.id,
      index: 'idx',
    });
    expect(await store.decide(policy.match(first)!, first.id, 'idx')).toBeUndefined();
    now = 120_000;
    expect(await store.decide(policy.match(second)!, second.id, 'idx')).toEqual({
      id: first.id,
      index: 'idx',
    });
  });
});
