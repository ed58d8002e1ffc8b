import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as lambdaDestinations from 'aws-cdk-lib/aws-lambda-destinations';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { STATE_MACHINE_ARN_ENV } from './run-start';
import { StartRunFunction } from './start-run-function';
import { ValidationPlanFunction } from './validation-plan-function';
import { WeatherContract } from '../../contract/weather-contract';
import { acknowledgeRoleInlinePolicy, acknowledgeWildcardResources } from '../../private/nag-acknowledgements';
import { omitRoleFromDependsOn, skipCheckovCheck } from '../../private/template-checkers';

/**
 * The encrypted log group (`<id>Logs`) and the explicit role (`<id>Role`) of one of the orchestrator's functions:
 * the role logs only to that log group (no AWSLambdaBasicExecutionRole). The functions use X-Ray active tracing.
 */
function functionLogsAndRole(scope: Construct, encryptionKey: kms.IKey, id: string, description: string,
  retention: logs.RetentionDays, removalPolicy: RemovalPolicy) {
  const logGroup = new logs.LogGroup(scope, `${id}Logs`, {
    retention,
    encryptionKey,
    removalPolicy,
  });
  const role = new iam.Role(scope, `${id}Role`, {
    assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    description,
  });
  acknowledgeRoleInlinePolicy(role);
  role.addToPrincipalPolicy(new iam.PolicyStatement({
    actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
    resources: [logGroup.logGroupArn],
  }));
  // Both functions trace with X-Ray and write streams of their own log group (cdk-nag acknowledgements).
  Validations.of(role).acknowledge({
    id: 'AwsSolutions-IAM5[Resource::*]',
    reason: 'X-Ray active tracing: xray:PutTraceSegments and xray:PutTelemetryRecords do not support resource-level permissions.',
  });
  acknowledgeWildcardResources(role, [`${logGroup.logGroupArn}:*`],
    'The function writes log streams of its own log group only; stream names are created by Lambda at run time.');
  return { logGroup, role };
}

export function createPlanFunction(scope: Construct, encryptionKey: kms.IKey, retention: logs.RetentionDays,
  removalPolicy: RemovalPolicy, refinedBucket: s3.IBucket): lambda.IFunction {
  const { logGroup, role } = functionLogsAndRole(scope, encryptionKey, 'ValidationPlan',
    'Weather pipeline: computes validation query parameters from the ETL run summary', retention, removalPolicy);
  // It reads the run summaries, nothing else of the refined bucket.
  const summaries = refinedBucket.arnForObjects(`${WeatherContract.RUN_SUMMARY_PREFIX}*`);
  role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [summaries] }));
  refinedBucket.encryptionKey?.grant(role, 'kms:Decrypt');
  acknowledgeWildcardResources(role, [summaries],
    'The planner reads the run summary of each run; summaries are keyed by processing date and run id, known only at run time.');
  const fn = new ValidationPlanFunction(scope, 'ValidationPlan', {
    description: 'cdk-weather-pipeline: validation query parameters from the ETL run summary',
    role,
    logGroup,
    memorySize: 256,
    timeout: Duration.seconds(30),
    tracing: lambda.Tracing.ACTIVE,
  });
  omitRoleFromDependsOn(fn, role);
  skipCheckovCheck(fn, 'CKV_AWS_116',
    'Invoked synchronously by the state machine, which retries it and reports failures to SNS; a dead-letter queue applies only to asynchronous invocations.');
  skipCheckovCheck(fn, 'CKV_AWS_117',
    'Reads one run summary from S3 through the public endpoint: a VPC would need an S3 endpoint or a NAT gateway and would protect no private resource.');
  skipCheckovCheck(fn, 'CKV_AWS_115',
    'Invoked only by the state machine, once per pipeline run; reserved concurrency would take capacity from the account\'s unreserved pool.');
  skipCheckovCheck(fn, 'CKV_AWS_173',
    'The only environment variable is AWS_NODEJS_CONNECTION_REUSE_ENABLED, set by aws-cdk-lib: no secret to encrypt with a customer key.');
  return fn;
}

/** The run starter: invoked asynchronously by the triggers, it starts executions named after their run id. */
export function createRunStarter(scope: Construct, encryptionKey: kms.IKey, stateMachine: sfn.IStateMachine,
  retention: logs.RetentionDays, removalPolicy: RemovalPolicy, deadLetterQueue: sqs.IQueue): lambda.IFunction {
  const { logGroup, role } = functionLogsAndRole(scope, encryptionKey, 'RunStarter',
    'Weather pipeline: starts orchestrator executions named after their run id', retention, removalPolicy);
  // states:StartExecution on this state machine, nothing else in Step Functions.
  stateMachine.grantStartExecution(role);
  const fn = new StartRunFunction(scope, 'RunStarter', {
    description: 'cdk-weather-pipeline: starts an orchestrator execution named after the run id of a schedule or manifest event',
    role,
    logGroup,
    memorySize: 256,
    timeout: Duration.seconds(30),
    architecture: lambda.Architecture.ARM_64,
    tracing: lambda.Tracing.ACTIVE,
    environment: { [STATE_MACHINE_ARN_ENV]: stateMachine.stateMachineArn },
    // Asynchronous invocations (the schedule and the rule): a failed start is retried, then dead-lettered.
    onFailure: new lambdaDestinations.SqsDestination(deadLetterQueue),
    retryAttempts: 2,
    maxEventAge: Duration.hours(6),
  });
  omitRoleFromDependsOn(fn, role);
  skipCheckovCheck(fn, 'CKV_AWS_116',
    'Failed asynchronous invocations go to the trigger dead-letter queue through an on-failure destination (EventInvokeConfig), which keeps the error that a DeadLetterConfig would drop.');
  skipCheckovCheck(fn, 'CKV_AWS_117',
    'Calls the Step Functions API only: a VPC would need an endpoint or a NAT gateway and would protect no private resource.');
  skipCheckovCheck(fn, 'CKV_AWS_115',
    'Invoked once per schedule tick or manifest; StartExecution is idempotent by name, so concurrent invocations are harmless, and reserved concurrency would take capacity from the account\'s unreserved pool.');
  skipCheckovCheck(fn, 'CKV_AWS_173',
    'The environment holds the state machine ARN and AWS_NODEJS_CONNECTION_REUSE_ENABLED: no secret to encrypt with a customer key.');
  return fn;
}
