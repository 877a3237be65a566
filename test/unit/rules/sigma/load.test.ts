/** Loading rule files: documents, collections, filters, correlation rules, pipelines, and problems with their place. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadRuleSet } from '../../../../rules/sigma/load.ts';
import { formatProblem } from '../../../../rules/sigma/model/problem.ts';
import { parsePipelineText } from '../../../../rules/sigma/pipeline/loader.ts';
import { build } from './helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'vigil-sigma-load-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

describe('loading rule files', () => {
  it('reports every problem of a file with line and column, and keeps the good documents', () => {
    const path = file(
      'mixed.yml',
      `title: Good
id: good-1
logsource: { product: linux }
detection:
  sel: { a: 1 }
  condition: sel
---
title: Bad
id: bad-1
logsource: { product: linux }
level: severe
detection:
  sel:
    a|startswith|bogus: x
    b|cidr: 300.1.1.1/8
  condition: sel and missing
`,
    );
    const loaded = loadRuleSet({ paths: [path], builtinPipeline: false });
    expect(loaded.ruleSet.rules.map((r) => r.id)).toEqual(['good-1']);
    expect(loaded.problems.map((p) => [p.line, p.column, p.code, p.rule])).toEqual([
      [11, 8, 'RULE_INVALID', 'bad-1'],
      [14, 5, 'RULE_UNSUPPORTED', 'bad-1'],
      [15, 5, 'RULE_INVALID', 'bad-1'],
      [16, 22, 'RULE_INVALID', 'bad-1'],
    ]);
    expect(formatProblem(loaded.problems[1]!)).toBe(
      `${path}:14:5 detection.sel.a|startswith|bogus: unknown modifier "bogus"; Sigma 2.1 modifiers are: ${loaded.problems[1]!.message.split('are: ')[1]} (RULE_UNSUPPORTED)`,
    );
  });

  it('reports YAML syntax errors with their place', () => {
    const loaded = loadRuleSet({
      paths: [file('syntax.yml', 'title: x\ndetection: [unclosed\n')],
      builtinPipeline: false,
    });
    expect(loaded.problems[0]).toMatchObject({
      code: 'RULE_INVALID',
      line: expect.any(Number),
      column: expect.any(Number),
    });
  });

  it('says what a rule lacks', () => {
    const { problems } = build('id: x\ndetection: { condition: sel }\n');
    expect(problems.map((p) => p.message)).toEqual(
      expect.arrayContaining(['a rule needs a title', 'a rule needs a logsource']),
    );
  });

  it('merges action: global documents into the ones after them (rule collections)', () => {
    const { ruleSet, problems } = build(`action: global
title: Shared
logsource: { product: linux }
detection:
  condition: sel
---
id: one
detection:
  sel: { a: 1 }
---
id: two
detection:
  sel: { a: 2 }
`);
    expect(problems).toEqual([]);
    expect(ruleSet.match({ a: 2 }).map((h) => h.ruleId)).toEqual(['two']);
  });

  it('refuses timeframe (a Sigma 1 aggregation) and says what to write instead', () => {
    const { problems } = build(
      'title: t\nlogsource: {product: x}\ndetection:\n  sel: {a: 1}\n  timeframe: 5m\n  condition: sel\n',
    );
    expect(problems[0]).toMatchObject({
      code: 'RULE_UNSUPPORTED',
      message: expect.stringContaining('correlation rule'),
    });
  });

  it('keeps correlation rules apart, for the correlator, with a note', () => {
    const { ruleSet, notes, problems } = build(`title: Failed logins
id: base-1
name: failed_login
logsource: { product: linux, service: sshd }
detection:
  sel: { event.outcome: failure }
  condition: sel
---
title: Many failed logins
id: corr-1
correlation:
  type: event_count
  rules: [failed_login]
  group-by: [source.ip]
  timespan: 5m
  condition: { gte: 10 }
level: high
`);
    expect(problems).toEqual([]);
    expect(ruleSet.rules.map((r) => r.id)).toEqual(['base-1']);
    expect(ruleSet.correlations).toMatchObject([
      { id: 'corr-1', type: 'event_count', rules: ['failed_login'], groupBy: ['source.ip'], timespan: '5m' },
    ]);
    expect(notes.map((n) => n.message)).toContain(
      'correlation rule kept for the correlator; it is not evaluated on single events',
    );
  });

  it('applies a Sigma filter to the rules it names: rule condition and filter condition', () => {
    const { ruleSet, problems } = build(`title: Archivers
id: rar-1
logsource: { category: process_creation, product: windows }
detection:
  sel: { Image|endswith: '\\rar.exe' }
  condition: sel
---
title: Not the admins
logsource: { category: process_creation, product: windows }
filter:
  rules: [rar-1]
  selection: { User|startswith: adm_ }
  condition: not selection
`);
    expect(problems).toEqual([]);
    expect(ruleSet.match({ Image: 'C:\\rar.exe', User: 'bob' })).toHaveLength(1);
    expect(ruleSet.match({ Image: 'C:\\rar.exe', User: 'adm_bob' })).toHaveLength(0);
    expect(ruleSet.compiledInfo('rar-1')?.filters).toEqual(['Not the admins']);
  });

  it('refuses two rules with the same id', () => {
    const { problems } = build(
      'title: a\nid: same\nlogsource: {product: x}\ndetection: {s: {a: 1}, condition: s}\n---\ntitle: b\nid: same\nlogsource: {product: x}\ndetection: {s: {a: 1}, condition: s}\n',
    );
    expect(problems[0]?.message).toMatch(/the id "same" is already used by "a"/);
  });

  it('skips sidecar test files and reads folders recursively', () => {
    const sub = join(dir, 'tree', 'nested');
    mkdirSync(sub, { recursive: true });
    writeFileSync(
      join(sub, 'r.yml'),
      'title: r\nid: r\nlogsource: {product: x}\ndetection: {s: {a: 1}, condition: s}\n',
    );
    writeFileSync(join(sub, 'r.tests.yml'), 'cases: []\n');
    const loaded = loadRuleSet({ paths: [join(dir, 'tree')], builtinPipeline: false });
    expect(loaded.files).toEqual([join(sub, 'r.yml')]);
  });
});

describe('mapping pipelines', () => {
  const pipeline = parsePipelineText(
    'p.yml',
    `name: test
vars: { Admins: [root] }
logsources:
  - logsource: { product: linux, service: sshd }
    conditions: { process.name: sshd }
fields:
  - mapping: { User: [user.name, winlog.event_data.User] }
  - logsource: { product: windows }
    template: "winlog.event_data.{field}"
values:
  - field: event.type
    map: { blocked: denied }
`,
  );

  it('loads without problems', () => {
    expect(pipeline.problems).toEqual([]);
  });

  const rule = (logsource: string, detection: string) =>
    build(`title: t\nid: t\nlogsource: ${logsource}\ndetection:\n${detection}\n  condition: sel\n`, {
      pipelines: [pipeline.pipeline!],
    }).ruleSet;

  it('adds the log source conditions to every rule of that log source', () => {
    const set = rule('{ product: linux, service: sshd }', '  sel: { message|contains: Failed }');
    expect(set.match({ message: 'Failed password', process: { name: 'sshd' } })).toHaveLength(1);
    expect(set.match({ message: 'Failed password', process: { name: 'sudo' } })).toHaveLength(0);
  });

  it('maps one Sigma field to several event fields (any may match)', () => {
    const set = rule('{ product: linux }', '  sel: { User: bob }');
    expect(set.match({ user: { name: 'bob' } })).toHaveLength(1);
    expect(set.match({ winlog: { event_data: { User: 'bob' } } })).toHaveLength(1);
    expect(set.match({ User: 'bob' })).toHaveLength(0);
  });

  it('looks every other field up through the template of its log source', () => {
    const set = rule('{ product: windows }', '  sel: { ServiceName: evil }');
    expect(set.match({ winlog: { event_data: { ServiceName: 'evil' } } })).toHaveLength(1);
  });

  it('replaces values where the source writes them differently', () => {
    const set = rule('{ product: x }', '  sel: { event.type: blocked }');
    expect(set.match({ event: { type: ['connection', 'denied'] } })).toHaveLength(1);
  });

  it('gives expand placeholders their values', () => {
    const set = rule('{ product: x }', "  sel: { user.name|expand: '%Admins%' }");
    expect(set.match({ user: { name: 'root' } })).toHaveLength(1);
  });

  it('reports pipeline problems with file, line and column', () => {
    const { problems } = parsePipelineText(
      'bad.yml',
      'name: x\nfields:\n  - mapping: { A: "__proto__.x" }\nbogus: 1\n',
    );
    expect(problems.map((p) => [p.code, p.line])).toEqual([
      ['RULE_PIPELINE_INVALID', 4],
      ['RULE_PIPELINE_INVALID', 3],
    ]);
  });

  it("ships Vigil's ECS pipeline, which loads cleanly", () => {
    const loaded = loadRuleSet({ paths: [] });
    expect(loaded.problems).toEqual([]);
  });
});
