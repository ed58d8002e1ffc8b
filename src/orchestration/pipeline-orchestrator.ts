import { Annotations, ArnFormat, Duration, Names, RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as eventsTargets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as schedulerTargets from 'aws-cdk-lib/aws-scheduler-targets';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { MissingCityAction } from './missing-city-action';
import { IPipelineOrchestrator, PipelineOrchestratorAttributes } from './orchestrator-interface';
import { IAthenaCatalog } from '../catalog/athena-catalog';
import { WeatherContract } from '../contract/weather-contract';
import { IGlueEtlJob } from '../etl/glue-etl-job';
import { IWeatherIngestion } from '../ingestion/ingestion-interface';
import { checkSameLake, describeData, sameCities } from '../private/dataset';
import { createLogsEncryptionKey } from '../private/logs-encryption-key';
import { acknowledgeRoleInlinePolicy, acknowledgeWildcardResources } from '../private/nag-acknowledgements';
import { checkScheduleExpression } from '../private/schedule';
import { omitRoleFromDependsOn, skipCheckovCheck } from '../private/template-checkers';
import { budgetWithoutEtl, buildRunDefinition, MISSING_CITY_CHECK, seconds, STATE, validationQueryState, validationResultState } from './private/definition';
import { createPlanFunction, createRunStarter } from './private/functions';
import { VALIDATION_PARAMETER_NAMES } from './private/validation-plan';
import { grantPrefixRead, grantPrefixWrite } from '../private/prefix-grants';

/**
 * Properties of the pipeline orchestrator.
 */
export interface PipelineOrchestratorProps {
  /**
   * The ETL job each execution runs once, on one ingestion batch. Its zones are the orchestrator's: the manifest
   * trigger listens to the EventBridge events of its landing zone's bucket (which must send them, as `LandingZone`
   * does by default), and the state machine reads the run summary from its refined lake, where Athena reads the
   * hourly and quarantine prefixes on its behalf.
   */
  readonly etlJob: IGlueEtlJob;

  /**
   * The catalog whose `validationQueries` are run, in its workgroup, after the ETL. It must be built on a refined
   * lake with the ETL job's cities and partition granularity.
   */
  readonly catalog: IAthenaCatalog;

  /**
   * Run the ingestion function as the first step of each execution that does not name a batch. Turn off the
   * ingestion's own schedule (`scheduleEnabled: false`) when you pass it here. It must fetch the cities of the ETL
   * job's refined lake. A `WeatherIngestion`, or one imported with `WeatherIngestion.fromWeatherIngestionAttributes`.
   *
   * @default - no ingestion step: executions process a manifest (or a raw prefix) already in the landing zone
   */
  readonly ingestion?: IWeatherIngestion;

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
   * Longest an execution may run before Step Functions stops it (and its Glue run). It must hold the task timeouts
   * on the normal path: the ingestion's, `etlTimeout` for each Glue run attempt (1 + `etlRunRetries`), each
   * validation query's `queryTimeout` (plus a minute to read its verdict) and a few minutes for the rest; synth
   * fails, naming them and their sum, when it does not.
   *
   * @default - that sum plus 15 minutes for retries, at least 2 hours
   */
  readonly executionTimeout?: Duration;

  /**
   * Longest one Glue run may take before the state machine stops it. Shorter than `executionTimeout`.
   *
   * @default - 90 minutes; when `executionTimeout` is given, at most what it leaves after the other task timeouts
   * on the normal path, shared by the Glue run attempts (1 + `etlRunRetries`), in whole minutes
   */
  readonly etlTimeout?: Duration;

  /**
   * How many times a Glue job run that ends FAILED is started again (same run id: the ETL is idempotent) before the
   * run fails; the failure notification says how many attempts were made. 0 turns retrying off. Errors starting the
   * run (throttling, concurrent runs) have their own retries.
   *
   * @default 1
   */
  readonly etlRunRetries?: number;

  /**
   * What a run does when a city of the refined lake (`refinedLake.cities`) has no data for the run's dates: fail
   * (the `partitions-not-empty` check names the empty partitions), or only alert the notification topic and succeed
   * when the other checks pass.
   *
   * @default MissingCityAction.FAIL
   */
  readonly missingCityAction?: MissingCityAction;

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

const STATE_MACHINE_NAME = /^[A-Za-z0-9_-]{1,80}$/;


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
 * new PipelineOrchestrator(this, 'Orchestrator', {
 *   etlJob: etl,
 *   catalog,
 *   notificationEmail: 'data-team@example.com',
 * });
 */
export class PipelineOrchestrator extends Construct implements IPipelineOrchestrator {
  /** Name of the Task state that runs the ingestion function. */
  public static readonly STATE_INGEST: string = STATE.ingest;
  /** Name of the Task state that runs the Glue job. */
  public static readonly STATE_RUN_ETL: string = STATE.runEtl;
  /**
   * Name of the Task state that computes the validation parameters: its function reads the ETL run summary from
   * the refined bucket and returns the run's date range, cities and counts.
   */
  public static readonly STATE_PLAN_VALIDATION: string = STATE.planValidation;
  /** Name of the Task state that publishes failures. */
  public static readonly STATE_NOTIFY_FAILURE: string = STATE.notifyFailure;
  /** Name of the Task state that publishes an ingestion partial failure. */
  public static readonly STATE_ALERT_PARTIAL_INGESTION: string = STATE.alertPartialIngestion;
  /** Name of the Task state that publishes an alert for configured cities without data (`MissingCityAction.ALERT`). */
  public static readonly STATE_ALERT_MISSING_CITIES: string = STATE.alertMissingCities;
  /** Name of the Task state that publishes a success. */
  public static readonly STATE_NOTIFY_SUCCESS: string = STATE.notifySuccess;
  /** Name of the final Fail state. */
  public static readonly STATE_FAILED: string = STATE.failed;
  /** Name of the final Succeed state. */
  public static readonly STATE_SUCCEEDED: string = STATE.succeeded;

  /** Name of the Task state that runs a validation query. */
  public static validationQueryState(queryId: string): string {
    return validationQueryState(queryId);
  }

  /** Name of the Task state that reads a validation query's verdict. */
  public static validationResultState(queryId: string): string {
    return validationResultState(queryId);
  }

  /**
   * An orchestrator deployed elsewhere (another stack or account), for a monitoring built here.
   *
   * @example
   * declare const stateMachine: sfn.IStateMachine;
   * declare const topic: sns.ITopic;
   * declare const key: kms.IKey;
   * const orchestrator = PipelineOrchestrator.fromPipelineOrchestratorAttributes(this, 'Orchestrator', {
   *   stateMachine,
   *   notificationTopic: topic,
   *   encryptionKey: key,
   * });
   */
  public static fromPipelineOrchestratorAttributes(scope: Construct, id: string, attrs: PipelineOrchestratorAttributes): IPipelineOrchestrator {
    class Import extends Construct implements IPipelineOrchestrator {
      public readonly stateMachine = attrs.stateMachine;
      public readonly notificationTopic = attrs.notificationTopic;
      public readonly encryptionKey = attrs.encryptionKey;
      public readonly triggerDeadLetterQueue = attrs.triggerDeadLetterQueue;
      public grantStartExecution(grantee: iam.IGrantable): iam.Grant {
        return attrs.stateMachine.grantStartExecution(grantee);
      }
    }
    return new Import(scope, id);
  }

  /** The state machine. */
  public readonly stateMachine: sfn.IStateMachine;

  /** The state machine's execution role (it starts the Glue run and the Athena queries, and publishes to the topic). */
  public readonly role: iam.IRole;

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
   * The EventBridge rule sending executions that end TIMED_OUT or ABORTED to the notification topic (the state
   * machine's own failure path cannot run for them).
   */
  public readonly stoppedExecutionRule: events.IRule;

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
    const queryTimeout = props.queryTimeout ?? Duration.minutes(10);
    const etlRunRetries = props.etlRunRetries ?? 1;
    if (!Number.isInteger(etlRunRetries) || etlRunRetries < 0 || etlRunRetries > 5) {
      throw new Error(`etlRunRetries must be a whole number from 0 to 5, got ${etlRunRetries}`);
    }
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const missingCityAction = props.missingCityAction ?? MissingCityAction.FAIL;
    if (!Object.values(MissingCityAction).includes(missingCityAction)) {
      throw new Error(`missingCityAction must be one of ${Object.values(MissingCityAction).join(', ')}, got ${JSON.stringify(missingCityAction)}`);
    }
    if (missingCityAction === MissingCityAction.ALERT) {
      if (!props.catalog.validationQueries.some((query) => query.id === MISSING_CITY_CHECK)) {
        throw new Error(`missingCityAction is ALERT but catalog ${props.catalog.node.path} has no "${MISSING_CITY_CHECK}" validation query to check the missing cities with`);
      }
    }

    checkDuration('queryTimeout', queryTimeout, 10, 24 * 3600);
    if (props.executionTimeout !== undefined) {
      checkDuration('executionTimeout', props.executionTimeout, 60, 365 * 24 * 3600);
    }
    // The normal path's budget: every task timeout on it must fit in the execution timeout, or a slow but valid run
    // ends TIMED_OUT instead of in the notify path.
    const budget = budgetWithoutEtl(props.ingestion, props.catalog.validationQueries.length, queryTimeout, missingCityAction);
    const budgetSeconds = budget.reduce((sum, part) => sum + part.seconds, 0);
    // A job run that ends FAILED is started again etlRunRetries times: each attempt may take etlTimeout.
    const etlAttempts = etlRunRetries + 1;
    const etlTimeout = props.etlTimeout ?? (props.executionTimeout === undefined || Token.isUnresolved(props.executionTimeout.toString())
      ? Duration.minutes(90)
      : Duration.minutes(Math.max(1, Math.min(90, Math.floor((seconds(props.executionTimeout) - budgetSeconds) / etlAttempts / 60)))));
    checkDuration('etlTimeout', etlTimeout, 60, 48 * 3600);
    const normalPath = [...budget, {
      what: etlAttempts === 1
        ? `etlTimeout ${etlTimeout.toHumanString()} (etlRunRetries 0)`
        : `${etlAttempts} Glue run attempts (etlRunRetries ${etlRunRetries}) × etlTimeout ${etlTimeout.toHumanString()}`,
      seconds: etlAttempts * seconds(etlTimeout),
    }];
    const normalPathSeconds = budgetSeconds + etlAttempts * seconds(etlTimeout);
    const executionTimeout = props.executionTimeout
      ?? Duration.minutes(Math.max(120, Math.ceil(normalPathSeconds / 60) + 15));
    if (!Token.isUnresolved(etlTimeout.toString()) && !Number.isInteger(etlTimeout.toMinutes({ integral: false }))) {
      throw new Error(`etlTimeout must be a whole number of minutes (the Glue run timeout), got ${etlTimeout.toHumanString()}`);
    }
    if (!Token.isUnresolved(executionTimeout.toString()) && !Token.isUnresolved(etlTimeout.toString())
      && seconds(etlTimeout) >= seconds(executionTimeout)) {
      throw new Error(`etlTimeout must be shorter than executionTimeout (${executionTimeout.toHumanString()}), got ${etlTimeout.toHumanString()}`);
    }
    if (!Token.isUnresolved(executionTimeout.toString()) && normalPathSeconds > seconds(executionTimeout)) {
      throw new Error(`executionTimeout (${executionTimeout.toHumanString()}) is shorter than the task timeouts on the normal path: `
        + `${normalPath.map((part) => part.what).join(' + ')} = ${Duration.seconds(normalPathSeconds).toHumanString()} (${normalPathSeconds} s); `
        + 'raise executionTimeout, or lower etlTimeout, etlRunRetries or queryTimeout');
    }
    if (scheduleEnabled && !hasIngestion) {
      throw new Error('scheduleEnabled is true but there is no ingestion: a scheduled execution without the ingestion step has no batch to process; pass ingestion, or use the manifest trigger');
    }
    if (props.schedule !== undefined) {
      checkScheduleExpression('schedule', props.schedule.expressionString);
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
    checkSameLake({ what: `etlJob ${props.etlJob.node.path}`, lake: props.etlJob.refinedLake }, { what: `catalog ${props.catalog.node.path}`, lake: props.catalog.refinedLake });
    if (props.ingestion !== undefined && props.etlJob.refinedLake.cities !== undefined
      && !sameCities(props.ingestion.cities, props.etlJob.refinedLake.cities)) {
      throw new Error(`ingestion ${props.ingestion.node.path} and etlJob ${props.etlJob.node.path} are built from different data definitions: `
        + `the ingestion fetches ${describeData(props.ingestion.cities)}, the job's refined lake ${props.etlJob.refinedLake.node.path} holds ${describeData(props.etlJob.refinedLake.cities)}; `
        + 'give the ingestion the refined lake\'s cities (refinedLake.cities)');
    }
    const unrefined = props.ingestion?.sourceIds.filter((source) => !props.etlJob.sourceIds.includes(source)) ?? [];
    if (unrefined.length > 0) {
      throw new Error(`ingestion ${props.ingestion!.node.path} calls sources the etlJob ${props.etlJob.node.path} does not refine: `
        + `the ingestion calls ${props.ingestion!.sourceIds.join(', ')}, the job refines ${props.etlJob.sourceIds.join(', ')}, so every response of `
        + `${unrefined.join(', ')} would be quarantined as INVALID_KEY; give the job the ingestion's sources (sourceIds: ingestion.sourceIds)`);
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

    this.validationPlanFunction = createPlanFunction(this, this.encryptionKey, props.logRetention ?? logs.RetentionDays.ONE_YEAR,
      removalPolicy, props.etlJob.refinedLake.bucket);

    const definition = buildRunDefinition(this, {
      etlJob: props.etlJob,
      catalog: props.catalog,
      ingestion: props.ingestion,
      notificationTopic: this.notificationTopic,
      validationPlanFunction: this.validationPlanFunction,
      notifyOnSuccess,
      etlTimeout,
      queryTimeout,
      etlRunRetries,
      missingCityAction,
    });

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
    acknowledgeRoleInlinePolicy(stateMachineRole);
    const stateMachine = new sfn.StateMachine(this, 'Resource', {
      role: stateMachineRole,
      stateMachineName: props.stateMachineName,
      comment: 'cdk-weather-pipeline: one ingestion batch through the Glue ETL and the Athena validation queries',
      definitionBody: sfn.DefinitionBody.fromChainable(definition),
      stateMachineType: sfn.StateMachineType.STANDARD,
      timeout: executionTimeout,
      tracingEnabled: true,
      logs: { destination: this.logGroup, level: sfn.LogLevel.ALL, includeExecutionData: true },
    });
    this.stateMachine = stateMachine;
    this.role = stateMachine.role;
    const role = this.role;
    omitRoleFromDependsOn(stateMachine, role);
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
      starter = createRunStarter(this, this.encryptionKey, this.stateMachine,
        props.logRetention ?? logs.RetentionDays.ONE_YEAR, removalPolicy, deadLetterQueue);
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
      acknowledgeRoleInlinePolicy(scheduleRole);
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
            bucket: { name: [props.etlJob.landingZone.bucket.bucketName] },
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

    // An execution that times out or is stopped never reaches the notify path: EventBridge tells the topic.
    // A physical name: the key policy names the rule's ARN, and a reference to the rule would close a cycle
    // (key → rule → state machine → role policy → topic → key).
    const stoppedRuleName = `${Names.uniqueResourceName(this, { maxLength: 56, separator: '-' })}-stopped`;
    const stoppedExecutionRule = new events.Rule(this, 'StoppedExecutions', {
      ruleName: stoppedRuleName,
      description: 'Weather pipeline executions that ended TIMED_OUT or ABORTED, to the notification topic',
      eventPattern: {
        source: ['aws.states'],
        detailType: ['Step Functions Execution Status Change'],
        detail: { status: ['TIMED_OUT', 'ABORTED'], stateMachineArn: [this.stateMachine.stateMachineArn] },
      },
    });
    // Our own target, not eventsTargets.SnsTopic: its grants to EventBridge (topic and key) carry no condition.
    const topic = this.notificationTopic;
    stoppedExecutionRule.addTarget({
      bind: () => ({
        arn: topic.topicArn,
        input: events.RuleTargetInput.fromObject({
          status: events.EventField.fromPath('$.detail.status'),
          error: events.EventField.fromPath('$.detail.error'),
          cause: events.EventField.fromPath('$.detail.cause'),
          execution: events.EventField.fromPath('$.detail.executionArn'),
          input: events.EventField.fromPath('$.detail.input'),
        }),
        targetResource: topic,
      }),
    });
    this.stoppedExecutionRule = stoppedExecutionRule;
    const stoppedRuleArn = stack.formatArn({ service: 'events', resource: 'rule', resourceName: stoppedRuleName });
    topic.addToResourcePolicy(new iam.PolicyStatement({
      sid: 'EventBridgeStoppedExecutionsNotification',
      principals: [new iam.ServicePrincipal('events.amazonaws.com')],
      actions: ['sns:Publish'],
      resources: [topic.topicArn],
      conditions: {
        StringEquals: { 'aws:SourceAccount': stack.account },
        ArnEquals: { 'aws:SourceArn': stoppedRuleArn },
      },
    }));
    // EventBridge publishes to an encrypted topic with the topic's key; only for this rule (a topic or key passed in
    // by reference cannot be changed here: its policy must allow events.amazonaws.com itself).
    this.notificationTopic.masterKey?.addToResourcePolicy(new iam.PolicyStatement({
      sid: 'EventBridgeStoppedExecutionsNotification',
      principals: [new iam.ServicePrincipal('events.amazonaws.com')],
      actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
      resources: ['*'],
      conditions: {
        StringEquals: { 'aws:SourceAccount': stack.account },
        ArnEquals: { 'aws:SourceArn': stoppedRuleArn },
      },
    }));

    // cdk-nag: the wildcards that cannot be narrowed, each with its reason.
    acknowledgeWildcardResources(role, [
      props.etlJob.refinedLake.bucket.arnForObjects(`${props.etlJob.refinedLake.runSummaryPrefix}*`),
      props.etlJob.refinedLake.bucket.arnForObjects(`${props.etlJob.refinedLake.hourlyPrefix}*`),
      props.etlJob.refinedLake.bucket.arnForObjects(`${props.etlJob.refinedLake.quarantinePrefix}*`),
      props.etlJob.refinedLake.bucket.arnForObjects(`${props.etlJob.refinedLake.dailyPrefix}*`),
      props.catalog.resultsBucket.arnForObjects(`${props.catalog.resultsPrefix}*`),
    ], 'Object access is limited to the contract prefixes (run summaries, hourly, quarantine, daily) and the Athena results prefix; object keys are only known at run time.');
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
        // daily-consistent compares the daily table with the hourly one.
        glueArn('table', `${catalog.databaseName}/${catalog.dailyTableName}`),
      ],
    }));
    // Athena reads the tables and writes results with the caller's permissions.
    props.etlJob.refinedLake.grantReadHourly(role);
    props.etlJob.refinedLake.grantReadQuarantine(role);
    props.etlJob.refinedLake.grantReadDaily(role);
    const resultsPrefix = catalog.resultsPrefix;
    grantPrefixRead(catalog.resultsBucket, role, resultsPrefix);
    grantPrefixWrite(catalog.resultsBucket, role, resultsPrefix);
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'ValidationResultsBucket',
      actions: ['s3:GetBucketLocation'],
      resources: [catalog.resultsBucket.bucketArn],
    }));
    // Athena decrypts the hourly and quarantine objects with the caller's permissions.
    props.etlJob.refinedLake.bucket.encryptionKey?.grant(role, 'kms:Decrypt');
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
