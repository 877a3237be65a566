/**
 * The `cef` pipeline step: parses ArcSight Common Event Format into
 * `cef.*` (header, `extensions` under their full dictionary names, and
 * `labels` for custom fields) and, with `ecs: true`, maps the header and the
 * well-known extensions to ECS the way Elastic's CEF decoder does: the Name
 * becomes `message` (`msg` replaces it when present), the class id
 * `event.code`, the severity a number in `event.severity`; addresses, users
 * and hosts are also added to `related.*`.
 *
 * Where this step differs from Elastic's decoder:
 * - a value that is not valid for its ECS field (a port above 65535, an
 *   address that is not an IP, an outcome other than success/failure/unknown)
 *   is left out of ECS and kept in `cef.extensions`;
 * - `cat` stays in `cef.extensions.deviceEventCategory` (ECS `event.category`
 *   is a closed list), `type` is not mapped to `event.kind` for the same reason;
 * - `app` goes to `network.protocol`, lowercased; a numeric `proto` becomes
 *   its name (`6` → `tcp`); MACs are normalised to `AA-BB-CC-DD-EE-FF`;
 *   `fileHash` goes to `file.hash.<md5|sha1|sha256|sha512>` by its length;
 * - `agent*` keys are not mapped (ECS `agent` is Vigil's collector), nor keys
 *   Elastic maps to fields ECS does not have (`source.process.*`).
 */
import { isIP } from 'node:net';
import { z } from 'zod';
import {
  appendUnique,
  exceedsBytes,
  type FieldPath,
  fieldPath,
  getField,
  setField,
} from '../../pipeline/fields.ts';
import type { PipelineStep, StepDefinition, StepResult } from '../../pipeline/step.ts';
import { DEFAULT_LIMITS } from '../../pipeline/step.ts';
import {
  CEF_KEYS,
  type CefKey,
  type CefMessage,
  type CefValueType,
  cefTimeToIso,
  isDigits,
  parseCef,
  toFloat,
  toInteger,
} from './cef.ts';

const schema = z.strictObject({
  field: z
    .string()
    .min(1)
    .default('message')
    .describe(
      'Field holding the CEF text; anything before `CEF:` (a syslog header) is skipped; default `message`.',
    ),
  target: z
    .string()
    .min(1)
    .default('cef')
    .describe('Field that receives the CEF header, `extensions` and custom `labels`; default `cef`.'),
  ecs: z
    .boolean()
    .default(true)
    .describe('Also map the header and well-known extensions to ECS fields; default true.'),
});

/** A missing source field is not a failure (an earlier step did not set it): the step does nothing. */
const FIELD_MISSING = undefined;
const NOT_TEXT = { failure: 'not a string' } as const;
const NOT_CEF = { failure: 'not CEF' } as const;
const TOO_LONG = { failure: 'too long' } as const;
const TOO_MANY = { failure: 'too many fields' } as const;

/** Reserved names a label may not take (the parser already drops them as keys). */
const FORBIDDEN = new Set(['__proto__', 'constructor', 'prototype']);
const MAX_LABEL_LENGTH = 100;

/** An ECS value from the raw text and its `cef.extensions` conversion; undefined leaves the field out. */
type Convert = (raw: string, converted: number | string | undefined) => unknown;

interface EcsMapping {
  path: FieldPath;
  convert: Convert;
  /** The `related.*` array the value is also added to. */
  related?: FieldPath;
}

const RELATED_IP = fieldPath('related.ip');
const RELATED_USER = fieldPath('related.user');
const RELATED_HOSTS = fieldPath('related.hosts');
const RELATED_HASH = fieldPath('related.hash');
const MESSAGE = fieldPath('message');

const text: Convert = (v) => v;
const lower: Convert = (v) => v.toLowerCase();
const ip: Convert = (v) => (isIP(v) === 0 ? undefined : v);
// port, count and time read the conversion made for `cef.extensions`: their keys are typed in cef.ts.
const port: Convert = (_, n) => (typeof n === 'number' && n >= 0 && n <= 65535 ? n : undefined);
const count: Convert = (_, n) => (typeof n === 'number' && n >= 0 ? n : undefined);
/** Time keys are converted to ISO 8601 for `cef.extensions` already. */
const time: Convert = (_, iso) => iso;
const MAC = /^[0-9A-Fa-f]{2}(?:[:-][0-9A-Fa-f]{2}){5}$/;
/** ECS wants MACs as uppercase hex pairs joined by hyphens (RFC 7042). */
const mac: Convert = (v) => (MAC.test(v) ? v.toUpperCase().replaceAll(':', '-') : undefined);
const direction: Convert = (v) => (v === '0' ? 'inbound' : v === '1' ? 'outbound' : undefined);
const OUTCOMES = new Set(['success', 'failure', 'unknown']);
const outcome: Convert = (v) => {
  const value = v.toLowerCase();
  return OUTCOMES.has(value) ? value : undefined;
};
/** Firewalls (Check Point, FortiGate) send the IANA protocol number; ECS wants the name. */
const IANA_PROTOCOLS: ReadonlyMap<string, string> = new Map([
  ['1', 'icmp'],
  ['6', 'tcp'],
  ['17', 'udp'],
  ['47', 'gre'],
  ['50', 'esp'],
  ['58', 'ipv6-icmp'],
  ['132', 'sctp'],
]);
const transport: Convert = (v) => (isDigitsOnly(v) ? IANA_PROTOCOLS.get(v) : v.toLowerCase());
const referrer: Convert = (v) => (v.startsWith('http') ? v : undefined);

function isDigitsOnly(v: string): boolean {
  return isDigits(v, 0, v.length);
}

function to(path: string, convert: Convert, related?: FieldPath): EcsMapping {
  return related === undefined
    ? { path: fieldPath(path), convert }
    : { path: fieldPath(path), convert, related };
}

/** Full extension name → ECS field. */
const ECS_MAPPING: ReadonlyMap<string, EcsMapping> = new Map([
  ['agentReceiptTime', to('event.created', time)],
  ['applicationProtocol', to('network.protocol', lower)],
  ['bytesIn', to('source.bytes', count)],
  ['bytesOut', to('destination.bytes', count)],
  ['customerExternalID', to('organization.id', text)],
  ['customerURI', to('organization.name', text)],
  ['destinationAddress', to('destination.ip', ip, RELATED_IP)],
  ['destinationHostName', to('destination.domain', text, RELATED_HOSTS)],
  ['destinationMacAddress', to('destination.mac', mac)],
  ['destinationNtDomain', to('destination.user.domain', text)],
  ['destinationPort', to('destination.port', port)],
  ['destinationTranslatedAddress', to('destination.nat.ip', ip, RELATED_IP)],
  ['destinationTranslatedPort', to('destination.nat.port', port)],
  ['destinationUserId', to('destination.user.id', text)],
  ['destinationUserName', to('destination.user.name', text, RELATED_USER)],
  ['destinationUserPrivileges', to('destination.user.group.name', text)],
  ['deviceAction', to('event.action', text)],
  ['deviceAddress', to('observer.ip', ip, RELATED_IP)],
  ['deviceDirection', to('network.direction', direction)],
  ['deviceHostName', to('observer.hostname', text, RELATED_HOSTS)],
  ['deviceInboundInterface', to('observer.ingress.interface.name', text)],
  ['deviceMacAddress', to('observer.mac', mac)],
  ['deviceOutboundInterface', to('observer.egress.interface.name', text)],
  ['deviceProcessId', to('process.pid', count)],
  ['deviceProcessName', to('process.name', text)],
  ['deviceReceiptTime', to('@timestamp', time)],
  ['deviceTimeZone', to('event.timezone', text)],
  ['endTime', to('event.end', time)],
  ['eventId', to('event.id', text)],
  ['eventOutcome', to('event.outcome', outcome)],
  ['fileCreateTime', to('file.created', time)],
  ['fileId', to('file.inode', text)],
  ['fileModificationTime', to('file.mtime', time)],
  ['filename', to('file.name', text)],
  ['filePath', to('file.path', text)],
  ['fileSize', to('file.size', count)],
  ['message', to('message', text)],
  ['reason', to('event.reason', text)],
  ['requestClientApplication', to('user_agent.original', text)],
  ['requestContext', to('http.request.referrer', referrer)],
  ['requestMethod', to('http.request.method', text)],
  ['requestUrl', to('url.original', text)],
  ['sourceAddress', to('source.ip', ip, RELATED_IP)],
  ['sourceHostName', to('source.domain', text, RELATED_HOSTS)],
  ['sourceMacAddress', to('source.mac', mac)],
  ['sourceNtDomain', to('source.user.domain', text)],
  ['sourcePort', to('source.port', port)],
  ['sourceTranslatedAddress', to('source.nat.ip', ip, RELATED_IP)],
  ['sourceTranslatedPort', to('source.nat.port', port)],
  ['sourceUserId', to('source.user.id', text)],
  ['sourceUserName', to('source.user.name', text, RELATED_USER)],
  ['sourceUserPrivileges', to('source.user.group.name', text)],
  ['startTime', to('event.start', time)],
  ['transportProtocol', to('network.transport', transport)],
]);

/** `fileHash` goes to `file.hash.<algorithm>`, the algorithm told by the length of the hex digest. */
const HASHES: ReadonlyMap<number, FieldPath> = new Map([
  [32, fieldPath('file.hash.md5')],
  [40, fieldPath('file.hash.sha1')],
  [64, fieldPath('file.hash.sha256')],
  [128, fieldPath('file.hash.sha512')],
]);
const HEX = /^[0-9A-Fa-f]+$/;

/** Latitude/longitude pairs: set as one `geo.location` when both are valid. */
const GEO_KEYS = new Set([
  'sourceGeoLatitude',
  'sourceGeoLongitude',
  'destinationGeoLatitude',
  'destinationGeoLongitude',
]);
const GEO = [
  { lat: 'sourceGeoLatitude', lon: 'sourceGeoLongitude', path: fieldPath('source.geo.location') },
  {
    lat: 'destinationGeoLatitude',
    lon: 'destinationGeoLongitude',
    path: fieldPath('destination.geo.location'),
  },
] as const;

/** CEF severity → number: 0-10, or the spec's words (the values Elastic uses). */
const SEVERITY_WORDS: ReadonlyMap<string, number> = new Map([
  ['low', 0],
  ['medium', 4],
  ['high', 7],
  ['very-high', 9],
]);

/** A dictionary entry with what this step does with the key besides `cef.extensions`. */
interface StepKey extends CefKey {
  readonly ecs?: EcsMapping;
  readonly hash?: true;
  readonly geo?: true;
}

/** CEF_KEYS with the ECS mapping folded in, so each key is looked up once per event. */
const STEP_KEYS: ReadonlyMap<string, StepKey> = (() => {
  const byName = new Map<string, StepKey>();
  const entry = (key: CefKey): StepKey => {
    let known = byName.get(key.name);
    if (known === undefined) {
      const ecs = ECS_MAPPING.get(key.name);
      known = {
        ...key,
        ...(ecs === undefined ? {} : { ecs }),
        ...(key.name === 'fileHash' ? { hash: true as const } : {}),
        ...(GEO_KEYS.has(key.name) ? { geo: true as const } : {}),
      };
      byName.set(key.name, known);
    }
    return known;
  };
  const dictionary = new Map<string, StepKey>();
  for (const [alias, key] of CEF_KEYS) dictionary.set(alias, entry(key));
  for (const name of [...ECS_MAPPING.keys(), 'fileHash']) {
    if (!dictionary.has(name)) dictionary.set(name, entry({ name }));
  }
  return dictionary;
})();

const HEADER_ECS = {
  vendor: fieldPath('observer.vendor'),
  product: fieldPath('observer.product'),
  version: fieldPath('observer.version'),
  code: fieldPath('event.code'),
  severity: fieldPath('event.severity'),
};

export const cefStep: StepDefinition<typeof schema> = {
  description: 'Parses ArcSight Common Event Format (CEF) into `cef.*` and ECS fields.',
  schema,
  create(config): PipelineStep {
    const source = fieldPath(config.field);
    const target = fieldPath(config.target);
    const ecs = config.ecs;
    const { maxFieldBytes, maxFields } = DEFAULT_LIMITS;
    return {
      type: 'cef',
      run(event): StepResult {
        const value = getField(event, source);
        if (value === undefined) return FIELD_MISSING;
        if (typeof value !== 'string') return NOT_TEXT;
        if (exceedsBytes(value, maxFieldBytes)) return TOO_LONG;
        const parsed = parseCef(value, maxFields, STEP_KEYS);
        if ('error' in parsed) return parsed.error === 'not CEF' ? NOT_CEF : TOO_MANY;
        apply(event, parsed, target, ecs);
        return undefined;
      },
    };
  },
};

/**
 * Sets `cef.*` and, with `ecs`, the ECS fields, in one pass over the pairs:
 * each value is converted once (number, ISO time) for both.
 */
function apply(
  event: Record<string, unknown>,
  parsed: CefMessage<StepKey>,
  target: FieldPath,
  ecs: boolean,
): void {
  const cef: Record<string, unknown> = { version: parsed.version };
  const device: Record<string, string> = {};
  if (parsed.deviceVendor !== '') device.vendor = parsed.deviceVendor;
  if (parsed.deviceProduct !== '') device.product = parsed.deviceProduct;
  if (parsed.deviceVersion !== '') device.version = parsed.deviceVersion;
  if (parsed.deviceEventClassId !== '') device.event_class_id = parsed.deviceEventClassId;
  if (device.vendor ?? device.product ?? device.version ?? device.event_class_id) cef.device = device;
  if (parsed.name !== '') cef.name = parsed.name;
  if (parsed.severity !== '') cef.severity = parsed.severity;
  const { keys, known, values } = parsed;
  const extensions: Record<string, unknown> = {};
  if (keys.length > 0) cef.extensions = extensions;
  setField(event, target, cef);
  if (ecs) writeHeaderEcs(event, parsed);

  let hasLabel = false;
  let geo: Map<string, number> | undefined;
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i] as string;
    const raw = values[i] as string;
    const info = known[i];
    const converted = info?.type === undefined ? undefined : convertValue(info.type, raw);
    extensions[key] = converted ?? raw;
    if (key.endsWith('Label')) hasLabel = true;
    if (!ecs || info === undefined) continue;
    if (info.ecs !== undefined) {
      const value = info.ecs.convert(raw, converted);
      if (value === undefined) continue;
      setField(event, info.ecs.path, value);
      if (info.ecs.related !== undefined) appendUnique(event, info.ecs.related, value);
    } else if (info.hash) {
      const path = HASHES.get(raw.length);
      if (path === undefined || !HEX.test(raw)) continue;
      const hash = raw.toLowerCase();
      setField(event, path, hash);
      appendUnique(event, RELATED_HASH, hash);
    } else if (info.geo && typeof converted === 'number') {
      geo ??= new Map();
      geo.set(key, converted);
    }
  }
  if (hasLabel) {
    const labels = labelsOf(extensions);
    if (labels !== undefined) cef.labels = labels;
  }
  if (geo !== undefined) writeGeo(event, geo);
}

/** The value typed for `cef.extensions` (a number, an ISO time), or undefined when it stays a string. */
function convertValue(type: CefValueType, raw: string): number | string | undefined {
  if (type === 'integer') return toInteger(raw);
  if (type === 'float') return toFloat(raw);
  return cefTimeToIso(raw);
}

/** `cs1Label=Rule cs1=Block` → `{ Rule: 'Block' }`; the pairs stay in `extensions` too. */
function labelsOf(extensions: Record<string, unknown>): Record<string, unknown> | undefined {
  let labels: Record<string, unknown> | undefined;
  for (const key of Object.keys(extensions)) {
    if (!key.endsWith('Label')) continue;
    const base = key.slice(0, -5);
    const label = extensions[key];
    if (!Object.hasOwn(extensions, base) || typeof label !== 'string' || !isLabelName(label)) continue;
    labels ??= {};
    labels[label] = extensions[base];
  }
  return labels;
}

/** A label becomes a field name: short, no dots (they would nest), no control characters, not reserved. */
function isLabelName(label: string): boolean {
  if (label.length > MAX_LABEL_LENGTH || FORBIDDEN.has(label)) return false;
  for (let i = 0; i < label.length; i++) {
    const c = label.charCodeAt(i);
    if (c < 0x20 || c === 0x2e || c === 0x7f) return false;
  }
  return true;
}

function writeHeaderEcs(event: Record<string, unknown>, parsed: CefMessage<StepKey>): void {
  if (parsed.deviceVendor !== '') setField(event, HEADER_ECS.vendor, parsed.deviceVendor);
  if (parsed.deviceProduct !== '') setField(event, HEADER_ECS.product, parsed.deviceProduct);
  if (parsed.deviceVersion !== '') setField(event, HEADER_ECS.version, parsed.deviceVersion);
  if (parsed.deviceEventClassId !== '') setField(event, HEADER_ECS.code, parsed.deviceEventClassId);
  if (parsed.name !== '') setField(event, MESSAGE, parsed.name);
  const severity = SEVERITY_WORDS.get(parsed.severity.toLowerCase()) ?? toInteger(parsed.severity);
  if (severity !== undefined) setField(event, HEADER_ECS.severity, severity);
}

function writeGeo(event: Record<string, unknown>, geo: Map<string, number>): void {
  for (const pair of GEO) {
    const lat = geo.get(pair.lat);
    const lon = geo.get(pair.lon);
    if (lat === undefined || lon === undefined || Math.abs(lat) > 90 || Math.abs(lon) > 180) continue;
    setField(event, pair.path, { lat, lon });
  }
}
