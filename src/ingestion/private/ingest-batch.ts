import { fetchWeather, FetchOptions } from './http-fetch';
import { CallRateLimiter, LimiterClock } from './rate-limiter';
import {
  bodyMemoryBytes, CITIES_FILE, DEFAULT_MAX_CALLS_PER_MINUTE, DEFAULT_S3_WRITE_TIMEOUT_MS,
  MANIFEST_RESERVE_MS, MIN_MEMORY_MB, OPEN_METEO_ID, RAW_WRITE_RESERVE_MS, RETURN_RESERVE_MS, RuntimeConfig,
} from './runtime-config';
import {
  configuredSources, sourceBodyCap, sourceCallWeight, sourceMapping, sourceRawPrefix, sourceRequestUrl, sourceShapeProblem, sourceStatusHint,
  sourceUserAgent, supportsBackfill,
} from './sources';
import { City } from '../../contract/city';
import { IngestionManifest, ManifestEntry, ManifestFailure, ManifestSource } from '../../contract/manifest';
import { WeatherContract } from '../../contract/weather-contract';
import { IngestionRequest, IngestionResult } from '../ingestion-request';

/** What `ingestBatch` needs besides the request and the configuration. */
export interface IngestDependencies {
  /**
   * Writes one object to the landing bucket (an S3 `PutObject` in Lambda), giving up when `signal` aborts. The
   * batch stops waiting for it then anyway, and records the write as failed.
   */
  readonly putObject: (object: LandingObject, signal: AbortSignal) => Promise<void>;
  /**
   * Id of this invocation, the same on every retry of it (Lambda's `awsRequestId`: an asynchronous invocation
   * retried by Lambda keeps its request id). It makes the batch id when the event carries no time and no batch id.
   */
  readonly invocationId?: string;
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
 * cannot be written (the error names the batch and the manifest key); a retry of the same run reuses the same keys.
 * Every S3 write is bounded by the write timeout and by the invocation's remaining time, keeping
 * `MANIFEST_RESERVE_MS` for the manifest: a stalled write fails its city, not the batch.
 */
export async function ingestBatch(
  event: IngestionEvent | null | undefined, config: RuntimeConfig, deps: IngestDependencies,
): Promise<IngestionResult> {
  const request: IngestionEvent = event ?? {};
  const startedAt = new Date();
  const log = deps.log ?? ((record) => console.log(JSON.stringify(record)));
  const remainingMs = deps.remainingTimeMs?.() ?? 15 * 60_000;
  // Requests end by `deadline`, raw writes by `writeDeadline`, the manifest write by `manifestDeadline`, leaving
  // time to return.
  const deadline = Date.now() + Math.max(0, remainingMs - MANIFEST_RESERVE_MS);
  const writeDeadline = Date.now() + Math.max(0, remainingMs - RAW_WRITE_RESERVE_MS);
  const manifestDeadline = Date.now() + Math.max(0, remainingMs - RETURN_RESERVE_MS);
  const writeTimeoutMs = config.s3WriteTimeoutMs ?? DEFAULT_S3_WRITE_TIMEOUT_MS;

  const eventTime = request.scheduledTime ?? request.time;
  const logicalTime = parseTime(eventTime, startedAt);
  const ingestDate = logicalTime.toISOString().slice(0, 10);
  const backfill = request.backfill;
  if (backfill !== undefined) {
    checkBackfill(backfill.startDate, backfill.endDate);
  }
  const batchId = request.batchId ?? defaultBatchId(backfill, eventTime, logicalTime, deps.invocationId);
  if (!new RegExp(WeatherContract.BATCH_ID_PATTERN).test(batchId)) {
    throw new Error(`batchId must match ${WeatherContract.BATCH_ID_PATTERN}, got "${batchId}"`);
  }
  const manifestKey = WeatherContract.manifestKey(ingestDate, batchId);
  const cities = selectCities(config.cities, request.citySlugs);
  const { maxBodyBytes, concurrency } = bodyLimits(config, backfill);
  const configured = configuredSources(config, DEFAULT_MAX_CALLS_PER_MINUTE);
  // A backfill reads the past: only the sources with an archive take part in it.
  const sources = backfill === undefined ? configured : configured.filter(supportsBackfill);
  if (sources.length === 0) {
    throw new Error(`backfill ${backfill?.startDate} .. ${backfill?.endDate}: none of the configured sources (${configured.map((s) => s.id).join(', ')}) can backfill`);
  }

  log({
    message: 'ingestion batch started',
    batchId,
    ingestDate,
    mode: backfill ? 'backfill' : 'forecast',
    cities: cities.length,
    sources: sources.map((s) => s.id),
    ...(sources.length < configured.length ? { skippedSources: configured.filter((s) => !sources.includes(s)).map((s) => s.id) } : {}),
    maxConcurrentRequests: concurrency,
    maxBodyBytes,
    maxCallsPerMinute: config.maxCallsPerMinute ?? DEFAULT_MAX_CALLS_PER_MINUTE,
  });

  // Each source has its own rate limit: every attempt, retries included, takes its call weight from the source's
  // bucket, so one provider's limit never slows or speeds the other's calls.
  const limiters = new Map(sources.map((source) => [source.id,
    new CallRateLimiter(source.maxCallsPerMinute, sourceCallWeight(source, config, backfill), deps.limiterClock)]));

  // Every configured source for every city, sources interleaved so that a slow provider does not hold up the other.
  const tasks = cities.flatMap((city) => sources.map((source) => ({ city, source })));
  const written: ManifestEntry[] = [];
  const failed: ManifestFailure[] = [];
  const outcomes = await mapWithConcurrency(tasks, concurrency, async ({ city, source }): Promise<CityOutcome> => {
    const slug = WeatherContract.slugOf(city);
    const requestUrl = sourceRequestUrl(source, config, city, backfill);
    const tag = source.id === OPEN_METEO_ID && configured.length === 1 ? {} : { source: source.id };
    const limiter = limiters.get(source.id)!;
    const fetched = await fetchWeather(requestUrl, {
      ...deps.fetchOptions,
      policy: config.retry,
      deadline,
      acquireCall: (until: number) => limiter.acquire(until),
      maxBodyBytes: sourceBodyCap(source, config, backfill),
      userAgent: sourceUserAgent(source),
      shapeCheck: (body) => sourceShapeProblem(source, body),
      apiErrorDocuments: source.id === OPEN_METEO_ID,
      statusHint: (status) => sourceStatusHint(source, status),
    });
    if (!fetched.ok) {
      return {
        failure: { city: slug, cityName: city.name, requestUrl, error: fetched.error, reason: fetched.reason, attempts: fetched.attempts, ...tag },
      };
    }
    const key = `${sourceRawPrefix(source.id)}ingest_date=${ingestDate}/city=${slug}/${batchId}.json`;
    const fetchedAt = fetched.fetchedAt.toISOString();
    try {
      await boundedWrite(deps.putObject, {
        key,
        body: fetched.body,
        contentType: fetched.contentType,
        metadata: rawMetadata(city, slug, requestUrl, fetchedAt, batchId),
      }, writeTimeoutMs, writeDeadline);
    } catch (err) {
      return { failure: { city: slug, cityName: city.name, requestUrl, error: 'WRITE_FAILED', reason: (err as Error).message, attempts: fetched.attempts, ...tag } };
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
      ...tag,
      ...(fetched.warning !== undefined ? { warning: fetched.warning } : {}),
    };
    if (fetched.warning !== undefined) {
      log({ level: 'WARN', message: 'source answered with a warning', batchId, source: source.id, city: slug, status: fetched.status, warning: fetched.warning });
    }
    return { entry };
  });
  // Keep the configured city (then source) order in the manifest, whatever order the requests finished in.
  for (const outcome of outcomes) {
    if (outcome.entry) written.push(outcome.entry);
    if (outcome.failure) failed.push(outcome.failure);
  }
  for (const failure of failed) {
    log({ level: 'WARN', message: 'city failed', batchId, ...failure });
  }
  const perSource: ManifestSource[] = sources.map((source) => ({
    source: source.id,
    mapping: sourceMapping(source),
    rawPrefix: sourceRawPrefix(source.id),
    written: written.filter((e) => (e.source ?? OPEN_METEO_ID) === source.id).length,
    failed: failed.filter((f) => (f.source ?? OPEN_METEO_ID) === source.id).length,
  }));
  const failedSources = perSource.filter((s) => s.written === 0).map((s) => s.source);
  const multiSource = !(configured.length === 1 && configured[0].id === OPEN_METEO_ID);
  if (failedSources.length > 0 && failedSources.length < perSource.length) {
    log({ level: 'ERROR', message: 'source failed for every city', batchId, failedSources });
  }

  const retries = [...written, ...failed].reduce((sum, item) => sum + Math.max(0, item.attempts - 1), 0);

  if (written.length === 0) {
    logMetrics(log, written.length, failed.length, retries, multiSource ? perSource : []);
    const summary = failed.map((f) => `${f.source !== undefined ? `${f.source} ` : ''}${f.city} ${f.error} (${f.reason})`).join('; ');
    throw new Error(`ingestion batch ${batchId}: no city could be written, so no manifest was written: ${summary}`);
  }

  const manifest: IngestionManifest = {
    contractVersion: WeatherContract.VERSION,
    batchId,
    ingestDate,
    source: sources[0].id,
    ...(multiSource ? { sources: perSource } : {}),
    bucket: config.bucket,
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    written,
    failed,
  };
  // Written last: its arrival tells the orchestrator that the batch is complete. Bounded by the invocation's
  // remaining time only: it is the one write that must not be cut short by the per-write timeout.
  try {
    await boundedWrite(deps.putObject, { key: manifestKey, body: JSON.stringify(manifest, null, 2), contentType: 'application/json' },
      manifestDeadline - Date.now(), manifestDeadline);
  } catch (err) {
    const reason = (err as Error).message;
    log({ level: 'ERROR', message: 'manifest write failed', batchId, bucket: config.bucket, manifestKey, written: written.length, failed: failed.length, reason });
    throw new Error(
      `ingestion batch ${batchId}: the manifest s3://${config.bucket}/${manifestKey} could not be written: ${reason}. ` +
      `The ${written.length} raw object${written.length === 1 ? '' : 's'} written stay in place; a retry of this invocation reuses batch id ${batchId} and overwrites them.`,
      { cause: err });
  }
  // Only a batch whose manifest is in place counts as done.
  logMetrics(log, written.length, failed.length, retries, multiSource ? perSource : []);

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
    ...(multiSource ? { sources: perSource, failedSources } : {}),
  };
  log({ message: 'ingestion batch finished', ...result, failures: undefined });
  return result;
}

/**
 * The batch id of an event without one: `backfill-<start>-<end>` for a backfill, the event's time in ISO basic
 * format, else one made from the invocation id (stable across Lambda's retries of the same invocation), else (no
 * invocation id: a direct call outside Lambda) the start time.
 */
function defaultBatchId(
  backfill: { startDate: string; endDate: string } | undefined, eventTime: string | undefined, logicalTime: Date, invocationId: string | undefined,
): string {
  if (backfill !== undefined) {
    return `backfill-${backfill.startDate.replace(/-/g, '')}-${backfill.endDate.replace(/-/g, '')}`;
  }
  if (eventTime !== undefined || invocationId === undefined) {
    return WeatherContract.scheduledBatchId(logicalTime.toISOString());
  }
  return `invocation-${invocationId.replace(/[^A-Za-z0-9_.-]/g, '-')}`.slice(0, 64);
}

/**
 * The body cap and the number of requests in flight of this batch. A forecast uses the configured cap; a backfill
 * derives one from its date range, and runs fewer requests at once so that concurrency × cap stays within the
 * memory the function was sized with for bodies. A range whose one body would not fit is refused.
 */
export function bodyLimits(config: RuntimeConfig, backfill?: { startDate: string; endDate: string }): { maxBodyBytes: number; concurrency: number } {
  const budget = config.bodyMemoryBytes ?? bodyMemoryBytes(MIN_MEMORY_MB);
  const sources = configuredSources(config, DEFAULT_MAX_CALLS_PER_MINUTE).filter((source) => backfill === undefined || supportsBackfill(source));
  const maxBodyBytes = Math.max(...sources.map((source) => sourceBodyCap(source, config, backfill)),
    backfill === undefined ? 0 : sourceBodyCap({ id: OPEN_METEO_ID, maxCallsPerMinute: 1 }, config, backfill));
  const concurrency = Math.min(config.maxConcurrentRequests, Math.floor(budget / maxBodyBytes));
  if (concurrency < 1) {
    throw new Error(
      `backfill ${backfill?.startDate} .. ${backfill?.endDate}: one response may be up to ${maxBodyBytes} bytes, more than the ${budget} bytes ` +
      'the function\'s memory allows for response bodies; split the range into shorter backfills (or raise the function\'s memory)');
  }
  return { maxBodyBytes, concurrency };
}


/**
 * Runs one S3 write bounded by `timeoutMs` and by `deadline` (epoch ms), whichever comes first: past it the write
 * is aborted and this rejects, naming the bound, even if the writer ignores the abort.
 */
async function boundedWrite(
  putObject: IngestDependencies['putObject'], object: LandingObject, timeoutMs: number, deadline: number,
): Promise<void> {
  const leftMs = deadline - Date.now();
  const limitMs = Math.min(timeoutMs, leftMs);
  const bound = timeoutMs <= leftMs ? `the S3 write timeout of ${timeoutMs} ms` : `the invocation's remaining time (${Math.max(0, leftMs)} ms left for it)`;
  if (limitMs <= 0) {
    throw new Error(`not written to s3 key ${object.key}: no time left in the invocation for it`);
  }
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      reject(new Error(`no answer from S3 for key ${object.key} within ${bound}`));
    }, limitMs);
  });
  try {
    await Promise.race([putObject(object, controller.signal), expired]);
  } finally {
    clearTimeout(timer);
  }
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
function logMetrics(
  log: (record: Record<string, unknown>) => void, written: number, failed: number, retries: number, perSource: ManifestSource[],
): void {
  // With several sources, the counts per source too (dimension `Source`), so that a source can be watched on its own.
  for (const source of perSource) {
    log({
      _aws: {
        Timestamp: Date.now(),
        CloudWatchMetrics: [{
          Namespace: 'CdkWeatherPipeline/Ingestion',
          Dimensions: [['Source']],
          Metrics: [{ Name: 'CitiesWritten', Unit: 'Count' }, { Name: 'CitiesFailed', Unit: 'Count' }],
        }],
      },
      Source: source.source,
      CitiesWritten: source.written,
      CitiesFailed: source.failed,
    });
  }
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
