/**
 * The `processor.indicators` section: which threat-intel indicator files the
 * processor loads, and how many matches one event may carry. The format of a
 * file follows from its name: `.csv` is CSV, `.json` is a STIX 2.1 bundle,
 * anything else is a plain list (README.md in this folder shows each).
 */
import { z } from 'zod';

export const indicatorsConfigSchema = z
  .strictObject({
    files: z
      .array(z.string().min(1))
      .default([])
      .describe(
        'Indicator files: *.csv is CSV, *.json a STIX 2.1 bundle, anything else a plain list; default none (no threat-intel matching).',
      ),
    max_enrichments_per_event: z
      .number()
      .int()
      .positive()
      .default(10)
      .describe(
        'Most threat.enrichments entries added to one event; further matches are counted only; default 10.',
      ),
  })
  .describe('Threat-intel indicators matched against event IPs, domains, URLs and file hashes.');

export type IndicatorsConfig = z.output<typeof indicatorsConfigSchema>;
