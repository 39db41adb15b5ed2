import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonb } from '../../../../../shared/db/schema';
import { withTenant } from '../../../../../shared/db/tenant';
import { validatePipelineForOwner } from '../../../../../shared/domain/pipelines/validate-pipeline-for-owner';
import { createTestDatabase, type TestDatabase } from '../../../support/database';
import { createTestUser } from '../../../support/fixtures';

/** `validate` checks the columns nodes name against the current version of the pipeline's dataset. */
let testDb: TestDatabase;
beforeAll(async () => {
  testDb = await createTestDatabase();
});
afterAll(async () => {
  await testDb.drop();
});

const edge = (from: string, fromPort: string, to: string, toPort = 'table') => ({
  from: { node: from, port: fromPort },
  to: { node: to, port: toPort },
});

describe('pipeline validation against the data', () => {
  it('names a column the current version does not have, with the likely one', async () => {
    const user = await createTestUser(testDb.db);
    const scope = { userId: user.id, role: 'user' as const };
    const datasetId = await withTenant(testDb.db, scope, async (trx) => {
      const dataset = await trx
        .insertInto('datasets')
        .values({ user_id: user.id, name: `people ${randomUUID().slice(0, 6)}`, modality: 'tabular' })
        .returning('id')
        .executeTakeFirstOrThrow();
      const version = await trx
        .insertInto('dataset_versions')
        .values({
          dataset_id: dataset.id,
          user_id: user.id,
          version_number: 1,
          original_filename: 'people.csv',
          status: 'validated',
          columns_metadata: jsonb(['age', 'income', 'label'].map((name) => ({ name, type: 'BIGINT' }))),
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      await trx
        .updateTable('datasets')
        .set({ current_version_id: version.id })
        .where('id', '=', dataset.id)
        .execute();
      return dataset.id;
    });
    const definition = (stratifyColumn: string) => ({
      nodes: [
        { id: 'source', type: 'dataset.source', params: {} },
        { id: 'split', type: 'table.split', params: { stratifyColumn } },
        { id: 'out', type: 'export.parquet', params: {} },
      ],
      edges: [edge('source', 'table', 'split'), edge('split', 'train', 'out')],
    });

    const wrong = await withTenant(testDb.db, scope, (trx) =>
      validatePipelineForOwner(trx, { ownerId: user.id, datasetId, definition: definition('agee') }),
    );
    expect(wrong.valid).toBe(false);
    expect(wrong.issues).toEqual([
      {
        field: 'nodes[split].params.stratifyColumn',
        code: 'PIPELINE.UNKNOWN_COLUMN',
        message: 'node split: column "agee" does not exist — did you mean "age"?',
        nodeId: 'split',
      },
    ]);

    const right = await withTenant(testDb.db, scope, (trx) =>
      validatePipelineForOwner(trx, { ownerId: user.id, datasetId, definition: definition('age') }),
    );
    expect(right.issues).toEqual([]);
    expect(right.valid).toBe(true);
  });
});
