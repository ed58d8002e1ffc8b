/**
 * Unit tests of the batch logic with a fake HTTP layer and a mocked S3 client (aws-sdk-client-mock):
 * write order, write failures, request validation, Retry-After and the invocation's time budget.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { fixture } from './local-servers';
import { WeatherContract } from '../../src/contract';
import { createHandler } from '../../src/ingestion/ingest.lambda';
import { fetchWeather } from '../../src/ingestion/private/http-fetch';
import { bodyLimits, ingestBatch, LandingObject } from '../../src/ingestion/private/ingest-batch';
import { CITIES_FILE, derivedBodyCap, encodeCities, ENV, RuntimeConfig } from '../../src/ingestion/private/runtime-config';

const PARIS = { name: 'Paris', latitude: 48.8566, longitude: 2.3522 };
const LYON = { name: 'Lyon', latitude: 45.764, longitude: 4.8357 };
const CONFIG: RuntimeConfig = {
  bucket: 'landing',
  cities: [PARIS, LYON],
  apiBaseUrl: 'http://api.test',
  archiveApiBaseUrl: 'http://archive.test',
  pastDays: 1,
  forecastDays: 7,
  maxConcurrentRequests: 2,
  retry: { maxAttempts: 3, requestTimeoutMs: 1_000, backoffBaseMs: 1, backoffMaxMs: 5 },
};
const GOOD = fixture('forecast-gyor-gmt-48h.json');
const quiet = () => undefined;

function fakeFetch(answer: (url: string) => Response | Promise<Response>): typeof fetch {
  return (async (input: any) => answer(String(input))) as typeof fetch;
}

describe('ingestBatch', () => {
  test('writes the manifest last, after every raw object', async () => {
    const writes: LandingObject[] = [];
    await ingestBatch({ batchId: 'b1', scheduledTime: '2025-06-01T00:00:00Z' }, CONFIG, {
      putObject: async (o) => { await new Promise((r) => setTimeout(r, o.key.includes('paris') ? 20 : 0)); writes.push(o); },
      log: quiet,
      fetchOptions: { fetchImpl: fakeFetch(() => new Response(GOOD)) },
    });
    expect(writes.map((w) => w.key)).toEqual([
      WeatherContract.rawKey('2025-06-01', 'lyon', 'b1'),
      WeatherContract.rawKey('2025-06-01', 'paris', 'b1'),
      WeatherContract.manifestKey('2025-06-01', 'b1'),
    ]);
  });

  test('a failed write is recorded as WRITE_FAILED and does not stop the other city', async () => {
    const result = await ingestBatch({ batchId: 'b2' }, CONFIG, {
      putObject: async (o) => { if (o.key.includes('city=lyon')) throw new Error('Access Denied'); },
      log: quiet,
      fetchOptions: { fetchImpl: fakeFetch(() => new Response(GOOD)) },
    });
    expect(result).toMatchObject({ written: 1, failed: 1, partialFailure: true });
    expect(result.failures).toEqual([expect.objectContaining({ city: 'lyon', error: 'WRITE_FAILED', reason: 'Access Denied', attempts: 1 })]);
  });

  test('a manifest that cannot be written fails the invocation', async () => {
    await expect(ingestBatch({ batchId: 'b3' }, CONFIG, {
      putObject: async (o) => { if (o.key.startsWith(WeatherContract.LANDING_MANIFEST_PREFIX)) throw new Error('SlowDown'); },
      log: quiet,
      fetchOptions: { fetchImpl: fakeFetch(() => new Response(GOOD)) },
    })).rejects.toThrow('SlowDown');
  });

  test.each<[string, any, string]>([
    ['a bad scheduledTime', { scheduledTime: 'yesterday' }, 'scheduledTime must be an ISO 8601 time, got "yesterday"'],
    ['a batch id the contract refuses', { batchId: 'a/b' }, `batchId must match ${WeatherContract.BATCH_ID_PATTERN}, got "a/b"`],
    ['an unknown city', { citySlugs: ['berlin'] }, 'citySlugs: "berlin" is not a configured city (configured: paris, lyon)'],
    ['an empty city list', { citySlugs: [] }, 'citySlugs must list at least one city slug, got []'],
    ['a bad backfill date', { backfill: { startDate: '2024-1-1', endDate: '2024-01-31' } }, 'backfill.startDate must be yyyy-MM-dd, got "2024-1-1"'],
    ['a reversed backfill range', { backfill: { startDate: '2024-02-01', endDate: '2024-01-31' } }, 'backfill.endDate must not be before backfill.startDate, got 2024-02-01 .. 2024-01-31'],
  ])('rejects %s before any request', async (_name, event, message) => {
    const fetchImpl = jest.fn();
    await expect(ingestBatch(event, CONFIG, { putObject: async () => undefined, log: quiet, fetchOptions: { fetchImpl } })).rejects.toThrow(message);
    expect(fetchImpl).not.toHaveBeenCalled();
  });

  test('cities left when the invocation runs out of time are recorded as not attempted, and the manifest is still written', async () => {
    const writes: string[] = [];
    let calls = 0;
    const result = await ingestBatch({ batchId: 'b4' }, { ...CONFIG, maxConcurrentRequests: 1 }, {
      // 10.05 s left, 10 s kept for the manifest: time for one request only.
      remainingTimeMs: () => 10_050,
      putObject: async (o) => { writes.push(o.key); },
      log: quiet,
      fetchOptions: { fetchImpl: fakeFetch(async () => { calls++; await new Promise((r) => setTimeout(r, 100)); return new Response(GOOD); }) },
    });
    expect(calls).toBe(1);
    expect(result.failures).toEqual([expect.objectContaining({ city: 'lyon', error: 'TIMEOUT', reason: 'not attempted: the invocation ran out of time', attempts: 0 })]);
    expect(writes).toContain(result.manifestKey);
  });
});

describe('bodyLimits: body cap and requests in flight', () => {
  const variables = WeatherContract.VARIABLES.length;

  test('a forecast: the cap derived from its 8 days, at the configured concurrency', () => {
    expect(bodyLimits(CONFIG)).toEqual({ maxBodyBytes: derivedBodyCap(variables, 8), concurrency: 2 });
    expect(derivedBodyCap(variables, 8)).toBe(64 * 1024 + 8 * 24 * (48 + 32 * variables));
  });

  test('a backfill of a year: a larger cap, and fewer requests at once so that they fit in the body memory', () => {
    const config = { ...CONFIG, maxConcurrentRequests: 10, bodyMemoryBytes: 8_000_000 };
    const { maxBodyBytes, concurrency } = bodyLimits(config, { startDate: '2024-01-01', endDate: '2024-12-31' });
    expect(maxBodyBytes).toBe(derivedBodyCap(variables, 366));
    expect(concurrency).toBe(Math.floor(8_000_000 / maxBodyBytes));
    expect(concurrency).toBeGreaterThanOrEqual(1);
    expect(concurrency).toBeLessThan(10);
  });

  test('a backfill whose one body would not fit in the body memory is refused before any request', async () => {
    const config = { ...CONFIG, bodyMemoryBytes: 1_000_000 };
    const cap = derivedBodyCap(variables, 3653);
    const fetchImpl = jest.fn();
    await expect(ingestBatch({ backfill: { startDate: '2015-01-01', endDate: '2024-12-31' } }, config, { putObject: async () => undefined, log: quiet, fetchOptions: { fetchImpl } }))
      .rejects.toThrow(`backfill 2015-01-01 .. 2024-12-31: one response may be up to ${cap} bytes, more than the 1000000 bytes the function's memory allows for response bodies; ` +
        'split the range into shorter backfills (or raise the function\'s memory)');
    expect(fetchImpl).not.toHaveBeenCalled();
  });
});

describe('fetchWeather', () => {
  const policy = { maxAttempts: 4, requestTimeoutMs: 1_000, backoffBaseMs: 10, backoffMaxMs: 1_000 };
  const deadline = () => Date.now() + 60_000;

  test('a Retry-After longer than the backoff ceiling ends the retries', async () => {
    const fetchImpl = jest.fn(async () => new Response('{"error":true,"reason":"Daily API request limit exceeded. Please try again tomorrow."}', { status: 429, headers: { 'retry-after': '3600' } }));
    const outcome = await fetchWeather('http://api.test/v1/forecast', { policy, deadline: deadline(), maxBodyBytes: 1_000_000, fetchImpl: fetchImpl as any });
    expect(outcome).toEqual({
      ok: false,
      error: 'HTTP_429',
      attempts: 1,
      reason: 'Daily API request limit exceeded. Please try again tomorrow.; Retry-After of 3600 s exceeds the retry budget',
    });
  });

  test('network errors are retried with jittered, growing backoff, then reported as NETWORK', async () => {
    const sleeps: number[] = [];
    const fetchImpl = jest.fn(async () => { throw Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED', message: 'connect ECONNREFUSED 127.0.0.1:9' } }); });
    const outcome = await fetchWeather('http://api.test/v1/forecast', {
      policy,
      deadline: deadline(),
      maxBodyBytes: 1_000_000,
      fetchImpl: fetchImpl as any,
      random: () => 0.5,
      sleep: async (ms) => { sleeps.push(ms); },
    });
    expect(outcome).toEqual({ ok: false, error: 'NETWORK', reason: 'fetch failed: ECONNREFUSED connect ECONNREFUSED 127.0.0.1:9', attempts: 4 });
    // half of 10, 20, 40 ms
    expect(sleeps).toEqual([5, 10, 20]);
  });

  test('a 2xx JSON body that is not an object is INVALID_BODY, not retried', async () => {
    const fetchImpl = jest.fn(async () => new Response('[]'));
    const outcome = await fetchWeather('http://api.test/v1/forecast', { policy, deadline: deadline(), maxBodyBytes: 1_000_000, fetchImpl: fetchImpl as any });
    expect(outcome).toEqual({ ok: false, error: 'INVALID_BODY', reason: 'HTTP 200 body is JSON but not an object: []', attempts: 1 });
  });

  test('a 404 without an error document reports the status text and the start of the body', async () => {
    const fetchImpl = jest.fn(async () => new Response('Not Found', { status: 404, statusText: 'Not Found' }));
    const outcome = await fetchWeather('http://api.test/v1/forecast', { policy, deadline: deadline(), maxBodyBytes: 1_000_000, fetchImpl: fetchImpl as any });
    expect(outcome).toEqual({ ok: false, error: 'HTTP_404', reason: '404 Not Found: Not Found', attempts: 1 });
  });
});

describe('the Lambda handler with a mocked S3 client', () => {
  const s3 = mockClient(S3Client);
  const saved = { ...process.env };
  // The cities file the construct puts next to the bundled handler.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ingest-batch-test-'));
  const handler = createHandler(path.join(dir, CITIES_FILE));

  beforeAll(() => {
    fs.writeFileSync(path.join(dir, CITIES_FILE), encodeCities([PARIS]));
    Object.assign(process.env, {
      AWS_REGION: 'eu-west-3',
      [ENV.bucket]: 'my-landing',
      [ENV.apiBaseUrl]: 'http://api.test',
      [ENV.archiveApiBaseUrl]: 'http://archive.test',
      [ENV.pastDays]: '1',
      [ENV.forecastDays]: '7',
    });
  });
  afterAll(() => { process.env = saved; s3.restore(); fs.rmSync(dir, { recursive: true, force: true }); });

  test('puts the raw body with its metadata into the configured bucket, then the manifest', async () => {
    s3.reset();
    s3.on(PutObjectCommand).resolves({});
    const fetchSpy = jest.spyOn(global, 'fetch').mockImplementation(async () => new Response(GOOD));
    const log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
    try {
      const result = await handler({ scheduledTime: '2025-06-01T06:15:00Z' });
      expect(result).toMatchObject({ bucket: 'my-landing', written: 1, partialFailure: false, batchId: '20250601T061500Z' });
    } finally {
      fetchSpy.mockRestore();
      log.mockRestore();
    }
    const puts = s3.commandCalls(PutObjectCommand).map((c) => c.args[0].input);
    expect(puts.map((p) => p.Key)).toEqual([
      WeatherContract.rawKey('2025-06-01', 'paris', '20250601T061500Z'),
      WeatherContract.manifestKey('2025-06-01', '20250601T061500Z'),
    ]);
    expect(puts[0]).toMatchObject({ Bucket: 'my-landing', Body: GOOD, Metadata: { 'city-name': 'Paris', 'city-slug': 'paris', 'batch-id': '20250601T061500Z' } });
    expect(puts[0].Metadata!['request-url']).toBe(encodeURIComponent(
      `http://api.test/v1/forecast?latitude=48.8566&longitude=2.3522&hourly=${WeatherContract.VARIABLES.map((v) => v.apiName).join(',')}&past_days=1&forecast_days=7&timezone=UTC`));
  });
});
