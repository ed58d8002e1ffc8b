// Runs the library's named queries in a deployed stack's Athena workgroup and prints each result as a table.
//
//   npx ts-node --project tsconfig.dev.json examples/run-named-queries.ts --workgroup <AthenaCatalog.workGroupName> \
//     [--first-date 2026-05-01] [--last-date 2026-05-07] [--region eu-west-3] \
//     [--city SLUG [--hour 'yyyy-MM-dd HH:mm:ss']]
//
// Uses your AWS credentials (the principal needs AthenaCatalog.grantQuery). Date parameters default to the last
// seven days (UTC). Named queries that take parameters get them as Athena execution parameters (SQL literals), for
// daily or monthly partitions alike. `--city` is the city of weather-compare-sources and, with `--hour`, of
// weather-forecast-evolution; a query whose values are not given is listed as skipped, with the parameters it
// lacks.
import {
  AthenaClient, BatchGetNamedQueryCommand, GetQueryExecutionCommand, GetQueryResultsCommand, ListNamedQueriesCommand,
  NamedQuery, StartQueryExecutionCommand,
} from '@aws-sdk/client-athena';
import { Stack } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { AthenaCatalog, PartitionGranularity, RefinedLake } from '../src';

export interface RunOptions {
  readonly workGroup: string;
  readonly firstDate: string;
  readonly lastDate: string;
  /**
   * City slug whose sources `weather-compare-sources` compares and whose forecast `weather-forecast-evolution`
   * follows (both skipped without it).
   */
  readonly citySlug?: string;
  /** UTC hour `yyyy-MM-dd HH:mm:ss` that `weather-forecast-evolution` follows (skipped without it). */
  readonly observedAt?: string;
  /** Delay between status polls. */
  readonly pollMs?: number;
  /** Longest wait for one query. */
  readonly timeoutMs?: number;
}

export interface QueryRun {
  readonly name: string;
  readonly state: string;
  readonly reason?: string;
  readonly columns: string[];
  readonly rows: string[][];
}

/**
 * The parameter names of each library query, by named-query name (`weather-<id>`), for a lake with the given
 * partition granularity (a monthly lake's queries also filter on `month`, from the same dates).
 */
export function libraryQueryParameters(partitionGranularity: PartitionGranularity = PartitionGranularity.DAY): Map<string, string[]> {
  const stack = new Stack();
  const refinedLake = RefinedLake.fromRefinedLakeAttributes(stack, 'Refined', {
    bucket: s3.Bucket.fromBucketName(stack, 'RefinedBucket', 'refined-bucket'),
    cities: [{ name: 'Paris', latitude: 48.8566, longitude: 2.3522 }],
    partitionGranularity,
  });
  const catalog = new AthenaCatalog(stack, 'Catalog', { refinedLake });
  return new Map(catalog.analyticsQueries.map((query) => [`weather-${query.id}`, query.parameters]));
}

/** The `?` placeholders of a query: those outside comments, string literals and quoted identifiers. */
export function countPlaceholders(sql: string): number {
  let count = 0;
  for (let i = 0; i < sql.length; i++) {
    const c = sql[i];
    if (c === '-' && sql[i + 1] === '-') {
      const end = sql.indexOf('\n', i);
      i = end < 0 ? sql.length : end;
    } else if (c === "'" || c === '"') {
      // A doubled quote inside is an escaped quote: the scan resumes inside the same literal.
      let j = i + 1;
      while (j < sql.length && (sql[j] !== c || sql[j + 1] === c)) {
        j += sql[j] === c ? 2 : 1;
      }
      i = j;
    } else if (c === '?') {
      count++;
    }
  }
  return count;
}

/**
 * The parameter names a named query takes: for a library query, its list for monthly partitions when the deployed
 * text has as many placeholders as that list has names (the workgroup does not say how its lake is partitioned),
 * else its list for daily partitions (Athena reports a mismatch); none for a query the library does not know.
 */
function parametersOf(query: NamedQuery, daily: Map<string, string[]>, monthly: Map<string, string[]>): string[] {
  const name = query.Name ?? '';
  const forMonths = monthly.get(name);
  if (forMonths !== undefined && forMonths.length === countPlaceholders(query.QueryString ?? '')) {
    return forMonths;
  }
  return daily.get(name) ?? [];
}

async function namedQueries(client: AthenaClient, workGroup: string): Promise<NamedQuery[]> {
  const ids: string[] = [];
  let nextToken: string | undefined;
  do {
    const page = await client.send(new ListNamedQueriesCommand({ WorkGroup: workGroup, NextToken: nextToken }));
    ids.push(...(page.NamedQueryIds ?? []));
    nextToken = page.NextToken;
  } while (nextToken);
  const queries: NamedQuery[] = [];
  for (let i = 0; i < ids.length; i += 50) {
    const batch = await client.send(new BatchGetNamedQueryCommand({ NamedQueryIds: ids.slice(i, i + 50) }));
    queries.push(...(batch.NamedQueries ?? []));
  }
  return queries.sort((a, b) => (a.Name ?? '').localeCompare(b.Name ?? ''));
}

async function runOne(client: AthenaClient, query: NamedQuery, parameters: string[], options: RunOptions): Promise<QueryRun> {
  const literal = (text: string) => `'${text.replace(/'/g, "''")}'`;
  const literals: Record<string, string> = {
    firstDate: literal(options.firstDate),
    lastDate: literal(options.lastDate),
    // The staging table's ingestion dates: the same range (a forecast is fetched before its hour).
    firstIngestDate: literal(options.firstDate),
    lastIngestDate: literal(options.lastDate),
    // The same city slug under its two names: `citySlug` (weather-forecast-evolution), `city` (weather-compare-sources).
    ...(options.citySlug !== undefined ? { citySlug: literal(options.citySlug), city: literal(options.citySlug) } : {}),
    ...(options.observedAt !== undefined ? { observedAt: literal(options.observedAt) } : {}),
  };
  const missing = parameters.filter((name) => literals[name] === undefined);
  if (missing.length > 0) {
    return { name: query.Name!, state: 'SKIPPED', reason: `no value for parameter(s) ${missing.join(', ')}`, columns: [], rows: [] };
  }
  const started = await client.send(new StartQueryExecutionCommand({
    QueryString: query.QueryString,
    WorkGroup: options.workGroup,
    QueryExecutionContext: { Database: query.Database },
    ...(parameters.length > 0 ? { ExecutionParameters: parameters.map((name) => literals[name]) } : {}),
  }));
  const id = started.QueryExecutionId!;
  const deadline = Date.now() + (options.timeoutMs ?? 300_000);
  for (;;) {
    const execution = (await client.send(new GetQueryExecutionCommand({ QueryExecutionId: id }))).QueryExecution;
    const state = execution?.Status?.State ?? 'UNKNOWN';
    if (state === 'FAILED' || state === 'CANCELLED') {
      return { name: query.Name!, state, reason: execution?.Status?.StateChangeReason, columns: [], rows: [] };
    }
    if (state === 'SUCCEEDED') {
      break;
    }
    if (Date.now() > deadline) {
      return { name: query.Name!, state: 'TIMED_OUT', reason: `still ${state} after ${options.timeoutMs ?? 300_000} ms`, columns: [], rows: [] };
    }
    await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 1_000));
  }
  const all: string[][] = [];
  let nextToken: string | undefined;
  do {
    const page = await client.send(new GetQueryResultsCommand({ QueryExecutionId: id, NextToken: nextToken }));
    all.push(...(page.ResultSet?.Rows ?? []).map((row) => (row.Data ?? []).map((datum) => datum.VarCharValue ?? '')));
    nextToken = page.NextToken;
  } while (nextToken);
  // Athena returns the header as the first row of the first page.
  const [columns, ...rows] = all.length > 0 ? all : [[]];
  return { name: query.Name!, state: 'SUCCEEDED', columns, rows };
}

/**
 * Runs every named query of the workgroup, with the parameters of daily or monthly partitions as the query text
 * asks; queries this library does not know run without parameters.
 */
export async function runNamedQueries(client: AthenaClient, options: RunOptions): Promise<QueryRun[]> {
  const daily = libraryQueryParameters(PartitionGranularity.DAY);
  const monthly = libraryQueryParameters(PartitionGranularity.MONTH);
  const runs: QueryRun[] = [];
  for (const query of await namedQueries(client, options.workGroup)) {
    runs.push(await runOne(client, query, parametersOf(query, daily, monthly), options));
  }
  return runs;
}

/** A result as a plain-text table. */
export function formatTable(run: QueryRun): string {
  if (run.state !== 'SUCCEEDED') {
    return `${run.name}: ${run.state}${run.reason ? ` (${run.reason})` : ''}`;
  }
  const widths = run.columns.map((column, i) => Math.max(column.length, ...run.rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((cell, i) => (cell ?? '').padEnd(widths[i])).join(' | ');
  return [
    `${run.name} (${run.rows.length} row${run.rows.length === 1 ? '' : 's'})`,
    line(run.columns),
    widths.map((w) => '-'.repeat(w)).join('-+-'),
    ...run.rows.map(line),
  ].join('\n');
}

function argument(args: string[], name: string): string | undefined {
  const index = args.indexOf(name);
  return index >= 0 ? args[index + 1] : undefined;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const workGroup = argument(args, '--workgroup');
  if (!workGroup) {
    throw new Error('usage: run-named-queries.ts --workgroup NAME [--first-date yyyy-MM-dd] [--last-date yyyy-MM-dd] [--region REGION]'
      + " [--city SLUG [--hour 'yyyy-MM-dd HH:mm:ss']] (the city weather-compare-sources compares the sources of, and the"
      + ' city and hour whose forecast weather-forecast-evolution follows)');
  }
  const today = new Date();
  const weekAgo = new Date(today.getTime() - 6 * 86_400_000);
  const runs = await runNamedQueries(new AthenaClient({ region: argument(args, '--region') }), {
    workGroup,
    firstDate: argument(args, '--first-date') ?? weekAgo.toISOString().slice(0, 10),
    lastDate: argument(args, '--last-date') ?? today.toISOString().slice(0, 10),
    citySlug: argument(args, '--city'),
    observedAt: argument(args, '--hour'),
  });
  for (const run of runs) {
    console.log(`\n${formatTable(run)}`);
  }
  // A query skipped for a value not given (--city, --hour) is not a failure.
  if (runs.some((run) => run.state !== 'SUCCEEDED' && run.state !== 'SKIPPED')) {
    process.exitCode = 1;
  }
}

if (require.main === module) {
  main().catch((error) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
