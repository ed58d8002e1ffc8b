import * as glue from 'aws-cdk-lib/aws-glue';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

/**
 * Glue code in S3 whose binding grants `s3:GetObject` on that one object only.
 *
 * `glue.Code.fromAsset` / `fromBucket` grant the L2 `grantRead` (`s3:GetObject*`, `s3:GetBucket*`, `s3:List*`):
 * wildcard actions that an IAM audit of the job role would flag.
 */
export class ExplicitReadCode extends glue.Code {
  constructor(private readonly bucket: s3.IBucket, private readonly key: string) {
    super();
  }

  public bind(_scope: Construct, grantable: iam.IGrantable): glue.CodeConfig {
    iam.Grant.addToPrincipal({
      grantee: grantable,
      actions: ['s3:GetObject'],
      resourceArns: [this.bucket.arnForObjects(this.key)],
    });
    this.bucket.encryptionKey?.grant(grantable, 'kms:Decrypt');
    return { s3Location: { bucketName: this.bucket.bucketName, objectKey: this.key } };
  }
}
