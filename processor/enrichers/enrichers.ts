/**
 * Opens the processor's enrichers from its configuration, in the order they
 * run on each event: GeoIP, then asset context, then threat intel (so an
 * indicator match can be read next to the geo and asset fields of the same
 * addresses). Data files are loaded here, so a broken one stops the start
 * with an error naming it; the modules are imported only when configured
 * (GeoIP always is: its embedded database works without configuration).
 */
import type { ProcessorConfig } from '../../core/config/schema.ts';
import type { Enricher, EnricherContext } from './enricher.ts';

export async function openEnrichers(config: ProcessorConfig, context: EnricherContext): Promise<Enricher[]> {
  const enrichers: Enricher[] = [];
  try {
    const { openGeoIpEnricher } = await import('./geoip/geoip-enricher.ts');
    enrichers.push(await openGeoIpEnricher(config.geoip, context));
    if (config.assets !== undefined && config.assets.files.length > 0) {
      const { openAssetEnricher } = await import('./asset/asset-enricher.ts');
      enrichers.push(await openAssetEnricher(config.assets, context));
    }
    if (config.indicators !== undefined && config.indicators.files.length > 0) {
      const { openThreatIntelEnricher } = await import('./threat-intel/threat-intel-enricher.ts');
      enrichers.push(openThreatIntelEnricher(config.indicators, context));
    }
  } catch (error) {
    for (const enricher of enrichers) await enricher.close();
    throw error;
  }
  return enrichers;
}
