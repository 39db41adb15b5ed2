import { createHash } from 'node:crypto';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { afterEach, describe, expect, it } from 'vitest';
import { LocalQueues, MAX_MESSAGE_BYTES } from '../../../../infra/local/local-queues';
import { PayloadTooLargeError, ValidationError } from '../../../../shared/kernel/app-error';
import { fixedClock } from '../../../../shared/kernel/clock.port';
import type { BatchEntry } from '../../../../shared/ports/queue.port';

/** Records handler calls and lets a test await the n-th one without sleeping. */
function recorder(
  respond: (event: SQSEvent, call: number) => SQSBatchResponse | void | Promise<SQSBatchResponse | void>,
) {
  const calls: { event: SQSEvent; context: Context }[] = [];
  const waiting: { count: number; resolve: () => void }[] = [];
  const handler = async (event: SQSEvent, context: Context) => {
    calls.push({ event, context });
    for (const w of waiting.filter((w) => calls.length >= w.count)) w.resolve();
    return respond(event, calls.length);
  };
  const untilCalls = (count: number) =>
    calls.length >= count
      ? Promise.resolve()
      : new Promise<void>((resolve) => waiting.push({ count, resolve }));
  const bodies = (call: number) => calls[call]?.event.Records.map((r) => JSON.parse(r.body) as unknown) ?? [];
  return { handler, calls, untilCalls, bodies };
}

let queues: LocalQueues | undefined;
afterEach(async () => {
  await queues?.stop();
  queues = undefined;
});

describe('LocalQueues consumer', () => {
  it('delivers a real-shaped SQS event and deletes handled messages', async () => {
    const clock = fixedClock('2026-03-01T10:00:00Z');
    queues = new LocalQueues({ clock });
    const r = recorder(() => undefined);
    queues.attachConsumer('tabular', r.handler, { batchSize: 10, visibilityTimeoutSeconds: 60 });

    await queues.send('tabular', { versionId: 'v1' }, { attributes: { kind: 'upload' } });
    await r.untilCalls(1);
    await queues.whenIdle();

    const record = r.calls[0]?.event.Records[0];
    expect(record).toMatchObject({
      body: '{"versionId":"v1"}',
      md5OfBody: createHash('md5').update('{"versionId":"v1"}').digest('hex'),
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:local:000000000000:pipeweave-tabular',
      awsRegion: 'local',
      attributes: {
        ApproximateReceiveCount: '1',
        SentTimestamp: String(Date.parse('2026-03-01T10:00:00Z')),
        ApproximateFirstReceiveTimestamp: String(Date.parse('2026-03-01T10:00:00Z')),
        SenderId: '000000000000',
      },
      messageAttributes: { kind: { stringValue: 'upload', dataType: 'String' } },
    });
    expect(record?.messageId).toMatch(/^[0-9a-f-]{36}$/);
    expect(record?.receiptHandle.length).toBeGreaterThan(20);
    expect(record?.md5OfMessageAttributes).toMatch(/^[0-9a-f]{32}$/);
    expect(r.calls[0]?.context.functionName).toBe('pipeweave-tabular-worker');
    expect(r.calls[0]?.context.getRemainingTimeInMillis()).toBeGreaterThan(0);
    expect(queues.stats().find((s) => s.queue === 'tabular')).toEqual({
      queue: 'tabular',
      visible: 0,
      inFlight: 0,
      delayed: 0,
      dlq: 0,
    });
  });

  it('redelivers a message after the visibility timeout when the handler throws', async () => {
    const clock = fixedClock('2026-03-01T10:00:00Z');
    queues = new LocalQueues({ clock });
    const r = recorder((_event, call) => {
      if (call === 1) throw new Error('database unavailable');
    });
    queues.attachConsumer('text', r.handler, { visibilityTimeoutSeconds: 30, maxReceiveCount: 5 });

    await queues.send('text', { id: 1 });
    await r.untilCalls(1);
    // Hidden while the visibility timeout runs: the tick before expiry does not redeliver.
    await waitFor(() => queues?.stats().find((s) => s.queue === 'text')?.inFlight === 1);
    clock.advance(29_000);
    queues.tick();
    expect(r.calls).toHaveLength(1);

    clock.advance(1_000);
    queues.tick();
    await r.untilCalls(2);
    await queues.whenIdle();

    expect(r.calls[1]?.event.Records[0]?.attributes.ApproximateReceiveCount).toBe('2');
    expect(r.calls[1]?.event.Records[0]?.attributes.ApproximateFirstReceiveTimestamp).toBe(
      String(Date.parse('2026-03-01T10:00:00Z')),
    );
    expect(r.calls[1]?.event.Records[0]?.receiptHandle).not.toBe(r.calls[0]?.event.Records[0]?.receiptHandle);
  });

  it('retries only the messages reported in batchItemFailures', async () => {
    queues = new LocalQueues();
    const r = recorder((event, call) => {
      if (call > 1) return { batchItemFailures: [] };
      const bad = event.Records.find((rec) => (JSON.parse(rec.body) as { n: number }).n === 2);
      return { batchItemFailures: bad ? [{ itemIdentifier: bad.messageId }] : [] };
    });
    await queues.sendBatch(
      'image',
      [1, 2, 3].map((n) => ({ id: `m${n}`, body: { n } })),
    );
    queues.attachConsumer('image', r.handler, { batchSize: 10, visibilityTimeoutSeconds: 0 });

    await r.untilCalls(2);
    await queues.whenIdle();

    expect(r.bodies(0)).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
    expect(r.bodies(1)).toEqual([{ n: 2 }]);
    expect(r.calls).toHaveLength(2);
    expect(queues.deadLetters('image')).toEqual([]);
  });

  it('dead-letters a poison message after maxReceiveCount while the rest of its batch succeeds', async () => {
    queues = new LocalQueues();
    const r = recorder((event) => ({
      batchItemFailures: event.Records.filter(
        (rec) => (JSON.parse(rec.body) as { poison?: boolean }).poison,
      ).map((rec) => ({ itemIdentifier: rec.messageId })),
    }));
    await queues.sendBatch('audio', [
      { id: 'a', body: { n: 1 } },
      { id: 'b', body: { poison: true } },
      { id: 'c', body: { n: 3 } },
    ]);
    queues.attachConsumer('audio', r.handler, { visibilityTimeoutSeconds: 0, maxReceiveCount: 3 });

    await queues.whenIdle();

    expect(r.calls).toHaveLength(3);
    expect(r.bodies(0)).toEqual([{ n: 1 }, { poison: true }, { n: 3 }]);
    expect(r.bodies(1)).toEqual([{ poison: true }]);
    expect(r.bodies(2)).toEqual([{ poison: true }]);
    const dead = queues.deadLetters('audio');
    expect(dead.map((d) => [d.body, d.receiveCount])).toEqual([['{"poison":true}', 3]]);
    expect(queues.stats().find((s) => s.queue === 'audio')).toMatchObject({
      visible: 0,
      inFlight: 0,
      dlq: 1,
    });
    expect((await queues.healthCheck().check()).detail).toContain('1 dead-lettered');
  });

  it('retries the whole batch when batchItemFailures names an unknown message', async () => {
    queues = new LocalQueues();
    const r = recorder((_e, call) =>
      call === 1 ? { batchItemFailures: [{ itemIdentifier: 'nope' }] } : undefined,
    );
    await queues.sendBatch('video', [
      { id: 'a', body: 1 },
      { id: 'b', body: 2 },
    ]);
    queues.attachConsumer('video', r.handler, { visibilityTimeoutSeconds: 0 });
    await r.untilCalls(2);
    await queues.whenIdle();
    expect(r.bodies(1)).toEqual([1, 2]);
  });

  it('holds a delayed message until its delay has passed', async () => {
    const clock = fixedClock('2026-03-01T10:00:00Z');
    queues = new LocalQueues({ clock });
    const r = recorder(() => undefined);
    queues.attachConsumer('timeseries', r.handler);

    await queues.send('timeseries', { late: true }, { delaySeconds: 120 });
    await queues.send('timeseries', { late: false });
    await r.untilCalls(1);
    expect(r.bodies(0)).toEqual([{ late: false }]);
    await waitFor(() => queues?.stats().find((s) => s.queue === 'timeseries')?.delayed === 1);

    clock.advance(119_000);
    queues.tick();
    expect(r.calls).toHaveLength(1);
    clock.advance(1_000);
    queues.tick();
    await r.untilCalls(2);
    expect(r.bodies(1)).toEqual([{ late: true }]);
  });

  it('drain() delivers delays and redeliveries without waiting for their timers', async () => {
    queues = new LocalQueues();
    const r = recorder((_e, call) => {
      if (call === 1) throw new Error('transient');
    });
    queues.attachConsumer('seismic', r.handler, { visibilityTimeoutSeconds: 600 });
    await queues.send('seismic', { id: 's' }, { delaySeconds: 900 });
    await queues.drain();
    expect(r.calls.map((c) => c.event.Records[0]?.attributes.ApproximateReceiveCount)).toEqual(['1', '2']);
  });

  it('stop() waits for a running handler', async () => {
    queues = new LocalQueues();
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let finished = false;
    const r = recorder(async () => {
      await gate;
      finished = true;
    });
    queues.attachConsumer('tabular', r.handler);
    await queues.send('tabular', {});
    await r.untilCalls(1);
    const stopping = queues.stop();
    release();
    await stopping;
    expect(finished).toBe(true);
  });
});

describe('LocalQueues send limits and receive', () => {
  it('rejects a message over 256 KiB with a clear error', async () => {
    queues = new LocalQueues();
    const big = 'x'.repeat(MAX_MESSAGE_BYTES);
    await expect(queues.send('tabular', big)).rejects.toThrow(PayloadTooLargeError);
    await expect(queues.send('tabular', big)).rejects.toThrow(/at most 262144/);
    // The JSON quotes push a 262,142-character string to exactly the limit.
    await expect(queues.send('tabular', 'x'.repeat(MAX_MESSAGE_BYTES - 2))).resolves.toHaveProperty(
      'messageId',
    );
  });

  it('splits batches into SQS-sized calls and reports oversize entries on their own', async () => {
    queues = new LocalQueues();
    const entries: BatchEntry[] = Array.from({ length: 25 }, (_, i) => ({ id: `e${i}`, body: { i } }));
    entries.splice(7, 0, { id: 'huge', body: { blob: 'y'.repeat(MAX_MESSAGE_BYTES) } });
    const result = await queues.sendBatch('text', entries);
    expect(result.successful).toHaveLength(25);
    expect(result.failed).toEqual([
      { id: 'huge', code: 'QUEUE.MESSAGE_TOO_LARGE', message: expect.stringContaining('262144') },
    ]);
    expect(queues.stats().find((s) => s.queue === 'text')?.visible).toBe(25);
  });

  it('rejects empty batches, duplicate ids and bad ids', async () => {
    queues = new LocalQueues();
    await expect(queues.sendBatch('text', [])).rejects.toThrow(ValidationError);
    await expect(
      queues.sendBatch('text', [
        { id: 'a', body: 1 },
        { id: 'a', body: 2 },
      ]),
    ).rejects.toThrow(/more than once/);
    await expect(queues.sendBatch('text', [{ id: 'has space', body: 1 }])).rejects.toThrow(/letters, digits/);
    await expect(queues.send('text', 1, { delaySeconds: 901 })).rejects.toThrow(/0 to 900/);
    expect(() => queues?.attachConsumer('text', async () => undefined, { batchSize: 11 })).toThrow(
      /batchSize/,
    );
  });

  it('receive hides messages, stale receipt handles do not delete, and the DLQ takes the last receive', () => {
    const clock = fixedClock('2026-03-01T10:00:00Z');
    queues = new LocalQueues({ clock });
    void queues.send('image', { n: 1 });

    const first = queues.receive('image', { visibilityTimeoutSeconds: 10, maxReceiveCount: 2 });
    expect(first).toHaveLength(1);
    expect(queues.receive('image', { maxReceiveCount: 2 })).toEqual([]);

    clock.advance(10_000);
    const second = queues.receive('image', { visibilityTimeoutSeconds: 10, maxReceiveCount: 2 });
    expect(second[0]?.receiveCount).toBe(2);
    expect(queues.deleteMessage('image', first[0]?.receiptHandle ?? '')).toBe(false);

    clock.advance(10_000);
    expect(queues.receive('image', { maxReceiveCount: 2 })).toEqual([]);
    expect(queues.deadLetters('image')).toHaveLength(1);
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setImmediate(resolve));
  }
}
