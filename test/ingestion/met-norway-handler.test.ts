/**
 * The ingestion handler with two sources for real: HTTP to a stub Open-Meteo and a stub MET Norway on loopback
 * (recorded and fixture bodies), S3 through a moto server on loopback, configured by the environment the construct
 * sets for `sources: [WeatherSource.openMeteo(), WeatherSource.metNorway({ userAgent })]`.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { fixture, handlerTestEnv, MotoS3, StubWeatherApi } from './local-servers';
import { IngestionManifest, WeatherContract } from '../../src/contract';
import { createHandler } from '../../src/ingestion/ingest.lambda';
import { CallRateLimiter } from '../../src/ingestion/private/rate-limiter';
import { CITIES_FILE, ENV, encodeCities } from '../../src/ingestion/private/runtime-config';

const BUCKET = 'landing-two-sources';
const UA = 'cdk-weather-pipeline-tests.example ops@cdk-weather-pipeline-tests.example';
// Paris with more than 4 decimals: MET Norway must be asked for 48.8566, 2.3522.
const PARIS = { name: 'Paris', latitude: 48.856613, longitude: 2.352222 };
const OSLO = { name: 'Oslo', latitude: 59.9139, longitude: 10.7522 };
const NICE = { name: 'Nice', latitude: 43.7102, longitude: 7.262 };

const citiesDir = fs.mkdtempSync(path.join(os.tmpdir(), 'met-norway-handler-test-'));
const handler = createHandler(path.join(citiesDir, CITIES_FILE));
const openMeteo = new StubWeatherApi();
const metNorway = new StubWeatherApi();
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

async function manifest(ingestDate: string, batchId: string): Promise<IngestionManifest> {
  return JSON.parse((await body(WeatherContract.manifestKey(ingestDate, batchId))).toString('utf-8'));
}

function scriptOpenMeteo(): void {
  for (const city of [PARIS, OSLO, NICE]) {
    openMeteo.script(city.latitude, [{ status: 200, body: fixture('forecast-gyor-gmt-48h.json') }]);
  }
}

beforeAll(async () => {
  await Promise.all([openMeteo.start(), metNorway.start(), moto.start()]);
  fs.writeFileSync(path.join(citiesDir, CITIES_FILE), encodeCities([PARIS, OSLO, NICE]));
  Object.assign(process.env, {
    ...handlerTestEnv(moto.endpoint, openMeteo.baseUrl, BUCKET),
    [ENV.requestTimeoutMs]: '2000',
    [ENV.maxAttempts]: '3',
    [ENV.maxConcurrentRequests]: '4',
    [ENV.sources]: 'open-meteo,met-norway',
    [ENV.metNorwayBaseUrl]: metNorway.baseUrl,
    [ENV.metNorwayEndpoint]: 'compact',
    [ENV.metNorwayUserAgent]: UA,
    [ENV.metNorwayMaxCallsPerMinute]: '600',
  });
  s3 = new S3Client({ endpoint: moto.endpoint, forcePathStyle: true, region: 'us-east-1' });
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
}, 60_000);

afterAll(async () => {
  s3?.destroy();
  await Promise.all([openMeteo.stop(), metNorway.stop(), moto.stop()]);
  process.env = savedEnv;
  fs.rmSync(citiesDir, { recursive: true, force: true });
});

beforeEach(() => {
  openMeteo.reset();
  metNorway.reset();
  scriptOpenMeteo();
  jest.spyOn(console, 'log').mockImplementation(() => undefined);
});
afterEach(() => jest.restoreAllMocks());

describe('one run calls every source for every city', () => {
  test('both providers, each body written unchanged under its own source= prefix, the manifest lists both', async () => {
    metNorway.script(48.8566, [{ status: 200, body: fixture('met-norway-compact-paris.json') }]);
    metNorway.script(OSLO.latitude, [{ status: 200, body: fixture('met-norway-complete-oslo.json') }]);
    metNorway.script(NICE.latitude, [{ status: 200, body: fixture('met-norway-compact-nice-gaps.json') }]);
    const result = await handler({ scheduledTime: '2025-06-01T06:15:00Z' });
    expect(result).toMatchObject({ written: 6, failed: 0, partialFailure: false, failedSources: [] });
    expect(await keys('weather/raw/source=met-norway/')).toEqual([
      'weather/raw/source=met-norway/ingest_date=2025-06-01/city=nice/20250601T061500Z.json',
      'weather/raw/source=met-norway/ingest_date=2025-06-01/city=oslo/20250601T061500Z.json',
      'weather/raw/source=met-norway/ingest_date=2025-06-01/city=paris/20250601T061500Z.json',
    ]);
    expect(await keys(WeatherContract.LANDING_RAW_PREFIX)).toHaveLength(3);
    expect(await body('weather/raw/source=met-norway/ingest_date=2025-06-01/city=oslo/20250601T061500Z.json')).toEqual(fixture('met-norway-complete-oslo.json'));
    const m = await manifest('2025-06-01', '20250601T061500Z');
    expect(m.sources).toEqual([
      { source: 'open-meteo', mapping: 'OPEN_METEO_HOURLY_ARRAYS', rawPrefix: 'weather/raw/source=open-meteo/', written: 3, failed: 0 },
      { source: 'met-norway', mapping: 'MET_NORWAY_TIMESERIES', rawPrefix: 'weather/raw/source=met-norway/', written: 3, failed: 0 },
    ]);
    expect(m.written.map((e) => `${e.source}/${e.city}`)).toEqual([
      'open-meteo/paris', 'met-norway/paris', 'open-meteo/oslo', 'met-norway/oslo', 'open-meteo/nice', 'met-norway/nice',
    ]);
  });

  test('MET Norway requests: the compact endpoint, coordinates with 4 decimals, the configured User-Agent', async () => {
    metNorway.script(48.8566, [{ status: 200, body: fixture('met-norway-compact-paris.json') }]);
    await handler({ scheduledTime: '2025-06-01T07:15:00Z', citySlugs: ['paris'] });
    expect(metNorway.requests).toHaveLength(1);
    const [request] = metNorway.requests;
    expect(request.path).toBe('/weatherapi/locationforecast/2.0/compact');
    expect([...request.query.entries()]).toEqual([['lat', '48.8566'], ['lon', '2.3522']]);
    expect(request.userAgent).toBe(UA);
    expect(openMeteo.requests[0].userAgent).toMatch(/^cdk-weather-pipeline /);
  });
});

describe('MET Norway answers', () => {
  test('203 (deprecated product version): the body is data, written, with the warning in the manifest and the log', async () => {
    metNorway.script(48.8566, [{ status: 203, body: fixture('met-norway-compact-paris.json') }]);
    const logs: string[] = [];
    jest.spyOn(console, 'log').mockImplementation((line: string) => { logs.push(line); });
    const result = await handler({ scheduledTime: '2025-06-01T08:15:00Z', citySlugs: ['paris'] });
    expect(result).toMatchObject({ written: 2, failed: 0 });
    const entry = (await manifest('2025-06-01', '20250601T081500Z')).written.find((e) => e.source === 'met-norway')!;
    expect(entry.warning).toMatch(/^HTTP 203 Non-Authoritative Information: the provider has deprecated this product version/);
    expect(logs.some((line) => line.includes('"message":"source answered with a warning"'))).toBe(true);
  });

  test('403 (no identifying User-Agent) is not retried, and says why', async () => {
    metNorway.script(48.8566, [{ status: 403, body: 'Forbidden' }]);
    const result = await handler({ scheduledTime: '2025-06-01T09:15:00Z', citySlugs: ['paris'] });
    expect(metNorway.requests).toHaveLength(1);
    expect(result.failures).toEqual([expect.objectContaining({
      source: 'met-norway',
      city: 'paris',
      error: 'HTTP_403',
      attempts: 1,
      reason: expect.stringContaining('MET Norway refuses requests without an identifying User-Agent'),
    })]);
  });

  test('429 and 5xx are retried with backoff, as Open-Meteo\'s', async () => {
    metNorway.script(48.8566, [
      { status: 429, body: 'Too Many Requests', headers: { 'retry-after': '0' } },
      { status: 503, body: 'Service Unavailable' },
      { status: 200, body: fixture('met-norway-compact-paris.json') },
    ]);
    const result = await handler({ scheduledTime: '2025-06-01T10:15:00Z', citySlugs: ['paris'] });
    expect(metNorway.requests).toHaveLength(3);
    expect(result).toMatchObject({ written: 2, failed: 0, retries: 2 });
  });

  test('a 200 without a time series is WRONG_SHAPE, an Open-Meteo-like body included, not retried', async () => {
    metNorway.script(48.8566, [{ status: 200, body: fixture('forecast-gyor-gmt-48h.json') }]);
    const result = await handler({ scheduledTime: '2025-06-01T11:15:00Z', citySlugs: ['paris'] });
    expect(result.failures).toEqual([expect.objectContaining({
      source: 'met-norway', error: 'WRONG_SHAPE', attempts: 1, reason: expect.stringContaining('has no "properties" object'),
    })]);
  });
});

describe('a failing source does not fail the other\'s data', () => {
  test('MET Norway down for every city: Open-Meteo\'s bodies and the manifest are written, the source is named', async () => {
    for (const lat of [48.8566, OSLO.latitude, NICE.latitude]) {
      metNorway.script(lat, [{ status: 500, body: 'Internal Server Error' }]);
    }
    const logs: string[] = [];
    jest.spyOn(console, 'log').mockImplementation((line: string) => { logs.push(line); });
    const result = await handler({ scheduledTime: '2025-06-01T12:15:00Z' });
    expect(result).toMatchObject({ written: 3, failed: 3, partialFailure: true, failedSources: ['met-norway'] });
    const m = await manifest('2025-06-01', '20250601T121500Z');
    expect(m.written.every((e) => e.source === 'open-meteo')).toBe(true);
    expect(m.sources!.find((s) => s.source === 'met-norway')).toMatchObject({ written: 0, failed: 3 });
    expect(logs.some((line) => line.includes('"message":"source failed for every city"') && line.includes('met-norway'))).toBe(true);
    // Per-source counts as metrics (dimension Source), beside the batch totals.
    const metrics = logs.map((line) => JSON.parse(line)).filter((r) => r._aws !== undefined);
    const bySource = metrics.filter((r) => r.Source !== undefined);
    expect(bySource.map((r) => [r.Source, r.CitiesWritten, r.CitiesFailed, r._aws.CloudWatchMetrics[0].Dimensions]))
      .toEqual([['open-meteo', 3, 0, [['Source']]], ['met-norway', 0, 3, [['Source']]]]);
    expect(metrics.find((r) => r.Source === undefined)).toMatchObject({ CitiesWritten: 3, CitiesFailed: 3 });
  });

  test('every source failing for every city: no manifest, and the error names each source and city', async () => {
    openMeteo.script(OSLO.latitude, [{ status: 400, body: fixture('error-400-invalid-variable.json') }]);
    metNorway.script(OSLO.latitude, [{ status: 403, body: 'Forbidden' }]);
    await expect(handler({ scheduledTime: '2025-06-01T14:15:00Z', citySlugs: ['oslo'] })).rejects.toThrow(
      /^ingestion batch 20250601T141500Z: no city could be written, so no manifest was written: open-meteo oslo HTTP_400 \(.*\); met-norway oslo HTTP_403 \(403 Forbidden: Forbidden \(MET Norway refuses requests without an identifying User-Agent/);
    expect(await keys('weather/manifests/ingest_date=2025-06-01/20250601T141500Z')).toEqual([]);
  });

  test('a backfill calls only the sources with an archive (Open-Meteo)', async () => {
    const result = await handler({ backfill: { startDate: '2025-05-01', endDate: '2025-05-02' }, citySlugs: ['oslo'] });
    expect(metNorway.requests).toHaveLength(0);
    expect(openMeteo.requests[0].path).toBe('/v1/archive');
    expect(result.sources!.map((s) => s.source)).toEqual(['open-meteo']);
  });
});

describe('each source within its own rate limit', () => {
  test('MET Norway at 120 a minute is spaced by its limiter while Open-Meteo\'s calls go at once', async () => {
    process.env[ENV.metNorwayMaxCallsPerMinute] = '120';
    process.env[ENV.maxConcurrentRequests] = '6';
    try {
      for (const lat of [48.8566, OSLO.latitude, NICE.latitude]) {
        metNorway.script(lat, [{ status: 200, body: fixture('met-norway-compact-paris.json') }]);
      }
      // The limiters' own counts of requests that waited; the clock only as a lower bound from before the handler
      // created its limiters (a busy machine delays arrivals, it never makes one earlier than its grant).
      const limiters: CallRateLimiter[] = [];
      const acquire = CallRateLimiter.prototype.acquire;
      jest.spyOn(CallRateLimiter.prototype, 'acquire').mockImplementation(function (this: CallRateLimiter, deadline: number) {
        if (!limiters.includes(this)) limiters.push(this);
        return acquire.call(this, deadline);
      });
      const start = Date.now();
      const result = await handler({ scheduledTime: '2025-06-01T13:15:00Z' });
      expect(result).toMatchObject({ written: 6, failed: 0 });
      const met = metNorway.requests.map((r) => r.receivedAt).sort((a, b) => a - b);
      // 120 a minute: a burst of 2, then one call every ~508 ms; Open-Meteo's 500 a minute lets its 3 calls go at once.
      expect(met[2] - start).toBeGreaterThanOrEqual(Math.floor(60_000 / 118) - 1);
      expect(openMeteo.requests).toHaveLength(3);
      expect(limiters.map((l) => [l.burst, l.waits]).sort()).toEqual([[2, 1], [8, 0]]);
    } finally {
      process.env[ENV.metNorwayMaxCallsPerMinute] = '600';
      process.env[ENV.maxConcurrentRequests] = '4';
    }
  });
});
