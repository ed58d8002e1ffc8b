import {
  AthenaClient, BatchGetNamedQueryCommand, GetQueryExecutionCommand, GetQueryResultsCommand, ListNamedQueriesCommand,
  StartQueryExecutionCommand,
} from '@aws-sdk/client-athena';
import { Stack } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { countPlaceholders, runNamedQueries } from '../../examples/run-named-queries';
import { AthenaCatalog, PartitionGranularity, RefinedLake } from '../../src';

// Every named query a deployed catalog has, as the catalog writes it (daily or monthly partitions), is either run
// with all its parameters or listed as skipped with the reason.

const athena = mockClient(AthenaClient);
const dates = { workGroup: 'weather', firstDate: '2026-05-01', lastDate: '2026-05-07', pollMs: 1 };
const followed = { citySlug: 'nice', observedAt: '2026-05-07 12:00:00' };
/** The literal each parameter name should get from `dates` and `followed`. */
const LITERALS: Record<string, string> = {
  firstDate: "'2026-05-01'",
  lastDate: "'2026-05-07'",
  firstIngestDate: "'2026-05-01'",
  lastIngestDate: "'2026-05-07'",
  citySlug: "'nice'",
  city: "'nice'",
  observedAt: "'2026-05-07 12:00:00'",
};

/** The named queries of a catalog on a lake with this granularity, as Athena would list them. */
function deployedQueries(partitionGranularity: PartitionGranularity) {
  const stack = new Stack();
  const refinedLake = RefinedLake.fromRefinedLakeAttributes(stack, 'Refined', {
    bucket: s3.Bucket.fromBucketName(stack, 'RefinedBucket', 'my-refined'),
    cities: [{ name: 'Nice', latitude: 43.7102, longitude: 7.262 }, { name: 'Paris', latitude: 48.8566, longitude: 2.3522 }],
    partitionGranularity,
  });
  const catalog = new AthenaCatalog(stack, 'Catalog', { refinedLake, databaseName: 'lake' });
  return catalog.analyticsQueries.map((query) => ({
    name: `weather-${query.id}`,
    parameters: query.parameters,
    named: { Name: `weather-${query.id}`, Database: catalog.databaseName, QueryString: query.queryString, WorkGroup: 'weather' },
  }));
}

function mockWorkgroup(queries: ReturnType<typeof deployedQueries>): void {
  athena.reset();
  athena.on(ListNamedQueriesCommand).resolves({ NamedQueryIds: queries.map((q) => q.name) });
  athena.on(BatchGetNamedQueryCommand).resolves({ NamedQueries: queries.map((q) => q.named) });
  athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'e' });
  athena.on(GetQueryExecutionCommand).resolves({ QueryExecution: { Status: { State: 'SUCCEEDED' } } });
  athena.on(GetQueryResultsCommand).resolves({ ResultSet: { Rows: [{ Data: [{ VarCharValue: 'n' }] }] } });
}

describe.each([PartitionGranularity.DAY, PartitionGranularity.MONTH])('the named queries of a lake with %s partitions', (granularity) => {
  const queries = deployedQueries(granularity);

  test('the catalog has compare-sources and the staging queries, and each text has a placeholder per parameter', () => {
    expect(queries.map((q) => q.name)).toEqual(expect.arrayContaining([
      'weather-compare-sources', 'weather-forecast-evolution', 'weather-forecast-error-by-lead-time', 'weather-daily-temperature',
    ]));
    for (const query of queries) {
      expect([query.name, countPlaceholders(query.named.QueryString)]).toEqual([query.name, query.parameters.length]);
    }
  });

  test('given a city and an hour, every query runs, with its own parameters in order', async () => {
    mockWorkgroup(queries);
    const runs = await runNamedQueries(new AthenaClient({ region: 'eu-west-3' }), { ...dates, ...followed });
    expect(runs.filter((run) => run.state !== 'SUCCEEDED')).toEqual([]);
    expect(runs.map((run) => run.name).sort()).toEqual(queries.map((q) => q.name).sort());
    const parametersByText = new Map(athena.commandCalls(StartQueryExecutionCommand)
      .map((call) => [call.args[0].input.QueryString, call.args[0].input.ExecutionParameters ?? []]));
    for (const query of queries) {
      expect([query.name, parametersByText.get(query.named.QueryString)]).toEqual([query.name, query.parameters.map((name) => LITERALS[name])]);
    }
  });

  test('given dates only, every query runs or is skipped with the parameters it lacks', async () => {
    mockWorkgroup(queries);
    const runs = await runNamedQueries(new AthenaClient({ region: 'eu-west-3' }), dates);
    expect(runs.filter((run) => run.state !== 'SUCCEEDED').map((run) => [run.name, run.state, run.reason])).toEqual([
      ['weather-compare-sources', 'SKIPPED', 'no value for parameter(s) city'],
      ['weather-forecast-evolution', 'SKIPPED', 'no value for parameter(s) citySlug, observedAt'],
    ]);
    expect(runs.filter((run) => run.state === 'SUCCEEDED')).toHaveLength(queries.length - 2);
  });
});

test('placeholders are counted outside comments, string literals and quoted identifiers', () => {
  expect(countPlaceholders("-- Parameters: ?\nSELECT '?', \"why?\", 'it''s ?' FROM t WHERE a = ? AND b BETWEEN ? AND ? -- ?")).toBe(3);
  expect(countPlaceholders('SELECT 1')).toBe(0);
});
