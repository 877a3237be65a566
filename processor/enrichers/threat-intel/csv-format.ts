/**
 * CSV indicator files (RFC 4180: `,` separated, `"` quoted, `""` for a quote,
 * quoted fields may span lines). The first record is the header; it must
 * name an `indicator` (or `value`) column. Optional columns: `type`,
 * `provider`, `first_seen`, `last_seen`, `description`, `confidence`; other
 * columns are ignored. Without `type` (or with it empty) the type is
 * inferred as for plain lists. Rows it cannot use are skipped and counted; a
 * file without the indicator column is an error.
 */
import { VigilError } from '../../../core/errors.ts';
import {
  confidenceOf,
  type HashAlgorithm,
  type IndicatorMeta,
  isoTime,
  refang,
  type ValueKind,
} from './indicator.ts';
import type { IndicatorSetBuilder } from './indicator-set.ts';
import { forEachLine } from './lines.ts';
import type { LoadSummary } from './load-summary.ts';

interface TypeSpec {
  kind: ValueKind;
  family?: 4 | 6;
  algorithm?: HashAlgorithm;
}

/** The `type` column's words: ECS/STIX names and the usual short ones. */
const TYPES: Record<string, TypeSpec> = {
  'ipv4-addr': { kind: 'ip', family: 4 },
  ipv4: { kind: 'ip', family: 4 },
  'ipv6-addr': { kind: 'ip', family: 6 },
  ipv6: { kind: 'ip', family: 6 },
  ip: { kind: 'ip' },
  cidr: { kind: 'ip' },
  'domain-name': { kind: 'domain' },
  domain: { kind: 'domain' },
  hostname: { kind: 'domain' },
  fqdn: { kind: 'domain' },
  url: { kind: 'url' },
  uri: { kind: 'url' },
  file: { kind: 'hash' },
  hash: { kind: 'hash' },
  md5: { kind: 'hash', algorithm: 'md5' },
  sha1: { kind: 'hash', algorithm: 'sha1' },
  'sha-1': { kind: 'hash', algorithm: 'sha1' },
  sha256: { kind: 'hash', algorithm: 'sha256' },
  'sha-256': { kind: 'hash', algorithm: 'sha256' },
};

const COLUMNS = ['type', 'provider', 'first_seen', 'last_seen', 'description', 'confidence'] as const;
type Column = (typeof COLUMNS)[number];

/** Splits one record; undefined while a quoted field is still open (it continues on the next line). */
export function splitCsvRecord(text: string): string[] | undefined {
  const fields: string[] = [];
  let field = '';
  let quoted = false;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c !== '"') continue;
      field += text.slice(start, i);
      if (text[i + 1] === '"') {
        field += '"';
        i++;
        start = i + 1;
      } else {
        quoted = false;
        start = i + 1;
      }
    } else if (c === '"') {
      field += text.slice(start, i);
      quoted = true;
      start = i + 1;
    } else if (c === ',') {
      fields.push((field + text.slice(start, i)).trim());
      field = '';
      start = i + 1;
    }
  }
  if (quoted) return undefined;
  fields.push((field + text.slice(start)).trim());
  return fields;
}

export function loadCsv(
  bytes: Buffer,
  builder: IndicatorSetBuilder,
  summary: LoadSummary,
  defaultProvider: string,
  file: string,
): void {
  let header: { value: number; columns: Partial<Record<Column, number>> } | undefined;
  let pending = '';
  let pendingLine = 0;
  forEachLine(bytes, (line, lineNumber) => {
    if (pending === '') {
      if (line.trim() === '' || (header === undefined && line.startsWith('#'))) return;
      pendingLine = lineNumber;
    }
    const text = pending === '' ? line : `${pending}\n${line}`;
    const fields = splitCsvRecord(text);
    if (fields === undefined) {
      pending = text;
      return;
    }
    pending = '';
    if (!header) {
      header = readHeader(fields, file);
      return;
    }
    loadRow(fields, header, builder, summary, defaultProvider, `line ${pendingLine}: ${text}`);
  });
  if (pending !== '') summary.skip('unterminated_quote', `line ${pendingLine}: ${pending}`);
}

function readHeader(
  fields: string[],
  file: string,
): { value: number; columns: Partial<Record<Column, number>> } {
  const names = fields.map((name) => name.toLowerCase());
  let value = names.indexOf('indicator');
  if (value === -1) value = names.indexOf('value');
  if (value === -1) {
    throw new VigilError(
      'CONFIG_INVALID',
      `Indicator file ${file}: the CSV header (${fields.join(',')}) has no "indicator" or "value" column.`,
      { details: { file } },
    );
  }
  const columns: Partial<Record<Column, number>> = {};
  for (const column of COLUMNS) {
    const index = names.indexOf(column);
    if (index !== -1) columns[column] = index;
  }
  return { value, columns };
}

function loadRow(
  fields: string[],
  header: { value: number; columns: Partial<Record<Column, number>> },
  builder: IndicatorSetBuilder,
  summary: LoadSummary,
  defaultProvider: string,
  example: string,
): void {
  const column = (name: Column): string | undefined => {
    const index = header.columns[name];
    const value = index === undefined ? undefined : fields[index];
    return value === '' ? undefined : value;
  };
  const value = refang(fields[header.value] ?? '');
  if (value === '') {
    summary.skip('missing_value', example);
    return;
  }
  const typeName = column('type')?.toLowerCase();
  const spec = typeName === undefined ? undefined : TYPES[typeName];
  if (typeName !== undefined && spec === undefined) {
    summary.skip('unsupported_type', example);
    return;
  }
  const meta: IndicatorMeta = { provider: column('provider') ?? defaultProvider };
  const firstSeen = isoTime(column('first_seen'));
  const lastSeen = isoTime(column('last_seen'));
  const description = column('description');
  const confidence = confidenceOf(column('confidence'));
  if (firstSeen !== undefined) meta.first_seen = firstSeen;
  if (lastSeen !== undefined) meta.last_seen = lastSeen;
  if (description !== undefined) meta.description = description;
  if (confidence !== undefined) meta.confidence = confidence;
  const ref = builder.meta(meta);
  let added: boolean;
  if (spec === undefined) added = builder.add(value, ref) !== undefined;
  else if (spec.kind === 'ip') added = builder.addIp(value, ref, spec.family);
  else if (spec.kind === 'hash') added = builder.addHash(value, ref, spec.algorithm);
  else added = builder.add(value, ref, spec.kind) !== undefined;
  if (!added) {
    summary.skip(spec === undefined ? 'unrecognized_value' : 'value_does_not_match_type', example);
    return;
  }
  summary.loaded++;
}
