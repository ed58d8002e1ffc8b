// Shared by the landing zone's and the refined lake's tests: both buckets deny uploads not under their KMS key.
import { Match, Template } from 'aws-cdk-lib/assertions';

/** The bucket policy statements that deny uploads encrypted otherwise than with `keyId` (SSE-S3, SSE-C, another KMS key). */
export function expectDeniesUploadsWithoutKey(template: Template, bucketId: string, keyId: string): void {
  const objects = { 'Fn::Join': ['', [{ 'Fn::GetAtt': [bucketId, 'Arn'] }, '/*']] };
  const deny = (Condition: object) => Match.objectLike({ Effect: 'Deny', Principal: { AWS: '*' }, Action: 's3:PutObject', Resource: objects, Condition });
  template.hasResourceProperties('AWS::S3::BucketPolicy', {
    Bucket: { Ref: bucketId },
    PolicyDocument: {
      Statement: Match.arrayWith([
        deny({ StringNotEqualsIfExists: { 's3:x-amz-server-side-encryption': 'aws:kms' } }),
        deny({ Null: { 's3:x-amz-server-side-encryption-customer-algorithm': 'false' } }),
        deny({ StringNotEqualsIfExists: { 's3:x-amz-server-side-encryption-aws-kms-key-id': { 'Fn::GetAtt': [keyId, 'Arn'] } } }),
      ]),
    },
  });
}
