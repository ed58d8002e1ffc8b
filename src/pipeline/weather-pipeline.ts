import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { AthenaCatalog } from '../catalog';
import { City, PartitionGranularity } from '../contract';
import { GlueEtlJob } from '../etl';
import { WeatherIngestion, WeatherSource } from '../ingestion';
import { PipelineMonitoring } from '../monitoring';
import { MissingCityAction, PipelineOrchestrator } from '../orchestration';
import { citiesOf } from '../private/dataset';
import { checkScheduleExpression, schedulePeriod } from '../private/schedule';
import { QuickSightDashboard, QuickSightDashboardOptions } from '../quicksight';
import { ILandingZone, IRefinedLake, LandingZone, RefinedLake } from '../storage';

/**
 * Settings of the pipeline's `WeatherIngestion` that `WeatherPipeline` passes through (the ones the ingestion's
 * synth errors and warnings recommend). Each means what the `WeatherIngestionProps` prop of the same name means.
 */
export interface PipelineIngestionOptions {
  /**
   * Base URL of the Open-Meteo historical weather API, for backfills.
   *
   * @default 'https://archive-api.open-meteo.com'
   */
  readonly archiveApiBaseUrl?: string;

  /**
   * Past days fetched with each forecast request.
   *
   * @default 1
   */
  readonly pastDays?: number;

  /**
   * Forecast days fetched with each request.
   *
   * @default 7
   */
  readonly forecastDays?: number;

  /**
   * Timeout of one API request.
   *
   * @default Duration.seconds(10)
   */
  readonly requestTimeout?: Duration;

  /**
   * Attempts per city (the first call and its retries).
   *
   * @default 4
   */
  readonly maxAttempts?: number;

  /**
   * API requests in flight at once.
   *
   * @default - sized from the cities and the timeouts, see `WeatherIngestionProps.maxConcurrentRequests`
   */
  readonly maxConcurrentRequests?: number;

  /**
   * API calls per minute the function makes at most.
   *
   * @default 500
   */
  readonly maxCallsPerMinute?: number;

  /**
   * Reserved concurrency of the ingestion function.
   *
   * @default 1
   */
  readonly reservedConcurrency?: number;
}

/**
 * Properties of the whole weather pipeline: the cities, and the few knobs most teams change.
 * Everything else keeps the parts' safe defaults; reach the parts through the construct's attributes.
 */
export interface WeatherPipelineProps {
  /**
   * The cities to collect weather for (validated: unique slugs, coordinates in range). They become the cities of
   * the refined lake the pipeline creates, which every part reads.
   *
   * @default - the cities of `refinedLake` (required when `refinedLake` is not given)
   */
  readonly cities?: City[];

  /**
   * A landing zone made elsewhere: a `LandingZone` in another stack of the app (a storage stack), or one imported
   * with `LandingZone.fromLandingZoneAttributes`. Its bucket must send events to EventBridge.
   *
   * @default - a new `LandingZone` with `encryptionKey`, `rawExpiration` and `removalPolicy`
   */
  readonly landingZone?: ILandingZone;

  /**
   * A refined lake made elsewhere: a `RefinedLake` in another stack of the app, or one imported with
   * `RefinedLake.fromRefinedLakeAttributes`. Its cities and partition granularity are the pipeline's: do not set
   * `cities` or `partitionGranularity` with it.
   *
   * @default - a new `RefinedLake` with `cities`, `partitionGranularity`, `encryptionKey` and `removalPolicy`
   */
  readonly refinedLake?: IRefinedLake;

  /**
   * When a run starts (ingestion → ETL → validation), as an EventBridge Scheduler expression (UTC). An expression
   * that is not `rate(...)`, `cron(...)` or `at(...)` fails at synth. The monitoring's freshness windows follow it
   * (the interval between runs plus two hours), and so do the timeouts of a schedule that runs more often than every
   * two hours, so that runs do not overlap: the execution's is the interval, each validation query's a twelfth of it
   * (at least a minute), the Glue run's what remains, for one attempt (a failed Glue run is not started again within
   * the execution: the next run comes first; see `PipelineOrchestratorProps.etlRunRetries`); an interval too short
   * for them fails at synth.
   *
   * @default - daily at 06:30 UTC: `cron(30 6 * * ? *)`
   */
  readonly schedule?: scheduler.ScheduleExpression;

  /**
   * Age at which raw responses and manifests in the landing zone are deleted (`LandingZone.rawExpiration`).
   *
   * @default - never: the raw zone is the source the refined zone can be rebuilt from
   */
  readonly rawExpiration?: Duration;

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
   * The weather sources every run calls, each for every city within its own rate limit (e.g.
   * `[WeatherSource.openMeteo(), WeatherSource.metNorway({ userAgent: 'acme.example ops@acme.example' })]`). The one
   * place to set them: the ingestion calls them, its manifest lists them for the ETL, and the monitoring checks
   * freshness per source and city. A source that fails for every city does not fail the other sources' data.
   *
   * @default [WeatherSource.openMeteo()]
   */
  readonly sources?: WeatherSource[];

  /**
   * Base URL of the Open-Meteo forecast API (a commercial endpoint, or a mirror).
   *
   * @default 'https://api.open-meteo.com'
   */
  readonly apiBaseUrl?: string;

  /**
   * Settings of the ingestion function: API request timeouts and retries, concurrency and rate limit, the days
   * fetched, the archive endpoint (the settings the ingestion's synth errors recommend).
   *
   * @default - the `WeatherIngestion` defaults
   */
  readonly ingestionOptions?: PipelineIngestionOptions;

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
   * Changing it on a deployed pipeline needs a re-layout of the refined data (see docs/data-contract.md).
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

  /**
   * What a run does when a configured city has no data for the run's dates (see `MissingCityAction`): fail, or only
   * alert the notification topic and succeed when the other checks pass.
   *
   * @default MissingCityAction.FAIL
   */
  readonly missingCityAction?: MissingCityAction;

  /**
   * Publish a QuickSight dashboard on the pipeline's catalog (`QuickSightDashboard`): an Athena data source in the
   * pipeline's workgroup, datasets on the hourly and daily tables, and a dashboard shared with the principals named
   * here. The account must be subscribed to QuickSight (see docs/quicksight.md).
   *
   * @default - no QuickSight resources
   */
  readonly quickSight?: QuickSightDashboardOptions;
}

/**
 * The whole weather data lake in one construct: `LandingZone`, `RefinedLake`, `WeatherIngestion`, `GlueEtlJob`,
 * `AthenaCatalog` and `PipelineOrchestrator`, wired together with their safe defaults.
 *
 * Everything it does can be done by hand with those constructs (see the README and docs/constructs.md); each part
 * is exposed for further customisation.
 *
 * @example
 * new WeatherPipeline(stack, 'Weather', {
 *   cities: [{ name: 'Paris', latitude: 48.8566, longitude: 2.3522 }],
 * });
 */
export class WeatherPipeline extends Construct {
  /** The raw zone (created, or the one you passed). */
  public readonly landingZone: ILandingZone;
  /** The refined zone (created, or the one you passed): it holds the one definition of the data. */
  public readonly refinedLake: IRefinedLake;
  /** The ingestion function of the configured sources (its own schedule is off: the orchestrator runs it). */
  public readonly ingestion: WeatherIngestion;
  /** The Glue ETL job. */
  public readonly etlJob: GlueEtlJob;
  /** The Glue database, tables, Athena workgroup and queries. */
  public readonly catalog: AthenaCatalog;
  /** The state machine, its triggers and its notification topic. */
  public readonly orchestrator: PipelineOrchestrator;
  /** The validated cities (the refined lake's). */
  public readonly cities: City[];
  /**
   * Alarms, run metrics and dashboard.
   *
   * @default - none when `monitoringEnabled` is false
   */
  public readonly monitoring?: PipelineMonitoring;
  /**
   * The QuickSight data source, datasets and dashboard.
   *
   * @default - none unless `quickSight` is set
   */
  public readonly quickSightDashboard?: QuickSightDashboard;

  constructor(scope: Construct, id: string, props: WeatherPipelineProps) {
    super(scope, id);
    if (props.notificationEmail !== undefined && props.notificationTopic !== undefined) {
      throw new Error(`notificationEmail cannot be combined with notificationTopic: subscribe ${props.notificationEmail} to your topic yourself`);
    }
    const removalPolicy = props.removalPolicy;
    if (props.landingZone !== undefined) {
      const shaping = (['rawExpiration'] as const).filter((name) => props[name] !== undefined);
      if (shaping.length > 0) {
        throw new Error(`${shaping.join(', ')} cannot be combined with landingZone: it shapes the landing zone the construct creates`);
      }
      this.landingZone = props.landingZone;
    } else {
      this.landingZone = new LandingZone(this, 'Landing', {
        encryptionKey: props.encryptionKey,
        rawExpiration: props.rawExpiration,
        removalPolicy,
      });
    }
    // One access-log bucket for both zones and the query results, when the landing zone has one in this stack (its
    // bucket policy names the buckets that log to it: from another stack that would be a reference cycle).
    const accessLogsBucket = this.landingZone instanceof LandingZone && Stack.of(this.landingZone) === Stack.of(this)
      ? this.landingZone.accessLogsBucket : undefined;
    if (props.refinedLake !== undefined) {
      const shaping = (['cities', 'partitionGranularity'] as const).filter((name) => props[name] !== undefined);
      if (shaping.length > 0) {
        throw new Error(`${shaping.join(', ')} cannot be combined with refinedLake: the refined lake ${props.refinedLake.node.path} defines the data; set them on it`);
      }
      this.refinedLake = props.refinedLake;
    } else {
      if (props.cities === undefined) {
        throw new Error('cities is required unless you pass refinedLake (whose cities the pipeline then reads)');
      }
      this.refinedLake = new RefinedLake(this, 'Refined', {
        cities: props.cities,
        encryptionKey: props.encryptionKey,
        serverAccessLogsBucket: accessLogsBucket,
        removalPolicy,
        partitionGranularity: props.partitionGranularity,
      });
    }
    this.cities = citiesOf(this.refinedLake, this);

    this.ingestion = new WeatherIngestion(this, 'Ingestion', {
      landingZone: this.landingZone,
      refinedLake: this.refinedLake,
      sources: props.sources,
      ...props.ingestionOptions,
      apiBaseUrl: props.apiBaseUrl,
      // The orchestrator's schedule runs ingestion as its first step.
      scheduleEnabled: false,
      removalPolicy,
    });
    this.etlJob = new GlueEtlJob(this, 'Etl', {
      landingZone: this.landingZone,
      refinedLake: this.refinedLake,
      sourceIds: this.ingestion.sourceIds,
      flexExecution: props.flexExecution,
      removalPolicy,
    });
    this.catalog = new AthenaCatalog(this, 'Catalog', {
      refinedLake: this.refinedLake,
      serverAccessLogsBucket: accessLogsBucket,
      removalPolicy,
    });
    const timing = timingFor(props.schedule);
    this.orchestrator = new PipelineOrchestrator(this, 'Orchestrator', {
      executionTimeout: timing.executionTimeout,
      queryTimeout: timing.queryTimeout,
      etlRunRetries: timing.etlRunRetries,
      etlJob: this.etlJob,
      catalog: this.catalog,
      ingestion: this.ingestion,
      schedule: props.schedule,
      notificationTopic: props.notificationTopic,
      notificationEmail: props.notificationEmail,
      missingCityAction: props.missingCityAction,
      removalPolicy,
    });
    if (props.monitoringEnabled ?? true) {
      this.monitoring = new PipelineMonitoring(this, 'Monitoring', {
        orchestrator: this.orchestrator,
        etlJob: this.etlJob,
        runFreshnessWindow: timing.freshnessWindow,
        cityFreshnessWindow: timing.freshnessWindow,
        ingestion: this.ingestion,
        catalog: this.catalog,
        removalPolicy,
      });
    }
    if (props.quickSight !== undefined) {
      this.quickSightDashboard = new QuickSightDashboard(this, 'QuickSight', { ...props.quickSight, catalog: this.catalog });
    }
  }
}

/**
 * What follows the schedule: the freshness windows (the interval between runs plus two hours, in whole hours from 1
 * hour to 7 days) and, for runs more often than every two hours, the execution timeout (the interval) and each
 * validation query's timeout (a twelfth of it, at least a minute), and no second Glue run attempt (the next run comes
 * sooner); the orchestrator gives the Glue run what remains.
 * `undefined` keeps the parts' defaults (a daily schedule: 26 hours; the orchestrator's derived timeouts).
 */
function timingFor(schedule: scheduler.ScheduleExpression | undefined): {
  freshnessWindow?: Duration; executionTimeout?: Duration; queryTimeout?: Duration; etlRunRetries?: number;
} {
  if (schedule === undefined) {
    return {};
  }
  checkScheduleExpression('schedule', schedule.expressionString);
  const period = schedulePeriod(schedule.expressionString);
  if (period === undefined) {
    return {};
  }
  const minutes = period.toMinutes();
  const freshnessHours = Math.min(7 * 24, Math.max(1, Math.ceil(minutes / 60) + 2));
  const fast = minutes >= 10 && minutes < 120;
  return {
    freshnessWindow: Duration.hours(freshnessHours),
    executionTimeout: fast ? Duration.minutes(minutes) : undefined,
    queryTimeout: fast ? Duration.minutes(Math.max(1, Math.floor(minutes / 12))) : undefined,
    etlRunRetries: fast ? 0 : undefined,
  };
}
