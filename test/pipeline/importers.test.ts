// The importers: each construct's `fromXxxAttributes` gives the interface its consumers take, for resources made
// elsewhere (another stack, team or account), and the consumers work on them as on the constructs.
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import {
  AthenaCatalog, City, GlueEtlJob, LandingZone, PartitionGranularity, PipelineMonitoring, PipelineOrchestrator, RefinedLake, WeatherContract,
  WeatherIngestion,
} from '../../src';
import { nagFindings } from '../nag';

const CITIES: City[] = [
  { name: 'Paris', latitude: 48.8566, longitude: 2.3522 },
  { name: 'Saint-Étienne', latitude: 45.4397, longitude: 4.3872 },
];

function statements(stack: Stack): any[] {
  return Object.values<any>(Template.fromStack(stack).findResources('AWS::IAM::Policy'))
    .flatMap((policy) => policy.Properties.PolicyDocument.Statement);
}

/** An ETL job and a catalog another stack deployed, on imported zones: what an operations stack builds on. */
function importedJobAndCatalog(stack: Stack) {
  const landingZone = LandingZone.fromLandingZoneAttributes(stack, 'Landing', { bucket: s3.Bucket.fromBucketName(stack, 'Raw', 'raw') });
  const refinedLake = RefinedLake.fromRefinedLakeAttributes(stack, 'Refined', { bucket: s3.Bucket.fromBucketName(stack, 'Lake', 'refined'), cities: CITIES });
  const etlJob = GlueEtlJob.fromGlueEtlJobAttributes(stack, 'Etl', { jobName: 'weather-etl', landingZone, refinedLake });
  const catalog = AthenaCatalog.fromAthenaCatalogAttributes(stack, 'Catalog', {
    refinedLake, databaseName: 'lake_weather', workGroupName: 'weather-analysts', resultsBucket: s3.Bucket.fromBucketName(stack, 'Results', 'results'),
  });
  return { etlJob, catalog };
}

describe('LandingZone.fromLandingZoneAttributes', () => {
  const stack = new Stack(new App(), 'Test');
  const landing = LandingZone.fromLandingZoneAttributes(stack, 'Landing', { bucket: s3.Bucket.fromBucketName(stack, 'B', 'raw') });
  const reader = new iam.Role(stack, 'Reader', { assumedBy: new iam.AccountRootPrincipal() });
  landing.grantRead(reader);

  test('has the contract prefixes, EventBridge on by default, and creates nothing', () => {
    expect([landing.prefix, landing.rawPrefix, landing.manifestPrefix])
      .toEqual(['weather/', WeatherContract.LANDING_RAW_PREFIX, WeatherContract.LANDING_MANIFEST_PREFIX]);
    expect(landing.eventBridgeEnabled).toBe(true);
    expect(Object.values<any>(Template.fromStack(stack).toJSON().Resources).map((r) => r.Type)).toEqual(['AWS::IAM::Role', 'AWS::IAM::Policy']);
  });

  test('grants read under weather/ only', () => {
    expect(statements(stack)).toEqual(expect.arrayContaining([expect.objectContaining({
      Action: ['s3:GetObject', 's3:GetObjectVersion'],
      Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':s3:::raw/weather/*']] },
    })]));
  });
});

describe('RefinedLake.fromRefinedLakeAttributes', () => {
  test('carries the data definition, validated like the construct\'s', () => {
    const stack = new Stack();
    const lake = RefinedLake.fromRefinedLakeAttributes(stack, 'Lake', {
      bucket: s3.Bucket.fromBucketName(stack, 'B', 'refined'), cities: CITIES, partitionGranularity: PartitionGranularity.MONTH,
    });
    expect(lake.cities).toEqual(CITIES);
    expect(lake.hourlyPartitionKeys).toEqual(['month', 'city']);
    expect(() => RefinedLake.fromRefinedLakeAttributes(stack, 'Bad', { bucket: lake.bucket, cities: [] }))
      .toThrow('cities must list at least one city, got []');
  });

  test('a later change to the caller\'s array does not change the lake', () => {
    const stack = new Stack();
    const list = [...CITIES];
    const lake = new RefinedLake(stack, 'Lake', { cities: list });
    list.pop();
    expect(lake.cities).toHaveLength(2);
  });

  test('grants write with delete under weather/', () => {
    const stack = new Stack();
    const lake = RefinedLake.fromRefinedLakeAttributes(stack, 'Lake', { bucket: s3.Bucket.fromBucketName(stack, 'B', 'refined') });
    lake.grantWrite(new iam.Role(stack, 'Writer', { assumedBy: new iam.AccountRootPrincipal() }));
    expect(statements(stack)).toEqual(expect.arrayContaining([expect.objectContaining({
      Action: ['s3:PutObject', 's3:AbortMultipartUpload', 's3:DeleteObject'],
    })]));
  });
});

describe('an orchestrator on a job and a catalog of another pipeline (GlueEtlJob and AthenaCatalog importers)', () => {
  const app = new App();
  const stack = new Stack(app, 'Ops', { env: { account: '111111111111', region: 'eu-west-3' } });
  const { etlJob, catalog } = importedJobAndCatalog(stack);
  new PipelineOrchestrator(stack, 'Orchestrator', { etlJob, catalog });
  const template = Template.fromStack(stack);

  test('the imported job has its ARN and the imported catalog the same validation queries a catalog on that lake has', () => {
    expect(etlJob.jobArn).toMatch(/:glue:eu-west-3:111111111111:job\/weather-etl$/);
    const other = new Stack();
    const built = new AthenaCatalog(other, 'Catalog', {
      refinedLake: RefinedLake.fromRefinedLakeAttributes(other, 'Refined', { bucket: s3.Bucket.fromBucketName(other, 'Lake', 'refined'), cities: CITIES }),
      databaseName: 'lake_weather',
    });
    expect(catalog.validationQueries).toEqual(built.validationQueries);
    expect(catalog.resultsPrefix).toBe('athena-results/');
    expect(catalog.workGroupArn).toMatch(/:athena:eu-west-3:111111111111:workgroup\/weather-analysts$/);
  });

  test('the state machine runs the imported job and queries the imported workgroup and database', () => {
    const definition = JSON.stringify(Object.values<any>(template.findResources('AWS::StepFunctions::StateMachine'))[0].Properties.DefinitionString);
    expect(definition).toContain('\\"JobName\\":\\"weather-etl\\"');
    expect(definition).toContain('\\"WorkGroup\\":\\"weather-analysts\\"');
    expect(definition).toContain('\\"Database\\":\\"lake_weather\\"');
    expect(statements(stack)).toEqual(expect.arrayContaining([expect.objectContaining({
      Action: ['glue:StartJobRun', 'glue:GetJobRun', 'glue:GetJobRuns', 'glue:BatchStopJobRun'],
      Resource: stack.resolve(etlJob.jobArn),
    })]));
  });

  test('the manifest trigger listens to the imported landing bucket', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: Match.objectLike({ detail: { bucket: { name: ['raw'] }, object: { key: [{ prefix: WeatherContract.LANDING_MANIFEST_PREFIX }] } } }),
    });
  });

  test('is cdk-nag clean', () => {
    expect(nagFindings(app)).toEqual([]);
  });
});

describe('an orchestrator and a monitoring on an ingestion another stack deployed (WeatherIngestion importer)', () => {
  const FUNCTION_ARN = 'arn:aws:lambda:eu-west-3:111111111111:function:weather-ingest';
  const app = new App();
  const stack = new Stack(app, 'Ops', { env: { account: '111111111111', region: 'eu-west-3' } });
  const { etlJob, catalog } = importedJobAndCatalog(stack);
  const cities = [...CITIES];
  const ingestion = WeatherIngestion.fromWeatherIngestionAttributes(stack, 'Ingestion', {
    ingestFunction: lambda.Function.fromFunctionArn(stack, 'IngestFunction', FUNCTION_ARN),
    deadLetterQueue: sqs.Queue.fromQueueArn(stack, 'IngestDlq', 'arn:aws:sqs:eu-west-3:111111111111:weather-ingest-dlq'),
    cities,
    timeout: Duration.minutes(5),
  });
  cities.pop();
  const orchestrator = new PipelineOrchestrator(stack, 'Orchestrator', { etlJob, catalog, ingestion });
  new PipelineMonitoring(stack, 'Monitoring', { orchestrator, etlJob, catalog, ingestion });
  const template = Template.fromStack(stack);

  test('keeps its own copy of the cities, and a timeout of 15 minutes unless told', () => {
    expect(ingestion.cities).toEqual(CITIES);
    expect(ingestion.timeout.toMinutes()).toBe(5);
    const other = new Stack();
    const fn = lambda.Function.fromFunctionArn(other, 'Fn', FUNCTION_ARN);
    const deadLetterQueue = sqs.Queue.fromQueueArn(other, 'Dlq', 'arn:aws:sqs:eu-west-3:111111111111:dlq');
    expect(WeatherIngestion.fromWeatherIngestionAttributes(other, 'Default', { ingestFunction: fn, deadLetterQueue, cities: CITIES }).timeout.toMinutes()).toBe(15);
  });

  test('the state machine invokes the imported function, waiting its timeout plus a minute', () => {
    const states = JSON.parse(template.toJSON().Resources[stack.getLogicalId(orchestrator.stateMachine.node.defaultChild as any)].Properties.DefinitionString['Fn::Join'][1].join(''));
    const ingest = states.States[PipelineOrchestrator.STATE_INGEST];
    expect(ingest.Resource).toBe(FUNCTION_ARN);
    expect(ingest.TimeoutSeconds).toBe(360);
    expect(statements(stack)).toEqual(expect.arrayContaining([expect.objectContaining({
      Action: 'lambda:InvokeFunction', Resource: expect.arrayContaining([FUNCTION_ARN]),
    })]));
  });

  test('the monitoring alarms on the imported function\'s errors and the imported dead-letter queue', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'Errors', Namespace: 'AWS/Lambda', Dimensions: [{ Name: 'FunctionName', Value: 'weather-ingest' }],
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible', Dimensions: [{ Name: 'QueueName', Value: 'weather-ingest-dlq' }],
    });
  });

  test('is cdk-nag clean', () => {
    expect(nagFindings(app)).toEqual([]);
  });

  test.each([
    [{ cities: [] }, 'cities must list at least one city, got []'],
    [{ timeout: Duration.minutes(16) }, 'timeout must be between 1 second and 15 minutes (Lambda\'s limits), got 16 minutes'],
  ])('invalid attributes fail naming the attribute: %j', (bad, message) => {
    const other = new Stack();
    const ingestFunction = lambda.Function.fromFunctionArn(other, 'Fn', FUNCTION_ARN);
    const deadLetterQueue = sqs.Queue.fromQueueArn(other, 'Dlq', 'arn:aws:sqs:eu-west-3:111111111111:dlq');
    expect(() => WeatherIngestion.fromWeatherIngestionAttributes(other, 'Bad', { ingestFunction, deadLetterQueue, cities: CITIES, ...bad }))
      .toThrow(message);
  });
});

describe('a monitoring on an orchestrator another stack deployed (PipelineOrchestrator importer)', () => {
  const STATE_MACHINE_ARN = 'arn:aws:states:eu-west-3:111111111111:stateMachine:weather-run';
  const app = new App();
  const stack = new Stack(app, 'Ops', { env: { account: '111111111111', region: 'eu-west-3' } });
  const { etlJob, catalog } = importedJobAndCatalog(stack);
  const orchestrator = PipelineOrchestrator.fromPipelineOrchestratorAttributes(stack, 'Orchestrator', {
    stateMachine: sfn.StateMachine.fromStateMachineArn(stack, 'StateMachine', STATE_MACHINE_ARN),
    notificationTopic: sns.Topic.fromTopicArn(stack, 'Topic', 'arn:aws:sns:eu-west-3:111111111111:weather-alerts'),
    encryptionKey: kms.Key.fromKeyArn(stack, 'Key', 'arn:aws:kms:eu-west-3:111111111111:key/0f0f0f0f-1111-2222-3333-444444444444'),
    triggerDeadLetterQueue: sqs.Queue.fromQueueArn(stack, 'TriggerDlq', 'arn:aws:sqs:eu-west-3:111111111111:weather-trigger-dlq'),
  });
  new PipelineMonitoring(stack, 'Monitoring', { orchestrator, etlJob, catalog });
  const operator = new iam.Role(stack, 'Operator', { assumedBy: new iam.AccountRootPrincipal() });
  orchestrator.grantStartExecution(operator);
  const template = Template.fromStack(stack);

  test('creates no state machine, and the monitoring alarms on the imported one\'s executions', () => {
    expect(template.findResources('AWS::StepFunctions::StateMachine')).toEqual({});
    for (const metric of ['ExecutionsFailed', 'ExecutionsTimedOut', 'ExecutionsAborted']) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        MetricName: metric,
        Namespace: 'AWS/States',
        Dimensions: [{ Name: 'StateMachineArn', Value: STATE_MACHINE_ARN }],
        AlarmActions: ['arn:aws:sns:eu-west-3:111111111111:weather-alerts'],
      });
    }
  });

  test('alarms on the imported trigger dead-letter queue, and the monitoring log groups use the imported key', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible', Dimensions: [{ Name: 'QueueName', Value: 'weather-trigger-dlq' }],
    });
    const logGroups = Object.values<any>(template.findResources('AWS::Logs::LogGroup'));
    expect(logGroups.length).toBeGreaterThan(0);
    for (const group of logGroups) {
      expect(group.Properties.KmsKeyId).toBe('arn:aws:kms:eu-west-3:111111111111:key/0f0f0f0f-1111-2222-3333-444444444444');
    }
  });

  test('grantStartExecution grants states:StartExecution on the imported state machine only', () => {
    expect(statements(stack)).toEqual(expect.arrayContaining([expect.objectContaining({
      Action: 'states:StartExecution', Resource: STATE_MACHINE_ARN,
    })]));
  });

  test('is cdk-nag clean', () => {
    expect(nagFindings(app)).toEqual([]);
  });
});
