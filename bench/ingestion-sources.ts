// Wall time of one ingestion batch with one and with two weather sources: does a second source add its own time, or
// run beside the first within its own rate limit?
//
//   npx ts-node --transpile-only bench/ingestion-sources.ts [--cities 100] [--reps 3] [--out bench/results/ingestion-sources.json]
//
// Each variant synthesizes a WeatherIngestion for the cities with its sources (the construct derives the concurrency
// and writes the environment), then runs the batch (`ingestBatch`, the handler's core, in this process) with that
// environment against two stub APIs on loopback: Open-Meteo answering every city with a recorded body, MET Norway
// with the compact fixture. S3 is an in-memory sink (this measures the requests and the limiters, not S3). The rate
// limits are the defaults: Open-Meteo 500 calls a minute, MET Norway 300 requests a minute.
import * as fs from 'fs';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { City } from '../src/contract';
import { WeatherIngestion, WeatherSource } from '../src/ingestion';
import { ingestBatch } from '../src/ingestion/private/ingest-batch';
import { configFromEnv, encodeCities, ENV } from '../src/ingestion/private/runtime-config';
import { LandingZone, RefinedLake } from '../src/storage';
import { fixture, StubWeatherApi } from '../test/ingestion/local-servers';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

const cityCount = Number(arg('cities', '100'));
const reps = Number(arg('reps', '3'));
const out = arg('out', path.join(__dirname, 'results', 'ingestion-sources.json'));
const UA = 'cdk-weather-pipeline-bench.example ops@cdk-weather-pipeline-bench.example';

// Latitudes with 4 decimals at most, so that both APIs see the same value.
const cities: City[] = Array.from({ length: cityCount }, (_, i) => ({
  name: `City ${i}`, latitude: Math.round((-60 + i * 0.37) * 1e4) / 1e4, longitude: Math.round((-150 + i * 1.3) * 1e4) / 1e4,
}));

const VARIANTS: Array<{ name: string; sources: () => WeatherSource[] }> = [
  { name: 'open-meteo', sources: () => [WeatherSource.openMeteo()] },
  { name: 'met-norway', sources: () => [WeatherSource.metNorway({ userAgent: UA })] },
  { name: 'open-meteo+met-norway', sources: () => [WeatherSource.openMeteo(), WeatherSource.metNorway({ userAgent: UA })] },
];

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

async function main(): Promise<void> {
  const openMeteo = new StubWeatherApi();
  const metNorway = new StubWeatherApi();
  await Promise.all([openMeteo.start(), metNorway.start()]);
  for (const city of cities) {
    openMeteo.script(city.latitude, [{ status: 200, body: fixture('forecast-gyor-gmt-48h.json') }]);
    metNorway.script(city.latitude, [{ status: 200, body: fixture('met-norway-compact-paris.json') }]);
  }
  const results: unknown[] = [];
  try {
    for (const variant of VARIANTS) {
      const stack = new Stack(new App(), 'Bench');
      const refined = new RefinedLake(stack, 'Refined', { cities });
      const ingestion = new WeatherIngestion(stack, 'Ingestion', {
        landingZone: new LandingZone(stack, 'Landing'), refinedLake: refined, sources: variant.sources(), scheduleEnabled: false,
      });
      const fn = Object.values<any>(Template.fromStack(stack).findResources('AWS::Lambda::Function'))
        .find((f) => /weather for/.test(f.Properties.Description));
      const env: Record<string, string> = {};
      for (const [key, value] of Object.entries<any>(fn.Properties.Environment.Variables)) {
        env[key] = typeof value === 'string' ? value : 'landing';
      }
      env[ENV.apiBaseUrl] = openMeteo.baseUrl;
      if (env[ENV.metNorwayBaseUrl] !== undefined) env[ENV.metNorwayBaseUrl] = metNorway.baseUrl;
      const config = configFromEnv(env, encodeCities(cities));
      const times: number[] = [];
      for (let rep = 0; rep < reps; rep++) {
        openMeteo.reset();
        metNorway.reset();
        const started = Date.now();
        const result = await ingestBatch({ batchId: `bench-${rep}` }, config, { putObject: async () => undefined, log: () => undefined });
        times.push((Date.now() - started) / 1000);
        if (result.failed !== 0) throw new Error(`${variant.name}: ${result.failed} failures`);
      }
      const row = {
        variant: variant.name, cities: cityCount, requests: cityCount * variant.sources().length,
        maxConcurrentRequests: ingestion.maxConcurrentRequests, timeoutSeconds: ingestion.timeout.toSeconds(), seconds: times, median: median(times),
      };
      console.log(JSON.stringify(row));
      results.push(row);
    }
  } finally {
    await Promise.all([openMeteo.stop(), metNorway.stop()]);
  }
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, JSON.stringify({ machine: `${require('os').cpus().length} cores`, date: new Date().toISOString(), results }, null, 2) + '\n');
}

main().catch((err) => { console.error(err); process.exit(1); });
