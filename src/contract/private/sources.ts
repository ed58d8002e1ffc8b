import { SourceDefinition, SourceFieldMapping, SymbolCodeMapping } from '../definitions';
import { deepFreeze, SYMBOL_CODE_COLUMN, VARIABLES } from './tables';

// The weather sources the contract knows, and the columns only some of them fill. The ETL reads all of this from
// the contract document; docs/sources.md is the same mapping as a table for people.

export const LANDING_RAW_ROOT = 'weather/raw/';
export const OPEN_METEO = 'open-meteo';
export const MET_NORWAY = 'met-norway';

const metField = (column: string, path: string, unitKey?: string, labels: Array<[string, string]> = []): SourceFieldMapping => ({
  column,
  path,
  ...(unitKey !== undefined ? { unitKey } : {}),
  ...(labels.length > 0 ? { unitLabels: labels.map(([providerLabel, contractLabel]) => ({ providerLabel, contractLabel })) } : {}),
});

// MET Norway's symbol codes (without the _day/_night/_polartwilight suffix) and the WMO code of Open-Meteo's subset
// with the same meaning. Left without one: sleet (WMO 68/69 are not in the subset), moderate snow showers (the subset
// has only slight 85 and heavy 86) and heavy thunder (95 is "slight or moderate"; 96/99 mean hail).
const SYMBOLS: Array<[string, number | undefined]> = [
  ['clearsky', 0], ['fair', 1], ['partlycloudy', 2], ['cloudy', 3], ['fog', 45],
  ['lightrain', 61], ['rain', 63], ['heavyrain', 65],
  ['lightrainshowers', 80], ['rainshowers', 81], ['heavyrainshowers', 82],
  ['lightsnow', 71], ['snow', 73], ['heavysnow', 75],
  ['lightsnowshowers', 85], ['snowshowers', undefined], ['heavysnowshowers', 86],
  ['lightsleet', undefined], ['sleet', undefined], ['heavysleet', undefined],
  ['lightsleetshowers', undefined], ['sleetshowers', undefined], ['heavysleetshowers', undefined],
  ['lightrainandthunder', 95], ['rainandthunder', 95], ['heavyrainandthunder', undefined],
  ['lightrainshowersandthunder', 95], ['rainshowersandthunder', 95], ['heavyrainshowersandthunder', undefined],
  ['lightsleetandthunder', 95], ['sleetandthunder', 95], ['heavysleetandthunder', undefined],
  // MET Norway spells these two "lights…" in its symbol list.
  ['lightssleetshowersandthunder', 95], ['sleetshowersandthunder', 95], ['heavysleetshowersandthunder', undefined],
  ['lightsnowandthunder', 95], ['snowandthunder', 95], ['heavysnowandthunder', undefined],
  ['lightssnowshowersandthunder', 95], ['snowshowersandthunder', 95], ['heavysnowshowersandthunder', undefined],
];

const symbolCodes: SymbolCodeMapping[] = SYMBOLS.map(([symbolCode, weatherCode]) => ({
  symbolCode,
  ...(weatherCode !== undefined ? { weatherCode } : {}),
}));

export const SOURCES: SourceDefinition[] = deepFreeze([
  {
    id: OPEN_METEO,
    name: 'Open-Meteo Forecast API',
    rawPrefix: `${LANDING_RAW_ROOT}source=${OPEN_METEO}/`,
    responseFormat: 'OPEN_METEO_HOURLY_ARRAYS',
    attribution: 'Weather data by Open-Meteo.com (CC BY 4.0)',
    fields: VARIABLES.map((v) => ({ column: v.column, path: `hourly.${v.apiName}`, unitKey: v.apiName })),
    symbolCodes: [],
  },
  {
    id: MET_NORWAY,
    name: 'MET Norway Locationforecast 2.0',
    rawPrefix: `${LANDING_RAW_ROOT}source=${MET_NORWAY}/`,
    responseFormat: 'MET_NORWAY_TIMESERIES',
    attribution: 'Data from MET Norway (the Norwegian Meteorological Institute), CC BY 4.0',
    fields: [
      metField('temperature_c', 'data.instant.details.air_temperature', 'air_temperature', [['celsius', '°C']]),
      metField('relative_humidity_pct', 'data.instant.details.relative_humidity', 'relative_humidity', [['%', '%']]),
      metField('wind_speed_kmh', 'data.instant.details.wind_speed', 'wind_speed', [['m/s', 'm/s']]),
      metField('wind_direction_deg', 'data.instant.details.wind_from_direction', 'wind_from_direction', [['degrees', '°']]),
      metField('cloud_cover_pct', 'data.instant.details.cloud_area_fraction', 'cloud_area_fraction', [['%', '%']]),
      metField('sea_level_pressure_hpa', 'data.instant.details.air_pressure_at_sea_level', 'air_pressure_at_sea_level', [['hPa', 'hPa']]),
      metField('precipitation_next_1h_mm', 'data.next_1_hours.details.precipitation_amount', 'precipitation_amount', [['mm', 'mm']]),
      metField(SYMBOL_CODE_COLUMN, 'data.next_1_hours.summary.symbol_code'),
    ],
    symbolCodes,
  },
]);

export const DEFAULT_SOURCES: string[] = deepFreeze([OPEN_METEO]);
