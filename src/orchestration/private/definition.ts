import { Duration, Stack, Token } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { RUN_SUMMARY_UNREADABLE } from './validation-plan';
import { IAthenaCatalog } from '../../catalog/athena-catalog';
import { ValidationQuery } from '../../catalog/catalog-query';
import { WeatherContract } from '../../contract/weather-contract';
import { GlueEtlJob, IGlueEtlJob } from '../../etl/glue-etl-job';
import { IWeatherIngestion } from '../../ingestion/ingestion-interface';
import { MissingCityAction } from '../missing-city-action';

/** The names of the states other code and tests refer to (`PipelineOrchestrator.STATE_*` are these). */
export const STATE = {
  ingest: 'Ingest weather',
  runEtl: 'Run ETL job',
  planValidation: 'Plan validation',
  notifyFailure: 'Notify failure',
  alertPartialIngestion: 'Alert partial ingestion',
  notifySuccess: 'Notify success',
  checkMissingCities: 'Check missing cities',
  readMissingCitiesVerdict: 'Read missing cities verdict',
  alertMissingCities: 'Alert missing cities',
  failed: 'Pipeline failed',
  succeeded: 'Pipeline succeeded',
} as const;

/** Name of the Task state that runs a validation query. */
export function validationQueryState(queryId: string): string {
  return `Validate ${queryId}`;
}

/** Name of the Task state that reads a validation query's verdict. */
export function validationResultState(queryId: string): string {
  return `Read ${queryId} verdict`;
}

/** What the state machine definition is built from. */
export interface RunDefinitionInput {
  readonly etlJob: IGlueEtlJob;
  readonly catalog: IAthenaCatalog;
  readonly ingestion?: IWeatherIngestion;
  readonly notificationTopic: sns.ITopic;
  readonly validationPlanFunction: lambda.IFunction;
  readonly notifyOnSuccess: boolean;
  readonly etlTimeout: Duration;
  readonly queryTimeout: Duration;
  /** How many times a Glue job run that ends FAILED is started again. */
  readonly etlRunRetries: number;
  /** What a configured city without data does to the run. */
  readonly missingCityAction: MissingCityAction;
}

/** The validation query that checks the configured cities (run apart on the missing ones with `MissingCityAction.ALERT`). */
export const MISSING_CITY_CHECK = 'partitions-not-empty';

/** Glue API errors worth retrying: they say "not now", not "this run is broken". */
const GLUE_TRANSIENT_ERRORS = [
  'Glue.ConcurrentRunsExceededException',
  'Glue.ThrottlingException',
  'Glue.InternalServiceException',
  'Glue.OperationTimeoutException',
  'Glue.ResourceNumberLimitExceededException',
];
const LAMBDA_TRANSIENT_ERRORS = [
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
  'Lambda.ClientExecutionTimeoutException',
];
const ATHENA_TRANSIENT_ERRORS = ['Athena.TooManyRequestsException', 'Athena.InternalServerException'];
const LAMBDA_RETRY: sfn.RetryProps = {
  errors: LAMBDA_TRANSIENT_ERRORS, interval: Duration.seconds(2), maxAttempts: 6, backoffRate: 2, jitterStrategy: sfn.JitterType.FULL,
};
const ATHENA_RETRY: sfn.RetryProps = {
  errors: ATHENA_TRANSIENT_ERRORS, interval: Duration.seconds(5), maxAttempts: 5, backoffRate: 2, jitterStrategy: sfn.JitterType.FULL,
};

/** Timeout of the ingestion state beyond the function's own: its start-up. */
const INGEST_SLACK = Duration.minutes(1);
/** Timeout of the planner, of reading a query's verdict, of a notification. */
const PLAN_TIMEOUT = Duration.seconds(60);
const READ_VERDICT_TIMEOUT = Duration.seconds(60);
const NOTIFY_TIMEOUT = Duration.seconds(60);

/** One part of the time budget of a run's normal path. */
export interface BudgetPart {
  /** What it is, naming the prop that sets it. */
  readonly what: string;
  readonly seconds: number;
}

/**
 * The task timeouts on the longest normal path (no retries) other than the Glue run's: ingestion and its partial-failure
 * alert, the planner, each validation query and the read of its verdict, the final notification. The Glue run adds
 * `etlTimeout` (its state's own timeout is a backstop after Glue has stopped the run).
 */
export function budgetWithoutEtl(ingestion: IWeatherIngestion | undefined, queryCount: number, queryTimeout: Duration,
  missingCityAction: MissingCityAction = MissingCityAction.FAIL): BudgetPart[] {
  const parts: BudgetPart[] = [];
  if (ingestion !== undefined) {
    // A timeout only known at deploy time counts as Lambda's longest, 15 minutes.
    const timeout = Token.isUnresolved(ingestion.timeout.toString()) ? Duration.minutes(15) : ingestion.timeout;
    parts.push({
      what: `ingestion (its timeout ${timeout.toHumanString()} + ${INGEST_SLACK.toHumanString()}, and a ${NOTIFY_TIMEOUT.toHumanString()} alert)`,
      seconds: seconds(timeout) + seconds(INGEST_SLACK) + seconds(NOTIFY_TIMEOUT),
    });
  }
  parts.push({
    what: `${queryCount} validation queries × (queryTimeout ${queryTimeout.toHumanString()} + ${READ_VERDICT_TIMEOUT.toHumanString()} to read the verdict)`,
    seconds: queryCount * (seconds(queryTimeout) + seconds(READ_VERDICT_TIMEOUT)),
  });
  if (missingCityAction === MissingCityAction.ALERT) {
    parts.push({
      what: `the missing cities check (queryTimeout ${queryTimeout.toHumanString()} + ${READ_VERDICT_TIMEOUT.toHumanString()} to read the verdict, and a ${NOTIFY_TIMEOUT.toHumanString()} alert)`,
      seconds: seconds(queryTimeout) + seconds(READ_VERDICT_TIMEOUT) + seconds(NOTIFY_TIMEOUT),
    });
  }
  parts.push({
    what: `the rest (planning ${PLAN_TIMEOUT.toHumanString()}, notification ${NOTIFY_TIMEOUT.toHumanString()})`,
    seconds: seconds(PLAN_TIMEOUT) + seconds(NOTIFY_TIMEOUT),
  });
  return parts;
}

/** Step Functions timeouts are whole seconds. */
export function seconds(duration: Duration): number {
  return duration.toSeconds({ integral: true });
}

/**
 * The orchestrator's state machine definition: (optionally) ingest → resolve the run → Glue ETL (`.sync`) → read the
 * run summary → plan and run the validation queries → succeed, or notify and fail (see `PipelineOrchestrator`).
 */
export function buildRunDefinition(scope: Construct, input: RunDefinitionInput): sfn.IChainable {
  const failed = new sfn.Fail(scope, STATE.failed, { errorPath: '$.failure.error', causePath: '$.failure.cause' });
  // A failed notification must not hide the failure it reports: the run fails with its error, and its cause says
  // that nobody was told, and why (the console, the execution history and the ExecutionsFailed alarm show it).
  const lost = (name: string, why: string) => new sfn.Pass(scope, name, {
    resultPath: '$.failure',
    parameters: {
      error: sfn.JsonPath.stringAt('$.failure.error'),
      cause: sfn.JsonPath.stringAt(`States.Format('{} (the failure notification could not be sent ({}): {})', $.failure.cause, $.notificationError.Error, ${why})`),
    },
  }).next(failed);
  const lostWithoutCause = lost('Failure notification lost (no cause)', '\'no cause reported\'');
  const notificationLost = new sfn.Choice(scope, 'Failure notification lost')
    .when(sfn.Condition.not(sfn.Condition.isPresent('$.notificationError.Cause')), lostWithoutCause)
    .when(sfn.Condition.isString('$.notificationError.Cause'), lost('Failure notification lost (cause)', '$.notificationError.Cause'))
    .otherwise(lostWithoutCause);
  const notifyFailure = notify(scope, STATE.notifyFailure, input.notificationTopic, 'Weather pipeline run failed', {
    status: 'FAILED',
    error: sfn.JsonPath.stringAt('$.failure.error'),
    cause: sfn.JsonPath.stringAt('$.failure.cause'),
    execution: sfn.JsonPath.executionId,
    input: sfn.JsonPath.objectAt('$$.Execution.Input'),
  }, failed, '$.notificationError', notificationLost);

  /** A Pass state that records why the run failed, then notifies. */
  const failure = (name: string, error: string, cause: string) =>
    new sfn.Pass(scope, name, {
      resultPath: '$.failure',
      parameters: { error, cause: sfn.JsonPath.stringAt(cause) },
    }).next(notifyFailure);
  /**
   * A caught error: its name and, when AWS reported one, its cause. Some errors (a task's timeout among them) come
   * with no `Cause`, or a null one: reading `$.error.Cause` would then fail the Pass state and lose the error.
   * The cause is used as a string, never parsed, so a cause that is not JSON is reported as it is.
   */
  const caught = (name: string, error: string, what: string, whatArgs: string[] = []) => {
    const args = whatArgs.map((arg) => `${arg}, `).join('');
    const withoutCause = failure(`${name} (no cause)`, error, `States.Format('${what} ({}): no cause reported', ${args}$.error.Error)`);
    return new sfn.Choice(scope, name)
      // Not(IsPresent), not IsPresent: false, which the ASL interpreter the tests run on never matches.
      .when(sfn.Condition.not(sfn.Condition.isPresent('$.error.Cause')), withoutCause)
      .when(sfn.Condition.isString('$.error.Cause'),
        failure(`${name} (cause)`, error, `States.Format('${what} ({}): {}', ${args}$.error.Error, $.error.Cause)`))
      .otherwise(withoutCause);
  };

  // Resolve the run: run id, Glue arguments and where the run summary will be.
  // A CustomState: the L2 GlueStartJobRun maps its timeout to the job run's Timeout only, and this state needs
  // both (Glue stops the run first; the state's TimeoutSeconds is the backstop).
  const runEtl = new sfn.CustomState(scope, STATE.runEtl, {
    stateJson: {
      Type: 'Task',
      Resource: `arn:${Stack.of(scope).partition}:states:::glue:startJobRun.sync`,
      Parameters: {
        'JobName': input.etlJob.jobName,
        'Arguments.$': '$.run.arguments',
        'Timeout': input.etlTimeout.toMinutes(),
      },
      ResultSelector: { 'jobRunId.$': '$.Id', 'jobRunState.$': '$.JobRunState' },
      ResultPath: '$.etl',
      TimeoutSeconds: seconds(input.etlTimeout.plus(Duration.minutes(5))),
    },
  });
  runEtl.addRetry({
    errors: GLUE_TRANSIENT_ERRORS,
    interval: Duration.seconds(30),
    maxAttempts: 6,
    backoffRate: 2,
    maxDelay: Duration.minutes(10),
    jitterStrategy: sfn.JitterType.FULL,
  });
  const etlFailed = caught('ETL job failed', 'EtlJobFailed', 'The Glue job run failed after {} attempt(s)', ['$.run.attempts']);
  if (input.etlRunRetries > 0) {
    // A job run that ends FAILED (exactly States.TaskFailed: the .sync integration's error for it) is started again,
    // with the same run id and processing time (the ETL is idempotent); any other error, or the last attempt, fails.
    const again = new sfn.Pass(scope, 'Retry ETL job run', {
      resultPath: '$.run',
      parameters: {
        runId: sfn.JsonPath.stringAt('$.run.runId'),
        summaryKey: sfn.JsonPath.stringAt('$.run.summaryKey'),
        arguments: sfn.JsonPath.objectAt('$.run.arguments'),
        attempts: sfn.JsonPath.mathAdd(sfn.JsonPath.numberAt('$.run.attempts'), 1),
      },
    }).next(runEtl);
    runEtl.addCatch(new sfn.Choice(scope, 'ETL job run failed')
      .when(sfn.Condition.and(
        sfn.Condition.stringEquals('$.error.Error', 'States.TaskFailed'),
        sfn.Condition.numberLessThan('$.run.attempts', input.etlRunRetries + 1),
      ), again)
      .otherwise(etlFailed), { resultPath: '$.error' });
  } else {
    runEtl.addCatch(etlFailed, { resultPath: '$.error' });
  }

  const summaryKey = (runId: string) =>
    `States.Format('${WeatherContract.RUN_SUMMARY_PREFIX}date={}/{}.json', States.ArrayGetItem(States.StringSplit($$.Execution.StartTime, 'T'), 0), ${runId})`;
  /** The run from its input: the run id (an intrinsic) and the Glue argument naming the input. */
  const resolve = (name: string, runId: string, inputArgument: string, inputPath: string) =>
    new sfn.Pass(scope, name, {
      resultPath: '$.run',
      parameters: {
        runId: sfn.JsonPath.stringAt(runId),
        summaryKey: sfn.JsonPath.stringAt(summaryKey(runId)),
        attempts: 1,
        arguments: {
          [inputArgument]: sfn.JsonPath.stringAt(inputPath),
          [GlueEtlJob.ARG_RUN_ID]: sfn.JsonPath.stringAt(runId),
          // The orchestrator fixes the processing time, so it knows where the run summary is written.
          '--processed_at': sfn.JsonPath.executionStartTime,
        },
      },
    }).next(runEtl);
  // weather/manifests/ingest_date=<date>/<batchId>.json → <batchId> (up to its first '.').
  const manifestSegments = 'States.StringSplit($.manifestKey, \'/\')';
  const batchFromManifest = `States.ArrayGetItem(States.StringSplit(States.ArrayGetItem(${manifestSegments}, States.MathAdd(States.ArrayLength(${manifestSegments}), -1)), '.'), 0)`;

  const present = (path: string) => sfn.Condition.isPresent(path);
  const resolveRun = new sfn.Choice(scope, 'Resolve run')
    .when(sfn.Condition.and(present('$.manifestKey'), sfn.Condition.stringMatches('$.manifestKey', `${WeatherContract.LANDING_MANIFEST_PREFIX}*`), present('$.batchId')),
      resolve('Run named manifest batch', '$.batchId', GlueEtlJob.ARG_MANIFEST_KEY, '$.manifestKey'))
    .when(sfn.Condition.and(present('$.manifestKey'), sfn.Condition.stringMatches('$.manifestKey', `${WeatherContract.LANDING_MANIFEST_PREFIX}*`)),
      resolve('Run manifest batch', batchFromManifest, GlueEtlJob.ARG_MANIFEST_KEY, '$.manifestKey'))
    .when(sfn.Condition.and(present('$.rawPrefix'), sfn.Condition.stringMatches('$.rawPrefix', `${WeatherContract.LANDING_RAW_PREFIX}*`), present('$.batchId')),
      resolve('Run named raw prefix', '$.batchId', GlueEtlJob.ARG_RAW_PREFIX, '$.rawPrefix'))
    .when(sfn.Condition.and(present('$.rawPrefix'), sfn.Condition.stringMatches('$.rawPrefix', `${WeatherContract.LANDING_RAW_PREFIX}*`)),
      resolve('Run raw prefix', '$$.Execution.Name', GlueEtlJob.ARG_RAW_PREFIX, '$.rawPrefix'))
    .otherwise(failure('Input invalid', 'InvalidInput',
      `States.Format('The input needs manifestKey (under ${WeatherContract.LANDING_MANIFEST_PREFIX}) or rawPrefix (under ${WeatherContract.LANDING_RAW_PREFIX}); got {}', States.JsonToString($))`));

  // Optional ingestion step.
  let start: sfn.IChainable = resolveRun;
  if (input.ingestion !== undefined) {
    const ingest = new tasks.LambdaInvoke(scope, STATE.ingest, {
      lambdaFunction: input.ingestion.ingestFunction,
      // The execution input is the ingestion request (see IngestionRequest).
      payloadResponseOnly: true,
      retryOnServiceExceptions: false,
      // The handler's own timeout plus start-up slack.
      taskTimeout: sfn.Timeout.duration(input.ingestion.timeout.plus(INGEST_SLACK)),
      resultPath: '$.ingestion',
    });
    ingest.addRetry(LAMBDA_RETRY);
    ingest.addCatch(caught('Ingestion failed', 'IngestionFailed', 'The ingestion function failed'), { resultPath: '$.error' });

    const useBatch = new sfn.Pass(scope, 'Use ingested batch', {
      parameters: {
        manifestKey: sfn.JsonPath.stringAt('$.ingestion.manifestKey'),
        batchId: sfn.JsonPath.stringAt('$.ingestion.batchId'),
        ingestion: sfn.JsonPath.objectAt('$.ingestion'),
      },
    }).next(resolveRun);
    // The batch is usable: a lost alert must not stop its processing.
    const alert = notify(scope, STATE.alertPartialIngestion, input.notificationTopic, 'Weather ingestion partially failed', {
      status: 'INGESTION_PARTIAL_FAILURE',
      batchId: sfn.JsonPath.stringAt('$.ingestion.batchId'),
      manifestKey: sfn.JsonPath.stringAt('$.ingestion.manifestKey'),
      written: sfn.JsonPath.numberAt('$.ingestion.written'),
      failed: sfn.JsonPath.numberAt('$.ingestion.failed'),
      failures: sfn.JsonPath.objectAt('$.ingestion.failures'),
      execution: sfn.JsonPath.executionId,
    }, useBatch, '$.alertError');

    start = new sfn.Choice(scope, 'Ingest or reprocess')
      .when(sfn.Condition.or(present('$.manifestKey'), present('$.rawPrefix')), resolveRun)
      .otherwise(ingest.next(new sfn.Choice(scope, 'Check ingestion')
        .when(sfn.Condition.booleanEquals('$.ingestion.partialFailure', true), alert)
        .otherwise(useBatch)));
  }

  // After the ETL: plan the validation queries. The planner reads the run summary from S3 itself: a backfill's
  // summary lists every partition it wrote (tens of thousands), far past the 256 KiB a state's input and output
  // may hold; only the small plan (dates, cities, counts) enters the execution's state.
  const plan = new tasks.LambdaInvoke(scope, STATE.planValidation, {
    lambdaFunction: input.validationPlanFunction,
    payload: sfn.TaskInput.fromObject({
      runId: sfn.JsonPath.stringAt('$.run.runId'),
      bucket: input.etlJob.refinedLake.bucket.bucketName,
      summaryKey: sfn.JsonPath.stringAt('$.run.summaryKey'),
      ...(input.etlJob.refinedLake.cities !== undefined
        ? { expectedCities: input.etlJob.refinedLake.cities.map((city) => WeatherContract.slugOf(city)).sort().join(',') }
        : {}),
      ...(input.missingCityAction === MissingCityAction.ALERT ? { missingCityAction: MissingCityAction.ALERT } : {}),
      // The sources, when there are others than Open-Meteo alone (a one-source pipeline's request is unchanged).
      ...(input.ingestion !== undefined && !(input.ingestion.sourceIds.length === 1 && input.ingestion.sourceIds[0] === WeatherContract.SOURCE)
        ? { expectedSources: input.ingestion.sourceIds.join(',') }
        : {}),
    }),
    payloadResponseOnly: true,
    retryOnServiceExceptions: false,
    taskTimeout: sfn.Timeout.duration(PLAN_TIMEOUT),
    resultPath: '$.validation',
  });
  plan.addRetry(LAMBDA_RETRY);
  plan.addCatch(caught('Run summary unreadable', 'RunSummaryUnreadable', 'The ETL run summary could not be read'),
    { errors: [RUN_SUMMARY_UNREADABLE], resultPath: '$.error' });
  plan.addCatch(caught('Validation planning failed', 'ValidationPlanningFailed', 'The validation parameters could not be computed'), { resultPath: '$.error' });

  runEtl.next(plan);

  // The validation queries, one after the other; the first that does not pass fails the run.
  const queryFailed = caught('Validation query failed', 'ValidationQueryFailed', 'A validation query could not run');
  // The column names are read here, where the header row is known to exist (a result with no row at all has none);
  // a header whose first cell has no name is reported as it is.
  const reportFailure = failure('Validation failed', 'ValidationFailed',
    'States.Format(\'Validation {} failed: {} = {}\', $.check.id, States.JsonToString($.verdict.columns), States.JsonToString($.verdict.values))');
  const readVerdict = (name: string, columnsPath: string) => new sfn.Pass(scope, name, {
    resultPath: '$.verdict',
    parameters: { columns: sfn.JsonPath.listAt(columnsPath), values: sfn.JsonPath.listAt('$.check.rows[1].Data') },
  }).next(reportFailure);
  const validationFailed = new sfn.Choice(scope, 'Validation failed verdict')
    .when(present('$.check.rows[0].Data[0].VarCharValue'), readVerdict('Read failed verdict', '$.check.rows[0].Data[*].VarCharValue'))
    .otherwise(readVerdict('Read failed verdict (unnamed columns)', '$.check.rows[0].Data'));
  const noVerdict = failure('Validation returned no verdict', 'ValidationFailed',
    'States.Format(\'Validation {} returned no row: {}\', $.check.id, States.JsonToString($.check.rows))');

  let success: sfn.IChainable = new sfn.Succeed(scope, STATE.succeeded, { outputPath: '$.run' });
  if (input.notifyOnSuccess) {
    success = notify(scope, STATE.notifySuccess, input.notificationTopic, 'Weather pipeline run succeeded', {
      status: 'SUCCEEDED',
      runId: sfn.JsonPath.stringAt('$.run.runId'),
      summaryKey: sfn.JsonPath.stringAt('$.run.summaryKey'),
      execution: sfn.JsonPath.executionId,
    }, success, '$.notificationError');
  }

  const queries = input.catalog.validationQueries;
  /** A validation query with the plan's parameters at `parametersPath`, then the read of its verdict. */
  const runQuery = (query: ValidationQuery, queryState: string, resultState: string, parametersPath: string) => {
    const startQuery = new sfn.CustomState(scope, queryState, {
      stateJson: {
        Type: 'Task',
        Comment: query.description,
        Resource: `arn:${Stack.of(scope).partition}:states:::athena:startQueryExecution.sync`,
        Parameters: {
          QueryString: query.queryString,
          WorkGroup: input.catalog.workGroupName,
          QueryExecutionContext: { Database: input.catalog.databaseName },
          ...(query.parameters.length > 0
            ? { 'ExecutionParameters.$': `States.Array(${query.parameters.map((p) => `${parametersPath}.${p}`).join(', ')})` }
            : {}),
        },
        ResultSelector: { 'queryExecutionId.$': '$.QueryExecution.QueryExecutionId' },
        ResultPath: '$.query',
        TimeoutSeconds: seconds(input.queryTimeout),
      },
    });
    startQuery.addRetry(ATHENA_RETRY);
    startQuery.addCatch(queryFailed, { resultPath: '$.error' });
    const readResult = new sfn.CustomState(scope, resultState, {
      stateJson: {
        Type: 'Task',
        Resource: `arn:${Stack.of(scope).partition}:states:::athena:getQueryResults`,
        Parameters: { 'QueryExecutionId.$': '$.query.queryExecutionId', 'MaxResults': 2 },
        ResultSelector: { 'id': query.id, 'rows.$': '$.ResultSet.Rows' },
        ResultPath: '$.check',
        TimeoutSeconds: seconds(READ_VERDICT_TIMEOUT),
      },
    });
    readResult.addRetry(ATHENA_RETRY);
    readResult.addCatch(queryFailed, { resultPath: '$.error' });
    return startQuery.next(readResult);
  };
  /**
   * The verdict is the first column, `passed` ("true" / "false"). A Choice rule on a path that is missing fails the
   * execution with States.Runtime, which no Catch sees: each rule reads only paths the rules before it showed present,
   * so nothing depends on whether And stops at its first false operand.
   */
  const judge = (name: string, onPassed: sfn.IChainable, onFailed: sfn.IChainable, onNoRow: sfn.IChainable) =>
    new sfn.Choice(scope, name)
      .when(sfn.Condition.not(present('$.check.rows[1]')), onNoRow)
      .when(sfn.Condition.not(present('$.check.rows[0].Data[0].VarCharValue')), onFailed)
      .when(sfn.Condition.not(present('$.check.rows[1].Data[0].VarCharValue')), onFailed)
      .when(sfn.Condition.and(
        sfn.Condition.stringEquals('$.check.rows[0].Data[0].VarCharValue', 'passed'),
        sfn.Condition.stringEquals('$.check.rows[1].Data[0].VarCharValue', 'true'),
      ), onPassed)
      .otherwise(onFailed);

  let next: sfn.IChainable = success;
  if (input.missingCityAction === MissingCityAction.ALERT) {
    // After the checks pass: the configured cities the run did not write, checked apart; no data only alerts.
    const check = queries.find((query) => query.id === MISSING_CITY_CHECK)!;
    const alert = notify(scope, STATE.alertMissingCities, input.notificationTopic, 'Weather pipeline: configured cities without data', {
      status: 'CITIES_MISSING',
      runId: sfn.JsonPath.stringAt('$.run.runId'),
      firstDate: sfn.JsonPath.stringAt('$.validation.firstDate'),
      lastDate: sfn.JsonPath.stringAt('$.validation.lastDate'),
      citiesNotWritten: sfn.JsonPath.stringAt('$.validation.missingCities.citySlugs'),
      check: sfn.JsonPath.stringAt('$.check.id'),
      verdict: sfn.JsonPath.stringAt('States.JsonToString($.check.rows)'),
      execution: sfn.JsonPath.executionId,
    }, success, '$.alertError');
    next = new sfn.Choice(scope, 'Cities not written')
      .when(present('$.validation.missingCities'), runQuery(check, STATE.checkMissingCities, STATE.readMissingCitiesVerdict,
        '$.validation.missingCities.executionParameters').next(judge('Judge missing cities', success, alert, alert)))
      .otherwise(success);
  }
  for (let i = queries.length - 1; i >= 0; i--) {
    const query = queries[i];
    next = runQuery(query, validationQueryState(query.id), validationResultState(query.id), '$.validation.executionParameters')
      .next(judge(`Judge ${query.id}`, next, validationFailed, noVerdict));
  }
  plan.next(next);
  return sfn.Chain.start(start);
}

/**
 * A message to the notification topic, retried three times; then the run goes on to `next`, or to `onError` (by
 * default `next`) when the message could not be published (a lost notification must not change the run's outcome).
 */
function notify(scope: Construct, name: string, topic: sns.ITopic, subject: string, message: { [key: string]: unknown },
  next: sfn.IChainable, errorPath: string, onError: sfn.IChainable = next): sfn.INextable & sfn.IChainable {
  const publish = new tasks.SnsPublish(scope, name, {
    topic,
    subject,
    message: sfn.TaskInput.fromObject(message),
    resultPath: sfn.JsonPath.DISCARD,
    taskTimeout: sfn.Timeout.duration(NOTIFY_TIMEOUT),
  });
  publish.addRetry({ errors: ['States.ALL'], interval: Duration.seconds(2), maxAttempts: 3, backoffRate: 2 });
  publish.addCatch(onError, { resultPath: errorPath });
  publish.next(next);
  return publish;
}
