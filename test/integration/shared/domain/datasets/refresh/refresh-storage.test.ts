import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { refreshDataset } from '../../../../../../shared/domain/datasets/refresh/refresh-datasets';
import { DependencyUnavailableError } from '../../../../../../shared/kernel/app-error';
import type { BlobBody, BlobInfo, PutOptions } from '../../../../../../shared/ports/blob-store.port';
import { createTestDatabase, type TestDatabase } from '../../../../support/database';
import { createTestUser } from '../../../../support/fixtures';
import { MemoryBlobs } from '../../../../support/memory-blobs';
import { until } from '../../../../../support/until';
import {
  datasetWithRefresh,
  refreshConfig,
  refreshServices,
  reloadDataset,
  resolveLocal,
  startSourceServer,
  versionsOf,
  type SourceServer,
} from '../../../../support/refresh-test-support';

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

/** Object storage that refuses the next `failures` writes under raw/ (a put or a copy). */
class FlakyBlobs extends MemoryBlobs {
  failures = 0;
  private refuse(key: string): boolean {
    if (!key.startsWith('raw/') || this.failures === 0) return false;
    this.failures -= 1;
    return true;
  }
  override async put(key: string, body: BlobBody, options?: PutOptions): Promise<BlobInfo> {
    if (this.refuse(key)) {
      if (body instanceof Readable) body.destroy();
      throw new DependencyUnavailableError('storage', 'S3 PutObject test-bucket/raw/…: SlowDown');
    }
    return super.put(key, body, options);
  }
  override async copy(fromKey: string, toKey: string): Promise<BlobInfo> {
    if (this.refuse(toKey))
      throw new DependencyUnavailableError('storage', 'S3 CopyObject test-bucket/raw/…: SlowDown');
    return super.copy(fromKey, toKey);
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

describe('streaming a refreshed file', () => {
  const CHUNK = Buffer.from(`${'1,2345678901234567890\n'.repeat(2979)}`); // ~64 KiB of CSV rows

  it('passes the body on to storage while the source is still sending it', async () => {
    let release: () => void = () => undefined;
    const released = new Promise<void>((resolve) => (release = resolve));
    let finished = false;
    server.routes.set('/stream/slow.csv', (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/csv' });
      res.write('id,value\n');
      res.write(CHUNK);
      void released.then(() => {
        res.end(CHUNK, () => (finished = true));
      });
    });
    const user = await createTestUser(testDb.db);
    const blobs = new MemoryBlobs();
    const { services, clock } = refreshServices(testDb.db, { blobs });
    const dataset = await datasetWithRefresh(testDb.db, user.id, {
      sourceUrl: `${server.origin}/stream/slow.csv`,
      schedule: 'rate(1 hour)',
      dueAt: clock.now(),
    });

    const run = refreshDataset(services, await reloadDataset(testDb.db, dataset), {
      fetch: { resolve: resolveLocal, ca: server.ca },
    });
    // The first half is in storage's hands before the source has sent the second.
    await until('the first bytes to reach storage', () =>
      [...blobs.receiving.values()].some((bytes) => bytes >= CHUNK.byteLength) ? true : undefined,
    );
    expect(finished).toBe(false);
    release();

    const total = 'id,value\n'.length + 2 * CHUNK.byteLength;
    expect(await run).toMatchObject({ outcome: 'new-version', versionNumber: 1 });
    expect(await versionsOf(testDb.db, dataset.id)).toEqual([
      expect.objectContaining({ version_number: 1, original_size_bytes: total }),
    ]);
    // Only the version's raw object is left: the staging copy is gone.
    expect([...blobs.objects.keys()]).toEqual([expect.stringMatching(/^raw\/.*\/1\/slow\.csv$/)]);
  });

  it('stops reading a source past the tier’s file size, closes the connection and stores nothing', async () => {
    const sent = { bytes: 0, closedEarly: false };
    const TOTAL = 8 * 1024 * 1024;
    server.routes.set('/stream/endless.csv', (_req, res) => {
      // Chunked, no Content-Length: the cap can only be enforced while reading.
      res.writeHead(200, { 'content-type': 'text/csv' });
      res.on('close', () => (sent.closedEarly = sent.bytes < TOTAL));
      const pump = () => {
        while (sent.bytes < TOTAL && !res.destroyed) {
          sent.bytes += CHUNK.byteLength;
          if (!res.write(CHUNK)) {
            res.once('drain', pump);
            return;
          }
        }
        if (!res.destroyed) res.end();
      };
      res.write('id,value\n');
      pump();
    });
    const config = refreshConfig({ PW_TIER_LIMITS: JSON.stringify({ free: { maxFileBytes: 100_000 } }) });
    const user = await createTestUser(testDb.db);
    const blobs = new MemoryBlobs();
    const { services, clock } = refreshServices(testDb.db, { blobs, config });
    const dataset = await datasetWithRefresh(testDb.db, user.id, {
      sourceUrl: `${server.origin}/stream/endless.csv`,
      schedule: 'rate(1 hour)',
      dueAt: clock.now(),
    });

    const result = await refreshDataset(services, await reloadDataset(testDb.db, dataset), {
      fetch: { resolve: resolveLocal, ca: server.ca },
    });

    expect(result).toMatchObject({ outcome: 'failed', error: expect.stringContaining('100000 bytes') });
    await until('the source connection to close', () => (sent.closedEarly ? true : undefined), 10_000);
    expect(sent.bytes).toBeLessThan(TOTAL);
    expect(blobs.objects.size).toBe(0);
    expect(blobs.receiving.size).toBe(0);
    expect(await versionsOf(testDb.db, dataset.id)).toEqual([]);
    expect((await reloadDataset(testDb.db, dataset)).lastRefreshError).toContain('100000 bytes');
  });
});
