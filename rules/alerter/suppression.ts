/**
 * Alert suppression per rule and entity (`alerter.suppression`): the first
 * alert of a rule for an entity (the values of the `by` fields, e.g. one
 * source.ip) opens a window of `for_ms`; later alerts of that rule and entity
 * inside the window are indexed (marked `vigil.alert.suppressed: true`, with
 * `suppressed_by`) but not notified, and the first alert's
 * `vigil.alert.suppressed_count` goes up.
 *
 * The window runs on the alerter's clock from when the first alert was
 * handled (not on event time). An alert lacking one of the `by` fields is
 * never suppressed: it names no entity.
 *
 * State lives in Redis so every alerter instance agrees and a restart keeps
 * it: the window key holds "<first alert id> <its index>"; a decision key per
 * alert keeps what was decided, so a replayed alert gets the same answer even
 * after its window closed (for max(for_ms, 24 h)). Both keys of an entity
 * share a hash tag, so the script also runs on Redis Cluster.
 */
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { type AlertRecord, alertValue } from './alert.ts';

export interface SuppressionRule {
  /** Rule id or title, or a glob over them (`*`, `?`). */
  rule: string;
  /** Fields naming the entity (from the alert's `fields` or `group`); empty: the rule alone. */
  by: readonly string[];
  forMs: number;
}

export interface SuppressionMatch {
  rule: SuppressionRule;
  /** Stable hash of rule id and entity values. */
  entity: string;
  /** The entity as `field=value` pairs, for logs. */
  description: string;
}

/** The first alert of the window, when this one is suppressed by it. */
export interface SuppressedBy {
  id: string;
  index: string;
}

export interface SuppressionStore {
  /** Decides for one alert: undefined when it is notified (it is the first, or no window is open). */
  decide(match: SuppressionMatch, alertId: string, index: string): Promise<SuppressedBy | undefined>;
}

export class SuppressionPolicy {
  readonly #rules: Array<{ rule: SuppressionRule; pattern: RegExp }>;

  constructor(rules: readonly SuppressionRule[]) {
    this.#rules = rules.map((rule) => ({ rule, pattern: globPattern(rule.rule) }));
  }

  get empty(): boolean {
    return this.#rules.length === 0;
  }

  /** The first suppression rule that applies to the alert, with its entity; undefined when none does. */
  match(alert: AlertRecord): SuppressionMatch | undefined {
    for (const { rule, pattern } of this.#rules) {
      if (!pattern.test(alert.rule.id) && !pattern.test(alert.rule.title)) continue;
      const values: string[] = [];
      let complete = true;
      for (const field of rule.by) {
        const value = alertValue(alert, field);
        if (value === undefined) {
          complete = false;
          break;
        }
        values.push(`${field}=${value}`);
      }
      if (!complete) continue;
      const entity = createHash('sha256')
        .update([alert.rule.id, rule.rule, ...values].join('\n'))
        .digest('base64url')
        .slice(0, 32);
      return { rule, entity, description: values.join(' ') || '(rule only)' };
    }
    return undefined;
  }
}

function globPattern(glob: string): RegExp {
  const source = glob
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replaceAll('*', '.*')
    .replaceAll('?', '.');
  return new RegExp(`^${source}$`, 'i');
}

const DAY_MS = 86_400_000;

/** How long the decision for one alert is remembered, for replays. */
export function decisionTtlMs(forMs: number): number {
  return Math.max(forMs, DAY_MS);
}

// KEYS[1] window key, KEYS[2] decision key; ARGV[1] "<id> <index>", ARGV[2] window ms, ARGV[3] decision ms.
const DECIDE = `
local decided = redis.call('GET', KEYS[2])
if decided then return decided end
local holder = redis.call('GET', KEYS[1])
local result = '-'
if not holder then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
elseif holder ~= ARGV[1] then
  result = holder
end
redis.call('SET', KEYS[2], result, 'PX', ARGV[3])
return result
`;

export class RedisSuppressionStore implements SuppressionStore {
  readonly #redis: Redis;
  readonly #prefix: string;

  constructor(redis: Redis, prefix: string) {
    this.#redis = redis;
    this.#prefix = prefix;
  }

  async decide(match: SuppressionMatch, alertId: string, index: string): Promise<SuppressedBy | undefined> {
    const base = `${this.#prefix}:suppression:{${match.entity}}`;
    const result = (await this.#redis.eval(
      DECIDE,
      2,
      base,
      `${base}:alert:${alertId}`,
      `${alertId} ${index}`,
      String(match.rule.forMs),
      String(decisionTtlMs(match.rule.forMs)),
    )) as string;
    return parseHolder(result);
  }
}

function parseHolder(result: string): SuppressedBy | undefined {
  if (result === '-' || result === '') return undefined;
  const space = result.indexOf(' ');
  return { id: result.slice(0, space), index: result.slice(space + 1) };
}

/** The same decisions in memory, for one process (tests, and a single alerter without Redis). */
export class MemorySuppressionStore implements SuppressionStore {
  readonly #windows = new Map<string, { holder: string; until: number }>();
  readonly #decisions = new Map<string, { result: string; until: number }>();
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  async decide(match: SuppressionMatch, alertId: string, index: string): Promise<SuppressedBy | undefined> {
    const now = this.#now();
    const decisionKey = `${match.entity}:${alertId}`;
    const decided = this.#decisions.get(decisionKey);
    if (decided && decided.until > now) return parseHolder(decided.result);
    const me = `${alertId} ${index}`;
    const window = this.#windows.get(match.entity);
    let result = '-';
    if (!window || window.until <= now)
      this.#windows.set(match.entity, { holder: me, until: now + match.rule.forMs });
    else if (window.holder !== me) result = window.holder;
    this.#decisions.set(decisionKey, { result, until: now + decisionTtlMs(match.rule.forMs) });
    return parseHolder(result);
  }
}
