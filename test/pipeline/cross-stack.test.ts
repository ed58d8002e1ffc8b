// The zones in a storage stack and the pipeline in another stack of the same app; and the same pipeline on zones
// imported by attributes (buckets another team or account owns). Both synthesize nag-clean with the references
// CloudFormation needs.
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { City, LandingZone, PartitionGranularity, RefinedLake, WeatherPipeline } from '../../src';
import { nagFindings } from '../nag';

const CITIES: City[] = [
  { name: 'Paris', latitude: 48.8566, longitude: 2.3522 },
  { name: 'Nice', latitude: 43.7102, longitude: 7.262 },
];

/** Every `Fn::ImportValue` in a template, as the export names it reads. */
function imports(template: Template): string[] {
  const found: string[] = [];
  const walk = (value: unknown): void => {
    if (Array.isArray(value)) {
      value.forEach(walk);
    } else if (value !== null && typeof value === 'object') {
      for (const [key, inner] of Object.entries(value)) {
        if (key === 'Fn::ImportValue') {
          found.push(String(inner));
        } else {
          walk(inner);
        }
      }
    }
  };
  walk(template.toJSON().Resources);
  return [...new Set(found)].sort();
}

describe('zones in a Storage stack, the pipeline in a Weather stack', () => {
  const app = new App();
  const storage = new Stack(app, 'Storage');
  const landingZone = new LandingZone(storage, 'Landing');
  const refinedLake = new RefinedLake(storage, 'Refined', {
    cities: CITIES,
    partitionGranularity: PartitionGranularity.MONTH,
    serverAccessLogsBucket: landingZone.accessLogsBucket,
  });
  const weather = new Stack(app, 'Weather');
  const pipeline = new WeatherPipeline(weather, 'Pipeline', { landingZone, refinedLake });
  const storageTemplate = Template.fromStack(storage);
  const weatherTemplate = Template.fromStack(weather);

  test('the pipeline uses the zones it was given and reads the data definition from the lake', () => {
    expect(pipeline.landingZone).toBe(landingZone);
    expect(pipeline.refinedLake).toBe(refinedLake);
    expect(pipeline.cities).toEqual(CITIES);
    expect(pipeline.etlJob.partitionGranularity).toBe(PartitionGranularity.MONTH);
    expect(pipeline.catalog.partitionGranularity).toBe(PartitionGranularity.MONTH);
  });

  test('the buckets and keys live in the storage stack only; the weather stack imports them', () => {
    expect(Object.keys(storageTemplate.findResources('AWS::S3::Bucket'))).toHaveLength(3); // landing, refined, access logs
    // Only the Athena results bucket is the weather stack's own.
    expect(Object.keys(weatherTemplate.findResources('AWS::S3::Bucket'))).toHaveLength(1);
    expect(weather.dependencies).toEqual([storage]);
    const names = imports(weatherTemplate);
    const exported = (construct: { node: { defaultChild?: unknown } }) => storage.getLogicalId(construct.node.defaultChild as any);
    for (const logicalId of [exported(landingZone.bucket), exported(refinedLake.bucket), exported(refinedLake.encryptionKey as kms.Key)]) {
      expect(names.some((name) => name.includes(logicalId))).toBe(true);
    }
    // Nothing flows back: the storage stack does not import from the weather stack.
    expect(imports(storageTemplate)).toEqual([]);
  });

  test('the ETL job writes to the imported refined bucket with its key', () => {
    const job = Object.values<any>(weatherTemplate.findResources('AWS::Glue::Job'))[0].Properties;
    expect(JSON.stringify(job.DefaultArguments['--refined_uri'])).toContain('Fn::ImportValue');
    expect(JSON.parse(job.DefaultArguments['--cities_json'])).toEqual([{ slug: 'paris', name: 'Paris' }, { slug: 'nice', name: 'Nice' }]);
  });

  test('both stacks are cdk-nag clean', () => {
    expect(nagFindings(app)).toEqual([]);
  });
});

describe('zones imported by attributes', () => {
  const app = new App();
  const stack = new Stack(app, 'Weather', { env: { account: '111111111111', region: 'eu-west-3' } });
  const landingKey = kms.Key.fromKeyArn(stack, 'LandingKey', 'arn:aws:kms:eu-west-3:222222222222:key/11111111-2222-3333-4444-555555555555');
  const refinedKey = kms.Key.fromKeyArn(stack, 'RefinedKey', 'arn:aws:kms:eu-west-3:222222222222:key/66666666-7777-8888-9999-000000000000');
  const landingZone = LandingZone.fromLandingZoneAttributes(stack, 'Landing', {
    bucket: s3.Bucket.fromBucketAttributes(stack, 'LandingBucket', { bucketName: 'data-team-landing', encryptionKey: landingKey }),
  });
  const refinedLake = RefinedLake.fromRefinedLakeAttributes(stack, 'Refined', {
    bucket: s3.Bucket.fromBucketAttributes(stack, 'RefinedBucket', { bucketName: 'data-team-refined', encryptionKey: refinedKey }),
    cities: CITIES,
  });
  const pipeline = new WeatherPipeline(stack, 'Pipeline', { landingZone, refinedLake });
  const template = Template.fromStack(stack);

  test('creates no bucket but the Athena results, and wires the imported names', () => {
    expect(Object.keys(template.findResources('AWS::S3::Bucket'))).toHaveLength(1);
    const job = Object.values<any>(template.findResources('AWS::Glue::Job'))[0].Properties;
    expect(job.DefaultArguments['--landing_uri']).toBe('s3://data-team-landing');
    expect(job.DefaultArguments['--refined_uri']).toBe('s3://data-team-refined');
    expect(pipeline.catalog.refinedLake).toBe(refinedLake);
  });

  test('the job may use the imported keys', () => {
    const statements = Object.values<any>(template.findResources('AWS::IAM::Policy'))
      .flatMap((policy) => policy.Properties.PolicyDocument.Statement);
    const keyArns = statements.filter((s) => JSON.stringify(s.Action).includes('kms:')).flatMap((s) => [s.Resource].flat());
    expect(keyArns).toEqual(expect.arrayContaining([landingKey.keyArn, refinedKey.keyArn]));
  });

  test('the orchestrator\'s manifest trigger and the monitoring watch the imported buckets by name', () => {
    const patterns = Object.values<any>(template.findResources('AWS::Events::Rule'))
      .map((rule) => rule.Properties.EventPattern?.detail?.bucket?.name?.[0])
      .filter((name) => name !== undefined);
    expect(patterns).toContain('data-team-refined');
  });

  test('is cdk-nag clean', () => {
    expect(nagFindings(app)).toEqual([]);
  });

  test('cities or partitionGranularity next to a refined lake are refused: the lake defines the data', () => {
    const other = new Stack(new App(), 'Other');
    const lake = RefinedLake.fromRefinedLakeAttributes(other, 'Refined', { bucket: s3.Bucket.fromBucketName(other, 'B', 'refined'), cities: CITIES });
    expect(() => new WeatherPipeline(other, 'Pipeline', { refinedLake: lake, cities: CITIES })).toThrow(
      'cities cannot be combined with refinedLake: the refined lake Other/Refined defines the data; set them on it');
    expect(() => new WeatherPipeline(other, 'NoCities', {})).toThrow(
      'cities is required unless you pass refinedLake (whose cities the pipeline then reads)');
  });
});
