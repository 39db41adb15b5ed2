import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { LocalQueues } from '../../../../../infra/local/local-queues';
import { loadConfig } from '../../../../../shared/config/config';
import { findDataset, insertDataset } from '../../../../../shared/domain/datasets/dataset-repository';
import {
  insertUploadingVersion,
  startIngestionAttempt,
} from '../../../../../shared/domain/datasets/dataset-version-repository';
import { withSystemScope, withTenant } from '../../../../../shared/db/tenant';
import { handleObjectArrival } from '../../../../../shared/domain/datasets/ingestion/dispatch/handle-object-arrival';
import type { DispatchServices } from '../../../../../shared/domain/datasets/ingestion/dispatch/object-arrival';
import {
  INGESTION_ATTEMPT_LEASE_MS,
  MAX_INGESTION_AGE_MS,
  sweepStuckVersions,
  UPLOAD_GRACE_MS,
} from '../../../../../shared/domain/datasets/ingestion/dispatch/sweep-stuck-versions';
import { parseIngestionMessage } from '../../../../../shared/domain/datasets/ingestion/messages';
import { createLogger } from '../../../../../shared/observability/logger';
import { fixedClock } from '../../../../../shared/kernel/clock.port';
import { objectKeys } from '../../../../../shared/storage/object-keys';
import { createTestDatabase, type TestDatabase } from '../../../support/database';
import { createTestUser } from '../../../support/fixtures';
import { MemoryBlobs } from '../../../support/memory-blobs';

/**
 * The version sweep against a real PostgreSQL: uploads whose link expired, jobs whose worker
 * vanished holding the attempt, jobs whose retries or time ran out. Time is moved with a test
 * clock; the database stamps `updated_at` with its own (real) time, which the clock starts from.
 */

const config = loadConfig({ PW_RUNTIME: 'local', PW_LOG_LEVEL: 'SILENT' });
const MINUTE = 60_000;

let testDb: TestDatabase;
let queues: LocalQueues;
let clock: ReturnType<typeof fixedClock>;
let services: DispatchServices & { blobs: MemoryBlobs };

beforeAll(async () => {
  testDb = await createTestDatabase();
});
afterAll(async () => {
  await testDb.drop();
});
beforeEach(() => {
  queues = new LocalQueues();
  clock = fixedClock(new Date());
  services = {
    db: testDb.db,
    blobs: new MemoryBlobs(),
    queues,
    logger: createLogger(config),
    clock,
    config,
  };
});
afterEach(async () => {
  await queues.stop();
});

async function uploadingVersion(userId: string, sizeBytes = 24) {
  const fileName = 'readings.csv';
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
      uploadExpiresAt: new Date(clock.now().getTime() + 15 * MINUTE),
      rawKey: (n) => objectKeys.raw(userId, dataset.id, n, fileName),
    });
    return { dataset, version, key: version.rawObjectKey ?? '' };
  });
}

async function versionRow(id: string) {
  return withSystemScope(testDb.db, 'admin.test-check', (trx) =>
    trx.selectFrom('dataset_versions').selectAll().where('id', '=', id).executeTakeFirstOrThrow(),
  );
}

async function jobOf(versionId: string) {
  return withSystemScope(testDb.db, 'admin.test-check', (trx) =>
    trx
      .selectFrom('ingestion_jobs')
      .selectAll()
      .where('dataset_version_id', '=', versionId)
      .executeTakeFirstOrThrow(),
  );
}

/** A version whose file arrived, was sent to its queue, and whose worker started and then vanished. */
async function versionWithVanishedWorker(userId: string) {
  const { version, key } = await uploadingVersion(userId);
  await services.blobs.put(key, 'city,count\nOslo,3\nLima,5\n');
  const outcome = await handleObjectArrival(services, { bucket: 'test-bucket', key, size: 24, etag: 'e1' });
  expect(outcome.outcome).toBe('dispatched');
  const [message] = queues.receive('tabular', { maxMessages: 1 });
  const body = parseIngestionMessage(message?.body);
  await withTenant(testDb.db, { userId, role: 'user' }, (trx) =>
    startIngestionAttempt(trx, { ingestionJobId: body.ingestionJobId, datasetVersionId: version.id }),
  );
  // The worker's process is gone: its message is lost with it (a restart of the in-memory queues).
  await queues.stop();
  queues = new LocalQueues();
  services.queues = queues;
  return { version, key, jobId: body.ingestionJobId };
}

describe('the version sweep', () => {
  it('fails an upload whose link expired with no file, with the reason, and frees its reservation', async () => {
    const user = await createTestUser(testDb.db);
    const { version } = await uploadingVersion(user.id, 5000);

    clock.advance(15 * MINUTE + UPLOAD_GRACE_MS - MINUTE);
    const early = await sweepStuckVersions(services);
    expect(early.expired).not.toContain(version.id);
    expect((await versionRow(version.id)).status).toBe('uploading');

    clock.advance(2 * MINUTE);
    const report = await sweepStuckVersions(services);
    expect(report.expired).toContain(version.id);
    const row = await versionRow(version.id);
    expect(row.status).toBe('failed');
    expect(row.original_size_bytes).toBeNull();
    expect(row.validation_errors).toEqual([
      expect.objectContaining({
        code: 'UPLOAD.EXPIRED',
        message: expect.stringMatching(
          /No file arrived before the upload link expired at .*Ask for a new upload/,
        ),
      }),
    ]);
  });

  it('takes in a file whose storage event was lost once the link expired', async () => {
    const user = await createTestUser(testDb.db);
    const { version, key } = await uploadingVersion(user.id);
    await services.blobs.put(key, 'city,count\nOslo,3\nLima,5\n');

    clock.advance(15 * MINUTE + UPLOAD_GRACE_MS + MINUTE);
    const report = await sweepStuckVersions(services);

    expect(report.arrived).toContain(version.id);
    expect((await versionRow(version.id)).status).toBe('uploaded');
    const job = await jobOf(version.id);
    expect(job).toMatchObject({ status: 'queued', queue: 'tabular' });
    expect(job.message_id).toBeTruthy();
    const [message] = queues.receive('tabular', { maxMessages: 10 });
    expect(parseIngestionMessage(message?.body).datasetVersionId).toBe(version.id);
  });

  it('sends a job again, once, when its worker vanished and the attempt lease expired', async () => {
    const user = await createTestUser(testDb.db);
    const { version, jobId } = await versionWithVanishedWorker(user.id);
    expect((await versionRow(version.id)).status).toBe('validating');

    clock.advance(INGESTION_ATTEMPT_LEASE_MS - MINUTE);
    expect((await sweepStuckVersions(services)).requeued).not.toContain(version.id);
    expect(queues.receive('tabular', { maxMessages: 10 })).toHaveLength(0);

    clock.advance(2 * MINUTE);
    const reports = await Promise.all([1, 2, 3].map(() => sweepStuckVersions(services)));
    expect(reports.filter((r) => r.requeued.includes(version.id))).toHaveLength(1);
    const messages = queues.receive('tabular', { maxMessages: 10 });
    expect(messages).toHaveLength(1);
    const body = parseIngestionMessage(messages[0]?.body);
    expect(body).toMatchObject({ ingestionJobId: jobId, datasetVersionId: version.id });
    const job = await jobOf(version.id);
    expect(job).toMatchObject({ status: 'queued', stage: 'requeued', attempts: 1 });
    expect(job.message_id).toBe(messages[0]?.messageId);
  });

  it('fails a version whose attempts ran out, saying so', async () => {
    const user = await createTestUser(testDb.db);
    const { version, jobId } = await versionWithVanishedWorker(user.id);
    await withSystemScope(testDb.db, 'admin.test-fixture', (trx) =>
      trx.updateTable('ingestion_jobs').set({ attempts: 5 }).where('id', '=', jobId).execute(),
    );

    clock.advance(INGESTION_ATTEMPT_LEASE_MS + MINUTE);
    const report = await sweepStuckVersions(services);

    expect(report.failed).toContain(version.id);
    expect(queues.receive('tabular', { maxMessages: 10 })).toHaveLength(0);
    const row = await versionRow(version.id);
    expect(row.status).toBe('failed');
    expect(row.validation_errors).toEqual([
      expect.objectContaining({
        code: 'INGESTION.RETRIES_EXHAUSTED',
        message: expect.stringContaining('interrupted 5 times'),
      }),
    ]);
    expect(await jobOf(version.id)).toMatchObject({ status: 'failed' });
  });

  it('fails a version whose ingestion outlived the longest time it may take', async () => {
    const user = await createTestUser(testDb.db);
    const { version } = await versionWithVanishedWorker(user.id);

    clock.advance(MAX_INGESTION_AGE_MS + MINUTE);
    const report = await sweepStuckVersions(services);

    expect(report.failed).toContain(version.id);
    const row = await versionRow(version.id);
    expect(row.status).toBe('failed');
    expect(row.validation_errors).toEqual([expect.objectContaining({ code: 'INGESTION.TIMED_OUT' })]);
  });

  it('fails a version whose file is no longer in storage instead of sending it again', async () => {
    const user = await createTestUser(testDb.db);
    const { version, key } = await versionWithVanishedWorker(user.id);
    await services.blobs.delete(key);

    clock.advance(INGESTION_ATTEMPT_LEASE_MS + MINUTE);
    const report = await sweepStuckVersions(services);

    expect(report.failed).toContain(version.id);
    expect((await versionRow(version.id)).validation_errors).toEqual([
      expect.objectContaining({ code: 'INGESTION.FILE_MISSING' }),
    ]);
  });

  it('leaves versions that are progressing alone', async () => {
    const user = await createTestUser(testDb.db);
    const { version } = await versionWithVanishedWorker(user.id);
    const validated = await uploadingVersion(user.id);
    await withSystemScope(testDb.db, 'admin.test-fixture', (trx) =>
      trx
        .updateTable('dataset_versions')
        .set({ status: 'validated' })
        .where('id', '=', validated.version.id)
        .execute(),
    );

    clock.advance(5 * MINUTE);
    const report = await sweepStuckVersions(services);

    for (const list of Object.values(report)) {
      expect(list).not.toContain(version.id);
      expect(list).not.toContain(validated.version.id);
    }
    expect((await versionRow(version.id)).status).toBe('validating');
    expect((await versionRow(validated.version.id)).status).toBe('validated');
  });
});
