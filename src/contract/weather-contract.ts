import { City } from './city';
import { ColumnDefinition, QuarantineReasonDefinition, SourceDefinition, SourceVariableDefinition, WeatherContractDocument, WeatherVariableDefinition } from './definitions';
import { PartitionGranularity } from './partition-granularity';
import { DEFAULT_SOURCES, LANDING_RAW_ROOT, SOURCES } from './private/sources';
import { DAILY_COLUMNS, DATE_COLUMN, deepFreeze, HOURLY_COLUMNS, QUARANTINE_COLUMNS, QUARANTINE_REASONS, SOURCE_VARIABLES, STAGING_COLUMNS, VARIABLES } from './private/tables';

const SLUG_PATTERN = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
const BATCH_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const DATE_PATTERN = /^\d{4}-\d{2}-\d{2}$/;

// Letters that Unicode decomposition does not fold to ASCII.
const SPECIAL_FOLDS: Record<string, string> = {
  ß: 'ss', æ: 'ae', œ: 'oe', ø: 'o', ł: 'l', đ: 'd', ð: 'd', þ: 'th', ı: 'i', ħ: 'h',
};

/**
 * The data contract of the weather lake: key layouts, partitioning, schemas, units and the city slug rule.
 *
 * It is defined once here and drives everything that depends on it: the ingestion keys, the Glue job
 * arguments, the Athena columns and partition projection. `toJson()` hands the same facts to the PySpark
 * script.
 *
 * Its arrays and the objects in them are read-only: they are frozen, so changing one throws a `TypeError` (jsii
 * has no read-only array type to say so in the signature). Copy one (`[...WeatherContract.VARIABLES]`) to change it.
 */
export class WeatherContract {
  /** Version of the contract document; bumped on any incompatible change. */
  public static readonly VERSION = 1;

  /** The weather source recorded in landing keys. */
  public static readonly SOURCE = 'open-meteo';

  /** Landing prefix holding the raw API responses. */
  public static readonly LANDING_RAW_PREFIX = 'weather/raw/source=open-meteo/';

  /** Landing prefix above every source's raw responses (`weather/raw/source=<id>/…`). */
  public static readonly LANDING_RAW_ROOT = LANDING_RAW_ROOT;

  /**
   * The weather sources the contract knows (Open-Meteo, MET Norway): id, raw prefix, and how each one's response
   * maps to the contract's columns and units (docs/sources.md).
   */
  public static readonly SOURCES: SourceDefinition[] = SOURCES;

  /** The ids of the sources a contract document lists when none are given: Open-Meteo only. */
  public static readonly DEFAULT_SOURCES: string[] = DEFAULT_SOURCES;

  /** Columns only some sources fill, because their meaning differs from every variable of `VARIABLES`. */
  public static readonly SOURCE_VARIABLES: SourceVariableDefinition[] = SOURCE_VARIABLES;

  /** Landing prefix holding one manifest per ingestion batch. */
  public static readonly LANDING_MANIFEST_PREFIX = 'weather/manifests/';

  /** Refined prefix of the hourly Parquet table. */
  public static readonly REFINED_HOURLY_PREFIX = 'weather/hourly/';

  /** Refined prefix of quarantined records (Parquet, partitioned by `date`). */
  public static readonly QUARANTINE_PREFIX = 'weather/quarantine/';

  /**
   * Refined prefix of the staging table: every validated hour of every fetch (Parquet, partitioned by
   * `ingest_date` and `city`), never rewritten by a later batch.
   */
  public static readonly STAGING_PREFIX = 'weather/staging/';

  /** Refined prefix of the curated daily table (Parquet, partitioned like the hourly table). */
  public static readonly DAILY_PREFIX = 'weather/daily/';

  /** Refined prefix of the per-run summaries (JSON, partitioned by `date`). */
  public static readonly RUN_SUMMARY_PREFIX = 'weather/run-summaries/';

  /**
   * Partition keys of the hourly table with the default daily partitions, in key order: `date` (UTC
   * `yyyy-MM-dd`) then `city` (slug). See `hourlyPartitionKeys()` for monthly partitions.
   */
  public static readonly PARTITION_KEYS: string[] = deepFreeze(['date', 'city']);

  /** Partition keys of the hourly table with monthly partitions, in key order: `month` (UTC `yyyy-MM`) then `city`. */
  public static readonly MONTHLY_PARTITION_KEYS: string[] = deepFreeze(['month', 'city']);

  /** The partition granularity of the hourly table when none is chosen: `PartitionGranularity.DAY`. */
  public static readonly DEFAULT_PARTITION_GRANULARITY: PartitionGranularity = PartitionGranularity.DAY;

  /** Partition keys of the quarantine table: `date`, the ingestion date of the raw object. */
  public static readonly QUARANTINE_PARTITION_KEYS: string[] = deepFreeze(['date']);

  /**
   * Partition keys of the staging table, in key order: `ingest_date` (the UTC ingestion date of the landing key,
   * `yyyy-MM-dd`) then `city` (slug). A batch writes one file per partition, named after the batch.
   */
  public static readonly STAGING_PARTITION_KEYS: string[] = deepFreeze(['ingest_date', 'city']);

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
  public static readonly RAW_METADATA_KEYS: string[] = deepFreeze(['city-name', 'city-slug', 'latitude', 'longitude', 'timezone', 'request-url', 'fetched-at', 'batch-id']);

  /** The hourly variables requested from the API and refined into columns. */
  public static readonly VARIABLES: WeatherVariableDefinition[] = VARIABLES;

  /**
   * Columns of the refined hourly table with the default daily partitions (partition columns excluded).
   * See `hourlyColumns()` for monthly partitions, which add `date`.
   */
  public static readonly HOURLY_COLUMNS: ColumnDefinition[] = HOURLY_COLUMNS;

  /** Columns of the quarantine table (partition columns excluded). */
  public static readonly QUARANTINE_COLUMNS: ColumnDefinition[] = QUARANTINE_COLUMNS;

  /** Columns of the staging table (partition columns excluded). */
  public static readonly STAGING_COLUMNS: ColumnDefinition[] = STAGING_COLUMNS;

  /** Columns of the curated daily table (partition columns excluded); the same with either partition granularity. */
  public static readonly DAILY_COLUMNS: ColumnDefinition[] = DAILY_COLUMNS;

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
   * Checks a list of source ids and throws an `Error` naming the prop and the bad value: at least one id, each one
   * of `SOURCES`, none twice.
   *
   * @param sourceIds the ids to check
   * @param propName the prop name used in error messages
   */
  public static validateSourceIds(sourceIds: string[], propName?: string): void {
    checkSources(sourceIds, propName ?? 'sources');
  }

  /**
   * The definition of a known source; throws an `Error` naming the id when the contract does not know it.
   *
   * @param sourceId a source id, e.g. `met-norway`
   */
  public static sourceDefinition(sourceId: string): SourceDefinition {
    const found = SOURCES.find((source) => source.id === sourceId);
    if (found === undefined) {
      throw new Error(`source must be one of ${SOURCES.map((source) => JSON.stringify(source.id)).join(', ')}, got ${JSON.stringify(sourceId)}`);
    }
    return found;
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
   * The staging table's location template for Athena partition projection, relative to the bucket:
   * `weather/staging/ingest_date=${ingest_date}/city=${city}/`.
   */
  public static stagingLocationTemplate(): string {
    return `${WeatherContract.STAGING_PREFIX}${WeatherContract.STAGING_PARTITION_KEYS.map((k) => `${k}=\${${k}}`).join('/')}/`;
  }

  /**
   * Partition keys of the daily table: the hourly table's (`date`, `city`, or `month`, `city` for `MONTH`).
   *
   * @param granularity the partition granularity (default `PartitionGranularity.DAY`)
   */
  public static dailyPartitionKeys(granularity?: PartitionGranularity): string[] {
    return WeatherContract.hourlyPartitionKeys(granularity);
  }

  /**
   * The daily table's location template for Athena partition projection, relative to the bucket:
   * `weather/daily/date=${date}/city=${city}/`, or `weather/daily/month=${month}/city=${city}/` for `MONTH`.
   *
   * @param granularity the partition granularity (default `PartitionGranularity.DAY`)
   */
  public static dailyLocationTemplate(granularity?: PartitionGranularity): string {
    return `${WeatherContract.DAILY_PREFIX}${WeatherContract.dailyPartitionKeys(granularity).map((k) => `${k}=\${${k}}`).join('/')}/`;
  }

  /**
   * The contract as a plain JSON document, for the PySpark script and other non-TypeScript consumers.
   *
   * `refined.partitionKeys`, `hourlyColumns` and `hourlyLocationTemplate` describe the hourly layout of
   * `partitionGranularity`. With `MONTH`, `refined.partitionGranularity` (`MONTH`) and `refined.monthFormat` are
   * added; the daily document has neither (it is the document of contract version 1 unchanged).
   *
   * `sources` lists the definitions of the given sources, and `landing.rawKeyPattern` accepts the raw keys of
   * those sources only (source id in group `landing.rawKeyGroups.source`).
   *
   * @param cities optional city list to embed (slug, name, coordinates)
   * @param partitionGranularity the partition granularity of the hourly table (default `PartitionGranularity.DAY`)
   * @param sourceIds ids of the configured sources, e.g. `['open-meteo', 'met-norway']` (default `DEFAULT_SOURCES`)
   */
  public static toJson(cities?: City[], partitionGranularity?: PartitionGranularity, sourceIds?: string[]): WeatherContractDocument {
    if (cities !== undefined) {
      WeatherContract.validateCities(cities);
    }
    const sources = checkSources(sourceIds ?? DEFAULT_SOURCES);
    const granularity = checkGranularity(partitionGranularity);
    const monthly = granularity === PartitionGranularity.MONTH;
    return {
      version: WeatherContract.VERSION,
      source: WeatherContract.SOURCE,
      landing: {
        rawPrefix: WeatherContract.LANDING_RAW_PREFIX,
        // Groups: 1 = source, 2 = ingest date, 3 = city slug, 4 = batch id (no named groups: Python and Java spell them
        // differently); the numbers are in rawKeyGroups too, so readers need not hard-code them.
        rawKeyPattern: `^${escapeRegex(LANDING_RAW_ROOT)}source=(${sources.map((source) => escapeRegex(source.id)).join('|')})/ingest_date=(\\d{4}-\\d{2}-\\d{2})/city=(${SLUG_PATTERN.source.slice(1, -1)})/(${BATCH_ID_PATTERN.source.slice(1, -1)})\\.json$`,
        rawKeyGroups: { source: 1, ingestDate: 2, city: 3, batchId: 4 },
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
        stagingPrefix: WeatherContract.STAGING_PREFIX,
        stagingPartitionKeys: WeatherContract.STAGING_PARTITION_KEYS,
        stagingLocationTemplate: WeatherContract.stagingLocationTemplate(),
        stagingColumns: WeatherContract.STAGING_COLUMNS,
        dailyPrefix: WeatherContract.DAILY_PREFIX,
        dailyPartitionKeys: WeatherContract.dailyPartitionKeys(granularity),
        dailyLocationTemplate: WeatherContract.dailyLocationTemplate(granularity),
        dailyColumns: WeatherContract.DAILY_COLUMNS,
      },
      variables: WeatherContract.VARIABLES,
      sourceVariables: WeatherContract.SOURCE_VARIABLES,
      sources,
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

/** The definitions of the given source ids; throws on an empty list, an unknown id or a repeated one. */
function checkSources(ids: string[], propName = 'sources'): SourceDefinition[] {
  if (!Array.isArray(ids) || ids.length === 0) {
    throw new Error(`${propName} must list at least one source, got ${JSON.stringify(ids ?? null)}`);
  }
  return ids.map((id, index) => {
    if (ids.indexOf(id) !== index) {
      throw new Error(`${propName}[${index}]: source ${JSON.stringify(id)} is listed twice`);
    }
    if (!SOURCES.some((source) => source.id === id)) {
      throw new Error(`${propName}[${index}] must be one of ${SOURCES.map((source) => JSON.stringify(source.id)).join(', ')}, got ${JSON.stringify(id)}`);
    }
    return WeatherContract.sourceDefinition(id);
  });
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
