import { describe, expect, it } from 'vitest';
import { parseStixPattern } from '../../../../../processor/enrichers/threat-intel/stix-pattern.ts';

describe('STIX patterns', () => {
  it('reads one equality comparison', () => {
    expect(parseStixPattern("[ipv4-addr:value = '198.51.100.7']")).toEqual({
      comparisons: [{ objectType: 'ipv4-addr', property: 'value', value: '198.51.100.7' }],
    });
  });

  it('reads quoted hash names and escaped quotes', () => {
    expect(parseStixPattern("[file:hashes.'SHA-256' = 'ab']")).toEqual({
      comparisons: [{ objectType: 'file', property: 'hashes.sha-256', value: 'ab' }],
    });
    expect(parseStixPattern("[url:value = 'http://x.example/it\\'s']")).toMatchObject({
      comparisons: [{ value: "http://x.example/it's" }],
    });
  });

  it('reads OR inside an observation and between observations', () => {
    const inside = parseStixPattern("[domain-name:value = 'a.example' OR domain-name:value = 'b.example']");
    const between = parseStixPattern("[file:hashes.MD5 = 'aa'] OR [file:hashes.'SHA-1' = 'bb']");
    expect('comparisons' in inside && inside.comparisons.map((c) => c.value)).toEqual([
      'a.example',
      'b.example',
    ]);
    expect('comparisons' in between && between.comparisons.map((c) => c.property)).toEqual([
      'hashes.md5',
      'hashes.sha-1',
    ]);
  });

  it('refuses AND, other operators, qualifiers and FOLLOWEDBY with a reason', () => {
    for (const pattern of [
      "[ipv4-addr:value = '1.2.3.4' AND domain-name:value = 'a.example']",
      "[ipv4-addr:value != '1.2.3.4']",
      "[domain-name:value MATCHES '^a']",
      "[ipv4-addr:value = '1.2.3.4'] WITHIN 5 SECONDS",
      "[ipv4-addr:value = '1.2.3.4'] FOLLOWEDBY [ipv4-addr:value = '1.2.3.5']",
      "[ipv4-addr:value = '1.2.3.4'",
      "[ipv4-addr:value = '1.2.3.4]",
    ]) {
      const result = parseStixPattern(pattern);
      expect('unsupported' in result, pattern).toBe(true);
    }
  });
});
