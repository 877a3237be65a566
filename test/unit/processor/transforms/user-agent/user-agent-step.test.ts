import { describe, expect, it } from 'vitest';
import { LruCache } from '../../../../../core/lru-cache.ts';
import type { EcsEvent } from '../../../../../processor/event-builder.ts';
import type { StepBuildContext } from '../../../../../processor/pipeline/step.ts';
import { userAgentStep } from '../../../../../processor/transforms/user-agent/user-agent-step.ts';

/** Parsed events are read as loose nested JSON. */
// biome-ignore lint/suspicious/noExplicitAny: assertions read nested event fields freely.
type Doc = Record<string, any>;

const context = { pipeline: 'test', index: 0 } as StepBuildContext;

function step(config: Record<string, unknown> = {}) {
  return userAgentStep.create(userAgentStep.schema.parse(config), context);
}

function eventWith(agent: unknown): EcsEvent {
  return {
    '@timestamp': '2026-01-01T00:00:00.000Z',
    message: 'GET / HTTP/1.1',
    event: { dataset: 'nginx.access' },
    vigil: { record: { id: 'r1', offset: 0, stream: 's1' } },
    user_agent: { original: agent },
  } as EcsEvent;
}

function parse(agent: unknown) {
  const event = eventWith(agent);
  const result = step().run(event);
  return { ua: (event as Doc).user_agent, result };
}

const CHROME_WINDOWS =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36';
const SAFARI_MAC =
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15';
const FIREFOX_LINUX = 'Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0';
const EDGE =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.2478.80';
const SAFARI_IPHONE =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1';
const CHROME_ANDROID =
  'Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.82 Mobile Safari/537.36';
const GOOGLEBOT = 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)';

describe('user_agent step', () => {
  describe('configuration', () => {
    it('has defaults for every key', () => {
      expect(userAgentStep.schema.parse({})).toEqual({
        field: 'user_agent.original',
        target: 'user_agent',
        cache_size: 1000,
      });
    });

    it('rejects unknown keys and a negative cache size', () => {
      expect(() => userAgentStep.schema.parse({ cache: 10 })).toThrow();
      expect(() => userAgentStep.schema.parse({ cache_size: -1 })).toThrow();
    });
  });

  describe('browsers', () => {
    it('parses Chrome on Windows', () => {
      const { ua, result } = parse(CHROME_WINDOWS);
      expect(result).toBeUndefined();
      expect(ua).toEqual({
        original: CHROME_WINDOWS,
        name: 'Chrome',
        version: '124.0.0.0',
        os: { name: 'Windows', version: '10', full: 'Windows 10' },
      });
    });

    it('parses Safari on macOS', () => {
      const { ua } = parse(SAFARI_MAC);
      expect(ua).toMatchObject({
        name: 'Safari',
        version: '17.4',
        os: { name: 'macOS', version: '10.15.7', full: 'macOS 10.15.7' },
      });
    });

    it('parses Firefox on Linux', () => {
      const { ua } = parse(FIREFOX_LINUX);
      expect(ua).toMatchObject({ name: 'Firefox', version: '125.0', os: { name: 'Linux', full: 'Linux' } });
      expect(ua.os.version).toBeUndefined();
    });

    it('tells Edge from Chrome', () => {
      expect(parse(EDGE).ua).toMatchObject({ name: 'Microsoft Edge', version: '124.0.2478.80' });
    });

    it('parses Safari on an iPhone with the device name', () => {
      expect(parse(SAFARI_IPHONE).ua).toMatchObject({
        name: 'Safari',
        version: '17.4',
        os: { name: 'iOS', version: '17.4.1', full: 'iOS 17.4.1' },
        device: { name: 'iPhone' },
      });
    });

    it('parses Chrome on Android', () => {
      expect(parse(CHROME_ANDROID).ua).toMatchObject({
        name: 'Chrome',
        version: '124.0.6367.82',
        os: { name: 'Android', version: '14', full: 'Android 14' },
      });
    });
  });

  describe('tools and bots', () => {
    it.each([
      ['curl/8.4.0', 'curl', '8.4.0'],
      ['Wget/1.21.4', 'Wget', '1.21.4'],
      ['python-requests/2.31.0', 'python-requests', '2.31.0'],
      ['Go-http-client/1.1', 'Go-http-client', '1.1'],
    ])('takes name and version of %s from its product token', (agent, name, version) => {
      const { ua, result } = parse(agent);
      expect(result).toBeUndefined();
      expect(ua).toEqual({ original: agent, name, version });
    });

    it('names Googlebot and gives bots the device name Spider', () => {
      expect(parse(GOOGLEBOT).ua).toEqual({
        original: GOOGLEBOT,
        name: 'Googlebot',
        version: '2.1',
        device: { name: 'Spider' },
      });
    });
  });

  describe('caching', () => {
    it('gives each of many agents, alternating, its own result from one step', () => {
      const agents = [
        CHROME_WINDOWS,
        SAFARI_MAC,
        FIREFOX_LINUX,
        EDGE,
        SAFARI_IPHONE,
        CHROME_ANDROID,
        GOOGLEBOT,
      ];
      // Variants of one length, so that they compete for the same places in the step's caches.
      for (let i = 0; i < 200; i++) agents.push(`curl/8.${String(i).padStart(3, '0')}.0`);
      const expected = agents.map((agent) => JSON.stringify(parse(agent).ua));
      for (const cacheSize of [0, 1, 1000]) {
        const shared = step({ cache_size: cacheSize });
        for (let round = 0; round < 3; round++) {
          agents.forEach((agent, i) => {
            const event = eventWith(agent);
            shared.run(event);
            expect(JSON.stringify((event as Doc).user_agent)).toBe(expected[i]);
          });
        }
      }
    });
  });

  describe('unusual input', () => {
    it.each(['', '-'])('sets nothing for %j', (agent) => {
      const { ua, result } = parse(agent);
      expect(result).toBeUndefined();
      expect(ua).toEqual({ original: agent });
    });

    it('sets nothing when the field is absent', () => {
      const event = eventWith('x') as Doc;
      delete event.user_agent;
      expect(step().run(event as EcsEvent)).toBeUndefined();
      expect(event.user_agent).toBeUndefined();
    });

    it.each([
      '(){ :; }; /bin/bash -c "cat /etc/passwd"',
      '\u0000\u0001garbage%%%',
      "' OR 1=1 --",
      '    ',
      'Mozilla/5.0',
    ])('keeps only the original for garbage %j', (agent) => {
      const { ua, result } = parse(agent);
      expect(result).toBeUndefined();
      expect(ua).toEqual({ original: agent });
    });

    it('fails with "too long" over 2,048 bytes without parsing', () => {
      const agent = `Mozilla/5.0 ${'x'.repeat(2048)}`;
      const { ua, result } = parse(agent);
      expect(result).toEqual({ failure: 'too long' });
      expect(ua).toEqual({ original: agent });
    });

    it('counts bytes, not characters, against the limit', () => {
      expect(parse('é'.repeat(1025)).result).toEqual({ failure: 'too long' });
      expect(parse('é'.repeat(1024)).result).toBeUndefined();
    });

    it('parses a hostile agent just under the limit quickly', () => {
      const agent = `Mozilla/5.0 (${'(; '.repeat(600)}) Chrome/1`.slice(0, 2048);
      const started = performance.now();
      expect(parse(agent).result).toBeUndefined();
      expect(performance.now() - started).toBeLessThan(500);
    });

    it('fails with "not a string" for a value that is not a string', () => {
      expect(parse(42).result).toEqual({ failure: 'not a string' });
    });
  });

  describe('fields', () => {
    it('reads from and writes to the configured fields and keeps the original', () => {
      const event = eventWith(undefined) as Doc;
      event.http = { request: { headers: { user_agent: 'curl/8.4.0' } } };
      step({ field: 'http.request.headers.user_agent', target: 'client.ua' }).run(event as EcsEvent);
      expect(event.client.ua).toEqual({ original: 'curl/8.4.0', name: 'curl', version: '8.4.0' });
    });

    it('keeps fields already under the target', () => {
      const event = eventWith('curl/8.4.0') as Doc;
      event.user_agent.device = { type: 'tool' };
      step().run(event as EcsEvent);
      expect(event.user_agent.device).toEqual({ type: 'tool' });
      expect(event.user_agent.name).toBe('curl');
    });

    it('gives each event its own objects when the result is cached', () => {
      const s = step();
      const first = eventWith(SAFARI_IPHONE) as Doc;
      const second = eventWith(SAFARI_IPHONE) as Doc;
      s.run(first as EcsEvent);
      s.run(second as EcsEvent);
      first.user_agent.os.name = 'changed';
      expect(second.user_agent.os.name).toBe('iOS');
    });

    it('gives the same result with the cache turned off', () => {
      const event = eventWith(CHROME_WINDOWS) as Doc;
      step({ cache_size: 0 }).run(event as EcsEvent);
      expect(event.user_agent).toEqual(parse(CHROME_WINDOWS).ua);
    });
  });
});

describe('LruCache', () => {
  it('drops the least recently used entry when full', () => {
    const cache = new LruCache<string, number>(2);
    cache.set('a', 1);
    cache.set('b', 2);
    cache.get('a');
    cache.set('c', 3);
    expect(cache.get('a')).toBe(1);
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('c')).toBe(3);
    expect(cache.size).toBe(2);
  });

  it('replaces the value of a key already there without growing', () => {
    const cache = new LruCache<string, number>(2);
    cache.set('a', 1);
    cache.set('a', 2);
    expect(cache.get('a')).toBe(2);
    expect(cache.size).toBe(1);
  });

  it('keeps nothing with a capacity of 0', () => {
    const cache = new LruCache<string, number>(0);
    cache.set('a', 1);
    expect(cache.get('a')).toBeUndefined();
  });
});
