import { ArnFormat, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';

/**
 * A rotating KMS key whose policy also lets this account's CloudWatch Logs encrypt log groups with it
 * (encryption context limited to this account's log groups, or to the named ones; actions spelled out, no wildcard).
 */
export function createLogsEncryptionKey(scope: Construct, id: string, description: string, removalPolicy: RemovalPolicy,
  logGroupNames?: string[]): kms.Key {
  const stack = Stack.of(scope);
  const logGroupArn = (name: string) => stack.formatArn({ service: 'logs', resource: 'log-group', resourceName: name, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
  const key = new kms.Key(scope, id, { description, enableKeyRotation: true, removalPolicy });
  key.addToResourcePolicy(new iam.PolicyStatement({
    sid: 'AllowCloudWatchLogsOfThisAccount',
    principals: [new iam.ServicePrincipal(`logs.${stack.region}.amazonaws.com`)],
    actions: ['kms:Encrypt', 'kms:Decrypt', 'kms:ReEncryptFrom', 'kms:ReEncryptTo', 'kms:GenerateDataKey', 'kms:GenerateDataKeyWithoutPlaintext', 'kms:DescribeKey'],
    resources: ['*'],
    conditions: {
      ArnLike: {
        'kms:EncryptionContext:aws:logs:arn': logGroupNames !== undefined ? logGroupNames.map(logGroupArn) : logGroupArn('*'),
      },
    },
  }));
  return key;
}
