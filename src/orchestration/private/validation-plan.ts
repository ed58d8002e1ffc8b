import { OPEN_METEO } from '../../contract/private/sources';

/** The parameter names validation queries may take (see `ValidationQuery.parameters`). */
export const VALIDATION_PARAMETER_NAMES = ['firstDate', 'lastDate', 'citySlugs', 'runId', 'sourceIds'];

/** The run id and the ETL's run summary, parsed. */
export interface ValidationPlanRequest {
  readonly runId: string;
  /** The run summary the Glue job wrote (`WeatherContract.RUN_SUMMARY_PREFIX`), parsed. */
  readonly summary: RunSummaryPartitions;
  /** The configured cities (comma-separated slugs): each must have data, whether the run wrote it or not. */
  readonly expectedCities?: string;
  /**
   * `ALERT`: a configured city the run did not write is checked apart (`ValidationPlan.missingCities`), and only
   * alerts; `FAIL` (default): the checks expect it like the others.
   */
  readonly missingCityAction?: string;
  /** The configured weather sources (comma-separated ids): each must have data for every expected city and day. */
  readonly expectedSources?: string;
}

/**
 * What the state machine hands the planner function: where the run summary is, never the summary itself. A
 * backfill's summary lists tens of thousands of partitions, past the 256 KiB Step Functions allows for a state's
 * input or output; the function reads it from S3 and returns only the small plan.
 */
export interface RunSummaryLocation {
  readonly runId: string;
  /** The refined bucket. */
  readonly bucket: string;
  /** The run summary's key in it. */
  readonly summaryKey: string;
  /** The configured cities (comma-separated slugs), when the refined lake knows them. */
  readonly expectedCities?: string;
  /** `FAIL` or `ALERT`, see `ValidationPlanRequest.missingCityAction`. */
  readonly missingCityAction?: string;
  /**
   * The ingestion's sources (comma-separated ids, in order), when it calls others than Open-Meteo alone: what a
   * validation per source checks.
   */
  readonly expectedSources?: string;
}

/** The error the planner function throws when the run summary cannot be read or parsed. */
export const RUN_SUMMARY_UNREADABLE = 'RunSummaryUnreadable';

/** The part of the ETL run summary the planner reads. */
export interface RunSummaryPartitions {
  readonly run_id?: string;
  readonly processed_at?: string;
  /**
   * The UTC days (`yyyy-MM-dd`, sorted) of the hours the run wrote to the hourly table. Needed with monthly
   * partitions, whose paths do not name the days; with daily ones the partition paths say the same.
   */
  readonly hourly_dates?: string[];
  /** The weather sources (sorted ids) of the hours the run wrote to the hourly table. */
  readonly hourly_sources?: string[];
  readonly partitions?: {
    /**
     * Hourly partitions the run wrote (sorted), e.g. `weather/hourly/date=2026-05-07/city=lyon/`, or
     * `weather/hourly/month=2026-05/city=lyon/` with monthly partitions.
     */
    readonly hourly?: string[];
    /** Quarantine partitions the run wrote, e.g. `weather/quarantine/date=2026-05-07/`. */
    readonly quarantine?: string[];
  };
}

/** The run summary's counts the state machine keeps (a fixed, small set whatever the run's size). */
export interface RunCounts {
  readonly files_read?: number;
  readonly records_in?: number;
  readonly refined?: number;
  readonly quarantined?: number;
  readonly superseded?: number;
  readonly partitions_written?: number;
  readonly reconciled?: boolean;
}

/** The validation parameters of one run. */
export interface ValidationPlan {
  readonly runId: string;
  readonly firstDate: string;
  readonly lastDate: string;
  /** Comma-separated city slugs, sorted. */
  readonly citySlugs: string;
  /** Comma-separated weather source ids, sorted: those the run wrote and the configured ones (Open-Meteo when none is known). */
  readonly sourceIds: string;
  /** The same values as SQL literals, keyed by parameter name, for Athena `ExecutionParameters`. */
  readonly executionParameters: { [name: string]: string };
  /** The run's counts, copied from the summary. */
  readonly counts: RunCounts;
  /**
   * With `missingCityAction: 'ALERT'`, the configured cities the run did not write (when it wrote some), and the
   * parameters of the check run on them alone.
   */
  readonly missingCities?: MissingCities;
}

/** The configured cities a run did not write, checked apart. */
export interface MissingCities {
  /** Comma-separated city slugs, sorted. */
  readonly citySlugs: string;
  /** The plan's execution parameters, with these cities as `citySlugs`. */
  readonly executionParameters: { [name: string]: string };
}

const COUNT_FIELDS = ['files_read', 'records_in', 'refined', 'quarantined', 'superseded', 'partitions_written'] as const;

/**
 * The plan of the run whose summary is at `location`, read with `readObject` (the function passes S3 GetObject).
 * Errors reading or parsing the summary are thrown as `RunSummaryUnreadable`.
 */
export async function planRun(location: RunSummaryLocation,
  readObject: (bucket: string, key: string) => Promise<string>): Promise<ValidationPlan> {
  let summary: RunSummaryPartitions;
  try {
    summary = JSON.parse(await readObject(location.bucket, location.summaryKey));
  } catch (err) {
    const error = new Error(`run ${location.runId}: the run summary s3://${location.bucket}/${location.summaryKey} could not be read: ${(err as Error).message}`);
    error.name = RUN_SUMMARY_UNREADABLE;
    throw error;
  }
  return planValidation({
    runId: location.runId,
    summary,
    expectedCities: location.expectedCities,
    missingCityAction: location.missingCityAction,
    expectedSources: location.expectedSources,
  });
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;

/**
 * The validation parameters of a run, from its run summary: the range of the days it wrote to the hourly table
 * (`hourly_dates`, else the `date=` of its hourly partitions; the dates of its quarantine partitions when it
 * refined nothing) and the cities it wrote. Works for daily and monthly partitions alike, so the orchestrator
 * needs no knowledge of the layout.
 */
export function planValidation(request: ValidationPlanRequest): ValidationPlan {
  const runId = request.runId;
  if (typeof runId !== 'string' || runId === '') {
    throw new Error(`runId must be a non-empty string, got ${JSON.stringify(runId)}`);
  }
  const hourly = (request.summary?.partitions?.hourly ?? []).map(partitionValues);
  const quarantine = (request.summary?.partitions?.quarantine ?? []).map(partitionValues);
  const hourlyDates = request.summary?.hourly_dates;
  let dates = Array.isArray(hourlyDates) && hourlyDates.length > 0
    ? hourlyDates.filter(isDate)
    : hourly.map((p) => p.date).filter(isDate);
  if (dates.length === 0 && hourly.some((p) => p.date === undefined && p.month !== undefined)) {
    throw new Error(`run ${runId}: the run summary lists monthly hourly partitions but no hourly_dates, so the days the run wrote are unknown`);
  }
  if (dates.length === 0) {
    dates = quarantine.map((p) => p.date).filter(isDate);
  }
  if (dates.length === 0 && typeof request.summary?.processed_at === 'string') {
    dates = [request.summary.processed_at.slice(0, 10)].filter(isDate);
  }
  if (dates.length === 0) {
    throw new Error(`run ${runId}: the run summary names no partition and no processed_at date`);
  }
  dates.sort();
  // The cities the run wrote and the configured ones: a configured city that did not arrive then fails the
  // partitions-not-empty check, which names it. With ALERT, the checks expect the cities the run wrote and the
  // others are checked apart (a run that wrote no city at all still expects every one).
  const expected = (request.expectedCities ?? '').split(',').filter((c) => c !== '');
  const written = [...new Set(hourly.map((p) => p.city).filter((c): c is string => c !== undefined))].sort();
  const alertOnly = request.missingCityAction === 'ALERT' && written.length > 0;
  const notWritten = expected.filter((city) => !written.includes(city)).sort();
  const cities = alertOnly ? written : [...new Set([...written, ...expected])].sort();
  const counts: { [name: string]: number | boolean } = {};
  for (const field of COUNT_FIELDS) {
    const value = (request.summary as any)?.[field];
    if (typeof value === 'number') counts[field] = value;
  }
  if (typeof (request.summary as any)?.reconciled === 'boolean') counts.reconciled = (request.summary as any).reconciled;
  // Likewise every source: the run's and the configured ones; a summary of an ETL that predates sources wrote
  // Open-Meteo rows only.
  const writtenSources = Array.isArray(request.summary?.hourly_sources)
    ? request.summary.hourly_sources.filter((s) => typeof s === 'string' && s !== '') : [];
  const configured = (request.expectedSources ?? '').split(',').filter((s) => s !== '');
  const sources = [...new Set([...writtenSources, ...configured])].sort();
  const plan = {
    runId,
    firstDate: dates[0],
    lastDate: dates[dates.length - 1],
    citySlugs: cities.join(','),
    sourceIds: (sources.length > 0 ? sources : [OPEN_METEO]).join(','),
  };
  const executionParameters: { [name: string]: string } = {};
  for (const name of VALIDATION_PARAMETER_NAMES) {
    executionParameters[name] = sqlLiteral((plan as any)[name]);
  }
  if (alertOnly && notWritten.length > 0) {
    const citySlugs = notWritten.join(',');
    const missingCities = { citySlugs, executionParameters: { ...executionParameters, citySlugs: sqlLiteral(citySlugs) } };
    return { ...plan, executionParameters, counts, missingCities };
  }
  return { ...plan, executionParameters, counts };
}

/** A SQL string literal (Athena `ExecutionParameters` take literals). */
export function sqlLiteral(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

/**
 * `weather/hourly/date=2026-05-07/city=lyon/` → `{ date: '2026-05-07', city: 'lyon' }`;
 * `weather/hourly/month=2026-05/city=lyon/` → `{ month: '2026-05', city: 'lyon' }`.
 */
function partitionValues(path: string): { date?: string; month?: string; city?: string } {
  const values: { [key: string]: string } = {};
  for (const segment of String(path).split('/')) {
    const eq = segment.indexOf('=');
    if (eq > 0) {
      values[segment.slice(0, eq)] = segment.slice(eq + 1);
    }
  }
  return { date: values.date, month: values.month, city: values.city };
}

function isDate(value: string | undefined): value is string {
  return value !== undefined && DATE.test(value);
}
