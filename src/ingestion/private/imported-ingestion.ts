import { Duration, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { City } from '../../contract/city';
import { IWeatherIngestion, WeatherIngestionAttributes } from '../ingestion-interface';
import { ingestionCities } from './ingestion-cities';

/** Lambda's longest timeout, the default of an imported ingestion's. */
const LAMBDA_MAX_TIMEOUT = Duration.minutes(15);

/** `WeatherIngestion.fromWeatherIngestionAttributes`: the attributes, checked, behind `IWeatherIngestion`. */
export function importWeatherIngestion(scope: Construct, id: string, attrs: WeatherIngestionAttributes): IWeatherIngestion {
  const timeout = attrs.timeout ?? LAMBDA_MAX_TIMEOUT;
  const seconds = timeout.toSeconds({ integral: false });
  if (!Token.isUnresolved(seconds) && (seconds < 1 || seconds > LAMBDA_MAX_TIMEOUT.toSeconds())) {
    throw new Error(`timeout must be between 1 second and 15 minutes (Lambda's limits), got ${timeout.toHumanString()}`);
  }

  class Import extends Construct implements IWeatherIngestion {
    public readonly ingestFunction: lambda.IFunction = attrs.ingestFunction;
    public readonly cities: City[] = ingestionCities(this, attrs.refinedLake, attrs.cities);
    public readonly timeout: Duration = timeout;
    public readonly sourceIds: string[] = [...(attrs.sourceIds ?? ['open-meteo'])];
    public readonly deadLetterQueue: sqs.IQueue = attrs.deadLetterQueue;

    public grantInvoke(grantee: iam.IGrantable): iam.Grant {
      return this.ingestFunction.grantInvoke(grantee);
    }
  }
  return new Import(scope, id);
}
