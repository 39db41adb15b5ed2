import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { LocalQueues } from '../../../infra/local/local-queues';
import { startLocalS3, type LocalS3 } from '../../../infra/local/local-s3';
import { LocalScheduler } from '../../../infra/local/local-scheduler';
import { S3BlobStore, createS3Client } from '../../../shared/adapters/aws/s3-blob-store';
import { openDuckDbEngine } from '../../../shared/adapters/duckdb/duckdb-sql-engine';
import { loadConfig, type QueueModality } from '../../../shared/config/config';
import type { DatasetVersionFormat } from '../../../shared/db/schema';
import { withTenant } from '../../../shared/db/tenant';
import type { IngestionMessage } from '../../../shared/domain/datasets/ingestion/messages';
import {
  makeIngestionWorker,
  type IngestionWorkerHandler,
} from '../../../shared/domain/datasets/ingestion/workers/ingestion-worker';
import { MODALITY_PROCESSORS } from '../../../shared/domain/datasets/ingestion/workers/modality-processors';
import { createLogger } from '../../../shared/observability/logger';
import { inMemoryMetrics } from '../../../shared/observability/metrics.port';
import { systemClock } from '../../../shared/kernel/clock.port';
import { randomIds } from '../../../shared/kernel/ids.port';
import type { Orchestrator } from '../../../shared/ports/orchestrator.port';
import type { Services } from '../../../shared/ports/services';
import { objectKeys } from '../../../shared/storage/object-keys';
import { createTestDatabase, type TestDatabase } from './database';
import { createTestUser, inSystemScope } from './fixtures';

/**
 * Real PostgreSQL, real local S3, the real worker handlers: a test puts a file where an upload
 * would land, records the version and job rows the dispatcher would (in the owner's tenant scope,
 * as the dispatcher does), and hands the worker the SQS record the queue would deliver. Rows are
 * read back in system scope: the test connection is not a superuser, so row-level security applies.
 */
export interface WorkerHarness {
  services: Services;
  testDb: TestDatabase;
  userId: string;
  worker(modality: QueueModality): IngestionWorkerHandler;
  arrive(options: ArrivalOptions): Promise<Arrival>;
  record(arrival: Arrival, receiveCount?: number): SQSRecord;
  process(arrival: Arrival): Promise<void>;
  version(arrival: Arrival): Promise<VersionRow>;
  /** The arrival's ingestion job: its status and the error it recorded. */
  job(arrival: Arrival): Promise<{ status: string; error_details: unknown }>;
  stop(): Promise<void>;
}

export interface ArrivalOptions {
  fileName: string;
  body: Uint8Array | string;
  modality?: QueueModality;
  format?: DatasetVersionFormat;
  targetColumn?: string;
  datasetId?: string;
  userId?: string;
}

export interface Arrival {
  message: IngestionMessage;
  key: string;
}

export type VersionRow = Awaited<ReturnType<typeof loadVersion>>;

async function loadVersion(testDb: TestDatabase, id: string) {
  return inSystemScope(testDb.db, (trx) =>
    trx.selectFrom('dataset_versions').selectAll().where('id', '=', id).executeTakeFirstOrThrow(),
  );
}

const noOrchestrator = new Proxy({} as Orchestrator, {
  get(_t, property) {
    if (property === 'then') return undefined;
    throw new Error(`workers do not start executions (services.orchestrator.${String(property)})`);
  },
});

export async function startWorkerHarness(): Promise<WorkerHarness> {
  const testDb = await createTestDatabase();
  const directory = await mkdtemp(join(tmpdir(), 'pw-worker-s3-'));
  const bucket = 'pipeweave-worker-test';
  const s3: LocalS3 = await startLocalS3({ directory, bucket });
  const client = createS3Client({
    region: 'us-east-1',
    endpoint: s3.endpoint,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
  });
  const blobs = new S3BlobStore({ client, bucket });
  const config = loadConfig({
    PW_RUNTIME: 'local',
    PW_LOG_LEVEL: 'SILENT',
    PW_BUCKET: bucket,
    PW_S3_ENDPOINT: s3.endpoint,
  });
  const queues = new LocalQueues({});
  const scheduler = new LocalScheduler({});
  const services: Services = {
    config,
    db: testDb.db,
    blobs,
    queues,
    orchestrator: noOrchestrator,
    scheduler,
    clock: systemClock,
    ids: randomIds,
    logger: createLogger(config, 'worker-test'),
    metrics: inMemoryMetrics(),
    health: [],
  };
  const user = await createTestUser(testDb.db);
  const workers = new Map<QueueModality, IngestionWorkerHandler>();
  const worker = (modality: QueueModality) => {
    let handler = workers.get(modality);
    if (!handler) {
      handler = makeIngestionWorker(() => services, {
        modality,
        processor: MODALITY_PROCESSORS[modality],
        openEngine: openDuckDbEngine,
      });
      workers.set(modality, handler);
    }
    return handler;
  };
  let sequence = 0;

  const harness: WorkerHarness = {
    services,
    testDb,
    userId: user.id,
    worker,
    async arrive(options) {
      const userId = options.userId ?? user.id;
      const modality = options.modality ?? 'tabular';
      const scope = { userId, role: 'user' } as const;
      const { datasetId, versionNumber } = await withTenant(testDb.db, scope, async (trx) => {
        let id = options.datasetId;
        if (!id) {
          const dataset = await trx
            .insertInto('datasets')
            .values({
              user_id: userId,
              name: `dataset ${randomUUID()}`,
              modality,
              target_column: options.targetColumn ?? null,
            })
            .returning('id')
            .executeTakeFirstOrThrow();
          id = dataset.id;
        }
        const last = await trx
          .selectFrom('dataset_versions')
          .select((eb) => eb.fn.max('version_number').as('n'))
          .where('dataset_id', '=', id)
          .executeTakeFirst();
        return { datasetId: id, versionNumber: Number(last?.n ?? 0) + 1 };
      });
      const key = objectKeys.raw(userId, datasetId, versionNumber, options.fileName);
      const bytes = typeof options.body === 'string' ? Buffer.from(options.body, 'utf8') : options.body;
      const put = await blobs.put(key, bytes);
      const { version, job } = await withTenant(testDb.db, scope, async (trx) => {
        const versionRow = await trx
          .insertInto('dataset_versions')
          .values({
            dataset_id: datasetId,
            user_id: userId,
            version_number: versionNumber,
            original_filename: options.fileName,
            original_format: options.format ?? 'csv',
            ...(bytes.length > 0 ? { original_size_bytes: bytes.length } : {}),
            raw_object_key: key,
            status: 'uploaded',
          })
          .returning('id')
          .executeTakeFirstOrThrow();
        const jobRow = await trx
          .insertInto('ingestion_jobs')
          .values({
            user_id: userId,
            dataset_id: datasetId,
            dataset_version_id: versionRow.id,
            source_type: 'upload',
            object_key: key,
            queue: modality,
            status: 'queued',
          })
          .returning('id')
          .executeTakeFirstOrThrow();
        return { version: versionRow, job: jobRow };
      });
      const message: IngestionMessage = {
        kind: 'ingest-version',
        ingestionJobId: job.id,
        datasetVersionId: version.id,
        datasetId,
        userId,
        modality,
        bucket,
        key,
        size: bytes.length,
        etag: put.etag ?? '',
        source: 'upload',
        versionNumber,
        arrivedAt: new Date().toISOString(),
      };
      return { message, key };
    },
    record(arrival, receiveCount = 1) {
      sequence += 1;
      return sqsRecord(`m-${sequence}`, JSON.stringify(arrival.message), receiveCount);
    },
    async process(arrival) {
      const result = await worker(arrival.message.modality)({ Records: [harness.record(arrival)] });
      if (result.batchItemFailures.length > 0) throw new Error('the worker failed the message');
    },
    version: (arrival) => loadVersion(testDb, arrival.message.datasetVersionId),
    job: (arrival) =>
      inSystemScope(testDb.db, (trx) =>
        trx
          .selectFrom('ingestion_jobs')
          .select(['status', 'error_details'])
          .where('id', '=', arrival.message.ingestionJobId)
          .executeTakeFirstOrThrow(),
      ),
    async stop() {
      await queues.stop();
      await scheduler.stop();
      client.destroy();
      await s3.stop();
      await testDb.drop();
      await rm(directory, { recursive: true, force: true });
    },
  };
  return harness;
}

export function sqsRecord(messageId: string, body: string, receiveCount = 1): SQSRecord {
  return {
    messageId,
    receiptHandle: `receipt-${messageId}`,
    body,
    attributes: {
      ApproximateReceiveCount: String(receiveCount),
      SentTimestamp: String(Date.now()),
      SenderId: 'local',
      ApproximateFirstReceiveTimestamp: String(Date.now()),
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:pipeweave-tabular',
    awsRegion: 'us-east-1',
  };
}

export type { SQSEvent };
