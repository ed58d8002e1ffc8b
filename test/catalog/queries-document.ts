// The document the Trino tests read (test/catalog/queries.json): the SQL and the Glue table definitions exactly
// as an AthenaCatalog synthesizes them for the cities of the landing fixtures. Written by `npx projen queries`;
// queries-json.test.ts fails when the file is stale.
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { AthenaCatalog, City } from '../../src';

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

export function queriesDocument(): any {
  const app = new App();
  const stack = new Stack(app, 'Fixture');
  const catalog = new AthenaCatalog(stack, 'Catalog', {
    refinedBucket: s3.Bucket.fromBucketName(stack, 'Refined', FIXTURE_BUCKET),
    cities: FIXTURE_CITIES,
  });
  const template = Template.fromStack(stack);
  const tableInput = (table: any) => {
    const id = stack.getLogicalId(table);
    return template.toJSON().Resources[id].Properties.TableInput;
  };
  return {
    generatedBy: 'npx projen queries (test/catalog/queries-document.ts)',
    bucket: FIXTURE_BUCKET,
    database: catalog.databaseName,
    tables: {
      hourly: tableInput(catalog.hourlyTable),
      quarantine: tableInput(catalog.quarantineTable),
    },
    analytics: catalog.analyticsQueries,
    validation: catalog.validationQueries,
  };
}
