import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { planRun, RunSummaryLocation, ValidationPlan } from './validation-plan';

let s3: S3Client | undefined;

/**
 * Computes the execution parameters of the validation queries from the ETL run summary. The state machine passes
 * only where the summary is: the function reads it from S3, so that a summary of any size never enters the
 * execution's state (256 KiB at most), and returns the small plan.
 */
export async function handler(event: RunSummaryLocation): Promise<ValidationPlan> {
  s3 ??= new S3Client({});
  return planRun(event, async (bucket, key) => {
    const object = await s3!.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return object.Body!.transformToString('utf-8');
  });
}
