/**
 * The `processor.assets` section of vigil.yaml:
 *
 *   processor:
 *     assets:
 *       files: [/etc/vigil/assets/servers.csv, /etc/vigil/assets/networks.yaml]
 *       short_names: true
 *
 * How often the files are checked for replacement is the processor's
 * `reload_interval_ms`.
 */
import { z } from 'zod';

export const assetConfigSchema = z
  .strictObject({
    files: z
      .array(z.string().min(1))
      .default([])
      .describe(
        'Asset inventory files (.csv, .json, .yaml or .yml) mapping IPs, networks and host names to asset context; default none.',
      ),
    short_names: z
      .boolean()
      .default(true)
      .describe(
        'Let a short host name match a full one by its first label and back (web01 ↔ web01.corp.example); default true.',
      ),
  })
  .describe('Asset context: adds source/destination/client/server/host.asset.* from inventory files.');

/**
 * What openAssetEnricher needs: the parsed section, or a configuration
 * without the optional keys (their defaults apply).
 */
export interface AssetConfig {
  files: readonly string[];
  short_names?: boolean;
}
