/**
 * The `processor.geoip` section. Kept apart from the enricher so that loading
 * the configuration does not load the MMDB reader.
 */
import { z } from 'zod';

const fieldSchema = z
  .strictObject({
    ip: z.string().min(1).describe('Field holding the address, e.g. observer.ip.'),
    target: z
      .string()
      .min(1)
      .optional()
      .describe('Object that receives geo and as, e.g. observer; default: the ip field without its ".ip".'),
  })
  .refine((field) => field.target !== undefined || /.\.ip$/.test(field.ip), {
    message: 'target is required when ip does not end in ".ip"',
    path: ['target'],
  })
  .describe('An extra address field to enrich.');

export const geoipConfigSchema = z
  .strictObject({
    city_db: z
      .string()
      .min(1)
      .optional()
      .describe(
        'City (or Enterprise) .mmdb file, e.g. GeoLite2-City.mmdb or dbip-city-lite.mmdb; no default.',
      ),
    country_db: z
      .string()
      .min(1)
      .optional()
      .describe(
        'Country .mmdb file, used where the city database has no record or none is given; no default.',
      ),
    asn_db: z
      .string()
      .min(1)
      .optional()
      .describe('ASN (or ISP) .mmdb file, e.g. GeoLite2-ASN.mmdb or dbip-asn-lite.mmdb; no default.'),
    fields: z
      .array(fieldSchema)
      .default([])
      .describe(
        'Address fields enriched besides source.ip, destination.ip, client.ip and server.ip; default none.',
      ),
    cache_size: z
      .number()
      .int()
      .min(0)
      .default(10_000)
      .describe(
        'Addresses whose lookup results are kept in memory (LRU); 0 turns the cache off; default 10000.',
      ),
    default_database: z
      .boolean()
      .default(true)
      .describe(
        'Use the embedded DB-IP Lite country database (CC BY 4.0) when neither city_db nor country_db is given; default true.',
      ),
  })
  .describe('GeoIP and AS enrichment of address fields from MaxMind DB (.mmdb) files.');

export type GeoIpConfig = z.output<typeof geoipConfigSchema>;
export type GeoIpConfigInput = z.input<typeof geoipConfigSchema>;
