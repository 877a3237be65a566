import { describe, expect, it } from 'vitest';
import { indicatorsConfigSchema } from '../../../../../processor/enrichers/threat-intel/config.ts';

describe('processor.indicators', () => {
  it('defaults to no files and ten enrichments per event', () => {
    expect(indicatorsConfigSchema.parse({})).toEqual({ files: [], max_enrichments_per_event: 10 });
  });

  it('refuses unknown keys, empty file names and a zero limit', () => {
    expect(indicatorsConfigSchema.safeParse({ file: ['a.txt'] }).success).toBe(false);
    expect(indicatorsConfigSchema.safeParse({ files: [''] }).success).toBe(false);
    expect(indicatorsConfigSchema.safeParse({ max_enrichments_per_event: 0 }).success).toBe(false);
  });

  it('describes every option with its default', () => {
    for (const option of Object.values(indicatorsConfigSchema.shape)) {
      expect(option.description).toMatch(/default/);
    }
  });
});
