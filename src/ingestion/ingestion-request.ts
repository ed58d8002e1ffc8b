import { ManifestFailure, ManifestSource } from '../contract/manifest';

/**
 * A date range for a backfill run of the ingestion handler, fetched from the Open-Meteo archive API.
 */
export interface IngestionBackfill {
  /** First day to fetch, `yyyy-MM-dd` (UTC). */
  readonly startDate: string;
  /** Last day to fetch, inclusive, `yyyy-MM-dd` (UTC), not before `startDate`. */
  readonly endDate: string;
}

/**
 * The input of the ingestion handler (the Lambda event). Every field is optional: `{}` runs a forecast batch now.
 *
 * The scheduled invocation sends `{"scheduledTime": "<aws.scheduler.scheduled-time>"}`. An EventBridge event
 * is accepted too: its `time` field is used as `scheduledTime`.
 *
 * @example
 * const request: IngestionRequest = { scheduledTime: '2025-06-01T06:15:00Z' };
 */
export interface IngestionRequest {
  /**
   * Logical time of the run, ISO 8601. It fixes the batch id and the ingest date, so a retried invocation of
   * the same run writes to the same keys and overwrites instead of duplicating.
   *
   * @default - the event's `time` field (EventBridge), else the invocation time (the batch id then comes from the
   * invocation's request id, see `batchId`)
   */
  readonly scheduledTime?: string;

  /**
   * Explicit batch id (matches `WeatherContract.BATCH_ID_PATTERN`); reusing one overwrites that batch.
   *
   * @default - `scheduledTime` in ISO basic format (`20250601T061500Z`), `backfill-<start>-<end>` for a backfill, or,
   * for an event with neither, `invocation-<Lambda request id>`: Lambda's retries of an asynchronous invocation keep
   * its request id, so they reuse the batch
   */
  readonly batchId?: string;

  /**
   * Fetch only these configured cities (by slug).
   *
   * @default - every configured city
   */
  readonly citySlugs?: string[];

  /**
   * Backfill mode: fetch this date range from the archive API instead of the forecast. Only the sources with an
   * archive take part (Open-Meteo; MET Norway has none).
   *
   * @default - forecast mode (`past_days` / `forecast_days` of the construct)
   */
  readonly backfill?: IngestionBackfill;
}

/**
 * What the ingestion handler returns. The handler throws (and nothing is written) only when no city
 * could be written; otherwise it returns this, with `partialFailure` set when some cities failed.
 */
export interface IngestionResult {
  /** The batch id (also the raw objects' file name). */
  readonly batchId: string;
  /** UTC date of the batch, `yyyy-MM-dd`. */
  readonly ingestDate: string;
  /** `forecast` or `backfill`. */
  readonly mode: string;
  /** Landing bucket name. */
  readonly bucket: string;
  /** Key of the manifest written last (`WeatherContract.manifestKey`). */
  readonly manifestKey: string;
  /** Cities attempted. */
  readonly citiesRequested: number;
  /** Raw responses written. */
  readonly written: number;
  /** Cities that failed (see `failures`). */
  readonly failed: number;
  /** True when at least one city failed: the batch is usable but incomplete, alert on it. */
  readonly partialFailure: boolean;
  /** HTTP retries made across the batch (attempts beyond the first). */
  readonly retries: number;
  /** The failures, as recorded in the manifest. */
  readonly failures: ManifestFailure[];
  /**
   * Every source the batch called, with its counts (as in the manifest).
   * @default - absent when Open-Meteo is the only source
   */
  readonly sources?: ManifestSource[];
  /**
   * Sources that failed for every city of the batch: alert on them. The other sources' data is in the batch.
   * @default - absent when Open-Meteo is the only source
   */
  readonly failedSources?: string[];
}
