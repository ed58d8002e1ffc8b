import { ColumnDefinition, QuarantineReasonDefinition, SourceVariableDefinition, UnitConversion, WeatherVariableDefinition } from '../definitions';

// The contract's data tables. Every table and every object in it is frozen (deeply): the contract hands them out as
// public static arrays, and jsii has no read-only array type, so a caller's push or assignment throws instead of
// silently changing the contract for every construct of the app.

/** `value`, with every array and object reachable from it frozen. */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    for (const child of Object.values(value)) {
      deepFreeze(child);
    }
    Object.freeze(value);
  }
  return value;
}

const c = (name: string, dataType: string, comment: string): ColumnDefinition => ({ name, dataType, comment });
const unit = (label: string, scale = 1, offset = 0): UnitConversion => ({ label, scale, offset });

export const VARIABLES: WeatherVariableDefinition[] = deepFreeze([
  {
    apiName: 'temperature_2m',
    column: 'temperature_c',
    dataType: 'double',
    canonicalUnit: '°C',
    acceptedUnits: [unit('°C'), unit('°F', 5 / 9, -160 / 9)],
    minimum: -90,
    maximum: 60,
  },
  {
    apiName: 'relative_humidity_2m',
    column: 'relative_humidity_pct',
    dataType: 'double',
    canonicalUnit: '%',
    acceptedUnits: [unit('%')],
    minimum: 0,
    maximum: 100,
  },
  {
    apiName: 'precipitation',
    column: 'precipitation_mm',
    dataType: 'double',
    canonicalUnit: 'mm',
    acceptedUnits: [unit('mm'), unit('inch', 25.4)],
    minimum: 0,
    maximum: 500,
  },
  {
    apiName: 'wind_speed_10m',
    column: 'wind_speed_kmh',
    dataType: 'double',
    canonicalUnit: 'km/h',
    acceptedUnits: [unit('km/h'), unit('m/s', 3.6), unit('mp/h', 1.609344), unit('mph', 1.609344), unit('kn', 1.852)],
    minimum: 0,
    maximum: 500,
  },
  {
    apiName: 'wind_direction_10m',
    column: 'wind_direction_deg',
    dataType: 'double',
    canonicalUnit: '°',
    acceptedUnits: [unit('°')],
    minimum: 0,
    maximum: 360,
  },
  {
    apiName: 'surface_pressure',
    column: 'surface_pressure_hpa',
    dataType: 'double',
    canonicalUnit: 'hPa',
    acceptedUnits: [unit('hPa')],
    minimum: 300,
    maximum: 1100,
  },
  {
    apiName: 'cloud_cover',
    column: 'cloud_cover_pct',
    dataType: 'double',
    canonicalUnit: '%',
    acceptedUnits: [unit('%')],
    minimum: 0,
    maximum: 100,
  },
  {
    apiName: 'weather_code',
    column: 'weather_code',
    dataType: 'int',
    canonicalUnit: 'wmo code',
    acceptedUnits: [unit('wmo code')],
    minimum: 0,
    maximum: 99,
  },
]);

// Columns only some sources fill: their meaning differs from every variable above (docs/sources.md).
export const SOURCE_VARIABLES: SourceVariableDefinition[] = deepFreeze([
  {
    column: 'sea_level_pressure_hpa',
    dataType: 'double',
    canonicalUnit: 'hPa',
    acceptedUnits: [unit('hPa')],
    // Records: about 870 hPa (typhoon Tip) and 1084 hPa (Agata, Siberia).
    minimum: 850,
    maximum: 1100,
    description: 'Air pressure reduced to mean sea level, hPa (surface_pressure_hpa is the pressure at the ground: lower by about 1 hPa per 8 m of elevation)',
  },
  {
    column: 'precipitation_next_1h_mm',
    dataType: 'double',
    canonicalUnit: 'mm',
    acceptedUnits: [unit('mm')],
    minimum: 0,
    maximum: 500,
    description: 'Precipitation expected in the hour that starts at observed_at, mm (precipitation_mm is the hour that ends at observed_at)',
  },
]);

/** The provider's own weather code column: kept as sent, whatever `weather_code` it maps to. */
export const SYMBOL_CODE_COLUMN = 'symbol_code';

// What one hourly row says (the city's grid cell, the hour, its values) and where it came from: the hourly and staging
// tables share both.
const MEASURED_HOUR_COLUMNS: ColumnDefinition[] = [
  c('city_name', 'string', 'Display name of the city'),
  c('latitude', 'double', 'Latitude of the grid cell the API answered for, decimal degrees'),
  c('longitude', 'double', 'Longitude of the grid cell the API answered for, decimal degrees'),
  c('elevation', 'double', 'Elevation of the grid cell, metres'),
  c('observed_at', 'timestamp', 'Start of the hour the values describe, UTC'),
  ...VARIABLES.map((v) => c(v.column, v.dataType, `${v.apiName} in ${v.canonicalUnit}`)),
  ...SOURCE_VARIABLES.map((v) => c(v.column, v.dataType, v.description)),
  c(SYMBOL_CODE_COLUMN, 'string', 'The source\'s own weather symbol code as sent (MET Norway), null for sources that send WMO codes'),
  c('is_forecast', 'boolean', 'True when the hour was after the fetch time (a forecast, not an observation)'),
];

const ROW_PROVENANCE_COLUMNS: ColumnDefinition[] = [
  c('fetched_at', 'timestamp', 'When the API response was fetched, UTC'),
  c('processed_at', 'timestamp', 'When the ETL run processed the record, UTC'),
  c('run_id', 'string', 'ETL run that wrote the row'),
  c('source_key', 'string', 'Landing zone key of the raw response the row came from'),
];

export const HOURLY_COLUMNS: ColumnDefinition[] = deepFreeze([
  ...MEASURED_HOUR_COLUMNS,
  ...ROW_PROVENANCE_COLUMNS,
  c('source', 'string', 'Weather source of the row, the source= value of its landing key (e.g. open-meteo, met-norway)'),
]);

// With monthly partitions the day is no longer in the path: it is kept as a column, the last one.
export const DATE_COLUMN: ColumnDefinition = deepFreeze(c('date', 'string', 'UTC day of observed_at, yyyy-MM-dd (a partition key with daily partitions)'));

export const QUARANTINE_COLUMNS: ColumnDefinition[] = deepFreeze([
  c('reason', 'string', 'Quarantine reason code (see the contract reasons)'),
  c('detail', 'string', 'Human-readable explanation'),
  c('source_key', 'string', 'Landing zone key of the raw response'),
  c('city', 'string', 'City slug from the landing key, when it could be read'),
  c('city_name', 'string', 'City display name, when known'),
  c('observed_at_raw', 'string', 'The time value as the API sent it, when the record is one hour'),
  c('raw_values', 'string', 'The rejected values (or the start of the raw body) as JSON text'),
  c('fetched_at', 'timestamp', 'When the API response was fetched, UTC'),
  c('run_id', 'string', 'ETL run that quarantined the record'),
  c('quarantined_at', 'timestamp', 'When the record was quarantined, UTC'),
]);

export const QUARANTINE_REASONS: QuarantineReasonDefinition[] = deepFreeze([
  { code: 'EMPTY_FILE', description: 'The raw object is empty or only whitespace' },
  { code: 'MALFORMED_JSON', description: 'The raw object is not valid JSON (for example truncated)' },
  { code: 'API_ERROR', description: 'The body is an API error document ({"error": true, "reason": ...})' },
  { code: 'MISSING_HOURLY', description: 'The body has no usable hourly block (no `hourly` object or no `time` array; MET Norway: no `properties.timeseries` array)' },
  { code: 'LENGTH_MISMATCH', description: 'An hourly variable array is not as long as the `time` array' },
  { code: 'INVALID_KEY', description: 'The landing key does not follow the contract layout, so the city is unknown' },
  { code: 'UNKNOWN_UNIT', description: 'A variable arrived in a unit the contract cannot convert' },
  { code: 'UNPARSABLE_TIME', description: 'An hourly time value is neither ISO 8601 nor unix seconds' },
  { code: 'OUT_OF_RANGE', description: 'A value lies outside its physical range after unit conversion, is not a number, or has a fraction where the column holds whole numbers (the WMO code)' },
  { code: 'NO_MEASUREMENT', description: 'Every weather variable of the hour is null' },
  { code: 'CITY_NOT_CONFIGURED', description: 'The city of the landing key is not one of the configured cities the job was given' },
  { code: 'MISSING_INSTANT_DETAILS', description: 'A MET Norway time step has no `data.instant.details` object, so none of its instant values exist' },
  { code: 'UNKNOWN_SYMBOL_CODE', description: 'The source\'s weather symbol code is not in the contract\'s mapping table (docs/sources.md)' },
]);


// Staging: every validated hour of every fetch, typed, append-only (the forecast's history). The hourly values and
// provenance of the refined row, plus the source, the lead time and the batch the fetch came in.
export const STAGING_COLUMNS: ColumnDefinition[] = deepFreeze([
  c('source', 'string', 'Weather source of the fetch, the source= value of the landing key (e.g. open-meteo)'),
  ...MEASURED_HOUR_COLUMNS,
  c('lead_time_hours', 'double', 'Hours from the fetch to the start of the hour (observed_at - fetched_at): positive for a forecast, zero or negative for an hour already begun or past'),
  ...ROW_PROVENANCE_COLUMNS,
  c('batch_id', 'string', 'Ingestion batch of the fetch (from the landing key); a rerun of the batch replaces exactly its rows'),
]);

// Curated: one row per source, city and UTC day, recomputed from the refined hourly rows of that day.
export const DAILY_COLUMNS: ColumnDefinition[] = deepFreeze([
  c('source', 'string', 'Weather source of the hourly rows (the source= value of their landing key)'),
  c('city_name', 'string', 'Display name of the city'),
  c('day', 'date', 'UTC day the row summarizes'),
  c('temperature_min_c', 'double', 'Lowest hourly temperature_c of the day, °C'),
  c('temperature_max_c', 'double', 'Highest hourly temperature_c of the day, °C'),
  c('temperature_mean_c', 'double', 'Mean of the hourly temperature_c values present, °C'),
  c('precipitation_sum_mm', 'double', 'Sum of the hourly precipitation_mm values present, mm'),
  c('wind_speed_max_kmh', 'double', 'Highest hourly wind_speed_kmh of the day, km/h'),
  c('dominant_weather_code', 'int', 'Most frequent hourly WMO weather_code of the day (ties: the highest code)'),
  c('hours_present', 'int', 'Number of hourly rows the refined table holds for the day (24 when complete)'),
  c('is_complete', 'boolean', 'True when all 24 hours of the day are present'),
  c('has_forecast_hours', 'boolean', 'True while at least one hour of the day is still a forecast (is_forecast)'),
  c('processed_at', 'timestamp', 'When the ETL run computed the row, UTC'),
  c('run_id', 'string', 'ETL run that computed the row'),
]);
