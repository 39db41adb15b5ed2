import { createReadStream } from 'node:fs';
import { mkdir, rm, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { SQSRecord } from 'aws-lambda';
import { WORKER_PROCESSORS } from '../functions/workers/worker-processors';
import { startEmbeddedPostgres } from '../infra/local/embedded-postgres';
import { LocalQueues } from '../infra/local/local-queues';
import { LOCAL_S3_CREDENTIALS, startLocalS3 } from '../infra/local/local-s3';
import { LocalScheduler } from '../infra/local/local-scheduler';
import { S3BlobStore, createS3Client } from '../shared/adapters/aws/s3-blob-store';
import { openDuckDbEngine } from '../shared/adapters/duckdb/duckdb-sql-engine';
import { closeDatabase, createPgDatabase } from '../shared/adapters/postgres/pg-database';
import { loadConfig } from '../shared/config/config';
import type { DatabaseTransaction } from '../shared/db/database';
import { runMigrations } from '../shared/db/migrate';
import { seedReferenceData } from '../shared/domain/pipelines/reference-data';
import { withSystemScope, withTenant } from '../shared/db/tenant';
import type { IngestionMessage } from '../shared/domain/datasets/ingestion/messages';
import {
  makeIngestionWorker,
  type IngestionWorkerHandler,
} from '../shared/domain/datasets/ingestion/workers/ingestion-worker';
import { createLogger } from '../shared/observability/logger';
import { inMemoryMetrics } from '../shared/observability/metrics.port';
import { systemClock } from '../shared/kernel/clock.port';
import { randomIds } from '../shared/kernel/ids.port';
import type { Orchestrator } from '../shared/ports/orchestrator.port';
import type { SqlEngineSettings } from '../shared/ports/sql-engine.port';
import type { Services } from '../shared/ports/services';
import { objectKeys } from '../shared/storage/object-keys';
import type { CleanupStack } from './cleanup-stack';

/**
 * What the deployed tabular worker runs on, rebuilt on one machine: a real PostgreSQL (migrated,
 * with reference data; the worker logs in as the non-superuser role, so row-level security
 * applies), the local S3 server, and the worker handler built exactly as
 * functions/workers/tabular/handler.ts builds it (same processor table, same DuckDB adapter, the
 * worker's own engine settings). Only the services differ, as they do under `npm start`.
 *
 * `arrive` does what an upload plus the dispatcher do: the file goes to its raw/ key and the
 * version and ingestion job rows are recorded in the owner's tenant scope; `sqsRecord` is what the
 * tabular queue would deliver.
 */
export interface BenchPlatform {
  services: Services;
  worker: IngestionWorkerHandler;
  /** Root of the worker's per-message temp dirs (the deployed worker uses the OS temp dir). */
  workerTempRoot: string;
  /** The options the worker opened its SQL engine with, once it has. */
  engineOptions(): SqlEngineSettings | undefined;
  arrive(filePath: string): Promise<IngestionMessage>;
  sqsRecord(message: IngestionMessage): SQSRecord;
  /** Reads tenant rows across tenants, as an operator would. */
  inSystemScope<T>(work: (trx: DatabaseTransaction) => Promise<T>): Promise<T>;
}

export interface BenchPlatformOptions {
  /** Holds the object store and the worker's temp dirs. */
  directory: string;
  /** A directory the PostgreSQL cluster may own (its parent must be reachable by the postgres user). */
  postgresRoot: string;
  /** Every server started here is stopped through it. */
  cleanup: CleanupStack;
}

const BUCKET = 'pipeweave-bench';
const DATABASE = 'pipeweave_bench';

export async function startBenchPlatform(options: BenchPlatformOptions): Promise<BenchPlatform> {
  const { cleanup } = options;
  // Deferred before it is up: a Ctrl-C during start-up then waits for it and stops it, instead of
  // removing its directory under a running server.
  const startingPostgres = startEmbeddedPostgres({
    dataDir: join(options.postgresRoot, 'pgdata'),
    port: 0,
    databaseName: DATABASE,
    durable: false,
  });
  cleanup.defer('stop PostgreSQL', () =>
    startingPostgres.then(
      (server) => server.stop(),
      () => undefined,
    ),
  );
  const postgres = await startingPostgres;
  const db = createPgDatabase(postgres.connectionString, { max: 4 });
  cleanup.defer('close the database pool', () => closeDatabase(db));
  await runMigrations(db);
  await seedReferenceData(db);

  const s3Directory = join(options.directory, 's3');
  cleanup.defer('remove the object store', () => rm(s3Directory, { recursive: true, force: true }));
  const startingS3 = startLocalS3({ directory: s3Directory, bucket: BUCKET });
  cleanup.defer('stop the local S3', () =>
    startingS3.then(
      (server) => server.stop(),
      () => undefined,
    ),
  );
  const s3 = await startingS3;
  const client = createS3Client({
    region: 'us-east-1',
    endpoint: s3.endpoint,
    credentials: LOCAL_S3_CREDENTIALS,
  });
  cleanup.defer('close the S3 client', async () => client.destroy());
  const blobs = new S3BlobStore({ client, bucket: BUCKET });

  const config = loadConfig({
    PW_RUNTIME: 'local',
    PW_LOG_LEVEL: 'ERROR',
    PW_BUCKET: BUCKET,
    PW_S3_ENDPOINT: s3.endpoint,
  });
  const queues = new LocalQueues({});
  cleanup.defer('stop the local queues', () => queues.stop());
  const scheduler = new LocalScheduler({});
  cleanup.defer('stop the local scheduler', () => scheduler.stop());
  const services: Services = {
    config,
    db,
    blobs,
    queues,
    orchestrator: noOrchestrator,
    scheduler,
    clock: systemClock,
    ids: randomIds,
    logger: createLogger(config, 'bench-tabular-worker'),
    metrics: inMemoryMetrics(),
    health: [],
  };

  const workerTempRoot = join(options.directory, 'worker-tmp');
  await mkdir(workerTempRoot, { recursive: true });
  let engineOptions: SqlEngineSettings | undefined;
  const worker = makeIngestionWorker(() => services, {
    modality: 'tabular',
    processor: WORKER_PROCESSORS.tabular,
    // The real adapter; recording its options lets the baseline run with the same settings.
    openEngine: (engine) => {
      engineOptions = engine;
      return openDuckDbEngine(engine);
    },
    tempRoot: workerTempRoot,
  });

  // A pro user: a 1 GiB file is within that tier's file size limit.
  const user = await withSystemScope(db, 'admin.benchmark', (trx) =>
    trx
      .insertInto('users')
      .values({
        email: `bench-${randomIds.uuid()}@example.test`,
        password_hash: '$argon2id$v=19$m=19456,t=2,p=1$bench$bench',
        full_name: 'Benchmark User',
        tier: 'pro',
      })
      .returning('id')
      .executeTakeFirstOrThrow(),
  );
  let sequence = 0;

  return {
    services,
    worker,
    workerTempRoot,
    engineOptions: () => engineOptions,
    async arrive(filePath) {
      const scope = { userId: user.id, role: 'user' } as const;
      const fileName = basename(filePath);
      const dataset = await withTenant(db, scope, (trx) =>
        trx
          .insertInto('datasets')
          .values({ user_id: user.id, name: `benchmark ${fileName}`, modality: 'tabular' })
          .returning('id')
          .executeTakeFirstOrThrow(),
      );
      const key = objectKeys.raw(user.id, dataset.id, 1, fileName);
      const { size } = await stat(filePath);
      const put = await blobs.put(key, createReadStream(filePath), {
        contentType: 'text/csv',
        contentLength: size,
      });
      const { version, job } = await withTenant(db, scope, async (trx) => {
        const versionRow = await trx
          .insertInto('dataset_versions')
          .values({
            dataset_id: dataset.id,
            user_id: user.id,
            version_number: 1,
            original_filename: fileName,
            original_format: 'csv',
            original_size_bytes: size,
            raw_object_key: key,
            status: 'uploaded',
          })
          .returning('id')
          .executeTakeFirstOrThrow();
        const jobRow = await trx
          .insertInto('ingestion_jobs')
          .values({
            user_id: user.id,
            dataset_id: dataset.id,
            dataset_version_id: versionRow.id,
            source_type: 'upload',
            object_key: key,
            queue: 'tabular',
            status: 'queued',
          })
          .returning('id')
          .executeTakeFirstOrThrow();
        return { version: versionRow, job: jobRow };
      });
      return {
        kind: 'ingest-version',
        ingestionJobId: job.id,
        datasetVersionId: version.id,
        datasetId: dataset.id,
        userId: user.id,
        modality: 'tabular',
        bucket: BUCKET,
        key,
        size,
        etag: (put.etag ?? '').replaceAll('"', ''),
        source: 'upload',
        versionNumber: 1,
        arrivedAt: new Date().toISOString(),
      };
    },
    sqsRecord(message) {
      sequence += 1;
      const now = String(Date.now());
      return {
        messageId: `bench-${sequence}`,
        receiptHandle: `receipt-bench-${sequence}`,
        body: JSON.stringify(message),
        attributes: {
          ApproximateReceiveCount: '1',
          SentTimestamp: now,
          SenderId: 'local',
          ApproximateFirstReceiveTimestamp: now,
        },
        messageAttributes: {},
        md5OfBody: '',
        eventSource: 'aws:sqs',
        eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:pipeweave-tabular',
        awsRegion: 'us-east-1',
      };
    },
    inSystemScope: (work) => withSystemScope(db, 'admin.benchmark', work),
  };
}

const noOrchestrator = new Proxy({} as Orchestrator, {
  get(_target, property) {
    if (property === 'then') return undefined;
    throw new Error(`workers do not start executions (services.orchestrator.${String(property)})`);
  },
});
