import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../../../../shared/db/database';
import {
  CREDIT_PACKAGES,
  ML_TASKS,
  NODE_TYPES,
  seedReferenceData,
} from '../../../../../shared/domain/pipelines/reference-data';
import { createTestDatabase } from '../../../support/database';
import type { TestDatabase } from '../../../support/database';

let testDb: TestDatabase;
let db: Database;

beforeAll(async () => {
  testDb = await createTestDatabase();
  db = testDb.db;
});
afterAll(async () => {
  await testDb.drop();
});

async function snapshot() {
  const [nodes, tasks, packages] = await Promise.all([
    db.selectFrom('node_types').selectAll().orderBy('key').execute(),
    db.selectFrom('ml_tasks').selectAll().orderBy('key').execute(),
    db.selectFrom('credit_packages').selectAll().orderBy('key').execute(),
  ]);
  // updated_at moves on every upsert; everything else must stay put.
  const strip = <T extends { updated_at: Date }>(rows: T[]) =>
    rows.map(({ updated_at: _ignored, ...rest }) => rest);
  return { nodes: strip(nodes), tasks: strip(tasks), packages: strip(packages) };
}

describe('seedReferenceData', () => {
  it('is idempotent: running it again changes no row and adds none', async () => {
    const before = await snapshot();

    await seedReferenceData(db);
    await seedReferenceData(db);

    expect(await snapshot()).toEqual(before);
    expect(before.nodes.map((n) => n.key)).toEqual(NODE_TYPES.map((n) => n.key).sort());
    expect(before.tasks).toHaveLength(ML_TASKS.length);
    expect(before.packages).toHaveLength(CREDIT_PACKAGES.length);
  });

  it('seeds the node catalog with ports, parameter schemas with defaults, runtime and cost', async () => {
    const split = await db
      .selectFrom('node_types')
      .selectAll()
      .where('key', '=', 'table.split')
      .executeTakeFirstOrThrow();

    expect(split).toMatchObject({
      kind: 'transform',
      runtime: 'lambda',
      output_ports: [
        { name: 'train', type: 'table' },
        { name: 'test', type: 'table' },
      ],
      cost_model: { baseSeconds: 2, secondsPerMillionRows: 20 },
      parameters_schema: { properties: { seed: { default: 42 }, testFraction: { default: 0.2 } } },
    });
    expect(split.modalities).toContain('tabular');
  });

  it('keeps what operators configured: a Stripe price id and a deactivated package', async () => {
    await db
      .updateTable('credit_packages')
      .set({ stripe_price_id: 'price_123', is_active: false })
      .where('key', '=', 'pro')
      .execute();

    await seedReferenceData(db);

    const pro = await db
      .selectFrom('credit_packages')
      .selectAll()
      .where('key', '=', 'pro')
      .executeTakeFirstOrThrow();
    expect(pro).toMatchObject({
      stripe_price_id: 'price_123',
      is_active: false,
      credits: 120_000,
      price_cents: 10_000,
      tier_restriction: 'pro_only',
    });
    const unconfigured = await sql<{
      n: number;
    }>`SELECT count(*) AS n FROM credit_packages WHERE stripe_price_id IS NULL`.execute(db);
    expect(unconfigured.rows[0]?.n).toBe(2);
  });
});
