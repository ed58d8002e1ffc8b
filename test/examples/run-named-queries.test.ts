import {
  AthenaClient, BatchGetNamedQueryCommand, GetQueryExecutionCommand, GetQueryResultsCommand, ListNamedQueriesCommand,
  StartQueryExecutionCommand,
} from '@aws-sdk/client-athena';
import { mockClient } from 'aws-sdk-client-mock';
import { formatTable, libraryQueryParameters, runNamedQueries } from '../../examples/run-named-queries';

const athena = mockClient(AthenaClient);
const options = { workGroup: 'weather', firstDate: '2026-05-01', lastDate: '2026-05-07', pollMs: 1 };

function row(...values: string[]) {
  return { Data: values.map((VarCharValue) => ({ VarCharValue })) };
}

beforeEach(() => {
  athena.reset();
  athena.on(ListNamedQueriesCommand, { WorkGroup: 'weather' }).resolvesOnce({ NamedQueryIds: ['q1'], NextToken: 't' })
    .resolvesOnce({ NamedQueryIds: ['q2', 'q3'] });
  athena.on(BatchGetNamedQueryCommand).resolves({
    NamedQueries: [
      { Name: 'weather-daily-temperature', Database: 'weather', QueryString: 'SELECT 1 -- daily', WorkGroup: 'weather' },
      { Name: 'weather-last-48-hours', Database: 'weather', QueryString: 'SELECT 2 -- last 48', WorkGroup: 'weather' },
      { Name: 'my-own-query', Database: 'weather', QueryString: 'SELECT broken', WorkGroup: 'weather' },
    ],
  });
  athena.on(StartQueryExecutionCommand, { QueryString: 'SELECT 1 -- daily' }).resolves({ QueryExecutionId: 'e-daily' });
  athena.on(StartQueryExecutionCommand, { QueryString: 'SELECT 2 -- last 48' }).resolves({ QueryExecutionId: 'e-48' });
  athena.on(StartQueryExecutionCommand, { QueryString: 'SELECT broken' }).resolves({ QueryExecutionId: 'e-broken' });
  athena.on(GetQueryExecutionCommand, { QueryExecutionId: 'e-daily' })
    .resolvesOnce({ QueryExecution: { Status: { State: 'RUNNING' } } })
    .resolves({ QueryExecution: { Status: { State: 'SUCCEEDED' } } });
  athena.on(GetQueryExecutionCommand, { QueryExecutionId: 'e-48' }).resolves({ QueryExecution: { Status: { State: 'SUCCEEDED' } } });
  athena.on(GetQueryExecutionCommand, { QueryExecutionId: 'e-broken' })
    .resolves({ QueryExecution: { Status: { State: 'FAILED', StateChangeReason: "COLUMN_NOT_FOUND: line 1:8: Column 'broken' cannot be resolved" } } });
  athena.on(GetQueryResultsCommand, { QueryExecutionId: 'e-daily' })
    .resolvesOnce({ ResultSet: { Rows: [row('city', 'date', 'min_c', 'max_c'), row('nice', '2026-05-01', '11.2', '19.5')] }, NextToken: 'p2' })
    .resolvesOnce({ ResultSet: { Rows: [row('paris', '2026-05-01', '8.1', '17.0')] } });
  athena.on(GetQueryResultsCommand, { QueryExecutionId: 'e-48' }).resolves({ ResultSet: { Rows: [row('city', 'observed_at')] } });
});

test('the library knows the parameters of its named queries', () => {
  const parameters = libraryQueryParameters();
  expect(parameters.get('weather-daily-temperature')).toEqual(['firstDate', 'lastDate']);
  expect(parameters.get('weather-last-48-hours')).toEqual([]);
  expect(parameters.get('weather-forecast-evolution')).toEqual(['citySlug', 'observedAt', 'firstIngestDate', 'lastIngestDate']);
});

test('the staging queries get the date range as ingestion dates, and the followed city and hour when given', async () => {
  athena.reset();
  athena.on(ListNamedQueriesCommand).resolves({ NamedQueryIds: ['f1', 'f2'] });
  athena.on(BatchGetNamedQueryCommand).resolves({
    NamedQueries: [
      { Name: 'weather-forecast-evolution', Database: 'weather', QueryString: 'SELECT 3 -- evolution', WorkGroup: 'weather' },
      { Name: 'weather-forecast-error-by-lead-time', Database: 'weather', QueryString: 'SELECT 4 -- error', WorkGroup: 'weather' },
    ],
  });
  athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'e' });
  athena.on(GetQueryExecutionCommand).resolves({ QueryExecution: { Status: { State: 'SUCCEEDED' } } });
  athena.on(GetQueryResultsCommand).resolves({ ResultSet: { Rows: [row('n')] } });
  const without = await runNamedQueries(new AthenaClient({ region: 'eu-west-3' }), options);
  expect(without.map((r) => [r.name, r.state, r.reason])).toEqual([
    ['weather-forecast-error-by-lead-time', 'SUCCEEDED', undefined],
    ['weather-forecast-evolution', 'SKIPPED', 'no value for parameter(s) citySlug, observedAt'],
  ]);
  expect(athena.commandCalls(StartQueryExecutionCommand)[0].args[0].input.ExecutionParameters)
    .toEqual(["'2026-05-01'", "'2026-05-07'", "'2026-05-01'", "'2026-05-07'"]);
  athena.resetHistory();
  const given = await runNamedQueries(new AthenaClient({ region: 'eu-west-3' }), { ...options, citySlug: 'nice', observedAt: '2026-05-07 12:00:00' });
  expect(given.map((r) => r.state)).toEqual(['SUCCEEDED', 'SUCCEEDED']);
  expect(athena.commandCalls(StartQueryExecutionCommand).map((c) => c.args[0].input.ExecutionParameters)[1])
    .toEqual(["'nice'", "'2026-05-07 12:00:00'", "'2026-05-01'", "'2026-05-07'"]);
});

test('runs every named query of the workgroup, with date parameters as SQL literals, and reads all result pages', async () => {
  const runs = await runNamedQueries(new AthenaClient({ region: 'eu-west-3' }), options);

  expect(runs.map((r) => [r.name, r.state])).toEqual([
    ['my-own-query', 'FAILED'],
    ['weather-daily-temperature', 'SUCCEEDED'],
    ['weather-last-48-hours', 'SUCCEEDED'],
  ]);
  const starts = athena.commandCalls(StartQueryExecutionCommand).map((call) => call.args[0].input);
  expect(starts.find((input) => input.QueryString === 'SELECT 1 -- daily')).toEqual({
    QueryString: 'SELECT 1 -- daily',
    WorkGroup: 'weather',
    QueryExecutionContext: { Database: 'weather' },
    ExecutionParameters: ["'2026-05-01'", "'2026-05-07'"],
  });
  expect(starts.find((input) => input.QueryString === 'SELECT 2 -- last 48')?.ExecutionParameters).toBeUndefined();
  expect(athena.commandCalls(GetQueryExecutionCommand, { QueryExecutionId: 'e-daily' })).toHaveLength(2);

  const daily = runs.find((r) => r.name === 'weather-daily-temperature')!;
  expect(daily.columns).toEqual(['city', 'date', 'min_c', 'max_c']);
  expect(daily.rows).toEqual([['nice', '2026-05-01', '11.2', '19.5'], ['paris', '2026-05-01', '8.1', '17.0']]);
});

test('prints results as tables and failures with their reason', async () => {
  const runs = await runNamedQueries(new AthenaClient({ region: 'eu-west-3' }), options);
  expect(formatTable(runs.find((r) => r.name === 'weather-daily-temperature')!)).toBe([
    'weather-daily-temperature (2 rows)',
    'city  | date       | min_c | max_c',
    '------+------------+-------+------',
    'nice  | 2026-05-01 | 11.2  | 19.5 ',
    'paris | 2026-05-01 | 8.1   | 17.0 ',
  ].join('\n'));
  expect(formatTable(runs.find((r) => r.name === 'weather-last-48-hours')!)).toBe('weather-last-48-hours (0 rows)\ncity | observed_at\n-----+------------');
  expect(formatTable(runs[0])).toBe("my-own-query: FAILED (COLUMN_NOT_FOUND: line 1:8: Column 'broken' cannot be resolved)");
});
