import type { ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  refreshDataset,
  refreshDatasetById,
} from '../../../../../../shared/domain/datasets/refresh/refresh-datasets';
import { createTestDatabase, type TestDatabase } from '../../../../support/database';
import { createTestUser } from '../../../../support/fixtures';
import { MemoryBlobs } from '../../../../support/memory-blobs';
import {
  datasetWithRefresh,
  refreshServices,
  reloadDataset,
  resolveLocal,
  startSourceServer,
  versionsOf,
  type SourceServer,
} from '../../../../support/refresh-test-support';

/** The sweep and a dataset's own schedule firing at once, on PostgreSQL. */
let testDb: TestDatabase;
let server: SourceServer;

beforeAll(async () => {
  testDb = await createTestDatabase();
  server = await startSourceServer();
});

afterAll(async () => {
  await server.close();
  await testDb.drop();
});

describe('concurrent refreshes of one dataset', () => {
  it('store one new version, whichever run claims the dataset first', async () => {
    // Both runs have fetched (and so both read the dataset as due) before either can store.
    const waiting: ServerResponse[] = [];
    server.routes.set('/both/feed.csv', (_req, res) => {
      waiting.push(res);
      if (waiting.length === 2) {
        for (const held of waiting) held.writeHead(200, { 'content-type': 'text/csv' }).end('id,v\n1,2\n');
      }
    });
    const user = await createTestUser(testDb.db);
    const blobs = new MemoryBlobs();
    const { services, clock } = refreshServices(testDb.db, { blobs });
    const dataset = await datasetWithRefresh(testDb.db, user.id, {
      sourceUrl: `${server.origin}/both/feed.csv`,
      schedule: 'rate(1 hour)',
      dueAt: clock.now(),
    });
    const options = { fetch: { resolve: resolveLocal, ca: server.ca } };

    const results = await Promise.all([
      // The sweep's run, from the row it listed…
      refreshDataset(services, await reloadDataset(testDb.db, dataset), options),
      // …and the dataset's own schedule.
      refreshDatasetById(services, { userId: user.id, datasetId: dataset.id }, options),
    ]);

    expect(results.map((r) => r.outcome).sort()).toEqual(['new-version', 'skipped']);
    expect(results).toContainEqual({
      datasetId: dataset.id,
      outcome: 'skipped',
      reason: 'refreshed meanwhile',
    });
    expect(await versionsOf(testDb.db, dataset.id)).toEqual([expect.objectContaining({ version_number: 1 })]);
    expect([...blobs.objects.keys()].filter((key) => key.startsWith('raw/'))).toHaveLength(1);
    const after = await reloadDataset(testDb.db, dataset);
    expect(after.nextRefreshAt?.toISOString()).toBe('2026-05-01T11:00:00.000Z');
    expect(after.lastRefreshError).toBeNull();
  });
});
