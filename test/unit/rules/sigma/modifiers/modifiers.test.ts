/** Conformance of every Sigma 2.1 value modifier, and of plain values: one positive and one negative case each. */
import { describe, expect, it } from 'vitest';
import { MODIFIERS } from '../../../../../rules/sigma/modifiers/registry.ts';
import { matches, problemsOf } from '../helpers.ts';

const b64 = (s: string, encoding: BufferEncoding = 'utf8') => Buffer.from(s, encoding).toString('base64');

describe('plain values', () => {
  it('match a whole string case-insensitively', () => {
    expect(matches('sel: { user.name: Root }\ncondition: sel', { user: { name: 'ROOT' } })).toBe(true);
    expect(matches('sel: { user.name: root }\ncondition: sel', { user: { name: 'rooter' } })).toBe(false);
  });

  it('link a list of values with OR and the fields of a map with AND', () => {
    const d = 'sel:\n  a: [x, y]\n  b: z\ncondition: sel';
    expect(matches(d, { a: 'y', b: 'z' })).toBe(true);
    expect(matches(d, { a: 'y', b: 'q' })).toBe(false);
  });

  it('support * and ? wildcards', () => {
    expect(matches("sel: { f: 'prog?.exe' }\ncondition: sel", { f: 'progA.exe' })).toBe(true);
    expect(matches("sel: { f: 'prog?.exe' }\ncondition: sel", { f: 'progAB.exe' })).toBe(false);
    expect(matches("sel: { f: 'a*z' }\ncondition: sel", { f: 'abcz' })).toBe(true);
    expect(matches("sel: { f: 'a*z' }\ncondition: sel", { f: 'abc' })).toBe(false);
  });

  it('escape wildcards with a backslash, and keep other backslashes plain', () => {
    expect(matches("sel: { f: 'what\\?' }\ncondition: sel", { f: 'what?' })).toBe(true);
    expect(matches("sel: { f: 'what\\?' }\ncondition: sel", { f: 'whatX' })).toBe(false);
    expect(matches("sel: { f: 'C:\\Windows\\*' }\ncondition: sel", { f: 'C:\\Windows*' })).toBe(true);
    expect(matches("sel: { f: 'C:\\Windows\\*' }\ncondition: sel", { f: 'C:\\Windows\\system32' })).toBe(
      false,
    );
    expect(matches("sel: { f: 'C:\\Windows\\cmd.exe' }\ncondition: sel", { f: 'c:\\windows\\CMD.exe' })).toBe(
      true,
    );
    expect(matches("sel: { f: 'a\\\\*' }\ncondition: sel", { f: 'a\\anything' })).toBe(true);
    expect(matches("sel: { f: 'a\\\\\\*' }\ncondition: sel", { f: 'a\\*' })).toBe(true);
    expect(matches("sel: { f: 'a\\\\\\*' }\ncondition: sel", { f: 'a\\x' })).toBe(false);
  });

  it('match numbers with numbers and with their exact text', () => {
    expect(matches('sel: { id: 4624 }\ncondition: sel', { id: '4624' })).toBe(true);
    expect(matches('sel: { id: 4624 }\ncondition: sel', { id: 4624 })).toBe(true);
    expect(matches('sel: { id: 4624 }\ncondition: sel', { id: 4625 })).toBe(false);
  });

  it('match null when the field is absent or null, and empty strings only when empty', () => {
    expect(matches('sel: { f: null }\ncondition: sel', {})).toBe(true);
    expect(matches('sel: { f: null }\ncondition: sel', { f: null })).toBe(true);
    expect(matches('sel: { f: null }\ncondition: sel', { f: 'x' })).toBe(false);
    expect(matches("sel: { f: '' }\ncondition: sel", { f: '' })).toBe(true);
    expect(matches("sel: { f: '' }\ncondition: sel", {})).toBe(false);
  });

  it('search keywords (values without a field) anywhere in the message', () => {
    const d = "keywords:\n  - 'event::clear'\n  - 'event::drop'\ncondition: keywords";
    expect(matches(d, { message: 'mimikatz # EVENT::Clear done' })).toBe(true);
    expect(matches(d, { message: 'nothing here' })).toBe(false);
  });

  it('link keywords with AND under |all', () => {
    const d = "keywords:\n  '|all':\n    - OabVirtualDirectory\n    - ' -ExternalUrl '\ncondition: keywords";
    expect(matches(d, { message: 'Set-OabVirtualDirectory -ExternalUrl http://x' })).toBe(true);
    expect(matches(d, { message: 'Set-OabVirtualDirectory' })).toBe(false);
  });

  it('match any element of an array field', () => {
    expect(
      matches('sel: { event.category: web }\ncondition: sel', { event: { category: ['network', 'web'] } }),
    ).toBe(true);
    expect(
      matches('sel: { event.category: web }\ncondition: sel', { event: { category: ['network'] } }),
    ).toBe(false);
  });

  it('look a dotted field up as a flat key when the event is not nested', () => {
    expect(matches('sel: { source.ip: 10.0.0.1 }\ncondition: sel', { 'source.ip': '10.0.0.1' })).toBe(true);
  });
});

describe('generic modifiers', () => {
  it('contains, startswith, endswith', () => {
    expect(matches('sel: { f|contains: BAR }\ncondition: sel', { f: 'foobarbaz' })).toBe(true);
    expect(matches('sel: { f|contains: qux }\ncondition: sel', { f: 'foobarbaz' })).toBe(false);
    expect(matches('sel: { f|startswith: foo }\ncondition: sel', { f: 'foobar' })).toBe(true);
    expect(matches('sel: { f|startswith: bar }\ncondition: sel', { f: 'foobar' })).toBe(false);
    expect(matches('sel: { f|endswith: bar }\ncondition: sel', { f: 'foobar' })).toBe(true);
    expect(matches('sel: { f|endswith: foo }\ncondition: sel', { f: 'foobar' })).toBe(false);
  });

  it('all links the values with AND', () => {
    const d = 'sel: { f|contains|all: [a1, b2] }\ncondition: sel';
    expect(matches(d, { f: 'x a1 y b2' })).toBe(true);
    expect(matches(d, { f: 'x a1 y' })).toBe(false);
  });

  it('exists tests presence, whatever the value', () => {
    expect(matches('sel: { f|exists: true }\ncondition: sel', { f: null })).toBe(true);
    expect(matches('sel: { f|exists: true }\ncondition: sel', {})).toBe(false);
    expect(matches('sel: { f|exists: false }\ncondition: sel', {})).toBe(true);
    expect(matches('sel: { f|exists: false }\ncondition: sel', { f: '' })).toBe(false);
  });

  it('cased matches case-sensitively', () => {
    expect(matches('sel: { f|cased: Admin }\ncondition: sel', { f: 'Admin' })).toBe(true);
    expect(matches('sel: { f|cased: Admin }\ncondition: sel', { f: 'admin' })).toBe(false);
  });

  it('neq matches a present field that differs from every value', () => {
    const d = 'sel: { f|neq: [a, b] }\ncondition: sel';
    expect(matches(d, { f: 'c' })).toBe(true);
    expect(matches(d, { f: 'B' })).toBe(false);
    expect(matches(d, {})).toBe(false);
    expect(matches('sel: { n|neq: 5 }\ncondition: sel', { n: 6 })).toBe(true);
    expect(matches('sel: { n|neq: 5 }\ncondition: sel', { n: 5 })).toBe(false);
  });
});

describe('string modifiers', () => {
  it('windash accepts -, /, en dash, em dash and horizontal bar', () => {
    const d = "sel: { cmd|windash|contains: ' -enc ' }\ncondition: sel";
    for (const dash of ['-', '/', '\u2013', '\u2014', '\u2015']) {
      expect(matches(d, { cmd: `powershell ${dash}enc AAAA` }), dash).toBe(true);
    }
    expect(matches(d, { cmd: 'powershell +enc AAAA' })).toBe(false);
  });

  it('re matches a regular expression, case-sensitively by default', () => {
    expect(matches("sel: { f|re: '^ab+c$' }\ncondition: sel", { f: 'abbbc' })).toBe(true);
    expect(matches("sel: { f|re: '^ab+c$' }\ncondition: sel", { f: 'ABBC' })).toBe(false);
  });

  it('re|i ignores case, re|m anchors at lines, re|s lets . match a newline', () => {
    expect(matches("sel: { f|re|i: '^ab+c$' }\ncondition: sel", { f: 'ABBC' })).toBe(true);
    expect(matches("sel: { f|re|m: '^two$' }\ncondition: sel", { f: 'one\ntwo\nthree' })).toBe(true);
    expect(matches("sel: { f|re: '^two$' }\ncondition: sel", { f: 'one\ntwo\nthree' })).toBe(false);
    expect(matches("sel: { f|re|s: 'a.b' }\ncondition: sel", { f: 'a\nb' })).toBe(true);
    expect(matches("sel: { f|re: 'a.b' }\ncondition: sel", { f: 'a\nb' })).toBe(false);
  });

  it('re understands a leading (?i) as PCRE does', () => {
    expect(matches("sel: { f|re: '(?i)ipfs\\.io' }\ncondition: sel", { f: 'https://IPFS.io/x' })).toBe(true);
  });
});

describe('encoding modifiers', () => {
  it('base64 matches the encoded value', () => {
    expect(matches('sel: { f|base64: secret }\ncondition: sel', { f: b64('secret') })).toBe(true);
    expect(matches('sel: { f|base64: secret }\ncondition: sel', { f: 'secret' })).toBe(false);
  });

  it('base64offset|contains finds the value at any offset in an encoded text', () => {
    const d = 'sel: { f|base64offset|contains: http://evil }\ncondition: sel';
    for (const prefix of ['', 'a', 'ab', 'abc']) {
      expect(matches(d, { f: `x ${b64(`${prefix}curl http://evil/x`)} y` }), prefix).toBe(true);
    }
    expect(matches(d, { f: b64('curl http://good/x') })).toBe(false);
  });

  it('utf16le and wide encode as UTF-16 little-endian (with base64)', () => {
    expect(
      matches('sel: { f|utf16le|base64offset|contains: cmd }\ncondition: sel', {
        f: b64('x cmd /c', 'utf16le'),
      }),
    ).toBe(true);
    expect(
      matches('sel: { f|wide|base64offset|contains: cmd }\ncondition: sel', {
        f: b64('x cmd /c', 'utf16le'),
      }),
    ).toBe(true);
    expect(
      matches('sel: { f|wide|base64offset|contains: cmd }\ncondition: sel', { f: b64('x cmd /c') }),
    ).toBe(false);
  });

  it('utf16be encodes big-endian, utf16 adds the byte order mark', () => {
    const be = Buffer.from('cmd', 'utf16le').swap16();
    expect(matches('sel: { f|utf16be|base64: cmd }\ncondition: sel', { f: be.toString('base64') })).toBe(
      true,
    );
    expect(matches('sel: { f|utf16be|base64: cmd }\ncondition: sel', { f: b64('cmd', 'utf16le') })).toBe(
      false,
    );
    const bom = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('cmd', 'utf16le')]);
    expect(matches('sel: { f|utf16|base64: cmd }\ncondition: sel', { f: bom.toString('base64') })).toBe(true);
    expect(matches('sel: { f|utf16|base64: cmd }\ncondition: sel', { f: b64('cmd', 'utf16le') })).toBe(false);
  });

  it('refuses to encode a value with wildcards', () => {
    expect(problemsOf("sel: { f|base64: 'a*' }\ncondition: sel")[0]?.message).toMatch(
      /cannot encode a value with wildcards/,
    );
  });
});

describe('compare modifiers', () => {
  it('lt, lte, gt, gte compare numbers and numeric text', () => {
    expect(matches('sel: { n|lt: 10 }\ncondition: sel', { n: 9 })).toBe(true);
    expect(matches('sel: { n|lt: 10 }\ncondition: sel', { n: 10 })).toBe(false);
    expect(matches('sel: { n|lte: 10 }\ncondition: sel', { n: '10' })).toBe(true);
    expect(matches('sel: { n|lte: 10 }\ncondition: sel', { n: 11 })).toBe(false);
    expect(matches('sel: { n|gt: 10 }\ncondition: sel', { n: 11 })).toBe(true);
    expect(matches('sel: { n|gt: 10 }\ncondition: sel', { n: 'ten' })).toBe(false);
    expect(matches('sel: { n|gte: 10 }\ncondition: sel', { n: 10 })).toBe(true);
    expect(matches('sel: { n|gte: 10 }\ncondition: sel', { n: 9.5 })).toBe(false);
  });

  it('refuses a comparison with text', () => {
    expect(problemsOf('sel: { n|gt: ten }\ncondition: sel')[0]?.message).toMatch(/compares with a number/);
  });
});

describe('time modifiers', () => {
  const at = { '@timestamp': '2026-03-09T23:45:00.000Z' };
  it.each([
    ['minute', 45, 44],
    ['hour', 23, 22],
    ['day', 9, 10],
    ['week', 11, 12],
    ['month', 3, 4],
    ['year', 2026, 2025],
  ])('%s extracts its part of the date (UTC)', (part, yes, no) => {
    expect(matches(`sel: { '@timestamp|${part}': ${yes} }\ncondition: sel`, at)).toBe(true);
    expect(matches(`sel: { '@timestamp|${part}': ${no} }\ncondition: sel`, at)).toBe(false);
  });

  it('combine with comparisons: logins at night', () => {
    const d = "night: { '@timestamp|hour|gte': 22 }\ncondition: night";
    expect(matches(d, at)).toBe(true);
    expect(matches(d, { '@timestamp': '2026-03-09T12:00:00Z' })).toBe(false);
  });
});

describe('network modifier', () => {
  it('cidr matches IPv4 and IPv6 addresses inside the network', () => {
    expect(matches('sel: { ip|cidr: 10.0.0.0/8 }\ncondition: sel', { ip: '10.20.30.40' })).toBe(true);
    expect(matches('sel: { ip|cidr: 10.0.0.0/8 }\ncondition: sel', { ip: '11.0.0.1' })).toBe(false);
    expect(matches("sel: { ip|cidr: '2001:db8::/32' }\ncondition: sel", { ip: '2001:db8::7' })).toBe(true);
    expect(matches("sel: { ip|cidr: '2001:db8::/32' }\ncondition: sel", { ip: '2001:db9::7' })).toBe(false);
    expect(matches('sel: { ip|cidr: 10.0.0.0/8 }\ncondition: sel', { ip: 'not an ip' })).toBe(false);
  });

  it('refuses a malformed network', () => {
    expect(problemsOf('sel: { ip|cidr: 10.0.0.0/33 }\ncondition: sel')[0]?.message).toMatch(/prefix length/);
  });
});

describe('reference modifiers', () => {
  it('expand replaces a placeholder with its values', () => {
    const options = { placeholders: { Admins: ['root', 'adm_*'] } };
    expect(matches("sel: { user|expand: '%Admins%' }\ncondition: sel", { user: 'adm_bob' }, options)).toBe(
      true,
    );
    expect(matches("sel: { user|expand: '%Admins%' }\ncondition: sel", { user: 'bob' }, options)).toBe(false);
  });

  it('expand keeps an escaped percent sign plain', () => {
    const options = { placeholders: { name: ['x'] } };
    expect(matches("sel: { f|expand: '\\%plain%name%' }\ncondition: sel", { f: '%plainx' }, options)).toBe(
      true,
    );
  });

  it('expand without values for a placeholder is an unsupported rule, saying which', () => {
    const [problem] = problemsOf("sel: { user|expand: '%Nobody%' }\ncondition: sel");
    expect(problem?.code).toBe('RULE_UNSUPPORTED');
    expect(problem?.message).toContain('%Nobody%');
  });

  it('fieldref compares two fields of the event, and combines with neq', () => {
    expect(matches('sel: { a|fieldref: b }\ncondition: sel', { a: 'X', b: 'x' })).toBe(true);
    expect(matches('sel: { a|fieldref: b }\ncondition: sel', { a: 'x', b: 'y' })).toBe(false);
    expect(matches('sel: { a|fieldref|neq: b }\ncondition: sel', { a: 'x', b: 'y' })).toBe(true);
    expect(matches('sel: { a|fieldref|neq: b }\ncondition: sel', { a: 'x', b: 'x' })).toBe(false);
    expect(matches('sel: { a|fieldref|contains: b }\ncondition: sel', { a: 'xyz', b: 'y' })).toBe(true);
  });
});

describe('the modifier registry', () => {
  it('holds every modifier of the Sigma 2.1 appendix', () => {
    expect(Object.keys(MODIFIERS).sort()).toEqual(
      [
        'all',
        'base64',
        'base64offset',
        'cased',
        'cidr',
        'contains',
        'day',
        'endswith',
        'exists',
        'expand',
        'fieldref',
        'gt',
        'gte',
        'hour',
        'i',
        'lt',
        'lte',
        'm',
        'minute',
        'month',
        'neq',
        're',
        's',
        'startswith',
        'utf16',
        'utf16be',
        'utf16le',
        'week',
        'wide',
        'windash',
        'year',
      ].sort(),
    );
  });

  it('names an unknown modifier and lists the known ones', () => {
    const [problem] = problemsOf('sel: { f|containz: x }\ncondition: sel');
    expect(problem?.code).toBe('RULE_UNSUPPORTED');
    expect(problem?.message).toMatch(/unknown modifier "containz"; Sigma 2.1 modifiers are: all, exists/);
  });
});
