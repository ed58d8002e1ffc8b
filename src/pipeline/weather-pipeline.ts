import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { AthenaCatalog } from '../catalog';
import { City, PartitionGranularity, WeatherContract } from '../contract';
import { GlueEtlJob } from '../etl';
import { WeatherIngestion } from '../ingestion';
import { PipelineMonitoring } from '../monitoring';
import { PipelineOrchestrator } from '../orchestration';
import { LandingZone, RefinedLake } from '../storage';

/**
 * Properties of the whole weather pipeline: the cities, and the few knobs most teams change.
 * Everything else keeps the parts' safe defaults; reach the parts through the construct's attributes.
 */
export interface WeatherPipelineProps {
  /** The cities to collect weather for (validated: unique slugs, coordinates in range). */
  readonly cities: City[];

  /**
   * When a run starts (ingestion → ETL → validation), as an EventBridge Scheduler expression (UTC).
   *
   * @default - daily at 06:30 UTC: `cron(30 6 * * ? *)`
   */
  readonly schedule?: scheduler.ScheduleExpression;

  /**
   * Age at which raw responses in the landing zone are deleted.
   *
   * @default - never: the raw zone is the source the refined zone can be rebuilt from
   */
  readonly rawRetention?: Duration;

  /**
   * Customer-managed KMS key for the landing and refined buckets.
   *
   * @default - each zone creates its own key with rotation
   */
  readonly encryptionKey?: kms.IKey;

  /**
   * Email address that receives failure alerts (the subscription must be confirmed from the email).
   *
   * @default - no email subscription; subscribe to `orchestrator.notificationTopic` yourself
   */
  readonly notificationEmail?: string;

  /**
   * An existing topic for failure alerts.
   *
   * @default - a new encrypted topic
   */
  readonly notificationTopic?: sns.ITopic;

  /**
   * What happens to the data, keys and logs when the stack is deleted. `RemovalPolicy.DESTROY` deletes the
   * buckets with their data and adds a warning: use it for test stacks only.
   *
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;

  /**
   * Base URL of the Open-Meteo forecast API (a commercial endpoint, or a mirror).
   *
   * @default 'https://api.open-meteo.com'
   */
  readonly apiBaseUrl?: string;

  /**
   * Run the Glue job on Flex capacity (cheaper, may start later). See `GlueEtlJobProps.flexExecution`: not
   * supported while the ETL script keeps intermediate results in executors' local checkpoints (synth error).
   *
   * @default false
   */
  readonly flexExecution?: boolean;

  /**
   * How coarse the refined hourly table's partitions are: `DAY` (`date=yyyy-MM-dd/city=<slug>/`) or `MONTH`
   * (`month=yyyy-MM/city=<slug>/`, `date` kept as a column to filter on: about 30 times fewer files, a smaller
   * lake and faster queries). Set on the refined lake; the ETL job, the catalog and its queries follow it.
   * Changing it on a deployed pipeline needs a re-layout of the refined data (see the README).
   *
   * @default PartitionGranularity.DAY
   */
  readonly partitionGranularity?: PartitionGranularity;

  /**
   * Add `PipelineMonitoring`: alarms to the notification topic (failed runs, Glue failures, ingestion errors,
   * freshness per run and per city, quarantine share), run metrics and a CloudWatch dashboard.
   *
   * @default true
   */
  readonly monitoringEnabled?: boolean;
}

/**
 * The whole weather data lake in one construct: `LandingZone`, `RefinedLake`, `WeatherIngestion`, `GlueEtlJob`,
 * `AthenaCatalog` and `PipelineOrchestrator`, wired together with their safe defaults.
 *
 * Everything it does can be done by hand with those constructs (see the README); each part is exposed for
 * further customisation.
 *
 * @example
 * new WeatherPipeline(stack, 'Weather', {
 *   cities: [{ name: 'Paris', latitude: 48.8566, longitude: 2.3522 }],
 * });
 */
export class WeatherPipeline extends Construct {
  /** The raw zone. */
  public readonly landingZone: LandingZone;
  /** The refined zone. */
  public readonly refinedLake: RefinedLake;
  /** The Open-Meteo ingestion function (its own schedule is off: the orchestrator runs it). */
  public readonly ingestion: WeatherIngestion;
  /** The Glue ETL job. */
  public readonly etlJob: GlueEtlJob;
  /** The Glue database, tables, Athena workgroup and queries. */
  public readonly catalog: AthenaCatalog;
  /** The state machine, its triggers and its notification topic. */
  public readonly orchestrator: PipelineOrchestrator;
  /** The validated cities. */
  public readonly cities: City[];
  /**
   * Alarms, run metrics and dashboard.
   *
   * @default - none when `monitoringEnabled` is false
   */
  public readonly monitoring?: PipelineMonitoring;

  constructor(scope: Construct, id: string, props: WeatherPipelineProps) {
    super(scope, id);
    WeatherContract.validateCities(props.cities);
    if (props.notificationEmail !== undefined && props.notificationTopic !== undefined) {
      throw new Error(`notificationEmail cannot be combined with notificationTopic: subscribe ${props.notificationEmail} to your topic yourself`);
    }
    this.cities = props.cities;
    const removalPolicy = props.removalPolicy;

    this.landingZone = new LandingZone(this, 'Landing', {
      encryptionKey: props.encryptionKey,
      rawExpiration: props.rawRetention,
      removalPolicy,
    });
    this.refinedLake = new RefinedLake(this, 'Refined', {
      encryptionKey: props.encryptionKey,
      // One access-log bucket for both zones and the query results.
      serverAccessLogsBucket: this.landingZone.accessLogsBucket,
      removalPolicy,
      partitionGranularity: props.partitionGranularity,
    });
    this.ingestion = new WeatherIngestion(this, 'Ingestion', {
      landingBucket: this.landingZone.bucket,
      cities: props.cities,
      apiBaseUrl: props.apiBaseUrl,
      // The orchestrator's schedule runs ingestion as its first step.
      scheduleEnabled: false,
    });
    this.etlJob = new GlueEtlJob(this, 'Etl', {
      landingBucket: this.landingZone.bucket,
      refinedBucket: this.refinedLake.bucket,
      cities: props.cities,
      flexExecution: props.flexExecution,
      removalPolicy,
    });
    this.catalog = new AthenaCatalog(this, 'Catalog', {
      refinedBucket: this.refinedLake.bucket,
      cities: props.cities,
      serverAccessLogsBucket: this.landingZone.accessLogsBucket,
    });
    this.orchestrator = new PipelineOrchestrator(this, 'Orchestrator', {
      etlJob: this.etlJob,
      catalog: this.catalog,
      landingBucket: this.landingZone.bucket,
      refinedBucket: this.refinedLake.bucket,
      ingestion: this.ingestion,
      schedule: props.schedule,
      notificationTopic: props.notificationTopic,
      notificationEmail: props.notificationEmail,
      removalPolicy,
    });
    if (props.monitoringEnabled ?? true) {
      this.monitoring = new PipelineMonitoring(this, 'Monitoring', {
        orchestrator: this.orchestrator,
        etlJob: this.etlJob,
        refinedBucket: this.refinedLake.bucket,
        cities: props.cities,
        ingestion: this.ingestion,
        catalog: this.catalog,
        removalPolicy,
      });
    }
  }
}
