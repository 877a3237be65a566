/** Numeric comparisons: lt, lte, gt, gte. The field's value must be a number or a numeric string. */
import { type CompareOp, describeValue, type SigmaValue } from '../model/values.ts';
import { ModifierError, SigmaModifier } from './modifier.ts';

/** A number from a rule value: numbers, and strings written as numbers. */
export function numberOf(value: SigmaValue): number | undefined {
  if (value.type === 'number') return value.value;
  if (value.type === 'string' && value.raw !== undefined && value.raw.trim() !== '') {
    const n = Number(value.raw);
    return Number.isFinite(n) ? n : undefined;
  }
  return undefined;
}

abstract class CompareModifier extends SigmaModifier {
  abstract readonly op: CompareOp;
  override transform(value: SigmaValue): SigmaValue {
    const n = numberOf(value);
    if (n === undefined)
      throw new ModifierError(`${this.name} compares with a number, not with ${describeValue(value)}`);
    return { type: 'compare', op: this.op, value: n };
  }
}

export class LtModifier extends CompareModifier {
  readonly name = 'lt';
  readonly op = 'lt';
}

export class LteModifier extends CompareModifier {
  readonly name = 'lte';
  readonly op = 'lte';
}

export class GtModifier extends CompareModifier {
  readonly name = 'gt';
  readonly op = 'gt';
}

export class GteModifier extends CompareModifier {
  readonly name = 'gte';
  readonly op = 'gte';
}
