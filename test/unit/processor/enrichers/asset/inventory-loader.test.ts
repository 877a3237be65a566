import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isVigilError, type VigilError } from '../../../../../core/errors.ts';
import {
  buildInventory,
  type InventoryProblem,
  loadInventory,
} from '../../../../../processor/enrichers/asset/inventory-loader.ts';

const dir = mkdtempSync(join(tmpdir(), 'vigil-asset-loader-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function problemsOf(fn: () => unknown): InventoryProblem[] {
  try {
    fn();
  } catch (error) {
    expect(isVigilError(error)).toBe(true);
    expect((error as VigilError).code).toBe('CONFIG_INVALID');
    return (error as VigilError).details?.problems as InventoryProblem[];
  }
  throw new Error('expected the inventory to be refused');
}

const CSV = `id,name,owner,criticality,environment,business_unit,tags,ip,cidr,hostname
srv-1,Web 1,web-team,high,production,shop,"pci;internet-facing",10.1.2.3,,web01.corp.example
net-1,Office,netops,low,production,it,,,10.1.0.0/16;2001:db8:1::/48,
`;

const YAML = `assets:
  - id: srv-2
    name: Database
    criticality: critical
    tags: [pci]
    ip: [10.9.0.5, "2001:db8::5"]
    hostname: db01
  - id: 1234
    cidr: 10.0.0.0/8
`;

const JSON_TEXT = JSON.stringify({
  assets: [
    { id: 'srv-3', owner: 'mail', hostname: ['mx01.corp.example', 'MX01.mail.example.'], ip: '192.0.2.25' },
  ],
});

describe('loadInventory', () => {
  it('reads CSV, YAML and JSON files into one inventory', () => {
    writeFileSync(join(dir, 'a.csv'), CSV);
    writeFileSync(join(dir, 'b.yaml'), YAML);
    writeFileSync(join(dir, 'c.json'), JSON_TEXT);
    const inventory = loadInventory([join(dir, 'a.csv'), join(dir, 'b.yaml'), join(dir, 'c.json')]);
    expect(inventory.size).toBe(5);
    expect(inventory.matchIp('10.1.2.3')).toEqual({
      id: 'srv-1',
      name: 'Web 1',
      owner: 'web-team',
      criticality: 'high',
      environment: 'production',
      business_unit: 'shop',
      tags: ['pci', 'internet-facing'],
    });
    expect(inventory.matchIp('10.1.200.1')?.id).toBe('net-1');
    expect(inventory.matchIp('10.200.0.1')?.id).toBe('1234');
    expect(inventory.matchIp('2001:db8:1:2::9')?.id).toBe('net-1');
    expect(inventory.matchIp('2001:db8::5')?.id).toBe('srv-2');
    expect(inventory.matchIp('::ffff:10.9.0.5')?.id).toBe('srv-2');
    expect(inventory.matchIp('192.0.2.25')).toEqual({ id: 'srv-3', owner: 'mail' });
    expect(inventory.matchIp('172.16.0.1')).toBeUndefined();
    expect(inventory.matchIp('not an ip')).toBeUndefined();
    expect(inventory.matchHost('mx01.mail.example')?.id).toBe('srv-3');
  });

  it('prefers an exact address, then the longest network', () => {
    const inventory = buildInventory([
      {
        file: 'nets.yaml',
        text: `assets:
  - { id: v4-8, cidr: 10.0.0.0/8 }
  - { id: v4-16, cidr: 10.1.0.0/16 }
  - { id: v4-24, cidr: 10.1.2.0/24 }
  - { id: v4-host, ip: 10.1.2.3 }
  - { id: v4-all, cidr: 0.0.0.0/0 }
  - { id: v6-32, cidr: "2001:db8::/32" }
  - { id: v6-48, cidr: "2001:db8:1::/48" }
  - { id: v6-64, cidr: "2001:db8:1:2::/64" }
  - { id: v6-host, ip: "2001:db8:1:2::3" }
`,
      },
    ]);
    const id = (ip: string) => inventory.matchIp(ip)?.id;
    expect(id('10.1.2.3')).toBe('v4-host');
    expect(id('10.1.2.4')).toBe('v4-24');
    expect(id('10.1.3.4')).toBe('v4-16');
    expect(id('10.2.3.4')).toBe('v4-8');
    expect(id('11.0.0.1')).toBe('v4-all');
    expect(id('2001:db8:1:2::3')).toBe('v6-host');
    expect(id('2001:db8:1:2::4')).toBe('v6-64');
    expect(id('2001:db8:1:3::4')).toBe('v6-48');
    expect(id('2001:db8:2::1')).toBe('v6-32');
    expect(id('2001:db9::1')).toBeUndefined();
  });

  it('matches host names case-insensitively, by full name or by short name', () => {
    const inventory = buildInventory([
      {
        file: 'hosts.csv',
        text: `id,hostname
full,web01.corp.example
short,db01
amb-1,app01.corp.example
amb-2,app01.lab.example
both-short,mail
both-full,mail.corp.example
`,
      },
    ]);
    const id = (name: string) => inventory.matchHost(name)?.id;
    expect(id('WEB01.Corp.Example')).toBe('full');
    expect(id('web01.corp.example.')).toBe('full');
    expect(id('web01')).toBe('full');
    expect(id('db01')).toBe('short');
    expect(id('db01.corp.example')).toBe('short');
    expect(id('web01.lab.example')).toBeUndefined();
    expect(id('app01')).toBeUndefined();
    expect(id('app01.lab.example')).toBe('amb-2');
    expect(id('mail')).toBe('both-short');
    expect(id('mail.corp.example')).toBe('both-full');
    expect(id('mail.lab.example')).toBe('both-short');
    expect(id('')).toBeUndefined();
  });

  it('matches only full names when short names are off', () => {
    const inventory = buildInventory(
      [{ file: 'h.csv', text: 'id,hostname\na,web01.corp.example\nb,db01\n' }],
      {
        shortNames: false,
      },
    );
    expect(inventory.matchHost('web01.corp.example')?.id).toBe('a');
    expect(inventory.matchHost('web01')).toBeUndefined();
    expect(inventory.matchHost('db01.corp.example')).toBeUndefined();
  });

  it('reports every problem of a CSV file with its line and column name', () => {
    const problems = problemsOf(() =>
      buildInventory([
        {
          file: 'bad.csv',
          text: `id,ip,cidr,hostname
a,10.1.2.300,,
,10.0.0.1,,
c,,10.1.2.3/24,
d,,,
e,10.1.2.4,,"web 01"
f,10.1.2.4,,
g,"x"y,,
`,
        },
      ]),
    );
    expect(problems).toEqual([
      { file: 'bad.csv', line: 8, field: '', message: expect.stringMatching(/closing quote/) },
      { file: 'bad.csv', line: 2, field: 'ip', message: '"10.1.2.300" is not an IP address' },
      { file: 'bad.csv', line: 3, field: 'id', message: 'is required' },
      {
        file: 'bad.csv',
        line: 4,
        field: 'cidr',
        message: '"10.1.2.3/24" has address bits set after its prefix length',
      },
      { file: 'bad.csv', line: 5, field: '', message: 'an entry needs at least one ip, cidr or hostname' },
      { file: 'bad.csv', line: 6, field: 'hostname', message: expect.stringMatching(/is not a host name/) },
      {
        file: 'bad.csv',
        line: 7,
        field: 'ip',
        message: '"10.1.2.4" is already listed for asset "e" at bad.csv:6',
      },
    ]);
  });

  it('reports an address listed for two assets at the second, naming the first', () => {
    const problems = problemsOf(() =>
      buildInventory([
        { file: 'one.csv', text: 'id,ip,hostname\na,10.1.2.4,web01\n' },
        { file: 'two.yaml', text: 'assets:\n  - id: b\n    ip: 10.1.2.4\n    hostname: WEB01\n' },
      ]),
    );
    expect(problems).toEqual([
      {
        file: 'two.yaml',
        line: 3,
        column: 9,
        field: 'assets[0].ip[0]',
        message: '"10.1.2.4" is already listed for asset "a" at one.csv:2',
      },
      {
        file: 'two.yaml',
        line: 4,
        column: 15,
        field: 'assets[0].hostname[0]',
        message: '"web01" is already listed for asset "a" at one.csv:2',
      },
    ]);
  });

  it('refuses unknown CSV columns and file types', () => {
    const problems = problemsOf(() =>
      buildInventory([
        { file: 'x.csv', text: 'id,ip,adress\na,10.0.0.1,x\n' },
        { file: 'x.txt', text: '' },
        { file: 'empty.csv', text: '' },
      ]),
    );
    expect(problems.map((p) => [p.file, p.line, p.field, p.message])).toEqual([
      ['x.csv', 1, 'adress', expect.stringMatching(/^unknown column "adress"; columns are: id, name/)],
      ['x.txt', undefined, '', expect.stringMatching(/unknown extension ".txt"/)],
      ['empty.csv', undefined, '', expect.stringMatching(/is empty/)],
    ]);
  });

  it('reports YAML problems with line, column and key path', () => {
    const problems = problemsOf(() =>
      buildInventory([
        {
          file: 'bad.yaml',
          text: `assets:
  - id: a
    ip: 10.0.0.1
    ownr: me
  - id: b
    cidr: [10.0.0.0/8, "2001:db8::1/32"]
  - id: c
    ip: 10.0.0.0/8
  - id: d
    hostname: 10.0.0.9
`,
        },
      ]),
    );
    expect(problems).toEqual([
      {
        file: 'bad.yaml',
        line: 4,
        column: 5,
        field: 'assets[0].ownr',
        message: expect.stringMatching(/unknown field "ownr"/),
      },
      {
        file: 'bad.yaml',
        line: 6,
        column: 24,
        field: 'assets[1].cidr[1]',
        message: expect.stringMatching(/bits set/),
      },
      {
        file: 'bad.yaml',
        line: 8,
        column: 9,
        field: 'assets[2].ip[0]',
        message: '"10.0.0.0/8" is a network: list it under cidr',
      },
      {
        file: 'bad.yaml',
        line: 10,
        column: 15,
        field: 'assets[3].hostname[0]',
        message: '"10.0.0.9" is an IP address: list it under ip',
      },
    ]);
  });

  it('reports YAML syntax errors and a wrong top level', () => {
    const syntax = problemsOf(() =>
      buildInventory([{ file: 's.yaml', text: 'assets:\n  - id: a\n   ip: [\n' }]),
    );
    expect(syntax[0]).toMatchObject({
      file: 's.yaml',
      line: expect.any(Number),
      message: expect.stringMatching(/is not valid YAML/),
    });
    const top = problemsOf(() => buildInventory([{ file: 't.yaml', text: '- id: a\n  ip: 10.0.0.1\n' }]));
    expect(top[0]).toMatchObject({
      file: 't.yaml',
      line: 1,
      message: expect.stringMatching(/expected a mapping with the key assets/),
    });
  });

  it('reports JSON syntax errors with line and column, and entry problems with positions', () => {
    const syntax = problemsOf(() =>
      buildInventory([{ file: 's.json', text: '{\n  "assets": [\n    {"id": "a",}\n  ]\n}' }]),
    );
    expect(syntax[0]).toMatchObject({
      file: 's.json',
      line: 3,
      message: expect.stringMatching(/is not valid JSON/),
    });
    const entry = problemsOf(() =>
      buildInventory([
        {
          file: 'e.json',
          text: '{\n  "assets": [\n    {"id": "a", "ip": "10.0.0.1"},\n    {"id": "b", "ip": 7}\n  ]\n}',
        },
      ]),
    );
    expect(entry).toEqual([
      { file: 'e.json', line: 4, column: 23, field: 'assets[1].ip[0]', message: '"7" is not an IP address' },
    ]);
  });

  it('names the file and line in the error message', () => {
    writeFileSync(join(dir, 'broken.csv'), 'id,ip\na,10.0.0.256\n');
    expect(() => loadInventory([join(dir, 'broken.csv')])).toThrow(
      /Asset inventory has 1 problem:\n {2}.*broken\.csv:2 ip: "10\.0\.0\.256" is not an IP address/,
    );
    expect(() => loadInventory([join(dir, 'missing.csv')])).toThrow(/missing\.csv: cannot be read/);
  });
});
