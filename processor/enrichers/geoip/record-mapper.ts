/**
 * Turns one MMDB record into ECS `geo.*` and `as.*` values, in English.
 *
 * Two record shapes are read:
 * - MaxMind's (GeoIP2/GeoLite2 City, Country, Enterprise, ASN, ISP, and
 *   DB-IP's own .mmdb files): `country.iso_code`, `city.names.en`,
 *   `location.latitude`, `autonomous_system_number`, `traits.*`, …
 * - the flat one of ip-location-db (the embedded default): `country_code`,
 *   `city`, `state1`, `postcode`, `latitude`, `longitude`, `timezone`;
 *   country and continent names come from the country code.
 */

export interface GeoFields {
  continent_code?: string;
  continent_name?: string;
  country_iso_code?: string;
  country_name?: string;
  region_iso_code?: string;
  region_name?: string;
  city_name?: string;
  postal_code?: string;
  timezone?: string;
  location?: { lat: number; lon: number };
}

export interface AsFields {
  number: number;
  organization?: { name: string };
}

export interface GeoIpRecord {
  geo?: GeoFields;
  as?: AsFields;
}

type Data = Record<string, unknown>;

function obj(value: unknown): Data | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Data) : undefined;
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

function num(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

function english(value: unknown): string | undefined {
  return str(obj(obj(value)?.names)?.en);
}

/** Sets only the defined values, so an event never gets `undefined` fields. */
function assign<T extends object>(target: T, values: Partial<T>): T {
  for (const [key, value] of Object.entries(values)) {
    if (value !== undefined) (target as Record<string, unknown>)[key] = value;
  }
  return target;
}

function locationOf(lat: unknown, lon: unknown): { lat: number; lon: number } | undefined {
  const latitude = num(lat);
  const longitude = num(lon);
  if (latitude === undefined || longitude === undefined) return undefined;
  if (Math.abs(latitude) > 90 || Math.abs(longitude) > 180) return undefined;
  return { lat: latitude, lon: longitude };
}

function mapMaxMindGeo(record: Data): GeoFields | undefined {
  const country = obj(record.country);
  const countryCode = str(country?.iso_code);
  const continent = obj(record.continent);
  const location = obj(record.location);
  const subdivisions = record.subdivisions;
  const region = Array.isArray(subdivisions) ? obj(subdivisions[0]) : undefined;
  const regionCode = str(region?.iso_code);
  const geo = assign<GeoFields>(
    {},
    {
      continent_code: str(continent?.code),
      continent_name: english(continent),
      country_iso_code: countryCode,
      country_name: english(country),
      region_iso_code: countryCode && regionCode ? `${countryCode}-${regionCode}` : undefined,
      region_name: english(region),
      city_name: english(record.city),
      postal_code: str(obj(record.postal)?.code),
      timezone: str(location?.time_zone),
      location: locationOf(location?.latitude, location?.longitude),
    },
  );
  return Object.keys(geo).length > 0 ? geo : undefined;
}

function mapFlatGeo(record: Data): GeoFields | undefined {
  const countryCode = str(record.country_code)?.toUpperCase();
  if (!countryCode) return undefined;
  const continentCode = CONTINENT_OF_COUNTRY.get(countryCode);
  return assign<GeoFields>(
    {},
    {
      continent_code: continentCode,
      continent_name: continentCode ? CONTINENT_NAMES[continentCode] : undefined,
      country_iso_code: countryCode,
      country_name: countryName(countryCode),
      region_name: str(record.state1),
      city_name: str(record.city),
      postal_code: str(record.postcode),
      timezone: str(record.timezone),
      location: locationOf(record.latitude, record.longitude),
    },
  );
}

function mapAs(record: Data): AsFields | undefined {
  const traits = obj(record.traits);
  const number = num(record.autonomous_system_number) ?? num(traits?.autonomous_system_number);
  if (number === undefined) return undefined;
  const name = str(record.autonomous_system_organization) ?? str(traits?.autonomous_system_organization);
  return name === undefined ? { number } : { number, organization: { name } };
}

/** Maps a decoded record; fields it does not know are ignored. */
export function mapRecord(record: Data): GeoIpRecord {
  const geo = typeof record.country_code === 'string' ? mapFlatGeo(record) : mapMaxMindGeo(record);
  const as = mapAs(record);
  const result: GeoIpRecord = {};
  if (geo) result.geo = geo;
  if (as) result.as = as;
  return result;
}

const regionNames = new Intl.DisplayNames(['en'], { type: 'region', fallback: 'none' });

function countryName(code: string): string | undefined {
  if (!/^[A-Z]{2}$/.test(code)) return undefined;
  try {
    return regionNames.of(code);
  } catch {
    return undefined;
  }
}

const CONTINENT_NAMES: Record<string, string> = {
  AF: 'Africa',
  AN: 'Antarctica',
  AS: 'Asia',
  EU: 'Europe',
  NA: 'North America',
  OC: 'Oceania',
  SA: 'South America',
};

/** Continent of each ISO 3166-1 country, as GeoNames (and so MaxMind) assign them. */
const CONTINENT_OF_COUNTRY: ReadonlyMap<string, string> = new Map(
  Object.entries({
    AF: 'AO BF BI BJ BW CD CF CG CI CM CV DJ DZ EG EH ER ET GA GH GM GN GQ GW KE KM LR LS LY MA MG ML MR MU MW MZ NA NE NG RE RW SC SD SH SL SN SO SS ST SZ TD TG TN TZ UG YT ZA ZM ZW',
    AN: 'AQ BV GS HM TF',
    AS: 'AE AF AM AZ BD BH BN BT CC CN CX GE HK ID IL IN IO IQ IR JO JP KG KH KP KR KW KZ LA LB LK MM MN MO MV MY NP OM PH PK PS QA SA SG SY TH TJ TL TM TR TW UZ VN YE',
    EU: 'AD AL AT AX BA BE BG BY CH CY CZ DE DK EE ES FI FO FR GB GG GI GR HR HU IE IM IS IT JE LI LT LU LV MC MD ME MK MT NL NO PL PT RO RS RU SE SI SJ SK SM UA VA XK',
    NA: 'AG AI AW BB BL BM BQ BS BZ CA CR CU CW DM DO GD GL GP GT HN HT JM KN KY LC MF MQ MS MX NI PA PM PR SV SX TC TT US VC VG VI',
    OC: 'AS AU CK FJ FM GU KI MH MP NC NF NR NU NZ PF PG PN PW SB TK TO TV UM VU WF WS',
    SA: 'AR BO BR CL CO EC FK GF GY PE PY SR UY VE',
  }).flatMap(([continent, countries]) =>
    countries.split(' ').map((country) => [country, continent] as const),
  ),
);
