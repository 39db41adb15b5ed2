import {
  SendMessageBatchCommand,
  SendMessageCommand,
  SQSClient,
  QueueDoesNotExist,
} from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { SqsQueuePublisher } from '../../../../../shared/adapters/aws/sqs-queue-publisher';
import { ConfigError } from '../../../../../shared/config/config';
import { DependencyUnavailableError } from '../../../../../shared/kernel/app-error';

const sqs = mockClient(SQSClient);
const tabularUrl = 'https://sqs.eu-west-1.amazonaws.com/123456789012/pipeweave-tabular';

function publisher() {
  return new SqsQueuePublisher({
    client: new SQSClient({ region: 'eu-west-1' }),
    queueUrls: { tabular: tabularUrl },
  });
}

afterEach(() => {
  sqs.reset();
});

describe('SqsQueuePublisher', () => {
  it('sends a JSON body to the queue of the modality with its delay and string attributes', async () => {
    sqs.on(SendMessageCommand).resolves({ MessageId: 'm-1' });

    const sent = await publisher().send(
      'tabular',
      { versionId: 'v1', attempt: 2 },
      { delaySeconds: 30, attributes: { kind: 'ingest' } },
    );

    expect(sent).toEqual({ messageId: 'm-1' });
    expect(sqs.commandCalls(SendMessageCommand)[0]?.args[0].input).toEqual({
      QueueUrl: tabularUrl,
      MessageBody: '{"versionId":"v1","attempt":2}',
      DelaySeconds: 30,
      MessageAttributes: { kind: { DataType: 'String', StringValue: 'ingest' } },
    });
  });

  it('splits a batch into calls of at most 10 and reports the entries SQS refused', async () => {
    sqs.on(SendMessageBatchCommand).callsFake(async (input: { Entries: { Id: string }[] }) => ({
      Successful: input.Entries.filter((e) => e.Id !== 'e-12').map((e) => ({
        Id: e.Id,
        MessageId: `msg-${e.Id}`,
        MD5OfMessageBody: 'x',
      })),
      Failed: input.Entries.filter((e) => e.Id === 'e-12').map((e) => ({
        Id: e.Id,
        Code: 'InternalError',
        SenderFault: false,
        Message: 'try again',
      })),
    }));
    const entries = Array.from({ length: 23 }, (_, i) => ({ id: `e-${i}`, body: { n: i } }));

    const result = await publisher().sendBatch('tabular', entries);

    const calls = sqs
      .commandCalls(SendMessageBatchCommand)
      .map((c) => c.args[0].input.Entries?.map((e) => e.Id));
    expect(calls.map((ids) => ids?.length)).toEqual([10, 10, 3]);
    expect(calls.flat()).toEqual(entries.map((e) => e.id));
    expect(sqs.commandCalls(SendMessageBatchCommand)[2]?.args[0].input.Entries?.[0]).toEqual({
      Id: 'e-20',
      MessageBody: '{"n":20}',
    });
    expect(result.successful).toHaveLength(22);
    expect(result.successful[0]).toEqual({ id: 'e-0', messageId: 'msg-e-0' });
    expect(result.failed).toEqual([
      { id: 'e-12', code: 'InternalError', message: 'try again (SQS fault: retry)' },
    ]);
  });

  it('reports an entry too large for SQS as failed without sending it, and sends the others', async () => {
    sqs.on(SendMessageBatchCommand).callsFake(async (input: { Entries: { Id: string }[] }) => ({
      Successful: input.Entries.map((e) => ({ Id: e.Id, MessageId: `msg-${e.Id}`, MD5OfMessageBody: 'x' })),
      Failed: [],
    }));

    const result = await publisher().sendBatch('tabular', [
      { id: 'small', body: { ok: true } },
      { id: 'huge', body: { blob: 'x'.repeat(300 * 1024) } },
    ]);

    expect(sqs.commandCalls(SendMessageBatchCommand)[0]?.args[0].input.Entries?.map((e) => e.Id)).toEqual([
      'small',
    ]);
    expect(result.successful.map((s) => s.id)).toEqual(['small']);
    expect(result.failed).toEqual([expect.objectContaining({ id: 'huge', code: 'InvalidMessageContents' })]);
  });

  it('names the missing variable when a modality has no queue', async () => {
    const error = await publisher()
      .send('video', {})
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(/"video".*PW_QUEUE_URLS/);
    expect(sqs.calls()).toHaveLength(0);
  });

  it('translates throttling into DependencyUnavailableError and a missing queue into a configuration error', async () => {
    sqs
      .on(SendMessageCommand)
      .rejectsOnce(
        Object.assign(new Error('Rate exceeded'), {
          name: 'ThrottlingException',
          $metadata: { httpStatusCode: 400 },
        }),
      )
      .rejectsOnce(new QueueDoesNotExist({ message: 'The specified queue does not exist.', $metadata: {} }));

    const throttled = await publisher()
      .send('tabular', {})
      .catch((e: unknown) => e);
    const missing = await publisher()
      .send('tabular', {})
      .catch((e: unknown) => e);

    expect(throttled).toBeInstanceOf(DependencyUnavailableError);
    expect(throttled).toMatchObject({ code: 'DEPENDENCY.QUEUE_UNAVAILABLE' });
    expect(missing).toBeInstanceOf(ConfigError);
  });
});
