import * as fs from 'fs';
import * as path from 'path';
import { App, Duration } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { City, PipelineMonitoring, PipelineMonitoringProps, WeatherContract } from '../../src';
import { nagFindings } from '../nag';
import { cities, pipeline } from '../orchestration/fixture';

/** The cities and windows the freshness check reads: `freshness.json` in the publisher's staged code asset. */
function freshnessFile(app: App, template: Template, functionId: string): unknown {
  const key: string = template.findResources('AWS::Lambda::Function')[functionId].Properties.Code.S3Key;
  const staged = path.join(app.outdir, `asset.${key.replace(/\.zip$/, '')}`, 'freshness.json');
  return JSON.parse(fs.readFileSync(staged, 'utf-8'));
}

/** The orchestration fixture (Lyon, Oslo; ingestion) with monitoring. */
function monitored(props: Partial<PipelineMonitoringProps> = {}, ingestion = true, lakeCities: City[] = cities) {
  const p = pipeline({ ingestion, cities: lakeCities });
  const monitoring = new PipelineMonitoring(p.stack, 'Monitoring', {
    orchestrator: p.orchestrator,
    etlJob: p.etl,
    ingestion: p.ingestion,
    catalog: p.catalog,
    ...props,
  });
  return { ...p, monitoring, template: Template.fromStack(p.stack) };
}

describe('PipelineMonitoring with defaults', () => {
  const { app, stack, monitoring, template, orchestrator, etl, refined, ingestion, catalog } = monitored();
  const id = (construct: any) => stack.getLogicalId((construct.node.defaultChild ?? construct) as any);
  const topicRef = { Ref: id(orchestrator.notificationTopic) };
  const machineRef = { Ref: id(orchestrator.stateMachine) };
  const jobRef = { Ref: id(etl.job) };
  const alarms = Object.values<any>(template.findResources('AWS::CloudWatch::Alarm')).map((a) => a.Properties);
  const alarmOn = (metricName: string, dimension?: [string, unknown]) => {
    const found = alarms.filter((a) => a.MetricName === metricName
      && (dimension === undefined
        || a.Dimensions.some((d: any) => d.Name === dimension[0] && JSON.stringify(d.Value) === JSON.stringify(dimension[1]))));
    expect(found).toHaveLength(1);
    return found[0];
  };

  test('every alarm notifies the orchestrator\'s topic, on ALARM only', () => {
    expect(alarms).toHaveLength(monitoring.alarms.length);
    // 3 execution, run freshness, city freshness (one for all cities), quarantine share, 3 ingestion, trigger
    // dead letters, publisher errors
    expect(alarms).toHaveLength(11);
    for (const a of alarms) {
      expect(a.AlarmActions).toEqual([topicRef]);
      expect(a.OKActions).toBeUndefined();
      expect(a.AlarmDescription).toMatch(/^Weather pipeline: /);
    }
    expect(monitoring.notificationTopic).toBe(orchestrator.notificationTopic);
  });

  test.each([
    ['ExecutionsFailed'], ['ExecutionsTimedOut'], ['ExecutionsAborted'],
  ])('state machine %s ≥ 1 in 5 minutes', (metricName) => {
    expect(alarmOn(metricName)).toMatchObject({
      Namespace: 'AWS/States',
      Dimensions: [{ Name: 'StateMachineArn', Value: machineRef }],
      Statistic: 'Sum',
      Period: 300,
      EvaluationPeriods: 1,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
    });
  });

  test('run freshness: no ExecutionsSucceeded in 26 consecutive hours, missing data breaching', () => {
    expect(alarmOn('ExecutionsSucceeded')).toMatchObject({
      Namespace: 'AWS/States',
      Dimensions: [{ Name: 'StateMachineArn', Value: machineRef }],
      Statistic: 'Sum',
      Period: 3600,
      EvaluationPeriods: 26,
      DatapointsToAlarm: 26,
      Threshold: 1,
      ComparisonOperator: 'LessThanThreshold',
      TreatMissingData: 'breaching',
      AlarmDescription: 'Weather pipeline: no execution succeeded in the last 26 hours',
    });
  });

  test('city freshness: one alarm for all cities, StaleCities ≥ 1 over an hour, missing data (the check stopped) breaching', () => {
    const a = alarmOn('StaleCities');
    expect(a).toMatchObject({
      Namespace: 'CdkWeatherPipeline/Etl',
      Dimensions: [{ Name: 'JobName', Value: jobRef }],
      Statistic: 'Maximum',
      Period: 3600,
      EvaluationPeriods: 1,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'breaching',
    });
    expect(a.AlarmDescription).toBe('Weather pipeline: at least one of the 2 cities has had no new refined data within its window (26 hours), ' +
      'or the freshness check stopped reporting. Which cities: the dashboard\'s "Stale cities" widgets, or the WARN lines of the metric publisher\'s log group.');
    expect(stack.resolve(monitoring.cityFreshnessAlarm.alarmArn)).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^MonitoringCityFreshnessAlarm/), 'Arn'] });
    expect(alarms.filter((x) => x.MetricName === 'RefinedPartitions')).toEqual([]);
  });

  test('the freshness check: the publisher every 15 minutes, with the cities and their windows in its code asset', () => {
    const rules = Object.values<any>(template.findResources('AWS::Events::Rule')).map((r) => r.Properties)
      .filter((r) => r.ScheduleExpression !== undefined);
    expect(rules).toHaveLength(1);
    expect(rules[0].ScheduleExpression).toBe('rate(15 minutes)');
    expect(JSON.stringify(rules[0].Targets[0].Arn)).toContain(id(monitoring.metricsFunction));
    expect(freshnessFile(app, template, id(monitoring.metricsFunction))).toEqual([
      { slug: 'lyon', name: 'Lyon', windowHours: 26 },
      { slug: 'oslo', name: 'Oslo', windowHours: 26 },
    ]);
  });

  test('quarantine share: 100 * Quarantined / RecordsIn over an hour > 5 %, state kept until the next run', () => {
    const share = alarms.find((a) => a.Metrics !== undefined);
    expect(share).toMatchObject({
      Threshold: 5,
      ComparisonOperator: 'GreaterThanThreshold',
      EvaluationPeriods: 1,
      TreatMissingData: 'ignore',
    });
    const byId = Object.fromEntries(share.Metrics.map((m: any) => [m.Id, m]));
    expect(byId.expr_1 ?? Object.values<any>(byId).find((m) => m.Expression)).toMatchObject({ Expression: '100 * quarantined / recordsIn', ReturnData: true });
    for (const [metricId, metricName] of [['quarantined', 'Quarantined'], ['recordsIn', 'RecordsIn']]) {
      expect(byId[metricId]).toEqual({
        Id: metricId,
        ReturnData: false,
        MetricStat: {
          Metric: { Namespace: 'CdkWeatherPipeline/Etl', MetricName: metricName, Dimensions: [{ Name: 'JobName', Value: jobRef }] },
          Period: 3600,
          Stat: 'Sum',
        },
      });
    }
  });

  test('ingestion: function errors, dead letters and partial failures (CitiesFailed) ≥ 1', () => {
    expect(alarmOn('Errors', ['FunctionName', { Ref: id(ingestion!.ingestFunction) }])).toMatchObject({
      Namespace: 'AWS/Lambda', Statistic: 'Sum', Period: 300, Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold', TreatMissingData: 'notBreaching',
    });
    expect(alarmOn('ApproximateNumberOfMessagesVisible', ['QueueName', { 'Fn::GetAtt': [id(ingestion!.deadLetterQueue), 'QueueName'] }])).toMatchObject({
      Namespace: 'AWS/SQS',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [id(ingestion!.deadLetterQueue), 'QueueName'] } }],
      Statistic: 'Maximum',
      Period: 300,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
    expect(alarmOn('ApproximateNumberOfMessagesVisible', ['QueueName', { 'Fn::GetAtt': [id(orchestrator.triggerDeadLetterQueue!), 'QueueName'] }])).toMatchObject({
      Namespace: 'AWS/SQS', Statistic: 'Maximum', Period: 300, Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
    expect(alarmOn('CitiesFailed')).toMatchObject({
      Namespace: 'CdkWeatherPipeline/Ingestion', Statistic: 'Sum', Period: 300, Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold', TreatMissingData: 'notBreaching',
    });
    expect(alarmOn('CitiesFailed').Dimensions).toBeUndefined();
  });

  test('the metric publisher\'s own errors raise an alarm', () => {
    expect(alarmOn('Errors', ['FunctionName', { Ref: id(monitoring.metricsFunction) }])).toMatchObject({
      Namespace: 'AWS/Lambda', Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
  });

  test('Glue runs ending FAILED, TIMEOUT or ERROR go to the topic from Glue\'s state-change events', () => {
    const rule = template.findResources('AWS::Events::Rule')[id(monitoring.glueFailureRule)].Properties;
    expect(rule.EventPattern).toEqual({
      'source': ['aws.glue'],
      'detail-type': ['Glue Job State Change'],
      'detail': { jobName: [jobRef], state: ['FAILED', 'TIMEOUT', 'ERROR'] },
    });
    expect(rule.Targets).toHaveLength(1);
    expect(rule.Targets[0]).toMatchObject({ Arn: topicRef, RetryPolicy: { MaximumRetryAttempts: 8, MaximumEventAgeInSeconds: 21600 } });
    expect(rule.Targets[0].RoleArn).toBeUndefined();
    expect(rule.Targets[0].InputTransformer.InputPathsMap).toMatchObject({
      'detail-jobName': '$.detail.jobName', 'detail-jobRunId': '$.detail.jobRunId', 'detail-state': '$.detail.state', 'detail-message': '$.detail.message',
    });
    expect(rule.Targets[0].InputTransformer.InputTemplate).toContain('"status":"GLUE_JOB_RUN_FAILED"');
  });

  test('the topic lets this account\'s alarms and only the Glue failure rule publish', () => {
    const statements = Object.values<any>(template.findResources('AWS::SNS::TopicPolicy'))
      .filter((p) => JSON.stringify(p.Properties.Topics) === JSON.stringify([topicRef]))
      .flatMap((p) => p.Properties.PolicyDocument.Statement);
    expect(statements).toEqual(expect.arrayContaining([
      expect.objectContaining({
        Effect: 'Allow',
        Action: 'sns:Publish',
        Resource: topicRef,
        Principal: { Service: 'cloudwatch.amazonaws.com' },
        Condition: {
          ArnLike: { 'aws:SourceArn': { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':cloudwatch:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':alarm:*']] } },
          StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
        },
      }),
      expect.objectContaining({
        Effect: 'Allow',
        Action: 'sns:Publish',
        Resource: topicRef,
        Principal: { Service: 'events.amazonaws.com' },
        Condition: { ArnEquals: { 'aws:SourceArn': { 'Fn::GetAtt': [id(monitoring.glueFailureRule), 'Arn'] } } },
      }),
    ]));
    // No unconditioned publisher.
    expect(statements.filter((s) => s.Effect === 'Allow' && s.Condition === undefined)).toEqual([]);
  });

  test('the topic\'s KMS key lets CloudWatch and EventBridge encrypt messages of this account\'s topics only', () => {
    const key = template.findResources('AWS::KMS::Key')[id(orchestrator.encryptionKey as kms.Key)];
    expect(key.Properties.KeyPolicy.Statement).toContainEqual({
      Sid: 'AllowCloudWatchAlarmsAndEventBridgeToPublishToEncryptedTopics',
      Effect: 'Allow',
      Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
      Principal: { Service: ['cloudwatch.amazonaws.com', 'events.amazonaws.com'] },
      Resource: '*',
      Condition: {
        ArnLike: {
          'kms:EncryptionContext:aws:sns:topicArn': { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':sns:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':*']] },
        },
      },
    });
  });

  test('run summaries landing in the refined bucket and Glue runs ending invoke the metric publisher', () => {
    const rules = Object.values<any>(template.findResources('AWS::Events::Rule')).map((r) => r.Properties)
      .filter((r) => r.Targets.some((t: any) => JSON.stringify(t.Arn).includes(id(monitoring.metricsFunction))));
    expect(rules.map((r) => r.EventPattern)).toEqual([
      {
        'source': ['aws.s3'],
        'detail-type': ['Object Created'],
        'detail': { bucket: { name: [{ Ref: id(refined.bucket) }] }, object: { key: [{ prefix: 'weather/run-summaries/' }] } },
      },
      {
        'source': ['aws.glue'],
        'detail-type': ['Glue Job State Change'],
        'detail': { jobName: [jobRef], state: ['SUCCEEDED', 'FAILED', 'TIMEOUT', 'STOPPED', 'ERROR'] },
      },
    ]);
    for (const rule of rules) {
      expect(rule.Targets[0].RetryPolicy).toEqual({ MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 21600 });
    }
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Principal: 'events.amazonaws.com',
      FunctionName: { 'Fn::GetAtt': [id(monitoring.metricsFunction), 'Arn'] },
    });
  });

  test('the publisher is the bundled handler, knows the job, logs to an encrypted log group kept one year', () => {
    const fn = template.findResources('AWS::Lambda::Function')[id(monitoring.metricsFunction)].Properties;
    expect(fn).toMatchObject({
      Runtime: 'nodejs24.x',
      Handler: 'index.handler',
      MemorySize: 256,
      Timeout: 60,
      Environment: {
        Variables: { JOB_NAME: jobRef, SUMMARY_PREFIX: WeatherContract.RUN_SUMMARY_PREFIX, SUMMARY_BUCKET: { Ref: id(refined.bucket) } },
      },
    });
    const logGroup = template.findResources('AWS::Logs::LogGroup')[fn.LoggingConfig.LogGroup.Ref];
    expect(logGroup).toMatchObject({
      DeletionPolicy: 'Retain',
      Properties: { RetentionInDays: 365, KmsKeyId: { 'Fn::GetAtt': [id(orchestrator.encryptionKey as kms.Key), 'Arn'] } },
    });
  });

  test('the publisher reads run summaries and the job\'s runs only: no wildcard action, no managed policy', () => {
    const fn = template.findResources('AWS::Lambda::Function')[id(monitoring.metricsFunction)].Properties;
    const roleId = fn.Role['Fn::GetAtt'][0];
    expect(template.findResources('AWS::IAM::Role')[roleId].Properties.ManagedPolicyArns).toBeUndefined();
    const statements = Object.values<any>(template.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: roleId }] } }))
      .flatMap((p) => p.Properties.PolicyDocument.Statement);
    const actions = statements.flatMap((s) => [s.Action].flat()).sort();
    expect(actions).toEqual(['glue:GetJobRun', 'kms:Decrypt', 'logs:CreateLogStream', 'logs:PutLogEvents', 's3:GetObject', 's3:ListBucket']);
    expect(statements).toContainEqual({
      Effect: 'Allow',
      Action: 's3:ListBucket',
      Resource: { 'Fn::GetAtt': [id(refined.bucket), 'Arn'] },
      Condition: { StringLike: { 's3:prefix': 'weather/run-summaries/*' } },
    });
    expect(statements).toContainEqual({
      Effect: 'Allow',
      Action: 's3:GetObject',
      Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [id(refined.bucket), 'Arn'] }, '/weather/run-summaries/*']] },
    });
    expect(statements.find((s) => s.Action === 'glue:GetJobRun').Resource).toEqual(stack.resolve(etl.jobArn));
    expect(statements.find((s) => s.Action === 'kms:Decrypt').Resource).toEqual({ 'Fn::GetAtt': [id(refined.encryptionKey as kms.Key), 'Arn'] });
  });

  describe('the dashboard', () => {
    const dashboards = template.findResources('AWS::CloudWatch::Dashboard');
    const body = stack.resolve((monitoring.dashboard.node.defaultChild as any).dashboardBody);
    // Tokens sit inside JSON strings: render them as `${Ref:Id}` / `${Id.Attr}` placeholders.
    const placeholder = (p: any) => (p.Ref ? `\${Ref:${p.Ref}}` : p['Fn::GetAtt'] ? `\${${p['Fn::GetAtt'].join('.')}}` : `\${${Object.keys(p)[0]}}`);
    const text = typeof body === 'string' ? body : body['Fn::Join'][1].map((p: any) => (typeof p === 'string' ? p : placeholder(p))).join('');
    const widgets: any[] = JSON.parse(text).widgets;
    const titled = (title: string) => {
      const found = widgets.filter((w) => w.properties.title === title || (w.properties.title ?? '').startsWith(title));
      expect(found).toHaveLength(1);
      return found[0];
    };
    const metricNames = (widget: any) => (widget.properties.metrics ?? []).map((m: any) => m.filter((x: any) => typeof x === 'string').slice(0, 2).join('/'));

    test('one dashboard, 14 days by default', () => {
      expect(Object.keys(dashboards)).toHaveLength(1);
      expect(JSON.parse(text).start).toBe('-P14D');
    });

    test('lays out the alarm status, then two 12-wide widgets per row', () => {
      expect(widgets.map((w) => [w.properties.title.replace(/ \(workgroup .*\)$/, ''), w.x, w.y, w.width, w.height])).toEqual([
        ['Weather pipeline alarms', 0, 0, 24, 5],
        ['Pipeline executions', 0, 5, 12, 6],
        ['Pipeline execution duration', 12, 5, 12, 6],
        ['Glue run time and ETL duration (seconds)', 0, 11, 12, 6],
        ['Glue DPU-seconds per run', 12, 11, 12, 6],
        ['Records per run: refined vs quarantined', 0, 17, 12, 6],
        ['Quarantined records by reason', 12, 17, 12, 6],
        ['Refined partitions per city (freshness)', 0, 23, 12, 6],
        ['Stale cities', 12, 23, 6, 6],
        ['Quarantine share (%)', 18, 23, 6, 6],
        ['Which cities are stale (latest freshness check)', 0, 29, 24, 4],
        ['Athena bytes scanned', 0, 33, 12, 6],
        ['Ingestion: cities and API errors', 12, 33, 12, 6],
      ]);
    });

    test('alarm status shows every alarm, the city freshness alarm among them', () => {
      expect(titled('Weather pipeline alarms').properties.alarms).toHaveLength(11);
    });

    test('stale cities: the count with its threshold, hours since refined per stale city (SEARCH), the latest list from the logs', () => {
      const stale = titled('Stale cities');
      expect(stale.properties.metrics[0]).toEqual(['CdkWeatherPipeline/Etl', 'StaleCities', 'JobName', `\${Ref:${jobRef.Ref}}`, { label: 'Stale cities', stat: 'Maximum', period: 3600 }]);
      expect(stale.properties.metrics[1][0].expression).toBe(
        `SEARCH('{CdkWeatherPipeline/Etl,City,JobName} MetricName="StaleCityHours" JobName="\${Ref:${jobRef.Ref}}"', 'Maximum', 3600)`);
      expect(stale.properties.metrics[1][0].yAxis).toBe('right');
      const list = titled('Which cities are stale (latest freshness check)');
      expect(list.type).toBe('log');
      expect(list.properties.query).toMatch(/^SOURCE '\$\{Ref:MonitoringMetricsLogs[0-9A-F]+\}' \| fields @timestamp as checkedAt, StaleCities as stale, CitiesChecked as checked, StaleCityList as cities/);
    });

    test('executions and durations come from the state machine', () => {
      expect(metricNames(titled('Pipeline executions'))).toEqual(
        ['ExecutionsStarted', 'ExecutionsSucceeded', 'ExecutionsFailed', 'ExecutionsTimedOut', 'ExecutionsAborted'].map((m) => `AWS/States/${m}`));
      expect(metricNames(titled('Pipeline execution duration'))).toEqual(['AWS/States/ExecutionTime', 'AWS/States/ExecutionTime']);
    });

    test('Glue run time, DPU-seconds and records per run come from the published run metrics', () => {
      const etlNs = 'CdkWeatherPipeline/Etl';
      expect(metricNames(titled('Glue run time'))).toEqual([`${etlNs}/GlueExecutionSeconds`, `${etlNs}/RunDurationSeconds`]);
      expect(metricNames(titled('Glue DPU-seconds'))).toEqual([`${etlNs}/GlueDpuSeconds`]);
      expect(metricNames(titled('Records per run'))).toEqual(['RecordsIn', 'Refined', 'Quarantined', 'Superseded'].map((m) => `${etlNs}/${m}`));
      expect(titled('Quarantined records by reason').properties.metrics.map((m: any) => m[m.indexOf('Reason') + 1]))
        .toEqual(WeatherContract.QUARANTINE_REASONS.map((r) => r.code));
      expect(titled('Refined partitions per city').properties.metrics).toEqual([[{
        expression: `SEARCH('{CdkWeatherPipeline/Etl,City,JobName} MetricName="RefinedPartitions" JobName="\${Ref:${jobRef.Ref}}"', 'Sum', 3600)`,
        period: 3600,
      }]]);
      expect(titled('Quarantine share').properties.annotations.horizontal).toEqual([{ value: 5, label: 'Alarm threshold', color: '#d62728', yAxis: 'left' }]);
    });

    test('Athena bytes scanned in the catalog\'s workgroup, ingestion results and API errors', () => {
      const athena = titled('Athena bytes scanned');
      expect(athena.properties.metrics).toEqual([['AWS/Athena', 'ProcessedBytes', 'WorkGroup', catalog.workGroupName, { label: 'Bytes scanned', stat: 'Sum', period: 3600 }]]);
      expect(metricNames(titled('Ingestion'))).toEqual(['CdkWeatherPipeline/Ingestion/CitiesWritten', 'CdkWeatherPipeline/Ingestion/CitiesFailed', 'CdkWeatherPipeline/Ingestion/HttpRetries', 'AWS/Lambda/Errors']);
    });
  });

  test('has no unacknowledged cdk-nag finding', () => {
    expect(nagFindings(app)).toEqual([]);
  });
});

describe('PipelineMonitoring options', () => {
  test('windows, threshold and per-city overrides (by slug or name)', () => {
    const { app, template, monitoring, stack } = monitored({
      runFreshnessWindow: Duration.hours(50),
      cityFreshnessWindow: Duration.days(2),
      cityFreshnessWindows: [{ city: 'Oslo', window: Duration.hours(3) }],
      maxQuarantinePercent: 12.5,
      dashboardName: 'weather-pipeline',
    });
    const alarms = Object.values<any>(template.findResources('AWS::CloudWatch::Alarm')).map((a) => a.Properties);
    expect(alarms.find((a) => a.MetricName === 'ExecutionsSucceeded').EvaluationPeriods).toBe(50);
    expect(alarms.find((a) => a.MetricName === 'StaleCities').AlarmDescription).toMatch(/within its window \(48 hours, 1 per-city override\)/);
    expect(freshnessFile(app, template, stack.getLogicalId(monitoring.metricsFunction.node.defaultChild as any))).toEqual([
      { slug: 'lyon', name: 'Lyon', windowHours: 48 },
      { slug: 'oslo', name: 'Oslo', windowHours: 3 },
    ]);
    expect(alarms.find((a) => a.Metrics !== undefined).Threshold).toBe(12.5);
    template.hasResourceProperties('AWS::CloudWatch::Dashboard', { DashboardName: 'weather-pipeline' });
  });

  test('without ingestion or catalog: no ingestion alarms, no Athena or ingestion widget', () => {
    const p = pipeline({ ingestion: false });
    const monitoring = new PipelineMonitoring(p.stack, 'Monitoring', { orchestrator: p.orchestrator, etlJob: p.etl });
    const template = Template.fromStack(p.stack);
    // 7, plus the manifest trigger's dead-letter queue (the only SQS alarm left)
    expect(monitoring.alarms).toHaveLength(8);
    const alarmProps = Object.values<any>(template.findResources('AWS::CloudWatch::Alarm')).map((a) => a.Properties);
    const names = alarmProps.map((a) => a.Namespace);
    expect(alarmProps.filter((a) => a.Namespace === 'AWS/SQS').map((a) => a.Dimensions[0].Value))
      .toEqual([{ 'Fn::GetAtt': [p.stack.getLogicalId(p.orchestrator.triggerDeadLetterQueue!.node.defaultChild as any), 'QueueName'] }]);
    expect(names).not.toContain('CdkWeatherPipeline/Ingestion');
    const body = JSON.stringify(template.findResources('AWS::CloudWatch::Dashboard'));
    expect(body).not.toContain('AWS/Athena');
    expect(body).not.toContain('Ingestion');
  });

  test('another topic: alarms and Glue failures go there, its policy is extended', () => {
    const p = pipeline({ ingestion: false });
    const topic = new sns.Topic(p.stack, 'OpsTopic', { enforceSSL: true });
    const monitoring = new PipelineMonitoring(p.stack, 'Monitoring', { orchestrator: p.orchestrator, etlJob: p.etl, notificationTopic: topic });
    const template = Template.fromStack(p.stack);
    const ref = { Ref: p.stack.getLogicalId(topic.node.defaultChild as any) };
    for (const alarm of Object.values<any>(template.findResources('AWS::CloudWatch::Alarm'))) {
      expect(alarm.Properties.AlarmActions).toEqual([ref]);
    }
    expect(monitoring.notificationTopic).toBe(topic);
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      Topics: [ref],
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Principal: { Service: 'cloudwatch.amazonaws.com' } })]) },
    });
  });

  test('an imported topic gets a warning naming what to allow', () => {
    const p = pipeline({ ingestion: false });
    const topic = sns.Topic.fromTopicArn(p.stack, 'Imported', 'arn:aws:sns:eu-west-1:111111111111:ops');
    const monitoring = new PipelineMonitoring(p.stack, 'Monitoring', { orchestrator: p.orchestrator, etlJob: p.etl, notificationTopic: topic });
    Annotations.fromStack(p.stack).hasWarning(`/Test/${monitoring.node.id}`, Match.stringLikeRegexp('allow sns:Publish to cloudwatch.amazonaws.com'));
  });

  const invalid: Array<[string, Partial<PipelineMonitoringProps>, string]> = [
    ['runFreshnessWindow below an hour', { runFreshnessWindow: Duration.minutes(30) }, 'runFreshnessWindow must be a whole number of hours between 1 hour and 7 days, got 30 minutes'],
    ['runFreshnessWindow above 7 days', { runFreshnessWindow: Duration.days(8) }, 'runFreshnessWindow must be a whole number of hours between 1 hour and 7 days, got 8 days'],
    ['cityFreshnessWindow not whole hours', { cityFreshnessWindow: Duration.minutes(90) }, 'cityFreshnessWindow must be a whole number of hours between 1 hour and 7 days, got 1 hour 30 minutes'],
    ['an override for an unknown city', { cityFreshnessWindows: [{ city: 'Paris', window: Duration.hours(2) }] }, 'cityFreshnessWindows[0].city must be the slug or name of one of the cities, got "Paris"'],
    ['two overrides for one city', { cityFreshnessWindows: [{ city: 'lyon', window: Duration.hours(2) }, { city: 'Lyon', window: Duration.hours(3) }] }, 'cityFreshnessWindows[1].city names lyon a second time'],
    ['an override window out of range', { cityFreshnessWindows: [{ city: 'oslo', window: Duration.days(10) }] }, 'cityFreshnessWindows[0].window must be a whole number of hours between 1 hour and 7 days, got 10 days'],
    ['maxQuarantinePercent 0', { maxQuarantinePercent: 0 }, 'maxQuarantinePercent must be a percentage greater than 0 and below 100, got 0'],
    ['maxQuarantinePercent 150', { maxQuarantinePercent: 150 }, 'maxQuarantinePercent must be a percentage greater than 0 and below 100, got 150'],
    ['dashboardName with a space', { dashboardName: 'weather board' }, 'dashboardName must match ^[A-Za-z0-9_-]{1,255}$, got "weather board"'],
  ];
  test.each(invalid)('rejects %s', (_name, props, message) => {
    expect(() => monitored(props, false)).toThrow(message);
  });

  test('cities are data: 1 and 50 cities give the same alarms and resources (one freshness alarm for all)', () => {
    const many = Array.from({ length: 50 }, (_, i) => ({ name: `City ${i}`, latitude: -60 + i * 2, longitude: -170 + i * 6 }));
    const counts = (list: typeof cities) => {
      const { template, monitoring } = monitored({}, true, list);
      const byType: Record<string, number> = {};
      for (const r of Object.values<any>(template.toJSON().Resources)) {
        byType[r.Type] = (byType[r.Type] ?? 0) + 1;
      }
      return { alarms: monitoring.alarms.length, byType, dashboardBytes: JSON.stringify(template.findResources('AWS::CloudWatch::Dashboard')).length };
    };
    const one = counts([cities[0]]);
    const fifty = counts(many);
    expect(fifty.alarms).toBe(one.alarms);
    expect(fifty.byType).toEqual(one.byType);
    expect(fifty.byType['AWS::CloudWatch::Alarm']).toBe(11);
    // The dashboard does not list the cities either (SEARCH expressions).
    expect(fifty.dashboardBytes).toBe(one.dashboardBytes);
  });

  test('rejects an invalid city list like the other constructs', () => {
    expect(() => monitored({}, false, [])).toThrow(/cities/);
  });
});

