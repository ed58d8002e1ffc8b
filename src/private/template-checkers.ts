import { CfnResource, Lazy, Stack, Validations } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/**
 * cdk-nag rules that test the same property as a checkov check: skipping the check acknowledges them on the same
 * resource with the same reason, so one decision reads the same in every checker.
 */
const NAG_RULES_OF_CHECKOV_CHECK: Record<string, string[]> = {
  CKV_AWS_18: ['NIST.800.53.R5-S3BucketLoggingEnabled'], // S3 server access logging
  CKV_AWS_115: ['NIST.800.53.R5-LambdaConcurrency'], // Lambda reserved concurrency
  CKV_AWS_116: ['NIST.800.53.R5-LambdaDLQ'], // Lambda dead-letter queue
  CKV_AWS_117: ['NIST.800.53.R5-LambdaInsideVPC'], // Lambda inside a VPC
};

/**
 * Skips a checkov check on one resource, with the reason, in the resource's template metadata
 * (`Metadata.checkov.skip`, which checkov reads next to the resource it concerns), and acknowledges the cdk-nag
 * rules that test the same property (NIST 800-53 rev 5) with the same reason.
 *
 * @param resource the L1 resource, or an L2 whose default child is the resource
 */
export function skipCheckovCheck(resource: IConstruct, id: string, comment: string): void {
  const cfn = cfnResourceOf(resource);
  for (const rule of NAG_RULES_OF_CHECKOV_CHECK[id] ?? []) {
    Validations.of(cfn).acknowledge({ id: rule, reason: comment });
  }
  const existing = (cfn.getMetadata('checkov') as { skip?: Array<{ id: string; comment: string }> } | undefined)?.skip ?? [];
  cfn.addMetadata('checkov', { skip: [...existing.filter((s) => s.id !== id), { id, comment }] });
}

/**
 * Leaves the role out of a resource's `DependsOn`. aws-cdk-lib makes a Lambda function or a state machine depend
 * on its whole role construct (the role and its default policy); the resource already orders itself after the
 * role through `Fn::GetAtt` of the role's ARN, so cfn-lint flags the repeated role (W3005). The dependency on the
 * role's policy, which the resource needs before it runs, stays.
 */
export function omitRoleFromDependsOn(resource: IConstruct, role: IConstruct): void {
  const cfn = cfnResourceOf(resource);
  const roleResource = role.node.defaultChild;
  // Dependencies are final only once the app is prepared, so the list is computed when the template is resolved.
  cfn.addOverride('DependsOn', Lazy.list({
    produce: () => cfn.obtainDependencies()
      .filter((dep): dep is CfnResource => CfnResource.isCfnResource(dep) && dep !== roleResource && Stack.of(dep) === Stack.of(cfn))
      .sort((a, b) => a.node.path.localeCompare(b.node.path))
      .map((dep) => dep.logicalId),
  }, { omitEmpty: true }));
}

function cfnResourceOf(resource: IConstruct): CfnResource {
  const cfn = CfnResource.isCfnResource(resource) ? resource : resource.node.defaultChild;
  if (cfn === undefined || !CfnResource.isCfnResource(cfn)) {
    throw new Error(`${resource.node.path} is not a CloudFormation resource and has no default child that is one`);
  }
  return cfn;
}
