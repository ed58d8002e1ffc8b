import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { DIMENSION, ETL_NAMESPACE, METRIC } from './metric-records';
import { IAthenaCatalog } from '../../catalog/athena-catalog';
import { WeatherContract } from '../../contract/weather-contract';
import { IWeatherIngestion } from '../../ingestion/ingestion-interface';

const ONE_HOUR = Duration.hours(1);

/** The metrics the dashboard shows (`PipelineMonitoring` provides them). */
export interface DashboardMetrics {
  metricRun(metricName: string, options?: cloudwatch.MetricOptions): cloudwatch.Metric;
  metricStaleCities(options?: cloudwatch.MetricOptions): cloudwatch.Metric;
  metricQuarantinedRecords(reason: string, options?: cloudwatch.MetricOptions): cloudwatch.Metric;
  quarantineShare(): cloudwatch.MathExpression;
  ingestionMetric(metricName: string): cloudwatch.Metric;
}

/** What the dashboard is about. */
export interface DashboardInput {
  readonly dashboardName?: string;
  readonly jobName: string;
  readonly alarms: cloudwatch.IAlarm[];
  readonly stateMachine: sfn.IStateMachine;
  /** The metric publisher's log group (the stale-cities query reads it). */
  readonly logGroup: logs.ILogGroup;
  readonly quarantineShareThreshold: number;
  readonly catalog?: IAthenaCatalog;
  readonly ingestion?: IWeatherIngestion;
}

/**
 * The monitoring dashboard: alarm status, executions, Glue time and DPU, records and quarantine, per-city freshness
 * (SEARCH expressions: the same size whatever the number of cities), Athena and ingestion when given.
 */
export function createDashboard(scope: Construct, metrics: DashboardMetrics, input: DashboardInput): cloudwatch.Dashboard {
  const { alarms, stateMachine, logGroup, jobName } = input;
  const dashboard = new cloudwatch.Dashboard(scope, 'Dashboard', {
    dashboardName: input.dashboardName,
    defaultInterval: Duration.days(14),
  });
  const hourly = { period: ONE_HOUR, statistic: cloudwatch.Stats.SUM };
  const graph = (title: string, left: cloudwatch.IMetric[], extra: Partial<cloudwatch.GraphWidgetProps> = {}) =>
    new cloudwatch.GraphWidget({ title, left, width: 12, height: 6, ...extra });

  dashboard.addWidgets(new cloudwatch.AlarmStatusWidget({
    title: 'Weather pipeline alarms',
    alarms,
    width: 24,
    height: 5,
  }));
  dashboard.addWidgets(
    graph('Pipeline executions', [
      stateMachine.metricStarted({ ...hourly, label: 'Started' }),
      stateMachine.metricSucceeded({ ...hourly, label: 'Succeeded' }),
      stateMachine.metricFailed({ ...hourly, label: 'Failed' }),
      stateMachine.metricTimedOut({ ...hourly, label: 'Timed out' }),
      stateMachine.metricAborted({ ...hourly, label: 'Aborted' }),
    ], { view: cloudwatch.GraphWidgetView.BAR }),
    graph('Pipeline execution duration', [
      stateMachine.metricTime({ period: ONE_HOUR, statistic: cloudwatch.Stats.AVERAGE, label: 'Average (ms)' }),
      stateMachine.metricTime({ period: ONE_HOUR, statistic: cloudwatch.Stats.MAXIMUM, label: 'Maximum (ms)' }),
    ]),
  );
  dashboard.addWidgets(
    graph('Glue run time and ETL duration (seconds)', [
      metrics.metricRun(METRIC.glueExecutionTime, { label: 'Glue execution time' }),
      metrics.metricRun(METRIC.runDuration, { label: 'ETL script duration' }),
    ]),
    graph('Glue DPU-seconds per run', [metrics.metricRun(METRIC.glueDpuSeconds, { label: 'DPU-seconds' })], { view: cloudwatch.GraphWidgetView.BAR }),
  );
  dashboard.addWidgets(
    graph('Records per run: refined vs quarantined', [
      metrics.metricRun(METRIC.recordsIn, { label: 'Read' }),
      metrics.metricRun(METRIC.refined, { label: 'Refined' }),
      metrics.metricRun(METRIC.quarantined, { label: 'Quarantined' }),
      metrics.metricRun(METRIC.superseded, { label: 'Superseded' }),
    ], { view: cloudwatch.GraphWidgetView.BAR }),
    graph('Quarantined records by reason', WeatherContract.QUARANTINE_REASONS.map((reason) => metrics.metricQuarantinedRecords(reason.code, { label: reason.code })),
      { view: cloudwatch.GraphWidgetView.BAR, stacked: true }),
  );
  // Per-city series come from SEARCH expressions: the dashboard stays the same size whatever the number of cities.
  const perCity = (metricName: string, stat: string, label: string) => new cloudwatch.MathExpression({
    expression: `SEARCH('{${ETL_NAMESPACE},${DIMENSION.city},${DIMENSION.jobName}} MetricName="${metricName}" ${DIMENSION.jobName}="${jobName}"', '${stat}', 3600)`,
    usingMetrics: {},
    label,
    period: ONE_HOUR,
  });
  dashboard.addWidgets(
    graph('Refined partitions per city (freshness)', [perCity(METRIC.refinedPartitions, 'Sum', '')],
      { view: cloudwatch.GraphWidgetView.BAR, stacked: true }),
    new cloudwatch.GraphWidget({
      title: 'Stale cities',
      left: [metrics.metricStaleCities({ label: 'Stale cities' })],
      right: [perCity(METRIC.staleCityHours, 'Maximum', '')],
      rightYAxis: { label: 'hours since refined', showUnits: false },
      leftAnnotations: [{ value: 1, label: 'Alarm threshold', color: cloudwatch.Color.RED }],
      width: 6,
      height: 6,
    }),
    new cloudwatch.GraphWidget({
      title: 'Quarantine share (%)',
      left: [metrics.quarantineShare()],
      leftAnnotations: [{ value: input.quarantineShareThreshold, label: 'Alarm threshold', color: cloudwatch.Color.RED }],
      leftYAxis: { min: 0, max: 100, showUnits: false },
      width: 6,
      height: 6,
    }),
  );
  dashboard.addWidgets(new cloudwatch.LogQueryWidget({
    title: 'Which cities are stale (latest freshness check)',
    logGroupNames: [logGroup.logGroupName],
    queryLines: [
      `fields @timestamp as checkedAt, ${METRIC.staleCities} as stale, ${METRIC.citiesChecked} as checked, StaleCityList as cities`,
      `filter ispresent(${METRIC.citiesChecked})`,
      'sort @timestamp desc',
      'limit 1',
    ],
    view: cloudwatch.LogQueryVisualizationType.TABLE,
    width: 24,
    height: 4,
  }));
  const lastRow: cloudwatch.IWidget[] = [];
  if (input.catalog !== undefined) {
    lastRow.push(graph(`Athena bytes scanned (workgroup ${input.catalog.workGroupName})`, [new cloudwatch.Metric({
      namespace: 'AWS/Athena',
      metricName: 'ProcessedBytes',
      dimensionsMap: { WorkGroup: input.catalog.workGroupName },
      ...hourly,
      label: 'Bytes scanned',
    })]));
  }
  if (input.ingestion !== undefined) {
    lastRow.push(graph('Ingestion: cities and API errors', [
      metrics.ingestionMetric('CitiesWritten').with({ label: 'Cities written' }),
      metrics.ingestionMetric('CitiesFailed').with({ label: 'Cities failed' }),
      metrics.ingestionMetric('HttpRetries').with({ label: 'API retries' }),
    ], {
      right: [input.ingestion.ingestFunction.metricErrors({ ...hourly, label: 'Function errors' })],
      view: cloudwatch.GraphWidgetView.BAR,
    }));
  }
  if (lastRow.length > 0) {
    dashboard.addWidgets(...lastRow);
  }
  return dashboard;
}
