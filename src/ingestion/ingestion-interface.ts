import { Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { IConstruct } from 'constructs';
import { City } from '../contract/city';
import { IRefinedLake } from '../storage/refined-lake';

/**
 * A weather ingestion: what `PipelineOrchestrator` and `PipelineMonitoring` use of it.
 *
 * Made by `WeatherIngestion`, or imported with `WeatherIngestion.fromWeatherIngestionAttributes` (a function another
 * stack or team deployed).
 */
export interface IWeatherIngestion extends IConstruct {
  /** The ingestion Lambda function. */
  readonly ingestFunction: lambda.IFunction;

  /** The cities the function fetches. */
  readonly cities: City[];

  /** The function's timeout: the orchestrator's ingestion step waits this long plus a minute. */
  readonly timeout: Duration;

  /**
   * Ids of the weather sources the function calls (`WeatherSource.id`), in order (`['open-meteo']` by default): the
   * monitoring checks freshness per source and city when there are several.
   */
  readonly sourceIds: string[];

  /** Receives the function's failed asynchronous invocations; the monitoring alarms on it. */
  readonly deadLetterQueue: sqs.IQueue;

  /**
   * The ingestion's own schedule (the orchestrator warns when it has one: it ingests outside the orchestrator).
   *
   * @default - none
   */
  readonly schedule?: scheduler.ISchedule;

  /** Permits `grantee` to invoke the function. */
  grantInvoke(grantee: iam.IGrantable): iam.Grant;
}

/**
 * An ingestion made elsewhere, for `WeatherIngestion.fromWeatherIngestionAttributes`.
 */
export interface WeatherIngestionAttributes {
  /** The ingestion function (e.g. `lambda.Function.fromFunctionArn`). */
  readonly ingestFunction: lambda.IFunction;

  /**
   * The refined lake of the pipeline it feeds: the imported ingestion fetches its cities.
   *
   * @default - none: then `cities` is required
   */
  readonly refinedLake?: IRefinedLake;

  /**
   * The cities it fetches, when it feeds no refined lake of this app. Checked with `WeatherContract.validateCities`.
   * Not allowed with `refinedLake` (synth error).
   *
   * @default - the cities of `refinedLake` (one of the two is required)
   */
  readonly cities?: City[];

  /**
   * The function's timeout.
   *
   * @default Duration.minutes(15) - Lambda's longest
   */
  readonly timeout?: Duration;

  /**
   * Ids of the weather sources it calls (`WeatherSource.id`: `open-meteo`, `met-norway`).
   *
   * @default ['open-meteo']
   */
  readonly sourceIds?: string[];

  /** The queue that receives its failed asynchronous invocations (e.g. `sqs.Queue.fromQueueArn`). */
  readonly deadLetterQueue: sqs.IQueue;
}
