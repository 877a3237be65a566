/**
 * Plain indicator lists: one value per line, its type inferred (IPv4 or
 * IPv6 address, CIDR network, domain, URL, MD5/SHA-1/SHA-256 digest).
 * Blank lines and `#` comments are ignored, as is a comment after a value
 * (` # ...`). Comments of the form `# provider: ...`, `# description: ...`,
 * `# confidence: ...`, `# first_seen: ...` and `# last_seen: ...` set the
 * metadata of the values after them. Values it cannot use are skipped and
 * counted.
 */
import { confidenceOf, type IndicatorMeta, isoTime, refang } from './indicator.ts';
import type { IndicatorSetBuilder } from './indicator-set.ts';
import { forEachLine } from './lines.ts';
import type { LoadSummary } from './load-summary.ts';

const DIRECTIVE = /^#\s*(provider|description|confidence|first_seen|last_seen)\s*:\s*(.*?)\s*$/i;

export function loadPlainList(
  bytes: Buffer,
  builder: IndicatorSetBuilder,
  summary: LoadSummary,
  provider: string,
): void {
  const meta: IndicatorMeta = { provider };
  let ref = builder.meta(meta);
  forEachLine(bytes, (raw, lineNumber) => {
    let line = raw.trim();
    if (line === '') return;
    if (line.startsWith('#')) {
      const directive = DIRECTIVE.exec(line);
      if (directive) {
        applyDirective(meta, (directive[1] as string).toLowerCase(), directive[2] as string);
        ref = builder.meta(meta);
      }
      return;
    }
    const comment = line.search(/\s#/);
    if (comment !== -1) line = line.slice(0, comment).trimEnd();
    if (/\s/.test(line)) {
      summary.skip('not_one_value', `line ${lineNumber}: ${raw}`);
      return;
    }
    if (builder.add(refang(line), ref) === undefined) {
      summary.skip('unrecognized_value', `line ${lineNumber}: ${raw}`);
      return;
    }
    summary.loaded++;
  });
}

function applyDirective(meta: IndicatorMeta, key: string, value: string): void {
  const set = <K extends keyof IndicatorMeta>(name: K, v: IndicatorMeta[K] | undefined): void => {
    if (v === undefined || v === '') delete meta[name];
    else meta[name] = v;
  };
  if (key === 'provider') {
    if (value !== '') meta.provider = value;
  } else if (key === 'description') set('description', value);
  else if (key === 'confidence') set('confidence', confidenceOf(value));
  else if (key === 'first_seen') set('first_seen', isoTime(value));
  else if (key === 'last_seen') set('last_seen', isoTime(value));
}
