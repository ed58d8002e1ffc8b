/**
 * City freshness, computed by the metric publisher on a schedule: which cities have had no new refined data for
 * longer than their window. One alarm watches the count (`StaleCities`), whatever the number of cities; the stale
 * cities are named in the publisher's log and as `StaleCityHours` per `City`.
 *
 * This module is bundled into the Lambda: it must not import aws-cdk-lib.
 */
import { DIMENSION, EmfRecord, emf, HOURLY_PARTITION, METRIC, RunSummary } from './metric-records';

/** Name of the file, next to the publisher's `index.js` in its code asset, that lists the cities and their windows. */
export const FRESHNESS_FILE = 'freshness.json';

/** One city the publisher checks. */
export interface FreshnessCity {
  readonly slug: string;
  readonly name: string;
  /**
   * The weather source whose data is checked (with several sources, each city is checked once per source).
   * @default - any source: the city's data, whichever source it came from
   */
  readonly source?: string;
  /** Longest time, in hours, without new refined data before the city counts as stale. */
  readonly windowHours: number;
}

/**
 * The content of `FRESHNESS_FILE`: a JSON array, one city per line, keys in a fixed order, so the same cities and
 * windows always give the same bytes (and the same asset hash).
 */
export function encodeFreshnessCities(cities: FreshnessCity[]): string {
  const rows = cities.map((c) => JSON.stringify({
    slug: c.slug, name: c.name, windowHours: c.windowHours, ...(c.source !== undefined ? { source: c.source } : {}),
  }));
  return `[\n${rows.join(',\n')}\n]\n`;
}

/** Inverse of `encodeFreshnessCities`. */
export function decodeFreshnessCities(text: string): FreshnessCity[] {
  const rows = JSON.parse(text) as unknown;
  if (!Array.isArray(rows)) {
    throw new Error(`${FRESHNESS_FILE} must hold a JSON array`);
  }
  return rows.map((row: any) => {
    if (typeof row?.slug !== 'string' || typeof row?.name !== 'string' || !Number.isInteger(row?.windowHours) || row.windowHours < 1
      || (row.source !== undefined && typeof row.source !== 'string')) {
      throw new Error(`${FRESHNESS_FILE}: each city must be { slug, name, windowHours, source? }, got ${JSON.stringify(row)}`);
    }
    return { slug: row.slug, name: row.name, windowHours: row.windowHours, ...(row.source !== undefined ? { source: row.source } : {}) };
  });
}

/** Hours the check looks back: the longest window plus an hour. */
export function lookbackHours(cities: FreshnessCity[]): number {
  return Math.max(...cities.map((c) => c.windowHours)) + 1;
}

/**
 * The run-summary prefixes (`<prefix>date=yyyy-MM-dd/`) that can hold summaries written in the last `hours`:
 * summaries are filed under the ETL's processing date, so the day before the lookback starts is included too.
 */
export function summaryPrefixes(summaryPrefix: string, now: number, hours: number): string[] {
  const day = 24 * 3600_000;
  const first = Math.floor((now - hours * 3600_000) / day) - 1;
  const last = Math.floor(now / day);
  const prefixes: string[] = [];
  for (let d = first; d <= last; d++) {
    prefixes.push(`${summaryPrefix}date=${new Date(d * day).toISOString().slice(0, 10)}/`);
  }
  return prefixes;
}

/** A run summary as read by the check, with the object's last-modified time when its `finished_at` is missing. */
export interface ReadSummary {
  readonly summary: RunSummary;
  readonly lastModified?: number;
}

/** Key of a city's last refined time in `lastRefinedPerCity`: the slug, or `<source>/<slug>` per source. */
export function freshnessKey(slug: string, source?: string): string {
  return source === undefined ? slug : `${source}/${slug}`;
}

/** Prefix of the keys of summaries that do not say which source each partition came from (written before sources). */
const ANY_SOURCE = '*';

/** The time each city last got refined data: the finish time of the latest run that wrote a partition for it. */
export function lastRefinedPerCity(summaries: ReadSummary[]): Map<string, number> {
  const last = new Map<string, number>();
  for (const { summary, lastModified } of summaries) {
    const time = summaryTime(summary, lastModified);
    if (time !== undefined) {
      bumpPartitions(last, summary.partitions?.hourly ?? [], time, (slug) => slug);
    }
  }
  return last;
}

/**
 * The time each city last got refined data from each source, under `<source>/<slug>`, for the summaries that name
 * the source of each partition (`partitions.hourly_by_source`); a summary without that field (one source, or an ETL
 * from before sources) is kept under `*​/<slug>` and counts for every source of the city.
 */
export function lastRefinedPerSourceAndCity(summaries: ReadSummary[]): Map<string, number> {
  const last = new Map<string, number>();
  for (const { summary, lastModified } of summaries) {
    const time = summaryTime(summary, lastModified);
    if (time === undefined) {
      continue;
    }
    const bySource = summary.partitions?.hourly_by_source;
    if (bySource === undefined || bySource === null || typeof bySource !== 'object') {
      bumpPartitions(last, summary.partitions?.hourly ?? [], time, (slug) => freshnessKey(slug, ANY_SOURCE));
      continue;
    }
    for (const [source, partitions] of Object.entries(bySource)) {
      bumpPartitions(last, Array.isArray(partitions) ? partitions : [], time, (slug) => freshnessKey(slug, source));
    }
  }
  return last;
}

function summaryTime(summary: RunSummary, lastModified: number | undefined): number | undefined {
  const finished = summary.finished_at !== undefined ? Date.parse(summary.finished_at) : NaN;
  return Number.isFinite(finished) ? finished : lastModified;
}

function bumpPartitions(last: Map<string, number>, partitions: string[], time: number, key: (slug: string) => string): void {
  for (const partition of partitions) {
    const match = HOURLY_PARTITION.exec(partition);
    if (match && time > (last.get(key(match[2])) ?? -Infinity)) {
      last.set(key(match[2]), time);
    }
  }
}

/** When a checked city (of a source, or of any source) last got refined data. */
function lastRefinedOf(city: FreshnessCity, lastRefined: Map<string, number>): number | undefined {
  if (city.source === undefined) {
    return lastRefined.get(city.slug);
  }
  const own = lastRefined.get(freshnessKey(city.slug, city.source));
  const any = lastRefined.get(freshnessKey(city.slug, ANY_SOURCE));
  return own === undefined ? any : any === undefined ? own : Math.max(own, any);
}

/** A city without new refined data for longer than its window. */
export interface StaleCity {
  readonly slug: string;
  readonly name: string;
  /** The source whose data is stale, when cities are checked per source. */
  readonly source?: string;
  readonly windowHours: number;
  /** Whole hours since its last refined data; undefined when no run refined it within the lookback. */
  readonly hoursSinceRefined?: number;
}

/** The cities whose last refined data is older than their window (or absent from the lookback), stalest first. */
export function staleCities(cities: FreshnessCity[], lastRefined: Map<string, number>, now: number): StaleCity[] {
  const stale: StaleCity[] = [];
  for (const city of cities) {
    const last = lastRefinedOf(city, lastRefined);
    const source = city.source !== undefined ? { source: city.source } : {};
    if (last === undefined) {
      stale.push({ slug: city.slug, name: city.name, ...source, windowHours: city.windowHours });
    } else if (now - last > city.windowHours * 3600_000) {
      const hoursSinceRefined = Math.floor((now - last) / 3600_000);
      stale.push({ slug: city.slug, name: city.name, ...source, windowHours: city.windowHours, hoursSinceRefined });
    }
  }
  const age = (c: StaleCity) => c.hoursSinceRefined ?? Infinity;
  return stale.sort((a, b) => age(b) - age(a) || freshnessKey(a.slug, a.source).localeCompare(freshnessKey(b.slug, b.source)));
}

/** `lyon 31 h (window 26 h)`, `oslo no data in 27 h (window 26 h)`. */
export function describeStaleCity(city: StaleCity, lookback: number): string {
  const age = city.hoursSinceRefined !== undefined ? `${city.hoursSinceRefined} h` : `no data in ${lookback} h`;
  return `${freshnessKey(city.slug, city.source)} ${age} (window ${city.windowHours} h)`;
}

/**
 * The metrics of one freshness check, at `now`: `StaleCities` and `CitiesChecked` (dimension `JobName`, with the
 * stale cities listed in the `StaleCityList` field), and `StaleCityHours` per stale city (`JobName`, `City`): hours
 * since its last refined data, or the lookback when there was none in it.
 */
export function freshnessMetrics(cities: FreshnessCity[], stale: StaleCity[], jobName: string, now: number): EmfRecord[] {
  const lookback = lookbackHours(cities);
  const records: EmfRecord[] = [emf(now, [DIMENSION.jobName], [
    { Name: METRIC.staleCities, Unit: 'Count' },
    { Name: METRIC.citiesChecked, Unit: 'Count' },
  ], {
    [DIMENSION.jobName]: jobName,
    [METRIC.staleCities]: stale.length,
    [METRIC.citiesChecked]: cities.length,
    StaleCityList: stale.map((c) => describeStaleCity(c, lookback)).join('; '),
  })];
  for (const city of stale) {
    // Per source, the City dimension names the source too (`met-norway/oslo`), so the same widgets and alarms read it.
    records.push(emf(now, [DIMENSION.jobName, DIMENSION.city], [{ Name: METRIC.staleCityHours, Unit: 'None' }], {
      [DIMENSION.jobName]: jobName,
      [DIMENSION.city]: freshnessKey(city.slug, city.source),
      CityName: city.name,
      WindowHours: city.windowHours,
      [METRIC.staleCityHours]: city.hoursSinceRefined ?? lookback,
    }));
  }
  return records;
}
