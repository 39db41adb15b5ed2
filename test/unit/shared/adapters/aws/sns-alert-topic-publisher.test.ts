import {
  AuthorizationErrorException,
  NotFoundException,
  PublishCommand,
  SNSClient,
  ThrottledException,
} from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { SnsAlertTopicPublisher } from '../../../../../shared/adapters/aws/sns-alert-topic-publisher';
import { DependencyUnavailableError } from '../../../../../shared/kernel/app-error';
import { AlertTopicRefusedError } from '../../../../../shared/ports/alert-topic.port';

const sns = mockClient(SNSClient);
const topicArn = 'arn:aws:sns:eu-west-1:123456789012:pipeweave-alerts-line-3';
const publisher = () => new SnsAlertTopicPublisher(new SNSClient({ region: 'eu-west-1' }));
const message = {
  subject: 'PipeWeave alert (high): drift on line 3',
  body: '{"type":"alert.triggered"}',
  severity: 'high',
};

afterEach(() => {
  sns.reset();
});

describe('SnsAlertTopicPublisher', () => {
  it('publishes the alert body to the topic with its subject and severity as an attribute', async () => {
    sns.on(PublishCommand).resolves({ MessageId: 'msg-1' });

    expect(await publisher().publish(topicArn, message)).toEqual({ messageId: 'msg-1' });
    expect(sns.commandCalls(PublishCommand)[0]?.args[0].input).toEqual({
      TopicArn: topicArn,
      Subject: 'PipeWeave alert (high): drift on line 3',
      Message: '{"type":"alert.triggered"}',
      MessageAttributes: { severity: { DataType: 'String', StringValue: 'high' } },
    });
  });

  it('sends a subject SNS accepts: printable ASCII on one line, at most 100 characters', async () => {
    sns.on(PublishCommand).resolves({ MessageId: 'msg-2' });

    await publisher().publish(topicArn, {
      ...message,
      subject: `Dérive\tsur la ligne\n3 — ${'x'.repeat(200)}`,
    });

    const subject = sns.commandCalls(PublishCommand)[0]?.args[0].input.Subject ?? '';
    expect(subject).toMatch(/^Derive sur la ligne 3 x+$/);
    expect(subject).toHaveLength(100);
  });

  it('says a missing topic or one that refuses us is final, naming the topic and what to check', async () => {
    sns
      .on(PublishCommand)
      .rejectsOnce(new NotFoundException({ message: 'Topic does not exist', $metadata: {} }))
      .rejectsOnce(new AuthorizationErrorException({ message: 'not authorized', $metadata: {} }));

    const missing = await publisher()
      .publish(topicArn, message)
      .catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(AlertTopicRefusedError);
    expect((missing as Error).message).toContain(topicArn);
    expect((missing as Error).message).toMatch(/does not exist/);
    const refused = await publisher()
      .publish(topicArn, message)
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(AlertTopicRefusedError);
    expect((refused as Error).message).toMatch(/pipeweave-alerts-\*/);
  });

  it('turns throttling into a temporary unavailability, worth another attempt', async () => {
    sns.on(PublishCommand).rejects(new ThrottledException({ message: 'Rate exceeded', $metadata: {} }));

    const error = await publisher()
      .publish(topicArn, message)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DependencyUnavailableError);
    expect(error).not.toBeInstanceOf(AlertTopicRefusedError);
  });
});
