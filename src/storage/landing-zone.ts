import { Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct, IConstruct } from 'constructs';
import { WeatherContract } from '../contract';
import { DataZoneProps } from './data-zone-props';
import { grantPrefixRead, grantPrefixWrite } from '../private/prefix-grants';
import { checkDays, rejectShapingPropsWithBucket, secureBucket } from '../private/secure-bucket';

/**
 * A landing zone: the bucket and prefixes the ingestion writes raw responses and manifests to, and the ETL reads.
 *
 * Made by `LandingZone`, or imported with `LandingZone.fromLandingZoneAttributes` (a bucket another stack, team or
 * account owns, laid out per `WeatherContract`).
 */
export interface ILandingZone extends IConstruct {
  /** The landing bucket. Its `encryptionKey`, when it has one, is granted along with the bucket. */
  readonly bucket: s3.IBucket;

  /** Prefix of everything the pipeline writes in the bucket (`weather/`). */
  readonly prefix: string;

  /** Prefix of the raw API responses (`WeatherContract.LANDING_RAW_PREFIX`). */
  readonly rawPrefix: string;

  /** Prefix of the ingestion batch manifests (`WeatherContract.LANDING_MANIFEST_PREFIX`). */
  readonly manifestPrefix: string;

  /** Whether the bucket sends object events to EventBridge (the orchestrator's manifest trigger needs them). */
  readonly eventBridgeEnabled: boolean;

  /** Lets a principal read raw responses and manifests (objects under `prefix`, and decrypt with the bucket's key). */
  grantRead(grantee: iam.IGrantable): iam.Grant;

  /** Lets a principal write raw responses and manifests (put objects under `prefix`, no delete). */
  grantWrite(grantee: iam.IGrantable): iam.Grant;
}

/**
 * A landing zone made elsewhere, for `LandingZone.fromLandingZoneAttributes`.
 */
export interface LandingZoneAttributes {
  /**
   * The landing bucket. Import it with `Bucket.fromBucketAttributes({ bucketArn, encryptionKey })` so that
   * grants include its KMS key.
   */
  readonly bucket: s3.IBucket;

  /**
   * Whether the bucket sends object events to EventBridge.
   *
   * @default true
   */
  readonly eventBridgeEnabled?: boolean;
}

/**
 * Properties of the landing zone.
 */
export interface LandingZoneProps extends DataZoneProps {
  /**
   * Send the bucket's object events to Amazon EventBridge, so that the arrival of an ingestion manifest can
   * start the pipeline. Not allowed with `bucket` (synth error): a bucket you pass keeps its own settings, and the
   * construct takes its events as on (`eventBridgeEnabled` is true); turn them on for the manifest trigger.
   *
   * @default true
   */
  readonly eventBridgeEnabled?: boolean;

  /**
   * Age at which raw responses move to S3 Standard-IA. At least 30 days (an S3 rule).
   *
   * S3 does not transition objects smaller than 128 KiB, so single-city responses usually stay in Standard:
   * no per-object transition fee is paid for them.
   *
   * @default Duration.days(30)
   */
  readonly infrequentAccessAfter?: Duration;

  /**
   * Age at which raw responses move to S3 Glacier Instant Retrieval (still readable by a re-run of the ETL
   * without a restore). Must be at least 30 days after `infrequentAccessAfter`.
   *
   * @default Duration.days(90)
   */
  readonly glacierInstantRetrievalAfter?: Duration;

  /**
   * Age at which raw responses and manifests are deleted.
   *
   * @default - never: the raw zone is the source of truth that the refined zone can be rebuilt from
   */
  readonly rawExpiration?: Duration;
}

const LANDING_PREFIX = 'weather/';

/**
 * The raw zone: Open-Meteo responses byte-for-byte, plus one manifest per ingestion batch.
 *
 * By default it creates a versioned bucket encrypted with a rotating customer-managed KMS key (S3 bucket keys
 * on), blocks all public access, refuses non-TLS requests, logs server access to a dedicated bucket, sends
 * events to EventBridge, moves old raw data to cheaper storage and keeps everything when the stack is deleted.
 *
 * @example
 * const landing = new LandingZone(this, 'Landing');
 * landing.grantRead(myRole);
 */
export class LandingZone extends Construct implements ILandingZone {
  /**
   * A landing zone whose bucket exists already: in another stack of the app, made by another team, or in another
   * account. Nothing is created; grants go to the bucket (and its key) as `s3.IBucket` grants do.
   *
   * @example
   * const landing = LandingZone.fromLandingZoneAttributes(this, 'Landing', {
   *   bucket: s3.Bucket.fromBucketAttributes(this, 'LandingBucket', { bucketName: 'my-landing', encryptionKey: landingKey }),
   * });
   */
  public static fromLandingZoneAttributes(scope: Construct, id: string, attrs: LandingZoneAttributes): ILandingZone {
    class Import extends Construct implements ILandingZone {
      public readonly bucket = attrs.bucket;
      public readonly prefix = LANDING_PREFIX;
      public readonly rawPrefix = WeatherContract.LANDING_RAW_PREFIX;
      public readonly manifestPrefix = WeatherContract.LANDING_MANIFEST_PREFIX;
      public readonly eventBridgeEnabled = attrs.eventBridgeEnabled ?? true;
      public grantRead(grantee: iam.IGrantable): iam.Grant {
        return grantPrefixRead(this.bucket, grantee, this.prefix);
      }
      public grantWrite(grantee: iam.IGrantable): iam.Grant {
        return grantPrefixWrite(this.bucket, grantee, this.prefix);
      }
    }
    return new Import(scope, id);
  }

  /** The landing bucket (created, or the one you passed). */
  public readonly bucket: s3.IBucket;

  /** The KMS key encrypting the bucket, when there is one. */
  public readonly encryptionKey?: kms.IKey;

  /** The bucket receiving server access logs, when the construct created the landing bucket. */
  public readonly accessLogsBucket?: s3.IBucket;

  /** Prefix of everything the pipeline writes in this bucket (`weather/`). */
  public readonly prefix: string = LANDING_PREFIX;

  /** Prefix of the raw API responses (`WeatherContract.LANDING_RAW_PREFIX`). */
  public readonly rawPrefix: string = WeatherContract.LANDING_RAW_PREFIX;

  /** Prefix of the ingestion batch manifests (`WeatherContract.LANDING_MANIFEST_PREFIX`). */
  public readonly manifestPrefix: string = WeatherContract.LANDING_MANIFEST_PREFIX;

  /** Whether the bucket sends object events to EventBridge (always true for a bucket you passed: your call). */
  public readonly eventBridgeEnabled: boolean;

  constructor(scope: Construct, id: string, props: LandingZoneProps = {}) {
    super(scope, id);

    rejectShapingPropsWithBucket(props, ['eventBridgeEnabled', 'infrequentAccessAfter', 'glacierInstantRetrievalAfter', 'rawExpiration']);

    const infrequentAccessAfter = props.infrequentAccessAfter ?? Duration.days(30);
    const glacierAfter = props.glacierInstantRetrievalAfter ?? Duration.days(90);
    checkDays('infrequentAccessAfter', infrequentAccessAfter, 30);
    checkDays('glacierInstantRetrievalAfter', glacierAfter, 1);
    checkDays('rawExpiration', props.rawExpiration, 1);
    if (glacierAfter.toDays() < infrequentAccessAfter.toDays() + 30) {
      throw new Error(`glacierInstantRetrievalAfter must be at least 30 days after infrequentAccessAfter (${infrequentAccessAfter.toHumanString()}), got ${glacierAfter.toHumanString()}`);
    }
    if (props.rawExpiration !== undefined && props.rawExpiration.toDays() <= glacierAfter.toDays()) {
      throw new Error(`rawExpiration must be later than glacierInstantRetrievalAfter (${glacierAfter.toHumanString()}), got ${props.rawExpiration.toHumanString()}`);
    }

    this.eventBridgeEnabled = props.eventBridgeEnabled ?? true;
    const zone = secureBucket({
      scope: this,
      props,
      purpose: 'the weather landing zone (raw API responses)',
      accessLogsPrefix: 'landing/',
      eventBridgeEnabled: this.eventBridgeEnabled,
      lifecycleRules: [
        {
          id: 'raw-responses-to-cheaper-storage',
          prefix: WeatherContract.LANDING_RAW_PREFIX,
          transitions: [
            { storageClass: s3.StorageClass.INFREQUENT_ACCESS, transitionAfter: infrequentAccessAfter },
            { storageClass: s3.StorageClass.GLACIER_INSTANT_RETRIEVAL, transitionAfter: glacierAfter },
          ],
          expiration: props.rawExpiration,
        },
        ...(props.rawExpiration !== undefined
          ? [{ id: 'expire-manifests', prefix: WeatherContract.LANDING_MANIFEST_PREFIX, expiration: props.rawExpiration }]
          : []),
      ],
    });
    this.bucket = zone.bucket;
    this.encryptionKey = zone.encryptionKey;
    this.accessLogsBucket = zone.accessLogsBucket;
  }

  /**
   * Lets a principal read raw responses and manifests (objects under `weather/`, listing limited to it,
   * and decrypt with the bucket's key).
   */
  public grantRead(grantee: iam.IGrantable): iam.Grant {
    return grantPrefixRead(this.bucket, grantee, this.prefix);
  }

  /**
   * Lets a principal write raw responses and manifests (put objects under `weather/`, overwrite included,
   * no delete, and encrypt with the bucket's key).
   */
  public grantWrite(grantee: iam.IGrantable): iam.Grant {
    return grantPrefixWrite(this.bucket, grantee, this.prefix);
  }
}
