import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { refreshDataset } from '../../../shared/datasets/refresh-datasets';
import { DependencyUnavailableError } from '../../../shared/errors/app-error';
import type { BlobBody, BlobInfo, PutOptions } from '../../../shared/ports/blob-store.port';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { createTestUser } from '../support/fixtures';
import { MemoryBlobs } from './memory-blobs';
import {
  datasetWithRefresh,
  refreshServices,
  reloadDataset,
  resolveLocal,
  startSourceServer,
  versionsOf,
  type SourceServer,
} from './refresh-test-support';

/** Where fetched content goes and in which order things are recorded, on PostgreSQL. */
let testDb: TestDatabase;
let server: SourceServer;

beforeAll(async () => {
  testDb = await createTestDatabase();
  server = await startSourceServer();
  server.routes.set('/store/feed.csv', (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/csv' }).end('id,value\n1,10\n');
  });
});

afterAll(async () => {
  await server.close();
  await testDb.drop();
});

/** Object storage that refuses the next `failures` writes under raw/. */
class FlakyBlobs extends MemoryBlobs {
  failures = 0;
  override async put(key: string, body: BlobBody, options?: PutOptions): Promise<BlobInfo> {
    if (key.startsWith('raw/') && this.failures > 0) {
      this.failures -= 1;
      if (body instanceof Readable) body.destroy();
      throw new DependencyUnavailableError('storage', 'S3 PutObject test-bucket/raw/…: SlowDown');
    }
    return super.put(key, body, options);
  }
}

describe('storing a refreshed file', () => {
  it('keeps the previous hash when the object could not be stored, so the next run stores it', async () => {
    const user = await createTestUser(testDb.db);
    const blobs = new FlakyBlobs();
    const { services, clock } = refreshServices(testDb.db, { blobs });
    const dataset = await datasetWithRefresh(testDb.db, user.id, {
      sourceUrl: `${server.origin}/store/feed.csv`,
      schedule: 'rate(1 hour)',
      dueAt: clock.now(),
    });
    const options = { fetch: { resolve: resolveLocal, ca: server.ca } };

    blobs.failures = 1;
    expect(await refreshDataset(services, await reloadDataset(testDb.db, dataset), options)).toMatchObject({
      outcome: 'failed',
    });
    expect(await versionsOf(testDb.db, dataset.id)).toEqual([
      expect.objectContaining({
        version_number: 1,
        status: 'failed',
        validation_errors: [expect.objectContaining({ code: 'REFRESH.STORE_FAILED' })],
      }),
    ]);

    clock.advance(3_600_000);
    expect(await refreshDataset(services, await reloadDataset(testDb.db, dataset), options)).toMatchObject({
      outcome: 'new-version',
      versionNumber: 2,
    });
    const stored = [...blobs.objects.keys()].filter((key) => key.startsWith('raw/'));
    expect(stored).toEqual([expect.stringMatching(/\/2\/feed\.csv$/)]);
    expect((await reloadDataset(testDb.db, dataset)).lastRefreshError).toBeNull();
  });
});
