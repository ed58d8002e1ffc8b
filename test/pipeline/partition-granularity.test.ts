// The partition granularity switch end to end: set once (WeatherPipeline / RefinedLake), followed by the ETL job's
// contract argument, the catalog's table and queries, and planned for by the orchestrator's validation planner.
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import {
  AthenaCatalog, City, GlueEtlJob, LandingZone, PartitionGranularity, RefinedLake, WeatherContract, WeatherPipeline,
} from '../../src';
import { planValidation } from '../../src/orchestration/private/validation-plan';
import { nagFindings } from '../nag';

const PARIS: City = { name: 'Paris', latitude: 48.8566, longitude: 2.3522 };

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
  test('the job and the catalog built on its bucket follow it', () => {
    const stack = new Stack(new App(), 'ByHand');
    const landing = new LandingZone(stack, 'Landing');
    const refined = new RefinedLake(stack, 'Refined', { partitionGranularity: PartitionGranularity.MONTH });
    const etl = new GlueEtlJob(stack, 'Etl', { landingBucket: landing.bucket, refinedBucket: refined.bucket });
    const catalog = new AthenaCatalog(stack, 'Catalog', { refinedBucket: refined.bucket, cities: [PARIS] });
    expect([etl.partitionGranularity, catalog.partitionGranularity]).toEqual([PartitionGranularity.MONTH, PartitionGranularity.MONTH]);
  });

  test('the same bucket imported twice by name is recognized', () => {
    const stack = new Stack(new App(), 'Imported');
    new RefinedLake(stack, 'Refined', { bucket: s3.Bucket.fromBucketName(stack, 'A', 'my-refined'), partitionGranularity: PartitionGranularity.MONTH });
    const catalog = new AthenaCatalog(stack, 'Catalog', { refinedBucket: s3.Bucket.fromBucketName(stack, 'B', 'my-refined'), cities: [PARIS] });
    expect(catalog.partitionGranularity).toBe(PartitionGranularity.MONTH);
  });

  test('a mismatch fails at synth, naming what disagrees', () => {
    const stack = new Stack(new App(), 'Mismatch');
    const bucket = s3.Bucket.fromBucketName(stack, 'Bucket', 'my-refined');
    new RefinedLake(stack, 'A', { bucket, partitionGranularity: PartitionGranularity.MONTH });
    expect(() => new RefinedLake(stack, 'B', { bucket, partitionGranularity: PartitionGranularity.DAY }))
      .toThrow('partitionGranularity is DAY, but RefinedLake Mismatch/A already declared MONTH partitions for the bucket "my-refined"; '
        + 'one refined bucket has one layout: give every RefinedLake on it the same partitionGranularity');
  });

  test('a RefinedLake declared after a construct already uses its bucket as daily fails', () => {
    const stack = new Stack(new App(), 'Late');
    const bucket = s3.Bucket.fromBucketName(stack, 'Bucket', 'my-refined');
    new AthenaCatalog(stack, 'Catalog', { refinedBucket: bucket, cities: [PARIS] });
    expect(() => new RefinedLake(stack, 'Refined', { bucket, partitionGranularity: PartitionGranularity.MONTH }))
      .toThrow('partitionGranularity is MONTH, but AthenaCatalog Late/Catalog already uses the bucket "my-refined" with DAY partitions '
        + '(the default, as no RefinedLake had declared one); create the RefinedLake before the constructs that use its bucket');
    // Declaring the default afterwards is fine.
    expect(() => new RefinedLake(stack, 'Daily', { bucket })).not.toThrow();
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
