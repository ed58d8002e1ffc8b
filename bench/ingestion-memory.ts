// Peak memory of the ingestion handler with the largest bodies it accepts, against the memory the construct configures.
//
//   npx projen bundle                             # the handler bundle
//   npx ts-node --transpile-only bench/ingestion-memory.ts [--reps 3] [--only forecast-3,...] [--out bench/results/ingestion-memory.json]
//
// Each variant synthesizes a WeatherIngestion for its cities (the construct derives the concurrency, the body cap and
// the memory), then runs the *bundled* handler (assets/ingestion/ingest.lambda, with the cities.json the construct
// writes) in a child Node.js process with the environment the construct set, against a stub Open-Meteo on loopback
// that answers every city with a valid body of exactly the cap. The rate limit is lifted so that
// every request the concurrency allows is in flight at once (the worst case for memory). The child reports its peak
// resident set size (`VmHWM`, the closest local measure of what Lambda reports as "Max Memory Used").
//
// S3 is a loopback sink that reads each PUT and answers 200: moto, single-threaded Python on this 2-core machine,
// could not accept 167 concurrent PUTs within the handler's 1 s connection timeout, and the bodies it dropped would
// have lowered the peak.
import { execFile } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import { AddressInfo } from 'net';
import * as os from 'os';
import * as path from 'path';
import { promisify } from 'util';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { City } from '../src/contract';
import { WeatherIngestion } from '../src/ingestion';
import { bodyLimits } from '../src/ingestion/private/ingest-batch';
import { CITIES_FILE, configFromEnv, encodeCities, ENV } from '../src/ingestion/private/runtime-config';
import { LandingZone } from '../src/storage';
import { StubWeatherApi } from '../test/ingestion/local-servers';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

const reps = Number(arg('reps', '3'));
const only = arg('only', '').split(',').filter((v) => v !== '');
const out = arg('out', path.join(__dirname, 'results', 'ingestion-memory.json'));
// `--heap-limit true`: run the child with V8's old space limited to 90 % of the function's memory, as a Lambda-like
// heap (without it, V8 sizes its heap from this machine's 24 GiB and collects garbage later than Lambda would).
const heapLimit = arg('heap-limit', 'false') === 'true';
const BUNDLE_DIR = path.join(__dirname, '..', 'assets', 'ingestion', 'ingest.lambda');

interface Variant {
  readonly name: string;
  readonly description: string;
  readonly cities: number;
  /** Backfill range (archive API); forecast mode otherwise. */
  readonly backfill?: { startDate: string; endDate: string };
  /** Serve a small real-looking body instead of one at the cap (the baseline). */
  readonly small?: boolean;
  /** The construct's `memorySize`; its default otherwise. */
  readonly memoryMb?: number;
  /** The construct's `maxConcurrentRequests`; its default otherwise. */
  readonly maxConcurrentRequests?: number;
}

const VARIANTS: Variant[] = [
  { name: 'baseline-3', description: '3 cities, small bodies (2 KB): the handler without bodies to speak of', cities: 3, small: true },
  { name: 'forecast-3', description: '3 cities, forecast (8 days), every body at the cap, default concurrency', cities: 3 },
  { name: 'forecast-1000', description: '1,000 cities, forecast (8 days), every body at the cap, default concurrency', cities: 1000 },
  { name: 'backfill-year-24', description: '24 cities at maxConcurrentRequests 24, backfill of 366 days, every body at its cap: concurrency cut to the body memory', cities: 24, maxConcurrentRequests: 24, backfill: { startDate: '2024-01-01', endDate: '2024-12-31' } },
  { name: 'backfill-max-1', description: '1 city, backfill of 2,290 days: the largest body one request may bring at 256 MB', cities: 1, backfill: { startDate: '2018-01-01', endDate: '2024-04-08' } },
  { name: 'backfill-max-1-old', description: 'as backfill-max-1, with 4,500 days: a 31 MB body, accepted only by the first version of this change (4 bytes per body byte)', cities: 1, backfill: { startDate: '2012-01-01', endDate: '2024-04-28' }, memoryMb: 512 },
];

function cities(n: number): City[] {
  return Array.from({ length: n }, (_, i) => ({
    name: `City ${String(i + 1).padStart(4, '0')}`,
    latitude: Math.round((-60 + i * 0.1) * 1e4) / 1e4,
    longitude: Math.round((-170 + ((i * 53) % 340)) * 1e4) / 1e4,
  }));
}

/**
 * A valid Open-Meteo-like body of exactly `bytes` bytes: the 8 contract variables with one-decimal values and a null
 * every 50 hours (the arrays V8 cannot keep as plain doubles), padded with spaces.
 */
function bodyOfSize(bytes: number): Buffer {
  const variables = ['temperature_2m', 'relative_humidity_2m', 'precipitation', 'wind_speed_10m', 'wind_direction_10m', 'surface_pressure', 'cloud_cover', 'weather_code'];
  const make = (hours: number): string => {
    const time = Array.from({ length: hours }, (_, i) => new Date(Date.UTC(2012, 0, 1) + i * 3_600_000).toISOString().slice(0, 16));
    const hourly: Record<string, unknown[]> = { time };
    variables.forEach((name, v) => {
      const value = (i: number) => Math.round((((i * 7 + v * 13) % 1000) + 0.1 * (i % 9)) * 10) / 10;
      hourly[name] = Array.from({ length: hours }, (_, i) => (i % 50 === 49 ? null : value(i)));
    });
    return JSON.stringify({
      latitude: 48.86,
      longitude: 2.35,
      generationtime_ms: 1.2,
      utc_offset_seconds: 0,
      timezone: 'GMT',
      timezone_abbreviation: 'GMT',
      elevation: 43,
      hourly_units: Object.fromEntries([['time', 'iso8601'], ...variables.map((name) => [name, 'unit'])]),
      hourly,
    });
  };
  const perHour = make(200).length / 200;
  let hours = Math.floor((bytes - 2048) / perHour);
  let text = make(hours);
  while (text.length > bytes) {
    hours -= Math.ceil((text.length - bytes) / perHour) + 1;
    text = make(hours);
  }
  return Buffer.from(text.slice(0, -1) + ' '.repeat(bytes - text.length) + '}');
}

const CHILD = `
const started = Date.now();
const { handler } = require(process.argv[1]);
const event = JSON.parse(process.argv[2]);
console.log = () => undefined;
handler(event, { getRemainingTimeInMillis: () => 600000, awsRequestId: 'bench' }).then((r) => {
  // VmHWM: this process's peak resident set since exec (getrusage's maxrss would include the parent's, from the fork).
  const hwm = Number(/VmHWM:\\s+(\\d+) kB/.exec(require('fs').readFileSync('/proc/self/status', 'utf-8'))[1]);
  process.stdout.write(JSON.stringify({ written: r.written, failed: r.failed, failures: r.failures.slice(0, 2).map((f) => f.error + ' ' + f.reason), maxRssKb: hwm, ms: Date.now() - started }));
}, (e) => { process.stdout.write(JSON.stringify({ error: String(e) })); });
`;

async function main(): Promise<void> {
  if (!fs.existsSync(path.join(BUNDLE_DIR, 'index.js'))) {
    throw new Error('run "npx projen bundle" first');
  }
  const api = new StubWeatherApi();
  const sink = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => { res.writeHead(200, { 'etag': '"bench"', 'content-length': 0 }); res.end(); });
  });
  await Promise.all([api.start(), new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve))]);
  const s3Endpoint = `http://127.0.0.1:${(sink.address() as AddressInfo).port}`;
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'ingestion-memory-'));
  const results: any[] = [];
  try {
    for (const variant of VARIANTS.filter((v) => only.length === 0 || only.includes(v.name))) {
      const list = cities(variant.cities);
      const stack = new Stack(new App(), 'Bench');
      const ingestion = new WeatherIngestion(stack, 'Ingestion', {
        landingZone: LandingZone.fromLandingZoneAttributes(stack, 'LandingZone', { bucket: s3.Bucket.fromBucketName(stack, 'Landing', 'landing') }), cities: list, scheduleEnabled: false, maxConcurrentRequests: variant.maxConcurrentRequests, memorySize: variant.memoryMb,
      });
      const fn = Object.values<any>(Template.fromStack(stack).findResources('AWS::Lambda::Function'))[0];
      const env: Record<string, string> = {
        ...fn.Properties.Environment.Variables,
        [ENV.bucket]: 'landing',
        [ENV.apiBaseUrl]: api.baseUrl,
        [ENV.archiveApiBaseUrl]: api.baseUrl,
        // Every request the concurrency allows at once.
        [ENV.maxCallsPerMinute]: '100000',
        NODE_OPTIONS: '',
      };
      const config = configFromEnv(env, encodeCities(list));
      const limits = bodyLimits(config, variant.backfill);
      const body = variant.small ? fs.readFileSync(path.join(__dirname, '..', 'test', 'ingestion', 'fixtures', 'forecast-gyor-gmt-48h.json')) : bodyOfSize(limits.maxBodyBytes);
      api.reset();
      for (const city of list) {
        api.script(city.latitude, [{ status: 200, body }]);
      }
      const dir = path.join(work, variant.name);
      fs.mkdirSync(dir);
      for (const name of fs.readdirSync(BUNDLE_DIR)) fs.copyFileSync(path.join(BUNDLE_DIR, name), path.join(dir, name));
      fs.writeFileSync(path.join(dir, CITIES_FILE), encodeCities(list));
      const runs: any[] = [];
      for (let rep = 0; rep < reps; rep++) {
        const event = { batchId: `${variant.name}-${rep}`, ...(variant.backfill ? { backfill: variant.backfill } : {}) };
        // Asynchronous: the stub API answers from this process's event loop.
        const { stdout: output } = await promisify(execFile)(process.execPath, [
          ...(heapLimit ? [`--max-old-space-size=${Math.floor(ingestion.memorySize * 0.9)}`] : []), '-e', CHILD, path.join(dir, 'index.js'), JSON.stringify(event),
        ], {
          env: {
            PATH: process.env.PATH,
            ...env,
            // The bundle leaves the AWS SDK out (the Lambda runtime provides it): take the repository's.
            NODE_PATH: path.join(__dirname, '..', 'node_modules'),
            AWS_ACCESS_KEY_ID: 'x',
            AWS_SECRET_ACCESS_KEY: 'x',
            AWS_REGION: 'us-east-1',
            AWS_EC2_METADATA_DISABLED: 'true',
            AWS_ENDPOINT_URL_S3: s3Endpoint,
            AWS_S3_FORCE_PATH_STYLE: 'true',
          },
          maxBuffer: 16 * 1024 * 1024,
        });
        const run = JSON.parse(output);
        runs.push(run);
        console.error(`${variant.name} rep ${rep + 1}: ${output}`);
      }
      const peaks = runs.map((r) => r.maxRssKb / 1024).sort((a, b) => a - b);
      results.push({
        variant: variant.name,
        description: variant.description,
        cities: variant.cities,
        memoryMb: ingestion.memorySize,
        maxBodyBytes: limits.maxBodyBytes,
        bodyBytes: body.length,
        concurrency: limits.concurrency,
        bodiesInFlightMb: Math.round((limits.concurrency * body.length) / 1024 / 1024 * 10) / 10,
        peakRssMb: peaks.map((p) => Math.round(p)),
        medianPeakRssMb: Math.round(peaks[Math.floor(peaks.length / 2)]),
        written: runs.map((r) => r.written),
        failed: runs.map((r) => r.failed),
        firstFailures: runs[0].failures,
        ms: runs.map((r) => r.ms),
      });
    }
  } finally {
    sink.closeAllConnections();
    await Promise.all([api.stop(), new Promise<void>((resolve) => sink.close(() => resolve()))]);
    fs.rmSync(work, { recursive: true, force: true });
  }
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, JSON.stringify({ node: process.version, loadAverage: os.loadavg(), reps, heapLimit, results }, null, 1) + '\n');
  for (const r of results) {
    console.log(`${r.variant.padEnd(18)} memory ${r.memoryMb} MB  cap ${r.maxBodyBytes} B  concurrency ${r.concurrency}  in flight ${r.bodiesInFlightMb} MB  peak RSS ${r.peakRssMb.join('/')} MB (median ${r.medianPeakRssMb})  written ${r.written.join('/')}`);
  }
}

main().catch((e) => { console.error(e); process.exit(1); });
