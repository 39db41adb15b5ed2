import {
  SendMessageBatchCommand,
  SendMessageCommand,
  type MessageAttributeValue,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { ConfigError, type WorkQueue } from '../../config/config';
import { DependencyUnavailableError, ValidationError } from '../../kernel/app-error';
import type {
  BatchEntry,
  BatchResult,
  QueuePublisher,
  SendOptions,
  SentMessage,
} from '../../ports/queue.port';
import { errorName, translateCommonAwsError } from './aws-errors';

export interface SqsQueuePublisherOptions {
  client: SQSClient;
  /** URL of each work queue (config `queues`, from PW_QUEUE_URLS). */
  queueUrls: Partial<Record<WorkQueue, string>>;
}

/** SQS accepts at most 10 entries per SendMessageBatch. */
const BATCH_LIMIT = 10;
/** SQS message size limit (body plus attributes). */
const MAX_MESSAGE_BYTES = 256 * 1024;

/** Work queues on SQS: JSON bodies, one queue per data modality and one for exports. */
export class SqsQueuePublisher implements QueuePublisher {
  readonly #client: SQSClient;
  readonly #queueUrls: Partial<Record<WorkQueue, string>>;

  constructor(options: SqsQueuePublisherOptions) {
    this.#client = options.client;
    this.#queueUrls = options.queueUrls;
  }

  async send(queue: WorkQueue, body: unknown, options: SendOptions = {}): Promise<SentMessage> {
    const QueueUrl = this.#url(queue);
    const MessageBody = encodeBody(body);
    try {
      const out = await this.#client.send(
        new SendMessageCommand({ QueueUrl, MessageBody, ...messageOptions(options) }),
      );
      if (!out.MessageId) throw new Error(`SQS SendMessage to ${queue} returned no MessageId.`);
      return { messageId: out.MessageId };
    } catch (error) {
      throw translateSqsError(error, `SendMessage ${queue}`);
    }
  }

  async sendBatch(queue: WorkQueue, entries: BatchEntry[]): Promise<BatchResult> {
    const QueueUrl = this.#url(queue);
    const ids = new Set<string>();
    for (const entry of entries) {
      if (!/^[A-Za-z0-9_-]{1,80}$/.test(entry.id)) {
        throw new ValidationError(`Batch entry id "${entry.id}" must be 1–80 letters, digits, "-" or "_".`);
      }
      if (ids.has(entry.id)) throw new ValidationError(`Batch entry id "${entry.id}" is used twice.`);
      ids.add(entry.id);
    }
    const result: BatchResult = { successful: [], failed: [] };
    for (let start = 0; start < entries.length; start += BATCH_LIMIT) {
      const chunk = entries.slice(start, start + BATCH_LIMIT);
      const valid: { entry: BatchEntry; body: string }[] = [];
      for (const entry of chunk) {
        try {
          valid.push({ entry, body: encodeBody(entry.body) });
        } catch (error) {
          // One bad entry must not sink its neighbours: report it like SQS reports its own failures.
          result.failed.push({
            id: entry.id,
            code: 'InvalidMessageContents',
            message: error instanceof Error ? error.message : String(error),
          });
        }
      }
      if (valid.length === 0) continue;
      let out;
      try {
        out = await this.#client.send(
          new SendMessageBatchCommand({
            QueueUrl,
            Entries: valid.map(({ entry, body }) => ({
              Id: entry.id,
              MessageBody: body,
              ...messageOptions(entry.options ?? {}),
            })),
          }),
        );
      } catch (error) {
        const translated = translateSqsError(error, `SendMessageBatch ${queue}`);
        if (result.successful.length === 0) throw translated;
        // Earlier chunks were sent: report the rest as failed rather than hide what went out.
        for (const rest of entries.slice(start)) {
          if (!result.failed.some((f) => f.id === rest.id)) {
            result.failed.push({
              id: rest.id,
              code: errorName(error) || 'Error',
              message: translated.message,
            });
          }
        }
        return result;
      }
      for (const ok of out.Successful ?? []) {
        if (ok.Id && ok.MessageId) result.successful.push({ id: ok.Id, messageId: ok.MessageId });
      }
      for (const failed of out.Failed ?? []) {
        result.failed.push({
          id: failed.Id ?? '',
          code: failed.Code ?? 'Unknown',
          message: `${failed.Message ?? 'failed'}${failed.SenderFault ? ' (sender fault)' : ' (SQS fault: retry)'}`,
        });
      }
    }
    return result;
  }

  #url(queue: WorkQueue): string {
    const url = this.#queueUrls[queue];
    if (!url)
      throw new ConfigError(`No URL is configured for the "${queue}" queue: add it to PW_QUEUE_URLS.`);
    return url;
  }
}

function encodeBody(body: unknown): string {
  const text = JSON.stringify(body);
  if (text === undefined) throw new ValidationError('A queue message body must be JSON-serialisable.');
  if (Buffer.byteLength(text, 'utf8') > MAX_MESSAGE_BYTES) {
    throw new ValidationError(
      `A queue message is limited to 256 KiB; put large payloads in object storage and send the key.`,
    );
  }
  return text;
}

function messageOptions(options: SendOptions): {
  DelaySeconds?: number;
  MessageAttributes?: Record<string, MessageAttributeValue>;
} {
  return {
    ...(options.delaySeconds !== undefined
      ? { DelaySeconds: Math.max(0, Math.min(900, Math.floor(options.delaySeconds))) }
      : {}),
    ...(options.attributes && Object.keys(options.attributes).length > 0
      ? {
          MessageAttributes: Object.fromEntries(
            Object.entries(options.attributes).map(([name, value]) => [
              name,
              { DataType: 'String', StringValue: value },
            ]),
          ),
        }
      : {}),
  };
}

function translateSqsError(error: unknown, operation: string): Error {
  const name = errorName(error);
  if (
    name === 'QueueDoesNotExist' ||
    name === 'AWS.SimpleQueueService.NonExistentQueue' ||
    name === 'QueueDoesNotExistException'
  ) {
    return new ConfigError(`${operation}: the configured SQS queue does not exist (check PW_QUEUE_URLS).`, {
      cause: error,
    });
  }
  if (name === 'KmsThrottled' || name === 'RequestThrottled') {
    return new DependencyUnavailableError('queue', `sqs ${operation} was throttled (${name}).`, {
      cause: error,
    });
  }
  return translateCommonAwsError(error, 'queue', 'sqs', operation);
}
