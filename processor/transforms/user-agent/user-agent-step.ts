/**
 * The `user_agent` pipeline step: ECS `user_agent.*` (browser name and
 * version, OS, device) from a raw User-Agent header, parsed with bowser.
 * Real traffic repeats a few agents, so results are kept in a small LRU
 * keyed by the raw string and a repeated agent costs one map look-up.
 *
 * Agents bowser does not know (`curl/8.4.0`, `python-requests/2.31`) get
 * their leading `product/version` token as name and version. Bots get the
 * device name `Spider`, as Elastic's user-agent processor gives them.
 */
import Bowser from 'bowser';
import { z } from 'zod';
import { LruCache } from '../../../core/lru-cache.ts';
import { exceedsBytes, fieldGetter, fieldPath, fieldSetter } from '../../pipeline/fields.ts';
import type { PipelineStep, StepDefinition, StepResult } from '../../pipeline/step.ts';

const schema = z.strictObject({
  field: z
    .string()
    .min(1)
    .default('user_agent.original')
    .describe('Field holding the raw User-Agent string; default `user_agent.original`.'),
  target: z
    .string()
    .min(1)
    .default('user_agent')
    .describe('Field that receives the ECS user-agent fields, `original` included; default `user_agent`.'),
  cache_size: z
    .number()
    .int()
    .min(0)
    .max(1_000_000)
    .default(1000)
    .describe(
      'Most distinct agents whose parsed result is kept (least recently used go first); 0 keeps none; default 1000.',
    ),
});

/** Longest agent parsed, in UTF-8 bytes; real ones are a few hundred. */
const MAX_AGENT_BYTES = 2048;
const TOO_LONG = { failure: 'too long' } as const;
const NOT_TEXT = { failure: 'not a string' } as const;

/** What one agent parses to; shared by every event with that agent, so never handed out as is. */
interface AgentInfo {
  name?: string;
  version?: string;
  osName?: string;
  osVersion?: string;
  /** `osName osVersion`, or `osName` alone. */
  osFull?: string;
  deviceName?: string;
}

export const userAgentStep: StepDefinition<typeof schema> = {
  description: 'Parses a User-Agent string into ECS `user_agent.*` fields.',
  schema,
  create(config): PipelineStep {
    const getSource = fieldGetter(fieldPath(config.field));
    const targetPath = fieldPath(config.target);
    const getTarget = fieldGetter(targetPath);
    const setTarget = fieldSetter(targetPath);
    const cache = new LruCache<string, AgentInfo>(config.cache_size);
    // Before the LRU (whose look-up hashes the whole agent each time): a small table of recent agents,
    // at a slot chosen from the length and three characters, compared as strings.
    const recentAgents = new Array<string | undefined>(RECENT_SLOTS).fill(undefined);
    const recentInfo = new Array<AgentInfo | undefined>(RECENT_SLOTS).fill(undefined);
    return {
      type: 'user_agent',
      run(event): StepResult {
        const original = getSource(event);
        if (original === undefined || original === '' || original === '-') return undefined;
        if (typeof original !== 'string') return NOT_TEXT;
        const slot = recentSlot(original);
        let info: AgentInfo | undefined;
        if (recentAgents[slot] === original) info = recentInfo[slot] as AgentInfo;
        else {
          if (exceedsBytes(original, MAX_AGENT_BYTES)) return TOO_LONG;
          info = cache.get(original);
          if (info === undefined) {
            info = parseAgent(original);
            cache.set(original, info);
          }
          if (config.cache_size > 0) {
            recentAgents[slot] = original;
            recentInfo[slot] = info;
          }
        }
        const existing = getTarget(event);
        if (typeof existing === 'object' && existing !== null && !Array.isArray(existing)) {
          mergeEcs(existing as Record<string, unknown>, original, info);
        } else {
          setTarget(event, toEcs(original, info));
        }
        return undefined;
      },
    };
  },
};

const RECENT_SLOTS = 256;

/** A slot of the recent-agents table: from the length and three characters, no pass over the whole text. */
function recentSlot(agent: string): number {
  const length = agent.length;
  return (
    (length * 7 +
      agent.charCodeAt(length >> 1) * 3 +
      agent.charCodeAt(length - 2) +
      agent.charCodeAt((length * 3) >> 2)) &
    (RECENT_SLOTS - 1)
  );
}

/** `curl/8.4.0`, `Wget/1.21`, `python-requests/2.31.0 ...`: the leading product token. */
const PRODUCT = /^([A-Za-z][A-Za-z0-9_.+-]{0,63})\/([0-9][^\s/;()]{0,31})/;

function parseAgent(agent: string): AgentInfo {
  let parsed: Bowser.Parser.ParsedResult;
  try {
    parsed = Bowser.parse(agent);
  } catch {
    // The parser refuses some input (e.g. blank); treat it as an unknown agent.
    return fromProductToken(agent);
  }
  const info: AgentInfo = {};
  const { browser, os, platform } = parsed;
  if (browser.name) {
    info.name = browser.name;
    if (browser.version) info.version = browser.version;
  } else {
    Object.assign(info, fromProductToken(agent));
  }
  if (os.name) {
    info.osName = os.name;
    // Windows comes as `NT 10.0` with the marketing name `10`; ECS (and Elastic) use the latter.
    const version = os.version?.startsWith('NT ') && os.versionName ? os.versionName : os.version;
    if (version) info.osVersion = version;
    info.osFull = info.osVersion === undefined ? info.osName : `${info.osName} ${info.osVersion}`;
  }
  if (platform.model) info.deviceName = platform.model;
  else if (platform.type === 'bot') info.deviceName = 'Spider';
  return info;
}

function fromProductToken(agent: string): AgentInfo {
  const match = PRODUCT.exec(agent);
  if (match === null || match[1] === 'Mozilla' || match[1] === 'Opera') return {};
  return { name: match[1] as string, version: match[2] as string };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The same as `mergeFields(target, toEcs(original, info))`, without building the fields first. */
function mergeEcs(target: Record<string, unknown>, original: string, info: AgentInfo): void {
  target.original = original;
  if (info.name !== undefined) target.name = info.name;
  if (info.version !== undefined) target.version = info.version;
  if (info.osName !== undefined) {
    const os = target.os;
    if (isObject(os)) {
      os.name = info.osName;
      if (info.osVersion !== undefined) os.version = info.osVersion;
      os.full = info.osFull;
    } else target.os = osFields(info);
  }
  if (info.deviceName !== undefined) {
    const device = target.device;
    if (isObject(device)) device.name = info.deviceName;
    else target.device = { name: info.deviceName };
  }
}

function osFields(info: AgentInfo): Record<string, string> {
  const os: Record<string, string> = { name: info.osName as string };
  if (info.osVersion !== undefined) os.version = info.osVersion;
  os.full = info.osFull as string;
  return os;
}

function toEcs(original: string, info: AgentInfo): Record<string, unknown> {
  const fields: Record<string, unknown> = { original };
  if (info.name !== undefined) fields.name = info.name;
  if (info.version !== undefined) fields.version = info.version;
  if (info.osName !== undefined) fields.os = osFields(info);
  if (info.deviceName !== undefined) fields.device = { name: info.deviceName };
  return fields;
}
