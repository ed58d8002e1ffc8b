import { Annotations, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { IConstruct } from 'constructs';
import { WeatherContract } from '../../contract/weather-contract';
import { citiesOf } from '../../private/dataset';
import { grantPrefixRead, grantPrefixWrite } from '../../private/prefix-grants';
import { IRefinedLake } from '../../storage/refined-lake';
import { QueryTarget } from '../queries';

/** What the catalog and an imported catalog share (the fields of `IAthenaCatalog` these helpers read). */
export interface CatalogShape extends IConstruct {
  readonly refinedLake: IRefinedLake;
  readonly databaseName: string;
  readonly hourlyTableName: string;
  readonly quarantineTableName: string;
  readonly stagingTableName: string;
  readonly dailyTableName: string;
  readonly workGroupArn: string;
  readonly resultsBucket: s3.IBucket;
  readonly resultsPrefix: string;
  readonly resultsEncryptionKey?: kms.IKey;
}

/** The validation settings (`CatalogValidationProps`). */
export interface ValidationSettings {
  readonly injectCities?: boolean;
  readonly maxQuarantinePercent?: number;
  readonly freshnessLookbackDays?: number;
  readonly projectionStartDate?: string;
  readonly projectionDaysAhead?: number;
}

const DATABASE_NAME = /^[a-z0-9_]{1,255}$/;
const WORKGROUP_NAME = /^[a-zA-Z0-9._-]{1,128}$/;

export function checkNames(databaseName: string, workGroupName: string, resultsPrefix: string): void {
  if (!Token.isUnresolved(databaseName) && !DATABASE_NAME.test(databaseName)) {
    throw new Error(`databaseName must match ${DATABASE_NAME.source} (lowercase letters, digits, underscores), got "${databaseName}"`);
  }
  if (!Token.isUnresolved(workGroupName) && !WORKGROUP_NAME.test(workGroupName)) {
    throw new Error(`workGroupName must match ${WORKGROUP_NAME.source}, got "${workGroupName}"`);
  }
  if (!Token.isUnresolved(resultsPrefix) && !/^([A-Za-z0-9!_.*'()-]+\/)+$/.test(resultsPrefix)) {
    throw new Error(`resultsPrefix must be non-empty S3 key segments each ending with "/", got "${resultsPrefix}"`);
  }
}

/** What the queries need: validated thresholds, the lake's layout and (unless injected) its city slugs. */
export function queryTarget(catalog: CatalogShape, props: ValidationSettings, databaseName: string): QueryTarget {
  const maxQuarantinePercent = props.maxQuarantinePercent ?? 5;
  const freshnessLookbackDays = props.freshnessLookbackDays ?? 7;
  if (!Token.isUnresolved(maxQuarantinePercent) && !(maxQuarantinePercent >= 0 && maxQuarantinePercent <= 100)) {
    throw new Error(`maxQuarantinePercent must be a percentage in [0, 100], got ${maxQuarantinePercent}`);
  }
  if (!Token.isUnresolved(freshnessLookbackDays) && (!Number.isInteger(freshnessLookbackDays) || freshnessLookbackDays < 1)) {
    throw new Error(`freshnessLookbackDays must be a whole number of days, at least 1, got ${freshnessLookbackDays}`);
  }
  let citySlugs: string[] | undefined;
  if (props.injectCities ?? false) {
    Annotations.of(catalog).addWarningV2('cdk-weather-pipeline:injectedCities',
      'injectCities is true: Athena rejects any query on the hourly table that does not filter city with = or IN literals, including this construct\'s named and validation queries; add such a filter when you run them.');
  } else {
    citySlugs = citiesOf(catalog.refinedLake, catalog).map((city) => WeatherContract.slugOf(city));
  }
  return {
    database: databaseName,
    hourlyTable: catalog.hourlyTableName,
    quarantineTable: catalog.quarantineTableName,
    stagingTable: catalog.stagingTableName,
    dailyTable: catalog.dailyTableName,
    citySlugs,
    // The query compares a share: 5 % → 0.05.
    maxQuarantineShare: maxQuarantinePercent / 100,
    freshnessLookbackDays,
    partitionGranularity: catalog.refinedLake.partitionGranularity,
    // The queries stay within the projected range.
    projectionStartDate: props.projectionStartDate ?? '2024-01-01',
    forecastDays: props.projectionDaysAhead ?? 16,
  };
}

/** `grantQuery` of both the catalog and an imported one. */
export function grantCatalogQuery(catalog: CatalogShape, grantee: iam.IGrantable): iam.Grant {
  const stack = Stack.of(catalog);
  let grant = iam.Grant.addToPrincipal({
    grantee,
    actions: [
      'athena:StartQueryExecution', 'athena:GetQueryExecution', 'athena:GetQueryResults', 'athena:StopQueryExecution',
      'athena:GetWorkGroup', 'athena:ListNamedQueries', 'athena:GetNamedQuery', 'athena:BatchGetNamedQuery',
    ],
    resourceArns: [catalog.workGroupArn],
  });
  const glueArn = (resource: string, resourceName?: string) => stack.formatArn({ service: 'glue', resource, resourceName });
  grant = grant.combine(iam.Grant.addToPrincipal({
    grantee,
    actions: ['glue:GetDatabase', 'glue:GetTable', 'glue:GetTables', 'glue:GetPartition', 'glue:GetPartitions', 'glue:BatchGetPartition'],
    resourceArns: [
      glueArn('catalog'),
      glueArn('database', catalog.databaseName),
      glueArn('table', `${catalog.databaseName}/${catalog.hourlyTableName}`),
      glueArn('table', `${catalog.databaseName}/${catalog.quarantineTableName}`),
      glueArn('table', `${catalog.databaseName}/${catalog.stagingTableName}`),
      glueArn('table', `${catalog.databaseName}/${catalog.dailyTableName}`),
    ],
  }));
  // Spelled-out S3 actions (the L2 grants use wildcard actions such as s3:GetObject*).
  const lake = catalog.refinedLake;
  grant = grant.combine(grantPrefixRead(lake.bucket, grantee, lake.hourlyPrefix));
  grant = grant.combine(grantPrefixRead(lake.bucket, grantee, lake.quarantinePrefix));
  grant = grant.combine(lake.grantReadStaging(grantee));
  grant = grant.combine(lake.grantReadDaily(grantee));
  // Athena reads and writes results (and aborts multipart uploads); it never deletes them.
  grant = grant.combine(grantPrefixRead(catalog.resultsBucket, grantee, catalog.resultsPrefix));
  grant = grant.combine(grantPrefixWrite(catalog.resultsBucket, grantee, catalog.resultsPrefix));
  grant = grant.combine(iam.Grant.addToPrincipal({ grantee, actions: ['s3:GetBucketLocation'], resourceArns: [catalog.resultsBucket.bucketArn] }));
  if (catalog.resultsEncryptionKey !== undefined && catalog.resultsBucket.encryptionKey !== catalog.resultsEncryptionKey) {
    grant = grant.combine(catalog.resultsEncryptionKey.grant(grantee, 'kms:GenerateDataKey', 'kms:Decrypt'));
  }
  return grant;
}
