import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { City, LandingZone, MetNorwayEndpoint, RefinedLake, WeatherContract, WeatherIngestion, WeatherIngestionProps, WeatherSource } from '../../src';
import { ENV } from '../../src/ingestion/private/runtime-config';

const PARIS: City = { name: 'Paris', latitude: 48.856613, longitude: 2.352222 };
const UA = 'acmeweather.example support@acmeweather.example';

function build(props: Partial<WeatherIngestionProps>): { stack: Stack; ingestion: WeatherIngestion } {
  const stack = new Stack(new App(), 'Test');
  const landing = new LandingZone(stack, 'Landing');
  const refined = new RefinedLake(stack, 'Refined', { cities: [PARIS] });
  const ingestion = new WeatherIngestion(stack, 'Ingestion', { landingZone: landing, refinedLake: refined, ...props });
  return { stack, ingestion };
}

function ingestFunction(stack: Stack): any {
  return Object.values<any>(Template.fromStack(stack).findResources('AWS::Lambda::Function'))
    .find((fn) => /weather for/.test(fn.Properties.Description ?? ''));
}

describe('WeatherSource built-ins', () => {
  test('Open-Meteo: the landing prefix the contract has always had, its mapping, its request', () => {
    const source = WeatherSource.openMeteo();
    expect(source.id).toBe(WeatherContract.SOURCE);
    expect(source.rawPrefix).toBe(WeatherContract.LANDING_RAW_PREFIX);
    expect(source.mapping).toBe('OPEN_METEO_HOURLY_ARRAYS');
    expect(source.supportsBackfill).toBe(true);
    expect(source.forecastRequestUrl(PARIS)).toBe(
      `https://api.open-meteo.com/v1/forecast?latitude=48.856613&longitude=2.352222&hourly=${WeatherContract.VARIABLES.map((v) => v.apiName).join(',')}&past_days=1&forecast_days=7&timezone=UTC`);
    expect(WeatherSource.openMeteo({ archiveApiBaseUrl: 'http://127.0.0.1:9' }).backfillRequestUrl(PARIS, '2025-05-01', '2025-05-02')).toBe(
      `http://127.0.0.1:9/v1/archive?latitude=48.856613&longitude=2.352222&hourly=${WeatherContract.VARIABLES.map((v) => v.apiName).join(',')}&start_date=2025-05-01&end_date=2025-05-02&timezone=UTC`);
  });

  test('MET Norway: source=met-norway, no backfill, coordinates rounded to 4 decimals, compact by default', () => {
    const source = WeatherSource.metNorway({ userAgent: UA });
    expect(source.id).toBe('met-norway');
    expect(source.rawPrefix).toBe('weather/raw/source=met-norway/');
    expect(source.mapping).toBe('MET_NORWAY_TIMESERIES');
    expect(source.supportsBackfill).toBe(false);
    expect(source.maxCallsPerMinute).toBe(300);
    expect(source.terms).toContain('CC BY 4.0');
    expect(source.forecastRequestUrl(PARIS)).toBe('https://api.met.no/weatherapi/locationforecast/2.0/compact?lat=48.8566&lon=2.3522');
    expect(() => source.backfillRequestUrl(PARIS, '2025-05-01', '2025-05-02')).toThrow(
      'MET Norway Locationforecast has no archive: it cannot backfill 2025-05-01 .. 2025-05-02 (supportsBackfill is false)');
    expect(WeatherSource.metNorway({ userAgent: UA, endpoint: MetNorwayEndpoint.COMPLETE }).forecastRequestUrl({ name: 'South', latitude: -33.86882, longitude: 151.20929 }))
      .toBe('https://api.met.no/weatherapi/locationforecast/2.0/complete?lat=-33.8688&lon=151.2093');
  });
});

describe('WeatherIngestion sources', () => {
  test('the default is Open-Meteo only, with no source variables (the one-source template is unchanged)', () => {
    const { stack, ingestion } = build({});
    expect(ingestion.sources.map((s) => s.id)).toEqual(['open-meteo']);
    const env = ingestFunction(stack).Properties.Environment.Variables;
    expect(Object.keys(env).filter((k) => k === ENV.sources || k.startsWith('MET_NORWAY_'))).toEqual([]);
  });

  test('Open-Meteo and MET Norway: the environment names both, MET Norway\'s settings, and the function may write both prefixes', () => {
    const { stack } = build({ sources: [WeatherSource.openMeteo(), WeatherSource.metNorway({ userAgent: UA, maxCallsPerMinute: 120 })] });
    const fn = ingestFunction(stack);
    expect(fn.Properties.Description).toBe('Fetches open-meteo and met-norway weather for 1 cities into the landing zone');
    expect(fn.Properties.Environment.Variables).toMatchObject({
      [ENV.sources]: 'open-meteo,met-norway',
      [ENV.metNorwayBaseUrl]: 'https://api.met.no',
      [ENV.metNorwayEndpoint]: 'compact',
      [ENV.metNorwayUserAgent]: UA,
      [ENV.metNorwayMaxCallsPerMinute]: '120',
    });
    const resources = JSON.stringify(Template.fromStack(stack).findResources('AWS::IAM::Policy'));
    expect(resources).toContain('/weather/raw/source=open-meteo/*');
    expect(resources).toContain('/weather/raw/source=met-norway/*');
  });

  test('MET Norway without an identifying User-Agent fails at synth naming the prop and the value', () => {
    expect(() => build({ sources: [WeatherSource.metNorway({ userAgent: '' })] })).toThrow(
      'metNorway userAgent must identify your application and a contact (e.g. "acmeweather.example support@acmeweather.example"), as MET Norway\'s terms require, got ""');
    expect(() => build({ sources: [WeatherSource.metNorway({ userAgent: UA, maxCallsPerMinute: 5000 })] })).toThrow(
      'metNorway maxCallsPerMinute must be an integer in [1, 1200], got 5000');
  });

  test('a setting given both on the ingestion and on WeatherSource.openMeteo is an error; one source twice too; none too', () => {
    expect(() => build({ apiBaseUrl: 'https://a.example', sources: [WeatherSource.openMeteo({ apiBaseUrl: 'https://b.example' })] })).toThrow(
      'apiBaseUrl is set both as a prop of the ingestion or pipeline (https://a.example) and on WeatherSource.openMeteo (https://b.example): set it in one place');
    expect(() => build({ sources: [WeatherSource.openMeteo(), WeatherSource.openMeteo()] })).toThrow('sources must not list a source twice, got open-meteo, open-meteo');
    expect(() => build({ sources: [] })).toThrow('sources must list at least one WeatherSource (e.g. WeatherSource.openMeteo()), got [] (Test/Ingestion)');
  });

  test('Open-Meteo settings on the source are the ones the function gets', () => {
    const { stack } = build({ sources: [WeatherSource.openMeteo({ apiBaseUrl: 'https://customer-api.open-meteo.com', maxCallsPerMinute: 900 })] });
    expect(ingestFunction(stack).Properties.Environment.Variables).toMatchObject({
      [ENV.apiBaseUrl]: 'https://customer-api.open-meteo.com', [ENV.maxCallsPerMinute]: '900',
    });
  });

  test('a second source doubles the requests the timeout is sized for', () => {
    // One request in flight: one round of requests for Open-Meteo alone, two with MET Norway.
    const one = build({ maxConcurrentRequests: 1 }).ingestion;
    const two = build({ maxConcurrentRequests: 1, sources: [WeatherSource.openMeteo(), WeatherSource.metNorway({ userAgent: UA })] }).ingestion;
    expect(two.timeout.toSeconds()).toBeGreaterThan(one.timeout.toSeconds());
  });
});
