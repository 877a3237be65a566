/**
 * Conformance of each correlation type: timestamped signals in, the alerts
 * expected out — window edges, out-of-order and late events, ordering,
 * group-by separation, chains of correlations, state bounds.
 */
import { describe, expect, it } from 'vitest';
import { correlationAlertId } from '../../../../rules/correlation/alert.ts';
import {
  CorrelationEngine,
  type Emission,
  type EngineOptions,
} from '../../../../rules/correlation/engine.ts';
import type { Signal } from '../../../../rules/correlation/signal.ts';
import { at, BASE_RULES, setOf, signal } from './helpers.ts';

function engineFor(correlations: string, options: Partial<EngineOptions> = {}) {
  const { set, problems } = setOf(`${BASE_RULES}\n---\n${correlations}`);
  expect(problems).toEqual([]);
  const counts = { late: 0, groupEvictions: 0, eventEvictions: 0, duplicates: 0 };
  const engine = new CorrelationEngine(set, {
    allowedLatenessMs: 0,
    ...options,
    hooks: {
      late: () => counts.late++,
      evicted: (_rule, what) => (what === 'group' ? counts.groupEvictions++ : counts.eventEvictions++),
      duplicate: () => counts.duplicates++,
    },
  });
  const emitted: Emission[] = [];
  const feed = (...signals: Signal[]) => {
    for (const s of signals) {
      for (const e of engine.process(s)) {
        emitted.push(e);
        for (const chained of e.signals) emitted.push(...engine.process(chained));
      }
    }
  };
  const finish = () => emitted.push(...engine.advanceWatermark(Number.POSITIVE_INFINITY));
  return { engine, feed, finish, emitted, counts, alerts: () => emitted.map((e) => e.alert) };
}

const COUNT_3_IN_10S = `
title: Three A in 10 s
name: three
correlation: { type: event_count, rules: [a], group-by: [user], timespan: 10s, condition: { gte: 3 } }
level: high
`;

describe('event_count', () => {
  it('fires when the third event is exactly one timespan after the first', () => {
    const t = engineFor(COUNT_3_IN_10S);
    t.feed(
      signal('three', 'a', 0, { user: 'root' }),
      signal('three', 'a', 5000, { user: 'root' }),
      signal('three', 'a', 10_000, { user: 'root' }),
    );
    expect(t.alerts()).toEqual([
      {
        id: correlationAlertId('three', ['root'], 'a@10000'),
        kind: 'correlation',
        '@timestamp': at(10_000),
        rule: { id: 'three', title: 'Three A in 10 s', level: 'high', tags: [], type: 'event_count' },
        first_event_at: at(0),
        last_event_at: at(10_000),
        event_ids: ['a@0', 'a@5000', 'a@10000'],
        group: { user: 'root' },
        count: 3,
      },
    ]);
  });

  it('does not fire when the third event is one millisecond over the timespan', () => {
    const t = engineFor(COUNT_3_IN_10S);
    t.feed(
      signal('three', 'a', 0, { user: 'root' }),
      signal('three', 'a', 5000, { user: 'root' }),
      signal('three', 'a', 10_001, { user: 'root' }),
    );
    t.finish();
    expect(t.alerts()).toEqual([]);
  });

  it('keeps groups apart and starts a group over after an alert', () => {
    const t = engineFor(COUNT_3_IN_10S);
    for (let i = 0; i < 7; i++)
      t.feed(
        signal('three', 'a', i * 100, { user: 'root' }),
        signal('three', 'a', i * 100 + 1, { user: i < 2 ? 'bob' : `u${i}` }),
      );
    expect(t.alerts().map((a) => [a.group.user, a['@timestamp'], a.count])).toEqual([
      ['root', at(200), 3],
      ['root', at(500), 3],
    ]);
  });

  it('places out-of-order events within the lateness in time order: same alert as in order', () => {
    const inOrder = engineFor(COUNT_3_IN_10S, { allowedLatenessMs: 10_000 });
    inOrder.feed(
      signal('three', 'a', 0, { user: 'root' }),
      signal('three', 'a', 4000, { user: 'root' }),
      signal('three', 'a', 8000, { user: 'root' }),
    );
    const shuffled = engineFor(COUNT_3_IN_10S, { allowedLatenessMs: 10_000 });
    shuffled.feed(signal('three', 'a', 8000, { user: 'root' }), signal('three', 'a', 0, { user: 'root' }));
    expect(shuffled.alerts()).toEqual([]);
    shuffled.feed(signal('three', 'a', 4000, { user: 'root' }));
    expect(shuffled.alerts()).toEqual(inOrder.alerts());
    expect(shuffled.alerts()[0]?.['@timestamp']).toBe(at(8000));
    expect(shuffled.counts.late).toBe(0);
  });

  it('counts an event older than the watermark as late and drops it (policy drop)', () => {
    const t = engineFor(COUNT_3_IN_10S, { allowedLatenessMs: 2000 });
    t.feed(signal('three', 'a', 0, { user: 'root' }), signal('three', 'a', 9000, { user: 'root' }));
    // The watermark is 9000 − 2000 = 7000: an event at 6999 is late, one at 7000 is not.
    t.feed(signal('three', 'a', 6999, { user: 'root' }));
    expect(t.counts.late).toBe(1);
    expect(t.alerts()).toEqual([]);
    t.feed(signal('three', 'a', 7000, { user: 'root' }));
    expect(t.counts.late).toBe(1);
    expect(t.alerts().map((a) => a.event_ids)).toEqual([['a@0', 'a@7000', 'a@9000']]);
  });

  it('counts a late event and still places it among the events held (policy admit)', () => {
    const t = engineFor(COUNT_3_IN_10S, { allowedLatenessMs: 2000, latePolicy: 'admit' });
    t.feed(
      signal('three', 'a', 0, { user: 'root' }),
      signal('three', 'a', 9000, { user: 'root' }),
      signal('three', 'a', 5000, { user: 'root' }),
    );
    expect(t.counts.late).toBe(1);
    expect(t.alerts().map((a) => [a['@timestamp'], a.event_ids])).toEqual([
      [at(9000), ['a@0', 'a@5000', 'a@9000']],
    ]);
  });

  it('counts the same event once when its signal arrives twice', () => {
    const t = engineFor(COUNT_3_IN_10S);
    t.feed(
      signal('three', 'a', 0, { user: 'root' }),
      signal('three', 'a', 0, { user: 'root' }),
      signal('three', 'a', 1, { user: 'root' }),
    );
    expect(t.alerts()).toEqual([]);
    expect(t.counts.duplicates).toBe(1);
  });

  it('decides upper bounds on the complete window: lt fires once the watermark passes its end', () => {
    const t = engineFor(`
title: Few
name: few
correlation: { type: event_count, rules: [a], group-by: [user], timespan: 10s, condition: { lt: 3 } }
`);
    t.feed(signal('few', 'a', 0, { user: 'quiet' }), signal('few', 'a', 4000, { user: 'quiet' }));
    for (let i = 0; i < 3; i++) t.feed(signal('few', 'a', 1000 + i, { user: 'busy' }));
    expect(t.alerts()).toEqual([]);
    // An event at 10,000 is still in quiet's window; the watermark passes its end at 10,001.
    t.feed(signal('few', 'a', 10_000, { user: 'other' }));
    expect(t.alerts()).toEqual([]);
    t.feed(signal('few', 'a', 10_001, { user: 'other' }));
    expect(t.alerts().map((a) => [a.group.user, a['@timestamp'], a.count])).toEqual([['quiet', at(4000), 2]]);
  });

  it('applies ranges and eq, neq on complete windows', () => {
    const t = engineFor(
      `
title: Range
name: range
correlation: { type: event_count, rules: [a], group-by: [user], timespan: 10s, condition: { gt: 1, lte: 3 } }
---
title: Exactly two
name: two
correlation: { type: event_count, rules: [b], group-by: [user], timespan: 10s, condition: { eq: 2 } }
---
title: Not one
name: notone
correlation: { type: event_count, rules: [c], group-by: [user], timespan: 10s, condition: { neq: 1 } }
`,
      { allowedLatenessMs: 60_000 },
    );
    const n = { x: 1, y: 2, z: 4 };
    for (const [user, count] of Object.entries(n)) {
      for (let i = 0; i < count; i++) {
        t.feed(
          signal('range', 'a', i, { user }),
          signal('two', 'b', i, { user }),
          signal('notone', 'c', i, { user }),
        );
      }
    }
    t.finish();
    const by = (rule: string) =>
      t
        .alerts()
        .filter((a) => a.rule.id === rule)
        .map((a) => a.group.user);
    expect(by('range')).toEqual(['y']);
    expect(by('two')).toEqual(['y']);
    expect(by('notone')).toEqual(['y', 'z']);
  });
});

describe('value_count', () => {
  it('counts distinct values of the field per group', () => {
    const t = engineFor(`
title: Spray
name: spray
correlation: { type: value_count, rules: [a], group-by: [ip], timespan: 1m, condition: { field: user, gte: 3 } }
`);
    t.feed(
      signal('spray', 'a', 0, { ip: '1' }, { value: 'root' }),
      signal('spray', 'a', 1, { ip: '1' }, { value: 'root' }),
      signal('spray', 'a', 2, { ip: '2' }, { value: 'bob' }),
      signal('spray', 'a', 3, { ip: '1' }, { value: 'admin' }),
      signal('spray', 'a', 4, { ip: '2' }, { value: 'eve' }),
    );
    expect(t.alerts()).toEqual([]);
    t.feed(signal('spray', 'a', 60_000, { ip: '1' }, { value: 'oracle' }));
    expect(t.alerts().map((a) => [a.group.ip, a.count, a.event_ids.length])).toEqual([['1', 3, 4]]);
  });
});

describe('temporal', () => {
  const TEMPORAL = `
title: All three
name: all3
correlation: { type: temporal, rules: [a, b, c], group-by: [host], timespan: 5m }
`;
  it('fires when every rule matched within the timespan, in any order', () => {
    const t = engineFor(TEMPORAL);
    t.feed(
      signal('all3', 'c', 0, { host: 'h' }),
      signal('all3', 'a', 1000, { host: 'h' }),
      signal('all3', 'a', 2000, { host: 'h' }),
    );
    expect(t.alerts()).toEqual([]);
    t.feed(signal('all3', 'b', 300_000, { host: 'h' }));
    expect(t.alerts().map((a) => [a['@timestamp'], a.count, a.event_ids])).toEqual([
      [at(300_000), 3, ['c@0', 'a@1000', 'a@2000', 'b@300000']],
    ]);
  });

  it('does not fire when one rule falls outside the timespan or another group has it', () => {
    const t = engineFor(TEMPORAL);
    t.feed(
      signal('all3', 'c', 0, { host: 'h' }),
      signal('all3', 'a', 1000, { host: 'h' }),
      signal('all3', 'b', 300_001, { host: 'h' }),
    );
    t.feed(
      signal('all3', 'a', 0, { host: 'x' }),
      signal('all3', 'b', 0, { host: 'x' }),
      signal('all3', 'c', 0, { host: 'y' }),
    );
    t.finish();
    expect(t.alerts()).toEqual([]);
  });
});

describe('temporal_ordered', () => {
  const ORDERED = `
title: A then B then C
name: abc
correlation: { type: temporal_ordered, rules: [a, b, c], group-by: [host], timespan: 1m }
`;
  it('fires only when the rules matched in the order listed', () => {
    const t = engineFor(ORDERED);
    t.feed(
      signal('abc', 'b', 0, { host: 'h' }),
      signal('abc', 'a', 1, { host: 'h' }),
      signal('abc', 'c', 2, { host: 'h' }),
    );
    expect(t.alerts()).toEqual([]);
    t.feed(signal('abc', 'b', 3, { host: 'h' }));
    expect(t.alerts()).toEqual([]);
    t.feed(signal('abc', 'c', 4, { host: 'h' }));
    expect(t.alerts().map((a) => a.event_ids)).toEqual([['a@1', 'b@3', 'c@4']]);
  });

  it('orders by event time, not by arrival', () => {
    const t = engineFor(ORDERED, { allowedLatenessMs: 10_000 });
    t.feed(
      signal('abc', 'c', 3000, { host: 'h' }),
      signal('abc', 'b', 2000, { host: 'h' }),
      signal('abc', 'a', 1000, { host: 'h' }),
    );
    expect(t.alerts().map((a) => [a['@timestamp'], a.event_ids])).toEqual([
      [at(3000), ['a@1000', 'b@2000', 'c@3000']],
    ]);
  });

  it('does not fire when the sequence takes longer than the timespan', () => {
    const t = engineFor(ORDERED);
    t.feed(
      signal('abc', 'a', 0, { host: 'h' }),
      signal('abc', 'b', 30_000, { host: 'h' }),
      signal('abc', 'c', 60_001, { host: 'h' }),
    );
    expect(t.alerts()).toEqual([]);
  });
});

describe('value_sum, value_avg, value_percentile', () => {
  const VALUES = `
title: Sum
name: sum
correlation: { type: value_sum, rules: [a], group-by: [host], timespan: 1m, condition: { field: bytes, gt: 100 } }
---
title: Avg
name: avg
correlation: { type: value_avg, rules: [b], group-by: [host], timespan: 1m, condition: { field: ms, gte: 500 } }
---
title: P90
name: p90
correlation: { type: value_percentile, rules: [c], group-by: [host], timespan: 1m, condition: { field: ms, percentile: 90, gte: 900 } }
`;
  it('sums, averages and takes the percentile of the field over the window', () => {
    const t = engineFor(VALUES, { allowedLatenessMs: 60_000 });
    t.feed(
      signal('sum', 'a', 0, { host: 'h' }, { value: 60 }),
      signal('sum', 'a', 1, { host: 'h' }, { value: 40 }),
    );
    expect(t.alerts()).toEqual([]);
    t.feed(signal('sum', 'a', 2, { host: 'h' }, { value: 1 }));
    expect(t.alerts().map((a) => [a.rule.id, a.value])).toEqual([['sum', 101]]);

    t.feed(
      signal('avg', 'b', 0, { host: 'h' }, { value: 100 }),
      signal('avg', 'b', 1, { host: 'h' }, { value: 800 }),
    );
    expect(t.alerts()).toHaveLength(1);
    t.feed(signal('avg', 'b', 2, { host: 'h' }, { value: 600 }));
    expect(t.alerts().map((a) => [a.rule.id, a.value])).toEqual([
      ['sum', 101],
      ['avg', 500],
    ]);

    // Nine fast requests, then slow ones: the 90th percentile (nearest rank) reaches 900 with the tenth.
    for (let i = 0; i < 9; i++) t.feed(signal('p90', 'c', i, { host: 'h' }, { value: 10 }));
    t.feed(signal('p90', 'c', 10, { host: 'h' }, { value: 950 }));
    expect(t.alerts()).toHaveLength(2);
    t.feed(signal('p90', 'c', 11, { host: 'h' }, { value: 990 }));
    expect(t.alerts().at(-1)).toMatchObject({ rule: { id: 'p90', type: 'value_percentile' }, value: 950 });
  });
});

describe('chains, aliases and state bounds', () => {
  it('correlates correlations: the inner rule feeds the outer one and makes no alert of its own', () => {
    const t = engineFor(`
title: Many failures
name: many_failures
correlation: { type: event_count, rules: [a], group-by: [user], timespan: 1m, condition: { gte: 3 } }
---
title: Failures then success
name: brute_force
correlation: { type: temporal_ordered, rules: [many_failures, b], group-by: [user], timespan: 5m }
level: critical
`);
    for (let i = 0; i < 3; i++) t.feed(signal('many_failures', 'a', i * 1000, { user: 'root' }));
    t.feed(signal('brute_force', 'b', 10_000, { user: 'root' }));
    const inner = t.emitted.filter((e) => e.alert.rule.id === 'many_failures');
    const outer = t.emitted.filter((e) => e.alert.rule.id === 'brute_force');
    expect(inner.map((e) => e.generate)).toEqual([false]);
    expect(outer.map((e) => [e.generate, e.alert.event_ids, e.alert['@timestamp']])).toEqual([
      [true, [inner[0]?.alert.id, 'b@10000'], at(10_000)],
    ]);
  });

  it('groups events of different rules through aliases', () => {
    const { set } = setOf(`${BASE_RULES}
---
title: Error then connection
name: err_conn
correlation:
  type: temporal
  rules: [a, b]
  group-by: [internal_ip]
  timespan: 10s
  aliases:
    internal_ip: { a: destination.ip, b: source.ip }
`);
    const engine = new CorrelationEngine(set, { allowedLatenessMs: 0 });
    const references = (rule: string) => set.referencesOfRule({ name: rule });
    expect(references('a')).toHaveLength(1);
    const alerts = [
      ...engine.process(signal('err_conn', 'a', 0, { internal_ip: '10.0.0.5' })),
      ...engine.process(signal('err_conn', 'b', 1, { internal_ip: '10.0.0.5' })),
    ];
    expect(alerts.map((e) => e.alert.group)).toEqual([{ internal_ip: '10.0.0.5' }]);
  });

  it('evicts the least recently active group beyond the cap, and the oldest event of a full group', () => {
    const t = engineFor(COUNT_3_IN_10S, { maxGroupsPerRule: 2, maxEventsPerGroup: 2 });
    t.feed(
      signal('three', 'a', 0, { user: 'u1' }),
      signal('three', 'a', 1, { user: 'u2' }),
      signal('three', 'a', 2, { user: 'u1' }),
    );
    t.feed(signal('three', 'a', 3, { user: 'u3' }));
    expect(t.counts.groupEvictions).toBe(1);
    expect(t.engine.activeGroups()).toBe(2);
    // u1 holds at most two events, so three never match.
    t.feed(signal('three', 'a', 4, { user: 'u1' }));
    expect(t.counts.eventEvictions).toBe(1);
    expect(t.alerts()).toEqual([]);
  });

  it('forgets groups whose events are older than any window still open', () => {
    const t = engineFor(COUNT_3_IN_10S);
    for (let i = 0; i < 100; i++) t.feed(signal('three', 'a', i, { user: `u${i}` }));
    expect(t.engine.activeGroups()).toBe(100);
    t.feed(signal('three', 'a', 60_000, { user: 'late-comer' }));
    expect(t.engine.activeGroups()).toBe(1);
  });
});
