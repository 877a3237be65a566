/**
 * What an indicator is: its ECS type, the metadata a feed gives it, and the
 * normal form values are stored and looked up in (domains and hashes lower
 * case, URLs with lower-case scheme and host). `classify` infers the type of
 * a bare value, as plain lists need.
 */
import { parseNetwork } from './ip.ts';

/** ECS `threat.indicator.type` values Vigil matches. */
export type IndicatorType = 'ipv4-addr' | 'ipv6-addr' | 'domain-name' | 'url' | 'file';
export const INDICATOR_TYPES: readonly IndicatorType[] = [
  'ipv4-addr',
  'ipv6-addr',
  'domain-name',
  'url',
  'file',
];

export type HashAlgorithm = 'md5' | 'sha1' | 'sha256';

/** ECS confidence: the None/Low/Medium/High scale of STIX 2.1 appendix A. */
export type Confidence = 'Not Specified' | 'None' | 'Low' | 'Medium' | 'High';

/** What a feed says about an indicator; shared by every indicator with the same metadata. */
export interface IndicatorMeta {
  provider: string;
  first_seen?: string;
  last_seen?: string;
  modified_at?: string;
  description?: string;
  confidence?: Confidence;
}

/** The kinds of value a feed line can hold. */
export type ValueKind = 'ip' | 'domain' | 'url' | 'hash';

/** `example.org.` and `EXAMPLE.org` are `example.org`; undefined when not a host name. */
export function normalizeDomain(text: string): string | undefined {
  let domain = text.toLowerCase();
  if (domain.endsWith('.')) domain = domain.slice(0, -1);
  if (domain.startsWith('*.')) domain = domain.slice(2);
  if (domain.length === 0 || domain.length > 253) return undefined;
  return DOMAIN.test(domain) ? domain : undefined;
}

/** Labels of letters, digits, `-` and `_` (seen in real DNS), at least two labels, not all digits at the end. */
const DOMAIN = /^(?:[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?\.)+[a-z0-9-]{0,62}[a-z-][a-z0-9-]{0,62}$/;

/** Default ports are dropped, scheme and host lower-cased, an empty path is `/`; the rest is kept as written. */
export function normalizeUrl(text: string): string | undefined {
  const match = URL_PARTS.exec(text);
  if (!match) return undefined;
  const scheme = (match[1] as string).toLowerCase();
  let authority = match[2] as string;
  let rest = match[3] as string;
  const at = authority.lastIndexOf('@');
  const userinfo = at === -1 ? '' : authority.slice(0, at + 1);
  let host = (at === -1 ? authority : authority.slice(at + 1)).toLowerCase();
  if (host.length === 0) return undefined;
  const port = /:(\d+)$/.exec(host);
  if (port && DEFAULT_PORTS[scheme] === port[1]) host = host.slice(0, port.index);
  if (host.endsWith('.')) host = host.slice(0, -1);
  authority = userinfo + host;
  if (rest === '' || rest.startsWith('?') || rest.startsWith('#')) rest = `/${rest}`;
  return `${scheme}://${authority}${rest}`;
}

const URL_PARTS = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\/([^/?#\s]*)([^\s]*)$/;
const DEFAULT_PORTS: Record<string, string> = { http: '80', https: '443', ftp: '21', ws: '80', wss: '443' };

/** The algorithm of a hex digest, by its length; undefined when not one. */
export function hashAlgorithm(text: string): HashAlgorithm | undefined {
  const algorithm = HASH_LENGTHS[text.length];
  return algorithm !== undefined && HEX.test(text) ? algorithm : undefined;
}

const HASH_LENGTHS: Record<number, HashAlgorithm> = { 32: 'md5', 40: 'sha1', 64: 'sha256' };
const HEX = /^[0-9a-fA-F]+$/;

/**
 * Undoes the usual defanging of shared indicators: `hxxp://`, `[.]`, `(.)`,
 * `[:]`. Values without them come back unchanged.
 */
export function refang(text: string): string {
  if (!/\[|\(|^hxxp/i.test(text)) return text;
  return text
    .replace(/^hxxp/i, 'http')
    .replace(/\[\.\]|\(\.\)|\[dot\]/gi, '.')
    .replace(/\[:\]/g, ':');
}

/** The kind of a bare value, as a plain list holds it; undefined when it is none Vigil matches. */
export function classify(text: string): ValueKind | undefined {
  if (text.includes('://')) return normalizeUrl(text) === undefined ? undefined : 'url';
  const c = text.charCodeAt(0);
  const digitOrColon = (c >= 48 && c <= 57) || c === 58;
  if ((digitOrColon || text.includes(':')) && parseNetwork(text) !== undefined) return 'ip';
  if (hashAlgorithm(text) !== undefined) return 'hash';
  if (normalizeDomain(text) !== undefined) return 'domain';
  return undefined;
}

/** STIX 2.1 appendix A: 0 None, 1–29 Low, 30–69 Medium, 70–100 High; words are taken as they are. */
export function confidenceOf(value: unknown): Confidence | undefined {
  if (typeof value === 'number' || (typeof value === 'string' && /^\d+(\.\d+)?$/.test(value.trim()))) {
    const n = Number(value);
    if (!(n >= 0 && n <= 100)) return undefined;
    if (n === 0) return 'None';
    return n < 30 ? 'Low' : n < 70 ? 'Medium' : 'High';
  }
  if (typeof value !== 'string') return undefined;
  const word = value.trim().toLowerCase();
  return CONFIDENCE_WORDS[word];
}

const CONFIDENCE_WORDS: Record<string, Confidence> = {
  none: 'None',
  low: 'Low',
  medium: 'Medium',
  high: 'High',
  'not specified': 'Not Specified',
};

/** A time as ISO 8601 UTC, or undefined when it is not one. */
export function isoTime(value: unknown): string | undefined {
  if (typeof value !== 'string' && typeof value !== 'number') return undefined;
  if (typeof value === 'string' && value.trim() === '') return undefined;
  const time = new Date(value);
  return Number.isNaN(time.getTime()) ? undefined : time.toISOString();
}
