/**
 * Loads every configured indicator file into one new `IndicatorSet`. The
 * format follows from the name: `*.csv` CSV, `*.json` a STIX 2.1 bundle,
 * anything else a plain list. Each file gets one log line saying how many
 * indicators it gave and how many entries were skipped and why. A file that
 * cannot be read or parsed as a whole is a VigilError naming it; the caller
 * decides whether that stops the start or keeps the previous set.
 */
import { readFileSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { isVigilError, VigilError } from '../../../core/errors.ts';
import type { Logger } from '../../../core/log.ts';
import { loadCsv } from './csv-format.ts';
import { type IndicatorSet, IndicatorSetBuilder } from './indicator-set.ts';
import { LoadSummary } from './load-summary.ts';
import { loadPlainList } from './plain-format.ts';
import { loadStixBundle } from './stix-format.ts';

export type IndicatorFileFormat = 'plain' | 'csv' | 'stix';

export function formatOf(file: string): IndicatorFileFormat {
  const extension = extname(file).toLowerCase();
  if (extension === '.csv') return 'csv';
  if (extension === '.json') return 'stix';
  return 'plain';
}

export interface LoadedIndicators {
  set: IndicatorSet;
  summaries: Map<string, LoadSummary>;
}

export function loadIndicatorFiles(
  files: readonly string[],
  logger: Logger,
  now = Date.now(),
): LoadedIndicators {
  const builder = new IndicatorSetBuilder();
  const summaries = new Map<string, LoadSummary>();
  for (const file of files) {
    const summary = new LoadSummary();
    const format = formatOf(file);
    loadFile(file, format, builder, summary, now);
    summaries.set(file, summary);
    const skipped = summary.skippedTotal;
    const fields = {
      file,
      format,
      loaded: summary.loaded,
      skipped: summary.skipped,
      examples: summary.examples,
    };
    const message = `Indicator file ${file} loaded: ${summary.loaded} indicators, ${skipped} entries skipped.`;
    if (skipped > 0) logger.warn(fields, message);
    else logger.info(fields, message);
  }
  return { set: builder.build(), summaries };
}

function loadFile(
  file: string,
  format: IndicatorFileFormat,
  builder: IndicatorSetBuilder,
  summary: LoadSummary,
  now: number,
): void {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
    throw new VigilError(
      missing ? 'CONFIG_NOT_FOUND' : 'CONFIG_INVALID',
      missing
        ? `Indicator file ${file} does not exist.`
        : `Indicator file ${file} cannot be read: ${(error as Error).message}`,
      { cause: error, details: { file } },
    );
  }
  const provider = basename(file, extname(file));
  try {
    if (format === 'csv') loadCsv(bytes, builder, summary, provider, file);
    else if (format === 'stix') loadStixBundle(bytes, builder, summary, provider, file, now);
    else loadPlainList(bytes, builder, summary, provider);
  } catch (error) {
    if (isVigilError(error)) throw error;
    throw new VigilError(
      'CONFIG_INVALID',
      `Indicator file ${file} does not load: ${(error as Error).message}`,
      {
        cause: error,
        details: { file },
      },
    );
  }
}
