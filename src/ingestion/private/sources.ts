/**
 * What the ingestion handler does differently per weather source: the request URL, the call weight, the body cap,
 * the User-Agent, what a usable body looks like and what an error answer means. One place for both sides: the
 * `WeatherSource` class builds its URLs with these functions, and the handler calls them.
 *
 * This module is bundled into the Lambda: it must not import aws-cdk-lib.
 */
import { shapeProblem } from './http-fetch';
import {
  ARCHIVE_PATH, derivedBodyCap, FORECAST_PATH, MET_NORWAY_ID, OPEN_METEO_ID, OPEN_METEO_USER_AGENT, RuntimeConfig, SourceConfig,
} from './runtime-config';
import { callWeight } from './schedule-math';
import { City } from '../../contract/city';
import { WeatherContract } from '../../contract/weather-contract';

/** The date range of a backfill run. */
export interface DateRange {
  readonly startDate: string;
  readonly endDate: string;
}

/** MET Norway Locationforecast 2.0: path under the base URL, per endpoint. */
export const MET_NORWAY_PATH = '/weatherapi/locationforecast/2.0/';

/**
 * Body caps of MET Norway answers: one forecast (about 9 days, 80 to 90 time steps) is tens of KB compact and a few
 * hundred KB complete; the caps leave room for the provider adding parameters.
 */
export const MET_NORWAY_BODY_CAP_BYTES: Record<string, number> = { compact: 512 * 1024, complete: 2 * 1024 * 1024 };

/** A coordinate with at most 4 decimals, as MET Norway's terms ask (more decimals defeat its cache and get blocked). */
export function fourDecimals(value: number): string {
  return String(Math.round(value * 1e4) / 1e4);
}

/** The sources of a configuration: `config.sources`, or Open-Meteo alone at `maxCallsPerMinute`. */
export function configuredSources(config: Pick<RuntimeConfig, 'sources' | 'maxCallsPerMinute'>, defaultCallsPerMinute: number): SourceConfig[] {
  return config.sources ?? [{ id: OPEN_METEO_ID, maxCallsPerMinute: config.maxCallsPerMinute ?? defaultCallsPerMinute }];
}

/**
 * The mapping of a source's bodies: the response format the data contract document lists for the source
 * (`sources[].responseFormat`), which picks the ETL's parser. Compact and complete share one format.
 */
export function sourceMapping(source: Pick<SourceConfig, 'id'>): string {
  return source.id === MET_NORWAY_ID ? 'MET_NORWAY_TIMESERIES' : 'OPEN_METEO_HOURLY_ARRAYS';
}

/** Prefix of a source's raw responses in the landing bucket. */
export function sourceRawPrefix(sourceId: string): string {
  return `weather/raw/source=${sourceId}/`;
}

/** Whether `source` can fetch a date range of the past (a backfill). */
export function supportsBackfill(source: SourceConfig): boolean {
  return source.id === OPEN_METEO_ID;
}

/** The request URL of one city for `source`. */
export function sourceRequestUrl(source: SourceConfig, config: Pick<RuntimeConfig, 'apiBaseUrl' | 'archiveApiBaseUrl' | 'pastDays' | 'forecastDays'>, city: City, backfill?: DateRange): string {
  if (source.id === MET_NORWAY_ID) {
    if (backfill !== undefined) {
      throw new Error('MET Norway Locationforecast has no archive: it cannot backfill');
    }
    return `${source.baseUrl}${MET_NORWAY_PATH}${source.endpoint}?lat=${fourDecimals(city.latitude)}&lon=${fourDecimals(city.longitude)}`;
  }
  return openMeteoUrl(config, city, backfill);
}

/** The Open-Meteo request URL of one city: coordinates, the contract's hourly variables, UTC times. */
export function openMeteoUrl(config: Pick<RuntimeConfig, 'apiBaseUrl' | 'archiveApiBaseUrl' | 'pastDays' | 'forecastDays'>, city: City, backfill?: DateRange): string {
  const base = (backfill ? config.archiveApiBaseUrl : config.apiBaseUrl).replace(/\/+$/, '');
  const params: Array<[string, string]> = [
    ['latitude', String(city.latitude)],
    ['longitude', String(city.longitude)],
    ['hourly', WeatherContract.VARIABLES.map((v) => v.apiName).join(',')],
  ];
  if (backfill) {
    params.push(['start_date', backfill.startDate], ['end_date', backfill.endDate]);
  } else {
    params.push(['past_days', String(config.pastDays)], ['forecast_days', String(config.forecastDays)]);
  }
  params.push(['timezone', 'UTC']);
  const query = params.map(([k, v]) => `${k}=${encodeURIComponent(v).replace(/%2C/g, ',')}`).join('&');
  return `${base}${backfill ? ARCHIVE_PATH : FORECAST_PATH}?${query}`;
}

/** The calls one request counts as: Open-Meteo weighs heavy requests; MET Norway counts requests. */
export function sourceCallWeight(source: SourceConfig, config: Pick<RuntimeConfig, 'pastDays' | 'forecastDays'>, backfill?: DateRange): number {
  if (source.id === MET_NORWAY_ID) {
    return 1;
  }
  const days = backfill ? dayCount(backfill) : config.pastDays + config.forecastDays;
  return callWeight(WeatherContract.VARIABLES.length, days);
}

/** The largest body accepted from `source` in this batch. */
export function sourceBodyCap(source: SourceConfig, config: Pick<RuntimeConfig, 'pastDays' | 'forecastDays' | 'maxBodyBytes'>, backfill?: DateRange): number {
  if (source.id === MET_NORWAY_ID) {
    return MET_NORWAY_BODY_CAP_BYTES[source.endpoint ?? 'compact'];
  }
  const forecastCap = config.maxBodyBytes ?? derivedBodyCap(WeatherContract.VARIABLES.length, config.pastDays + config.forecastDays);
  return backfill === undefined ? forecastCap : Math.max(forecastCap, derivedBodyCap(WeatherContract.VARIABLES.length, dayCount(backfill)));
}

/** The User-Agent header of `source`'s requests. */
export function sourceUserAgent(source: SourceConfig): string {
  return source.userAgent ?? OPEN_METEO_USER_AGENT;
}

/** What is wrong with a 2xx JSON object from `source`, or undefined when it is usable. */
export function sourceShapeProblem(source: SourceConfig, body: Record<string, unknown>): string | undefined {
  return source.id === MET_NORWAY_ID ? metNorwayShapeProblem(body) : shapeProblem(body);
}

/**
 * What the ETL needs of a Locationforecast body: `properties.timeseries`, a non-empty array of steps, each with a
 * `time` and `data.instant.details`. Values are the ETL's to check (it quarantines them step by step).
 */
function metNorwayShapeProblem(body: Record<string, unknown>): string | undefined {
  const properties = body.properties as Record<string, unknown> | undefined;
  if (properties === null || typeof properties !== 'object' || Array.isArray(properties)) {
    return 'has no "properties" object';
  }
  const series = properties.timeseries;
  if (!Array.isArray(series) || series.length === 0) {
    return 'has no non-empty "properties.timeseries" array';
  }
  const bad = series.findIndex((step) => {
    const s = step as { time?: unknown; data?: { instant?: { details?: unknown } } } | null;
    return s === null || typeof s !== 'object' || typeof s.time !== 'string'
      || s.data === null || typeof s.data !== 'object' || s.data.instant === null || typeof s.data.instant !== 'object'
      || s.data.instant.details === null || typeof s.data.instant.details !== 'object';
  });
  return bad >= 0 ? `has a "properties.timeseries" step without "time" and "data.instant.details" (step ${bad})` : undefined;
}

/** Why `source` answered with an HTTP status that is not data, when the provider documents it. */
export function sourceStatusHint(source: SourceConfig, status: number): string | undefined {
  if (source.id !== MET_NORWAY_ID) {
    return undefined;
  }
  if (status === 403) {
    return 'MET Norway refuses requests without an identifying User-Agent (terms of service): check the metNorway userAgent';
  }
  if (status === 429) {
    return 'MET Norway throttles this client: lower maxCallsPerMinute, and check that the User-Agent identifies you';
  }
  return undefined;
}

function dayCount(range: DateRange): number {
  return Math.round((Date.parse(`${range.endDate}T00:00:00Z`) - Date.parse(`${range.startDate}T00:00:00Z`)) / 86_400_000) + 1;
}
