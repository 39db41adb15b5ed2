import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { closeDatabase, createPgDatabase } from '../../../../shared/adapters/postgres/pg-database';
import {
  createMigration,
  loadMigrations,
  MigrationError,
  runMigrations,
} from '../../../../shared/db/migrate';
import type { Database } from '../../../../shared/db/database';
import { withSystemScope } from '../../../../shared/db/tenant';
import { createEmptyDatabase } from '../../support/database';
import { createTestUser } from '../../support/fixtures';
import type { TestDatabase } from '../../support/database';

const DOMAIN_TABLES = [
  'users',
  'refresh_tokens',
  'api_keys',
  'audit_logs',
  'idempotency_keys',
  'datasets',
  'dataset_versions',
  'ingestion_jobs',
  'eda_reports',
  'schema_deductions',
  'node_types',
  'ml_tasks',
  'pipelines',
  'pipeline_snapshots',
  'jobs',
  'job_nodes',
  'models',
  'model_aliases',
  'model_name_versions',
  'prediction_usage',
  'experiments',
  'experiment_runs',
  'results',
  'exports',
  'analyses',
  'anomalies',
  'alert_rules',
  'alerts',
  'alert_deliveries',
  'dinsight_data',
  'monitor_data',
  'monitoring_bindings',
  'credit_packages',
  'credit_transactions',
  'stripe_events',
  'tutorials',
  'user_resource_reads',
  'user_tutorial_attempts',
  'user_tutorial_progress',
  'schema_migrations',
].sort();

const opened: TestDatabase[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((d) => d.drop()));
});

async function emptyDatabase(): Promise<TestDatabase> {
  const database = await createEmptyDatabase();
  opened.push(database);
  return database;
}

async function tables(db: Database): Promise<string[]> {
  const result = await sql<{ table_name: string }>`
    SELECT table_name FROM information_schema.tables
     WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name`.execute(db);
  return result.rows.map((r) => r.table_name);
}

async function recorded(db: Database): Promise<string[]> {
  const result = await sql<{ name: string }>`SELECT name FROM schema_migrations ORDER BY name`.execute(db);
  return result.rows.map((r) => r.name);
}

describe('runMigrations', () => {
  it('creates every table of the domain model on an empty database and records each file', async () => {
    const { db } = await emptyDatabase();
    const files = loadMigrations().map((m) => m.name);

    const result = await runMigrations(db);

    expect(result).toEqual({ applied: files, skipped: [] });
    expect(await tables(db)).toEqual(DOMAIN_TABLES);
    expect(await recorded(db)).toEqual(files);
  });

  it('applies nothing the second time', async () => {
    const { db } = await emptyDatabase();
    await runMigrations(db);

    const second = await runMigrations(db);

    expect(second.applied).toEqual([]);
    expect(second.skipped).toEqual(loadMigrations().map((m) => m.name));
  });

  it('leaves no trace of a migration whose second statement fails', async () => {
    const { db } = await emptyDatabase();
    const good = createMigration('0001_first.sql', 'CREATE TABLE kept (id int);');
    const broken = createMigration(
      '0002_broken.sql',
      'CREATE TABLE half_done (id int);\nCREATE TABLE oops (id int;\nCREATE TABLE never (id int);',
    );

    await expect(runMigrations(db, { migrations: [good, broken] })).rejects.toThrow(/0002_broken\.sql/);

    expect(await tables(db)).toEqual(['kept', 'schema_migrations']);
    expect(await recorded(db)).toEqual(['0001_first.sql']);
  });

  it('runs SQL containing dollar quotes, including the tags the runner itself uses', async () => {
    const { db } = await emptyDatabase();
    const tricky = createMigration(
      '0001_tricky.sql',
      `CREATE FUNCTION tricky() RETURNS text LANGUAGE sql AS $pw_migration$ SELECT '$pw_sql$ and $$' $pw_migration$;
       CREATE TABLE t (v text DEFAULT tricky());`,
    );

    await runMigrations(db, { migrations: [tricky] });

    const value = await sql<{ v: string }>`SELECT tricky() AS v`.execute(db);
    expect(value.rows[0]?.v).toBe('$pw_sql$ and $$');
  });

  it('applies each migration exactly once when several runners start together', async () => {
    const { url } = await emptyDatabase();
    const runners = Array.from({ length: 4 }, () => createPgDatabase(url, { max: 1 }));
    try {
      const results = await Promise.all(runners.map((db) => runMigrations(db)));

      const files = loadMigrations().map((m) => m.name);
      const appliedByAll = results.flatMap((r) => r.applied).sort();
      expect(appliedByAll).toEqual(files);
      for (const result of results) expect([...result.applied, ...result.skipped].sort()).toEqual(files);
      const [first] = runners;
      if (!first) throw new Error('no runner');
      expect(await recorded(first)).toEqual(files);
    } finally {
      await Promise.all(runners.map((db) => closeDatabase(db)));
    }
  });

  it('refuses to run when an applied migration was edited, naming the file, and changes nothing', async () => {
    const { db } = await emptyDatabase();
    const original = createMigration('0001_people.sql', 'CREATE TABLE people (id int);');
    await runMigrations(db, { migrations: [original] });
    const edited = createMigration('0001_people.sql', 'CREATE TABLE people (id bigint);');
    const next = createMigration('0002_more.sql', 'CREATE TABLE more (id int);');

    const failure = runMigrations(db, { migrations: [edited, next] });

    await expect(failure).rejects.toBeInstanceOf(MigrationError);
    await expect(failure).rejects.toThrow(/0001_people\.sql was changed after it was applied/);
    expect(await tables(db)).toEqual(['people', 'schema_migrations']);
  });

  it('renumbers versions that repeat under one name, and makes a production model its name’s production alias', async () => {
    const { db } = await emptyDatabase();
    const registry = '0014_model_registry.sql';
    await runMigrations(db, { migrations: loadMigrations().filter((m) => m.name < registry) });
    const user = await createTestUser(db);
    const ids = await withSystemScope(db, 'admin.test-fixture', async (trx) => {
      const pipeline = (name: string) =>
        trx
          .insertInto('pipelines')
          .values({ user_id: user.id, name })
          .returning('id')
          .executeTakeFirstOrThrow()
          .then((row) => row.id);
      const [a, b] = [await pipeline('a'), await pipeline('b')];
      // Numbered per pipeline: both pipelines registered version 1 of the same name.
      const model = (pipelineId: string, at: string, stage: 'none' | 'production') =>
        trx
          .insertInto('models')
          .values({
            user_id: user.id,
            pipeline_id: pipelineId,
            name: 'churn',
            algorithm: 'random_forest',
            artifact_key: `models/${at}/model.json`,
            stage,
            created_at: new Date(at),
          })
          .returning('id')
          .executeTakeFirstOrThrow()
          .then((row) => row.id);
      return [
        await model(a, '2026-01-01T00:00:00Z', 'none'),
        await model(b, '2026-01-02T00:00:00Z', 'production'),
      ];
    });

    await runMigrations(db);

    const rows = await withSystemScope(db, 'admin.test-fixture', async (trx) => ({
      models: await trx.selectFrom('models').select(['id', 'version']).orderBy('created_at').execute(),
      aliases: await trx.selectFrom('model_aliases').select(['name', 'alias', 'model_id']).execute(),
    }));
    expect(rows.models).toEqual([
      { id: ids[0], version: 1 },
      { id: ids[1], version: 2 },
    ]);
    expect(rows.aliases).toEqual([{ name: 'churn', alias: 'production', model_id: ids[1] }]);
  });
});
