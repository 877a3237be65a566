/**
 * Step conditions (`if:`) and their evaluation. A condition is a map of
 * field → expected value; every entry must hold. The expected value is a
 * scalar (equal), a list (any of them), `{ exists: true|false }`, or a
 * numeric range `{ gte, gt, lte, lt }` (any combination; the field must be
 * a number). When the field holds an array, the entry holds if any element
 * is expected.
 */
import { z } from 'zod';
import type { EcsEvent } from '../event-builder.ts';
import { type FieldGetter, fieldGetter, fieldPath } from './fields.ts';

const scalar = z.union([z.string(), z.number(), z.boolean()]);

export const conditionSchema = z
  .record(
    z.string(),
    z.union([
      scalar,
      z.array(scalar).min(1),
      z.strictObject({ exists: z.boolean() }),
      z.strictObject({
        gte: z.number().optional(),
        gt: z.number().optional(),
        lte: z.number().optional(),
        lt: z.number().optional(),
      }),
    ]),
  )
  .describe(
    'Runs the step only when every listed field has the given value (a list: any of them; `{ exists: true }`: is set; `{ gte: 400 }`: a number in range).',
  );

export type ConditionConfig = z.output<typeof conditionSchema>;

type Test = (value: unknown) => boolean;

interface Clause {
  get: FieldGetter;
  test: Test;
}

export type Condition = (event: EcsEvent) => boolean;

export function compileCondition(config: ConditionConfig): Condition {
  const clauses: Clause[] = Object.entries(config).map(([field, expected]) => ({
    get: fieldGetter(fieldPath(field)),
    test: compileTest(expected),
  }));
  if (clauses.length === 1) {
    const { get, test } = clauses[0] as Clause;
    return (event) => test(get(event));
  }
  return (event) => {
    for (const clause of clauses) if (!clause.test(clause.get(event))) return false;
    return true;
  };
}

function compileTest(expected: ConditionConfig[string]): Test {
  if (typeof expected === 'object' && !Array.isArray(expected) && 'exists' in expected) {
    return expected.exists ? (v) => v !== undefined && v !== null : (v) => v === undefined || v === null;
  }
  if (typeof expected === 'object' && !Array.isArray(expected)) {
    if (Object.keys(expected).length === 0) throw new Error('a range needs gte, gt, lte or lt');
    const {
      gte = -Infinity,
      gt = -Infinity,
      lte = Infinity,
      lt = Infinity,
    } = expected as Record<string, number>;
    const inRange = (v: unknown) => typeof v === 'number' && v >= gte && v > gt && v <= lte && v < lt;
    return (v) => (Array.isArray(v) ? v.some(inRange) : inRange(v));
  }
  const values = new Set<unknown>(Array.isArray(expected) ? expected : [expected]);
  const one = (v: unknown) => values.has(v) || (typeof v === 'number' && values.has(String(v)));
  return (v) => (Array.isArray(v) ? v.some(one) : one(v));
}
