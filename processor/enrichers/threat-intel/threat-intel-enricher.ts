/**
 * The threat-intel enricher: matches event IPs, domains, URLs and file
 * hashes against the loaded indicators and records each match as an ECS
 * `threat.enrichments` entry:
 *
 *   { indicator: { type, name, ip | url.full | url.domain | file.hash.<algo>,
 *                  provider, first_seen, last_seen, modified_at, description, confidence },
 *     matched: { atomic, field, type: 'indicator_match_rule' } }
 *
 * IPs match exactly or by the longest listed network; domains match
 * themselves or any subdomain; URLs match exactly after normalizing scheme
 * and host; hashes match case-insensitively. No tag is added: the presence
 * of `threat.enrichments` is the signal (rules and dashboards test it), so
 * there is one place to look and nothing to keep in step.
 *
 * The same atomic value in a secondary field (`related.*`, `url.original`)
 * already matched through its primary field is not reported again.
 *
 * Reloading: every `reloadIntervalMs` the files' size, mtime and inode are
 * checked; on a change the whole set is loaded afresh and swapped in at once.
 * A file that no longer loads keeps the previous set, is logged once per
 * change and counted in `vigil_processor_indicator_reloads_total{outcome="failed"}`.
 * Loading is synchronous: a reload of a million indicators holds the
 * processor for a few seconds.
 */

import { statSync } from 'node:fs';
import type { Counter, Gauge } from 'prom-client';
import type { Logger } from '../../../core/log.ts';
import { RateLimitedLog } from '../../../core/rate-limited-log.ts';
import type { EcsEvent } from '../../event-builder.ts';
import { type FieldPath, fieldPath, getField, setField } from '../../pipeline/fields.ts';
import type { Enricher, EnricherContext } from '../enricher.ts';
import type { IndicatorsConfig } from './config.ts';
import { INDICATOR_TYPES, type IndicatorType } from './indicator.ts';
import type { IndicatorHit, IndicatorSet } from './indicator-set.ts';
import { loadIndicatorFiles } from './loader.ts';

type FieldKind = 'ip' | 'domain' | 'url' | 'hash';

interface MatchedField {
  name: string;
  path: FieldPath;
  kind: FieldKind;
  /** Holds copies of other fields' values (`related.*`): a value already matched is not reported again. */
  secondary: boolean;
}

function field(name: string, kind: FieldKind, secondary = false): MatchedField {
  return { name, path: fieldPath(name), kind, secondary };
}

/** The event fields matched, primary fields first. */
export const MATCHED_FIELDS: readonly MatchedField[] = [
  field('source.ip', 'ip'),
  field('destination.ip', 'ip'),
  field('client.ip', 'ip'),
  field('server.ip', 'ip'),
  field('host.ip', 'ip'),
  field('url.domain', 'domain'),
  field('destination.domain', 'domain'),
  field('source.domain', 'domain'),
  field('server.domain', 'domain'),
  field('dns.question.name', 'domain'),
  field('url.full', 'url'),
  field('file.hash.md5', 'hash'),
  field('file.hash.sha1', 'hash'),
  field('file.hash.sha256', 'hash'),
  field('process.hash.md5', 'hash'),
  field('process.hash.sha1', 'hash'),
  field('process.hash.sha256', 'hash'),
  field('url.original', 'url', true),
  field('related.ip', 'ip', true),
  field('related.hosts', 'domain', true),
  field('related.hash', 'hash', true),
];

const ENRICHMENTS = fieldPath('threat.enrichments');
/** Longer values are not looked up (no indicator is that long; bounds the work per event). */
const MAX_VALUE_LENGTH = 8192;

interface Counters {
  loaded: Gauge<'type'>;
  reloads: Counter<'outcome'>;
  matches: Counter<'type'>;
  failures: Counter;
}

/** Per event: what was found so far. */
interface EventMatches {
  enrichments: Record<string, unknown>[];
  /** `indicator\natomic` for any field, and `indicator\natomic\nfield`. */
  seen: Set<string>;
}

export class ThreatIntelEnricher implements Enricher {
  readonly name = 'threat_intel';
  readonly #files: readonly string[];
  readonly #maxEnrichments: number;
  readonly #reloadIntervalMs: number;
  readonly #logger: Logger;
  readonly #problems: RateLimitedLog;
  readonly #counters: Counters;
  #set: IndicatorSet;
  #empty: boolean;
  #signature: string;
  #lastError: string | undefined;
  #timer: NodeJS.Timeout | undefined;

  /** Loads the files now; a file that does not load is a VigilError naming it. */
  constructor(config: IndicatorsConfig, context: EnricherContext) {
    this.#files = [...config.files];
    this.#maxEnrichments = config.max_enrichments_per_event;
    this.#reloadIntervalMs = context.reloadIntervalMs;
    this.#logger = context.logger.child({ component: 'threat_intel' });
    this.#problems = new RateLimitedLog(this.#logger);
    const { metrics } = context;
    this.#counters = {
      loaded: metrics.gauge('vigil_processor_indicators', 'Threat-intel indicators loaded, by type.', [
        'type',
      ]),
      reloads: metrics.counter(
        'vigil_processor_indicator_reloads_total',
        'Reloads of the indicator files, by outcome (`ok`, or `failed`: the previous indicators stay).',
        ['outcome'],
      ),
      matches: metrics.counter(
        'vigil_processor_indicator_matches_total',
        'Event values that matched a threat-intel indicator, by indicator type.',
        ['type'],
      ),
      failures: metrics.counter(
        'vigil_processor_indicator_failures_total',
        'Events the threat-intel enricher could not examine (an internal error; the event goes on unchanged).',
      ),
    };
    this.#signature = this.#filesSignature();
    const { set } = loadIndicatorFiles(this.#files, this.#logger);
    this.#set = set;
    this.#empty = set.size === 0;
    this.#publishCounts();
  }

  /** The indicators in force. */
  get indicators(): IndicatorSet {
    return this.#set;
  }

  start(): void {
    if (this.#files.length === 0 || this.#reloadIntervalMs <= 0 || this.#timer) return;
    this.#timer = setInterval(() => this.check(), this.#reloadIntervalMs);
    this.#timer.unref();
  }

  close(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** Reloads when a file changed; returns whether a new set is in force. */
  check(): boolean {
    const signature = this.#filesSignature();
    if (signature === this.#signature) return false;
    this.#signature = signature;
    return this.reload();
  }

  /** Loads every file again and swaps the set in; a failure keeps the previous set. */
  reload(): boolean {
    try {
      const { set } = loadIndicatorFiles(this.#files, this.#logger);
      this.#set = set;
      this.#empty = set.size === 0;
      this.#lastError = undefined;
      this.#publishCounts();
      this.#counters.reloads.inc({ outcome: 'ok' });
      this.#logger.info({ indicators: set.counts() }, 'Threat-intel indicators reloaded.');
      return true;
    } catch (error) {
      this.#counters.reloads.inc({ outcome: 'failed' });
      const message = (error as Error).message;
      if (message !== this.#lastError) {
        this.#logger.error(
          { err: error },
          'The changed indicator files do not load; the previous indicators stay in force until the files are fixed.',
        );
      }
      this.#lastError = message;
      return false;
    }
  }

  enrich(event: EcsEvent): void {
    if (this.#empty) return;
    try {
      const set = this.#set;
      let found: EventMatches | undefined;
      for (const spec of MATCHED_FIELDS) {
        const value = getField(event, spec.path);
        if (value === undefined) continue;
        if (Array.isArray(value)) {
          for (const item of value) found = this.#match(set, item, spec, found);
        } else found = this.#match(set, value, spec, found);
      }
      if (found && found.enrichments.length > 0) {
        const existing = getField(event, ENRICHMENTS);
        if (Array.isArray(existing)) existing.push(...found.enrichments);
        else {
          const list = existing === undefined ? found.enrichments : [existing, ...found.enrichments];
          setField(event, ENRICHMENTS, list, false);
        }
      }
    } catch (error) {
      this.#counters.failures.inc();
      this.#problems.warn(
        'enrich',
        { err: error },
        'An event could not be matched against the threat-intel indicators; it goes on unchanged.',
      );
    }
  }

  #match(
    set: IndicatorSet,
    value: unknown,
    spec: MatchedField,
    found: EventMatches | undefined,
  ): EventMatches | undefined {
    if (typeof value !== 'string' || value.length === 0 || value.length > MAX_VALUE_LENGTH) return found;
    const hits = lookup(set, spec.kind, value);
    const first = hits[0];
    if (first === undefined) return found;
    const matches = found ?? { enrichments: [], seen: new Set<string>() };
    const key = `${first.value}\n${value}`;
    if (spec.secondary ? matches.seen.has(key) : matches.seen.has(`${key}\n${spec.name}`)) return matches;
    matches.seen.add(key);
    matches.seen.add(`${key}\n${spec.name}`);
    for (const hit of hits) {
      this.#counters.matches.inc({ type: hit.type });
      if (matches.enrichments.length < this.#maxEnrichments) {
        matches.enrichments.push(enrichment(hit, value, spec.name));
      }
    }
    return matches;
  }

  #publishCounts(): void {
    const counts = this.#set.counts();
    for (const type of INDICATOR_TYPES) this.#counters.loaded.set({ type }, counts[type]);
  }

  #filesSignature(): string {
    return this.#files
      .map((file) => {
        try {
          const stat = statSync(file);
          return `${file}:${stat.ino}:${stat.size}:${stat.mtimeMs}`;
        } catch {
          return `${file}:missing`;
        }
      })
      .join('\n');
  }
}

function lookup(set: IndicatorSet, kind: FieldKind, value: string): readonly IndicatorHit[] {
  if (kind === 'ip') return set.matchIp(value);
  if (kind === 'domain') return set.matchDomain(value);
  if (kind === 'url') return set.matchUrl(value);
  return set.matchHash(value);
}

/** One ECS `threat.enrichments` entry. */
function enrichment(hit: IndicatorHit, atomic: string, field: string): Record<string, unknown> {
  const indicator: Record<string, unknown> = { type: hit.type satisfies IndicatorType, name: hit.value };
  if (hit.ip !== undefined) indicator.ip = hit.ip;
  if (hit.type === 'domain-name') indicator.url = { domain: hit.value };
  if (hit.type === 'url') indicator.url = { full: hit.value };
  if (hit.hash !== undefined) indicator.file = { hash: { [hit.hash]: hit.value } };
  const { meta } = hit;
  indicator.provider = meta.provider;
  if (meta.first_seen !== undefined) indicator.first_seen = meta.first_seen;
  if (meta.last_seen !== undefined) indicator.last_seen = meta.last_seen;
  if (meta.modified_at !== undefined) indicator.modified_at = meta.modified_at;
  if (meta.description !== undefined) indicator.description = meta.description;
  if (meta.confidence !== undefined) indicator.confidence = meta.confidence;
  return { indicator, matched: { atomic, field, type: 'indicator_match_rule' } };
}

/**
 * Opens the enricher (synchronously): loads every configured file, so a
 * file that does not load stops the start with a VigilError naming it.
 * Call `start()` to begin checking the files for replacement.
 */
export function openThreatIntelEnricher(
  config: IndicatorsConfig,
  context: EnricherContext,
): ThreatIntelEnricher {
  return new ThreatIntelEnricher(config, context);
}
