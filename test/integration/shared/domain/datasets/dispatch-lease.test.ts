import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { LocalQueues } from '../../../../../infra/local/local-queues';
import { loadConfig } from '../../../../../shared/config/config';
import { completeVersionUpload } from '../../../../../shared/domain/datasets/dataset-version-uploads';
import { findDataset, insertDataset } from '../../../../../shared/domain/datasets/dataset-repository';
import { insertUploadingVersion } from '../../../../../shared/domain/datasets/dataset-version-repository';
import { DISPATCH_LEASE_SECONDS } from '../../../../../shared/domain/datasets/ingestion-job-repository';
import { withSystemScope, withTenant } from '../../../../../shared/db/tenant';
import { handleObjectArrival } from '../../../../../shared/domain/datasets/ingestion/dispatch/handle-object-arrival';
import type {
  DispatchServices,
  ObjectArrival,
} from '../../../../../shared/domain/datasets/ingestion/dispatch/object-arrival';
import { createLogger } from '../../../../../shared/observability/logger';
import { fixedClock } from '../../../../../shared/kernel/clock.port';
import type { QueuePublisher } from '../../../../../shared/ports/queue.port';
import { objectKeys } from '../../../../../shared/storage/object-keys';
import { until } from '../../../../support/until';
import { createTestDatabase, type TestDatabase } from '../../../support/database';
import { createTestUser } from '../../../support/fixtures';
import { MemoryBlobs } from '../../../support/memory-blobs';

/**
 * The claim to send an arrival's ingestion message is a lease. A process that dies between the
 * claim and the send leaves the job queued without a message: once the lease expires, the next
 * delivery of the S3 event or `POST …/complete` sends it. A send that succeeded keeps its claim
 * even when recording the message id fails, so no second message goes out.
 */
const config = loadConfig({ PW_RUNTIME: 'local', PW_LOG_LEVEL: 'SILENT' });
const LEASE_MS = DISPATCH_LEASE_SECONDS * 1000;

let testDb: TestDatabase;
let queues: LocalQueues;

beforeAll(async () => {
  testDb = await createTestDatabase();
});
afterAll(async () => {
  await testDb.drop();
});
afterEach(async () => {
  await queues.stop();
});

function services() {
  return {
    db: testDb.db,
    blobs: new MemoryBlobs(),
    queues: queues as QueuePublisher,
    logger: createLogger(config),
    clock: fixedClock(new Date()),
    config,
  } satisfies DispatchServices;
}

/** A process that dies while sending: the send never returns (nor does anything after it). */
const dyingQueue: QueuePublisher = {
  send: () => new Promise(() => undefined),
  sendBatch: () => new Promise(() => undefined),
};

async function uploadedFile(userId: string, blobs: MemoryBlobs) {
  const { dataset, key } = await withTenant(testDb.db, { userId, role: 'user' }, async (trx) => {
    const dataset = await insertDataset(trx, { userId, name: `ds-${Math.random()}`, modality: 'tabular' });
    await findDataset(trx, { userId, datasetId: dataset.id }, { forUpdate: true });
    const version = await insertUploadingVersion(trx, {
      userId,
      datasetId: dataset.id,
      originalFilename: 'data.csv',
      originalFormat: 'csv',
      contentType: 'text/csv',
      sizeBytes: 11,
      sourceType: 'upload',
      uploadExpiresAt: new Date(Date.now() + 60_000),
      rawKey: (n) => objectKeys.raw(userId, dataset.id, n, 'data.csv'),
    });
    return { dataset, key: version.rawObjectKey ?? '' };
  });
  const info = await blobs.put(key, Buffer.from('a,b\n1,2\n3,4'));
  const arrival: ObjectArrival = { bucket: 'test-bucket', key, size: info.size, etag: 'etag-1' };
  return { datasetId: dataset.id, key, arrival };
}

async function jobOf(key: string) {
  return withSystemScope(testDb.db, 'admin.test-check', (trx) =>
    trx.selectFrom('ingestion_jobs').selectAll().where('object_key', '=', key).executeTakeFirst(),
  );
}

function messages(): number {
  const stats = queues.stats().find((s) => s.queue === 'tabular');
  return (stats?.visible ?? 0) + (stats?.inFlight ?? 0) + (stats?.delayed ?? 0);
}

/** Starts a delivery that claims the dispatch and dies in the send; resolves once the claim is stored. */
async function crashAfterClaim(svc: ReturnType<typeof services>, arrival: ObjectArrival) {
  void handleObjectArrival({ ...svc, queues: dyingQueue }, arrival);
  await until('the dispatch claim', async () => ((await jobOf(arrival.key))?.queue ? true : undefined));
}

describe('dispatch claims', () => {
  it('an S3 event redelivered after the lease sends the message a crashed process never sent', async () => {
    queues = new LocalQueues();
    const user = await createTestUser(testDb.db);
    const svc = services();
    const { arrival } = await uploadedFile(user.id, svc.blobs);
    await crashAfterClaim(svc, arrival);

    expect(await handleObjectArrival(svc, arrival)).toMatchObject({ outcome: 'duplicate' });
    expect(messages()).toBe(0);

    svc.clock.advance(LEASE_MS + 1_000);
    expect(await handleObjectArrival(svc, arrival)).toMatchObject({ outcome: 'dispatched' });
    expect(await handleObjectArrival(svc, arrival)).toMatchObject({ outcome: 'duplicate' });
    expect(messages()).toBe(1);
    expect((await jobOf(arrival.key))?.message_id).toBeTruthy();
  });

  it('POST …/complete after the lease sends the message a crashed process never sent', async () => {
    queues = new LocalQueues();
    const user = await createTestUser(testDb.db);
    const caller = { userId: user.id, role: 'user' as const, via: 'jwt' as const, scopes: ['write'] };
    const svc = services();
    const { arrival, datasetId } = await uploadedFile(user.id, svc.blobs);
    await crashAfterClaim(svc, arrival);

    const early = await completeVersionUpload(svc, caller, datasetId, 1);
    expect(early.outcome).toBe('duplicate');
    expect(early.version.status).toBe('uploaded');
    expect(messages()).toBe(0);

    svc.clock.advance(LEASE_MS + 1_000);
    expect((await completeVersionUpload(svc, caller, datasetId, 1)).outcome).toBe('dispatched');
    expect((await completeVersionUpload(svc, caller, datasetId, 1)).outcome).toBe('duplicate');
    expect(messages()).toBe(1);
  });

  it('keeps the claim when only recording the sent message failed: a redelivery sends no second message', async () => {
    queues = new LocalQueues();
    const user = await createTestUser(testDb.db);
    // The message goes out; its id cannot be stored (PostgreSQL text refuses NUL).
    const unrecordable: QueuePublisher = {
      send: async (queue, body, options) => {
        const sent = await queues.send(queue, body, options);
        return { ...sent, messageId: `${sent.messageId}\u0000` };
      },
      sendBatch: (queue, entries) => queues.sendBatch(queue, entries),
    };
    const svc = services();
    const { arrival } = await uploadedFile(user.id, svc.blobs);

    expect(await handleObjectArrival({ ...svc, queues: unrecordable }, arrival)).toMatchObject({
      outcome: 'dispatched',
    });
    expect(await jobOf(arrival.key)).toMatchObject({ queue: 'tabular', message_id: null });
    expect(await handleObjectArrival(svc, arrival)).toMatchObject({ outcome: 'duplicate' });
    expect(messages()).toBe(1);
  });
});
