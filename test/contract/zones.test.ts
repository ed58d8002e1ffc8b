import { PartitionGranularity, WeatherContract } from '../../src/contract';

// The staging zone (every fetch) and the curated daily layer, as the contract defines them (issue 18).
describe('staging and daily tables', () => {
  const daily = WeatherContract.toJson();
  const monthly = WeatherContract.toJson(undefined, PartitionGranularity.MONTH);
  const names = (columns: { name: string }[]) => columns.map((column) => column.name);

  test('staging: every hourly value with its source, lead time and batch, partitioned by ingestion date and city', () => {
    expect(daily.refined).toMatchObject({
      stagingPrefix: 'weather/staging/',
      stagingPartitionKeys: ['ingest_date', 'city'],
      stagingLocationTemplate: 'weather/staging/ingest_date=${ingest_date}/city=${city}/',
    });
    const staging = names(daily.refined.stagingColumns);
    // Every hourly column but the (monthly-only) date is staged too, with the same type.
    for (const column of WeatherContract.HOURLY_COLUMNS) {
      expect(daily.refined.stagingColumns).toContainEqual(expect.objectContaining({ name: column.name, dataType: column.dataType }));
    }
    expect(staging).toEqual(expect.arrayContaining(['source', 'lead_time_hours', 'batch_id']));
    expect(daily.refined.stagingColumns.find((c) => c.name === 'lead_time_hours')?.dataType).toBe('double');
    for (const key of daily.refined.stagingPartitionKeys) {
      expect(staging).not.toContain(key);
    }
    // Staging does not depend on the hourly granularity.
    expect(monthly.refined.stagingPartitionKeys).toEqual(daily.refined.stagingPartitionKeys);
    expect(monthly.refined.stagingColumns).toEqual(daily.refined.stagingColumns);
  });

  test('daily: the agreed columns, partitioned like the hourly table', () => {
    expect(names(daily.refined.dailyColumns)).toEqual([
      'source', 'city_name', 'day', 'temperature_min_c', 'temperature_max_c', 'temperature_mean_c', 'precipitation_sum_mm',
      'wind_speed_max_kmh', 'dominant_weather_code', 'hours_present', 'is_complete', 'has_forecast_hours', 'processed_at', 'run_id',
    ]);
    const types = Object.fromEntries(daily.refined.dailyColumns.map((c) => [c.name, c.dataType]));
    expect(types).toMatchObject({ day: 'date', dominant_weather_code: 'int', hours_present: 'int', is_complete: 'boolean', has_forecast_hours: 'boolean', processed_at: 'timestamp' });
    expect(daily.refined).toMatchObject({
      dailyPrefix: 'weather/daily/',
      dailyPartitionKeys: ['date', 'city'],
      dailyLocationTemplate: 'weather/daily/date=${date}/city=${city}/',
    });
    expect(monthly.refined).toMatchObject({
      dailyPartitionKeys: ['month', 'city'],
      dailyLocationTemplate: 'weather/daily/month=${month}/city=${city}/',
    });
    expect(monthly.refined.dailyColumns).toEqual(daily.refined.dailyColumns);
    expect(WeatherContract.dailyLocationTemplate(PartitionGranularity.MONTH)).toBe(monthly.refined.dailyLocationTemplate);
  });

  test('every column has a comment and a type the Glue script knows', () => {
    for (const column of [...WeatherContract.STAGING_COLUMNS, ...WeatherContract.DAILY_COLUMNS]) {
      expect(column.comment.length).toBeGreaterThan(10);
      expect(['string', 'double', 'int', 'bigint', 'boolean', 'timestamp', 'date']).toContain(column.dataType);
    }
  });

  test('the new prefixes are below weather/ and distinct from the other zones', () => {
    const prefixes = [WeatherContract.REFINED_HOURLY_PREFIX, WeatherContract.QUARANTINE_PREFIX, WeatherContract.RUN_SUMMARY_PREFIX,
      WeatherContract.STAGING_PREFIX, WeatherContract.DAILY_PREFIX];
    expect(new Set(prefixes).size).toBe(prefixes.length);
    for (const prefix of prefixes) {
      expect(prefix).toMatch(/^weather\/[a-z-]+\/$/);
    }
  });
});
