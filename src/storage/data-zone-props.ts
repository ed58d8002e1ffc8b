import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';

/**
 * Options shared by the landing zone and the refined lake.
 *
 * Everything except `bucket` describes a bucket the construct creates; passing both `bucket` and one of the
 * bucket-shaping options is an error, because the construct never changes a bucket it does not own.
 */
export interface DataZoneProps {
  /**
   * A bucket you already have. The construct then creates no bucket, no key and no log bucket; it uses the
   * bucket's own settings. Import it with `Bucket.fromBucketAttributes({ bucketArn, encryptionKey })` so that
   * grants include its KMS key.
   *
   * @default - a new bucket with the secure defaults described on each prop
   */
  readonly bucket?: s3.IBucket;

  /**
   * Customer-managed KMS key that encrypts the new bucket.
   *
   * @default - a new KMS key with yearly automatic rotation
   */
  readonly encryptionKey?: kms.IKey;

  /**
   * Encrypt with S3-managed keys (SSE-S3) instead of a customer-managed KMS key.
   *
   * An explicit opt-out: SSE-S3 keys cannot be audited or revoked per principal.
   *
   * @default false
   */
  readonly s3ManagedEncryption?: boolean;

  /**
   * Bucket that receives the server access logs of the new bucket. It must accept S3 log delivery
   * (SSE-S3 encryption; ACLs disabled with a bucket policy for `logging.s3.amazonaws.com`).
   *
   * @default - a dedicated, SSE-S3 encrypted log bucket whose logs expire after `accessLogsRetention`
   */
  readonly serverAccessLogsBucket?: s3.IBucket;

  /**
   * How long the dedicated log bucket keeps server access logs. Ignored when `serverAccessLogsBucket` is set.
   *
   * @default Duration.days(365)
   */
  readonly accessLogsRetention?: Duration;

  /**
   * How long overwritten and deleted object versions are kept before they expire.
   * Versioning is always on for buckets the construct creates.
   *
   * @default Duration.days(30)
   */
  readonly noncurrentVersionExpiration?: Duration;

  /**
   * What happens to the new bucket, its key and its log bucket when the stack is deleted.
   *
   * `RemovalPolicy.DESTROY` also empties the buckets on deletion (`autoDeleteObjects`) and adds a warning:
   * the data is gone for good. Use it for test stacks only.
   *
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}
