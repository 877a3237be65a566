/**
 * Hostile rule files: alias bombs, custom YAML tags, __proto__ keys, huge
 * files, catastrophic regular expressions. Each is refused or contained with
 * a clear problem, nothing reaches Object.prototype, and a reload keeps the
 * previous rules.
 */
import { mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Metrics } from '../../../../core/telemetry/metrics.ts';
import { RuleSetHolder } from '../../../../rules/sigma/holder.ts';
import { loadRuleSet } from '../../../../rules/sigma/load.ts';
import { build, ruleWith } from './helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'vigil-sigma-hostile-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function prototypeIsClean(): void {
  expect(Object.keys(Object.prototype)).toEqual([]);
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
}

describe('hostile rule files', () => {
  it('refuses an alias bomb before it expands', () => {
    const levels = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (let i = 1; i < 10; i++) {
      const prev = String.fromCharCode(96 + i);
      const name = String.fromCharCode(97 + i);
      levels.push(
        `${name}: &${name} [*${prev},*${prev},*${prev},*${prev},*${prev},*${prev},*${prev},*${prev},*${prev}]`,
      );
    }
    const started = performance.now();
    const { problems } = build(
      `${levels.join('\n')}\ntitle: bomb\nlogsource: {product: x}\ndetection: {s: {f: *j}, condition: s}\n`,
    );
    expect(performance.now() - started).toBeLessThan(2000);
    expect(problems[0]?.message).toMatch(/expands to more than 200000 values \(an alias bomb\?\)/);
  });

  it('refuses custom YAML tags such as !!js/function', () => {
    for (const tagged of ['!!js/function "function () { return 1 }"', '!custom value', '!!binary aGVsbG8=']) {
      const { problems } = build(ruleWith(`sel: { f: ${tagged} }\ncondition: sel`));
      expect(problems[0]?.message, tagged).toMatch(/the YAML tag .* is not allowed in rule files/);
      expect(problems[0]?.line, tagged).toBe(5);
    }
  });

  it('refuses __proto__ keys anywhere and leaves Object.prototype untouched', () => {
    const texts = [
      '__proto__: { polluted: yes }\ntitle: t\nlogsource: {product: x}\ndetection: {s: {f: 1}, condition: s}\n',
      ruleWith('sel:\n  __proto__: { isAdmin: true }\ncondition: sel'),
      ruleWith("sel:\n  '__proto__.polluted|contains': x\ncondition: sel"),
      ruleWith('sel: { constructor.prototype.polluted: x }\ncondition: sel'),
    ];
    for (const text of texts) {
      const { problems } = build(text);
      expect(problems.length, text).toBeGreaterThan(0);
      expect(problems[0]?.message, text).toMatch(/is reserved and not allowed/);
    }
    prototypeIsClean();
  });

  it('matches events carrying __proto__ keys without polluting anything', () => {
    const { ruleSet } = build(ruleWith('sel: { user.name: root }\ncondition: sel'));
    const event = JSON.parse(
      '{"__proto__": {"polluted": 1}, "user": {"name": "root", "__proto__": {"isAdmin": true}}}',
    );
    expect(ruleSet.match(event)).toHaveLength(1);
    prototypeIsClean();
  });

  it('refuses a 50 MB file without reading it', () => {
    const path = join(dir, 'huge.yml');
    writeFileSync(path, 'title: huge\n');
    truncateSync(path, 50 * 1024 * 1024);
    const started = performance.now();
    const loaded = loadRuleSet({ paths: [path], builtinPipeline: false });
    expect(performance.now() - started).toBeLessThan(1000);
    expect(loaded.problems).toMatchObject([
      {
        code: 'RULE_INVALID',
        file: path,
        message: 'the file is 50.0 MiB, more than the 4.0 MiB a rule file may have',
      },
    ]);
  });

  it('refuses a catastrophic regex V8 cannot take over, naming the repetition', () => {
    for (const [detection, repetition] of [
      ["sel: { f|re|i: '^(a+)+$' }", '(a+)+'],
      ["sel: { f|re: '^(\\w+\\s?)*(?=x)$' }", '(\\w+\\s?)*'],
    ] as const) {
      const { problems } = build(ruleWith(`${detection}\ncondition: sel`));
      expect(problems[0]?.code, detection).toBe('RULE_REGEX_UNSAFE');
      expect(problems[0]?.message, detection).toContain(`the repetition ${repetition}`);
    }
  });

  it("contains an exponential regex V8's linear-time engine can take over", () => {
    const { ruleSet, problems } = build(ruleWith("sel: { f|re: '^(a+)+$' }\ncondition: sel"));
    expect(problems).toEqual([]);
    const started = performance.now();
    expect(ruleSet.match({ f: `${'a'.repeat(5000)}!` })).toHaveLength(0);
    expect(ruleSet.match({ f: 'aaaa' })).toHaveLength(1);
    expect(performance.now() - started).toBeLessThan(500);
  });

  it('times a slow regex the linear engine cannot run, counts it, and switches it off', () => {
    const path = join(dir, 'slow.yml');
    writeFileSync(path, ruleWith("sel: { f|re: '^(?=a).*.*.*.*.*b$' }\ncondition: sel"));
    const loaded = loadRuleSet({
      paths: [path],
      builtinPipeline: false,
      regexBudget: { slowMatchMs: 1, disableAfter: 2 },
    });
    expect(loaded.problems).toEqual([]);
    for (let i = 0; i < 4; i++) loaded.ruleSet.match({ f: 'a'.repeat(90) });
    const stats = loaded.ruleSet.stats();
    expect(stats.regexSlowMatches).toBe(2);
    expect(stats.regexDisabled).toBe(1);
    // Switched off: it no longer matches, even what it would match.
    expect(loaded.ruleSet.match({ f: 'ab' })).toHaveLength(0);
  });

  it('keeps the previous rule set in force when a changed file does not load, and counts the reload', async () => {
    const path = join(dir, 'reload.yml');
    writeFileSync(path, ruleWith('sel: { f: one }\ncondition: sel'));
    const metrics = new Metrics({ defaultMetrics: false });
    const holder = new RuleSetHolder({ paths: [path], builtinPipeline: false, reloadIntervalMs: 0, metrics });
    const first = holder.current;
    expect(first.match({ f: 'one' })).toHaveLength(1);

    writeFileSync(path, `${ruleWith("sel: { f|re|i: '(a+)+' }\ncondition: sel")}\n# changed\n`);
    expect(holder.check()).toBe(false);
    expect(holder.current).toBe(first);
    expect(holder.lastProblems[0]?.code).toBe('RULE_REGEX_UNSAFE');

    writeFileSync(path, '!!js/function "x"\n');
    expect(holder.reload()).toBe(false);
    expect(holder.current).toBe(first);

    writeFileSync(path, ruleWith('sel: { f: two }\ncondition: sel'));
    expect(holder.reload()).toBe(true);
    expect(holder.current.match({ f: 'two' })).toHaveLength(1);
    const text = await metrics.text();
    expect(text).toContain('vigil_rules_reloads_total{outcome="failed"} 2');
    expect(text).toContain('vigil_rules_reloads_total{outcome="ok"} 1');
    expect(text).toContain('vigil_rules_active 1');
    prototypeIsClean();
  });

  it('refuses to start with a broken rule file, listing every problem', () => {
    const path = join(dir, 'broken.yml');
    writeFileSync(path, ruleWith('sel: { f|nope: x, g|cidr: bad }\ncondition: sel'));
    expect(() => new RuleSetHolder({ paths: [path], builtinPipeline: false, reloadIntervalMs: 0 })).toThrow(
      /Rules have 2 problems:\n {2}.*broken.yml:5:\d+ detection.sel.f\|nope: unknown modifier "nope"/,
    );
  });
});
