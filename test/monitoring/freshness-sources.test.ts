// Freshness per source and city: the freshness check's functions on run summaries.
import { readFileSync } from 'fs';
import { join } from 'path';
import {
  decodeFreshnessCities, describeStaleCity, encodeFreshnessCities, freshnessMetrics, lastRefinedPerCity, lastRefinedPerSourceAndCity, staleCities,
} from '../../src/monitoring/private/freshness';
import { publishForEvent } from '../../src/monitoring/private/run-metrics';

/** What the freshness check passes to staleCities: per city, and per source and city. */
function lastRefined(summaries: Parameters<typeof lastRefinedPerCity>[0]): Map<string, number> {
  return new Map([...lastRefinedPerCity(summaries), ...lastRefinedPerSourceAndCity(summaries)]);
}

const HOUR = 3600_000;
const NOW = Date.parse('2026-05-08T12:00:00Z');
const CITIES = [
  { slug: 'oslo', name: 'Oslo', windowHours: 26, source: 'open-meteo' },
  { slug: 'oslo', name: 'Oslo', windowHours: 26, source: 'met-norway' },
];

function summary(runId: string, hoursAgo: number, partitions: { hourly: string[]; hourly_by_source?: Record<string, string[]> }) {
  const finishedAt = new Date(NOW - hoursAgo * HOUR).toISOString();
  return { summary: { run_id: runId, finished_at: finishedAt, records_in: 1, refined: 1, quarantined: 0, superseded: 0, partitions } };
}

describe('freshness per source and city', () => {
  test('a source that stopped delivering is stale while the other one is fresh', () => {
    const last = lastRefined([
      summary('b2', 2, { hourly: ['weather/hourly/date=2026-05-08/city=oslo/'], hourly_by_source: { 'open-meteo': ['weather/hourly/date=2026-05-08/city=oslo/'] } }),
      summary('b1', 30, { hourly: ['weather/hourly/date=2026-05-07/city=oslo/'], hourly_by_source: { 'met-norway': ['weather/hourly/date=2026-05-07/city=oslo/'], 'open-meteo': ['weather/hourly/date=2026-05-07/city=oslo/'] } }),
    ]);
    const stale = staleCities(CITIES, last, NOW);
    expect(stale).toEqual([{ slug: 'oslo', name: 'Oslo', source: 'met-norway', windowHours: 26, hoursSinceRefined: 30 }]);
    expect(describeStaleCity(stale[0], 27)).toBe('met-norway/oslo 30 h (window 26 h)');
    const records = freshnessMetrics(CITIES, stale, 'job', NOW);
    expect(records[0]).toMatchObject({ StaleCities: 1, CitiesChecked: 2 });
    expect(records[1]).toMatchObject({ City: 'met-norway/oslo', StaleCityHours: 30 });
  });

  test('a source never refined in the lookback is stale; a city checked without source reads every source', () => {
    const last = lastRefined([
      summary('b2', 2, { hourly: ['weather/hourly/date=2026-05-08/city=oslo/'], hourly_by_source: { 'open-meteo': ['weather/hourly/date=2026-05-08/city=oslo/'] } }),
    ]);
    expect(staleCities(CITIES, last, NOW).map((c) => c.source)).toEqual(['met-norway']);
    expect(staleCities([{ slug: 'oslo', name: 'Oslo', windowHours: 26 }], last, NOW)).toEqual([]);
  });

  test('a summary that does not split its partitions by source counts for every source', () => {
    const last = lastRefined([summary('b2', 2, { hourly: ['weather/hourly/date=2026-05-08/city=oslo/'] })]);
    expect(staleCities(CITIES, last, NOW)).toEqual([]);
  });

  test('freshness.json: the source only when cities are checked per source (one source: the bytes of before)', () => {
    expect(encodeFreshnessCities([{ slug: 'oslo', name: 'Oslo', windowHours: 26 }])).toBe('[\n{"slug":"oslo","name":"Oslo","windowHours":26}\n]\n');
    expect(decodeFreshnessCities(encodeFreshnessCities(CITIES))).toEqual(CITIES);
    expect(() => decodeFreshnessCities('[{"slug":"oslo","name":"Oslo","windowHours":26,"source":5}]')).toThrow('freshness.json: each city must be { slug, name, windowHours, source? }');
  });
});

describe('the scheduled freshness check with cities per source', () => {
  test('reads the summaries, names the stale source and city in the WARN line and the metrics', async () => {
    const checkNow = NOW;
    const key = 'weather/run-summaries/date=2026-05-08/b2.json';
    const b2 = summary('b2', 2, {
      hourly: ['weather/hourly/date=2026-05-08/city=oslo/'],
      hourly_by_source: { 'open-meteo': ['weather/hourly/date=2026-05-08/city=oslo/'] },
    }).summary;
    const logged: any[] = [];
    const records = await publishForEvent({ 'source': 'aws.events', 'detail-type': 'Scheduled Event', 'detail': {} }, {
      jobName: 'job',
      summaryPrefix: 'weather/run-summaries/',
      readObject: async () => JSON.stringify(b2),
      getJobRun: async () => { throw new Error('not called'); },
      log: (record) => logged.push(record),
      now: () => checkNow,
      freshness: { bucket: 'b', cities: CITIES, listObjects: async (_bucket, prefix) => (key.startsWith(prefix) ? [{ key }] : []) },
    });
    expect(records[0]).toMatchObject({ StaleCities: 1, CitiesChecked: 2, StaleCityList: 'met-norway/oslo no data in 27 h (window 26 h)' });
    expect(logged.find((l) => l.level === 'WARN')).toMatchObject({ message: '1 of 2 cities have no new refined data within their window' });
  });
});

describe('the summary the ETL writes for two sources', () => {
  // The first run of src/etl/script/tests/test_etl_sources.py as the ETL wrote it (that test checks the fixture
  // still matches the ETL's output): MET Norway refined Bergen, Oslo and Tromsø, Open-Meteo only Oslo.
  const written = JSON.parse(readFileSync(join(__dirname, 'fixtures', 'run-summary-two-sources.json'), 'utf-8'));

  test('each source is fresh only in the cities where it won an hour', async () => {
    const cities = ['oslo', 'bergen', 'tromso'].flatMap((slug) => ['open-meteo', 'met-norway'].map((source) => ({ slug, name: slug, windowHours: 26, source })));
    const key = 'weather/run-summaries/date=2026-05-08/r1.json';
    const r1 = { ...written, finished_at: new Date(NOW - 2 * HOUR).toISOString() };
    expect(r1.partitions.hourly_by_source).toEqual({
      'met-norway': r1.partitions.hourly,
      'open-meteo': ['weather/hourly/date=2026-05-07/city=oslo/'],
    });
    const records = await publishForEvent({ 'source': 'aws.events', 'detail-type': 'Scheduled Event', 'detail': {} }, {
      jobName: 'job',
      summaryPrefix: 'weather/run-summaries/',
      readObject: async () => JSON.stringify(r1),
      getJobRun: async () => { throw new Error('not called'); },
      log: () => undefined,
      now: () => NOW,
      freshness: { bucket: 'b', cities, listObjects: async (_bucket, prefix) => (key.startsWith(prefix) ? [{ key }] : []) },
    });
    expect(records[0]).toMatchObject({
      StaleCities: 2,
      CitiesChecked: 6,
      StaleCityList: 'open-meteo/bergen no data in 27 h (window 26 h); open-meteo/tromso no data in 27 h (window 26 h)',
    });
  });
});
