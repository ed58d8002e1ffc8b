// The document the Trino tests read (test/catalog/queries.json): the SQL and the Glue table definitions exactly
// as an AthenaCatalog synthesizes them for the cities of the landing fixtures, for the default daily partitions
// and, under `monthly`, for a RefinedLake with monthly partitions (with the contract the GlueEtlJob hands the
// script for it, so that the ETL tests write that layout). Written by `npx projen queries`; queries-json.test.ts
// fails when the file is stale.
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { AthenaCatalog, City, GlueEtlJob, LandingZone, PartitionGranularity, RefinedLake, WeatherContract } from '../../src';

/** The bucket name the document's table locations use; the Trino tests map it to their local lake. */
export const FIXTURE_BUCKET = 'refined-bucket';

/** The construct's configuration for the fixtures: `oslo` is configured but has no data. */
export const FIXTURE_CITIES: City[] = [
  { name: 'Paris', latitude: 48.8566, longitude: 2.3522 },
  { name: 'Saint-Étienne', latitude: 45.4397, longitude: 4.3872 },
  { name: 'Győr', latitude: 47.6875, longitude: 17.6504 },
  { name: 'Salt Lake City', latitude: 40.7608, longitude: -111.891 },
  { name: 'Oslo', latitude: 59.9139, longitude: 10.7522 },
];

function catalogDocument(partitionGranularity?: PartitionGranularity, cities: City[] = FIXTURE_CITIES): any {
  const app = new App();
  const stack = new Stack(app, 'Fixture');
  const refinedBucket = s3.Bucket.fromBucketName(stack, 'Refined', FIXTURE_BUCKET);
  const refinedLake = RefinedLake.fromRefinedLakeAttributes(stack, 'Lake', { bucket: refinedBucket, cities, partitionGranularity });
  const catalog = new AthenaCatalog(stack, 'Catalog', { refinedLake, databaseName: 'weather' });
  const landingZone = LandingZone.fromLandingZoneAttributes(stack, 'LandingZone', { bucket: s3.Bucket.fromBucketName(stack, 'Landing', 'landing-bucket') });
  const etl = partitionGranularity !== undefined
    ? new GlueEtlJob(stack, 'Etl', { landingZone, refinedLake })
    : undefined;
  const template = Template.fromStack(stack);
  const properties = (construct: { node: { defaultChild?: unknown } } | any) =>
    template.toJSON().Resources[stack.getLogicalId(construct.node?.defaultChild ?? construct)].Properties;
  return {
    ...(etl !== undefined ? { etlContract: JSON.parse(properties(etl.job).DefaultArguments['--contract_json']) } : {}),
    tables: {
      hourly: properties(catalog.hourlyTable).TableInput,
      quarantine: properties(catalog.quarantineTable).TableInput,
      staging: properties(catalog.stagingTable).TableInput,
      daily: properties(catalog.dailyTable).TableInput,
    },
    analytics: catalog.analyticsQueries,
    validation: catalog.validationQueries,
  };
}

export function queriesDocument(): any {
  const daily = catalogDocument();
  return {
    generatedBy: 'npx projen queries (test/catalog/queries-document.ts)',
    bucket: FIXTURE_BUCKET,
    database: 'weather',
    ...daily,
    monthly: catalogDocument(PartitionGranularity.MONTH),
  };
}

/**
 * The same document (daily partitions) for other cities and weather sources: what the local run
 * (examples/local-run/catalog.ts) queries with, for the cities of examples/local-run/cities.json. `cities` lists the
 * configured cities as slugs (the planner's `expectedCities`) and `sources` the weather source ids the run ingests
 * (the planner's `expectedSources`).
 */
export function catalogDocumentFor(cities: City[], sources: string[]): any {
  if (cities.length === 0) {
    throw new Error(`cities must list at least one city, got ${JSON.stringify(cities)}`);
  }
  const known = WeatherContract.SOURCES.map((source) => source.id);
  const unknown = sources.filter((source) => !known.includes(source));
  if (sources.length === 0 || unknown.length > 0) {
    throw new Error(`sources must list known weather source ids (${known.join(', ')}), got ${JSON.stringify(sources)}`);
  }
  return {
    generatedBy: 'catalogDocumentFor (test/catalog/queries-document.ts)',
    bucket: FIXTURE_BUCKET,
    database: 'weather',
    cities: cities.map((city) => WeatherContract.slugOf(city)).sort(),
    sources: [...sources].sort(),
    ...catalogDocument(undefined, cities),
  };
}
