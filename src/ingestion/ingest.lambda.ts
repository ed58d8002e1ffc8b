import { readFileSync } from 'fs';
import * as path from 'path';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { Context } from 'aws-lambda';
import { IngestionResult } from './ingestion-request';
import { ingestBatch, IngestionEvent } from './private/ingest-batch';
import { CITIES_FILE, configFromEnv } from './private/runtime-config';

let s3: S3Client | undefined;

/**
 * The ingestion Lambda handler.
 *
 * Input: an `IngestionRequest` (`{}`, `{"scheduledTime": "..."}`, `{"batchId": "...", "backfill": {...}}`), or an
 * EventBridge event (its `time` is the scheduled time). Output: an `IngestionResult`
 * (`batchId`, `manifestKey`, counts, `partialFailure`). Throws only when nothing could be written.
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
    s3 ??= new S3Client({ forcePathStyle: process.env.AWS_S3_FORCE_PATH_STYLE === 'true' });
    const client = s3;
    return ingestBatch(event, config, {
      putObject: async (object) => {
        await client.send(new PutObjectCommand({
          Bucket: config.bucket,
          Key: object.key,
          Body: object.body,
          ContentType: object.contentType,
          Metadata: object.metadata,
        }));
      },
      remainingTimeMs: context ? () => context.getRemainingTimeInMillis() : undefined,
    });
  };
}
