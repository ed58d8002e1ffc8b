// The local run's catalog document: the Glue tables, validation and analytics SQL an AthenaCatalog synthesizes for
// the local run's own cities (examples/local-run/cities.json) and the weather sources it runs with, in the shape of
// test/catalog/queries.json (whose cities are the Trino tests' fixtures).
//
// Usage: ts-node catalog.ts <source ids, comma-separated>
// Prints one JSON line: the document (bucket, database, cities, sources, tables, analytics, validation).
import { readFileSync } from 'fs';
import { join } from 'path';
import { City } from '../../src/contract';
import { catalogDocumentFor } from '../../test/catalog/queries-document';

const cities: City[] = JSON.parse(readFileSync(join(__dirname, 'cities.json'), 'utf-8'));
const sources = (process.argv[2] ?? '').split(',').filter((source) => source !== '');
console.log(JSON.stringify(catalogDocumentFor(cities, sources)));
