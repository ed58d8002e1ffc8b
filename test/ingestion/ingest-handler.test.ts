/**
 * The ingestion handler for real: HTTP to a stub Open-Meteo on loopback serving recorded bodies, and S3 through
 * a moto server on loopback. The handler module is imported directly (not the bundle) and configured through
 * the same environment variables the construct sets, with the cities in a `cities.json` written as the construct
 * writes it (in a temporary folder: the unbundled module has none next to it).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { CreateBucketCommand, GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { FaultyS3Proxy, fixture, handlerTestEnv, MotoS3, StubWeatherApi } from './local-servers';
import { IngestionManifest, WeatherContract } from '../../src/contract';
import { createHandler } from '../../src/ingestion/ingest.lambda';
import { CallRateLimiter } from '../../src/ingestion/private/rate-limiter';
import { CITIES_FILE, ENV, encodeCities, MANIFEST_RESERVE_MS } from '../../src/ingestion/private/runtime-config';

const BUCKET = 'landing';
const GYOR = { name: 'Győr', latitude: 47.68, longitude: 17.66, timezone: 'Europe/Budapest' };
const SLC = { name: 'Salt Lake City', latitude: 40.76, longitude: -111.89, timezone: 'America/Denver' };
const PARIS = { name: 'Paris', latitude: 48.8566, longitude: 2.3522 };
const SAINT_ETIENNE = { name: 'Saint-Étienne', latitude: 45.4397, longitude: 4.3872, timezone: 'Europe/Paris' };
const LYON = { name: 'Lyon', latitude: 45.764, longitude: 4.8357 };
const NICE = { name: 'Nice', latitude: 43.7102, longitude: 7.262 };
const LILLE = { name: 'Lille', latitude: 50.6292, longitude: 3.0573 };
const BREST = { name: 'Brest', latitude: 48.3904, longitude: -4.4861 };
const CITIES = [GYOR, SLC, PARIS, SAINT_ETIENNE, LYON, NICE, LILLE, BREST];

const MAX_ATTEMPTS = 3;
// Long enough that no answering request times out on a loaded machine (an attempt that did would be retried and
// change the counts these tests assert); the stalled city answers far later than that.
const REQUEST_TIMEOUT_MS = 3_000;
const SCHEDULED_TIME = '2025-06-01T06:15:00Z';
const BATCH_ID = '20250601T061500Z';
const INGEST_DATE = '2025-06-01';

const citiesDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ingest-handler-test-'));
const handler = createHandler(path.join(citiesDir, CITIES_FILE));

const api = new StubWeatherApi();
const moto = new MotoS3();
// The handler reaches moto through this proxy, which can stall or fail chosen requests.
const s3Proxy = new FaultyS3Proxy(() => moto.endpoint);
let s3: S3Client;
const savedEnv = { ...process.env };

async function body(key: string): Promise<Buffer> {
  const out = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
  return Buffer.from(await out.Body!.transformToByteArray());
}

/** Polls `condition` every 10 ms, at most 5 s (it only waits for the loopback sockets to settle). */
async function waitFor(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !condition(); i++) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function keys(prefix: string): Promise<string[]> {
  const out = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix }));
  return (out.Contents ?? []).map((o) => o.Key!).sort();
}

function scriptAll(): void {
  api.script(GYOR.latitude, [{ status: 200, body: fixture('forecast-gyor-gmt-48h.json') }]);
  api.script(SLC.latitude, [
    { status: 500, body: 'Internal Server Error' },
    { status: 200, body: fixture('forecast-slc-fahrenheit-mph-denver.json') },
  ]);
  api.script(PARIS.latitude, [
    { status: 429, body: '{"error":true,"reason":"Minutely API request limit exceeded. Please try again in one minute."}', headers: { 'retry-after': '0' } },
    { status: 200, body: fixture('forecast-gyor-gmt-48h.json') },
  ]);
  api.script(SAINT_ETIENNE.latitude, [{ status: 200, body: fixture('forecast-saint-etienne-nulls.json') }]);
  api.script(LYON.latitude, [{ status: 400, body: fixture('error-400-invalid-variable.json') }]);
  api.script(NICE.latitude, [{ status: 200, body: fixture('forecast-gyor-gmt-48h.json'), delayMs: 30_000 }]);
  api.script(LILLE.latitude, [{ status: 200, body: fixture('truncated-gyor.json') }]);
  api.script(BREST.latitude, [{ status: 200, body: fixture('error-200-api-error.json') }]);
}

beforeAll(async () => {
  await Promise.all([api.start(), moto.start(), s3Proxy.start()]);
  fs.writeFileSync(path.join(citiesDir, CITIES_FILE), encodeCities(CITIES));
  Object.assign(process.env, {
    ...handlerTestEnv(s3Proxy.endpoint, api.baseUrl, BUCKET),
    [ENV.requestTimeoutMs]: String(REQUEST_TIMEOUT_MS),
    [ENV.maxAttempts]: String(MAX_ATTEMPTS),
    [ENV.maxConcurrentRequests]: '3',
  });
  s3 = new S3Client({ endpoint: moto.endpoint, forcePathStyle: true, region: 'us-east-1' });
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
}, 60_000);

afterAll(async () => {
  s3?.destroy();
  await Promise.all([api.stop(), moto.stop(), s3Proxy.stop()]);
  process.env = savedEnv;
  fs.rmSync(citiesDir, { recursive: true, force: true });
});

describe('a scheduled forecast batch with every kind of fault', () => {
  let result: Awaited<ReturnType<typeof handler>>;
  let niceAtReturn: string[];
  const logs: string[] = [];

  beforeAll(async () => {
    scriptAll();
    api.reset();
    const spy = jest.spyOn(console, 'log').mockImplementation((line: string) => { logs.push(line); });
    try {
      result = await handler({ scheduledTime: SCHEDULED_TIME });
      niceAtReturn = api.hits(NICE.latitude).map((r) => r.state);
    } finally {
      spy.mockRestore();
    }
  });

  test('reports a partial failure with the counts the orchestrator reads', () => {
    expect(result).toEqual({
      batchId: BATCH_ID,
      ingestDate: INGEST_DATE,
      mode: 'forecast',
      bucket: BUCKET,
      manifestKey: WeatherContract.manifestKey(INGEST_DATE, BATCH_ID),
      citiesRequested: 8,
      written: 4,
      failed: 4,
      partialFailure: true,
      // SLC 500 → 1, Paris 429 → 1, Nice timeout → 2, Lille truncated → 2
      retries: 6,
      failures: expect.any(Array),
    });
  });

  test('writes one raw object per fetched city at the contract key, and nothing for the failures', async () => {
    expect(await keys(WeatherContract.LANDING_RAW_PREFIX)).toEqual([
      WeatherContract.rawKey(INGEST_DATE, 'gyor', BATCH_ID),
      WeatherContract.rawKey(INGEST_DATE, 'paris', BATCH_ID),
      WeatherContract.rawKey(INGEST_DATE, 'saint-etienne', BATCH_ID),
      WeatherContract.rawKey(INGEST_DATE, 'salt-lake-city', BATCH_ID),
    ].sort());
  });

  test('keeps every body byte for byte', async () => {
    expect((await body(WeatherContract.rawKey(INGEST_DATE, 'gyor', BATCH_ID))).equals(fixture('forecast-gyor-gmt-48h.json'))).toBe(true);
    expect((await body(WeatherContract.rawKey(INGEST_DATE, 'salt-lake-city', BATCH_ID))).equals(fixture('forecast-slc-fahrenheit-mph-denver.json'))).toBe(true);
    expect((await body(WeatherContract.rawKey(INGEST_DATE, 'paris', BATCH_ID))).equals(fixture('forecast-gyor-gmt-48h.json'))).toBe(true);
    // Pretty-printed with a trailing newline: a re-serialized body would differ.
    expect((await body(WeatherContract.rawKey(INGEST_DATE, 'saint-etienne', BATCH_ID))).equals(fixture('forecast-saint-etienne-nulls.json'))).toBe(true);
  });

  test('records provenance in URI-encoded object metadata under the contract keys', async () => {
    const head = await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: WeatherContract.rawKey(INGEST_DATE, 'gyor', BATCH_ID) }));
    expect(Object.keys(head.Metadata ?? {}).sort()).toEqual([...WeatherContract.RAW_METADATA_KEYS].sort());
    const decoded = Object.fromEntries(Object.entries(head.Metadata!).map(([k, v]) => [k, decodeURIComponent(v)]));
    const manifest = JSON.parse((await body(result.manifestKey)).toString()) as IngestionManifest;
    const entry = manifest.written.find((e) => e.city === 'gyor')!;
    expect(decoded).toEqual({
      'city-name': 'Győr',
      'city-slug': 'gyor',
      'latitude': '47.68',
      'longitude': '17.66',
      'timezone': 'Europe/Budapest',
      'request-url': entry.requestUrl,
      'fetched-at': entry.fetchedAt,
      'batch-id': BATCH_ID,
    });
    expect(head.Metadata!['city-name']).toBe('Gy%C5%91r');
    expect(head.ContentType).toMatch(/^application\/json/);
  });

  test('omits the timezone metadata key when the city has none', async () => {
    const head = await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: WeatherContract.rawKey(INGEST_DATE, 'paris', BATCH_ID) }));
    expect(Object.keys(head.Metadata ?? {}).sort()).toEqual(WeatherContract.RAW_METADATA_KEYS.filter((k) => k !== 'timezone').sort());
  });

  test('writes the manifest: what was written, what failed and why, in city order', async () => {
    const manifest = JSON.parse((await body(result.manifestKey)).toString()) as IngestionManifest;
    const url = (city: { latitude: number; longitude: number }) =>
      `${api.baseUrl}/v1/forecast?latitude=${city.latitude}&longitude=${city.longitude}` +
      `&hourly=${WeatherContract.VARIABLES.map((v) => v.apiName).join(',')}&past_days=1&forecast_days=2&timezone=UTC`;
    expect(manifest).toEqual({
      contractVersion: WeatherContract.VERSION,
      batchId: BATCH_ID,
      ingestDate: INGEST_DATE,
      source: 'open-meteo',
      bucket: BUCKET,
      startedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      finishedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      written: [
        { key: WeatherContract.rawKey(INGEST_DATE, 'gyor', BATCH_ID), city: 'gyor', cityName: 'Győr', latitude: 47.68, longitude: 17.66, timezone: 'Europe/Budapest', requestUrl: url(GYOR), fetchedAt: expect.any(String), bytes: fixture('forecast-gyor-gmt-48h.json').length, attempts: 1 },
        { key: WeatherContract.rawKey(INGEST_DATE, 'salt-lake-city', BATCH_ID), city: 'salt-lake-city', cityName: 'Salt Lake City', latitude: 40.76, longitude: -111.89, timezone: 'America/Denver', requestUrl: url(SLC), fetchedAt: expect.any(String), bytes: fixture('forecast-slc-fahrenheit-mph-denver.json').length, attempts: 2 },
        { key: WeatherContract.rawKey(INGEST_DATE, 'paris', BATCH_ID), city: 'paris', cityName: 'Paris', latitude: 48.8566, longitude: 2.3522, requestUrl: url(PARIS), fetchedAt: expect.any(String), bytes: fixture('forecast-gyor-gmt-48h.json').length, attempts: 2 },
        { key: WeatherContract.rawKey(INGEST_DATE, 'saint-etienne', BATCH_ID), city: 'saint-etienne', cityName: 'Saint-Étienne', latitude: 45.4397, longitude: 4.3872, timezone: 'Europe/Paris', requestUrl: url(SAINT_ETIENNE), fetchedAt: expect.any(String), bytes: fixture('forecast-saint-etienne-nulls.json').length, attempts: 1 },
      ],
      failed: [
        { city: 'lyon', cityName: 'Lyon', requestUrl: url(LYON), error: 'HTTP_400', reason: 'Cannot initialize WeatherVariable from invalid String value tempeture_2m for key hourly', attempts: 1 },
        { city: 'nice', cityName: 'Nice', requestUrl: url(NICE), error: 'TIMEOUT', reason: `no complete response within ${REQUEST_TIMEOUT_MS} ms`, attempts: MAX_ATTEMPTS },
        { city: 'lille', cityName: 'Lille', requestUrl: url(LILLE), error: 'INVALID_BODY', reason: expect.stringMatching(/^HTTP 200 body of 1000 bytes is not valid JSON: /), attempts: MAX_ATTEMPTS },
        { city: 'brest', cityName: 'Brest', requestUrl: url(BREST), error: 'API_ERROR', reason: 'No data is available for this location', attempts: 1 },
      ],
    });
    expect(result.failures).toEqual(manifest.failed);
    expect(manifest.startedAt <= manifest.finishedAt).toBe(true);
  });

  test('requests the contract variables in UTC, retrying only what is worth retrying', () => {
    const first = api.hits(GYOR.latitude)[0];
    expect(first.path).toBe('/v1/forecast');
    expect(first.query.get('hourly')!.split(',')).toEqual(WeatherContract.VARIABLES.map((v) => v.apiName));
    expect(first.query.get('timezone')).toBe('UTC');
    expect(first.query.get('past_days')).toBe('1');
    expect(first.query.get('forecast_days')).toBe('2');
    expect(Object.fromEntries(CITIES.map((c) => [c.name, api.hits(c.latitude).length]))).toEqual({
      'Győr': 1,
      'Salt Lake City': 2,
      'Paris': 2,
      'Saint-Étienne': 1,
      'Lyon': 1,
      'Nice': MAX_ATTEMPTS,
      'Lille': MAX_ATTEMPTS,
      'Brest': 1,
    });
  });

  test('keeps at most maxConcurrentRequests requests in flight', () => {
    expect(api.maxInFlight).toBeGreaterThan(1);
    expect(api.maxInFlight).toBeLessThanOrEqual(3);
  });

  test('gives up on the slow city after its timeouts instead of waiting for it', async () => {
    // Nice answers each request 2 s after it arrives: when the handler returned, none of its answers had been sent,
    // so the handler did not wait for one; and the client hung up on every attempt.
    expect(niceAtReturn).toHaveLength(MAX_ATTEMPTS);
    expect(niceAtReturn).not.toContain('sent');
    await waitFor(() => api.hits(NICE.latitude).every((r) => r.state === 'closed'));
    expect(api.hits(NICE.latitude).map((r) => r.state)).toEqual(Array(MAX_ATTEMPTS).fill('closed'));
  });

  test('logs the failures and the batch metrics', () => {
    const records = logs.map((line) => JSON.parse(line));
    expect(records.filter((r) => r.message === 'city failed').map((r) => r.city)).toEqual(['lyon', 'nice', 'lille', 'brest']);
    expect(records.find((r) => r._aws)).toMatchObject({ CitiesWritten: 4, CitiesFailed: 4, HttpRetries: 6 });
  });

  test('a retried run of the same schedule overwrites the same keys', async () => {
    const rawBefore = await keys(WeatherContract.LANDING_RAW_PREFIX);
    const manifestsBefore = await keys(WeatherContract.LANDING_MANIFEST_PREFIX);
    scriptAll();
    api.reset();
    const spy = jest.spyOn(console, 'log').mockImplementation(() => undefined);
    const again = await handler({ scheduledTime: SCHEDULED_TIME }).finally(() => spy.mockRestore());
    expect(again.batchId).toBe(BATCH_ID);
    expect(again.manifestKey).toBe(result.manifestKey);
    expect(await keys(WeatherContract.LANDING_RAW_PREFIX)).toEqual(rawBefore);
    expect(await keys(WeatherContract.LANDING_MANIFEST_PREFIX)).toEqual(manifestsBefore);
    expect((await body(WeatherContract.rawKey(INGEST_DATE, 'gyor', BATCH_ID))).equals(fixture('forecast-gyor-gmt-48h.json'))).toBe(true);
  });
});

describe('other runs', () => {
  beforeEach(() => {
    scriptAll();
    api.reset();
    jest.spyOn(console, 'log').mockImplementation(() => undefined);
  });
  afterEach(() => jest.restoreAllMocks());

  test('fails, and writes no manifest, when no city could be written', async () => {
    await expect(handler({ batchId: 'all-fail', citySlugs: ['lyon', 'brest'] })).rejects.toThrow(
      'ingestion batch all-fail: no city could be written, so no manifest was written: ' +
      'lyon HTTP_400 (Cannot initialize WeatherVariable from invalid String value tempeture_2m for key hourly); ' +
      'brest API_ERROR (No data is available for this location)');
    expect((await keys(WeatherContract.LANDING_MANIFEST_PREFIX)).filter((k) => k.endsWith('/all-fail.json'))).toEqual([]);
    expect((await keys(WeatherContract.LANDING_RAW_PREFIX)).filter((k) => k.endsWith('/all-fail.json'))).toEqual([]);
  });

  test('a single failed city of two is a partial failure, not an error', async () => {
    const result = await handler({ batchId: 'one-of-two', scheduledTime: '2025-06-02T00:00:00Z', citySlugs: ['gyor', 'lyon'] });
    expect(result).toMatchObject({ written: 1, failed: 1, partialFailure: true, manifestKey: WeatherContract.manifestKey('2025-06-02', 'one-of-two') });
  });

  test('a clean batch is not a partial failure', async () => {
    const result = await handler({ batchId: 'clean', scheduledTime: '2025-06-02T00:00:00Z', citySlugs: ['gyor', 'saint-etienne'] });
    expect(result).toMatchObject({ written: 2, failed: 0, partialFailure: false, retries: 0, failures: [] });
  });

  test('an EventBridge event: its time is the scheduled time', async () => {
    const result = await handler({ time: '2025-06-03T12:00:00Z', citySlugs: ['gyor'] } as any);
    expect(result.batchId).toBe('20250603T120000Z');
    expect(result.ingestDate).toBe('2025-06-03');
  });

  test('backfill mode reads the archive API over the date range', async () => {
    const result = await handler({ scheduledTime: '2025-06-04T00:00:00Z', citySlugs: ['gyor'], backfill: { startDate: '2024-01-01', endDate: '2024-01-31' } });
    expect(result).toMatchObject({ mode: 'backfill', batchId: 'backfill-20240101-20240131', written: 1 });
    const [request] = api.hits(GYOR.latitude);
    expect(request.path).toBe('/v1/archive');
    expect(request.query.get('start_date')).toBe('2024-01-01');
    expect(request.query.get('end_date')).toBe('2024-01-31');
    expect(request.query.get('past_days')).toBeNull();
    expect(request.query.get('timezone')).toBe('UTC');
    expect((await body(WeatherContract.rawKey('2025-06-04', 'gyor', 'backfill-20240101-20240131'))).equals(fixture('forecast-gyor-gmt-48h.json'))).toBe(true);
  });
});

describe('the API rate limit (maxCallsPerMinute): every attempt, retries included, waits for its call', () => {
  // Four cities that end up written: Győr and Saint-Étienne at once, Salt Lake City after a 500, Paris after a 429.
  const SLUGS = ['gyor', 'saint-etienne', 'salt-lake-city', 'paris'];
  const withLimit = async (callsPerMinute: number, context?: { getRemainingTimeInMillis: () => number }) => {
    process.env[ENV.maxCallsPerMinute] = String(callsPerMinute);
    process.env[ENV.maxConcurrentRequests] = '8';
    try {
      // Taken before the handler creates its limiter: no call can be granted earlier than the bucket allows from here.
      const start = Date.now();
      const result = await handler({ batchId: `limit-${callsPerMinute}-${context ? 'short' : 'full'}`, scheduledTime: '2025-06-05T00:00:00Z', citySlugs: SLUGS }, context as any);
      return { result, start, times: api.requests.map((r) => r.receivedAt).sort((a, b) => a - b) };
    } finally {
      process.env[ENV.maxCallsPerMinute] = '';
      process.env[ENV.maxConcurrentRequests] = '3';
    }
  };
  beforeEach(() => {
    scriptAll();
    api.reset();
    jest.spyOn(console, 'log').mockImplementation(() => undefined);
  });
  afterEach(() => jest.restoreAllMocks());

  test('120 a minute: a burst of 2, then one call every 508 ms, though 8 requests may be in flight', async () => {
    const { result, start, times } = await withLimit(120);
    expect(result).toMatchObject({ written: 4, failed: 0, retries: 2 });
    // 6 calls: 2 at once, then one per 60 s / 118 (the bucket refills at 120 − 2 a minute so that no minute sees more than 120).
    // Only lower bounds, from an instant before the limiter existed: a busy machine can delay a request's arrival
    // (the first one's too, so gaps between arrivals prove nothing), never make it earlier than its grant.
    expect(times).toHaveLength(6);
    const interval = 60_000 / 118;
    for (let i = 2; i < times.length; i++) {
      expect(times[i] - start).toBeGreaterThanOrEqual(Math.floor((i - 1) * interval) - 1);
    }
  });

  test('the default 500 a minute lets the same 6 calls go at once (burst of 8)', async () => {
    // The limiter's own count of requests that waited, not the wall clock (which a busy machine stretches).
    const limiters: CallRateLimiter[] = [];
    const acquire = CallRateLimiter.prototype.acquire;
    jest.spyOn(CallRateLimiter.prototype, 'acquire').mockImplementation(function (this: CallRateLimiter, deadline: number) {
      if (!limiters.includes(this)) limiters.push(this);
      return acquire.call(this, deadline);
    });
    const { result, times } = await withLimit(500);
    expect(result).toMatchObject({ written: 4, failed: 0 });
    expect(times).toHaveLength(6);
    expect(limiters).toHaveLength(1);
    expect(limiters[0].burst).toBe(8);
    expect(limiters[0].waits).toBe(0);
  });

  test('a city whose call would only come after the deadline fails (not attempted), and the batch is a partial failure', async () => {
    // 60 a minute: a burst of 1, then one call every 1,017 ms; 1.5 s left before the manifest reserve.
    const { result, times } = await withLimit(60, { getRemainingTimeInMillis: () => MANIFEST_RESERVE_MS + 1_500 });
    expect(times).toHaveLength(2);
    expect(result).toMatchObject({ written: 2, failed: 2, partialFailure: true });
    expect(result.failures.map((f) => [f.city, f.error, f.attempts, f.reason])).toEqual([
      ['salt-lake-city', 'TIMEOUT', 0, 'not attempted: no time left within the API rate limit (0 attempts made)'],
      ['paris', 'TIMEOUT', 0, 'not attempted: no time left within the API rate limit (0 attempts made)'],
    ]);
    const manifest: IngestionManifest = JSON.parse((await body(result.manifestKey)).toString('utf-8'));
    expect(manifest.written.map((w) => w.city)).toEqual(['gyor', 'saint-etienne']);
    expect(manifest.failed.map((f) => f.city)).toEqual(['salt-lake-city', 'paris']);
  });
});

/** A valid forecast body of `hours` hours (the Győr fixture's header, its hourly arrays repeated). */
function forecastOfHours(hours: number): Buffer {
  const gyor = JSON.parse(fixture('forecast-gyor-gmt-48h.json').toString('utf-8'));
  return Buffer.from(JSON.stringify({
    ...gyor,
    hourly: {
      time: Array.from({ length: hours }, (_, i) => new Date(Date.UTC(2025, 0, 1) + i * 3_600_000).toISOString().slice(0, 16)),
      temperature_2m: Array(hours).fill(12.5),
      relative_humidity_2m: Array(hours).fill(81),
    },
  }));
}

describe('bounds: one response or one write cannot sink the batch', () => {
  const CAP = 50_000;
  const logs: Array<Record<string, any>> = [];
  const setEnv = (values: Record<string, string>) => Object.assign(process.env, values);

  beforeEach(() => {
    scriptAll();
    api.reset();
    s3Proxy.reset();
    logs.length = 0;
    jest.spyOn(console, 'log').mockImplementation((line: string) => { logs.push(JSON.parse(line)); });
    setEnv({ [ENV.maxBodyBytes]: String(CAP) });
  });
  afterEach(() => {
    jest.restoreAllMocks();
    setEnv({ [ENV.maxBodyBytes]: '', [ENV.s3WriteTimeoutMs]: '' });
  });

  test('a body over the cap (Content-Length) fails its city with BODY_TOO_LARGE, once, and the others are written', async () => {
    const big = forecastOfHours(4_000);
    expect(big.length).toBeGreaterThan(CAP);
    api.script(GYOR.latitude, [{ status: 200, body: big }]);
    const result = await handler({ batchId: 'cap-declared', scheduledTime: '2025-06-06T00:00:00Z', citySlugs: ['gyor', 'saint-etienne'] });
    expect(result).toMatchObject({ written: 1, failed: 1 });
    expect(result.failures).toEqual([expect.objectContaining({
      city: 'gyor',
      error: 'BODY_TOO_LARGE',
      attempts: 1,
      reason: `HTTP 200 body of ${big.length} bytes (Content-Length), more than the ${CAP} bytes accepted (maxResponseSize); request abandoned`,
    })]);
    expect(api.hits(GYOR.latitude)).toHaveLength(1);
    expect(await keys(`${WeatherContract.LANDING_RAW_PREFIX}ingest_date=2025-06-06/`)).toEqual([WeatherContract.rawKey('2025-06-06', 'saint-etienne', 'cap-declared')]);
    const manifest = JSON.parse((await body(result.manifestKey)).toString()) as IngestionManifest;
    expect(manifest.failed.map((f) => [f.city, f.error])).toEqual([['gyor', 'BODY_TOO_LARGE']]);
  });

  test('a streamed body without Content-Length is cut off at the cap: the rest is never read', async () => {
    // 32 MB, sent as the client takes it: the handler must stop reading soon after 50 KB.
    const huge = forecastOfHours(1_200_000);
    expect(huge.length).toBeGreaterThan(30 * 1024 * 1024);
    api.script(GYOR.latitude, [{ status: 200, body: huge, chunkBytes: 16 * 1024 }]);
    const result = await handler({ batchId: 'cap-streamed', scheduledTime: '2025-06-06T00:00:00Z', citySlugs: ['gyor', 'saint-etienne'] });
    expect(result.failures).toEqual([expect.objectContaining({
      city: 'gyor',
      error: 'BODY_TOO_LARGE',
      attempts: 1,
      reason: `HTTP 200 body of more than ${CAP} bytes, more than the ${CAP} bytes accepted (maxResponseSize); request abandoned`,
    })]);
    expect(result.written).toBe(1);
    await waitFor(() => api.hits(GYOR.latitude)[0].state !== 'pending');
    const [request] = api.hits(GYOR.latitude);
    expect(request.state).toBe('closed');
    // Whatever the socket buffers held, far from the whole body went out.
    expect(request.bytesSent).toBeLessThan(huge.length / 2);
  });

  test('a body just under the cap is written byte for byte', async () => {
    let hours = 100;
    while (forecastOfHours(hours + 100).length <= CAP) hours += 100;
    const fits = forecastOfHours(hours);
    api.script(GYOR.latitude, [{ status: 200, body: fits, chunkBytes: 4096 }]);
    const result = await handler({ batchId: 'cap-fits', scheduledTime: '2025-06-06T00:00:00Z', citySlugs: ['gyor'] });
    expect(result).toMatchObject({ written: 1, failed: 0 });
    expect((await body(WeatherContract.rawKey('2025-06-06', 'gyor', 'cap-fits'))).equals(fits)).toBe(true);
  });

  test.each<[string, string, RegExp]>([
    ['{}', '{}', /^HTTP 200 body has no "hourly" object: \{\}$/],
    ['an hourly block without time', '{"hourly":{"temperature_2m":[1]}}', /has no non-empty "hourly.time" array/],
    ['no requested variable', '{"hourly":{"time":["2025-06-01T00:00"],"snowfall":[0]}}', /has none of the requested hourly variables \(temperature_2m, /],
    ['a variable that is not an array', '{"hourly":{"time":["2025-06-01T00:00"],"temperature_2m":12.5}}', /has hourly variables that are not arrays: temperature_2m/],
  ])('%s is refused with WRONG_SHAPE, not retried, not written', async (_name, answer, reason) => {
    api.script(GYOR.latitude, [{ status: 200, body: answer }]);
    const batchId = `shape-${_name.length}`;
    const result = await handler({ batchId, scheduledTime: '2025-06-07T00:00:00Z', citySlugs: ['gyor', 'saint-etienne'] });
    expect(result.failures).toEqual([expect.objectContaining({ city: 'gyor', error: 'WRONG_SHAPE', attempts: 1, reason: expect.stringMatching(reason) })]);
    expect(api.hits(GYOR.latitude)).toHaveLength(1);
    expect((await keys(`${WeatherContract.LANDING_RAW_PREFIX}ingest_date=2025-06-07/city=gyor/`)).filter((k) => k.endsWith(`/${batchId}.json`))).toEqual([]);
    const manifest = JSON.parse((await body(result.manifestKey)).toString()) as IngestionManifest;
    expect(manifest.written.map((w) => w.city)).toEqual(['saint-etienne']);
  });

  test('a stalled PUT fails its city after the S3 write timeout; the others and the manifest are written', async () => {
    setEnv({ [ENV.s3WriteTimeoutMs]: '300' });
    s3Proxy.fault = (method, p) => (method === 'PUT' && p.includes('/city=gyor/') ? 'stall' : 'pass');
    const result = await handler({ batchId: 'stall-timeout', scheduledTime: '2025-06-08T00:00:00Z', citySlugs: ['gyor', 'saint-etienne'] });
    const key = WeatherContract.rawKey('2025-06-08', 'gyor', 'stall-timeout');
    expect(result.failures).toEqual([expect.objectContaining({
      city: 'gyor', error: 'WRITE_FAILED', attempts: 1, reason: `no answer from S3 for key ${key} within the S3 write timeout of 300 ms`,
    })]);
    const manifest = JSON.parse((await body(result.manifestKey)).toString()) as IngestionManifest;
    expect(manifest.written.map((w) => w.city)).toEqual(['saint-etienne']);
    expect(manifest.failed.map((f) => [f.city, f.error])).toEqual([['gyor', 'WRITE_FAILED']]);
    // The SDK request was aborted, not left hanging.
    await waitFor(() => s3Proxy.stalled.every((r) => r.closedByClient));
    expect(s3Proxy.stalled.map((r) => [r.method, r.closedByClient])).toEqual([['PUT', true]]);
  });

  test('a stalled PUT is cut at the invocation deadline, keeping time for the manifest, whatever the write timeout', async () => {
    setEnv({ [ENV.s3WriteTimeoutMs]: '600000' });
    s3Proxy.fault = (method, p) => (method === 'PUT' && p.includes('/city=gyor/') ? 'stall' : 'pass');
    // Lambda's clock: 0.5 s of the invocation left for requests (then the manifest reserve).
    const end = Date.now() + MANIFEST_RESERVE_MS + 500;
    const context = { getRemainingTimeInMillis: () => end - Date.now(), awsRequestId: 'a5b9c0de-0000-4000-8000-000000000001' };
    const result = await handler({ batchId: 'stall-deadline', scheduledTime: '2025-06-08T00:00:00Z', citySlugs: ['gyor', 'saint-etienne'] }, context as any);
    expect(result.failures).toEqual([expect.objectContaining({
      city: 'gyor', error: 'WRITE_FAILED', reason: expect.stringMatching(/^no answer from S3 for key \S+ within the invocation's remaining time \(\d+ ms left for it\)$/),
    })]);
    const manifest = JSON.parse((await body(result.manifestKey)).toString()) as IngestionManifest;
    expect(manifest.written.map((w) => w.city)).toEqual(['saint-etienne']);
  });

  test('a manifest write that fails names the batch and the key, and no success metrics are logged', async () => {
    const manifestKey = WeatherContract.manifestKey('2025-06-09', 'manifest-denied');
    s3Proxy.fault = (method, p) => (method === 'PUT' && p.includes(manifestKey) ? { status: 403, code: 'AccessDenied', message: 'Access Denied' } : 'pass');
    await expect(handler({ batchId: 'manifest-denied', scheduledTime: '2025-06-09T00:00:00Z', citySlugs: ['gyor', 'saint-etienne'] })).rejects.toThrow(
      `ingestion batch manifest-denied: the manifest s3://${BUCKET}/${manifestKey} could not be written: Access Denied. ` +
      'The 2 raw objects written stay in place; a retry of this invocation reuses batch id manifest-denied and overwrites them.');
    expect(logs.filter((r) => r._aws !== undefined)).toEqual([]);
    expect(logs.filter((r) => r.level === 'ERROR')).toEqual([expect.objectContaining({
      message: 'manifest write failed', batchId: 'manifest-denied', bucket: BUCKET, manifestKey, written: 2, failed: 0, reason: 'Access Denied',
    })]);
    expect(logs.some((r) => r.message === 'ingestion batch finished')).toBe(false);
  });

  test('metrics are logged after the manifest is written', async () => {
    const order: string[] = [];
    s3Proxy.fault = (method, p) => {
      if (method === 'PUT' && p.includes(WeatherContract.LANDING_MANIFEST_PREFIX)) order.push(`manifest put, ${logs.filter((r) => r._aws).length} metric records logged`);
      return 'pass';
    };
    await handler({ batchId: 'order', scheduledTime: '2025-06-09T00:00:00Z', citySlugs: ['gyor'] });
    expect(order).toEqual(['manifest put, 0 metric records logged']);
    expect(logs.filter((r) => r._aws)).toHaveLength(1);
  });

  test('a retry of an invocation without time or batch id reuses its batch id (Lambda keeps the request id)', async () => {
    const context = { getRemainingTimeInMillis: () => 600_000, awsRequestId: '8f3c2a1e-5b6d-4e7f-9a0b-1c2d3e4f5a6b' };
    const first = await handler({ citySlugs: ['gyor'] }, context as any);
    const retry = await handler({ citySlugs: ['gyor'] }, context as any);
    expect(first.batchId).toBe('invocation-8f3c2a1e-5b6d-4e7f-9a0b-1c2d3e4f5a6b');
    expect(retry.batchId).toBe(first.batchId);
    expect(retry.manifestKey).toBe(first.manifestKey);
    expect((await keys(WeatherContract.LANDING_MANIFEST_PREFIX)).filter((k) => k.includes('invocation-'))).toEqual([first.manifestKey]);
  });
});
