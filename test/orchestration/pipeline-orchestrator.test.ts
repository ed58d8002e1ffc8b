import { Duration } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as sns from 'aws-cdk-lib/aws-sns';
import { definitionOf, Pipeline, pipeline } from './fixture';
import { MissingCityAction, PipelineOrchestrator, WeatherContract } from '../../src';
import { nagFindings } from '../nag';

/** Every statement of the policies attached to a role. */
function statementsOf(template: Template, roleLogicalId: string): any[] {
  return Object.values<any>(template.findResources('AWS::IAM::Policy', {
    Properties: { Roles: [{ Ref: roleLogicalId }] },
  })).flatMap((policy) => policy.Properties.PolicyDocument.Statement);
}

const asList = (value: any) => (Array.isArray(value) ? value : [value]);

describe('PipelineOrchestrator with an ingestion step and defaults', () => {
  const p = pipeline({ ingestion: true });
  const { stack, orchestrator, etl, catalog, refined, landing } = p;
  const template = Template.fromStack(stack);
  const id = (construct: any) => stack.getLogicalId(construct.node.defaultChild ?? construct);
  const roleId = id(orchestrator.role as iam.Role);
  const statements = statementsOf(template, roleId);
  const resourcesOf = (action: string) => statements.filter((s) => asList(s.Action).includes(action)).flatMap((s) => asList(s.Resource));

  test('no statement of the state machine role has a wildcard action', () => {
    for (const statement of statements) {
      for (const action of asList(statement.Action)) {
        expect(action).not.toMatch(/\*/);
      }
    }
  });

  test('the role is assumable only by Step Functions, for a state machine of this account (confused deputy)', () => {
    const trust = template.toJSON().Resources[roleId].Properties.AssumeRolePolicyDocument.Statement;
    expect(trust).toEqual([{
      Action: 'sts:AssumeRole',
      Effect: 'Allow',
      Principal: { Service: 'states.amazonaws.com' },
      Condition: {
        StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
        ArnLike: {
          'aws:SourceArn': {
            'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':states:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':stateMachine:*']],
          },
        },
      },
    }]);
  });

  test('starts and watches exactly the Glue job', () => {
    expect(resourcesOf('glue:StartJobRun')).toEqual([stack.resolve(etl.jobArn)]);
    expect(resourcesOf('glue:GetJobRun')).toEqual([stack.resolve(etl.jobArn)]);
    expect(resourcesOf('glue:BatchStopJobRun')).toEqual([stack.resolve(etl.jobArn)]);
  });

  test('queries only in the catalog\'s workgroup, reads only its database and tables', () => {
    for (const action of ['athena:StartQueryExecution', 'athena:GetQueryExecution', 'athena:GetQueryResults', 'athena:StopQueryExecution']) {
      expect(resourcesOf(action)).toEqual([stack.resolve(catalog.workGroupArn)]);
    }
    const glueResources = resourcesOf('glue:GetTable').map((r) => JSON.stringify(r));
    expect(glueResources).toHaveLength(5);
    expect(glueResources.join()).toContain(`:table/${catalog.databaseName}/hourly`);
    expect(glueResources.join()).toContain(`:table/${catalog.databaseName}/quarantine`);
    // daily-consistent reads the daily table (issue 18); no validation query reads staging.
    expect(glueResources.join()).toContain(`:table/${catalog.databaseName}/daily`);
    expect(glueResources.join()).not.toContain(`:table/${catalog.databaseName}/staging`);
    expect(glueResources.join()).toContain(`:database/${catalog.databaseName}"`);
  });

  test('writes and reads query results only under the results location', () => {
    const results = stack.resolve(catalog.resultsBucket.arnForObjects('athena-results/*'));
    expect(resourcesOf('s3:PutObject')).toEqual([results]);
    expect(resourcesOf('s3:GetObject')).toEqual(expect.arrayContaining([results]));
    expect(resourcesOf('s3:DeleteObject')).toEqual([]);
    expect(resourcesOf('s3:GetBucketLocation')).toEqual([stack.resolve(catalog.resultsBucket.bucketArn)]);
  });

  test('reads the refined zone only where the checks are; the planner function alone reads the run summaries', () => {
    expect(resourcesOf('s3:GetObject')).toEqual(expect.arrayContaining([
      stack.resolve(refined.bucket.arnForObjects(`${WeatherContract.REFINED_HOURLY_PREFIX}*`)),
      stack.resolve(refined.bucket.arnForObjects(`${WeatherContract.QUARANTINE_PREFIX}*`)),
      stack.resolve(refined.bucket.arnForObjects(`${WeatherContract.DAILY_PREFIX}*`)),
    ]));
    expect(resourcesOf('s3:GetObject')).toHaveLength(4);
    expect(resourcesOf('s3:GetObject')).not.toContainEqual(stack.resolve(landing.bucket.arnForObjects('*')));
    // The state machine never loads the summary (a backfill's exceeds the 256 KiB state quota): the planner does.
    const planRole = (orchestrator.validationPlanFunction.role as iam.Role);
    const planStatements = statementsOf(template, id(planRole));
    expect(planStatements.filter((s) => asList(s.Action).includes('s3:GetObject')).flatMap((s) => asList(s.Resource)))
      .toEqual([stack.resolve(refined.bucket.arnForObjects(`${WeatherContract.RUN_SUMMARY_PREFIX}*`))]);
    expect(planStatements.filter((s) => asList(s.Action).includes('kms:Decrypt')).flatMap((s) => asList(s.Resource)))
      .toEqual([stack.resolve(refined.bucket.encryptionKey!.keyArn)]);
  });

  test('publishes only to its topic, invokes only the ingestion and the planner', () => {
    expect(resourcesOf('sns:Publish')).toEqual([{ Ref: id(orchestrator.notificationTopic as sns.Topic) }]);
    const invoked = resourcesOf('lambda:InvokeFunction').map((r) => JSON.stringify(r));
    expect(invoked.join()).toContain(id(p.ingestion!.ingestFunction));
    expect(invoked.join()).toContain(id(orchestrator.validationPlanFunction));
    expect(invoked).toHaveLength(4);
  });

  test('the topic is KMS-encrypted and TLS only', () => {
    template.hasResourceProperties('AWS::SNS::Topic', {
      KmsMasterKeyId: { 'Fn::GetAtt': [id(orchestrator.encryptionKey as kms.Key), 'Arn'] },
    });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
  });

  test('logs level ALL with execution data to an encrypted, retained log group; X-Ray on; the execution timeout holds the normal path', () => {
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      LoggingConfiguration: {
        Level: 'ALL',
        IncludeExecutionData: true,
        Destinations: [{ CloudWatchLogsLogGroup: { LogGroupArn: { 'Fn::GetAtt': [id(orchestrator.logGroup as logs.LogGroup), 'Arn'] } } }],
      },
      TracingConfiguration: { Enabled: true },
    });
    template.hasResource('AWS::Logs::LogGroup', {
      Properties: { RetentionInDays: 365, KmsKeyId: { 'Fn::GetAtt': [id(orchestrator.encryptionKey as kms.Key), 'Arn'] } },
      DeletionPolicy: 'Retain',
    });
    const machine = Object.values<any>(template.findResources('AWS::StepFunctions::StateMachine'))[0];
    const definition = JSON.stringify(machine.Properties.DefinitionString);
    // The normal path's task timeouts: ingestion 78 s + 60 s slack + 60 s alert, 2 Glue run attempts × 90 min,
    // 5 validation queries × (10 min + 60 s to read the verdict), planning 60 s and a notification 60 s = 14418 s
    // → 241 min, + 15 min.
    expect(definition).toContain('\\"TimeoutSeconds\\":15360');
  });

  test('a daily schedule invokes the run starter with the scheduled time (which fixes the batch id), dead-lettered', () => {
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'cron(30 6 * * ? *)',
      State: 'ENABLED',
      Target: {
        Arn: { 'Fn::GetAtt': [id(orchestrator.runStarter), 'Arn'] },
        Input: '{"scheduledTime":"<aws.scheduler.scheduled-time>"}',
        DeadLetterConfig: { Arn: { 'Fn::GetAtt': [id(orchestrator.triggerDeadLetterQueue), 'Arn'] } },
        RetryPolicy: { MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 3600 },
      },
    });
    expect(orchestrator.manifestRule).toBeUndefined();
    // Only the rule that notifies stopped executions (no manifest trigger).
    template.resourceCountIs('AWS::Events::Rule', 1);
  });

  test('the run starter: Node 24 on arm64, X-Ray, an encrypted retained log group, retried then dead-lettered', () => {
    const starter = template.toJSON().Resources[id(orchestrator.runStarter)];
    expect(starter.Type).toBe('AWS::Lambda::Function');
    expect(starter.Properties).toMatchObject({
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      TracingConfig: { Mode: 'Active' },
      Environment: { Variables: { STATE_MACHINE_ARN: { Ref: id(orchestrator.stateMachine) } } },
    });
    const logGroup = template.toJSON().Resources[starter.Properties.LoggingConfig.LogGroup.Ref];
    expect(logGroup).toMatchObject({
      Type: 'AWS::Logs::LogGroup',
      Properties: { RetentionInDays: 365, KmsKeyId: { 'Fn::GetAtt': [id(orchestrator.encryptionKey as kms.Key), 'Arn'] } },
      DeletionPolicy: 'Retain',
    });
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: id(orchestrator.runStarter) },
      MaximumRetryAttempts: 2,
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [id(orchestrator.triggerDeadLetterQueue), 'Arn'] } } },
    });
    template.hasResourceProperties('AWS::SQS::Queue', { SqsManagedSseEnabled: true, MessageRetentionPeriod: 1209600 });
  });

  test('only the run starter may start the state machine, and its role may do nothing else in Step Functions', () => {
    const starterRoleId = id(orchestrator.runStarter!.role as iam.Role);
    const starterStatements = statementsOf(template, starterRoleId);
    const actions = starterStatements.flatMap((st) => asList(st.Action));
    for (const action of actions) {
      expect(action).not.toMatch(/\*/);
    }
    const sfnStatements = starterStatements.filter((st) => asList(st.Action).some((a: string) => a.startsWith('states:')));
    expect(sfnStatements.map((st) => [st.Effect, asList(st.Action), asList(st.Resource)])).toEqual([
      ['Allow', ['states:StartExecution'], [{ Ref: id(orchestrator.stateMachine) }]],
    ]);
    // No other role in the stack (the schedule's, EventBridge's) can start executions, which would get random names.
    const starters = Object.entries<any>(template.findResources('AWS::IAM::Policy'))
      .filter(([, policy]) => policy.Properties.PolicyDocument.Statement.some((st: any) => asList(st.Action).includes('states:StartExecution')))
      .flatMap(([, policy]) => policy.Properties.Roles.map((r: any) => r.Ref));
    expect(starters).toEqual([starterRoleId]);
  });

  test('the state machine and the planner depend on their role policies only; their roles are ordered by ARN (cfn-lint W3005)', () => {
    const policyOf = (role: iam.IRole) => id((role as iam.Role).node.findChild('DefaultPolicy'));
    expect(template.findResources('AWS::StepFunctions::StateMachine')[id(orchestrator.stateMachine)].DependsOn).toEqual([policyOf(orchestrator.role)]);
    const planner = template.findResources('AWS::Lambda::Function')[id(orchestrator.validationPlanFunction)];
    expect(planner.DependsOn).toEqual([policyOf(orchestrator.validationPlanFunction.role!)]);
  });

  test('is cdk-nag clean', () => {
    expect(nagFindings(p.app)).toEqual([]);
  });
});

describe('PipelineOrchestrator without ingestion (manifest-triggered)', () => {
  const p = pipeline();
  const template = Template.fromStack(p.stack);

  test('one execution per manifest: the rule matches Object Created under the manifest prefix of the landing bucket', () => {
    const starterId = p.stack.getLogicalId(p.orchestrator.runStarter!.node.defaultChild as any);
    const queueId = p.stack.getLogicalId(p.orchestrator.triggerDeadLetterQueue!.node.defaultChild as any);
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        'source': ['aws.s3'],
        'detail-type': ['Object Created'],
        'detail': {
          bucket: { name: [{ Ref: p.stack.getLogicalId(p.landing.bucket.node.defaultChild as any) }] },
          object: { key: [{ prefix: WeatherContract.LANDING_MANIFEST_PREFIX }] },
        },
      },
      Targets: [Match.objectLike({
        // The run starter, which names the execution after the manifest's batch id (not the state machine).
        Arn: { 'Fn::GetAtt': [starterId, 'Arn'] },
        InputTransformer: {
          InputPathsMap: { 'detail-object-key': '$.detail.object.key' },
          InputTemplate: '{"manifestKey":<detail-object-key>}',
        },
        DeadLetterConfig: { Arn: { 'Fn::GetAtt': [queueId, 'Arn'] } },
        RetryPolicy: { MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 3600 },
      })],
    });
    template.resourceCountIs('AWS::Scheduler::Schedule', 0);
    // EventBridge may invoke the starter for this rule only, and write to the dead-letter queue for it only.
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      FunctionName: { 'Fn::GetAtt': [starterId, 'Arn'] },
      Principal: 'events.amazonaws.com',
      SourceArn: { 'Fn::GetAtt': [p.stack.getLogicalId(p.orchestrator.manifestRule!.node.defaultChild as any), 'Arn'] },
    });
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({
          Action: 'sqs:SendMessage',
          Principal: { Service: 'events.amazonaws.com' },
          Condition: { ArnEquals: { 'aws:SourceArn': { 'Fn::GetAtt': [p.stack.getLogicalId(p.orchestrator.manifestRule!.node.defaultChild as any), 'Arn'] } } },
        })]),
      },
    });
  });

  test('no statement of the state machine\'s or the run starter\'s role has a wildcard action', () => {
    const policies = Object.values<any>(template.findResources('AWS::IAM::Policy'));
    const orchestratorRoles = [p.orchestrator.role, p.orchestrator.runStarter!.role!]
      .map((role) => p.stack.getLogicalId((role as iam.Role).node.defaultChild as any));
    const statements = policies.filter((policy) => policy.Properties.Roles.some((r: any) => orchestratorRoles.includes(r.Ref)))
      .flatMap((policy) => policy.Properties.PolicyDocument.Statement);
    expect(statements.length).toBeGreaterThan(0);
    for (const action of statements.flatMap((st) => asList(st.Action))) {
      expect(action).not.toMatch(/\*/);
    }
  });

  test('is cdk-nag clean', () => {
    expect(nagFindings(p.app)).toEqual([]);
  });
});

describe('options', () => {
  test('a topic you bring: published to, its key granted, no topic created', () => {
    let key: kms.Key | undefined;
    let topic: sns.Topic | undefined;
    const own = pipeline({
      props: {},
      customize: (stack) => {
        key = new kms.Key(stack, 'TeamKey', { enableKeyRotation: true });
        topic = new sns.Topic(stack, 'TeamTopic', { masterKey: key, enforceSSL: true });
        return { notificationTopic: topic };
      },
    });
    const template = Template.fromStack(own.stack);
    template.resourceCountIs('AWS::SNS::Topic', 1);
    const statements = statementsOf(template, own.stack.getLogicalId((own.orchestrator.role as iam.Role).node.defaultChild as any));
    const publish = statements.filter((st) => asList(st.Action).includes('sns:Publish')).flatMap((st) => asList(st.Resource));
    expect(publish).toEqual([{ Ref: own.stack.getLogicalId(topic!.node.defaultChild as any) }]);
    const keyUse = statements.filter((st) => asList(st.Action).includes('kms:GenerateDataKey')).flatMap((st) => asList(st.Resource));
    expect(keyUse).toContainEqual({ 'Fn::GetAtt': [own.stack.getLogicalId(key!.node.defaultChild as any), 'Arn'] });
  });

  test('an email subscription, a custom schedule and retention', () => {
    const p = pipeline({
      ingestion: true,
      props: {
        notificationEmail: 'data@example.com',
        schedule: scheduler.ScheduleExpression.cron({ minute: '0', hour: '3' }),
        executionTimeout: Duration.hours(3),
        logRetention: logs.RetentionDays.ONE_MONTH,
      },
    });
    const template = Template.fromStack(p.stack);
    template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'data@example.com' });
    template.hasResourceProperties('AWS::Scheduler::Schedule', { ScheduleExpression: 'cron(0 3 * * ? *)' });
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
  });

  test('warns when the manifest trigger would process an ingested batch a second time', () => {
    const p = pipeline({ ingestion: true, props: { manifestTriggerEnabled: true } });
    const warnings = Annotations.fromStack(p.stack).findWarning('*', Match.stringLikeRegexp('.*'));
    expect(warnings.map((w) => String(w.entry.data))).toEqual(expect.arrayContaining([expect.stringContaining('processes the same batch again')]));
  });
});

describe('validation', () => {
  test.each([
    [{ scheduleEnabled: true }, 'scheduleEnabled is true but there is no ingestion: a scheduled execution without the ingestion step has no batch to process; pass ingestion, or use the manifest trigger'],
    [{ executionTimeout: Duration.seconds(30) }, 'executionTimeout must be a whole number of seconds between 1 minute and 365 days, got 30 seconds'],
    [{ etlTimeout: Duration.hours(3), executionTimeout: Duration.hours(2) }, 'etlTimeout must be shorter than executionTimeout (2 hours), got 3 hours'],
    [{ etlTimeout: Duration.seconds(90) }, 'etlTimeout must be a whole number of minutes (the Glue run timeout), got 1 minute 30 seconds'],
    [{ etlRunRetries: -1 }, 'etlRunRetries must be a whole number from 0 to 5, got -1'],
    [{ etlRunRetries: 1.5 }, 'etlRunRetries must be a whole number from 0 to 5, got 1.5'],
    [{ etlRunRetries: 6 }, 'etlRunRetries must be a whole number from 0 to 5, got 6'],
    [{ queryTimeout: Duration.seconds(5) }, 'queryTimeout must be a whole number of seconds between 10 seconds and 1 day, got 5 seconds'],
    [{ notificationEmail: 'not-an-address' }, 'notificationEmail must be an email address, got "not-an-address"'],
    [{ stateMachineName: 'weather pipeline' }, 'stateMachineName must match ^[A-Za-z0-9_-]{1,80}$, got "weather pipeline"'],
    [{ scheduleEnabled: false, schedule: scheduler.ScheduleExpression.rate(Duration.days(1)) },
      'schedule is set but scheduleEnabled is false: remove schedule or enable the schedule'],
  ])('%j is rejected', (props, message) => {
    expect(() => pipeline({ props: props as any })).toThrow(message);
  });
});

describe('the time budget of the normal path', () => {
  const glueTimeout = (p: Pipeline) => JSON.parse(definitionOf(p).States[PipelineOrchestrator.STATE_RUN_ETL].Parameters.Timeout);

  test('task timeouts that add up to more than executionTimeout fail at synth, naming the props and the sum', () => {
    expect(() => pipeline({ ingestion: true, props: { executionTimeout: Duration.hours(2), etlTimeout: Duration.minutes(90) } })).toThrow(
      'executionTimeout (2 hours) is shorter than the task timeouts on the normal path: ingestion (its timeout 1 minute 18 seconds + 1 minute, and a 1 minute alert) + '
      + '5 validation queries × (queryTimeout 10 minutes + 1 minute to read the verdict) + the rest (planning 1 minute, notification 1 minute) + '
      + '2 Glue run attempts (etlRunRetries 1) × etlTimeout 1 hour 30 minutes '
      + `= ${Duration.seconds(14418).toHumanString()} (14418 s); raise executionTimeout, or lower etlTimeout, etlRunRetries or queryTimeout`);
    expect(() => pipeline({ props: { executionTimeout: Duration.minutes(30), etlTimeout: Duration.minutes(10), queryTimeout: Duration.minutes(5) } }))
      .toThrow(/executionTimeout \(30 minutes\) is shorter .*queryTimeout 5 minutes.* 2 Glue run attempts \(etlRunRetries 1\) × etlTimeout 10 minutes = 52 minutes \(3120 s\);/);
  });

  test('a budget that fits synthesizes', () => {
    const p = pipeline({ ingestion: true, props: { executionTimeout: Duration.minutes(241), etlTimeout: Duration.minutes(90) } });
    expect(definitionOf(p).TimeoutSeconds).toBe(14460);
  });

  test('each Glue run attempt counts: etlRunRetries is part of the sum', () => {
    // 151 minutes hold one 90-minute Glue run (9018 s), not two.
    const once = pipeline({
      ingestion: true,
      props: { executionTimeout: Duration.minutes(151), etlTimeout: Duration.minutes(90), etlRunRetries: 0 },
    });
    expect(definitionOf(once).TimeoutSeconds).toBe(9060);
    expect(() => pipeline({ ingestion: true, props: { executionTimeout: Duration.minutes(151), etlTimeout: Duration.minutes(90) } }))
      .toThrow(/executionTimeout \(2 hours 31 minutes\) is shorter .* \+ 2 Glue run attempts \(etlRunRetries 1\) × etlTimeout 1 hour 30 minutes = .* \(14418 s\);/);
    const thrice = { executionTimeout: Duration.minutes(241), etlTimeout: Duration.minutes(90), etlRunRetries: 2 };
    expect(() => pipeline({ ingestion: true, props: thrice }))
      .toThrow(/\+ 3 Glue run attempts \(etlRunRetries 2\) × etlTimeout 1 hour 30 minutes = .* \(19818 s\); raise executionTimeout, or lower etlTimeout, etlRunRetries or queryTimeout/);
    // The derived execution timeout: 3618 s + n × 5400 s, in minutes, + 15.
    expect(definitionOf(pipeline({ ingestion: true, props: { etlRunRetries: 0 } })).TimeoutSeconds).toBe(9960);
    expect(definitionOf(pipeline({ ingestion: true, props: { etlRunRetries: 2 } })).TimeoutSeconds).toBe(20760);
  });

  test('executionTimeout without etlTimeout: the Glue run attempts share what the other tasks leave, in whole minutes, at most 90', () => {
    // (7200 s - (198 s ingestion + 3300 s queries + 120 s rest)) / 2 attempts = 1791 s → 29 minutes.
    expect(glueTimeout(pipeline({ ingestion: true, props: { executionTimeout: Duration.hours(2) } }))).toBe(29);
    // One attempt only: 3582 s → 59 minutes.
    expect(glueTimeout(pipeline({ ingestion: true, props: { executionTimeout: Duration.hours(2), etlRunRetries: 0 } }))).toBe(59);
    expect(glueTimeout(pipeline({ ingestion: true, props: { executionTimeout: Duration.hours(6) } }))).toBe(90);
    expect(() => pipeline({ props: { executionTimeout: Duration.minutes(20) } })).toThrow(/executionTimeout \(20 minutes\) is shorter .* = 59 minutes \(3540 s\);/);
  });
});

describe('executions that time out or are stopped notify the topic', () => {
  test.each([['with ingestion', true], ['manifest-triggered', false]])('%s: an EventBridge rule on TIMED_OUT and ABORTED to the topic, whose key lets EventBridge publish', (_what, ingestion) => {
    const p = pipeline({ ingestion });
    const template = Template.fromStack(p.stack);
    const id = (c: any) => p.stack.getLogicalId(c.node.defaultChild ?? c);
    const machineId = id(p.orchestrator.stateMachine);
    const topicId = id(p.orchestrator.notificationTopic);
    const rules = template.findResources('AWS::Events::Rule', {
      Properties: {
        EventPattern: {
          'source': ['aws.states'],
          'detail-type': ['Step Functions Execution Status Change'],
          'detail': { status: ['TIMED_OUT', 'ABORTED'], stateMachineArn: [{ Ref: machineId }] },
        },
        State: 'ENABLED',
        Targets: [Match.objectLike({ Arn: { Ref: topicId } })],
      },
    });
    expect(Object.keys(rules)).toHaveLength(1);
    const ruleId = Object.keys(rules)[0];
    const message = JSON.stringify(rules[ruleId].Properties.Targets[0].InputTransformer);
    expect(message).toContain('$.detail.status');
    expect(message).toContain('$.detail.executionArn');
    // The topic is KMS-encrypted: EventBridge may use the key, for this rule of this account only.
    const keyId = id(p.orchestrator.encryptionKey);
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] } });
    template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([{
          Sid: 'EventBridgeStoppedExecutionsNotification',
          Effect: 'Allow',
          Principal: { Service: 'events.amazonaws.com' },
          Action: ['kms:GenerateDataKey', 'kms:Decrypt'],
          Resource: '*',
          Condition: {
            StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
            ArnEquals: { 'aws:SourceArn': { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':events:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, `:rule/${rules[ruleId].Properties.Name}`]] } },
          },
        }]),
      },
    });
    // And the topic lets EventBridge publish, for the same rule.
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({
          Sid: 'EventBridgeStoppedExecutionsNotification',
          Action: 'sns:Publish',
          Principal: { Service: 'events.amazonaws.com' },
          Condition: {
            StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
            ArnEquals: { 'aws:SourceArn': Match.anyValue() },
          },
        })]),
      },
    });
    // No grant to EventBridge without a condition.
    const keys = template.findResources('AWS::KMS::Key');
    const unconditioned = Object.values<any>(keys).flatMap((k) => k.Properties.KeyPolicy.Statement)
      .filter((st: any) => st.Principal?.Service === 'events.amazonaws.com' && st.Condition === undefined);
    expect(unconditioned).toEqual([]);
  });
});

describe('missingCityAction', () => {
  test('an unknown value is rejected, naming the prop', () => {
    expect(() => pipeline({ props: { missingCityAction: 'SOMETIMES' as MissingCityAction } }))
      .toThrow('missingCityAction must be one of FAIL, ALERT, got "SOMETIMES"');
  });

  test('ALERT puts the missing cities check and its alert in the time budget', () => {
    const fail = definitionOf(pipeline({ ingestion: true }));
    const alert = definitionOf(pipeline({ ingestion: true, props: { missingCityAction: MissingCityAction.ALERT } }));
    // + 600 s query + 60 s verdict + 60 s alert (whole minutes: the derived timeouts differ by exactly that).
    expect(alert.TimeoutSeconds - fail.TimeoutSeconds).toBe(720);
    // The normal path of FAIL, rounded up to the minute: it fits FAIL, not ALERT.
    const normalPath = Duration.seconds(fail.TimeoutSeconds - 15 * 60);
    expect(definitionOf(pipeline({ ingestion: true, props: { executionTimeout: normalPath, etlTimeout: Duration.minutes(90) } })).TimeoutSeconds)
      .toBe(normalPath.toSeconds());
    const tight = { missingCityAction: MissingCityAction.ALERT, executionTimeout: normalPath, etlTimeout: Duration.minutes(90) };
    expect(() => pipeline({ ingestion: true, props: tight }))
      .toThrow(/is shorter than the task timeouts on the normal path: .* \+ the missing cities check \(queryTimeout 10 minutes \+ 1 minute to read the verdict, and a 1 minute alert\) \+ /);
  });
});
