/** Modifiers that apply to every kind of field: all, exists, neq (Sigma's generic modifiers). */
import { describeValue, type SigmaValue } from '../model/values.ts';
import { type ItemState, ModifierError, SigmaModifier } from './modifier.ts';

/** Links the item's values with AND instead of OR. */
export class AllModifier extends SigmaModifier {
  readonly name = 'all';
  override applyItem(state: ItemState): void {
    state.linkAll = true;
  }
}

/** `field|exists: true` — the field is present (whatever its value, even null); `false` — it is absent. */
export class ExistsModifier extends SigmaModifier {
  readonly name = 'exists';
  override transform(value: SigmaValue): SigmaValue {
    if (value.type === 'bool') return { type: 'exists', value: value.value };
    if (value.type === 'string' && (value.raw === 'true' || value.raw === 'false')) {
      return { type: 'exists', value: value.raw === 'true' };
    }
    throw new ModifierError(`exists takes true or false, not ${describeValue(value)}`);
  }
}

/**
 * The field differs from the values: with several values, from every one of
 * them. The field must be present: an absent field is not "different".
 */
export class NeqModifier extends SigmaModifier {
  readonly name = 'neq';
  override applyItem(state: ItemState): void {
    state.negate = true;
  }
}
