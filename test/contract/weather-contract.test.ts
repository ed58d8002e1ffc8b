import { readFileSync } from 'fs';
import { join } from 'path';
import { City, PartitionGranularity, WeatherContract } from '../../src';

describe('city slug rule', () => {
  test.each([
    ['Paris', 'paris'],
    ['Saint-Étienne', 'saint-etienne'],
    ['São Paulo', 'sao-paulo'],
    ['Kraków', 'krakow'],
    ['Łódź', 'lodz'],
    ['Göteborg', 'goteborg'],
    ['Straße des 17. Juni', 'strasse-des-17-juni'],
    ['Ærøskøbing', 'aeroskobing'],
    ['  Nice  ', 'nice'],
    ["L'Haÿ-les-Roses", 'l-hay-les-roses'],
    ['東京', ''],
  ])('%s -> "%s"', (name, slug) => {
    expect(WeatherContract.slugify(name)).toBe(slug);
  });

  test('every non-empty slug matches the published pattern', () => {
    const pattern = new RegExp(WeatherContract.SLUG_PATTERN);
    for (const name of ['Saint-Étienne', 'A -- B', '--x--', 'Nice 06', 'Œuvre']) {
      expect(WeatherContract.slugify(name)).toMatch(pattern);
    }
  });

  test('an explicit slug wins over the name', () => {
    expect(WeatherContract.slugOf({ name: 'Paris', latitude: 33.66, longitude: -95.55, slug: 'paris-tx' })).toBe('paris-tx');
  });
});

describe('city validation', () => {
  const paris: City = { name: 'Paris', latitude: 48.8566, longitude: 2.3522 };

  test('accepts a valid list', () => {
    expect(() => WeatherContract.validateCities([paris, { name: 'Nice', latitude: 43.7, longitude: 7.27 }])).not.toThrow();
  });

  test('rejects an empty list', () => {
    expect(() => WeatherContract.validateCities([])).toThrow('cities must list at least one city, got []');
  });

  test('rejects duplicate slugs, naming both cities', () => {
    expect(() => WeatherContract.validateCities([paris, { name: 'PARIS', latitude: 1, longitude: 1 }]))
      .toThrow('cities[1] "PARIS": slug "paris" is already used by cities[0] "Paris"; city slugs must be unique (set an explicit slug)');
  });

  test('rejects an out-of-range latitude', () => {
    expect(() => WeatherContract.validateCities([{ name: 'Nowhere', latitude: 95, longitude: 0 }]))
      .toThrow('cities[0] "Nowhere": latitude must be a number in [-90, 90], got 95');
  });

  test('rejects an out-of-range longitude', () => {
    expect(() => WeatherContract.validateCities([paris, { name: 'Dateline', latitude: 0, longitude: -180.5 }]))
      .toThrow('cities[1] "Dateline": longitude must be a number in [-180, 180], got -180.5');
  });

  test('rejects a non-finite coordinate', () => {
    expect(() => WeatherContract.validateCities([{ name: 'Void', latitude: NaN, longitude: 0 }]))
      .toThrow('cities[0] "Void": latitude must be a number in [-90, 90], got null');
  });

  test('rejects an empty name', () => {
    expect(() => WeatherContract.validateCities([{ name: '  ', latitude: 0, longitude: 0 }]))
      .toThrow('cities[0]: city name must be a non-empty string, got "  "');
  });

  test('rejects a name whose slug would be empty', () => {
    expect(() => WeatherContract.validateCities([{ name: '東京', latitude: 35.68, longitude: 139.69 }]))
      .toThrow('cities[0] "東京": the name yields the slug "", which does not match ^[a-z0-9]+(?:-[a-z0-9]+)*$; set an explicit slug');
  });

  test('accepts such a city with an explicit slug', () => {
    expect(() => WeatherContract.validateCities([{ name: '東京', slug: 'tokyo', latitude: 35.68, longitude: 139.69 }])).not.toThrow();
  });

  test('rejects an invalid explicit slug', () => {
    expect(() => WeatherContract.validateCities([{ name: 'Paris', slug: 'Paris_TX', latitude: 0, longitude: 0 }]))
      .toThrow('cities[0] "Paris": slug "Paris_TX" does not match ^[a-z0-9]+(?:-[a-z0-9]+)*$');
  });

  test('names the prop it was given', () => {
    expect(() => WeatherContract.validateCities([], 'myCities')).toThrow('myCities must list at least one city, got []');
  });
});

describe('key layout', () => {
  test('raw key', () => {
    expect(WeatherContract.rawKey('2026-05-07', 'saint-etienne', '20260507T060000Z'))
      .toBe('weather/raw/source=open-meteo/ingest_date=2026-05-07/city=saint-etienne/20260507T060000Z.json');
  });

  test('manifest key', () => {
    expect(WeatherContract.manifestKey('2026-05-07', 'b-1')).toBe('weather/manifests/ingest_date=2026-05-07/b-1.json');
  });

  test('hourly partition prefix and location template agree', () => {
    const template = WeatherContract.hourlyLocationTemplate();
    expect(template).toBe('weather/hourly/date=${date}/city=${city}/');
    expect(template.replace('${date}', '2026-05-07').replace('${city}', 'nice'))
      .toBe(WeatherContract.hourlyPartitionPrefix('2026-05-07', 'nice'));
    expect(WeatherContract.quarantineLocationTemplate()).toBe('weather/quarantine/date=${date}/');
  });

  test.each([
    [() => WeatherContract.rawKey('2026-5-7', 'nice', 'b'), 'date must be yyyy-MM-dd, got "2026-5-7"'],
    [() => WeatherContract.rawKey('2026-13-45', 'nice', 'b'), 'date must be yyyy-MM-dd, got "2026-13-45"'],
    [() => WeatherContract.rawKey('2026-02-30', 'nice', 'b'), 'date must be yyyy-MM-dd, got "2026-02-30"'],
    [() => WeatherContract.rawKey('2026-05-07', 'Nice', 'b'), 'city slug must match ^[a-z0-9]+(?:-[a-z0-9]+)*$, got "Nice"'],
    [() => WeatherContract.manifestKey('2026-05-07', '../etc'), 'batch id must match ^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$, got "../etc"'],
  ])('rejects bad key parts (%#)', (build, message) => {
    expect(build).toThrow(message);
  });
});

describe('contract document for the Python side', () => {
  const doc = WeatherContract.toJson();

  test('the committed contract.json is up to date (run `npx projen contract` if not)', () => {
    const committed = JSON.parse(readFileSync(join(__dirname, '..', '..', 'src', 'etl', 'script', 'contract.json'), 'utf-8'));
    expect(committed).toEqual(doc);
  });

  test('the raw key pattern parses the keys rawKey builds', () => {
    const match = new RegExp(doc.landing.rawKeyPattern).exec(WeatherContract.rawKey('2026-05-07', 'saint-etienne', 'batch_01.a'));
    expect(match?.slice(1, 5)).toEqual(['open-meteo', '2026-05-07', 'saint-etienne', 'batch_01.a']);
    expect(new RegExp(doc.landing.rawKeyPattern).test('weather/raw/source=open-meteo/ingest_date=2026-05-07/city=Nice/b.json')).toBe(false);
  });

  test('every weather variable has a refined column and a canonical unit among its accepted units', () => {
    const columns = WeatherContract.HOURLY_COLUMNS.map((column) => column.name);
    for (const variable of WeatherContract.VARIABLES) {
      expect(columns).toContain(variable.column);
      const canonical = variable.acceptedUnits.find((u) => u.label === variable.canonicalUnit);
      expect(canonical).toEqual({ label: variable.canonicalUnit, scale: 1, offset: 0 });
      expect(variable.minimum).toBeLessThan(variable.maximum);
    }
  });

  test('unit conversions are right', () => {
    const convert = (api: string, label: string, value: number) => {
      const unit = WeatherContract.VARIABLES.find((v) => v.apiName === api)!.acceptedUnits.find((u) => u.label === label)!;
      return value * unit.scale + unit.offset;
    };
    expect(convert('temperature_2m', '°F', 212)).toBeCloseTo(100, 10);
    expect(convert('temperature_2m', '°F', -40)).toBeCloseTo(-40, 10);
    expect(convert('wind_speed_10m', 'mp/h', 10)).toBeCloseTo(16.09344, 10);
    expect(convert('wind_speed_10m', 'kn', 1)).toBeCloseTo(1.852, 10);
    expect(convert('wind_speed_10m', 'm/s', 10)).toBeCloseTo(36, 10);
    expect(convert('precipitation', 'inch', 1)).toBeCloseTo(25.4, 10);
  });

  test('partition keys are not also data columns', () => {
    const columns = WeatherContract.HOURLY_COLUMNS.map((column) => column.name);
    for (const key of WeatherContract.PARTITION_KEYS) {
      expect(columns).not.toContain(key);
    }
  });

  test('cities are embedded with their slug when given', () => {
    const withCities = WeatherContract.toJson([{ name: 'Saint-Étienne', latitude: 45.43, longitude: 4.39, timezone: 'Europe/Paris' }]);
    expect(withCities.cities).toEqual([{ slug: 'saint-etienne', name: 'Saint-Étienne', latitude: 45.43, longitude: 4.39, timezone: 'Europe/Paris' }]);
  });
});

describe('partition granularity', () => {
  const daily = WeatherContract.toJson();
  const monthly = WeatherContract.toJson(undefined, PartitionGranularity.MONTH);

  test('DAY is the default, and its document is the daily one unchanged', () => {
    expect(WeatherContract.DEFAULT_PARTITION_GRANULARITY).toBe(PartitionGranularity.DAY);
    expect(WeatherContract.toJson(undefined, PartitionGranularity.DAY)).toEqual(daily);
    expect(daily.refined.partitionGranularity).toBeUndefined();
    expect(daily.refined.partitionKeys).toEqual(['date', 'city']);
    expect(WeatherContract.hourlyPartitionKeys()).toEqual(WeatherContract.PARTITION_KEYS);
    expect(WeatherContract.hourlyColumns()).toEqual(WeatherContract.HOURLY_COLUMNS);
  });

  test('MONTH partitions by month and city and keeps date as the last column', () => {
    expect(monthly.refined).toMatchObject({
      partitionGranularity: 'MONTH',
      partitionKeys: ['month', 'city'],
      monthFormat: 'yyyy-MM',
      dateFormat: 'yyyy-MM-dd',
      hourlyLocationTemplate: 'weather/hourly/month=${month}/city=${city}/',
      // The quarantine stays partitioned by ingestion date.
      quarantinePartitionKeys: ['date'],
      quarantineLocationTemplate: 'weather/quarantine/date=${date}/',
    });
    const columns = monthly.refined.hourlyColumns.map((column: { name: string }) => column.name);
    expect(columns).toEqual([...WeatherContract.HOURLY_COLUMNS.map((column) => column.name), 'date']);
    expect(monthly.refined.hourlyColumns[columns.length - 1]).toMatchObject({ name: 'date', dataType: 'string' });
    for (const key of monthly.refined.partitionKeys) {
      expect(columns).not.toContain(key);
    }
    // Nothing else differs from the daily document.
    const { refined: r1, ...rest1 } = monthly;
    const { refined: r2, ...rest2 } = daily;
    expect(rest1).toEqual(rest2);
    expect(Object.keys(r1).filter((k) => !(k in r2))).toEqual(['partitionGranularity', 'monthFormat']);
  });

  test.each([
    [PartitionGranularity.DAY, 'weather/hourly/date=2026-05-07/city=nice/'],
    [PartitionGranularity.MONTH, 'weather/hourly/month=2026-05/city=nice/'],
  ])('%s: the partition prefix of a day follows the location template', (granularity, prefix) => {
    expect(WeatherContract.hourlyPartitionPrefix('2026-05-07', 'nice', granularity)).toBe(prefix);
    const template = WeatherContract.hourlyLocationTemplate(granularity);
    expect(template.replace('${date}', '2026-05-07').replace('${month}', '2026-05').replace('${city}', 'nice')).toBe(prefix);
    expect(WeatherContract.toJson(undefined, granularity).refined.hourlyLocationTemplate).toBe(template);
  });

  test('rejects a value that is not a PartitionGranularity', () => {
    expect(() => WeatherContract.toJson(undefined, 'month' as PartitionGranularity))
      .toThrow('partitionGranularity must be PartitionGranularity.DAY or PartitionGranularity.MONTH, got "month"');
    expect(() => WeatherContract.hourlyPartitionPrefix('2026-05-07', 'nice', 'WEEK' as PartitionGranularity))
      .toThrow('partitionGranularity must be PartitionGranularity.DAY or PartitionGranularity.MONTH, got "WEEK"');
  });
});

describe('the contract is read-only and its document typed', () => {
  test.each([
    ['PARTITION_KEYS', () => WeatherContract.PARTITION_KEYS.push('hour')],
    ['MONTHLY_PARTITION_KEYS', () => WeatherContract.MONTHLY_PARTITION_KEYS.pop()],
    ['QUARANTINE_PARTITION_KEYS', () => WeatherContract.QUARANTINE_PARTITION_KEYS.push('city')],
    ['RAW_METADATA_KEYS', () => WeatherContract.RAW_METADATA_KEYS.splice(0, 1)],
    ['VARIABLES', () => WeatherContract.VARIABLES.push(WeatherContract.VARIABLES[0])],
    ['a variable', () => { (WeatherContract.VARIABLES[0] as { maximum: number }).maximum = 1000; }],
    ['a variable\'s accepted units', () => WeatherContract.VARIABLES[0].acceptedUnits.push({ label: 'K', scale: 1, offset: -273.15 })],
    ['HOURLY_COLUMNS', () => WeatherContract.HOURLY_COLUMNS.reverse()],
    ['a column', () => { (WeatherContract.QUARANTINE_COLUMNS[0] as { dataType: string }).dataType = 'int'; }],
    ['QUARANTINE_REASONS', () => WeatherContract.QUARANTINE_REASONS.push({ code: 'X', description: 'x' })],
  ])('changing %s throws and leaves the contract as it was', (_name, change) => {
    const before = JSON.stringify(WeatherContract.toJson());
    expect(change).toThrow(TypeError);
    expect(JSON.stringify(WeatherContract.toJson())).toBe(before);
  });

  test('what the methods return is the caller\'s own copy', () => {
    const keys = WeatherContract.hourlyPartitionKeys();
    keys.push('hour');
    const columns = WeatherContract.hourlyColumns(PartitionGranularity.MONTH);
    columns.pop();
    expect(WeatherContract.hourlyPartitionKeys()).toEqual(['date', 'city']);
    expect(WeatherContract.hourlyColumns(PartitionGranularity.MONTH).length).toBe(WeatherContract.HOURLY_COLUMNS.length + 1);
  });

  // The bindings see toJson's return type from the jsii assembly: a struct whose fields are exactly the document's.
  test('toJson returns a WeatherContractDocument whose structs name every key of the document', () => {
    const assembly = JSON.parse(readFileSync(join(__dirname, '..', '..', '.jsii'), 'utf-8'));
    const fqn = (name: string) => `${assembly.name}.${name}`;
    const method = assembly.types[fqn('WeatherContract')].methods.find((m: { name: string }) => m.name === 'toJson');
    expect(method.returns.type).toEqual({ fqn: fqn('WeatherContractDocument') });
    const fields = (name: string) => assembly.types[fqn(name)].properties.map((p: { name: string }) => p.name).sort();
    const full = WeatherContract.toJson([{ name: 'Oslo', latitude: 59.91, longitude: 10.75, timezone: 'Europe/Oslo' }], PartitionGranularity.MONTH);
    expect(Object.keys(full).sort()).toEqual(fields('WeatherContractDocument'));
    expect(Object.keys(full.landing).sort()).toEqual(fields('ContractLandingLayout'));
    expect(Object.keys(full.refined).sort()).toEqual(fields('ContractRefinedLayout'));
    expect(Object.keys(full.cities![0]).sort()).toEqual(fields('ContractCity'));
  });
});
