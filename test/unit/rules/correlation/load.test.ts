import { describe, expect, it } from 'vitest';
import { formatProblem } from '../../../../rules/sigma/model/problem.ts';
import { BASE_RULES, setOf } from './helpers.ts';

describe('loading correlation rules', () => {
  it('loads a rule of each type with its references, group-by, timespan and condition', () => {
    const { set, problems } = setOf(`${BASE_RULES}
---
title: Many A
id: 11111111-1111-4111-8111-111111111111
name: many_a
correlation: { type: event_count, rules: [a], group-by: [user.name], timespan: 90m, condition: { gte: 10 } }
level: high
tags: [attack.T1110]
---
title: Distinct users
name: distinct
correlation: { type: value_count, rules: [a, b], group-by: [source.ip], timespan: 1h, condition: { field: user.name, gt: 3 } }
---
title: Sequence
name: seq
correlation: { type: temporal_ordered, rules: [a, b, c], group-by: [host.name], timespan: 5m }
---
title: Bytes
name: bytes
correlation: { type: value_percentile, rules: [a], group-by: [host.name], timespan: 1d, condition: { field: bytes, percentile: 95, gte: 1000 } }
`);
    expect(problems).toEqual([]);
    const many = set.correlation('many_a');
    expect(many).toMatchObject({
      key: '11111111-1111-4111-8111-111111111111',
      type: 'event_count',
      rules: ['a'],
      groupBy: ['user.name'],
      timespanMs: 90 * 60_000,
      bounds: [{ op: 'gte', value: 10 }],
      level: 'high',
      tags: ['attack.t1110'],
      generate: false,
    });
    expect(set.correlation('distinct')).toMatchObject({
      field: 'user.name',
      bounds: [{ op: 'gt', value: 3 }],
    });
    // A temporal type without a condition needs every rule.
    expect(set.correlation('seq')?.bounds).toEqual([{ op: 'gte', value: 3 }]);
    expect(set.correlation('bytes')).toMatchObject({ percentile: 95, field: 'bytes' });
    expect(set.longestTimespanMs).toBe(86_400_000);
  });

  it('reports every problem of a file with its line and column, and keeps the good rules', () => {
    const text = `${BASE_RULES}
---
title: Bad type
correlation:
  type: event_cnt
  rules: [a]
  timespan: 5m
---
title: Bad timespan and missing condition
correlation:
  type: event_count
  rules: [a]
  timespan: 5 minutes
---
title: No field
correlation:
  type: value_sum
  rules: [a]
  timespan: 5m
  condition: { gt: 100 }
---
title: Unknown key
correlation:
  type: event_count
  rules: [a]
  timespan: 5m
  condition: { gte: 2 }
  window: 5m
---
title: Unknown rule
correlation:
  type: event_count
  rules: [a, nope]
  timespan: 5m
  condition: { gte: 2 }
---
title: Good
name: good
correlation: { type: event_count, rules: [a], timespan: 5m, condition: { gte: 2 } }
`;
    const { set, problems } = setOf(text);
    const lines = problems.map(formatProblem);
    expect(lines).toEqual([
      expect.stringMatching(
        /^rules\/test\.yml:20:9 correlation\.type: unknown type "event_cnt".*\(RULE_INVALID\)$/,
      ),
      expect.stringMatching(
        /^rules\/test\.yml:28:13 correlation\.timespan: timespan "5 minutes" is not a number and a unit/,
      ),
      expect.stringMatching(
        /^rules\/test\.yml:26:3 correlation\.condition: an event_count correlation needs a condition/,
      ),
      expect.stringMatching(
        /^rules\/test\.yml:35:14 correlation\.condition\.field: a value_sum correlation names the field/,
      ),
      expect.stringMatching(/^rules\/test\.yml:43:3 correlation\.window: unknown key "window"/),
      expect.stringMatching(
        /^rules\/test\.yml:48:14 correlation\.rules\[1\]: the correlation names rule "nope", which is not loaded/,
      ),
    ]);
    expect(set.correlations.map((c) => c.key)).toEqual(['good']);
  });

  it('refuses a loop of correlations and a value_percentile outside 0–100', () => {
    const { set, problems } = setOf(`${BASE_RULES}
---
title: X
name: x
correlation: { type: temporal, rules: [a, y], timespan: 5m }
---
title: Y
name: y
correlation: { type: temporal, rules: [b, x], timespan: 5m }
---
title: P
name: p
correlation: { type: value_percentile, rules: [a], timespan: 5m, condition: { field: n, percentile: 120, gt: 1 } }
`);
    expect(problems.map((p) => p.message)).toEqual([
      'percentile must be a number from 0 to 100',
      'the correlations reference each other in a loop: x → y → x',
    ]);
    expect(set.correlations).toEqual([]);
  });

  it('refuses aliases naming a rule the correlation does not reference, or unused aliases', () => {
    const { problems } = setOf(`${BASE_RULES}
---
title: Aliased
correlation:
  type: temporal
  rules: [a, b]
  group-by: [ip]
  timespan: 10s
  aliases:
    ip: { a: source.ip, z: destination.ip }
---
title: Unused alias
correlation:
  type: temporal
  rules: [a, b]
  group-by: [ip]
  timespan: 10s
  aliases:
    unused: { a: host.name }
`);
    expect(problems.map((p) => `${p.line}:${p.column} ${p.message}`)).toEqual([
      '25:25 "z" is not one of the rules this correlation names (a, b)',
      '27:1 alias "unused" is not used in group-by or condition.field',
    ]);
  });

  it('tells which rules make alerts of their own (generate)', () => {
    const { set } = setOf(`${BASE_RULES}
---
title: Silent
name: silent
correlation: { type: temporal, rules: [a, b], timespan: 5m }
---
title: Loud
name: loud
correlation: { type: event_count, rules: [c, silent], timespan: 5m, condition: { gte: 2 } }
generate: true
`);
    expect(set.generatesAlerts('a')).toBe(false);
    expect(set.generatesAlerts('c')).toBe(true);
    expect(set.generatesAlerts('silent')).toBe(true);
    expect(set.generatesAlerts('loud')).toBe(true);
    expect(set.generatesAlerts('unrelated')).toBe(true);
  });
});
