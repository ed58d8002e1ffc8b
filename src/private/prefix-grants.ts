import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';

/** Object read actions, spelled out: no wildcard action ever reaches a policy. */
const OBJECT_READ_ACTIONS = ['s3:GetObject', 's3:GetObjectVersion'];
/** Object write actions for writers that create or overwrite objects (no delete, no ACLs). */
const OBJECT_WRITE_ACTIONS = ['s3:PutObject', 's3:AbortMultipartUpload'];
/**
 * Object delete actions, for writers that replace partitions (the ETL's commit deletes a replaced partition's
 * previous files, and its scratch files, once the new files are copied into place).
 */
const OBJECT_DELETE_ACTIONS = ['s3:DeleteObject'];

/** Read access to one prefix of a bucket: get objects, list only under the prefix, decrypt. */
export function grantPrefixRead(bucket: s3.IBucket, grantee: iam.IGrantable, prefix: string): iam.Grant {
  const grant = iam.Grant.addToPrincipalOrResource({
    grantee,
    actions: OBJECT_READ_ACTIONS,
    resourceArns: [bucket.arnForObjects(`${prefix}*`)],
    resource: bucket,
  });
  grantList(bucket, grantee, prefix);
  bucket.encryptionKey?.grant(grantee, 'kms:Decrypt');
  return grant;
}

/** Write access to one prefix of a bucket: put objects (overwrite included), encrypt with the bucket key. */
export function grantPrefixWrite(bucket: s3.IBucket, grantee: iam.IGrantable, prefix: string, options: { delete?: boolean } = {}): iam.Grant {
  const grant = iam.Grant.addToPrincipalOrResource({
    grantee,
    actions: [...OBJECT_WRITE_ACTIONS, ...(options.delete ? OBJECT_DELETE_ACTIONS : [])],
    resourceArns: [bucket.arnForObjects(`${prefix}*`)],
    resource: bucket,
  });
  if (options.delete) {
    // Replacing a partition means listing what is there first.
    grantList(bucket, grantee, prefix);
  }
  // Multipart uploads to SSE-KMS buckets need Decrypt as well as GenerateDataKey.
  bucket.encryptionKey?.grant(grantee, 'kms:GenerateDataKey', 'kms:Decrypt');
  return grant;
}

function grantList(bucket: s3.IBucket, grantee: iam.IGrantable, prefix: string): void {
  iam.Grant.addToPrincipalOrResource({
    grantee,
    actions: ['s3:ListBucket'],
    resourceArns: [bucket.bucketArn],
    resource: bucket,
    // Hadoop-style clients also list the prefix itself without its trailing slash.
    conditions: { StringLike: { 's3:prefix': [`${prefix}*`, prefix.replace(/\/$/, '')] } },
  });
}
