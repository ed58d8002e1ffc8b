// The full weather pipeline for the cities of the original project description, in one construct.
import { Stack, StackProps } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { QuickSightDashboardOptions, WeatherPipeline } from '../src';

export interface WeatherStackProps extends StackProps {
  /** Publish the QuickSight dashboard too (the account must be subscribed to QuickSight). */
  readonly quickSight?: QuickSightDashboardOptions;
}

export class WeatherStack extends Stack {
  public readonly pipeline: WeatherPipeline;

  constructor(scope: Construct, id: string, props: WeatherStackProps = {}) {
    const { quickSight, ...stackProps } = props;
    super(scope, id, { description: 'cdk-weather-pipeline example: Paris, Marseille and Nice', ...stackProps });
    this.pipeline = new WeatherPipeline(this, 'Weather', {
      cities: [
        { name: 'Paris', latitude: 48.8566, longitude: 2.3522, timezone: 'Europe/Paris' },
        { name: 'Marseille', latitude: 43.2965, longitude: 5.3698, timezone: 'Europe/Paris' },
        { name: 'Nice', latitude: 43.7102, longitude: 7.262, timezone: 'Europe/Paris' },
      ],
      quickSight,
    });
  }
}
