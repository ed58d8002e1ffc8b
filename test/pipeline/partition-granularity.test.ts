// The partition granularity switch end to end: set once (WeatherPipeline / RefinedLake), followed by the ETL job's
// contract argument, the catalog's table and queries, and planned for by the orchestrator's validation planner.
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import {
  AthenaCatalog, City, GlueEtlJob, LandingZone, PartitionGranularity, PipelineOrchestrator, RefinedLake, WeatherContract, WeatherIngestion,
  WeatherPipeline,
} from '../../src';
import { planValidation } from '../../src/orchestration/private/validation-plan';
import { nagFindings } from '../nag';

const PARIS: City = { name: 'Paris', latitude: 48.8566, longitude: 2.3522 };
const NICE: City = { name: 'Nice', latitude: 43.7102, longitude: 7.262 };

function hourlyTableInput(stack: Stack, catalog: AthenaCatalog): any {
  return Template.fromStack(stack).toJSON().Resources[stack.getLogicalId(catalog.hourlyTable)].Properties.TableInput;
}

function contractArgument(stack: Stack, etl: GlueEtlJob): any {
  const job = Template.fromStack(stack).toJSON().Resources[stack.getLogicalId(etl.job.node.defaultChild as any)].Properties;
  return JSON.parse(job.DefaultArguments['--contract_json']);
}

describe('WeatherPipeline with partitionGranularity: MONTH', () => {
  const app = new App();
  const stack = new Stack(app, 'Monthly');
  const pipeline = new WeatherPipeline(stack, 'Weather', { cities: [PARIS], partitionGranularity: PartitionGranularity.MONTH });

  test('every part follows the one setting', () => {
    expect(pipeline.refinedLake.partitionGranularity).toBe(PartitionGranularity.MONTH);
    expect(pipeline.refinedLake.hourlyPartitionKeys).toEqual(['month', 'city']);
    expect(pipeline.etlJob.partitionGranularity).toBe(PartitionGranularity.MONTH);
    expect(pipeline.catalog.partitionGranularity).toBe(PartitionGranularity.MONTH);
  });

  test('the ETL job gets the monthly contract', () => {
    expect(contractArgument(stack, pipeline.etlJob)).toEqual(WeatherContract.toJson(undefined, PartitionGranularity.MONTH));
  });

  test('the hourly table is partitioned by month and city, date is a column, the quarantine keeps date', () => {
    const hourly = hourlyTableInput(stack, pipeline.catalog);
    expect(hourly.PartitionKeys).toEqual([{ Name: 'month', Type: 'string' }, { Name: 'city', Type: 'string' }]);
    expect(hourly.StorageDescriptor.Columns.map((c: any) => c.Name)).toContain('date');
    expect(hourly.Parameters).toMatchObject({
      'projection.month.type': 'date',
      'projection.month.format': 'yyyy-MM',
      'projection.month.range': '2024-01,NOW+16DAYS',
      'projection.month.interval': '1',
      'projection.month.interval.unit': 'MONTHS',
      'projection.city.values': 'paris',
    });
    expect(hourly.Parameters['projection.date.type']).toBeUndefined();
    const quarantine = Template.fromStack(stack).toJSON().Resources[stack.getLogicalId(pipeline.catalog.quarantineTable)].Properties.TableInput;
    expect(quarantine.PartitionKeys).toEqual([{ Name: 'date', Type: 'string' }]);
  });

  test('the validation queries take only parameters the orchestrator supplies, and it synthesizes nag-clean', () => {
    // The orchestrator throws at synth on a parameter its planner does not supply; it was built above.
    expect(pipeline.orchestrator.validationPlanFunction).toBeDefined();
    expect(nagFindings(app)).toEqual([]);
  });
});

describe('the default stays daily', () => {
  const app = new App();
  const stack = new Stack(app, 'Daily');
  const pipeline = new WeatherPipeline(stack, 'Weather', { cities: [PARIS] });

  test('every part is daily and the job gets the daily contract', () => {
    expect([pipeline.refinedLake.partitionGranularity, pipeline.etlJob.partitionGranularity, pipeline.catalog.partitionGranularity])
      .toEqual([PartitionGranularity.DAY, PartitionGranularity.DAY, PartitionGranularity.DAY]);
    expect(contractArgument(stack, pipeline.etlJob)).toEqual(WeatherContract.toJson());
    expect(hourlyTableInput(stack, pipeline.catalog).PartitionKeys.map((k: any) => k.Name)).toEqual(['date', 'city']);
  });
});

describe('composed by hand: set once on the RefinedLake', () => {
  test('the job and the catalog built on the lake follow it', () => {
    const stack = new Stack(new App(), 'ByHand');
    const landing = new LandingZone(stack, 'Landing');
    const refined = new RefinedLake(stack, 'Refined', { cities: [PARIS], partitionGranularity: PartitionGranularity.MONTH });
    const etl = new GlueEtlJob(stack, 'Etl', { landingZone: landing, refinedLake: refined });
    const catalog = new AthenaCatalog(stack, 'Catalog', { refinedLake: refined });
    expect([etl.partitionGranularity, catalog.partitionGranularity]).toEqual([PartitionGranularity.MONTH, PartitionGranularity.MONTH]);
  });

  test('an imported lake carries its layout to the parts built on it', () => {
    const stack = new Stack(new App(), 'Imported');
    const refinedLake = RefinedLake.fromRefinedLakeAttributes(stack, 'Refined', {
      bucket: s3.Bucket.fromBucketName(stack, 'B', 'my-refined'), cities: [PARIS], partitionGranularity: PartitionGranularity.MONTH,
    });
    const catalog = new AthenaCatalog(stack, 'Catalog', { refinedLake });
    expect(catalog.partitionGranularity).toBe(PartitionGranularity.MONTH);
  });

  test('an orchestrator over a job and a catalog built from different definitions fails at synth, naming both', () => {
    const stack = new Stack(new App(), 'Mismatch');
    const bucket = s3.Bucket.fromBucketName(stack, 'Bucket', 'my-refined');
    const landing = LandingZone.fromLandingZoneAttributes(stack, 'Landing', { bucket: s3.Bucket.fromBucketName(stack, 'Raw', 'my-raw') });
    const monthly = RefinedLake.fromRefinedLakeAttributes(stack, 'Monthly', { bucket, cities: [PARIS], partitionGranularity: PartitionGranularity.MONTH });
    const daily = RefinedLake.fromRefinedLakeAttributes(stack, 'Daily', { bucket, cities: [PARIS, NICE] });
    const etlJob = new GlueEtlJob(stack, 'Etl', { landingZone: landing, refinedLake: monthly });
    const catalog = new AthenaCatalog(stack, 'Catalog', { refinedLake: daily });
    expect(() => new PipelineOrchestrator(stack, 'Orchestrator', { etlJob, catalog })).toThrow(
      'etlJob Mismatch/Etl and catalog Mismatch/Catalog are built from different data definitions: '
      + 'etlJob Mismatch/Etl reads Mismatch/Monthly (1 cities (paris), MONTH partitions), '
      + 'catalog Mismatch/Catalog reads Mismatch/Daily (2 cities (paris, nice), DAY partitions); build them on the same refined lake');
  });

  test('two lakes with the same definition are one definition (the same bucket imported in two places)', () => {
    const stack = new Stack(new App(), 'Same');
    const bucket = s3.Bucket.fromBucketName(stack, 'Bucket', 'my-refined');
    const landing = LandingZone.fromLandingZoneAttributes(stack, 'Landing', { bucket: s3.Bucket.fromBucketName(stack, 'Raw', 'my-raw') });
    const a = RefinedLake.fromRefinedLakeAttributes(stack, 'A', { bucket, cities: [PARIS, NICE] });
    const b = RefinedLake.fromRefinedLakeAttributes(stack, 'B', { bucket, cities: [NICE, PARIS] });
    const etlJob = new GlueEtlJob(stack, 'Etl', { landingZone: landing, refinedLake: a });
    const catalog = new AthenaCatalog(stack, 'Catalog', { refinedLake: b });
    expect(() => new PipelineOrchestrator(stack, 'Orchestrator', { etlJob, catalog })).not.toThrow();
  });

  test('an ingestion fetching other cities than the lake holds fails at synth, naming both', () => {
    const stack = new Stack(new App(), 'Cities');
    const landing = new LandingZone(stack, 'Landing');
    const refined = new RefinedLake(stack, 'Refined', { cities: [PARIS] });
    const etlJob = new GlueEtlJob(stack, 'Etl', { landingZone: landing, refinedLake: refined });
    const catalog = new AthenaCatalog(stack, 'Catalog', { refinedLake: refined });
    const ingestion = new WeatherIngestion(stack, 'Ingestion', { landingZone: landing, cities: [PARIS, NICE], scheduleEnabled: false });
    expect(() => new PipelineOrchestrator(stack, 'Orchestrator', { etlJob, catalog, ingestion })).toThrow(
      'ingestion Cities/Ingestion and etlJob Cities/Etl are built from different data definitions: the ingestion fetches 2 cities (paris, nice), '
      + 'the job\'s refined lake Cities/Refined holds 1 cities (paris); give the ingestion the refined lake\'s cities (refinedLake.cities)');
  });

  test('rejects a value that is not a PartitionGranularity', () => {
    const stack = new Stack(new App(), 'Bad');
    expect(() => new RefinedLake(stack, 'Refined', { partitionGranularity: 'monthly' as PartitionGranularity }))
      .toThrow('partitionGranularity must be PartitionGranularity.DAY or PartitionGranularity.MONTH, got "monthly"');
    expect(() => new WeatherPipeline(stack, 'Weather', { cities: [PARIS], partitionGranularity: 'MONTHS' as PartitionGranularity }))
      .toThrow('partitionGranularity must be PartitionGranularity.DAY or PartitionGranularity.MONTH, got "MONTHS"');
  });
});

describe('the validation planner with monthly partitions', () => {
  test('takes the days from hourly_dates and the cities from the month partitions', () => {
    const plan = planValidation({
      runId: 'm1',
      summary: {
        hourly_dates: ['2026-05-30', '2026-05-31', '2026-06-01'],
        partitions: {
          hourly: ['weather/hourly/month=2026-05/city=paris/', 'weather/hourly/month=2026-06/city=nice/', 'weather/hourly/month=2026-06/city=paris/'],
          quarantine: ['weather/quarantine/date=2026-05-31/'],
        },
      },
    });
    expect(plan).toMatchObject({ firstDate: '2026-05-30', lastDate: '2026-06-01', citySlugs: 'nice,paris' });
  });

  test('fails clearly on monthly partitions without hourly_dates', () => {
    expect(() => planValidation({ runId: 'm2', summary: { partitions: { hourly: ['weather/hourly/month=2026-05/city=paris/'] } } }))
      .toThrow('run m2: the run summary lists monthly hourly partitions but no hourly_dates, so the days the run wrote are unknown');
  });

  test('daily summaries with hourly_dates plan the same as from their partitions', () => {
    const partitions = { hourly: ['weather/hourly/date=2026-05-06/city=oslo/', 'weather/hourly/date=2026-05-08/city=oslo/'] };
    expect(planValidation({ runId: 'd', summary: { partitions, hourly_dates: ['2026-05-06', '2026-05-08'] } }))
      .toEqual(planValidation({ runId: 'd', summary: { partitions } }));
  });
});
