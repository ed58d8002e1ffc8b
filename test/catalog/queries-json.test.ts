import { readFileSync } from 'fs';
import { join } from 'path';
import { queriesDocument } from './queries-document';

// The Trino tests run the SQL from queries.json: it must be what the construct ships today.
test('test/catalog/queries.json is up to date (regenerate with `npx projen queries`)', () => {
  const onDisk = JSON.parse(readFileSync(join(__dirname, 'queries.json'), 'utf-8'));
  expect(onDisk).toEqual(JSON.parse(JSON.stringify(queriesDocument())));
});
