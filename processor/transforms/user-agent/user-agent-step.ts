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
import {
  exceedsBytes,
  type FieldPath,
  fieldPath,
  getField,
  mergeFields,
  setField,
} from '../../pipeline/fields.ts';
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
  deviceName?: string;
}

export const userAgentStep: StepDefinition<typeof schema> = {
  description: 'Parses a User-Agent string into ECS `user_agent.*` fields.',
  schema,
  create(config): PipelineStep {
    const source = fieldPath(config.field);
    const target: FieldPath = fieldPath(config.target);
    const cache = new LruCache<string, AgentInfo>(config.cache_size);
    return {
      type: 'user_agent',
      run(event): StepResult {
        const original = getField(event, source);
        if (original === undefined || original === '' || original === '-') return undefined;
        if (typeof original !== 'string') return NOT_TEXT;
        if (exceedsBytes(original, MAX_AGENT_BYTES)) return TOO_LONG;
        let info = cache.get(original);
        if (info === undefined) {
          info = parseAgent(original);
          cache.set(original, info);
        }
        const fields = toEcs(original, info);
        const existing = getField(event, target);
        if (typeof existing === 'object' && existing !== null && !Array.isArray(existing)) {
          mergeFields(existing as Record<string, unknown>, fields);
        } else {
          setField(event, target, fields);
        }
        return undefined;
      },
    };
  },
};

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

function toEcs(original: string, info: AgentInfo): Record<string, unknown> {
  const fields: Record<string, unknown> = { original };
  if (info.name !== undefined) fields.name = info.name;
  if (info.version !== undefined) fields.version = info.version;
  if (info.osName !== undefined) {
    const os: Record<string, string> = { name: info.osName };
    if (info.osVersion !== undefined) os.version = info.osVersion;
    os.full = info.osVersion === undefined ? info.osName : `${info.osName} ${info.osVersion}`;
    fields.os = os;
  }
  if (info.deviceName !== undefined) fields.device = { name: info.deviceName };
  return fields;
}
