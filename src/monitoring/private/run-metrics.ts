/**
 * The ETL's run metrics as CloudWatch embedded metric format (EMF) records: pure functions from a run summary
 * (written by `weather_etl.py`) or a Glue job run (`GetJobRun`) to log lines CloudWatch Logs turns into metrics.
 * No API call, no `cloudwatch:PutMetricData` permission.
 */
import {
  describeStaleCity, FreshnessCity, freshnessMetrics, lastRefinedPerCity, lastRefinedPerSourceAndCity, lookbackHours, staleCities, summaryPrefixes,
} from './freshness';
import { DIMENSION, EmfRecord, emf, GlueJobRunInfo, HOURLY_PARTITION, METRIC, RunSummary } from './metric-records';

/**
 * The metrics of one ETL run: the counts and duration (dimension `JobName`), one record per quarantine reason
 * (`JobName`, `Reason`) and one per city with refined data (`JobName`, `City`), all at the run's finish time.
 */
export function runSummaryMetrics(summary: RunSummary, jobName: string, now: number = Date.now()): EmfRecord[] {
  checkSummary(summary);
  const timestamp = timeOf(summary.finished_at, now);
  const run = { RunId: summary.run_id };
  const records: EmfRecord[] = [];

  const counts: Array<[string, string, number | undefined]> = [
    [METRIC.filesRead, 'Count', summary.files_read],
    [METRIC.recordsIn, 'Count', summary.records_in],
    [METRIC.refined, 'Count', summary.refined],
    [METRIC.quarantined, 'Count', summary.quarantined],
    [METRIC.superseded, 'Count', summary.superseded],
    [METRIC.partitionsWritten, 'Count', summary.partitions_written],
    [METRIC.runDuration, 'Seconds', summary.duration_seconds],
  ];
  const present = counts.filter(([, , value]) => typeof value === 'number');
  records.push(emf(timestamp, [DIMENSION.jobName], present.map(([name, unit]) => ({ Name: name, Unit: unit })), {
    [DIMENSION.jobName]: jobName,
    ...run,
    ...Object.fromEntries(present.map(([name, , value]) => [name, value])),
  }));

  for (const [reason, count] of Object.entries(summary.quarantined_by_reason ?? {}).sort(([a], [b]) => a.localeCompare(b))) {
    records.push(emf(timestamp, [DIMENSION.jobName, DIMENSION.reason], [{ Name: METRIC.quarantinedByReason, Unit: 'Count' }], {
      [DIMENSION.jobName]: jobName,
      [DIMENSION.reason]: reason,
      ...run,
      [METRIC.quarantinedByReason]: count,
    }));
  }

  const partitionsPerCity = new Map<string, number>();
  for (const partition of summary.partitions?.hourly ?? []) {
    const match = HOURLY_PARTITION.exec(partition);
    if (match) {
      partitionsPerCity.set(match[2], (partitionsPerCity.get(match[2]) ?? 0) + 1);
    }
  }
  for (const city of [...partitionsPerCity.keys()].sort()) {
    records.push(emf(timestamp, [DIMENSION.jobName, DIMENSION.city], [{ Name: METRIC.refinedPartitions, Unit: 'Count' }], {
      [DIMENSION.jobName]: jobName,
      [DIMENSION.city]: city,
      ...run,
      [METRIC.refinedPartitions]: partitionsPerCity.get(city),
    }));
  }
  return records;
}

/**
 * The cost metrics of one Glue run: execution time, and DPU-seconds (Glue's own figure for Flex and Auto Scaling
 * runs, else execution time × allocated DPUs). Empty when the run has no execution time yet.
 */
export function jobRunMetrics(jobRun: GlueJobRunInfo, jobName: string, now: number = Date.now()): EmfRecord[] {
  if (typeof jobRun.ExecutionTime !== 'number') {
    return [];
  }
  const dpuSeconds = jobRun.DPUSeconds ?? (typeof jobRun.MaxCapacity === 'number' ? jobRun.ExecutionTime * jobRun.MaxCapacity : undefined);
  const metrics: Array<{ Name: string; Unit: string }> = [{ Name: METRIC.glueExecutionTime, Unit: 'Seconds' }];
  if (dpuSeconds !== undefined) {
    metrics.push({ Name: METRIC.glueDpuSeconds, Unit: 'None' });
  }
  const completedOn = jobRun.CompletedOn instanceof Date ? jobRun.CompletedOn.toISOString() : jobRun.CompletedOn;
  return [emf(timeOf(completedOn, now), [DIMENSION.jobName], metrics, {
    [DIMENSION.jobName]: jobName,
    JobRunId: jobRun.Id,
    JobRunState: jobRun.JobRunState,
    [METRIC.glueExecutionTime]: jobRun.ExecutionTime,
    ...(dpuSeconds !== undefined ? { [METRIC.glueDpuSeconds]: dpuSeconds } : {}),
  })];
}

/** EMF accepts timestamps up to two weeks old: an older or unreadable time falls back to now. */
function timeOf(iso: string | undefined, now: number): number {
  const time = iso === undefined ? NaN : Date.parse(iso);
  const twoWeeks = 14 * 24 * 3600 * 1000;
  return Number.isFinite(time) && time > now - twoWeeks + 60_000 && time < now + 3600_000 ? time : now;
}

function checkSummary(summary: RunSummary): void {
  if (summary === null || typeof summary !== 'object') {
    throw new Error(`run summary must be a JSON object, got ${JSON.stringify(summary)}`);
  }
  for (const field of ['records_in', 'refined', 'quarantined', 'superseded'] as const) {
    if (typeof summary[field] !== 'number') {
      throw new Error(`run summary ${summary.run_id ?? '(no run_id)'} has no numeric ${field}: ${JSON.stringify(summary[field])}`);
    }
  }
}

/** The EventBridge events the publisher receives (S3 `Object Created` of a run summary, Glue job state change). */
export interface PublisherEvent {
  readonly 'source'?: string;
  readonly 'detail-type'?: string;
  readonly 'detail'?: {
    readonly bucket?: { readonly name?: string };
    readonly object?: { readonly key?: string };
    readonly jobName?: string;
    readonly jobRunId?: string;
    readonly state?: string;
  };
}

/** An object listed under a prefix. */
export interface ListedObject {
  readonly key: string;
  readonly lastModified?: number;
}

/** What the publisher needs from the outside world (injected, so tests run it without AWS). */
export interface PublisherDeps {
  readonly jobName: string;
  readonly summaryPrefix: string;
  /** The freshness check (scheduled events): the bucket holding the run summaries, the cities, a lister. */
  readonly freshness?: {
    readonly bucket: string;
    readonly cities: FreshnessCity[];
    listObjects(bucket: string, prefix: string): Promise<ListedObject[]>;
  };
  readObject(bucket: string, key: string): Promise<string>;
  getJobRun(jobName: string, runId: string): Promise<GlueJobRunInfo>;
  log(record: EmfRecord | Record<string, unknown>): void;
  now?(): number;
}

/** Turns one event into metric records, logs them, and returns them. Ignores what is not its own. */
export async function publishForEvent(event: PublisherEvent, deps: PublisherDeps): Promise<EmfRecord[]> {
  const now = deps.now?.() ?? Date.now();
  const detail = event.detail ?? {};
  let records: EmfRecord[] = [];
  if (event.source === 'aws.s3' && detail.bucket?.name && detail.object?.key?.startsWith(deps.summaryPrefix)) {
    // S3 event keys are URL-encoded (`date%3D2026-05-07`).
    const key = decodeURIComponent(detail.object.key.replace(/\+/g, ' '));
    const summary = JSON.parse(await deps.readObject(detail.bucket.name, key)) as RunSummary;
    records = runSummaryMetrics(summary, deps.jobName, now);
  } else if (event.source === 'aws.glue' && detail.jobName === deps.jobName && detail.jobRunId) {
    records = jobRunMetrics(await deps.getJobRun(detail.jobName, detail.jobRunId), deps.jobName, now);
  } else if (event.source === 'aws.events' && event['detail-type'] === 'Scheduled Event' && deps.freshness) {
    records = await checkFreshness(deps, deps.freshness, now);
  }
  records.forEach((record) => deps.log(record));
  return records;
}

/**
 * The freshness check: reads the run summaries written within the lookback (the longest window plus an hour),
 * finds each city's last refined data, and returns the freshness metrics. Logs the stale cities by name (a WARN
 * line) so that an operator can find them from the alarm.
 */
async function checkFreshness(deps: PublisherDeps, freshness: NonNullable<PublisherDeps['freshness']>, now: number): Promise<EmfRecord[]> {
  const lookback = lookbackHours(freshness.cities);
  const since = now - (lookback + 1) * 3600_000;
  const listed = (await Promise.all(summaryPrefixes(deps.summaryPrefix, now, lookback)
    .map((prefix) => freshness.listObjects(freshness.bucket, prefix)))).flat()
    .filter((o) => o.key.endsWith('.json') && (o.lastModified === undefined || o.lastModified >= since));
  const summaries = await mapLimited(listed, 8, async (o) => ({
    summary: JSON.parse(await deps.readObject(freshness.bucket, o.key)) as RunSummary,
    lastModified: o.lastModified,
  }));
  // Per city, and per source and city when the cities are checked per source.
  const stale = staleCities(freshness.cities, new Map([...lastRefinedPerCity(summaries), ...lastRefinedPerSourceAndCity(summaries)]), now);
  if (stale.length > 0) {
    deps.log({
      level: 'WARN',
      message: `${stale.length} of ${freshness.cities.length} cities have no new refined data within their window`,
      staleCities: stale.map((c) => describeStaleCity(c, lookback)),
      summariesRead: summaries.length,
    });
  }
  return freshnessMetrics(freshness.cities, stale, deps.jobName, now);
}

async function mapLimited<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
