import { createHash, randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { SQSRecord } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDuckDbEngine } from '../../../../../shared/adapters/duckdb/duckdb-sql-engine';
import { loadConfig } from '../../../../../shared/config/config';
import { withTenant } from '../../../../../shared/db/tenant';
import { createExport } from '../../../../../shared/domain/exports/create-export';
import { deleteExport } from '../../../../../shared/domain/exports/delete-export';
import { exportReserveKey, exportSettleKey } from '../../../../../shared/domain/exports/export-credits';
import type { ExportRecord } from '../../../../../shared/domain/exports/export-records';
import { findExport } from '../../../../../shared/domain/exports/export-repository';
import {
  EXPORT_FORMATS as DOMAIN_EXPORT_FORMATS,
  exportOptionsSchema,
} from '../../../../../shared/domain/exports/export-table';
import { makeExportWorker } from '../../../../../shared/domain/exports/export-worker';
import { EXPORT_LEASE_MS } from '../../../../../shared/domain/exports/run-export';
import { sweepQuietExports } from '../../../../../shared/domain/exports/sweep-exports';
import { EXPORT_FORMATS } from '../../../../../shared/db/schema';
import { DependencyUnavailableError } from '../../../../../shared/kernel/app-error';
import { fixedClock, systemClock } from '../../../../../shared/kernel/clock.port';
import { randomIds } from '../../../../../shared/kernel/ids.port';
import type { SignedInContext } from '../../../../../shared/kernel/request-context';
import { createLogger } from '../../../../../shared/observability/logger';
import { inMemoryMetrics } from '../../../../../shared/observability/metrics.port';
import type { QueuePublisher } from '../../../../../shared/ports/queue.port';
import type { Services } from '../../../../../shared/ports/services';
import type { OpenSqlEngine } from '../../../../../shared/ports/sql-engine.port';
import { DirectoryBlobStore } from '../../../../unit/support/node-test-context';
import { createTestDatabase, type TestDatabase } from '../../../support/database';
import { createTestUser, grantCredits, inSystemScope } from '../../../support/fixtures';

/**
 * Exports against a real PostgreSQL and DuckDB: what POST /exports holds and queues, what one
 * delivery of the exports queue does on success, on a failure that is the user's (the reason,
 * charged for the time it ran), on ours (retried; the last attempt refunds everything), when the
 * export is deleted under it, and what the sweep does with exports nobody finishes.
 */

/** A queue that remembers what was sent, and can be made to fail. */
class RecordingQueue implements QueuePublisher {
  sent: unknown[] = [];
  failing = false;
  async send(_queue: string, body: unknown) {
    if (this.failing) throw new DependencyUnavailableError('queue', 'the queue is down');
    this.sent.push(body);
    return { messageId: randomUUID() };
  }
  async sendBatch(): Promise<never> {
    throw new Error('not used');
  }
}

let testDb: TestDatabase;
let dir: string;
let blobs: DirectoryBlobStore;
let queue: RecordingQueue;
let services: Services;

function servicesWith(overrides: Partial<Services> = {}): Services {
  return { ...services, ...overrides };
}

beforeAll(async () => {
  testDb = await createTestDatabase();
  dir = await mkdtemp(path.join(tmpdir(), 'pw-exports-flow-'));
  blobs = new DirectoryBlobStore(path.join(dir, 'objects'));
  queue = new RecordingQueue();
  const config = loadConfig({ PW_RUNTIME: 'local', PW_LOG_LEVEL: 'SILENT', PW_BUCKET: 'test-bucket' });
  services = {
    config,
    db: testDb.db,
    blobs,
    queues: queue,
    orchestrator: {} as Services['orchestrator'],
    scheduler: {} as Services['scheduler'],
    clock: systemClock,
    ids: randomIds,
    logger: createLogger(config, 'exports-test'),
    metrics: inMemoryMetrics(),
    health: [],
  };
});

afterAll(async () => {
  await testDb.drop();
  await rm(dir, { recursive: true, force: true });
});

interface Owner {
  userId: string;
  context: SignedInContext;
  versionId: string;
}

/** A user with `credits`, and a validated version of theirs whose Parquet holds `rows` rows. */
async function ownerWithVersion(credits: number, rows = 500): Promise<Owner> {
  const user = await createTestUser(testDb.db);
  if (credits > 0) await grantCredits(testDb.db, user.id, credits);
  const parquet = path.join(dir, `${randomUUID()}.parquet`);
  const engine = await openDuckDbEngine({
    tempDirectory: path.join(dir, 'fixture-engine'),
    allowedDirectories: [dir],
  });
  await engine.run(
    `COPY (SELECT i AS id, i * 0.5 AS x, CASE WHEN i % 2 = 0 THEN 'even' ELSE 'odd' END AS label FROM range(${rows}) t(i))
     TO '${parquet}' (FORMAT parquet)`,
  );
  engine.close();
  const datasetId = randomUUID();
  const processedKey = `processed/${user.id}/${datasetId}/1/data.parquet`;
  await blobs.put(processedKey, createReadStream(parquet));
  const versionId = await inSystemScope(testDb.db, async (trx) => {
    await trx
      .insertInto('datasets')
      .values({ id: datasetId, user_id: user.id, name: 'numbers', modality: 'tabular' })
      .execute();
    const version = await trx
      .insertInto('dataset_versions')
      .values({
        dataset_id: datasetId,
        user_id: user.id,
        version_number: 1,
        original_filename: 'numbers.csv',
        status: 'validated',
        processed_object_key: processedKey,
        row_count: rows,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    return version.id;
  });
  const context: SignedInContext = {
    caller: { userId: user.id, role: 'user', via: 'jwt', scopes: [] },
    requestId: randomUUID(),
    sourceIp: '127.0.0.1',
    userAgent: 'test',
  };
  return { userId: user.id, context, versionId };
}

async function balanceOf(userId: string): Promise<number> {
  const row = await inSystemScope(testDb.db, (trx) =>
    trx.selectFrom('users').select('credit_balance').where('id', '=', userId).executeTakeFirstOrThrow(),
  );
  return Number(row.credit_balance);
}

async function ledger(key: string): Promise<{ type: string; amount: number } | undefined> {
  const row = await inSystemScope(testDb.db, (trx) =>
    trx
      .selectFrom('credit_transactions')
      .select(['type', 'amount'])
      .where('idempotency_key', '=', key)
      .executeTakeFirst(),
  );
  return row ? { type: row.type, amount: Number(row.amount) } : undefined;
}

async function exportRow(owner: Owner, id: string): Promise<ExportRecord | undefined> {
  return withTenant(testDb.db, { userId: owner.userId, role: 'user' }, (trx) => findExport(trx, owner, id));
}

function recordFor(record: ExportRecord, receiveCount = 1): SQSRecord {
  return {
    messageId: randomUUID(),
    receiptHandle: 'r',
    body: JSON.stringify({ exportId: record.id, userId: record.userId }),
    attributes: {
      ApproximateReceiveCount: String(receiveCount),
      SentTimestamp: '0',
      SenderId: 'test',
      ApproximateFirstReceiveTimestamp: '0',
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:local:000000000000:pipeweave-exports',
    awsRegion: 'local',
  };
}

async function deliver(
  record: ExportRecord,
  options: { receiveCount?: number; openEngine?: OpenSqlEngine; services?: Services } = {},
) {
  const worker = makeExportWorker(() => options.services ?? services, {
    openEngine: options.openEngine ?? openDuckDbEngine,
    tempRoot: dir,
  });
  return worker({ Records: [recordFor(record, options.receiveCount)] });
}

async function objectsUnder(prefix: string): Promise<string[]> {
  return (await blobs.list(prefix)).items.map((item) => item.key);
}

const csv = exportOptionsSchema('csv').parse({});

describe('exports: what is held, queued, written and charged', () => {
  it('lists in the database the formats the exporter writes', () => {
    expect([...EXPORT_FORMATS].sort()).toEqual([...DOMAIN_EXPORT_FORMATS].sort());
  });

  it('holds the estimate under export-reserve:<id> and queues the export after it is committed', async () => {
    const owner = await ownerWithVersion(100);
    queue.sent = [];

    const created = await createExport(services, owner.context, {
      source: { kind: 'datasetVersion', datasetVersionId: owner.versionId },
      format: 'csv',
      options: csv,
    });

    expect(created).toMatchObject({ status: 'queued', creditsReserved: expect.any(Number) as number });
    expect(created.creditsReserved).toBeGreaterThan(0);
    expect(await ledger(exportReserveKey(created.id))).toEqual({
      type: 'consumption',
      amount: -created.creditsReserved,
    });
    expect(await balanceOf(owner.userId)).toBe(100 - created.creditsReserved);
    expect(queue.sent).toEqual([{ exportId: created.id, userId: owner.userId }]);
    expect(await exportRow(owner, created.id)).toMatchObject({ status: 'queued' });
  });

  it('refuses an export the balance cannot cover with 402, leaving no export and no message', async () => {
    const owner = await ownerWithVersion(0);
    queue.sent = [];

    await expect(
      createExport(services, owner.context, {
        source: { kind: 'datasetVersion', datasetVersionId: owner.versionId },
        format: 'csv',
        options: csv,
      }),
    ).rejects.toMatchObject({ status: 402, code: 'CREDITS.INSUFFICIENT' });
    const rows = await withTenant(testDb.db, { userId: owner.userId, role: 'user' }, (trx) =>
      trx.selectFrom('exports').select('id').execute(),
    );
    expect(rows).toEqual([]);
    expect(queue.sent).toEqual([]);
  });

  it('ends an export it could not queue: failed, refunded in full, and the client told to retry', async () => {
    const owner = await ownerWithVersion(100);
    queue.failing = true;
    try {
      await expect(
        createExport(services, owner.context, {
          source: { kind: 'datasetVersion', datasetVersionId: owner.versionId },
          format: 'json',
          options: exportOptionsSchema('json').parse({}),
        }),
      ).rejects.toMatchObject({ status: 503 });
    } finally {
      queue.failing = false;
    }
    const [row] = await withTenant(testDb.db, { userId: owner.userId, role: 'user' }, (trx) =>
      trx.selectFrom('exports').select(['id', 'status', 'error_code', 'credits_charged']).execute(),
    );
    expect(row).toMatchObject({ status: 'failed', error_code: 'EXPORT.NOT_QUEUED', credits_charged: 0 });
    expect(await balanceOf(owner.userId)).toBe(100);
  });

  it('writes the files under exports/{user}/{export}/, completes the export and charges no more than it held', async () => {
    const owner = await ownerWithVersion(100);
    const created = await createExport(services, owner.context, {
      source: { kind: 'datasetVersion', datasetVersionId: owner.versionId },
      format: 'huggingface',
      options: exportOptionsSchema('huggingface').parse({
        labelColumn: 'label',
        split: { testFraction: 0.2, seed: 3 },
      }),
    });

    expect(await deliver(created)).toEqual({ batchItemFailures: [] });

    const done = await exportRow(owner, created.id);
    const prefix = `exports/${owner.userId}/${created.id}/`;
    expect(done).toMatchObject({
      status: 'completed',
      progress: 100,
      objectKey: prefix,
      rowCount: 500,
      attempts: 1,
    });
    const stored = await objectsUnder(prefix);
    expect(stored.sort()).toEqual((done?.files ?? []).map((file) => `${prefix}${file.relativePath}`).sort());
    for (const file of done?.files ?? []) {
      const bytes = await blobs.getBytes(`${prefix}${file.relativePath}`);
      expect(createHash('sha256').update(bytes).digest('hex')).toBe(file.sha256);
    }
    const charged = done?.creditsCharged ?? -1;
    expect(charged).toBeGreaterThanOrEqual(0);
    expect(charged).toBeLessThanOrEqual(created.creditsReserved);
    const settle = await ledger(exportSettleKey(created.id));
    expect(settle?.amount ?? 0).toBe(created.creditsReserved - charged);
    expect(await balanceOf(owner.userId)).toBe(100 - charged);

    // A second delivery of the same message changes nothing.
    expect(await deliver(created)).toEqual({ batchItemFailures: [] });
    expect(await exportRow(owner, created.id)).toMatchObject({ status: 'completed', attempts: 1 });
  });

  it('fails an export the table cannot satisfy at once, with the reason, and leaves no file', async () => {
    const owner = await ownerWithVersion(100);
    const created = await createExport(services, owner.context, {
      source: { kind: 'datasetVersion', datasetVersionId: owner.versionId },
      format: 'pytorch',
      options: exportOptionsSchema('pytorch').parse({ labelColumn: 'missing_column' }),
    });

    expect(await deliver(created)).toEqual({ batchItemFailures: [] });

    const failed = await exportRow(owner, created.id);
    expect(failed).toMatchObject({ status: 'failed', files: [] });
    expect(failed?.errorCode).toMatch(/^EXPORT\./);
    expect(failed?.errorMessage).toContain('missing_column');
    expect(failed?.creditsCharged).toBeLessThanOrEqual(created.creditsReserved);
    expect(await objectsUnder(`exports/${owner.userId}/${created.id}/`)).toEqual([]);
  });

  it('retries a failure of ours, and refunds everything when the last attempt fails too', async () => {
    const owner = await ownerWithVersion(100);
    const created = await createExport(services, owner.context, {
      source: { kind: 'datasetVersion', datasetVersionId: owner.versionId },
      format: 'csv',
      options: csv,
    });
    const broken: OpenSqlEngine = async () => {
      throw new Error('the engine could not start');
    };
    const clock = fixedClock(new Date());

    const first = await deliver(created, { openEngine: broken, services: servicesWith({ clock }) });
    expect(first.batchItemFailures).toHaveLength(1);
    expect(await exportRow(owner, created.id)).toMatchObject({ status: 'running', attempts: 1 });

    // SQS delivers it again after the visibility timeout, by when the first attempt's lease is over.
    clock.advance(EXPORT_LEASE_MS + 1_000);
    const last = await deliver(created, {
      openEngine: broken,
      receiveCount: 3,
      services: servicesWith({ clock }),
    });

    expect(last).toEqual({ batchItemFailures: [] });
    const failed = await exportRow(owner, created.id);
    expect(failed).toMatchObject({
      status: 'failed',
      errorCode: 'EXPORT.FAILED',
      creditsCharged: 0,
      attempts: 2,
    });
    expect(failed?.errorMessage).not.toMatch(/engine|Error:/);
    expect(await balanceOf(owner.userId)).toBe(100);
  });

  it('leaves a delivery for later while another attempt is alive', async () => {
    const owner = await ownerWithVersion(100);
    const created = await createExport(services, owner.context, {
      source: { kind: 'datasetVersion', datasetVersionId: owner.versionId },
      format: 'csv',
      options: csv,
    });
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    const slow: OpenSqlEngine = async (settings) => {
      await held;
      return openDuckDbEngine(settings);
    };

    const running = deliver(created, { openEngine: slow });
    await expect.poll(async () => (await exportRow(owner, created.id))?.status).toBe('running');
    // Not claimed, and not dropped: SQS delivers it again after the visibility timeout.
    expect((await deliver(created)).batchItemFailures).toHaveLength(1);
    expect(await exportRow(owner, created.id)).toMatchObject({ status: 'running', attempts: 1 });
    release();
    expect(await running).toEqual({ batchItemFailures: [] });
    expect(await exportRow(owner, created.id)).toMatchObject({ status: 'completed', attempts: 1 });
  });

  it('removes what an attempt wrote when its export is deleted under it, and refunds once', async () => {
    const owner = await ownerWithVersion(100);
    const created = await createExport(services, owner.context, {
      source: { kind: 'datasetVersion', datasetVersionId: owner.versionId },
      format: 'parquet',
      options: exportOptionsSchema('parquet').parse({}),
    });
    const deletingFirst: OpenSqlEngine = async (settings) => {
      await deleteExport(services, owner.context, created.id);
      return openDuckDbEngine(settings);
    };

    expect(await deliver(created, { openEngine: deletingFirst })).toEqual({ batchItemFailures: [] });

    expect(await exportRow(owner, created.id)).toBeUndefined();
    expect(await objectsUnder(`exports/${owner.userId}/${created.id}/`)).toEqual([]);
    expect(await ledger(exportSettleKey(created.id))).toEqual({
      type: 'refund',
      amount: created.creditsReserved,
    });
    expect(await balanceOf(owner.userId)).toBe(100);
  });

  it('sends a queued export that lost its message again, and gives up one that stayed quiet too long', async () => {
    const owner = await ownerWithVersion(100);
    const waiting = await createExport(services, owner.context, {
      source: { kind: 'datasetVersion', datasetVersionId: owner.versionId },
      format: 'csv',
      options: csv,
    });
    const stuck = await createExport(services, owner.context, {
      source: { kind: 'datasetVersion', datasetVersionId: owner.versionId },
      format: 'jsonl',
      options: exportOptionsSchema('jsonl').parse({}),
    });
    // The stuck one was claimed by an attempt that died after writing a file.
    await inSystemScope(testDb.db, (trx) =>
      trx
        .updateTable('exports')
        .set({ status: 'running', heartbeat_at: new Date() })
        .where('id', '=', stuck.id)
        .execute(),
    );
    await blobs.put(`exports/${owner.userId}/${stuck.id}/data.jsonl`, '{"id":1}\n');
    queue.sent = [];

    const soon = await sweepQuietExports(
      servicesWith({ clock: fixedClock(new Date(Date.now() + 20 * 60_000)) }),
    );
    expect(soon.failed).not.toContain(stuck.id);
    expect(soon.requeued).toContain(waiting.id);
    expect(soon.requeued).not.toContain(stuck.id);
    expect(queue.sent).toContainEqual({ exportId: waiting.id, userId: owner.userId });

    const later = await sweepQuietExports(
      servicesWith({ clock: fixedClock(new Date(Date.now() + 7 * 3600_000)) }),
    );
    expect(later.failed).toEqual(expect.arrayContaining([waiting.id, stuck.id]));
    expect(await exportRow(owner, stuck.id)).toMatchObject({
      status: 'failed',
      errorCode: 'EXPORT.LOST',
      creditsCharged: 0,
    });
    expect(await objectsUnder(`exports/${owner.userId}/${stuck.id}/`)).toEqual([]);
    expect(await balanceOf(owner.userId)).toBe(100);
  });

  it('keeps exports to their owner: another tenant reads none and cannot point one at a source not theirs', async () => {
    const alice = await ownerWithVersion(100);
    const bob = await ownerWithVersion(100);
    const created = await createExport(services, alice.context, {
      source: { kind: 'datasetVersion', datasetVersionId: alice.versionId },
      format: 'csv',
      options: csv,
    });

    const seenByBob = await withTenant(testDb.db, { userId: bob.userId, role: 'user' }, (trx) =>
      trx.selectFrom('exports').select('id').where('id', '=', created.id).execute(),
    );
    expect(seenByBob).toEqual([]);
    await expect(
      createExport(services, bob.context, {
        source: { kind: 'datasetVersion', datasetVersionId: alice.versionId },
        format: 'csv',
        options: csv,
      }),
    ).rejects.toMatchObject({ status: 404 });
    await expect(
      inSystemScope(testDb.db, (trx) =>
        trx
          .insertInto('exports')
          .values({ user_id: bob.userId, dataset_version_id: alice.versionId, format: 'csv' })
          .execute(),
      ),
    ).rejects.toMatchObject({ constraint: 'exports_dataset_version_id_fkey' });
  });
});
