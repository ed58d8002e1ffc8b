import { GetJobRunCommand, GlueClient } from '@aws-sdk/client-glue';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { EmfRecord, publishForEvent, PublisherEvent } from './private/run-metrics';

let s3: S3Client | undefined;
let glue: GlueClient | undefined;

/**
 * Publishes the ETL's run metrics as CloudWatch embedded metric format log lines.
 *
 * Invoked by two EventBridge rules of `PipelineMonitoring`: a run summary landing in the refined bucket
 * (`Object Created` under `weather/run-summaries/`) → run counts, quarantine reasons, refined partitions per city;
 * a Glue job run ending → execution time and DPU-seconds (`GetJobRun`). Environment: `JOB_NAME`, `SUMMARY_PREFIX`.
 */
export async function handler(event: PublisherEvent): Promise<{ records: number }> {
  const jobName = process.env.JOB_NAME;
  const summaryPrefix = process.env.SUMMARY_PREFIX;
  if (!jobName || !summaryPrefix) {
    throw new Error('JOB_NAME and SUMMARY_PREFIX must be set');
  }
  s3 ??= new S3Client({});
  glue ??= new GlueClient({});
  const s3Client = s3;
  const glueClient = glue;
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
    // One line per record on stdout: the Lambda log group extracts the metrics.
    log: (record: EmfRecord) => process.stdout.write(JSON.stringify(record) + '\n'),
  });
  return { records: records.length };
}
