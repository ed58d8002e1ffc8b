import { Aspects, IAspect, Stack, Validations } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/**
 * Acknowledges cdk-nag `AwsSolutions-IAM5` findings for resource ARNs that must end in a wildcard
 * (objects under a prefix, log groups created at run time), each with the reason.
 *
 * cdk-nag names a finding after the flattened CloudFormation value of the ARN (`<LogicalId.Arn>/weather/*`),
 * which is only final once the app is prepared, so the acknowledgement is computed by an aspect at synthesis.
 */
export function acknowledgeWildcardResources(scope: IConstruct, resourceArns: string[], reason: string): void {
  Aspects.of(scope).add(new AcknowledgeWildcards(scope, resourceArns, reason));
}

class AcknowledgeWildcards implements IAspect {
  private done = false;

  constructor(private readonly scope: IConstruct, private readonly resourceArns: string[], private readonly reason: string) {}

  public visit(node: IConstruct): void {
    if (this.done || node !== this.scope) {
      return;
    }
    this.done = true;
    const stack = Stack.of(this.scope);
    for (const arn of this.resourceArns) {
      Validations.of(this.scope).acknowledge({
        id: `AwsSolutions-IAM5[Resource::${flattenCfnValue(stack.resolve(arn))}]`,
        reason: this.reason,
      });
    }
  }
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
