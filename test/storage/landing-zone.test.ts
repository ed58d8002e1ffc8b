import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { LandingZone, WeatherContract } from '../../src';
import { nagFindings, newStack } from '../nag';
import { expectDeniesUploadsWithoutKey } from './bucket-policy';

const BUCKET = 'AWS::S3::Bucket';

/** Every action string in every IAM policy of the template. */
function allPolicyActions(template: Template): string[] {
  return Object.values(template.findResources('AWS::IAM::Policy')).flatMap((policy: any) =>
    policy.Properties.PolicyDocument.Statement.flatMap((statement: any) => [statement.Action].flat()));
}

describe('LandingZone with no props', () => {
  const { app, stack } = newStack();
  const landing = new LandingZone(stack, 'Landing');
  const template = Template.fromStack(stack);
  const landingBucket = template.findResources(BUCKET, { Properties: { NotificationConfiguration: Match.anyValue() } });
  const landingBucketId = Object.keys(landingBucket)[0];
  const logBucketId = Object.keys(template.findResources(BUCKET)).find((id) => id !== landingBucketId)!;
  const keyId = Object.keys(template.findResources('AWS::KMS::Key'))[0];

  test('creates the landing bucket, one KMS key and one access-log bucket', () => {
    template.resourceCountIs(BUCKET, 2);
    template.resourceCountIs('AWS::KMS::Key', 1);
    expect(landingBucketId).toMatch(/^Landing/);
    expect(landing.bucket.node.path).toBe('Test/Landing/Resource');
  });

  test('blocks all public access and disables ACLs', () => {
    template.hasResourceProperties(BUCKET, {
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
    });
  });

  test('encrypts with the customer-managed key and S3 bucket keys', () => {
    expect(landingBucket[landingBucketId].Properties.BucketEncryption).toEqual({
      ServerSideEncryptionConfiguration: [{
        BucketKeyEnabled: true,
        ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: { 'Fn::GetAtt': [keyId, 'Arn'] } },
      }],
    });
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    expect(landing.encryptionKey).toBeDefined();
  });

  test('denies uploads that do not use the zone\'s KMS key', () => {
    expectDeniesUploadsWithoutKey(template, landingBucketId, keyId);
  });

  test('enforces TLS 1.2 or newer in the bucket policy', () => {
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: landingBucketId },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          Match.objectLike({ Effect: 'Deny', Condition: { NumericLessThan: { 's3:TlsVersion': 1.2 } } }),
        ]),
      },
    });
  });

  test('is versioned and sends events to EventBridge without a notification Lambda', () => {
    expect(landingBucket[landingBucketId].Properties.VersioningConfiguration).toEqual({ Status: 'Enabled' });
    expect(landingBucket[landingBucketId].Properties.NotificationConfiguration).toEqual({ EventBridgeConfiguration: { EventBridgeEnabled: true } });
    template.resourceCountIs('AWS::Lambda::Function', 0);
    template.resourceCountIs('Custom::S3BucketNotifications', 0);
    expect(landing.eventBridgeEnabled).toBe(true);
  });

  test('logs server access to the dedicated SSE-S3 log bucket, which allows only log delivery from this bucket', () => {
    expect(landingBucket[landingBucketId].Properties.LoggingConfiguration).toEqual({
      DestinationBucketName: { Ref: logBucketId },
      LogFilePrefix: 'landing/',
    });
    template.hasResourceProperties(BUCKET, {
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      LifecycleConfiguration: { Rules: Match.arrayWith([Match.objectLike({ ExpirationInDays: 365, Status: 'Enabled' })]) },
    });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: logBucketId },
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({
          Effect: 'Allow',
          Principal: { Service: 'logging.s3.amazonaws.com' },
          Action: 's3:PutObject',
          Condition: { ArnLike: { 'aws:SourceArn': { 'Fn::GetAtt': [landingBucketId, 'Arn'] } }, StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
        })]),
      },
    });
  });

  test('moves raw responses to cheaper storage, expires noncurrent versions and stale uploads, never expires raw data', () => {
    const rules = landingBucket[landingBucketId].Properties.LifecycleConfiguration.Rules;
    expect(rules).toEqual([
      {
        Id: 'expire-noncurrent-versions-and-incomplete-uploads',
        Status: 'Enabled',
        NoncurrentVersionExpiration: { NoncurrentDays: 30 },
        AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 },
        ExpiredObjectDeleteMarker: true,
      },
      {
        Id: 'raw-responses-to-cheaper-storage',
        Status: 'Enabled',
        Prefix: WeatherContract.LANDING_RAW_PREFIX,
        Transitions: [
          { StorageClass: 'STANDARD_IA', TransitionInDays: 30 },
          { StorageClass: 'GLACIER_IR', TransitionInDays: 90 },
        ],
      },
    ]);
  });

  test('retains the bucket, the key and the logs when the stack is deleted', () => {
    for (const resource of [BUCKET, 'AWS::KMS::Key']) {
      for (const definition of Object.values(template.findResources(resource))) {
        expect(definition).toMatchObject({ DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
      }
    }
  });

  test('exposes the contract layout', () => {
    expect(landing.rawPrefix).toBe(WeatherContract.LANDING_RAW_PREFIX);
    expect(landing.manifestPrefix).toBe(WeatherContract.LANDING_MANIFEST_PREFIX);
    expect(landing.prefix).toBe('weather/');
    expect(landing.rawPrefix.startsWith(landing.prefix) && landing.manifestPrefix.startsWith(landing.prefix)).toBe(true);
  });

  test('has no cdk-nag AwsSolutions finding', () => {
    expect(nagFindings(app)).toEqual([]);
  });
});

describe('LandingZone grants', () => {
  const { app, stack } = newStack();
  const landing = new LandingZone(stack, 'Landing');
  const reader = new iam.Role(stack, 'Reader', { assumedBy: new iam.ServicePrincipal('glue.amazonaws.com') });
  const writer = new iam.Role(stack, 'Writer', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
  landing.grantRead(reader);
  landing.grantWrite(writer);
  const template = Template.fromStack(stack);
  const bucketArn = { 'Fn::GetAtt': [stack.getLogicalId(landing.bucket.node.defaultChild as s3.CfnBucket), 'Arn'] };
  const keyArn = { 'Fn::GetAtt': [stack.getLogicalId(landing.encryptionKey!.node.defaultChild as kms.CfnKey), 'Arn'] };
  const objects = { 'Fn::Join': ['', [bucketArn, '/weather/*']] };

  test('grantRead gives object reads and prefix-limited listing under weather/, and decrypt', () => {
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: stack.getLogicalId(reader.node.defaultChild as iam.CfnRole) }],
      PolicyDocument: {
        Statement: [
          { Effect: 'Allow', Action: ['s3:GetObject', 's3:GetObjectVersion'], Resource: objects },
          { Effect: 'Allow', Action: 's3:ListBucket', Resource: bucketArn, Condition: { StringLike: { 's3:prefix': ['weather/*', 'weather'] } } },
          { Effect: 'Allow', Action: 'kms:Decrypt', Resource: keyArn },
        ],
      },
    });
  });

  test('grantWrite gives put and abort under weather/ (no delete, no listing), and the key for encryption', () => {
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: stack.getLogicalId(writer.node.defaultChild as iam.CfnRole) }],
      PolicyDocument: {
        Statement: [
          { Effect: 'Allow', Action: ['s3:PutObject', 's3:AbortMultipartUpload'], Resource: objects },
          { Effect: 'Allow', Action: ['kms:GenerateDataKey', 'kms:Decrypt'], Resource: keyArn },
        ],
      },
    });
  });

  test('no granted action contains a wildcard', () => {
    const actions = allPolicyActions(template);
    expect(actions.length).toBeGreaterThan(0);
    expect(actions.filter((action) => action.includes('*'))).toEqual([]);
  });

  test('the only nag findings are the object-prefix wildcards, which the grantee acknowledges', () => {
    const findings = nagFindings(app);
    expect(findings.sort()).toEqual([
      expect.stringMatching(/^Test\/Reader\/DefaultPolicy\/Resource .*AwsSolutions-IAM5\[Resource::<Landing[0-9A-F]+\.Arn>\/weather\/\*\]$/),
      expect.stringMatching(/^Test\/Writer\/DefaultPolicy\/Resource .*AwsSolutions-IAM5\[Resource::<Landing[0-9A-F]+\.Arn>\/weather\/\*\]$/),
    ]);
  });
});

describe('LandingZone options', () => {
  test('uses the key you pass instead of creating one', () => {
    const { stack } = newStack();
    const key = new kms.Key(stack, 'MyKey', { enableKeyRotation: true });
    const landing = new LandingZone(stack, 'Landing', { encryptionKey: key });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::KMS::Key', 1);
    template.hasResourceProperties(BUCKET, {
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { KMSMasterKeyID: { 'Fn::GetAtt': [stack.getLogicalId(key.node.defaultChild as kms.CfnKey), 'Arn'] } } }] },
    });
    expect(landing.encryptionKey).toBe(key);
    const bucketId = stack.getLogicalId(landing.bucket.node.defaultChild as s3.CfnBucket);
    expectDeniesUploadsWithoutKey(template, bucketId, stack.getLogicalId(key.node.defaultChild as kms.CfnKey));
  });

  test('S3-managed encryption is an explicit opt-out', () => {
    const { app, stack } = newStack();
    const landing = new LandingZone(stack, 'Landing', { s3ManagedEncryption: true });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::KMS::Key', 0);
    const algorithms = Object.values(template.findResources(BUCKET))
      .map((b: any) => b.Properties.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault.SSEAlgorithm);
    expect(algorithms).toEqual(['AES256', 'AES256']);
    expect(landing.encryptionKey).toBeUndefined();
    // No key to require: the bucket policy has no upload-encryption statement.
    expect(JSON.stringify(template.findResources('AWS::S3::BucketPolicy'))).not.toContain('x-amz-server-side-encryption');
    expect(nagFindings(app)).toEqual([]);
  });

  test('sends access logs to the log bucket you pass', () => {
    const { stack } = newStack();
    const logs = new s3.Bucket(stack, 'SharedLogs');
    const landing = new LandingZone(stack, 'Landing', { serverAccessLogsBucket: logs });
    const template = Template.fromStack(stack);
    template.resourceCountIs(BUCKET, 2);
    template.hasResourceProperties(BUCKET, { LoggingConfiguration: { DestinationBucketName: { Ref: stack.getLogicalId(logs.node.defaultChild as s3.CfnBucket) }, LogFilePrefix: 'landing/' } });
    expect(landing.accessLogsBucket).toBe(logs);
  });

  test('lifecycle days, raw expiration, noncurrent expiration and log retention are configurable', () => {
    const { stack } = newStack();
    new LandingZone(stack, 'Landing', {
      infrequentAccessAfter: Duration.days(45),
      glacierInstantRetrievalAfter: Duration.days(120),
      rawExpiration: Duration.days(730),
      noncurrentVersionExpiration: Duration.days(7),
      accessLogsRetention: Duration.days(90),
    });
    const template = Template.fromStack(stack);
    template.hasResourceProperties(BUCKET, {
      LifecycleConfiguration: {
        Rules: [
          Match.objectLike({ NoncurrentVersionExpiration: { NoncurrentDays: 7 } }),
          Match.objectLike({
            Prefix: WeatherContract.LANDING_RAW_PREFIX,
            ExpirationInDays: 730,
            Transitions: [{ StorageClass: 'STANDARD_IA', TransitionInDays: 45 }, { StorageClass: 'GLACIER_IR', TransitionInDays: 120 }],
          }),
          Match.objectLike({ Id: 'expire-manifests', Prefix: WeatherContract.LANDING_MANIFEST_PREFIX, ExpirationInDays: 730 }),
        ],
      },
    });
    template.hasResourceProperties(BUCKET, { LifecycleConfiguration: { Rules: [Match.objectLike({ ExpirationInDays: 90 })] } });
  });

  test('EventBridge notifications can be turned off', () => {
    const { stack } = newStack();
    const landing = new LandingZone(stack, 'Landing', { eventBridgeEnabled: false });
    const template = Template.fromStack(stack);
    expect(Object.values(template.findResources(BUCKET)).filter((b: any) => b.Properties.NotificationConfiguration !== undefined)).toEqual([]);
    expect(landing.eventBridgeEnabled).toBe(false);
  });

  test('DESTROY is an explicit opt-in: buckets and key are deleted, objects emptied, and a warning is shown', () => {
    const { app, stack } = newStack();
    new LandingZone(stack, 'Landing', { removalPolicy: RemovalPolicy.DESTROY });
    const template = Template.fromStack(stack);
    for (const resource of [BUCKET, 'AWS::KMS::Key']) {
      for (const definition of Object.values(template.findResources(resource))) {
        expect(definition).toMatchObject({ DeletionPolicy: 'Delete' });
      }
    }
    template.resourceCountIs('Custom::S3AutoDeleteObjects', 2);
    Annotations.fromStack(stack).hasWarning('/Test/Landing', Match.stringLikeRegexp('removalPolicy is DESTROY: deleting the stack empties and deletes this bucket'));
    expect(nagFindings(app)).toEqual([]);
  });

  describe('a bucket you bring', () => {
    const { stack } = newStack();
    const key = kms.Key.fromKeyArn(stack, 'ExistingKey', 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab');
    const existing = s3.Bucket.fromBucketAttributes(stack, 'Existing', { bucketName: 'my-raw-weather', encryptionKey: key });
    const landing = new LandingZone(stack, 'Landing', { bucket: existing });
    const role = new iam.Role(stack, 'Reader', { assumedBy: new iam.ServicePrincipal('glue.amazonaws.com') });
    landing.grantRead(role);
    const template = Template.fromStack(stack);

    test('creates no bucket and no key', () => {
      template.resourceCountIs(BUCKET, 0);
      template.resourceCountIs('AWS::KMS::Key', 0);
      expect(landing.bucket).toBe(existing);
      expect(landing.encryptionKey).toBe(key);
      expect(landing.accessLogsBucket).toBeUndefined();
    });

    test('grants on it are scoped to the prefix and include its key', () => {
      template.hasResourceProperties('AWS::IAM::Policy', {
        PolicyDocument: {
          Statement: [
            Match.objectLike({ Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':s3:::my-raw-weather/weather/*']] } }),
            Match.objectLike({ Action: 's3:ListBucket' }),
            { Effect: 'Allow', Action: 'kms:Decrypt', Resource: 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab' },
          ],
        },
      });
    });
  });
});

describe('LandingZone validation', () => {
  const build = (props: ConstructorParameters<typeof LandingZone>[2]) => () => {
    const stack = new Stack();
    new LandingZone(stack, 'Landing', props);
  };
  const someBucket = () => s3.Bucket.fromBucketName(new Stack(), 'B', 'existing');

  test.each([
    [{ bucket: someBucket(), encryptionKey: kms.Key.fromKeyArn(new Stack(), 'K', 'arn:aws:kms:eu-west-1:111122223333:key/x') },
      'encryptionKey cannot be combined with bucket: they shape a bucket the construct creates, and the bucket you pass keeps its own settings'],
    [{ bucket: someBucket(), removalPolicy: RemovalPolicy.DESTROY, s3ManagedEncryption: true },
      's3ManagedEncryption, removalPolicy cannot be combined with bucket: they shape a bucket the construct creates, and the bucket you pass keeps its own settings'],
    [{ bucket: someBucket(), eventBridgeEnabled: false },
      'eventBridgeEnabled cannot be combined with bucket: they shape a bucket the construct creates, and the bucket you pass keeps its own settings'],
    [{ encryptionKey: kms.Key.fromKeyArn(new Stack(), 'K', 'arn:aws:kms:eu-west-1:111122223333:key/x'), s3ManagedEncryption: true },
      'encryptionKey cannot be combined with s3ManagedEncryption: true; choose one encryption'],
    [{ infrequentAccessAfter: Duration.days(10) }, 'infrequentAccessAfter must be a whole number of days, at least 30, got 10 days'],
    [{ infrequentAccessAfter: Duration.hours(800) }, 'infrequentAccessAfter must be a whole number of days, at least 30, got 33 days 8 hours'],
    [{ glacierInstantRetrievalAfter: Duration.days(45) }, 'glacierInstantRetrievalAfter must be at least 30 days after infrequentAccessAfter (30 days), got 45 days'],
    [{ rawExpiration: Duration.days(90) }, 'rawExpiration must be later than glacierInstantRetrievalAfter (90 days), got 90 days'],
    [{ noncurrentVersionExpiration: Duration.hours(36) }, 'noncurrentVersionExpiration must be a whole number of days, at least 1, got 1 day 12 hours'],
    [{ accessLogsRetention: Duration.days(0) }, 'accessLogsRetention must be a whole number of days, at least 1, got 0 days'],
  ])('rejects bad props (%#)', (props, message) => {
    expect(build(props as any)).toThrow(message);
  });

  test('the nag check is live: without access logging both buckets are flagged', () => {
    // The log bucket passes S1 only because it is the landing bucket's log destination.
    const { app, stack } = newStack();
    const landing = new LandingZone(stack, 'Landing');
    (landing.bucket.node.defaultChild as s3.CfnBucket).loggingConfiguration = undefined;
    expect(nagFindings(app).sort()).toEqual([
      'Test/Landing/AccessLogs/Resource AwsSolutions::AwsSolutions-S1',
      'Test/Landing/Resource/Resource AwsSolutions::AwsSolutions-S1',
    ]);
  });
});
