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
  /** Prefix of Open-Meteo's raw responses (`WeatherContract.LANDING_RAW_PREFIX`); each source's is in `sources`. */
  readonly rawPrefix: string;
  /**
   * Regular expression of a raw key of any of the document's sources; groups (numbers in `rawKeyGroups`):
   * 1 = source id, 2 = ingest date, 3 = city slug, 4 = batch id.
   */
  readonly rawKeyPattern: string;
  /** Capture group numbers of `rawKeyPattern`. */
  readonly rawKeyGroups: ContractRawKeyGroups;
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
  /** Columns only some sources fill (`WeatherContract.SOURCE_VARIABLES`). */
  readonly sourceVariables: SourceVariableDefinition[];
  /** The sources the document was made for, in order (default: Open-Meteo only). */
  readonly sources: SourceDefinition[];
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

/**
 * A contract column that only some weather sources fill, because its meaning differs from every variable of
 * `WeatherContract.VARIABLES` (e.g. pressure reduced to sea level rather than at the surface). Sources that do not
 * provide it leave it null.
 */
export interface SourceVariableDefinition {
  /** Refined column that holds it, in the canonical unit (e.g. `sea_level_pressure_hpa`). */
  readonly column: string;
  /** Glue / Hive type of the refined column. */
  readonly dataType: string;
  /** Canonical unit of the refined column. */
  readonly canonicalUnit: string;
  /** Unit labels accepted (after a source's `unitLabels` translation); any other quarantines with `UNKNOWN_UNIT`. */
  readonly acceptedUnits: UnitConversion[];
  /** Smallest physically plausible value, in the canonical unit (inclusive). */
  readonly minimum: number;
  /** Largest physically plausible value, in the canonical unit (inclusive). */
  readonly maximum: number;
  /** What the column means, and how it differs from the nearest variable of `WeatherContract.VARIABLES`. */
  readonly description: string;
}

/**
 * A unit label as a weather source writes it, and the contract's label for the same unit.
 */
export interface SourceUnitLabel {
  /** The label exactly as the source writes it (e.g. MET Norway's `celsius`). */
  readonly providerLabel: string;
  /** The contract's label for that unit, one of the column's accepted units (e.g. `°C`). */
  readonly contractLabel: string;
}

/**
 * Where one time step of a source's response holds the value of one contract column.
 */
export interface SourceFieldMapping {
  /** The contract column filled (a variable's, a source variable's, or `symbol_code`). */
  readonly column: string;
  /** Dotted path of the value within one time step (e.g. `data.instant.details.air_temperature`). */
  readonly path: string;
  /**
   * Key of the response's unit block that names the value's unit.
   *
   * @default - the value has no unit (a code)
   */
  readonly unitKey?: string;
  /**
   * How the source's unit labels translate to the contract's; a label not listed is quarantined with `UNKNOWN_UNIT`.
   *
   * @default - the source writes the contract's own labels
   */
  readonly unitLabels?: SourceUnitLabel[];
}

/**
 * A provider weather symbol code and the WMO weather code it corresponds to.
 */
export interface SymbolCodeMapping {
  /** The provider's code without its `_day` / `_night` / `_polartwilight` suffix (e.g. `lightrainshowers`). */
  readonly symbolCode: string;
  /**
   * The WMO weather code (Open-Meteo's subset) with the same meaning.
   *
   * @default - none: the code has no WMO equivalent in that subset, `weather_code` stays null (the symbol is kept)
   */
  readonly weatherCode?: number;
}

/**
 * A weather source as the data contract knows it: its id in the landing keys and how its response maps to the
 * contract's columns and units.
 */
export interface SourceDefinition {
  /** The id, the `source=` value of its landing keys and the `source` column of its refined rows. */
  readonly id: string;
  /** Display name of the provider and product. */
  readonly name: string;
  /** Landing prefix of its raw responses, `weather/raw/source=<id>/`. */
  readonly rawPrefix: string;
  /** Shape of its responses, which picks the ETL's parser: `OPEN_METEO_HOURLY_ARRAYS` or `MET_NORWAY_TIMESERIES`. */
  readonly responseFormat: string;
  /** The attribution its terms require, for documentation and dashboards. */
  readonly attribution: string;
  /** Where each contract column comes from in one time step of its response. */
  readonly fields: SourceFieldMapping[];
  /** Its weather symbol codes and their WMO equivalents; empty when it sends WMO codes itself. */
  readonly symbolCodes: SymbolCodeMapping[];
}

/**
 * Capture group numbers of `ContractLandingLayout.rawKeyPattern`.
 */
export interface ContractRawKeyGroups {
  /** Group of the source id (`source=<id>`). */
  readonly source: number;
  /** Group of the ingestion date. */
  readonly ingestDate: number;
  /** Group of the city slug. */
  readonly city: number;
  /** Group of the batch id. */
  readonly batchId: number;
}
