import { mkdtempSync, readFileSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { GetJobRunCommand, GlueClient } from '@aws-sdk/client-glue';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { WeatherContract } from '../../src';
import { encodeFreshnessCities, FreshnessCity, lastRefinedPerCity, summaryPrefixes } from '../../src/monitoring/private/freshness';
import { jobRunMetrics, publishForEvent, runSummaryMetrics } from '../../src/monitoring/private/run-metrics';
import { createHandler, handler } from '../../src/monitoring/publish-run-metrics.lambda';

// A real run summary of the real ETL script (see fixtures/README.md).
const summaryText = readFileSync(join(__dirname, 'fixtures', 'run-summary-b1.json'), 'utf-8');
const summary = JSON.parse(summaryText);
const finishedAt = Date.parse(summary.finished_at);
const now = finishedAt + 60_000;
const job = 'weather-etl';
const ns = 'CdkWeatherPipeline/Etl';
const meta = (dimensions: string[], metrics: Array<[string, string]>) => ({
  Timestamp: finishedAt,
  CloudWatchMetrics: [{ Namespace: ns, Dimensions: [dimensions], Metrics: metrics.map(([Name, Unit]) => ({ Name, Unit })) }],
});

/** The S3 `Object Created` event EventBridge delivers for the summary (keys arrive URL-encoded). */
const summaryEvent = {
  'source': 'aws.s3',
  'detail-type': 'Object Created',
  'detail': { bucket: { name: 'refined-bucket' }, object: { key: summary.summary_key.replace(/=/g, '%3D') } },
};

describe('run metrics from the real ETL run summary (batch b1)', () => {
  const records = runSummaryMetrics(summary, job, now);

  test('the run counts and duration, dimension JobName, at the run\'s finish time', () => {
    expect(records[0]).toEqual({
      _aws: meta(['JobName'], [
        ['FilesRead', 'Count'], ['RecordsIn', 'Count'], ['Refined', 'Count'], ['Quarantined', 'Count'],
        ['Superseded', 'Count'], ['PartitionsWritten', 'Count'], ['RunDurationSeconds', 'Seconds'],
      ]),
      JobName: job,
      RunId: 'b1',
      FilesRead: 13,
      RecordsIn: 75,
      Refined: 65,
      Quarantined: 10,
      Superseded: 0,
      PartitionsWritten: 8,
      RunDurationSeconds: 49.271,
    });
  });

  test('one record per quarantine reason, every contract reason once in b1', () => {
    const reasons = records.filter((r) => 'Reason' in r);
    // b1 runs without --cities_json, so no city is "not configured"; it holds no MET Norway body, so neither of
    // that source's own reasons occurs.
    const notInB1 = ['CITY_NOT_CONFIGURED', 'MISSING_INSTANT_DETAILS', 'UNKNOWN_SYMBOL_CODE'];
    const inB1 = WeatherContract.QUARANTINE_REASONS.map((r) => r.code).filter((code) => !notInB1.includes(code));
    expect(reasons.map((r) => r.Reason)).toEqual(inB1.sort());
    expect(reasons[0]).toEqual({
      _aws: meta(['JobName', 'Reason'], [['QuarantinedRecords', 'Count']]),
      JobName: job,
      Reason: 'API_ERROR',
      RunId: 'b1',
      QuarantinedRecords: 1,
    });
    expect(reasons.reduce((sum, r) => sum + (r.QuarantinedRecords as number), 0)).toBe(summary.quarantined);
  });

  test('refined partitions per city from partitions.hourly (the freshness metric)', () => {
    const cities = records.filter((r) => 'City' in r).map((r) => [r.City, r.RefinedPartitions]);
    expect(cities).toEqual([
      ['gyor', 2], ['houston', 1], ['phoenix', 1], ['saint-etienne', 2], ['salt-lake-city', 1], ['tokyo', 1],
    ]);
    expect(records.find((r) => r.City === 'gyor')).toEqual({
      _aws: meta(['JobName', 'City'], [['RefinedPartitions', 'Count']]),
      JobName: job,
      City: 'gyor',
      RunId: 'b1',
      RefinedPartitions: 2,
    });
    expect(records).toHaveLength(1 + 10 + 6);
  });

  test('every record is valid EMF: dimension values and metric values are top-level fields', () => {
    for (const record of records) {
      for (const directive of record._aws.CloudWatchMetrics) {
        expect(directive.Dimensions.flat().every((d) => typeof record[d] === 'string')).toBe(true);
        expect(directive.Metrics.every((m) => typeof record[m.Name] === 'number')).toBe(true);
        expect(directive.Metrics.length).toBeLessThanOrEqual(100);
      }
    }
  });

  test('a finish time older than EMF accepts (two weeks) is replaced by now', () => {
    const late = finishedAt + 15 * 24 * 3600 * 1000;
    expect(runSummaryMetrics(summary, job, late)[0]._aws.Timestamp).toBe(late);
  });

  test('a summary without the counts is rejected with the field it misses', () => {
    expect(() => runSummaryMetrics({ ...summary, records_in: undefined }, job, now)).toThrow('run summary b1 has no numeric records_in: undefined');
  });
});

describe('Glue job run metrics', () => {
  test('DPU-seconds is Glue\'s own figure when it reports one (Flex, Auto Scaling)', () => {
    expect(jobRunMetrics({ Id: 'jr_1', JobRunState: 'SUCCEEDED', ExecutionTime: 120, DPUSeconds: 180, MaxCapacity: 2, CompletedOn: new Date(finishedAt) }, job, now)).toEqual([{
      _aws: meta(['JobName'], [['GlueExecutionSeconds', 'Seconds'], ['GlueDpuSeconds', 'None']]),
      JobName: job,
      JobRunId: 'jr_1',
      JobRunState: 'SUCCEEDED',
      GlueExecutionSeconds: 120,
      GlueDpuSeconds: 180,
    }]);
  });

  test('otherwise execution time × allocated DPUs; nothing without an execution time', () => {
    expect(jobRunMetrics({ Id: 'jr_2', JobRunState: 'FAILED', ExecutionTime: 95, MaxCapacity: 2 }, job, now)[0].GlueDpuSeconds).toBe(190);
    expect(jobRunMetrics({ Id: 'jr_3', JobRunState: 'ERROR' }, job, now)).toEqual([]);
  });
});

describe('publishForEvent', () => {
  const deps = (reads: string[]) => ({
    jobName: job,
    summaryPrefix: WeatherContract.RUN_SUMMARY_PREFIX,
    readObject: async (bucket: string, key: string) => { reads.push(`${bucket}/${key}`); return summaryText; },
    getJobRun: async () => ({ Id: 'jr_1', ExecutionTime: 60, MaxCapacity: 2 }),
    log: () => undefined,
    now: () => now,
  });

  test('reads the summary the event names (URL-decoded key) and logs its metrics', async () => {
    const reads: string[] = [];
    const records = await publishForEvent(summaryEvent, deps(reads));
    expect(reads).toEqual(['refined-bucket/weather/run-summaries/date=2026-05-07/b1.json']);
    expect(records).toEqual(runSummaryMetrics(summary, job, now));
  });

  test('ignores objects outside the run summaries and runs of other jobs', async () => {
    const reads: string[] = [];
    const other = { ...summaryEvent, detail: { ...summaryEvent.detail, object: { key: 'weather/hourly/x.parquet' } } };
    expect(await publishForEvent(other, deps(reads))).toEqual([]);
    expect(await publishForEvent({ 'source': 'aws.glue', 'detail-type': 'Glue Job State Change', 'detail': { jobName: 'other', jobRunId: 'jr_1', state: 'SUCCEEDED' } }, deps(reads))).toEqual([]);
    expect(reads).toEqual([]);
  });
});

describe('the freshness check (scheduled)', () => {
  const hour = 3600_000;
  const checkNow = Date.parse('2026-11-26T20:00:00Z');
  const scheduled = { 'source': 'aws.events', 'detail-type': 'Scheduled Event', 'detail': {} };
  // b1 refined gyor, houston, phoenix, saint-etienne, salt-lake-city and tokyo 5 hours ago; b0 refined lyon and tokyo 27 hours ago.
  const at = (hoursAgo: number) => new Date(checkNow - hoursAgo * hour).toISOString();
  const b1 = { ...summary, finished_at: at(5) };
  const b0 = { ...summary, run_id: 'b0', finished_at: at(27), partitions: { hourly: ['date=2026-11-25/city=lyon/', 'date=2026-11-25/city=tokyo/'] } };
  const cities: FreshnessCity[] = [
    { slug: 'tokyo', name: 'Tokyo', windowHours: 26 },
    { slug: 'lyon', name: 'Lyon', windowHours: 26 },
    { slug: 'phoenix', name: 'Phoenix', windowHours: 3 },
    { slug: 'oslo', name: 'Oslo', windowHours: 26 },
  ];
  const objects: Record<string, { body: unknown; lastModified: number }> = {
    'weather/run-summaries/date=2026-11-25/b0.json': { body: b0, lastModified: checkNow - 27 * hour },
    'weather/run-summaries/date=2026-11-26/b1.json': { body: b1, lastModified: checkNow - 5 * hour },
    // Older than the lookback (27 hours, plus an hour for the write): not read.
    'weather/run-summaries/date=2026-11-25/old.json': { body: b1, lastModified: checkNow - 40 * hour },
  };
  const run = async () => {
    const listed: string[] = [];
    const reads: string[] = [];
    const logged: any[] = [];
    const records = await publishForEvent(scheduled, {
      jobName: job,
      summaryPrefix: WeatherContract.RUN_SUMMARY_PREFIX,
      readObject: async (bucket, key) => { reads.push(`${bucket}/${key}`); return JSON.stringify(objects[key].body); },
      getJobRun: async () => { throw new Error('not called'); },
      log: (record) => logged.push(record),
      now: () => checkNow,
      freshness: {
        bucket: 'refined-bucket',
        cities,
        listObjects: async (bucket, prefix) => {
          listed.push(`${bucket}/${prefix}`);
          return Object.entries(objects).filter(([key]) => key.startsWith(prefix)).map(([key, o]) => ({ key, lastModified: o.lastModified }));
        },
      },
    });
    return { records, listed, reads, logged };
  };

  test('lists the summaries of the lookback (longest window + 1 hour, from the day before) and reads the recent ones', async () => {
    const { listed, reads } = await run();
    expect(listed).toEqual(['2026-11-24', '2026-11-25', '2026-11-26'].map((d) => `refined-bucket/weather/run-summaries/date=${d}/`));
    expect(reads.sort()).toEqual(['refined-bucket/weather/run-summaries/date=2026-11-25/b0.json', 'refined-bucket/weather/run-summaries/date=2026-11-26/b1.json']);
    expect(summaryPrefixes('p/', checkNow, 1)).toEqual(['p/date=2026-11-25/', 'p/date=2026-11-26/']);
  });

  test('a city is stale past its window or with no refined data in the lookback: StaleCities, and StaleCityHours per stale city', async () => {
    const { records } = await run();
    // tokyo: 5 h (fresh); lyon: 27 h > 26; phoenix: 5 h > 3; oslo: none in the lookback. Stalest first.
    expect(records[0]).toEqual({
      _aws: { Timestamp: checkNow, CloudWatchMetrics: [{ Namespace: ns, Dimensions: [['JobName']], Metrics: [{ Name: 'StaleCities', Unit: 'Count' }, { Name: 'CitiesChecked', Unit: 'Count' }] }] },
      JobName: job,
      StaleCities: 3,
      CitiesChecked: 4,
      StaleCityList: 'oslo no data in 27 h (window 26 h); lyon 27 h (window 26 h); phoenix 5 h (window 3 h)',
    });
    expect(records.slice(1).map((r) => [r.City, r.StaleCityHours, r.WindowHours, r._aws.CloudWatchMetrics[0].Dimensions])).toEqual([
      ['oslo', 27, 26, [['JobName', 'City']]],
      ['lyon', 27, 26, [['JobName', 'City']]],
      ['phoenix', 5, 3, [['JobName', 'City']]],
    ]);
  });

  test('logs the stale cities by slug in a WARN line, and nothing when every city is fresh', async () => {
    const { logged } = await run();
    const warn = logged.find((l) => l.level === 'WARN');
    expect(warn).toEqual({
      level: 'WARN',
      message: '3 of 4 cities have no new refined data within their window',
      staleCities: ['oslo no data in 27 h (window 26 h)', 'lyon 27 h (window 26 h)', 'phoenix 5 h (window 3 h)'],
      summariesRead: 2,
    });
    const fresh = await publishForEvent(scheduled, {
      jobName: job,
      summaryPrefix: WeatherContract.RUN_SUMMARY_PREFIX,
      readObject: async () => JSON.stringify(b1),
      getJobRun: async () => { throw new Error('not called'); },
      log: (record) => logged.push(record),
      now: () => checkNow,
      freshness: { bucket: 'b', cities: [cities[0]], listObjects: async (_b, prefix) => (prefix.endsWith('26/') ? [{ key: `${prefix}b1.json` }] : []) },
    });
    expect(fresh).toHaveLength(1);
    expect(fresh[0]).toMatchObject({ StaleCities: 0, CitiesChecked: 1, StaleCityList: '' });
    expect(logged.filter((l) => l.level === 'WARN')).toHaveLength(1);
  });

  test('monthly partitions (month=yyyy-MM/city=) count as refined data too', () => {
    const last = lastRefinedPerCity([{ summary: { ...summary, finished_at: at(2), partitions: { hourly: ['weather/hourly/month=2026-11/city=oslo/'] } } }]);
    expect([...last]).toEqual([['oslo', checkNow - 2 * hour]]);
  });

  test('the handler lists with ListObjectsV2 (every page) and reads freshness.json', async () => {
    const s3 = mockClient(S3Client);
    const dir = mkdtempSync(join(tmpdir(), 'freshness-'));
    const file = join(dir, 'freshness.json');
    writeFileSync(file, encodeFreshnessCities([{ slug: 'tokyo', name: 'Tokyo', windowHours: 1 }]));
    const lines: string[] = [];
    const write = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: any) => { lines.push(String(chunk)); return true; });
    process.env.JOB_NAME = job;
    process.env.SUMMARY_PREFIX = WeatherContract.RUN_SUMMARY_PREFIX;
    process.env.SUMMARY_BUCKET = 'refined-bucket';
    const recent = new Date();
    s3.on(ListObjectsV2Command).callsFake((input: any) => (input.ContinuationToken === undefined
      ? { Contents: [{ Key: `${input.Prefix}a.json`, LastModified: recent }], IsTruncated: true, NextContinuationToken: 't2' }
      : { Contents: [], IsTruncated: false }));
    const recentSummary = JSON.stringify({ ...summary, finished_at: recent.toISOString() });
    s3.on(GetObjectCommand).resolves({ Body: { transformToString: async () => recentSummary } as any });
    try {
      expect(await createHandler(file)(scheduled)).toEqual({ records: 1 });
    } finally {
      write.mockRestore();
      s3.restore();
      delete process.env.SUMMARY_BUCKET;
    }
    // Two prefixes (yesterday, today... or three across midnight), each listed to its last page.
    const calls = s3.commandCalls(ListObjectsV2Command).map((c) => c.args[0].input);
    expect(calls.filter((c) => c.ContinuationToken === 't2')).toHaveLength(calls.length / 2);
    expect(calls.every((c) => c.Bucket === 'refined-bucket')).toBe(true);
    expect(JSON.parse(lines[0])).toMatchObject({ StaleCities: 0, CitiesChecked: 1 });
  });
});

describe('the Lambda handler with the AWS SDK clients', () => {
  const s3 = mockClient(S3Client);
  const glue = mockClient(GlueClient);
  let lines: string[] = [];
  let write: jest.SpyInstance;
  beforeEach(() => {
    s3.reset();
    glue.reset();
    lines = [];
    write = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: any) => { lines.push(String(chunk)); return true; });
    process.env.JOB_NAME = job;
    process.env.SUMMARY_PREFIX = WeatherContract.RUN_SUMMARY_PREFIX;
  });
  afterEach(() => write.mockRestore());

  test('a run summary event: GetObject on the summary, one EMF line per record on stdout', async () => {
    s3.on(GetObjectCommand, { Bucket: 'refined-bucket', Key: summary.summary_key }).resolves({
      Body: { transformToString: async () => summaryText } as any,
    });
    expect(await handler(summaryEvent)).toEqual({ records: 17 });
    const logged = lines.map((line) => JSON.parse(line));
    expect(logged.map((r) => r._aws.CloudWatchMetrics[0].Namespace)).toEqual(Array(17).fill(ns));
    expect(logged[0]).toMatchObject({ JobName: job, RecordsIn: 75, Refined: 65, Quarantined: 10 });
  });

  test('a Glue run end event: GetJobRun on that run', async () => {
    glue.on(GetJobRunCommand, { JobName: job, RunId: 'jr_9' }).resolves({ JobRun: { Id: 'jr_9', JobRunState: 'FAILED', ExecutionTime: 30, MaxCapacity: 2 } });
    expect(await handler({ 'source': 'aws.glue', 'detail-type': 'Glue Job State Change', 'detail': { jobName: job, jobRunId: 'jr_9', state: 'FAILED' } })).toEqual({ records: 1 });
    expect(JSON.parse(lines[0])).toMatchObject({ GlueExecutionSeconds: 30, GlueDpuSeconds: 60, JobRunState: 'FAILED' });
  });
});
