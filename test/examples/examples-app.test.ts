import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { WeatherByHandStack } from '../../examples/by-hand-stack';
import { WeatherStack } from '../../examples/weather-stack';
import { nagFindings } from '../nag';

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

  test('no stack of the app has an unacknowledged cdk-nag finding', () => {
    expect(nagFindings(app)).toEqual([]);
  });
});
