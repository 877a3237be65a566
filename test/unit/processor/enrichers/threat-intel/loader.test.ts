/**
 * The three file formats, loaded from real files in a temporary directory:
 * what each gives, what it skips and why, and which files are errors.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../../../core/log.ts';
import { loadIndicatorFiles } from '../../../../../processor/enrichers/threat-intel/loader.ts';

const dir = mkdtempSync(join(tmpdir(), 'vigil-ti-loader-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, content: string): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

function load(path: string, now = Date.parse('2025-01-01T00:00:00Z')) {
  const { set, summaries } = loadIndicatorFiles([path], silentLogger(), now);
  return { set, summary: summaries.get(path) };
}

describe('plain lists', () => {
  const path = file(
    'feodo.txt',
    [
      '# Feodo tracker blocklist',
      '198.51.100.7',
      '10.0.0.0/8   # a network',
      '2001:db8::7',
      'Evil.Example.',
      'http://Evil.Example/payload.exe',
      'D41D8CD98F00B204E9800998ECF8427E',
      '',
      '# provider: abuse.ch',
      '# confidence: 80',
      '# description: Botnet C2',
      '203.0.113.9',
      'not a value',
      'hello',
      '\r',
    ].join('\r\n'),
  );

  it('infers each value type and counts what it loaded', () => {
    const { set, summary } = load(path);
    expect(summary?.loaded).toBe(7);
    expect(set.counts()).toEqual({ 'ipv4-addr': 3, 'ipv6-addr': 1, 'domain-name': 1, url: 1, file: 1 });
    expect(set.matchDomain('evil.example')).toHaveLength(1);
    expect(set.matchUrl('http://evil.example/payload.exe')).toHaveLength(1);
    expect(set.matchHash('d41d8cd98f00b204e9800998ecf8427e')).toHaveLength(1);
  });

  it('names the file as provider until a comment directive sets the metadata', () => {
    const { set } = load(path);
    expect(set.matchIp('198.51.100.7')[0]?.meta).toEqual({ provider: 'feodo' });
    expect(set.matchIp('203.0.113.9')[0]?.meta).toEqual({
      provider: 'abuse.ch',
      confidence: 'High',
      description: 'Botnet C2',
    });
  });

  it('skips lines it cannot use, counted by reason with the first example', () => {
    const { summary } = load(path);
    expect(summary?.skipped).toEqual({ not_one_value: 1, unrecognized_value: 1 });
    expect(summary?.examples.unrecognized_value).toBe('line 14: hello');
  });

  it('shares one metadata object between the values of a section', () => {
    const { set } = load(path);
    expect(set.matchIp('198.51.100.7')[0]?.meta).toBe(set.matchDomain('evil.example')[0]?.meta);
  });
});

describe('CSV files', () => {
  const path = file(
    'partner.csv',
    [
      'indicator,type,provider,first_seen,last_seen,description,confidence,extra',
      '198.51.100.7,ipv4-addr,Partner CERT,2024-01-01,2024-02-01,"C2, seen in campaign ""X""",high,ignored',
      'evil.example,domain-name,,2024-03-01T10:00:00Z,,Phishing,40,',
      'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855,sha256,,,,,,',
      '172.16.0.0/12,,,,,"multi',
      'line description",,',
      'evil.example,ipv4-addr,,,,,,',
      'someone@evil.example,email-addr,,,,,,',
      ',url,,,,,,',
    ].join('\n'),
  );

  it('reads every metadata column', () => {
    const { set } = load(path);
    expect(set.matchIp('198.51.100.7')[0]).toEqual({
      type: 'ipv4-addr',
      value: '198.51.100.7',
      ip: '198.51.100.7',
      meta: {
        provider: 'Partner CERT',
        first_seen: '2024-01-01T00:00:00.000Z',
        last_seen: '2024-02-01T00:00:00.000Z',
        description: 'C2, seen in campaign "X"',
        confidence: 'High',
      },
    });
    expect(set.matchDomain('evil.example')[0]?.meta).toEqual({
      provider: 'partner',
      first_seen: '2024-03-01T10:00:00.000Z',
      description: 'Phishing',
      confidence: 'Medium',
    });
  });

  it('infers the type when the column is empty and keeps quoted fields across lines', () => {
    const { set } = load(path);
    expect(set.matchIp('172.20.1.1')[0]).toMatchObject({
      value: '172.16.0.0/12',
      meta: { description: 'multi\nline description' },
    });
  });

  it('skips rows whose value does not fit the type, unknown types and empty values', () => {
    const { summary } = load(path);
    expect(summary?.loaded).toBe(4);
    expect(summary?.skipped).toEqual({ value_does_not_match_type: 1, unsupported_type: 1, missing_value: 1 });
  });

  it('accepts "value" as the indicator column', () => {
    const { set } = load(file('value.csv', 'Value\nevil.example\n'));
    expect(set.matchDomain('evil.example')).toHaveLength(1);
  });

  it('is an error naming the file when the header has no indicator column', () => {
    const bad = file('bad.csv', 'ip,comment\n1.2.3.4,x\n');
    expect(() => load(bad)).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID', message: expect.stringContaining(bad) }),
    );
  });
});

describe('STIX 2.1 bundles', () => {
  const sha256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
  const indicator = (id: string, pattern: string, extra: Record<string, unknown> = {}) => ({
    type: 'indicator',
    spec_version: '2.1',
    id: `indicator--${id}`,
    created: '2024-01-01T00:00:00.000Z',
    modified: '2024-01-05T00:00:00.000Z',
    pattern,
    pattern_type: 'stix',
    valid_from: '2024-01-02T00:00:00Z',
    ...extra,
  });
  const bundle = {
    type: 'bundle',
    id: 'bundle--1',
    objects: [
      { type: 'identity', id: 'identity--acme', name: 'ACME CERT', identity_class: 'organization' },
      indicator('1', "[ipv4-addr:value = '198.51.100.7']", {
        created_by_ref: 'identity--acme',
        name: 'C2 server',
        description: 'Seen beaconing',
        confidence: 90,
      }),
      indicator('2', "[ipv4-addr:value = '203.0.113.0/24']"),
      indicator('3', "[ipv6-addr:value = '2001:db8::7']"),
      indicator('4', "[domain-name:value = 'evil.example' OR url:value = 'http://evil.example/x']"),
      indicator(
        '5',
        `[file:hashes.'SHA-256' = '${sha256}'] OR [file:hashes.MD5 = 'd41d8cd98f00b204e9800998ecf8427e']`,
      ),
      indicator('6', "[file:hashes.'SHA-1' = 'da39a3ee5e6b4b0d3255bfef95601890afd80709']"),
      indicator('7', "[ipv4-addr:value = '1.1.1.1' AND domain-name:value = 'x.example']"),
      indicator('8', "[email-addr:value = 'a@evil.example']"),
      indicator('9', "[ipv4-addr:value = 'evil.example']"),
      indicator('10', "[ipv4-addr:value = '192.0.2.1']", { revoked: true }),
      indicator('11', "[ipv4-addr:value = '192.0.2.2']", { valid_until: '2024-06-01T00:00:00Z' }),
      indicator('12', 'alert tcp any any -> any any', { pattern_type: 'snort' }),
      { type: 'malware', id: 'malware--1', name: 'Emotet', is_family: true },
    ],
  };
  const path = file('feed.json', JSON.stringify(bundle));

  it('loads simple comparisons and ORs of them, each type', () => {
    const { set, summary } = load(path);
    expect(summary?.loaded).toBe(8);
    expect(set.matchIp('198.51.100.7')).toHaveLength(1);
    expect(set.matchIp('203.0.113.200')[0]?.value).toBe('203.0.113.0/24');
    expect(set.matchIp('2001:db8:0::7')).toHaveLength(1);
    expect(set.matchDomain('www.evil.example')).toHaveLength(1);
    expect(set.matchUrl('http://evil.example/x')).toHaveLength(1);
    expect(set.matchHash(sha256.toUpperCase())[0]?.hash).toBe('sha256');
    expect(set.matchHash('d41d8cd98f00b204e9800998ecf8427e')[0]?.hash).toBe('md5');
    expect(set.matchHash('da39a3ee5e6b4b0d3255bfef95601890afd80709')[0]?.hash).toBe('sha1');
  });

  it('takes provider from the creating identity, dates, description and confidence from the indicator', () => {
    const { set } = load(path);
    expect(set.matchIp('198.51.100.7')[0]?.meta).toEqual({
      provider: 'ACME CERT',
      first_seen: '2024-01-02T00:00:00.000Z',
      last_seen: '2024-01-05T00:00:00.000Z',
      modified_at: '2024-01-05T00:00:00.000Z',
      description: 'C2 server: Seen beaconing',
      confidence: 'High',
    });
    expect(set.matchIp('203.0.113.1')[0]?.meta.provider).toBe('feed');
  });

  it('skips what it cannot handle, counted by reason', () => {
    const { set, summary } = load(path);
    expect(summary?.skipped).toEqual({
      unsupported_pattern: 1,
      unsupported_object_path: 1,
      invalid_value: 1,
      revoked: 1,
      expired: 1,
      not_a_stix_pattern: 1,
    });
    expect(summary?.examples.unsupported_pattern).toContain('indicator--7');
    expect(set.matchIp('192.0.2.1')).toHaveLength(0);
    expect(set.matchIp('192.0.2.2')).toHaveLength(0);
  });

  it('loads an indicator before its valid_until', () => {
    const { set } = load(path, Date.parse('2024-05-01T00:00:00Z'));
    expect(set.matchIp('192.0.2.2')).toHaveLength(1);
  });

  it('is an error naming the file for invalid JSON or a document that is not a bundle', () => {
    const broken = file('broken.json', '{"type": "bundle", "objects": [');
    const notBundle = file('not-bundle.json', '{"type": "indicator"}');
    expect(() => load(broken)).toThrow(
      expect.objectContaining({ code: 'CONFIG_PARSE', message: expect.stringContaining(broken) }),
    );
    expect(() => load(notBundle)).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID', message: expect.stringContaining(notBundle) }),
    );
  });
});

describe('files', () => {
  it('is an error naming the file when it does not exist', () => {
    const missing = join(dir, 'missing.txt');
    expect(() => load(missing)).toThrow(
      expect.objectContaining({
        code: 'CONFIG_NOT_FOUND',
        message: `Indicator file ${missing} does not exist.`,
      }),
    );
  });

  it('keeps the same value from two feeds as two indicators with their own provider', () => {
    const a = file('a.txt', 'evil.example\n198.51.100.7\n');
    const b = file('b.txt', 'evil.example\n198.51.100.7\nevil.example\n');
    const { set } = loadIndicatorFiles([a, b], silentLogger());
    expect(set.matchDomain('evil.example').map((hit) => hit.meta.provider)).toEqual(['a', 'b']);
    expect(set.matchIp('198.51.100.7').map((hit) => hit.meta.provider)).toEqual(['a', 'b']);
  });
});
