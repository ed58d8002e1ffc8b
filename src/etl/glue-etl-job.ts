import * as fs from 'fs';
import * as path from 'path';
import { Annotations, ArnFormat, Duration, Fn, Names, RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import * as glue from 'aws-cdk-lib/aws-glue';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3assets from 'aws-cdk-lib/aws-s3-assets';
import { Construct, IConstruct } from 'constructs';
import { City, PartitionGranularity, WeatherContract } from '../contract';
import { ExplicitReadCode } from './private/explicit-read-code';
import { citiesOf } from '../private/dataset';
import { createLogsEncryptionKey } from '../private/logs-encryption-key';
import { acknowledgeRoleInlinePolicy, acknowledgeWildcardResources } from '../private/nag-acknowledgements';
import { grantPrefixRead, grantPrefixWrite } from '../private/prefix-grants';
import { ILandingZone, IRefinedLake } from '../storage';

/**
 * The weather ETL job as its consumers see it (the orchestrator runs it, the monitoring watches it): its name, the
 * zones it reads and writes, and the grant to start it.
 *
 * Made by `GlueEtlJob`, or imported with `GlueEtlJob.fromGlueEtlJobAttributes`.
 */
export interface IGlueEtlJob extends IConstruct {
  /** Name of the Glue job. */
  readonly jobName: string;

  /** ARN of the Glue job. */
  readonly jobArn: string;

  /** The landing zone the job reads raw responses and manifests from. */
  readonly landingZone: ILandingZone;

  /** The refined lake the job writes, whose cities and partition granularity it follows. */
  readonly refinedLake: IRefinedLake;

  /**
   * The weather sources whose raw responses the job refines (ids of `WeatherContract.SOURCES`); raw keys of any other
   * source are quarantined as `INVALID_KEY`. An orchestrator checks that its ingestion calls no other source.
   */
  readonly sourceIds: string[];

  /** Lets a principal start and watch runs of this job (what an orchestrator needs). */
  grantStartRun(grantee: iam.IGrantable): iam.Grant;
}

/**
 * A weather ETL job deployed elsewhere, for `GlueEtlJob.fromGlueEtlJobAttributes`.
 */
export interface GlueEtlJobAttributes {
  /** Name of the Glue job (it runs `GlueEtlJob.SCRIPT_PATH` with the contract's arguments). */
  readonly jobName: string;

  /** The landing zone the job reads. */
  readonly landingZone: ILandingZone;

  /** The refined lake the job writes. */
  readonly refinedLake: IRefinedLake;

  /**
   * The weather sources the job was deployed to refine (its `sourceIds`).
   *
   * @default WeatherContract.DEFAULT_SOURCES (Open-Meteo only)
   */
  readonly sourceIds?: string[];
}

/**
 * Properties of the weather ETL job.
 */
export interface GlueEtlJobProps {
  /**
   * The landing zone the job reads raw responses and manifests from (a `LandingZone`, or one imported with
   * `LandingZone.fromLandingZoneAttributes`). The job can read only under its `prefix`.
   */
  readonly landingZone: ILandingZone;

  /**
   * The refined lake the job writes hourly Parquet, quarantine and run summaries to. The job can read, write and
   * delete only under its `prefix`. The lake's `cities` are passed to the script (`--cities_json`: rows of any other
   * city are quarantined, and display names are known even for raw objects read without a manifest), and its
   * `partitionGranularity` is the layout the job writes. The lake must declare its cities.
   */
  readonly refinedLake: IRefinedLake;

  /**
   * The weather sources whose raw responses the job refines (ids of `WeatherContract.SOURCES`, e.g.
   * `['open-meteo', 'met-norway']`): the contract the script receives lists them, and raw keys of any other source
   * are quarantined as `INVALID_KEY`. Give the ingestion's (`sourceIds: ingestion.sourceIds`): a
   * `PipelineOrchestrator` fails at synth when its ingestion calls a source its job does not refine.
   *
   * @default WeatherContract.DEFAULT_SOURCES (Open-Meteo only)
   */
  readonly sourceIds?: string[];

  /**
   * Glue version. The script targets Glue 5.1 (Spark 3.5.6, Python 3.11) and is tested on that Spark.
   *
   * @default glue.GlueVersion.V5_1
   */
  readonly glueVersion?: glue.GlueVersion;

  /**
   * Worker type.
   *
   * @default glue.WorkerType.G_1X
   */
  readonly workerType?: glue.WorkerType;

  /**
   * Number of workers (at least 2: one driver and one executor).
   *
   * @default 2
   */
  readonly numberOfWorkers?: number;

  /**
   * Run on Glue Flex capacity (spare capacity, lower DPU price, may start later). Good for scheduled batches
   * that are not urgent.
   *
   * Flex runs only on the G.1X and G.2X worker types, and may reclaim an executor during a run: a script that keeps
   * intermediate results only in executors' local checkpoints (`localCheckpoint`) would lose them. The shipped
   * script does so today, so `true` fails at synth until it checkpoints reliably.
   *
   * @default false
   */
  readonly flexExecution?: boolean;

  /**
   * How long one run may take before Glue stops it.
   *
   * @default Duration.minutes(60)
   */
  readonly timeout?: Duration;

  /**
   * How many runs may execute at once. Runs merge into the same partitions, so more than one is only safe when
   * batches never touch the same dates and cities; the construct warns above 1.
   *
   * @default 1
   */
  readonly maxConcurrentRuns?: number;

  /**
   * Glue-level retries of a failed run. The orchestrator retries transient errors itself, so the default is none.
   *
   * @default 0
   */
  readonly maxRetries?: number;

  /**
   * Write Spark event logs for the Spark UI under `sparkui/` in this bucket (SSE-S3 or your key).
   *
   * @default - Spark UI event logs are off
   */
  readonly sparkUiBucket?: s3.IBucket;

  /**
   * KMS key of the job's security configuration: CloudWatch Logs and job bookmarks are encrypted with it.
   * Its policy must let the CloudWatch Logs service use it.
   *
   * @default - a new key with rotation, whose policy allows this account's CloudWatch Logs
   */
  readonly encryptionKey?: kms.IKey;

  /**
   * Retention of the job's log groups.
   *
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;

  /**
   * Glue 5.0 and later: prefix of the job's two log groups, `<prefix>/error` (driver and executor logs, Spark and
   * the Glue logger) and `<prefix>/output` (stdout, stderr), passed as `--custom-logGroup-prefix`. At most 400
   * characters, none of `:` and `*`, no trailing `/`. The construct creates both groups, encrypted with
   * `encryptionKey` and kept `logRetention`. Not allowed with Glue 4.0 and earlier, whose continuous logging
   * writes to one log group the construct creates.
   *
   * @default - `/aws-glue/weather-etl/<construct path>-<stack id suffix>`: unique to this construct and to this
   * deployment of the stack, so that groups retained by a deleted or rolled-back stack never block a new one
   */
  readonly logGroupPrefix?: string;

  /**
   * What happens to the job's key and log group when the stack is deleted.
   *
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;

  /**
   * Name of the Glue job: one line of 1 to 255 characters (Glue's rule). Unique in the account and
   * region: a fixed name stops a second pipeline (or a second stack) deploying there.
   *
   * @default - generated by CloudFormation (unique per stack)
   */
  readonly jobName?: string;
}

/**
 * The weather ETL: a Glue PySpark job that turns the landing zone's raw Open-Meteo responses into hourly
 * Parquet partitioned by `date=` and `city=` (or `month=` and `city=`, as the refined lake says), quarantines what it cannot refine, and writes a run summary.
 *
 * The script ships with the library (`src/etl/script/weather_etl.py`); its contract arrives as the job argument
 * `--contract_json`, built from `WeatherContract`. Each run takes the batch to process as run arguments
 * (`GlueEtlJob.ARG_MANIFEST_KEY`, `ARG_RUN_ID`, …): the orchestrator passes them.
 *
 * The role can read only `weather/` in the landing bucket, read/write/delete only `weather/` in the refined
 * bucket, read its own script, write its logs and publish Glue metrics. It may list both buckets (S3A, Glue 5.1's
 * S3 connector, needs a 404 for the keys it probes) and HEAD the refined bucket's `weather` key (a parent probe).
 *
 * @example
 * const landing = new LandingZone(this, 'Landing');
 * const refined = new RefinedLake(this, 'Refined', { cities: [{ name: 'Paris', latitude: 48.8566, longitude: 2.3522 }] });
 * const etl = new GlueEtlJob(this, 'Etl', { landingZone: landing, refinedLake: refined });
 */
export class GlueEtlJob extends Construct implements IGlueEtlJob {
  /** Run argument: the ingestion manifest to process, a key in the landing bucket. */
  public static readonly ARG_MANIFEST_KEY = '--manifest_key';
  /** Run argument: one raw object to process, a key in the landing bucket. */
  public static readonly ARG_RAW_KEY = '--raw_key';
  /** Run argument: process every raw object under this prefix of the landing bucket (backfills). */
  public static readonly ARG_RAW_PREFIX = '--raw_prefix';
  /** Run argument: the run id (names the run summary; the orchestrator passes its execution name). */
  public static readonly ARG_RUN_ID = '--run_id';

  /** Path of the PySpark script inside the installed package. */
  public static readonly SCRIPT_PATH = path.join(__dirname, 'script', 'weather_etl.py');

  /**
   * A weather ETL job deployed elsewhere (another stack or account), for an orchestrator or a monitoring built here.
   *
   * @example
   * declare const landing: ILandingZone;
   * declare const refined: IRefinedLake;
   * const etl = GlueEtlJob.fromGlueEtlJobAttributes(this, 'Etl', { jobName: 'weather-etl', landingZone: landing, refinedLake: refined });
   */
  public static fromGlueEtlJobAttributes(scope: Construct, id: string, attrs: GlueEtlJobAttributes): IGlueEtlJob {
    if (attrs.sourceIds !== undefined) {
      WeatherContract.validateSourceIds(attrs.sourceIds, 'sourceIds');
    }
    class Import extends Construct implements IGlueEtlJob {
      public readonly jobName = attrs.jobName;
      public readonly jobArn = Stack.of(scope).formatArn({ service: 'glue', resource: 'job', resourceName: attrs.jobName });
      public readonly landingZone = attrs.landingZone;
      public readonly refinedLake = attrs.refinedLake;
      public readonly sourceIds = [...(attrs.sourceIds ?? WeatherContract.DEFAULT_SOURCES)];
      public grantStartRun(grantee: iam.IGrantable): iam.Grant {
        return grantStartJobRun(grantee, this.jobArn);
      }
    }
    return new Import(scope, id);
  }

  /** The Glue job. */
  public readonly job: glue.IJob;

  /** Name of the Glue job. */
  public readonly jobName: string;

  /** ARN of the Glue job. */
  public readonly jobArn: string;

  /** The job's IAM role. */
  public readonly role: iam.IRole;

  /** The security configuration encrypting the job's S3 output, logs and bookmarks. */
  public readonly securityConfiguration: glue.ISecurityConfiguration;

  /** The KMS key of the security configuration. */
  public readonly encryptionKey: kms.IKey;

  /**
   * The log group of the job's driver and executors: with Glue 5.0 and later `<logGroupPrefix>/error` (Spark, Glue
   * and the script's logger), with Glue 4.0 and earlier the continuous log group.
   */
  public readonly logGroup: logs.ILogGroup;

  /**
   * Glue 5.0 and later: the log group of the job's stdout and stderr, `<logGroupPrefix>/output` (the run summary the
   * script prints is there).
   *
   * @default - none with Glue 4.0 and earlier (continuous logging writes one group, `logGroup`)
   */
  public readonly outputLogGroup?: logs.ILogGroup;

  /**
   * Glue 5.0 and later: the `--custom-logGroup-prefix` of the job's log groups.
   *
   * @default - none with Glue 4.0 and earlier
   */
  public readonly logGroupPrefix?: string;

  /** The default arguments the job starts with (contract, buckets, Spark settings). */
  public readonly defaultArguments: { [key: string]: string };

  /**
   * The hourly table's partition granularity the job writes: the refined lake's `partitionGranularity` (it is
   * part of the `--contract_json` argument).
   */
  public readonly partitionGranularity: PartitionGranularity;

  /** The weather sources whose raw responses the job refines (the `sourceIds` prop, or Open-Meteo only). */
  public readonly sourceIds: string[];

  /** The landing zone the job reads. */
  public readonly landingZone: ILandingZone;

  /** The refined lake the job writes. */
  public readonly refinedLake: IRefinedLake;

  /** The cities the job refines (the refined lake's): rows of any other city are quarantined. */
  public readonly cities: City[];

  constructor(scope: Construct, id: string, props: GlueEtlJobProps) {
    super(scope, id);

    const numberOfWorkers = props.numberOfWorkers ?? 2;
    const maxConcurrentRuns = props.maxConcurrentRuns ?? 1;
    const maxRetries = props.maxRetries ?? 0;
    const timeout = props.timeout ?? Duration.minutes(60);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    checkInteger('numberOfWorkers', numberOfWorkers, 2, 299);
    checkInteger('maxConcurrentRuns', maxConcurrentRuns, 1, 1000);
    checkInteger('maxRetries', maxRetries, 0, 10);
    if (!Token.isUnresolved(timeout.toString())) {
      const minutes = timeout.toMinutes({ integral: false });
      if (!Number.isInteger(minutes) || minutes < 1 || minutes > 2880) {
        throw new Error(`timeout must be a whole number of minutes between 1 and 2880 (48 hours), got ${timeout.toHumanString()}`);
      }
    }
    if (props.jobName !== undefined && !Token.isUnresolved(props.jobName) && !/^[^\r\n]{1,255}$/.test(props.jobName)) {
      throw new Error(`jobName must be one line of 1 to 255 characters, got ${JSON.stringify(props.jobName)}`);
    }
    this.landingZone = props.landingZone;
    this.refinedLake = props.refinedLake;
    this.cities = citiesOf(props.refinedLake, this);
    if (maxConcurrentRuns > 1) {
      Annotations.of(this).addWarningV2('cdk-weather-pipeline:concurrentEtlRuns',
        `maxConcurrentRuns is ${maxConcurrentRuns}: concurrent runs that touch the same date and city partitions can overwrite each other's merge. Keep 1 unless batches never overlap.`);
    }

    if (props.flexExecution) {
      checkFlexExecution(props.workerType ?? glue.WorkerType.G_1X, GlueEtlJob.SCRIPT_PATH);
    }

    this.partitionGranularity = props.refinedLake.partitionGranularity;
    if (props.sourceIds !== undefined) {
      WeatherContract.validateSourceIds(props.sourceIds, 'sourceIds');
    }
    this.sourceIds = [...(props.sourceIds ?? WeatherContract.DEFAULT_SOURCES)];
    const landingBucket = props.landingZone.bucket;
    const refinedBucket = props.refinedLake.bucket;

    const stack = Stack.of(this);
    const glueVersion = props.glueVersion ?? glue.GlueVersion.V5_1;
    // Glue 5.0 writes driver and executor logs to `<prefix>/error` and stdout/stderr to `<prefix>/output`
    // (`--custom-logGroup-prefix`); the continuous-logging arguments are documented for Glue 4.0 and earlier only.
    const glue5 = Number.parseFloat(glueVersion) >= 5;
    if (props.logGroupPrefix !== undefined && !glue5) {
      throw new Error(`logGroupPrefix is for Glue 5.0 and later (--custom-logGroup-prefix), got glueVersion ${glueVersion}`);
    }
    if (props.logGroupPrefix !== undefined && !Token.isUnresolved(props.logGroupPrefix)
      && !/^[^:*]{1,400}$/.test(props.logGroupPrefix) || props.logGroupPrefix?.endsWith('/')) {
      throw new Error(`logGroupPrefix must be 1 to 400 characters without ":" or "*" and no trailing "/", got "${props.logGroupPrefix}"`);
    }
    if (glue5) {
      // The stack id's last segment differs for every deployment of a stack: retained groups never collide.
      const deployment = Fn.select(4, Fn.split('-', Fn.select(2, Fn.split('/', stack.stackId))));
      this.logGroupPrefix = props.logGroupPrefix
        ?? `/aws-glue/weather-etl/${Names.uniqueResourceName(this, { maxLength: 96, separator: '-' })}-${deployment}`;
    }
    const logGroupNames = this.logGroupPrefix !== undefined ? [`${this.logGroupPrefix}/error`, `${this.logGroupPrefix}/output`] : undefined;
    this.encryptionKey = props.encryptionKey ?? createLogsEncryptionKey(this, 'Key', 'Encrypts the weather ETL job logs and bookmarks (cdk-weather-pipeline)', removalPolicy, logGroupNames);

    const retention = props.logRetention ?? logs.RetentionDays.ONE_YEAR;
    if (logGroupNames !== undefined) {
      this.logGroup = new logs.LogGroup(this, 'ErrorLogs', { logGroupName: logGroupNames[0], retention, encryptionKey: this.encryptionKey, removalPolicy });
      this.outputLogGroup = new logs.LogGroup(this, 'OutputLogs', { logGroupName: logGroupNames[1], retention, encryptionKey: this.encryptionKey, removalPolicy });
    } else {
      this.logGroup = new logs.LogGroup(this, 'Logs', { retention, encryptionKey: this.encryptionKey, removalPolicy });
    }

    const role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('glue.amazonaws.com'),
      description: 'Weather ETL Glue job: reads the landing zone, writes the refined zone',
    });
    acknowledgeRoleInlinePolicy(role);
    this.role = role;

    this.securityConfiguration = new glue.SecurityConfiguration(this, 'SecurityConfiguration', {
      s3Encryption: refinedBucket.encryptionKey
        ? glue.S3Encryption.kms(refinedBucket.encryptionKey)
        : glue.S3Encryption.s3Managed(),
      cloudWatchEncryption: glue.CloudWatchEncryption.kms(this.encryptionKey),
      jobBookmarksEncryption: glue.JobBookmarksEncryption.clientSideKms(this.encryptionKey),
      // It holds no data, and its name is fixed by the construct path: a retained copy left by a rolled-back first
      // deploy would make every retry fail with AlreadyExists.
      removalPolicy: RemovalPolicy.DESTROY,
    });

    // Data access: exactly the contract prefixes.
    grantPrefixRead(landingBucket, role, props.landingZone.prefix);
    grantPrefixRead(refinedBucket, role, props.refinedLake.prefix);
    grantPrefixWrite(refinedBucket, role, props.refinedLake.prefix, { delete: true });
    // Glue 5.1 reads and writes S3 through S3A, which probes keys that do not exist (a partition path before it is
    // written, `weather/hourly` before the first run) and needs 404 there, not 403: S3 answers 404 for a missing key
    // only to a caller with s3:ListBucket on the bucket, which a prefix condition does not give for a HEAD. Listing
    // shows keys, never content; reads and writes stay under weather/.
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'S3AMissingKeyProbes',
      actions: ['s3:ListBucket'],
      resources: [landingBucket.bucketArn, refinedBucket.bucketArn],
    }));
    // S3A's mkdirs walks up the parents of a new directory until one exists; on a bucket with nothing under weather/
    // yet (the first run) it reaches `weather` itself, a HEAD on that exact key.
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'S3AParentProbe',
      actions: ['s3:GetObject'],
      resources: [refinedBucket.arnForObjects(props.refinedLake.prefix.replace(/\/$/, ''))],
    }));
    this.encryptionKey.grant(role, 'kms:Encrypt', 'kms:Decrypt', 'kms:GenerateDataKey');
    this.grantLogsAndMetrics(role, glue5 ? [this.logGroup, this.outputLogGroup!] : undefined);

    const script = new s3assets.Asset(this, 'Script', { path: GlueEtlJob.SCRIPT_PATH });

    this.defaultArguments = {
      '--landing_uri': `s3://${landingBucket.bucketName}`,
      '--refined_uri': `s3://${refinedBucket.bucketName}`,
      '--contract_json': stack.toJsonString(WeatherContract.toJson(undefined, this.partitionGranularity, this.sourceIds)),
      '--cities_json': JSON.stringify(this.cities.map((city) => ({ slug: WeatherContract.slugOf(city), name: city.name }))),
      // Input is chosen per run from the manifest, never from Glue's bookmark state.
      '--job-bookmark-option': 'job-bookmark-disable',
      ...(this.logGroupPrefix !== undefined
        ? { '--custom-logGroup-prefix': this.logGroupPrefix, '--custom-logStream-prefix': 'weather-etl' }
        : {}),
    };

    const jobProps: glue.PySparkEtlJobProps = {
      script: new ExplicitReadCode(script.bucket, script.s3ObjectKey),
      role,
      jobName: props.jobName,
      description: `cdk-weather-pipeline: raw Open-Meteo responses to hourly Parquet (${WeatherContract.hourlyPartitionKeys(this.partitionGranularity).map((k) => `${k}=`).join('/')}), quarantine, run summary`,
      glueVersion,
      workerConfiguration: { workerType: props.workerType ?? glue.WorkerType.G_1X, numberOfWorkers },
      maxConcurrentRuns,
      maxRetries,
      timeout,
      securityConfiguration: this.securityConfiguration,
      continuousLogging: glue5 ? { enabled: false } : { enabled: true, logGroup: this.logGroup, logStreamPrefix: 'weather-etl' },
      enableMetrics: true,
      enableObservabilityMetrics: true,
      defaultArguments: this.defaultArguments,
    };
    const job = props.flexExecution
      ? new glue.PySparkFlexEtlJob(this, 'Resource', jobProps)
      : new glue.PySparkEtlJob(this, 'Resource', jobProps);
    if (props.sparkUiBucket !== undefined) {
      // Set on the L1: the L2's sparkUI option grants read/write with wildcard actions.
      const cfnJob = job.node.defaultChild as glue.CfnJob;
      cfnJob.addPropertyOverride('DefaultArguments.--enable-spark-ui', 'true');
      cfnJob.addPropertyOverride('DefaultArguments.--spark-event-logs-path', props.sparkUiBucket.s3UrlForObject('sparkui/'));
      grantPrefixWrite(props.sparkUiBucket, role, 'sparkui/');
    }
    this.job = job;
    this.jobName = job.jobName;
    this.jobArn = job.jobArn;

    acknowledgeWildcardResources(role, [
      landingBucket.arnForObjects(`${props.landingZone.prefix}*`),
      refinedBucket.arnForObjects(`${props.refinedLake.prefix}*`),
      ...(props.sparkUiBucket !== undefined ? [props.sparkUiBucket.arnForObjects('sparkui/*')] : []),
    ], 'Object access is limited to the contract prefix (weather/*); object keys are only known at run time.');
    if (glue5) {
      acknowledgeWildcardResources(role, [this.logGroup, this.outputLogGroup!].map((group) => `${group.logGroupArn}:*`),
        'Glue writes log streams named after each job run into the job\'s own two log groups; stream names are known only at run time.');
    } else {
      acknowledgeWildcardResources(role, [this.glueLogGroupsArn],
        'Glue creates its output/error log groups under /aws-glue/ at run time (names carry the security configuration), so they cannot be listed in advance.');
    }
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'cloudwatch:PutMetricData has no resource-level permissions; the statement is limited by the cloudwatch:namespace condition to Glue.',
    });
  }

  /** Lets a principal start and watch runs of this job (what an orchestrator needs). */
  public grantStartRun(grantee: iam.IGrantable): iam.Grant {
    return grantStartJobRun(grantee, this.jobArn);
  }

  private get glueLogGroupsArn(): string {
    return Stack.of(this).formatArn({ service: 'logs', resource: 'log-group', resourceName: '/aws-glue/*', arnFormat: ArnFormat.COLON_RESOURCE_NAME });
  }

  private grantLogsAndMetrics(role: iam.Role, logGroups?: logs.ILogGroup[]): void {
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'GlueLogGroups',
      actions: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents', 'logs:AssociateKmsKey'],
      // Glue 5.x: exactly the job's two groups (and their streams); 4.0 and earlier: the groups Glue names itself.
      resources: logGroups !== undefined ? logGroups.flatMap((group) => [group.logGroupArn, `${group.logGroupArn}:*`]) : [this.glueLogGroupsArn],
    }));
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'GlueMetrics',
      actions: ['cloudwatch:PutMetricData'],
      // PutMetricData has no resource-level permissions; the namespace condition is the narrowest scope.
      resources: ['*'],
      conditions: { StringEquals: { 'cloudwatch:namespace': 'Glue' } },
    }));
  }
}

/** The worker types Glue Flex runs on (Glue job API, `ExecutionClass`). */
const FLEX_WORKER_TYPES = [glue.WorkerType.G_1X, glue.WorkerType.G_2X];

/**
 * Flex needs a supported worker type, and a script that survives the loss of an executor: Flex capacity can be
 * reclaimed during a run, and `localCheckpoint` keeps its data only on the executors.
 */
function checkFlexExecution(workerType: glue.WorkerType, scriptPath: string): void {
  if (!FLEX_WORKER_TYPES.includes(workerType)) {
    throw new Error(`flexExecution: true needs workerType G.1X or G.2X (the worker types Glue Flex runs on), got ${workerType}`);
  }
  const uses = (fs.readFileSync(scriptPath, 'utf-8').match(/\.localCheckpoint\(/g) ?? []).length;
  if (uses > 0) {
    throw new Error(`flexExecution: true is not supported: the ETL script (${path.basename(scriptPath)}) keeps intermediate results in executors' local checkpoints (${uses} localCheckpoint calls), which Flex loses when it reclaims an executor during a run`);
  }
}

function grantStartJobRun(grantee: iam.IGrantable, jobArn: string): iam.Grant {
  return iam.Grant.addToPrincipal({
    grantee,
    actions: ['glue:StartJobRun', 'glue:GetJobRun', 'glue:GetJobRuns', 'glue:BatchStopJobRun'],
    resourceArns: [jobArn],
  });
}

function checkInteger(propName: string, value: number, min: number, max: number): void {
  if (Token.isUnresolved(value)) {
    return;
  }
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${propName} must be a whole number between ${min} and ${max}, got ${value}`);
  }
}
