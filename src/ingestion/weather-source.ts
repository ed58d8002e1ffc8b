import { City } from '../contract/city';
import { MET_NORWAY_ID, OPEN_METEO_ID } from './private/runtime-config';
import { fourDecimals, MET_NORWAY_PATH, openMeteoUrl, sourceMapping, sourceRawPrefix } from './private/sources';

/** MET Norway's endpoints of Locationforecast 2.0. */
export enum MetNorwayEndpoint {
  /** The core parameters, available for every location (the one most clients need). */
  COMPACT = 'compact',
  /** Every parameter the location has (cloud layers, dew point, fog, gusts, UV, percentiles); larger answers. */
  COMPLETE = 'complete',
}

/**
 * Settings of the Open-Meteo source. Each one may instead be set on `WeatherIngestion` (the props of the same name),
 * not both.
 */
export interface OpenMeteoSourceOptions {
  /**
   * Base URL of the forecast API (`<apiBaseUrl>/v1/forecast`): a commercial endpoint, a mirror, a local server.
   *
   * @default - `WeatherIngestionProps.apiBaseUrl`, else 'https://api.open-meteo.com'
   */
  readonly apiBaseUrl?: string;

  /**
   * Base URL of the historical API used by backfills (`<archiveApiBaseUrl>/v1/archive`).
   *
   * @default - `WeatherIngestionProps.archiveApiBaseUrl`, else 'https://archive-api.open-meteo.com'
   */
  readonly archiveApiBaseUrl?: string;

  /**
   * Most Open-Meteo calls in any 60 seconds, retries included, weighted as Open-Meteo counts them.
   *
   * @default - `WeatherIngestionProps.maxCallsPerMinute`, else 500
   */
  readonly maxCallsPerMinute?: number;
}

/**
 * Settings of the MET Norway Locationforecast 2.0 source.
 */
export interface MetNorwaySourceOptions {
  /**
   * The identifying User-Agent every request sends, as MET Norway's terms of service require: your application or
   * domain name and a way to contact you, e.g. `acmeweather.example support@acmeweather.example`. Requests without one
   * (or with a generic one) are refused with HTTP 403 or throttled; a missing or blank value fails at synth.
   */
  readonly userAgent: string;

  /**
   * The endpoint: `compact` (core parameters) or `complete` (every parameter, larger answers).
   *
   * @default MetNorwayEndpoint.COMPACT
   */
  readonly endpoint?: MetNorwayEndpoint;

  /**
   * Base URL of the API (`<apiBaseUrl>/weatherapi/locationforecast/2.0/<endpoint>`): a local server in tests.
   *
   * @default 'https://api.met.no'
   */
  readonly apiBaseUrl?: string;

  /**
   * Most MET Norway requests in any 60 seconds, retries included, an integer in [1, 1200]. MET Norway's terms treat
   * more than 20 requests a second as heavy traffic that needs an arrangement with them (1,200 a minute).
   *
   * @default 300
   */
  readonly maxCallsPerMinute?: number;
}

/** MET Norway's defaults. */
const MET_NORWAY_BASE_URL = 'https://api.met.no';
const MET_NORWAY_DEFAULT_CALLS_PER_MINUTE = 300;

/**
 * A weather provider the ingestion calls: how to request a city (and a past date range, where the provider has an
 * archive), its rate limit and terms, where its raw answers land (`weather/raw/source=<id>/`) and which mapping the
 * ETL applies to them (a mapping id the data contract document lists).
 *
 * Built-in: `WeatherSource.openMeteo()` (the default) and `WeatherSource.metNorway({ userAgent })`.
 *
 * @example
 * const sources = [
 *   WeatherSource.openMeteo(),
 *   WeatherSource.metNorway({ userAgent: 'acmeweather.example support@acmeweather.example' }),
 * ];
 */
export abstract class WeatherSource {
  /**
   * Open-Meteo's forecast API (`/v1/forecast`, with `/v1/archive` for backfills): hourly arrays of the contract's
   * variables, in UTC. Free for non-commercial use (600 calls a minute, 5,000 an hour, 10,000 a day); CC BY 4.0.
   */
  public static openMeteo(options: OpenMeteoSourceOptions = {}): WeatherSource {
    return new OpenMeteoSource(options);
  }

  /**
   * MET Norway's Locationforecast 2.0 (`compact` or `complete`): a GeoJSON time series, hourly for about 2.5 days then
   * 6-hourly, up to 9 days ahead; no archive, so no backfill. Free; CC BY 4.0 (credit "MET Norway"); every request
   * must carry an identifying User-Agent, coordinates have at most 4 decimals, and heavy traffic needs an arrangement.
   */
  public static metNorway(options: MetNorwaySourceOptions): WeatherSource {
    return new MetNorwaySource(options);
  }

  /** The source id: the `source=` value of its landing keys and the `source` column of refined rows. */
  public abstract readonly id: string;

  /** Prefix of its raw answers in the landing bucket: `weather/raw/source=<id>/`. */
  public abstract readonly rawPrefix: string;

  /**
   * The mapping the ETL applies to its bodies: the response format the data contract document lists for the source
   * (`sources[].responseFormat`: `OPEN_METEO_HOURLY_ARRAYS`, `MET_NORWAY_TIMESERIES`).
   */
  public abstract readonly mapping: string;

  /**
   * The rate limit set on the source.
   *
   * @default - for Open-Meteo, the ingestion's `maxCallsPerMinute`
   */
  public abstract readonly maxCallsPerMinute?: number;

  /** Whether the provider has an archive a backfill can read. */
  public abstract readonly supportsBackfill: boolean;

  /** The provider's terms in one line: licence, credit, limits. */
  public abstract readonly terms: string;

  /**
   * The URL of the forecast request for `city`, with the source's own settings (and, for Open-Meteo, 1 past day and
   * 7 forecast days, the ingestion's defaults).
   */
  public abstract forecastRequestUrl(city: City): string;

  /**
   * The URL of the backfill request for `city` over `startDate` .. `endDate` (`yyyy-MM-dd`, UTC, inclusive). Throws
   * when the provider has no archive (`supportsBackfill` is false).
   */
  public abstract backfillRequestUrl(city: City, startDate: string, endDate: string): string;
}

class OpenMeteoSource extends WeatherSource {
  public readonly id = OPEN_METEO_ID;
  public readonly rawPrefix = sourceRawPrefix(OPEN_METEO_ID);
  public readonly mapping = sourceMapping({ id: OPEN_METEO_ID });
  public readonly maxCallsPerMinute?: number;
  public readonly supportsBackfill = true;
  public readonly terms = 'Open-Meteo.com, CC BY 4.0; free tier for non-commercial use: 600 calls a minute, 5,000 an hour, 10,000 a day';

  constructor(public readonly options: OpenMeteoSourceOptions) {
    super();
    this.maxCallsPerMinute = options.maxCallsPerMinute;
  }

  public forecastRequestUrl(city: City): string {
    return openMeteoUrl(this.requestSettings(), city);
  }

  public backfillRequestUrl(city: City, startDate: string, endDate: string): string {
    return openMeteoUrl(this.requestSettings(), city, { startDate, endDate });
  }

  /** The base URLs, and the ingestion's default days. */
  private requestSettings() {
    return {
      apiBaseUrl: this.options.apiBaseUrl ?? 'https://api.open-meteo.com',
      archiveApiBaseUrl: this.options.archiveApiBaseUrl ?? 'https://archive-api.open-meteo.com',
      pastDays: 1,
      forecastDays: 7,
    };
  }
}

class MetNorwaySource extends WeatherSource {
  public readonly id = MET_NORWAY_ID;
  public readonly rawPrefix = sourceRawPrefix(MET_NORWAY_ID);
  public readonly mapping: string;
  public readonly maxCallsPerMinute: number;
  public readonly supportsBackfill = false;
  public readonly terms = 'MET Norway (api.met.no), CC BY 4.0; an identifying User-Agent on every request, at most 4 decimals in coordinates, no more than 20 requests a second without an arrangement';

  constructor(public readonly options: MetNorwaySourceOptions) {
    super();
    this.mapping = sourceMapping({ id: MET_NORWAY_ID });
    this.maxCallsPerMinute = options.maxCallsPerMinute ?? MET_NORWAY_DEFAULT_CALLS_PER_MINUTE;
  }

  public forecastRequestUrl(city: City): string {
    const base = (this.options.apiBaseUrl ?? MET_NORWAY_BASE_URL).replace(/\/+$/, '');
    return `${base}${MET_NORWAY_PATH}${this.options.endpoint ?? MetNorwayEndpoint.COMPACT}?lat=${fourDecimals(city.latitude)}&lon=${fourDecimals(city.longitude)}`;
  }

  public backfillRequestUrl(_city: City, startDate: string, endDate: string): string {
    throw new Error(`MET Norway Locationforecast has no archive: it cannot backfill ${startDate} .. ${endDate} (supportsBackfill is false)`);
  }
}
