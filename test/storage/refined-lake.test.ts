import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { PartitionGranularity, RefinedLake, WeatherContract } from '../../src';
import { nagFindings, newStack } from '../nag';
import { expectDeniesUploadsWithoutKey } from './bucket-policy';

const BUCKET = 'AWS::S3::Bucket';

describe('RefinedLake with no props', () => {
  const { app, stack } = newStack();
  const refined = new RefinedLake(stack, 'Refined');
  const template = Template.fromStack(stack);
  const bucketId = stack.getLogicalId(refined.bucket.node.defaultChild as s3.CfnBucket);
  const bucket = template.findResources(BUCKET)[bucketId];
  const keyId = stack.getLogicalId(refined.encryptionKey!.node.defaultChild as kms.CfnKey);

  test('has the same security defaults as the landing zone', () => {
    expect(bucket.Properties).toMatchObject({
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ BucketKeyEnabled: true, ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: { 'Fn::GetAtt': [keyId, 'Arn'] } } }] },
      VersioningConfiguration: { Status: 'Enabled' },
      LoggingConfiguration: { LogFilePrefix: 'refined/' },
      NotificationConfiguration: { EventBridgeConfiguration: { EventBridgeEnabled: true } },
    });
    expect(bucket).toMatchObject({ DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: bucketId },
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
  });

  test('denies uploads that do not use the lake\'s KMS key', () => {
    expectDeniesUploadsWithoutKey(template, bucketId, keyId);
  });

  test('keeps analytics data in S3 Standard, moves staging to Standard-IA and expires only noncurrent versions by default', () => {
    expect(bucket.Properties.LifecycleConfiguration.Rules).toEqual([{
      Id: 'expire-noncurrent-versions-and-incomplete-uploads',
      Status: 'Enabled',
      NoncurrentVersionExpiration: { NoncurrentDays: 30 },
      AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 },
      ExpiredObjectDeleteMarker: true,
    }, {
      Id: 'staging-to-infrequent-access',
      Prefix: WeatherContract.STAGING_PREFIX,
      Status: 'Enabled',
      Transitions: [{ StorageClass: 'STANDARD_IA', TransitionInDays: 30 }],
    }]);
  });

  test('exposes the contract layout', () => {
    expect(refined.hourlyPrefix).toBe(WeatherContract.REFINED_HOURLY_PREFIX);
    expect(refined.quarantinePrefix).toBe(WeatherContract.QUARANTINE_PREFIX);
    expect(refined.runSummaryPrefix).toBe(WeatherContract.RUN_SUMMARY_PREFIX);
    expect(refined.stagingPrefix).toBe(WeatherContract.STAGING_PREFIX);
    expect(refined.dailyPrefix).toBe(WeatherContract.DAILY_PREFIX);
    for (const prefix of [refined.hourlyPrefix, refined.quarantinePrefix, refined.runSummaryPrefix, refined.stagingPrefix, refined.dailyPrefix]) {
      expect(prefix.startsWith(refined.prefix)).toBe(true);
    }
  });

  test('has no cdk-nag AwsSolutions finding', () => {
    expect(nagFindings(app)).toEqual([]);
  });
});

describe('RefinedLake grants per prefix', () => {
  const { stack } = newStack();
  const refined = new RefinedLake(stack, 'Refined');
  const roles: Record<string, iam.Role> = {};
  for (const name of ['All', 'Hourly', 'Quarantine', 'Summaries', 'Daily', 'Staging', 'Writer']) {
    roles[name] = new iam.Role(stack, name, { assumedBy: new iam.ServicePrincipal('glue.amazonaws.com') });
  }
  refined.grantRead(roles.All);
  refined.grantReadHourly(roles.Hourly);
  refined.grantReadQuarantine(roles.Quarantine);
  refined.grantReadRunSummaries(roles.Summaries);
  refined.grantReadDaily(roles.Daily);
  refined.grantReadStaging(roles.Staging);
  refined.grantWrite(roles.Writer);
  const template = Template.fromStack(stack);
  const bucketArn = { 'Fn::GetAtt': [stack.getLogicalId(refined.bucket.node.defaultChild as s3.CfnBucket), 'Arn'] };
  const keyArn = { 'Fn::GetAtt': [stack.getLogicalId(refined.encryptionKey!.node.defaultChild as kms.CfnKey), 'Arn'] };
  const statementsOf = (role: iam.Role) => {
    const policies = template.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: stack.getLogicalId(role.node.defaultChild as iam.CfnRole) }] } });
    return Object.values(policies).flatMap((p: any) => p.Properties.PolicyDocument.Statement);
  };

  test.each([
    ['All', 'weather/'],
    ['Hourly', WeatherContract.REFINED_HOURLY_PREFIX],
    ['Quarantine', WeatherContract.QUARANTINE_PREFIX],
    ['Summaries', WeatherContract.RUN_SUMMARY_PREFIX],
    ['Daily', WeatherContract.DAILY_PREFIX],
    ['Staging', WeatherContract.STAGING_PREFIX],
  ])('%s reader gets reads under %s only', (name, prefix) => {
    expect(statementsOf(roles[name])).toEqual([
      { Effect: 'Allow', Action: ['s3:GetObject', 's3:GetObjectVersion'], Resource: { 'Fn::Join': ['', [bucketArn, `/${prefix}*`]] } },
      { Effect: 'Allow', Action: 's3:ListBucket', Resource: bucketArn, Condition: { StringLike: { 's3:prefix': [`${prefix}*`, prefix.replace(/\/$/, '')] } } },
      { Effect: 'Allow', Action: 'kms:Decrypt', Resource: keyArn },
    ]);
  });

  test('the writer can put, delete (partition replacement) and list under weather/ only', () => {
    expect(statementsOf(roles.Writer)).toEqual([
      { Effect: 'Allow', Action: ['s3:PutObject', 's3:AbortMultipartUpload', 's3:DeleteObject'], Resource: { 'Fn::Join': ['', [bucketArn, '/weather/*']] } },
      { Effect: 'Allow', Action: 's3:ListBucket', Resource: bucketArn, Condition: { StringLike: { 's3:prefix': ['weather/*', 'weather'] } } },
      { Effect: 'Allow', Action: ['kms:GenerateDataKey', 'kms:Decrypt'], Resource: keyArn },
    ]);
  });
});

describe('RefinedLake options', () => {
  test('lifecycle per prefix', () => {
    const { stack } = newStack();
    new RefinedLake(stack, 'Refined', {
      hourlyInfrequentAccessAfter: Duration.days(180),
      quarantineExpiration: Duration.days(400),
      runSummaryExpiration: Duration.days(800),
    });
    Template.fromStack(stack).hasResourceProperties(BUCKET, {
      LifecycleConfiguration: {
        Rules: [
          Match.objectLike({ Id: 'expire-noncurrent-versions-and-incomplete-uploads' }),
          Match.objectLike({ Prefix: WeatherContract.REFINED_HOURLY_PREFIX, Transitions: [{ StorageClass: 'STANDARD_IA', TransitionInDays: 180 }] }),
          Match.objectLike({ Prefix: WeatherContract.QUARANTINE_PREFIX, ExpirationInDays: 400 }),
          Match.objectLike({ Prefix: WeatherContract.RUN_SUMMARY_PREFIX, ExpirationInDays: 800 }),
          Match.objectLike({ Prefix: WeatherContract.STAGING_PREFIX, Transitions: [{ StorageClass: 'STANDARD_IA', TransitionInDays: 30 }] }),
        ],
      },
    });
  });

  test('shares a log bucket and a key with the landing zone when you pass them', () => {
    const { app, stack } = newStack();
    const key = new kms.Key(stack, 'LakeKey', { enableKeyRotation: true });
    const logs = new s3.Bucket(stack, 'Logs', {
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
    });
    const refined = new RefinedLake(stack, 'Refined', { encryptionKey: key, serverAccessLogsBucket: logs, eventBridgeEnabled: false });
    const template = Template.fromStack(stack);
    template.resourceCountIs(BUCKET, 2);
    template.resourceCountIs('AWS::KMS::Key', 1);
    expect(refined.encryptionKey).toBe(key);
    expect(refined.accessLogsBucket).toBe(logs);
    // cdk-nag recognizes the passed bucket as an access-log destination, so it needs no logging of its own.
    expect(nagFindings(app)).toEqual([]);
  });

  test('adopts a bucket you bring', () => {
    const { stack } = newStack();
    const existing = s3.Bucket.fromBucketName(stack, 'Existing', 'my-refined-weather');
    const refined = new RefinedLake(stack, 'Refined', { bucket: existing });
    Template.fromStack(stack).resourceCountIs(BUCKET, 0);
    expect(refined.bucket).toBe(existing);
    expect(refined.encryptionKey).toBeUndefined();
  });

  test('DESTROY removes the buckets', () => {
    const { stack } = newStack();
    new RefinedLake(stack, 'Refined', { removalPolicy: RemovalPolicy.DESTROY });
    for (const definition of Object.values(Template.fromStack(stack).findResources(BUCKET))) {
      expect(definition).toMatchObject({ DeletionPolicy: 'Delete' });
    }
  });
});

describe('RefinedLake validation', () => {
  const build = (props: ConstructorParameters<typeof RefinedLake>[2]) => () => new RefinedLake(new Stack(), 'Refined', props);

  test.each([
    [{ bucket: s3.Bucket.fromBucketName(new Stack(), 'B', 'existing-bucket'), quarantineExpiration: Duration.days(30) },
      'quarantineExpiration cannot be combined with bucket: they shape a bucket the construct creates, and the bucket you pass keeps its own settings'],
    [{ hourlyInfrequentAccessAfter: Duration.days(7) }, 'hourlyInfrequentAccessAfter must be a whole number of days, at least 30, got 7 days'],
    [{ quarantineExpiration: Duration.minutes(30) }, 'quarantineExpiration must be a whole number of days, at least 1, got 30 minutes'],
    [{ runSummaryExpiration: Duration.days(0) }, 'runSummaryExpiration must be a whole number of days, at least 1, got 0 days'],
  ])('rejects bad props (%#)', (props, message) => {
    expect(build(props as any)).toThrow(message);
  });
});

describe('RefinedLake partitionGranularity', () => {
  test('is DAY by default', () => {
    const { stack } = newStack();
    const refined = new RefinedLake(stack, 'Refined');
    expect(refined.partitionGranularity).toBe(PartitionGranularity.DAY);
    expect(refined.hourlyPartitionKeys).toEqual(['date', 'city']);
  });

  test('MONTH is allowed with a bucket you bring (it shapes the data, not the bucket) and changes no resource', () => {
    const { stack } = newStack();
    const bucket = s3.Bucket.fromBucketName(stack, 'Mine', 'my-refined');
    const refined = new RefinedLake(stack, 'Refined', { bucket, partitionGranularity: PartitionGranularity.MONTH });
    expect(refined.partitionGranularity).toBe(PartitionGranularity.MONTH);
    expect(refined.hourlyPartitionKeys).toEqual(['month', 'city']);
    expect(Object.keys(Template.fromStack(stack).toJSON().Resources ?? {})).toEqual([]);
  });

  test('rejects an unknown value, naming the prop', () => {
    const { stack } = newStack();
    expect(() => new RefinedLake(stack, 'Refined', { partitionGranularity: 'YEAR' as PartitionGranularity }))
      .toThrow('partitionGranularity must be PartitionGranularity.DAY or PartitionGranularity.MONTH, got "YEAR"');
  });
});

describe('an imported RefinedLake', () => {
  test('has the same prefixes and per-prefix grants as one made here', () => {
    const { stack } = newStack();
    const bucket = s3.Bucket.fromBucketName(stack, 'Bucket', 'their-refined');
    const lake = RefinedLake.fromRefinedLakeAttributes(stack, 'Lake', { bucket });
    expect([lake.stagingPrefix, lake.dailyPrefix]).toEqual([WeatherContract.STAGING_PREFIX, WeatherContract.DAILY_PREFIX]);
    const role = new iam.Role(stack, 'Dashboards', { assumedBy: new iam.ServicePrincipal('quicksight.amazonaws.com') });
    lake.grantReadDaily(role);
    const statements = Object.values(Template.fromStack(stack).findResources('AWS::IAM::Policy'))
      .flatMap((p: any) => p.Properties.PolicyDocument.Statement);
    expect(statements).toContainEqual(expect.objectContaining({
      Action: ['s3:GetObject', 's3:GetObjectVersion'],
      Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:s3:::their-refined/${WeatherContract.DAILY_PREFIX}*`]] },
    }));
  });
});
