import { existsSync, readFileSync } from 'fs';
import { join } from 'path';
import { ArnFormat, Duration, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as glue from 'aws-cdk-lib/aws-glue';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { City, GlueEtlJob, LandingZone, PartitionGranularity, RefinedLake, WeatherContract } from '../../src';
import { nagFindings, newStack } from '../nag';

const cities: City[] = [
  { name: 'Paris', latitude: 48.8566, longitude: 2.3522 },
  { name: 'Saint-Étienne', latitude: 45.4397, longitude: 4.3872 },
];

/** Zones over imported buckets `raw-bucket` and `lake-bucket`. */
function zones(stack: Stack, withCities: boolean = true) {
  return {
    landingZone: LandingZone.fromLandingZoneAttributes(stack, 'Landing', { bucket: s3.Bucket.fromBucketName(stack, 'Raw', 'raw-bucket') }),
    refinedLake: RefinedLake.fromRefinedLakeAttributes(stack, 'Refined', { bucket: s3.Bucket.fromBucketName(stack, 'Lake', 'lake-bucket'), cities: withCities ? cities : undefined }),
  };
}

describe('GlueEtlJob with the zones and defaults', () => {
  const { app, stack } = newStack();
  const landing = new LandingZone(stack, 'Landing');
  const refined = new RefinedLake(stack, 'Refined', { cities });
  const etl = new GlueEtlJob(stack, 'Etl', { landingZone: landing, refinedLake: refined });
  const orchestrator = new iam.Role(stack, 'Orchestrator', { assumedBy: new iam.ServicePrincipal('states.amazonaws.com') });
  etl.grantStartRun(orchestrator);
  const template = Template.fromStack(stack);
  const job = Object.values<any>(template.findResources('AWS::Glue::Job'))[0].Properties;
  const id = (construct: { node: { defaultChild?: unknown } }) => stack.getLogicalId(construct.node.defaultChild as any);
  const landingArn = { 'Fn::GetAtt': [id(landing.bucket), 'Arn'] };
  const refinedArn = { 'Fn::GetAtt': [id(refined.bucket), 'Arn'] };
  const jobKeyArn = { 'Fn::GetAtt': [id(etl.encryptionKey as kms.Key), 'Arn'] };
  const roleStatements: any[] = Object.values<any>(template.findResources('AWS::IAM::Policy', {
    Properties: { Roles: [{ Ref: id(etl.role as iam.Role) }] },
  })).flatMap((policy) => policy.Properties.PolicyDocument.Statement);

  test('runs Glue 5.1 PySpark on 2 G.1X workers, one run at a time, no Glue retries, 60 minute timeout', () => {
    expect(job).toMatchObject({
      GlueVersion: '5.1',
      Command: { Name: 'glueetl', PythonVersion: '3' },
      WorkerType: 'G.1X',
      NumberOfWorkers: 2,
      ExecutionProperty: { MaxConcurrentRuns: 1 },
      MaxRetries: 0,
      Timeout: 60,
      SecurityConfiguration: { Ref: id(etl.securityConfiguration as glue.SecurityConfiguration) },
    });
    expect(job.ExecutionClass).toBeUndefined();
  });

  test('the script is the library\'s PySpark file, uploaded as an asset', () => {
    expect(existsSync(GlueEtlJob.SCRIPT_PATH)).toBe(true);
    expect(job.Command.ScriptLocation['Fn::Join'][1].join('')).toMatch(/^s3:\/\/.*\.py$/);
  });

  test('default arguments come from the contract and the buckets, never re-typed', () => {
    const args = job.DefaultArguments;
    expect(JSON.parse(args['--contract_json'])).toEqual(WeatherContract.toJson());
    // The Python side reads the same document when it runs locally.
    expect(JSON.parse(args['--contract_json'])).toEqual(JSON.parse(readFileSync(join(__dirname, '..', '..', 'src', 'etl', 'script', 'contract.json'), 'utf-8')));
    expect(JSON.parse(args['--cities_json'])).toEqual([{ slug: 'paris', name: 'Paris' }, { slug: 'saint-etienne', name: 'Saint-Étienne' }]);
    expect(args['--landing_uri']).toEqual({ 'Fn::Join': ['', ['s3://', { Ref: id(landing.bucket) }]] });
    expect(args['--refined_uri']).toEqual({ 'Fn::Join': ['', ['s3://', { Ref: id(refined.bucket) }]] });
    expect(args).toMatchObject({
      '--job-bookmark-option': 'job-bookmark-disable',
      '--enable-metrics': '',
      '--enable-observability-metrics': 'true',
      '--custom-logGroup-prefix': stack.resolve(etl.logGroupPrefix),
      '--custom-logStream-prefix': 'weather-etl',
    });
    // Glue 5.x ignores the continuous-logging arguments (documented for Glue 4.0 and earlier).
    expect(Object.keys(args).filter((name) => name.startsWith('--enable-continuous') || name.startsWith('--continuous-log'))).toEqual([]);
    expect(args['--enable-spark-ui']).toBeUndefined();
    expect(etl.defaultArguments['--job-bookmark-option']).toBe('job-bookmark-disable');
  });

  test('the security configuration encrypts S3 output with the refined key, logs and bookmarks with the job key', () => {
    template.hasResourceProperties('AWS::Glue::SecurityConfiguration', {
      EncryptionConfiguration: {
        S3Encryptions: [{ S3EncryptionMode: 'SSE-KMS', KmsKeyArn: { 'Fn::GetAtt': [id(refined.encryptionKey as kms.Key), 'Arn'] } }],
        CloudWatchEncryption: { CloudWatchEncryptionMode: 'SSE-KMS', KmsKeyArn: jobKeyArn },
        JobBookmarksEncryption: { JobBookmarksEncryptionMode: 'CSE-KMS', KmsKeyArn: jobKeyArn },
      },
    });
  });

  test('the job key rotates and lets only this account\'s CloudWatch Logs use it, with spelled-out actions', () => {
    const key = template.findResources('AWS::KMS::Key')[id(etl.encryptionKey as kms.Key)];
    expect(key.Properties.EnableKeyRotation).toBe(true);
    expect(key.DeletionPolicy).toBe('Retain');
    const logsStatement = key.Properties.KeyPolicy.Statement.find((s: any) => s.Sid === 'AllowCloudWatchLogsOfThisAccount');
    const groupArn = (suffix: string) => stack.resolve(Stack.of(etl).formatArn({
      service: 'logs', resource: 'log-group', resourceName: `${etl.logGroupPrefix}/${suffix}`, arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    }));
    // Only the job's two log groups may use the key.
    expect(logsStatement).toMatchObject({
      Principal: { Service: { 'Fn::Join': ['', ['logs.', { Ref: 'AWS::Region' }, '.amazonaws.com']] } },
      Condition: { ArnLike: { 'kms:EncryptionContext:aws:logs:arn': [groupArn('error'), groupArn('output')] } },
    });
    expect(logsStatement.Action.filter((a: string) => a.includes('*'))).toEqual([]);
  });

  test('Glue 5.x logs go to the job\'s two log groups, <prefix>/error and <prefix>/output, encrypted and kept one year', () => {
    // The prefix: the construct path, then the stack id's last segment (new for each deployment of the stack).
    const prefix = stack.resolve(etl.logGroupPrefix);
    expect(prefix['Fn::Join'][1][0]).toMatch(/^\/aws-glue\/weather-etl\/Test-Etl-[0-9A-F]{8}-$/);
    expect(prefix['Fn::Join'][1][1]).toEqual({ 'Fn::Select': [4, { 'Fn::Split': ['-', { 'Fn::Select': [2, { 'Fn::Split': ['/', { Ref: 'AWS::StackId' }] }] }] }] });
    const groups = Object.values<any>(template.findResources('AWS::Logs::LogGroup'));
    expect(groups).toHaveLength(2);
    expect(groups.map((g) => g.Properties)).toEqual([
      { LogGroupName: stack.resolve(`${etl.logGroupPrefix}/error`), RetentionInDays: 365, KmsKeyId: jobKeyArn },
      { LogGroupName: stack.resolve(`${etl.logGroupPrefix}/output`), RetentionInDays: 365, KmsKeyId: jobKeyArn },
    ]);
    expect(JSON.stringify(groups[0].Properties.LogGroupName)).toContain('"Ref":"AWS::StackId"');
    expect(groups.map((g) => g.DeletionPolicy)).toEqual(['Retain', 'Retain']);
    const groupIds = Object.keys(template.findResources('AWS::Logs::LogGroup'));
    expect([etl.logGroup, etl.outputLogGroup!].map((g) => stack.resolve(g.logGroupName))).toEqual(groupIds.map((Ref) => ({ Ref })));
  });

  test('the role is assumable by Glue only', () => {
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: { Statement: [{ Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'glue.amazonaws.com' } }] },
    });
    expect(template.findResources('AWS::IAM::Role')[id(etl.role as iam.Role)].Properties.ManagedPolicyArns).toBeUndefined();
  });

  test('the role reads only weather/ in the landing zone and never writes there', () => {
    const onLanding = roleStatements.filter((s) => JSON.stringify(s.Resource).includes(id(landing.bucket)));
    expect(onLanding).toEqual([
      { Effect: 'Allow', Action: ['s3:GetObject', 's3:GetObjectVersion'], Resource: { 'Fn::Join': ['', [landingArn, '/weather/*']] } },
      { Effect: 'Allow', Action: 's3:ListBucket', Resource: landingArn, Condition: { StringLike: { 's3:prefix': ['weather/*', 'weather'] } } },
      { Sid: 'S3AMissingKeyProbes', Effect: 'Allow', Action: 's3:ListBucket', Resource: [landingArn, refinedArn] },
    ]);
  });

  test('the role reads, writes and deletes only under weather/ in the refined zone', () => {
    const onRefined = roleStatements.filter((s) => JSON.stringify(s.Resource).includes(id(refined.bucket)));
    const objects = { 'Fn::Join': ['', [refinedArn, '/weather/*']] };
    expect(onRefined).toEqual([
      { Effect: 'Allow', Action: ['s3:GetObject', 's3:GetObjectVersion'], Resource: objects },
      { Effect: 'Allow', Action: 's3:ListBucket', Resource: refinedArn, Condition: { StringLike: { 's3:prefix': ['weather/*', 'weather'] } } },
      { Effect: 'Allow', Action: ['s3:PutObject', 's3:AbortMultipartUpload', 's3:DeleteObject'], Resource: objects },
      { Sid: 'S3AMissingKeyProbes', Effect: 'Allow', Action: 's3:ListBucket', Resource: [landingArn, refinedArn] },
      { Sid: 'S3AParentProbe', Effect: 'Allow', Action: 's3:GetObject', Resource: { 'Fn::Join': ['', [refinedArn, '/weather']] } },
    ]);
  });

  test('S3A (Glue 5.1) gets 404 for missing keys: list on both buckets, a HEAD on the weather key, no write outside weather/', () => {
    const writes = roleStatements.filter((s) => [s.Action].flat().some((a: string) => /^s3:(Put|Delete)/.test(a)));
    expect(writes.flatMap((s) => [s.Resource].flat()).map((r) => JSON.stringify(r)).filter((r) => !r.includes('/weather/*') && !r.includes('sparkui'))).toEqual([]);
    const lists = roleStatements.filter((s) => s.Action === 's3:ListBucket' && s.Condition === undefined);
    expect(lists).toEqual([{ Sid: 'S3AMissingKeyProbes', Effect: 'Allow', Action: 's3:ListBucket', Resource: [landingArn, refinedArn] }]);
  });

  test('the role can read its script object and nothing else of the asset bucket', () => {
    const script = roleStatements.filter((s) => JSON.stringify(s.Resource).includes('cdk-hnb659fds-assets'));
    expect(script).toHaveLength(1);
    expect(script[0].Action).toBe('s3:GetObject');
    expect(JSON.stringify(script[0].Resource)).toMatch(/\.py"\]\]\}$/);
  });

  test('logs go only to the job\'s two log groups, metrics only to Glue', () => {
    const arnOf = (group: any) => stack.resolve(group.logGroupArn);
    expect(roleStatements).toContainEqual({
      Sid: 'GlueLogGroups',
      Effect: 'Allow',
      Action: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents', 'logs:AssociateKmsKey'],
      Resource: [etl.logGroup, etl.outputLogGroup].flatMap((group) => [arnOf(group), stack.resolve(`${group!.logGroupArn}:*`)]),
    });
    expect(JSON.stringify(roleStatements)).not.toContain('/aws-glue/*');
    expect(roleStatements).toContainEqual({
      Sid: 'GlueMetrics', Effect: 'Allow', Action: 'cloudwatch:PutMetricData', Resource: '*', Condition: { StringEquals: { 'cloudwatch:namespace': 'Glue' } },
    });
  });

  test('no statement of the role has a wildcard action', () => {
    const actions = roleStatements.flatMap((s) => [s.Action].flat());
    expect(actions.length).toBeGreaterThan(10);
    expect(actions.filter((a: string) => a.includes('*'))).toEqual([]);
  });

  test('grantStartRun gives exactly the job-run actions on this job', () => {
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: id(orchestrator) }],
      PolicyDocument: {
        Statement: [{
          Effect: 'Allow',
          Action: ['glue:StartJobRun', 'glue:GetJobRun', 'glue:GetJobRuns', 'glue:BatchStopJobRun'],
          Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':glue:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':job/', { Ref: id(etl.job as any) }]] },
        }],
      },
    });
  });

  test('has no unacknowledged cdk-nag finding (GL1, GL3 and IAM5 included)', () => {
    expect(nagFindings(app)).toEqual([]);
  });
});

describe('GlueEtlJob options', () => {
  test('worker sizing, timeout, Spark UI, own key and plain buckets', () => {
    const { app, stack } = newStack();
    const landingBucket = s3.Bucket.fromBucketName(stack, 'Raw', 'my-raw-weather');
    const refinedBucket = s3.Bucket.fromBucketName(stack, 'Lake', 'my-refined-weather');
    const sparkUi = s3.Bucket.fromBucketName(stack, 'Ui', 'my-spark-ui');
    const key = new kms.Key(stack, 'MyKey', { enableKeyRotation: true });
    const etl = new GlueEtlJob(stack, 'Etl', {
      landingZone: LandingZone.fromLandingZoneAttributes(stack, 'Landing', { bucket: landingBucket }),
      refinedLake: RefinedLake.fromRefinedLakeAttributes(stack, 'Refined', { bucket: refinedBucket, cities }),
      workerType: glue.WorkerType.G_2X,
      numberOfWorkers: 5,
      timeout: Duration.hours(3),
      maxRetries: 1,
      sparkUiBucket: sparkUi,
      encryptionKey: key,
      jobName: 'weather-etl',
    });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::Glue::Job', {
      Name: 'weather-etl',
      WorkerType: 'G.2X',
      NumberOfWorkers: 5,
      Timeout: 180,
      MaxRetries: 1,
      DefaultArguments: Match.objectLike({
        '--landing_uri': 's3://my-raw-weather',
        '--refined_uri': 's3://my-refined-weather',
        '--enable-spark-ui': 'true',
        '--spark-event-logs-path': 's3://my-spark-ui/sparkui/',
        // Always the refined lake's cities: the script quarantines rows of any other city.
        '--cities_json': JSON.stringify([{ slug: 'paris', name: 'Paris' }, { slug: 'saint-etienne', name: 'Saint-Étienne' }]),
      }),
    });
    expect(etl.encryptionKey).toBe(key);
    template.resourceCountIs('AWS::KMS::Key', 1);
    template.hasResourceProperties('AWS::Glue::SecurityConfiguration', {
      EncryptionConfiguration: Match.objectLike({ S3Encryptions: [{ S3EncryptionMode: 'SSE-S3' }] }),
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: ['s3:PutObject', 's3:AbortMultipartUpload'], Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':s3:::my-spark-ui/sparkui/*']] } })]) },
    });
    expect(JSON.parse(Template.fromStack(stack).toJSON().Resources[stack.getLogicalId(etl.job.node.defaultChild as any)].Properties.DefaultArguments['--contract_json']).version)
      .toBe(WeatherContract.VERSION);
    expect(nagFindings(app)).toEqual([]);
  });

  test('Glue 4.0 keeps continuous logging, in one encrypted log group the construct creates', () => {
    const { stack } = newStack();
    const etl = new GlueEtlJob(stack, 'Etl', {
      ...zones(stack),
      glueVersion: glue.GlueVersion.V4_0,
    });
    const template = Template.fromStack(stack);
    const args = Object.values<any>(template.findResources('AWS::Glue::Job'))[0].Properties.DefaultArguments;
    expect(args).toMatchObject({ '--enable-continuous-cloudwatch-log': 'true', '--continuous-log-logGroup': stack.resolve(etl.logGroup.logGroupName) });
    expect(args['--custom-logGroup-prefix']).toBeUndefined();
    expect(etl.logGroupPrefix).toBeUndefined();
    expect(etl.outputLogGroup).toBeUndefined();
    template.resourceCountIs('AWS::Logs::LogGroup', 1);
  });

  test('an explicit logGroupPrefix names the two Glue 5.x log groups', () => {
    const { stack } = newStack();
    const etl = new GlueEtlJob(stack, 'Etl', {
      ...zones(stack),
      logGroupPrefix: '/weather/prod/etl',
    });
    const template = Template.fromStack(stack);
    expect(etl.logGroupPrefix).toBe('/weather/prod/etl');
    expect(Object.values<any>(template.findResources('AWS::Logs::LogGroup')).map((g) => g.Properties.LogGroupName))
      .toEqual(['/weather/prod/etl/error', '/weather/prod/etl/output']);
    expect(Object.values<any>(template.findResources('AWS::Glue::Job'))[0].Properties.DefaultArguments['--custom-logGroup-prefix']).toBe('/weather/prod/etl');
  });

  test('warns when concurrent runs could race on the same partitions', () => {
    const { stack } = newStack();
    new GlueEtlJob(stack, 'Etl', { ...zones(stack), maxConcurrentRuns: 3 });
    Annotations.fromStack(stack).hasWarning('/Test/Etl', Match.stringLikeRegexp('maxConcurrentRuns is 3: concurrent runs that touch the same date and city partitions'));
  });
});

describe('GlueEtlJob validation', () => {
  const build = (extra: object) => () => {
    const stack = new Stack();
    new GlueEtlJob(stack, 'Etl', { ...zones(stack), ...extra });
  };

  test.each([
    [{ flexExecution: true, workerType: glue.WorkerType.G_4X }, 'flexExecution: true needs workerType G.1X or G.2X (the worker types Glue Flex runs on), got G.4X'],
    [{ flexExecution: true, workerType: glue.WorkerType.G_025X }, 'flexExecution: true needs workerType G.1X or G.2X (the worker types Glue Flex runs on), got G.025X'],
    [{ jobName: 'weather\netl' }, 'jobName must be one line of 1 to 255 characters, got "weather\\netl"'],
    [{ jobName: '' }, 'jobName must be one line of 1 to 255 characters, got ""'],
    [{ logGroupPrefix: 'weather:etl' }, 'logGroupPrefix must be 1 to 400 characters without ":" or "*" and no trailing "/", got "weather:etl"'],
    [{ logGroupPrefix: '/weather/etl/' }, 'logGroupPrefix must be 1 to 400 characters without ":" or "*" and no trailing "/", got "/weather/etl/"'],
    [{ logGroupPrefix: '/weather/etl', glueVersion: glue.GlueVersion.V4_0 }, 'logGroupPrefix is for Glue 5.0 and later (--custom-logGroup-prefix), got glueVersion 4.0'],
    [{ numberOfWorkers: 1 }, 'numberOfWorkers must be a whole number between 2 and 299, got 1'],
    [{ numberOfWorkers: 2.5 }, 'numberOfWorkers must be a whole number between 2 and 299, got 2.5'],
    [{ maxConcurrentRuns: 0 }, 'maxConcurrentRuns must be a whole number between 1 and 1000, got 0'],
    [{ maxRetries: -1 }, 'maxRetries must be a whole number between 0 and 10, got -1'],
    [{ timeout: Duration.seconds(30) }, 'timeout must be a whole number of minutes between 1 and 2880 (48 hours), got 30 seconds'],
    [{ timeout: Duration.hours(49) }, 'timeout must be a whole number of minutes between 1 and 2880 (48 hours), got 2 days 1 hour'],
  ])('rejects bad props (%#)', (extra, message) => {
    expect(build(extra)).toThrow(message);
  });

  test('a refined lake without cities is refused, naming both', () => {
    const stack = new Stack();
    expect(() => new GlueEtlJob(stack, 'Etl', { ...zones(stack, false) })).toThrow(
      'refinedLake Default/Refined declares no cities, which Default/Etl needs: set cities on the refined lake (RefinedLake props or RefinedLake.fromRefinedLakeAttributes)');
  });
});

describe('GlueEtlJob on Flex capacity', () => {
  // Flex can reclaim an executor during a run; data kept only in executors' local checkpoints is then lost.
  const localCheckpoints = (readFileSync(GlueEtlJob.SCRIPT_PATH, 'utf-8').match(/\.localCheckpoint\(/g) ?? []).length;
  const flexJob = () => {
    const stack = new Stack();
    new GlueEtlJob(stack, 'Etl', {
      ...zones(stack),
      flexExecution: true,
      workerType: glue.WorkerType.G_2X,
    });
    return stack;
  };

  test('is refused while the shipped script keeps local checkpoints, and runs as FLEX once it does not', () => {
    if (localCheckpoints > 0) {
      expect(flexJob).toThrow(`flexExecution: true is not supported: the ETL script (weather_etl.py) keeps intermediate results in executors' local checkpoints (${localCheckpoints} localCheckpoint calls), which Flex loses when it reclaims an executor during a run`);
    } else {
      Template.fromStack(flexJob()).hasResourceProperties('AWS::Glue::Job', { ExecutionClass: 'FLEX', WorkerType: 'G.2X' });
    }
  });
});

describe('GlueEtlJob on a RefinedLake with monthly partitions', () => {
  test('hands the script the monthly contract (from the lake, not from a prop of its own)', () => {
    const { stack } = newStack();
    const landing = new LandingZone(stack, 'Landing');
    const refined = new RefinedLake(stack, 'Refined', { cities, partitionGranularity: PartitionGranularity.MONTH });
    const etl = new GlueEtlJob(stack, 'Etl', { landingZone: landing, refinedLake: refined });
    const job = Template.fromStack(stack).toJSON().Resources[stack.getLogicalId(etl.job.node.defaultChild as any)].Properties;
    const contract = JSON.parse(job.DefaultArguments['--contract_json']);
    expect(etl.partitionGranularity).toBe(PartitionGranularity.MONTH);
    expect(contract).toEqual(WeatherContract.toJson(undefined, PartitionGranularity.MONTH));
    expect(contract.refined).toMatchObject({ partitionGranularity: 'MONTH', partitionKeys: ['month', 'city'] });
    expect(job.Description).toBe('cdk-weather-pipeline: raw Open-Meteo responses to hourly Parquet (month=/city=), quarantine, run summary');
  });

  test('the same monthly contract is the one the Python and Trino tests run the script with (test/catalog/queries.json)', () => {
    const queries = JSON.parse(readFileSync(join(__dirname, '..', 'catalog', 'queries.json'), 'utf-8'));
    expect(queries.monthly.etlContract).toEqual(WeatherContract.toJson(undefined, PartitionGranularity.MONTH));
  });
});
