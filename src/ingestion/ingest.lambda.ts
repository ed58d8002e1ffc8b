import { readFileSync } from 'fs';
import * as path from 'path';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { Context } from 'aws-lambda';
import { IngestionResult } from './ingestion-request';
import { ingestBatch, IngestionEvent } from './private/ingest-batch';
import { CITIES_FILE, configFromEnv, S3_CONNECTION_TIMEOUT_MS, S3_REQUEST_TIMEOUT_MS } from './private/runtime-config';

let s3: S3Client | undefined;

/**
 * The ingestion Lambda handler.
 *
 * Input: an `IngestionRequest` (`{}`, `{"scheduledTime": "..."}`, `{"batchId": "...", "backfill": {...}}`), or an
 * EventBridge event (its `time` is the scheduled time). Output: an `IngestionResult`
 * (`batchId`, `manifestKey`, counts, `partialFailure`). Throws only when nothing could be written, or when the
 * manifest could not be (the error names the batch and the manifest key).
 *
 * Each run calls every configured source (`WEATHER_SOURCES`, default Open-Meteo alone) for every city, each under its
 * own rate limit, and writes each answer under its source's `weather/raw/source=<id>/` prefix.
 *
 * Configuration comes from the environment the `WeatherIngestion` construct sets (see `private/runtime-config.ts`)
 * and the cities from the `cities.json` the construct puts next to this handler's `index.js` in the code asset;
 * the S3 client honours `AWS_ENDPOINT_URL_S3` (and `AWS_S3_FORCE_PATH_STYLE=true` for local S3 APIs).
 */
export const handler = createHandler(path.join(__dirname, CITIES_FILE));

/**
 * A handler that reads its cities from `citiesFile` (tests run the handler module unbundled, where there is no
 * `cities.json` next to it).
 */
export function createHandler(citiesFile: string): (event: IngestionEvent | null | undefined, context?: Context) => Promise<IngestionResult> {
  return async (event, context) => {
    // Read on every run (tens of KB, under a millisecond), like the environment.
    const config = configFromEnv(process.env, readFileSync(citiesFile, 'utf-8'));
    // Each attempt gives up on a connection that does not open or a socket that stalls; the batch bounds each
    // write as a whole (retries included) by its write timeout and the invocation's remaining time.
    s3 ??= new S3Client({
      forcePathStyle: process.env.AWS_S3_FORCE_PATH_STYLE === 'true',
      requestHandler: { connectionTimeout: S3_CONNECTION_TIMEOUT_MS, requestTimeout: S3_REQUEST_TIMEOUT_MS },
    });
    const client = s3;
    return ingestBatch(event, config, {
      putObject: async (object, signal) => {
        await client.send(new PutObjectCommand({
          Bucket: config.bucket,
          Key: object.key,
          Body: object.body,
          ContentType: object.contentType,
          Metadata: object.metadata,
        }), { abortSignal: signal });
      },
      remainingTimeMs: context ? () => context.getRemainingTimeInMillis() : undefined,
      invocationId: context?.awsRequestId,
    });
  };
}
