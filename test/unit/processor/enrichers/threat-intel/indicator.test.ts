import { describe, expect, it } from 'vitest';
import {
  classify,
  confidenceOf,
  hashAlgorithm,
  isoTime,
  normalizeDomain,
  normalizeUrl,
  refang,
} from '../../../../../processor/enrichers/threat-intel/indicator.ts';

describe('indicator values', () => {
  it('infers the kind of a bare value', () => {
    expect(classify('198.51.100.7')).toBe('ip');
    expect(classify('2001:db8::7')).toBe('ip');
    expect(classify('10.0.0.0/8')).toBe('ip');
    expect(classify('2001:db8::/32')).toBe('ip');
    expect(classify('evil.example')).toBe('domain');
    expect(classify('http://evil.example/x')).toBe('url');
    expect(classify('d41d8cd98f00b204e9800998ecf8427e')).toBe('hash');
    expect(classify('da39a3ee5e6b4b0d3255bfef95601890afd80709')).toBe('hash');
    expect(classify('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855')).toBe('hash');
  });

  it('gives no kind to values it cannot match', () => {
    for (const text of [
      'hello',
      'deadbeef',
      '1.2.3.999',
      'evil..example',
      'a b',
      'mailto:x@evil.example',
      '1.2.3',
    ]) {
      expect(classify(text), text).toBeUndefined();
    }
  });

  it('normalizes domains: lower case, no trailing dot, no leading wildcard', () => {
    expect(normalizeDomain('Evil.Example.')).toBe('evil.example');
    expect(normalizeDomain('*.evil.example')).toBe('evil.example');
    expect(normalizeDomain('xn--bcher-kva.example')).toBe('xn--bcher-kva.example');
    expect(normalizeDomain('1.2.3.4')).toBeUndefined();
  });

  it('normalizes URLs: scheme and host lower case, default port dropped, empty path is /', () => {
    expect(normalizeUrl('HTTP://Evil.Example:80')).toBe('http://evil.example/');
    expect(normalizeUrl('https://EVIL.example:443/Path?Q=1')).toBe('https://evil.example/Path?Q=1');
    expect(normalizeUrl('http://evil.example:8080/a')).toBe('http://evil.example:8080/a');
    expect(normalizeUrl('http://User@Evil.Example/')).toBe('http://User@evil.example/');
    expect(normalizeUrl('not a url')).toBeUndefined();
  });

  it('knows hash algorithms by digest length', () => {
    expect(hashAlgorithm('D41D8CD98F00B204E9800998ECF8427E')).toBe('md5');
    expect(hashAlgorithm('z41d8cd98f00b204e9800998ecf8427e')).toBeUndefined();
  });

  it('undoes defanging', () => {
    expect(refang('hxxp://evil[.]example/x')).toBe('http://evil.example/x');
    expect(refang('198[.]51[.]100[.]7')).toBe('198.51.100.7');
  });

  it('maps confidence to the STIX None/Low/Medium/High scale', () => {
    expect(confidenceOf(0)).toBe('None');
    expect(confidenceOf(15)).toBe('Low');
    expect(confidenceOf('50')).toBe('Medium');
    expect(confidenceOf(85)).toBe('High');
    expect(confidenceOf('high')).toBe('High');
    expect(confidenceOf(101)).toBeUndefined();
    expect(confidenceOf('sure')).toBeUndefined();
  });

  it('turns times into ISO 8601 UTC and drops what is not a time', () => {
    expect(isoTime('2024-01-02')).toBe('2024-01-02T00:00:00.000Z');
    expect(isoTime('yesterday')).toBeUndefined();
  });
});
