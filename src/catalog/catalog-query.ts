/**
 * A saved Athena query that people open in the console.
 */
export interface CatalogQuery {
  /** Stable, kebab-case identifier (e.g. `daily-temperature`); also the suffix of the named query's name. */
  readonly id: string;
  /** What the query answers, shown in the Athena console. */
  readonly description: string;
  /** The SQL, runnable unchanged on Athena engine version 3 (and on Trino). */
  readonly queryString: string;
  /**
   * Names of the `?` execution parameters, in the order they occur in `queryString`.
   *
   * Values are SQL literals: a date is passed as `'2026-05-07'`, a run id as `'run-42'`
   * (Athena `ExecutionParameters`; Trino `EXECUTE ... USING`).
   */
  readonly parameters: string[];
}

/**
 * A check the orchestrator runs after each ETL run.
 *
 * It returns exactly one row whose boolean `passed` column is the verdict; the other columns are the numbers
 * behind it.
 */
export interface ValidationQuery {
  /** Stable, kebab-case identifier (e.g. `no-duplicate-hours`). */
  readonly id: string;
  /** What the check proves. */
  readonly description: string;
  /** The SQL, runnable unchanged on Athena engine version 3 (and on Trino). */
  readonly queryString: string;
  /**
   * Names of the `?` execution parameters, in the order they occur in `queryString`, taken from:
   * `firstDate` and `lastDate` (the run's `date` partitions, `'yyyy-MM-dd'`, inclusive; the range must include
   * the ingestion date, which partitions the quarantine), `citySlugs` (the cities the run fetched, one string
   * of comma-separated slugs), `sourceIds` (the weather sources expected to have data: those the run refined
   * and the configured ones, comma-separated ids) and `runId` (the ETL run id).
   *
   * Values are SQL literals, e.g. `'2026-05-07'` (Athena `ExecutionParameters`; Trino `EXECUTE ... USING`).
   */
  readonly parameters: string[];
}
