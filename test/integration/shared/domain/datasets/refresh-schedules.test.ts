import type { ScheduledEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeRefreshDatasetsHandler } from '../../../../../functions/schedules/refresh-datasets/refresh-datasets-handler';
import { createDataset } from '../../../../../shared/domain/datasets/create-dataset';
import { deleteDataset, updateDatasetDetails } from '../../../../../shared/domain/datasets/manage-dataset';
import { refreshScheduleName } from '../../../../../shared/domain/datasets/refresh/refresh-source';
import { DependencyUnavailableError } from '../../../../../shared/kernel/app-error';
import type { Caller } from '../../../../../shared/http/route';
import type { ScheduleRequest, Scheduler } from '../../../../../shared/ports/scheduler.port';
import { RecordingLogger } from '../../../../unit/support/http-test-services';
import { createTestDatabase, type TestDatabase } from '../../../support/database';
import { createTestUser } from '../../../support/fixtures';
import { refreshServices } from '../../../support/refresh-test-support';

/**
 * Per-dataset schedules follow the datasets' refresh settings: PATCH and DELETE sync at once, a
 * Scheduler failure there is logged (the change stays committed), and the refresh sweep repairs it.
 */
let testDb: TestDatabase;

beforeAll(async () => {
  testDb = await createTestDatabase();
});

afterAll(async () => {
  await testDb.drop();
});

/** EventBridge Scheduler as the product sees it, failing the next `failures` calls that change something. */
class FlakyScheduler implements Scheduler {
  readonly schedules = new Map<string, ScheduleRequest>();
  failures = 0;
  changes = 0;
  private change(): void {
    if (this.failures > 0) {
      this.failures -= 1;
      throw new DependencyUnavailableError('scheduler', 'Scheduler CreateSchedule: ThrottlingException');
    }
    this.changes += 1;
  }
  async upsertSchedule(request: ScheduleRequest): Promise<void> {
    this.change();
    this.schedules.set(request.name, structuredClone(request));
  }
  async deleteSchedule(name: string): Promise<void> {
    this.change();
    this.schedules.delete(name);
  }
  async getSchedule(name: string): Promise<ScheduleRequest | undefined> {
    return this.schedules.get(name);
  }
}

const sweepEvent = { detail: {}, time: '2026-05-01T10:00:00Z' } as unknown as ScheduledEvent<
  Record<string, unknown>
>;

describe('refresh schedules', () => {
  it('keep a PATCH whose Scheduler call failed, and get the schedule from the next sweep', async () => {
    const user = await createTestUser(testDb.db);
    const scheduler = new FlakyScheduler();
    const logger = new RecordingLogger();
    const { services } = refreshServices(testDb.db, { scheduler, logger });
    const caller: Caller = { userId: user.id, role: 'user', via: 'jwt', scopes: [] };
    const request = { caller, sourceIp: '127.0.0.1', userAgent: 'vitest', requestId: 'req-1' };
    const dataset = await createDataset(services, caller, { name: 'prices', modality: 'tabular' }, request);
    const name = refreshScheduleName(dataset.id);
    const sweep = makeRefreshDatasetsHandler(() => services);

    scheduler.failures = 1;
    const updated = await updateDatasetDetails(
      services,
      caller,
      dataset.id,
      { refresh: { sourceUrl: 'https://localhost:9/prices.csv', schedule: 'cron(0 6 * * ? *)' } },
      request,
    );
    expect(updated.refreshSchedule).toBe('cron(0 6 * * ? *)');
    expect(scheduler.schedules.has(name)).toBe(false);
    expect(logger.text()).toContain('refresh schedule not synced');

    // The sweep's reconcile only (the dataset's first refresh is due, and fails: nothing listens on that port).
    await sweep(sweepEvent);
    expect(scheduler.schedules.get(name)).toEqual({
      name,
      expression: 'cron(0 6 * * ? *)',
      payload: { kind: 'dataset-refresh', datasetId: dataset.id, userId: user.id },
    });
    // In line now: the next sweep changes nothing.
    const changes = scheduler.changes;
    await sweep(sweepEvent);
    expect(scheduler.changes).toBe(changes);

    // Stopping the refresh while the Scheduler fails: the sweep deletes the schedule.
    scheduler.failures = 1;
    await updateDatasetDetails(services, caller, dataset.id, { refresh: null }, request);
    expect(scheduler.schedules.has(name)).toBe(true);
    await sweep(sweepEvent);
    expect(scheduler.schedules.has(name)).toBe(false);
  });

  it('delete the schedule of a deleted dataset even when the Scheduler failed at the delete', async () => {
    const user = await createTestUser(testDb.db);
    const scheduler = new FlakyScheduler();
    const { services } = refreshServices(testDb.db, { scheduler });
    const caller: Caller = { userId: user.id, role: 'user', via: 'jwt', scopes: [] };
    const request = { caller, sourceIp: '127.0.0.1', userAgent: 'vitest', requestId: 'req-2' };
    const dataset = await createDataset(services, caller, { name: 'gone', modality: 'tabular' }, request);
    await updateDatasetDetails(
      services,
      caller,
      dataset.id,
      { refresh: { sourceUrl: 'https://localhost:9/gone.csv', schedule: 'rate(1 day)' } },
      request,
    );
    const name = refreshScheduleName(dataset.id);
    expect(scheduler.schedules.get(name)?.expression).toBe('rate(1 day)');

    scheduler.failures = 1;
    await deleteDataset(services, caller, dataset.id, request);
    expect(scheduler.schedules.has(name)).toBe(true);
    await makeRefreshDatasetsHandler(() => services)(sweepEvent);
    expect(scheduler.schedules.has(name)).toBe(false);
  });

  it('remove the schedule of a dataset that no longer refreshes when that schedule fires', async () => {
    const user = await createTestUser(testDb.db);
    const scheduler = new FlakyScheduler();
    const { services } = refreshServices(testDb.db, { scheduler });
    const caller: Caller = { userId: user.id, role: 'user', via: 'jwt', scopes: [] };
    const request = { caller, sourceIp: '127.0.0.1', userAgent: 'vitest', requestId: 'req-3' };
    const dataset = await createDataset(services, caller, { name: 'stopped', modality: 'tabular' }, request);
    await updateDatasetDetails(
      services,
      caller,
      dataset.id,
      { refresh: { sourceUrl: 'https://localhost:9/stopped.csv', schedule: 'rate(1 day)' } },
      request,
    );
    scheduler.failures = 1;
    await updateDatasetDetails(services, caller, dataset.id, { refresh: null }, request);
    const name = refreshScheduleName(dataset.id);
    const payload = scheduler.schedules.get(name)?.payload;
    expect(payload).toEqual({ kind: 'dataset-refresh', datasetId: dataset.id, userId: user.id });

    // Before any sweep, the leftover schedule fires (EventBridge Scheduler sends its payload as the event).
    const results = await makeRefreshDatasetsHandler(() => services)(
      payload as unknown as ScheduledEvent<Record<string, unknown>>,
    );
    expect(results).toEqual([{ datasetId: dataset.id, outcome: 'skipped', reason: 'no refresh source' }]);
    expect(scheduler.schedules.has(name)).toBe(false);
  });
});
