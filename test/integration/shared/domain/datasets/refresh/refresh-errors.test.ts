import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { refreshDataset } from '../../../../../../shared/domain/datasets/refresh/refresh-datasets';
import { REFRESH_INTERNAL_MESSAGE } from '../../../../../../shared/domain/datasets/refresh/refresh-errors';
import type { BlobBody, BlobInfo, PutOptions } from '../../../../../../shared/ports/blob-store.port';
import { RecordingLogger } from '../../../../../unit/support/http-test-services';
import { createTestDatabase, type TestDatabase } from '../../../../support/database';
import { createTestUser } from '../../../../support/fixtures';
import { MemoryBlobs } from '../../../../support/memory-blobs';
import {
  datasetWithRefresh,
  refreshServices,
  reloadDataset,
  resolveLocal,
  startSourceServer,
  type SourceServer,
} from '../../../../support/refresh-test-support';

/** What the owner reads in `refresh.lastRefreshError`, and what only the log gets, on PostgreSQL. */
let testDb: TestDatabase;
let server: SourceServer;

beforeAll(async () => {
  testDb = await createTestDatabase();
  server = await startSourceServer();
  server.routes.set('/errors/feed.csv', (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/csv' }).end('id,value\n1,10\n');
  });
  server.routes.set('/errors/down.csv', (_req, res) => {
    res.writeHead(503).end('upstream exploded at db-7.internal');
  });
});

afterAll(async () => {
  await server.close();
  await testDb.drop();
});

async function refreshOnce(sourceUrl: string, parts: Parameters<typeof refreshServices>[1] = {}) {
  const user = await createTestUser(testDb.db);
  const { services, clock } = refreshServices(testDb.db, parts);
  const dataset = await datasetWithRefresh(testDb.db, user.id, {
    sourceUrl,
    schedule: 'rate(1 hour)',
    dueAt: clock.now(),
  });
  const result = await refreshDataset(services, await reloadDataset(testDb.db, dataset), {
    fetch: { resolve: resolveLocal, ca: server.ca },
  });
  return { result, stored: (await reloadDataset(testDb.db, dataset)).lastRefreshError };
}

describe('the refresh error an owner reads', () => {
  it('is a generic message for a failure on our side; the cause goes to the log only', async () => {
    class BrokenBlobs extends MemoryBlobs {
      override async put(_key: string, _body: BlobBody, _options?: PutOptions): Promise<BlobInfo> {
        throw new Error('connect ECONNREFUSED 10.0.3.7:9000 while writing s3://pw-internal-bucket');
      }
    }
    const logger = new RecordingLogger();
    const { result, stored } = await refreshOnce(`${server.origin}/errors/feed.csv`, {
      blobs: new BrokenBlobs(),
      logger,
    });
    expect(result).toMatchObject({
      outcome: 'failed',
      code: 'REFRESH.INTERNAL',
      error: REFRESH_INTERNAL_MESSAGE,
    });
    expect(stored).toBe(REFRESH_INTERNAL_MESSAGE);
    expect(logger.text()).toContain('10.0.3.7:9000');
  });

  it('names the HTTP status the source answered, not its body', async () => {
    const { result, stored } = await refreshOnce(`${server.origin}/errors/down.csv`);
    expect(result).toMatchObject({ outcome: 'failed', code: 'REFRESH.SOURCE_HTTP_STATUS' });
    expect(stored).toBe('The source answered HTTP 503.');
  });

  it('says a source could not be reached without the address it was pinned to', async () => {
    // A port that was just free: nothing listens there.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const { port } = probe.address() as AddressInfo;
    await new Promise<void>((resolve) => probe.close(() => resolve()));

    const { result, stored } = await refreshOnce(`https://localhost:${port}/feed.csv`);
    expect(result).toMatchObject({ outcome: 'failed', code: 'REFRESH.SOURCE_UNREACHABLE' });
    expect(stored).toBe('The source could not be reached (ECONNREFUSED).');
  });

  it('explains a file type the dataset cannot take', async () => {
    server.routes.set('/errors/notes.docx', (_req, res) => res.writeHead(200).end('PK…'));
    const { result, stored } = await refreshOnce(`${server.origin}/errors/notes.docx`);
    expect(result).toMatchObject({ outcome: 'failed', code: 'REFRESH.UNSUPPORTED_FILE' });
    expect(stored).toContain('notes.docx');
  });
});
