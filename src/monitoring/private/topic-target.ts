import { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as sns from 'aws-cdk-lib/aws-sns';

/**
 * An EventBridge target that publishes to a topic without granting anything. `aws-events-targets.SnsTopic` gives
 * `events.amazonaws.com` unconditioned publish rights; `PipelineMonitoring` grants it for its own rule only.
 */
export class TopicTarget implements events.IRuleTarget {
  constructor(private readonly topic: sns.ITopic, private readonly message: events.RuleTargetInput) {}

  public bind(_rule: events.IRuleRef, _id?: string): events.RuleTargetConfig {
    return {
      arn: this.topic.topicArn,
      input: this.message,
      targetResource: this.topic,
      retryPolicy: { maximumRetryAttempts: 8, maximumEventAgeInSeconds: Duration.hours(6).toSeconds() },
    };
  }
}
