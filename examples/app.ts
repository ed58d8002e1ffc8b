// The examples app: `npx cdk synth` in this folder synthesizes both stacks with no AWS credentials.
//
// With `-c quickSightOwnerArn=arn:aws:quicksight:<identity region>:<account>:user/default/<name>` (a QuickSight user
// or group of an account subscribed to QuickSight), a third stack adds the QuickSight dashboard to the same pipeline,
// owned by that principal (see docs/quicksight.md).
import { App } from 'aws-cdk-lib';
import { WeatherByHandStack } from './by-hand-stack';
import { WeatherStack } from './weather-stack';

const app = new App();
new WeatherStack(app, 'WeatherPipeline');
new WeatherByHandStack(app, 'WeatherPipelineByHand');
const quickSightOwnerArn: string | undefined = app.node.tryGetContext('quickSightOwnerArn');
if (quickSightOwnerArn !== undefined) {
  new WeatherStack(app, 'WeatherPipelineQuickSight', {
    description: 'cdk-weather-pipeline example: Paris, Marseille and Nice, with a QuickSight dashboard',
    quickSight: { ownerArns: [quickSightOwnerArn] },
  });
}
app.synth();
