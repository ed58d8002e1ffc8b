// Sources configured in one place: WeatherPipeline's `sources` reach the ingestion and the monitoring.
import * as fs from 'fs';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { City, WeatherPipeline, WeatherSource } from '../../src';
import { ENV } from '../../src/ingestion/private/runtime-config';
import { nagFindings } from '../nag';

const PARIS: City = { name: 'Paris', latitude: 48.8566, longitude: 2.3522 };
const OSLO: City = { name: 'Oslo', latitude: 59.9139, longitude: 10.7522 };
const UA = 'acmeweather.example support@acmeweather.example';

function functionByDescription(template: Template, pattern: RegExp): [string, any] {
  return Object.entries<any>(template.findResources('AWS::Lambda::Function')).find(([, fn]) => pattern.test(fn.Properties.Description ?? ''))!;
}

function stagedFile(app: App, fn: any, name: string): unknown {
  const staged = path.join(app.outdir, `asset.${fn.Properties.Code.S3Key.replace(/\.zip$/, '')}`, name);
  return JSON.parse(fs.readFileSync(staged, 'utf-8'));
}

describe('WeatherPipeline with Open-Meteo and MET Norway', () => {
  const app = new App();
  const stack = new Stack(app, 'Test');
  const pipeline = new WeatherPipeline(stack, 'Weather', {
    cities: [PARIS, OSLO],
    sources: [WeatherSource.openMeteo(), WeatherSource.metNorway({ userAgent: UA })],
  });
  const template = Template.fromStack(stack);

  test('the ingestion calls both', () => {
    expect(pipeline.ingestion.sourceIds).toEqual(['open-meteo', 'met-norway']);
    const [, fn] = functionByDescription(template, /weather for 2 cities/);
    expect(fn.Properties.Environment.Variables).toMatchObject({ [ENV.sources]: 'open-meteo,met-norway', [ENV.metNorwayUserAgent]: UA });
  });

  test('the monitoring checks freshness per source and city', () => {
    app.synth();
    const [, fn] = functionByDescription(template, /city freshness/);
    expect(stagedFile(app, fn, 'freshness.json')).toEqual([
      { slug: 'paris', name: 'Paris', windowHours: 26, source: 'open-meteo' },
      { slug: 'paris', name: 'Paris', windowHours: 26, source: 'met-norway' },
      { slug: 'oslo', name: 'Oslo', windowHours: 26, source: 'open-meteo' },
      { slug: 'oslo', name: 'Oslo', windowHours: 26, source: 'met-norway' },
    ]);
  });

  test('the validation plan request carries the sources (a one-source pipeline\'s does not)', () => {
    const machine = JSON.stringify(template.findResources('AWS::StepFunctions::StateMachine'));
    expect(machine).toContain('\\"expectedSources\\":\\"open-meteo,met-norway\\"');
    const one = new Stack(new App(), 'One');
    new WeatherPipeline(one, 'Weather', { cities: [PARIS] });
    expect(JSON.stringify(Template.fromStack(one).findResources('AWS::StepFunctions::StateMachine'))).not.toContain('expectedSources');
  });

  test('cdk-nag AwsSolutions finds nothing unacknowledged', () => {
    const nagApp = new App();
    new WeatherPipeline(new Stack(nagApp, 'Nag'), 'Weather', {
      cities: [PARIS], sources: [WeatherSource.openMeteo(), WeatherSource.metNorway({ userAgent: UA })],
    });
    expect(nagFindings(nagApp)).toEqual([]);
  });
});

describe('WeatherPipeline sources: synth errors', () => {
  test('MET Norway without a User-Agent fails at synth', () => {
    const stack = new Stack(new App(), 'Test');
    expect(() => new WeatherPipeline(stack, 'Weather', { cities: [PARIS], sources: [WeatherSource.metNorway({ userAgent: ' ' })] }))
      .toThrow('metNorway userAgent must identify your application and a contact');
  });

  test('apiBaseUrl on the pipeline and on WeatherSource.openMeteo is an error: one place', () => {
    const stack = new Stack(new App(), 'Test');
    expect(() => new WeatherPipeline(stack, 'Weather', {
      cities: [PARIS], apiBaseUrl: 'https://a.example', sources: [WeatherSource.openMeteo({ apiBaseUrl: 'https://b.example' })],
    })).toThrow('apiBaseUrl is set both as a prop of the ingestion or pipeline (https://a.example) and on WeatherSource.openMeteo (https://b.example): set it in one place');
  });

  test('MET Norway alone: no Open-Meteo call, and freshness per source', () => {
    const app = new App();
    const stack = new Stack(app, 'Test');
    const pipeline = new WeatherPipeline(stack, 'Weather', { cities: [OSLO], sources: [WeatherSource.metNorway({ userAgent: UA })] });
    expect(pipeline.ingestion.sourceIds).toEqual(['met-norway']);
    expect(pipeline.ingestion.estimatedDailyApiCalls).toBeUndefined();
    const template = Template.fromStack(stack);
    const [, fn] = functionByDescription(template, /weather for 1 cities/);
    expect(fn.Properties.Description).toBe('Fetches met-norway weather for 1 cities into the landing zone');
  });
});
