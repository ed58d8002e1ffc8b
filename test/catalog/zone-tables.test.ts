import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { AthenaCatalog, PartitionGranularity, RefinedLake, WeatherContract } from '../../src';

// The staging and daily tables (issue 18): defined from the contract, with partition projection.
function tableOf(granularity?: PartitionGranularity) {
  const app = new App();
  const stack = new Stack(app, 'Zones', { env: { account: '111111111111', region: 'eu-west-1' } });
  const refinedLake = new RefinedLake(stack, 'Refined', {
    cities: [{ name: 'Nice', latitude: 43.7, longitude: 7.27 }, { name: 'Győr', latitude: 47.68, longitude: 17.66 }],
    ...(granularity ? { partitionGranularity: granularity } : {}),
  });
  const catalog = new AthenaCatalog(stack, 'Catalog', { refinedLake });
  const template = Template.fromStack(stack);
  const tables = template.findResources('AWS::Glue::Table');
  const input = (name: string) => Object.values(tables).map((t: any) => t.Properties.TableInput).find((t: any) => t.Name === name);
  return { catalog, input, stack };
}

describe('staging and daily tables', () => {
  const { catalog, input } = tableOf();

  test('the catalog and its interface name them', () => {
    expect(catalog.stagingTableName).toBe('staging');
    expect(catalog.dailyTableName).toBe('daily');
  });

  test('staging: contract columns, ingest_date/city partitions, projection up to today', () => {
    const staging = input('staging');
    const glueColumns = WeatherContract.STAGING_COLUMNS.map((c) => ({ Name: c.name, Type: c.dataType, Comment: c.comment }));
    expect(staging.StorageDescriptor.Columns).toEqual(glueColumns);
    expect(staging.PartitionKeys).toEqual([{ Name: 'ingest_date', Type: 'string' }, { Name: 'city', Type: 'string' }]);
    expect(staging.Parameters).toMatchObject({
      'projection.enabled': 'true',
      'projection.ingest_date.type': 'date',
      'projection.ingest_date.format': 'yyyy-MM-dd',
      'projection.ingest_date.range': '2024-01-01,NOW',
      'projection.city.type': 'enum',
      'projection.city.values': 'nice,gyor',
    });
    expect(JSON.stringify(staging.Parameters['storage.location.template'])).toContain('/weather/staging/ingest_date=${ingest_date}/city=${city}/');
  });

  test('daily: contract columns, partitioned and projected like hourly', () => {
    const daily = input('daily');
    const hourly = input('hourly');
    const glueColumns = WeatherContract.DAILY_COLUMNS.map((c) => ({ Name: c.name, Type: c.dataType, Comment: c.comment }));
    expect(daily.StorageDescriptor.Columns).toEqual(glueColumns);
    expect(daily.PartitionKeys).toEqual(hourly.PartitionKeys);
    const projection = (params: Record<string, unknown>) => Object.fromEntries(Object.entries(params).filter(([k]) => k.startsWith('projection.')));
    expect(projection(daily.Parameters)).toEqual(projection(hourly.Parameters));
    expect(JSON.stringify(daily.Parameters['storage.location.template'])).toContain('/weather/daily/date=${date}/city=${city}/');
  });

  test('with monthly partitions the daily table projects month', () => {
    const monthly = tableOf(PartitionGranularity.MONTH).input('daily');
    expect(monthly.PartitionKeys).toEqual([{ Name: 'month', Type: 'string' }, { Name: 'city', Type: 'string' }]);
    expect(monthly.Parameters['projection.month.type']).toBe('date');
    expect(JSON.stringify(monthly.Parameters['storage.location.template'])).toContain('/weather/daily/month=${month}/city=${city}/');
  });

  test('an imported catalog names them too', () => {
    const { stack } = tableOf();
    const refinedLake = RefinedLake.fromRefinedLakeAttributes(stack, 'Other', {
      bucket: s3.Bucket.fromBucketName(stack, 'OtherBucket', 'other-refined'),
      cities: [{ name: 'Nice', latitude: 43.7, longitude: 7.27 }],
    });
    const imported = AthenaCatalog.fromAthenaCatalogAttributes(stack, 'Imported', {
      refinedLake, databaseName: 'weather', workGroupName: 'weather', resultsBucket: s3.Bucket.fromBucketName(stack, 'Results', 'results'),
    });
    expect([imported.stagingTableName, imported.dailyTableName]).toEqual(['staging', 'daily']);
    expect(imported.validationQueries.map((q) => q.id)).toContain('daily-consistent');
  });
});
