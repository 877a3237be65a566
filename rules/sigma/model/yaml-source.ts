/**
 * Reads a rule file into located YAML values: every map entry, list item and
 * scalar keeps its line and column, so each later problem can point at it.
 *
 * Rule files come from users and from the internet, so reading is defensive:
 * - a file larger than `maxFileBytes` is not read at all;
 * - YAML tags other than the core schema's (`!!js/function`, `!custom`) are
 *   refused, so a tag can never turn into code or an object;
 * - aliases are followed, but the located tree may hold at most `maxNodes`
 *   values, so an alias bomb (each level doubling the last) stops early;
 * - maps become ordered entry lists, never objects, and a `__proto__`,
 *   `constructor` or `prototype` key is refused: nothing a rule says can
 *   reach an object's prototype.
 */
import {
  type Alias,
  isAlias,
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  parseAllDocuments,
  type Document as YamlDocument,
} from 'yaml';

export interface Position {
  line: number;
  column: number;
}

export type LValue = LMap | LSeq | LScalar;

export interface LMap {
  kind: 'map';
  entries: LEntry[];
  at: Position;
}

export interface LEntry {
  key: string;
  keyAt: Position;
  value: LValue;
}

export interface LSeq {
  kind: 'seq';
  items: LValue[];
  at: Position;
}

export interface LScalar {
  kind: 'scalar';
  value: string | number | boolean | null;
  at: Position;
}

export interface SourceDocument {
  /** 0-based index of the document in the file. */
  index: number;
  root: LValue;
}

export interface SourceProblem {
  message: string;
  at?: Position;
}

export interface ReadYamlOptions {
  /** Refuse files larger than this (default 4 MiB). */
  maxFileBytes?: number;
  /** Most values one file may expand to, aliases included (default 200,000). */
  maxNodes?: number;
}

export const DEFAULT_MAX_FILE_BYTES = 4 * 1024 * 1024;
export const DEFAULT_MAX_NODES = 200_000;

const RESERVED_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
const CORE_TAGS = new Set([
  'tag:yaml.org,2002:str',
  'tag:yaml.org,2002:int',
  'tag:yaml.org,2002:float',
  'tag:yaml.org,2002:bool',
  'tag:yaml.org,2002:null',
  'tag:yaml.org,2002:map',
  'tag:yaml.org,2002:seq',
]);

class TooLarge extends Error {}

/** Parses YAML text (one or more documents) into located values, collecting every problem. */
export function readYaml(
  text: string,
  options: ReadYamlOptions = {},
): { documents: SourceDocument[]; problems: SourceProblem[] } {
  const problems: SourceProblem[] = [];
  const documents: SourceDocument[] = [];
  const maxBytes = options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
  if (Buffer.byteLength(text, 'utf8') > maxBytes) {
    problems.push({ message: tooLargeMessage(Buffer.byteLength(text, 'utf8'), maxBytes) });
    return { documents, problems };
  }
  const lineCounter = new LineCounter();
  const parsed = parseAllDocuments(text, {
    lineCounter,
    prettyErrors: false,
    uniqueKeys: true,
    version: '1.2',
    merge: false,
  });
  const docs: YamlDocument.Parsed[] = Array.isArray(parsed) ? parsed : [];
  const position = (offset: number | undefined): Position => {
    const pos = lineCounter.linePos(offset ?? 0);
    return { line: pos.line, column: pos.col };
  };
  let budget = options.maxNodes ?? DEFAULT_MAX_NODES;
  docs.forEach((doc, index) => {
    if (doc.errors.length > 0) {
      for (const error of doc.errors) {
        problems.push({ message: error.message.split('\n')[0] ?? error.message, at: position(error.pos[0]) });
      }
      return;
    }
    if (doc.contents === null) return; // an empty document (e.g. a trailing ---)
    const anchors = new Map<string, Node>();
    const convert = (node: unknown, depth: number): LValue | undefined => {
      if (--budget < 0) throw new TooLarge();
      if (depth > 64) {
        problems.push({ message: 'the YAML nests deeper than 64 levels', at: position(rangeStart(node)) });
        return undefined;
      }
      if (isAlias(node)) {
        const target = anchors.get((node as Alias).source);
        if (target === undefined) {
          problems.push({
            message: `alias *${(node as Alias).source} has no anchor`,
            at: position(rangeStart(node)),
          });
          return undefined;
        }
        return convert(target, depth + 1);
      }
      const tagged = node as Node & { tag?: string; anchor?: string };
      if (tagged.anchor) anchors.set(tagged.anchor, tagged);
      if (tagged.tag !== undefined && !CORE_TAGS.has(tagged.tag)) {
        problems.push({
          message: `the YAML tag ${tagged.tag.replace('tag:yaml.org,2002:', '!!')} is not allowed in rule files (only plain strings, numbers, booleans, null, maps and lists)`,
          at: position(rangeStart(node)),
        });
        return undefined;
      }
      const at = position(rangeStart(node));
      if (isMap(node)) {
        const entries: LEntry[] = [];
        for (const pair of node.items) {
          const keyNode = pair.key as Node | null;
          const keyAt = position(rangeStart(keyNode) ?? rangeStart(node));
          if (!isScalar(keyNode) || (keyNode.value !== null && typeof keyNode.value === 'object')) {
            problems.push({ message: 'a map key must be a plain value', at: keyAt });
            continue;
          }
          const key = keyNode.value === null ? '' : String(keyNode.value);
          if (
            RESERVED_KEYS.has(key) ||
            key
              .split('|')[0]
              ?.split('.')
              .some((part) => RESERVED_KEYS.has(part))
          ) {
            problems.push({ message: `the key "${key}" is reserved and not allowed`, at: keyAt });
            continue;
          }
          const value =
            pair.value === null
              ? { kind: 'scalar' as const, value: null, at: keyAt }
              : convert(pair.value, depth + 1);
          if (value !== undefined) entries.push({ key, keyAt, value });
        }
        return { kind: 'map', entries, at };
      }
      if (isSeq(node)) {
        const items: LValue[] = [];
        for (const item of node.items) {
          const value = convert(item, depth + 1);
          if (value !== undefined) items.push(value);
        }
        return { kind: 'seq', items, at };
      }
      if (isScalar(node)) {
        const value = node.value;
        if (value === null || typeof value === 'string' || typeof value === 'boolean') {
          return { kind: 'scalar', value, at };
        }
        if (typeof value === 'number') return { kind: 'scalar', value, at };
        if (typeof value === 'bigint') return { kind: 'scalar', value: String(value), at };
        problems.push({ message: 'unsupported YAML value', at });
        return undefined;
      }
      problems.push({ message: 'unsupported YAML node', at });
      return undefined;
    };
    try {
      const root = convert(doc.contents, 0);
      if (root !== undefined) documents.push({ index, root });
    } catch (error) {
      if (!(error instanceof TooLarge)) throw error;
      problems.push({
        message: `the YAML expands to more than ${options.maxNodes ?? DEFAULT_MAX_NODES} values (an alias bomb?); the file is refused`,
        at: position(rangeStart(doc.contents)),
      });
      budget = 0;
    }
  });
  return { documents, problems };
}

export function tooLargeMessage(bytes: number, max: number): string {
  return `the file is ${(bytes / 1048576).toFixed(1)} MiB, more than the ${(max / 1048576).toFixed(1)} MiB a rule file may have`;
}

function rangeStart(node: unknown): number | undefined {
  const range = (node as { range?: [number, number, number] } | null | undefined)?.range;
  return range?.[0];
}

/** The entry of a map with this key. */
export function entry(map: LMap, key: string): LEntry | undefined {
  return map.entries.find((e) => e.key === key);
}

/** Plain JavaScript data from a located value (maps as null-prototype objects), for event data in tests. */
export function toPlain(value: LValue): unknown {
  switch (value.kind) {
    case 'scalar':
      return value.value;
    case 'seq':
      return value.items.map(toPlain);
    case 'map': {
      const out: Record<string, unknown> = {};
      for (const e of value.entries) {
        Object.defineProperty(out, e.key, {
          value: toPlain(e.value),
          enumerable: true,
          writable: true,
          configurable: true,
        });
      }
      return out;
    }
  }
}

export function describeKind(value: LValue): string {
  if (value.kind === 'scalar') return value.value === null ? 'null' : typeof value.value;
  return value.kind === 'map' ? 'a map' : 'a list';
}
