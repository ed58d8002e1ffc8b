import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Duration, Size, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import { City } from '../../src/contract';
import { WeatherIngestion, WeatherIngestionProps } from '../../src/ingestion';
import { CITIES_FILE, ENV } from '../../src/ingestion/private/runtime-config';
import { callWeight } from '../../src/ingestion/private/schedule-math';
import { runsPerDay } from '../../src/private/schedule';
import { ILandingZone, LandingZone } from '../../src/storage';
import { nagFindings } from '../nag';

const CITIES: City[] = [
  { name: 'Paris', latitude: 48.8566, longitude: 2.3522, timezone: 'Europe/Paris' },
  { name: 'Saint-Étienne', latitude: 45.4397, longitude: 4.3872 },
];

function landingStack(): { app: App; stack: Stack; bucket: s3.Bucket; key: kms.Key } {
  const app = new App();
  const stack = new Stack(app, 'Test');
  const key = new kms.Key(stack, 'LandingKey', { enableKeyRotation: true });
  const bucket = new s3.Bucket(stack, 'Landing', {
    encryptionKey: key, enforceSSL: true, blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL, serverAccessLogsPrefix: 'access-logs/',
  });
  return { app, stack, bucket, key };
}

/** The landing zone of a bucket, as another stack would import it. */
function zoneOf(bucket: s3.IBucket): ILandingZone {
  return LandingZone.fromLandingZoneAttributes(Stack.of(bucket), 'LandingZone', { bucket });
}

/** The staged code asset folder of the stack's only Lambda function, in the synthesized cloud assembly. */
function functionAssetDir(app: App, stack: Stack): string {
  const assembly = app.synth();
  const template = assembly.getStackByName(stack.stackName).template;
  const [fn] = Object.values<any>(template.Resources).filter((r) => r.Type === 'AWS::Lambda::Function');
  const hash = /^([0-9a-f]{64})\.zip$/.exec(fn.Properties.Code.S3Key)![1];
  return path.join(assembly.directory, `asset.${hash}`);
}

/** The cities the function reads: the `cities.json` of its code asset. */
function assetCities(app: App, stack: Stack): City[] {
  return JSON.parse(fs.readFileSync(path.join(functionAssetDir(app, stack), CITIES_FILE), 'utf-8'));
}

/** N distinct valid cities. */
function manyCities(n: number): City[] {
  return Array.from({ length: n }, (_, i) => ({
    name: `City ${String(i).padStart(4, '0')}`,
    latitude: Math.round((-80 + (i * 0.16)) * 1e4) / 1e4,
    longitude: Math.round((-170 + ((i * 7.3) % 340)) * 1e4) / 1e4,
    ...(i % 3 === 0 ? { timezone: 'Europe/Paris' } : {}),
  }));
}

/** Every IAM policy statement of the stack. */
function statements(template: Template): any[] {
  return Object.values(template.findResources('AWS::IAM::Policy')).flatMap((p: any) => p.Properties.PolicyDocument.Statement);
}

describe('WeatherIngestion with defaults', () => {
  let app: App;
  let stack: Stack;
  let template: Template;
  let ingestion: WeatherIngestion;

  beforeAll(() => {
    const env = landingStack();
    app = env.app;
    stack = env.stack;
    ingestion = new WeatherIngestion(stack, 'Ingestion', { landingZone: zoneOf(env.bucket), cities: CITIES });
    template = Template.fromStack(stack);
  });

  test('the function: bundled Node.js 24 handler, one batch at a time, X-Ray, a timeout sized for the cities', () => {
    template.resourceCountIs('AWS::Lambda::Function', 1);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Handler: 'index.handler',
      Architectures: ['arm64'],
      ReservedConcurrentExecutions: 1,
      TracingConfig: { Mode: 'Active' },
      // 30 s fixed + one round of (4 attempts × 10 s + backoff ceilings 1 + 2 + 4 s + 1 s write)
      Timeout: 78,
      LoggingConfig: { LogGroup: { Ref: Match.stringLikeRegexp('^IngestionLogGroup') } },
      Environment: {
        Variables: Match.objectLike({
          LANDING_BUCKET: { Ref: Match.stringLikeRegexp('^Landing') },
          WEATHER_API_BASE_URL: 'https://api.open-meteo.com',
          WEATHER_ARCHIVE_API_BASE_URL: 'https://archive-api.open-meteo.com',
          WEATHER_PAST_DAYS: '1',
          WEATHER_FORECAST_DAYS: '7',
          WEATHER_REQUEST_TIMEOUT_MS: '10000',
          WEATHER_MAX_ATTEMPTS: '4',
          WEATHER_MAX_CONCURRENT_REQUESTS: '3',
          WEATHER_MAX_CALLS_PER_MINUTE: '500',
          // 64 KiB + 8 days × 24 h × (48 + 32 × 8 variables) bytes
          WEATHER_MAX_BODY_BYTES: '123904',
          // (256 MB − 128 MB baseline) / 8 bytes of memory per body byte
          WEATHER_BODY_MEMORY_BYTES: String(16 * 1024 * 1024),
          WEATHER_S3_WRITE_TIMEOUT_MS: '10000',
        }),
      },
      MemorySize: 256,
    });
    expect(ingestion.timeout.toSeconds()).toBe(78);
    expect([ingestion.maxResponseBytes, ingestion.memorySize]).toEqual([123_904, 256]);
    expect([ingestion.maxConcurrentRequests, ingestion.maxCallsPerMinute]).toEqual([3, 500]);
    expect(ingestion.node.defaultChild).toBe(ingestion.ingestFunction);
  });

  test('the cities travel in cities.json next to the bundled handler, not in the environment', () => {
    const fn = Object.values<any>(template.findResources('AWS::Lambda::Function'))[0];
    expect(Object.keys(fn.Properties.Environment.Variables).sort()).toEqual([
      'AWS_NODEJS_CONNECTION_REUSE_ENABLED', 'LANDING_BUCKET', 'NODE_OPTIONS',
      // Open-Meteo alone: no source list and no MET Norway settings (the template of a one-source pipeline is unchanged).
      ...Object.values(ENV).filter((name) => name !== ENV.bucket && name !== ENV.sources && !name.startsWith('MET_NORWAY_')),
    ].sort());
    expect(JSON.stringify(fn.Properties.Environment)).not.toContain('Paris');
    const dir = functionAssetDir(app, stack);
    expect(fs.readdirSync(dir).sort()).toEqual([CITIES_FILE, 'index.js', 'index.js.map']);
    expect(JSON.parse(fs.readFileSync(path.join(dir, CITIES_FILE), 'utf-8'))).toEqual(CITIES);
  });

  test('a log group kept for one year, retained with the stack and encrypted with a key of its own', () => {
    const keyId = stack.getLogicalId(ingestion.logEncryptionKey.node.defaultChild as kms.CfnKey);
    template.hasResource('AWS::Logs::LogGroup', {
      Properties: { RetentionInDays: 365, KmsKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] } },
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
    const key = template.findResources('AWS::KMS::Key')[keyId];
    expect(key.Properties.EnableKeyRotation).toBe(true);
    expect(key.DeletionPolicy).toBe('Retain');
    // CloudWatch Logs may use the key for this account's log groups only.
    expect(key.Properties.KeyPolicy.Statement).toContainEqual(expect.objectContaining({
      Sid: 'AllowCloudWatchLogsOfThisAccount',
      Principal: { Service: { 'Fn::Join': ['', ['logs.', { Ref: 'AWS::Region' }, '.amazonaws.com']] } },
      Condition: { ArnLike: { 'kms:EncryptionContext:aws:logs:arn': expect.anything() } },
    }));
  });

  test('the log group uses the logEncryptionKey you pass', () => {
    const { stack: own, bucket } = landingStack();
    const key = new kms.Key(own, 'LogsKey', { enableKeyRotation: true });
    const withKey = new WeatherIngestion(own, 'Ingestion', { landingZone: zoneOf(bucket), cities: CITIES, logEncryptionKey: key });
    expect(withKey.logEncryptionKey).toBe(key);
    Template.fromStack(own).hasResourceProperties('AWS::Logs::LogGroup', { KmsKeyId: { 'Fn::GetAtt': [own.getLogicalId(key.node.defaultChild as kms.CfnKey), 'Arn'] } });
    Template.fromStack(own).resourceCountIs('AWS::KMS::Key', 2); // the landing key and yours
  });

  test('writes only under the landing raw and manifest prefixes, with a data key from the bucket key', () => {
    const role = Object.values(template.findResources('AWS::IAM::Role', {
      Properties: { AssumeRolePolicyDocument: { Statement: [Match.objectLike({ Principal: { Service: 'lambda.amazonaws.com' } })] } },
    }))[0] as any;
    expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    // Only PutObject, and only on two prefixes: no read, no delete, no other bucket.
    expect(statements(template).filter((s) => [s.Action].flat().some((a: string) => a.startsWith('s3:'))).map((s) => s.Action))
      .toEqual(['s3:PutObject', 's3:PutObject']);
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          { Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Effect: 'Allow', Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('^IngestionLogGroup'), 'Arn'] } },
          { Action: 's3:PutObject', Effect: 'Allow', Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [Match.stringLikeRegexp('^Landing'), 'Arn'] }, '/weather/raw/source=open-meteo/*']] } },
          { Action: 's3:PutObject', Effect: 'Allow', Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [Match.stringLikeRegexp('^Landing'), 'Arn'] }, '/weather/manifests/*']] } },
          { Action: 'kms:GenerateDataKey', Effect: 'Allow', Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('^LandingKey'), 'Arn'] } },
        ]),
      },
    });
  });

  test('no policy in the stack has a wildcard action, and only X-Ray gets Resource "*"', () => {
    const all = statements(template);
    expect(all.flatMap((s) => [s.Action].flat()).filter((a: string) => a.includes('*'))).toEqual([]);
    expect(all.filter((s) => s.Resource === '*').map((s) => s.Action)).toEqual([['xray:PutTraceSegments', 'xray:PutTelemetryRecords']]);
  });

  test('failed asynchronous invocations go to an encrypted, TLS-only dead-letter queue', () => {
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [Match.stringLikeRegexp('^IngestionDeadLetterQueue'), 'Arn'] } } },
      MaximumRetryAttempts: 2,
      MaximumEventAgeInSeconds: 21600,
    });
    template.hasResourceProperties('AWS::SQS::Queue', { SqsManagedSseEnabled: true, MessageRetentionPeriod: 1209600 });
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
  });

  test('a schedule every 6 hours (UTC) that passes the scheduled time, with retries and the dead-letter queue', () => {
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'cron(15 0/6 * * ? *)',
      ScheduleExpressionTimezone: 'Etc/UTC',
      State: 'ENABLED',
      FlexibleTimeWindow: { Mode: 'OFF' },
      Target: {
        Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Ingestion'), 'Arn'] },
        Input: '{"scheduledTime":"<aws.scheduler.scheduled-time>"}',
        DeadLetterConfig: { Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^IngestionDeadLetterQueue'), 'Arn'] } },
        RetryPolicy: { MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 3600 },
        RoleArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^IngestionScheduleRole'), 'Arn'] },
      },
    });
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [Match.objectLike({ Principal: { Service: 'scheduler.amazonaws.com' }, Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } } })],
      },
    });
    expect(ingestion.schedule).toBeDefined();
  });

  test('estimates the daily call volume and stays quiet under the free tier', () => {
    // 2 cities × 4 runs × weight 1 (8 variables, 8 days)
    expect(ingestion.estimatedDailyApiCalls).toBe(8);
    expect(Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('Open-Meteo'))).toEqual([]);
  });

  test('the function depends on its role policy; the role itself is ordered by its ARN (no redundant DependsOn, cfn-lint W3005)', () => {
    const fn = Object.values(template.findResources('AWS::Lambda::Function'))[0];
    expect(fn.DependsOn).toEqual([expect.stringMatching(/^IngestionServiceRoleDefaultPolicy/)]);
    expect(fn.Properties.Role).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^IngestionServiceRole/), 'Arn'] });
  });
});

describe('WeatherIngestion with every prop set, on an imported bucket without a key', () => {
  let template: Template;
  let ingestion: WeatherIngestion;

  beforeAll(() => {
    const stack = new Stack(new App(), 'Custom');
    ingestion = new WeatherIngestion(stack, 'Ingestion', {
      landingZone: zoneOf(s3.Bucket.fromBucketName(stack, 'Imported', 'my-landing')),
      cities: [...CITIES, { name: 'Lyon', latitude: 45.764, longitude: 4.8357, slug: 'lyon-fr' }],
      apiBaseUrl: 'https://customer-api.open-meteo.com/',
      archiveApiBaseUrl: 'http://127.0.0.1:8080',
      pastDays: 3,
      forecastDays: 2,
      schedule: scheduler.ScheduleExpression.rate(Duration.hours(1)),
      requestTimeout: Duration.seconds(5),
      maxAttempts: 2,
      maxConcurrentRequests: 2,
      maxCallsPerMinute: 1200,
      reservedConcurrency: 2,
      logRetention: logs.RetentionDays.ONE_MONTH,
    });
    template = Template.fromStack(stack);
  });

  test('passes the props to the function', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      ReservedConcurrentExecutions: 2,
      // 30 s + 2 rounds × (2 × 5 s + 1 s backoff + 1 s write)
      Timeout: 54,
      Environment: {
        Variables: Match.objectLike({
          LANDING_BUCKET: 'my-landing',
          WEATHER_API_BASE_URL: 'https://customer-api.open-meteo.com',
          WEATHER_ARCHIVE_API_BASE_URL: 'http://127.0.0.1:8080',
          WEATHER_PAST_DAYS: '3',
          WEATHER_FORECAST_DAYS: '2',
          WEATHER_REQUEST_TIMEOUT_MS: '5000',
          WEATHER_MAX_ATTEMPTS: '2',
          WEATHER_MAX_CONCURRENT_REQUESTS: '2',
          WEATHER_MAX_CALLS_PER_MINUTE: '1200',
        }),
      },
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
    template.hasResourceProperties('AWS::Scheduler::Schedule', { ScheduleExpression: 'rate(1 hour)' });
    expect(ingestion.estimatedDailyApiCalls).toBe(3 * 24);
  });

  test('grants PutObject on the prefixes of the bucket by name, and no KMS permission', () => {
    const s3Resources = statements(template).filter((s) => s.Action === 's3:PutObject').map((s) => s.Resource);
    expect(s3Resources).toEqual([
      { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':s3:::my-landing/weather/raw/source=open-meteo/*']] },
      { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':s3:::my-landing/weather/manifests/*']] },
    ]);
    expect(statements(template).filter((s) => [s.Action].flat().some((a: string) => a.startsWith('kms:')))).toEqual([]);
  });
});

describe('WeatherIngestion without a schedule', () => {
  test('creates no schedule and makes no call estimate', () => {
    const { stack, bucket } = landingStack();
    const ingestion = new WeatherIngestion(stack, 'Ingestion', { landingZone: zoneOf(bucket), cities: CITIES, scheduleEnabled: false });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::Scheduler::Schedule', 0);
    expect(ingestion.schedule).toBeUndefined();
    expect(ingestion.estimatedDailyApiCalls).toBeUndefined();
  });
});

describe('the Open-Meteo free tier', () => {
  test('warns at synth when cities × runs per day exceed 10,000 calls', () => {
    const { stack, bucket } = landingStack();
    const cities = Array.from({ length: 10 }, (_, i) => ({ name: `City ${i}`, latitude: i, longitude: i }));
    const ingestion = new WeatherIngestion(stack, 'Ingestion', {
      landingZone: zoneOf(bucket), cities, schedule: scheduler.ScheduleExpression.rate(Duration.minutes(1)),
    });
    expect(ingestion.estimatedDailyApiCalls).toBe(14_400);
    Annotations.fromStack(stack).hasWarning('/Test/Ingestion', Match.stringLikeRegexp(
      '^10 cities × 1440 runs per day × call weight 1 = about 14400 Open-Meteo API calls per day, more than the free tier\'s 10000'));
  });

  test('counts runs per day from rate, cron and at expressions', () => {
    expect(runsPerDay('rate(1 hour)')).toBe(24);
    expect(runsPerDay('rate(15 minutes)')).toBe(96);
    expect(runsPerDay('rate(2 days)')).toBe(1);
    expect(runsPerDay('cron(15 0/6 * * ? *)')).toBe(4);
    expect(runsPerDay('cron(0,30 8-17 ? * MON-FRI *)')).toBe(20);
    expect(runsPerDay('cron(*/10 * * * ? *)')).toBe(144);
    expect(runsPerDay('at(2025-06-01T00:00:00)')).toBe(1);
    expect(runsPerDay('cron(0 L * * ? *)')).toBeUndefined();
  });

  test('weighs requests the way Open-Meteo counts them', () => {
    expect(callWeight(8, 8)).toBe(1);
    expect(callWeight(15, 7)).toBe(1.5);
    expect(callWeight(8, 28)).toBe(2);
  });
});

describe('WeatherIngestion is cdk-nag clean', () => {
  test('AwsSolutions has no unacknowledged finding, with a KMS bucket and the schedule', () => {
    const { app, stack, bucket } = landingStack();
    new WeatherIngestion(stack, 'Ingestion', { landingZone: zoneOf(bucket), cities: CITIES });
    expect(nagFindings(app)).toEqual([]);
  });

  test('on the LandingZone construct, with its KMS key', () => {
    const app = new App();
    const stack = new Stack(app, 'WithLanding');
    const landing = new LandingZone(stack, 'Landing');
    new WeatherIngestion(stack, 'Ingestion', { landingZone: landing, cities: CITIES });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: 'kms:GenerateDataKey' })]) },
    });
    expect(nagFindings(app)).toEqual([]);
  });
});

describe('WeatherIngestion validation', () => {
  const base = (): { stack: Stack; props: WeatherIngestionProps } => {
    const { stack, bucket } = landingStack();
    return { stack, props: { landingZone: zoneOf(bucket), cities: CITIES } };
  };
  const build = (overrides: Partial<WeatherIngestionProps>) => () => {
    const { stack, props } = base();
    new WeatherIngestion(stack, 'Ingestion', { ...props, ...overrides });
  };

  test.each<[string, Partial<WeatherIngestionProps>, string]>([
    ['no city', { cities: [] }, 'cities must list at least one city, got []'],
    ['a bad latitude', { cities: [{ name: 'Nowhere', latitude: 91, longitude: 0 }] }, 'cities[0] "Nowhere": latitude must be a number in [-90, 90], got 91'],
    ['pastDays too large', { pastDays: 93 }, 'pastDays must be an integer in [0, 92], got 93'],
    ['forecastDays not an integer', { forecastDays: 1.5 }, 'forecastDays must be an integer in [0, 16], got 1.5'],
    ['nothing to fetch', { pastDays: 0, forecastDays: 0 }, 'pastDays and forecastDays are both 0, so no hour would be fetched; set at least one of them'],
    ['maxAttempts 0', { maxAttempts: 0 }, 'maxAttempts must be an integer in [1, 10], got 0'],
    ['maxConcurrentRequests 201', { maxConcurrentRequests: 201 }, 'maxConcurrentRequests must be an integer in [1, 200], got 201'],
    ['maxConcurrentRequests 0', { maxConcurrentRequests: 0 }, 'maxConcurrentRequests must be an integer in [1, 200], got 0'],
    ['maxCallsPerMinute 0', { maxCallsPerMinute: 0 }, 'maxCallsPerMinute must be an integer in [1, 100000], got 0'],
    ['maxCallsPerMinute not an integer', { maxCallsPerMinute: 12.5 }, 'maxCallsPerMinute must be an integer in [1, 100000], got 12.5'],
    ['reservedConcurrency 0', { reservedConcurrency: 0 }, 'reservedConcurrency must be an integer in [1, 10], got 0'],
    ['requestTimeout too short', { requestTimeout: Duration.millis(500) }, 'requestTimeout must be a whole number of milliseconds between 1 second and 5 minutes, got 500 millis'],
    ['requestTimeout too long', { requestTimeout: Duration.minutes(6) }, 'requestTimeout must be a whole number of milliseconds between 1 second and 5 minutes, got 6 minutes'],
    ['apiBaseUrl not http', { apiBaseUrl: 'ftp://api.open-meteo.com' }, 'apiBaseUrl must be an http(s) URL without query or fragment, got "ftp://api.open-meteo.com"'],
    ['apiBaseUrl with a query', { apiBaseUrl: 'https://api.open-meteo.com/?apikey=x' }, 'apiBaseUrl must be an http(s) URL without query or fragment, got "https://api.open-meteo.com/?apikey=x"'],
    ['archiveApiBaseUrl not a URL', { archiveApiBaseUrl: 'archive' }, 'archiveApiBaseUrl must be an http(s) URL without query or fragment, got "archive"'],
  ])('%s', (_name, overrides, message) => {
    expect(build(overrides)).toThrow(message);
  });

  test('an explicit maxConcurrentRequests that cannot give every city one attempt in 15 minutes is an error naming it', () => {
    const cities = manyCities(1000);
    expect(build({ cities, maxConcurrentRequests: 3 })).toThrow(
      'cities: 1000 cities at maxConcurrentRequests 3 and requestTimeout 10 s need at least 3704 s, more than Lambda\'s 900 s; ' +
      'lower requestTimeout, raise maxConcurrentRequests (or leave it unset: the default is sized from the cities) or split the cities across several WeatherIngestion constructs');
  });

  test('a maxCallsPerMinute too low for one call per city in 15 minutes is an error naming it', () => {
    // Burst 1, then 5 calls a minute: 99 calls wait 19.8 minutes, plus 30 s.
    expect(build({ cities: manyCities(100), maxCallsPerMinute: 6 })).toThrow(
      'cities: 100 cities (100 API calls) at maxCallsPerMinute 6 need at least 1218 s, more than Lambda\'s 900 s; ' +
      'raise maxCallsPerMinute if your plan allows it or split the cities across several WeatherIngestion constructs');
  });

  test('more cities than the default can fit in the worst case is an error that says what to change', () => {
    expect(build({ cities: manyCities(1011) })).toThrow(
      /^cities: 1011 cities do not fit in Lambda's 900 s in the worst case, even at maxConcurrentRequests 200: every attempt timing out \(maxAttempts 4, requestTimeout 10 s\) and the rate limit \(maxCallsPerMinute 500\) holding the 4044 calls back for up to \d+ s; lower maxAttempts/);
    expect(build({ cities: manyCities(1010) })).not.toThrow();
  });

  test.each<[string, Partial<WeatherIngestionProps>, string]>([
    ['maxResponseSize below what the days can produce', { maxResponseSize: Size.kibibytes(100) },
      'maxResponseSize must be a whole number of bytes, at least the 123904 bytes that 8 days of the contract\'s 8 hourly variables can produce, got 102400 bytes'],
    ['memorySize too small for the bodies in flight', { maxResponseSize: Size.mebibytes(20), maxConcurrentRequests: 10, memorySize: 512 },
      'memorySize must be at least 1728 MB to hold maxConcurrentRequests 10 × maxResponseSize 20971520 bytes in flight, got 512'],
    ['bodies in flight beyond Lambda\'s memory', { maxResponseSize: Size.mebibytes(20), maxConcurrentRequests: 200 },
      'maxConcurrentRequests 200 × maxResponseSize 20971520 bytes need 32128 MB of memory, more than Lambda\'s 10240 MB: lower maxResponseSize or maxConcurrentRequests, or split the cities across several WeatherIngestion constructs'],
    ['memorySize below 256', { memorySize: 128 }, 'memorySize must be an integer in [256, 10240], got 128'],
  ])('body cap and memory: %s', (_name, overrides, message) => {
    expect(build(overrides)).toThrow(message);
  });

  test('the memory is sized from the concurrency and the body cap, and a larger memorySize is kept', () => {
    const sized = (overrides: Partial<WeatherIngestionProps>) => {
      const { stack, props } = base();
      const ingestion = new WeatherIngestion(stack, 'Ingestion', { ...props, ...overrides });
      const fn = Object.values<any>(Template.fromStack(stack).findResources('AWS::Lambda::Function'))[0];
      const variables = fn.Properties.Environment.Variables;
      return [ingestion.memorySize, fn.Properties.MemorySize, variables[ENV.maxBodyBytes], variables[ENV.bodyMemoryBytes]];
    };
    // 128 MB + 10 × 20 MiB × 8 = 1,728 MB (a multiple of 64)
    expect(sized({ maxResponseSize: Size.mebibytes(20), maxConcurrentRequests: 10 }))
      .toEqual([1728, 1728, String(20 * 1024 * 1024), String(200 * 1024 * 1024)]);
    expect(sized({ memorySize: 1024 })).toEqual([1024, 1024, '123904', String(112 * 1024 * 1024)]);
    // 1,000 cities: the default concurrency of 167 × 121 KiB × 8 = 158 MB over the baseline
    expect(sized({ cities: manyCities(1000) })[0]).toBe(320);
  });

  test('an environment over Lambda\'s 4 KB (only absurd URLs can do it now)', () => {
    expect(build({ apiBaseUrl: `https://api.open-meteo.com/${'x'.repeat(4000)}` })).toThrow(
      /^the function's environment takes \d+ bytes, more than the 3896 this construct allows \(Lambda limits all variables to 4 KB\); shorten apiBaseUrl or archiveApiBaseUrl$/);
  });

  test('the timeout is capped at 15 minutes when the worst case would need more', () => {
    const { stack, props } = base();
    const cities = Array.from({ length: 60 }, (_, i) => ({ name: `C${i}`, latitude: 0, longitude: 0 }));
    const ingestion = new WeatherIngestion(stack, 'Ingestion', { ...props, cities, maxConcurrentRequests: 3 });
    expect(ingestion.timeout.toSeconds()).toBe(900);
  });
});

describe('the default concurrency is derived from the cities: the worst case fits in 90 % of 15 minutes', () => {
  // Worst case: 30 s + ⌈cities / concurrency⌉ rounds × (4 attempts × 10 s + backoffs 1 + 2 + 4 s + 1 s write)
  // + the rate limiter's wait for 4 attempts per city at 500 calls per minute (burst 8, 492 per minute after it).
  test.each<[number, number, number]>([
    [1, 3, 78],
    [2, 3, 78],
    [45, 3, 771],
    [46, 4, 628],
    [100, 7, 798],
    [1000, 167, 805],
  ])('%i cities: %i requests at a time, timeout %i s', (count, concurrency, timeout) => {
    const { stack, bucket } = landingStack();
    const ingestion = new WeatherIngestion(stack, 'Ingestion', { landingZone: zoneOf(bucket), cities: manyCities(count), scheduleEnabled: false });
    expect([ingestion.maxConcurrentRequests, ingestion.timeout.toSeconds()]).toEqual([concurrency, timeout]);
    expect(timeout).toBeLessThanOrEqual(810);
    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Function', {
      Timeout: timeout,
      Environment: { Variables: Match.objectLike({ [ENV.maxConcurrentRequests]: String(concurrency), [ENV.maxCallsPerMinute]: '500' }) },
    });
  });

  test('1,000 cities: the rate limit, not the concurrency, bounds the API load (2 minutes at least, 8 in the worst case)', () => {
    const { stack, bucket } = landingStack();
    const ingestion = new WeatherIngestion(stack, 'Ingestion', { landingZone: zoneOf(bucket), cities: manyCities(1000), scheduleEnabled: false });
    // 6 rounds of 48 s, 30 s, and (4,000 − 8) calls at 492 a minute: 487 s.
    expect(ingestion.timeout.toSeconds()).toBe(30 + 6 * 48 + 487);
  });

  test('an explicit maxConcurrentRequests is kept, and the timeout sized for it', () => {
    const { stack, bucket } = landingStack();
    const ingestion = new WeatherIngestion(stack, 'Ingestion', { landingZone: zoneOf(bucket), cities: manyCities(100), maxConcurrentRequests: 50, scheduleEnabled: false });
    expect([ingestion.maxConcurrentRequests, ingestion.timeout.toSeconds()]).toEqual([50, 30 + 2 * 48 + 48]);
  });

  test('warns when the rate limit or one batch exceeds the free tier\'s minute or hour limit', () => {
    const { stack, bucket } = landingStack();
    const ingestion = new WeatherIngestion(stack, 'Ingestion', { landingZone: zoneOf(bucket), cities: manyCities(100), maxCallsPerMinute: 700, pastDays: 92, forecastDays: 16, scheduleEnabled: false });
    const warnings = Annotations.fromStack(stack).findWarning(`/Test/${ingestion.node.id}`, Match.anyValue()).map((w) => String(w.entry.data));
    // 108 days = 7.71 × 14 days: 100 cities × 7.71 = 771 calls per batch, under 5,000.
    expect(warnings.filter((w) => w.includes('calls per minute'))).toHaveLength(1);
    expect(warnings.filter((w) => w.includes('per hour'))).toHaveLength(0);
    const { stack: big, bucket: bigBucket } = landingStack();
    const many = new WeatherIngestion(big, 'Ingestion', { landingZone: zoneOf(bigBucket), cities: manyCities(700), pastDays: 92, forecastDays: 16, maxAttempts: 1, maxCallsPerMinute: 600, scheduleEnabled: false });
    expect(Annotations.fromStack(big).findWarning(`/Test/${many.node.id}`, Match.stringLikeRegexp('more than the 5000 per hour of the free tier'))).toHaveLength(1);
  });
});

describe('many cities: the city list is not limited by Lambda\'s environment', () => {
  test('1,000 cities synthesize, and cities.json in the asset holds exactly them', () => {
    const { app, stack, bucket } = landingStack();
    const cities = manyCities(1000);
    // One request per city must fit in 15 minutes: 100 rounds × (5 s + 1 s write) + 30 s.
    new WeatherIngestion(stack, 'Ingestion', {
      landingZone: zoneOf(bucket), cities, maxConcurrentRequests: 10, requestTimeout: Duration.seconds(5), maxAttempts: 1, scheduleEnabled: false,
    });
    const fn = Object.values<any>(Template.fromStack(stack).findResources('AWS::Lambda::Function'))[0];
    expect(JSON.stringify(fn.Properties.Environment).length).toBeLessThan(1000);
    expect(assetCities(app, stack)).toEqual(cities);
  });

  test('the asset is deterministic: same cities, same asset; other cities, another asset', () => {
    const hashOf = (cities: City[]) => {
      const { app, stack, bucket } = landingStack();
      new WeatherIngestion(stack, 'Ingestion', { landingZone: zoneOf(bucket), cities });
      return path.basename(functionAssetDir(app, stack));
    };
    const cities = manyCities(200);
    // Same cities written with their keys in another order: same bytes.
    const reordered = cities.map((c) => ({
      ...(c.timezone ? { timezone: c.timezone } : {}), longitude: c.longitude, latitude: c.latitude, name: c.name,
    }));
    expect(hashOf(reordered)).toBe(hashOf(cities));
    expect(hashOf(cities.slice(1))).not.toBe(hashOf(cities));
  });
});

describe('the code asset is staged by CDK, in the cloud assembly only', () => {
  test('syntheses with different city lists write nothing to the system temporary directory', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ingestion-asset-test-'));
    const tmp = path.join(root, 'tmp');
    fs.mkdirSync(tmp);
    // Jest gives tests a copy of the environment, so TMPDIR cannot redirect os.tmpdir(): stub it instead.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const spy = jest.spyOn(require('os') as typeof os, 'tmpdir').mockReturnValue(tmp);
    try {
      expect(os.tmpdir()).toBe(tmp);
      const staged = [CITIES, CITIES.slice(1), manyCities(3)].map((cities, i) => {
        const app = new App({ outdir: path.join(root, `cdk.out-${i}`) });
        const stack = new Stack(app, 'Test');
        new WeatherIngestion(stack, 'Ingestion', { landingZone: zoneOf(new s3.Bucket(stack, 'Landing')), cities });
        const dir = functionAssetDir(app, stack);
        expect(JSON.parse(fs.readFileSync(path.join(dir, CITIES_FILE), 'utf-8'))).toEqual(cities);
        expect(fs.readdirSync(dir).sort()).toEqual([CITIES_FILE, 'index.js', 'index.js.map']);
        return dir;
      });
      expect(staged.every((dir) => dir.startsWith(root + path.sep) && !dir.startsWith(tmp))).toBe(true);
      expect(fs.readdirSync(tmp)).toEqual([]);
    } finally {
      spy.mockRestore();
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});
