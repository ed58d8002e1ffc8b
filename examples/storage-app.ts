// The storage zones on their own: a landing zone and a refined lake with the library's secure defaults.
// Synthesize with `npx cdk synth --app "npx ts-node --prefer-ts-exts storage-app.ts"` from this folder.
import { App, Stack } from 'aws-cdk-lib';
import { LandingZone, RefinedLake } from '../src';

const app = new App();
const stack = new Stack(app, 'WeatherStorage', {
  description: 'cdk-weather-pipeline example: landing zone and refined lake',
});

const landing = new LandingZone(stack, 'Landing');
// Share the landing zone's access-log bucket instead of creating a second one.
new RefinedLake(stack, 'Refined', { serverAccessLogsBucket: landing.accessLogsBucket });

app.synth();
