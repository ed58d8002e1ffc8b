import { ColumnDefinition } from '../../contract/definitions';

// The curated daily table as the team agreed it for issue 18 (one row per source, city and UTC day; partitioned
// like the hourly table). The one place the QuickSight construct reads it from: once the contract defines the daily
// table (and IAthenaCatalog its name), these three read from there.

/** Name of the daily table in the catalog's database. */
export const DAILY_TABLE_NAME = 'daily';

/** Prefix of the daily table in the refined bucket. */
export const DAILY_PREFIX = 'weather/daily/';

const c = (name: string, dataType: string, comment: string): ColumnDefinition => ({ name, dataType, comment });

/** Columns of the daily table, partition keys excluded. */
export const DAILY_COLUMNS: ColumnDefinition[] = [
  c('source', 'string', 'Weather source (the landing key\'s source= value)'),
  c('city_name', 'string', 'Display name of the city'),
  c('day', 'date', 'UTC day'),
  c('temperature_min_c', 'double', 'Lowest hourly temperature of the day, °C'),
  c('temperature_max_c', 'double', 'Highest hourly temperature of the day, °C'),
  c('temperature_mean_c', 'double', 'Mean hourly temperature of the day, °C'),
  c('precipitation_sum_mm', 'double', 'Precipitation over the day, mm'),
  c('wind_speed_max_kmh', 'double', 'Highest hourly wind speed of the day, km/h'),
  c('dominant_weather_code', 'int', 'Most frequent WMO weather code of the day'),
  c('hours_present', 'int', 'Hours of the day with a refined row'),
  c('is_complete', 'boolean', 'True when all 24 hours are present'),
  c('has_forecast_hours', 'boolean', 'True when some hours are still forecasts'),
  c('processed_at', 'timestamp', 'When the ETL run computed the row, UTC'),
  c('run_id', 'string', 'ETL run that wrote the row'),
];
