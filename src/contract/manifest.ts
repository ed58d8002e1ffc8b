/**
 * One raw response an ingestion batch wrote to the landing zone.
 */
export interface ManifestEntry {
  /** Landing key of the raw response (see `WeatherContract.rawKey`). */
  readonly key: string;
  /** City slug. */
  readonly city: string;
  /** City display name. */
  readonly cityName: string;
  /** Requested latitude, decimal degrees. */
  readonly latitude: number;
  /** Requested longitude, decimal degrees. */
  readonly longitude: number;
  /**
   * IANA time zone of the city, when configured.
   * @default - none
   */
  readonly timezone?: string;
  /** The exact URL that was requested. */
  readonly requestUrl: string;
  /** When the response was received, ISO 8601 UTC. */
  readonly fetchedAt: string;
  /** Size of the body in bytes. */
  readonly bytes: number;
  /** HTTP attempts it took (1 when the first attempt succeeded). */
  readonly attempts: number;
}

/**
 * A city an ingestion batch could not fetch, and why.
 */
export interface ManifestFailure {
  /** City slug. */
  readonly city: string;
  /** City display name. */
  readonly cityName: string;
  /** The URL that was requested. */
  readonly requestUrl: string;
  /**
   * Failure code: `HTTP_<status>`, `API_ERROR`, `TIMEOUT`, `NETWORK`, `INVALID_BODY` (not JSON, or not an object),
   * `WRONG_SHAPE` (a JSON object without the hourly arrays the contract reads), `BODY_TOO_LARGE` (over the body
   * cap, abandoned unread) or `WRITE_FAILED` (the S3 write failed or did not finish in time).
   */
  readonly error: string;
  /** Details: the API's `reason`, the HTTP status text or the exception message. */
  readonly reason: string;
  /** HTTP attempts made before giving up. */
  readonly attempts: number;
}

/**
 * The manifest an ingestion batch writes to `WeatherContract.manifestKey(ingestDate, batchId)`.
 *
 * It is written last, after every raw object of the batch, so its arrival is the signal that a batch is
 * complete: it triggers the orchestrator and tells the ETL exactly which objects to read (one Glue run per batch).
 */
export interface IngestionManifest {
  /** `WeatherContract.VERSION` of the writer. */
  readonly contractVersion: number;
  /** The batch id (also the raw objects' file name). */
  readonly batchId: string;
  /** UTC date of the batch, `yyyy-MM-dd`, as in the landing keys. */
  readonly ingestDate: string;
  /** Weather source, `WeatherContract.SOURCE`. */
  readonly source: string;
  /** Bucket the raw objects were written to. */
  readonly bucket: string;
  /** When the batch started, ISO 8601 UTC. */
  readonly startedAt: string;
  /** When the batch finished, ISO 8601 UTC. */
  readonly finishedAt: string;
  /** Raw responses written, one per city fetched. */
  readonly written: ManifestEntry[];
  /** Cities that could not be fetched. */
  readonly failed: ManifestFailure[];
}
