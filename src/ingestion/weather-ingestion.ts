import * as path from 'path';
import { Annotations, Duration, RemovalPolicy, Size, Stack, Token, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as destinations from 'aws-cdk-lib/aws-lambda-destinations';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as targets from 'aws-cdk-lib/aws-scheduler-targets';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { IWeatherIngestion, WeatherIngestionAttributes } from './ingestion-interface';
import { City } from '../contract/city';
import { WeatherContract } from '../contract/weather-contract';
import { BUNDLE_RUNTIME, codeWithFiles } from '../private/code-asset';
import { importWeatherIngestion } from './private/imported-ingestion';
import { checkInteger, checkUrl } from './private/prop-checks';
import { BatchLoad, checkEnvironmentSize, defaultConcurrency, sizeBodyCap, sizeMemory, sizeTimeout } from './private/sizing';
import { createLogsEncryptionKey } from '../private/logs-encryption-key';
import { acknowledgeRoleInlinePolicy, acknowledgeWildcardResources } from '../private/nag-acknowledgements';
import { runsPerDay } from '../private/schedule';
import { omitRoleFromDependsOn, skipCheckovCheck } from '../private/template-checkers';
import {
  bodyMemoryBytes, CITIES_FILE, DEFAULT_BACKOFF_BASE_MS, DEFAULT_BACKOFF_MAX_MS, DEFAULT_MAX_CALLS_PER_MINUTE, DEFAULT_S3_WRITE_TIMEOUT_MS,
  ENV, encodeCities, MAX_CONCURRENT_REQUESTS, RetryPolicy,
} from './private/runtime-config';
import { callWeight } from './private/schedule-math';
import { WeatherSource } from './weather-source';
import { ILandingZone } from '../storage/landing-zone';
import { IRefinedLake } from '../storage/refined-lake';
import { ingestionCities } from './private/ingestion-cities';
import { checkSources, metNorwayOptions, metNorwaySettings, MetNorwaySettings, openMeteoOptions } from './private/source-binding';

/** Open-Meteo's free tier: non-commercial use, up to 600 calls per minute, 5,000 per hour and 10,000 per day. */
const FREE_TIER_MINUTE_CALLS = 600;
const FREE_TIER_HOURLY_CALLS = 5_000;
const FREE_TIER_DAILY_CALLS = 10_000;
const FREE_API_BASE_URL = 'https://api.open-meteo.com';

/**
 * Properties of `WeatherIngestion`.
 */
export interface WeatherIngestionProps {
  /**
   * The landing zone the responses and manifests are written to (a `LandingZone`, or one imported with
   * `LandingZone.fromLandingZoneAttributes`). The function may only put objects under its raw and manifest prefixes;
   * when its bucket has a KMS key, the function may generate data keys with it.
   */
  readonly landingZone: ILandingZone;

  /**
   * The refined lake the pipeline writes: the ingestion fetches its cities (`IRefinedLake.cities`), so the list is
   * given once, on the lake, and the ETL job, the catalog and the monitoring read the same one.
   *
   * The cities are shipped to the function in a `cities.json` file inside its code asset (not in its environment), so
   * the list size is not limited by Lambda's 4 KB environment. What limits one construct is time: a batch must fit in
   * Lambda's 15 minutes, even when every request times out after its retries, under the API's rate limit
   * (`maxCallsPerMinute`). With the defaults that is 1,010 cities (1,000 take about 2 minutes when the API answers,
   * and at most 805 s when every request times out); split larger lists across several `WeatherIngestion` constructs.
   *
   * @default - none: then `cities` is required
   */
  readonly refinedLake?: IRefinedLake;

  /**
   * The cities to fetch, one API request each per run and source, for an ingestion that feeds no refined lake of this
   * app. Checked with `WeatherContract.validateCities`. Not allowed with `refinedLake` (synth error): the lake
   * defines the cities then.
   *
   * @default - the cities of `refinedLake` (one of the two is required)
   */
  readonly cities?: City[];

  /**
   * The weather sources every run calls, each for every city and within its own rate limit, in this order. A source
   * that fails for every city is reported in the manifest and the result (`failedSources`) without failing the other
   * sources' data. The Open-Meteo settings below (`apiBaseUrl`, `archiveApiBaseUrl`, `maxCallsPerMinute`) may be set
   * here on `WeatherSource.openMeteo` or on this construct, not both.
   *
   * @default [WeatherSource.openMeteo()]
   */
  readonly sources?: WeatherSource[];

  /**
   * Base URL of the Open-Meteo forecast API; the handler requests `<apiBaseUrl>/v1/forecast`.
   * Point it at `https://customer-api.open-meteo.com` for a commercial plan, or at a local server in tests.
   *
   * @default 'https://api.open-meteo.com'
   */
  readonly apiBaseUrl?: string;

  /**
   * Base URL of the Open-Meteo historical weather API used by backfill runs (`<archiveApiBaseUrl>/v1/archive`).
   *
   * @default 'https://archive-api.open-meteo.com'
   */
  readonly archiveApiBaseUrl?: string;

  /**
   * Days of the past to fetch on each run (`past_days`), an integer in [0, 92]. Overlapping runs are fine: the
   * ETL keeps the latest fetch per city and hour.
   *
   * @default 1
   */
  readonly pastDays?: number;

  /**
   * Days of forecast to fetch on each run (`forecast_days`), an integer in [0, 16].
   *
   * @default 7
   */
  readonly forecastDays?: number;

  /**
   * Create an EventBridge Scheduler schedule that invokes the function. Turn it off when something else
   * (your own schedule, a state machine) invokes the function.
   *
   * @default true
   */
  readonly scheduleEnabled?: boolean;

  /**
   * When the schedule runs (ignored when `scheduleEnabled` is false). Each run is one batch, one manifest and
   * one ETL run. The daily API call volume (cities × runs per day) is checked against Open-Meteo's free tier.
   *
   * @default - every 6 hours at minute 15, UTC: `cron(15 0/6 * * ? *)`
   */
  readonly schedule?: scheduler.ScheduleExpression;

  /**
   * Timeout of one HTTP request (connection, headers and body), between 1 second and 5 minutes.
   *
   * @default Duration.seconds(10)
   */
  readonly requestTimeout?: Duration;

  /**
   * HTTP attempts per city, an integer in [1, 10]: network errors, timeouts, HTTP 429 and 5xx and truncated
   * bodies are retried with exponential backoff and full jitter (1 s doubling, at most 20 s).
   *
   * @default 4
   */
  readonly maxAttempts?: number;

  /**
   * Requests in flight at once, an integer in [1, 200]. The API load is bounded by `maxCallsPerMinute`, not by
   * this: concurrency only lets slow or timed-out requests overlap. A value you set is kept, and synthesis fails
   * when even one attempt per city cannot fit in Lambda's 15 minutes with it.
   *
   * @default - the smallest concurrency (at least 3) with which the worst case fits in 90 % of Lambda's 15 minutes:
   * every attempt of every city times out after its retries and backoffs, and the rate limiter makes the batch
   * wait for its calls (3 up to 45 cities with the other defaults; 7 for 100 cities; 167 for 1,000)
   */
  readonly maxConcurrentRequests?: number;

  /**
   * Most Open-Meteo API calls the function makes in any 60 seconds, retries included, an integer in [1, 100000]
   * (other sources have their own limit, on their `WeatherSource`).
   * Calls are weighted as Open-Meteo counts them (a request with more than 10 variables or 2 weeks of data counts as
   * several). Open-Meteo's free tier allows 600 calls a minute, 5,000 an hour and 10,000 a day per IP address; raise
   * it for a commercial plan (`apiBaseUrl`).
   *
   * @default 500
   */
  readonly maxCallsPerMinute?: number;

  /**
   * Largest response body the function accepts from the API (after HTTP content decoding). The body is read as a
   * stream and a larger one is abandoned at the cap: the city fails with `BODY_TOO_LARGE` in the manifest, without
   * retry, and the rest of the batch goes on. Raise it if the API adds to its answers; it cannot be lower than the
   * default. Backfills derive a cap of their own from their date range.
   *
   * @default - what `pastDays + forecastDays` days of the contract's hourly variables can produce, with room to
   * spare: 64 KiB + 24 × days × (48 + 32 × variables) bytes (121 KiB for the 8 days of the defaults)
   */
  readonly maxResponseSize?: Size;

  /**
   * Memory of the function, MB, an integer in [256, 10240]. It must hold `maxConcurrentRequests` bodies of
   * `maxResponseSize` at once (8 bytes of memory per body byte, over a 128 MB baseline): synthesis fails when it
   * does not.
   *
   * @default - the smallest multiple of 64 MB, at least 256, that holds them (with the default body cap: 256 MB up
   * to 135 requests in flight, 320 MB for the 167 of 1,000 cities)
   */
  readonly memorySize?: number;

  /**
   * Reserved concurrency of the function, an integer in [1, 10]. One batch at a time keeps the request rate
   * bounded and stops overlapping runs. Note that accounts whose concurrency quota is at its minimum cannot
   * reserve any concurrency.
   *
   * @default 1
   */
  readonly reservedConcurrency?: number;

  /**
   * How long the function's logs are kept.
   *
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;

  /**
   * What happens to the function's log group (and the log key the construct creates) when the stack is deleted.
   *
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;

  /**
   * Customer-managed KMS key that encrypts the function's log group. Its key policy must let this region's
   * CloudWatch Logs use it (`logs.<region>.amazonaws.com`, with a `kms:EncryptionContext:aws:logs:arn` condition).
   *
   * @default - a new key with rotation, usable by CloudWatch Logs for this account's log groups only
   */
  readonly logEncryptionKey?: kms.IKey;
}

/**
 * A scheduled Lambda function that fetches hourly weather from the configured sources (`sources`: Open-Meteo by
 * default, MET Norway too) for the refined lake's cities and writes each response unchanged to the landing zone, under
 * its source's prefix, then one manifest per batch (which starts the ETL).
 *
 * The function is bundled with the library (no bundler needed), traced with X-Ray, logs to a log group with a
 * retention, runs one batch at a time, and sends failed asynchronous invocations to an encrypted SQS queue.
 * Weather data by Open-Meteo.com (CC BY 4.0); with `WeatherSource.metNorway`, weather data from MET Norway (CC BY 4.0).
 *
 * @example
 * declare const landing: LandingZone;
 * const refined = new RefinedLake(this, 'Refined', {
 *   cities: [
 *     { name: 'Paris', latitude: 48.8566, longitude: 2.3522, timezone: 'Europe/Paris' },
 *     { name: 'Saint-Étienne', latitude: 45.4397, longitude: 4.3872 },
 *   ],
 * });
 * new WeatherIngestion(this, 'Ingestion', { landingZone: landing, refinedLake: refined });
 */
export class WeatherIngestion extends Construct implements IWeatherIngestion {
  /**
   * An ingestion made elsewhere (another stack, another team), for the orchestrator and the monitoring.
   *
   * @example
   * declare const refined: IRefinedLake;
   * const imported = WeatherIngestion.fromWeatherIngestionAttributes(this, 'Ingestion', {
   *   ingestFunction: lambda.Function.fromFunctionArn(this, 'IngestFunction', 'arn:aws:lambda:eu-west-3:111111111111:function:weather-ingest'),
   *   deadLetterQueue: sqs.Queue.fromQueueArn(this, 'IngestDeadLetters', 'arn:aws:sqs:eu-west-3:111111111111:weather-ingest-dlq'),
   *   refinedLake: refined,
   * });
   *
   * @param scope the scope of the imported construct
   * @param id its id
   * @param attrs the function, its cities and timeout
   */
  public static fromWeatherIngestionAttributes(scope: Construct, id: string, attrs: WeatherIngestionAttributes): IWeatherIngestion {
    return importWeatherIngestion(scope, id, attrs);
  }

  /** The ingestion Lambda function. */
  public readonly ingestFunction: lambda.IFunction;

  /** The function's log group. */
  public readonly logGroup: logs.ILogGroup;

  /** The KMS key that encrypts the function's log group. */
  public readonly logEncryptionKey: kms.IKey;

  /** Receives failed asynchronous invocations of the function and undeliverable scheduled invocations. */
  public readonly deadLetterQueue: sqs.IQueue;

  /**
   * The schedule that invokes the function.
   *
   * @default - none when `scheduleEnabled` is false
   */
  public readonly schedule?: scheduler.ISchedule;

  /**
   * Estimated Open-Meteo API calls per day (cities × scheduled runs per day × Open-Meteo's call weight).
   *
   * @default - none when there is no schedule or its rate cannot be told
   */
  public readonly estimatedDailyApiCalls?: number;

  /** The cities this construct fetches (the refined lake's, when it was given one). */
  public readonly cities: City[];

  /**
   * The refined lake whose cities the construct fetches.
   *
   * @default - none when the construct was given `cities`
   */
  public readonly refinedLake?: IRefinedLake;

  /** The sources every run calls, in order. */
  public readonly sources: WeatherSource[];

  /** Ids of the sources every run calls, in order (`WeatherSource.id`). */
  public readonly sourceIds: string[];

  /** The function's timeout, sized from the city count, the request timeout, the retries and the rate limit. */
  public readonly timeout: Duration;

  /** Requests in flight at once: `maxConcurrentRequests`, or the default derived from the cities and timeouts. */
  public readonly maxConcurrentRequests: number;

  /** Most API calls the function makes in any 60 seconds (`maxCallsPerMinute`). */
  public readonly maxCallsPerMinute: number;

  /** Largest response body accepted in forecast mode, bytes (`maxResponseSize` or its default). */
  public readonly maxResponseBytes: number;

  /** The function's memory, MB (`memorySize` or its default). */
  public readonly memorySize: number;

  constructor(scope: Construct, id: string, props: WeatherIngestionProps) {
    super(scope, id);

    const cities = ingestionCities(this, props.refinedLake, props.cities);
    const sources = props.sources ?? [WeatherSource.openMeteo()];
    checkSources(this, sources);
    this.sources = [...sources];
    this.sourceIds = sources.map((source) => source.id);
    const openMeteoSource = sources.find((source) => openMeteoOptions(source) !== undefined);
    const openMeteo = openMeteoSource !== undefined ? openMeteoOptions(openMeteoSource)! : undefined;
    const metNorwaySource = sources.find((source) => metNorwayOptions(source) !== undefined);
    const metNorway: MetNorwaySettings | undefined = metNorwaySource !== undefined
      ? metNorwaySettings(metNorwayOptions(metNorwaySource)!) : undefined;
    for (const name of ['apiBaseUrl', 'archiveApiBaseUrl', 'maxCallsPerMinute'] as const) {
      if (openMeteo?.[name] !== undefined && props[name] !== undefined) {
        throw new Error(`${name} is set both as a prop of the ingestion or pipeline (${props[name]}) and on WeatherSource.openMeteo (${openMeteo[name]}): set it in one place`);
      }
    }
    const apiBaseUrl = checkUrl('apiBaseUrl', openMeteo?.apiBaseUrl ?? props.apiBaseUrl ?? 'https://api.open-meteo.com');
    const archiveApiBaseUrl = checkUrl('archiveApiBaseUrl', openMeteo?.archiveApiBaseUrl ?? props.archiveApiBaseUrl ?? 'https://archive-api.open-meteo.com');
    const pastDays = checkInteger('pastDays', props.pastDays ?? 1, 0, 92);
    const forecastDays = checkInteger('forecastDays', props.forecastDays ?? 7, 0, 16);
    if (pastDays === 0 && forecastDays === 0) {
      throw new Error('pastDays and forecastDays are both 0, so no hour would be fetched; set at least one of them');
    }
    const maxAttempts = checkInteger('maxAttempts', props.maxAttempts ?? 4, 1, 10);
    const maxCallsPerMinute = checkInteger('maxCallsPerMinute', openMeteo?.maxCallsPerMinute ?? props.maxCallsPerMinute ?? DEFAULT_MAX_CALLS_PER_MINUTE, 1, 100_000);
    if (props.maxConcurrentRequests !== undefined) {
      checkInteger('maxConcurrentRequests', props.maxConcurrentRequests, 1, MAX_CONCURRENT_REQUESTS);
    }
    const reservedConcurrency = checkInteger('reservedConcurrency', props.reservedConcurrency ?? 1, 1, 10);
    const requestTimeout = props.requestTimeout ?? Duration.seconds(10);
    if (!Token.isUnresolved(requestTimeout.toMilliseconds({ integral: false }))) {
      const ms = requestTimeout.toMilliseconds({ integral: false });
      if (ms < 1_000 || ms > 300_000 || !Number.isInteger(ms)) {
        throw new Error(`requestTimeout must be a whole number of milliseconds between 1 second and 5 minutes, got ${requestTimeout.toHumanString()}`);
      }
    }
    this.cities = cities;
    this.refinedLake = props.refinedLake;

    const policy: RetryPolicy = {
      maxAttempts,
      requestTimeoutMs: requestTimeout.toMilliseconds(),
      backoffBaseMs: DEFAULT_BACKOFF_BASE_MS,
      backoffMaxMs: DEFAULT_BACKOFF_MAX_MS,
    };
    if (Token.isUnresolved(maxCallsPerMinute) || (props.maxConcurrentRequests !== undefined && Token.isUnresolved(props.maxConcurrentRequests))) {
      throw new Error('maxConcurrentRequests and maxCallsPerMinute must be literal numbers, not tokens: the function timeout is sized from them');
    }
    const weight = callWeight(WeatherContract.VARIABLES.length, pastDays + forecastDays);
    // Each source has its own limiter: Open-Meteo's weighted calls, MET Norway's requests.
    const limits = [
      ...(openMeteo !== undefined ? [{ weight, rate: maxCallsPerMinute }] : []),
      ...(metNorway !== undefined ? [{ weight: 1, rate: metNorway.maxCallsPerMinute }] : []),
    ];
    const load: BatchLoad = {
      cityCount: cities.length, sourceCount: sources.length, policy, maxCallsPerMinute: limits[0].rate, weight: limits[0].weight, limits,
    };
    const maxConcurrentRequests = props.maxConcurrentRequests ?? defaultConcurrency(load);
    this.maxConcurrentRequests = maxConcurrentRequests;
    this.maxCallsPerMinute = maxCallsPerMinute;
    this.timeout = sizeTimeout(load, maxConcurrentRequests, props.maxConcurrentRequests !== undefined);
    this.maxResponseBytes = sizeBodyCap(props.maxResponseSize, pastDays + forecastDays);
    // Bodies in flight may be any source's: the memory holds the largest cap.
    const largestBody = Math.max(this.maxResponseBytes, metNorway?.bodyCapBytes ?? 0);
    this.memorySize = sizeMemory(props.memorySize, maxConcurrentRequests, largestBody, props.maxConcurrentRequests !== undefined);

    const environment: Record<string, string> = {
      [ENV.bucket]: props.landingZone.bucket.bucketName,
      [ENV.apiBaseUrl]: apiBaseUrl,
      [ENV.archiveApiBaseUrl]: archiveApiBaseUrl,
      [ENV.pastDays]: String(pastDays),
      [ENV.forecastDays]: String(forecastDays),
      [ENV.requestTimeoutMs]: String(policy.requestTimeoutMs),
      [ENV.maxAttempts]: String(maxAttempts),
      [ENV.maxConcurrentRequests]: String(maxConcurrentRequests),
      [ENV.maxCallsPerMinute]: String(maxCallsPerMinute),
      [ENV.backoffBaseMs]: String(policy.backoffBaseMs),
      [ENV.backoffMaxMs]: String(policy.backoffMaxMs),
      [ENV.maxBodyBytes]: String(this.maxResponseBytes),
      [ENV.bodyMemoryBytes]: String(bodyMemoryBytes(this.memorySize)),
      [ENV.s3WriteTimeoutMs]: String(DEFAULT_S3_WRITE_TIMEOUT_MS),
      // Open-Meteo alone needs no more (the handler's default): the variables below appear with another source.
      ...(sources.length === 1 && openMeteo !== undefined ? {} : { [ENV.sources]: sources.map((source) => source.id).join(',') }),
      ...(metNorway !== undefined ? {
        [ENV.metNorwayBaseUrl]: metNorway.apiBaseUrl,
        [ENV.metNorwayEndpoint]: metNorway.endpoint,
        [ENV.metNorwayUserAgent]: metNorway.userAgent,
        [ENV.metNorwayMaxCallsPerMinute]: String(metNorway.maxCallsPerMinute),
      } : {}),
      NODE_OPTIONS: '--enable-source-maps',
    };
    checkEnvironmentSize(environment);

    this.logEncryptionKey = props.logEncryptionKey
      ?? createLogsEncryptionKey(this, 'LogKey', 'Encrypts the weather ingestion function logs (cdk-weather-pipeline)',
        props.removalPolicy ?? RemovalPolicy.RETAIN);
    this.logGroup = new logs.LogGroup(this, 'LogGroup', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_YEAR,
      encryptionKey: this.logEncryptionKey,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });

    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    skipCheckovCheck(this.deadLetterQueue, 'CKV_AWS_27',
      'Encrypted at rest with SQS-managed SSE (SqsManagedSseEnabled); the check only recognizes a KMS key.');
    Validations.of(this.deadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: 'This queue is itself the dead-letter destination of the ingestion function and its schedule.',
    });

    // An explicit role: logs only to this log group, no AWSLambdaBasicExecutionRole.
    const role = new iam.Role(this, 'ServiceRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'Weather ingestion: writes Open-Meteo responses to the landing zone',
    });
    acknowledgeRoleInlinePolicy(role);
    this.logGroup.grantWrite(role);

    // The bundled handler plus the cities, as one code asset staged by CDK (see `codeWithFiles`).
    const fn = new lambda.Function(this, 'Resource', {
      runtime: BUNDLE_RUNTIME,
      handler: 'index.handler',
      code: codeWithFiles(HANDLER_BUNDLE_DIR, { [CITIES_FILE]: encodeCities(cities) }),
      description: sources.length === 1 && openMeteo !== undefined
        ? `Fetches Open-Meteo weather for ${cities.length} cities into the landing zone`
        : `Fetches ${sources.map((source) => source.id).join(' and ')} weather for ${cities.length} cities into the landing zone`,
      role,
      logGroup: this.logGroup,
      environment,
      timeout: this.timeout,
      memorySize: this.memorySize,
      architecture: lambda.Architecture.ARM_64,
      tracing: lambda.Tracing.ACTIVE,
      reservedConcurrentExecutions: reservedConcurrency,
      onFailure: new destinations.SqsDestination(this.deadLetterQueue),
      retryAttempts: 2,
      maxEventAge: Duration.hours(6),
    });
    fn.addEnvironment('AWS_NODEJS_CONNECTION_REUSE_ENABLED', '1', { removeInEdge: true });
    this.ingestFunction = fn;
    omitRoleFromDependsOn(fn, role);
    skipCheckovCheck(fn, 'CKV_AWS_116',
      'Failed asynchronous invocations go to the dead-letter queue through an on-failure destination (EventInvokeConfig), which keeps the error that a DeadLetterConfig would drop.');
    skipCheckovCheck(fn, 'CKV_AWS_117',
      'Calls the public Open-Meteo API and S3 only: a VPC would need a NAT gateway and would protect no private resource.');
    skipCheckovCheck(fn, 'CKV_AWS_173',
      'The environment holds the bucket name and API settings, no secret; Lambda encrypts it at rest with an AWS managed key.');

    const landingBucket = props.landingZone.bucket;
    const rawPrefixes = sources.map((source) => (source === openMeteoSource ? props.landingZone.rawPrefix : source.rawPrefix));
    for (const prefix of [...rawPrefixes, props.landingZone.manifestPrefix]) {
      // PutObject only: no wildcard action, no delete, no read.
      const objects = landingBucket.arnForObjects(`${prefix}*`);
      iam.Grant.addToPrincipalOrResource({ grantee: role, actions: ['s3:PutObject'], resourceArns: [objects], resource: landingBucket });
      acknowledgeWildcardResources(role, [objects],
        `Objects are keyed per ingest date, city and batch, so the function may put objects under ${prefix} and nowhere else.`);
    }
    // Single-part PutObject into an SSE-KMS bucket needs a data key, nothing more.
    landingBucket.encryptionKey?.grant(role, 'kms:GenerateDataKey');
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'X-Ray active tracing: xray:PutTraceSegments and xray:PutTelemetryRecords do not support resource-level permissions.',
    });

    if (openMeteo !== undefined && !Token.isUnresolved(apiBaseUrl) && apiBaseUrl === FREE_API_BASE_URL) {
      if (maxCallsPerMinute > FREE_TIER_MINUTE_CALLS) {
        Annotations.of(this).addWarningV2('cdk-weather-pipeline:ingestionMinuteLimitExceeded',
          `maxCallsPerMinute ${maxCallsPerMinute} is more than the ${FREE_TIER_MINUTE_CALLS} calls per minute of Open-Meteo's free tier: ` +
          'expect HTTP 429 answers, or use a commercial plan (apiBaseUrl).');
      }
      if (cities.length * weight > FREE_TIER_HOURLY_CALLS) {
        Annotations.of(this).addWarningV2('cdk-weather-pipeline:ingestionHourlyLimitExceeded',
          `one batch of ${cities.length} cities × call weight ${weight} makes ${cities.length * weight} Open-Meteo API calls, ` +
          `more than the ${FREE_TIER_HOURLY_CALLS} per hour of the free tier: split the cities across batches an hour apart, or use a commercial plan (apiBaseUrl).`);
      }
    }

    if (props.scheduleEnabled ?? true) {
      const expression = props.schedule ?? scheduler.ScheduleExpression.cron({ minute: '15', hour: '0/6' });
      // Our own role (not the stack-wide one LambdaInvoke would create) so that its finding can be acknowledged here.
      const scheduleRole = new iam.Role(this, 'ScheduleRole', {
        assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
          conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
        }),
        description: 'Weather ingestion schedule: invokes the ingestion function',
      });
      acknowledgeRoleInlinePolicy(scheduleRole);
      acknowledgeWildcardResources(scheduleRole, [`${fn.functionArn}:*`],
        'aws-cdk-lib\'s LambdaInvoke target grants lambda:InvokeFunction on the function and its qualified ARNs (`:*`); the schedule only invokes this one function.');
      this.schedule = new scheduler.Schedule(this, 'Schedule', {
        schedule: expression,
        description: `Weather ingestion for ${cities.length} cities`,
        target: new targets.LambdaInvoke(fn, {
          // The scheduled time makes the batch id, so a retried delivery overwrites the same keys.
          input: scheduler.ScheduleTargetInput.fromObject({ scheduledTime: scheduler.ContextAttribute.scheduledTime }),
          role: scheduleRole,
          deadLetterQueue: this.deadLetterQueue,
          retryAttempts: 3,
          maxEventAge: Duration.hours(1),
        }),
      });
      const runs = Token.isUnresolved(expression.expressionString) ? undefined : runsPerDay(expression.expressionString);
      if (runs !== undefined && openMeteo !== undefined) {
        this.estimatedDailyApiCalls = Math.ceil(cities.length * runs * weight);
        if (this.estimatedDailyApiCalls > FREE_TIER_DAILY_CALLS) {
          Annotations.of(this).addWarningV2('cdk-weather-pipeline:ingestionFreeTierExceeded',
            `${cities.length} cities × ${runs} runs per day × call weight ${weight} = about ${this.estimatedDailyApiCalls} Open-Meteo API calls per day, ` +
            `more than the free tier's ${FREE_TIER_DAILY_CALLS} (and the free tier is for non-commercial use only): ` +
            'run less often, fetch fewer days or cities, or use a commercial plan (apiBaseUrl).');
        }
      }
    }
  }

  /**
   * Allows a principal (e.g. a state machine's role) to invoke the ingestion function.
   *
   * @param grantee the principal
   */
  public grantInvoke(grantee: iam.IGrantable): iam.Grant {
    return this.ingestFunction.grantInvoke(grantee);
  }
}

/** The handler bundle made by `npx projen bundle` (`src/ingestion/ingest.lambda.ts`). */
const HANDLER_BUNDLE_DIR = path.join(__dirname, '..', '..', 'assets', 'ingestion', 'ingest.lambda');
