// The examples app: `npx cdk synth` in this folder synthesizes both stacks with no AWS credentials.
import { App } from 'aws-cdk-lib';
import { WeatherByHandStack } from './by-hand-stack';
import { WeatherStack } from './weather-stack';

const app = new App();
new WeatherStack(app, 'WeatherPipeline');
new WeatherByHandStack(app, 'WeatherPipelineByHand');
app.synth();
