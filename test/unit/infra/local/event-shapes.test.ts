import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { ScheduledEvent, SQSEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { LocalQueues } from '../../../../infra/local/local-queues';
import { LocalScheduler } from '../../../../infra/local/local-scheduler';
import { fixedClock } from '../../../../shared/kernel/clock.port';
import { TEST_EVENTS } from '../../../support/repo-paths';

const EVENTS = TEST_EVENTS;

async function fixture<T>(name: string): Promise<T> {
  return JSON.parse(await readFile(path.join(EVENTS, name), 'utf8')) as T;
}

/** Dotted paths of every leaf, so two events can be compared by shape. */
function shape(value: unknown, prefix = ''): string[] {
  if (Array.isArray(value)) return value.length === 0 ? [`${prefix}[]`] : shape(value[0], `${prefix}[]`);
  if (value !== null && typeof value === 'object') {
    return Object.entries(value)
      .flatMap(([k, v]) => shape(v, prefix ? `${prefix}.${k}` : k))
      .sort();
  }
  return [`${prefix}:${value === null ? 'null' : typeof value}`];
}

describe('local events have the shape AWS delivers', () => {
  it('SQS records from the local poller match a real SQS event record', async () => {
    const real = await fixture<SQSEvent>('sqs-receive-message.json');
    const queues = new LocalQueues({ clock: fixedClock('2026-03-01T10:15:30Z') });
    let received: SQSEvent | undefined;
    const delivered = new Promise<void>((resolve) => {
      queues.attachConsumer('tabular', async (event) => {
        received = event;
        resolve();
      });
    });
    const realRecord = real.Records[0];
    await queues.send('tabular', JSON.parse(realRecord?.body ?? '{}'), { attributes: { source: 'upload' } });
    await delivered;
    await queues.stop();

    const local = received?.Records[0];
    expect(shape(local)).toEqual(shape(realRecord));
    expect(local?.md5OfMessageAttributes).toBe(realRecord?.md5OfMessageAttributes);
    expect(local?.md5OfBody).toBe(realRecord?.md5OfBody);
  });

  it('scheduled events match EventBridge rule and Scheduler events', async () => {
    const rule = await fixture<ScheduledEvent>('eventbridge-scheduled-event.json');
    const schedule = await fixture<ScheduledEvent>('eventbridge-scheduler-event.json');
    const clock = fixedClock('2026-03-01T02:59:00Z');
    const got: ScheduledEvent<Record<string, unknown>>[] = [];
    const scheduler = new LocalScheduler({ clock, onProductSchedule: async (e) => void got.push(e) });
    scheduler.addFixedSchedule('pipeweave-refresh-sweep', 'cron(0 3 * * ? *)', async (e) => void got.push(e));
    await scheduler.upsertSchedule({
      name: 'dataset-refresh-0a1b2c3d-4e5f-4a6b-8c7d-8e9f0a1b2c3d',
      expression: 'cron(0 3 * * ? *)',
      payload: schedule.detail as Record<string, unknown>,
    });
    clock.advance(60_000);
    await scheduler.runDue();

    const byName = (source: string) => got.find((e) => e.source === source);
    expect(shape(byName('aws.events'))).toEqual(shape(rule));
    expect(shape(byName('aws.scheduler'))).toEqual(shape(schedule));
    expect(byName('aws.events')?.time).toBe(rule.time);
  });
});
