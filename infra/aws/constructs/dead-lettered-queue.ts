import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';

export interface DeadLetteredQueueProps {
  visibilityTimeout: Duration;
  /** How long a message waits to be received. */
  retentionPeriod: Duration;
  /** Receives before a message moves to the dead-letter queue. */
  maxReceiveCount: number;
  /** What the alarm says when a message reaches the dead-letter queue. */
  alarmDescription: string;
  alarmTopic?: ITopic | undefined;
}

export interface DeadLetteredQueue {
  queue: Queue;
  deadLetterQueue: Queue;
  deadLetterAlarm: Alarm;
}

/**
 * A work queue as every PipeWeave queue is made: encrypted and TLS-only, with a dead-letter queue
 * that keeps a message 14 days and an alarm as soon as one arrives there. Created in `scope` as
 * `Queue`, `DeadLetterQueue` and `DeadLetterAlarm`.
 */
export function deadLetteredQueue(scope: Construct, props: DeadLetteredQueueProps): DeadLetteredQueue {
  const deadLetterQueue = new Queue(scope, 'DeadLetterQueue', {
    encryption: QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    retentionPeriod: Duration.days(14),
    removalPolicy: RemovalPolicy.DESTROY,
  });
  const queue = new Queue(scope, 'Queue', {
    encryption: QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    visibilityTimeout: props.visibilityTimeout,
    retentionPeriod: props.retentionPeriod,
    deadLetterQueue: { queue: deadLetterQueue, maxReceiveCount: props.maxReceiveCount },
    removalPolicy: RemovalPolicy.DESTROY,
  });
  const deadLetterAlarm = new Alarm(scope, 'DeadLetterAlarm', {
    alarmDescription: props.alarmDescription,
    metric: deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5) }),
    threshold: 1,
    evaluationPeriods: 1,
    comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    treatMissingData: TreatMissingData.NOT_BREACHING,
  });
  if (props.alarmTopic) deadLetterAlarm.addAlarmAction(new SnsAction(props.alarmTopic));
  return { queue, deadLetterQueue, deadLetterAlarm };
}
