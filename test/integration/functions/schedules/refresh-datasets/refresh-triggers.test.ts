import type { ScheduledEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeRefreshDatasetsHandler } from '../../../../../functions/schedules/refresh-datasets/refresh-datasets-handler';
import { refreshDatasetById } from '../../../../../shared/domain/datasets/refresh/refresh-datasets';
import { createTestDatabase, type TestDatabase } from '../../../support/database';
import { createTestUser } from '../../../support/fixtures';
import {
  datasetWithRefresh,
  refreshServices,
  reloadDataset,
  resolveLocal,
  startSourceServer,
  versionsOf,
  type SourceServer,
} from '../../../support/refresh-test-support';

/** A dataset's own schedule firing: it refreshes only a dataset that is due, on PostgreSQL. */
let testDb: TestDatabase;
let server: SourceServer;

beforeAll(async () => {
  testDb = await createTestDatabase();
  server = await startSourceServer();
  server.routes.set('/trigger/feed.csv', (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/csv' }).end('id,value\n1,10\n');
  });
});

afterAll(async () => {
  await server.close();
  await testDb.drop();
});

const fetchCount = () => server.requests.filter((url) => url === '/trigger/feed.csv').length;

describe('a per-dataset schedule firing', () => {
  it('skips a dataset whose next refresh is still ahead, and refreshes it once due', async () => {
    const user = await createTestUser(testDb.db);
    const { services, clock } = refreshServices(testDb.db);
    const dataset = await datasetWithRefresh(testDb.db, user.id, {
      sourceUrl: `${server.origin}/trigger/feed.csv`,
      schedule: 'rate(1 hour)',
      dueAt: clock.now(),
    });
    const options = { fetch: { resolve: resolveLocal, ca: server.ca } };
    const ids = { userId: user.id, datasetId: dataset.id };

    expect(await refreshDatasetById(services, ids, options)).toMatchObject({ outcome: 'new-version' });
    const fetched = fetchCount();

    // The sweep just refreshed it: a firing 20 minutes later fetches nothing.
    clock.advance(20 * 60_000);
    expect(await refreshDatasetById(services, ids, options)).toEqual({
      datasetId: dataset.id,
      outcome: 'skipped',
      reason: 'not due yet',
    });
    expect(fetchCount()).toBe(fetched);
    expect((await reloadDataset(testDb.db, dataset)).nextRefreshAt?.toISOString()).toBe(
      '2026-05-01T11:00:00.000Z',
    );

    // At its time (a little late or a little early) it runs.
    clock.set('2026-05-01T10:59:30Z');
    expect(await refreshDatasetById(services, ids, options)).toMatchObject({ outcome: 'unchanged' });
    expect(fetchCount()).toBe(fetched + 1);
    expect(await versionsOf(testDb.db, dataset.id)).toHaveLength(1);
  });

  it('sets the next refresh of a cron schedule to its next firing', async () => {
    const user = await createTestUser(testDb.db);
    const { services, clock } = refreshServices(testDb.db);
    const dataset = await datasetWithRefresh(testDb.db, user.id, {
      sourceUrl: `${server.origin}/trigger/feed.csv`,
      schedule: 'cron(30 6,18 * * ? *)',
      dueAt: clock.now(),
    });
    const ids = { userId: user.id, datasetId: dataset.id };
    await refreshDatasetById(services, ids, { fetch: { resolve: resolveLocal, ca: server.ca } });
    expect((await reloadDataset(testDb.db, dataset)).nextRefreshAt?.toISOString()).toBe(
      '2026-05-01T18:30:00.000Z',
    );
  });

  it('reads the dataset from the payload EventBridge Scheduler delivers as the whole event', async () => {
    const user = await createTestUser(testDb.db);
    const { services, clock } = refreshServices(testDb.db);
    const dataset = await datasetWithRefresh(testDb.db, user.id, {
      sourceUrl: `${server.origin}/trigger/feed.csv`,
      schedule: 'rate(1 hour)',
      dueAt: clock.now(),
    });
    // Another dataset is due too: a sweep would refresh it, this firing must not.
    const other = await datasetWithRefresh(testDb.db, user.id, {
      sourceUrl: `${server.origin}/trigger/feed.csv`,
      schedule: 'rate(1 hour)',
      dueAt: clock.now(),
    });
    const handler = makeRefreshDatasetsHandler(() => services, {
      fetch: { resolve: resolveLocal, ca: server.ca },
    });
    const payload = { kind: 'dataset-refresh', datasetId: dataset.id, userId: user.id };
    const results = await handler(payload as unknown as ScheduledEvent<Record<string, unknown>>);
    expect(results).toEqual([expect.objectContaining({ datasetId: dataset.id, outcome: 'new-version' })]);
    expect(await versionsOf(testDb.db, other.id)).toHaveLength(0);
  });
});
