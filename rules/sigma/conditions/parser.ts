/**
 * Parser for Sigma conditions: `and`, `or`, `not`, parentheses, and
 * `1 of` / `any of` / `all of` a search-identifier pattern (`selection_*`) or
 * `them` (every identifier not starting with `_`). Precedence, from least to
 * most binding: or, and, not, x of, parentheses. Keywords are
 * case-insensitive. Sigma 1 aggregations (`| count() by …`) and `near` are
 * refused with a pointer to correlation rules.
 */
import type { ConditionNode } from './ast.ts';

export class ConditionError extends Error {
  /** 0-based offset in the condition text. */
  readonly offset: number;
  readonly unsupported: boolean;
  constructor(message: string, offset: number, unsupported = false) {
    super(message);
    this.name = 'ConditionError';
    this.offset = offset;
    this.unsupported = unsupported;
  }
}

interface Token {
  kind: 'lparen' | 'rparen' | 'word' | 'pipe' | 'end';
  text: string;
  offset: number;
}

const WORD = /[A-Za-z0-9_*.-]+/y;

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i] as string;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === '(' || c === ')') {
      tokens.push({ kind: c === '(' ? 'lparen' : 'rparen', text: c, offset: i });
      i++;
      continue;
    }
    if (c === '|') {
      // Nothing after a pipe is Sigma 2: stop here with the aggregation message.
      tokens.push({ kind: 'pipe', text: c, offset: i });
      break;
    }
    WORD.lastIndex = i;
    const match = WORD.exec(text);
    if (!match) throw new ConditionError(`unexpected character "${c}"`, i);
    tokens.push({ kind: 'word', text: match[0], offset: i });
    i += match[0].length;
  }
  if (tokens[tokens.length - 1]?.kind !== 'pipe') tokens.push({ kind: 'end', text: '', offset: text.length });
  return tokens;
}

const KEYWORDS = new Set(['and', 'or', 'not', 'of', 'them']);

/**
 * Parses a condition and resolves its identifiers against `names` (the rule's
 * search identifiers, in their order). Throws ConditionError.
 */
export function parseCondition(text: string, names: readonly string[]): ConditionNode {
  const tokens = tokenize(text);
  let pos = 0;
  const peek = (): Token => tokens[pos] as Token;
  const next = (): Token => tokens[pos++] as Token;
  const isWord = (token: Token, word: string): boolean =>
    token.kind === 'word' && token.text.toLowerCase() === word;

  const parseOr = (): ConditionNode => {
    const children = [parseAnd()];
    while (isWord(peek(), 'or')) {
      next();
      children.push(parseAnd());
    }
    return children.length === 1 ? (children[0] as ConditionNode) : { type: 'or', children };
  };
  const parseAnd = (): ConditionNode => {
    const children = [parseNot()];
    while (isWord(peek(), 'and')) {
      next();
      children.push(parseNot());
    }
    return children.length === 1 ? (children[0] as ConditionNode) : { type: 'and', children };
  };
  const parseNot = (): ConditionNode => {
    if (isWord(peek(), 'not')) {
      next();
      return { type: 'not', child: parseNot() };
    }
    return parsePrimary();
  };
  const parsePrimary = (): ConditionNode => {
    const token = next();
    if (token.kind === 'lparen') {
      const inner = parseOr();
      const close = next();
      if (close.kind !== 'rparen') throw new ConditionError('expected ")"', close.offset);
      return inner;
    }
    if (token.kind === 'end') throw new ConditionError('the condition ends too early', token.offset);
    if (token.kind === 'rparen') throw new ConditionError('unexpected ")"', token.offset);
    if (token.kind === 'pipe') throw aggregation(token);
    const word = token.text.toLowerCase();
    if (isWord(peek(), 'of')) {
      next();
      let quantifier: 'one' | 'all';
      if (word === '1' || word === 'any') quantifier = 'one';
      else if (word === 'all') quantifier = 'all';
      else if (/^\d+$/.test(word)) {
        throw new ConditionError(
          `"${token.text} of" is not part of Sigma 2: use "1 of" or "all of"`,
          token.offset,
          true,
        );
      } else throw new ConditionError(`"${token.text} of": expected "1 of" or "all of"`, token.offset);
      const target = next();
      if (
        target.kind !== 'word' ||
        (KEYWORDS.has(target.text.toLowerCase()) && target.text.toLowerCase() !== 'them')
      ) {
        throw new ConditionError(`expected "them" or a search identifier pattern after "of"`, target.offset);
      }
      return resolveOf(quantifier, target, names);
    }
    if (KEYWORDS.has(word)) throw new ConditionError(`unexpected "${token.text}"`, token.offset);
    if (word === 'near')
      throw new ConditionError(
        '"near" is a Sigma 1 aggregation: write a temporal correlation rule instead',
        token.offset,
        true,
      );
    if (token.text.includes('*')) {
      throw new ConditionError(
        `a pattern such as "${token.text}" needs "1 of" or "all of" before it`,
        token.offset,
      );
    }
    if (!names.includes(token.text)) {
      throw new ConditionError(
        `"${token.text}" is not a search identifier of this rule${names.length ? ` (it has ${names.map((n) => `"${n}"`).join(', ')})` : ''}`,
        token.offset,
      );
    }
    return { type: 'ref', name: token.text };
  };

  const tree = parseOr();
  const rest = peek();
  if (rest.kind === 'pipe') throw aggregation(rest);
  if (isWord(rest, 'near')) {
    throw new ConditionError(
      '"near" is a Sigma 1 aggregation: write a temporal correlation rule instead',
      rest.offset,
      true,
    );
  }
  if (rest.kind !== 'end') throw new ConditionError(`unexpected "${rest.text}"`, rest.offset);
  return tree;
}

function aggregation(token: Token): ConditionError {
  return new ConditionError(
    'aggregations in conditions ("| count() by …") were removed in Sigma 2: write a correlation rule instead',
    token.offset,
    true,
  );
}

function resolveOf(quantifier: 'one' | 'all', target: Token, names: readonly string[]): ConditionNode {
  const pattern = target.text;
  let matched: string[];
  if (pattern.toLowerCase() === 'them') {
    matched = names.filter((n) => !n.startsWith('_'));
  } else {
    const regex = new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\-]/g, '\\$&').replace(/\*/g, '.*')}$`);
    matched = names.filter((n) => regex.test(n));
  }
  if (matched.length === 0) {
    throw new ConditionError(`"${pattern}" matches no search identifier of this rule`, target.offset);
  }
  return { type: 'of', quantifier, pattern, names: matched };
}
