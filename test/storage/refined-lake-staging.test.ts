import { readFileSync } from 'fs';
import { join } from 'path';
import { Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { RefinedLake, RefinedLakeProps, WeatherContract } from '../../src';

// The staging zone (every fetch of every hour) is the one that grows: its lifecycle rules, their defaults and
// their validation.

/** The lifecycle rules of the lake's bucket that act on the staging prefix. */
function stagingRules(props: RefinedLakeProps): any[] {
  const stack = new Stack();
  const refined = new RefinedLake(stack, 'Refined', props);
  const bucketId = stack.getLogicalId(refined.bucket.node.defaultChild as s3.CfnBucket);
  const rules: any[] = Template.fromStack(stack).findResources('AWS::S3::Bucket')[bucketId].Properties.LifecycleConfiguration.Rules;
  return rules.filter((rule) => rule.Prefix === WeatherContract.STAGING_PREFIX);
}

const toInfrequentAccess = (days: number) => ({
  Id: 'staging-to-infrequent-access',
  Prefix: WeatherContract.STAGING_PREFIX,
  Status: 'Enabled',
  Transitions: [{ StorageClass: 'STANDARD_IA', TransitionInDays: days }],
});
const expire = (days: number) => ({ Id: 'expire-staging', Prefix: WeatherContract.STAGING_PREFIX, Status: 'Enabled', ExpirationInDays: days });

describe('RefinedLake staging lifecycle', () => {
  test('by default, staging moves to Standard-IA after 30 days and is never deleted', () => {
    expect(stagingRules({})).toEqual([toInfrequentAccess(30)]);
  });

  test('the documented defaults are the ones synthesized', () => {
    const assembly = JSON.parse(readFileSync(join(__dirname, '..', '..', '.jsii'), 'utf-8'));
    const defaults = Object.fromEntries(assembly.types['cdk-weather-pipeline.RefinedLakeProps'].properties
      .map((prop: any) => [prop.name, prop.docs.default]));
    expect(defaults.stagingInfrequentAccessAfter).toMatch(/^Duration\.days\(30\), unless `stagingExpiration` is 60 days or less: then no transition/);
    expect(defaults.stagingExpiration).toBe('- never');
    expect(stagingRules({}).flatMap((rule) => rule.Transitions.map((t: any) => t.TransitionInDays))).toEqual([30]);
    expect(stagingRules({}).filter((rule) => rule.ExpirationInDays !== undefined)).toEqual([]);
  });

  test('the ages you set', () => {
    expect(stagingRules({ stagingInfrequentAccessAfter: Duration.days(90), stagingExpiration: Duration.days(730) }))
      .toEqual([toInfrequentAccess(90), expire(730)]);
    expect(stagingRules({ stagingInfrequentAccessAfter: Duration.days(45) })).toEqual([toInfrequentAccess(45)]);
  });

  test('an expiration alone keeps the default transition only when files stay in Standard-IA its 30-day minimum', () => {
    expect(stagingRules({ stagingExpiration: Duration.days(14) })).toEqual([expire(14)]);
    expect(stagingRules({ stagingExpiration: Duration.days(60) })).toEqual([expire(60)]);
    expect(stagingRules({ stagingExpiration: Duration.days(61) })).toEqual([toInfrequentAccess(30), expire(61)]);
  });

  test('the staging rules leave the other prefixes alone', () => {
    const stack = new Stack();
    new RefinedLake(stack, 'Refined', { stagingExpiration: Duration.days(400) });
    const rules: any[] = Object.values<any>(Template.fromStack(stack).findResources('AWS::S3::Bucket'))
      .flatMap((bucket) => bucket.Properties.LifecycleConfiguration?.Rules ?? []);
    const withExpiration = rules.filter((rule) => rule.ExpirationInDays !== undefined && rule.Id !== 'expire-access-logs');
    expect(withExpiration.map((rule) => rule.Prefix)).toEqual([WeatherContract.STAGING_PREFIX]);
  });
});

describe('RefinedLake staging lifecycle validation', () => {
  const build = (props: RefinedLakeProps) => () => new RefinedLake(new Stack(), 'Refined', props);

  test.each<[RefinedLakeProps, string]>([
    [{ stagingInfrequentAccessAfter: Duration.days(7) }, 'stagingInfrequentAccessAfter must be a whole number of days, at least 30, got 7 days'],
    [{ stagingInfrequentAccessAfter: Duration.hours(900) }, 'stagingInfrequentAccessAfter must be a whole number of days, at least 30, got 37 days 12 hours'],
    [{ stagingExpiration: Duration.hours(12) }, 'stagingExpiration must be a whole number of days, at least 1, got 12 hours'],
    [{ stagingExpiration: Duration.days(0) }, 'stagingExpiration must be a whole number of days, at least 1, got 0 days'],
    [{ stagingInfrequentAccessAfter: Duration.days(90), stagingExpiration: Duration.days(90) },
      'stagingExpiration must be later than stagingInfrequentAccessAfter (90 days), got 90 days'],
    [{ stagingInfrequentAccessAfter: Duration.days(90), stagingExpiration: Duration.days(30) },
      'stagingExpiration must be later than stagingInfrequentAccessAfter (90 days), got 30 days'],
    [{ bucket: s3.Bucket.fromBucketName(new Stack(), 'B', 'existing-bucket'), stagingExpiration: Duration.days(400) },
      'stagingExpiration cannot be combined with bucket: they shape a bucket the construct creates, and the bucket you pass keeps its own settings'],
    [{ bucket: s3.Bucket.fromBucketName(new Stack(), 'B', 'existing-bucket'), stagingInfrequentAccessAfter: Duration.days(60) },
      'stagingInfrequentAccessAfter cannot be combined with bucket: they shape a bucket the construct creates, and the bucket you pass keeps its own settings'],
  ])('rejects bad props (%#)', (props, message) => {
    expect(build(props)).toThrow(message);
  });
});
