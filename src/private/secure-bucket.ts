import { Annotations, Duration, RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { acknowledgeNoReplication } from './nag-acknowledgements';
import { skipCheckovCheck } from './template-checkers';
import { DataZoneProps } from '../storage/data-zone-props';

/** What a zone asks of the bucket it creates, beyond the shared props. */
export interface SecureBucketOptions {
  /** Construct that owns the children (the zone). */
  readonly scope: Construct;
  /** The zone's props. */
  readonly props: DataZoneProps;
  /** One line saying what the bucket holds, used in the key description. */
  readonly purpose: string;
  /** Prefix of this bucket's objects in the access-log bucket. */
  readonly accessLogsPrefix: string;
  /** Lifecycle rules specific to the zone (the shared noncurrent/multipart rule is added here). */
  readonly lifecycleRules: s3.LifecycleRule[];
  /** Send object-level events to EventBridge. */
  readonly eventBridgeEnabled: boolean;
}

/** The resources a zone ends up with. */
export interface SecureBucket {
  readonly bucket: s3.IBucket;
  readonly encryptionKey?: kms.IKey;
  readonly accessLogsBucket?: s3.IBucket;
  readonly created: boolean;
}

const BUCKET_SHAPING_PROPS: (keyof DataZoneProps)[] = [
  'encryptionKey', 's3ManagedEncryption', 'serverAccessLogsBucket', 'accessLogsRetention', 'noncurrentVersionExpiration', 'removalPolicy',
];

/** Checks that a duration is a whole number of days of at least `minDays`, naming the prop when it is not. */
export function checkDays(propName: string, value: Duration | undefined, minDays: number): void {
  if (value === undefined || Token.isUnresolved(value.toString())) {
    return;
  }
  const days = value.toDays({ integral: false });
  if (!Number.isInteger(days) || days < minDays) {
    throw new Error(`${propName} must be a whole number of days, at least ${minDays}, got ${value.toHumanString()}`);
  }
}

/**
 * Throws when `props` pass a `bucket` together with props that only shape a bucket the construct creates,
 * naming those props.
 */
export function rejectShapingPropsWithBucket<P extends { readonly bucket?: unknown }>(props: P, shapingProps: readonly (keyof P)[]): void {
  if (props.bucket === undefined) {
    return;
  }
  const conflicting = shapingProps.filter((name) => props[name] !== undefined);
  if (conflicting.length > 0) {
    throw new Error(`${conflicting.join(', ')} cannot be combined with bucket: they shape a bucket the construct creates, and the bucket you pass keeps its own settings`);
  }
}

/** Creates the zone's bucket with the secure defaults, or adopts the bucket the user brought. */
export function secureBucket(options: SecureBucketOptions): SecureBucket {
  const { scope, props } = options;

  rejectShapingPropsWithBucket(props, BUCKET_SHAPING_PROPS);
  if (props.bucket !== undefined) {
    return { bucket: props.bucket, encryptionKey: props.bucket.encryptionKey, created: false };
  }
  if (props.encryptionKey !== undefined && props.s3ManagedEncryption === true) {
    throw new Error('encryptionKey cannot be combined with s3ManagedEncryption: true; choose one encryption');
  }
  checkDays('accessLogsRetention', props.accessLogsRetention, 1);
  checkDays('noncurrentVersionExpiration', props.noncurrentVersionExpiration, 1);

  const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
  const destroy = removalPolicy === RemovalPolicy.DESTROY;
  if (destroy) {
    Annotations.of(scope).addWarningV2('cdk-weather-pipeline:destroyData',
      'removalPolicy is DESTROY: deleting the stack empties and deletes this bucket and its data. Use it for test stacks only.');
  }

  const s3Managed = props.s3ManagedEncryption ?? false;
  const encryptionKey = s3Managed ? undefined : props.encryptionKey ?? new kms.Key(scope, 'Key', {
    description: `Encrypts ${options.purpose} (cdk-weather-pipeline)`,
    enableKeyRotation: true,
    removalPolicy,
  });

  const accessLogsBucket = props.serverAccessLogsBucket ?? createAccessLogsBucket(scope, props, removalPolicy);

  const bucket = new s3.Bucket(scope, 'Resource', {
    blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
    enforceSSL: true,
    minimumTLSVersion: 1.2,
    objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
    versioned: true,
    ...(encryptionKey
      ? { encryption: s3.BucketEncryption.KMS, encryptionKey, bucketKeyEnabled: true }
      : { encryption: s3.BucketEncryption.S3_MANAGED }),
    lifecycleRules: [
      {
        id: 'expire-noncurrent-versions-and-incomplete-uploads',
        noncurrentVersionExpiration: props.noncurrentVersionExpiration ?? Duration.days(30),
        abortIncompleteMultipartUploadAfter: Duration.days(7),
        expiredObjectDeleteMarker: true,
      },
      ...options.lifecycleRules,
    ],
    removalPolicy,
    autoDeleteObjects: destroy,
  });
  const cfnBucket = bucket.node.defaultChild as s3.CfnBucket;
  if (encryptionKey !== undefined) {
    denyUploadsWithoutKey(bucket, encryptionKey);
  }
  acknowledgeNoReplication(bucket, 'Cross-region replication is the data owner\'s disaster-recovery decision: it needs a destination '
    + 'bucket and KMS key in another region and doubles storage cost. The bucket is versioned, as replication requires: add a '
    + 'replication configuration to it, or pass a replicated bucket as `bucket`.');
  logAccessTo(bucket, accessLogsBucket, options.accessLogsPrefix);
  if (options.eventBridgeEnabled) {
    // Set on the L1 so no notification custom resource (and its Lambda) is needed.
    cfnBucket.notificationConfiguration = { eventBridgeConfiguration: { eventBridgeEnabled: true } };
  }
  if (destroy) {
    acknowledgeAutoDeleteProvider(scope);
  }

  return { bucket, encryptionKey, accessLogsBucket, created: true };
}

/**
 * Denies uploads that ask for another encryption than the bucket's KMS key: a different algorithm (SSE-S3,
 * SSE-C) or another KMS key. An upload that names no encryption gets the bucket's default, which is that key.
 */
export function denyUploadsWithoutKey(bucket: s3.IBucket, encryptionKey: kms.IKey): void {
  const denyUploads = (sid: string, conditions: Record<string, unknown>) => bucket.addToResourcePolicy(new iam.PolicyStatement({
    sid,
    effect: iam.Effect.DENY,
    principals: [new iam.AnyPrincipal()],
    actions: ['s3:PutObject'],
    resources: [bucket.arnForObjects('*')],
    conditions,
  }));
  denyUploads('DenyUploadsNotEncryptedWithSseKms', { StringNotEqualsIfExists: { 's3:x-amz-server-side-encryption': 'aws:kms' } });
  denyUploads('DenyUploadsWithCustomerProvidedKeys', { Null: { 's3:x-amz-server-side-encryption-customer-algorithm': 'false' } });
  denyUploads('DenyUploadsWithAnotherKmsKey', { StringNotEqualsIfExists: { 's3:x-amz-server-side-encryption-aws-kms-key-id': encryptionKey.keyArn } });
}

/**
 * Sends the server access logs of `bucket` to `accessLogsBucket` under `prefix`.
 *
 * Wired on the L1 with a bucket policy for the log delivery service, so the result does not depend on the app's
 * feature flags (without one, the L2 switches the log bucket to legacy ACLs, which a BucketOwnerEnforced bucket refuses).
 */
export function logAccessTo(bucket: s3.Bucket, accessLogsBucket: s3.IBucket, prefix: string): void {
  (bucket.node.defaultChild as s3.CfnBucket).loggingConfiguration = { destinationBucketName: accessLogsBucket.bucketName, logFilePrefix: prefix };
  accessLogsBucket.addToResourcePolicy(new iam.PolicyStatement({
    sid: `AllowLogDelivery${prefix.replace(/[^A-Za-z0-9]/g, '')}`,
    principals: [new iam.ServicePrincipal('logging.s3.amazonaws.com')],
    actions: ['s3:PutObject'],
    resources: [accessLogsBucket.arnForObjects(`${prefix}*`)],
    conditions: {
      ArnLike: { 'aws:SourceArn': bucket.bucketArn },
      StringEquals: { 'aws:SourceAccount': Stack.of(bucket).account },
    },
  }));
}

function createAccessLogsBucket(scope: Construct, props: DataZoneProps, removalPolicy: RemovalPolicy): s3.IBucket {
  checkDays('accessLogsRetention', props.accessLogsRetention, 1);
  const logs = new s3.Bucket(scope, 'AccessLogs', {
    blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
    enforceSSL: true,
    minimumTLSVersion: 1.2,
    // S3 log delivery writes only to SSE-S3 buckets.
    encryption: s3.BucketEncryption.S3_MANAGED,
    objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
    versioned: true,
    lifecycleRules: [{
      id: 'expire-access-logs',
      expiration: props.accessLogsRetention ?? Duration.days(365),
      noncurrentVersionExpiration: Duration.days(1),
      abortIncompleteMultipartUploadAfter: Duration.days(1),
    }],
    removalPolicy,
    autoDeleteObjects: removalPolicy === RemovalPolicy.DESTROY,
  });
  skipCheckovCheck(logs, 'CKV_AWS_18',
    'This bucket is the server access log destination; logging its own access would need yet another log bucket.');
  Validations.of(logs).acknowledge({
    id: 'NIST.800.53.R5-S3DefaultEncryptionKMS',
    reason: 'S3 server access log delivery writes only to buckets whose default encryption is SSE-S3, not SSE-KMS. The logs hold request '
      + 'metadata (keys, requesters, times), not weather data.',
  });
  acknowledgeNoReplication(logs, 'Access logs are an audit trail kept in the region of the buckets they describe; replicate them with '
    + 'your own log archive by passing serverAccessLogsBucket.');
  return logs;
}

/** cdk-nag acknowledgements of CDK's auto-delete-objects provider (a bucket with removalPolicy DESTROY). */
export function acknowledgeAutoDeleteProvider(scope: Construct): void {
  const stack = Stack.of(scope);
  const provider = stack.node.tryFindChild('Custom::S3AutoDeleteObjectsCustomResourceProvider');
  if (provider === undefined) {
    return;
  }
  Validations.of(provider).acknowledge({
    id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
    reason: 'CDK\'s auto-delete-objects provider (only present with removalPolicy DESTROY) uses AWSLambdaBasicExecutionRole to write its own logs.',
  });
  Validations.of(provider).acknowledge({
    id: 'AwsSolutions-L1',
    reason: 'The runtime of CDK\'s auto-delete-objects provider is chosen by aws-cdk-lib, not by this library.',
  });
}
