import { WeatherContract } from '../../contract/weather-contract';

/** The parameter names validation queries may take (see `ValidationQuery.parameters`). */
export const VALIDATION_PARAMETER_NAMES = ['firstDate', 'lastDate', 'citySlugs', 'runId'];

/** What the state machine hands the planner: the run id and the ETL's run summary. */
export interface ValidationPlanRequest {
  readonly runId: string;
  /** The run summary the Glue job wrote (`WeatherContract.RUN_SUMMARY_PREFIX`), parsed. */
  readonly summary: RunSummaryPartitions;
}

/** The part of the ETL run summary the planner reads. */
export interface RunSummaryPartitions {
  readonly run_id?: string;
  readonly processed_at?: string;
  readonly partitions?: {
    /** Hourly partitions the run wrote, e.g. `weather/hourly/date=2026-05-07/city=lyon/` (sorted). */
    readonly hourly?: string[];
    /** Quarantine partitions the run wrote, e.g. `weather/quarantine/date=2026-05-07/`. */
    readonly quarantine?: string[];
  };
}

/** The validation parameters of one run. */
export interface ValidationPlan {
  readonly runId: string;
  readonly firstDate: string;
  readonly lastDate: string;
  /** Comma-separated city slugs, sorted. */
  readonly citySlugs: string;
  /** The same values as SQL literals, keyed by parameter name, for Athena `ExecutionParameters`. */
  readonly executionParameters: { [name: string]: string };
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;

/**
 * The validation parameters of a run, from its run summary: the date range of the hourly partitions it wrote
 * (of its quarantine partitions when it refined nothing) and the cities it wrote.
 */
export function planValidation(request: ValidationPlanRequest): ValidationPlan {
  const runId = request.runId;
  if (typeof runId !== 'string' || runId === '') {
    throw new Error(`runId must be a non-empty string, got ${JSON.stringify(runId)}`);
  }
  const hourly = (request.summary?.partitions?.hourly ?? []).map(partitionValues);
  const quarantine = (request.summary?.partitions?.quarantine ?? []).map(partitionValues);
  let dates = hourly.map((p) => p.date).filter(isDate);
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
  const cities = [...new Set(hourly.map((p) => p.city).filter((c): c is string => c !== undefined))].sort();
  const plan = {
    runId,
    firstDate: dates[0],
    lastDate: dates[dates.length - 1],
    citySlugs: cities.join(','),
  };
  const executionParameters: { [name: string]: string } = {};
  for (const name of VALIDATION_PARAMETER_NAMES) {
    executionParameters[name] = sqlLiteral((plan as any)[name]);
  }
  return { ...plan, executionParameters };
}

/** A SQL string literal (Athena `ExecutionParameters` take literals). */
export function sqlLiteral(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

/** `weather/hourly/date=2026-05-07/city=lyon/` → `{ date: '2026-05-07', city: 'lyon' }`. */
function partitionValues(path: string): { date?: string; city?: string } {
  const values: { [key: string]: string } = {};
  for (const segment of String(path).split('/')) {
    const eq = segment.indexOf('=');
    if (eq > 0) {
      values[segment.slice(0, eq)] = segment.slice(eq + 1);
    }
  }
  const [dateKey, cityKey] = WeatherContract.PARTITION_KEYS;
  return { date: values[dateKey], city: values[cityKey] };
}

function isDate(value: string | undefined): value is string {
  return value !== undefined && DATE.test(value);
}
