import { describe, expect, it } from 'vitest';
import { formatCondition } from '../../../../../rules/sigma/conditions/ast.ts';
import { ConditionError, parseCondition } from '../../../../../rules/sigma/conditions/parser.ts';
import { matches, problemsOf } from '../helpers.ts';

const NAMES = [
  'selection',
  'selection_a',
  'selection_b',
  'filter_main',
  'filter_opt',
  '_private',
  'keywords',
];
const parse = (text: string) => formatCondition(parseCondition(text, NAMES));

describe('parseCondition', () => {
  it('binds not tighter than and, and and tighter than or', () => {
    expect(parse('selection or keywords and not filter_main')).toBe(
      '(selection or (keywords and not filter_main))',
    );
  });

  it('groups with parentheses', () => {
    expect(parse('(selection or keywords) and not filter_main')).toBe(
      '((selection or keywords) and not filter_main)',
    );
  });

  it('reads keywords case-insensitively', () => {
    expect(parse('selection AND NOT filter_main')).toBe('(selection and not filter_main)');
  });

  it('resolves 1 of / any of / all of a pattern to the matching identifiers', () => {
    const tree = parseCondition('1 of selection_* and not all of filter_*', NAMES);
    expect(tree).toEqual({
      type: 'and',
      children: [
        { type: 'of', quantifier: 'one', pattern: 'selection_*', names: ['selection_a', 'selection_b'] },
        {
          type: 'not',
          child: { type: 'of', quantifier: 'all', pattern: 'filter_*', names: ['filter_main', 'filter_opt'] },
        },
      ],
    });
    expect(parse('any of filter_*')).toBe('1 of filter_*');
  });

  it('leaves identifiers starting with an underscore out of "them"', () => {
    const tree = parseCondition('all of them', NAMES);
    expect(tree.type === 'of' && tree.names).not.toContain('_private');
  });

  it.each([
    ['selection and', /ends too early/],
    ['selection )', /unexpected "\)"/],
    ['(selection', /expected "\)"/],
    ['unknown', /"unknown" is not a search identifier/],
    ['1 of nothing_*', /matches no search identifier/],
    ['selection_*', /needs "1 of" or "all of"/],
    ['selection # x', /unexpected character "#"/],
  ])('rejects %j', (text, message) => {
    expect(() => parseCondition(text, NAMES)).toThrow(message);
  });

  it('refuses Sigma 1 aggregations and "near", pointing to correlation rules', () => {
    for (const text of ['selection | count() by host > 5', 'selection near keywords', '2 of selection_*']) {
      let error: unknown;
      try {
        parseCondition(text, NAMES);
      } catch (e) {
        error = e;
      }
      expect(error, text).toBeInstanceOf(ConditionError);
      expect((error as ConditionError).unsupported, text).toBe(true);
    }
  });
});

describe('conditions when matching', () => {
  const detection = (condition: string) => `a: { f: 1 }\nb: { g: 2 }\n_c: { h: 3 }\ncondition: ${condition}`;
  it.each([
    ['a and b', { f: 1, g: 2 }, { f: 1 }],
    ['a or b', { g: 2 }, { h: 3 }],
    ['a and not b', { f: 1 }, { f: 1, g: 2 }],
    ['not (a or b)', { h: 3 }, { f: 1 }],
    ['1 of them', { g: 2 }, { h: 3 }],
    ['all of them', { f: 1, g: 2 }, { f: 1, h: 3 }],
    ['1 of _*', { h: 3 }, { f: 1 }],
    ['all of a*', { f: 1 }, { g: 2 }],
  ])('%s matches what it should and nothing else', (condition, yes, no) => {
    expect(matches(detection(condition), yes)).toBe(true);
    expect(matches(detection(condition), no)).toBe(false);
  });

  it('links a list of conditions with OR', () => {
    const d = 'a: { f: 1 }\nb: { g: 2 }\ncondition: [a, b]';
    expect(matches(d, { g: 2 })).toBe(true);
    expect(matches(d, { h: 2 })).toBe(false);
  });

  it('links the maps of a search identifier list with OR', () => {
    const d = 'sel:\n  - { f: 1, g: 1 }\n  - { h: 1 }\ncondition: sel';
    expect(matches(d, { h: 1 })).toBe(true);
    expect(matches(d, { f: 1 })).toBe(false);
  });

  it('reports a condition problem at the offending column of the rule file', () => {
    const [problem] = problemsOf('a: { f: 1 }\ncondition: a and nope');
    expect(problem).toMatchObject({ code: 'RULE_INVALID', line: 6, column: 20, path: 'detection.condition' });
  });
});
