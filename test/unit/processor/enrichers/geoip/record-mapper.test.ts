import { describe, expect, it } from 'vitest';
import { mapRecord } from '../../../../../processor/enrichers/geoip/record-mapper.ts';

describe('mapRecord', () => {
  it('reads the flat ip-location-db city shape, naming country and continent in English', () => {
    const record = {
      city: 'Lyon',
      country_code: 'FR',
      latitude: 45.75,
      longitude: 4.85,
      postcode: '69001',
      state1: 'Auvergne-Rhone-Alpes',
      timezone: 'Europe/Paris',
    };
    expect(mapRecord(record)).toEqual({
      geo: {
        continent_code: 'EU',
        continent_name: 'Europe',
        country_iso_code: 'FR',
        country_name: 'France',
        region_name: 'Auvergne-Rhone-Alpes',
        city_name: 'Lyon',
        postal_code: '69001',
        timezone: 'Europe/Paris',
        location: { lat: 45.75, lon: 4.85 },
      },
    });
  });

  it('leaves out a location outside the globe and values of the wrong type', () => {
    expect(mapRecord({ country_code: 'FR', latitude: 123, longitude: 4, city: 7 }).geo).toEqual({
      continent_code: 'EU',
      continent_name: 'Europe',
      country_iso_code: 'FR',
      country_name: 'France',
    });
  });

  it('reads the AS of ASN records and of Enterprise traits', () => {
    expect(mapRecord({ autonomous_system_number: 15169 })).toEqual({ as: { number: 15169 } });
    expect(
      mapRecord({ traits: { autonomous_system_number: 1, autonomous_system_organization: 'Org' } }).as,
    ).toEqual({ number: 1, organization: { name: 'Org' } });
  });

  it('gives nothing for a record without known fields', () => {
    expect(mapRecord({ ip: 'test' })).toEqual({});
  });
});
