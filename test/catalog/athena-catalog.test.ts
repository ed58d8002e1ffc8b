import { Duration, RemovalPolicy, Size, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { AthenaCatalog, AthenaCatalogProps, City, PartitionGranularity, RefinedLake, WeatherContract } from '../../src';
import { nagFindings, newStack } from '../nag';

const CITIES: City[] = [
  { name: 'Paris', latitude: 48.8566, longitude: 2.3522 },
  { name: 'Saint-Étienne', latitude: 45.4397, longitude: 4.3872 },
];

function catalogStack(props: Partial<AthenaCatalogProps> = {}) {
  const { app, stack } = newStack();
  const refinedBucket = new s3.Bucket(stack, 'Refined', {
    enforceSSL: true,
    encryption: s3.BucketEncryption.KMS,
    encryptionKey: new kms.Key(stack, 'RefinedKey', { enableKeyRotation: true }),
    serverAccessLogsBucket: s3.Bucket.fromBucketName(stack, 'Logs', 'access-logs'),
  });
  const refinedLake = RefinedLake.fromRefinedLakeAttributes(stack, 'Lake', { bucket: refinedBucket, cities: CITIES });
  const catalog = new AthenaCatalog(stack, 'Catalog', { refinedLake, ...props });
  return { app, stack, refinedBucket, catalog };
}

/** A refined lake over an imported bucket named `refined`. */
function lake(stack: Stack, withCities: boolean = true, cities: City[] = CITIES) {
  return RefinedLake.fromRefinedLakeAttributes(stack, 'Lake', { bucket: s3.Bucket.fromBucketName(stack, 'Refined', 'refined'), cities: withCities ? cities : undefined });
}

const s3Url = (bucketId: string, key: string) => ({ 'Fn::Join': ['', ['s3://', { Ref: bucketId }, `/${key}`]] });

describe('AthenaCatalog with the defaults', () => {
  const { app, stack, refinedBucket, catalog } = catalogStack();
  const template = Template.fromStack(stack);
  const refinedId = stack.getLogicalId(refinedBucket.node.defaultChild as s3.CfnBucket);
  const refinedKeyId = stack.getLogicalId(refinedBucket.encryptionKey!.node.defaultChild as kms.CfnKey);
  const tables = template.findResources('AWS::Glue::Table');
  const tableInput = (name: string) => Object.values(tables).find((t: any) => t.Properties.TableInput.Name === name)!.Properties.TableInput;

  test('creates the database', () => {
    template.resourceCountIs('AWS::Glue::Database', 1);
    // The default name comes from the stack and the construct path (stack `Test`, construct `Catalog`).
    template.hasResourceProperties('AWS::Glue::Database', { CatalogId: { Ref: 'AWS::AccountId' }, DatabaseInput: { Name: 'test_catalog_a94269f6' } });
    expect(catalog.databaseName).toBe('test_catalog_a94269f6');
  });

  test('the hourly table has the contract columns, Parquet SerDe and partitions', () => {
    const hourly = tableInput('hourly');
    expect(hourly.TableType).toBe('EXTERNAL_TABLE');
    expect(hourly.PartitionKeys).toEqual(WeatherContract.PARTITION_KEYS.map((Name) => ({ Name, Type: 'string' })));
    expect(hourly.PartitionKeys.map((k: any) => k.Name)).toEqual(['date', 'city']);
    expect(hourly.StorageDescriptor).toEqual({
      Columns: WeatherContract.HOURLY_COLUMNS.map((c) => ({ Name: c.name, Type: c.dataType, Comment: c.comment })),
      Location: s3Url(refinedId, WeatherContract.REFINED_HOURLY_PREFIX),
      InputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat',
      OutputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat',
      SerdeInfo: { SerializationLibrary: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe', Parameters: { 'serialization.format': '1' } },
      StoredAsSubDirectories: false,
    });
  });

  test('the hourly table projects date and city partitions onto the contract layout', () => {
    expect(tableInput('hourly').Parameters).toEqual({
      'EXTERNAL': 'TRUE',
      'classification': 'parquet',
      'projection.enabled': 'true',
      'projection.date.type': 'date',
      'projection.date.format': WeatherContract.DATE_FORMAT,
      'projection.date.range': '2024-01-01,NOW+16DAYS',
      'projection.date.interval': '1',
      'projection.date.interval.unit': 'DAYS',
      'projection.city.type': 'enum',
      'projection.city.values': 'paris,saint-etienne',
      'storage.location.template': s3Url(refinedId, WeatherContract.hourlyLocationTemplate()),
    });
    expect(WeatherContract.hourlyLocationTemplate()).toBe('weather/hourly/date=${date}/city=${city}/');
  });

  test('the quarantine table has the contract columns and a date projection', () => {
    const quarantine = tableInput('quarantine');
    expect(quarantine.PartitionKeys).toEqual([{ Name: 'date', Type: 'string' }]);
    expect(quarantine.StorageDescriptor.Columns).toEqual(
      WeatherContract.QUARANTINE_COLUMNS.map((c) => ({ Name: c.name, Type: c.dataType, Comment: c.comment })));
    expect(quarantine.StorageDescriptor.Location).toEqual(s3Url(refinedId, WeatherContract.QUARANTINE_PREFIX));
    expect(quarantine.Parameters).toMatchObject({
      'projection.enabled': 'true',
      'projection.date.type': 'date',
      'projection.date.range': '2024-01-01,NOW+16DAYS',
      'storage.location.template': s3Url(refinedId, WeatherContract.quarantineLocationTemplate()),
    });
    expect(quarantine.Parameters['projection.city.type']).toBeUndefined();
  });

  test('the workgroup runs engine v3, enforces its configuration, caps scans and publishes metrics', () => {
    const resultsId = stack.getLogicalId(catalog.resultsBucket.node.defaultChild as s3.CfnBucket);
    expect(catalog.workGroupName).toBe('Test-Catalog-A94269F6');
    template.hasResourceProperties('AWS::Athena::WorkGroup', {
      Name: 'Test-Catalog-A94269F6',
      State: 'ENABLED',
      WorkGroupConfiguration: {
        EngineVersion: { SelectedEngineVersion: 'Athena engine version 3' },
        EnforceWorkGroupConfiguration: true,
        PublishCloudWatchMetricsEnabled: true,
        BytesScannedCutoffPerQuery: 10 * 1024 ** 3,
        ResultConfiguration: {
          OutputLocation: s3Url(resultsId, 'athena-results/'),
          // The lake's key: query results copy lake data.
          EncryptionConfiguration: { EncryptionOption: 'SSE_KMS', KmsKey: { 'Fn::GetAtt': [refinedKeyId, 'Arn'] } },
        },
      },
    });
    expect(catalog.resultsEncryptionKey).toBe(refinedBucket.encryptionKey);
  });

  test('the results bucket is versioned, encrypted with the lake\'s key, TLS only, private and expires results after 30 days', () => {
    const resultsId = stack.getLogicalId(catalog.resultsBucket.node.defaultChild as s3.CfnBucket);
    const bucket = template.findResources('AWS::S3::Bucket')[resultsId];
    expect(bucket.Properties).toMatchObject({
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{
          BucketKeyEnabled: true,
          ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: { 'Fn::GetAtt': [refinedKeyId, 'Arn'] } },
        }],
      },
      VersioningConfiguration: { Status: 'Enabled' },
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      LifecycleConfiguration: {
        Rules: [{
          Id: 'expire-query-results',
          Status: 'Enabled',
          ExpirationInDays: 30,
          NoncurrentVersionExpiration: { NoncurrentDays: 1 },
          AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
        }],
      },
    });
    template.resourceCountIs('AWS::KMS::Key', 1);
    expect(bucket.DeletionPolicy).toBe('Retain');
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: resultsId },
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
  });

  test('one named query per analytics query, in the workgroup and the database', () => {
    const ids = ['daily-temperature', 'last-48-hours', 'monthly-precipitation', 'temperature-extremes', 'data-freshness', 'quarantine-by-reason',
      'forecast-evolution', 'forecast-error-by-lead-time', 'monthly-climate-summary', 'compare-sources'];
    expect(catalog.analyticsQueries.map((q) => q.id)).toEqual(ids);
    expect(catalog.namedQueries).toHaveLength(ids.length);
    template.resourceCountIs('AWS::Athena::NamedQuery', ids.length);
    const workGroupId = stack.getLogicalId(catalog.workGroup);
    for (const q of catalog.analyticsQueries) {
      template.hasResourceProperties('AWS::Athena::NamedQuery', {
        Name: `weather-${q.id}`,
        Database: 'test_catalog_a94269f6',
        WorkGroup: { Ref: workGroupId },
        QueryString: q.queryString,
        Description: q.description,
      });
    }
  });

  test('every query reads the quoted date partition (the staging table: ingest_date) and names its parameters', () => {
    for (const q of [...catalog.analyticsQueries, ...catalog.validationQueries]) {
      expect(q.queryString).toMatch(/WHERE ("date" (BETWEEN \? AND \?|>= CAST\(current_date)|.*ingest_date BETWEEN \? AND \?)/);
      expect(q.queryString.split('?').length - 1).toBe(q.parameters.length);
      // The partition column is a reserved word: outside comments and casts it is always quoted.
      const code = q.queryString.replace(/--.*$/gm, '').replace(/ AS date\)/g, ')');
      expect(code).not.toMatch(/(?<![\w"])date(?![\w"(])/);
    }
  });

  test('validation queries take only the run parameters the orchestrator knows', () => {
    for (const q of catalog.validationQueries) {
      expect(q.parameters.length).toBeGreaterThan(0);
      expect(q.parameters.filter((p) => !['firstDate', 'lastDate', 'citySlugs', 'runId', 'sourceIds'].includes(p))).toEqual([]);
    }
    expect(catalog.validationQueries.find((q) => q.id === 'quarantine-share')!.parameters).toEqual(['firstDate', 'lastDate', 'runId', 'firstDate', 'lastDate', 'runId']);
  });

  test('validation queries return a verdict and use the contract ranges and the threshold', () => {
    expect(catalog.validationQueries.map((q) => q.id)).toEqual(['partitions-not-empty', 'no-duplicate-hours', 'values-in-range', 'quarantine-share', 'daily-consistent']);
    for (const q of catalog.validationQueries) {
      expect(q.queryString).toMatch(/ AS passed,/);
    }
    const ranges = catalog.validationQueries.find((q) => q.id === 'values-in-range')!.queryString;
    for (const v of WeatherContract.VARIABLES) {
      expect(ranges).toContain(`count_if(${v.column} NOT BETWEEN ${v.minimum} AND ${v.maximum}) AS ${v.column}_out_of_range`);
    }
    expect(catalog.validationQueries.find((q) => q.id === 'quarantine-share')!.queryString).toContain('quarantine_share <= 0.05 AS passed');
  });

  test('has no cdk-nag AwsSolutions finding', () => {
    expect(nagFindings(app)).toEqual([]);
  });
});

describe('AthenaCatalog.grantQuery', () => {
  const { app, stack, refinedBucket, catalog } = catalogStack();
  const analyst = new iam.Role(stack, 'Analyst', { assumedBy: new iam.AccountRootPrincipal() });
  catalog.grantQuery(analyst);
  const template = Template.fromStack(stack);
  const policy = Object.values(template.findResources('AWS::IAM::Policy'))[0];
  const statements: any[] = policy.Properties.PolicyDocument.Statement;
  const refinedId = stack.getLogicalId(refinedBucket.node.defaultChild as s3.CfnBucket);
  const resultsId = stack.getLogicalId(catalog.resultsBucket.node.defaultChild as s3.CfnBucket);
  const refinedKeyId = stack.getLogicalId(refinedBucket.encryptionKey!.node.defaultChild as kms.CfnKey);
  const arn = (service: string, resource: string) => ({
    'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:${service}:`, { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, `:${resource}`]],
  });

  test('runs queries in the workgroup only', () => {
    expect(statements).toContainEqual({
      Effect: 'Allow',
      Action: ['athena:StartQueryExecution', 'athena:GetQueryExecution', 'athena:GetQueryResults', 'athena:StopQueryExecution',
        'athena:GetWorkGroup', 'athena:ListNamedQueries', 'athena:GetNamedQuery', 'athena:BatchGetNamedQuery'],
      Resource: arn('athena', 'workgroup/Test-Catalog-A94269F6'),
    });
  });

  test('reads the catalog, the database and its four tables', () => {
    expect(statements).toContainEqual({
      Effect: 'Allow',
      Action: ['glue:GetDatabase', 'glue:GetTable', 'glue:GetTables', 'glue:GetPartition', 'glue:GetPartitions', 'glue:BatchGetPartition'],
      Resource: [arn('glue', 'catalog'), arn('glue', 'database/test_catalog_a94269f6'), arn('glue', 'table/test_catalog_a94269f6/hourly'),
        arn('glue', 'table/test_catalog_a94269f6/quarantine'), arn('glue', 'table/test_catalog_a94269f6/staging'), arn('glue', 'table/test_catalog_a94269f6/daily')],
    });
  });

  test('reads the hourly and quarantine prefixes of the refined bucket and decrypts them', () => {
    const objects = statements.filter((s) => JSON.stringify(s.Resource).includes(refinedId));
    const resources = JSON.stringify(objects.map((s) => s.Resource));
    expect(resources).toContain('/weather/hourly/*');
    expect(resources).toContain('/weather/quarantine/*');
    expect(resources).toContain('/weather/staging/*');
    expect(resources).toContain('/weather/daily/*');
    expect(resources).not.toContain('/weather/raw');
    expect(resources).not.toMatch(new RegExp(`${refinedId}.Arn"\\]\\},"/\\*"`));
    for (const s of objects) {
      expect([s.Action].flat()).toEqual(expect.arrayContaining([expect.stringMatching(/^s3:(GetObject|GetObjectVersion|ListBucket)$/)]));
      expect([s.Action].flat().every((a: string) => ['s3:GetObject', 's3:GetObjectVersion', 's3:ListBucket'].includes(a))).toBe(true);
    }
    expect(statements).toContainEqual(expect.objectContaining({
      Action: 'kms:Decrypt',
      Resource: { 'Fn::GetAtt': [refinedKeyId, 'Arn'] },
    }));
  });

  test('reads and writes the results prefix only, without deleting', () => {
    const results = statements.filter((s) => JSON.stringify(s.Resource).includes(resultsId));
    expect(JSON.stringify(results.map((s) => s.Resource))).toContain('/athena-results/*');
    const actions = results.flatMap((s) => s.Action);
    expect([...new Set(actions)].sort()).toEqual(['s3:AbortMultipartUpload', 's3:GetBucketLocation', 's3:GetObject', 's3:GetObjectVersion', 's3:ListBucket', 's3:PutObject']);
  });

  test('no granted action has a wildcard', () => {
    const actions = statements.flatMap((s) => [s.Action].flat());
    expect(actions.filter((a: string) => a.includes('*'))).toEqual([]);
  });

  test('cdk-nag finds only the prefix wildcards a query needs', () => {
    const findings = nagFindings(app);
    for (const finding of findings) {
      expect(finding).toMatch(/^Test\/Analyst\/DefaultPolicy\/Resource .*AwsSolutions-IAM5\[/);
    }
  });
});

describe('AthenaCatalog options', () => {
  test('injected cities, a KMS results key, a smaller cutoff and a longer retention', () => {
    const { stack } = newStack();
    const key = new kms.Key(stack, 'ResultsKey', { enableKeyRotation: true });
    const catalog = new AthenaCatalog(stack, 'Catalog', {
      refinedLake: lake(stack, false),
      injectCities: true,
      databaseName: 'lake_weather',
      workGroupName: 'weather-analysts',
      projectionStartDate: '2025-06-01',
      projectionDaysAhead: 7,
      bytesScannedCutoffPerQuery: Size.gibibytes(1),
      resultsEncryptionKey: key,
      resultsRetention: Duration.days(7),
      maxQuarantinePercent: 20,
    });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::Glue::Table', {
      DatabaseName: 'lake_weather',
      TableInput: Match.objectLike({
        Name: 'hourly',
        Parameters: Match.objectLike({ 'projection.city.type': 'injected', 'projection.date.range': '2025-06-01,NOW+7DAYS' }),
      }),
    });
    template.hasResourceProperties('AWS::Athena::WorkGroup', {
      Name: 'weather-analysts',
      WorkGroupConfiguration: Match.objectLike({
        BytesScannedCutoffPerQuery: 1024 ** 3,
        ResultConfiguration: Match.objectLike({
          EncryptionConfiguration: { EncryptionOption: 'SSE_KMS', KmsKey: { 'Fn::GetAtt': [stack.getLogicalId(key.node.defaultChild as kms.CfnKey), 'Arn'] } },
        }),
      }),
    });
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: { ServerSideEncryptionConfiguration: [Match.objectLike({ ServerSideEncryptionByDefault: Match.objectLike({ SSEAlgorithm: 'aws:kms' }) })] },
      LifecycleConfiguration: { Rules: [Match.objectLike({ ExpirationInDays: 7 })] },
    });
    expect(catalog.validationQueries.find((q) => q.id === 'quarantine-share')!.queryString).toContain('quarantine_share <= 0.2 AS passed');
    Annotations.fromStack(stack).hasWarning('/Test/Catalog', Match.stringLikeRegexp('injectCities is true'));
  });

  test('a lake without a KMS key: the query results get a key of their own, never SSE-S3', () => {
    const { stack } = newStack();
    const catalog = new AthenaCatalog(stack, 'Catalog', { refinedLake: lake(stack) });
    const template = Template.fromStack(stack);
    const keyId = stack.getLogicalId(catalog.resultsEncryptionKey!.node.defaultChild as kms.CfnKey);
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    template.hasResourceProperties('AWS::Athena::WorkGroup', {
      WorkGroupConfiguration: Match.objectLike({
        ResultConfiguration: Match.objectLike({ EncryptionConfiguration: { EncryptionOption: 'SSE_KMS', KmsKey: { 'Fn::GetAtt': [keyId, 'Arn'] } } }),
      }),
    });
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: { ServerSideEncryptionConfiguration: [Match.objectLike({ ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: { 'Fn::GetAtt': [keyId, 'Arn'] } } })] },
      VersioningConfiguration: { Status: 'Enabled' },
    });
  });

  test('removalPolicy DESTROY deletes the results bucket and its key with the stack, warns, and stays nag-clean', () => {
    const { app, stack } = newStack();
    const catalog = new AthenaCatalog(stack, 'Catalog', {
      refinedLake: lake(stack), removalPolicy: RemovalPolicy.DESTROY,
    });
    const template = Template.fromStack(stack);
    const bucket = template.findResources('AWS::S3::Bucket')[stack.getLogicalId(catalog.resultsBucket.node.defaultChild as s3.CfnBucket)];
    expect(bucket.DeletionPolicy).toBe('Delete');
    template.resourceCountIs('Custom::S3AutoDeleteObjects', 1);
    expect(template.findResources('AWS::KMS::Key')[stack.getLogicalId(catalog.resultsEncryptionKey!.node.defaultChild as kms.CfnKey)].DeletionPolicy).toBe('Delete');
    Annotations.fromStack(stack).hasWarning('/Test/Catalog', Match.stringLikeRegexp('removalPolicy is DESTROY'));
    expect(nagFindings(app)).toEqual([]);
  });

  test('a results bucket you pass, with its own key', () => {
    const { stack } = newStack();
    const key = new kms.Key(stack, 'Key');
    const results = new s3.Bucket(stack, 'Results', { encryptionKey: key });
    const catalog = new AthenaCatalog(stack, 'Catalog', {
      refinedLake: lake(stack),
      resultsBucket: results,
      resultsPrefix: 'queries/weather/',
    });
    expect(catalog.resultsBucket).toBe(results);
    expect(catalog.resultsPrefix).toBe('queries/weather/');
    expect(catalog.resultsEncryptionKey).toBe(key);
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::S3::Bucket', 1);
    template.hasResourceProperties('AWS::Athena::WorkGroup', {
      WorkGroupConfiguration: Match.objectLike({
        ResultConfiguration: {
          OutputLocation: s3Url(stack.getLogicalId(results.node.defaultChild as s3.CfnBucket), 'queries/weather/'),
          EncryptionConfiguration: { EncryptionOption: 'SSE_KMS', KmsKey: { 'Fn::GetAtt': [stack.getLogicalId(key.node.defaultChild as kms.CfnKey), 'Arn'] } },
        },
      }),
    });
  });
});

describe('AthenaCatalog access logs', () => {
  test('logs results access to a BucketOwnerEnforced log bucket of the same app through a bucket policy, not ACLs', () => {
    const { app, stack } = newStack();
    const logs = new s3.Bucket(stack, 'Logs', {
      enforceSSL: true,
      encryption: s3.BucketEncryption.S3_MANAGED,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
    });
    const catalog = new AthenaCatalog(stack, 'Catalog', {
      refinedLake: lake(stack),
      serverAccessLogsBucket: logs,
    });
    const template = Template.fromStack(stack);
    const resultsId = stack.getLogicalId(catalog.resultsBucket.node.defaultChild as s3.CfnBucket);
    const logsId = stack.getLogicalId(logs.node.defaultChild as s3.CfnBucket);
    expect(template.findResources('AWS::S3::Bucket')[resultsId].Properties.LoggingConfiguration)
      .toEqual({ DestinationBucketName: { Ref: logsId }, LogFilePrefix: 'athena-results/' });
    expect(template.findResources('AWS::S3::Bucket')[logsId].Properties.AccessControl).toBeUndefined();
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: logsId },
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({
          Effect: 'Allow',
          Principal: { Service: 'logging.s3.amazonaws.com' },
          Action: 's3:PutObject',
          Condition: { ArnLike: { 'aws:SourceArn': { 'Fn::GetAtt': [resultsId, 'Arn'] } }, StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
        })]),
      },
    });
    expect(nagFindings(app)).toEqual([]);
  });

  test('without a log bucket, the results bucket skips only the access-log check (versioning is on), with its reason', () => {
    const { stack } = newStack();
    const catalog = new AthenaCatalog(stack, 'Catalog', { refinedLake: lake(stack) });
    const skips = (catalog.resultsBucket.node.defaultChild as s3.CfnBucket).getMetadata('checkov').skip;
    expect(skips.map((s: any) => s.id)).toEqual(['CKV_AWS_18']);
    expect(skips.every((s: any) => s.comment.length > 40)).toBe(true);
  });
});

describe('AthenaCatalog validation', () => {
  const make = (props: Partial<AthenaCatalogProps> & { cities?: City[] }) => () => {
    const stack = new Stack();
    const { cities, ...catalogProps } = props;
    new AthenaCatalog(stack, 'Catalog', { refinedLake: lake(stack, cities !== undefined || !('cities' in props), cities), ...catalogProps });
  };

  test.each([
    [{ cities: undefined }, 'refinedLake Default/Lake declares no cities, which Default/Catalog needs: set cities on the refined lake (RefinedLake props or RefinedLake.fromRefinedLakeAttributes)'],
    [{ cities: [] }, 'cities must list at least one city, got []'],
    [{ cities: [{ name: '東京', latitude: 35.68, longitude: 139.69 }] }, 'cities[0] "東京": the name yields the slug "", which does not match ^[a-z0-9]+(?:-[a-z0-9]+)*$; set an explicit slug'],
    [{ databaseName: 'Weather-DB' }, 'databaseName must match ^[a-z0-9_]{1,255}$ (lowercase letters, digits, underscores), got "Weather-DB"'],
    [{ workGroupName: 'weather group' }, 'workGroupName must match ^[a-zA-Z0-9._-]{1,128}$, got "weather group"'],
    [{ projectionStartDate: '2024-13-01' }, 'projectionStartDate must be a date yyyy-MM-dd, got "2024-13-01"'],
    [{ projectionStartDate: '01/01/2024' }, 'projectionStartDate must be a date yyyy-MM-dd, got "01/01/2024"'],
    [{ projectionDaysAhead: 17 }, 'projectionDaysAhead must be a whole number in [0, 16], got 17'],
    [{ projectionDaysAhead: 1.5 }, 'projectionDaysAhead must be a whole number in [0, 16], got 1.5'],
    [{ bytesScannedCutoffPerQuery: Size.mebibytes(5) }, 'bytesScannedCutoffPerQuery must be at least 10 MB (10000000 bytes), got 5242880 bytes'],
    [{ resultsPrefix: 'results' }, 'resultsPrefix must be non-empty S3 key segments each ending with "/", got "results"'],
    [{ resultsPrefix: '/results/' }, 'resultsPrefix must be non-empty S3 key segments each ending with "/", got "/results/"'],
    [{ maxQuarantinePercent: 150 }, 'maxQuarantinePercent must be a percentage in [0, 100], got 150'],
    [{ maxQuarantinePercent: -1 }, 'maxQuarantinePercent must be a percentage in [0, 100], got -1'],
    [{ freshnessLookbackDays: 0 }, 'freshnessLookbackDays must be a whole number of days, at least 1, got 0'],
    [{ resultsRetention: Duration.hours(12) }, 'resultsRetention must be a whole number of days, at least 1, got 12 hours'],
  ])('%j', (props, message) => {
    expect(make(props as Partial<AthenaCatalogProps> & { cities?: City[] })).toThrow(message);
  });

  test('a results bucket you pass keeps its own lifecycle and logs', () => {
    const stack = new Stack();
    const resultsBucket = s3.Bucket.fromBucketName(stack, 'Results', 'results');
    expect(make({ resultsBucket, resultsRetention: Duration.days(3), serverAccessLogsBucket: resultsBucket })).toThrow(
      'resultsRetention, serverAccessLogsBucket cannot be combined with resultsBucket: they shape a bucket the construct creates');
  });
});

describe('AthenaCatalog over a RefinedLake with monthly partitions', () => {
  const { stack } = newStack();
  const refined = new RefinedLake(stack, 'Refined', { cities: CITIES, partitionGranularity: PartitionGranularity.MONTH });
  const catalog = new AthenaCatalog(stack, 'Catalog', { refinedLake: refined, projectionStartDate: '2025-06-15', projectionDaysAhead: 7 });
  const template = Template.fromStack(stack);
  const refinedId = stack.getLogicalId(refined.bucket.node.defaultChild as s3.CfnBucket);
  const tableInput = (table: any) => template.toJSON().Resources[stack.getLogicalId(table)].Properties.TableInput;

  test('projects month (yyyy-MM, 1 MONTHS, from the start date\'s month) and city; date is a column', () => {
    const hourly = tableInput(catalog.hourlyTable);
    expect(catalog.partitionGranularity).toBe(PartitionGranularity.MONTH);
    expect(hourly.PartitionKeys).toEqual([{ Name: 'month', Type: 'string' }, { Name: 'city', Type: 'string' }]);
    expect(hourly.StorageDescriptor.Columns.map((c: any) => c.Name))
      .toEqual(WeatherContract.hourlyColumns(PartitionGranularity.MONTH).map((c) => c.name));
    expect(hourly.Parameters).toEqual({
      'EXTERNAL': 'TRUE',
      'classification': 'parquet',
      'projection.enabled': 'true',
      'projection.month.type': 'date',
      'projection.month.format': 'yyyy-MM',
      'projection.month.range': '2025-06,NOW+7DAYS',
      'projection.month.interval': '1',
      'projection.month.interval.unit': 'MONTHS',
      'projection.city.type': 'enum',
      'projection.city.values': 'paris,saint-etienne',
      'storage.location.template': s3Url(refinedId, 'weather/hourly/month=${month}/city=${city}/'),
    });
  });

  test('the quarantine table keeps its date projection', () => {
    const quarantine = tableInput(catalog.quarantineTable);
    expect(quarantine.PartitionKeys).toEqual([{ Name: 'date', Type: 'string' }]);
    expect(quarantine.Parameters).toMatchObject({ 'projection.date.type': 'date', 'projection.date.range': '2025-06-15,NOW+7DAYS' });
  });

  test('every query on the hourly table filters date and prunes month from the same parameters', () => {
    for (const query of [...catalog.analyticsQueries, ...catalog.validationQueries]) {
      for (const select of query.queryString.split(/\bFROM\b/).slice(1)) {
        if (select.trimStart().startsWith('"weather"."hourly"')) {
          expect(select).toMatch(/WHERE "date" (BETWEEN \? AND \? AND "month" BETWEEN substr\(\?, 1, 7\) AND substr\(\?, 1, 7\)|>= (CAST\(.*\)) AND "month" >= substr\(\2, 1, 7\))/);
        }
      }
      expect(query.parameters.length).toBe((query.queryString.match(/\?/g) ?? []).length);
    }
    const daily = catalog.analyticsQueries.find((q) => q.id === 'daily-temperature')!;
    expect(daily.parameters).toEqual(['firstDate', 'lastDate', 'firstDate', 'lastDate']);
    const byReason = catalog.analyticsQueries.find((q) => q.id === 'quarantine-by-reason')!;
    expect(byReason.parameters).toEqual(['firstDate', 'lastDate']);
  });
});
