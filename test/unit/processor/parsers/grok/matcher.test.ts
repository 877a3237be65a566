import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { isVigilError, type VigilError } from '../../../../../core/errors.ts';
import { createLogger, type Logger } from '../../../../../core/log.ts';
import { Metrics } from '../../../../../core/telemetry/metrics.ts';
import { compileGrok } from '../../../../../processor/parsers/grok/matcher.ts';
import { PatternLibrary } from '../../../../../processor/parsers/grok/pattern-library.ts';

const EXPRESSIONS = [
  '%{IP:source.ip} %{WORD:http.request.method} %{INT:http.response.status_code:int}',
  '%{IP:source.ip} %{WORD:http.request.method}',
  '%{WORD:event.action}',
];

function thrown(action: () => unknown): VigilError {
  try {
    action();
  } catch (error) {
    if (isVigilError(error)) return error;
    throw error;
  }
  throw new Error('nothing was thrown');
}

function capturingLogger(): { logger: Logger; lines: () => Record<string, unknown>[] } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  return {
    logger: createLogger({ level: 'info', destination: stream }),
    lines: () =>
      chunks
        .join('')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

describe('GrokMatcher', () => {
  it('tries the expressions in order and reports which one matched', () => {
    const grok = compileGrok(EXPRESSIONS, { anchor: 'start' });
    expect(grok.match('10.0.0.1 GET 200')).toEqual({
      fields: {
        source: { ip: '10.0.0.1' },
        http: { request: { method: 'GET' }, response: { status_code: 200 } },
      },
      patternIndex: 0,
      pattern: EXPRESSIONS[0],
      patternIndices: [0],
    });
    expect(grok.match('10.0.0.1 GET')).toMatchObject({ patternIndex: 1, pattern: EXPRESSIONS[1] });
    expect(grok.match('logout')).toMatchObject({ patternIndex: 2, fields: { event: { action: 'logout' } } });
    expect(grok.match('!!!')).toBeUndefined();
  });

  it('accepts a single expression as a string', () => {
    expect(compileGrok('%{INT:n:int}').match('x 5')?.fields).toEqual({ n: 5 });
  });

  it('without break_on_match tries every expression and merges their fields, earlier ones winning', () => {
    const grok = compileGrok(['user=%{WORD:user.name}', 'ip=%{IP:source.ip}', 'user=%{INT:user.name}'], {
      breakOnMatch: false,
    });
    expect(grok.match('ip=10.0.0.1 user=42')).toEqual({
      fields: { user: { name: '42' }, source: { ip: '10.0.0.1' } },
      patternIndex: 0,
      pattern: 'user=%{WORD:user.name}',
      patternIndices: [0, 1, 2],
    });
    expect(grok.match('ip=10.0.0.1')?.patternIndices).toEqual([1]);
    expect(grok.match('nothing')).toBeUndefined();
  });

  it('counts matches and failures per expression', () => {
    const grok = compileGrok(EXPRESSIONS, { anchor: 'start' });
    for (const line of ['10.0.0.1 GET 200', '10.0.0.1 GET', 'x', '!']) grok.match(line);
    expect(grok.stats().map(({ matches, failures }) => [matches, failures])).toEqual([
      [1, 3],
      [1, 2],
      [1, 1],
    ]);
  });

  it('exports its counts as Prometheus metrics, up to date at every scrape', async () => {
    const metrics = new Metrics({ defaultMetrics: false });
    const grok = compileGrok(EXPRESSIONS, { anchor: 'start', metrics, name: 'web' });
    for (const line of ['10.0.0.1 GET 200', '10.0.0.1 GET 200', 'x', '!']) grok.match(line);
    const text = await metrics.text();
    expect(text).toContain('vigil_processor_grok_matches_total{step="web",pattern="0"} 2');
    expect(text).toContain('vigil_processor_grok_matches_total{step="web",pattern="2"} 1');
    expect(text).toContain('vigil_processor_grok_failures_total{step="web",pattern="0"} 2');
    expect(text).toContain('vigil_processor_grok_failures_total{step="web",pattern="2"} 1');
    expect(text).toContain('vigil_processor_grok_pattern_disabled{step="web",pattern="1"} 0');
    grok.match('x');
    expect(await metrics.text()).toContain('vigil_processor_grok_matches_total{step="web",pattern="2"} 2');
  });

  it('never throws for a line: binary garbage, invalid UTF-16, a 1 MB line', () => {
    const grok = compileGrok(['%{IPORHOST:a} %{QS:b} %{GREEDYDATA:c}', '%{DATA:x}:%{NUMBER:y:float}$']);
    const garbage = String.fromCharCode(...Array.from({ length: 4096 }, (_, i) => (i * 7919) % 65536));
    expect(() => grok.match(garbage)).not.toThrow();
    expect(() => grok.match('\ud800 "\udfff" x')).not.toThrow();
    const started = performance.now();
    expect(grok.match(`${'x'.repeat(1024 * 1024)}:1.5`)?.fields).toEqual({
      x: 'x'.repeat(1024 * 1024),
      y: 1.5,
    });
    expect(performance.now() - started).toBeLessThan(2_000);
  });

  it('reports every expression that cannot be compiled, with the first problem’s code', () => {
    const error = thrown(() => compileGrok(['%{INT:ok}', '%{NOPE}', '(a', '%{INT:x:weird}']));
    expect(error.code).toBe('GROK_PATTERN_INVALID');
    expect(error.message).toContain('3 of 4 grok expressions cannot be compiled');
    expect(error.message).toContain('%{NOPE}');
    expect(error.message).toContain('unknown type "weird"');
    expect(thrown(() => compileGrok([])).message).toContain('at least one expression');
  });

  it('warns at load about an ambiguous repetition that V8 takes over', () => {
    const { logger, lines } = capturingLogger();
    compileGrok(['^(\\w+\\s?)*$'], { logger, library: new PatternLibrary({ base: false }) });
    expect(lines()[0]).toMatchObject({ level: 'warn', repetition: '(\\w+\\s?)*' });
  });
});

describe('the time budget', () => {
  // Polynomial, not exponential (so it passes the load-time check), and with a
  // look-ahead, so V8's linear engine cannot take it over: it is timed.
  const SLOW = '^(?!z)\\w*\\w*\\w*!';
  const slowLine = 'a'.repeat(600);

  it('times only the expressions V8 cannot take over', () => {
    const grok = compileGrok([SLOW, '^\\w+$'], { library: new PatternLibrary({ base: false }) });
    expect(grok.stats().map((s) => s.guard)).toEqual(['time-budget', 'linear-fallback']);
    expect(compileGrok([SLOW], { budget: false }).stats()[0]?.guard).toBe('none');
  });

  it('counts slow match attempts and disables the expression after too many, with an error in the log', async () => {
    const metrics = new Metrics({ defaultMetrics: false });
    const { logger, lines } = capturingLogger();
    const grok = compileGrok([SLOW, '^%{WORD:word}'], {
      budget: { slowMatchMs: 1, disableAfter: 2 },
      metrics,
      logger,
      name: 'app',
    });
    expect(grok.match(slowLine)?.patternIndex).toBe(1);
    expect(grok.stats()[0]).toMatchObject({ timeouts: 1, disabled: false });
    expect(grok.match(slowLine)?.patternIndex).toBe(1);
    expect(grok.stats()[0]).toMatchObject({ timeouts: 2, disabled: true });

    // Disabled: not tried any more, so the next line costs nothing there.
    const failuresBefore = grok.stats()[0]?.failures;
    const started = performance.now();
    expect(grok.match(slowLine)?.fields).toEqual({ word: slowLine });
    expect(performance.now() - started).toBeLessThan(5);
    expect(grok.stats()[0]?.failures).toBe(failuresBefore);

    const text = await metrics.text();
    expect(text).toContain('vigil_processor_grok_timeouts_total{step="app",pattern="0"} 2');
    expect(text).toContain('vigil_processor_grok_pattern_disabled{step="app",pattern="0"} 1');
    const logged = lines();
    expect(logged[0]).toMatchObject({ level: 'warn', step: 'app', pattern_index: 0 });
    expect(logged[1]).toMatchObject({ level: 'error', step: 'app', pattern_index: 0, timeouts: 2 });
    expect(logged[1]?.msg).toContain('was disabled after 2 match attempts over 1 ms each');
  });

  it('never disables when disableAfter is 0', () => {
    const grok = compileGrok([SLOW], { budget: { slowMatchMs: 1, disableAfter: 0 } });
    for (let i = 0; i < 3; i++) grok.match(slowLine);
    expect(grok.stats()[0]).toMatchObject({ timeouts: 3, disabled: false });
  });
});
