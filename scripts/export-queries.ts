// Writes test/catalog/queries.json: the SQL and Glue tables the AthenaCatalog synthesizes, for the Trino tests.
import { writeFileSync } from 'fs';
import { join } from 'path';
import { queriesDocument } from '../test/catalog/queries-document';

const target = join(__dirname, '..', 'test', 'catalog', 'queries.json');
writeFileSync(target, JSON.stringify(queriesDocument(), null, 2) + '\n');
console.log(`wrote ${target}`);
