import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { WeatherByHandStack } from '../../examples/by-hand-stack';
import { WeatherStack } from '../../examples/weather-stack';
import { NagPack, nagFindings } from '../nag';

/** The template with asset hashes replaced, so the snapshot changes only when the deployable shape does. */
function normalized(template: Template): unknown {
  return JSON.parse(JSON.stringify(template.toJSON()).replace(/[0-9a-f]{64}(\.(zip|py|json))?/g, '<asset-hash>$1'));
}

describe('examples app', () => {
  const app = new App();
  const weather = new WeatherStack(app, 'WeatherPipeline');
  const byHand = new WeatherByHandStack(app, 'WeatherPipelineByHand');
  const weatherTemplate = Template.fromStack(weather);
  const byHandTemplate = Template.fromStack(byHand);

  test('the template a user would deploy (snapshot, asset hashes masked)', () => {
    expect(normalized(weatherTemplate)).toMatchSnapshot();
  });

  test('covers the three cities of the original description', () => {
    weatherTemplate.hasResourceProperties('AWS::Glue::Table', {
      TableInput: { Parameters: { 'projection.city.values': 'paris,marseille,nice' } },
    });
    expect(weather.pipeline.cities.map((c) => c.name)).toEqual(['Paris', 'Marseille', 'Nice']);
  });

  test('composing by hand gives the same resources as WeatherPipeline, plus the e-mail subscription', () => {
    const types = (template: Template) => Object.values<any>(template.toJSON().Resources).map((r) => r.Type).sort();
    const handTypes = types(byHandTemplate);
    expect(handTypes.filter((t) => t !== 'AWS::SNS::Subscription')).toEqual(types(weatherTemplate));
    expect(handTypes.filter((t) => t === 'AWS::SNS::Subscription')).toHaveLength(1);
  });

  test('every log group of every stack is encrypted with a customer-managed KMS key', () => {
    for (const template of [weatherTemplate, byHandTemplate]) {
      const logGroups = Object.entries<any>(template.findResources('AWS::Logs::LogGroup'));
      expect(logGroups.length).toBeGreaterThan(0);
      const keys = Object.keys(template.findResources('AWS::KMS::Key'));
      const unencrypted = logGroups.filter(([, lg]) => {
        const keyRef = lg.Properties?.KmsKeyId?.['Fn::GetAtt'];
        return !(Array.isArray(keyRef) && keys.includes(keyRef[0]) && keyRef[1] === 'Arn');
      }).map(([id]) => id);
      expect(unencrypted).toEqual([]);
    }
  });

  test('Athena query results are encrypted with the lake\'s KMS key, in a versioned bucket', () => {
    for (const stack of [weather, byHand]) {
      const template = Template.fromStack(stack);
      const workGroups = Object.values<any>(template.findResources('AWS::Athena::WorkGroup'));
      expect(workGroups).toHaveLength(1);
      const encryption = workGroups[0].Properties.WorkGroupConfiguration.ResultConfiguration.EncryptionConfiguration;
      expect(encryption.EncryptionOption).toBe('SSE_KMS');
      const resultsBucketId = workGroups[0].Properties.WorkGroupConfiguration.ResultConfiguration.OutputLocation['Fn::Join'][1][1].Ref;
      const bucket = template.findResources('AWS::S3::Bucket')[resultsBucketId];
      expect(bucket.Properties.VersioningConfiguration).toEqual({ Status: 'Enabled' });
      expect(bucket.Properties.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault)
        .toEqual({ SSEAlgorithm: 'aws:kms', KMSMasterKeyID: encryption.KmsKey });
    }
  });

  test('every key policy statement that lets a service use a key is bound to this account\'s resources', () => {
    const unbound: string[] = [];
    for (const [name, template] of [['weather', weatherTemplate], ['by hand', byHandTemplate]] as const) {
      for (const [id, key] of Object.entries<any>(template.findResources('AWS::KMS::Key'))) {
        for (const statement of key.Properties.KeyPolicy.Statement) {
          if (statement.Effect !== 'Allow' || statement.Principal?.Service === undefined) {
            continue;
          }
          const conditionKeys = Object.values<Record<string, unknown>>(statement.Condition ?? {}).flatMap((c) => Object.keys(c));
          const bound = conditionKeys.some((k) => k === 'aws:SourceAccount' || k === 'aws:SourceArn' || k.startsWith('kms:EncryptionContext:'));
          if (!bound) {
            unbound.push(`${name} ${id} ${statement.Sid ?? JSON.stringify(statement.Principal)}`);
          }
        }
      }
    }
    expect(unbound).toEqual([]);
  });

  test('no stack of the app has an unacknowledged cdk-nag finding (AwsSolutions and NIST 800-53 rev 5)', () => {
    expect(nagFindings(app, [NagPack.AWS_SOLUTIONS, NagPack.NIST_800_53_R5])).toEqual([]);
  });
});
