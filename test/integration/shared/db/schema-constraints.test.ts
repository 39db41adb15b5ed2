import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database, DatabaseTransaction } from '../../../../shared/db/database';
import { SqlState } from '../../../../shared/db/database-error';
import { ENUM_COLUMNS, jsonb } from '../../../../shared/db/schema';
import { createTestDatabase } from '../../support/database';
import type { TestDatabase } from '../../support/database';
import { createTestUser, inSystemScope } from '../../support/fixtures';

let testDb: TestDatabase;
let db: Database;

beforeAll(async () => {
  testDb = await createTestDatabase();
  db = testDb.db;
});
afterAll(async () => {
  await testDb.drop();
});

/**
 * What the database allows the application: each statement in its own system-scope transaction
 * (the app role, every tenant visible), so a refused statement rolls back alone.
 */
function app<T>(work: (trx: DatabaseTransaction) => Promise<T>): Promise<T> {
  return inSystemScope(db, work);
}

async function createJobFixture() {
  const user = await createTestUser(db);
  const snapshot = await app((trx) =>
    trx
      .insertInto('pipeline_snapshots')
      .values({ user_id: user.id, name: 'p', definition: { nodes: [], edges: [] } })
      .returning('id')
      .executeTakeFirstOrThrow(),
  );
  return { user, snapshotId: snapshot.id };
}

describe('schema constraints', () => {
  it('moves updated_at on update and leaves created_at', async () => {
    const user = await createTestUser(db);
    // now() is the transaction start: a later statement gets a later time.
    await app((trx) =>
      trx.updateTable('users').set({ full_name: 'Renamed' }).where('id', '=', user.id).execute(),
    );
    const after = await app((trx) =>
      trx
        .selectFrom('users')
        .select(['created_at', 'updated_at'])
        .where('id', '=', user.id)
        .executeTakeFirstOrThrow(),
    );

    expect(after.created_at.getTime()).toBe(user.created_at.getTime());
    expect(after.updated_at.getTime()).toBeGreaterThan(user.updated_at.getTime());
  });

  it('rejects unknown status values', async () => {
    const { user, snapshotId } = await createJobFixture();
    const dataset = await app((trx) =>
      trx
        .insertInto('datasets')
        .values({ user_id: user.id, name: 'd', modality: 'tabular' })
        .returning('id')
        .executeTakeFirstOrThrow(),
    );

    // Each refusal is awaited as it is made, so none is left rejected without a handler.
    await expect(
      app((trx) =>
        sql`INSERT INTO jobs (user_id, snapshot_id, status) VALUES (${user.id}, ${snapshotId}, 'paused')`.execute(
          trx,
        ),
      ),
    ).rejects.toMatchObject({
      sqlState: SqlState.checkViolation,
      constraint: 'jobs_status_check',
    });
    await expect(
      app((trx) => sql`UPDATE datasets SET modality = 'smell' WHERE id = ${dataset.id}`.execute(trx)),
    ).rejects.toMatchObject({
      sqlState: SqlState.checkViolation,
      constraint: 'datasets_modality_check',
    });
    await expect(
      app((trx) => sql`UPDATE users SET tier = 'platinum' WHERE id = ${user.id}`.execute(trx)),
    ).rejects.toMatchObject({
      sqlState: SqlState.checkViolation,
      constraint: 'users_tier_check',
    });
  });

  it('keeps job progress within 0–100 and priority within 1–10', async () => {
    const { user, snapshotId } = await createJobFixture();
    const base = { user_id: user.id, snapshot_id: snapshotId };

    await expect(
      app((trx) =>
        trx
          .insertInto('jobs')
          .values({ ...base, progress: 101 })
          .execute(),
      ),
    ).rejects.toMatchObject({
      constraint: 'jobs_progress_check',
    });
    await expect(
      app((trx) =>
        trx
          .insertInto('jobs')
          .values({ ...base, priority: 0 })
          .execute(),
      ),
    ).rejects.toMatchObject({
      constraint: 'jobs_priority_check',
    });
    const job = await app((trx) =>
      trx
        .insertInto('jobs')
        .values({ ...base, progress: 100, priority: 10 })
        .returning('status')
        .executeTakeFirstOrThrow(),
    );
    expect(job.status).toBe('queued');
  });

  it('keeps job idempotency keys unique per user only', async () => {
    const a = await createJobFixture();
    const b = await createJobFixture();
    await app((trx) =>
      trx
        .insertInto('jobs')
        .values({ user_id: a.user.id, snapshot_id: a.snapshotId, idempotency_key: 'same' })
        .execute(),
    );
    await app((trx) =>
      trx
        .insertInto('jobs')
        .values({ user_id: b.user.id, snapshot_id: b.snapshotId, idempotency_key: 'same' })
        .execute(),
    );

    await expect(
      app((trx) =>
        trx
          .insertInto('jobs')
          .values({ user_id: a.user.id, snapshot_id: a.snapshotId, idempotency_key: 'same' })
          .execute(),
      ),
    ).rejects.toMatchObject({
      sqlState: SqlState.uniqueViolation,
      constraint: 'jobs_user_idempotency_key_key',
    });
  });

  it('keeps a job and its snapshot when the pipeline is deleted, and refuses edits of the snapshot', async () => {
    const user = await createTestUser(db);
    const pipeline = await app((trx) =>
      trx
        .insertInto('pipelines')
        .values({ user_id: user.id, name: 'p' })
        .returning('id')
        .executeTakeFirstOrThrow(),
    );
    const snapshot = await app((trx) =>
      trx
        .insertInto('pipeline_snapshots')
        .values({
          user_id: user.id,
          pipeline_id: pipeline.id,
          name: 'p',
          definition: { nodes: [], edges: [] },
        })
        .returning('id')
        .executeTakeFirstOrThrow(),
    );
    const job = await app((trx) =>
      trx
        .insertInto('jobs')
        .values({ user_id: user.id, snapshot_id: snapshot.id, pipeline_id: pipeline.id })
        .returning('id')
        .executeTakeFirstOrThrow(),
    );

    await app((trx) => trx.deleteFrom('pipelines').where('id', '=', pipeline.id).execute());

    const kept = await app((trx) =>
      trx
        .selectFrom('jobs')
        .select(['pipeline_id', 'snapshot_id'])
        .where('id', '=', job.id)
        .executeTakeFirstOrThrow(),
    );
    expect(kept).toEqual({ pipeline_id: null, snapshot_id: snapshot.id });
    await expect(
      app((trx) =>
        trx
          .updateTable('pipeline_snapshots')
          .set({ definition: { nodes: [{ id: 'x' }], edges: [] } })
          .where('id', '=', snapshot.id)
          .execute(),
      ),
    ).rejects.toThrow(/immutable/);
  });

  it('keeps job nodes unique per job and checks their status and runtime', async () => {
    const { user, snapshotId } = await createJobFixture();
    const job = await app((trx) =>
      trx
        .insertInto('jobs')
        .values({ user_id: user.id, snapshot_id: snapshotId })
        .returning('id')
        .executeTakeFirstOrThrow(),
    );
    const node = {
      job_id: job.id,
      user_id: user.id,
      node_id: 'split',
      node_type: 'table.split',
      runtime: 'lambda' as const,
    };
    await app((trx) => trx.insertInto('job_nodes').values(node).execute());

    await expect(app((trx) => trx.insertInto('job_nodes').values(node).execute())).rejects.toMatchObject({
      constraint: 'job_nodes_job_node_key',
    });
    await expect(
      app((trx) => sql`UPDATE job_nodes SET status = 'done' WHERE job_id = ${job.id}`.execute(trx)),
    ).rejects.toMatchObject({
      constraint: 'job_nodes_status_check',
    });
    await expect(
      app((trx) => sql`UPDATE job_nodes SET runtime = 'ec2' WHERE job_id = ${job.id}`.execute(trx)),
    ).rejects.toMatchObject({
      constraint: 'job_nodes_runtime_check',
    });
  });

  it('keeps an EDA report body in Postgres only when it is small, else names its object', async () => {
    const user = await createTestUser(db);
    const dataset = await app((trx) =>
      trx
        .insertInto('datasets')
        .values({ user_id: user.id, name: 'd', modality: 'tabular' })
        .returning('id')
        .executeTakeFirstOrThrow(),
    );
    const version = await app((trx) =>
      trx
        .insertInto('dataset_versions')
        .values({ user_id: user.id, dataset_id: dataset.id, version_number: 1, original_filename: 'a.csv' })
        .returning('id')
        .executeTakeFirstOrThrow(),
    );
    const base = { user_id: user.id, dataset_id: dataset.id, dataset_version_id: version.id };

    await expect(
      app((trx) =>
        trx
          .insertInto('eda_reports')
          .values({ ...base, status: 'completed' })
          .execute(),
      ),
    ).rejects.toMatchObject({
      constraint: 'eda_reports_postgres_storage_check',
    });
    await expect(
      app((trx) =>
        trx
          .insertInto('eda_reports')
          .values({ ...base, status: 'completed', full_report: {}, report_size_bytes: 2_000_000 })
          .execute(),
      ),
    ).rejects.toMatchObject({ constraint: 'eda_reports_postgres_storage_check' });
    await expect(
      app((trx) =>
        trx
          .insertInto('eda_reports')
          .values({ ...base, status: 'completed', storage_location: 's3', s3_bucket: 'b' })
          .execute(),
      ),
    ).rejects.toMatchObject({ constraint: 'eda_reports_s3_storage_check' });
    await app((trx) =>
      trx
        .insertInto('eda_reports')
        .values({
          ...base,
          status: 'completed',
          storage_location: 's3',
          s3_bucket: 'b',
          s3_key: 'reports/x/eda.json',
          report_size_bytes: 2_000_000,
        })
        .execute(),
    );
  });

  it('keeps schema deduction confidence between 0 and 1', async () => {
    const user = await createTestUser(db);
    const dataset = await app((trx) =>
      trx
        .insertInto('datasets')
        .values({ user_id: user.id, name: 'd', modality: 'tabular' })
        .returning('id')
        .executeTakeFirstOrThrow(),
    );

    await expect(
      app((trx) =>
        trx
          .insertInto('schema_deductions')
          .values({ user_id: user.id, dataset_id: dataset.id, proposed_schema: {}, confidence_score: 1.2 })
          .execute(),
      ),
    ).rejects.toMatchObject({ constraint: 'schema_deductions_confidence_check' });
  });

  it('stores the projection configuration per analysis with the documented defaults', async () => {
    const user = await createTestUser(db);
    const dataset = await app((trx) =>
      trx
        .insertInto('datasets')
        .values({ user_id: user.id, name: 'd', modality: 'tabular' })
        .returning('id')
        .executeTakeFirstOrThrow(),
    );
    const version = await app((trx) =>
      trx
        .insertInto('dataset_versions')
        .values({ user_id: user.id, dataset_id: dataset.id, version_number: 1, original_filename: 'a.csv' })
        .returning('id')
        .executeTakeFirstOrThrow(),
    );

    const analysis = await app((trx) =>
      trx
        .insertInto('analyses')
        .values({
          user_id: user.id,
          dataset_id: dataset.id,
          dataset_version_id: version.id,
          analysis_type: 'dimensionality_reduction',
          alpha: 0.2,
        })
        .returningAll()
        .executeTakeFirstOrThrow(),
    );

    expect(analysis).toMatchObject({
      gamma0: 1e-7,
      optimizer: 'adam',
      alpha: 0.2,
      end_meta: 'participant',
      start_dim: 'f_0',
      end_dim: 'f_1023',
      imax: 1000,
      lowdim: 2,
      eta: 0.5,
      epsilon: 1e-8,
      beta1: 0.9,
      beta2: 0.999,
      beta: 0.5,
      a: 0.8,
      w1: 0.04,
      w2: 1,
      which_w1: 'auto',
      mode: 'kanadaSan',
      param_mode: 0.3,
      status: 'pending',
    });
  });

  it('stores jsonb arrays written with jsonb()', async () => {
    const user = await createTestUser(db);
    const dataset = await app((trx) =>
      trx
        .insertInto('datasets')
        .values({ user_id: user.id, name: `d-${randomUUID()}`, modality: 'tabular' })
        .returning('id')
        .executeTakeFirstOrThrow(),
    );
    const rule = await app((trx) =>
      trx
        .insertInto('alert_rules')
        .values({
          user_id: user.id,
          dataset_id: dataset.id,
          name: 'r',
          condition: { metric: 'distance', operator: '>', value: 3 },
          actions: jsonb([{ type: 'webhook', url: 'https://example.test/hook' }]),
          severity: 'high',
        })
        .returning(['actions', 'condition'])
        .executeTakeFirstOrThrow(),
    );

    expect(rule.actions).toEqual([{ type: 'webhook', url: 'https://example.test/hook' }]);
    expect(rule.condition).toEqual({ metric: 'distance', operator: '>', value: 3 });
  });

  it('lists in ENUM_COLUMNS exactly the values each CHECK constraint allows', async () => {
    const checks = await sql<{ table_name: string; definition: string }>`
      SELECT conrelid::regclass::text AS table_name, pg_get_constraintdef(oid) AS definition
        FROM pg_constraint WHERE contype = 'c' AND connamespace = 'public'::regnamespace`.execute(db);
    const fromDatabase = new Map<string, string[]>();
    for (const { table_name, definition } of checks.rows) {
      for (const match of definition.matchAll(/\(?(\w+) = ANY \(+ARRAY\[([^\]]+)\]/g)) {
        const [, column = '', list = ''] = match;
        const values = [...list.matchAll(/'([^']*)'::text/g)].map((m) => m[1] ?? '');
        const key = `${table_name}.${column}`;
        // A column can appear in several CHECKs (e.g. a sign rule per type); the full list is the longest.
        if (values.length > (fromDatabase.get(key)?.length ?? 0)) fromDatabase.set(key, values);
      }
    }
    fromDatabase.delete('node_types.modalities');

    const fromCode = Object.fromEntries(
      Object.entries(ENUM_COLUMNS).map(([key, values]) => [key, [...values].sort()]),
    );
    expect(fromCode).toEqual(
      Object.fromEntries([...fromDatabase].map(([key, values]) => [key, values.sort()])),
    );
  });
});
