import { PartitionGranularity } from './partition-granularity';

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
 * One configured city as the contract document lists it.
 */
export interface ContractCity {
  /** The city's slug (`WeatherContract.slugOf`), its `city=` partition value. */
  readonly slug: string;
  /** Display name. */
  readonly name: string;
  /** Latitude, decimal degrees. */
  readonly latitude: number;
  /** Longitude, decimal degrees. */
  readonly longitude: number;
  /**
   * IANA time zone the city was configured with.
   *
   * @default - none: the ingestion asks the API for GMT
   */
  readonly timezone?: string;
}

/**
 * The landing zone's layout in the contract document.
 */
export interface ContractLandingLayout {
  /** Prefix of the raw responses (`WeatherContract.LANDING_RAW_PREFIX`). */
  readonly rawPrefix: string;
  /** Regular expression of a raw key; groups: 1 = ingest date, 2 = city slug, 3 = batch id. */
  readonly rawKeyPattern: string;
  /** Prefix of the batch manifests (`WeatherContract.LANDING_MANIFEST_PREFIX`). */
  readonly manifestPrefix: string;
  /** Object metadata keys every raw response carries (`WeatherContract.RAW_METADATA_KEYS`). */
  readonly metadataKeys: string[];
}

/**
 * The refined lake's layout in the contract document.
 */
export interface ContractRefinedLayout {
  /** Prefix of the hourly table (`WeatherContract.REFINED_HOURLY_PREFIX`). */
  readonly hourlyPrefix: string;
  /** Prefix of the quarantine table (`WeatherContract.QUARANTINE_PREFIX`). */
  readonly quarantinePrefix: string;
  /** Prefix of the run summaries (`WeatherContract.RUN_SUMMARY_PREFIX`). */
  readonly runSummaryPrefix: string;
  /**
   * The hourly table's partition granularity, present only when it is not the default.
   *
   * @default - absent: `PartitionGranularity.DAY`
   */
  readonly partitionGranularity?: PartitionGranularity;
  /** Partition keys of the hourly table, in path order. */
  readonly partitionKeys: string[];
  /** Partition keys of the quarantine table. */
  readonly quarantinePartitionKeys: string[];
  /** Format of the `date` values (`WeatherContract.DATE_FORMAT`). */
  readonly dateFormat: string;
  /**
   * Format of the `month` values, present only with monthly partitions.
   *
   * @default - absent: daily partitions have no month
   */
  readonly monthFormat?: string;
  /** Athena `storage.location.template` of the hourly table, below the bucket. */
  readonly hourlyLocationTemplate: string;
  /** Athena `storage.location.template` of the quarantine table, below the bucket. */
  readonly quarantineLocationTemplate: string;
  /** Columns of the hourly table, partition keys excluded. */
  readonly hourlyColumns: ColumnDefinition[];
  /** Columns of the quarantine table, partition keys excluded. */
  readonly quarantineColumns: ColumnDefinition[];
  /** Prefix of the staging table (`WeatherContract.STAGING_PREFIX`). */
  readonly stagingPrefix: string;
  /** Partition keys of the staging table, in path order (`WeatherContract.STAGING_PARTITION_KEYS`). */
  readonly stagingPartitionKeys: string[];
  /** Athena `storage.location.template` of the staging table, below the bucket. */
  readonly stagingLocationTemplate: string;
  /** Columns of the staging table, partition keys excluded. */
  readonly stagingColumns: ColumnDefinition[];
  /** Prefix of the daily table (`WeatherContract.DAILY_PREFIX`). */
  readonly dailyPrefix: string;
  /** Partition keys of the daily table, in path order: the hourly table's. */
  readonly dailyPartitionKeys: string[];
  /** Athena `storage.location.template` of the daily table, below the bucket. */
  readonly dailyLocationTemplate: string;
  /** Columns of the daily table, partition keys excluded. */
  readonly dailyColumns: ColumnDefinition[];
}

/**
 * The data contract as one JSON document (`WeatherContract.toJson`): what the PySpark script and other
 * non-TypeScript consumers read.
 */
export interface WeatherContractDocument {
  /** `WeatherContract.VERSION`. */
  readonly version: number;
  /** `WeatherContract.SOURCE`. */
  readonly source: string;
  /** The landing zone's layout. */
  readonly landing: ContractLandingLayout;
  /** The refined lake's layout. */
  readonly refined: ContractRefinedLayout;
  /** The hourly variables (`WeatherContract.VARIABLES`). */
  readonly variables: WeatherVariableDefinition[];
  /** The quarantine reasons (`WeatherContract.QUARANTINE_REASONS`). */
  readonly quarantineReasons: QuarantineReasonDefinition[];
  /** `WeatherContract.SLUG_PATTERN`. */
  readonly slugPattern: string;
  /** `WeatherContract.BATCH_ID_PATTERN`. */
  readonly batchIdPattern: string;
  /**
   * The configured cities, when the document was made for a city list.
   *
   * @default - absent: the document was made without cities
   */
  readonly cities?: ContractCity[];
}
