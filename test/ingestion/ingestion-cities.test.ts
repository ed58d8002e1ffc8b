// Issue 14's leftover: the ingestion reads its cities from the refined lake, the one definition of the data.
import * as fs from 'fs';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { AthenaCatalog, City, GlueEtlJob, LandingZone, PipelineOrchestrator, RefinedLake, WeatherIngestion } from '../../src';
import { CITIES_FILE } from '../../src/ingestion/private/runtime-config';

const PARIS: City = { name: 'Paris', latitude: 48.8566, longitude: 2.3522, timezone: 'Europe/Paris' };
const NICE: City = { name: 'Nice', latitude: 43.7102, longitude: 7.262 };
const LYON: City = { name: 'Lyon', latitude: 45.764, longitude: 4.8357 };

function stackWithZones(options: { cities?: City[] } = { cities: [PARIS, NICE] }): {
  app: App; stack: Stack; landing: LandingZone; refined: RefinedLake;
} {
  const app = new App();
  const stack = new Stack(app, 'Test');
  const landing = new LandingZone(stack, 'Landing');
  const refined = new RefinedLake(stack, 'Refined', { cities: options.cities });
  return { app, stack, landing, refined };
}

/** The `cities.json` of the stack's only Lambda function's staged code asset. */
function assetCities(app: App, stack: Stack): City[] {
  const assembly = app.synth();
  const template = assembly.getStackByName(stack.stackName).template;
  const fns = Object.values<any>(template.Resources).filter((r) => r.Type === 'AWS::Lambda::Function' && r.Properties.Handler === 'index.handler'
    && /weather/i.test(JSON.stringify(r.Properties.Description ?? '')));
  const hash = /^([0-9a-f]{64})\.zip$/.exec(fns[0].Properties.Code.S3Key)![1];
  return JSON.parse(fs.readFileSync(path.join(assembly.directory, `asset.${hash}`, CITIES_FILE), 'utf-8'));
}

describe('WeatherIngestion on a refined lake', () => {
  test('fetches the lake\'s cities: they are the ones in cities.json', () => {
    const { app, stack, landing, refined } = stackWithZones();
    const ingestion = new WeatherIngestion(stack, 'Ingestion', { landingZone: landing, refinedLake: refined });
    expect(ingestion.cities).toEqual([PARIS, NICE]);
    expect(ingestion.refinedLake).toBe(refined);
    expect(assetCities(app, stack)).toEqual([PARIS, NICE]);
  });

  test('a lake and a list of its own is an error naming both', () => {
    const { stack, landing, refined } = stackWithZones();
    expect(() => new WeatherIngestion(stack, 'Ingestion', { landingZone: landing, refinedLake: refined, cities: [LYON] })).toThrow(
      'cities cannot be combined with refinedLake: the refined lake Test/Refined defines the cities (2 cities (paris, nice)), '
      + 'and Test/Ingestion fetches them; remove cities (given 1 cities (lyon))');
  });

  test('neither a lake nor cities is an error that says what to give', () => {
    const { stack, landing } = stackWithZones();
    expect(() => new WeatherIngestion(stack, 'Ingestion', { landingZone: landing })).toThrow(
      'Test/Ingestion: refinedLake is required (the refined lake whose cities the ingestion fetches), or cities for an ingestion that feeds no lake of this app');
  });

  test('a lake that declares no cities is an error naming the lake and the ingestion', () => {
    const { stack, landing, refined } = stackWithZones({});
    expect(() => new WeatherIngestion(stack, 'Ingestion', { landingZone: landing, refinedLake: refined })).toThrow(
      'refinedLake Test/Refined declares no cities, which Test/Ingestion needs: set cities on the refined lake (RefinedLake props or RefinedLake.fromRefinedLakeAttributes)');
  });

  test('an ingestion without a lake still takes cities (validated)', () => {
    const { stack, landing } = stackWithZones();
    expect(new WeatherIngestion(stack, 'Ingestion', { landingZone: landing, cities: [LYON] }).cities).toEqual([LYON]);
    expect(() => new WeatherIngestion(stack, 'Empty', { landingZone: landing, cities: [] })).toThrow('cities must list at least one city, got []');
  });

  test('an ingestion on one lake and a job on another with other cities fail at synth naming both', () => {
    const { stack, landing, refined } = stackWithZones();
    const other = new RefinedLake(stack, 'OtherLake', { cities: [LYON] });
    const ingestion = new WeatherIngestion(stack, 'Ingestion', { landingZone: landing, refinedLake: other, scheduleEnabled: false });
    const etlJob = new GlueEtlJob(stack, 'Etl', { landingZone: landing, refinedLake: refined });
    const catalog = new AthenaCatalog(stack, 'Catalog', { refinedLake: refined });
    expect(() => new PipelineOrchestrator(stack, 'Orchestrator', { etlJob, catalog, ingestion })).toThrow(
      'ingestion Test/Ingestion and etlJob Test/Etl are built from different data definitions: the ingestion fetches 1 cities (lyon), '
      + 'the job\'s refined lake Test/Refined holds 2 cities (paris, nice)');
  });
});

describe('WeatherIngestion.fromWeatherIngestionAttributes', () => {
  function attrs(stack: Stack, id: string) {
    return {
      ingestFunction: lambda.Function.fromFunctionArn(stack, `${id}Fn`, 'arn:aws:lambda:eu-west-3:111111111111:function:weather-ingest'),
      deadLetterQueue: sqs.Queue.fromQueueArn(stack, `${id}Dlq`, 'arn:aws:sqs:eu-west-3:111111111111:weather-ingest-dlq'),
    };
  }

  test('reads the cities of an imported refined lake', () => {
    const stack = new Stack(new App(), 'Test');
    const lake = RefinedLake.fromRefinedLakeAttributes(stack, 'Lake', { bucket: s3.Bucket.fromBucketName(stack, 'B', 'refined'), cities: [NICE, LYON] });
    const imported = WeatherIngestion.fromWeatherIngestionAttributes(stack, 'Ingestion', { ...attrs(stack, 'A'), refinedLake: lake });
    expect(imported.cities).toEqual([NICE, LYON]);
    expect(imported.sourceIds).toEqual(['open-meteo']);
    expect(WeatherIngestion.fromWeatherIngestionAttributes(stack, 'Two', { ...attrs(stack, 'D'), refinedLake: lake, sourceIds: ['open-meteo', 'met-norway'] }).sourceIds)
      .toEqual(['open-meteo', 'met-norway']);
  });

  test('still takes cities, and refuses both', () => {
    const stack = new Stack(new App(), 'Test');
    const lake = RefinedLake.fromRefinedLakeAttributes(stack, 'Lake', { bucket: s3.Bucket.fromBucketName(stack, 'B', 'refined'), cities: [NICE] });
    expect(WeatherIngestion.fromWeatherIngestionAttributes(stack, 'ByList', { ...attrs(stack, 'B'), cities: [PARIS] }).cities).toEqual([PARIS]);
    expect(() => WeatherIngestion.fromWeatherIngestionAttributes(stack, 'Both', { ...attrs(stack, 'C'), refinedLake: lake, cities: [PARIS] }))
      .toThrow('cities cannot be combined with refinedLake: the refined lake Test/Lake defines the cities (1 cities (nice)), and Test/Both fetches them; remove cities (given 1 cities (paris))');
  });
});
