/**
 * The 416 SigmaHQ rules of ../shared/data/sigma/rules, loaded without edits:
 * every one must load and compile (acceptance: 100%, or a stated reason per
 * rule). Then the literal index is checked against plain evaluation on events
 * built from the rules' own values: it may skip work, never a match.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadRuleSet } from '../../../../rules/sigma/load.ts';
import { formatProblem } from '../../../../rules/sigma/model/problem.ts';
import type { Detection } from '../../../../rules/sigma/model/rule.ts';
import { ANY, ONE } from '../../../../rules/sigma/model/values.ts';

const RULES = fileURLToPath(new URL('../../../../../shared/data/sigma/rules', import.meta.url));

/** Rules allowed to fail, with the reason (none so far). */
const KNOWN_FAILURES: Record<string, string> = {};

describe('SigmaHQ rules', () => {
  const loaded = loadRuleSet({ paths: [RULES] });

  it('all load and compile, with Vigil’s ECS pipeline', () => {
    const failing = new Set(loaded.problems.map((p) => p.file));
    const unexpected = loaded.problems.filter(
      (p) => !Object.hasOwn(KNOWN_FAILURES, p.file.slice(RULES.length + 1)),
    );
    console.info(
      `SigmaHQ rules: ${loaded.files.length} files, ${loaded.ruleSet.size} rules compiled, ${failing.size} files with problems, ` +
        `${loaded.ruleSet.stats().indexed} indexed by literal, ${loaded.ruleSet.stats().alwaysEvaluated} evaluated on every event.`,
    );
    expect(unexpected.map(formatProblem)).toEqual([]);
    expect(loaded.files.length).toBe(416);
    expect(loaded.ruleSet.size).toBe(416 - Object.keys(KNOWN_FAILURES).length);
  });

  it('give the same matches with and without the literal index', () => {
    // Without pipelines, a rule's fields are the event's fields, so each rule's own values make events it matches.
    const plain = loadRuleSet({ paths: [RULES], builtinPipeline: false });
    const events: Record<string, unknown>[] = [];
    const text = (parts: readonly unknown[]) =>
      parts.map((p) => (p === ANY ? 'Xy' : p === ONE ? 'Z' : p)).join('');
    const fill = (detection: Detection, event: Record<string, unknown>, pick: number): void => {
      if (detection.kind === 'any') {
        const alt = detection.alternatives[pick % detection.alternatives.length];
        if (alt) fill(alt, event, pick);
        return;
      }
      for (const item of detection.items) {
        const value = item.values[pick % item.values.length];
        const key = item.field ?? 'message';
        if (value?.type === 'string')
          event[key] = `${(event[key] as string | undefined) ?? ''}${text(value.parts)}`;
        else if (value?.type === 'number') event[key] = value.value;
      }
    };
    for (const rule of plain.ruleSet.rules) {
      for (let pick = 0; pick < 3; pick++) {
        const event: Record<string, unknown> = {};
        for (const detection of rule.detections.values()) fill(detection, event, pick);
        events.push(event);
      }
    }
    let matched = 0;
    for (const event of events) {
      const indexed = plain.ruleSet.match(event).map((h) => h.ruleId);
      const all = plain.ruleSet.matchWithoutIndex(event).map((h) => h.ruleId);
      expect(indexed, JSON.stringify(event)).toEqual(all);
      matched += all.length > 0 ? 1 : 0;
    }
    console.info(`Index check: ${events.length} events, ${matched} matched at least one rule.`);
    expect(matched).toBeGreaterThan(events.length / 3);
  });
});
