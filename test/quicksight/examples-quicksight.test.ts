import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { WeatherStack } from '../../examples/weather-stack';
import { NagPack, nagFindings } from '../nag';

// The examples app's opt-in QuickSight stack (`npx cdk synth -c quickSightOwnerArn=...`): the one-liner with
// `quickSight` set. test/compliance/test_template_checkers.py runs cfn-lint and checkov on it.
const OWNER = 'arn:aws:quicksight:us-east-1:123456789012:user/default/weather-analyst';

describe('examples app with QuickSight enabled', () => {
  const app = new App();
  const plain = new WeatherStack(app, 'WeatherPipeline');
  const withQuickSight = new WeatherStack(app, 'WeatherPipelineQuickSight', { quickSight: { ownerArns: [OWNER] } });
  const template = Template.fromStack(withQuickSight);

  test('the one-liner publishes nothing in QuickSight unless asked', () => {
    const types = Object.values<any>(Template.fromStack(plain).toJSON().Resources).map((r) => r.Type);
    expect(types.filter((t) => t.startsWith('AWS::QuickSight::'))).toEqual([]);
    expect(plain.pipeline.quickSightDashboard).toBeUndefined();
  });

  test('with quickSight: a data source on the pipeline\'s workgroup, two datasets and a dashboard owned by the principal', () => {
    template.resourceCountIs('AWS::QuickSight::DataSource', 1);
    template.resourceCountIs('AWS::QuickSight::DataSet', 2);
    template.resourceCountIs('AWS::QuickSight::Dashboard', 1);
    const pipeline = withQuickSight.pipeline;
    expect(pipeline.quickSightDashboard).toBeDefined();
    template.hasResourceProperties('AWS::QuickSight::DataSource', {
      DataSourceParameters: { AthenaParameters: { WorkGroup: withQuickSight.resolve(pipeline.catalog.workGroupName) } },
    });
    const board = Object.values<any>(template.findResources('AWS::QuickSight::Dashboard'))[0];
    expect(board.Properties.Permissions.map((p: any) => p.Principal)).toEqual([OWNER]);
    // The rest of the pipeline is the default example's.
    const others = (t: Template) => Object.values<any>(t.toJSON().Resources).map((r) => r.Type)
      .filter((type) => !type.startsWith('AWS::QuickSight::')).sort();
    expect(others(template)).toEqual([...others(Template.fromStack(plain)), 'AWS::IAM::Policy', 'AWS::IAM::Role'].sort());
  });

  test('no unacknowledged cdk-nag finding (AwsSolutions and NIST 800-53 rev 5)', () => {
    expect(nagFindings(app, [NagPack.AWS_SOLUTIONS, NagPack.NIST_800_53_R5])).toEqual([]);
  });
});
