import { fetchWeather, FetchOptions } from './http-fetch';
import { CallRateLimiter, LimiterClock } from './rate-limiter';
import { ARCHIVE_PATH, CITIES_FILE, DEFAULT_MAX_CALLS_PER_MINUTE, FORECAST_PATH, MANIFEST_RESERVE_MS, RuntimeConfig } from './runtime-config';
import { callWeight } from './schedule-math';
import { City } from '../../contract/city';
import { IngestionManifest, ManifestEntry, ManifestFailure } from '../../contract/manifest';
import { WeatherContract } from '../../contract/weather-contract';
import { IngestionRequest, IngestionResult } from '../ingestion-request';

/** What `ingestBatch` needs besides the request and the configuration. */
export interface IngestDependencies {
  /** Writes one object to the landing bucket (an S3 `PutObject` in Lambda). */
  readonly putObject: (object: LandingObject) => Promise<void>;
  /** Milliseconds left in the invocation (Lambda `context.getRemainingTimeInMillis`). */
  readonly remainingTimeMs?: () => number;
  readonly log?: (record: Record<string, unknown>) => void;
  readonly fetchOptions?: Partial<Pick<FetchOptions, 'random' | 'sleep' | 'fetchImpl'>>;
  /** Clock of the rate limiter (tests). */
  readonly limiterClock?: LimiterClock;
}

/** One object to write to the landing bucket. */
export interface LandingObject {
  readonly key: string;
  readonly body: Buffer | string;
  readonly contentType: string;
  readonly metadata?: Record<string, string>;
}

/** The handler input, plus the `time` field of an EventBridge event. */
export type IngestionEvent = IngestionRequest & { readonly time?: string };

interface CityOutcome {
  readonly entry?: ManifestEntry;
  readonly failure?: ManifestFailure;
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;

/**
 * Runs one ingestion batch: fetch every city (a few at a time), write each body unchanged, then the manifest.
 *
 * Throws when the request is invalid, when no city could be written (no manifest then) or when the manifest
 * cannot be written; a retry of the same run reuses the same keys.
 */
export async function ingestBatch(
  event: IngestionEvent | null | undefined, config: RuntimeConfig, deps: IngestDependencies,
): Promise<IngestionResult> {
  const request: IngestionEvent = event ?? {};
  const startedAt = new Date();
  const log = deps.log ?? ((record) => console.log(JSON.stringify(record)));
  const deadline = Date.now() + Math.max(0, (deps.remainingTimeMs?.() ?? 15 * 60_000) - MANIFEST_RESERVE_MS);

  const logicalTime = parseTime(request.scheduledTime ?? request.time, startedAt);
  const ingestDate = logicalTime.toISOString().slice(0, 10);
  const backfill = request.backfill;
  if (backfill !== undefined) {
    checkBackfill(backfill.startDate, backfill.endDate);
  }
  const batchId = request.batchId ?? (backfill !== undefined
    ? `backfill-${backfill.startDate.replace(/-/g, '')}-${backfill.endDate.replace(/-/g, '')}`
    : WeatherContract.scheduledBatchId(logicalTime.toISOString()));
  if (!new RegExp(WeatherContract.BATCH_ID_PATTERN).test(batchId)) {
    throw new Error(`batchId must match ${WeatherContract.BATCH_ID_PATTERN}, got "${batchId}"`);
  }
  const manifestKey = WeatherContract.manifestKey(ingestDate, batchId);
  const cities = selectCities(config.cities, request.citySlugs);

  log({
    message: 'ingestion batch started',
    batchId,
    ingestDate,
    mode: backfill ? 'backfill' : 'forecast',
    cities: cities.length,
    maxConcurrentRequests: config.maxConcurrentRequests,
    maxCallsPerMinute: config.maxCallsPerMinute ?? DEFAULT_MAX_CALLS_PER_MINUTE,
  });

  // Every attempt, retries included, takes its call weight from one bucket: at most maxCallsPerMinute per minute.
  const weight = requestWeight(config, backfill);
  const callsPerMinute = config.maxCallsPerMinute ?? DEFAULT_MAX_CALLS_PER_MINUTE;
  const limiter = new CallRateLimiter(callsPerMinute, weight, deps.limiterClock);
  const acquireCall = (until: number) => limiter.acquire(until);

  const written: ManifestEntry[] = [];
  const failed: ManifestFailure[] = [];
  const outcomes = await mapWithConcurrency(cities, config.maxConcurrentRequests, async (city): Promise<CityOutcome> => {
    const slug = WeatherContract.slugOf(city);
    const requestUrl = buildUrl(config, city, backfill);
    const fetched = await fetchWeather(requestUrl, { ...deps.fetchOptions, policy: config.retry, deadline, acquireCall });
    if (!fetched.ok) {
      return { failure: { city: slug, cityName: city.name, requestUrl, error: fetched.error, reason: fetched.reason, attempts: fetched.attempts } };
    }
    const key = WeatherContract.rawKey(ingestDate, slug, batchId);
    const fetchedAt = fetched.fetchedAt.toISOString();
    try {
      await deps.putObject({
        key,
        body: fetched.body,
        contentType: fetched.contentType,
        metadata: rawMetadata(city, slug, requestUrl, fetchedAt, batchId),
      });
    } catch (err) {
      return { failure: { city: slug, cityName: city.name, requestUrl, error: 'WRITE_FAILED', reason: (err as Error).message, attempts: fetched.attempts } };
    }
    const entry: ManifestEntry = {
      key,
      city: slug,
      cityName: city.name,
      latitude: city.latitude,
      longitude: city.longitude,
      ...(city.timezone !== undefined ? { timezone: city.timezone } : {}),
      requestUrl,
      fetchedAt,
      bytes: fetched.body.length,
      attempts: fetched.attempts,
    };
    return { entry };
  });
  // Keep the configured city order in the manifest, whatever order the requests finished in.
  for (const outcome of outcomes) {
    if (outcome.entry) written.push(outcome.entry);
    if (outcome.failure) failed.push(outcome.failure);
  }
  for (const failure of failed) {
    log({ level: 'WARN', message: 'city failed', batchId, ...failure });
  }

  const retries = [...written, ...failed].reduce((sum, item) => sum + Math.max(0, item.attempts - 1), 0);
  logMetrics(log, written.length, failed.length, retries);

  if (written.length === 0) {
    const summary = failed.map((f) => `${f.city} ${f.error} (${f.reason})`).join('; ');
    throw new Error(`ingestion batch ${batchId}: no city could be written, so no manifest was written: ${summary}`);
  }

  const manifest: IngestionManifest = {
    contractVersion: WeatherContract.VERSION,
    batchId,
    ingestDate,
    source: WeatherContract.SOURCE,
    bucket: config.bucket,
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    written,
    failed,
  };
  // Written last: its arrival tells the orchestrator that the batch is complete.
  await deps.putObject({ key: manifestKey, body: JSON.stringify(manifest, null, 2), contentType: 'application/json' });

  const result: IngestionResult = {
    batchId,
    ingestDate,
    mode: backfill ? 'backfill' : 'forecast',
    bucket: config.bucket,
    manifestKey,
    citiesRequested: cities.length,
    written: written.length,
    failed: failed.length,
    partialFailure: failed.length > 0,
    retries,
    failures: failed,
  };
  log({ message: 'ingestion batch finished', ...result, failures: undefined });
  return result;
}

/** Open-Meteo's weight of one request of the batch: the contract's variables over the days it asks for. */
export function requestWeight(config: Pick<RuntimeConfig, 'pastDays' | 'forecastDays'>, backfill?: { startDate: string; endDate: string }): number {
  const days = backfill
    ? Math.round((Date.parse(`${backfill.endDate}T00:00:00Z`) - Date.parse(`${backfill.startDate}T00:00:00Z`)) / 86_400_000) + 1
    : config.pastDays + config.forecastDays;
  return callWeight(WeatherContract.VARIABLES.length, days);
}

/** The request URL of one city: coordinates, the contract's hourly variables, UTC times. */
export function buildUrl(config: RuntimeConfig, city: City, backfill?: { startDate: string; endDate: string }): string {
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

/** S3 user metadata of a raw object: the contract's keys, values URI-encoded; `timezone` only when configured. */
export function rawMetadata(city: City, slug: string, requestUrl: string, fetchedAt: string, batchId: string): Record<string, string> {
  const values: Record<string, string | undefined> = {
    'city-name': city.name,
    'city-slug': slug,
    'latitude': String(city.latitude),
    'longitude': String(city.longitude),
    'timezone': city.timezone,
    'request-url': requestUrl,
    'fetched-at': fetchedAt,
    'batch-id': batchId,
  };
  const metadata: Record<string, string> = {};
  for (const key of WeatherContract.RAW_METADATA_KEYS) {
    if (!(key in values)) {
      throw new Error(`the ingestion handler does not know how to fill the contract's metadata key "${key}"`);
    }
    const value = values[key];
    if (value !== undefined) {
      metadata[key] = encodeURIComponent(value);
    }
  }
  return metadata;
}

/** Runs `fn` over `items` with at most `limit` calls in flight; results keep the order of `items`. */
export async function mapWithConcurrency<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index]);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return results;
}

function selectCities(cities: City[], slugs: string[] | undefined): City[] {
  WeatherContract.validateCities(cities, CITIES_FILE);
  if (slugs === undefined) {
    return cities;
  }
  if (!Array.isArray(slugs) || slugs.length === 0) {
    throw new Error(`citySlugs must list at least one city slug, got ${JSON.stringify(slugs)}`);
  }
  const bySlug = new Map(cities.map((city) => [WeatherContract.slugOf(city), city]));
  return slugs.map((slug) => {
    const city = bySlug.get(slug);
    if (city === undefined) {
      throw new Error(`citySlugs: "${slug}" is not a configured city (configured: ${[...bySlug.keys()].join(', ')})`);
    }
    return city;
  });
}

function parseTime(value: string | undefined, fallback: Date): Date {
  if (value === undefined) {
    return fallback;
  }
  const time = new Date(value);
  if (typeof value !== 'string' || Number.isNaN(time.getTime())) {
    throw new Error(`scheduledTime must be an ISO 8601 time, got ${JSON.stringify(value)}`);
  }
  return time;
}

function checkBackfill(startDate: string, endDate: string): void {
  for (const [name, value] of [['backfill.startDate', startDate], ['backfill.endDate', endDate]]) {
    if (typeof value !== 'string' || !DATE.test(value) || Number.isNaN(Date.parse(`${value}T00:00:00Z`))) {
      throw new Error(`${name} must be yyyy-MM-dd, got ${JSON.stringify(value)}`);
    }
  }
  if (startDate > endDate) {
    throw new Error(`backfill.endDate must not be before backfill.startDate, got ${startDate} .. ${endDate}`);
  }
}

/** CloudWatch embedded metric format: one log line, no API call. */
function logMetrics(log: (record: Record<string, unknown>) => void, written: number, failed: number, retries: number): void {
  log({
    _aws: {
      Timestamp: Date.now(),
      CloudWatchMetrics: [{
        Namespace: 'CdkWeatherPipeline/Ingestion',
        Dimensions: [[]],
        Metrics: [{ Name: 'CitiesWritten', Unit: 'Count' }, { Name: 'CitiesFailed', Unit: 'Count' }, { Name: 'HttpRetries', Unit: 'Count' }],
      }],
    },
    CitiesWritten: written,
    CitiesFailed: failed,
    HttpRetries: retries,
  });
}
