import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import {
  AthenaCatalog, City, PartitionGranularity, QuickSightDashboard, QuickSightDashboardProps, RefinedLake, WeatherContract, WeatherPipeline,
} from '../../src';
import { dashboardDefinition } from '../../src/quicksight/private/dashboard-definition';
import { NagPack, nagFindings } from '../nag';

const CITIES: City[] = [
  { name: 'Paris', latitude: 48.8566, longitude: 2.3522 },
  { name: 'Nice', latitude: 43.7102, longitude: 7.262 },
];
const ACCOUNT = '123456789012';
const OWNER = `arn:aws:quicksight:us-east-1:${ACCOUNT}:group/default/weather-authors`;
const VIEWER = `arn:aws:quicksight:us-east-1:${ACCOUNT}:user/default/analyst`;

/** A stack (in ACCOUNT, eu-west-3) with a refined lake, its catalog and the QuickSight dashboard. */
function dashboardStack(props: Partial<QuickSightDashboardProps> = {}, granularity?: PartitionGranularity) {
  const app = new App();
  const stack = new Stack(app, 'Test', { env: { account: ACCOUNT, region: 'eu-west-3' } });
  const refinedLake = new RefinedLake(stack, 'Refined', { cities: CITIES, partitionGranularity: granularity });
  const catalog = new AthenaCatalog(stack, 'Catalog', { refinedLake });
  const dashboard = new QuickSightDashboard(stack, 'QuickSight', { catalog, ownerArns: [OWNER], viewerArns: [VIEWER], ...props });
  return { app, stack, refinedLake, catalog, dashboard };
}

/** The statements of every identity policy attached to the role with this logical id. */
function roleStatements(template: Template, roleId: string): any[] {
  return Object.values<any>(template.findResources('AWS::IAM::Policy'))
    .filter((policy) => JSON.stringify(policy.Properties.Roles).includes(roleId))
    .flatMap((policy) => policy.Properties.PolicyDocument.Statement);
}

const logicalId = (stack: Stack, construct: any) => stack.getLogicalId(construct.node.defaultChild ?? construct);

describe('QuickSightDashboard with the defaults', () => {
  const { app, stack, refinedLake, catalog, dashboard } = dashboardStack();
  const template = Template.fromStack(stack);
  const roleId = logicalId(stack, dashboard.role);
  const dataSets = Object.values<any>(template.findResources('AWS::QuickSight::DataSet'));
  const table = (suffix: string) => {
    const set = dataSets.find((d) => d.Properties.DataSetId.endsWith(`-${suffix}`))!;
    return set.Properties.PhysicalTableMap[suffix].CustomSql;
  };

  test('an Athena data source in the catalog\'s workgroup, over TLS, queried with the construct\'s role, owned by the owners', () => {
    template.resourceCountIs('AWS::QuickSight::DataSource', 1);
    template.hasResourceProperties('AWS::QuickSight::DataSource', {
      AwsAccountId: ACCOUNT,
      Type: 'ATHENA',
      DataSourceParameters: {
        AthenaParameters: {
          WorkGroup: stack.resolve(catalog.workGroupName),
          RoleArn: { 'Fn::GetAtt': [roleId, 'Arn'] },
        },
      },
      SslProperties: { DisableSsl: false },
      Permissions: [{ Principal: OWNER, Actions: Match.arrayWith(['quicksight:DescribeDataSource', 'quicksight:PassDataSource']) }],
    });
    // The role's policy exists before QuickSight checks the role.
    const source = Object.values<any>(template.findResources('AWS::QuickSight::DataSource'))[0];
    expect(source.DependsOn).toEqual([expect.stringMatching(/^QuickSightRoleDefaultPolicy/)]);
  });

  test('direct-query datasets on the hourly and daily tables, reading the last 90 days of partitions', () => {
    expect(dataSets.map((d) => d.Properties.ImportMode)).toEqual(['DIRECT_QUERY', 'DIRECT_QUERY']);
    const db = catalog.databaseName;
    expect(table('hourly').SqlQuery).toBe([
      `SELECT ${[...WeatherContract.HOURLY_COLUMNS.map((c) => c.name), 'date', 'city'].map((n) => `"${n}"`).join(', ')}`,
      `FROM "${db}"."hourly"`,
      'WHERE "date" >= CAST(current_date - INTERVAL \'90\' DAY AS varchar)',
    ].join('\n'));
    expect(table('daily').SqlQuery).toContain(`FROM "${db}"."daily"\nWHERE "date" >= CAST(current_date - INTERVAL '90' DAY AS varchar)`);
    expect(table('hourly').DataSourceArn).toEqual({ 'Fn::GetAtt': [logicalId(stack, dashboard.dataSource), 'Arn'] });
  });

  test('dataset columns come from the contract, typed for QuickSight, partition keys as strings', () => {
    const types = (suffix: string) => Object.fromEntries(table(suffix).Columns.map((c: any) => [c.Name, c.Type]));
    expect(types('hourly')).toMatchObject({
      city_name: 'STRING',
      observed_at: 'DATETIME',
      temperature_c: 'DECIMAL',
      weather_code: 'INTEGER',
      is_forecast: 'BOOLEAN',
      date: 'STRING',
      city: 'STRING',
    });
    expect(Object.keys(types('hourly'))).toHaveLength(WeatherContract.HOURLY_COLUMNS.length + 2);
    expect(Object.keys(types('daily'))).toEqual([...WeatherContract.DAILY_COLUMNS.map((c) => c.name), ...WeatherContract.dailyPartitionKeys()]);
    expect(types('daily')).toEqual({
      source: 'STRING',
      city_name: 'STRING',
      day: 'DATETIME',
      temperature_min_c: 'DECIMAL',
      temperature_max_c: 'DECIMAL',
      temperature_mean_c: 'DECIMAL',
      precipitation_sum_mm: 'DECIMAL',
      wind_speed_max_kmh: 'DECIMAL',
      dominant_weather_code: 'INTEGER',
      hours_present: 'INTEGER',
      is_complete: 'BOOLEAN',
      has_forecast_hours: 'BOOLEAN',
      processed_at: 'DATETIME',
      run_id: 'STRING',
      date: 'STRING',
      city: 'STRING',
    });
  });

  test('datasets are owned by the owners only; viewers see the dashboard', () => {
    for (const set of dataSets) {
      expect(set.Properties.Permissions.map((p: any) => p.Principal)).toEqual([OWNER]);
    }
    template.hasResourceProperties('AWS::QuickSight::Dashboard', {
      Permissions: [
        { Principal: OWNER, Actions: Match.arrayWith(['quicksight:QueryDashboard', 'quicksight:UpdateDashboard']) },
        { Principal: VIEWER, Actions: ['quicksight:DescribeDashboard', 'quicksight:ListDashboardVersions', 'quicksight:QueryDashboard'] },
      ],
    });
  });

  test('the dashboard: temperature per city, precipitation, today\'s daily rows, data freshness', () => {
    const board = Object.values<any>(template.findResources('AWS::QuickSight::Dashboard'))[0];
    expect(stack.getLogicalId(dashboard.dashboard)).toMatch(/^QuickSight[0-9A-F]{8}$/); // the main child is `Resource`
    const definition = board.Properties.Definition;
    expect(definition.DataSetIdentifierDeclarations).toEqual([
      { Identifier: 'daily', DataSetArn: { 'Fn::GetAtt': [logicalId(stack, dashboard.dailyDataSet), 'Arn'] } },
      { Identifier: 'hourly', DataSetArn: { 'Fn::GetAtt': [logicalId(stack, dashboard.hourlyDataSet), 'Arn'] } },
    ]);
    const visuals = definition.Sheets[0].Visuals;
    const line = visuals[0].LineChartVisual.ChartConfiguration.FieldWells.LineChartAggregatedFieldWells;
    expect(line.Values[0].NumericalMeasureField.Column).toEqual({ DataSetIdentifier: 'daily', ColumnName: 'temperature_mean_c' });
    expect(line.Colors[0].CategoricalDimensionField.Column.ColumnName).toBe('city_name');
    const bars = visuals[1].BarChartVisual.ChartConfiguration.FieldWells.BarChartAggregatedFieldWells;
    expect(bars.Values[0].NumericalMeasureField).toMatchObject({
      Column: { DataSetIdentifier: 'daily', ColumnName: 'precipitation_sum_mm' }, AggregationFunction: { SimpleNumericalAggregation: 'SUM' },
    });
    expect(visuals[2].TableVisual.VisualId).toBe('latest-day');
    const freshness = visuals[3].TableVisual.ChartConfiguration.FieldWells.TableAggregatedFieldWells;
    expect(freshness.Values.map((v: any) => [v.DateMeasureField.Column.ColumnName, v.DateMeasureField.AggregationFunction]))
      .toEqual([['fetched_at', 'MAX'], ['processed_at', 'MAX']]);
    // Every visual is laid out, and today's filter applies to the latest-day table only.
    expect(definition.Sheets[0].Layouts[0].Configuration.GridLayout.Elements.map((e: any) => e.ElementId))
      .toEqual(visuals.map((v: any) => (Object.values(v)[0] as any).VisualId));
    expect(definition.FilterGroups[0].ScopeConfiguration.SelectedSheets.SheetVisualScopingConfigurations[0].VisualIds).toEqual(['latest-day']);
    expect(definition.FilterGroups[0].Filters[0].RelativeDatesFilter).toMatchObject({ RelativeDateType: 'THIS', TimeGranularity: 'DAY' });
  });

  test('the role: assumable by QuickSight only, least privilege on the workgroup, catalog, buckets and keys', () => {
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: { Statement: [{ Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'quicksight.amazonaws.com' } }] },
    });
    const statements = roleStatements(template, roleId);
    const resourcesOf = (action: string) => statements.filter((s) => [s.Action].flat().includes(action)).flatMap((s) => [s.Resource].flat());
    const text = (value: unknown) => JSON.stringify(stack.resolve(value));
    expect(resourcesOf('athena:StartQueryExecution').map(text)).toEqual([text(catalog.workGroupArn)]);
    expect(resourcesOf('glue:GetTable').map(text).join()).toMatch(/table\/.*\/hourly.*table\/.*\/daily/);
    expect(resourcesOf('glue:GetTable')).toHaveLength(4);
    const reads = resourcesOf('s3:GetObject').map(text);
    expect(reads).toEqual([
      text(refinedLake.bucket.arnForObjects('weather/hourly/*')),
      text(refinedLake.bucket.arnForObjects('weather/daily/*')),
      text(catalog.resultsBucket.arnForObjects('athena-results/*')),
    ]);
    expect(resourcesOf('s3:PutObject').map(text)).toEqual([text(catalog.resultsBucket.arnForObjects('athena-results/*'))]);
    expect(resourcesOf('s3:DeleteObject')).toEqual([]);
    expect(resourcesOf('kms:Decrypt').map(text)).toContain(text(refinedLake.bucket.encryptionKey!.keyArn));
    // Nothing on the quarantine or the run summaries.
    expect(JSON.stringify(statements)).not.toMatch(/quarantine|run-summaries/);
  });

  test('no unacknowledged cdk-nag finding (AwsSolutions and NIST 800-53 rev 5)', () => {
    expect(nagFindings(app, [NagPack.AWS_SOLUTIONS, NagPack.NIST_800_53_R5])).toEqual([]);
  });
});

describe('QuickSightDashboard options', () => {
  test('monthly partitions: the datasets prune on month and filter the day column', () => {
    const { stack } = dashboardStack({ lookbackDays: 14 }, PartitionGranularity.MONTH);
    const sql = Object.values<any>(Template.fromStack(stack).findResources('AWS::QuickSight::DataSet'))
      .map((d) => Object.values<any>(d.Properties.PhysicalTableMap)[0].CustomSql.SqlQuery);
    const since = 'CAST(current_date - INTERVAL \'14\' DAY AS varchar)';
    expect(sql[0]).toContain(`WHERE "month" >= substr(${since}, 1, 7) AND "date" >= ${since}`);
    expect(sql[1]).toContain(`WHERE "month" >= substr(${since}, 1, 7) AND "day" >= current_date - INTERVAL '14' DAY`);
    expect(sql[0]).toMatch(/"date", "month", "city"\nFROM/);
  });

  test('a role you pass is granted and set on the data source; no role is created', () => {
    const app = new App();
    const stack = new Stack(app, 'Test', { env: { account: ACCOUNT, region: 'eu-west-3' } });
    const catalog = new AthenaCatalog(stack, 'Catalog', { refinedLake: new RefinedLake(stack, 'Refined', { cities: CITIES }) });
    const role = iam.Role.fromRoleName(stack, 'ServiceRole', 'aws-quicksight-service-role-v0');
    new QuickSightDashboard(stack, 'QuickSight', { catalog, viewerArns: [VIEWER], role, resourceIdPrefix: 'weather-prod', dashboardName: 'Weather prod' });
    const template = Template.fromStack(stack);
    expect(Object.values<any>(template.findResources('AWS::IAM::Role')).filter((r) => JSON.stringify(r).includes('quicksight'))).toEqual([]);
    template.hasResourceProperties('AWS::QuickSight::DataSource', {
      DataSourceId: 'weather-prod-athena',
      DataSourceParameters: { AthenaParameters: { RoleArn: Match.objectLike({ 'Fn::Join': Match.anyValue() }) } },
      Permissions: Match.absent(),
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: ['aws-quicksight-service-role-v0'],
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: Match.arrayWith(['athena:StartQueryExecution']) })]) },
    });
    template.hasResourceProperties('AWS::QuickSight::Dashboard', { DashboardId: 'weather-prod-dashboard', Name: 'Weather prod' });
    const policyIds = Object.keys(template.findResources('AWS::IAM::Policy', { Properties: { Roles: ['aws-quicksight-service-role-v0'] } }));
    const source = Object.values<any>(template.findResources('AWS::QuickSight::DataSource'))[0];
    expect(source.DependsOn).toEqual(policyIds);
  });

  test('an imported catalog whose results key differs from its bucket\'s: the role may use that key too', () => {
    const app = new App();
    const stack = new Stack(app, 'Test', { env: { account: ACCOUNT, region: 'eu-west-3' } });
    const refinedLake = RefinedLake.fromRefinedLakeAttributes(stack, 'Lake', { bucket: s3.Bucket.fromBucketName(stack, 'Refined', 'refined'), cities: CITIES });
    const resultsKey = new kms.Key(stack, 'ResultsKey', { enableKeyRotation: true });
    const catalog = AthenaCatalog.fromAthenaCatalogAttributes(stack, 'Catalog', {
      refinedLake, databaseName: 'weather_db', workGroupName: 'weather', resultsBucket: s3.Bucket.fromBucketName(stack, 'Results', 'results'), resultsEncryptionKey: resultsKey,
    });
    const dashboard = new QuickSightDashboard(stack, 'QuickSight', { catalog, ownerArns: [OWNER] });
    const template = Template.fromStack(stack);
    const statements = roleStatements(template, logicalId(stack, dashboard.role));
    expect(statements).toContainEqual(expect.objectContaining({
      Action: ['kms:GenerateDataKey', 'kms:Decrypt'], Resource: { 'Fn::GetAtt': [logicalId(stack, resultsKey), 'Arn'] },
    }));
    template.hasResourceProperties('AWS::QuickSight::DataSource', { DataSourceParameters: { AthenaParameters: { WorkGroup: 'weather' } } });
    expect(JSON.stringify(template.findResources('AWS::QuickSight::DataSet'))).toContain('FROM \\"weather_db\\".\\"daily\\"');
  });
});

describe('QuickSightDashboard validation', () => {
  const attempt = (props: Partial<QuickSightDashboardProps>) => () => dashboardStack(props);

  test('no principal at all', () => {
    expect(attempt({ ownerArns: [], viewerArns: undefined })).toThrow(
      'ownerArns and viewerArns are both empty: name at least one QuickSight user or group ARN '
      + '(arn:aws:quicksight:<identity region>:<account>:user/<namespace>/<name>) to share the dashboard with');
  });

  test('a principal that is not a QuickSight user or group ARN', () => {
    expect(attempt({ viewerArns: ['arn:aws:iam::123456789012:user/analyst'] })).toThrow(
      'viewerArns[0] must be a QuickSight user or group ARN (arn:aws:quicksight:<identity region>:<account>:user/<namespace>/<name> '
      + 'or ...:group/<namespace>/<name>), got "arn:aws:iam::123456789012:user/analyst"');
  });

  test('a principal of another namespace or account', () => {
    const other = `arn:aws:quicksight:us-east-1:${ACCOUNT}:user/team-b/analyst`;
    expect(attempt({ ownerArns: [OWNER, other] })).toThrow(`ownerArns[1] is in QuickSight namespace "team-b", not namespace "default": "${other}"`);
    expect(attempt({ namespace: 'team-b', ownerArns: [other], viewerArns: [] })).not.toThrow();
    const foreign = 'arn:aws:quicksight:us-east-1:210987654321:user/default/analyst';
    expect(attempt({ viewerArns: [foreign] })).toThrow(`viewerArns[0] belongs to account 210987654321, not the stack's account ${ACCOUNT}: "${foreign}"`);
  });

  test('a principal both owner and viewer', () => {
    expect(attempt({ viewerArns: [OWNER] })).toThrow(`viewerArns repeats ${OWNER} from ownerArns: an owner already views the dashboard`);
  });

  test('namespace, lookbackDays, resourceIdPrefix, dashboardName', () => {
    expect(attempt({ namespace: 'a b' })).toThrow('namespace must match ^[a-zA-Z0-9._-]{1,64}$, got "a b"');
    expect(attempt({ lookbackDays: 0 })).toThrow('lookbackDays must be a whole number of days in [1, 3660], got 0');
    expect(attempt({ lookbackDays: 1.5 })).toThrow('lookbackDays must be a whole number of days in [1, 3660], got 1.5');
    expect(attempt({ resourceIdPrefix: 'weather/prod' })).toThrow('resourceIdPrefix must match ^[\\w-]{1,100}$, got "weather/prod"');
    expect(attempt({ dashboardName: ' ' })).toThrow('dashboardName must be 1 to 2048 characters and not blank, got " "');
  });

  test('no catalog (from a language without required props)', () => {
    const stack = new Stack();
    expect(() => new QuickSightDashboard(stack, 'QuickSight', { ownerArns: [OWNER] } as any))
      .toThrow('catalog is required: the AthenaCatalog whose workgroup and tables the dashboard reads');
  });
});

describe('dashboard definition', () => {
  const definition = (columns: string[]): any => dashboardDefinition('hourly-arn', 'daily-arn', columns);
  const freshnessGroups = (columns: string[]) => definition(columns).sheets[0].visuals[3]
    .tableVisual.chartConfiguration.fieldWells.tableAggregatedFieldWells.groupBy.map((g: any) => g.categoricalDimensionField.column.columnName);

  test('freshness per city, and per source once the hourly table has a source column', () => {
    expect(freshnessGroups(['city_name', 'fetched_at'])).toEqual(['city_name']);
    expect(freshnessGroups(['source', 'city_name', 'fetched_at'])).toEqual(['city_name', 'source']);
  });

  test('temperature and precipitation: one panel per source, so two sources are never averaged together', () => {
    const [temperature, precipitation] = definition([]).sheets[0].visuals;
    expect(temperature.lineChartVisual.chartConfiguration.fieldWells.lineChartAggregatedFieldWells.smallMultiples[0]
      .categoricalDimensionField.column).toEqual({ dataSetIdentifier: 'daily', columnName: 'source' });
    expect(precipitation.barChartVisual.chartConfiguration.fieldWells.barChartAggregatedFieldWells.smallMultiples[0]
      .categoricalDimensionField.column).toEqual({ dataSetIdentifier: 'daily', columnName: 'source' });
  });
});

describe('WeatherPipeline quickSight', () => {
  test('publishes on the pipeline\'s catalog, following its partition granularity; off by default', () => {
    const stack = new Stack(new App(), 'Test');
    const pipeline = new WeatherPipeline(stack, 'Weather', {
      cities: CITIES, partitionGranularity: PartitionGranularity.MONTH, quickSight: { viewerArns: [VIEWER], lookbackDays: 7 },
    });
    const template = Template.fromStack(stack);
    expect(pipeline.quickSightDashboard!.node.path).toBe('Test/Weather/QuickSight');
    template.hasResourceProperties('AWS::QuickSight::DataSource', {
      DataSourceParameters: { AthenaParameters: { WorkGroup: stack.resolve(pipeline.catalog.workGroupName) } },
    });
    const sql = Object.values<any>(template.findResources('AWS::QuickSight::DataSet'))
      .map((d) => Object.values<any>(d.Properties.PhysicalTableMap)[0].CustomSql.SqlQuery);
    expect(sql.every((q) => q.includes('"month" >= substr(CAST(current_date - INTERVAL \'7\' DAY AS varchar), 1, 7)'))).toBe(true);

    const plain = new Stack(new App(), 'Plain');
    expect(new WeatherPipeline(plain, 'Weather', { cities: CITIES }).quickSightDashboard).toBeUndefined();
    expect(Object.keys(Template.fromStack(plain).findResources('AWS::QuickSight::Dashboard'))).toEqual([]);
  });
});
