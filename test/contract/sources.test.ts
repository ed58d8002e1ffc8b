import { readFileSync } from 'fs';
import { join } from 'path';
import { WeatherContract } from '../../src/contract';

const ALL = WeatherContract.SOURCES.map((source) => source.id);

describe('sources in the data contract', () => {
  test('Open-Meteo first, MET Norway second, each with its source= prefix; the default document lists Open-Meteo only', () => {
    expect(ALL).toEqual(['open-meteo', 'met-norway']);
    for (const source of WeatherContract.SOURCES) {
      expect(source.rawPrefix).toBe(`weather/raw/source=${source.id}/`);
    }
    expect(WeatherContract.SOURCES[0].rawPrefix).toBe(WeatherContract.LANDING_RAW_PREFIX);
    expect(WeatherContract.toJson().sources.map((source) => source.id)).toEqual(['open-meteo']);
    expect(WeatherContract.toJson(undefined, undefined, ALL).sources).toEqual(WeatherContract.SOURCES);
  });

  test('the raw key pattern captures the source in group 1 and accepts only the document\'s sources', () => {
    const one = WeatherContract.toJson();
    const both = WeatherContract.toJson(undefined, undefined, ALL);
    expect(both.landing.rawKeyGroups).toEqual({ source: 1, ingestDate: 2, city: 3, batchId: 4 });
    const met = 'weather/raw/source=met-norway/ingest_date=2026-05-07/city=oslo/b1.json';
    const match = new RegExp(both.landing.rawKeyPattern).exec(met);
    const groups = both.landing.rawKeyGroups;
    expect([match?.[groups.source], match?.[groups.ingestDate], match?.[groups.city], match?.[groups.batchId]])
      .toEqual(['met-norway', '2026-05-07', 'oslo', 'b1']);
    expect(new RegExp(one.landing.rawKeyPattern).test(met)).toBe(false);
    expect(new RegExp(both.landing.rawKeyPattern).test('weather/raw/source=other/ingest_date=2026-05-07/city=oslo/b1.json')).toBe(false);
    // A source id is matched whole, never as a prefix of a longer one.
    expect(new RegExp(both.landing.rawKeyPattern).test('weather/raw/source=open-meteo-x/ingest_date=2026-05-07/city=oslo/b1.json')).toBe(false);
  });

  test('every mapped field fills a refined column, and every unit label translates to one the column accepts', () => {
    const columns = WeatherContract.HOURLY_COLUMNS.map((column) => column.name);
    const accepted = new Map<string, string[]>([
      ...WeatherContract.VARIABLES.map((v) => [v.column, v.acceptedUnits.map((u) => u.label)] as [string, string[]]),
      ...WeatherContract.SOURCE_VARIABLES.map((v) => [v.column, v.acceptedUnits.map((u) => u.label)] as [string, string[]]),
    ]);
    for (const source of WeatherContract.SOURCES) {
      for (const field of source.fields) {
        expect(columns).toContain(field.column);
        for (const label of field.unitLabels ?? []) {
          expect(accepted.get(field.column)).toContain(label.contractLabel);
        }
      }
    }
  });

  test('MET Norway: wind in m/s becomes km/h through the wind variable\'s own conversion; symbols map to WMO codes or to none', () => {
    const met = WeatherContract.sourceDefinition('met-norway');
    const wind = met.fields.find((field) => field.column === 'wind_speed_kmh')!;
    expect(wind).toEqual({ column: 'wind_speed_kmh', path: 'data.instant.details.wind_speed', unitKey: 'wind_speed', unitLabels: [{ providerLabel: 'm/s', contractLabel: 'm/s' }] });
    const conversion = WeatherContract.VARIABLES.find((v) => v.column === 'wind_speed_kmh')!.acceptedUnits.find((u) => u.label === 'm/s')!;
    expect(10 * conversion.scale + conversion.offset).toBeCloseTo(36, 10);
    const codes = new Map(met.symbolCodes.map((s) => [s.symbolCode, s.weatherCode]));
    expect(met.symbolCodes).toHaveLength(41);
    expect(new Set(met.symbolCodes.map((s) => s.symbolCode)).size).toBe(41);
    expect(codes.get('clearsky')).toBe(0);
    expect(codes.get('rainshowersandthunder')).toBe(95);
    expect(codes.has('sleet')).toBe(true);
    expect(codes.get('sleet')).toBeUndefined();
    // Neither surface pressure nor the preceding hour's precipitation is pretended: they have no MET Norway field.
    expect(met.fields.map((field) => field.column)).not.toContain('surface_pressure_hpa');
    expect(met.fields.map((field) => field.column)).not.toContain('precipitation_mm');
  });

  test('refined rows carry their source, and the source-only columns exist', () => {
    const columns = WeatherContract.HOURLY_COLUMNS.map((column) => column.name);
    expect(columns).toEqual(expect.arrayContaining(['source', 'sea_level_pressure_hpa', 'precipitation_next_1h_mm', 'symbol_code']));
    expect(WeatherContract.QUARANTINE_REASONS.map((r) => r.code)).toEqual(expect.arrayContaining(['MISSING_INSTANT_DETAILS', 'UNKNOWN_SYMBOL_CODE']));
  });

  test.each([
    [[], 'sources must list at least one source, got []'],
    [['open-meteo', 'dwd'], 'sources[1] must be one of "open-meteo", "met-norway", got "dwd"'],
    [['met-norway', 'met-norway'], 'sources[1]: source "met-norway" is listed twice'],
  ])('toJson rejects source lists %j', (ids, message) => {
    expect(() => WeatherContract.toJson(undefined, undefined, ids)).toThrow(message);
  });

  test('sourceDefinition names an unknown id', () => {
    expect(() => WeatherContract.sourceDefinition('dwd')).toThrow('source must be one of "open-meteo", "met-norway", got "dwd"');
  });

  test('the committed two-source document is up to date (run `npx projen contract` if not)', () => {
    const committed = JSON.parse(readFileSync(join(__dirname, '..', '..', 'src', 'etl', 'script', 'tests', 'fixtures', 'contract-all-sources.json'), 'utf-8'));
    expect(committed).toEqual(WeatherContract.toJson(undefined, undefined, ALL));
  });
});
