import { readFileSync } from 'fs';
import { join } from 'path';
import { App, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as sns from 'aws-cdk-lib/aws-sns';
import { City, GlueEtlJob, LandingZone, RefinedLake, WeatherPipeline } from '../../src';
import { nagFindings } from '../nag';

const PARIS: City = { name: 'Paris', latitude: 48.8566, longitude: 2.3522 };

function resourceCounts(template: Template): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const resource of Object.values<any>(template.toJSON().Resources)) {
    counts[resource.Type] = (counts[resource.Type] ?? 0) + 1;
  }
  return counts;
}

describe('WeatherPipeline, exactly as the README writes it', () => {
  const app = new App();
  const stack = new Stack(app, 'Test');
  const pipeline = new WeatherPipeline(stack, 'Weather', { cities: [{ name: 'Paris', latitude: 48.8566, longitude: 2.3522 }] });
  const template = Template.fromStack(stack);
  const id = (construct: { node: { defaultChild?: unknown } }) => stack.getLogicalId(construct.node.defaultChild as any);

  test('assembles every part', () => {
    expect(resourceCounts(template)).toMatchObject({
      'AWS::S3::Bucket': 4, // landing, refined, one shared access-log bucket, Athena results
      'AWS::Glue::Job': 1,
      'AWS::Glue::Database': 1,
      'AWS::Glue::Table': 4, // hourly, quarantine, staging, daily
      'AWS::Athena::WorkGroup': 1,
      'AWS::StepFunctions::StateMachine': 1,
      'AWS::SNS::Topic': 1,
      'AWS::Scheduler::Schedule': 1,
    });
    expect(pipeline.cities).toEqual([PARIS]);
  });

  test('wires the parts to each other', () => {
    const job = Object.values<any>(template.findResources('AWS::Glue::Job'))[0].Properties;
    expect(job.DefaultArguments['--landing_uri']).toEqual({ 'Fn::Join': ['', ['s3://', { Ref: id(pipeline.landingZone.bucket) }]] });
    expect(job.DefaultArguments['--refined_uri']).toEqual({ 'Fn::Join': ['', ['s3://', { Ref: id(pipeline.refinedLake.bucket) }]] });
    template.hasResourceProperties('AWS::Glue::Table', {
      TableInput: Match.objectLike({
        Name: pipeline.catalog.hourlyTableName,
        Parameters: Match.objectLike({ 'projection.city.values': 'paris' }),
      }),
    });
    const definition = JSON.stringify(Object.values<any>(template.findResources('AWS::StepFunctions::StateMachine'))[0].Properties.DefinitionString);
    expect(definition).toContain(id(pipeline.etlJob.job as any));
    expect(definition).toContain(pipeline.catalog.workGroupName);
  });

  test('every function runs the runtime its bundle is compiled for: one runtime, the generated classes\' and esbuild\'s target', () => {
    // The ingestion and the metrics publisher (built from their bundles here), the validation planner (a generated class).
    const functions = [pipeline.ingestion.ingestFunction, pipeline.monitoring!.metricsFunction, pipeline.orchestrator.validationPlanFunction];
    const runtimes = functions.map((fn) => template.toJSON().Resources[id(fn)].Properties.Runtime);
    const generated = readFileSync(join(__dirname, '..', '..', 'src', 'orchestration', 'private', 'start-run-function.ts'), 'utf-8');
    const ours = /new lambda\.Runtime\('(nodejs(\d+)\.x)'/.exec(generated);
    expect(ours).not.toBeNull();
    expect(new Set(runtimes)).toEqual(new Set([ours![1]]));
    const tasks = JSON.parse(readFileSync(join(__dirname, '..', '..', '.projen', 'tasks.json'), 'utf-8')).tasks;
    const targets = Object.values<any>(tasks).flatMap((task) => (task.steps ?? []).flatMap((step: any) => step.execArgs ?? []))
      .filter((arg: string) => arg.startsWith('--target=node'));
    expect(targets.length).toBeGreaterThanOrEqual(4);
    expect(new Set(targets)).toEqual(new Set([`--target=node${ours![2]}`]));
  });

  test('one schedule: the orchestrator runs ingestion as its first step, the function has no schedule of its own', () => {
    expect(pipeline.ingestion.schedule).toBeUndefined();
    expect(pipeline.orchestrator.schedule).toBeDefined();
    expect(pipeline.orchestrator.manifestRule).toBeUndefined();
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'cron(30 6 * * ? *)',
      // The run starter, which names each execution after its run id.
      Target: Match.objectLike({ Arn: { 'Fn::GetAtt': [id(pipeline.orchestrator.runStarter!), 'Arn'] } }),
    });
  });

  test('both zones log to one access-log bucket', () => {
    expect((pipeline.refinedLake as RefinedLake).accessLogsBucket).toBe((pipeline.landingZone as LandingZone).accessLogsBucket);
  });

  test('keeps data, keys and logs when the stack is deleted', () => {
    for (const type of ['AWS::S3::Bucket', 'AWS::KMS::Key', 'AWS::Logs::LogGroup']) {
      for (const [logicalId, resource] of Object.entries<any>(template.findResources(type))) {
        expect([logicalId, resource.DeletionPolicy]).toEqual([logicalId, 'Retain']);
      }
    }
  });

  test('has no unacknowledged cdk-nag finding', () => {
    expect(nagFindings(app)).toEqual([]);
  });
});

describe('WeatherPipeline knobs', () => {
  test('schedule, raw retention, one KMS key, e-mail alerts, API endpoint, Flex', () => {
    const stack = new Stack(new App(), 'Test');
    const key = new kms.Key(stack, 'DataKey', { enableKeyRotation: true });
    const pipeline = new WeatherPipeline(stack, 'Weather', {
      cities: [PARIS, { name: 'Nice', latitude: 43.7102, longitude: 7.262 }],
      schedule: scheduler.ScheduleExpression.cron({ minute: '0', hour: '*/3' }),
      rawExpiration: Duration.days(400),
      encryptionKey: key,
      notificationEmail: 'data-team@example.com',
      apiBaseUrl: 'https://customer-api.open-meteo.com',
    });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::Scheduler::Schedule', { ScheduleExpression: 'cron(0 */3 * * ? *)' });
    template.hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: { Rules: Match.arrayWith([Match.objectLike({ Id: 'raw-responses-to-cheaper-storage', ExpirationInDays: 400 })]) },
    });
    expect(pipeline.landingZone.bucket.encryptionKey).toBe(key);
    expect(pipeline.refinedLake.bucket.encryptionKey).toBe(key);
    template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'data-team@example.com' });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ WEATHER_API_BASE_URL: 'https://customer-api.open-meteo.com' }) },
    });
  });

  test('flexExecution reaches the Glue job (which refuses it while the script keeps local checkpoints)', () => {
    const stack = new Stack(new App(), 'Test');
    const flex = () => new WeatherPipeline(stack, 'Weather', { cities: [PARIS], flexExecution: true });
    if (readFileSync(GlueEtlJob.SCRIPT_PATH, 'utf-8').includes('.localCheckpoint(')) {
      expect(flex).toThrow(/^flexExecution: true is not supported: the ETL script \(weather_etl.py\) keeps intermediate results in executors' local checkpoints/);
    } else {
      flex();
      Template.fromStack(stack).hasResourceProperties('AWS::Glue::Job', { ExecutionClass: 'FLEX' });
    }
  });

  test('a topic you bring receives the alerts', () => {
    const stack = new Stack(new App(), 'Test');
    const topic = sns.Topic.fromTopicArn(stack, 'Alerts', 'arn:aws:sns:eu-west-3:111122223333:weather-alerts');
    const pipeline = new WeatherPipeline(stack, 'Weather', { cities: [PARIS], notificationTopic: topic });
    expect(pipeline.orchestrator.notificationTopic).toBe(topic);
    Template.fromStack(stack).resourceCountIs('AWS::SNS::Topic', 0);
  });

  test('DESTROY removes the data and warns', () => {
    const stack = new Stack(new App(), 'Test');
    new WeatherPipeline(stack, 'Weather', { cities: [PARIS], removalPolicy: RemovalPolicy.DESTROY });
    const template = Template.fromStack(stack);
    for (const resource of Object.values<any>(template.findResources('AWS::S3::Bucket', { Properties: { VersioningConfiguration: Match.anyValue() } }))) {
      expect(resource.DeletionPolicy).toBe('Delete');
    }
    Annotations.fromStack(stack).hasWarning('/Test/Weather/Landing', Match.stringLikeRegexp('removalPolicy is DESTROY'));
  });

  test('cities are data, not resources: 1 and 1,000 cities give the same resources, one freshness alarm for all', () => {
    // The cities travel in code assets (the ingestion's cities.json, the freshness check's freshness.json), not in
    // 4 KB environments; one alarm watches the freshness of all of them; and the ingestion's default concurrency is
    // sized so that 1,000 cities fit in one invocation under the API's rate limit.
    const many: City[] = Array.from({ length: 1000 }, (_, i) => ({ name: `City ${i}`, latitude: -80 + i * 0.16, longitude: -170 + i * 0.34 }));
    const one = new Stack(new App(), 'One');
    new WeatherPipeline(one, 'Weather', { cities: [PARIS] });
    const thousand = new Stack(new App(), 'Thousand');
    const pipeline = new WeatherPipeline(thousand, 'Weather', { cities: many });
    const oneCounts = resourceCounts(Template.fromStack(one));
    expect(resourceCounts(Template.fromStack(thousand))).toEqual(oneCounts);
    expect(pipeline.ingestion.maxConcurrentRequests).toBe(167);
    expect(pipeline.monitoring!.alarms).toContain(pipeline.monitoring!.cityFreshnessAlarm);
  });

  test('monitoring is on by default, on the orchestrator\'s topic', () => {
    const stack = new Stack(new App(), 'Test');
    const pipeline = new WeatherPipeline(stack, 'Weather', { cities: [PARIS] });
    expect(pipeline.monitoring).toBeDefined();
    expect(pipeline.monitoring!.notificationTopic).toBe(pipeline.orchestrator.notificationTopic);
    expect(pipeline.monitoring!.cityFreshnessAlarm).toBeDefined();
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    template.resourceCountIs('AWS::CloudWatch::Alarm', pipeline.monitoring!.alarms.length);
    // Ingestion and Athena are watched too.
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { Namespace: 'CdkWeatherPipeline/Ingestion', MetricName: 'CitiesFailed' });
    expect(JSON.stringify(template.findResources('AWS::CloudWatch::Dashboard'))).toContain('AWS/Athena');
  });

  test('monitoringEnabled: false leaves no alarm, dashboard or metric publisher', () => {
    const stack = new Stack(new App(), 'Test');
    const pipeline = new WeatherPipeline(stack, 'Weather', { cities: [PARIS], monitoringEnabled: false });
    expect(pipeline.monitoring).toBeUndefined();
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::CloudWatch::Alarm', 0);
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 0);
  });
});

describe('WeatherPipeline validation', () => {
  const build = (props: ConstructorParameters<typeof WeatherPipeline>[2]) => () => new WeatherPipeline(new Stack(), 'Weather', props);

  test.each([
    [{ cities: [] }, 'cities must list at least one city, got []'],
    [{ cities: [PARIS, { name: 'paris', latitude: 0, longitude: 0 }] },
      'cities[1] "paris": slug "paris" is already used by cities[0] "Paris"; city slugs must be unique (set an explicit slug)'],
    [{ cities: [{ name: 'Mars', latitude: 91, longitude: 0 }] }, 'cities[0] "Mars": latitude must be a number in [-90, 90], got 91'],
    [{ cities: [{ name: '北京', latitude: 39.9, longitude: 116.4 }] },
      'cities[0] "北京": the name yields the slug "", which does not match ^[a-z0-9]+(?:-[a-z0-9]+)*$; set an explicit slug'],
    [{ cities: [PARIS], notificationEmail: 'a@example.com', notificationTopic: sns.Topic.fromTopicArn(new Stack(), 'T', 'arn:aws:sns:eu-west-3:111122223333:t') },
      'notificationEmail cannot be combined with notificationTopic: subscribe a@example.com to your topic yourself'],
  ])('rejects bad props (%#)', (props, message) => {
    expect(build(props as any)).toThrow(message);
  });
});
