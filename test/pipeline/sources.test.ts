// Sources configured in one place: WeatherPipeline's `sources` reach the ingestion and the monitoring.
import * as fs from 'fs';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AthenaCatalog, City, GlueEtlJob, LandingZone, PipelineOrchestrator, RefinedLake, WeatherIngestion, WeatherPipeline, WeatherSource } from '../../src';
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

describe('The ETL job refines the sources the ingestion calls', () => {
  function contractSources(template: Template): string[] {
    const job = Object.values<any>(template.findResources('AWS::Glue::Job'))[0];
    const contract = JSON.stringify(job.Properties.DefaultArguments['--contract_json']);
    return ['open-meteo', 'met-norway'].filter((id) => contract.includes(`source=${id}`));
  }

  test('WeatherPipeline gives its job the ingestion\'s sources', () => {
    const stack = new Stack(new App(), 'Test');
    const pipeline = new WeatherPipeline(stack, 'Weather', {
      cities: [PARIS], sources: [WeatherSource.openMeteo(), WeatherSource.metNorway({ userAgent: UA })],
    });
    expect(pipeline.etlJob.sourceIds).toEqual(['open-meteo', 'met-norway']);
    expect(contractSources(Template.fromStack(stack))).toEqual(['open-meteo', 'met-norway']);
  });

  function byHand(jobSources?: (ingestion: WeatherIngestion) => string[]) {
    const stack = new Stack(new App(), 'Test');
    const landingZone = new LandingZone(stack, 'Landing');
    const refinedLake = new RefinedLake(stack, 'Refined', { cities: [PARIS] });
    const ingestion = new WeatherIngestion(stack, 'Ingestion', {
      landingZone,
      refinedLake,
      scheduleEnabled: false,
      sources: [WeatherSource.openMeteo(), WeatherSource.metNorway({ userAgent: UA })],
    });
    const etlJob = new GlueEtlJob(stack, 'Etl', { landingZone, refinedLake, sourceIds: jobSources?.(ingestion) });
    const catalog = new AthenaCatalog(stack, 'Catalog', { refinedLake });
    return () => new PipelineOrchestrator(stack, 'Orchestrator', { etlJob, catalog, ingestion });
  }

  test('by hand: an ingestion calling a source its job does not refine fails at synth, naming both', () => {
    expect(byHand()).toThrow('ingestion Test/Ingestion calls sources the etlJob Test/Etl does not refine: the ingestion calls open-meteo, met-norway, '
      + 'the job refines open-meteo, so every response of met-norway would be quarantined as INVALID_KEY; '
      + 'give the job the ingestion\'s sources (sourceIds: ingestion.sourceIds)');
  });

  test('by hand: the job reading the ingestion\'s sources composes', () => {
    expect(byHand((ingestion) => ingestion.sourceIds)).not.toThrow();
  });

  test('an imported job keeps its sources (default Open-Meteo) and checks them', () => {
    const stack = new Stack(new App(), 'Test');
    const landingZone = new LandingZone(stack, 'Landing');
    const refinedLake = new RefinedLake(stack, 'Refined', { cities: [PARIS] });
    expect(GlueEtlJob.fromGlueEtlJobAttributes(stack, 'A', { jobName: 'a', landingZone, refinedLake }).sourceIds).toEqual(['open-meteo']);
    expect(GlueEtlJob.fromGlueEtlJobAttributes(stack, 'B', { jobName: 'b', landingZone, refinedLake, sourceIds: ['met-norway'] }).sourceIds)
      .toEqual(['met-norway']);
    expect(() => GlueEtlJob.fromGlueEtlJobAttributes(stack, 'C', { jobName: 'c', landingZone, refinedLake, sourceIds: ['dark-sky'] }))
      .toThrow(/sourceIds/);
  });
});
