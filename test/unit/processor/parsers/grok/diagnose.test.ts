import { describe, expect, it } from 'vitest';
import { diagnoseMismatch } from '../../../../../processor/parsers/grok/diagnose.ts';
import { PatternLibrary } from '../../../../../processor/parsers/grok/pattern-library.ts';

const library = new PatternLibrary();

describe('diagnoseMismatch', () => {
  it('finds the longest prefix of the expression that matches, and the part after it', () => {
    const line = '10.0.0.1 - alice [17/May/2015:10:05:03 +0000] "GET /x HTTP/1.1" abc';
    const expression =
      '%{IP:ip} - %{USER:user} \\[%{HTTPDATE:ts}\\] "%{WORD:verb} %{NOTSPACE:url} HTTP/%{NUMBER:v}" %{INT:status}';
    expect(diagnoseMismatch(expression, line, { library, anchor: 'start' })).toEqual({
      matchedParts: 12,
      totalParts: 13,
      matchedPrefix: expression.slice(0, expression.indexOf('%{INT:status}')),
      lastMatched: '" ',
      failedPart: '%{INT:status}',
      matchStart: 0,
      matchEnd: line.indexOf('abc'),
    });
  });

  it('says when even the first part fails', () => {
    expect(diagnoseMismatch('%{IP:ip} rest', 'hello', { library, anchor: 'start' })).toEqual({
      matchedParts: 0,
      totalParts: 2,
      failedPart: '%{IP:ip}',
    });
  });

  it('looks into each alternative of a top-level alternation and reports the one that got furthest', () => {
    const why = diagnoseMismatch('%{INT:a} x|%{WORD:b} %{WORD:c} %{INT:d}', 'foo bar baz', { library });
    expect(why).toMatchObject({ matchedParts: 4, lastMatched: ' ', failedPart: '%{INT:d}' });
  });

  it('looks inside an expression that starts with options', () => {
    const why = diagnoseMismatch('(?i)%{WORD:verb} /%{INT:n}', 'GET /x', { library });
    expect(why).toMatchObject({
      matchedParts: 2,
      failedPart: '%{INT:n}',
      matchedPrefix: '(?i)%{WORD:verb} /',
    });
  });
});
