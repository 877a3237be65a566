/**
 * Loads vigil.yaml: YAML parsing, `${VAR}` expansion, schema validation and
 * secret-file checks. Every problem found is reported at once, each naming the
 * file, the line and column, the key path and what was expected.
 */
import { accessSync, constants, readFileSync } from 'node:fs';
import { isMap, isScalar, LineCounter, type Node, parseDocument } from 'yaml';
import type { z } from 'zod';
import { VigilError } from '../errors.ts';
import { configSchema, type VigilConfig } from './schema.ts';

export type KeyPath = ReadonlyArray<string | number>;

export interface ConfigProblem {
  /** Key path such as `collector.files[0].paths`; empty for the whole document. */
  path: string;
  message: string;
  line?: number;
  column?: number;
}

export interface LoadConfigOptions {
  /** Environment used for `${VAR}` expansion; defaults to process.env. */
  env?: Record<string, string | undefined>;
}

/** Formats a key path as users write it: `collector.files[0].paths`. */
export function formatKeyPath(path: KeyPath): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? part : `.${part}`;
  }
  return out;
}

export function loadConfigFile(file: string, options: LoadConfigOptions = {}): VigilConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : 'cannot be read';
    throw new VigilError('CONFIG_NOT_FOUND', `Configuration file ${file} ${reason}.`, {
      cause: error,
      details: { file },
    });
  }
  return parseConfig(text, file, options);
}

/** Parses configuration text; `source` names it in messages (a file name). */
export function parseConfig(text: string, source: string, options: LoadConfigOptions = {}): VigilConfig {
  const env = options.env ?? process.env;
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const problems = doc.errors.map((error) => {
      const pos = lineCounter.linePos(error.pos[0]);
      return {
        path: '',
        message: error.message.split('\n')[0] ?? error.message,
        line: pos.line,
        column: pos.col,
      };
    });
    throw configError('CONFIG_PARSE', source, problems, 'is not valid YAML');
  }

  const locate = (path: KeyPath, key?: string): Pick<ConfigProblem, 'line' | 'column'> => {
    const offset = findOffset(doc.contents, path, key);
    if (offset === undefined) return {};
    const pos = lineCounter.linePos(offset);
    return { line: pos.line, column: pos.col };
  };

  const raw: unknown = doc.toJS() ?? {};
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw configError('CONFIG_INVALID', source, [
      { path: '', message: 'expected a mapping of sections at the top level' },
    ]);
  }

  // Three stages, each finding every problem it can. A key path reported by an
  // earlier stage is not reported again (an unset variable leaves an empty
  // value that would also fail validation).
  const problems: ConfigProblem[] = [];
  const reported = new Set<string>();
  const reportTo =
    (found: ConfigProblem[]) =>
    (path: KeyPath, message: string): void => {
      found.push({ path: formatKeyPath(path), message, ...locate(path) });
    };

  // A section whose keys are all commented out (`kafka:` alone) reads as null: treat it as empty.
  for (const [section, value] of Object.entries(raw as Record<string, unknown>)) {
    if (value === null) (raw as Record<string, unknown>)[section] = {};
  }

  const envProblems: ConfigProblem[] = [];
  const expanded = expandEnv(raw, [], env, reportTo(envProblems)) as Record<string, unknown>;
  addProblems(problems, reported, envProblems);

  const result = configSchema.safeParse(expanded, { reportInput: true });
  if (!result.success) {
    addProblems(
      problems,
      reported,
      result.error.issues.flatMap((issue) => describeIssue(issue, locate)),
    );
  }

  // Runs on the input even when validation failed, so that one run reports everything.
  const semanticProblems: ConfigProblem[] = [];
  checkSemantics(expanded, reportTo(semanticProblems));
  addProblems(problems, reported, semanticProblems);

  if (problems.length > 0) throw configError('CONFIG_INVALID', source, problems);
  return result.data as VigilConfig;
}

/** The configuration every key of which has its default; used by the demo and tests. */
export function defaultConfig(): VigilConfig {
  return configSchema.parse({});
}

/** Adds the problems of one stage, leaving out key paths an earlier stage already reported. */
function addProblems(problems: ConfigProblem[], reported: Set<string>, found: ConfigProblem[]): void {
  const fresh = found.filter((p) => p.path === '' || !reported.has(p.path));
  for (const p of fresh) reported.add(p.path);
  problems.push(...fresh);
}

function configError(
  code: 'CONFIG_PARSE' | 'CONFIG_INVALID',
  source: string,
  problems: ConfigProblem[],
  summary?: string,
): VigilError {
  problems.sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0));
  const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
  const lines = problems.map((p) => {
    const where = p.line === undefined ? source : `${source}:${p.line}:${p.column}`;
    return `  ${where}: ${p.path === '' ? '' : `${p.path}: `}${p.message}`;
  });
  const head = summary
    ? `Configuration file ${source} ${summary}:`
    : `Configuration file ${source} has ${count}:`;
  return new VigilError(code, [head, ...lines].join('\n'), { details: { file: source, problems } });
}

const VAR = /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/**
 * Expands `${VAR}` and `${VAR:-default}` in every string; `$$` stands for a
 * literal `$`. Where the option expects a number or true/false, an expanded
 * value that reads as one is converted (`partitions: ${PARTITIONS:-6}`).
 */
function expandEnv(
  value: unknown,
  path: Array<string | number>,
  env: Record<string, string | undefined>,
  report: (path: KeyPath, message: string) => void,
): unknown {
  if (typeof value === 'string') {
    let substituted = false;
    const text = value.replace(VAR, (match, name: string | undefined, fallback: string | undefined) => {
      if (match === '$$') return '$';
      substituted = true;
      const found = env[name as string];
      if (found !== undefined && found !== '') return found;
      if (fallback !== undefined) return fallback;
      const state = found === undefined ? 'is not set' : 'is empty';
      report(path, `environment variable ${name} ${state} (write \${${name}:-default} to give a default)`);
      return '';
    });
    return substituted ? convertExpanded(text, path) : text;
  }
  if (Array.isArray(value)) return value.map((item, i) => expandEnv(item, [...path, i], env, report));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = expandEnv(v, [...path, k], env, report);
    return out;
  }
  return value;
}

const NUMBER = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;

/** Converts an expanded string to the number or boolean the option at `path` expects, if it reads as one. */
function convertExpanded(text: string, path: KeyPath): unknown {
  const expected = schemaAt(path)?.def?.type;
  if (expected === 'number' && NUMBER.test(text.trim())) return Number(text);
  if (expected === 'boolean' && (text === 'true' || text === 'false')) return text === 'true';
  return text;
}

function describeIssue(
  issue: z.core.$ZodIssue,
  locate: (path: KeyPath, key?: string) => Pick<ConfigProblem, 'line' | 'column'>,
): ConfigProblem[] {
  const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => ({
      path: formatKeyPath([...path, key]),
      message: `unknown key${suggest(key, issue)}`,
      ...locate(path, key),
    }));
  }
  const input = (issue as { input?: unknown }).input;
  let message: string;
  if (issue.code === 'invalid_type' && input === undefined) {
    message = `required value is missing (expected ${issue.expected})`;
  } else if (issue.code === 'invalid_type') {
    message = `expected ${issue.expected}, got ${describeValue(input)}`;
  } else if (issue.code === 'invalid_value') {
    message = `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}, got ${describeValue(input)}`;
  } else {
    message = `${issue.message.replace(/^Invalid input: /, '')}${input === undefined ? '' : `, got ${describeValue(input)}`}`;
  }
  return [{ path: formatKeyPath(path), message, ...locate(path) }];
}

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  const text = JSON.stringify(value);
  return `${text.length > 60 ? `${text.slice(0, 57)}...` : text} (${typeof value})`;
}

/** Suggests the closest known key, if any is close enough to be a typo. */
function suggest(key: string, issue: z.core.$ZodIssue): string {
  const known = knownKeys(issue.path.filter((p): p is string | number => typeof p !== 'symbol'));
  let best: string | undefined;
  let bestDistance = 3;
  for (const candidate of known) {
    const d = editDistance(key, candidate);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best === undefined ? '' : ` (did you mean "${best}"?)`;
}

function knownKeys(path: KeyPath): string[] {
  const schema = schemaAt(path);
  return schema?.shape ? Object.keys(schema.shape) : [];
}

/** The schema of the option at `path`, without its default/optional wrappers; undefined if none. */
// biome-ignore lint/suspicious/noExplicitAny: walking zod internals generically
function schemaAt(path: KeyPath): any {
  // biome-ignore lint/suspicious/noExplicitAny: walking zod internals generically
  let schema: any = configSchema;
  for (const part of path) {
    schema = unwrap(schema);
    if (typeof part === 'number') schema = schema?.element;
    else schema = schema?.shape?.[part];
  }
  return unwrap(schema);
}

// biome-ignore lint/suspicious/noExplicitAny: walking zod internals generically
function unwrap(schema: any): any {
  let s = schema;
  while (s && typeof s.unwrap === 'function' && !s.shape && !s.element) s = s.unwrap();
  while (s?.def?.innerType) s = s.def.innerType;
  return s;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0] as number;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j] as number;
      row[j] = Math.min(
        (row[j] as number) + 1,
        (row[j - 1] as number) + 1,
        prev + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
      prev = current;
    }
  }
  return row[b.length] as number;
}

/** Offset in the YAML text of the node at `path` (or of `key` in it); undefined when not found. */
export function findOffset(root: unknown, path: KeyPath, key?: string): number | undefined {
  let node = root as Node | null | undefined;
  let best: number | undefined = node?.range?.[0];
  const walk = key === undefined ? path : [...path, key];
  for (let i = 0; i < walk.length; i++) {
    const part = walk[i];
    if (!node) break;
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && p.key.value === part);
      if (!pair) break;
      const keyNode = pair.key as Node;
      // For the last step of an unknown key, point at the key itself.
      if (i === walk.length - 1 && key !== undefined) return keyNode.range?.[0] ?? best;
      best = (pair.value as Node | null)?.range?.[0] ?? keyNode.range?.[0] ?? best;
      node = pair.value as Node | null;
    } else if (
      'items' in node &&
      Array.isArray((node as { items: unknown[] }).items) &&
      typeof part === 'number'
    ) {
      node = (node as { items: Node[] }).items[part];
      best = node?.range?.[0] ?? best;
    } else {
      break;
    }
  }
  return best;
}

const SECRET_FILE_KEY = /(^|_)(password|secret|token|api_key)_file$/;
const PATH_FILE_KEY = /_file$/;

/**
 * Checks that need the whole document, and that files named by `*_file` keys
 * are readable. Runs on the unvalidated input, so it assumes no shapes.
 */
function checkSemantics(
  config: Record<string, unknown>,
  report: (path: KeyPath, message: string) => void,
): void {
  const collector = config.collector;
  const syslog = isRecord(collector) ? collector.syslog : undefined;
  if (Array.isArray(syslog)) {
    syslog.forEach((listener: unknown, i) => {
      if (isRecord(listener) && listener.protocol === 'tls' && listener.tls === undefined) {
        report(['collector', 'syslog', i, 'tls'], 'required when protocol is "tls" (cert_file and key_file)');
      }
    });
  }
  walkFileKeys(config, [], (path, key, file) => {
    try {
      accessSync(file, constants.R_OK);
    } catch {
      const what = SECRET_FILE_KEY.test(key) ? 'secret file' : 'file';
      report([...path, key], `${what} ${file} cannot be read`);
    }
  });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function walkFileKeys(
  value: unknown,
  path: Array<string | number>,
  visit: (path: KeyPath, key: string, file: string) => void,
): void {
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) walkFileKeys(item, [...path, i], visit);
    return;
  }
  if (value === null || typeof value !== 'object') return;
  for (const [k, v] of Object.entries(value)) {
    if (PATH_FILE_KEY.test(k) && typeof v === 'string') visit(path, k, v);
    else walkFileKeys(v, [...path, k], visit);
  }
}

/** True for keys whose file holds a secret (password_file, secret_file, token_file, api_key_file). */
export function isSecretFileKey(key: string): boolean {
  return SECRET_FILE_KEY.test(key);
}
