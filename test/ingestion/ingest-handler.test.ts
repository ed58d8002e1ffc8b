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
import { fixture, MotoS3, StubWeatherApi } from './local-servers';
import { IngestionManifest, WeatherContract } from '../../src/contract';
import { createHandler } from '../../src/ingestion/ingest.lambda';
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
const REQUEST_TIMEOUT_MS = 300;
const SCHEDULED_TIME = '2025-06-01T06:15:00Z';
const BATCH_ID = '20250601T061500Z';
const INGEST_DATE = '2025-06-01';

const citiesDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ingest-handler-test-'));
const handler = createHandler(path.join(citiesDir, CITIES_FILE));

const api = new StubWeatherApi();
const moto = new MotoS3();
let s3: S3Client;
const savedEnv = { ...process.env };

async function body(key: string): Promise<Buffer> {
  const out = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
  return Buffer.from(await out.Body!.transformToByteArray());
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
  api.script(NICE.latitude, [{ status: 200, body: fixture('forecast-gyor-gmt-48h.json'), delayMs: 2_000 }]);
  api.script(LILLE.latitude, [{ status: 200, body: fixture('truncated-gyor.json') }]);
  api.script(BREST.latitude, [{ status: 200, body: fixture('error-200-api-error.json') }]);
}

beforeAll(async () => {
  await Promise.all([api.start(), moto.start()]);
  fs.writeFileSync(path.join(citiesDir, CITIES_FILE), encodeCities(CITIES));
  Object.assign(process.env, {
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    AWS_SESSION_TOKEN: 'testing',
    AWS_REGION: 'us-east-1',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_ENDPOINT_URL_S3: moto.endpoint,
    AWS_S3_FORCE_PATH_STYLE: 'true',
    [ENV.bucket]: BUCKET,
    [ENV.apiBaseUrl]: api.baseUrl,
    [ENV.archiveApiBaseUrl]: api.baseUrl,
    [ENV.pastDays]: '1',
    [ENV.forecastDays]: '2',
    [ENV.requestTimeoutMs]: String(REQUEST_TIMEOUT_MS),
    [ENV.maxAttempts]: String(MAX_ATTEMPTS),
    [ENV.maxConcurrentRequests]: '3',
    [ENV.backoffBaseMs]: '10',
    [ENV.backoffMaxMs]: '50',
  });
  s3 = new S3Client({ endpoint: moto.endpoint, forcePathStyle: true, region: 'us-east-1' });
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
}, 60_000);

afterAll(async () => {
  s3?.destroy();
  await Promise.all([api.stop(), moto.stop()]);
  process.env = savedEnv;
  fs.rmSync(citiesDir, { recursive: true, force: true });
});

describe('a scheduled forecast batch with every kind of fault', () => {
  let result: Awaited<ReturnType<typeof handler>>;
  let elapsedMs: number;
  const logs: string[] = [];

  beforeAll(async () => {
    scriptAll();
    api.reset();
    const spy = jest.spyOn(console, 'log').mockImplementation((line: string) => { logs.push(line); });
    const started = Date.now();
    try {
      result = await handler({ scheduledTime: SCHEDULED_TIME });
    } finally {
      spy.mockRestore();
    }
    elapsedMs = Date.now() - started;
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

  test('gives up on the slow city after its timeouts instead of waiting for it', () => {
    // Nice answers after 2 s; three 300 ms attempts and short backoffs end well before that.
    expect(elapsedMs).toBeLessThan(2_000);
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
      const result = await handler({ batchId: `limit-${callsPerMinute}-${context ? 'short' : 'full'}`, scheduledTime: '2025-06-05T00:00:00Z', citySlugs: SLUGS }, context as any);
      return { result, times: api.requests.map((r) => r.receivedAt).sort((a, b) => a - b) };
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
    const { result, times } = await withLimit(120);
    expect(result).toMatchObject({ written: 4, failed: 0, retries: 2 });
    // 6 calls: 2 at once, then one per 60 s / 118 (the bucket refills at 120 − 2 a minute so that no minute sees more than 120).
    expect(times).toHaveLength(6);
    const interval = 60_000 / 118;
    for (let i = 2; i < times.length; i++) {
      expect(times[i] - times[0]).toBeGreaterThanOrEqual((i - 1) * interval - 25);
    }
  });

  test('the default 500 a minute lets the same 6 calls go at once (burst of 8)', async () => {
    const { result, times } = await withLimit(500);
    expect(result).toMatchObject({ written: 4, failed: 0 });
    expect(times[times.length - 1] - times[0]).toBeLessThan(400);
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
