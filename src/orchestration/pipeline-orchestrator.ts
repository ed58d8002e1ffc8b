import { Annotations, ArnFormat, Duration, RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as eventsTargets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as lambdaDestinations from 'aws-cdk-lib/aws-lambda-destinations';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as schedulerTargets from 'aws-cdk-lib/aws-scheduler-targets';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { AthenaCatalog } from '../catalog/athena-catalog';
import { WeatherContract } from '../contract/weather-contract';
import { GlueEtlJob } from '../etl/glue-etl-job';
import { WeatherIngestion } from '../ingestion/weather-ingestion';
import { createLogsEncryptionKey } from '../private/logs-encryption-key';
import { acknowledgeWildcardResources } from '../private/nag-acknowledgements';
import { omitRoleFromDependsOn, skipCheckovCheck } from '../private/template-checkers';
import { STATE_MACHINE_ARN_ENV } from './private/run-start';
import { StartRunFunction } from './private/start-run-function';
import { RUN_SUMMARY_UNREADABLE, VALIDATION_PARAMETER_NAMES } from './private/validation-plan';
import { ValidationPlanFunction } from './private/validation-plan-function';
import { grantPrefixRead, grantPrefixWrite } from '../storage/private/prefix-grants';

/**
 * Properties of the pipeline orchestrator.
 */
export interface PipelineOrchestratorProps {
  /** The ETL job each execution runs once, on one ingestion batch. */
  readonly etlJob: GlueEtlJob;

  /** The catalog whose `validationQueries` are run, in its workgroup, after the ETL. */
  readonly catalog: AthenaCatalog;

  /**
   * The landing bucket: the manifest trigger listens to its EventBridge events (it must have EventBridge
   * notifications on, as `LandingZone` does by default).
   */
  readonly landingBucket: s3.IBucket;

  /**
   * The refined bucket the ETL writes to (`RefinedLake.bucket`). The state machine reads the run summary from it
   * and Athena reads the hourly and quarantine prefixes on its behalf.
   */
  readonly refinedBucket: s3.IBucket;

  /**
   * Run the ingestion function as the first step of each execution that does not name a batch. Turn off the
   * ingestion's own schedule (`scheduleEnabled: false`) when you pass it here.
   *
   * @default - no ingestion step: executions process a manifest (or a raw prefix) already in the landing zone
   */
  readonly ingestion?: WeatherIngestion;

  /**
   * Topic that receives a message on every failure (and on an ingestion partial failure, and on success when
   * `notifyOnSuccess` is true). Its KMS key, when it has one, is granted to the state machine.
   *
   * @default - a new topic, encrypted with `encryptionKey`, TLS only
   */
  readonly notificationTopic?: sns.ITopic;

  /**
   * Email address subscribed to the notification topic.
   *
   * @default - no subscription
   */
  readonly notificationEmail?: string;

  /**
   * Also notify when a run succeeds.
   *
   * @default false
   */
  readonly notifyOnSuccess?: boolean;

  /**
   * Start an execution on a schedule (EventBridge Scheduler). Each scheduled execution ingests a new batch, so
   * this needs `ingestion`. The run starter names it after the batch id of its scheduled time (`20260507T063000Z`
   * for 06:30 UTC on 7 May 2026).
   *
   * @default - true when `ingestion` is set, else false
   */
  readonly scheduleEnabled?: boolean;

  /**
   * When the schedule starts an execution.
   *
   * @default - daily at 06:30 UTC: `cron(30 6 * * ? *)`
   */
  readonly schedule?: scheduler.ScheduleExpression;

  /**
   * Start one execution per ingestion manifest that lands under `WeatherContract.LANDING_MANIFEST_PREFIX` in the
   * landing bucket (S3 `Object Created` events through EventBridge); data objects never start an execution. The
   * run starter names it after the manifest's batch id.
   *
   * @default - true when there is no `ingestion` step, else false (the execution that ingested the batch
   * processes it; the trigger would process it twice)
   */
  readonly manifestTriggerEnabled?: boolean;

  /**
   * Longest an execution may run before Step Functions stops it (and its Glue run).
   *
   * @default Duration.hours(2)
   */
  readonly executionTimeout?: Duration;

  /**
   * Longest one Glue run may take before the state machine stops it. Shorter than `executionTimeout`.
   *
   * @default Duration.minutes(90)
   */
  readonly etlTimeout?: Duration;

  /**
   * Longest one validation query may run.
   *
   * @default Duration.minutes(10)
   */
  readonly queryTimeout?: Duration;

  /**
   * KMS key encrypting the state machine's log group and the topic the construct creates. Its policy must let
   * CloudWatch Logs use it.
   *
   * @default - a new key with rotation, whose policy allows this account's CloudWatch Logs
   */
  readonly encryptionKey?: kms.IKey;

  /**
   * Retention of the state machine's execution logs.
   *
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;

  /**
   * What happens to the log groups and the key the construct creates when the stack is deleted.
   *
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;

  /**
   * Name of the state machine.
   *
   * @default - generated by CloudFormation
   */
  readonly stateMachineName?: string;
}

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
const STATE_MACHINE_NAME = /^[A-Za-z0-9_-]{1,80}$/;

/** Step Functions timeouts are whole seconds. */
function seconds(duration: Duration): number {
  return duration.toSeconds({ integral: true });
}

/**
 * The weather pipeline's Step Functions state machine and its triggers.
 *
 * One execution processes one ingestion batch: (optionally) ingest → Glue ETL (`.sync`) → read the run summary →
 * Athena validation queries (`.sync`) → succeed, or notify and fail with the failing check and its numbers.
 * Transient Glue, Lambda and Athena errors are retried with exponential backoff; a failed job run is not.
 * Every failure path publishes to the notification topic before failing; an ingestion partial failure
 * publishes an alert and the run goes on. Logs (level ALL) go to an encrypted log group; X-Ray is on.
 *
 * **Input contract** (all fields optional, at least one of `manifestKey`, `rawPrefix`, or an ingestion step):
 *
 * - `manifestKey`: an ingestion manifest in the landing bucket, `weather/manifests/ingest_date=<date>/<batchId>.json`;
 *   the ETL processes exactly what it lists. The manifest trigger sets it.
 * - `rawPrefix`: a prefix under `weather/raw/source=open-meteo/` to reprocess every raw object below (backfill).
 * - `batchId`: the run id (letters, digits, `.`, `_`, `-`). Default: the manifest's file name up to its first `.`
 *   (its batch id, unless the batch id has a `.`: then pass `batchId`, as the run starter does), so re-running a
 *   batch replaces its run summary; or the execution name with `rawPrefix`.
 * - with the ingestion step and neither `manifestKey` nor `rawPrefix`: the input is the ingestion request
 *   (`scheduledTime`, `batchId`, `citySlugs`, `backfill`, see `IngestionRequest`) and the run id is the batch id.
 *
 * **Execution names carry the run id.** The triggers do not start the state machine themselves: the schedule and
 * the manifest rule invoke a small function, the run starter (`runStarter`), which calls StartExecution with the
 * run id as the execution's name and the input above (`{"scheduledTime": ...}`, `{"manifestKey": ...}`). The
 * name is the batch id: the scheduled time in ISO basic form (`20260507T063000Z`), or the manifest's file name
 * without `.json`. Step Functions keeps a name for 90 days, so a redelivered event cannot start a second run of a
 * batch: the starter takes `ExecutionAlreadyExists` as done. Other errors are retried (twice, then the event goes
 * to `triggerDeadLetterQueue`, as do events EventBridge cannot deliver).
 *
 * Name the executions you start by hand the same way: `<runId>` for the first run of a batch. If that name exists
 * (the batch ran, or runs), StartExecution answers `ExecutionAlreadyExists` and nothing starts; to run a batch
 * again on purpose, add a suffix, `<runId>-<suffix>` (the run id still comes from the input, so the run replaces
 * the batch's run summary), e.g.
 * `aws stepfunctions start-execution --state-machine-arn <arn> --name 20260507T063000Z-rerun1
 *  --input '{"manifestKey":"weather/manifests/ingest_date=2026-05-07/20260507T063000Z.json"}'`.
 *
 * @example
 * declare const etl: GlueEtlJob;
 * declare const catalog: AthenaCatalog;
 * declare const landing: LandingZone;
 * declare const refined: RefinedLake;
 * new PipelineOrchestrator(this, 'Orchestrator', {
 *   etlJob: etl,
 *   catalog,
 *   landingBucket: landing.bucket,
 *   refinedBucket: refined.bucket,
 *   notificationEmail: 'data-team@example.com',
 * });
 */
export class PipelineOrchestrator extends Construct {
  /** Name of the Task state that runs the ingestion function. */
  public static readonly STATE_INGEST = 'Ingest weather';
  /** Name of the Task state that runs the Glue job. */
  public static readonly STATE_RUN_ETL = 'Run ETL job';
  /**
   * Name of the Task state that computes the validation parameters: its function reads the ETL run summary from
   * the refined bucket and returns the run's date range, cities and counts.
   */
  public static readonly STATE_PLAN_VALIDATION = 'Plan validation';
  /** Name of the Task state that publishes failures. */
  public static readonly STATE_NOTIFY_FAILURE = 'Notify failure';
  /** Name of the Task state that publishes an ingestion partial failure. */
  public static readonly STATE_ALERT_PARTIAL_INGESTION = 'Alert partial ingestion';
  /** Name of the Task state that publishes a success. */
  public static readonly STATE_NOTIFY_SUCCESS = 'Notify success';
  /** Name of the final Fail state. */
  public static readonly STATE_FAILED = 'Pipeline failed';
  /** Name of the final Succeed state. */
  public static readonly STATE_SUCCEEDED = 'Pipeline succeeded';

  /** Name of the Task state that runs a validation query. */
  public static validationQueryState(queryId: string): string {
    return `Validate ${queryId}`;
  }

  /** Name of the Task state that reads a validation query's verdict. */
  public static validationResultState(queryId: string): string {
    return `Read ${queryId} verdict`;
  }

  /** The state machine. */
  public readonly stateMachine: sfn.StateMachine;

  /** The topic receiving failure (and optionally success) notifications. */
  public readonly notificationTopic: sns.ITopic;

  /** The log group of the state machine's executions. */
  public readonly logGroup: logs.ILogGroup;

  /** The key encrypting the log groups (and the topic, when the construct creates it). */
  public readonly encryptionKey: kms.IKey;

  /** The function computing the validation query parameters from the run summary. */
  public readonly validationPlanFunction: lambda.IFunction;

  /**
   * The schedule starting executions.
   *
   * @default - none when the schedule is off
   */
  public readonly schedule?: scheduler.ISchedule;

  /**
   * The EventBridge rule starting one execution per manifest.
   *
   * @default - none when the manifest trigger is off
   */
  public readonly manifestRule?: events.IRule;

  /**
   * The function the schedule and the manifest rule invoke: it starts an execution named after the run id, and
   * does nothing when an execution of that name exists. Its role may only start this state machine.
   *
   * @default - none when both triggers are off
   */
  public readonly runStarter?: lambda.IFunction;

  /**
   * Where trigger events go when no execution could be started: events the schedule or EventBridge could not
   * deliver to the run starter, and invocations of the run starter that failed after their retries (with the error).
   *
   * @default - none when both triggers are off
   */
  public readonly triggerDeadLetterQueue?: sqs.IQueue;

  constructor(scope: Construct, id: string, props: PipelineOrchestratorProps) {
    super(scope, id);

    const hasIngestion = props.ingestion !== undefined;
    const scheduleEnabled = props.scheduleEnabled ?? hasIngestion;
    const manifestTriggerEnabled = props.manifestTriggerEnabled ?? !hasIngestion;
    const notifyOnSuccess = props.notifyOnSuccess ?? false;
    const executionTimeout = props.executionTimeout ?? Duration.hours(2);
    const etlTimeout = props.etlTimeout ?? Duration.minutes(90);
    const queryTimeout = props.queryTimeout ?? Duration.minutes(10);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;

    checkDuration('executionTimeout', executionTimeout, 60, 365 * 24 * 3600);
    checkDuration('etlTimeout', etlTimeout, 60, 48 * 3600);
    if (!Token.isUnresolved(etlTimeout.toString()) && !Number.isInteger(etlTimeout.toMinutes({ integral: false }))) {
      throw new Error(`etlTimeout must be a whole number of minutes (the Glue run timeout), got ${etlTimeout.toHumanString()}`);
    }
    checkDuration('queryTimeout', queryTimeout, 10, 24 * 3600);
    if (!Token.isUnresolved(executionTimeout.toString()) && !Token.isUnresolved(etlTimeout.toString())
      && seconds(etlTimeout) >= seconds(executionTimeout)) {
      throw new Error(`etlTimeout must be shorter than executionTimeout (${executionTimeout.toHumanString()}), got ${etlTimeout.toHumanString()}`);
    }
    if (scheduleEnabled && !hasIngestion) {
      throw new Error('scheduleEnabled is true but there is no ingestion: a scheduled execution without the ingestion step has no batch to process; pass ingestion, or use the manifest trigger');
    }
    if (props.schedule !== undefined && !scheduleEnabled) {
      throw new Error('schedule is set but scheduleEnabled is false: remove schedule or enable the schedule');
    }
    if (props.notificationEmail !== undefined && !Token.isUnresolved(props.notificationEmail)
      && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(props.notificationEmail)) {
      throw new Error(`notificationEmail must be an email address, got "${props.notificationEmail}"`);
    }
    if (props.stateMachineName !== undefined && !Token.isUnresolved(props.stateMachineName)
      && !STATE_MACHINE_NAME.test(props.stateMachineName)) {
      throw new Error(`stateMachineName must match ${STATE_MACHINE_NAME.source}, got "${props.stateMachineName}"`);
    }
    if (!scheduleEnabled && !manifestTriggerEnabled) {
      Annotations.of(this).addWarningV2('cdk-weather-pipeline:noTrigger',
        'Both the schedule and the manifest trigger are off: executions start only by hand (aws stepfunctions start-execution).');
    }
    if (hasIngestion && manifestTriggerEnabled) {
      Annotations.of(this).addWarningV2('cdk-weather-pipeline:doubleProcessing',
        'manifestTriggerEnabled is true with an ingestion step: the manifest each execution ingests reaches the manifest trigger too. '
        + 'Executions named after their batch id (the scheduled ones) are not started twice; any other starts a second execution that processes the same batch again.');
    }
    if (hasIngestion && props.ingestion!.schedule !== undefined) {
      Annotations.of(this).addWarningV2('cdk-weather-pipeline:ingestionScheduled',
        'The ingestion passed to the orchestrator has its own schedule: it ingests batches outside the orchestrator. Set scheduleEnabled: false on WeatherIngestion.');
    }
    for (const query of props.catalog.validationQueries) {
      const unknown = query.parameters.filter((name) => !VALIDATION_PARAMETER_NAMES.includes(name));
      if (unknown.length > 0) {
        throw new Error(`catalog validation query "${query.id}" takes parameters ${unknown.join(', ')}; the orchestrator supplies only ${VALIDATION_PARAMETER_NAMES.join(', ')}`);
      }
    }

    this.encryptionKey = props.encryptionKey ?? createLogsEncryptionKey(this, 'Key', 'Encrypts the weather pipeline orchestrator logs and notifications (cdk-weather-pipeline)', removalPolicy);

    // Notifications.
    if (props.notificationTopic !== undefined) {
      this.notificationTopic = props.notificationTopic;
    } else {
      this.notificationTopic = new sns.Topic(this, 'Notifications', {
        displayName: 'Weather pipeline runs',
        masterKey: this.encryptionKey,
        enforceSSL: true,
      });
    }
    if (props.notificationEmail !== undefined) {
      this.notificationTopic.addSubscription(new subscriptions.EmailSubscription(props.notificationEmail));
    }

    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_YEAR,
      encryptionKey: this.encryptionKey,
      removalPolicy,
    });

    this.validationPlanFunction = this.createPlanFunction(props.logRetention ?? logs.RetentionDays.ONE_YEAR, removalPolicy, props.refinedBucket);

    const definition = this.buildDefinition(props, { notifyOnSuccess, etlTimeout, queryTimeout });

    // Our own role, so that its trust policy names the account's state machines as the only callers (the
    // confused-deputy conditions newer aws-cdk-lib versions add by default; older ones, which we support, do not).
    const stack = Stack.of(this);
    const stateMachineRole = new iam.Role(this, 'Role', {
      description: 'cdk-weather-pipeline orchestrator: runs the Glue job and the Athena validation queries',
      assumedBy: new iam.ServicePrincipal('states.amazonaws.com').withConditions({
        StringEquals: { 'aws:SourceAccount': stack.account },
        ArnLike: { 'aws:SourceArn': stack.formatArn({ service: 'states', resource: 'stateMachine', resourceName: '*', arnFormat: ArnFormat.COLON_RESOURCE_NAME }) },
      }),
    });
    this.stateMachine = new sfn.StateMachine(this, 'Resource', {
      role: stateMachineRole,
      stateMachineName: props.stateMachineName,
      comment: 'cdk-weather-pipeline: one ingestion batch through the Glue ETL and the Athena validation queries',
      definitionBody: sfn.DefinitionBody.fromChainable(definition),
      stateMachineType: sfn.StateMachineType.STANDARD,
      timeout: executionTimeout,
      tracingEnabled: true,
      logs: { destination: this.logGroup, level: sfn.LogLevel.ALL, includeExecutionData: true },
    });
    const role = this.stateMachine.role;
    omitRoleFromDependsOn(this.stateMachine, role);
    props.etlJob.grantStartRun(role);
    this.grantAthenaValidation(role, props);
    this.notificationTopic.masterKey?.grant(role, 'kms:GenerateDataKey', 'kms:Decrypt');

    // Triggers, through the run starter: it names each execution after its run id.
    let starter: lambda.IFunction | undefined;
    let deadLetterQueue: sqs.IQueue | undefined;
    if (scheduleEnabled || manifestTriggerEnabled) {
      deadLetterQueue = new sqs.Queue(this, 'TriggerDeadLetterQueue', {
        encryption: sqs.QueueEncryption.SQS_MANAGED,
        enforceSSL: true,
        retentionPeriod: Duration.days(14),
      });
      skipCheckovCheck(deadLetterQueue, 'CKV_AWS_27',
        'Encrypted at rest with SQS-managed SSE (SqsManagedSseEnabled); the check only recognizes a KMS key.');
      Validations.of(deadLetterQueue).acknowledge({
        id: 'AwsSolutions-SQS3',
        reason: 'This queue is itself the dead-letter destination of the run starter, the schedule and the manifest rule.',
      });
      starter = this.createRunStarter(props.logRetention ?? logs.RetentionDays.ONE_YEAR, removalPolicy, deadLetterQueue);
      this.runStarter = starter;
      this.triggerDeadLetterQueue = deadLetterQueue;
    }
    if (scheduleEnabled) {
      // Our own role (not the stack-wide one the target would create), so that its finding is acknowledged here.
      const scheduleRole = new iam.Role(this, 'ScheduleRole', {
        assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
          conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
        }),
        description: 'cdk-weather-pipeline orchestrator schedule: invokes the run starter',
      });
      acknowledgeWildcardResources(scheduleRole, [`${starter!.functionArn}:*`],
        'aws-cdk-lib\'s LambdaInvoke target grants lambda:InvokeFunction on the function and its qualified ARNs (`:*`); the schedule only invokes the run starter.');
      this.schedule = new scheduler.Schedule(this, 'Schedule', {
        description: 'Starts the weather pipeline: ingest a batch, then ETL and validation',
        schedule: props.schedule ?? scheduler.ScheduleExpression.cron({ minute: '30', hour: '6' }),
        target: new schedulerTargets.LambdaInvoke(starter!, {
          // The scheduled time fixes the batch id, hence the execution name: a redelivered invocation starts nothing.
          input: scheduler.ScheduleTargetInput.fromObject({ scheduledTime: scheduler.ContextAttribute.scheduledTime }),
          role: scheduleRole,
          deadLetterQueue,
          retryAttempts: 3,
          maxEventAge: Duration.hours(1),
        }),
      });
    }
    if (manifestTriggerEnabled) {
      this.manifestRule = new events.Rule(this, 'ManifestTrigger', {
        description: 'One pipeline execution per ingestion manifest written to the landing zone',
        eventPattern: {
          source: ['aws.s3'],
          detailType: ['Object Created'],
          detail: {
            bucket: { name: [props.landingBucket.bucketName] },
            object: { key: events.Match.prefix(WeatherContract.LANDING_MANIFEST_PREFIX) },
          },
        },
        targets: [new eventsTargets.LambdaFunction(starter!, {
          // The starter decodes the key and names the execution after the manifest's batch id.
          event: events.RuleTargetInput.fromObject({ manifestKey: events.EventField.fromPath('$.detail.object.key') }),
          deadLetterQueue,
          retryAttempts: 3,
          maxEventAge: Duration.hours(1),
        })],
      });
    }

    // cdk-nag: the wildcards that cannot be narrowed, each with its reason.
    acknowledgeWildcardResources(role, [
      props.refinedBucket.arnForObjects(`${WeatherContract.RUN_SUMMARY_PREFIX}*`),
      props.refinedBucket.arnForObjects(`${WeatherContract.REFINED_HOURLY_PREFIX}*`),
      props.refinedBucket.arnForObjects(`${WeatherContract.QUARANTINE_PREFIX}*`),
      props.catalog.resultsBucket.arnForObjects(`${this.resultsPrefix(props.catalog)}*`),
    ], 'Object access is limited to the contract prefixes (run summaries, hourly, quarantine) and the Athena results prefix; object keys are only known at run time.');
    const functionArns = [`${this.validationPlanFunction.functionArn}:*`];
    if (props.ingestion !== undefined) {
      functionArns.push(`${props.ingestion.ingestFunction.functionArn}:*`);
    }
    acknowledgeWildcardResources(role, functionArns,
      'lambda:InvokeFunction on the function\'s versions and aliases (ARN:*), as the Step Functions LambdaInvoke integration grants.');
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'Step Functions log delivery (logs:CreateLogDelivery, ...) and X-Ray (xray:PutTraceSegments, ...) have no resource-level permissions.',
    });
  }

  /** Lets a principal start executions (for example a backfill role). */
  public grantStartExecution(grantee: iam.IGrantable): iam.Grant {
    return this.stateMachine.grantStartExecution(grantee);
  }

  private buildDefinition(props: PipelineOrchestratorProps, options: {
    notifyOnSuccess: boolean; etlTimeout: Duration; queryTimeout: Duration;
  }): sfn.IChainable {
    const O = PipelineOrchestrator;
    const failed = new sfn.Fail(this, O.STATE_FAILED, { errorPath: '$.failure.error', causePath: '$.failure.cause' });
    const notifyFailure = new tasks.SnsPublish(this, O.STATE_NOTIFY_FAILURE, {
      topic: this.notificationTopic,
      subject: 'Weather pipeline run failed',
      message: sfn.TaskInput.fromObject({
        status: 'FAILED',
        error: sfn.JsonPath.stringAt('$.failure.error'),
        cause: sfn.JsonPath.stringAt('$.failure.cause'),
        execution: sfn.JsonPath.executionId,
        input: sfn.JsonPath.objectAt('$$.Execution.Input'),
      }),
      resultPath: sfn.JsonPath.DISCARD,
      taskTimeout: sfn.Timeout.duration(Duration.seconds(60)),
    });
    notifyFailure.addRetry({ errors: ['States.ALL'], interval: Duration.seconds(2), maxAttempts: 3, backoffRate: 2 });
    // A failed notification must not hide the failure it reports.
    notifyFailure.addCatch(failed, { resultPath: '$.notificationError' });
    notifyFailure.next(failed);

    /** A Pass state that records why the run failed, then notifies. */
    const failure = (name: string, error: string, cause: string) =>
      new sfn.Pass(this, name, {
        resultPath: '$.failure',
        parameters: { error, cause: sfn.JsonPath.stringAt(cause) },
      }).next(notifyFailure);
    const caught = (name: string, error: string, what: string) =>
      failure(name, error, `States.Format('${what} ({}): {}', $.error.Error, $.error.Cause)`);

    // Resolve the run: run id, Glue arguments and where the run summary will be.
    // A CustomState: the L2 GlueStartJobRun maps its timeout to the job run's Timeout only, and this state needs
    // both (Glue stops the run first; the state's TimeoutSeconds is the backstop).
    const runEtl = new sfn.CustomState(this, O.STATE_RUN_ETL, {
      stateJson: {
        Type: 'Task',
        Resource: `arn:${Stack.of(this).partition}:states:::glue:startJobRun.sync`,
        Parameters: {
          'JobName': props.etlJob.jobName,
          'Arguments.$': '$.run.arguments',
          'Timeout': options.etlTimeout.toMinutes(),
        },
        ResultSelector: { 'jobRunId.$': '$.Id', 'jobRunState.$': '$.JobRunState' },
        ResultPath: '$.etl',
        TimeoutSeconds: seconds(options.etlTimeout.plus(Duration.minutes(5))),
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
    runEtl.addCatch(caught('ETL job failed', 'EtlJobFailed', 'The Glue job run failed'), { resultPath: '$.error' });

    const summaryKey = (runId: string) =>
      `States.Format('${WeatherContract.RUN_SUMMARY_PREFIX}date={}/{}.json', States.ArrayGetItem(States.StringSplit($$.Execution.StartTime, 'T'), 0), ${runId})`;
    /** The run from its input: the run id (an intrinsic) and the Glue argument naming the input. */
    const resolve = (name: string, runId: string, inputArgument: string, inputPath: string) =>
      new sfn.Pass(this, name, {
        resultPath: '$.run',
        parameters: {
          runId: sfn.JsonPath.stringAt(runId),
          summaryKey: sfn.JsonPath.stringAt(summaryKey(runId)),
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
    const resolveRun = new sfn.Choice(this, 'Resolve run')
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
    if (props.ingestion !== undefined) {
      const ingest = new tasks.LambdaInvoke(this, O.STATE_INGEST, {
        lambdaFunction: props.ingestion.ingestFunction,
        // The execution input is the ingestion request (see IngestionRequest).
        payloadResponseOnly: true,
        retryOnServiceExceptions: false,
        // The handler's own timeout plus start-up slack.
        taskTimeout: sfn.Timeout.duration(props.ingestion.timeout.plus(Duration.minutes(1))),
        resultPath: '$.ingestion',
      });
      ingest.addRetry(LAMBDA_RETRY);
      ingest.addCatch(caught('Ingestion failed', 'IngestionFailed', 'The ingestion function failed'), { resultPath: '$.error' });

      const useBatch = new sfn.Pass(this, 'Use ingested batch', {
        parameters: {
          manifestKey: sfn.JsonPath.stringAt('$.ingestion.manifestKey'),
          batchId: sfn.JsonPath.stringAt('$.ingestion.batchId'),
          ingestion: sfn.JsonPath.objectAt('$.ingestion'),
        },
      }).next(resolveRun);
      const alert = new tasks.SnsPublish(this, O.STATE_ALERT_PARTIAL_INGESTION, {
        topic: this.notificationTopic,
        subject: 'Weather ingestion partially failed',
        message: sfn.TaskInput.fromObject({
          status: 'INGESTION_PARTIAL_FAILURE',
          batchId: sfn.JsonPath.stringAt('$.ingestion.batchId'),
          manifestKey: sfn.JsonPath.stringAt('$.ingestion.manifestKey'),
          written: sfn.JsonPath.numberAt('$.ingestion.written'),
          failed: sfn.JsonPath.numberAt('$.ingestion.failed'),
          failures: sfn.JsonPath.objectAt('$.ingestion.failures'),
          execution: sfn.JsonPath.executionId,
        }),
        resultPath: sfn.JsonPath.DISCARD,
        taskTimeout: sfn.Timeout.duration(Duration.seconds(60)),
      });
      alert.addRetry({ errors: ['States.ALL'], interval: Duration.seconds(2), maxAttempts: 3, backoffRate: 2 });
      // The batch is usable: a lost alert must not stop its processing.
      alert.addCatch(useBatch, { resultPath: '$.alertError' });
      alert.next(useBatch);

      start = new sfn.Choice(this, 'Ingest or reprocess')
        .when(sfn.Condition.or(present('$.manifestKey'), present('$.rawPrefix')), resolveRun)
        .otherwise(ingest.next(new sfn.Choice(this, 'Check ingestion')
          .when(sfn.Condition.booleanEquals('$.ingestion.partialFailure', true), alert)
          .otherwise(useBatch)));
    }

    // After the ETL: plan the validation queries. The planner reads the run summary from S3 itself: a backfill's
    // summary lists every partition it wrote (tens of thousands), far past the 256 KiB a state's input and output
    // may hold; only the small plan (dates, cities, counts) enters the execution's state.
    const plan = new tasks.LambdaInvoke(this, O.STATE_PLAN_VALIDATION, {
      lambdaFunction: this.validationPlanFunction,
      payload: sfn.TaskInput.fromObject({
        runId: sfn.JsonPath.stringAt('$.run.runId'),
        bucket: props.refinedBucket.bucketName,
        summaryKey: sfn.JsonPath.stringAt('$.run.summaryKey'),
      }),
      payloadResponseOnly: true,
      retryOnServiceExceptions: false,
      taskTimeout: sfn.Timeout.duration(Duration.seconds(60)),
      resultPath: '$.validation',
    });
    plan.addRetry(LAMBDA_RETRY);
    plan.addCatch(caught('Run summary unreadable', 'RunSummaryUnreadable', 'The ETL run summary could not be read'),
      { errors: [RUN_SUMMARY_UNREADABLE], resultPath: '$.error' });
    plan.addCatch(caught('Validation planning failed', 'ValidationPlanningFailed', 'The validation parameters could not be computed'), { resultPath: '$.error' });

    runEtl.next(plan);

    // The validation queries, one after the other; the first that does not pass fails the run.
    const queryFailed = caught('Validation query failed', 'ValidationQueryFailed', 'A validation query could not run');
    const validationFailed = failure('Validation failed', 'ValidationFailed',
      'States.Format(\'Validation {} failed: {} = {}\', $.check.id, States.JsonToString($.check.columns), States.JsonToString($.check.rows[1].Data))');
    const noVerdict = failure('Validation returned no verdict', 'ValidationFailed',
      'States.Format(\'Validation {} returned no row: {}\', $.check.id, States.JsonToString($.check.rows))');

    let success: sfn.IChainable = new sfn.Succeed(this, O.STATE_SUCCEEDED, { outputPath: '$.run' });
    if (options.notifyOnSuccess) {
      const notifySuccess = new tasks.SnsPublish(this, O.STATE_NOTIFY_SUCCESS, {
        topic: this.notificationTopic,
        subject: 'Weather pipeline run succeeded',
        message: sfn.TaskInput.fromObject({
          status: 'SUCCEEDED',
          runId: sfn.JsonPath.stringAt('$.run.runId'),
          summaryKey: sfn.JsonPath.stringAt('$.run.summaryKey'),
          execution: sfn.JsonPath.executionId,
        }),
        resultPath: sfn.JsonPath.DISCARD,
        taskTimeout: sfn.Timeout.duration(Duration.seconds(60)),
      });
      notifySuccess.addRetry({ errors: ['States.ALL'], interval: Duration.seconds(2), maxAttempts: 3, backoffRate: 2 });
      notifySuccess.addCatch(success, { resultPath: '$.notificationError' });
      success = notifySuccess.next(success);
    }

    const queries = props.catalog.validationQueries;
    let next: sfn.IChainable = success;
    for (let i = queries.length - 1; i >= 0; i--) {
      const query = queries[i];
      const startQuery = new sfn.CustomState(this, O.validationQueryState(query.id), {
        stateJson: {
          Type: 'Task',
          Comment: query.description,
          Resource: `arn:${Stack.of(this).partition}:states:::athena:startQueryExecution.sync`,
          Parameters: {
            QueryString: query.queryString,
            WorkGroup: props.catalog.workGroupName,
            QueryExecutionContext: { Database: props.catalog.databaseName },
            ...(query.parameters.length > 0
              ? { 'ExecutionParameters.$': `States.Array(${query.parameters.map((p) => `$.validation.executionParameters.${p}`).join(', ')})` }
              : {}),
          },
          ResultSelector: { 'queryExecutionId.$': '$.QueryExecution.QueryExecutionId' },
          ResultPath: '$.query',
          TimeoutSeconds: seconds(options.queryTimeout),
        },
      });
      startQuery.addRetry(ATHENA_RETRY);
      startQuery.addCatch(queryFailed, { resultPath: '$.error' });
      const readResult = new sfn.CustomState(this, O.validationResultState(query.id), {
        stateJson: {
          Type: 'Task',
          Resource: `arn:${Stack.of(this).partition}:states:::athena:getQueryResults`,
          Parameters: { 'QueryExecutionId.$': '$.query.queryExecutionId', 'MaxResults': 2 },
          ResultSelector: {
            'id': query.id,
            'columns.$': '$.ResultSet.Rows[0].Data[*].VarCharValue',
            'rows.$': '$.ResultSet.Rows',
          },
          ResultPath: '$.check',
          TimeoutSeconds: 60,
        },
      });
      readResult.addRetry(ATHENA_RETRY);
      readResult.addCatch(queryFailed, { resultPath: '$.error' });
      // The verdict is the first column, `passed` ("true" / "false").
      const judge = new sfn.Choice(this, `Judge ${query.id}`)
        .when(sfn.Condition.and(
          present('$.check.rows[1].Data[0].VarCharValue'),
          sfn.Condition.stringEquals('$.check.rows[0].Data[0].VarCharValue', 'passed'),
          sfn.Condition.stringEquals('$.check.rows[1].Data[0].VarCharValue', 'true'),
        ), next)
        .when(present('$.check.rows[1]'), validationFailed)
        .otherwise(noVerdict);
      next = startQuery.next(readResult).next(judge);
    }
    plan.next(next);
    return sfn.Chain.start(start);
  }

  private grantAthenaValidation(role: iam.IRole, props: PipelineOrchestratorProps): void {
    const stack = Stack.of(this);
    const catalog = props.catalog;
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'ValidationQueries',
      actions: ['athena:StartQueryExecution', 'athena:GetQueryExecution', 'athena:GetQueryResults', 'athena:StopQueryExecution', 'athena:GetWorkGroup'],
      resources: [catalog.workGroupArn],
    }));
    const glueArn = (resource: string, resourceName?: string) => stack.formatArn({ service: 'glue', resource, resourceName });
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'ValidationCatalog',
      actions: ['glue:GetDatabase', 'glue:GetTable', 'glue:GetPartition', 'glue:GetPartitions'],
      resources: [
        glueArn('catalog'),
        glueArn('database', catalog.databaseName),
        glueArn('table', `${catalog.databaseName}/${catalog.hourlyTableName}`),
        glueArn('table', `${catalog.databaseName}/${catalog.quarantineTableName}`),
      ],
    }));
    // Athena reads the tables and writes results with the caller's permissions.
    grantPrefixRead(props.refinedBucket, role, WeatherContract.REFINED_HOURLY_PREFIX);
    grantPrefixRead(props.refinedBucket, role, WeatherContract.QUARANTINE_PREFIX);
    const resultsPrefix = this.resultsPrefix(catalog);
    grantPrefixRead(catalog.resultsBucket, role, resultsPrefix);
    grantPrefixWrite(catalog.resultsBucket, role, resultsPrefix);
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'ValidationResultsBucket',
      actions: ['s3:GetBucketLocation'],
      resources: [catalog.resultsBucket.bucketArn],
    }));
    // Athena decrypts the hourly and quarantine objects with the caller's permissions.
    props.refinedBucket.encryptionKey?.grant(role, 'kms:Decrypt');
  }

  /** The results prefix inside the results bucket, from `resultsLocation` (`s3://<bucket>/<prefix>`). */
  private resultsPrefix(catalog: AthenaCatalog): string {
    // `s3UrlForObject(prefix)` renders `s3://<bucket>/<prefix>`: with a token bucket name, the prefix is the
    // literal last part of the Fn::Join.
    const resolved = Stack.of(this).resolve(catalog.resultsLocation);
    const text: string = typeof resolved === 'string' ? resolved : String(resolved?.['Fn::Join']?.[1]?.slice(-1)?.[0] ?? '');
    const prefix = text.replace(/^s3:\/\/[^/]+\//, '').replace(/^\//, '');
    if (!/^([^/]+\/)+$/.test(prefix)) {
      throw new Error(`catalog.resultsLocation must be s3://<bucket>/<prefix>/ with a literal prefix, got ${JSON.stringify(resolved)}`);
    }
    return prefix;
  }

  /**
   * The encrypted log group (`<id>Logs`) and the explicit role (`<id>Role`) of one of the orchestrator's functions:
   * the role logs only to that log group (no AWSLambdaBasicExecutionRole). The functions use X-Ray active tracing.
   */
  private functionLogsAndRole(id: string, description: string, retention: logs.RetentionDays, removalPolicy: RemovalPolicy) {
    const logGroup = new logs.LogGroup(this, `${id}Logs`, {
      retention,
      encryptionKey: this.encryptionKey,
      removalPolicy,
    });
    const role = new iam.Role(this, `${id}Role`, {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description,
    });
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      resources: [logGroup.logGroupArn],
    }));
    // Both functions trace with X-Ray and write streams of their own log group (cdk-nag acknowledgements).
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'X-Ray active tracing: xray:PutTraceSegments and xray:PutTelemetryRecords do not support resource-level permissions.',
    });
    acknowledgeWildcardResources(role, [`${logGroup.logGroupArn}:*`],
      'The function writes log streams of its own log group only; stream names are created by Lambda at run time.');
    return { logGroup, role };
  }

  private createPlanFunction(retention: logs.RetentionDays, removalPolicy: RemovalPolicy, refinedBucket: s3.IBucket): lambda.IFunction {
    const { logGroup, role } = this.functionLogsAndRole('ValidationPlan',
      'Weather pipeline: computes validation query parameters from the ETL run summary', retention, removalPolicy);
    // It reads the run summaries, nothing else of the refined bucket.
    const summaries = refinedBucket.arnForObjects(`${WeatherContract.RUN_SUMMARY_PREFIX}*`);
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [summaries] }));
    refinedBucket.encryptionKey?.grant(role, 'kms:Decrypt');
    acknowledgeWildcardResources(role, [summaries],
      'The planner reads the run summary of each run; summaries are keyed by processing date and run id, known only at run time.');
    const fn = new ValidationPlanFunction(this, 'ValidationPlan', {
      description: 'cdk-weather-pipeline: validation query parameters from the ETL run summary',
      role,
      logGroup,
      memorySize: 256,
      timeout: Duration.seconds(30),
      tracing: lambda.Tracing.ACTIVE,
    });
    omitRoleFromDependsOn(fn, role);
    skipCheckovCheck(fn, 'CKV_AWS_116',
      'Invoked synchronously by the state machine, which retries it and reports failures to SNS; a dead-letter queue applies only to asynchronous invocations.');
    skipCheckovCheck(fn, 'CKV_AWS_117',
      'Reads one run summary from S3 through the public endpoint: a VPC would need an S3 endpoint or a NAT gateway and would protect no private resource.');
    skipCheckovCheck(fn, 'CKV_AWS_115',
      'Invoked only by the state machine, once per pipeline run; reserved concurrency would take capacity from the account\'s unreserved pool.');
    skipCheckovCheck(fn, 'CKV_AWS_173',
      'The only environment variable is AWS_NODEJS_CONNECTION_REUSE_ENABLED, set by aws-cdk-lib: no secret to encrypt with a customer key.');
    return fn;
  }

  /** The run starter: invoked asynchronously by the triggers, it starts executions named after their run id. */
  private createRunStarter(retention: logs.RetentionDays, removalPolicy: RemovalPolicy, deadLetterQueue: sqs.IQueue): lambda.IFunction {
    const { logGroup, role } = this.functionLogsAndRole('RunStarter',
      'Weather pipeline: starts orchestrator executions named after their run id', retention, removalPolicy);
    // states:StartExecution on this state machine, nothing else in Step Functions.
    this.stateMachine.grantStartExecution(role);
    const fn = new StartRunFunction(this, 'RunStarter', {
      description: 'cdk-weather-pipeline: starts an orchestrator execution named after the run id of a schedule or manifest event',
      role,
      logGroup,
      memorySize: 256,
      timeout: Duration.seconds(30),
      architecture: lambda.Architecture.ARM_64,
      tracing: lambda.Tracing.ACTIVE,
      environment: { [STATE_MACHINE_ARN_ENV]: this.stateMachine.stateMachineArn },
      // Asynchronous invocations (the schedule and the rule): a failed start is retried, then dead-lettered.
      onFailure: new lambdaDestinations.SqsDestination(deadLetterQueue),
      retryAttempts: 2,
      maxEventAge: Duration.hours(6),
    });
    omitRoleFromDependsOn(fn, role);
    skipCheckovCheck(fn, 'CKV_AWS_116',
      'Failed asynchronous invocations go to the trigger dead-letter queue through an on-failure destination (EventInvokeConfig), which keeps the error that a DeadLetterConfig would drop.');
    skipCheckovCheck(fn, 'CKV_AWS_117',
      'Calls the Step Functions API only: a VPC would need an endpoint or a NAT gateway and would protect no private resource.');
    skipCheckovCheck(fn, 'CKV_AWS_115',
      'Invoked once per schedule tick or manifest; StartExecution is idempotent by name, so concurrent invocations are harmless, and reserved concurrency would take capacity from the account\'s unreserved pool.');
    skipCheckovCheck(fn, 'CKV_AWS_173',
      'The environment holds the state machine ARN and AWS_NODEJS_CONNECTION_REUSE_ENABLED: no secret to encrypt with a customer key.');
    return fn;
  }
}

function checkDuration(propName: string, value: Duration, minSeconds: number, maxSeconds: number): void {
  if (Token.isUnresolved(value.toString())) {
    return;
  }
  const s = value.toSeconds({ integral: false });
  if (!Number.isInteger(s) || s < minSeconds || s > maxSeconds) {
    throw new Error(`${propName} must be a whole number of seconds between ${Duration.seconds(minSeconds).toHumanString()} and ${Duration.seconds(maxSeconds).toHumanString()}, got ${value.toHumanString()}`);
  }
}
