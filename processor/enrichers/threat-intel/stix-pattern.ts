/**
 * The part of the STIX 2.1 patterning language indicator feeds use for
 * atomic indicators: one comparison with `=`, or an OR of them, inside one
 * observation or across observations:
 *
 *   [ipv4-addr:value = '198.51.100.7']
 *   [domain-name:value = 'evil.example' OR url:value = 'http://evil.example/x']
 *   [file:hashes.'SHA-256' = '…'] OR [file:hashes.MD5 = '…']
 *
 * Anything else (AND, FOLLOWEDBY, qualifiers, other operators) describes
 * more than one value or a behaviour, not an atomic indicator: it is
 * refused with the reason, and the caller skips the indicator.
 */

export interface StixComparison {
  /** `ipv4-addr`, `file`, … */
  objectType: string;
  /** Property path without quotes, lower case: `value`, `hashes.sha-256`. */
  property: string;
  value: string;
}

export type StixPatternResult = { comparisons: StixComparison[] } | { unsupported: string };

type Token =
  | { kind: 'open' | 'close' | 'equals' | 'or' }
  | { kind: 'path'; objectType: string; property: string }
  | { kind: 'string'; value: string }
  | { kind: 'other'; text: string };

function tokenize(pattern: string): Token[] | string {
  const tokens: Token[] = [];
  let i = 0;
  while (i < pattern.length) {
    const c = pattern[i] as string;
    if (/\s/.test(c)) {
      i++;
    } else if (c === '[') {
      tokens.push({ kind: 'open' });
      i++;
    } else if (c === ']') {
      tokens.push({ kind: 'close' });
      i++;
    } else if (c === '=') {
      tokens.push({ kind: 'equals' });
      i++;
    } else if (c === "'") {
      let value = '';
      i++;
      for (;;) {
        if (i >= pattern.length) return 'unterminated string';
        const d = pattern[i] as string;
        if (d === '\\') {
          const escaped = pattern[i + 1];
          if (escaped !== "'" && escaped !== '\\') return 'invalid escape in string';
          value += escaped;
          i += 2;
        } else if (d === "'") {
          i++;
          break;
        } else {
          value += d;
          i++;
        }
      }
      tokens.push({ kind: 'string', value });
    } else {
      // A word: a keyword, an operator, or an object path (which may hold quoted parts).
      const start = i;
      while (i < pattern.length && !/[\s[\]=]/.test(pattern[i] as string)) {
        if (pattern[i] === "'") {
          const close = pattern.indexOf("'", i + 1);
          if (close === -1) return 'unterminated quoted path part';
          i = close + 1;
        } else i++;
      }
      if (i === start) return `unexpected "${pattern[i]}"`;
      const word = pattern.slice(start, i);
      const colon = word.indexOf(':');
      if (word === 'OR') tokens.push({ kind: 'or' });
      else if (colon > 0 && /^[a-z0-9-]+$/.test(word.slice(0, colon))) {
        tokens.push({
          kind: 'path',
          objectType: word.slice(0, colon),
          property: word
            .slice(colon + 1)
            .replace(/'/g, '')
            .toLowerCase(),
        });
      } else tokens.push({ kind: 'other', text: word });
    }
  }
  return tokens;
}

export function parseStixPattern(pattern: string): StixPatternResult {
  const tokens = tokenize(pattern);
  if (typeof tokens === 'string') return { unsupported: tokens };
  const comparisons: StixComparison[] = [];
  let i = 0;
  const describe = (token: Token | undefined): string => {
    if (!token) return 'end of pattern';
    if (token.kind === 'other') return `"${token.text}"`;
    if (token.kind === 'string') return 'a string';
    if (token.kind === 'path') return `"${token.objectType}:${token.property}"`;
    return token.kind;
  };
  for (;;) {
    if (tokens[i]?.kind !== 'open') return { unsupported: `expected "[" but found ${describe(tokens[i])}` };
    i++;
    for (;;) {
      const path = tokens[i];
      const equals = tokens[i + 1];
      const value = tokens[i + 2];
      if (path?.kind !== 'path')
        return { unsupported: `expected an object path but found ${describe(path)}` };
      if (equals?.kind !== 'equals')
        return { unsupported: `only "=" comparisons are supported, found ${describe(equals)}` };
      if (value?.kind !== 'string')
        return { unsupported: `expected a string value but found ${describe(value)}` };
      comparisons.push({ objectType: path.objectType, property: path.property, value: value.value });
      i += 3;
      if (tokens[i]?.kind === 'or') {
        i++;
        continue;
      }
      break;
    }
    if (tokens[i]?.kind !== 'close')
      return { unsupported: `expected "]" or OR but found ${describe(tokens[i])}` };
    i++;
    if (i === tokens.length) return { comparisons };
    if (tokens[i]?.kind !== 'or')
      return { unsupported: `only OR may join observations, found ${describe(tokens[i])}` };
    i++;
  }
}
