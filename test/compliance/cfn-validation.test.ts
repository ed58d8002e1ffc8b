import { App, CfnResource, Duration, Stack } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as cxapi from 'aws-cdk-lib/cx-api';
import { WeatherByHandStack } from '../../examples/by-hand-stack';
import { WeatherStack } from '../../examples/weather-stack';
import { MissingCityAction, PartitionGranularity, WeatherPipeline, WeatherSource } from '../../src';

// CDK's own template validation (the "CloudFormation Validate" plugin: resource schemas and CDK's default rules).
// On every other synthesis of the jest suite it is off (test/jest-setup.ts: it starts a WebAssembly engine once per
// test file, and in its default mode it only prints warnings, so it never failed a test). Here it runs on purpose and
// strictly: any error or warning of any stack fails the synthesis.
process.env.CDK_VALIDATION = 'true';

function strictApp(): App {
  return new App({
    context: {
      [cxapi.VALIDATE_AGAINST_DEFAULT_RULES]: true,
      [cxapi.STRICT_CFN_VALIDATE_ERRORS]: true,
    },
  });
}

test('the validation is on in this file and strict: a property no resource schema has fails the synthesis', () => {
  const app = strictApp();
  new CfnResource(new Stack(app, 'Invalid'), 'Bucket', { type: 'AWS::S3::Bucket', properties: { NoSuchProperty: 'x' } });
  expect(() => app.synth()).toThrow(/NoSuchProperty: Additional properties are not allowed[\s\S]*\(CloudFormation Validate\)/);
});

test('the examples app, its QuickSight stack included, passes CDK\'s template validation with no error or warning', () => {
  const app = strictApp();
  new WeatherStack(app, 'WeatherPipeline');
  new WeatherByHandStack(app, 'WeatherPipelineByHand');
  new WeatherStack(app, 'WeatherPipelineQuickSight', {
    quickSight: { ownerArns: ['arn:aws:quicksight:us-east-1:123456789012:user/default/weather-analyst'] },
  });
  expect(() => app.synth()).not.toThrow();
});

test('a pipeline with every option set passes CDK\'s template validation with no error or warning', () => {
  const app = strictApp();
  const stack = new Stack(app, 'Options');
  new WeatherPipeline(stack, 'Weather', {
    cities: [{ name: 'Paris', latitude: 48.8566, longitude: 2.3522 }, { name: 'Nice', latitude: 43.7102, longitude: 7.262 }],
    sources: [WeatherSource.openMeteo(), WeatherSource.metNorway({ userAgent: 'weather-pipeline-tests/1.0 data-team@example.com' })],
    schedule: scheduler.ScheduleExpression.cron({ minute: '0', hour: '*/3' }),
    rawExpiration: Duration.days(400),
    encryptionKey: new kms.Key(stack, 'DataKey', { enableKeyRotation: true }),
    notificationEmail: 'data-team@example.com',
    apiBaseUrl: 'https://customer-api.open-meteo.com',
    partitionGranularity: PartitionGranularity.MONTH,
    missingCityAction: MissingCityAction.ALERT,
  });
  expect(() => app.synth()).not.toThrow();
});
