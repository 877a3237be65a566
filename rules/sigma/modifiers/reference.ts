/**
 * Modifiers whose value names something else: `expand` (placeholders such as
 * `%Administrators%`, replaced by the values a mapping pipeline or the
 * configuration gives them) and `fieldref` (the value is another field of the
 * same event, compared at match time).
 */
import { ANY, describeValue, parseSigmaString, type SigmaValue } from '../model/values.ts';
import { type ItemState, ModifierError, SigmaModifier } from './modifier.ts';

const PLACEHOLDER = /(\\%)|%([A-Za-z0-9_.-]+)%/g;

export class ExpandModifier extends SigmaModifier {
  readonly name = 'expand';
  override transform(value: SigmaValue, state: ItemState): SigmaValue | SigmaValue[] {
    if (value.type !== 'string' || value.raw === undefined) {
      throw new ModifierError(
        `expand applies to strings as written in the rule, not to ${describeValue(value)}`,
      );
    }
    // Split the text into literal pieces and placeholders; \% is a plain percent sign.
    const pieces: Array<{ text: string } | { name: string }> = [];
    let last = 0;
    for (const match of value.raw.matchAll(PLACEHOLDER)) {
      if (match.index > last) pieces.push({ text: value.raw.slice(last, match.index) });
      pieces.push(match[1] ? { text: '%' } : { name: match[2] as string });
      last = match.index + match[0].length;
    }
    if (last < value.raw.length) pieces.push({ text: value.raw.slice(last) });
    let texts = [''];
    for (const piece of pieces) {
      if ('text' in piece) {
        texts = texts.map((t) => t + piece.text);
        continue;
      }
      const values = state.placeholders.get(piece.name);
      if (values === undefined || values.length === 0) {
        throw new ModifierError(
          `the placeholder %${piece.name}% has no values: define it under vars: in a mapping pipeline, or in rules.placeholders`,
          'RULE_UNSUPPORTED',
        );
      }
      texts = texts.flatMap((t) => values.map((v) => t + v));
      if (texts.length > 10_000) throw new ModifierError('expand makes more than 10,000 values');
    }
    return texts.map((t) => parseSigmaString(t));
  }
}

export class FieldrefModifier extends SigmaModifier {
  readonly name = 'fieldref';
  override transform(value: SigmaValue): SigmaValue {
    if (value.type !== 'string')
      throw new ModifierError(`fieldref takes a field name, not ${describeValue(value)}`);
    const parts = value.parts;
    const leading = parts[0] === ANY;
    const trailing = parts.length > 1 && parts[parts.length - 1] === ANY;
    const inner = parts.slice(leading ? 1 : 0, trailing ? -1 : undefined);
    if (inner.length !== 1 || typeof inner[0] !== 'string') {
      throw new ModifierError('fieldref takes one field name, without wildcards');
    }
    const mode = leading && trailing ? 'contains' : leading ? 'endswith' : trailing ? 'startswith' : 'equals';
    return { type: 'fieldref', field: inner[0], mode };
  }
}
