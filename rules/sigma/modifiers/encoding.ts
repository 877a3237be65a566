/**
 * Encoding modifiers: base64, base64offset, and the UTF-16 encodings
 * utf16le (alias wide), utf16be and utf16 (with a byte order mark).
 *
 * UTF-16 turns the text into bytes (one character per byte here), which a
 * following base64 encodes; base64 of plain text encodes its UTF-8 bytes.
 * Base64 output is matched case-sensitively, since base64 is.
 */
import {
  describeValue,
  hasWildcards,
  literalString,
  mapLiterals,
  plainText,
  type SigmaStringValue,
  type SigmaValue,
} from '../model/values.ts';
import { type ItemState, ModifierError, SigmaModifier } from './modifier.ts';

function stringOnly(value: SigmaValue, modifier: string): SigmaStringValue {
  if (value.type === 'string') return value;
  if (value.type === 'number') return literalString(String(value.value));
  throw new ModifierError(`${modifier} applies to strings, not to ${describeValue(value)}`);
}

function bytesOf(value: SigmaStringValue, modifier: string): Buffer {
  if (hasWildcards(value)) {
    throw new ModifierError(
      `${modifier} cannot encode a value with wildcards; put contains, startswith or endswith after it`,
    );
  }
  return Buffer.from(plainText(value), value.bytes ? 'latin1' : 'utf8');
}

/** The value, base64-encoded. */
export class Base64Modifier extends SigmaModifier {
  readonly name = 'base64';
  override applyItem(state: ItemState): void {
    state.cased = true;
  }
  override transform(value: SigmaValue): SigmaValue {
    return literalString(bytesOf(stringOnly(value, this.name), this.name).toString('base64'));
  }
}

const START_OFFSETS = [0, 2, 3];
const END_OFFSETS = [0, -3, -2];

/**
 * The three base64 forms the value takes inside a longer encoded text,
 * depending on its offset modulo 3: only the characters that do not depend
 * on the neighbouring bytes are kept. Usually followed by `contains`.
 */
export class Base64OffsetModifier extends SigmaModifier {
  readonly name = 'base64offset';
  override applyItem(state: ItemState): void {
    state.cased = true;
  }
  override transform(value: SigmaValue): SigmaValue[] {
    const bytes = bytesOf(stringOnly(value, this.name), this.name);
    const out: SigmaValue[] = [];
    for (let shift = 0; shift < 3; shift++) {
      const encoded = Buffer.concat([Buffer.alloc(shift, 0x20), bytes]).toString('base64');
      const end = END_OFFSETS[(bytes.length + shift) % 3] as number;
      const text = encoded.slice(START_OFFSETS[shift], end === 0 ? undefined : end);
      out.push(literalString(text));
    }
    return out;
  }
}

function utf16(value: SigmaValue, modifier: string, bigEndian: boolean, bom: boolean): SigmaStringValue {
  const string = stringOnly(value, modifier);
  if (string.bytes) throw new ModifierError(`${modifier} cannot encode a value that is already encoded`);
  const encode = (text: string): string => {
    const buffer = Buffer.from(text, 'utf16le');
    if (bigEndian) buffer.swap16();
    return buffer.toString('latin1');
  };
  const encoded = mapLiterals(string, encode, true);
  if (!bom) return encoded;
  const mark = bigEndian ? '\xfe\xff' : '\xff\xfe';
  const [first, ...rest] = encoded.parts;
  return {
    ...encoded,
    parts: typeof first === 'string' ? [mark + first, ...rest] : [mark, ...encoded.parts],
  };
}

export class Utf16leModifier extends SigmaModifier {
  readonly name: string = 'utf16le';
  override transform(value: SigmaValue): SigmaValue {
    return utf16(value, this.name, false, false);
  }
}

/** An alias of utf16le. */
export class WideModifier extends Utf16leModifier {
  override readonly name = 'wide';
}

export class Utf16beModifier extends SigmaModifier {
  readonly name = 'utf16be';
  override transform(value: SigmaValue): SigmaValue {
    return utf16(value, this.name, true, false);
  }
}

/** UTF-16 little-endian with its byte order mark (FF FE). */
export class Utf16Modifier extends SigmaModifier {
  readonly name = 'utf16';
  override transform(value: SigmaValue): SigmaValue {
    return utf16(value, this.name, false, true);
  }
}
