/**
 * Publishes an alert to a notification topic (SNS in AWS). The local runtime has no topics, so
 * there the port is absent and rules with a topic action are refused when they are written.
 */
export interface AlertTopicMessage {
  /** A one-line subject (email subscribers see it). */
  subject: string;
  /** The alert as JSON, the same body a webhook receives. */
  body: string;
  severity: string;
}

export interface AlertTopicPublisher {
  publish(topicArn: string, message: AlertTopicMessage): Promise<{ messageId: string }>;
}

/**
 * The topic refused the message for good: it does not exist, its policy (or this deployment's
 * role) does not allow publishing to it, or its encryption key is unusable. Retrying will not help;
 * the message says what to fix.
 */
export class AlertTopicRefusedError extends Error {
  override name = 'AlertTopicRefusedError';
}
