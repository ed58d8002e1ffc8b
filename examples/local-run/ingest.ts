// Local ingestion: the library's own ingestion code (the code the Lambda runs) fetches the configured cities
// from Open-Meteo, or from recorded responses on a loopback server when the live API cannot be reached, and
// writes each body unchanged plus the batch manifest to a landing folder laid out exactly as the S3 bucket.
//
// Usage: ts-node ingest.ts <landing dir> [--offline] [--scheduled-time ISO]
// Prints one JSON line: { source, result } where result is the handler's IngestionResult.
import { readFileSync, readdirSync, mkdirSync, writeFileSync } from 'fs';
import { createServer, Server } from 'http';
import { AddressInfo } from 'net';
import { dirname, join } from 'path';
import { City } from '../../src/contract';
import { ingestBatch } from '../../src/ingestion/private/ingest-batch';
import { DEFAULT_BACKOFF_BASE_MS, RuntimeConfig } from '../../src/ingestion/private/runtime-config';

const LIVE_API = 'https://api.open-meteo.com';
const RECORDED_DIR = join(__dirname, 'recorded');

interface Recorded {
  readonly latitude: number;
  readonly longitude: number;
  readonly body: Buffer;
}

async function liveApiReachable(): Promise<boolean> {
  try {
    const response = await fetch(`${LIVE_API}/v1/forecast?latitude=48.86&longitude=2.35&hourly=temperature_2m&forecast_days=1`, {
      signal: AbortSignal.timeout(3_000),
    });
    return response.ok;
  } catch {
    return false;
  }
}

/** Serves the recorded response nearest to the requested coordinates, or Open-Meteo's 400 error body. */
async function startRecordedServer(): Promise<{ server: Server; baseUrl: string }> {
  const recorded: Recorded[] = readdirSync(RECORDED_DIR).filter((f) => f.endsWith('.json')).map((file) => {
    const body = readFileSync(join(RECORDED_DIR, file));
    const parsed = JSON.parse(body.toString('utf-8'));
    return { latitude: parsed.latitude, longitude: parsed.longitude, body };
  });
  const server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const latitude = Number(url.searchParams.get('latitude'));
    const longitude = Number(url.searchParams.get('longitude'));
    const match = recorded.find((r) => Math.abs(r.latitude - latitude) <= 0.5 && Math.abs(r.longitude - longitude) <= 0.5);
    if (url.pathname !== '/v1/forecast' || match === undefined) {
      response.writeHead(400, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ error: true, reason: `No recorded response for latitude=${latitude} longitude=${longitude}` }));
      return;
    }
    response.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
    response.end(match.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

async function main(): Promise<void> {
  const [landingDir, ...flags] = process.argv.slice(2);
  if (!landingDir) {
    throw new Error('usage: ingest.ts <landing dir> [--offline] [--scheduled-time ISO]');
  }
  const offline = flags.includes('--offline');
  const timeFlag = flags.indexOf('--scheduled-time');
  const cities: City[] = JSON.parse(readFileSync(join(__dirname, 'cities.json'), 'utf-8'));

  const live = !offline && await liveApiReachable();
  const recordedServer = live ? undefined : await startRecordedServer();
  const config: RuntimeConfig = {
    bucket: 'local-landing',
    cities,
    apiBaseUrl: live ? LIVE_API : recordedServer!.baseUrl,
    archiveApiBaseUrl: 'https://archive-api.open-meteo.com',
    pastDays: 1,
    forecastDays: 1,
    maxConcurrentRequests: 3,
    retry: { maxAttempts: 3, requestTimeoutMs: 10_000, backoffBaseMs: DEFAULT_BACKOFF_BASE_MS, backoffMaxMs: 5_000 },
  };
  // Recorded runs are reproducible: a fixed logical time gives a fixed batch id and ingest date.
  const scheduledTime = timeFlag >= 0 ? flags[timeFlag + 1] : live ? new Date().toISOString() : '2026-11-26T06:00:00Z';
  try {
    const result = await ingestBatch({ scheduledTime }, config, {
      putObject: async (object) => {
        const target = join(landingDir, object.key);
        mkdirSync(dirname(target), { recursive: true });
        writeFileSync(target, object.body);
      },
      log: () => undefined,
    });
    console.log(JSON.stringify({ source: live ? `live Open-Meteo (${LIVE_API})` : `recorded responses (${RECORDED_DIR})`, result }));
  } finally {
    recordedServer?.server.close();
  }
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
