import { Stack, Validations } from 'aws-cdk-lib';
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
