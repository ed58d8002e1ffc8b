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
  /**
   * The weather source it came from (the `source=` value of its key, e.g. `open-meteo`, `met-norway`).
   * @default 'open-meteo' - manifests written before there were several sources
   */
  readonly source?: string;
  /**
   * A caveat of the provider's answer, e.g. MET Norway's HTTP 203 (the product version is deprecated).
   * @default - none
   */
  readonly warning?: string;
}

/**
 * A weather source an ingestion batch called, and how it went.
 */
export interface ManifestSource {
  /** Source id, the `source=` value of its landing keys (`open-meteo`, `met-norway`). */
  readonly source: string;
  /** How the ETL maps its bodies: the mapping id the data contract document lists for the provider. */
  readonly mapping: string;
  /** Prefix of its raw responses in the landing bucket (`weather/raw/source=<id>/`). */
  readonly rawPrefix: string;
  /** Raw responses of this source written. */
  readonly written: number;
  /** Cities this source could not be fetched for. */
  readonly failed: number;
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
  /**
   * The weather source that failed for the city.
   * @default 'open-meteo' - manifests written before there were several sources
   */
  readonly source?: string;
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
  /** Weather source: the first of `sources` (`WeatherContract.SOURCE` when Open-Meteo is configured first). */
  readonly source: string;
  /**
   * Every source the batch called, in the configured order, with its counts. A source whose every city failed is
   * listed with `written: 0`: the other sources' data is in the batch all the same.
   * @default - only `source` (manifests written before there were several sources)
   */
  readonly sources?: ManifestSource[];
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
