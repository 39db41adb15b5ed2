import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { S3Event } from 'aws-lambda';
import { sql } from 'kysely';
import { apiGroupList, apiHandlerFactories, apiRoutes } from '../../functions/api/routes';
import { S3BlobStore, createS3Client } from '../../shared/adapters/aws/s3-blob-store';
import { closeDatabase, createPgDatabase } from '../../shared/adapters/postgres/pg-database';
import { loadConfigWith, type Config } from '../../shared/config/config';
import type { Database } from '../../shared/db/database';
import { runMigrations } from '../../shared/db/migrate';
import { seedReferenceData } from '../../shared/domain/pipelines/reference-data';
import { createLogger, type Logger } from '../../shared/observability/logger';
import { inMemoryMetrics } from '../../shared/observability/metrics.port';
import { systemClock } from '../../shared/kernel/clock.port';
import { timedCheck } from '../../shared/health/timed-check';
import type { HealthCheck } from '../../shared/ports/health.port';
import { randomIds } from '../../shared/kernel/ids.port';
import type { Services } from '../../shared/ports/services';
import type { LocalWorkers } from './attach-local-workers';
import { startEmbeddedPostgres, type EmbeddedPostgresServer } from './embedded-postgres';
import { startHttpServer, type RunningHttpServer } from './http-server';
import { LocalQueues } from './local-queues';
import { LOCAL_S3_CREDENTIALS, startLocalS3, type LocalS3 } from './local-s3';
import { LocalScheduler, type ScheduledHandler } from './local-scheduler';
import { localStripeWebhookSecret } from './local-stripe';
import { lambdaTask, LocalStepFunctions } from './local-step-functions';

/**
 * The whole platform in one process (`npm start`, end-to-end tests): embedded PostgreSQL, the
 * local S3 server, queues with SQS semantics, the States-Language interpreter over
 * `statemachines/`, the scheduler and an HTTP server that plays API Gateway. Handlers are the
 * same ones Lambda runs; only the adapters in `Services` differ.
 */
export interface LocalPlatformOptions {
  /** Where the database and objects live across restarts (default `.pipeweave`). */
  dataDir?: string;
  host?: string;
  /** 0 picks a free port (tests). */
  port?: number;
  /** Extra variables for `loadConfig`, on top of the process environment. */
  env?: Record<string, string | undefined>;
  /** Progress lines while booting (the CLI prints them). */
  onProgress?: (message: string) => void;
}

export interface LocalPlatform {
  url: string;
  config: Config;
  services: Services;
  queues: LocalQueues;
  /** The processes the queues' workers run in. */
  workers: LocalWorkers;
  orchestrator: LocalStepFunctions;
  scheduler: LocalScheduler;
  s3: LocalS3;
  postgres: EmbeddedPostgresServer;
  /** Connection details for tools (psql, the AWS CLI against the local S3), also written to `runtime.json`. */
  runtimeInfo: RuntimeInfo;
  stop(): Promise<void>;
}

export interface RuntimeInfo {
  url: string;
  docsUrl: string;
  databaseUrl: string;
  s3Endpoint: string;
  bucket: string;
  pid: number;
  startedAt: string;
}

export const LOCAL_BUCKET = 'pipeweave-local';
const HEALTH_TIMEOUT_MS = 3_000;

export async function startLocalPlatform(options: LocalPlatformOptions = {}): Promise<LocalPlatform> {
  // Request logs are JSON lines; on one machine only warnings and errors are printed unless asked.
  const defaults = { PW_LOG_LEVEL: 'WARN' };
  const progress = options.onProgress ?? (() => undefined);
  const base = loadConfigWith({ defaults, extra: { ...options.env, PW_RUNTIME: 'local' } });
  const dataDir = path.resolve(options.dataDir ?? base.local.dataDir);
  await mkdir(dataDir, { recursive: true });
  const logger = createLogger(base, 'local-platform');

  const stack: { name: string; stop: () => Promise<void> }[] = [];
  const stopAll = async () => {
    for (const { name, stop } of stack.reverse()) {
      try {
        await stop();
      } catch (error) {
        logger.error(`stopping ${name} failed`, { error });
      }
    }
    stack.length = 0;
  };

  try {
    progress('starting PostgreSQL');
    const postgres = await startEmbeddedPostgres({
      dataDir: path.join(dataDir, 'postgres'),
      databaseName: 'pipeweave',
      port: base.local.postgresPort,
      logger: (m) => logger.debug(m),
    });
    stack.push({ name: 'postgres', stop: () => postgres.stop() });

    const db = createPgDatabase(postgres.connectionString, { max: 10 });
    stack.push({ name: 'database pool', stop: () => closeDatabase(db) });
    progress('applying migrations');
    const migrations = await runMigrations(db);
    await seedReferenceData(db);

    progress('starting local S3');
    // Set once the functions are wired (they need the services, which need the S3 endpoint).
    const s3Events: { onObjectCreated?: (event: S3Event) => Promise<void> } = {};
    const s3 = await startLocalS3({
      directory: path.join(dataDir, 's3'),
      bucket: LOCAL_BUCKET,
      port: base.local.s3Port,
      eventPrefixes: ['raw/', 'dropbox/'],
      corsOrigins: base.http.corsOrigins,
      onObjectEvent: async (event) => {
        if (s3Events.onObjectCreated) await s3Events.onObjectCreated(event);
      },
      logger,
    });
    stack.push({ name: 's3', stop: () => s3.stop() });

    // Webhooks verify against the data directory's own secret unless one is configured.
    const stripeWebhookSecret =
      base.stripe?.webhookSigningSecret ?? (await localStripeWebhookSecret(dataDir));
    const config = loadConfigWith({
      defaults,
      extra: {
        ...options.env,
        PW_STRIPE_WEBHOOK_SECRET: stripeWebhookSecret,
        PW_RUNTIME: 'local',
        PW_DATABASE_URL: postgres.connectionString,
        PW_BUCKET: LOCAL_BUCKET,
        PW_S3_ENDPOINT: s3.endpoint,
        PW_DATA_DIR: dataDir,
        PW_STATE_MACHINE_ARNS: JSON.stringify({ 'run-pipeline': 'local:run-pipeline' }),
        PW_SCHEDULER_GROUP: 'pipeweave',
      },
    });
    const blobs = new S3BlobStore({
      // The key pair the local server knows: it verifies presigned POST signatures with it.
      client: createS3Client({
        region: config.region,
        endpoint: s3.endpoint,
        credentials: LOCAL_S3_CREDENTIALS,
      }),
      bucket: LOCAL_BUCKET,
    });

    const queues = new LocalQueues({ logger });
    stack.push({ name: 'queues', stop: () => queues.stop() });

    progress('loading state machines');
    const orchestrator = await LocalStepFunctions.fromDirectory({ logger });
    stack.push({ name: 'orchestrator', stop: () => orchestrator.stopAll() });

    // Schedules created through the Scheduler port (a dataset's refresh) fire the handler wired below.
    const productSchedules: { handler?: ScheduledHandler } = {};
    const scheduler = new LocalScheduler({
      logger,
      onProductSchedule: async (event) => {
        if (productSchedules.handler) await productSchedules.handler(event);
      },
    });
    stack.push({ name: 'scheduler', stop: () => scheduler.stop() });

    const checkOptions = { timeoutMs: HEALTH_TIMEOUT_MS, logger };
    const health: HealthCheck[] = [
      timedCheck(
        'database',
        async () => {
          const { rows } = await sql<{
            version: string;
          }>`select current_setting('server_version') as version`.execute(db);
          return `embedded postgres ${rows[0]?.version ?? postgres.version}, ${migrations.applied.length + migrations.skipped.length} migrations`;
        },
        checkOptions,
      ),
      timedCheck(
        'storage',
        async () => {
          await blobs.list('', { limit: 1 });
          return `local S3 at ${s3.endpoint}, bucket ${LOCAL_BUCKET}`;
        },
        checkOptions,
      ),
      queues.healthCheck(),
      orchestrator.healthCheck(),
      {
        name: 'scheduler',
        check: async () => ({ status: 'up', detail: `${scheduler.upcoming().length} schedules` }),
      },
    ];

    const services: Services = {
      config,
      db,
      blobs,
      queues,
      orchestrator,
      scheduler,
      clock: systemClock,
      ids: randomIds,
      logger: createLogger(config),
      metrics: inMemoryMetrics(),
      health,
      loadImageCodec: async () =>
        (await import('../../shared/adapters/image/sharp-image-codec')).sharpImageCodec,
    };

    const wiring = await wireLocalFunctions(services, { queues, orchestrator, scheduler });
    stack.push({ name: 'automatic monitoring', stop: async () => wiring.stopMonitoring() });
    // Before the queues: a file still being worked on is left to the version sweep of the next start.
    stack.push({ name: 'worker processes', stop: () => wiring.workers.stop() });
    if (wiring.onObjectCreated) s3Events.onObjectCreated = wiring.onObjectCreated;
    productSchedules.handler = wiring.onProductSchedule;
    scheduler.start();

    progress('starting the HTTP API');
    const http: RunningHttpServer = await startHttpServer({
      host: config.http.host,
      port: options.port ?? config.http.port,
      routes: apiRoutes,
      corsOrigins: config.http.corsOrigins,
      logger,
      // The server keeps each group's handler once loaded (and retries a load that failed).
      getHandler: async (group) => {
        const factory = apiHandlerFactories[group];
        if (!factory)
          throw new Error(`No API group "${group}" (known: ${apiGroupList.map((g) => g.name).join(', ')})`);
        return (await factory())(() => services);
      },
    });
    stack.push({ name: 'http', stop: () => http.close({ graceMs: 5_000 }) });

    const runtimeInfo: RuntimeInfo = {
      url: http.url,
      docsUrl: `${http.url}/docs`,
      databaseUrl: postgres.connectionString,
      s3Endpoint: s3.endpoint,
      bucket: LOCAL_BUCKET,
      pid: process.pid,
      startedAt: new Date().toISOString(),
    };
    await writeFile(path.join(dataDir, 'runtime.json'), `${JSON.stringify(runtimeInfo, null, 2)}\n`);

    return {
      url: http.url,
      config,
      services,
      queues,
      workers: wiring.workers,
      orchestrator,
      scheduler,
      s3,
      postgres,
      runtimeInfo,
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/**
 * Connects event sources to the same handlers AWS would invoke: S3 notifications, SQS event
 * sources, state machine Tasks and EventBridge schedules.
 */
async function wireLocalFunctions(
  services: Services,
  parts: { queues: LocalQueues; orchestrator: LocalStepFunctions; scheduler: LocalScheduler },
): Promise<{
  onObjectCreated: (event: S3Event) => Promise<void>;
  onProductSchedule: ScheduledHandler;
  stopMonitoring: () => void;
  workers: LocalWorkers;
}> {
  const { attachLocalWorkers } = await import('./attach-local-workers');
  const workers = attachLocalWorkers(services, parts.queues);
  // The queues live in memory: exports left unfinished by the last run get their message again.
  const { requeueUnfinishedExports } = await import('../../shared/domain/exports/sweep-exports');
  await requeueUnfinishedExports(services);
  const { makeSweepExportsHandler } =
    await import('../../functions/schedules/sweep-exports/sweep-exports-handler');
  const sweepExports = makeSweepExportsHandler(() => services);
  // AWS runs it daily with the other sweeps (Aurora may pause); on one machine every minute.
  parts.scheduler.addFixedSchedule('sweep-exports', 'rate(1 minute)', async (event) => {
    await sweepExports(event);
  });
  // Ingestion messages live in memory too: versions this process left unfinished when it stopped
  // (its workers vanished with it) are sent again now, expired uploads are settled; then every minute.
  const { makeSweepVersionsHandler } =
    await import('../../functions/schedules/sweep-versions/sweep-versions-handler');
  await makeSweepVersionsHandler(() => services, { leaseMs: 0 })();
  const sweepVersions = makeSweepVersionsHandler(() => services);
  parts.scheduler.addFixedSchedule('sweep-versions', 'rate(1 minute)', async (event) => {
    await sweepVersions(event);
  });
  const { makeObjectCreatedHandler } =
    await import('../../functions/ingest/object-created/object-created-handler');
  const objectCreated = makeObjectCreatedHandler(() => services);
  const { makeRefreshDatasetsHandler } =
    await import('../../functions/schedules/refresh-datasets/refresh-datasets-handler');
  const refreshDatasets = makeRefreshDatasetsHandler(() => services);
  // Per-dataset schedules are the trigger; this sweep catches missed ones. AWS runs it daily
  // (Aurora may pause); on one machine every 15 minutes costs nothing.
  parts.scheduler.addFixedSchedule('refresh-datasets', 'rate(15 minutes)', async (event) => {
    await refreshDatasets(event);
  });
  const { makePurgeDeletedHandler } =
    await import('../../functions/schedules/purge-deleted/purge-deleted-handler');
  const purgeDeleted = makePurgeDeletedHandler(() => services);
  // Same time as the AWS rule (PurgeDeletedDaily).
  parts.scheduler.addFixedSchedule('purge-deleted', 'cron(17 3 * * ? *)', async (event) => {
    await purgeDeleted(event);
  });
  const { makeSweepBillingHandler } =
    await import('../../functions/schedules/sweep-billing/sweep-billing-handler');
  const sweepBilling = makeSweepBillingHandler(() => services);
  // Same time as the AWS rule (SweepBillingDaily): re-drives waiting Stripe events, then
  // reconciles the credit ledger. Refunds waiting for a purchase are re-driven by the purchase.
  parts.scheduler.addFixedSchedule('sweep-billing', 'cron(17 3 * * ? *)', async (event) => {
    await sweepBilling(event);
  });
  const { localPipelineTasks } = await import('./local-pipeline-tasks');
  const pipeline = localPipelineTasks(services);
  const control = lambdaTask(pipeline.control);
  parts.orchestrator.register('run-pipeline', {
    overrides: {
      PlanStages: control,
      CheckStage: control,
      RecordNodeSuccess: control,
      RecordNodeFailure: control,
      Settle: control,
      RunLambdaNode: lambdaTask(pipeline.runLambdaNode),
      RunFargateNode: (input, context) => pipeline.runFargateNode(input, context),
    },
  });
  // As the AWS rule on run-pipeline status changes: an ended execution reconciles its job.
  parts.orchestrator.onExecutionStatusChange(async (event) => {
    await pipeline.sweepJobs(event);
  });
  // Every minute and over all unfinished jobs (AWS: every 15 minutes, only while executions run,
  // plus daily): no database to keep asleep here, and a restart loses the in-memory executions
  // of jobs still marked running, which this clears within a minute.
  parts.scheduler.addFixedSchedule('sweep-jobs', 'rate(1 minute)', async () => {
    await pipeline.sweepJobs({ sweep: 'all' });
  });
  const { makeMonitorNewVersionsHandler } =
    await import('../../functions/schedules/monitor-new-versions/monitor-new-versions-handler');
  const monitorNewVersions = makeMonitorNewVersionsHandler(() => services);
  // AWS runs it every hour; on one machine a new version is monitored within seconds.
  const monitoring = setInterval(() => {
    monitorNewVersions().catch((error: unknown) =>
      services.logger.warn('automatic monitoring failed', { error }),
    );
  }, 3_000);
  monitoring.unref();
  return {
    workers,
    stopMonitoring: () => clearInterval(monitoring),
    onObjectCreated: async (event) => {
      await objectCreated(event);
    },
    // In AWS the per-dataset schedules target the refresh function (PW_SCHEDULER_TARGET_ARN).
    onProductSchedule: async (event) => {
      await refreshDatasets(event);
    },
  };
}

export type { Database, Logger };
