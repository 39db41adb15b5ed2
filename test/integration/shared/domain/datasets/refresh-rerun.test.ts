import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { updateDatasetDetails } from '../../../../../shared/domain/datasets/manage-dataset';
import { ValidationError } from '../../../../../shared/kernel/app-error';
import type { Caller } from '../../../../../shared/http/route';
import { createTestDatabase, type TestDatabase } from '../../../support/database';
import { createTestUser } from '../../../support/fixtures';
import { datasetWithRefresh, refreshServices, reloadDataset } from '../../../support/refresh-test-support';

/** Re-running pipelines after a refresh is not implemented, so PATCH /datasets must not accept it. */
let testDb: TestDatabase;

beforeAll(async () => {
  testDb = await createTestDatabase();
});

afterAll(async () => {
  await testDb.drop();
});

describe('a refresh that asks to re-run pipelines', () => {
  it('is refused with a problem naming the field, and the dataset keeps its refresh', async () => {
    const user = await createTestUser(testDb.db);
    const dataset = await datasetWithRefresh(testDb.db, user.id, {
      sourceUrl: 'https://localhost/feed.csv',
      schedule: 'rate(1 day)',
      dueAt: new Date('2026-05-02T00:00:00Z'),
    });
    const { services } = refreshServices(testDb.db);
    const caller: Caller = { userId: user.id, role: 'user', via: 'jwt', scopes: [] };
    const request = { caller, sourceIp: '127.0.0.1', userAgent: 'test', requestId: 'req-1' };

    const refused = updateDatasetDetails(
      services,
      caller,
      dataset.id,
      {
        refresh: { sourceUrl: 'https://localhost/other.csv', schedule: 'rate(2 days)', rerunPipelines: true },
      },
      request,
    );

    await expect(refused).rejects.toBeInstanceOf(ValidationError);
    await expect(refused).rejects.toMatchObject({
      code: 'DATASET.REFRESH_RERUN_NOT_SUPPORTED',
      field: 'body.refresh.rerunPipelines',
      message: expect.stringContaining('not supported yet'),
    });
    const after = await reloadDataset(testDb.db, dataset);
    expect(after).toMatchObject({
      refreshSourceUrl: 'https://localhost/feed.csv',
      refreshSchedule: 'rate(1 day)',
    });
  });

  it('still accepts rerunPipelines: false', async () => {
    const user = await createTestUser(testDb.db);
    const dataset = await datasetWithRefresh(testDb.db, user.id, {
      sourceUrl: 'https://localhost/feed.csv',
      schedule: 'rate(1 day)',
      dueAt: new Date('2026-05-02T00:00:00Z'),
    });
    const { services } = refreshServices(testDb.db);
    const caller: Caller = { userId: user.id, role: 'user', via: 'jwt', scopes: [] };

    const updated = await updateDatasetDetails(
      services,
      caller,
      dataset.id,
      {
        refresh: {
          sourceUrl: 'https://localhost/other.csv',
          schedule: 'rate(2 days)',
          rerunPipelines: false,
        },
      },
      { caller, sourceIp: '127.0.0.1', userAgent: 'test', requestId: 'req-2' },
    );

    expect(updated).toMatchObject({
      refreshSourceUrl: 'https://localhost/other.csv',
      refreshSchedule: 'rate(2 days)',
    });
  });
});
