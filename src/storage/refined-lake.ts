import { Duration, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct, IConstruct } from 'constructs';
import { City, PartitionGranularity, WeatherContract } from '../contract';
import { DataZoneProps } from './data-zone-props';
import { grantPrefixRead, grantPrefixWrite } from '../private/prefix-grants';
import { checkDays, rejectShapingPropsWithBucket, secureBucket } from '../private/secure-bucket';

/**
 * A refined lake: the bucket, prefixes and layout the ETL writes and the catalog reads, and the one definition of
 * the data in it (the cities and the partition granularity) that every part of a pipeline reads.
 *
 * Made by `RefinedLake`, or imported with `RefinedLake.fromRefinedLakeAttributes` (a bucket another stack, team or
 * account owns).
 */
export interface IRefinedLake extends IConstruct {
  /** The refined bucket. Its `encryptionKey`, when it has one, is granted along with the bucket. */
  readonly bucket: s3.IBucket;

  /** Prefix of everything the pipeline writes in the bucket (`weather/`). */
  readonly prefix: string;

  /** Prefix of the hourly Parquet table (`WeatherContract.REFINED_HOURLY_PREFIX`). */
  readonly hourlyPrefix: string;

  /** Prefix of quarantined records (`WeatherContract.QUARANTINE_PREFIX`). */
  readonly quarantinePrefix: string;

  /** Prefix of the ETL run summaries (`WeatherContract.RUN_SUMMARY_PREFIX`). */
  readonly runSummaryPrefix: string;

  /** Prefix of the staging table: every validated hour of every fetch (`WeatherContract.STAGING_PREFIX`). */
  readonly stagingPrefix: string;

  /** Prefix of the daily table, recomputed from the hourly one (`WeatherContract.DAILY_PREFIX`). */
  readonly dailyPrefix: string;

  /** The partition granularity of the hourly table, which the ETL job and the catalog on this lake follow. */
  readonly partitionGranularity: PartitionGranularity;

  /** The hourly table's partition keys, in key order (`date`, `city`; or `month`, `city`). */
  readonly hourlyPartitionKeys: string[];

  /**
   * The cities whose data the lake holds: the ETL job refines only them (`--cities_json`), the catalog projects
   * their slugs, the monitoring checks their freshness.
   *
   * @default - none declared: the lake can be used for storage and grants, not by an ETL job, catalog or monitoring
   */
  readonly cities?: City[];

  /** Lets a principal read everything the pipeline writes here: hourly, daily and staging data, quarantine and run summaries. */
  grantRead(grantee: iam.IGrantable): iam.Grant;

  /** Lets a principal read the hourly Parquet table only (analysts, BI tools). */
  grantReadHourly(grantee: iam.IGrantable): iam.Grant;

  /** Lets a principal read quarantined records only. */
  grantReadQuarantine(grantee: iam.IGrantable): iam.Grant;

  /** Lets a principal read run summaries only (monitoring). */
  grantReadRunSummaries(grantee: iam.IGrantable): iam.Grant;

  /** Lets a principal read the daily table only (dashboards, analysts who need one row per city and day). */
  grantReadDaily(grantee: iam.IGrantable): iam.Grant;

  /** Lets a principal read the staging table only (every fetch: forecast history, forecast error by lead time). */
  grantReadStaging(grantee: iam.IGrantable): iam.Grant;

  /**
   * Lets a principal write every table the ETL job writes here (hourly, daily, staging, quarantine, run summaries):
   * put, list and delete under `prefix`.
   */
  grantWrite(grantee: iam.IGrantable): iam.Grant;
}

/**
 * What describes the data of a refined lake: the cities and the partition layout. `RefinedLakeProps` and
 * `RefinedLakeAttributes` both carry it.
 */
export interface RefinedLakeDataProps {
  /**
   * The cities whose data the lake holds (validated: unique slugs, coordinates in range). The one list the ETL job,
   * the catalog and the monitoring built on this lake read.
   *
   * @default - none: the lake stores and grants, but a `GlueEtlJob`, `AthenaCatalog` or `PipelineMonitoring` on it fails
   */
  readonly cities?: City[];

  /**
   * How coarse the hourly table's partitions are: `DAY` (`date=yyyy-MM-dd/city=<slug>/`, 24 rows per file) or
   * `MONTH` (`month=yyyy-MM/city=<slug>/`, `date` kept as a column; about 30 times fewer files, smaller and
   * faster to query).
   *
   * This is the one place to set it: the `GlueEtlJob` and `AthenaCatalog` given this lake follow it. Changing it on
   * a lake that holds data needs a re-layout of the existing data (see docs/data-contract.md).
   *
   * @default PartitionGranularity.DAY
   */
  readonly partitionGranularity?: PartitionGranularity;
}

/**
 * A refined lake made elsewhere, for `RefinedLake.fromRefinedLakeAttributes`.
 */
export interface RefinedLakeAttributes extends RefinedLakeDataProps {
  /**
   * The refined bucket. Import it with `Bucket.fromBucketAttributes({ bucketArn, encryptionKey })` so that
   * grants include its KMS key.
   */
  readonly bucket: s3.IBucket;
}

/**
 * Properties of the refined lake.
 */
export interface RefinedLakeProps extends DataZoneProps, RefinedLakeDataProps {
  /**
   * Send the bucket's object events to Amazon EventBridge (for example to react to new run summaries).
   * Not allowed with `bucket` (synth error): a bucket you pass keeps its own settings.
   *
   * @default true
   */
  readonly eventBridgeEnabled?: boolean;

  /**
   * Age at which hourly Parquet files move to S3 Standard-IA. At least 30 days (an S3 rule).
   * Leave it unset if the data is queried often: Standard-IA charges per GB retrieved.
   *
   * @default - hourly data stays in S3 Standard
   */
  readonly hourlyInfrequentAccessAfter?: Duration;

  /**
   * Age at which quarantined records are deleted. The raw responses they came from stay in the landing zone.
   *
   * @default - never
   */
  readonly quarantineExpiration?: Duration;

  /**
   * Age at which run summaries are deleted.
   *
   * @default - never
   */
  readonly runSummaryExpiration?: Duration;

  /**
   * Age at which staging files (every fetch, `WeatherContract.STAGING_PREFIX`) move to S3 Standard-IA. At least 30
   * days (an S3 rule).
   *
   * Staging only grows (every batch adds a file per city), and past its first weeks it is read by history-wide
   * analyses (forecast error by lead time) rather than every day: Standard-IA stores it for about half the price of
   * Standard and charges per GB retrieved, so it pays while an old byte is read less than about once a month (Athena
   * reads only the Parquet columns a query needs). S3 does not transition objects smaller than 128 KiB, and a staging
   * file holds one city's hours of one fetch (13 KB for the ingestion's default 192 hours, 54 KB for 2,400, measured
   * in docs/data-contract.md): such files stay in Standard and pay no transition fee; the rule acts on files past
   * 128 KiB. What bounds the zone is `stagingExpiration`. Set a later age to keep staging in Standard longer.
   *
   * @default Duration.days(30), unless `stagingExpiration` is 60 days or less: then no transition (Standard-IA
   * bills at least 30 days of storage, so files deleted within 30 days of their transition would cost more there)
   */
  readonly stagingInfrequentAccessAfter?: Duration;

  /**
   * Age at which staging files (every fetch) are deleted; later than `stagingInfrequentAccessAfter` when that is set.
   *
   * Keeping every fetch is what staging is for (how a forecast changed, forecast error by lead time), and the raw
   * zone it is rebuilt from may expire, so nothing is deleted unless you say so. Set it when the forecast's history
   * is needed only for a while: staging is the zone that grows (see docs/data-contract.md, "What each zone costs").
   *
   * @default - never
   */
  readonly stagingExpiration?: Duration;
}

/**
 * What every refined lake has, made here or imported: the contract's prefixes and the grants on them.
 */
export abstract class RefinedLakeBase extends Construct implements IRefinedLake {
  /** The refined bucket. */
  public abstract readonly bucket: s3.IBucket;

  /** The partition granularity of the hourly table. */
  public abstract readonly partitionGranularity: PartitionGranularity;

  /** The hourly table's partition keys, in key order. */
  public abstract readonly hourlyPartitionKeys: string[];

  /**
   * The cities whose data the lake holds.
   *
   * @default - none declared
   */
  public abstract readonly cities?: City[];

  /** Prefix of everything the pipeline writes in this bucket (`weather/`). */
  public readonly prefix: string = 'weather/';

  /** Prefix of the hourly Parquet table (`WeatherContract.REFINED_HOURLY_PREFIX`). */
  public readonly hourlyPrefix: string = WeatherContract.REFINED_HOURLY_PREFIX;

  /** Prefix of quarantined records (`WeatherContract.QUARANTINE_PREFIX`). */
  public readonly quarantinePrefix: string = WeatherContract.QUARANTINE_PREFIX;

  /** Prefix of the ETL run summaries (`WeatherContract.RUN_SUMMARY_PREFIX`). */
  public readonly runSummaryPrefix: string = WeatherContract.RUN_SUMMARY_PREFIX;

  /** Prefix of the staging table (`WeatherContract.STAGING_PREFIX`). */
  public readonly stagingPrefix: string = WeatherContract.STAGING_PREFIX;

  /** Prefix of the daily table (`WeatherContract.DAILY_PREFIX`). */
  public readonly dailyPrefix: string = WeatherContract.DAILY_PREFIX;

  /** Lets a principal read everything the pipeline writes here: hourly, daily and staging data, quarantine and run summaries. */
  public grantRead(grantee: iam.IGrantable): iam.Grant {
    return grantPrefixRead(this.bucket, grantee, this.prefix);
  }

  /** Lets a principal read the hourly Parquet table only (analysts, BI tools). */
  public grantReadHourly(grantee: iam.IGrantable): iam.Grant {
    return grantPrefixRead(this.bucket, grantee, this.hourlyPrefix);
  }

  /** Lets a principal read quarantined records only. */
  public grantReadQuarantine(grantee: iam.IGrantable): iam.Grant {
    return grantPrefixRead(this.bucket, grantee, this.quarantinePrefix);
  }

  /** Lets a principal read run summaries only (monitoring). */
  public grantReadRunSummaries(grantee: iam.IGrantable): iam.Grant {
    return grantPrefixRead(this.bucket, grantee, this.runSummaryPrefix);
  }

  /** Lets a principal read the daily table only (dashboards, analysts who need one row per city and day). */
  public grantReadDaily(grantee: iam.IGrantable): iam.Grant {
    return grantPrefixRead(this.bucket, grantee, this.dailyPrefix);
  }

  /** Lets a principal read the staging table only (every fetch: forecast history, forecast error by lead time). */
  public grantReadStaging(grantee: iam.IGrantable): iam.Grant {
    return grantPrefixRead(this.bucket, grantee, this.stagingPrefix);
  }

  /**
   * Lets a principal write every table the ETL job writes here (hourly, daily, staging, quarantine, run summaries):
   * put, list and delete objects under `weather/` (replacing a partition deletes its previous file) and use the
   * bucket's key.
   */
  public grantWrite(grantee: iam.IGrantable): iam.Grant {
    return grantPrefixWrite(this.bucket, grantee, this.prefix, { delete: true });
  }
}

/**
 * The refined zone: hourly weather as Parquet partitioned by `date=` and `city=` (or `month=` and `city=`, see
 * `partitionGranularity`), quarantined records with their reason, and one JSON summary per ETL run.
 *
 * It has the landing zone's security defaults: a versioned bucket encrypted with a rotating customer-managed
 * KMS key (S3 bucket keys on), all public access blocked, TLS enforced, server access logs, RETAIN on delete.
 *
 * @example
 * const refined = new RefinedLake(this, 'Refined');
 * refined.grantReadHourly(analystRole);
 */
export class RefinedLake extends RefinedLakeBase {
  /**
   * A refined lake whose bucket exists already: in another stack of the app, made by another team, or in another
   * account. Nothing is created; give it the same cities and partition granularity as the lake that writes it.
   *
   * @example
   * const refined = RefinedLake.fromRefinedLakeAttributes(this, 'Refined', {
   *   bucket: s3.Bucket.fromBucketAttributes(this, 'RefinedBucket', { bucketName: 'my-refined', encryptionKey: refinedKey }),
   *   cities: [{ name: 'Paris', latitude: 48.8566, longitude: 2.3522 }],
   * });
   */
  public static fromRefinedLakeAttributes(scope: Construct, id: string, attrs: RefinedLakeAttributes): IRefinedLake {
    return new ImportedRefinedLake(scope, id, attrs);
  }


  /** The refined bucket (created, or the one you passed). */
  public readonly bucket: s3.IBucket;

  /** The KMS key encrypting the bucket, when there is one. */
  public readonly encryptionKey?: kms.IKey;

  /** The bucket receiving server access logs, when the construct created the refined bucket. */
  public readonly accessLogsBucket?: s3.IBucket;

  /** The partition granularity of the hourly table, which the ETL job and the catalog on this lake follow. */
  public readonly partitionGranularity: PartitionGranularity;

  /** The hourly table's partition keys, in key order (`date`, `city`; or `month`, `city`). */
  public readonly hourlyPartitionKeys: string[];

  /**
   * The validated cities whose data the lake holds.
   *
   * @default - none declared
   */
  public readonly cities?: City[];

  constructor(scope: Construct, id: string, props: RefinedLakeProps = {}) {
    super(scope, id);

    rejectShapingPropsWithBucket(props, ['eventBridgeEnabled', 'hourlyInfrequentAccessAfter', 'quarantineExpiration', 'runSummaryExpiration',
      'stagingInfrequentAccessAfter', 'stagingExpiration']);
    checkDays('hourlyInfrequentAccessAfter', props.hourlyInfrequentAccessAfter, 30);
    checkDays('quarantineExpiration', props.quarantineExpiration, 1);
    checkDays('runSummaryExpiration', props.runSummaryExpiration, 1);
    const staging = stagingLifecycle(props);
    const data = checkLakeData(props);
    this.cities = data.cities;
    this.partitionGranularity = data.partitionGranularity;
    this.hourlyPartitionKeys = WeatherContract.hourlyPartitionKeys(this.partitionGranularity);

    const lifecycleRules: s3.LifecycleRule[] = [];
    if (props.hourlyInfrequentAccessAfter !== undefined) {
      lifecycleRules.push(toInfrequentAccess('hourly-to-infrequent-access', this.hourlyPrefix, props.hourlyInfrequentAccessAfter));
    }
    if (props.quarantineExpiration !== undefined) {
      lifecycleRules.push({ id: 'expire-quarantine', prefix: this.quarantinePrefix, expiration: props.quarantineExpiration });
    }
    if (props.runSummaryExpiration !== undefined) {
      lifecycleRules.push({ id: 'expire-run-summaries', prefix: this.runSummaryPrefix, expiration: props.runSummaryExpiration });
    }
    if (staging.infrequentAccessAfter !== undefined) {
      lifecycleRules.push(toInfrequentAccess('staging-to-infrequent-access', this.stagingPrefix, staging.infrequentAccessAfter));
    }
    if (staging.expiration !== undefined) {
      lifecycleRules.push({ id: 'expire-staging', prefix: this.stagingPrefix, expiration: staging.expiration });
    }

    const zone = secureBucket({
      scope: this,
      props,
      purpose: 'the weather refined zone (Parquet, quarantine, run summaries)',
      accessLogsPrefix: 'refined/',
      eventBridgeEnabled: props.eventBridgeEnabled ?? true,
      lifecycleRules,
    });
    this.bucket = zone.bucket;
    this.encryptionKey = zone.encryptionKey;
    this.accessLogsBucket = zone.accessLogsBucket;
  }

}

/** The refined lake of `RefinedLake.fromRefinedLakeAttributes`: the bucket and the data definition, nothing created. */
class ImportedRefinedLake extends RefinedLakeBase {
  public readonly bucket: s3.IBucket;
  public readonly partitionGranularity: PartitionGranularity;
  public readonly hourlyPartitionKeys: string[];
  public readonly cities?: City[];

  constructor(scope: Construct, id: string, attrs: RefinedLakeAttributes) {
    super(scope, id);
    const data = checkLakeData(attrs);
    this.bucket = attrs.bucket;
    this.cities = data.cities;
    this.partitionGranularity = data.partitionGranularity;
    this.hourlyPartitionKeys = WeatherContract.hourlyPartitionKeys(this.partitionGranularity);
  }
}

/** Standard-IA bills at least this many days of storage for every object moved there. */
const INFREQUENT_ACCESS_MINIMUM_DAYS = 30;
const DEFAULT_STAGING_INFREQUENT_ACCESS_DAYS = 30;

/** A lifecycle rule moving the objects under `prefix` to Standard-IA `after` their creation. */
function toInfrequentAccess(id: string, prefix: string, after: Duration): s3.LifecycleRule {
  return { id, prefix, transitions: [{ storageClass: s3.StorageClass.INFREQUENT_ACCESS, transitionAfter: after }] };
}

/**
 * The staging zone's transition and expiration ages: validated, with the default transition dropped when the files
 * would be deleted before Standard-IA's minimum storage duration has passed.
 */
function stagingLifecycle(props: RefinedLakeProps): { infrequentAccessAfter?: Duration; expiration?: Duration } {
  checkDays('stagingInfrequentAccessAfter', props.stagingInfrequentAccessAfter, 30);
  checkDays('stagingExpiration', props.stagingExpiration, 1);
  const expiration = props.stagingExpiration;
  const resolvedExpiration = expiration !== undefined && !Token.isUnresolved(expiration.toString()) ? expiration : undefined;
  if (props.stagingInfrequentAccessAfter !== undefined) {
    const transition = props.stagingInfrequentAccessAfter;
    if (resolvedExpiration !== undefined && !Token.isUnresolved(transition.toString()) && resolvedExpiration.toDays() <= transition.toDays()) {
      throw new Error(`stagingExpiration must be later than stagingInfrequentAccessAfter (${transition.toHumanString()}), got ${resolvedExpiration.toHumanString()}`);
    }
    return { infrequentAccessAfter: transition, expiration };
  }
  const keepsDefaultTransition = resolvedExpiration === undefined
    || resolvedExpiration.toDays() > DEFAULT_STAGING_INFREQUENT_ACCESS_DAYS + INFREQUENT_ACCESS_MINIMUM_DAYS;
  return { infrequentAccessAfter: keepsDefaultTransition ? Duration.days(DEFAULT_STAGING_INFREQUENT_ACCESS_DAYS) : undefined, expiration };
}

/** Validates the data definition: the cities (copied, so a later change to the caller's array is not seen) and the granularity. */
function checkLakeData(props: RefinedLakeDataProps): { cities?: City[]; partitionGranularity: PartitionGranularity } {
  const granularity = props.partitionGranularity ?? WeatherContract.DEFAULT_PARTITION_GRANULARITY;
  if (!(Object.values(PartitionGranularity) as string[]).includes(granularity)) {
    throw new Error(`partitionGranularity must be PartitionGranularity.DAY or PartitionGranularity.MONTH, got ${JSON.stringify(granularity)}`);
  }
  if (props.cities !== undefined) {
    WeatherContract.validateCities(props.cities, 'cities');
  }
  return { cities: props.cities !== undefined ? [...props.cities] : undefined, partitionGranularity: granularity };
}
