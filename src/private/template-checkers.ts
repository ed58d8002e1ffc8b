import { CfnResource, Lazy, Stack } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/**
 * Skips a checkov check on one resource, with the reason, in the resource's template metadata
 * (`Metadata.checkov.skip`, which checkov reads next to the resource it concerns).
 *
 * @param resource the L1 resource, or an L2 whose default child is the resource
 */
export function skipCheckovCheck(resource: IConstruct, id: string, comment: string): void {
  const cfn = cfnResourceOf(resource);
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
