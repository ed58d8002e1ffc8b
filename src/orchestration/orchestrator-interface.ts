import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { IConstruct } from 'constructs';

/**
 * A pipeline orchestrator: what `PipelineMonitoring` uses of it.
 *
 * Made by `PipelineOrchestrator`, or imported with `PipelineOrchestrator.fromPipelineOrchestratorAttributes` (a state
 * machine another stack or team deployed).
 */
export interface IPipelineOrchestrator extends IConstruct {
  /** The state machine running ingestion → ETL → validation: the monitoring alarms on its executions. */
  readonly stateMachine: sfn.IStateMachine;

  /** The topic receiving the pipeline's notifications: the monitoring's alarms go there by default. */
  readonly notificationTopic: sns.ITopic;

  /** The key of the orchestrator's log groups (and of its topic when it made one): the monitoring's log groups use it by default. */
  readonly encryptionKey: kms.IKey;

  /**
   * Where trigger events go when no execution could be started: the monitoring alarms when it holds messages.
   *
   * @default - none (no trigger, or triggers without a dead-letter queue)
   */
  readonly triggerDeadLetterQueue?: sqs.IQueue;

  /** Permits `grantee` to start executions of the state machine. */
  grantStartExecution(grantee: iam.IGrantable): iam.Grant;
}

/**
 * An orchestrator made elsewhere, for `PipelineOrchestrator.fromPipelineOrchestratorAttributes`.
 */
export interface PipelineOrchestratorAttributes {
  /** The state machine (e.g. `sfn.StateMachine.fromStateMachineArn`). */
  readonly stateMachine: sfn.IStateMachine;

  /** The topic receiving its notifications (e.g. `sns.Topic.fromTopicArn`). */
  readonly notificationTopic: sns.ITopic;

  /** The key the monitoring encrypts its log groups with (e.g. `kms.Key.fromKeyArn`). */
  readonly encryptionKey: kms.IKey;

  /**
   * The queue receiving the trigger events no execution could be started for (e.g. `sqs.Queue.fromQueueArn`).
   *
   * @default - none: the monitoring has no trigger dead-letter alarm
   */
  readonly triggerDeadLetterQueue?: sqs.IQueue;
}
