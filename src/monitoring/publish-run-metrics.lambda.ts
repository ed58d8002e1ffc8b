import { readFileSync } from 'fs';
import * as path from 'path';
import { GetJobRunCommand, GlueClient } from '@aws-sdk/client-glue';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { decodeFreshnessCities, FRESHNESS_FILE } from './private/freshness';
import { ListedObject, publishForEvent, PublisherEvent } from './private/run-metrics';

let s3: S3Client | undefined;
let glue: GlueClient | undefined;

/**
 * Publishes the ETL's run metrics as CloudWatch embedded metric format log lines.
 *
 * Invoked by three EventBridge rules of `PipelineMonitoring`: a run summary landing in the refined bucket
 * (`Object Created` under `weather/run-summaries/`) → run counts, quarantine reasons, refined partitions per city;
 * a Glue job run ending → execution time and DPU-seconds (`GetJobRun`); a schedule → the freshness check (the run
 * summaries of the lookback → `StaleCities`, `StaleCityHours` per stale city). Environment: `JOB_NAME`,
 * `SUMMARY_PREFIX`, `SUMMARY_BUCKET`; the cities and their windows are in `freshness.json` next to `index.js`.
 */
export const handler = createHandler(path.join(__dirname, FRESHNESS_FILE));

/** A handler that reads the cities of the freshness check from `freshnessFile` (tests run the module unbundled). */
export function createHandler(freshnessFile: string): (event: PublisherEvent) => Promise<{ records: number }> {
  return async (event) => {
    const jobName = process.env.JOB_NAME;
    const summaryPrefix = process.env.SUMMARY_PREFIX;
    const summaryBucket = process.env.SUMMARY_BUCKET;
    if (!jobName || !summaryPrefix) {
      throw new Error('JOB_NAME and SUMMARY_PREFIX must be set');
    }
    s3 ??= new S3Client({});
    glue ??= new GlueClient({});
    const s3Client = s3;
    const glueClient = glue;
    const scheduled = event.source === 'aws.events';
    if (scheduled && !summaryBucket) {
      throw new Error('SUMMARY_BUCKET must be set for the freshness check');
    }
    const records = await publishForEvent(event, {
      jobName,
      summaryPrefix,
      readObject: async (bucket, key) => {
        const response = await s3Client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        return response.Body!.transformToString('utf-8');
      },
      getJobRun: async (name, runId) => {
        const response = await glueClient.send(new GetJobRunCommand({ JobName: name, RunId: runId }));
        if (!response.JobRun) {
          throw new Error(`Glue returned no job run for ${name} ${runId}`);
        }
        return response.JobRun;
      },
      freshness: scheduled ? {
        bucket: summaryBucket!,
        cities: decodeFreshnessCities(readFileSync(freshnessFile, 'utf-8')),
        listObjects: async (bucket, prefix) => {
          const objects: ListedObject[] = [];
          let token: string | undefined;
          do {
            const page = await s3Client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
            for (const o of page.Contents ?? []) {
              objects.push({ key: o.Key!, lastModified: o.LastModified?.getTime() });
            }
            token = page.IsTruncated ? page.NextContinuationToken : undefined;
          } while (token !== undefined);
          return objects;
        },
      } : undefined,
      // One line per record on stdout: the Lambda log group extracts the metrics.
      log: (record) => process.stdout.write(JSON.stringify(record) + '\n'),
    });
    return { records: records.length };
  };
}
