import { CatalogQuery, ValidationQuery } from './catalog-query';
import { PartitionGranularity } from '../contract/partition-granularity';
import { WeatherContract } from '../contract/weather-contract';

/** Where the queries read from. Internal: the construct and the tests build it. */
export interface QueryTarget {
  readonly database: string;
  readonly hourlyTable: string;
  readonly quarantineTable: string;
  /** The staging table: every validated hour of every fetch. */
  readonly stagingTable: string;
  /** The curated daily table. */
  readonly dailyTable: string;
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
    staging: `${quote(target.database)}.${quote(target.stagingTable)}`,
    daily: `${quote(target.database)}.${quote(target.dailyTable)}`,
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
 * The filter of the daily table on a range of days: `"date"` (its partition key) with daily partitions; with monthly
 * partitions the `day` column and the `month` partition key, derived from the same values.
 */
function dailyRange(target: QueryTarget): HourlyFilter {
  return target.partitionGranularity === PartitionGranularity.MONTH
    ? { sql: 'day BETWEEN CAST(? AS date) AND CAST(? AS date) AND "month" BETWEEN substr(?, 1, 7) AND substr(?, 1, 7)', parameters: ['firstDate', 'lastDate', 'firstDate', 'lastDate'] }
    : { sql: DATE_RANGE, parameters: ['firstDate', 'lastDate'] };
}

/** The `source=` value of a landing key, in SQL: the source of an hourly row (the staging and daily tables have a column). */
const SOURCE_OF_KEY = "regexp_extract(source_key, 'source=([^/]+)/', 1)";

/**
 * The named queries on the staging and daily tables (issue #18): the forecast's history and the curated days.
 */
function forecastQueries(target: QueryTarget): CatalogQuery[] {
  const { hourly, staging, daily } = tables(target);
  const { range, dates } = hourlyFilters(target);
  const days = dailyRange(target);
  return [
    {
      id: 'forecast-evolution',
      description: 'How the forecast of one city and hour changed fetch after fetch (from the staging table)',
      parameters: ['citySlug', 'observedAt', 'firstIngestDate', 'lastIngestDate'],
      queryString: [
        '-- Every fetch of one city and UTC hour, oldest first: how its forecast changed as the hour approached.',
        "-- Parameters: city slug, the hour ('yyyy-MM-dd HH:mm:ss', UTC), first and last ingestion date ('yyyy-MM-dd').",
        '-- lead_time_hours is observed_at - fetched_at: positive for a forecast, zero or negative once observed.',
        'SELECT source,',
        '  city_name,',
        '  observed_at,',
        '  fetched_at,',
        '  lead_time_hours,',
        '  is_forecast,',
        ...WeatherContract.VARIABLES.map((v) => `  ${v.column},`),
        '  batch_id',
        `FROM ${staging}`,
        'WHERE city = ? AND observed_at = CAST(? AS timestamp) AND ingest_date BETWEEN ? AND ?',
        'ORDER BY source, fetched_at, batch_id',
      ].join('\n'),
    },
    {
      id: 'forecast-error-by-lead-time',
      description: 'Temperature forecast error by lead time (in days) against the final, observed value of each hour',
      parameters: ['firstIngestDate', 'lastIngestDate', ...range.parameters],
      queryString: [
        '-- Temperature forecast error per source and lead time, against the final value of the hour: the hourly',
        '-- table\'s row once it is observed (is_forecast false). lead_days 0 = less than 24 hours ahead.',
        `-- Parameters: first and last ingestion date of the forecasts ('yyyy-MM-dd'), then ${dates} of the hours.`,
        'WITH forecasts AS (',
        '  SELECT source, city, observed_at, lead_time_hours, temperature_c',
        `  FROM ${staging}`,
        '  WHERE ingest_date BETWEEN ? AND ? AND is_forecast AND temperature_c IS NOT NULL',
        '), finals AS (',
        `  SELECT ${SOURCE_OF_KEY} AS source, city, observed_at, temperature_c`,
        `  FROM ${hourly}`,
        `  WHERE ${range.sql} AND NOT is_forecast AND temperature_c IS NOT NULL`,
        '), errors AS (',
        '  SELECT forecasts.source, CAST(floor(forecasts.lead_time_hours / 24) AS integer) AS lead_days,',
        '    forecasts.temperature_c - finals.temperature_c AS error_c',
        '  FROM forecasts',
        '  JOIN finals ON finals.source = forecasts.source AND finals.city = forecasts.city AND finals.observed_at = forecasts.observed_at',
        ')',
        'SELECT source,',
        '  lead_days,',
        '  count(*) AS forecasts,',
        '  round(avg(abs(error_c)), 3) AS mean_absolute_error_c,',
        '  round(avg(error_c), 3) AS bias_c,',
        '  round(sqrt(avg(error_c * error_c)), 3) AS rmse_c',
        'FROM errors',
        'GROUP BY source, lead_days',
        'ORDER BY source, lead_days',
      ].join('\n'),
    },
    {
      id: 'monthly-climate-summary',
      description: 'Monthly climate summary per source and city, from the daily table, between two dates',
      parameters: days.parameters,
      queryString: [
        '-- Monthly climate per source and city from the daily table: temperature extremes and mean, precipitation,',
        '-- wet days (at least 1 mm), strongest wind; days still holding forecast hours are counted apart.',
        `-- Parameters: ${days.parameters.length === 4 ? 'first date, last date, first date, last date' : 'first date, last date'} ('yyyy-MM-dd', inclusive).`,
        'SELECT source,',
        '  city,',
        '  max(city_name) AS city_name,',
        "  date_format(day, '%Y-%m') AS month,",
        '  count(*) AS days,',
        '  count_if(is_complete) AS complete_days,',
        '  count_if(has_forecast_hours) AS days_with_forecast_hours,',
        '  min(temperature_min_c) AS min_temperature_c,',
        '  max(temperature_max_c) AS max_temperature_c,',
        '  round(avg(temperature_mean_c), 2) AS mean_temperature_c,',
        '  round(sum(precipitation_sum_mm), 2) AS precipitation_mm,',
        '  count_if(precipitation_sum_mm >= 1.0) AS wet_days,',
        '  max(wind_speed_max_kmh) AS max_wind_speed_kmh',
        `FROM ${daily}`,
        `WHERE ${days.sql}`,
        "GROUP BY source, city, date_format(day, '%Y-%m')",
        'ORDER BY source, city, month',
      ].join('\n'),
    },
  ];
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
      description: 'Daily minimum, maximum and mean air temperature (°C) per city and source, between two dates',
      parameters: range.parameters,
      queryString: [
        '-- Daily minimum, maximum and mean air temperature (°C) per city and weather source.',
        `-- Parameters: ${dates} ('yyyy-MM-dd', inclusive). Forecast hours count until re-fetched.`,
        'SELECT city,',
        '  source,',
        '  "date",',
        '  min(temperature_c) AS min_temperature_c,',
        '  max(temperature_c) AS max_temperature_c,',
        '  round(avg(temperature_c), 2) AS mean_temperature_c,',
        '  count(temperature_c) AS hours,',
        '  count_if(is_forecast) AS forecast_hours',
        `FROM ${hourly}`,
        `WHERE ${range.sql}`,
        'GROUP BY city, source, "date"',
        'ORDER BY city, source, "date"',
      ].join('\n'),
    },
    {
      id: 'last-48-hours',
      description: 'Every observed hour of the last 48 hours, per city and source, newest first',
      parameters: [],
      queryString: [
        '-- Every observed (not forecast) hour of the last 48 hours per city and source, newest first. Times are UTC.',
        'SELECT city,',
        '  city_name,',
        '  source,',
        '  observed_at,',
        ...WeatherContract.VARIABLES.map((v) => `  ${v.column},`),
        ...WeatherContract.SOURCE_VARIABLES.map((v) => `  ${v.column},`),
        '  symbol_code,',
        '  fetched_at',
        `FROM ${hourly}`,
        `WHERE ${since(2)}`,
        "  AND observed_at > current_timestamp - INTERVAL '48' HOUR",
        '  AND observed_at <= current_timestamp',
        'ORDER BY city, source, observed_at DESC',
      ].join('\n'),
    },
    {
      id: 'monthly-precipitation',
      description: 'Total observed precipitation (mm) per city, source and month, between two dates',
      parameters: range.parameters,
      queryString: [
        '-- Total precipitation (mm) per city, source and month, from observed hours only (forecasts excluded).',
        `-- Parameters: ${dates} ('yyyy-MM-dd', inclusive). A source without precipitation_mm (MET Norway forecasts`,
        '-- the hour ahead, precipitation_next_1h_mm) has 0 hours.',
        'SELECT city,',
        '  source,',
        '  substr("date", 1, 7) AS month,',
        '  round(sum(precipitation_mm), 2) AS precipitation_mm,',
        '  count(precipitation_mm) AS hours',
        `FROM ${hourly}`,
        `WHERE ${range.sql}`,
        '  AND NOT is_forecast',
        'GROUP BY city, source, substr("date", 1, 7)',
        'ORDER BY city, source, month',
      ].join('\n'),
    },
    {
      id: 'temperature-extremes',
      description: 'The hottest and the coldest day of each city, per source, between two dates',
      parameters: range.parameters,
      queryString: [
        '-- The hottest day (highest hourly temperature) and the coldest day (lowest) of each city, per source.',
        `-- Parameters: ${dates} ('yyyy-MM-dd', inclusive). Ties go to the earliest day.`,
        'WITH daily AS (',
        '  SELECT city, source, "date", max(temperature_c) AS max_temperature_c, min(temperature_c) AS min_temperature_c',
        `  FROM ${hourly}`,
        `  WHERE ${range.sql}`,
        '  GROUP BY city, source, "date"',
        '), ranked AS (',
        '  SELECT daily.*,',
        '    row_number() OVER (PARTITION BY city, source ORDER BY max_temperature_c DESC, "date") AS hot_rank,',
        '    row_number() OVER (PARTITION BY city, source ORDER BY min_temperature_c ASC, "date") AS cold_rank',
        '  FROM daily',
        '  WHERE max_temperature_c IS NOT NULL',
        ')',
        'SELECT city,',
        '  source,',
        '  max(CASE WHEN hot_rank = 1 THEN "date" END) AS hottest_date,',
        '  max(CASE WHEN hot_rank = 1 THEN max_temperature_c END) AS hottest_temperature_c,',
        '  max(CASE WHEN cold_rank = 1 THEN "date" END) AS coldest_date,',
        '  max(CASE WHEN cold_rank = 1 THEN min_temperature_c END) AS coldest_temperature_c',
        'FROM ranked',
        'GROUP BY city, source',
        'ORDER BY city, source',
      ].join('\n'),
    },
    {
      id: 'data-freshness',
      description: `When each city was last fetched and processed, per source, and its newest observed hour (last ${lookback} days)`,
      parameters: [],
      queryString: [
        `-- Data freshness per city and source over the last ${lookback} days: newest observed hour, last fetch and processing.`,
        ...(cityList !== undefined ? ['-- Every configured city is listed; one without recent data shows NULLs.'] : []),
        'WITH recent AS (',
        '  SELECT city,',
        '    source,',
        '    max(city_name) AS city_name,',
        '    max(observed_at) FILTER (WHERE NOT is_forecast) AS latest_observed_hour,',
        '    max(fetched_at) AS last_fetched_at,',
        '    max(processed_at) AS last_processed_at',
        `  FROM ${hourly}`,
        `  WHERE ${since(lookback)}`,
        '  GROUP BY city, source',
        ')',
        `SELECT ${freshnessCity} AS city,`,
        '  recent.source,',
        '  recent.city_name,',
        '  recent.latest_observed_hour,',
        '  recent.last_fetched_at,',
        '  recent.last_processed_at,',
        "  date_diff('minute', recent.last_fetched_at, current_timestamp) AS minutes_since_fetch",
        `FROM ${freshnessFrom}`,
        'ORDER BY minutes_since_fetch DESC NULLS FIRST, city, recent.source',
      ].join('\n'),
    },
    {
      id: 'quarantine-by-reason',
      description: 'Quarantined records per source and reason, between two ingestion dates',
      parameters: ['firstDate', 'lastDate'],
      queryString: [
        '-- Quarantined records per weather source and reason, with how many raw files and cities they came from.',
        "-- Parameters: first and last ingestion date ('yyyy-MM-dd', inclusive). The source is the landing key's",
        '-- source= (empty for a key outside the layout).',
        `SELECT ${SOURCE_OF_KEY} AS source,`,
        '  reason,',
        '  count(*) AS records,',
        '  count(DISTINCT source_key) AS source_files,',
        '  count(DISTINCT city) AS cities,',
        '  min(quarantined_at) AS first_quarantined_at,',
        '  max(quarantined_at) AS last_quarantined_at',
        `FROM ${quarantine}`,
        `WHERE ${DATE_RANGE}`,
        `GROUP BY ${SOURCE_OF_KEY}, reason`,
        'ORDER BY records DESC, reason, source',
      ].join('\n'),
    },
    ...forecastQueries(target),
    compareSources(hourly, range),
  ];
}

/** The columns the comparison query puts side by side: those both built-in sources fill with the same meaning. */
const COMPARED = ['temperature_c', 'relative_humidity_pct', 'wind_speed_kmh', 'wind_direction_deg', 'cloud_cover_pct'];

/**
 * Every pair of sources, hour by hour, for one city: each one's values, the differences, and each one's code.
 */
function compareSources(hourly: string, range: HourlyFilter): CatalogQuery {
  return {
    id: 'compare-sources',
    description: 'Two weather sources side by side, hour by hour, for one city, between two dates',
    parameters: [...range.parameters, 'city'],
    queryString: [
      '-- The weather sources side by side, hour by hour, for one city: one row per hour and pair of sources that',
      '-- both have it (source_a < source_b), with each source\'s values and the difference b - a. Times are UTC.',
      `-- Parameters: the dates ('yyyy-MM-dd', inclusive) of the range (${range.parameters.join(', ')}), then the city slug.`,
      'WITH city_hours AS (',
      `  SELECT source, observed_at, is_forecast, fetched_at, weather_code, symbol_code, ${COMPARED.join(', ')}`,
      `  FROM ${hourly}`,
      `  WHERE ${range.sql} AND city = ?`,
      ')',
      'SELECT a.observed_at,',
      '  a.source AS source_a,',
      '  b.source AS source_b,',
      ...COMPARED.flatMap((column) => [
        `  a.${column} AS ${column}_a,`,
        `  b.${column} AS ${column}_b,`,
        `  round(b.${column} - a.${column}, 2) AS ${column}_diff,`,
      ]),
      '  a.weather_code AS weather_code_a,',
      '  b.weather_code AS weather_code_b,',
      '  a.symbol_code AS symbol_code_a,',
      '  b.symbol_code AS symbol_code_b,',
      '  a.is_forecast AND b.is_forecast AS both_forecast,',
      '  a.fetched_at AS fetched_at_a,',
      '  b.fetched_at AS fetched_at_b',
      'FROM city_hours AS a',
      'JOIN city_hours AS b ON b.observed_at = a.observed_at AND b.source > a.source',
      'ORDER BY a.observed_at, source_a, source_b',
    ].join('\n'),
  };
}

/**
 * The checks the orchestrator runs after each ETL run; each returns one row with a boolean `passed`.
 */
export function validationQueries(target: QueryTarget): ValidationQuery[] {
  const { hourly, quarantine } = tables(target);
  const { range, dates } = hourlyFilters(target);
  const outOfRange = [...WeatherContract.VARIABLES, ...WeatherContract.SOURCE_VARIABLES].map((v) => ({
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
      description: 'Every (date, city) partition the run was expected to write holds at least one row of each expected source',
      parameters: [...range.parameters, 'firstDate', 'lastDate', 'citySlugs', 'sourceIds'],
      queryString: [
        '-- Every expected (date, city) partition of the run holds at least one row of each expected weather source.',
        `-- Parameters: ${dates}, first date, last date ('yyyy-MM-dd'), city slugs ('a,b,c'), source ids ('a,b').`,
        '-- Athena takes parameters only in WHERE: the expected days are every day the table projects, the',
        `-- expected cities ${expectedCities.describe}, and the sources every source the contract knows, all`,
        '-- filtered by the parameters. Rows written before rows had a source are Open-Meteo\'s.',
        'WITH actual AS (',
        `  SELECT "date", city, coalesce(source, ${literal(WeatherContract.SOURCE)}) AS source, count(*) AS row_count`,
        `  FROM ${hourly}`,
        `  WHERE ${range.sql}`,
        `  GROUP BY "date", city, coalesce(source, ${literal(WeatherContract.SOURCE)})`,
        '), expected AS (',
        '  SELECT CAST(day AS varchar) AS "date", cities.city, sources.source',
        '  FROM (',
        '    -- Whole months from the projection start, 31 days each, cut at the next month: no sequence over 10,000 entries.',
        '    SELECT date_add(\'day\', offset_days, month_start) AS day',
        `    FROM UNNEST(sequence(DATE ${literal(projectionStart)}, current_date + INTERVAL '${forecastDays}' DAY, INTERVAL '1' MONTH)) AS months(month_start)`,
        '    CROSS JOIN UNNEST(sequence(0, 30)) AS offsets(offset_days)',
        '    WHERE date_add(\'day\', offset_days, month_start) < date_add(\'month\', 1, month_start)',
        '  ) AS days',
        `  CROSS JOIN ${expectedCities.from}`,
        `  CROSS JOIN (VALUES ${WeatherContract.SOURCES.map((source) => `(${literal(source.id)})`).join(', ')}) AS sources(source)`,
        '  WHERE day BETWEEN CAST(? AS date) AND CAST(? AS date)',
        "    AND contains(split(?, ','), cities.city)",
        "    AND contains(split(?, ','), sources.source)",
        ')',
        'SELECT count_if(actual.row_count IS NULL) = 0 AS passed,',
        '  count(*) AS expected_partitions,',
        '  count_if(actual.row_count IS NULL) AS empty_partitions,',
        "  coalesce(array_join(array_agg(expected.\"date\" || '/' || expected.city || '/' || expected.source"
          + ' ORDER BY expected."date", expected.city, expected.source)'
          + " FILTER (WHERE actual.row_count IS NULL), ','), '') AS empty_partition_list,",
        '  coalesce(min(actual.row_count), 0) AS min_rows_per_partition',
        'FROM expected',
        'LEFT JOIN actual ON actual."date" = expected."date" AND actual.city = expected.city AND actual.source = expected.source',
      ].join('\n'),
    },
    {
      id: 'no-duplicate-hours',
      description: 'No (source, city, hour) appears more than once in the run\'s date partitions',
      parameters: range.parameters,
      queryString: [
        '-- No (source, city, observed_at) appears twice in the date partitions of the run: one row per source.',
        `-- Parameters: ${dates} ('yyyy-MM-dd', inclusive).`,
        'SELECT count(*) = 0 AS passed,',
        '  count(*) AS duplicated_hours,',
        '  coalesce(sum(copies - 1), 0) AS extra_rows',
        'FROM (',
        '  SELECT source, city, observed_at, count(*) AS copies',
        `  FROM ${hourly}`,
        `  WHERE ${range.sql}`,
        '  GROUP BY source, city, observed_at',
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
    dailyConsistencyQuery(target),
  ];
}

/**
 * The daily table agrees with the hourly one over the run's days (issue #18): exactly one daily row per source, city
 * and day that has hourly rows, none without, `hours_present` the day's hourly row count, the temperature extremes
 * those of the hourly values, and the mean between them.
 */
function dailyConsistencyQuery(target: QueryTarget): ValidationQuery {
  const { hourly, daily } = tables(target);
  const { range, dates } = hourlyFilters(target);
  const days = dailyRange(target);
  return {
    id: 'daily-consistent',
    description: 'One daily row per source, city and day of the run\'s days, consistent with the hourly rows (hours, extremes, mean)',
    parameters: [...range.parameters, ...days.parameters],
    queryString: [
      '-- The daily table has exactly one row per source, city and day that has hourly rows (and none without),',
      '-- with hours_present = the hourly row count, the hourly temperature extremes, and min <= mean <= max.',
      `-- Parameters: ${dates} of the hourly table, then the same dates for the daily table ('yyyy-MM-dd').`,
      'WITH hourly_days AS (',
      `  SELECT ${SOURCE_OF_KEY} AS source, city, "date" AS day_text, count(*) AS hours,`,
      '    min(temperature_c) AS temperature_min_c, max(temperature_c) AS temperature_max_c',
      `  FROM ${hourly}`,
      `  WHERE ${range.sql}`,
      '  GROUP BY 1, 2, 3',
      '), daily_days AS (',
      '  SELECT source, city, CAST(day AS varchar) AS day_text, count(*) AS copies, max(hours_present) AS hours_present,',
      '    max(temperature_min_c) AS temperature_min_c, max(temperature_max_c) AS temperature_max_c,',
      '    max(temperature_mean_c) AS temperature_mean_c',
      `  FROM ${daily}`,
      `  WHERE ${days.sql}`,
      '  GROUP BY 1, 2, 3',
      '), compared AS (',
      '  SELECT coalesce(h.city, d.city) AS city, coalesce(h.day_text, d.day_text) AS day_text,',
      "    CASE WHEN d.copies IS NULL THEN 'no daily row'",
      "      WHEN h.hours IS NULL THEN 'daily row without hourly rows'",
      "      WHEN d.copies > 1 THEN 'duplicated daily row'",
      "      WHEN d.hours_present <> h.hours THEN 'hours_present differs from the hourly row count'",
      '      WHEN d.temperature_min_c IS DISTINCT FROM h.temperature_min_c OR d.temperature_max_c IS DISTINCT FROM h.temperature_max_c',
      "        THEN 'temperature extremes differ from the hourly values'",
      "      WHEN d.temperature_mean_c < d.temperature_min_c OR d.temperature_mean_c > d.temperature_max_c THEN 'mean outside min..max'",
      '    END AS problem',
      '  FROM hourly_days AS h',
      '  FULL OUTER JOIN daily_days AS d ON d.source = h.source AND d.city = h.city AND d.day_text = h.day_text',
      ')',
      'SELECT count(problem) = 0 AS passed,',
      '  count(*) AS days_checked,',
      '  count(problem) AS inconsistent_days,',
      "  coalesce(array_join(slice(array_agg(day_text || '/' || city || ': ' || problem ORDER BY day_text, city)"
        + " FILTER (WHERE problem IS NOT NULL), 1, 20), ', '), '') AS inconsistent_day_list",
      'FROM compared',
    ].join('\n'),
  };
}
