/**
 * STIX 2.1 bundles: `{"type": "bundle", "objects": [...]}`. Each `indicator`
 * object with a `pattern` Vigil can use (see stix-pattern.ts) loads one
 * indicator per comparison. Metadata: provider from the `identity` named by
 * `created_by_ref` (else the file's name), `first_seen` from `valid_from`
 * (else `created`), `last_seen` and `modified_at` from `modified` (else
 * `created`), description from `name` and `description`, confidence (0–100)
 * on the None/Low/Medium/High scale. Revoked indicators, indicators past
 * `valid_until`, non-STIX pattern types and patterns it cannot use are
 * skipped and counted. Invalid JSON or a document that is not a bundle is an
 * error.
 */
import { VigilError } from '../../../core/errors.ts';
import { confidenceOf, type HashAlgorithm, type IndicatorMeta, isoTime } from './indicator.ts';
import type { IndicatorSetBuilder } from './indicator-set.ts';
import type { LoadSummary } from './load-summary.ts';
import { parseStixPattern, type StixComparison } from './stix-pattern.ts';

const HASHES: Record<string, HashAlgorithm> = {
  'hashes.md5': 'md5',
  'hashes.sha-1': 'sha1',
  'hashes.sha1': 'sha1',
  'hashes.sha-256': 'sha256',
  'hashes.sha256': 'sha256',
};

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value : undefined;
}

export function loadStixBundle(
  bytes: Buffer,
  builder: IndicatorSetBuilder,
  summary: LoadSummary,
  defaultProvider: string,
  file: string,
  now: number = Date.now(),
): void {
  let document: unknown;
  try {
    document = JSON.parse(bytes.toString('utf8').replace(/^\uFEFF/, ''));
  } catch (error) {
    throw new VigilError(
      'CONFIG_PARSE',
      `Indicator file ${file} is not valid JSON: ${(error as Error).message}`,
      {
        cause: error,
        details: { file },
      },
    );
  }
  if (!isObject(document) || document.type !== 'bundle' || !Array.isArray(document.objects)) {
    throw new VigilError(
      'CONFIG_INVALID',
      `Indicator file ${file} is not a STIX 2.1 bundle: expected {"type": "bundle", "objects": [...]}.`,
      { details: { file } },
    );
  }
  const identities = new Map<string, string>();
  for (const object of document.objects) {
    if (isObject(object) && object.type === 'identity' && typeof object.id === 'string') {
      const name = text(object.name);
      if (name !== undefined) identities.set(object.id, name);
    }
  }
  document.objects.forEach((object, index) => {
    if (!isObject(object) || object.type !== 'indicator') return;
    const label = typeof object.id === 'string' ? object.id : `objects[${index}]`;
    loadIndicator(object, label, builder, summary, identities, defaultProvider, now);
  });
}

function loadIndicator(
  object: Record<string, unknown>,
  label: string,
  builder: IndicatorSetBuilder,
  summary: LoadSummary,
  identities: Map<string, string>,
  defaultProvider: string,
  now: number,
): void {
  const patternType = object.pattern_type ?? 'stix';
  if (patternType !== 'stix') {
    summary.skip('not_a_stix_pattern', `${label}: pattern_type ${String(patternType)}`);
    return;
  }
  if (object.revoked === true) {
    summary.skip('revoked', label);
    return;
  }
  const validUntil = isoTime(object.valid_until);
  if (validUntil !== undefined && Date.parse(validUntil) <= now) {
    summary.skip('expired', `${label}: valid_until ${validUntil}`);
    return;
  }
  if (typeof object.pattern !== 'string') {
    summary.skip('no_pattern', label);
    return;
  }
  const parsed = parseStixPattern(object.pattern);
  if ('unsupported' in parsed) {
    summary.skip('unsupported_pattern', `${label}: ${parsed.unsupported}: ${object.pattern}`);
    return;
  }
  const ref = builder.meta(metaOf(object, identities, defaultProvider));
  for (const comparison of parsed.comparisons) {
    const outcome = addComparison(builder, comparison, ref);
    if (outcome === 'ok') summary.loaded++;
    else
      summary.skip(
        outcome,
        `${label}: ${comparison.objectType}:${comparison.property} = '${comparison.value}'`,
      );
  }
}

function addComparison(
  builder: IndicatorSetBuilder,
  { objectType, property, value }: StixComparison,
  ref: number,
): 'ok' | 'unsupported_object_path' | 'invalid_value' {
  let added: boolean;
  if (objectType === 'file' && HASHES[property] !== undefined) {
    added = builder.addHash(value, ref, HASHES[property]);
  } else if (property !== 'value') {
    return 'unsupported_object_path';
  } else if (objectType === 'ipv4-addr') added = builder.addIp(value, ref, 4);
  else if (objectType === 'ipv6-addr') added = builder.addIp(value, ref, 6);
  else if (objectType === 'domain-name') added = builder.addDomain(value, ref);
  else if (objectType === 'url') added = builder.addUrl(value, ref);
  else return 'unsupported_object_path';
  return added ? 'ok' : 'invalid_value';
}

function metaOf(
  object: Record<string, unknown>,
  identities: Map<string, string>,
  defaultProvider: string,
): IndicatorMeta {
  const creator =
    typeof object.created_by_ref === 'string' ? identities.get(object.created_by_ref) : undefined;
  const meta: IndicatorMeta = { provider: creator ?? defaultProvider };
  const created = isoTime(object.created);
  const modified = isoTime(object.modified);
  const firstSeen = isoTime(object.valid_from) ?? created;
  const lastSeen = modified ?? created;
  if (firstSeen !== undefined) meta.first_seen = firstSeen;
  if (lastSeen !== undefined) meta.last_seen = lastSeen;
  if (modified !== undefined) meta.modified_at = modified;
  const name = text(object.name);
  const description = text(object.description);
  const both = name !== undefined && description !== undefined && name !== description;
  const said = both ? `${name}: ${description}` : (description ?? name);
  if (said !== undefined) meta.description = said;
  const confidence = confidenceOf(object.confidence);
  if (confidence !== undefined) meta.confidence = confidence;
  return meta;
}
