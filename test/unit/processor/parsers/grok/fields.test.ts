import { describe, expect, it } from 'vitest';
import {
  buildExtractor,
  parseFieldPath,
  parseFieldType,
  toBool,
  toFloat,
  toInt,
} from '../../../../../processor/parsers/grok/fields.ts';

describe('parseFieldPath', () => {
  it('reads dotted names and bracketed references into the same path', () => {
    expect(parseFieldPath('source.ip')).toEqual(['source', 'ip']);
    expect(parseFieldPath('[source][ip]')).toEqual(['source', 'ip']);
    expect(parseFieldPath('@timestamp')).toEqual(['@timestamp']);
    expect(parseFieldPath('[log][syslog][priority]')).toEqual(['log', 'syslog', 'priority']);
  });

  it('explains what is wrong with a bad name', () => {
    expect(parseFieldPath('a[b]')).toMatch(/mixes dots and brackets/);
    expect(parseFieldPath('[a]b')).toMatch(/malformed/);
    expect(parseFieldPath('[]')).toMatch(/malformed/);
    expect(parseFieldPath('a.')).toMatch(/empty part/);
    expect(parseFieldPath('[__proto__]')).toMatch(/__proto__/);
  });
});

describe('parseFieldType', () => {
  it('maps the type names to conversions', () => {
    expect(
      ['int', 'integer', 'long', 'float', 'double', 'bool', 'boolean', 'short', 'toString'].map(
        parseFieldType,
      ),
    ).toEqual(['int', 'int', 'int', 'float', 'float', 'bool', 'bool', undefined, undefined]);
  });
});

describe('conversions', () => {
  const samples = [
    '0',
    '7',
    '-7',
    '+7',
    '42',
    '007',
    '9007199254740991',
    '123456789012345',
    '1234567890123456',
    '12.5',
    '-0.125',
    '.5',
    '5.',
    '1e3',
    '-',
    '+',
    '',
    ' 12',
    '12 ',
    'abc',
    '0x1A',
    '3.14159265358979',
    '0.1',
    '0.3',
    '-.75',
    '99999999999999.9',
    '1.7976931348623157',
    '١٢',
  ];

  it('toInt agrees with parseInt on every sample', () => {
    for (const s of samples) expect(toInt(s), JSON.stringify(s)).toBe(Number.parseInt(s, 10));
  });

  it('toFloat agrees with parseFloat on every sample and on random decimals', () => {
    for (const s of samples) expect(toFloat(s), JSON.stringify(s)).toBe(Number.parseFloat(s));
    for (let i = 0; i < 20_000; i++) {
      const digits = String(Math.floor(Math.random() * 10 ** (1 + (i % 15))));
      const point = Math.floor(Math.random() * (digits.length + 1));
      const s = `${i % 3 === 0 ? '-' : ''}${digits.slice(0, point)}.${digits.slice(point)}`;
      expect(toFloat(s), s).toBe(Number.parseFloat(s));
    }
  });

  it('toBool accepts true and false in any case, and nothing else', () => {
    expect(['true', 'TRUE', 'False', 'false', 'yes', '1', ''].map(toBool)).toEqual([
      true,
      true,
      false,
      false,
      undefined,
      undefined,
      undefined,
    ]);
  });
});

describe('buildExtractor', () => {
  it('builds the nested result from a match', () => {
    const extract = buildExtractor([
      { group: 1, name: 'a.b', path: ['a', 'b'], type: 'string', required: true },
      { group: 2, name: 'a.c', path: ['a', 'c'], type: 'int', required: false },
      { group: 3, name: 'd', path: ['d'], type: 'string', required: false },
    ]);
    const failures = { count: 0 };
    const match = Object.assign(['x', 'b', '12', undefined], {
      index: 0,
      input: 'x',
    }) as unknown as RegExpExecArray;
    expect(extract(match, failures)).toEqual({ a: { b: 'b', c: 12 } });
    expect(failures.count).toBe(0);
  });

  it('writes field names as string literals, so no name can inject code', () => {
    const extract = buildExtractor([
      { group: 1, name: 'x', path: ['"]; throw new Error("boom"); //'], type: 'string', required: true },
    ]);
    const match = Object.assign(['v', 'v'], { index: 0, input: 'v' }) as unknown as RegExpExecArray;
    expect(extract(match, { count: 0 })).toEqual({ '"]; throw new Error("boom"); //': 'v' });
  });
});
