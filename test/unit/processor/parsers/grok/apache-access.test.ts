/**
 * The 10,000 real Apache lines of ../shared/data/apache/access.log, parsed
 * with a combined-log expression built from the base patterns, checked
 * against counts computed here independently with plain string operations.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compileGrok } from '../../../../../processor/parsers/grok/matcher.ts';

const lines = readFileSync(
  new URL('../../../../../../shared/data/apache/access.log', import.meta.url),
  'utf8',
)
  .split('\n')
  .filter((line) => line !== '');

const COMMON =
  '%{IPORHOST:source.address} %{USER:apache.access.user.identity} %{USER:user.name} \\[%{HTTPDATE:timestamp}\\] ' +
  '"(?:%{WORD:http.request.method} %{NOTSPACE:url.original}(?: HTTP/%{NUMBER:http.version})?|%{DATA:http.request.raw})" ' +
  '%{INT:http.response.status_code:int} (?:%{INT:http.response.body.bytes:int}|-)';
const COMBINED = `${COMMON} %{QS:http.request.referrer} %{QS:user_agent.original}$`;

interface Parsed {
  source: { address: string };
  http: { request: { method?: string }; response: { status_code: number; body?: { bytes: number } } };
  user_agent?: { original: string };
}

/** Status, method and bytes, found without regular expressions. */
function independently(line: string): { status: number; method: string; bytes: number } {
  const quoted = line.split('"');
  const [status, bytes] = (quoted[2] as string).trim().split(' ') as [string, string];
  return {
    status: Number(status),
    method: (quoted[1] as string).split(' ')[0] as string,
    bytes: bytes === '-' ? 0 : Number(bytes),
  };
}

describe('the 10,000 lines of the shared Apache access log', () => {
  const grok = compileGrok([COMBINED, COMMON], { anchor: 'start' });
  const results = lines.map((line) => grok.match(line));

  it('are all there', () => {
    expect(lines).toHaveLength(10_000);
  });

  it('all match: the combined format, or the common one for the single line cut short in its user agent', () => {
    expect(results.filter((r) => r === undefined)).toHaveLength(0);
    const common = results.flatMap((r, i) => (r?.patternIndex === 1 ? [i + 1] : []));
    expect(common).toEqual([8899]);
    expect(lines[8898]?.endsWith('bot.html')).toBe(true);
  });

  it('give the status codes, methods and byte totals counted independently', () => {
    const expected = { status: new Map<number, number>(), method: new Map<string, number>(), bytes: 0 };
    const actual = { status: new Map<number, number>(), method: new Map<string, number>(), bytes: 0 };
    lines.forEach((line, i) => {
      const truth = independently(line);
      expected.status.set(truth.status, (expected.status.get(truth.status) ?? 0) + 1);
      expected.method.set(truth.method, (expected.method.get(truth.method) ?? 0) + 1);
      expected.bytes += truth.bytes;
      const fields = results[i]?.fields as unknown as Parsed;
      const { status_code, body } = fields.http.response;
      actual.status.set(status_code, (actual.status.get(status_code) ?? 0) + 1);
      const method = fields.http.request.method as string;
      actual.method.set(method, (actual.method.get(method) ?? 0) + 1);
      actual.bytes += body?.bytes ?? 0;
    });
    expect(actual.status).toEqual(expected.status);
    expect(actual.method).toEqual(expected.method);
    expect(actual.bytes).toBe(expected.bytes);
    expect(expected.status.get(200)).toBeGreaterThan(9_000);
  });

  it('extract typed, nested fields', () => {
    expect(results[0]?.fields).toEqual({
      source: { address: '83.149.9.216' },
      apache: { access: { user: { identity: '-' } } },
      user: { name: '-' },
      timestamp: '17/May/2015:10:05:03 +0000',
      http: {
        request: {
          method: 'GET',
          referrer: '"http://semicomplete.com/presentations/logstash-monitorama-2013/"',
        },
        version: '1.1',
        response: { status_code: 200, body: { bytes: 203023 } },
      },
      url: { original: '/presentations/logstash-monitorama-2013/images/kibana-search.png' },
      user_agent: {
        original:
          '"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_9_1) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/32.0.1700.77 Safari/537.36"',
      },
    });
  });

  it('are matched by an expression V8 can run on its linear-time engine', () => {
    expect(grok.stats().map((s) => s.guard)).toEqual(['linear-fallback', 'linear-fallback']);
  });
});
