import { Annotations, Duration, Names, RemovalPolicy, Size, Stack, Token, Validations } from 'aws-cdk-lib';
import * as athena from 'aws-cdk-lib/aws-athena';
import * as glue from 'aws-cdk-lib/aws-glue';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct, IConstruct } from 'constructs';
import { CatalogQuery, ValidationQuery } from './catalog-query';
import { checkNames, grantCatalogQuery, queryTarget } from './private/catalog-access';
import { analyticsQueries, validationQueries } from './queries';
import { ColumnDefinition } from '../contract/definitions';
import { PartitionGranularity } from '../contract/partition-granularity';
import { WeatherContract } from '../contract/weather-contract';
import { acknowledgeNoReplication } from '../private/nag-acknowledgements';
import { acknowledgeAutoDeleteProvider, logAccessTo } from '../private/secure-bucket';
import { skipCheckovCheck } from '../private/template-checkers';
import { IRefinedLake } from '../storage/refined-lake';

/**
 * The weather catalog as its consumers see it (the orchestrator runs its validation queries, analysts query it):
 * the database and tables, the workgroup and where it writes results, the validation queries, and the grant to query.
 *
 * Made by `AthenaCatalog`, or imported with `AthenaCatalog.fromAthenaCatalogAttributes`.
 */
export interface IAthenaCatalog extends IConstruct {
  /** The refined lake the tables read. */
  readonly refinedLake: IRefinedLake;

  /** Name of the Glue database. */
  readonly databaseName: string;

  /** Name of the hourly table. */
  readonly hourlyTableName: string;

  /** Name of the quarantine table. */
  readonly quarantineTableName: string;

  /** Name of the staging table: every validated hour of every fetch (the forecast's history). */
  readonly stagingTableName: string;

  /** Name of the curated daily table: one row per source, city and UTC day. */
  readonly dailyTableName: string;

  /** Name of the Athena workgroup. */
  readonly workGroupName: string;

  /** ARN of the Athena workgroup. */
  readonly workGroupArn: string;

  /** Bucket holding the query results of the workgroup. */
  readonly resultsBucket: s3.IBucket;

  /** Prefix of the query results in `resultsBucket` (ends with `/`). */
  readonly resultsPrefix: string;

  /**
   * The KMS key encrypting query results (SSE-KMS), when there is one.
   *
   * @default - results use SSE-S3, or the results bucket's own key
   */
  readonly resultsEncryptionKey?: kms.IKey;

  /** The checks to run after each ETL run, in the workgroup, on the database (see `AthenaCatalog.validationQueries`). */
  readonly validationQueries: ValidationQuery[];

  /** Grants what a principal needs to run queries in the workgroup on the catalog's tables (see `AthenaCatalog.grantQuery`). */
  grantQuery(grantee: iam.IGrantable): iam.Grant;
}

/**
 * What the validation queries check, shared by `AthenaCatalogProps` and `AthenaCatalogAttributes`.
 */
export interface CatalogValidationProps {
  /**
   * Project the `city` partition as `injected` instead of an enum of the refined lake's cities.
   *
   * For very many cities, or cities added without a deployment. Athena then needs every query on the hourly
   * table to filter `city` with `=` or `IN` literals, which the named and validation queries do not do.
   *
   * @default false
   */
  readonly injectCities?: boolean;

  /**
   * Largest percentage of a run's records that may be quarantined (100 × quarantined / (refined + quarantined)) for
   * the `quarantine-share` validation query to pass. In [0, 100]. The same name and unit as
   * `PipelineMonitoring`'s alarm threshold.
   *
   * @default 5
   */
  readonly maxQuarantinePercent?: number;

  /**
   * How many days back the `data-freshness` named query looks.
   *
   * @default 7
   */
  readonly freshnessLookbackDays?: number;

  /**
   * First day of the `date` partition projection, `yyyy-MM-dd`. Data before it is invisible to Athena.
   * With monthly partitions, the `month` projection starts at this day's month.
   *
   * @default '2024-01-01'
   */
  readonly projectionStartDate?: string;

  /**
   * How many days after today the `date` (or `month`) projection reaches, so that forecast hours are visible
   * (the projection range ends at `NOW+<projectionDaysAhead>DAYS`). Open-Meteo forecasts at most 16 days; keep it
   * at least the ingestion's `forecastDays`.
   *
   * @default 16
   */
  readonly projectionDaysAhead?: number;
}

/**
 * A weather catalog deployed elsewhere, for `AthenaCatalog.fromAthenaCatalogAttributes`.
 */
export interface AthenaCatalogAttributes extends CatalogValidationProps {
  /** The refined lake the catalog's tables read (its cities and partition granularity shape the queries). */
  readonly refinedLake: IRefinedLake;

  /** Name of the Glue database. */
  readonly databaseName: string;

  /** Name of the Athena workgroup. */
  readonly workGroupName: string;

  /** Bucket the workgroup writes query results to. */
  readonly resultsBucket: s3.IBucket;

  /**
   * Prefix of the query results in the results bucket (ends with `/`).
   *
   * @default 'athena-results/'
   */
  readonly resultsPrefix?: string;

  /**
   * KMS key encrypting the query results, when the workgroup uses SSE-KMS with a key other than the bucket's.
   *
   * @default - the key of `resultsBucket` when it has one
   */
  readonly resultsEncryptionKey?: kms.IKey;
}

/**
 * Properties of the Athena catalog.
 */
export interface AthenaCatalogProps extends CatalogValidationProps {
  /**
   * The refined lake the ETL writes to (a `RefinedLake`, or one imported with `RefinedLake.fromRefinedLakeAttributes`).
   * The tables read its prefixes; its bucket's KMS key, when it has one, is granted by `grantQuery`. The hourly
   * table's partitions follow its `partitionGranularity`, and the `city` projection lists its `cities` (which it must
   * declare unless `injectCities` is true).
   */
  readonly refinedLake: IRefinedLake;

  /**
   * Name of the Glue database (lowercase letters, digits and underscores, at most 255).
   *
   * @default - unique to this construct in its stack, e.g. `weatherprod_weather_catalog_1a2b3c4d` for the catalog
   * of `WeatherPipeline` `Weather` in stack `WeatherProd`: two pipelines in one account and region never share one
   */
  readonly databaseName?: string;


  /**
   * Name of the Athena workgroup (letters, digits, `.`, `_` and `-`, at most 128).
   *
   * @default - unique to this construct in its stack, e.g. `WeatherProd-Weather-Catalog-1A2B3C4D`
   */
  readonly workGroupName?: string;

  /**
   * Athena cancels a query of the workgroup once it has scanned this much data. At least 10 MB (an Athena rule).
   *
   * @default Size.gibibytes(10)
   */
  readonly bytesScannedCutoffPerQuery?: Size;

  /**
   * Bucket receiving the query results of the workgroup.
   *
   * @default - a new bucket: encrypted, TLS only, public access blocked, results expire after `resultsRetention`
   */
  readonly resultsBucket?: s3.IBucket;

  /**
   * Prefix of the query results in the results bucket (ends with `/`).
   *
   * @default 'athena-results/'
   */
  readonly resultsPrefix?: string;

  /**
   * KMS key that encrypts the query results (SSE-KMS, enforced by the workgroup). When the construct creates the
   * results bucket, the bucket uses it as its default encryption too. Query results copy lake data, so they stay
   * under a customer-managed key: there is no SSE-S3 option.
   *
   * @default - the key of `resultsBucket` when it has one, else the key of the refined lake's bucket when it has one, else
   * a new key with rotation
   */
  readonly resultsEncryptionKey?: kms.IKey;

  /**
   * How long query results are kept in the bucket the construct creates. Whole days, at least one.
   * Not allowed with `resultsBucket`: your bucket keeps its own lifecycle.
   *
   * @default Duration.days(30)
   */
  readonly resultsRetention?: Duration;

  /**
   * What happens to the results bucket (and the results key) the construct creates when the stack is deleted. `RemovalPolicy.DESTROY`
   * also empties it (`autoDeleteObjects`) and adds a warning. The Glue database and tables are definitions, not
   * data: they are always deleted with the stack.
   *
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;

  /**
   * Bucket receiving the server access logs of the results bucket the construct creates.
   *
   * @default - no server access logs for query results (the workgroup's query history and CloudTrail record
   * who ran what)
   */
  readonly serverAccessLogsBucket?: s3.IBucket;
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const PARQUET_SERDE = 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe';
const PARQUET_INPUT = 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat';
const PARQUET_OUTPUT = 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat';
const MIN_CUTOFF_BYTES = 10_000_000;

/**
 * Glue tables over the refined zone, with partition projection, and an Athena workgroup with named queries.
 *
 * - Database with the `hourly` table (Parquet, columns and partitions from `WeatherContract`) and the
 *   `quarantine` table. Partition projection (`date` from `projectionStartDate` to `NOW+projectionDaysAhead`, `city`
 *   from the configured slugs) replaces crawlers and `MSCK REPAIR`: a partition the ETL writes is queryable at once.
 *   With monthly partitions (`RefinedLake.partitionGranularity`), the hourly table projects `month` instead of
 *   `date`, which stays a column that every query filters on, next to the `month` that prunes partitions.
 * - Workgroup on Athena engine version 3 with its configuration enforced, encrypted results, a per-query
 *   scan cutoff and CloudWatch metrics.
 * - Named queries for people (`namedQueries`) and validation queries for the orchestrator
 *   (`validationQueries`), each returning one row with a boolean `passed`.
 *
 * @example
 * declare const refined: RefinedLake;
 * const catalog = new AthenaCatalog(this, 'Catalog', { refinedLake: refined });
 * catalog.grantQuery(analystRole);
 */
export class AthenaCatalog extends Construct implements IAthenaCatalog {
  /**
   * A weather catalog deployed elsewhere (another stack or account): its validation queries are built from the
   * refined lake's cities and partition granularity, as the deployed catalog's are.
   *
   * @example
   * declare const refined: IRefinedLake;
   * declare const resultsBucket: s3.IBucket;
   * const catalog = AthenaCatalog.fromAthenaCatalogAttributes(this, 'Catalog', {
 *   refinedLake: refined, databaseName: 'weatherprod_weather_catalog', workGroupName: 'weather-prod', resultsBucket,
 * });
   */
  public static fromAthenaCatalogAttributes(scope: Construct, id: string, attrs: AthenaCatalogAttributes): IAthenaCatalog {
    return new ImportedAthenaCatalog(scope, id, attrs);
  }

  /** The Glue database. */
  public readonly database: glue.CfnDatabase;

  /** Name of the Glue database. */
  public readonly databaseName: string;

  /** The refined hourly weather table (`<database>.hourly`). */
  public readonly hourlyTable: glue.CfnTable;

  /** Name of the hourly table (`hourly`). */
  public readonly hourlyTableName: string = 'hourly';

  /** The hourly table's partition granularity: the one `RefinedLake.partitionGranularity` declares for the bucket. */
  public readonly partitionGranularity: PartitionGranularity;

  /** The quarantine table (`<database>.quarantine`). */
  public readonly quarantineTable: glue.CfnTable;

  /** Name of the quarantine table (`quarantine`). */
  public readonly quarantineTableName: string = 'quarantine';

  /** The staging table (`<database>.staging`): every validated hour of every fetch, by ingestion date and city. */
  public readonly stagingTable: glue.CfnTable;

  /** Name of the staging table (`staging`). */
  public readonly stagingTableName: string = 'staging';

  /** The curated daily table (`<database>.daily`): one row per source, city and UTC day, partitioned like hourly. */
  public readonly dailyTable: glue.CfnTable;

  /** Name of the daily table (`daily`). */
  public readonly dailyTableName: string = 'daily';

  /** The Athena workgroup. */
  public readonly workGroup: athena.CfnWorkGroup;

  /** Name of the Athena workgroup. */
  public readonly workGroupName: string;

  /** ARN of the Athena workgroup. */
  public readonly workGroupArn: string;

  /** Bucket holding the query results (created, or the one you passed). */
  public readonly resultsBucket: s3.IBucket;

  /** Where the workgroup writes query results (`s3://<bucket>/<resultsPrefix>`). */
  public readonly resultsLocation: string;

  /** The named queries, one per entry of `analyticsQueries`, in the same order. */
  public readonly namedQueries: athena.CfnNamedQuery[];

  /** The SQL of the named queries. */
  public readonly analyticsQueries: CatalogQuery[];

  /**
   * The checks to run after each ETL run, in the workgroup, on the database: each returns one row whose
   * boolean `passed` column is the verdict. Their `parameters` say which execution parameters they take.
   */
  public readonly validationQueries: ValidationQuery[];

  /** Prefix of the query results in `resultsBucket` (ends with `/`). */
  public readonly resultsPrefix: string;

  /**
   * The KMS key encrypting query results (SSE-KMS). Always set on a catalog this construct makes; optional only
   * because `IAthenaCatalog` also describes imported catalogs.
   */
  public readonly resultsEncryptionKey?: kms.IKey;

  /** The refined lake the tables read. */
  public readonly refinedLake: IRefinedLake;

  private readonly refinedBucket: s3.IBucket;

  constructor(scope: Construct, id: string, props: AthenaCatalogProps) {
    super(scope, id);

    // Physical names default from the stack and the construct path: a dev and a prod stack, or two teams, in one
    // account and region must not collide on a fixed name.
    const databaseName = props.databaseName ?? Names.uniqueResourceName(this, { maxLength: 64, separator: '_' }).toLowerCase();
    const workGroupName = props.workGroupName ?? Names.uniqueResourceName(this, { maxLength: 128, separator: '-' });
    const projectionStartDate = props.projectionStartDate ?? '2024-01-01';
    const projectionDaysAhead = props.projectionDaysAhead ?? 16;
    const cutoff = props.bytesScannedCutoffPerQuery ?? Size.gibibytes(10);
    const resultsPrefix = props.resultsPrefix ?? 'athena-results/';

    checkNames(databaseName, workGroupName, resultsPrefix);
    if (!DATE.test(projectionStartDate) || Number.isNaN(Date.parse(`${projectionStartDate}T00:00:00Z`))) {
      throw new Error(`projectionStartDate must be a date yyyy-MM-dd, got "${projectionStartDate}"`);
    }
    if (!Token.isUnresolved(projectionDaysAhead) && (!Number.isInteger(projectionDaysAhead) || projectionDaysAhead < 0 || projectionDaysAhead > 16)) {
      throw new Error(`projectionDaysAhead must be a whole number in [0, 16], got ${projectionDaysAhead}`);
    }
    if (!cutoff.isUnresolved() && cutoff.toBytes() < MIN_CUTOFF_BYTES) {
      throw new Error(`bytesScannedCutoffPerQuery must be at least 10 MB (${MIN_CUTOFF_BYTES} bytes), got ${cutoff.toBytes()} bytes`);
    }
    if (props.resultsBucket !== undefined) {
      const conflicting = (['resultsRetention', 'serverAccessLogsBucket', 'removalPolicy'] as const).filter((name) => props[name] !== undefined);
      if (conflicting.length > 0) {
        throw new Error(`${conflicting.join(', ')} cannot be combined with resultsBucket: they shape a bucket the construct creates`);
      }
    }
    const retention = props.resultsRetention ?? Duration.days(30);
    if (!Token.isUnresolved(retention.toString())) {
      const days = retention.toDays({ integral: false });
      if (!Number.isInteger(days) || days < 1) {
        throw new Error(`resultsRetention must be a whole number of days, at least 1, got ${retention.toHumanString()}`);
      }
    }
    this.refinedLake = props.refinedLake;
    this.refinedBucket = props.refinedLake.bucket;
    this.partitionGranularity = props.refinedLake.partitionGranularity;
    const target = queryTarget(this, props, databaseName);
    const citySlugs = target.citySlugs;
    const monthly = this.partitionGranularity === PartitionGranularity.MONTH;
    this.resultsPrefix = resultsPrefix;
    this.databaseName = databaseName;
    this.workGroupName = workGroupName;

    // Glue database and tables (the stable aws-glue module has L1s only).
    const stack = Stack.of(this);
    this.database = new glue.CfnDatabase(this, 'Database', {
      catalogId: stack.account,
      databaseInput: {
        name: databaseName,
        description: 'Weather data lake: hourly weather, every fetch (staging), daily summaries and quarantined records (cdk-weather-pipeline)',
      },
    });

    const dateProjection = {
      'projection.date.type': 'date',
      'projection.date.format': WeatherContract.DATE_FORMAT,
      'projection.date.range': `${projectionStartDate},NOW+${projectionDaysAhead}DAYS`,
      'projection.date.interval': '1',
      'projection.date.interval.unit': 'DAYS',
    };
    const monthProjection = {
      'projection.month.type': 'date',
      'projection.month.format': WeatherContract.MONTH_FORMAT,
      'projection.month.range': `${projectionStartDate.slice(0, 7)},NOW+${projectionDaysAhead}DAYS`,
      'projection.month.interval': '1',
      'projection.month.interval.unit': 'MONTHS',
    };
    this.hourlyTable = this.parquetTable('HourlyTable', {
      name: this.hourlyTableName,
      description: monthly
        ? 'Hourly weather per city, one row per city and UTC hour (latest fetch wins); partitioned by month and city, filter on date and month'
        : 'Hourly weather per city, one row per city and UTC hour (latest fetch wins)',
      columns: WeatherContract.hourlyColumns(this.partitionGranularity),
      partitionKeys: WeatherContract.hourlyPartitionKeys(this.partitionGranularity),
      prefix: WeatherContract.REFINED_HOURLY_PREFIX,
      locationTemplate: WeatherContract.hourlyLocationTemplate(this.partitionGranularity),
      projection: {
        ...(monthly ? monthProjection : dateProjection),
        ...(citySlugs !== undefined
          ? { 'projection.city.type': 'enum', 'projection.city.values': citySlugs.join(',') }
          : { 'projection.city.type': 'injected' }),
      },
    });
    this.quarantineTable = this.parquetTable('QuarantineTable', {
      name: this.quarantineTableName,
      description: 'Records the ETL rejected, with the reason, the raw values and their source; partitioned by ingestion date',
      columns: WeatherContract.QUARANTINE_COLUMNS,
      partitionKeys: WeatherContract.QUARANTINE_PARTITION_KEYS,
      prefix: WeatherContract.QUARANTINE_PREFIX,
      locationTemplate: WeatherContract.quarantineLocationTemplate(),
      projection: dateProjection,
    });

    const cityProjection: Record<string, string> = citySlugs !== undefined
      ? { 'projection.city.type': 'enum', 'projection.city.values': citySlugs.join(',') }
      : { 'projection.city.type': 'injected' };
    this.stagingTable = this.parquetTable('StagingTable', {
      name: this.stagingTableName,
      description: 'Every validated hour of every fetch (forecasts and observations, append-only), with its lead time; partitioned by ingestion date and city',
      columns: WeatherContract.STAGING_COLUMNS,
      partitionKeys: WeatherContract.STAGING_PARTITION_KEYS,
      prefix: WeatherContract.STAGING_PREFIX,
      locationTemplate: WeatherContract.stagingLocationTemplate(),
      projection: {
        // Ingestion dates are past or today: the range ends today.
        'projection.ingest_date.type': 'date',
        'projection.ingest_date.format': WeatherContract.DATE_FORMAT,
        'projection.ingest_date.range': `${projectionStartDate},NOW`,
        'projection.ingest_date.interval': '1',
        'projection.ingest_date.interval.unit': 'DAYS',
        ...cityProjection,
      },
    });
    this.dailyTable = this.parquetTable('DailyTable', {
      name: this.dailyTableName,
      description: monthly
        ? 'Daily weather per source, city and UTC day, recomputed from the hourly table; partitioned by month and city, filter on day and month'
        : 'Daily weather per source, city and UTC day, recomputed from the hourly table',
      columns: WeatherContract.DAILY_COLUMNS,
      partitionKeys: WeatherContract.dailyPartitionKeys(this.partitionGranularity),
      prefix: WeatherContract.DAILY_PREFIX,
      locationTemplate: WeatherContract.dailyLocationTemplate(this.partitionGranularity),
      projection: { ...(monthly ? monthProjection : dateProjection), ...cityProjection },
    });

    // Query results: the bucket passed in, or an encrypted, expiring one.
    const resultsEncryptionKey = props.resultsEncryptionKey ?? props.resultsBucket?.encryptionKey ?? this.refinedBucket.encryptionKey
      ?? new kms.Key(this, 'ResultsKey', {
        description: 'Encrypts Athena query results of the weather lake (cdk-weather-pipeline)',
        enableKeyRotation: true,
        removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
      });
    this.resultsEncryptionKey = resultsEncryptionKey;
    if (props.resultsBucket !== undefined) {
      this.resultsBucket = props.resultsBucket;
    } else {
      const bucket = new s3.Bucket(this, 'Results', {
        blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
        enforceSSL: true,
        minimumTLSVersion: 1.2,
        objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
        encryption: s3.BucketEncryption.KMS,
        encryptionKey: resultsEncryptionKey,
        bucketKeyEnabled: true,
        versioned: true,
        lifecycleRules: [{
          id: 'expire-query-results',
          expiration: retention,
          // Versioning keeps an overwritten or deleted result for a day, then lets it go with the rest.
          noncurrentVersionExpiration: Duration.days(1),
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        }],
        removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
        autoDeleteObjects: props.removalPolicy === RemovalPolicy.DESTROY,
      });
      if (props.removalPolicy === RemovalPolicy.DESTROY) {
        Annotations.of(this).addWarningV2('cdk-weather-pipeline:destroyData',
          'removalPolicy is DESTROY: deleting the stack empties and deletes the query results bucket. Use it for test stacks only.');
        acknowledgeAutoDeleteProvider(this);
      }
      if (props.serverAccessLogsBucket !== undefined) {
        logAccessTo(bucket, props.serverAccessLogsBucket, 'athena-results/');
      } else {
        const reason = 'Query results are transient copies of catalog data that expire after resultsRetention; the Athena workgroup\'s query history and CloudTrail already record who ran which query. Pass serverAccessLogsBucket to log object access too.';
        Validations.of(bucket).acknowledge({ id: 'AwsSolutions-S1', reason });
        skipCheckovCheck(bucket, 'CKV_AWS_18', reason);
      }
      acknowledgeNoReplication(bucket, 'Query results are transient copies of catalog data that a query re-creates and that expire after '
        + 'resultsRetention; a replica would protect nothing the lake does not hold. Pass resultsBucket to use a replicated bucket.');
      this.resultsBucket = bucket;
    }
    this.resultsLocation = this.resultsBucket.s3UrlForObject(resultsPrefix);

    this.workGroup = new athena.CfnWorkGroup(this, 'WorkGroup', {
      name: workGroupName,
      description: 'Queries over the weather data lake (cdk-weather-pipeline)',
      state: 'ENABLED',
      workGroupConfiguration: {
        engineVersion: { selectedEngineVersion: 'Athena engine version 3' },
        enforceWorkGroupConfiguration: true,
        publishCloudWatchMetricsEnabled: true,
        bytesScannedCutoffPerQuery: cutoff.toBytes(),
        requesterPaysEnabled: false,
        resultConfiguration: {
          outputLocation: this.resultsLocation,
          encryptionConfiguration: { encryptionOption: 'SSE_KMS', kmsKey: resultsEncryptionKey.keyArn },
        },
      },
    });
    this.workGroupArn = stack.formatArn({ service: 'athena', resource: 'workgroup', resourceName: workGroupName });

    this.analyticsQueries = analyticsQueries(target);
    this.validationQueries = validationQueries(target);
    this.namedQueries = this.analyticsQueries.map((query) => {
      const named = new athena.CfnNamedQuery(this, `Query-${query.id}`, {
        name: `weather-${query.id}`,
        description: query.description,
        database: databaseName,
        workGroup: this.workGroup.ref,
        queryString: query.queryString,
      });
      named.node.addDependency(this.hourlyTable);
      named.node.addDependency(this.quarantineTable);
      named.node.addDependency(this.stagingTable);
      named.node.addDependency(this.dailyTable);
      return named;
    });
  }

  /**
   * Grants what a principal needs to run queries in the workgroup on the catalog's tables: start, read and stop
   * query executions and read the named queries of the workgroup; read the database and table definitions; read
   * the hourly, quarantine, staging and daily prefixes of the refined bucket (and decrypt them); read and write (not delete) the
   * results prefix (and use its key).
   *
   * @param grantee the principal (for example an analyst role or the orchestrator's state machine)
   */
  public grantQuery(grantee: iam.IGrantable): iam.Grant {
    return grantCatalogQuery(this, grantee);
  }

  private parquetTable(id: string, table: ParquetTable): glue.CfnTable {
    const location = (key: string) => this.refinedBucket.s3UrlForObject(key);
    const cfn = new glue.CfnTable(this, id, {
      catalogId: Stack.of(this).account,
      databaseName: this.databaseName,
      tableInput: {
        name: table.name,
        description: table.description,
        tableType: 'EXTERNAL_TABLE',
        parameters: {
          'EXTERNAL': 'TRUE',
          'classification': 'parquet',
          'projection.enabled': 'true',
          ...table.projection,
          'storage.location.template': location(table.locationTemplate),
        },
        partitionKeys: table.partitionKeys.map((name) => ({ name, type: 'string' })),
        storageDescriptor: {
          location: location(table.prefix),
          inputFormat: PARQUET_INPUT,
          outputFormat: PARQUET_OUTPUT,
          serdeInfo: { serializationLibrary: PARQUET_SERDE, parameters: { 'serialization.format': '1' } },
          columns: table.columns.map((column: ColumnDefinition) => ({ name: column.name, type: column.dataType, comment: column.comment })),
          storedAsSubDirectories: false,
        },
      },
    });
    cfn.node.addDependency(this.database);
    return cfn;
  }
}

interface ParquetTable {
  readonly name: string;
  readonly description: string;
  readonly columns: ColumnDefinition[];
  readonly partitionKeys: string[];
  readonly prefix: string;
  readonly locationTemplate: string;
  readonly projection: Record<string, string>;
}

/** The catalog of `AthenaCatalog.fromAthenaCatalogAttributes`: names, results location and queries, nothing created. */
class ImportedAthenaCatalog extends Construct implements IAthenaCatalog {
  public readonly refinedLake: IRefinedLake;
  public readonly databaseName: string;
  public readonly hourlyTableName = 'hourly';
  public readonly quarantineTableName = 'quarantine';
  public readonly stagingTableName = 'staging';
  public readonly dailyTableName = 'daily';
  public readonly workGroupName: string;
  public readonly workGroupArn: string;
  public readonly resultsBucket: s3.IBucket;
  public readonly resultsPrefix: string;
  public readonly resultsEncryptionKey?: kms.IKey;
  public readonly validationQueries: ValidationQuery[];

  constructor(scope: Construct, id: string, attrs: AthenaCatalogAttributes) {
    super(scope, id);
    this.refinedLake = attrs.refinedLake;
    this.databaseName = attrs.databaseName;
    this.workGroupName = attrs.workGroupName;
    this.resultsBucket = attrs.resultsBucket;
    this.resultsPrefix = attrs.resultsPrefix ?? 'athena-results/';
    this.resultsEncryptionKey = attrs.resultsEncryptionKey ?? attrs.resultsBucket.encryptionKey;
    checkNames(this.databaseName, this.workGroupName, this.resultsPrefix);
    this.workGroupArn = Stack.of(this).formatArn({ service: 'athena', resource: 'workgroup', resourceName: this.workGroupName });
    this.validationQueries = validationQueries(queryTarget(this, attrs, this.databaseName));
  }

  public grantQuery(grantee: iam.IGrantable): iam.Grant {
    return grantCatalogQuery(this, grantee);
  }
}
