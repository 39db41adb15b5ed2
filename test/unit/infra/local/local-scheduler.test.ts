import { describe, expect, it } from 'vitest';
import type { ScheduledEvent } from 'aws-lambda';
import { LocalScheduler } from '../../../../infra/local/local-scheduler';
import { fixedClock } from '../../../../shared/kernel/clock.port';

type Event = ScheduledEvent<Record<string, unknown>>;

describe('LocalScheduler', () => {
  it('fires a fixed rate schedule with an EventBridge rule event', async () => {
    const clock = fixedClock('2026-03-01T10:00:00Z');
    const scheduler = new LocalScheduler({ clock, region: 'eu-west-1' });
    const events: Event[] = [];
    scheduler.addFixedSchedule('refresh-sweep', 'rate(5 minutes)', async (event) => {
      events.push(event);
    });

    expect(await scheduler.runDue()).toEqual([]);
    clock.advance(5 * 60_000);
    const fired = await scheduler.runDue();

    expect(fired.map((f) => f.name)).toEqual(['refresh-sweep']);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      version: '0',
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      account: '000000000000',
      region: 'eu-west-1',
      time: '2026-03-01T10:05:00Z',
      resources: ['arn:aws:events:eu-west-1:000000000000:rule/refresh-sweep'],
      detail: {},
    });
    expect(events[0]?.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(scheduler.upcoming()).toEqual([
      { name: 'refresh-sweep', nextAt: new Date('2026-03-01T10:10:00Z') },
    ]);
  });

  it('delivers a product schedule payload as the event detail, and stops after delete', async () => {
    const clock = fixedClock('2026-03-01T02:30:00Z');
    const events: Event[] = [];
    const scheduler = new LocalScheduler({ clock, onProductSchedule: async (e) => void events.push(e) });
    await scheduler.upsertSchedule({
      name: 'dataset-refresh-d1',
      expression: 'cron(0 3 * * ? *)',
      payload: { datasetId: 'd1' },
    });
    expect(await scheduler.getSchedule('dataset-refresh-d1')).toMatchObject({
      expression: 'cron(0 3 * * ? *)',
    });

    clock.set('2026-03-01T03:00:00Z');
    await scheduler.runDue();
    expect(events.map((e) => [e.source, e.time, e.detail, e.resources[0]])).toEqual([
      [
        'aws.scheduler',
        '2026-03-01T03:00:00Z',
        { datasetId: 'd1' },
        'arn:aws:scheduler:us-east-1:000000000000:schedule/default/dataset-refresh-d1',
      ],
    ]);

    await scheduler.deleteSchedule('dataset-refresh-d1');
    clock.set('2026-03-02T03:00:00Z');
    await scheduler.runDue();
    expect(events).toHaveLength(1);
    expect(await scheduler.getSchedule('dataset-refresh-d1')).toBeUndefined();
  });

  it('fires an at() schedule once, skips disabled schedules and survives a failing handler', async () => {
    const clock = fixedClock('2026-03-01T00:00:00Z');
    const fired: string[] = [];
    const scheduler = new LocalScheduler({
      clock,
      onProductSchedule: async (e) => {
        fired.push(String(e.detail['n']));
        if (e.detail['n'] === 1) throw new Error('handler bug');
      },
    });
    await scheduler.upsertSchedule({
      name: 'once',
      expression: 'at(2026-03-01T00:10:00)',
      payload: { n: 1 },
    });
    await scheduler.upsertSchedule({
      name: 'off',
      expression: 'rate(1 minute)',
      payload: { n: 2 },
      enabled: false,
    });

    clock.advance(15 * 60_000);
    await scheduler.runDue();
    clock.advance(24 * 3600_000);
    await scheduler.runDue();

    expect(fired).toEqual(['1']);
  });

  it('wakes on its own timer when a schedule falls due', async () => {
    let resolveFired: (event: Event) => void = () => undefined;
    const firedEvent = new Promise<Event>((resolve) => (resolveFired = resolve));
    const scheduler = new LocalScheduler({ onProductSchedule: async (e) => resolveFired(e) });
    // Second precision: at least half a second ahead, at most 1.5 s.
    const at = new Date(Date.now() + 1_500).toISOString().slice(0, 19);
    await scheduler.upsertSchedule({ name: 'soon', expression: `at(${at})`, payload: { ok: true } });
    scheduler.start();
    const event = await firedEvent;
    await scheduler.stop();
    expect(event.detail).toEqual({ ok: true });
    expect(event.time).toBe(`${at}Z`);
  });

  it('rejects a bad expression when the schedule is created', async () => {
    const scheduler = new LocalScheduler();
    await expect(
      scheduler.upsertSchedule({ name: 'x', expression: 'rate(5 minute)', payload: {} }),
    ).rejects.toThrow(/plural/);
    expect(() => scheduler.addFixedSchedule('y', 'cron(0 0 L * ? *)', async () => undefined)).toThrow(/"L"/);
  });
});
