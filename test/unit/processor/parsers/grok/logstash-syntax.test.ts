/**
 * Acceptance: a logstash-format pattern file written in Oniguruma syntax
 * (atomic groups, possessive quantifiers, look-behind, \A, \z, \h, names
 * JavaScript cannot use) loads and matches exactly the lines, with exactly the
 * captures, of the same patterns written as plain JavaScript regular
 * expressions. The expected outcome of each sample line was also checked
 * with Perl, whose regex engine has Oniguruma's semantics for these
 * constructs: it is the `ORACLE` list below.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { compileGrok } from '../../../../../processor/parsers/grok/matcher.ts';
import { PatternLibrary } from '../../../../../processor/parsers/grok/pattern-library.ts';

const FIXTURES = new URL('../../../../fixtures/grok/', import.meta.url);
const lines = readFileSync(new URL('logstash-syntax.log', FIXTURES), 'utf8').split('\n').filter(Boolean);

/** The same patterns, written by hand in JavaScript syntax (atomic groups rewritten to what they mean). */
const TS = String.raw`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d)`;
// `(?>INFO|INFORMATION|WARN|WARNING|ERROR)`: the longer words can never be reached.
const LEVEL = String.raw`(?:INFO|WARN|ERROR)(?=\s)`;
const THREAD = String.raw`(?<=\[)[\w-]+(?=\])`;
const KEY = '[a-z_]+';
const HEXID = '[0-9A-Fa-f]+';
const MILLIS = String.raw`\d+ms`;
const DECIMAL = String.raw`(?<![0-9.+-])[+-]?(?:[0-9]+(?:\.[0-9]+)?|\.[0-9]+)`;
const QUOTED = String.raw`(?<!\\)(?:"(?:\\[\s\S]|[^\\"])+"|"")`;
const PORTS = String.raw`\d+(?:,\d+)*`;
const IPV4ISH = String.raw`(?<![0-9])(?:\d{1,3}\.){3}\d{1,3}(?![0-9])`;
const PLAIN = new RegExp(
  `^(?<ts>${TS}) (?<level>${LEVEL}) +\\[(?<thread>${THREAD})\\] job=(?<job>${KEY}) id=(?<id>${HEXID}) ` +
    `took=(?<took>${MILLIS}) size=(?<size>${DECIMAL}) user=(?<user>${QUOTED}) ports=(?<ports>${PORTS})` +
    `(?: src=(?<ip>${IPV4ISH}))?$`,
);

/** Which sample lines match, in file order (from the same patterns run by Perl). */
const ORACLE = [
  true,
  true,
  true,
  false,
  false,
  false,
  false,
  false,
  false,
  false,
  true,
  false,
  false,
  false,
  false,
  false,
  false,
  true,
  false,
  true,
  false,
];

function grok() {
  const library = new PatternLibrary().addFile(fileURLToPath(new URL('logstash-syntax.grok', FIXTURES)));
  return compileGrok(['%{JOBLINE}'], { library });
}

/** The grok result flattened to the plain regex's groups, for comparison. */
function flatten(fields: Record<string, unknown>): Record<string, unknown> {
  const f = fields as {
    timestamp?: string;
    log?: { level?: string };
    process?: { thread?: { name?: string } };
    job?: { name?: string; id?: string; took?: string; size?: number };
    user?: { name?: string };
    destination?: { ports?: string };
    source?: { ip?: string };
  };
  return {
    ts: f.timestamp,
    level: f.log?.level,
    thread: f.process?.thread?.name,
    job: f.job?.name,
    id: f.job?.id,
    took: f.job?.took,
    size: f.job?.size,
    user: f.user?.name,
    ports: f.destination?.ports,
    ip: f.source?.ip,
  };
}

describe('a logstash-format pattern file in Oniguruma syntax', () => {
  it('loads, and the expression compiles', () => {
    const matcher = grok();
    expect(matcher.expressions).toHaveLength(1);
    // Atomic groups are emulated with a look-ahead, so this expression is guarded by the time budget.
    expect(matcher.stats()[0]?.guard).toBe('time-budget');
  });

  it('matches exactly the lines the plain JavaScript patterns match, with the same captures', () => {
    const matcher = grok();
    expect(lines).toHaveLength(ORACLE.length);
    lines.forEach((line, index) => {
      const plain = PLAIN.exec(line);
      const result = matcher.match(line);
      expect(result !== undefined, `line ${index + 1}: ${line}`).toBe(plain !== null);
      expect(result !== undefined, `line ${index + 1} against the oracle`).toBe(ORACLE[index]);
      if (plain && result) {
        const groups = plain.groups as Record<string, string | undefined>;
        expect(flatten(result.fields)).toEqual({
          ...groups,
          size: Number.parseFloat(groups.size as string),
        });
      }
    });
  });

  it('keeps the atomic meaning: INFORMATION and WARNING lines do not match', () => {
    const matcher = grok();
    const information = lines.find((line) => line.includes(' INFORMATION ')) as string;
    const warning = lines.find((line) => line.includes(' WARNING ')) as string;
    expect(matcher.match(information)).toBeUndefined();
    expect(matcher.match(warning)).toBeUndefined();
    // The naive JavaScript translation, without the atomic group, would match them.
    const naive = new RegExp(
      PLAIN.source.replace('(?:INFO|WARN|ERROR)', '(?:INFO|INFORMATION|WARN|WARNING|ERROR)'),
    );
    expect(naive.test(information)).toBe(true);
  });

  it('extracts nested fields from bracketed references and from a named group JavaScript cannot name', () => {
    const result = grok().match(lines[0] as string);
    expect(result?.fields).toEqual({
      timestamp: '2024-05-01T10:00:00Z',
      log: { level: 'INFO' },
      process: { thread: { name: 'worker-7' } },
      job: { name: 'resize', id: '9f3a2c', took: '150ms', size: 1.5 },
      user: { name: '"alice"' },
      destination: { ports: '80,443' },
      source: { ip: '10.0.0.1' },
    });
  });

  it('lets . match a newline inside a quoted value, as Logstash does', () => {
    const line =
      '2024-05-01T10:00:21Z ERROR [worker-7] job=resize id=9f3a2c took=150ms size=1.5 user="multi\\\nline" ports=80';
    expect(grok().match(line)?.fields).toMatchObject({ user: { name: '"multi\\\nline"' } });
  });
});
