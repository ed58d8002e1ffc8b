// The handler's side of the sources: what it reads from the environment the construct writes.
import { configFromEnv, encodeCities, ENV } from '../../src/ingestion/private/runtime-config';

const CITIES = encodeCities([{ name: 'Oslo', latitude: 59.9139, longitude: 10.7522 }]);
const OPEN_METEO = {
  [ENV.bucket]: 'landing',
  [ENV.apiBaseUrl]: 'https://api.open-meteo.com',
  [ENV.archiveApiBaseUrl]: 'https://archive-api.open-meteo.com',
  [ENV.pastDays]: '1',
  [ENV.forecastDays]: '7',
};
const MET_NORWAY = {
  [ENV.metNorwayBaseUrl]: 'https://api.met.no/',
  [ENV.metNorwayEndpoint]: 'complete',
  [ENV.metNorwayUserAgent]: 'acme.example ops@acme.example',
  [ENV.metNorwayMaxCallsPerMinute]: '120',
};

describe('configFromEnv: sources', () => {
  test('no source list: Open-Meteo alone, at maxCallsPerMinute (the environment of a one-source construct)', () => {
    expect(configFromEnv({ ...OPEN_METEO, [ENV.maxCallsPerMinute]: '450' }, CITIES).sources).toEqual([{ id: 'open-meteo', maxCallsPerMinute: 450 }]);
  });

  test('both sources, in order, with MET Norway\'s settings', () => {
    expect(configFromEnv({ ...OPEN_METEO, ...MET_NORWAY, [ENV.sources]: 'met-norway,open-meteo' }, CITIES).sources).toEqual([
      { id: 'met-norway', maxCallsPerMinute: 120, baseUrl: 'https://api.met.no', endpoint: 'complete', userAgent: 'acme.example ops@acme.example' },
      { id: 'open-meteo', maxCallsPerMinute: 500 },
    ]);
  });

  test('MET Norway alone needs none of Open-Meteo\'s settings', () => {
    const config = configFromEnv({ [ENV.bucket]: 'landing', ...MET_NORWAY, [ENV.sources]: 'met-norway' }, CITIES);
    expect(config.sources!.map((s) => s.id)).toEqual(['met-norway']);
  });

  test('a missing User-Agent, an unknown endpoint or source, or a source twice is an error naming the variable', () => {
    expect(() => configFromEnv({ ...OPEN_METEO, ...MET_NORWAY, [ENV.metNorwayUserAgent]: '', [ENV.sources]: 'met-norway' }, CITIES))
      .toThrow('environment variable MET_NORWAY_USER_AGENT is not set');
    expect(() => configFromEnv({ ...OPEN_METEO, ...MET_NORWAY, [ENV.metNorwayEndpoint]: 'classic', [ENV.sources]: 'met-norway' }, CITIES))
      .toThrow('environment variable MET_NORWAY_ENDPOINT must be compact or complete, got "classic"');
    expect(() => configFromEnv({ ...OPEN_METEO, [ENV.sources]: 'open-meteo,yr' }, CITIES))
      .toThrow('environment variable WEATHER_SOURCES must list distinct sources among open-meteo, met-norway, got "open-meteo,yr"');
    expect(() => configFromEnv({ ...OPEN_METEO, [ENV.sources]: 'open-meteo,open-meteo' }, CITIES))
      .toThrow('environment variable WEATHER_SOURCES must list distinct sources among open-meteo, met-norway, got "open-meteo,open-meteo"');
  });
});
