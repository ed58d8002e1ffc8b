/**
 * What the run metrics and the freshness check share: the metric names and dimensions, the run summary fields they
 * read, and the EMF record they write. Both `run-metrics.ts` and `freshness.ts` import it; neither imports the other's
 * module for it.
 */

/** Namespace of the ETL metrics. */
export const ETL_NAMESPACE = 'CdkWeatherPipeline/Etl';

/** Metric names, shared by the publisher and the alarms and dashboard that read them. */
export const METRIC = {
  filesRead: 'FilesRead',
  recordsIn: 'RecordsIn',
  refined: 'Refined',
  quarantined: 'Quarantined',
  superseded: 'Superseded',
  partitionsWritten: 'PartitionsWritten',
  runDuration: 'RunDurationSeconds',
  /** Per `Reason`: quarantined records with that reason code. */
  quarantinedByReason: 'QuarantinedRecords',
  /** Per `City`: hourly partitions the run wrote for that city (freshness). */
  refinedPartitions: 'RefinedPartitions',
  glueExecutionTime: 'GlueExecutionSeconds',
  glueDpuSeconds: 'GlueDpuSeconds',
  /** Freshness check: cities without new refined data for longer than their window (the freshness alarm's metric). */
  staleCities: 'StaleCities',
  /** Freshness check: cities checked. */
  citiesChecked: 'CitiesChecked',
  /** Freshness check, per `City`, stale cities only: hours since the city's last refined data. */
  staleCityHours: 'StaleCityHours',
} as const;

/** Dimension names. Every metric has `JobName`, so two pipelines in one account never mix. */
export const DIMENSION = { jobName: 'JobName', reason: 'Reason', city: 'City' } as const;

/** The run summary fields the metrics use (see `weather_etl.py`). */
export interface RunSummary {
  readonly run_id: string;
  readonly finished_at?: string;
  readonly duration_seconds?: number;
  readonly files_read?: number;
  readonly records_in: number;
  readonly refined: number;
  readonly quarantined: number;
  readonly quarantined_by_reason?: Record<string, number>;
  readonly superseded: number;
  readonly partitions_written?: number;
  readonly partitions?: {
    readonly hourly?: string[];
    readonly quarantine?: string[];
    /**
     * The hourly partitions each weather source's rows went to, by source id (a run with several sources). Without
     * it, the freshness check cannot tell the sources apart and counts `hourly` for every source.
     */
    readonly hourly_by_source?: Record<string, string[]>;
  };
}

/** The `GetJobRun` fields the metrics use. */
export interface GlueJobRunInfo {
  readonly Id?: string;
  readonly JobRunState?: string;
  readonly CompletedOn?: Date | string;
  /** Seconds the run consumed resources. */
  readonly ExecutionTime?: number;
  /** Set for Flex and Auto Scaling runs: executor seconds × DPU factor. */
  readonly DPUSeconds?: number;
  /** DPUs allocated (set by Glue from the worker type and count). */
  readonly MaxCapacity?: number;
}

/** One EMF log line. */
export interface EmfRecord {
  readonly _aws: {
    readonly Timestamp: number;
    readonly CloudWatchMetrics: Array<{
      readonly Namespace: string;
      readonly Dimensions: string[][];
      readonly Metrics: Array<{ readonly Name: string; readonly Unit: string }>;
    }>;
  };
  readonly [field: string]: unknown;
}

/** An hourly partition path: daily (`date=yyyy-MM-dd/city=<slug>/`) or monthly (`month=yyyy-MM/city=<slug>/`); group 2 is the slug. */
export const HOURLY_PARTITION = /(?:^|\/)(date=\d{4}-\d{2}-\d{2}|month=\d{4}-\d{2})\/city=([a-z0-9-]+)\/?$/;

/** One EMF record in the ETL namespace. */
export function emf(
  timestamp: number, dimensions: string[], metrics: Array<{ Name: string; Unit: string }>, fields: Record<string, unknown>,
): EmfRecord {
  return {
    _aws: { Timestamp: timestamp, CloudWatchMetrics: [{ Namespace: ETL_NAMESPACE, Dimensions: [dimensions], Metrics: metrics }] },
    ...fields,
  };
}
