import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { LocalQueues } from '../../../../../infra/local/local-queues';
import { loadConfig } from '../../../../../shared/config/config';
import type { QueueModality } from '../../../../../shared/config/config';
import { findDataset, insertDataset } from '../../../../../shared/domain/datasets/dataset-repository';
import { insertUploadingVersion } from '../../../../../shared/domain/datasets/dataset-version-repository';
import { withSystemScope, withTenant } from '../../../../../shared/db/tenant';
import { handleObjectArrival } from '../../../../../shared/domain/datasets/ingestion/dispatch/handle-object-arrival';
import type {
  DispatchServices,
  ObjectArrival,
} from '../../../../../shared/domain/datasets/ingestion/dispatch/object-arrival';
import { parseIngestionMessage } from '../../../../../shared/domain/datasets/ingestion/messages';
import { createLogger } from '../../../../../shared/observability/logger';
import type { QueuePublisher } from '../../../../../shared/ports/queue.port';
import { systemClock } from '../../../../../shared/kernel/clock.port';
import { objectKeys } from '../../../../../shared/storage/object-keys';
import { createTestDatabase, type TestDatabase } from '../../../support/database';
import { createTestUser } from '../../../support/fixtures';
import { MemoryBlobs } from '../../../support/memory-blobs';

/**
 * Arrival dispatch against a real PostgreSQL: S3 delivers events at least once and sometimes
 * twice at the same moment; each arrival must give one version, one ingestion job and one message.
 */

const config = loadConfig({
  PW_RUNTIME: 'local',
  PW_LOG_LEVEL: 'SILENT',
  PW_TIER_LIMITS: JSON.stringify({ free: { maxFileBytes: 1000 } }),
});

let testDb: TestDatabase;
let queues: LocalQueues;

function services(overrides: Partial<DispatchServices> = {}): DispatchServices & { blobs: MemoryBlobs } {
  return {
    db: testDb.db,
    blobs: new MemoryBlobs(),
    queues,
    logger: createLogger(config),
    clock: systemClock,
    config,
    ...overrides,
  } as DispatchServices & { blobs: MemoryBlobs };
}

async function uploadingVersion(userId: string, fileName = 'data.csv', sizeBytes = 100) {
  return withTenant(testDb.db, { userId, role: 'user' }, async (trx) => {
    const dataset = await insertDataset(trx, {
      userId,
      name: `ds-${Math.random().toString(36).slice(2)}`,
      modality: 'tabular',
    });
    await findDataset(trx, { userId, datasetId: dataset.id }, { forUpdate: true });
    const version = await insertUploadingVersion(trx, {
      userId,
      datasetId: dataset.id,
      originalFilename: fileName,
      originalFormat: 'csv',
      contentType: 'text/csv',
      sizeBytes,
      sourceType: 'upload',
      uploadExpiresAt: new Date(Date.now() + 60_000),
      rawKey: (n) => objectKeys.raw(userId, dataset.id, n, fileName),
    });
    return { dataset, version, key: version.rawObjectKey ?? '' };
  });
}

const arrival = (key: string, size: number, etag = 'etag-1'): ObjectArrival => ({
  bucket: 'test-bucket',
  key,
  size,
  etag,
});

function queued(queue: QueueModality): number {
  const stats = queues.stats().find((s) => s.queue === queue);
  return (stats?.visible ?? 0) + (stats?.inFlight ?? 0) + (stats?.delayed ?? 0);
}

async function jobsFor(versionId: string) {
  return withSystemScope(testDb.db, 'admin.test-check', (trx) =>
    trx.selectFrom('ingestion_jobs').selectAll().where('dataset_version_id', '=', versionId).execute(),
  );
}

beforeAll(async () => {
  testDb = await createTestDatabase();
});

afterAll(async () => {
  await testDb.drop();
});

afterEach(async () => {
  await queues.stop();
});

describe('raw arrivals', () => {
  it('turns the same event delivered concurrently into one job and one message', async () => {
    queues = new LocalQueues();
    const user = await createTestUser(testDb.db);
    const { version, key, dataset } = await uploadingVersion(user.id);
    const svc = services();

    const outcomes = await Promise.all(
      Array.from({ length: 6 }, () => handleObjectArrival(svc, arrival(key, 120))),
    );

    expect(outcomes.filter((o) => o.outcome === 'dispatched')).toHaveLength(1);
    expect(outcomes.filter((o) => o.outcome === 'duplicate')).toHaveLength(5);
    const jobs = await jobsFor(version.id);
    expect(jobs).toHaveLength(1);
    expect(jobs[0]).toMatchObject({ status: 'queued', queue: 'tabular', object_key: key });
    expect(jobs[0]?.message_id).toBeTruthy();
    expect(queued('tabular')).toBe(1);

    const [message] = queues.receive('tabular', { maxMessages: 10 });
    const body = parseIngestionMessage(message?.body);
    expect(body).toMatchObject({
      kind: 'ingest-version',
      ingestionJobId: jobs[0]?.id,
      datasetVersionId: version.id,
      datasetId: dataset.id,
      userId: user.id,
      modality: 'tabular',
      key,
      size: 120,
      etag: 'etag-1',
      source: 'upload',
      versionNumber: 1,
    });
    const stored = await withSystemScope(testDb.db, 'admin.test-check', (trx) =>
      trx
        .selectFrom('dataset_versions')
        .select(['status', 'original_size_bytes'])
        .where('id', '=', version.id)
        .executeTakeFirstOrThrow(),
    );
    expect(stored).toEqual({ status: 'uploaded', original_size_bytes: 120 });
  });

  it('does not send again when a later delivery carries another ETag for the same key', async () => {
    queues = new LocalQueues();
    const user = await createTestUser(testDb.db);
    const { version, key } = await uploadingVersion(user.id);
    const svc = services();
    expect((await handleObjectArrival(svc, arrival(key, 50, 'first'))).outcome).toBe('dispatched');
    expect((await handleObjectArrival(svc, arrival(key, 60, 'second'))).outcome).toBe('duplicate');
    expect(await jobsFor(version.id)).toHaveLength(1);
    expect(queued('tabular')).toBe(1);
  });

  it('gives the send back when the queue fails, so the redelivered event sends it once', async () => {
    queues = new LocalQueues();
    const user = await createTestUser(testDb.db);
    const { version, key } = await uploadingVersion(user.id);
    let failures = 1;
    const flaky: QueuePublisher = {
      send: async (queue, body, options) => {
        if (failures-- > 0) throw new Error('queue unavailable');
        return queues.send(queue, body, options);
      },
      sendBatch: (queue, entries) => queues.sendBatch(queue, entries),
    };
    const svc = services({ queues: flaky });
    await expect(handleObjectArrival(svc, arrival(key, 80))).rejects.toThrow('queue unavailable');
    expect((await jobsFor(version.id))[0]).toMatchObject({ queue: null, message_id: null });

    expect((await handleObjectArrival(svc, arrival(key, 80))).outcome).toBe('dispatched');
    expect(await jobsFor(version.id)).toHaveLength(1);
    expect(queued('tabular')).toBe(1);
  });

  it('rejects an object larger than the tier allows, deletes it and fails the version with the reason', async () => {
    queues = new LocalQueues();
    const user = await createTestUser(testDb.db);
    const { version, key } = await uploadingVersion(user.id);
    const svc = services();
    await svc.blobs.put(key, Buffer.alloc(1500));

    const outcome = await handleObjectArrival(svc, arrival(key, 1500));

    expect(outcome.outcome).toBe('rejected');
    expect(await svc.blobs.head(key)).toBeUndefined();
    expect(queued('tabular')).toBe(0);
    const stored = await withSystemScope(testDb.db, 'admin.test-check', (trx) =>
      trx.selectFrom('dataset_versions').selectAll().where('id', '=', version.id).executeTakeFirstOrThrow(),
    );
    expect(stored.status).toBe('failed');
    expect(stored.validation_errors).toEqual([
      expect.objectContaining({
        code: 'LIMIT.FILE_SIZE',
        message: expect.stringContaining('free tier accepts files up to 1000 bytes'),
      }),
    ]);
    // The declared size no longer counts against storage.
    const owner = await withSystemScope(testDb.db, 'admin.test-check', (trx) =>
      trx
        .selectFrom('users')
        .select('storage_used_bytes')
        .where('id', '=', user.id)
        .executeTakeFirstOrThrow(),
    );
    expect(owner.storage_used_bytes).toBe(0);
    expect((await jobsFor(version.id))[0]).toMatchObject({ status: 'failed' });
  });

  it('ignores a key that no waiting version expects', async () => {
    queues = new LocalQueues();
    const user = await createTestUser(testDb.db);
    const { dataset } = await uploadingVersion(user.id);
    const outcome = await handleObjectArrival(
      services(),
      arrival(objectKeys.raw(user.id, dataset.id, 7, 'x.csv'), 10),
    );
    expect(outcome.outcome).toBe('ignored');
    expect(queued('tabular')).toBe(0);
  });
});

describe('drop-folder arrivals', () => {
  it('files the same drop delivered concurrently as one dataset with one version', async () => {
    queues = new LocalQueues();
    const user = await createTestUser(testDb.db);
    const svc = services();
    const key = `dropbox/${user.id}/inbox/churn.csv`;
    await svc.blobs.put(key, 'id,churned\n1,true\n');

    const outcomes = await Promise.all(
      Array.from({ length: 4 }, () => handleObjectArrival(svc, arrival(key, 18))),
    );

    expect(outcomes.filter((o) => o.outcome === 'filed')).toHaveLength(1);
    const datasets = await withSystemScope(testDb.db, 'admin.test-check', (trx) =>
      trx.selectFrom('datasets').selectAll().where('user_id', '=', user.id).execute(),
    );
    expect(datasets.map((d) => [d.name, d.modality, d.source_type])).toEqual([
      ['churn', 'tabular', 'dropfolder'],
    ]);
    const versions = await withSystemScope(testDb.db, 'admin.test-check', (trx) =>
      trx.selectFrom('dataset_versions').selectAll().where('user_id', '=', user.id).execute(),
    );
    expect(versions).toHaveLength(1);
    const rawKey = objectKeys.raw(user.id, datasets[0]?.id ?? '', 1, 'churn.csv');
    expect(versions[0]?.raw_object_key).toBe(rawKey);
    expect(svc.blobs.objects.has(key)).toBe(false);
    expect(svc.blobs.objects.has(rawKey)).toBe(true);

    // The moved object's own event then dispatches it, reusing the drop's job.
    expect((await handleObjectArrival(svc, arrival(rawKey, 18, 'moved'))).outcome).toBe('dispatched');
    expect(await jobsFor(versions[0]?.id ?? '')).toHaveLength(1);
    const message = parseIngestionMessage(queues.receive('tabular', { maxMessages: 1 })[0]?.body);
    expect(message.source).toBe('dropfolder');
  });

  it('adds a second drop with the same stem as version 2 of the existing dataset', async () => {
    queues = new LocalQueues();
    const user = await createTestUser(testDb.db);
    const svc = services();
    for (const [i, folder] of ['a', 'b'].entries()) {
      const key = `dropbox/${user.id}/${folder}/Prices.csv`;
      await svc.blobs.put(key, `p\n${i}\n`);
      expect((await handleObjectArrival(svc, arrival(key, 4, `e${i}`))).outcome).toBe('filed');
    }
    const versions = await withSystemScope(testDb.db, 'admin.test-check', (trx) =>
      trx
        .selectFrom('dataset_versions')
        .select(['version_number', 'dataset_id'])
        .where('user_id', '=', user.id)
        .orderBy('version_number')
        .execute(),
    );
    expect(versions.map((v) => v.version_number)).toEqual([1, 2]);
    expect(new Set(versions.map((v) => v.dataset_id)).size).toBe(1);
  });

  it('quarantines drops from unknown users, of unsupported types and for a dataset of another modality', async () => {
    queues = new LocalQueues();
    const user = await createTestUser(testDb.db);
    const svc = services();
    await withTenant(testDb.db, { userId: user.id, role: 'user' }, (trx) =>
      insertDataset(trx, { userId: user.id, name: 'photos', modality: 'image' }),
    );
    const cases: [string, string][] = [
      ['dropbox/00000000-0000-4000-8000-000000000000/x.csv', 'DROP.UNKNOWN_USER'],
      [`dropbox/${user.id}/run.exe`, 'DROP.UNSUPPORTED_TYPE'],
      [`dropbox/${user.id}/photos.csv`, 'DROP.MODALITY_MISMATCH'],
      ['dropbox/not-a-user/x.csv', 'DROP.BAD_KEY'],
    ];
    for (const [key, code] of cases) {
      await svc.blobs.put(key, 'a,b\n1,2\n');
      const outcome = await handleObjectArrival(svc, arrival(key, 8));
      expect(outcome).toMatchObject({ outcome: 'quarantined', reasons: [code] });
      if (outcome.outcome !== 'quarantined') continue;
      expect(svc.blobs.objects.has(key)).toBe(false);
      expect(svc.blobs.objects.has(outcome.quarantineKey)).toBe(true);
      const report = JSON.parse(Buffer.from(await svc.blobs.getBytes(outcome.reportKey)).toString()) as {
        errors: { code: string }[];
      };
      expect(report.errors.map((e) => e.code)).toEqual([code]);
    }
    const datasets = await withSystemScope(testDb.db, 'admin.test-check', (trx) =>
      trx.selectFrom('datasets').select('name').where('user_id', '=', user.id).execute(),
    );
    expect(datasets.map((d) => d.name)).toEqual(['photos']);
    expect(queued('tabular')).toBe(0);
  });
});
