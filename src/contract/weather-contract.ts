import { City } from './city';

/**
 * One column of a table in the data lake.
 */
export interface ColumnDefinition {
  /** Column name, lowercase snake_case. */
  readonly name: string;
  /** Glue / Hive data type (`string`, `double`, `int`, `boolean`, `timestamp`). */
  readonly dataType: string;
  /** What the column holds, shown in the Glue Data Catalog. */
  readonly comment: string;
}

/**
 * A unit label the weather API may send for a variable, and how to convert it to the canonical unit.
 *
 * `canonical = value * scale + offset`.
 */
export interface UnitConversion {
  /** The label exactly as the API writes it in `hourly_units` (e.g. `°F`, `mp/h`). */
  readonly label: string;
  /** Multiplier applied first. */
  readonly scale: number;
  /** Added after scaling. */
  readonly offset: number;
}

/**
 * An hourly weather variable: its API name, refined column, canonical unit, accepted units and physical range.
 */
export interface WeatherVariableDefinition {
  /** Name of the hourly variable in the Open-Meteo API (e.g. `temperature_2m`). */
  readonly apiName: string;
  /** Refined column that holds it, in the canonical unit (e.g. `temperature_c`). */
  readonly column: string;
  /** Glue / Hive type of the refined column. */
  readonly dataType: string;
  /** Canonical unit of the refined column. */
  readonly canonicalUnit: string;
  /** Unit labels accepted from the API; any other label quarantines the record with `UNKNOWN_UNIT`. */
  readonly acceptedUnits: UnitConversion[];
  /** Smallest physically plausible value, in the canonical unit (inclusive). */
  readonly minimum: number;
  /** Largest physically plausible value, in the canonical unit (inclusive). */
  readonly maximum: number;
}

/**
 * Why a record was quarantined instead of refined.
 */
export interface QuarantineReasonDefinition {
  /** Stable code stored in the `reason` column. */
  readonly code: string;
  /** What the code means. */
  readonly description: string;
}

/**
 * How coarse the partitions of the refined hourly table are. One setting, on `RefinedLake` (or
 * `WeatherPipeline`): the ETL job and the Athena catalog built on the refined lake's bucket follow it.
 */
export enum PartitionGranularity {
  /**
   * One partition per UTC day and city: `date=yyyy-MM-dd/city=<slug>/` (24 rows per file for hourly data).
   * The default.
   */
  DAY = 'DAY',

  /**
   * One partition per UTC month and city: `month=yyyy-MM/city=<slug>/`, with `date` (`yyyy-MM-dd`) kept as an
   * ordinary column to filter on. About 30 times fewer, larger files: cheaper and faster to query, at the price
   * of rewriting the month's file of a city on each run.
   */
  MONTH = 'MONTH',
}

const SLUG_PATTERN = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
const BATCH_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const DATE_PATTERN = /^\d{4}-\d{2}-\d{2}$/;

// Letters that Unicode decomposition does not fold to ASCII.
const SPECIAL_FOLDS: Record<string, string> = {
  ß: 'ss', æ: 'ae', œ: 'oe', ø: 'o', ł: 'l', đ: 'd', ð: 'd', þ: 'th', ı: 'i', ħ: 'h',
};

const c = (name: string, dataType: string, comment: string): ColumnDefinition => ({ name, dataType, comment });
const unit = (label: string, scale = 1, offset = 0): UnitConversion => ({ label, scale, offset });

const VARIABLES: WeatherVariableDefinition[] = [
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
];

const HOURLY_COLUMNS: ColumnDefinition[] = [
  c('city_name', 'string', 'Display name of the city'),
  c('latitude', 'double', 'Latitude of the grid cell the API answered for, decimal degrees'),
  c('longitude', 'double', 'Longitude of the grid cell the API answered for, decimal degrees'),
  c('elevation', 'double', 'Elevation of the grid cell, metres'),
  c('observed_at', 'timestamp', 'Start of the hour the values describe, UTC'),
  ...VARIABLES.map((v) => c(v.column, v.dataType, `${v.apiName} in ${v.canonicalUnit}`)),
  c('is_forecast', 'boolean', 'True when the hour was after the fetch time (a forecast, not an observation)'),
  c('fetched_at', 'timestamp', 'When the API response was fetched, UTC'),
  c('processed_at', 'timestamp', 'When the ETL run processed the record, UTC'),
  c('run_id', 'string', 'ETL run that wrote the row'),
  c('source_key', 'string', 'Landing zone key of the raw response the row came from'),
];

// With monthly partitions the day is no longer in the path: it is kept as a column, the last one.
const DATE_COLUMN: ColumnDefinition = c('date', 'string', 'UTC day of observed_at, yyyy-MM-dd (a partition key with daily partitions)');

const QUARANTINE_COLUMNS: ColumnDefinition[] = [
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
];

const QUARANTINE_REASONS: QuarantineReasonDefinition[] = [
  { code: 'EMPTY_FILE', description: 'The raw object is empty or only whitespace' },
  { code: 'MALFORMED_JSON', description: 'The raw object is not valid JSON (for example truncated)' },
  { code: 'API_ERROR', description: 'The body is an API error document ({"error": true, "reason": ...})' },
  { code: 'MISSING_HOURLY', description: 'The body has no usable hourly block (no `hourly` object or no `time` array)' },
  { code: 'LENGTH_MISMATCH', description: 'An hourly variable array is not as long as the `time` array' },
  { code: 'INVALID_KEY', description: 'The landing key does not follow the contract layout, so the city is unknown' },
  { code: 'UNKNOWN_UNIT', description: 'A variable arrived in a unit the contract cannot convert' },
  { code: 'UNPARSABLE_TIME', description: 'An hourly time value is neither ISO 8601 nor unix seconds' },
  { code: 'OUT_OF_RANGE', description: 'A value lies outside its physical range after unit conversion, is not a number, or has a fraction where the column holds whole numbers (the WMO code)' },
  { code: 'NO_MEASUREMENT', description: 'Every weather variable of the hour is null' },
  { code: 'CITY_NOT_CONFIGURED', description: 'The city of the landing key is not one of the configured cities the job was given' },
];

/**
 * The data contract of the weather lake: key layouts, partitioning, schemas, units and the city slug rule.
 *
 * It is defined once here and drives everything that depends on it: the ingestion keys, the Glue job
 * arguments, the Athena columns and partition projection. `toJson()` hands the same facts to the PySpark
 * script.
 */
export class WeatherContract {
  /** Version of the contract document; bumped on any incompatible change. */
  public static readonly VERSION = 1;

  /** The weather source recorded in landing keys. */
  public static readonly SOURCE = 'open-meteo';

  /** Landing prefix holding the raw API responses. */
  public static readonly LANDING_RAW_PREFIX = 'weather/raw/source=open-meteo/';

  /** Landing prefix holding one manifest per ingestion batch. */
  public static readonly LANDING_MANIFEST_PREFIX = 'weather/manifests/';

  /** Refined prefix of the hourly Parquet table. */
  public static readonly REFINED_HOURLY_PREFIX = 'weather/hourly/';

  /** Refined prefix of quarantined records (Parquet, partitioned by `date`). */
  public static readonly QUARANTINE_PREFIX = 'weather/quarantine/';

  /** Refined prefix of the per-run summaries (JSON, partitioned by `date`). */
  public static readonly RUN_SUMMARY_PREFIX = 'weather/run-summaries/';

  /**
   * Partition keys of the hourly table with the default daily partitions, in key order: `date` (UTC
   * `yyyy-MM-dd`) then `city` (slug). See `hourlyPartitionKeys()` for monthly partitions.
   */
  public static readonly PARTITION_KEYS: string[] = ['date', 'city'];

  /** Partition keys of the hourly table with monthly partitions, in key order: `month` (UTC `yyyy-MM`) then `city`. */
  public static readonly MONTHLY_PARTITION_KEYS: string[] = ['month', 'city'];

  /** The partition granularity of the hourly table when none is chosen: `PartitionGranularity.DAY`. */
  public static readonly DEFAULT_PARTITION_GRANULARITY: PartitionGranularity = PartitionGranularity.DAY;

  /** Partition keys of the quarantine table: `date`, the ingestion date of the raw object. */
  public static readonly QUARANTINE_PARTITION_KEYS: string[] = ['date'];

  /** Format of the `date` partition values (Java date format, as Athena projection expects). */
  public static readonly DATE_FORMAT = 'yyyy-MM-dd';

  /** Format of the `month` partition values with monthly partitions (Java date format). */
  public static readonly MONTH_FORMAT = 'yyyy-MM';

  /** Regular expression every city slug matches. */
  public static readonly SLUG_PATTERN = SLUG_PATTERN.source;

  /** Regular expression every ingestion batch id matches (it is part of S3 keys and execution names). */
  public static readonly BATCH_ID_PATTERN = BATCH_ID_PATTERN.source;

  /**
   * S3 user metadata keys (without `x-amz-meta-`) that carry provenance on every raw object.
   * Values are URI-encoded so that non-ASCII city names survive HTTP headers.
   */
  public static readonly RAW_METADATA_KEYS: string[] = ['city-name', 'city-slug', 'latitude', 'longitude', 'timezone', 'request-url', 'fetched-at', 'batch-id'];

  /** The hourly variables requested from the API and refined into columns. */
  public static readonly VARIABLES: WeatherVariableDefinition[] = VARIABLES;

  /**
   * Columns of the refined hourly table with the default daily partitions (partition columns excluded).
   * See `hourlyColumns()` for monthly partitions, which add `date`.
   */
  public static readonly HOURLY_COLUMNS: ColumnDefinition[] = HOURLY_COLUMNS;

  /** Columns of the quarantine table (partition columns excluded). */
  public static readonly QUARANTINE_COLUMNS: ColumnDefinition[] = QUARANTINE_COLUMNS;

  /** Every reason a record can be quarantined for. */
  public static readonly QUARANTINE_REASONS: QuarantineReasonDefinition[] = QUARANTINE_REASONS;

  /**
   * The city slug rule: lowercase ASCII, accents folded, `[a-z0-9-]` only.
   *
   * `Saint-Étienne` → `saint-etienne`, `São Paulo` → `sao-paulo`, `Kraków` → `krakow`.
   * Returns an empty string when nothing of the name survives (e.g. `東京`).
   */
  public static slugify(name: string): string {
    return name
      .normalize('NFKD')
      .replace(/\p{M}/gu, '')
      .toLowerCase()
      .replace(/[ßæœøłđðþıħ]/g, (ch) => SPECIAL_FOLDS[ch])
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '');
  }

  /** The slug of a city: its explicit `slug`, or `slugify(name)`. */
  public static slugOf(city: City): string {
    return city.slug ?? WeatherContract.slugify(city.name);
  }

  /**
   * Checks a city list and throws an `Error` naming the city and the bad value.
   *
   * Rules: at least one city; a non-empty name; a slug matching `SLUG_PATTERN`; slugs unique;
   * latitude in [-90, 90]; longitude in [-180, 180]. Values that are unresolved tokens are not checked.
   *
   * @param cities the cities to check
   * @param propName the prop name used in error messages
   */
  public static validateCities(cities: City[], propName?: string): void {
    const prop = propName ?? 'cities';
    if (!Array.isArray(cities) || cities.length === 0) {
      throw new Error(`${prop} must list at least one city, got ${JSON.stringify(cities ?? null)}`);
    }
    const seen = new Map<string, string>();
    cities.forEach((city, index) => {
      const label = `${prop}[${index}]`;
      if (typeof city.name !== 'string' || city.name.trim() === '') {
        throw new Error(`${label}: city name must be a non-empty string, got ${JSON.stringify(city.name ?? null)}`);
      }
      const who = `${label} "${city.name}"`;
      checkCoordinate(who, 'latitude', city.latitude, 90);
      checkCoordinate(who, 'longitude', city.longitude, 180);
      const slug = WeatherContract.slugOf(city);
      if (!SLUG_PATTERN.test(slug)) {
        throw new Error(city.slug === undefined
          ? `${who}: the name yields the slug "${slug}", which does not match ${SLUG_PATTERN.source}; set an explicit slug`
          : `${who}: slug "${slug}" does not match ${SLUG_PATTERN.source}`);
      }
      const previous = seen.get(slug);
      if (previous !== undefined) {
        throw new Error(`${who}: slug "${slug}" is already used by ${previous}; city slugs must be unique (set an explicit slug)`);
      }
      seen.set(slug, who);
    });
  }

  /**
   * The landing key of one raw API response.
   *
   * @param ingestDate UTC date of the ingestion batch, `yyyy-MM-dd`
   * @param citySlug the city slug
   * @param batchId the ingestion batch id
   */
  public static rawKey(ingestDate: string, citySlug: string, batchId: string): string {
    checkDate(ingestDate);
    checkSlug(citySlug);
    checkBatchId(batchId);
    return `${WeatherContract.LANDING_RAW_PREFIX}ingest_date=${ingestDate}/city=${citySlug}/${batchId}.json`;
  }

  /**
   * The batch id of a scheduled ingestion (and so the run id and execution name of a scheduled pipeline run): the
   * scheduled time in ISO 8601 basic format, to the second (`2026-05-07T06:30:00.000Z` → `20260507T063000Z`).
   *
   * @param scheduledTime an ISO 8601 time
   */
  public static scheduledBatchId(scheduledTime: string): string {
    const time = new Date(scheduledTime);
    if (typeof scheduledTime !== 'string' || Number.isNaN(time.getTime())) {
      throw new Error(`scheduledTime must be an ISO 8601 time, got ${JSON.stringify(scheduledTime)}`);
    }
    return time.toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/[-:]/g, '');
  }

  /**
   * The landing key of an ingestion batch manifest.
   *
   * @param ingestDate UTC date of the ingestion batch, `yyyy-MM-dd`
   * @param batchId the ingestion batch id
   */
  public static manifestKey(ingestDate: string, batchId: string): string {
    checkDate(ingestDate);
    checkBatchId(batchId);
    return `${WeatherContract.LANDING_MANIFEST_PREFIX}ingest_date=${ingestDate}/${batchId}.json`;
  }

  /**
   * Partition keys of the hourly table, in key order: `date`, `city` for `DAY`; `month`, `city` for `MONTH`.
   *
   * @param granularity the partition granularity (default `PartitionGranularity.DAY`)
   */
  public static hourlyPartitionKeys(granularity?: PartitionGranularity): string[] {
    return checkGranularity(granularity) === PartitionGranularity.MONTH
      ? [...WeatherContract.MONTHLY_PARTITION_KEYS]
      : [...WeatherContract.PARTITION_KEYS];
  }

  /**
   * Columns of the refined hourly table (partition columns excluded): `HOURLY_COLUMNS`, plus `date` last for
   * `MONTH` (the day is then a column, no longer a partition key).
   *
   * @param granularity the partition granularity (default `PartitionGranularity.DAY`)
   */
  public static hourlyColumns(granularity?: PartitionGranularity): ColumnDefinition[] {
    return checkGranularity(granularity) === PartitionGranularity.MONTH
      ? [...HOURLY_COLUMNS, DATE_COLUMN]
      : [...HOURLY_COLUMNS];
  }

  /**
   * The refined prefix of the hourly partition holding a city's day (ends with `/`):
   * `weather/hourly/date=2026-05-07/city=nice/`, or `weather/hourly/month=2026-05/city=nice/` for `MONTH`.
   *
   * @param date UTC date, `yyyy-MM-dd`
   * @param citySlug the city slug
   * @param granularity the partition granularity (default `PartitionGranularity.DAY`)
   */
  public static hourlyPartitionPrefix(date: string, citySlug: string, granularity?: PartitionGranularity): string {
    checkDate(date);
    checkSlug(citySlug);
    const partition = checkGranularity(granularity) === PartitionGranularity.MONTH ? `month=${date.slice(0, 7)}` : `date=${date}`;
    return `${WeatherContract.REFINED_HOURLY_PREFIX}${partition}/city=${citySlug}/`;
  }

  /**
   * The hourly table's location template for Athena partition projection, relative to the bucket:
   * `weather/hourly/date=${date}/city=${city}/`, or `weather/hourly/month=${month}/city=${city}/` for `MONTH`.
   *
   * @param granularity the partition granularity (default `PartitionGranularity.DAY`)
   */
  public static hourlyLocationTemplate(granularity?: PartitionGranularity): string {
    return `${WeatherContract.REFINED_HOURLY_PREFIX}${WeatherContract.hourlyPartitionKeys(granularity).map((k) => `${k}=\${${k}}`).join('/')}/`;
  }

  /**
   * The quarantine table's location template for Athena partition projection, relative to the bucket.
   */
  public static quarantineLocationTemplate(): string {
    return `${WeatherContract.QUARANTINE_PREFIX}${WeatherContract.QUARANTINE_PARTITION_KEYS.map((k) => `${k}=\${${k}}`).join('/')}/`;
  }

  /**
   * The contract as a plain JSON document, for the PySpark script and other non-TypeScript consumers.
   *
   * `refined.partitionKeys`, `hourlyColumns` and `hourlyLocationTemplate` describe the hourly layout of
   * `partitionGranularity`. With `MONTH`, `refined.partitionGranularity` (`MONTH`) and `refined.monthFormat` are
   * added; the daily document has neither (it is the document of contract version 1 unchanged).
   *
   * @param cities optional city list to embed (slug, name, coordinates)
   * @param partitionGranularity the partition granularity of the hourly table (default `PartitionGranularity.DAY`)
   */
  public static toJson(cities?: City[], partitionGranularity?: PartitionGranularity): any {
    if (cities !== undefined) {
      WeatherContract.validateCities(cities);
    }
    const granularity = checkGranularity(partitionGranularity);
    const monthly = granularity === PartitionGranularity.MONTH;
    return {
      version: WeatherContract.VERSION,
      source: WeatherContract.SOURCE,
      landing: {
        rawPrefix: WeatherContract.LANDING_RAW_PREFIX,
        // Groups: 1 = ingest date, 2 = city slug, 3 = batch id (no named groups: Python and Java spell them differently).
        rawKeyPattern: `^${escapeRegex(WeatherContract.LANDING_RAW_PREFIX)}ingest_date=(\\d{4}-\\d{2}-\\d{2})/city=(${SLUG_PATTERN.source.slice(1, -1)})/(${BATCH_ID_PATTERN.source.slice(1, -1)})\\.json$`,
        manifestPrefix: WeatherContract.LANDING_MANIFEST_PREFIX,
        metadataKeys: WeatherContract.RAW_METADATA_KEYS,
      },
      refined: {
        hourlyPrefix: WeatherContract.REFINED_HOURLY_PREFIX,
        quarantinePrefix: WeatherContract.QUARANTINE_PREFIX,
        runSummaryPrefix: WeatherContract.RUN_SUMMARY_PREFIX,
        ...(monthly ? { partitionGranularity: granularity } : {}),
        partitionKeys: WeatherContract.hourlyPartitionKeys(granularity),
        quarantinePartitionKeys: WeatherContract.QUARANTINE_PARTITION_KEYS,
        dateFormat: WeatherContract.DATE_FORMAT,
        ...(monthly ? { monthFormat: WeatherContract.MONTH_FORMAT } : {}),
        hourlyLocationTemplate: WeatherContract.hourlyLocationTemplate(granularity),
        quarantineLocationTemplate: WeatherContract.quarantineLocationTemplate(),
        hourlyColumns: WeatherContract.hourlyColumns(granularity),
        quarantineColumns: WeatherContract.QUARANTINE_COLUMNS,
      },
      variables: WeatherContract.VARIABLES,
      quarantineReasons: WeatherContract.QUARANTINE_REASONS,
      slugPattern: WeatherContract.SLUG_PATTERN,
      batchIdPattern: WeatherContract.BATCH_ID_PATTERN,
      ...(cities !== undefined
        ? {
          cities: cities.map((city) => ({
            slug: WeatherContract.slugOf(city),
            name: city.name,
            latitude: city.latitude,
            longitude: city.longitude,
            ...(city.timezone !== undefined ? { timezone: city.timezone } : {}),
          })),
        }
        : {}),
    };
  }

  private constructor() {}
}

function checkCoordinate(who: string, field: 'latitude' | 'longitude', value: number, limit: number): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < -limit || value > limit) {
    throw new Error(`${who}: ${field} must be a number in [-${limit}, ${limit}], got ${JSON.stringify(value ?? null)}`);
  }
}

function checkDate(date: string): void {
  const parsed = DATE_PATTERN.test(date) ? new Date(`${date}T00:00:00Z`) : undefined;
  // Round-tripping rejects impossible dates such as 2026-02-30 that Date would roll over.
  if (parsed === undefined || Number.isNaN(parsed.getTime()) || parsed.toISOString().slice(0, 10) !== date) {
    throw new Error(`date must be yyyy-MM-dd, got "${date}"`);
  }
}

/** The granularity, `DAY` when undefined; throws on anything that is not a `PartitionGranularity`. */
function checkGranularity(value: PartitionGranularity | undefined, propName = 'partitionGranularity'): PartitionGranularity {
  if (value === undefined) {
    return WeatherContract.DEFAULT_PARTITION_GRANULARITY;
  }
  if (!(Object.values(PartitionGranularity) as string[]).includes(value)) {
    throw new Error(`${propName} must be PartitionGranularity.DAY or PartitionGranularity.MONTH, got ${JSON.stringify(value)}`);
  }
  return value;
}

function checkSlug(slug: string): void {
  if (!SLUG_PATTERN.test(slug)) {
    throw new Error(`city slug must match ${SLUG_PATTERN.source}, got "${slug}"`);
  }
}

function checkBatchId(batchId: string): void {
  if (!BATCH_ID_PATTERN.test(batchId)) {
    throw new Error(`batch id must match ${BATCH_ID_PATTERN.source}, got "${batchId}"`);
  }
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
