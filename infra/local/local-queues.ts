import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Context, SQSBatchResponse, SQSEvent, SQSMessageAttributes, SQSRecord } from 'aws-lambda';
import { WORK_QUEUES, type WorkQueue } from '../../shared/kernel/work-queues';
import { PayloadTooLargeError, ValidationError } from '../../shared/kernel/app-error';
import type { Logger } from '../../shared/observability/logger';
import { systemClock, type Clock } from '../../shared/kernel/clock.port';
import type { HealthCheck } from '../../shared/ports/health.port';
import type {
  BatchEntry,
  BatchResult,
  QueuePublisher,
  SendOptions,
  SentMessage,
} from '../../shared/ports/queue.port';

/**
 * In-process queues with the SQS semantics the workers rely on: one queue per modality and one for
 * exports, each with a dead-letter queue; delays; receive with a visibility timeout and a fresh
 * receipt handle; redelivery when a received message is not deleted in time; a move to the DLQ
 * once a message has been received `maxReceiveCount` times. A consumer attached to a queue is driven like a
 * Lambda event source mapping: it receives up to `batchSize` messages, calls the handler with a
 * real-shaped `SQSEvent`, deletes what succeeded and leaves the rest (partial batch failures via
 * `batchItemFailures`; a thrown error fails the whole batch) to come back after the timeout.
 *
 * Pollers never spin: they sleep on a promise woken by a send, by `tick()`, or by one timer per
 * queue set for the next delay/visibility expiry. Deadlines come from the injected clock, so a
 * test with a fixed clock moves time and calls `tick()`.
 */

/** SQS limits (the historical 256 KiB message size, which also bounds one batch). */
export const MAX_MESSAGE_BYTES = 256 * 1024;
export const MAX_BATCH_ENTRIES = 10;
export const MAX_DELAY_SECONDS = 900;
const MAX_VISIBILITY_SECONDS = 43_200;
const MAX_TIMER_MS = 2_147_483_647;

export type SqsHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse | void>;

export interface ConsumerOptions {
  /** Messages per invocation, 1–10 (default 10). */
  batchSize?: number;
  /** How long a received message stays hidden (default 30 s, like SQS). */
  visibilityTimeoutSeconds?: number;
  /** Receives before a message goes to the DLQ (default: the queues' `maxReceiveCount`). */
  maxReceiveCount?: number;
  /** Handler invocations running at once for this queue (default 1). */
  concurrency?: number;
  /** Function name used in the Lambda context (default `pipeweave-{queue}-worker`). */
  functionName?: string;
}

export interface ReceivedMessage {
  messageId: string;
  receiptHandle: string;
  body: string;
  attributes: Record<string, string>;
  receiveCount: number;
}

export interface QueueStats {
  queue: WorkQueue;
  visible: number;
  inFlight: number;
  delayed: number;
  dlq: number;
}

export interface DeadLetter {
  messageId: string;
  body: string;
  attributes: Record<string, string>;
  receiveCount: number;
  sentAt: Date;
}

export interface LocalQueuesOptions {
  clock?: Clock;
  logger?: Pick<Logger, 'error' | 'warn' | 'debug'>;
  /** Region in ARNs and records (default `local`). */
  region?: string;
  account?: string;
  /** Default redrive threshold for every queue (default 3). */
  maxReceiveCount?: number;
}

interface StoredMessage {
  messageId: string;
  body: string;
  md5OfBody: string;
  attributes: Record<string, string>;
  md5OfMessageAttributes: string | undefined;
  sentAt: number;
  /** Epoch ms (injected clock) at which the message becomes visible. */
  availableAt: number;
  receiveCount: number;
  firstReceiveAt: number | undefined;
  receiptHandle: string | undefined;
  /** A handler is working on it right now: never redeliver or expire it early. */
  processing: boolean;
}

interface Consumer {
  handler: SqsHandler;
  batchSize: number;
  visibilityTimeoutSeconds: number;
  maxReceiveCount: number;
  functionName: string;
  loops: Promise<void>[];
}

interface QueueState {
  name: WorkQueue;
  messages: StoredMessage[];
  dlq: DeadLetter[];
  consumer: Consumer | undefined;
  running: number;
  timer: NodeJS.Timeout | undefined;
  timerAt: number | undefined;
}

export class LocalQueues implements QueuePublisher {
  private readonly clock: Clock;
  private readonly region: string;
  private readonly account: string;
  private readonly defaultMaxReceiveCount: number;
  private readonly queues = new Map<WorkQueue, QueueState>();
  private wakeWaiters: (() => void)[] = [];
  private stopped = false;

  constructor(private readonly options: LocalQueuesOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.region = options.region ?? 'local';
    this.account = options.account ?? '000000000000';
    this.defaultMaxReceiveCount = options.maxReceiveCount ?? 3;
    for (const name of WORK_QUEUES) {
      this.queues.set(name, {
        name,
        messages: [],
        dlq: [],
        consumer: undefined,
        running: 0,
        timer: undefined,
        timerAt: undefined,
      });
    }
  }

  queueArn(queue: WorkQueue): string {
    return `arn:aws:sqs:${this.region}:${this.account}:pipeweave-${queue}`;
  }

  deadLetterQueueArn(queue: WorkQueue): string {
    return `${this.queueArn(queue)}-dlq`;
  }

  async send(queue: WorkQueue, body: unknown, options: SendOptions = {}): Promise<SentMessage> {
    const message = this.prepare(queue, body, options);
    this.enqueue(queue, [message]);
    return { messageId: message.messageId };
  }

  /**
   * Sends in chunks of at most 10 entries and 256 KiB, as separate SendMessageBatch calls would.
   * Entry ids must be unique and match SQS's pattern; an entry whose own size is over the limit is
   * reported in `failed` (the others are sent).
   */
  async sendBatch(queue: WorkQueue, entries: BatchEntry[]): Promise<BatchResult> {
    this.state(queue);
    if (entries.length === 0) {
      throw new ValidationError('A batch needs at least one entry.', {
        code: 'QUEUE.EMPTY_BATCH',
        field: 'entries',
      });
    }
    const ids = new Set<string>();
    for (const entry of entries) {
      if (!/^[A-Za-z0-9_-]{1,80}$/.test(entry.id)) {
        throw new ValidationError(`Batch entry id "${entry.id}" must be 1–80 letters, digits, "-" or "_".`, {
          code: 'QUEUE.INVALID_BATCH_ENTRY_ID',
          field: 'entries.id',
        });
      }
      if (ids.has(entry.id)) {
        throw new ValidationError(`Batch entry id "${entry.id}" is used more than once.`, {
          code: 'QUEUE.BATCH_ENTRY_IDS_NOT_DISTINCT',
          field: 'entries.id',
        });
      }
      ids.add(entry.id);
    }

    const result: BatchResult = { successful: [], failed: [] };
    let chunk: { id: string; message: StoredMessage; bytes: number }[] = [];
    let chunkBytes = 0;
    const flush = () => {
      if (chunk.length === 0) return;
      this.enqueue(
        queue,
        chunk.map((c) => c.message),
      );
      for (const c of chunk) result.successful.push({ id: c.id, messageId: c.message.messageId });
      chunk = [];
      chunkBytes = 0;
    };
    for (const entry of entries) {
      let message: StoredMessage;
      try {
        message = this.prepare(queue, entry.body, entry.options ?? {});
      } catch (error) {
        if (error instanceof PayloadTooLargeError || error instanceof ValidationError) {
          result.failed.push({ id: entry.id, code: error.code, message: error.message });
          continue;
        }
        throw error;
      }
      const bytes = messageBytes(message);
      if (chunk.length === MAX_BATCH_ENTRIES || chunkBytes + bytes > MAX_MESSAGE_BYTES) flush();
      chunk.push({ id: entry.id, message, bytes });
      chunkBytes += bytes;
    }
    flush();
    return result;
  }

  /** ReceiveMessage: up to `maxMessages` visible messages, hidden for the visibility timeout. */
  receive(
    queue: WorkQueue,
    options: { maxMessages?: number; visibilityTimeoutSeconds?: number; maxReceiveCount?: number } = {},
  ): ReceivedMessage[] {
    const state = this.state(queue);
    const max = options.maxMessages ?? 1;
    if (!Number.isInteger(max) || max < 1 || max > MAX_BATCH_ENTRIES) {
      throw new ValidationError(`maxMessages must be 1–${MAX_BATCH_ENTRIES}.`, {
        code: 'QUEUE.INVALID_RECEIVE',
        field: 'maxMessages',
      });
    }
    const received = this.take(
      state,
      max,
      options.visibilityTimeoutSeconds ?? 30,
      options.maxReceiveCount ?? state.consumer?.maxReceiveCount ?? this.defaultMaxReceiveCount,
    );
    return received.map((m) => ({
      messageId: m.messageId,
      receiptHandle: m.receiptHandle ?? '',
      body: m.body,
      attributes: { ...m.attributes },
      receiveCount: m.receiveCount,
    }));
  }

  /** DeleteMessage; false when the handle is stale (the message was received again since) or unknown. */
  deleteMessage(queue: WorkQueue, receiptHandle: string): boolean {
    const state = this.state(queue);
    const index = state.messages.findIndex((m) => m.receiptHandle === receiptHandle);
    if (index < 0) return false;
    state.messages.splice(index, 1);
    this.changed(state);
    return true;
  }

  /** ChangeMessageVisibility: 0 makes the message visible again at once. */
  changeMessageVisibility(
    queue: WorkQueue,
    receiptHandle: string,
    visibilityTimeoutSeconds: number,
  ): boolean {
    const state = this.state(queue);
    assertSeconds(visibilityTimeoutSeconds, MAX_VISIBILITY_SECONDS, 'visibilityTimeoutSeconds');
    const message = state.messages.find((m) => m.receiptHandle === receiptHandle);
    if (!message) return false;
    message.availableAt = this.clock.now().getTime() + visibilityTimeoutSeconds * 1000;
    this.changed(state);
    return true;
  }

  /** Messages that reached the DLQ, oldest first (copies). */
  deadLetters(queue: WorkQueue): DeadLetter[] {
    return this.state(queue).dlq.map((m) => ({
      ...m,
      attributes: { ...m.attributes },
      sentAt: new Date(m.sentAt),
    }));
  }

  /** Attaches the Lambda-style consumer of a queue (one per queue) and starts polling. */
  attachConsumer(queue: WorkQueue, handler: SqsHandler, options: ConsumerOptions = {}): void {
    const state = this.state(queue);
    if (this.stopped) throw new Error('The local queues are stopped.');
    if (state.consumer) throw new Error(`Queue "${queue}" already has a consumer.`);
    const batchSize = options.batchSize ?? 10;
    if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > MAX_BATCH_ENTRIES) {
      throw new ValidationError(`batchSize must be 1–${MAX_BATCH_ENTRIES}.`, {
        code: 'QUEUE.INVALID_CONSUMER',
        field: 'batchSize',
      });
    }
    const visibilityTimeoutSeconds = options.visibilityTimeoutSeconds ?? 30;
    assertSeconds(visibilityTimeoutSeconds, MAX_VISIBILITY_SECONDS, 'visibilityTimeoutSeconds');
    const maxReceiveCount = options.maxReceiveCount ?? this.defaultMaxReceiveCount;
    if (!Number.isInteger(maxReceiveCount) || maxReceiveCount < 1) {
      throw new ValidationError('maxReceiveCount must be a positive whole number.', {
        code: 'QUEUE.INVALID_CONSUMER',
        field: 'maxReceiveCount',
      });
    }
    const consumer: Consumer = {
      handler,
      batchSize,
      visibilityTimeoutSeconds,
      maxReceiveCount,
      functionName: options.functionName ?? `pipeweave-${queue}-worker`,
      loops: [],
    };
    state.consumer = consumer;
    const concurrency = Math.max(1, options.concurrency ?? 1);
    for (let i = 0; i < concurrency; i++) consumer.loops.push(this.poll(state, consumer));
  }

  stats(): QueueStats[] {
    const now = this.clock.now().getTime();
    return [...this.queues.values()].map((state) => {
      let visible = 0;
      let inFlight = 0;
      let delayed = 0;
      for (const m of state.messages) {
        if (m.processing || (m.receiptHandle !== undefined && m.availableAt > now)) inFlight++;
        else if (m.availableAt > now) delayed++;
        else visible++;
      }
      return { queue: state.name, visible, inFlight, delayed, dlq: state.dlq.length };
    });
  }

  healthCheck(): HealthCheck {
    return {
      name: 'queues',
      check: async () => {
        const stats = this.stats();
        const sum = (key: 'visible' | 'inFlight' | 'delayed' | 'dlq') =>
          stats.reduce((n, s) => n + s[key], 0);
        return {
          status: this.stopped ? 'down' : 'up',
          detail: `${stats.length} queues, ${sum('visible')} waiting, ${sum('inFlight')} in flight, ${sum('delayed')} delayed, ${sum('dlq')} dead-lettered`,
        };
      },
    };
  }

  /** Re-reads the clock: makes due delayed/expired messages available and wakes pollers. */
  tick(): void {
    for (const state of this.queues.values()) this.changed(state);
  }

  /**
   * Resolves when every queue that has a consumer holds no message (waiting, delayed or in
   * flight) and no handler is running. Messages in DLQs and queues without a consumer do not
   * count. Rejects after `timeoutMs` with the queue stats.
   */
  async whenIdle(options: { timeoutMs?: number } = {}): Promise<void> {
    const deadline = Date.now() + (options.timeoutMs ?? 10_000);
    while (!this.isIdle()) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`Queues are still busy: ${JSON.stringify(this.stats())}`);
      await this.nextChange(left);
    }
  }

  /**
   * For tests: delivers delayed messages and redelivers unacknowledged ones now instead of after
   * their timers (messages whose handler is still running are left alone), until idle.
   */
  async drain(options: { timeoutMs?: number } = {}): Promise<void> {
    const deadline = Date.now() + (options.timeoutMs ?? 10_000);
    for (;;) {
      for (const state of this.queues.values()) {
        if (!state.consumer) continue;
        const now = this.clock.now().getTime();
        for (const m of state.messages) if (!m.processing && m.availableAt > now) m.availableAt = now;
        this.changed(state);
      }
      if (this.isIdle()) return;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`Queues did not drain: ${JSON.stringify(this.stats())}`);
      await this.nextChange(left);
    }
  }

  /** Stops polling and waits for running handlers; unprocessed messages stay in the queues. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const state of this.queues.values()) {
      if (state.timer) clearTimeout(state.timer);
      state.timer = undefined;
      state.timerAt = undefined;
    }
    this.wake();
    const loops = [...this.queues.values()].flatMap((s) => s.consumer?.loops ?? []);
    await Promise.all(loops);
  }

  private state(queue: WorkQueue): QueueState {
    const state = this.queues.get(queue);
    if (!state) {
      throw new ValidationError(`Unknown queue "${String(queue)}" (known: ${WORK_QUEUES.join(', ')}).`, {
        code: 'QUEUE.UNKNOWN',
        field: 'queue',
      });
    }
    return state;
  }

  private prepare(queue: WorkQueue, body: unknown, options: SendOptions): StoredMessage {
    this.state(queue);
    const text = JSON.stringify(body);
    if (text === undefined) {
      throw new ValidationError('A message body must be JSON-serialisable.', {
        code: 'QUEUE.INVALID_BODY',
        field: 'body',
      });
    }
    const delaySeconds = options.delaySeconds ?? 0;
    assertSeconds(delaySeconds, MAX_DELAY_SECONDS, 'delaySeconds');
    const attributes = { ...(options.attributes ?? {}) };
    const now = this.clock.now().getTime();
    const message: StoredMessage = {
      messageId: randomUUID(),
      body: text,
      md5OfBody: md5(text),
      attributes,
      md5OfMessageAttributes:
        Object.keys(attributes).length > 0 ? md5OfMessageAttributes(attributes) : undefined,
      sentAt: now,
      availableAt: now + delaySeconds * 1000,
      receiveCount: 0,
      firstReceiveAt: undefined,
      receiptHandle: undefined,
      processing: false,
    };
    const bytes = messageBytes(message);
    if (bytes > MAX_MESSAGE_BYTES) {
      throw new PayloadTooLargeError(
        'QUEUE.MESSAGE_TOO_LARGE',
        `The message is ${bytes} bytes (body and attributes); SQS accepts at most ${MAX_MESSAGE_BYTES}. Put the data in the object store and send its key.`,
      );
    }
    return message;
  }

  private enqueue(queue: WorkQueue, messages: StoredMessage[]): void {
    const state = this.state(queue);
    state.messages.push(...messages);
    this.changed(state);
  }

  private take(
    state: QueueState,
    max: number,
    visibilityTimeoutSeconds: number,
    maxReceiveCount: number,
  ): StoredMessage[] {
    const now = this.clock.now().getTime();
    const taken: StoredMessage[] = [];
    for (let i = 0; i < state.messages.length && taken.length < max;) {
      const m = state.messages[i];
      if (!m || m.processing || m.availableAt > now) {
        i++;
        continue;
      }
      if (m.receiveCount >= maxReceiveCount) {
        // The redrive policy: the receive that would exceed maxReceiveCount moves it instead.
        state.messages.splice(i, 1);
        state.dlq.push({
          messageId: m.messageId,
          body: m.body,
          attributes: { ...m.attributes },
          receiveCount: m.receiveCount,
          sentAt: new Date(m.sentAt),
        });
        this.options.logger?.warn('Message moved to the dead-letter queue', {
          queue: state.name,
          messageId: m.messageId,
          receiveCount: m.receiveCount,
        });
        continue;
      }
      m.receiveCount++;
      m.firstReceiveAt ??= now;
      m.receiptHandle = randomBytes(24).toString('base64url');
      m.availableAt = now + visibilityTimeoutSeconds * 1000;
      taken.push(m);
      i++;
    }
    if (taken.length > 0) this.changed(state);
    return taken;
  }

  private async poll(state: QueueState, consumer: Consumer): Promise<void> {
    while (!this.stopped) {
      const batch = this.take(
        state,
        consumer.batchSize,
        consumer.visibilityTimeoutSeconds,
        consumer.maxReceiveCount,
      );
      if (batch.length === 0) {
        await this.nextChange();
        continue;
      }
      for (const m of batch) m.processing = true;
      state.running++;
      try {
        const failed = await this.invoke(state, consumer, batch);
        for (const m of batch) {
          m.processing = false;
          // Deleting by the handle of this delivery, as the event source mapping does.
          if (!failed.has(m.messageId)) this.removeByHandle(state, m);
        }
      } finally {
        for (const m of batch) m.processing = false;
        state.running--;
        this.changed(state);
      }
    }
  }

  /** Runs the handler; returns the ids of messages that must be retried. */
  private async invoke(state: QueueState, consumer: Consumer, batch: StoredMessage[]): Promise<Set<string>> {
    const event: SQSEvent = { Records: batch.map((m) => this.record(state, m)) };
    const all = new Set(batch.map((m) => m.messageId));
    try {
      const response = await consumer.handler(
        event,
        lambdaContext(consumer.functionName, this.region, this.account, consumer.visibilityTimeoutSeconds),
      );
      const failures = response?.batchItemFailures ?? [];
      const failed = new Set<string>();
      for (const failure of failures) {
        // Lambda treats an unknown or empty identifier as a failure of the whole batch.
        if (!failure.itemIdentifier || !all.has(failure.itemIdentifier)) {
          this.options.logger?.error('Invalid batchItemFailures: retrying the whole batch', {
            queue: state.name,
            itemIdentifier: failure.itemIdentifier,
          });
          return all;
        }
        failed.add(failure.itemIdentifier);
      }
      return failed;
    } catch (error) {
      this.options.logger?.error('Queue handler failed: the whole batch will be retried', {
        queue: state.name,
        error,
      });
      return all;
    }
  }

  private record(state: QueueState, m: StoredMessage): SQSRecord {
    const record: SQSRecord = {
      messageId: m.messageId,
      receiptHandle: m.receiptHandle ?? '',
      body: m.body,
      attributes: {
        ApproximateReceiveCount: String(m.receiveCount),
        SentTimestamp: String(m.sentAt),
        SenderId: this.account,
        ApproximateFirstReceiveTimestamp: String(m.firstReceiveAt ?? m.sentAt),
      },
      messageAttributes: toRecordAttributes(m.attributes),
      md5OfBody: m.md5OfBody,
      eventSource: 'aws:sqs',
      eventSourceARN: this.queueArn(state.name),
      awsRegion: this.region,
    };
    if (m.md5OfMessageAttributes) record.md5OfMessageAttributes = m.md5OfMessageAttributes;
    return record;
  }

  private removeByHandle(state: QueueState, m: StoredMessage): void {
    const index = state.messages.indexOf(m);
    if (index >= 0 && state.messages[index]?.receiptHandle === m.receiptHandle)
      state.messages.splice(index, 1);
  }

  private isIdle(): boolean {
    for (const state of this.queues.values()) {
      if (!state.consumer) continue;
      if (state.running > 0 || state.messages.length > 0) return false;
    }
    return true;
  }

  /** Something changed in `state`: wake waiters and re-arm the expiry timer. */
  private changed(state: QueueState): void {
    this.wake();
    if (this.stopped) return;
    const now = this.clock.now().getTime();
    let next: number | undefined;
    for (const m of state.messages) {
      if (!m.processing && m.availableAt > now && (next === undefined || m.availableAt < next))
        next = m.availableAt;
    }
    if (next === state.timerAt) return;
    if (state.timer) clearTimeout(state.timer);
    state.timer = undefined;
    state.timerAt = next;
    if (next === undefined) return;
    state.timer = setTimeout(
      () => {
        state.timer = undefined;
        state.timerAt = undefined;
        this.changed(state);
      },
      Math.min(MAX_TIMER_MS, next - now),
    );
    state.timer.unref();
  }

  private wake(): void {
    const waiters = this.wakeWaiters;
    this.wakeWaiters = [];
    for (const resolve of waiters) resolve();
  }

  private nextChange(timeoutMs?: number): Promise<void> {
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const done = () => {
        if (timer) clearTimeout(timer);
        resolve();
      };
      this.wakeWaiters.push(done);
      if (timeoutMs !== undefined) timer = setTimeout(done, timeoutMs);
    });
  }
}

function assertSeconds(value: number, max: number, field: string): void {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new ValidationError(`${field} must be a whole number of seconds from 0 to ${max}.`, {
      code: 'QUEUE.INVALID_SECONDS',
      field,
    });
  }
}

function md5(text: string | Buffer): string {
  return createHash('md5').update(text).digest('hex');
}

function messageBytes(m: StoredMessage): number {
  let bytes = Buffer.byteLength(m.body, 'utf8');
  // SQS counts attribute names, types and values towards the limit.
  for (const [name, value] of Object.entries(m.attributes)) {
    bytes += Buffer.byteLength(name, 'utf8') + 'String'.length + Buffer.byteLength(value, 'utf8');
  }
  return bytes;
}

function toRecordAttributes(attributes: Record<string, string>): SQSMessageAttributes {
  const out: SQSMessageAttributes = {};
  for (const [name, value] of Object.entries(attributes)) {
    out[name] = { stringValue: value, stringListValues: [], binaryListValues: [], dataType: 'String' };
  }
  return out;
}

/** SQS's MD5 of message attributes: length-prefixed name, type, transport byte and value, sorted by name. */
function md5OfMessageAttributes(attributes: Record<string, string>): string {
  const parts: Buffer[] = [];
  const lengthPrefixed = (text: string) => {
    const bytes = Buffer.from(text, 'utf8');
    const length = Buffer.alloc(4);
    length.writeUInt32BE(bytes.length);
    parts.push(length, bytes);
  };
  for (const name of Object.keys(attributes).sort()) {
    lengthPrefixed(name);
    lengthPrefixed('String');
    parts.push(Buffer.from([1]));
    lengthPrefixed(attributes[name] ?? '');
  }
  return md5(Buffer.concat(parts));
}

/** A Lambda `Context` for a locally invoked handler (callback-style completion is not supported). */
export function lambdaContext(
  functionName: string,
  region: string,
  account: string,
  timeoutSeconds: number,
): Context {
  const startedAt = Date.now();
  const requestId = randomUUID();
  const day = new Date(startedAt).toISOString().slice(0, 10).replaceAll('-', '/');
  const callbackStyle = () => {
    throw new Error(
      'PipeWeave handlers are async: return a value or throw instead of calling done/succeed/fail.',
    );
  };
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${region}:${account}:function:${functionName}`,
    memoryLimitInMB: '1024',
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: `${day}/[$LATEST]${requestId.replaceAll('-', '')}`,
    getRemainingTimeInMillis: () => Math.max(0, startedAt + timeoutSeconds * 1000 - Date.now()),
    done: callbackStyle,
    fail: callbackStyle,
    succeed: callbackStyle,
  };
}
