import { CatalogQuery, ValidationQuery } from './catalog-query';
import { PartitionGranularity } from '../contract/partition-granularity';
import { WeatherContract } from '../contract/weather-contract';

/** Where the queries read from. Internal: the construct and the tests build it. */
export interface QueryTarget {
  readonly database: string;
  readonly hourlyTable: string;
  readonly quarantineTable: string;
  /** City slugs known at synth time: the freshness query lists every one of them, even one with no data. */
  readonly citySlugs?: string[];
  /** Largest quarantined / (refined + quarantined) share of a run that passes validation, in [0, 1]. */
  readonly maxQuarantineShare: number;
  /** How many days back the freshness query looks. */
  readonly freshnessLookbackDays: number;
  /** The hourly table's partitions (default `DAY`): with `MONTH`, queries on it also prune on `month`. */
  readonly partitionGranularity?: PartitionGranularity;
  /** First day of the tables' date projection (`yyyy-MM-dd`, default `2024-01-01`): no day before it is visible. */
  readonly projectionStartDate?: string;
  /** How many days after today the date projection reaches (default 16). */
  readonly forecastDays?: number;
}

const quote = (identifier: string) => `"${identifier.replace(/"/g, '""')}"`;
const literal = (text: string) => `'${text.replace(/'/g, "''")}'`;
const num = (value: number) => (Number.isInteger(value) ? value.toFixed(0) : String(value));

function tables(target: QueryTarget) {
  return {
    hourly: `${quote(target.database)}.${quote(target.hourlyTable)}`,
    quarantine: `${quote(target.database)}.${quote(target.quarantineTable)}`,
  };
}

/** `"date" BETWEEN ? AND ?`: every parameterized query prunes on the date partition. */
const DATE_RANGE = '"date" BETWEEN ? AND ?';

/** A filter of the hourly table and the parameters it takes, in order. */
interface HourlyFilter {
  readonly sql: string;
  readonly parameters: string[];
}

/**
 * The filters on the hourly table: `"date"` always (a partition key, or a column with monthly partitions); with
 * monthly partitions also `"month"`, derived from the same values (`substr('2026-05-07', 1, 7)` = `'2026-05'`),
 * so that Athena prunes partitions without any extra parameter.
 */
function hourlyFilters(target: QueryTarget) {
  const monthly = target.partitionGranularity === PartitionGranularity.MONTH;
  const range: HourlyFilter = monthly
    ? { sql: `${DATE_RANGE} AND "month" BETWEEN substr(?, 1, 7) AND substr(?, 1, 7)`, parameters: ['firstDate', 'lastDate', 'firstDate', 'lastDate'] }
    : { sql: DATE_RANGE, parameters: ['firstDate', 'lastDate'] };
  /** How the SQL comments name the range's parameters. */
  const dates = monthly ? 'first date, last date, first date, last date' : 'first date, last date';
  /** `"date" >= <day>` for a day `days` before today (and the month of that day with monthly partitions). */
  const since = (days: number) => {
    const day = `CAST(current_date - INTERVAL '${days}' DAY AS varchar)`;
    return monthly ? `"date" >= ${day} AND "month" >= substr(${day}, 1, 7)` : `"date" >= ${day}`;
  };
  return { range, since, dates };
}

/**
 * The named queries, in the order the console should list them.
 */
export function analyticsQueries(target: QueryTarget): CatalogQuery[] {
  const { hourly, quarantine } = tables(target);
  const { range, since, dates } = hourlyFilters(target);
  const lookback = target.freshnessLookbackDays;
  const cityList = target.citySlugs !== undefined && target.citySlugs.length > 0
    ? target.citySlugs.map((slug) => `(${literal(slug)})`).join(', ')
    : undefined;
  const freshnessFrom = cityList !== undefined
    ? `(VALUES ${cityList}) AS configured(city)\nLEFT JOIN recent ON recent.city = configured.city`
    : 'recent';
  const freshnessCity = cityList !== undefined ? 'configured.city' : 'recent.city';
  return [
    {
      id: 'daily-temperature',
      description: 'Daily minimum, maximum and mean air temperature (°C) per city, between two dates',
      parameters: range.parameters,
      queryString: [
        '-- Daily minimum, maximum and mean air temperature (°C) per city.',
        `-- Parameters: ${dates} ('yyyy-MM-dd', inclusive). Forecast hours count until re-fetched.`,
        'SELECT city,',
        '  "date",',
        '  min(temperature_c) AS min_temperature_c,',
        '  max(temperature_c) AS max_temperature_c,',
        '  round(avg(temperature_c), 2) AS mean_temperature_c,',
        '  count(temperature_c) AS hours,',
        '  count_if(is_forecast) AS forecast_hours',
        `FROM ${hourly}`,
        `WHERE ${range.sql}`,
        'GROUP BY city, "date"',
        'ORDER BY city, "date"',
      ].join('\n'),
    },
    {
      id: 'last-48-hours',
      description: 'Every observed hour of the last 48 hours, per city, newest first',
      parameters: [],
      queryString: [
        '-- Every observed (not forecast) hour of the last 48 hours per city, newest first. Times are UTC.',
        'SELECT city,',
        '  city_name,',
        '  observed_at,',
        ...WeatherContract.VARIABLES.map((v) => `  ${v.column},`),
        '  fetched_at',
        `FROM ${hourly}`,
        `WHERE ${since(2)}`,
        "  AND observed_at > current_timestamp - INTERVAL '48' HOUR",
        '  AND observed_at <= current_timestamp',
        'ORDER BY city, observed_at DESC',
      ].join('\n'),
    },
    {
      id: 'monthly-precipitation',
      description: 'Total observed precipitation (mm) per city and month, between two dates',
      parameters: range.parameters,
      queryString: [
        '-- Total precipitation (mm) per city and month, from observed hours only (forecasts excluded).',
        `-- Parameters: ${dates} ('yyyy-MM-dd', inclusive).`,
        'SELECT city,',
        '  substr("date", 1, 7) AS month,',
        '  round(sum(precipitation_mm), 2) AS precipitation_mm,',
        '  count(precipitation_mm) AS hours',
        `FROM ${hourly}`,
        `WHERE ${range.sql}`,
        '  AND NOT is_forecast',
        'GROUP BY city, substr("date", 1, 7)',
        'ORDER BY city, month',
      ].join('\n'),
    },
    {
      id: 'temperature-extremes',
      description: 'The hottest and the coldest day of each city, between two dates',
      parameters: range.parameters,
      queryString: [
        '-- The hottest day (highest hourly temperature) and the coldest day (lowest) of each city.',
        `-- Parameters: ${dates} ('yyyy-MM-dd', inclusive). Ties go to the earliest day.`,
        'WITH daily AS (',
        '  SELECT city, "date", max(temperature_c) AS max_temperature_c, min(temperature_c) AS min_temperature_c',
        `  FROM ${hourly}`,
        `  WHERE ${range.sql}`,
        '  GROUP BY city, "date"',
        '), ranked AS (',
        '  SELECT daily.*,',
        '    row_number() OVER (PARTITION BY city ORDER BY max_temperature_c DESC, "date") AS hot_rank,',
        '    row_number() OVER (PARTITION BY city ORDER BY min_temperature_c ASC, "date") AS cold_rank',
        '  FROM daily',
        '  WHERE max_temperature_c IS NOT NULL',
        ')',
        'SELECT city,',
        '  max(CASE WHEN hot_rank = 1 THEN "date" END) AS hottest_date,',
        '  max(CASE WHEN hot_rank = 1 THEN max_temperature_c END) AS hottest_temperature_c,',
        '  max(CASE WHEN cold_rank = 1 THEN "date" END) AS coldest_date,',
        '  max(CASE WHEN cold_rank = 1 THEN min_temperature_c END) AS coldest_temperature_c',
        'FROM ranked',
        'GROUP BY city',
        'ORDER BY city',
      ].join('\n'),
    },
    {
      id: 'data-freshness',
      description: `When each city was last fetched and processed, and its newest observed hour (last ${lookback} days)`,
      parameters: [],
      queryString: [
        `-- Data freshness per city over the last ${lookback} days: newest observed hour, last fetch and processing.`,
        ...(cityList !== undefined ? ['-- Every configured city is listed; one without recent data shows NULLs.'] : []),
        'WITH recent AS (',
        '  SELECT city,',
        '    max(city_name) AS city_name,',
        '    max(observed_at) FILTER (WHERE NOT is_forecast) AS latest_observed_hour,',
        '    max(fetched_at) AS last_fetched_at,',
        '    max(processed_at) AS last_processed_at',
        `  FROM ${hourly}`,
        `  WHERE ${since(lookback)}`,
        '  GROUP BY city',
        ')',
        `SELECT ${freshnessCity} AS city,`,
        '  recent.city_name,',
        '  recent.latest_observed_hour,',
        '  recent.last_fetched_at,',
        '  recent.last_processed_at,',
        "  date_diff('minute', recent.last_fetched_at, current_timestamp) AS minutes_since_fetch",
        `FROM ${freshnessFrom}`,
        'ORDER BY minutes_since_fetch DESC NULLS FIRST, city',
      ].join('\n'),
    },
    {
      id: 'quarantine-by-reason',
      description: 'Quarantined records per reason, between two ingestion dates',
      parameters: ['firstDate', 'lastDate'],
      queryString: [
        '-- Quarantined records per reason, with how many raw files and cities they came from.',
        "-- Parameters: first and last ingestion date ('yyyy-MM-dd', inclusive).",
        'SELECT reason,',
        '  count(*) AS records,',
        '  count(DISTINCT source_key) AS source_files,',
        '  count(DISTINCT city) AS cities,',
        '  min(quarantined_at) AS first_quarantined_at,',
        '  max(quarantined_at) AS last_quarantined_at',
        `FROM ${quarantine}`,
        `WHERE ${DATE_RANGE}`,
        'GROUP BY reason',
        'ORDER BY records DESC, reason',
      ].join('\n'),
    },
  ];
}

/**
 * The checks the orchestrator runs after each ETL run; each returns one row with a boolean `passed`.
 */
export function validationQueries(target: QueryTarget): ValidationQuery[] {
  const { hourly, quarantine } = tables(target);
  const { range, dates } = hourlyFilters(target);
  const outOfRange = WeatherContract.VARIABLES.map((v) => ({
    column: v.column,
    predicate: `${v.column} NOT BETWEEN ${num(v.minimum)} AND ${num(v.maximum)}`,
  }));
  const share = num(target.maxQuarantineShare);
  const projectionStart = target.projectionStartDate ?? '2024-01-01';
  const forecastDays = num(target.forecastDays ?? 16);
  const expectedCities = target.citySlugs !== undefined && target.citySlugs.length > 0
    ? {
      describe: 'are the configured ones',
      from: `(VALUES ${target.citySlugs.map((slug) => `(${literal(slug)})`).join(', ')}) AS cities(city)`,
    }
    : {
      // Injected city projection: no list at synth time, so the cities are those with a row in the run's range.
      describe: 'are those with a row in the date range (no city list is configured)',
      from: '(SELECT DISTINCT city FROM actual) AS cities',
    };
  return [
    {
      id: 'partitions-not-empty',
      description: 'Every (date, city) partition the run was expected to write holds at least one row',
      parameters: [...range.parameters, 'firstDate', 'lastDate', 'citySlugs'],
      queryString: [
        '-- Every expected (date, city) partition of the run holds at least one row.',
        `-- Parameters: ${dates}, first date, last date ('yyyy-MM-dd'), city slugs ('a,b,c').`,
        '-- Athena takes parameters only in WHERE: the expected days are every day the table projects, and the',
        `-- expected cities ${expectedCities.describe}, both filtered by the parameters.`,
        'WITH actual AS (',
        '  SELECT "date", city, count(*) AS row_count',
        `  FROM ${hourly}`,
        `  WHERE ${range.sql}`,
        '  GROUP BY "date", city',
        '), expected AS (',
        '  SELECT CAST(day AS varchar) AS "date", cities.city',
        '  FROM (',
        '    -- Whole months from the projection start, 31 days each, cut at the next month: no sequence over 10,000 entries.',
        '    SELECT date_add(\'day\', offset_days, month_start) AS day',
        `    FROM UNNEST(sequence(DATE ${literal(projectionStart)}, current_date + INTERVAL '${forecastDays}' DAY, INTERVAL '1' MONTH)) AS months(month_start)`,
        '    CROSS JOIN UNNEST(sequence(0, 30)) AS offsets(offset_days)',
        '    WHERE date_add(\'day\', offset_days, month_start) < date_add(\'month\', 1, month_start)',
        '  ) AS days',
        `  CROSS JOIN ${expectedCities.from}`,
        '  WHERE day BETWEEN CAST(? AS date) AND CAST(? AS date)',
        "    AND contains(split(?, ','), cities.city)",
        ')',
        'SELECT count_if(actual.row_count IS NULL) = 0 AS passed,',
        '  count(*) AS expected_partitions,',
        '  count_if(actual.row_count IS NULL) AS empty_partitions,',
        "  coalesce(array_join(array_agg(expected.\"date\" || '/' || expected.city ORDER BY expected.\"date\", expected.city)"
          + " FILTER (WHERE actual.row_count IS NULL), ','), '') AS empty_partition_list,",
        '  coalesce(min(actual.row_count), 0) AS min_rows_per_partition',
        'FROM expected',
        'LEFT JOIN actual ON actual."date" = expected."date" AND actual.city = expected.city',
      ].join('\n'),
    },
    {
      id: 'no-duplicate-hours',
      description: 'No (city, hour) appears more than once in the run\'s date partitions',
      parameters: range.parameters,
      queryString: [
        '-- No (city, observed_at) appears twice in the date partitions of the run.',
        `-- Parameters: ${dates} ('yyyy-MM-dd', inclusive).`,
        'SELECT count(*) = 0 AS passed,',
        '  count(*) AS duplicated_hours,',
        '  coalesce(sum(copies - 1), 0) AS extra_rows',
        'FROM (',
        '  SELECT city, observed_at, count(*) AS copies',
        `  FROM ${hourly}`,
        `  WHERE ${range.sql}`,
        '  GROUP BY city, observed_at',
        '  HAVING count(*) > 1',
        ') AS duplicates',
      ].join('\n'),
    },
    {
      id: 'values-in-range',
      description: 'Every weather value in the run\'s date partitions lies inside its physical range (nulls allowed)',
      parameters: range.parameters,
      queryString: [
        '-- Every weather value lies inside its physical range from the data contract; nulls are allowed.',
        `-- Parameters: ${dates} ('yyyy-MM-dd', inclusive).`,
        `SELECT count_if(${outOfRange.map((o) => o.predicate).join(' OR ')}) = 0 AS passed,`,
        '  count(*) AS rows_checked,',
        `  count_if(${outOfRange.map((o) => o.predicate).join(' OR ')}) AS rows_out_of_range,`,
        ...outOfRange.map((o, i) => `  count_if(${o.predicate}) AS ${o.column}_out_of_range${i === outOfRange.length - 1 ? '' : ','}`),
        `FROM ${hourly}`,
        `WHERE ${range.sql}`,
      ].join('\n'),
    },
    {
      id: 'quarantine-share',
      description: `The run quarantined at most ${share} of its records (quarantined / (refined + quarantined))`,
      parameters: [...range.parameters, 'runId', 'firstDate', 'lastDate', 'runId'],
      queryString: [
        `-- The share of the run's records sent to quarantine is at most ${share}.`,
        `-- Parameters: ${dates}, run id, first date, last date, run id. The date range must include`,
        '-- the ingestion date: the quarantine is partitioned by it.',
        'WITH refined AS (',
        '  SELECT count(*) AS records',
        `  FROM ${hourly}`,
        `  WHERE ${range.sql} AND run_id = ?`,
        '), quarantined AS (',
        '  SELECT count(*) AS records',
        `  FROM ${quarantine}`,
        `  WHERE ${DATE_RANGE} AND run_id = ?`,
        '), totals AS (',
        '  SELECT refined.records AS refined_records,',
        '    quarantined.records AS quarantined_records,',
        '    CASE WHEN refined.records + quarantined.records = 0 THEN 0.0',
        '      ELSE CAST(quarantined.records AS double) / (refined.records + quarantined.records) END AS quarantine_share',
        '  FROM refined CROSS JOIN quarantined',
        ')',
        `SELECT quarantine_share <= ${share} AS passed,`,
        '  refined_records,',
        '  quarantined_records,',
        '  quarantine_share,',
        `  CAST(${share} AS double) AS max_quarantine_share`,
        'FROM totals',
      ].join('\n'),
    },
  ];
}
