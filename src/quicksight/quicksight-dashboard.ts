import { Names, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as quicksight from 'aws-cdk-lib/aws-quicksight';
import { Construct } from 'constructs';
import { dashboardDefinition } from './private/dashboard-definition';
import { DatasetSource, datasetSql, inputColumns } from './private/datasets';
import { IAthenaCatalog } from '../catalog/athena-catalog';
import { WeatherContract } from '../contract/weather-contract';
import { acknowledgeRoleInlinePolicy, acknowledgeWildcardResources } from '../private/nag-acknowledgements';
import { grantPrefixRead, grantPrefixWrite } from '../private/prefix-grants';

/**
 * What to publish in QuickSight and to whom: everything `QuickSightDashboardProps` takes except the catalog.
 * `WeatherPipelineProps.quickSight` takes it too.
 */
export interface QuickSightDashboardOptions {
  /**
   * QuickSight users or groups (ARNs, `arn:aws:quicksight:<identity region>:<account>:user/<namespace>/<name>` or
   * `...:group/<namespace>/<name>`) who own what the construct publishes: they can view, edit, re-share and delete
   * the data source, the datasets and the dashboard. Users are listed in QuickSight's identity region, which may
   * differ from the stack's region. At least one principal, here or in `viewerArns`, is required.
   *
   * @default - no owners
   */
  readonly ownerArns?: string[];

  /**
   * QuickSight users or groups (ARNs, same form as `ownerArns`) who may view and query the dashboard. They get no
   * access to the data source or the datasets (a dashboard's readers do not need it).
   *
   * @default - no viewers
   */
  readonly viewerArns?: string[];

  /**
   * The QuickSight namespace of the principals: every ARN of `ownerArns` and `viewerArns` must be in it.
   *
   * @default 'default'
   */
  readonly namespace?: string;

  /**
   * The IAM role QuickSight assumes to run this data source's Athena queries (set as the data source's
   * `AthenaParameters.RoleArn`, so the account-wide QuickSight service role needs no change). The construct grants it,
   * least-privilege: queries in the catalog's workgroup, the Glue database and the hourly and daily tables, read on
   * the refined bucket's hourly and daily prefixes, read and write on the query results prefix, and the KMS keys of
   * both. Pass the account's service role (`iam.Role.fromRoleName(this, 'QuickSightRole',
   * 'aws-quicksight-service-role-v0')`) to grant that role instead; it must trust `quicksight.amazonaws.com`.
   *
   * @default - a new role that only `quicksight.amazonaws.com` can assume
   */
  readonly role?: iam.IRole;

  /**
   * How many days back the datasets read (forecast days are always included). Every dashboard query is limited to
   * the partitions of these days, which bounds what Athena scans and bills. A whole number in [1, 3660].
   *
   * @default 90
   */
  readonly lookbackDays?: number;

  /**
   * Prefix of the QuickSight ids of the data source, datasets and dashboard (`<prefix>-athena`, `<prefix>-hourly`,
   * `<prefix>-daily`, `<prefix>-dashboard`): letters, digits, `_` and `-`, at most 100. Ids are unique per account
   * and region.
   *
   * @default - unique to this construct in its stack, e.g. `WeatherProd-Weather-QuickSight-1A2B3C4D`
   */
  readonly resourceIdPrefix?: string;

  /**
   * Display name of the dashboard; the data source and datasets are named after it.
   *
   * @default 'Weather'
   */
  readonly dashboardName?: string;
}

/**
 * Properties of the QuickSight dashboard.
 */
export interface QuickSightDashboardProps extends QuickSightDashboardOptions {
  /**
   * The weather catalog (an `AthenaCatalog`, or one imported with `AthenaCatalog.fromAthenaCatalogAttributes`):
   * the data source runs in its workgroup; the datasets read its database's hourly and daily tables, on its refined
   * lake, whose partition layout their queries follow.
   */
  readonly catalog: IAthenaCatalog;
}

const PRINCIPAL_ARN = /^arn:aws[a-z-]*:quicksight:[a-z0-9-]+:(\d{12}):(user|group)\/([^/]+)\/.+$/;
const NAMESPACE = /^[a-zA-Z0-9._-]{1,64}$/;
const ID_PREFIX = /^[\w-]{1,100}$/;

const OWNER_DATA_SOURCE_ACTIONS = [
  'quicksight:DescribeDataSource', 'quicksight:DescribeDataSourcePermissions', 'quicksight:PassDataSource',
  'quicksight:UpdateDataSource', 'quicksight:DeleteDataSource', 'quicksight:UpdateDataSourcePermissions',
];
const OWNER_DATA_SET_ACTIONS = [
  'quicksight:DescribeDataSet', 'quicksight:DescribeDataSetPermissions', 'quicksight:PassDataSet',
  'quicksight:DescribeIngestion', 'quicksight:ListIngestions', 'quicksight:UpdateDataSet', 'quicksight:DeleteDataSet',
  'quicksight:CreateIngestion', 'quicksight:CancelIngestion', 'quicksight:UpdateDataSetPermissions',
];
const VIEWER_DASHBOARD_ACTIONS = ['quicksight:DescribeDashboard', 'quicksight:ListDashboardVersions', 'quicksight:QueryDashboard'];
const OWNER_DASHBOARD_ACTIONS = [
  ...VIEWER_DASHBOARD_ACTIONS,
  'quicksight:UpdateDashboardPermissions', 'quicksight:DescribeDashboardPermissions', 'quicksight:UpdateDashboard',
  'quicksight:DeleteDashboard', 'quicksight:UpdateDashboardPublishedVersion',
];

/**
 * A QuickSight dashboard on the weather catalog: an Athena data source in the catalog's workgroup, direct-query
 * datasets on the hourly and daily tables (the last `lookbackDays` days), and a dashboard with the temperature per
 * city over time, the precipitation per day, today's daily rows and the data freshness per city, shared with the
 * QuickSight users and groups you name.
 *
 * Direct query, not SPICE: nothing to buy or refresh, the dashboard shows what the lake holds now (the freshness
 * table means something), and each visual's query reads only the lookback's partitions, under the workgroup's
 * per-query scan cutoff.
 *
 * The account must be subscribed to QuickSight (see docs/quicksight.md); the principals must exist in it.
 *
 * @example
 * declare const catalog: AthenaCatalog;
 * new QuickSightDashboard(this, 'QuickSight', {
 *   catalog,
 *   ownerArns: ['arn:aws:quicksight:us-east-1:123456789012:group/default/weather-authors'],
 *   viewerArns: ['arn:aws:quicksight:us-east-1:123456789012:group/default/weather-readers'],
 * });
 */
export class QuickSightDashboard extends Construct {
  /** The dashboard. */
  public readonly dashboard: quicksight.CfnDashboard;
  /** The Athena data source, in the catalog's workgroup. */
  public readonly dataSource: quicksight.CfnDataSource;
  /** The direct-query dataset on the hourly table. */
  public readonly hourlyDataSet: quicksight.CfnDataSet;
  /** The direct-query dataset on the daily table. */
  public readonly dailyDataSet: quicksight.CfnDataSet;
  /** The role QuickSight assumes for the data source's queries (created, or the one you passed). */
  public readonly role: iam.IRole;
  /** QuickSight id of the dashboard. */
  public readonly dashboardId: string;

  constructor(scope: Construct, id: string, props: QuickSightDashboardProps) {
    super(scope, id);
    if (props.catalog === undefined) {
      throw new Error('catalog is required: the AthenaCatalog whose workgroup and tables the dashboard reads');
    }
    const stack = Stack.of(this);
    const namespace = props.namespace ?? 'default';
    const lookbackDays = props.lookbackDays ?? 90;
    const idPrefix = props.resourceIdPrefix ?? Names.uniqueResourceName(this, { maxLength: 80, separator: '-' });
    const dashboardName = props.dashboardName ?? 'Weather';
    if (!Token.isUnresolved(namespace) && !NAMESPACE.test(namespace)) {
      throw new Error(`namespace must match ${NAMESPACE.source}, got "${namespace}"`);
    }
    if (!Token.isUnresolved(lookbackDays) && (!Number.isInteger(lookbackDays) || lookbackDays < 1 || lookbackDays > 3660)) {
      throw new Error(`lookbackDays must be a whole number of days in [1, 3660], got ${lookbackDays}`);
    }
    if (!Token.isUnresolved(idPrefix) && !ID_PREFIX.test(idPrefix)) {
      throw new Error(`resourceIdPrefix must match ${ID_PREFIX.source}, got "${idPrefix}"`);
    }
    if (!Token.isUnresolved(dashboardName) && (dashboardName.trim() === '' || dashboardName.length > 2048)) {
      throw new Error(`dashboardName must be 1 to 2048 characters and not blank, got "${dashboardName}"`);
    }
    const owners = props.ownerArns ?? [];
    const viewers = props.viewerArns ?? [];
    checkPrincipals('ownerArns', owners, namespace, stack.account);
    checkPrincipals('viewerArns', viewers, namespace, stack.account);
    if (owners.length + viewers.length === 0) {
      throw new Error('ownerArns and viewerArns are both empty: name at least one QuickSight user or group ARN '
        + '(arn:aws:quicksight:<identity region>:<account>:user/<namespace>/<name>) to share the dashboard with');
    }
    const both = viewers.filter((arn) => owners.includes(arn));
    if (both.length > 0) {
      throw new Error(`viewerArns repeats ${both.join(', ')} from ownerArns: an owner already views the dashboard`);
    }

    const catalog = props.catalog;
    const lake = catalog.refinedLake;
    this.role = props.role ?? new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('quicksight.amazonaws.com'),
      description: 'QuickSight runs the weather dashboard\'s Athena queries with this role (cdk-weather-pipeline)',
    });
    this.grantQuickSightRole(catalog);

    const permissions = (principals: string[], actions: string[]) => principals.map((principal) => ({ principal, actions }));
    this.dataSource = new quicksight.CfnDataSource(this, 'DataSource', {
      awsAccountId: stack.account,
      dataSourceId: `${idPrefix}-athena`,
      name: `${dashboardName} (Athena)`,
      type: 'ATHENA',
      dataSourceParameters: { athenaParameters: { workGroup: catalog.workGroupName, roleArn: this.role.roleArn } },
      sslProperties: { disableSsl: false },
      permissions: owners.length > 0 ? permissions(owners, OWNER_DATA_SOURCE_ACTIONS) : undefined,
    });
    // QuickSight checks the role when it creates the data source: the role's policy must be in place first (the
    // role itself is referenced already).
    for (const policy of this.role.node.children.filter((child) => child instanceof iam.Policy)) {
      this.dataSource.node.addDependency(policy);
    }

    const source = (table: string, columns: DatasetSource['columns'], partitionKeys: string[], monthlyDayColumn: string): DatasetSource => ({
      database: catalog.databaseName,
      table,
      columns,
      partitionKeys,
      granularity: lake.partitionGranularity,
      monthlyDayColumn,
      lookbackDays,
    });
    const dataSet = (logicalId: string, suffix: string, label: string, from: DatasetSource) => {
      const cfn = new quicksight.CfnDataSet(this, logicalId, {
        awsAccountId: stack.account,
        dataSetId: `${idPrefix}-${suffix}`,
        name: `${dashboardName}: ${label}`,
        importMode: 'DIRECT_QUERY',
        physicalTableMap: {
          [suffix]: {
            customSql: {
              dataSourceArn: this.dataSource.attrArn,
              name: from.table,
              sqlQuery: datasetSql(from),
              columns: inputColumns(from),
            },
          },
        },
        permissions: owners.length > 0 ? permissions(owners, OWNER_DATA_SET_ACTIONS) : undefined,
      });
      cfn.node.addDependency(catalog);
      return cfn;
    };
    const granularity = lake.partitionGranularity;
    const hourlySource = source(catalog.hourlyTableName, WeatherContract.hourlyColumns(granularity), lake.hourlyPartitionKeys, 'date');
    this.hourlyDataSet = dataSet('HourlyDataSet', 'hourly', 'hourly weather', hourlySource);
    this.dailyDataSet = dataSet('DailyDataSet', 'daily', 'daily weather',
      source(catalog.dailyTableName, WeatherContract.DAILY_COLUMNS, WeatherContract.dailyPartitionKeys(granularity), 'day'));

    this.dashboardId = `${idPrefix}-dashboard`;
    this.dashboard = new quicksight.CfnDashboard(this, 'Resource', {
      awsAccountId: stack.account,
      dashboardId: this.dashboardId,
      name: dashboardName,
      definition: dashboardDefinition(this.hourlyDataSet.attrArn, this.dailyDataSet.attrArn, inputColumns(hourlySource).map((c) => c.name)),
      permissions: [...permissions(owners, OWNER_DASHBOARD_ACTIONS), ...permissions(viewers, VIEWER_DASHBOARD_ACTIONS)],
      versionDescription: 'Published by cdk-weather-pipeline',
    });
  }

  /**
   * The data source role's grants: Athena queries in the workgroup and on the Glue data catalog, the database and the
   * two tables, their refined prefixes (read), the results prefix (read and write), and the KMS keys of both buckets.
   */
  private grantQuickSightRole(catalog: IAthenaCatalog): void {
    const stack = Stack.of(this);
    const role = this.role;
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: [
        'athena:StartQueryExecution', 'athena:GetQueryExecution', 'athena:GetQueryResults', 'athena:GetQueryResultsStream',
        'athena:StopQueryExecution', 'athena:GetWorkGroup',
      ],
      resources: [catalog.workGroupArn],
    }));
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: ['athena:GetDataCatalog', 'athena:ListDatabases', 'athena:GetDatabase', 'athena:ListTableMetadata', 'athena:GetTableMetadata'],
      resources: [stack.formatArn({ service: 'athena', resource: 'datacatalog', resourceName: 'AwsDataCatalog' })],
    }));
    const glueArn = (resource: string, resourceName?: string) => stack.formatArn({ service: 'glue', resource, resourceName });
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: ['glue:GetDatabase', 'glue:GetTable', 'glue:GetTables', 'glue:GetPartition', 'glue:GetPartitions', 'glue:BatchGetPartition'],
      resources: [
        glueArn('catalog'),
        glueArn('database', catalog.databaseName),
        glueArn('table', `${catalog.databaseName}/${catalog.hourlyTableName}`),
        glueArn('table', `${catalog.databaseName}/${catalog.dailyTableName}`),
      ],
    }));
    const lake = catalog.refinedLake;
    grantPrefixRead(lake.bucket, role, lake.hourlyPrefix);
    lake.grantReadDaily(role);
    grantPrefixRead(catalog.resultsBucket, role, catalog.resultsPrefix);
    grantPrefixWrite(catalog.resultsBucket, role, catalog.resultsPrefix);
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:GetBucketLocation'], resources: [catalog.resultsBucket.bucketArn] }));
    if (catalog.resultsEncryptionKey !== undefined && catalog.resultsBucket.encryptionKey !== catalog.resultsEncryptionKey) {
      catalog.resultsEncryptionKey.grant(role, 'kms:GenerateDataKey', 'kms:Decrypt');
    }
    acknowledgeRoleInlinePolicy(role);
    acknowledgeWildcardResources(role, [
      lake.bucket.arnForObjects(`${lake.hourlyPrefix}*`),
      lake.bucket.arnForObjects(`${lake.dailyPrefix}*`),
      catalog.resultsBucket.arnForObjects(`${catalog.resultsPrefix}*`),
    ], 'Object access is limited to the hourly and daily prefixes of the refined bucket and the Athena results prefix; object keys are only known at run time.');
  }
}

/** Every ARN is a QuickSight user or group in `namespace` (and in the stack's account when both are known). */
function checkPrincipals(propName: string, arns: string[], namespace: string, account: string): void {
  arns.forEach((arn, index) => {
    if (Token.isUnresolved(arn)) {
      return;
    }
    const match = PRINCIPAL_ARN.exec(arn);
    if (match === null) {
      throw new Error(`${propName}[${index}] must be a QuickSight user or group ARN `
        + `(arn:aws:quicksight:<identity region>:<account>:user/<namespace>/<name> or ...:group/<namespace>/<name>), got "${arn}"`);
    }
    if (!Token.isUnresolved(namespace) && match[3] !== namespace) {
      throw new Error(`${propName}[${index}] is in QuickSight namespace "${match[3]}", not namespace "${namespace}": "${arn}"`);
    }
    if (!Token.isUnresolved(account) && match[1] !== account) {
      throw new Error(`${propName}[${index}] belongs to account ${match[1]}, not the stack's account ${account}: "${arn}"`);
    }
  });
}
