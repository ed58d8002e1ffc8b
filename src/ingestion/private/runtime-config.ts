import { City } from '../../contract/city';

/**
 * The environment variables the construct sets and the handler reads: one list, so both sides agree.
 * The cities are not among them: they travel in `CITIES_FILE`, inside the function's code asset.
 *
 * This module is bundled into the Lambda: it must not import aws-cdk-lib.
 */
export const ENV = {
  /** Name of the landing bucket. */
  bucket: 'LANDING_BUCKET',
  /** Base URL of the forecast API (`/v1/forecast` is appended). */
  apiBaseUrl: 'WEATHER_API_BASE_URL',
  /** Base URL of the archive API used in backfill mode (`/v1/archive` is appended). */
  archiveApiBaseUrl: 'WEATHER_ARCHIVE_API_BASE_URL',
  pastDays: 'WEATHER_PAST_DAYS',
  forecastDays: 'WEATHER_FORECAST_DAYS',
  requestTimeoutMs: 'WEATHER_REQUEST_TIMEOUT_MS',
  maxAttempts: 'WEATHER_MAX_ATTEMPTS',
  maxConcurrentRequests: 'WEATHER_MAX_CONCURRENT_REQUESTS',
  /** Most Open-Meteo calls (weighted as the API counts them) in any 60 seconds, retries included. */
  maxCallsPerMinute: 'WEATHER_MAX_CALLS_PER_MINUTE',
  /** First retry delay ceiling; later retries double it (full jitter). */
  backoffBaseMs: 'WEATHER_BACKOFF_BASE_MS',
  /** Largest retry delay; a `Retry-After` longer than this ends the retries. */
  backoffMaxMs: 'WEATHER_BACKOFF_MAX_MS',
  /** Largest response body accepted in forecast mode, bytes (`maxResponseSize`); backfills derive their own. */
  maxBodyBytes: 'WEATHER_MAX_BODY_BYTES',
  /** Memory the function may spend on response bodies in flight, bytes: it bounds concurrency times body cap. */
  bodyMemoryBytes: 'WEATHER_BODY_MEMORY_BYTES',
  /** Longest one S3 write may take, retries included, before the city is recorded as failed (tests shorten it). */
  s3WriteTimeoutMs: 'WEATHER_S3_WRITE_TIMEOUT_MS',
  /** The sources to call, ids in order, comma-separated (unset: Open-Meteo only, configured by the variables above). */
  sources: 'WEATHER_SOURCES',
  /** MET Norway's base URL (`/weatherapi/locationforecast/2.0/<endpoint>` is appended). */
  metNorwayBaseUrl: 'MET_NORWAY_BASE_URL',
  /** `compact` or `complete`. */
  metNorwayEndpoint: 'MET_NORWAY_ENDPOINT',
  /** The identifying User-Agent MET Norway's terms require. */
  metNorwayUserAgent: 'MET_NORWAY_USER_AGENT',
  /** Most MET Norway requests in any 60 seconds, retries included. */
  metNorwayMaxCallsPerMinute: 'MET_NORWAY_MAX_CALLS_PER_MINUTE',
} as const;

/** The User-Agent of Open-Meteo requests (Open-Meteo asks for none in particular). */
export const OPEN_METEO_USER_AGENT = 'cdk-weather-pipeline (+https://github.com/cdk-weather-pipeline/cdk-weather-pipeline)';

/** Ids of the built-in sources: the `source=` value of their landing keys. */
export const OPEN_METEO_ID = 'open-meteo';
export const MET_NORWAY_ID = 'met-norway';

/** One configured weather source, as the handler sees it. */
export interface SourceConfig {
  /** `OPEN_METEO_ID` or `MET_NORWAY_ID`. */
  readonly id: string;
  /** Most calls (weighted as the provider counts them) in any 60 seconds, retries included. */
  readonly maxCallsPerMinute: number;
  /** MET Norway only: the base URL, the endpoint (`compact` or `complete`) and the User-Agent. */
  readonly baseUrl?: string;
  readonly endpoint?: string;
  readonly userAgent?: string;
}

/** Highest `maxConcurrentRequests`: the rate limiter, not the concurrency, keeps the API load in bounds. */
export const MAX_CONCURRENT_REQUESTS = 200;

/** Default calls per minute: under the 600 of Open-Meteo's free tier, with room for other clients of the same IP. */
export const DEFAULT_MAX_CALLS_PER_MINUTE = 500;

/** Retry delays the construct configures (tests shorten them through the environment). */
export const DEFAULT_BACKOFF_BASE_MS = 1_000;
export const DEFAULT_BACKOFF_MAX_MS = 20_000;

/** Time the handler keeps for writing the manifest after the last request. */
export const MANIFEST_RESERVE_MS = 10_000;

/**
 * Default `s3WriteTimeoutMs`: a raw object is tens of KB and S3 answers in well under a second, but with 167 bodies
 * in flight on a fraction of a vCPU the event loop itself can lag by seconds (the benchmark saw 1 s connection
 * timeouts on a busy machine).
 */
export const DEFAULT_S3_WRITE_TIMEOUT_MS = 10_000;

/** S3 client timeouts of one HTTP attempt: connecting, and a socket left idle (a stalled request). */
export const S3_CONNECTION_TIMEOUT_MS = 3_000;
export const S3_REQUEST_TIMEOUT_MS = 5_000;

/**
 * Time before the end of the invocation by which raw writes must be done: a body fetched just before the request
 * deadline (`MANIFEST_RESERVE_MS`) may still be written, and the manifest keeps at least 4 s.
 */
export const RAW_WRITE_RESERVE_MS = 5_000;

/** Time kept after the manifest write's own bound, to return (or throw) before Lambda stops the invocation. */
export const RETURN_RESERVE_MS = 1_000;

/**
 * Body cap derivation: what a response of `days` days of the contract's hourly variables can hold. Open-Meteo
 * writes about 20 bytes per time stamp and 4 to 8 per value; these allowances are 2 to 4 times that (room for
 * pretty-printing), plus a fixed part for the header blocks (`hourly_units`, coordinates, time zone).
 */
export const BODY_FIXED_BYTES = 64 * 1024;
export const BODY_BYTES_PER_TIME = 48;
export const BODY_BYTES_PER_VALUE = 32;

/**
 * Memory sizing: bytes of memory one body byte in flight may take at its peak (the body buffer, its decoded string
 * and the parsed object of the shape check, plus garbage not yet collected: up to 6.5 measured with one 31 MB body,
 * see docs/PERFORMANCE.md "Ingestion memory"), and the memory of the handler before any body (74 to 78 MB measured:
 * Node.js, the AWS SDK, the cities; the rest is margin for the Lambda runtime).
 */
export const BODY_MEMORY_FACTOR = 8;
export const BASELINE_MEMORY_MB = 128;

/** Lambda memory bounds, MB. */
export const MIN_MEMORY_MB = 256;
export const MAX_MEMORY_MB = 10_240;

/** Largest body a response of `days` days of `variableCount` hourly variables can hold (see `BODY_FIXED_BYTES`). */
export function derivedBodyCap(variableCount: number, days: number): number {
  return BODY_FIXED_BYTES + days * 24 * (BODY_BYTES_PER_TIME + variableCount * BODY_BYTES_PER_VALUE);
}

/** Memory for bodies in flight in a function of `memoryMb` MB: what is left over the baseline, over the factor. */
export function bodyMemoryBytes(memoryMb: number): number {
  return Math.floor(((memoryMb - BASELINE_MEMORY_MB) * 1024 * 1024) / BODY_MEMORY_FACTOR);
}

/** Smallest memory (MB, a multiple of 64, at least `MIN_MEMORY_MB`) for `concurrency` bodies of `maxBodyBytes`. */
export function requiredMemoryMb(concurrency: number, maxBodyBytes: number): number {
  const mb = BASELINE_MEMORY_MB + (concurrency * maxBodyBytes * BODY_MEMORY_FACTOR) / (1024 * 1024);
  return Math.max(MIN_MEMORY_MB, Math.ceil(mb / 64) * 64);
}

/** Fixed part of the Lambda timeout: cold start, SDK set-up and the manifest write. */
export const FIXED_OVERHEAD_MS = 30_000;

/** Time allowed per round of requests for the S3 write of its bodies. */
export const WRITE_ALLOWANCE_MS = 1_000;

/** Path of the forecast endpoint under the API base URL. */
export const FORECAST_PATH = '/v1/forecast';

/** Path of the historical (archive) endpoint under the archive API base URL. */
export const ARCHIVE_PATH = '/v1/archive';

/** Retry policy of one HTTP request. */
export interface RetryPolicy {
  readonly maxAttempts: number;
  readonly requestTimeoutMs: number;
  readonly backoffBaseMs: number;
  readonly backoffMaxMs: number;
}

/** Everything the handler needs, decoded from the environment and the cities file. */
export interface RuntimeConfig {
  readonly bucket: string;
  readonly cities: City[];
  readonly apiBaseUrl: string;
  readonly archiveApiBaseUrl: string;
  readonly pastDays: number;
  readonly forecastDays: number;
  readonly maxConcurrentRequests: number;
  /** @default DEFAULT_MAX_CALLS_PER_MINUTE */
  readonly maxCallsPerMinute?: number;
  readonly retry: RetryPolicy;
  /**
   * Largest body accepted in forecast mode, bytes.
   * @default derivedBodyCap over the contract's variables and pastDays + forecastDays
   */
  readonly maxBodyBytes?: number;
  /**
   * Memory for bodies in flight, bytes: concurrency × body cap stays under it (backfills run fewer requests at once).
   * @default bodyMemoryBytes(MIN_MEMORY_MB), the least the construct configures
   */
  readonly bodyMemoryBytes?: number;
  /** @default DEFAULT_S3_WRITE_TIMEOUT_MS */
  readonly s3WriteTimeoutMs?: number;
  /**
   * The sources every run calls, for every city, in this order.
   * @default - Open-Meteo only, at `maxCallsPerMinute`
   */
  readonly sources?: SourceConfig[];
}

/**
 * Name of the file, next to the handler's `index.js` in the code asset, that holds the cities (see `encodeCities`).
 * The cities do not go in the environment, which Lambda limits to 4 KB in total (about 80 cities).
 */
export const CITIES_FILE = 'cities.json';

/**
 * The content of `CITIES_FILE`: a JSON array of `{ name, latitude, longitude, timezone?, slug? }`, keys always in
 * that order and one city per line, so the same cities always give the same bytes (and the same asset hash).
 */
export function encodeCities(cities: City[]): string {
  const rows = cities.map((city) => JSON.stringify({
    name: city.name,
    latitude: city.latitude,
    longitude: city.longitude,
    ...(city.timezone !== undefined ? { timezone: city.timezone } : {}),
    ...(city.slug !== undefined ? { slug: city.slug } : {}),
  }));
  return `[\n${rows.join(',\n')}\n]\n`;
}

/** Inverse of `encodeCities`; `source` names the file in errors. */
export function decodeCities(text: string, source: string = CITIES_FILE): City[] {
  let rows: unknown;
  try {
    rows = JSON.parse(text);
  } catch (e) {
    throw new Error(`${source} is not valid JSON: ${(e as Error).message}`);
  }
  if (!Array.isArray(rows)) {
    throw new Error(`${source} must hold a JSON array, got ${text.slice(0, 100)}`);
  }
  return rows.map((row: unknown) => {
    if (typeof row !== 'object' || row === null || Array.isArray(row)) {
      throw new Error(`${source}: each city must be { name, latitude, longitude, timezone?, slug? }, got ${JSON.stringify(row)}`);
    }
    const { name, latitude, longitude, timezone, slug } = row as Record<string, unknown>;
    return {
      name,
      latitude,
      longitude,
      ...(timezone !== undefined ? { timezone } : {}),
      ...(slug !== undefined ? { slug } : {}),
    } as City;
  });
}

/**
 * Reads the handler configuration from an environment (`process.env` in Lambda) and the cities from the text of
 * `CITIES_FILE` (read by the handler next to its `index.js`).
 */
export function configFromEnv(env: Record<string, string | undefined>, citiesText: string): RuntimeConfig {
  const required = (name: string): string => {
    const value = env[name];
    if (value === undefined || value === '') {
      throw new Error(`environment variable ${name} is not set`);
    }
    return value;
  };
  const integer = (name: string, fallback: number | undefined, min: number, max: number): number => {
    const raw = env[name];
    if (raw === undefined || raw === '') {
      if (fallback === undefined) {
        throw new Error(`environment variable ${name} is not set`);
      }
      return fallback;
    }
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min || value > max) {
      throw new Error(`environment variable ${name} must be an integer in [${min}, ${max}], got "${raw}"`);
    }
    return value;
  };
  const optionalInteger = (name: string, min: number, max: number): number | undefined =>
    env[name] === undefined || env[name] === '' ? undefined : integer(name, undefined, min, max);
  const sourceIds = (env[ENV.sources] ?? OPEN_METEO_ID).split(',').map((id) => id.trim()).filter((id) => id !== '');
  const unknown = sourceIds.filter((id) => id !== OPEN_METEO_ID && id !== MET_NORWAY_ID);
  if (sourceIds.length === 0 || unknown.length > 0 || new Set(sourceIds).size !== sourceIds.length) {
    throw new Error(`environment variable ${ENV.sources} must list distinct sources among ${OPEN_METEO_ID}, ${MET_NORWAY_ID}, got "${env[ENV.sources]}"`);
  }
  const openMeteo = sourceIds.includes(OPEN_METEO_ID);
  const maxCallsPerMinute = integer(ENV.maxCallsPerMinute, DEFAULT_MAX_CALLS_PER_MINUTE, 1, 100_000);
  const sources: SourceConfig[] = sourceIds.map((id) => id === OPEN_METEO_ID
    ? { id, maxCallsPerMinute }
    : {
      id,
      maxCallsPerMinute: integer(ENV.metNorwayMaxCallsPerMinute, undefined, 1, 100_000),
      baseUrl: required(ENV.metNorwayBaseUrl).replace(/\/+$/, ''),
      endpoint: metNorwayEndpoint(required(ENV.metNorwayEndpoint)),
      userAgent: required(ENV.metNorwayUserAgent),
    });
  return {
    bucket: required(ENV.bucket),
    cities: decodeCities(citiesText),
    sources,
    // Open-Meteo's settings are only required when Open-Meteo is a source.
    apiBaseUrl: openMeteo ? required(ENV.apiBaseUrl) : env[ENV.apiBaseUrl] ?? '',
    archiveApiBaseUrl: openMeteo ? required(ENV.archiveApiBaseUrl) : env[ENV.archiveApiBaseUrl] ?? '',
    pastDays: openMeteo ? integer(ENV.pastDays, undefined, 0, 92) : integer(ENV.pastDays, 0, 0, 92),
    forecastDays: openMeteo ? integer(ENV.forecastDays, undefined, 0, 16) : integer(ENV.forecastDays, 0, 0, 16),
    maxConcurrentRequests: integer(ENV.maxConcurrentRequests, 3, 1, MAX_CONCURRENT_REQUESTS),
    maxCallsPerMinute,
    maxBodyBytes: optionalInteger(ENV.maxBodyBytes, 1, 2 ** 40),
    bodyMemoryBytes: optionalInteger(ENV.bodyMemoryBytes, 1, 2 ** 40),
    s3WriteTimeoutMs: integer(ENV.s3WriteTimeoutMs, DEFAULT_S3_WRITE_TIMEOUT_MS, 1, 900_000),
    retry: {
      maxAttempts: integer(ENV.maxAttempts, 4, 1, 10),
      requestTimeoutMs: integer(ENV.requestTimeoutMs, 10_000, 1, 900_000),
      backoffBaseMs: integer(ENV.backoffBaseMs, DEFAULT_BACKOFF_BASE_MS, 0, 900_000),
      backoffMaxMs: integer(ENV.backoffMaxMs, DEFAULT_BACKOFF_MAX_MS, 0, 900_000),
    },
  };
}

function metNorwayEndpoint(value: string): string {
  if (value !== 'compact' && value !== 'complete') {
    throw new Error(`environment variable ${ENV.metNorwayEndpoint} must be compact or complete, got "${value}"`);
  }
  return value;
}

/** Largest delay before retry number `retry` (1-based): exponential, capped. The actual delay is a random fraction of it. */
export function backoffCeilingMs(policy: Pick<RetryPolicy, 'backoffBaseMs' | 'backoffMaxMs'>, retry: number): number {
  return Math.min(policy.backoffMaxMs, policy.backoffBaseMs * 2 ** (retry - 1));
}

/** Worst-case time one city can take: every attempt times out and every backoff waits its ceiling. */
export function worstCaseCityMs(policy: RetryPolicy): number {
  let total = policy.maxAttempts * policy.requestTimeoutMs;
  for (let retry = 1; retry < policy.maxAttempts; retry++) {
    total += backoffCeilingMs(policy, retry);
  }
  return total;
}
