import { RDSDataClient } from '@aws-sdk/client-rds-data';
import { HeadBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import { SNSClient } from '@aws-sdk/client-sns';
import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { DescribeStateMachineCommand, SFNClient } from '@aws-sdk/client-sfn';
import { SQSClient } from '@aws-sdk/client-sqs';
import { sql } from 'kysely';
import { ConfigError, loadConfig, requireSection, type Config } from '../../config/config';
import type { Database } from '../../db/database';
import { createLogger } from '../../observability/logger';
import { systemClock } from '../../kernel/clock.port';
import { HealthFailure, timedCheck } from '../../health/timed-check';
import type { HealthCheck } from '../../ports/health.port';
import { randomIds } from '../../kernel/ids.port';
import type { Services } from '../../ports/services';
import type { createPgDatabase } from '../postgres/pg-database';
import { createDataApiDatabase } from './data-api/data-api-database';
import { EventBridgeScheduler } from './eventbridge-scheduler';
import { PowertoolsMetrics } from './powertools-metrics';
import { S3BlobStore, createS3Client } from './s3-blob-store';
import { SnsAlertTopicPublisher } from './sns-alert-topic-publisher';
import { StepFunctionsOrchestrator } from './sfn-orchestrator';
import { SqsQueuePublisher } from './sqs-queue-publisher';

/** A health check gives up after this long: `/health` must answer even while a cluster resumes. */
const HEALTH_TIMEOUT_MS = 5_000;

/** Drivers loaded on demand, so a bundle evaluates them only where the configuration uses them. */
export interface AwsDrivers {
  /** The PostgreSQL driver (`pg`), for `PW_DB_DRIVER=postgres`; `loadAwsServices` loads it. */
  createPgDatabase?: typeof createPgDatabase;
}

/**
 * The composition root for Lambda and Fargate. Each adapter (and its SDK client) is built on first
 * use and then kept for the life of the process, so a function whose stack gives it no queue
 * variables still cold-starts, and fails — naming the missing variable — only if it touches
 * `services.queues`.
 */
export function createAwsServices(config: Config, drivers: AwsDrivers = {}): Services {
  const region = config.region;
  const s3 = once((): S3Client => {
    const storage = requireSection(config, 'storage', 'PW_BUCKET');
    return createS3Client({ region, ...(storage.endpoint ? { endpoint: storage.endpoint } : {}) });
  });
  const sfn = once(() => new SFNClient({ region }));

  const db = once((): Database => {
    const database = requireSection(
      config,
      'database',
      'PW_DB_CLUSTER_ARN and PW_DB_SECRET_ARN (or PW_DATABASE_URL)',
    );
    if (database.driver === 'postgres') {
      if (!database.url) throw new ConfigError('Configuration "database" is missing: set PW_DATABASE_URL.');
      // Fargate tasks in the VPC may talk to the cluster directly; Lambda uses the Data API.
      if (!drivers.createPgDatabase) {
        throw new ConfigError(
          'PW_DB_DRIVER=postgres needs the PostgreSQL driver: build the services with loadAwsServices().',
        );
      }
      return drivers.createPgDatabase(database.url, { max: 4 });
    }
    if (!database.clusterArn || !database.secretArn) {
      throw new ConfigError(
        'Configuration "database" is missing: set PW_DB_CLUSTER_ARN and PW_DB_SECRET_ARN.',
      );
    }
    return createDataApiDatabase({
      resourceArn: database.clusterArn,
      secretArn: database.secretArn,
      database: database.name,
      // The dialect retries on its own and must be the only one deciding what is re-sent.
      client: new RDSDataClient({ region, maxAttempts: 1 }),
    });
  });
  const blobs = once(
    () => new S3BlobStore({ client: s3(), bucket: requireSection(config, 'storage', 'PW_BUCKET').bucket }),
  );
  const queues = once(
    () =>
      new SqsQueuePublisher({
        client: new SQSClient({ region }),
        queueUrls: requireSection(config, 'queues', 'PW_QUEUE_URLS'),
      }),
  );
  const orchestrator = once(
    () =>
      new StepFunctionsOrchestrator({
        client: sfn(),
        stateMachines: requireSection(config, 'stateMachines', 'PW_STATE_MACHINE_ARNS'),
      }),
  );
  const scheduler = once(() => {
    const section = requireSection(config, 'scheduler', 'PW_SCHEDULER_GROUP');
    return new EventBridgeScheduler({
      client: new SchedulerClient({ region }),
      group: section.group,
      ...(section.targetArn ? { targetArn: section.targetArn } : {}),
      ...(section.roleArn ? { roleArn: section.roleArn } : {}),
    });
  });

  const alertTopics = once(() => new SnsAlertTopicPublisher(new SNSClient({ region })));

  const logger = createLogger(config);
  const checkOptions = { timeoutMs: HEALTH_TIMEOUT_MS, logger };
  const health: HealthCheck[] = [];
  if (config.database) {
    health.push(
      timedCheck(
        'database',
        async (signal) => {
          const { rows } = await sql<{
            version: string;
          }>`select current_setting('server_version') as version`.execute(db(), { signal });
          return `postgres ${rows[0]?.version ?? 'unknown'}`;
        },
        checkOptions,
      ),
    );
  }
  if (config.storage) {
    const bucket = config.storage.bucket;
    health.push(
      timedCheck(
        'storage',
        async (signal) => {
          await s3().send(new HeadBucketCommand({ Bucket: bucket }), { abortSignal: signal });
          return 'bucket reachable';
        },
        checkOptions,
      ),
    );
  }
  if (config.stateMachines && Object.keys(config.stateMachines).length > 0) {
    const arns = Object.values(config.stateMachines);
    health.push(
      timedCheck(
        'orchestrator',
        async (signal) => {
          const described = await Promise.all(
            arns.map((stateMachineArn) =>
              sfn().send(new DescribeStateMachineCommand({ stateMachineArn }), { abortSignal: signal }),
            ),
          );
          const inactive = described.filter((d) => d.status !== undefined && d.status !== 'ACTIVE').length;
          if (inactive > 0)
            throw new HealthFailure(`${inactive} of ${arns.length} state machines are not active`);
          return `${arns.length} state machine${arns.length === 1 ? '' : 's'} active`;
        },
        checkOptions,
      ),
    );
  }

  return {
    config,
    clock: systemClock,
    ids: randomIds,
    logger,
    metrics: new PowertoolsMetrics(config),
    health,
    // Loaded on first use: only the functions that sign or check tokens read the signing key.
    secrets: {
      async readSecretString(secretId, region) {
        const { readSecretString } = await import('./secrets-manager-secret');
        return readSecretString(secretId, region);
      },
    },
    get db() {
      return db();
    },
    get blobs() {
      return blobs();
    },
    get queues() {
      return queues();
    },
    get orchestrator() {
      return orchestrator();
    },
    get scheduler() {
      return scheduler();
    },
    get alertTopics() {
      return alertTopics();
    },
  };
}

/**
 * `createAwsServices` with the drivers the configuration needs loaded first. The PostgreSQL
 * driver is imported only for `PW_DB_DRIVER=postgres`, so functions on the Data API (every
 * Lambda) never evaluate `pg` at cold start.
 */
export async function loadAwsServices(config: Config): Promise<Services> {
  if (config.database?.driver !== 'postgres') return createAwsServices(config);
  const { createPgDatabase } = await import('../postgres/pg-database');
  return createAwsServices(config, { createPgDatabase });
}

let processServices: Promise<Services> | undefined;

/** The process-wide services, built from the environment on first call (Lambda cold start). */
export function getAwsServices(): Promise<Services> {
  processServices ??= Promise.resolve()
    .then(() => loadAwsServices(loadConfig()))
    .catch((error: unknown) => {
      // A failed start is not kept: the next invocation tries again.
      processServices = undefined;
      throw error;
    });
  return processServices;
}

function once<T>(create: () => T): () => T {
  let value: { v: T } | undefined;
  return () => {
    value ??= { v: create() };
    return value.v;
  };
}
