/**
 * Reads asset inventory files (CSV, JSON or YAML, by extension) into one
 * Inventory. Every problem of every file is collected and reported at once,
 * each with the file, the line (and column for JSON and YAML) and the field:
 *
 *   assets.csv:14 ip: "10.1.2.300" is not an IP address
 *   assets.yaml:22:7 assets[3].cidr[1]: "10.1.2.3/24" has address bits set after its prefix length
 *
 * The file formats are described in README.md beside this file.
 */
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { type Document, LineCounter, parseDocument } from 'yaml';
import { z } from 'zod';
import { findOffset, formatKeyPath, type KeyPath } from '../../../core/config/loader.ts';
import { VigilError } from '../../../core/errors.ts';
import { readCsv } from './csv-reader.ts';
import { AMBIGUOUS, type Asset, Inventory } from './inventory.ts';
import { parseIp, parsePrefix } from './ip-address.ts';
import { PrefixTable } from './prefix-table.ts';

/** The columns of a CSV inventory and the keys of a JSON or YAML entry. */
export const ASSET_FIELDS = [
  'id',
  'name',
  'owner',
  'criticality',
  'environment',
  'business_unit',
  'tags',
  'ip',
  'cidr',
  'hostname',
] as const;

const text = z
  .string({ error: (issue) => (issue.input === undefined ? 'is required' : 'expected a text') })
  .min(1, 'expected a non-empty text');
const list = z.array(z.string()).optional();

/**
 * One entry, after `normalizeEntry`: texts trimmed, empty values and nulls
 * left out, numbers as their digits (`id: 1234` in YAML), and a single text
 * where a list is expected as a list of one.
 */
const entrySchema = z.strictObject({
  id: text,
  name: text.optional(),
  owner: text.optional(),
  criticality: text.optional(),
  environment: text.optional(),
  business_unit: text.optional(),
  tags: list,
  ip: list,
  cidr: list,
  hostname: list,
});

type Entry = z.output<typeof entrySchema>;

const documentSchema = z.strictObject({ assets: z.array(z.unknown()) });

export interface InventoryProblem {
  file: string;
  line?: number;
  column?: number;
  /** The CSV column, or the key path in a JSON or YAML file (`assets[3].ip[1]`). */
  field: string;
  message: string;
}

export interface InventorySource {
  file: string;
  text: string;
}

export interface InventoryOptions {
  /** Match short host names against full ones and back (see Inventory); default true. */
  shortNames?: boolean;
}

/** Entries read from one file, with a way to say where entry `index`'s field `path` is. */
interface FileEntries {
  file: string;
  entries: unknown[];
  /** The entries are already normalized (CSV rows are built that way). */
  normalized: boolean;
  /** With `key`, points at that key of the entry (an unknown field) rather than at a value. */
  locate(index: number, path: KeyPath, key?: string): Omit<InventoryProblem, 'message'>;
}

/** Reads the files; an unreadable one is a problem like any other. */
export function loadInventory(files: readonly string[], options: InventoryOptions = {}): Inventory {
  const sources: InventorySource[] = [];
  const problems: InventoryProblem[] = [];
  for (const file of files) {
    try {
      sources.push({ file, text: readFileSync(file, 'utf8') });
    } catch (error) {
      problems.push({ file, field: '', message: `cannot be read (${(error as Error).message})` });
    }
  }
  return buildInventory(sources, options, problems);
}

/** Builds an Inventory from file contents, or throws CONFIG_INVALID listing every problem. */
export function buildInventory(
  sources: readonly InventorySource[],
  options: InventoryOptions = {},
  problems: InventoryProblem[] = [],
): Inventory {
  const files: FileEntries[] = [];
  for (const source of sources) {
    const read = readEntries(source, problems);
    if (read !== undefined) files.push(read);
  }

  let expected = 0;
  for (const file of files) expected += file.entries.length;
  const v4 = new PrefixTable(1, expected);
  const v6 = new PrefixTable(4, 16);
  const assets: Asset[] = [];
  // Where each asset came from, to say where an earlier duplicate is.
  const originFile: FileEntries[] = [];
  const originIndex: number[] = [];
  const names = new Map<string, number>();
  const labels = new Map<string, number>();
  const words = new Int32Array(4);
  const whereAsset = (assetIndex: number): string => {
    const at = (originFile[assetIndex] as FileEntries).locate(originIndex[assetIndex] as number, []);
    return at.line === undefined ? `${at.file} ${at.field}` : `${at.file}:${at.line}`;
  };
  const report = (file: FileEntries, index: number, path: KeyPath, message: string): void => {
    problems.push({ ...file.locate(index, path), message });
  };

  // One pass: the shape (zod), then addresses and names straight into the
  // tables. Entries after a problem are still checked so every problem is
  // found; the tables are thrown away when there is any.
  for (const file of files) {
    for (let index = 0; index < file.entries.length; index++) {
      const raw = file.entries[index];
      const result = entrySchema.safeParse(file.normalized ? raw : normalizeEntry(raw));
      if (!result.success) {
        for (const issue of result.error.issues) {
          const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
          if (issue.code === 'unrecognized_keys') {
            for (const key of issue.keys) {
              problems.push({
                ...file.locate(index, path, key),
                message: `unknown field "${key}"; fields are: ${ASSET_FIELDS.join(', ')}`,
              });
            }
          } else {
            report(file, index, path, issue.message);
          }
        }
        continue;
      }
      const entry = result.data;
      const { ip, cidr, hostname } = entry;
      if ((ip?.length ?? 0) + (cidr?.length ?? 0) + (hostname?.length ?? 0) === 0) {
        report(file, index, [], 'an entry needs at least one ip, cidr or hostname');
        continue;
      }
      const assetIndex = assets.length;
      assets.push(toAsset(entry));
      originFile.push(file);
      originIndex.push(index);
      for (const key of ADDRESS_KEYS) {
        const values = key === 'ip' ? ip : cidr;
        if (values === undefined) continue;
        for (let i = 0; i < values.length; i++) {
          const value = values[i] as string;
          const parsed = parsePrefix(value, key === 'ip', words);
          if (typeof parsed === 'string') {
            report(file, index, [key, i], parsed);
            continue;
          }
          if (key === 'ip' && value.includes('/')) {
            report(file, index, [key, i], `"${value}" is a network: list it under cidr`);
            continue;
          }
          const table = parsed.family === 4 ? v4 : v6;
          const previous = table.set(words, parsed.length, assetIndex);
          if (previous >= 0 && previous !== assetIndex) {
            table.set(words, parsed.length, previous);
            const other = `asset "${assets[previous]?.id}" at ${whereAsset(previous)}`;
            report(file, index, [key, i], `"${value}" is already listed for ${other}`);
          }
        }
      }
      if (hostname === undefined) continue;
      for (let i = 0; i < hostname.length; i++) {
        const name = normalizeHostname(hostname[i] as string);
        if (name.problem !== undefined) {
          report(file, index, ['hostname', i], name.problem);
          continue;
        }
        const previous = names.get(name.name);
        if (previous !== undefined && previous !== assetIndex) {
          const other = `asset "${assets[previous]?.id}" at ${whereAsset(previous)}`;
          report(file, index, ['hostname', i], `"${name.name}" is already listed for ${other}`);
          continue;
        }
        names.set(name.name, assetIndex);
        const dot = name.name.indexOf('.');
        if (dot > 0) {
          const label = name.name.slice(0, dot);
          const other = labels.get(label);
          labels.set(label, other === undefined || other === assetIndex ? assetIndex : AMBIGUOUS);
        }
      }
    }
  }

  if (problems.length > 0) throw inventoryError(problems);
  return new Inventory({ assets, v4, v6, names, labels, shortNames: options.shortNames ?? true });
}

const ADDRESS_KEYS = ['ip', 'cidr'] as const;

/** A JSON or YAML value as a text: trimmed, numbers as digits; undefined for null and empty text. */
function normalizeText(value: unknown): unknown {
  if (typeof value === 'string') {
    const trimmed = value.trim();
    return trimmed === '' ? undefined : trimmed;
  }
  if (typeof value === 'number') return String(value);
  return value === null ? undefined : value;
}

/** See entrySchema. Anything that is not a mapping is left to zod to report. */
function normalizeEntry(raw: unknown): unknown {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return raw;
  const entry: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw)) {
    let normalized: unknown;
    if (LIST_FIELDS.has(key)) {
      const items = Array.isArray(value) ? value.map(normalizeText) : [normalizeText(value)];
      const kept = items.filter((item) => item !== undefined);
      normalized = kept.length === 0 ? undefined : kept;
    } else {
      normalized = normalizeText(value);
    }
    if (normalized !== undefined) entry[key] = normalized;
  }
  return entry;
}

function toAsset(entry: Entry): Asset {
  const asset: Asset = { id: entry.id };
  if (entry.name !== undefined) asset.name = entry.name;
  if (entry.owner !== undefined) asset.owner = entry.owner;
  if (entry.criticality !== undefined) asset.criticality = entry.criticality;
  if (entry.environment !== undefined) asset.environment = entry.environment;
  if (entry.business_unit !== undefined) asset.business_unit = entry.business_unit;
  const tags = entry.tags?.filter((tag) => tag.length > 0);
  if (tags !== undefined && tags.length > 0) asset.tags = tags;
  return asset;
}

const HOSTNAME = /^(?=.{1,253}$)[a-z0-9_](?:[a-z0-9_-]{0,62})(?:\.[a-z0-9_](?:[a-z0-9_-]{0,62}))*$/;
const scratch = new Int32Array(4);

/** Lowercase, without a trailing dot; a problem for text that is not a host name. */
function normalizeHostname(
  value: string,
): { name: string; problem?: undefined } | { name?: undefined; problem: string } {
  let name = value.toLowerCase();
  if (name.endsWith('.')) name = name.slice(0, -1);
  if (parseIp(name, scratch) !== 0) return { problem: `"${value}" is an IP address: list it under ip` };
  if (!HOSTNAME.test(name)) {
    return {
      problem: `"${value}" is not a host name (letters, digits, "-" and "_" in dot-separated labels)`,
    };
  }
  return { name };
}

/** Reads one file's entries by its extension; undefined (with problems) when the file cannot be used at all. */
function readEntries(source: InventorySource, problems: InventoryProblem[]): FileEntries | undefined {
  const extension = extname(source.file).toLowerCase();
  if (extension === '.csv') return readCsvEntries(source, problems);
  if (extension === '.json') return readJsonEntries(source, problems);
  if (extension === '.yaml' || extension === '.yml') return readYamlEntries(source, problems);
  problems.push({
    file: source.file,
    field: '',
    message: `has the unknown extension "${extension}"; inventories are .csv, .json, .yaml or .yml files`,
  });
  return undefined;
}

function readCsvEntries(source: InventorySource, problems: InventoryProblem[]): FileEntries | undefined {
  const { file } = source;
  const { records, problems: csvProblems } = readCsv(source.text);
  for (const p of csvProblems) problems.push({ file, line: p.line, field: '', message: p.message });
  const header = records[0];
  if (header === undefined) {
    problems.push({ file, field: '', message: 'is empty: the first line names the columns' });
    return undefined;
  }
  const columns = header.fields.map((name) => name.trim().toLowerCase());
  let usable = true;
  const seen = new Set<string>();
  for (const column of columns) {
    if (!(ASSET_FIELDS as readonly string[]).includes(column)) {
      problems.push({
        file,
        line: header.line,
        field: column,
        message: `unknown column "${column}"; columns are: ${ASSET_FIELDS.join(', ')}`,
      });
      usable = false;
    } else if (seen.has(column)) {
      problems.push({ file, line: header.line, field: column, message: `column "${column}" appears twice` });
      usable = false;
    }
    seen.add(column);
  }
  if (!usable) return undefined;
  const rows = records.slice(1);
  const entries: unknown[] = [];
  for (const row of rows) {
    const entry: Record<string, unknown> = {};
    const count = Math.min(row.fields.length, columns.length);
    for (let c = 0; c < count; c++) {
      const value = (row.fields[c] as string).trim();
      if (value.length === 0) continue;
      const column = columns[c] as string;
      if (!LIST_FIELDS.has(column)) {
        entry[column] = value;
        continue;
      }
      const items = value.indexOf(';') < 0 ? [value] : value.split(';').map((v) => v.trim());
      const kept = items.filter((v) => v !== '');
      if (kept.length > 0) entry[column] = kept;
    }
    if (row.fields.length > columns.length) {
      problems.push({
        file,
        line: row.line,
        field: '',
        message: `has ${row.fields.length} values but the header names ${columns.length} columns`,
      });
    }
    entries.push(entry);
  }
  return {
    file,
    entries,
    normalized: true,
    locate: (index, path, key) => ({
      file,
      line: rows[index]?.line,
      field: key ?? (typeof path[0] === 'string' ? path[0] : ''),
    }),
  };
}

const LIST_FIELDS = new Set(['tags', 'ip', 'cidr', 'hostname']);

function readJsonEntries(source: InventorySource, problems: InventoryProblem[]): FileEntries | undefined {
  const { file } = source;
  let data: unknown;
  try {
    data = JSON.parse(source.text);
  } catch (error) {
    const message = (error as Error).message;
    const at = /line (\d+) column (\d+)/.exec(message);
    problems.push({
      file,
      ...(at ? { line: Number(at[1]), column: Number(at[2]) } : {}),
      field: '',
      message: `is not valid JSON (${message.replace(/ in JSON at position.*$/, '')})`,
    });
    return undefined;
  }
  // JSON is YAML: positions come from parsing the text again as YAML, only when a problem needs one.
  let doc: { doc: Document.Parsed; lines: LineCounter } | undefined;
  const position = (path: KeyPath, key?: string) => {
    if (doc === undefined) {
      const lines = new LineCounter();
      doc = { doc: parseDocument(source.text, { lineCounter: lines, prettyErrors: false }), lines };
    }
    return positionIn(doc.doc, doc.lines, path, key);
  };
  return documentEntries(file, data, position, problems);
}

function readYamlEntries(source: InventorySource, problems: InventoryProblem[]): FileEntries | undefined {
  const { file } = source;
  const lines = new LineCounter();
  const doc = parseDocument(source.text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    for (const error of doc.errors) {
      const pos = lines.linePos(error.pos[0]);
      problems.push({
        file,
        line: pos.line,
        column: pos.col,
        field: '',
        message: `is not valid YAML (${error.message.split('\n')[0]})`,
      });
    }
    return undefined;
  }
  return documentEntries(
    file,
    doc.toJS({ maxAliasCount: 100 }),
    (path, key) => positionIn(doc, lines, path, key),
    problems,
  );
}

function positionIn(
  doc: Document.Parsed,
  lines: LineCounter,
  path: KeyPath,
  key?: string,
): { line?: number; column?: number } {
  const offset = findOffset(doc.contents, path, key);
  if (offset === undefined) return {};
  const pos = lines.linePos(offset);
  return { line: pos.line, column: pos.col };
}

function documentEntries(
  file: string,
  data: unknown,
  position: (path: KeyPath, key?: string) => { line?: number; column?: number },
  problems: InventoryProblem[],
): FileEntries | undefined {
  const parsed = documentSchema.safeParse(data ?? {});
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
      if (issue.code === 'unrecognized_keys') path.push(issue.keys[0] as string);
      const message =
        issue.code === 'unrecognized_keys'
          ? `unknown key "${issue.keys.join('", "')}": the file holds one key, assets, a list of entries`
          : path.length === 0 || (path.length === 1 && path[0] === 'assets')
            ? `expected a mapping with the key assets, a list of entries (${issue.message})`
            : issue.message;
      problems.push({ file, ...position(path), field: formatKeyPath(path), message });
    }
    return undefined;
  }
  return {
    file,
    entries: parsed.data.assets,
    normalized: false,
    locate: (index, path, key) => {
      const full: KeyPath = ['assets', index, ...path];
      return {
        file,
        ...position(full, key),
        field: formatKeyPath(key === undefined ? full : [...full, key]),
      };
    },
  };
}

const SHOWN_PROBLEMS = 50;

function formatProblem(problem: InventoryProblem): string {
  const where =
    problem.line === undefined
      ? problem.file
      : `${problem.file}:${problem.line}${problem.column === undefined ? '' : `:${problem.column}`}`;
  return `  ${where}${problem.field ? ` ${problem.field}` : ''}: ${problem.message}`;
}

function inventoryError(problems: InventoryProblem[]): VigilError {
  const shown = problems.slice(0, SHOWN_PROBLEMS).map(formatProblem);
  if (problems.length > SHOWN_PROBLEMS) shown.push(`  … and ${problems.length - SHOWN_PROBLEMS} more`);
  return new VigilError(
    'CONFIG_INVALID',
    `Asset inventory has ${problems.length} problem${problems.length === 1 ? '' : 's'}:\n${shown.join('\n')}`,
    { details: { problems } },
  );
}
