import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import {
  AlertTopicRefusedError,
  type AlertTopicMessage,
  type AlertTopicPublisher,
} from '../../ports/alert-topic.port';
import { errorName, messageOf, translateCommonAwsError } from './aws-errors';

/** SNS refuses a subject over 100 characters or with control characters. */
const SUBJECT_LIMIT = 100;

/** What SNS answers when a publish cannot succeed by retrying, and what to tell the rule's owner. */
const REFUSALS: Record<string, string> = {
  NotFoundException: 'the topic does not exist (check the ARN, its region and account)',
  NotFound: 'the topic does not exist (check the ARN, its region and account)',
  AuthorizationErrorException:
    'the topic does not allow this deployment to publish to it (its access policy, or a topic outside the pipeweave-alerts-* names of this account)',
  AuthorizationError:
    'the topic does not allow this deployment to publish to it (its access policy, or a topic outside the pipeweave-alerts-* names of this account)',
  InvalidParameterException: 'SNS refused the message',
  InvalidParameterValueException: 'SNS refused the message',
  KMSDisabledException: 'the topic’s KMS key is disabled',
  KMSNotFoundException: 'the topic’s KMS key does not exist',
  KMSInvalidStateException: 'the topic’s KMS key is not usable',
  KMSAccessDeniedException: 'the topic’s KMS key does not allow SNS to use it',
  KMSOptInRequired: 'the topic’s KMS key needs an opt-in',
  InvalidSecurityException: 'the request was not signed in a way SNS accepts',
};

/** Alert notifications on Amazon SNS: one Publish per alert, its severity as a message attribute. */
export class SnsAlertTopicPublisher implements AlertTopicPublisher {
  readonly #client: SNSClient;

  constructor(client: SNSClient) {
    this.#client = client;
  }

  async publish(topicArn: string, message: AlertTopicMessage): Promise<{ messageId: string }> {
    try {
      const out = await this.#client.send(
        new PublishCommand({
          TopicArn: topicArn,
          Subject: snsSubject(message.subject),
          Message: message.body,
          MessageAttributes: { severity: { DataType: 'String', StringValue: message.severity } },
        }),
      );
      if (!out.MessageId) throw new Error(`SNS Publish to ${topicArn} returned no MessageId.`);
      return { messageId: out.MessageId };
    } catch (error) {
      throw translateSnsError(error, topicArn);
    }
  }
}

/** Printable ASCII, one line, at most 100 characters: what SNS accepts as a subject. */
export function snsSubject(subject: string): string {
  const ascii = subject
    .normalize('NFKD')
    .replace(/\s/g, ' ')
    .replace(/[^\x20-\x7e]/g, '')
    .replace(/ +/g, ' ')
    .trim();
  const text = ascii.length > 0 ? ascii : 'PipeWeave alert';
  return text.slice(0, SUBJECT_LIMIT);
}

export function translateSnsError(error: unknown, topicArn: string): Error {
  const refusal = REFUSALS[errorName(error)];
  if (refusal) {
    return new AlertTopicRefusedError(`SNS did not take the alert for ${topicArn}: ${refusal}.`, {
      cause: error,
    });
  }
  if (error instanceof AlertTopicRefusedError) return error;
  const translated = translateCommonAwsError(error, 'notifications', 'SNS', 'Publish');
  return translated === error && error instanceof Error
    ? new Error(`SNS Publish to ${topicArn} failed: ${messageOf(error)}`, { cause: error })
    : translated;
}
