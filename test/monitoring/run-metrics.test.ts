import { readFileSync } from 'fs';
import { join } from 'path';
import { GetJobRunCommand, GlueClient } from '@aws-sdk/client-glue';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { WeatherContract } from '../../src';
import { jobRunMetrics, publishForEvent, runSummaryMetrics } from '../../src/monitoring/private/run-metrics';
import { handler } from '../../src/monitoring/publish-run-metrics.lambda';

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
    expect(reasons.map((r) => r.Reason)).toEqual(WeatherContract.QUARANTINE_REASONS.map((r) => r.code).sort());
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
