import { randomUUID } from 'node:crypto';
import { LedgerCredits } from '../../../shared/domain/billing/credits/ledger-credits';
import type { Database, DatabaseTransaction } from '../../../shared/db/database';
import { jsonb } from '../../../shared/db/schema';
import { withSystemScope, type TenantScope } from '../../../shared/db/tenant';
import type { Logger } from '../../../shared/observability/logger';
import { systemClock } from '../../../shared/kernel/clock.port';
import { randomIds } from '../../../shared/kernel/ids.port';
import type { Orchestrator } from '../../../shared/ports/orchestrator.port';
import { planJob } from '../../../shared/domain/runs/job-control';
import { startJob } from '../../../shared/domain/runs/start-job';
import { createTestUser, grantCredits } from './fixtures';

/** Starts are answered, nothing else happens: the tests drive the run's tasks themselves. */
export const quietOrchestrator: Orchestrator = {
  startExecution: async (request) => ({ executionId: `exec:${request.name}`, startedAt: new Date() }),
  stopExecution: async () => undefined,
  describeExecution: async () => undefined,
  listRunningExecutions: async () => [],
  sendTaskSuccess: async () => undefined,
  sendTaskFailure: async () => undefined,
  sendTaskHeartbeat: async () => undefined,
};

/**
 * A planned (running) job whose one node, `source`, is a `dataset.source` of a validated version
 * of 10 rows, started through `startJob` as POST /jobs does.
 */
export async function createRunningJob(
  db: Database,
  logger: Logger,
): Promise<{ jobId: string; caller: TenantScope }> {
  const sys = <T>(work: (trx: DatabaseTransaction) => Promise<T>) =>
    withSystemScope(db, 'admin.test-fixture', work);
  const user = await createTestUser(db);
  await grantCredits(db, user.id, 100);
  const caller: TenantScope = { userId: user.id, role: 'user' };
  const dataset = await sys((trx) =>
    trx
      .insertInto('datasets')
      .values({ user_id: user.id, name: `ds-${randomUUID()}`, modality: 'tabular' })
      .returning('id')
      .executeTakeFirstOrThrow(),
  );
  const version = await sys((trx) =>
    trx
      .insertInto('dataset_versions')
      .values({
        dataset_id: dataset.id,
        user_id: user.id,
        version_number: 1,
        original_filename: 'data.csv',
        status: 'validated',
        processed_object_key: `processed/${user.id}/${dataset.id}/1/data.parquet`,
        row_count: 10,
      })
      .returning('id')
      .executeTakeFirstOrThrow(),
  );
  const pipeline = await sys((trx) =>
    trx
      .insertInto('pipelines')
      .values({
        user_id: user.id,
        dataset_id: dataset.id,
        name: 'one node',
        definition: jsonb({ nodes: [{ id: 'source', type: 'dataset.source', params: {} }], edges: [] }),
      })
      .returning('id')
      .executeTakeFirstOrThrow(),
  );
  const services = { db, clock: systemClock, logger, ids: randomIds, orchestrator: quietOrchestrator };
  const credits = new LedgerCredits();
  const { job } = await startJob(
    { services, credits },
    { caller, pipelineId: pipeline.id, datasetVersionId: version.id, priority: 5 },
  );
  await planJob({ services, credits }, job.id);
  return { jobId: job.id, caller };
}
