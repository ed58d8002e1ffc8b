import aslValidator from 'asl-validator';
// aws-local-stepfunctions declares its types as an ES module only; jest loads its CommonJS build (the package's
// "require" export), so the types come in as an import type and the class through require().
import type * as LocalStepFunctions from 'aws-local-stepfunctions' with { 'resolution-mode': 'import' };
import { definitionOf, pipeline, templateOf } from './fixture';
import { MissingCityAction, PipelineOrchestrator as O, WeatherContract } from '../../src';
import { runStartFor } from '../../src/orchestration/private/run-start';
import { planRun } from '../../src/orchestration/private/validation-plan';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { StateMachine }: typeof LocalStepFunctions = require('aws-local-stepfunctions');

/*
 * The state machine CDK synthesizes, executed by an ASL interpreter (aws-local-stepfunctions): every AWS task is
 * replaced by a local handler standing in for the service, faults are injected by throwing the service's error.
 */

// aws-local-stepfunctions 3 targets Node 22 and uses Promise.withResolvers (Node 22+); the project runs on Node 20.
if (typeof (Promise as any).withResolvers !== 'function') {
  (Promise as any).withResolvers = function withResolvers<T>() {
    let resolve!: (value: T) => void;
    let reject!: (reason?: unknown) => void;
    const promise = new Promise<T>((res, rej) => { resolve = res; reject = rej; });
    return { promise, resolve, reject };
  };
}

// The interpreter sets $$.Execution.StartTime to the real start time.
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;
const START = '2026-05-07T06:30:04.512Z';
const BATCH = '20260507T063000Z';
const MANIFEST = WeatherContract.manifestKey('2026-05-07', BATCH);
/** Where the ETL writes the run summary of a run processed at `processedAt`. */
const summaryKeyOf = (processedAt: string, runId: string) => `${WeatherContract.RUN_SUMMARY_PREFIX}date=${processedAt.slice(0, 10)}/${runId}.json`;

const withIngestion = pipeline({ ingestion: true, props: { notifyOnSuccess: true } });
const definition = definitionOf(withIngestion);
const validationIds = withIngestion.catalog.validationQueries.map((q) => q.id);

/** The missing cities check's states, and its key in `Calls.queries` and `Faults.verdict`. */
const STATE_CHECK_MISSING_CITIES = 'Check missing cities';
const STATE_READ_MISSING_CITIES_VERDICT = 'Read missing cities verdict';
const MISSING_CITIES = 'missing cities';

/** An error as the Step Functions service integration reports it. */
function serviceError(name: string, cause: string): Error {
  const error = new Error(cause);
  error.name = name;
  return error;
}

/** The run summary the ETL writes (only what the orchestrator reads matters). */
function runSummary(runId: string) {
  return {
    run_id: runId,
    processed_at: START,
    refined: 336,
    quarantined: 2,
    partitions: {
      hourly: ['2026-05-06', '2026-05-07', '2026-05-08'].flatMap((date) =>
        ['lyon', 'oslo'].map((city) => `${WeatherContract.hourlyPartitionPrefix(date, city)}`)),
      quarantine: [`${WeatherContract.QUARANTINE_PREFIX}date=2026-05-07/`],
    },
  };
}

/** An Athena result set: header row, then one data row. */
function resultSet(columns: string[], values: Array<string | undefined>) {
  const row = (cells: Array<string | undefined>) => ({ Data: cells.map((v) => (v === undefined ? {} : { VarCharValue: v })) });
  return { ResultSet: { Rows: [row(columns), row(values)], ResultSetMetadata: {} }, UpdateCount: 0 };
}

interface Calls {
  ingest: any[];
  glue: any[];
  summaryReads: any[];
  queries: { [id: string]: any };
  published: any[];
}

interface Faults {
  /** The run summary the ETL wrote for a run (default: `runSummary`). */
  summary?: (runId: string) => any;
  ingest?: (call: number) => any;
  glue?: (call: number) => any;
  verdict?: { [id: string]: { columns: string[]; values: Array<string | undefined> } };
  /** Another synthesized definition than the default one. */
  definition?: any;
  /** Replaces a state's local handler (any task state). */
  task?: { [state: string]: (request: any) => any };
}

// One interpreter per definition, shared by the executions of this file: constructing one validates the definition
// with asl-validator, whose JSON schemas ajv compiles again each time (about 0.2 s of CPU, most of this file's CPU when
// every execution made its own). A StateMachine keeps only the definition and its options; each run() has its own state.
const machines = new Map<any, InstanceType<typeof StateMachine>>();
function machineFor(asl: any): InstanceType<typeof StateMachine> {
  let machine = machines.get(asl);
  if (!machine) {
    machine = new StateMachine(asl, { validationOptions: { checkArn: false } });
    machines.set(asl, machine);
  }
  return machine;
}

async function execute(input: any, faults: Faults = {}, name = 'exec-1') {
  const calls: Calls = { ingest: [], glue: [], summaryReads: [], queries: {}, published: [] };
  const handlers: { [state: string]: (input: any) => Promise<any> } = {
    [O.STATE_INGEST]: async (event) => {
      calls.ingest.push(event);
      if (faults.ingest) {
        return faults.ingest(calls.ingest.length);
      }
      return { batchId: BATCH, ingestDate: '2026-05-07', mode: 'forecast', bucket: 'landing', manifestKey: MANIFEST, citiesRequested: 2, written: 2, failed: 0, partialFailure: false, retries: 0, failures: [] };
    },
    [O.STATE_RUN_ETL]: async (request) => {
      calls.glue.push(request);
      if (faults.glue) {
        return faults.glue(calls.glue.length);
      }
      return { Id: `jr_${calls.glue.length}`, JobName: request.JobName, JobRunState: 'SUCCEEDED', ExecutionTime: 95 };
    },
    // The real planner: the interpreter runs the code the Lambda function runs, with S3 GetObject stubbed.
    [O.STATE_PLAN_VALIDATION]: async (event) => planRun(event, async (Bucket, Key) => {
      calls.summaryReads.push({ Bucket, Key });
      const runId = Key.split('/').pop()!.replace(/\.json$/, '');
      return JSON.stringify((faults.summary ?? runSummary)(runId));
    }),
    [O.STATE_NOTIFY_FAILURE]: async (request) => { calls.published.push(request); return { MessageId: 'm' }; },
    [O.STATE_ALERT_PARTIAL_INGESTION]: async (request) => { calls.published.push(request); return { MessageId: 'm' }; },
    [O.STATE_NOTIFY_SUCCESS]: async (request) => { calls.published.push(request); return { MessageId: 'm' }; },
  };
  for (const id of validationIds) {
    handlers[O.validationQueryState(id)] = async (request) => {
      calls.queries[id] = request;
      return { QueryExecution: { QueryExecutionId: `q-${id}`, Status: { State: 'SUCCEEDED' } } };
    };
    handlers[O.validationResultState(id)] = async (request) => {
      expect(request.QueryExecutionId).toBe(`q-${id}`);
      const verdict = faults.verdict?.[id];
      return verdict ? resultSet(verdict.columns, verdict.values) : resultSet(['passed', 'rows_checked'], ['true', '336']);
    };
  }
  // The missing cities check (MissingCityAction.ALERT): the partitions-not-empty query on the cities the run did not write.
  handlers[STATE_CHECK_MISSING_CITIES] = async (request) => {
    calls.queries[MISSING_CITIES] = request;
    return { QueryExecution: { QueryExecutionId: `q-${MISSING_CITIES}`, Status: { State: 'SUCCEEDED' } } };
  };
  handlers[STATE_READ_MISSING_CITIES_VERDICT] = async (request) => {
    expect(request.QueryExecutionId).toBe(`q-${MISSING_CITIES}`);
    const verdict = faults.verdict?.[MISSING_CITIES];
    return verdict ? resultSet(verdict.columns, verdict.values) : resultSet(['passed', 'expected_partitions'], ['true', '3']);
  };
  handlers[O.STATE_ALERT_MISSING_CITIES] = async (request) => { calls.published.push(request); return { MessageId: 'm' }; };
  for (const [state, handler] of Object.entries(faults.task ?? {})) {
    handlers[state] = async (request) => handler(request);
  }
  const machine = machineFor(faults.definition ?? definition);
  const execution = machine.run(input, {
    overrides: {
      taskResourceLocalHandlers: handlers,
      // Keep the backoff schedule out of the test's wall time.
      retryIntervalOverrides: Object.fromEntries(Object.keys(handlers).map((state) => [state, 0])),
    },
    context: {
      Execution: { Id: `arn:aws:states:eu-west-1:123456789012:execution:Pipeline:${name}`, Name: name, Input: input, StartTime: START, RoleArn: 'role' },
      StateMachine: { Id: 'arn:aws:states:eu-west-1:123456789012:stateMachine:Pipeline', Name: 'Pipeline' },
    },
  });
  const events: any[] = [];
  const collect = async () => { for await (const event of execution.eventLogs) events.push(event); };
  try {
    const output = await execution.result;
    await collect();
    return { output, calls, events };
  } catch (err) {
    const cause = (err as any).cause;
    return { error: { name: cause?.name, cause: cause?.message, raw: err }, calls, events };
  }
}

test('the synthesized definition passes asl-validator', () => {
  const { isValid, errorsText } = aslValidator(definition);
  expect(errorsText('\n')).toBe('');
  expect(isValid).toBe(true);
});

test('happy path: ingest, ETL on the manifest with the batch as run id, every validation passes', async () => {
  const { output, error, calls } = await execute({ scheduledTime: '2026-05-07T06:30:00Z' });
  expect(error).toBeUndefined();
  expect(calls.ingest).toEqual([{ scheduledTime: '2026-05-07T06:30:00Z' }]);
  expect(calls.glue).toHaveLength(1);
  const processedAt = calls.glue[0].Arguments['--processed_at'];
  expect(processedAt).toMatch(ISO_INSTANT);
  expect(calls.glue[0].Arguments).toEqual({
    '--manifest_key': MANIFEST,
    '--run_id': BATCH,
    '--processed_at': processedAt,
  });
  // The orchestrator fixes the processing time, so it knows where the ETL wrote the run summary.
  const summaryKey = summaryKeyOf(processedAt, BATCH);
  expect(calls.summaryReads[0].Key).toBe(summaryKey);
  // Each query gets its parameters, in its order, as SQL literals computed from the run summary.
  const literals: { [name: string]: string } = { firstDate: "'2026-05-06'", lastDate: "'2026-05-08'", citySlugs: "'lyon,oslo'", runId: `'${BATCH}'`, sourceIds: "'open-meteo'" };
  for (const query of withIngestion.catalog.validationQueries) {
    const request = calls.queries[query.id];
    expect(request.QueryString).toBe(query.queryString);
    expect(request.WorkGroup).toBe(withIngestion.catalog.workGroupName);
    expect(request.QueryExecutionContext).toEqual({ Database: withIngestion.catalog.databaseName });
    expect(request.ExecutionParameters).toEqual(query.parameters.map((name) => literals[name]));
  }
  expect(output).toEqual({
    runId: BATCH,
    summaryKey,
    arguments: { '--manifest_key': MANIFEST, '--run_id': BATCH, '--processed_at': processedAt },
    attempts: 1,
  });
  // notifyOnSuccess: one success message, nothing else.
  expect(calls.published).toHaveLength(1);
  expect(calls.published[0].Message).toMatchObject({ status: 'SUCCEEDED', runId: BATCH, summaryKey });
});

/** The run summary of a backfill: 100 cities for a whole year, one hourly partition per day and city. */
function yearOf100Cities(runId: string) {
  const cities = Array.from({ length: 100 }, (_, i) => `city-number-${String(i).padStart(3, '0')}`);
  const days = Array.from({ length: 365 }, (_, i) => new Date(Date.UTC(2025, 0, 1 + i)).toISOString().slice(0, 10));
  const hourly = days.flatMap((day) => cities.map((city) => WeatherContract.hourlyPartitionPrefix(day, city)));
  return {
    ...runSummary(runId),
    records_in: 876_000,
    refined: 876_000,
    quarantined: 0,
    superseded: 0,
    partitions_written: hourly.length,
    reconciled: true,
    hourly_dates: days,
    partitions: { hourly, quarantine: days.map((day) => `${WeatherContract.QUARANTINE_PREFIX}date=${day}/`) },
  };
}

/** Step Functions' quota for a state's input or output, and an execution's input (256 KiB). */
const PAYLOAD_QUOTA_BYTES = 256 * 1024;

test('the summary of a 100-city year (36,500 partitions) never enters the state: every state stays far below 256 KiB', async () => {
  const summary = yearOf100Cities(BATCH);
  expect(summary.partitions.hourly).toHaveLength(36_500);
  expect(Buffer.byteLength(JSON.stringify(summary))).toBeGreaterThan(PAYLOAD_QUOTA_BYTES);
  const { output, error, calls, events } = await execute({ scheduledTime: '2026-05-07T06:30:00Z' }, { summary: yearOf100Cities });
  expect(error).toBeUndefined();
  expect((output as any).runId).toBe(BATCH);
  expect(calls.summaryReads).toHaveLength(1);
  // What the state machine carries of the run: its date range, cities and counts.
  const literals = calls.queries['partitions-not-empty'].ExecutionParameters;
  expect(literals.slice(-4)).toEqual(["'2025-01-01'", "'2025-12-31'", `'${summary.partitions.hourly.slice(0, 100).map((p) => p.split('city=')[1].replace('/', '')).join(',')},lyon,oslo'`, "'open-meteo'"]); // + the configured cities
  const states = events.filter((e) => e.type === 'StateEntered' || e.type === 'StateExited');
  expect(states.length).toBeGreaterThan(10);
  const largest = Math.max(...states.flatMap((e) => [e.state.input, e.state.output].filter((v) => v !== undefined)
    .map((v) => Buffer.byteLength(JSON.stringify(v)))));
  // 100 slugs of 16 characters, twice (plan and parameters), plus the rest: a few KiB, whatever the run's size.
  expect(largest).toBeLessThan(16 * 1024);
  const plan = states.find((e) => e.type === 'StateExited' && e.state.name === O.STATE_PLAN_VALIDATION).state.output.validation;
  expect(plan.counts).toEqual({ records_in: 876_000, refined: 876_000, quarantined: 0, superseded: 0, partitions_written: 36_500, reconciled: true });
});

test('a run summary that cannot be read notifies and fails as RunSummaryUnreadable', async () => {
  const { error, calls } = await execute({ scheduledTime: '2026-05-07T06:30:00Z' }, {
    summary: () => { throw serviceError('NoSuchKey', 'The specified key does not exist.'); },
  });
  expect(error?.name).toBe('RunSummaryUnreadable');
  expect(calls.queries).toEqual({});
  expect(calls.published.map((m) => m.Message.error)).toEqual(['RunSummaryUnreadable']);
});

test('a Glue concurrent-runs error is retried, then the run succeeds', async () => {
  const { error, calls } = await execute({ scheduledTime: '2026-05-07T06:30:00Z' }, {
    glue: (call) => {
      if (call <= 2) {
        throw serviceError('Glue.ConcurrentRunsExceededException', 'Concurrent runs exceeded for weather-etl');
      }
      return { Id: 'jr_3', JobRunState: 'SUCCEEDED' };
    },
  });
  expect(error).toBeUndefined();
  expect(calls.glue).toHaveLength(3);
  expect(calls.published.map((m) => m.Message.status)).toEqual(['SUCCEEDED']);
});

test('the retry policy: exponential backoff on transient Glue errors only', () => {
  const retry = definition.States[O.STATE_RUN_ETL].Retry;
  expect(retry).toEqual([{
    ErrorEquals: expect.arrayContaining(['Glue.ConcurrentRunsExceededException', 'Glue.ThrottlingException']),
    IntervalSeconds: 30,
    MaxAttempts: 6,
    BackoffRate: 2,
    MaxDelaySeconds: 600,
    JitterStrategy: 'FULL',
  }]);
  expect(retry[0].ErrorEquals).not.toContain('States.TaskFailed');
  expect(retry[0].ErrorEquals).not.toContain('States.ALL');
});

/** A Glue job run that ends FAILED, as the .sync integration reports it. */
const glueRunFailed = () => serviceError('States.TaskFailed', JSON.stringify({ JobRunState: 'FAILED', ErrorMessage: 'run 20260507T063000Z does not reconcile' }));

test('a failed Glue job run is retried once (the default), then notification and Fail, naming the attempts', async () => {
  const { error, calls } = await execute({ scheduledTime: '2026-05-07T06:30:00Z' }, {
    glue: () => { throw glueRunFailed(); },
  });
  expect(calls.glue).toHaveLength(2);
  // The same run again: same run id and processing time (the ETL is idempotent).
  expect(calls.glue[1]).toEqual(calls.glue[0]);
  expect(calls.summaryReads).toHaveLength(0);
  expect(error?.name).toBe('EtlJobFailed');
  expect(error?.cause).toContain('does not reconcile');
  expect(error?.cause).toContain('The Glue job run failed after 2 attempt(s) (States.TaskFailed)');
  expect(calls.published[0].Message.cause).toContain('after 2 attempt(s)');
  expect(calls.published).toHaveLength(1);
  expect(calls.published[0].Subject).toBe('Weather pipeline run failed');
  expect(calls.published[0].Message).toMatchObject({ status: 'FAILED', error: 'EtlJobFailed' });
  expect(calls.published[0].Message.cause).toContain('does not reconcile');
});

test('a failed validation fails the run with the check and its numbers in the cause, after a notification', async () => {
  const { error, calls } = await execute({ scheduledTime: '2026-05-07T06:30:00Z' }, {
    verdict: {
      'values-in-range': {
        columns: ['passed', 'rows_checked', 'rows_out_of_range', 'temperature_c_out_of_range'],
        values: ['false', '336', '3', '3'],
      },
    },
  });
  expect(error?.name).toBe('ValidationFailed');
  expect(error?.cause).toContain('Validation values-in-range failed');
  expect(error?.cause).toContain('rows_out_of_range');
  expect(error?.cause).toContain('"VarCharValue":"3"');
  expect(calls.published.map((m) => m.Message.error)).toEqual(['ValidationFailed']);
  // The checks after the failing one do not run.
  const failing = validationIds.indexOf('values-in-range');
  expect(Object.keys(calls.queries)).toEqual(validationIds.slice(0, failing + 1));
});

test('an ingestion partial failure sends an alert and the pipeline goes on', async () => {
  const failures = [{ city: 'oslo', cityName: 'Oslo', requestUrl: 'https://api.open-meteo.com/v1/forecast?x', error: 'HTTP_503', reason: 'Service Unavailable', attempts: 4 }];
  const { output, error, calls } = await execute({ scheduledTime: '2026-05-07T06:30:00Z' }, {
    ingest: () => ({ batchId: BATCH, ingestDate: '2026-05-07', mode: 'forecast', bucket: 'landing', manifestKey: MANIFEST, citiesRequested: 2, written: 1, failed: 1, partialFailure: true, retries: 3, failures }),
  });
  expect(error).toBeUndefined();
  expect((output as any).runId).toBe(BATCH);
  expect(calls.glue).toHaveLength(1);
  expect(calls.published[0].Subject).toBe('Weather ingestion partially failed');
  expect(calls.published[0].Message).toMatchObject({ status: 'INGESTION_PARTIAL_FAILURE', batchId: BATCH, written: 1, failed: 1, failures });
  expect(calls.published.map((m) => m.Message.status)).toEqual(['INGESTION_PARTIAL_FAILURE', 'SUCCEEDED']);
});

test('an ingestion that wrote nothing (the function throws) notifies and fails', async () => {
  const { error, calls } = await execute({}, {
    ingest: () => { throw serviceError('Error', 'no city could be written'); },
  });
  expect(error?.name).toBe('IngestionFailed');
  expect(calls.glue).toHaveLength(0);
  expect(calls.published.map((m) => m.Message.error)).toEqual(['IngestionFailed']);
});

test('a hand-started backfill of a manifest skips ingestion; the run id comes from the manifest', async () => {
  const { output, error, calls } = await execute({ manifestKey: MANIFEST }, {}, `${BATCH}-rerun1`);
  expect(error).toBeUndefined();
  expect(calls.ingest).toHaveLength(0);
  expect((output as any).runId).toBe(BATCH);
  expect(calls.glue[0].Arguments['--manifest_key']).toBe(MANIFEST);
});

test('a backfill of a raw prefix takes the batch id, else the execution name, as run id', async () => {
  const rawPrefix = `${WeatherContract.LANDING_RAW_PREFIX}ingest_date=2026-05-01/`;
  const named = await execute({ rawPrefix, batchId: 'backfill-2026-05-01' });
  expect(named.calls.glue[0].Arguments).toEqual({ '--raw_prefix': rawPrefix, '--run_id': 'backfill-2026-05-01', '--processed_at': expect.stringMatching(ISO_INSTANT) });
  const unnamed = await execute({ rawPrefix }, {}, 'may-first-backfill');
  expect(unnamed.calls.glue[0].Arguments['--run_id']).toBe('may-first-backfill');
});

describe('the run starter names each execution after the run id the state machine then uses', () => {
  test.each([
    ['a scheduled run', { scheduledTime: '2026-05-07T06:30:00Z' }, MANIFEST],
    ['a manifest', { manifestKey: MANIFEST }, MANIFEST],
    ['a manifest whose key came URL-encoded', { manifestKey: MANIFEST.replace(/=/g, '%3D') }, MANIFEST],
    ['a backfill manifest', { manifestKey: WeatherContract.manifestKey('2026-05-07', 'backfill-20260501-20260506') }, WeatherContract.manifestKey('2026-05-07', 'backfill-20260501-20260506')],
    ['a manifest whose batch id has a dot', { manifestKey: WeatherContract.manifestKey('2026-05-07', 'reload.v2') }, WeatherContract.manifestKey('2026-05-07', 'reload.v2')],
  ])('%s', async (_what, event, manifestKey) => {
    const start = runStartFor(event);
    const { output, error, calls } = await execute(start.input, {}, start.name);
    expect(error).toBeUndefined();
    expect((output as any).runId).toBe(start.name);
    expect(calls.glue[0].Arguments).toMatchObject({ '--run_id': start.name, '--manifest_key': manifestKey });
  });
});

test('an input outside the contract notifies and fails, naming the contract', async () => {
  const { error, calls } = await execute({ manifestKey: 'somewhere/else.json' });
  expect(error?.name).toBe('InvalidInput');
  expect(error?.cause).toContain('manifestKey');
  expect(calls.glue).toHaveLength(0);
  expect(calls.published.map((m) => m.Message.error)).toEqual(['InvalidInput']);
});

describe('without an ingestion step (manifest-triggered)', () => {
  const manifestOnly = definitionOf(pipeline());

  test('has no ingestion state and starts by resolving the run', () => {
    expect(manifestOnly.States[O.STATE_INGEST]).toBeUndefined();
    expect(manifestOnly.StartAt).toBe('Resolve run');
    expect(aslValidator(manifestOnly).isValid).toBe(true);
  });
});

test('every Task state has a timeout, and so has the execution', () => {
  const taskStates = Object.entries<any>(definition.States).filter(([, state]) => state.Type === 'Task');
  expect(taskStates.length).toBeGreaterThanOrEqual(6 + 2 * validationIds.length);
  for (const [name, state] of taskStates) {
    expect([name, typeof state.TimeoutSeconds]).toEqual([name, 'number']);
  }
  expect(definition.TimeoutSeconds).toBe(15360); // the normal path's task timeouts (2 Glue run attempts) plus 15 minutes (pipeline-orchestrator.test.ts)
});

/** An error as AWS reports a task's timeout: a name, and a cause that is missing (`undefined`), null or not JSON. */
function errorWithCause(name: string, cause: unknown): Error {
  const error = new Error();
  error.name = name;
  (error as any).message = cause;
  return error;
}

describe('a caught error without a usable Cause still notifies, then fails with the original error name', () => {
  const firstQuery = validationIds[0];
  const kinds: Array<[string, string, string]> = [
    ['Lambda (ingestion)', O.STATE_INGEST, 'IngestionFailed'],
    ['Glue', O.STATE_RUN_ETL, 'EtlJobFailed'],
    ['Lambda (planner)', O.STATE_PLAN_VALIDATION, 'ValidationPlanningFailed'],
    ['Athena (query)', O.validationQueryState(firstQuery), 'ValidationQueryFailed'],
    ['Athena (results)', O.validationResultState(firstQuery), 'ValidationQueryFailed'],
  ];
  const causes: Array<[string, unknown, string]> = [
    ['missing', undefined, 'no cause reported'],
    ['null', null, 'no cause reported'],
    ['not JSON', 'Task timed out after 3600 {seconds', 'Task timed out after 3600 {seconds'],
  ];
  for (const [kind, state, failure] of kinds) {
    test.each(causes)(`${kind}: States.Timeout with a %s Cause`, async (_what, cause, reported) => {
      const { error, calls } = await execute({ scheduledTime: '2026-05-07T06:30:00Z' }, {
        task: { [state]: () => { throw errorWithCause('States.Timeout', cause); } },
      });
      expect(error?.name).toBe(failure);
      expect(error?.cause).toContain('(States.Timeout)');
      expect(error?.cause).toContain(reported);
      expect(calls.published).toHaveLength(1);
      expect(calls.published[0].Message).toMatchObject({ status: 'FAILED', error: failure });
      expect(calls.published[0].Message.cause).toContain('(States.Timeout)');
    });
  }
});

test('a Glue job run that fails once and then succeeds: the run succeeds', async () => {
  const { output, error, calls } = await execute({ scheduledTime: '2026-05-07T06:30:00Z' }, {
    glue: (call) => {
      if (call === 1) {
        throw glueRunFailed();
      }
      return { Id: 'jr_2', JobRunState: 'SUCCEEDED' };
    },
  });
  expect(error).toBeUndefined();
  expect(calls.glue).toHaveLength(2);
  expect((output as any).attempts).toBe(2);
  expect(calls.published.map((m) => m.Message.status)).toEqual(['SUCCEEDED']);
});

test('etlRunRetries: 0 turns the retry off; other Glue errors are never retried as failed runs', async () => {
  const noRetry = definitionOf(pipeline({ ingestion: true, props: { etlRunRetries: 0 } }));
  const once = await execute({ scheduledTime: '2026-05-07T06:30:00Z' }, { definition: noRetry, glue: () => { throw glueRunFailed(); } });
  expect(once.calls.glue).toHaveLength(1);
  expect(once.error?.name).toBe('EtlJobFailed');
  expect(once.error?.cause).toContain('after 1 attempt(s)');

  const denied = await execute({ scheduledTime: '2026-05-07T06:30:00Z' }, {
    glue: () => { throw serviceError('Glue.AccessDeniedException', 'not authorized to perform glue:StartJobRun'); },
  });
  expect(denied.calls.glue).toHaveLength(1);
  expect(denied.error?.cause).toContain('after 1 attempt(s) (Glue.AccessDeniedException): not authorized');

  const three = definitionOf(pipeline({ ingestion: true, props: { etlRunRetries: 2 } }));
  const thrice = await execute({ scheduledTime: '2026-05-07T06:30:00Z' }, { definition: three, glue: () => { throw glueRunFailed(); } });
  expect(thrice.calls.glue).toHaveLength(3);
  expect(thrice.calls.published[0].Message.cause).toContain('after 3 attempt(s)');
});

test('a configured city that did not arrive is still expected: the partitions check gets every configured city', async () => {
  const onlyLyon = (runId: string) => {
    const summary = runSummary(runId);
    return { ...summary, partitions: { ...summary.partitions, hourly: summary.partitions.hourly.filter((p) => p.includes('city=lyon')) } };
  };
  const { calls } = await execute({ scheduledTime: '2026-05-07T06:30:00Z' }, { summary: onlyLyon });
  expect(calls.queries['partitions-not-empty'].ExecutionParameters.slice(-2, -1)).toEqual(["'lyon,oslo'"]);
});

// Issue 18: the daily layer is validated after every run, over the run's days, like the hourly table.
test('the daily layer is validated over the run\'s days; an inconsistent day fails the run naming it', async () => {
  expect(validationIds).toContain('daily-consistent');
  const ok = await execute({ scheduledTime: '2026-05-07T06:30:00Z' });
  expect(ok.error).toBeUndefined();
  const daily = withIngestion.catalog.validationQueries.find((q) => q.id === 'daily-consistent')!;
  expect(ok.calls.queries['daily-consistent'].QueryString).toBe(daily.queryString);
  // The run's first and last UTC day from its summary, for the hourly rows and then for the daily rows.
  expect(ok.calls.queries['daily-consistent'].ExecutionParameters).toEqual(["'2026-05-06'", "'2026-05-08'", "'2026-05-06'", "'2026-05-08'"]);
  const { error, calls } = await execute({ scheduledTime: '2026-05-07T06:30:00Z' }, {
    verdict: {
      'daily-consistent': {
        columns: ['passed', 'days_checked', 'inconsistent_days', 'inconsistent_day_list'],
        values: ['false', '6', '1', '2026-05-07/lyon: hours_present differs from the hourly row count'],
      },
    },
  });
  expect(error?.name).toBe('ValidationFailed');
  expect(error?.cause).toContain('Validation daily-consistent failed');
  expect(error?.cause).toContain('2026-05-07/lyon: hours_present differs from the hourly row count');
  expect(calls.published.map((m) => m.Message.error)).toEqual(['ValidationFailed']);
});

/*
 * The faults issue #16 lists, each run to its end state: Succeed only when the data is valid, otherwise a
 * notification (with the original error in its message) and Fail.
 */
describe('faults: every failure reaches a person, with the original error', () => {
  const scheduled = { scheduledTime: '2026-05-07T06:30:00Z' };
  const firstQuery = validationIds[0];
  const lastQuery = validationIds[validationIds.length - 1];

  /** A handler that throws `error()` on its first `times` calls (every call when `times` is undefined), then returns `then()`. */
  function failing(error: () => Error, times?: number, then?: () => any) {
    let calls = 0;
    const handler = (_request: any) => {
      calls++;
      if (times === undefined || calls <= times) {
        throw error();
      }
      return then!();
    };
    return Object.assign(handler, { calls: () => calls });
  }

  /** The one failure message the run published, checked against the error the execution ended with. */
  function theFailureMessage(result: Awaited<ReturnType<typeof execute>>, error: string) {
    expect(result.output).toBeUndefined();
    expect(result.error?.name).toBe(error);
    const failures = result.calls.published.filter((m) => m.Message.status === 'FAILED');
    expect(failures).toHaveLength(1);
    expect(failures[0].Subject).toBe('Weather pipeline run failed');
    expect(failures[0].Message).toMatchObject({ status: 'FAILED', error, cause: result.error?.cause, execution: expect.stringContaining(':exec-1') });
    expect(result.calls.published.map((m) => m.Message.status)).not.toContain('SUCCEEDED');
    return failures[0].Message;
  }

  describe('Glue', () => {
    test('throttled until its retries run out: 1 + 6 calls, then EtlJobFailed after 1 attempt (throttling is not a failed run)', async () => {
      const throttled = failing(() => serviceError('Glue.ThrottlingException', 'Rate exceeded'));
      const result = await execute(scheduled, { task: { [O.STATE_RUN_ETL]: throttled } });
      expect(throttled.calls()).toBe(7);
      const message = theFailureMessage(result, 'EtlJobFailed');
      expect(message.cause).toBe('The Glue job run failed after 1 attempt(s) (Glue.ThrottlingException): Rate exceeded');
      expect(result.calls.summaryReads).toHaveLength(0);
    });

    test('a non-transient error (the job does not exist) is neither retried nor re-run: EtlJobFailed, notified', async () => {
      const missing = failing(() => serviceError('Glue.EntityNotFoundException', 'Job weather-etl not found'));
      const result = await execute(scheduled, { task: { [O.STATE_RUN_ETL]: missing } });
      expect(missing.calls()).toBe(1);
      const message = theFailureMessage(result, 'EtlJobFailed');
      expect(message.cause).toBe('The Glue job run failed after 1 attempt(s) (Glue.EntityNotFoundException): Job weather-etl not found');
      expect(message.input).toEqual(scheduled);
    });
  });

  describe('Athena', () => {
    const queryFailed = () => serviceError('States.TaskFailed', JSON.stringify({
      QueryExecution: { Status: { State: 'FAILED', StateChangeReason: 'COLUMN_NOT_FOUND: line 3:10: Column \'city\' cannot be resolved' } },
    }));

    test('a query that fails: ValidationQueryFailed with Athena\'s reason; the later checks do not run', async () => {
      const result = await execute(scheduled, { task: { [O.validationQueryState(firstQuery)]: failing(queryFailed) } });
      const message = theFailureMessage(result, 'ValidationQueryFailed');
      expect(message.cause).toContain('A validation query could not run (States.TaskFailed): ');
      expect(message.cause).toContain('COLUMN_NOT_FOUND');
      expect(Object.keys(result.calls.queries)).toEqual([]);
    });

    test.each([
      ['the query', O.validationQueryState(lastQuery), () => ({ QueryExecution: { QueryExecutionId: `q-${lastQuery}`, Status: { State: 'SUCCEEDED' } } })],
      ['reading its verdict', O.validationResultState(lastQuery), () => resultSet(['passed', 'rows_checked'], ['true', '336'])],
    ])('throttled while %s, then recovered: the run succeeds', async (_what, state, real) => {
      const throttled = failing(() => serviceError('Athena.TooManyRequestsException', 'Rate exceeded'), 2, real);
      const result = await execute(scheduled, { task: { [state]: throttled } });
      expect(result.error).toBeUndefined();
      expect(throttled.calls()).toBe(3);
      expect(result.calls.published.map((m) => m.Message.status)).toEqual(['SUCCEEDED']);
    });

    test.each([
      ['the query', (id: string) => O.validationQueryState(id)],
      ['reading its verdict', (id: string) => O.validationResultState(id)],
    ])('throttled while %s until the retries run out: 1 + 5 calls, ValidationQueryFailed, notified', async (_what, state) => {
      const throttled = failing(() => serviceError('Athena.TooManyRequestsException', 'Rate exceeded'));
      const result = await execute(scheduled, { task: { [state(firstQuery)]: throttled } });
      expect(throttled.calls()).toBe(6);
      const message = theFailureMessage(result, 'ValidationQueryFailed');
      expect(message.cause).toBe('A validation query could not run (Athena.TooManyRequestsException): Rate exceeded');
    });
  });

  describe('verdict rows', () => {
    /** The result of the first check, as Athena returns it. */
    const verdict = (rows: Array<Array<string | undefined>>) => ({
      [O.validationResultState(firstQuery)]: () => ({
        ResultSet: { Rows: rows.map((cells) => ({ Data: cells.map((v) => (v === undefined ? {} : { VarCharValue: v })) })), ResultSetMetadata: {} },
      }),
    });

    test('no data row (the header only): ValidationFailed, "returned no row", notified', async () => {
      const result = await execute(scheduled, { task: verdict([['passed', 'expected_partitions']]) });
      const message = theFailureMessage(result, 'ValidationFailed');
      expect(message.cause).toBe(`Validation ${firstQuery} returned no row: [{"Data":[{"VarCharValue":"passed"},{"VarCharValue":"expected_partitions"}]}]`);
    });

    test('no row at all, not even the header: ValidationFailed, "returned no row", notified', async () => {
      const result = await execute(scheduled, { task: verdict([]) });
      const message = theFailureMessage(result, 'ValidationFailed');
      expect(message.cause).toBe(`Validation ${firstQuery} returned no row: []`);
    });

    test('a NULL verdict (passed has no value): ValidationFailed with the row, notified', async () => {
      const result = await execute(scheduled, { task: verdict([['passed', 'expected_partitions'], [undefined, '6']]) });
      const message = theFailureMessage(result, 'ValidationFailed');
      expect(message.cause).toBe(`Validation ${firstQuery} failed: ["passed","expected_partitions"] = [{},{"VarCharValue":"6"}]`);
      expect(Object.keys(result.calls.queries)).toEqual([firstQuery]);
    });

    test.each([
      ['the first column is not passed', [['rows_checked', 'passed'], ['true', 'true']]],
      ['a verdict that is not "true" or "false"', [['passed', 'rows_checked'], ['TRUE', '336']]],
      ['a data row with no cell', [['passed'], []]],
      ['a header with no column name', [[undefined], ['true']]],
    ])('malformed: %s: ValidationFailed, notified', async (_what, rows) => {
      const result = await execute(scheduled, { task: verdict(rows as Array<Array<string | undefined>>) });
      const message = theFailureMessage(result, 'ValidationFailed');
      expect(message.cause).toContain(`Validation ${firstQuery} failed: `);
    });
  });

  describe('Lambda', () => {
    const ingested = () => ({ batchId: BATCH, ingestDate: '2026-05-07', mode: 'forecast', bucket: 'landing', manifestKey: MANIFEST, citiesRequested: 2, written: 2, failed: 0, partialFailure: false, retries: 0, failures: [] });
    const planned = (request: any) => planRun(request, async (_bucket, key) => JSON.stringify(runSummary(key.split('/').pop()!.replace(/\.json$/, ''))));

    test.each([
      ['the ingestion', O.STATE_INGEST, 'Lambda.ServiceException', () => ingested()],
      ['the planner', O.STATE_PLAN_VALIDATION, 'Lambda.TooManyRequestsException', planned],
    ])('%s: a Lambda service exception, then recovered: the run succeeds', async (_what, state, name, real) => {
      let call = 0;
      const flaky = (request: any) => {
        call++;
        if (call <= 3) {
          throw serviceError(name, 'Rate exceeded');
        }
        return real(request);
      };
      const result = await execute(scheduled, { task: { [state]: flaky } });
      expect(result.error).toBeUndefined();
      expect(call).toBe(4);
      expect(result.calls.published.map((m) => m.Message.status)).toEqual(['SUCCEEDED']);
    });

    test.each([
      ['the ingestion', O.STATE_INGEST, 'IngestionFailed', 'The ingestion function failed'],
      ['the planner', O.STATE_PLAN_VALIDATION, 'ValidationPlanningFailed', 'The validation parameters could not be computed'],
    ])('%s: Lambda service exceptions until the retries run out: 1 + 6 calls, then notified and failed', async (_what, state, failure, what) => {
      const down = failing(() => serviceError('Lambda.ServiceException', 'Lambda is unavailable'));
      const result = await execute(scheduled, { task: { [state]: down } });
      expect(down.calls()).toBe(7);
      const message = theFailureMessage(result, failure);
      expect(message.cause).toBe(`${what} (Lambda.ServiceException): Lambda is unavailable`);
    });
  });

  describe('the planner and the run summary', () => {
    test('the planner fails (a monthly summary without hourly_dates): ValidationPlanningFailed with its message, no query runs', async () => {
      const monthly = (runId: string) => ({ run_id: runId, processed_at: START, partitions: { hourly: [`${WeatherContract.REFINED_HOURLY_PREFIX}month=2026-05/city=lyon/`] } });
      const result = await execute(scheduled, { summary: monthly });
      const message = theFailureMessage(result, 'ValidationPlanningFailed');
      expect(message.cause).toContain('The validation parameters could not be computed (Error): ');
      expect(message.cause).toContain(`run ${BATCH}: the run summary lists monthly hourly partitions but no hourly_dates`);
      expect(result.calls.queries).toEqual({});
    });

    test('a missing run summary: RunSummaryUnreadable naming the key, notified', async () => {
      const result = await execute(scheduled, { summary: () => { throw serviceError('NoSuchKey', 'The specified key does not exist.'); } });
      const message = theFailureMessage(result, 'RunSummaryUnreadable');
      expect(message.cause).toContain('The ETL run summary could not be read (RunSummaryUnreadable): ');
      expect(message.cause).toContain(`${WeatherContract.RUN_SUMMARY_PREFIX}date=`);
      expect(message.cause).toContain('The specified key does not exist.');
    });

    test('an unreadable run summary (not JSON): RunSummaryUnreadable with the parse error, notified', async () => {
      const result = await execute(scheduled, { task: { [O.STATE_PLAN_VALIDATION]: (event) => planRun(event, async () => '{"run_id": "2026050') } });
      const message = theFailureMessage(result, 'RunSummaryUnreadable');
      expect(message.cause).toContain('could not be read: ');
      expect(message.cause).toMatch(/JSON/);
      expect(result.calls.queries).toEqual({});
    });

    test('a run summary that names nothing: ValidationPlanningFailed, notified', async () => {
      const result = await execute(scheduled, { summary: (runId) => ({ run_id: runId }) });
      const message = theFailureMessage(result, 'ValidationPlanningFailed');
      expect(message.cause).toContain(`run ${BATCH}: the run summary names no partition and no processed_at date`);
    });
  });

  describe('SNS', () => {
    test('SNS failing during the failure notification: retried 3 times, then the execution still fails with the original error', async () => {
      const snsDown = failing(() => serviceError('SNS.KMSAccessDeniedException', 'The ciphertext refers to a customer master key that does not exist'));
      const result = await execute(scheduled, {
        glue: () => { throw serviceError('Glue.EntityNotFoundException', 'Job weather-etl not found'); },
        task: { [O.STATE_NOTIFY_FAILURE]: snsDown },
      });
      expect(snsDown.calls()).toBe(4);
      expect(result.output).toBeUndefined();
      expect(result.error?.name).toBe('EtlJobFailed');
      expect(result.error?.cause).toContain('The Glue job run failed after 1 attempt(s) (Glue.EntityNotFoundException): Job weather-etl not found');
      // The execution's own failure says the notification was lost, and why (what a person finds in the console
      // and in the ExecutionsFailed alarm of the monitoring).
      expect(result.error?.cause).toContain('the failure notification could not be sent (SNS.KMSAccessDeniedException): The ciphertext refers to a customer master key');
    });

    test('SNS timing out, without a cause, during the failure notification: the execution fails with the original error', async () => {
      const result = await execute(scheduled, {
        glue: () => { throw serviceError('Glue.EntityNotFoundException', 'Job weather-etl not found'); },
        task: { [O.STATE_NOTIFY_FAILURE]: () => { throw errorWithCause('States.Timeout', undefined); } },
      });
      expect(result.error?.name).toBe('EtlJobFailed');
      expect(result.error?.cause).toBe('The Glue job run failed after 1 attempt(s) (Glue.EntityNotFoundException): Job weather-etl not found '
        + '(the failure notification could not be sent (States.Timeout): no cause reported)');
    });

    test('SNS failing for the success notification: the run still succeeds', async () => {
      const result = await execute(scheduled, { task: { [O.STATE_NOTIFY_SUCCESS]: failing(() => serviceError('SNS.ThrottledException', 'Rate exceeded')) } });
      expect(result.error).toBeUndefined();
      expect((result.output as any).runId).toBe(BATCH);
    });

    test('SNS failing for the partial-ingestion alert: the batch is processed anyway', async () => {
      const partial = () => ({ batchId: BATCH, ingestDate: '2026-05-07', mode: 'forecast', bucket: 'landing', manifestKey: MANIFEST, citiesRequested: 2, written: 1, failed: 1, partialFailure: true, retries: 3, failures: [] });
      const alert = failing(() => serviceError('SNS.ThrottledException', 'Rate exceeded'));
      const result = await execute(scheduled, { ingest: partial, task: { [O.STATE_ALERT_PARTIAL_INGESTION]: alert } });
      expect(alert.calls()).toBe(4);
      expect(result.error).toBeUndefined();
      expect(result.calls.glue).toHaveLength(1);
    });
  });
});

describe('an execution timeout', () => {
  test('the interpreter stops the execution at TimeoutSeconds: no state of the definition can notify', async () => {
    // The synthesized definition with a 1-second execution timeout, and a Glue run that takes longer.
    const short = { ...definition, TimeoutSeconds: 1 };
    const result = await execute({ scheduledTime: '2026-05-07T06:30:00Z' }, {
      definition: short,
      glue: () => new Promise((resolve) => setTimeout(() => resolve({ Id: 'jr_1', JobRunState: 'SUCCEEDED' }), 2_000)),
    });
    expect(result.output).toBeUndefined();
    expect((result.error?.raw as Error).name).toBe('ExecutionTimeoutError');
    expect(result.calls.glue).toHaveLength(1);
    expect(result.calls.published).toEqual([]);
  });

  test('so the stopped-executions rule tells the topic: its message for a TIMED_OUT event names the status, the execution and its input', () => {
    const template = templateOf(withIngestion);
    const machineId = withIngestion.stack.getLogicalId(withIngestion.orchestrator.stateMachine.node.defaultChild as any);
    const topicId = withIngestion.stack.getLogicalId(withIngestion.orchestrator.notificationTopic.node.defaultChild as any);
    const rules = Object.values<any>(template.findResources('AWS::Events::Rule'))
      .filter((rule) => JSON.stringify(rule.Properties.EventPattern?.detail?.stateMachineArn) === JSON.stringify([{ Ref: machineId }]));
    expect(rules).toHaveLength(1);
    const pattern = rules[0].Properties.EventPattern;
    expect(pattern.detail.status).toContain('TIMED_OUT');
    const target = rules[0].Properties.Targets[0];
    expect(target.Arn).toEqual({ Ref: topicId });
    // The event Step Functions sends when an execution times out (its error and cause are null).
    const executionArn = 'arn:aws:states:eu-west-1:123456789012:execution:Pipeline:20260507T063000Z';
    const event = {
      'source': 'aws.states',
      'detail-type': 'Step Functions Execution Status Change',
      'detail': { executionArn, stateMachineArn: 'arn', name: BATCH, status: 'TIMED_OUT', error: null, cause: null, input: '{"scheduledTime":"2026-05-07T06:30:00Z"}' },
    };
    expect(pattern.source).toContain(event.source);
    expect(pattern['detail-type']).toContain(event['detail-type']);
    const message = JSON.parse(inputTransform(target.InputTransformer, event));
    expect(message).toEqual({ status: 'TIMED_OUT', error: null, cause: null, execution: executionArn, input: event.detail.input });
  });
});

/** What EventBridge sends the target: the template with each `<name>` replaced by the JSON value at its path. */
function inputTransform(transformer: { InputPathsMap: { [name: string]: string }; InputTemplate: string }, event: any): string {
  let text = transformer.InputTemplate;
  for (const [name, path] of Object.entries(transformer.InputPathsMap)) {
    const value = path.replace(/^\$\./, '').split('.').reduce((node, key) => (node === undefined || node === null ? undefined : node[key]), event);
    text = text.split(`<${name}>`).join(JSON.stringify(value ?? null));
  }
  return text;
}

describe('a configured city with no data for the run\'s dates', () => {
  const scheduled = { scheduledTime: '2026-05-07T06:30:00Z' };
  /** The run summary of a run that wrote Lyon only (Oslo could not be fetched). */
  const onlyLyon = (runId: string) => {
    const summary = runSummary(runId);
    return { ...summary, partitions: { ...summary.partitions, hourly: summary.partitions.hourly.filter((p) => p.includes('city=lyon')) } };
  };
  /** The city slugs literal a partitions-not-empty request was given. */
  const citiesOf = (request: any) => {
    const check = withIngestion.catalog.validationQueries.find((q) => q.id === 'partitions-not-empty')!;
    expect(check.parameters.filter((name) => name === 'citySlugs')).toHaveLength(1);
    return request.ExecutionParameters[check.parameters.indexOf('citySlugs')];
  };
  const osloEmpty = {
    columns: ['passed', 'expected_partitions', 'empty_partitions', 'empty_partition_list', 'min_rows_per_partition'],
    values: ['false', '6', '3', '2026-05-06/oslo,2026-05-07/oslo,2026-05-08/oslo', '0'],
  };

  test('FAIL (the default): the run fails, notified, naming the empty partitions of the city', async () => {
    expect(definition.States[STATE_CHECK_MISSING_CITIES]).toBeUndefined();
    const result = await execute(scheduled, { summary: onlyLyon, verdict: { 'partitions-not-empty': osloEmpty } });
    expect(result.error?.name).toBe('ValidationFailed');
    expect(result.error?.cause).toContain('Validation partitions-not-empty failed: ');
    expect(result.error?.cause).toContain('2026-05-06/oslo,2026-05-07/oslo,2026-05-08/oslo');
    expect(citiesOf(result.calls.queries['partitions-not-empty'])).toBe("'lyon,oslo'");
    expect(result.calls.published.map((m) => m.Message.status)).toEqual(['FAILED']);
    expect(result.calls.published[0].Message.cause).toContain('2026-05-06/oslo');
  });

  describe('ALERT', () => {
    const alertOnly = pipeline({ ingestion: true, props: { notifyOnSuccess: true, missingCityAction: MissingCityAction.ALERT } });
    const alertDefinition = definitionOf(alertOnly);

    test('the definition passes asl-validator', () => {
      const { isValid, errorsText } = aslValidator(alertDefinition);
      expect(errorsText('\n')).toBe('');
      expect(isValid).toBe(true);
    });

    test('the checks expect the cities the run wrote; the others are checked after them, and no data only alerts: the run succeeds', async () => {
      const result = await execute(scheduled, { definition: alertDefinition, summary: onlyLyon, verdict: { [MISSING_CITIES]: osloEmpty } });
      expect(result.error).toBeUndefined();
      expect((result.output as any).runId).toBe(BATCH);
      // Every check ran on Lyon; the missing cities check is partitions-not-empty on Oslo.
      expect(Object.keys(result.calls.queries)).toEqual([...validationIds, MISSING_CITIES]);
      expect(citiesOf(result.calls.queries['partitions-not-empty'])).toBe("'lyon'");
      const check = alertOnly.catalog.validationQueries.find((q) => q.id === 'partitions-not-empty')!;
      expect(result.calls.queries[MISSING_CITIES].QueryString).toBe(check.queryString);
      const cityIndex = check.parameters.indexOf('citySlugs');
      expect(result.calls.queries[MISSING_CITIES].ExecutionParameters).toEqual(
        result.calls.queries['partitions-not-empty'].ExecutionParameters.map((value: string, i: number) => (i === cityIndex ? "'oslo'" : value)));
      // The alert, then the success.
      expect(result.calls.published.map((m) => m.Message.status)).toEqual(['CITIES_MISSING', 'SUCCEEDED']);
      const alert = result.calls.published[0];
      expect(alert.Subject).toBe('Weather pipeline: configured cities without data');
      expect(alert.Message).toMatchObject({
        status: 'CITIES_MISSING',
        runId: BATCH,
        firstDate: '2026-05-06',
        lastDate: '2026-05-08',
        citiesNotWritten: 'oslo',
        check: 'partitions-not-empty',
        execution: expect.stringContaining(':exec-1'),
      });
      expect(alert.Message.verdict).toContain('2026-05-06/oslo,2026-05-07/oslo,2026-05-08/oslo');
    });

    test('a city the run did not write but an earlier run did (its partitions hold rows): no alert', async () => {
      const result = await execute(scheduled, { definition: alertDefinition, summary: onlyLyon });
      expect(result.error).toBeUndefined();
      expect(result.calls.queries[MISSING_CITIES]).toBeDefined();
      expect(result.calls.published.map((m) => m.Message.status)).toEqual(['SUCCEEDED']);
    });

    test('every configured city written: the missing cities check does not run', async () => {
      const result = await execute(scheduled, { definition: alertDefinition });
      expect(result.error).toBeUndefined();
      expect(Object.keys(result.calls.queries)).toEqual(validationIds);
    });

    test('a check that fails on the cities the run wrote still fails the run, before the missing cities are checked', async () => {
      const result = await execute(scheduled, {
        definition: alertDefinition,
        summary: onlyLyon,
        verdict: { 'no-duplicate-hours': { columns: ['passed', 'duplicated_hours', 'extra_rows'], values: ['false', '2', '2'] } },
      });
      expect(result.error?.name).toBe('ValidationFailed');
      expect(result.calls.queries[MISSING_CITIES]).toBeUndefined();
      expect(result.calls.published.map((m) => m.Message.status)).toEqual(['FAILED']);
    });

    test('a run that wrote no city at all is checked as with FAIL: every configured city is expected, an empty one fails the run', async () => {
      const nothing = (runId: string) => ({ ...runSummary(runId), partitions: { hourly: [], quarantine: [`${WeatherContract.QUARANTINE_PREFIX}date=2026-05-07/`] } });
      const empty = { columns: osloEmpty.columns, values: ['false', '2', '2', '2026-05-07/lyon,2026-05-07/oslo', '0'] };
      const result = await execute(scheduled, { definition: alertDefinition, summary: nothing, verdict: { 'partitions-not-empty': empty } });
      expect(citiesOf(result.calls.queries['partitions-not-empty'])).toBe("'lyon,oslo'");
      expect(result.error?.name).toBe('ValidationFailed');
      expect(result.calls.published.map((m) => m.Message.status)).toEqual(['FAILED']);
    });

    test('the missing cities query failing fails the run, notified', async () => {
      const result = await execute(scheduled, {
        definition: alertDefinition,
        summary: onlyLyon,
        task: { [STATE_CHECK_MISSING_CITIES]: () => { throw serviceError('Athena.InvalidRequestException', 'Database not found'); } },
      });
      expect(result.error?.name).toBe('ValidationQueryFailed');
      expect(result.calls.published.map((m) => m.Message.error)).toEqual(['ValidationQueryFailed']);
    });

    test('SNS failing for the alert: the run still succeeds', async () => {
      const result = await execute(scheduled, {
        definition: alertDefinition,
        summary: onlyLyon,
        verdict: { [MISSING_CITIES]: osloEmpty },
        task: { [O.STATE_ALERT_MISSING_CITIES]: () => { throw serviceError('SNS.ThrottledException', 'Rate exceeded'); } },
      });
      expect(result.error).toBeUndefined();
      expect(result.calls.published.map((m) => m.Message.status)).toEqual(['SUCCEEDED']);
    });
  });
});

test('every verdict Choice compares only paths an earlier rule showed present (a missing path is an uncatchable States.Runtime)', () => {
  const alertDefinition = definitionOf(pipeline({ ingestion: true, props: { missingCityAction: MissingCityAction.ALERT } }));
  const judges = [...Object.entries<any>(definition.States), ...Object.entries<any>(alertDefinition.States)]
    .filter(([name, state]) => state.Type === 'Choice' && name.startsWith('Judge '));
  expect(judges.length).toBe(2 * validationIds.length + 1);
  for (const [name, state] of judges) {
    const shownPresent = new Set<string>();
    for (const rule of state.Choices) {
      const comparisons = (rule.And ?? [rule]).filter((r: any) => r.Not === undefined && r.IsPresent === undefined);
      for (const comparison of comparisons) {
        expect([name, comparison.Variable, shownPresent.has(comparison.Variable)]).toEqual([name, comparison.Variable, true]);
      }
      if (rule.Not?.IsPresent === true) {
        shownPresent.add(rule.Not.Variable);
      }
    }
  }
});
