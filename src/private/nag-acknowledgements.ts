import { Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { IConstruct } from 'constructs';

/**
 * Acknowledges cdk-nag `AwsSolutions-IAM5` findings for resource ARNs that must end in a wildcard
 * (objects under a prefix, log groups created at run time), each with the reason.
 *
 * cdk-nag names a finding after the flattened CloudFormation value of the ARN (`<LogicalId.Arn>/weather/*`), which
 * is only final once the app is prepared: a bucket of another stack becomes an `Fn::ImportValue` then. So the
 * acknowledgement is computed by a construct validation, which runs after the app is prepared and before the
 * validation plugins.
 */
export function acknowledgeWildcardResources(scope: IConstruct, resourceArns: string[], reason: string): void {
  let done = false;
  scope.node.addValidation({
    validate: () => {
      if (!done) {
        done = true;
        const stack = Stack.of(scope);
        for (const arn of resourceArns) {
          Validations.of(scope).acknowledge({
            id: `AwsSolutions-IAM5[Resource::${flattenCfnValue(stack.resolve(arn))}]`,
            reason,
          });
        }
      }
      return [];
    },
  });
}

/** The same flattening cdk-nag applies to CloudFormation values when it names a finding. */
function flattenCfnValue(value: unknown): string {
  if (value === undefined) {
    return '';
  }
  if (typeof value === 'string') {
    return value.replace(/\${/g, '<').replace(/}/g, '>');
  }
  const node = value as Record<string, any>;
  if (node['Fn::Join']) {
    const [delimiter, items] = node['Fn::Join'];
    return (items as unknown[]).map(flattenCfnValue).join(delimiter);
  }
  if (node['Fn::Sub']) {
    return flattenCfnValue(node['Fn::Sub']);
  }
  if (node['Fn::GetAtt']) {
    const [resource, attribute] = node['Fn::GetAtt'];
    return `<${flattenCfnValue(resource)}.${flattenCfnValue(attribute)}>`;
  }
  if (node['Fn::ImportValue']) {
    return flattenCfnValue(node['Fn::ImportValue']);
  }
  if (node.Ref) {
    return `<${flattenCfnValue(node.Ref)}>`;
  }
  return JSON.stringify(value);
}

/**
 * Acknowledges cdk-nag `NIST.800.53.R5-IAMNoInlinePolicy` on a role the library creates: its policy is the role's
 * default policy, written from least-privilege grants for this role alone.
 */
export function acknowledgeRoleInlinePolicy(role: iam.IRole): void {
  Validations.of(role).acknowledge({
    id: 'NIST.800.53.R5-IAMNoInlinePolicy',
    reason: 'The policy is this role\'s own, generated from least-privilege grants on this pipeline\'s resources; it is created, '
      + 'versioned and rolled back with the stack, and no other principal is meant to share it. A customer-managed policy would hold '
      + 'the same statements and could be attached elsewhere.',
  });
}

/** Why a bucket of the pipeline has no cross-region replication (cdk-nag `NIST.800.53.R5-S3BucketReplicationEnabled`). */
export function acknowledgeNoReplication(bucket: IConstruct, reason: string): void {
  Validations.of(bucket).acknowledge({ id: 'NIST.800.53.R5-S3BucketReplicationEnabled', reason });
}
