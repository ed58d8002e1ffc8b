import { readFileSync } from 'fs';
import { join } from 'path';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { ATHENA_SELECT_RESERVED, athenaFindings } from './athena-sql-rules';
import { AthenaCatalog, City, PartitionGranularity, RefinedLake } from '../../src';
import { newStack } from '../nag';

// Every query the library ships (named and validation), for each shape the construct can build, must keep to
// Athena's rules. Trino runs them in test_catalog_sql.py, but Trino accepts what Athena rejects.

const CITIES: City[] = Array.from({ length: 100 }, (_, i) => ({ name: `City ${i}`, latitude: (i % 90) - 45, longitude: i - 50 }));

function shippedQueries(variant: { partitionGranularity?: PartitionGranularity; injectCities?: boolean }) {
  const { stack } = newStack();
  const refinedBucket = new s3.Bucket(stack, 'Refined');
  const refinedLake = new RefinedLake(stack, 'Lake', {
    bucket: refinedBucket, partitionGranularity: variant.partitionGranularity, cities: variant.injectCities ? undefined : CITIES,
  });
  const catalog = new AthenaCatalog(stack, 'Catalog', { refinedLake, injectCities: variant.injectCities });
  return [...catalog.analyticsQueries, ...catalog.validationQueries];
}

const variants = {
  'daily partitions, 100 cities': {},
  'monthly partitions, 100 cities': { partitionGranularity: PartitionGranularity.MONTH },
  'injected cities': { injectCities: true },
};

describe.each(Object.entries(variants))('the queries the catalog ships (%s) keep to Athena\'s rules', (_name, variant) => {
  const queries = shippedQueries(variant);
  test.each(queries.map((q) => [q.id, q]))('%s', (_id, query) => {
    expect(athenaFindings(query.queryString, query.parameters.length)).toEqual([]);
  });
});

describe('the queries the Trino tests run (queries.json) keep to Athena\'s rules', () => {
  const doc = JSON.parse(readFileSync(join(__dirname, 'queries.json'), 'utf-8'));
  const queries = [doc, doc.monthly].flatMap((d: any) => [...d.analytics, ...d.validation]);
  test.each(queries.map((q: any) => [q.id, q]))('%s', (_id, query: any) => {
    expect(athenaFindings(query.queryString, query.parameters.length)).toEqual([]);
  });
});

describe('the Athena rule check catches what Trino accepts', () => {
  test('a parameter in FROM (the old partitions-not-empty expected partitions)', () => {
    const sql = [
      'WITH expected AS (',
      '  SELECT CAST(day AS varchar) AS "date", trim(slug) AS city',
      "  FROM UNNEST(sequence(CAST(? AS date), CAST(? AS date), INTERVAL '1' DAY)) AS days(day)",
      "  CROSS JOIN UNNEST(split(?, ',')) AS slugs(slug)",
      ')',
      'SELECT count(*) AS n FROM expected',
    ].join('\n');
    expect(athenaFindings(sql)).toEqual([
      'line 3: "?" in FROM clause; Athena takes parameters only in WHERE',
      'line 3: "?" in FROM clause; Athena takes parameters only in WHERE',
      'line 4: "?" in JOIN clause; Athena takes parameters only in WHERE',
    ]);
  });

  test('parameters in SELECT, in an aggregate FILTER, in JOIN ... ON, in HAVING', () => {
    expect(athenaFindings('SELECT ? AS x FROM t')).toEqual(['line 1: "?" in SELECT clause; Athena takes parameters only in WHERE']);
    expect(athenaFindings('SELECT count(*) FILTER (WHERE a = ?) FROM t')).toEqual(['line 1: "?" in SELECT clause; Athena takes parameters only in WHERE']);
    expect(athenaFindings('SELECT 1 FROM a JOIN b ON a.x = b.x AND b.y = ?')).toEqual(['line 1: "?" in ON clause; Athena takes parameters only in WHERE']);
    expect(athenaFindings('SELECT x FROM t GROUP BY x HAVING count(*) > ?')).toEqual(['line 1: "?" in HAVING clause; Athena takes parameters only in WHERE']);
  });

  test('parameters in WHERE pass, inside calls and in the WHERE of CTEs and subqueries', () => {
    expect(athenaFindings("SELECT 1 FROM t WHERE d BETWEEN substr(?, 1, 7) AND CAST(? AS varchar) AND contains(split(?, ','), c)", 3)).toEqual([]);
    expect(athenaFindings('WITH r AS (SELECT x FROM t WHERE d = ?) SELECT * FROM r JOIN (SELECT y FROM u WHERE e = ?) AS s ON r.x = s.y', 2)).toEqual([]);
  });

  test('declared parameters must match the "?" count; no quoted "?"; at most 25 for the console', () => {
    expect(athenaFindings('SELECT 1 FROM t WHERE a = ?', 2)).toEqual(['1 "?" in the SQL but 2 declared parameters']);
    expect(athenaFindings("SELECT 1 FROM t WHERE a = '?'")).toEqual(["line 1: a quoted '?' is not a parameter in Athena"]);
    const many = `SELECT 1 FROM t WHERE a IN (${Array(26).fill('?').join(', ')})`;
    expect(athenaFindings(many)).toEqual(['26 parameters: the Athena console runs at most 25']);
  });

  test('reserved words as aliases, CONCAT with one argument, more than 127 function arguments, empty identifiers', () => {
    expect(ATHENA_SELECT_RESERVED.has('FIRST')).toBe(true);
    expect(athenaFindings('SELECT min(x) AS first, max(x) AS "last" FROM t')).toEqual(['line 1: alias first is reserved in Athena and must be double-quoted']);
    expect(athenaFindings('SELECT CAST(x AS date) AS d FROM t')).toEqual([]);
    expect(athenaFindings('SELECT concat(a) FROM t')).toEqual(['line 1: concat() needs at least two arguments in Athena']);
    expect(athenaFindings(`SELECT greatest(${Array(128).fill('1').join(', ')})`)).toEqual(['line 1: greatest() takes 128 arguments, Athena allows at most 127']);
    expect(athenaFindings('SELECT x AS "" FROM t')).toEqual(['line 1: zero-length delimited identifier']);
  });

  test('parameters only in SELECT statements', () => {
    expect(athenaFindings('DELETE FROM t WHERE a = ?')).toEqual(['parameters in a DELETE statement: Athena takes them only in SELECT, INSERT INTO, CTAS and UNLOAD']);
  });
});
