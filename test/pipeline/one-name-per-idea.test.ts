// One name per idea across the constructs (each rename pinned by a test), and removalPolicy reaching every stateful
// resource the pipeline creates.
import { App, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { AthenaCatalog, City, PipelineMonitoring, RefinedLake, WeatherPipeline } from '../../src';
import { nagFindings } from '../nag';
import { pipeline } from '../orchestration/fixture';

const PARIS: City = { name: 'Paris', latitude: 48.8566, longitude: 2.3522 };

describe('renamed props', () => {
  test('rawExpiration: the same name on WeatherPipeline as on LandingZone (was rawRetention)', () => {
    const stack = new Stack(new App(), 'Test');
    new WeatherPipeline(stack, 'Weather', { cities: [PARIS], rawExpiration: Duration.days(400) });
    const rules = Object.values<any>(Template.fromStack(stack).findResources('AWS::S3::Bucket'))
      .flatMap((bucket) => bucket.Properties.LifecycleConfiguration?.Rules ?? []);
    expect(rules.filter((rule) => rule.ExpirationInDays === 400).map((rule) => rule.Id)).toEqual(['raw-responses-to-cheaper-storage', 'expire-manifests']);
  });

  test('maxQuarantinePercent: one name and one unit (percent) on the catalog and the monitoring (were maxQuarantineShare 0-1 and quarantineShareThreshold %)', () => {
    const p = pipeline({ ingestion: false });
    const stack = p.stack;
    const catalog = new AthenaCatalog(stack, 'Catalog20', { refinedLake: p.refined, maxQuarantinePercent: 20, databaseName: 'other', workGroupName: 'other' });
    const monitoring = new PipelineMonitoring(stack, 'Monitoring', { orchestrator: p.orchestrator, etlJob: p.etl, maxQuarantinePercent: 20 });
    expect(catalog.validationQueries.find((q) => q.id === 'quarantine-share')!.queryString).toContain('quarantine_share <= 0.2 AS passed');
    const alarms = Object.values<any>(Template.fromStack(stack).findResources('AWS::CloudWatch::Alarm')).map((a) => a.Properties);
    expect(alarms.find((a) => a.Metrics !== undefined && JSON.stringify(a.Metrics).includes('100 * quarantined')).Threshold).toBe(20);
    expect(monitoring.alarms.length).toBeGreaterThan(0);
  });

  test('projectionDaysAhead: the catalog\'s projection reach, no longer called forecastDays like the ingestion\'s fetched days', () => {
    const stack = new Stack();
    const refinedLake = RefinedLake.fromRefinedLakeAttributes(stack, 'Lake', { bucket: s3.Bucket.fromBucketName(stack, 'B', 'refined'), cities: [PARIS] });
    const catalog = new AthenaCatalog(stack, 'Catalog', { refinedLake, projectionDaysAhead: 3 });
    const table = Template.fromStack(stack).toJSON().Resources[stack.getLogicalId(catalog.hourlyTable)].Properties.TableInput;
    expect(table.Parameters['projection.date.range']).toBe('2024-01-01,NOW+3DAYS');
  });
});

describe('removalPolicy DESTROY reaches every stateful resource', () => {
  const app = new App();
  const stack = new Stack(app, 'Test');
  new WeatherPipeline(stack, 'Weather', { cities: [PARIS], removalPolicy: RemovalPolicy.DESTROY });
  const template = Template.fromStack(stack);

  test.each(['AWS::S3::Bucket', 'AWS::KMS::Key', 'AWS::Logs::LogGroup'])('every %s is deleted with the stack', (type) => {
    const resources = Object.entries<any>(template.findResources(type));
    expect(resources.length).toBeGreaterThan(0);
    for (const [logicalId, resource] of resources) {
      expect([logicalId, resource.DeletionPolicy]).toEqual([logicalId, 'Delete']);
    }
  });

  test('the Athena results bucket is emptied on deletion too, and the app stays nag-clean', () => {
    expect(Object.keys(template.findResources('Custom::S3AutoDeleteObjects')).length).toBe(4); // landing, refined, access logs, results
    expect(nagFindings(app)).toEqual([]);
  });

  test('a results bucket you pass keeps its own removal policy', () => {
    const other = new Stack();
    const refinedLake = RefinedLake.fromRefinedLakeAttributes(other, 'Lake', { bucket: s3.Bucket.fromBucketName(other, 'B', 'refined'), cities: [PARIS] });
    expect(() => new AthenaCatalog(other, 'Catalog', {
      refinedLake, resultsBucket: s3.Bucket.fromBucketName(other, 'R', 'results'), removalPolicy: RemovalPolicy.DESTROY,
    })).toThrow('removalPolicy cannot be combined with resultsBucket: they shape a bucket the construct creates');
  });
});

describe('WeatherPipeline accepts the ingestion settings the ingestion\'s errors recommend', () => {
  test('maxConcurrentRequests, maxCallsPerMinute, requestTimeout and maxAttempts reach the function', () => {
    const stack = new Stack(new App(), 'Test');
    const weather = new WeatherPipeline(stack, 'Weather', {
      cities: [PARIS],
      ingestionOptions: { maxConcurrentRequests: 5, maxCallsPerMinute: 300, requestTimeout: Duration.seconds(20), maxAttempts: 2, forecastDays: 3 },
    });
    expect(weather.ingestion.maxConcurrentRequests).toBe(5);
    expect(weather.ingestion.maxCallsPerMinute).toBe(300);
    const fn = Object.values<any>(Template.fromStack(stack).findResources('AWS::Lambda::Function'))
      .find((f) => f.Properties.Environment?.Variables?.WEATHER_API_BASE_URL !== undefined);
    expect(JSON.stringify(fn.Properties.Environment.Variables)).toContain('"300"');
  });

  test('their validation names the prop', () => {
    expect(() => new WeatherPipeline(new Stack(), 'Weather', { cities: [PARIS], ingestionOptions: { maxAttempts: 0 } })).toThrow(/maxAttempts/);
  });
});

describe('what the docs say, pinned', () => {
  test('eventBridgeEnabled with a bucket you pass is refused at synth, as its doc says (it used to say "ignored")', () => {
    const stack = new Stack();
    const bucket = s3.Bucket.fromBucketName(stack, 'B', 'refined');
    expect(() => new RefinedLake(stack, 'Refined', { bucket, eventBridgeEnabled: false })).toThrow(
      'eventBridgeEnabled cannot be combined with bucket: they shape a bucket the construct creates, and the bucket you pass keeps its own settings');
  });
});
