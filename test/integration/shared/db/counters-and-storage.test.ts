import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database, DatabaseTransaction } from '../../../../shared/db/database';
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

/** One statement as the application runs it: its own system-scope transaction. */
function app<T>(work: (trx: DatabaseTransaction) => Promise<T>): Promise<T> {
  return inSystemScope(db, work);
}

async function counters(userId: string) {
  return app((trx) =>
    trx
      .selectFrom('users')
      .select(['dataset_count', 'pipeline_count', 'model_count', 'storage_used_bytes'])
      .where('id', '=', userId)
      .executeTakeFirstOrThrow(),
  );
}

async function createDataset(userId: string, name = `ds-${randomUUID()}`) {
  return app((trx) =>
    trx
      .insertInto('datasets')
      .values({ user_id: userId, name, modality: 'tabular' })
      .returning('id')
      .executeTakeFirstOrThrow(),
  );
}

async function createVersion(
  userId: string,
  datasetId: string,
  versionNumber: number,
  sizes: { original?: number; processed?: number; sha256?: string } = {},
) {
  return app((trx) =>
    trx
      .insertInto('dataset_versions')
      .values({
        user_id: userId,
        dataset_id: datasetId,
        version_number: versionNumber,
        original_filename: 'data.csv',
        original_format: 'csv',
        original_size_bytes: sizes.original ?? null,
        processed_size_bytes: sizes.processed ?? null,
        sha256: sizes.sha256 ?? null,
      })
      .returning(['id', 'duplicate_of_version_id'])
      .executeTakeFirstOrThrow(),
  );
}

const sha = (char: string) => char.repeat(64);

describe('dataset counter and storage accounting', () => {
  it('follows inserts, size updates, soft deletes, restores and deletes', async () => {
    const user = await createTestUser(db);
    const a = await createDataset(user.id);
    const b = await createDataset(user.id);
    expect(await counters(user.id)).toMatchObject({ dataset_count: 2, storage_used_bytes: 0 });

    const v1 = await createVersion(user.id, a.id, 1, { original: 1_000 });
    await createVersion(user.id, a.id, 2, { original: 500, processed: 200 });
    await createVersion(user.id, b.id, 1, { original: 4_000 });
    expect((await counters(user.id)).storage_used_bytes).toBe(5_700);

    // Processing adds the Parquet size.
    await app((trx) =>
      trx
        .updateTable('dataset_versions')
        .set({ processed_size_bytes: 300 })
        .where('id', '=', v1.id)
        .execute(),
    );
    expect((await counters(user.id)).storage_used_bytes).toBe(6_000);

    // Soft delete: the dataset and its versions stop counting; restoring brings them back.
    await app((trx) =>
      trx.updateTable('datasets').set({ deleted_at: new Date() }).where('id', '=', a.id).execute(),
    );
    expect(await counters(user.id)).toMatchObject({ dataset_count: 1, storage_used_bytes: 4_000 });
    await app((trx) =>
      trx.updateTable('datasets').set({ deleted_at: null }).where('id', '=', a.id).execute(),
    );
    expect(await counters(user.id)).toMatchObject({ dataset_count: 2, storage_used_bytes: 6_000 });

    // A soft-deleted dataset's versions keep not counting when they change or go away.
    await app((trx) =>
      trx.updateTable('datasets').set({ deleted_at: new Date() }).where('id', '=', a.id).execute(),
    );
    await app((trx) => trx.deleteFrom('dataset_versions').where('id', '=', v1.id).execute());
    expect(await counters(user.id)).toMatchObject({ dataset_count: 1, storage_used_bytes: 4_000 });

    // Deleting one version of a live dataset subtracts it; hard-deleting a live dataset subtracts all.
    await createVersion(user.id, b.id, 2, { original: 10 });
    expect((await counters(user.id)).storage_used_bytes).toBe(4_010);
    await app((trx) => trx.deleteFrom('datasets').where('id', '=', b.id).execute());
    await app((trx) => trx.deleteFrom('datasets').where('id', '=', a.id).execute());
    expect(await counters(user.id)).toMatchObject({ dataset_count: 0, storage_used_bytes: 0 });
  });

  it('counts pipelines (respecting soft delete) and models', async () => {
    const user = await createTestUser(db);
    const pipeline = await app((trx) =>
      trx
        .insertInto('pipelines')
        .values({ user_id: user.id, name: 'p' })
        .returning('id')
        .executeTakeFirstOrThrow(),
    );
    await app((trx) => trx.insertInto('pipelines').values({ user_id: user.id, name: 'q' }).execute());
    expect((await counters(user.id)).pipeline_count).toBe(2);

    await app((trx) =>
      trx.updateTable('pipelines').set({ deleted_at: new Date() }).where('id', '=', pipeline.id).execute(),
    );
    expect((await counters(user.id)).pipeline_count).toBe(1);

    const model = await app((trx) =>
      trx
        .insertInto('models')
        .values({
          user_id: user.id,
          pipeline_id: pipeline.id,
          name: 'm',
          algorithm: 'random_forest',
          artifact_key: 'models/x/model.json',
        })
        .returning(['id', 'version'])
        .executeTakeFirstOrThrow(),
    );
    const second = await app((trx) =>
      trx
        .insertInto('models')
        .values({
          user_id: user.id,
          pipeline_id: pipeline.id,
          // A second version of the same name (versions are numbered per owner and name).
          name: 'm',
          algorithm: 'random_forest',
          artifact_key: 'models/y/model.json',
        })
        .returning('version')
        .executeTakeFirstOrThrow(),
    );
    expect([model.version, second.version]).toEqual([1, 2]);
    expect((await counters(user.id)).model_count).toBe(2);

    await app((trx) => trx.deleteFrom('models').where('id', '=', model.id).execute());
    await app((trx) => trx.deleteFrom('pipelines').where('id', '=', pipeline.id).execute());
    expect(await counters(user.id)).toMatchObject({ pipeline_count: 1, model_count: 1 });
  });
});

describe('dataset version dedupe', () => {
  it('links a re-upload of the same content by the same user to the first version', async () => {
    const user = await createTestUser(db);
    const other = await createTestUser(db);
    const first = await createDataset(user.id);
    const second = await createDataset(user.id);
    const original = await createVersion(user.id, first.id, 1, { sha256: sha('a') });

    // The hash becomes known after upload: the trigger links the version as it is recorded.
    const reupload = await createVersion(user.id, second.id, 1);
    const linked = await app((trx) =>
      trx
        .updateTable('dataset_versions')
        .set({ sha256: sha('a') })
        .where('id', '=', reupload.id)
        .returning('duplicate_of_version_id')
        .executeTakeFirstOrThrow(),
    );
    const otherUsers = await createVersion(other.id, (await createDataset(other.id)).id, 1, {
      sha256: sha('a'),
    });
    const different = await createVersion(user.id, first.id, 2, { sha256: sha('b') });

    expect(original.duplicate_of_version_id).toBeNull();
    expect(linked.duplicate_of_version_id).toBe(original.id);
    expect(otherUsers.duplicate_of_version_id).toBeNull();
    expect(different.duplicate_of_version_id).toBeNull();
  });

  it('keeps one canonical version per user and content when the canonical one is deleted', async () => {
    const user = await createTestUser(db);
    const dataset = await createDataset(user.id);
    const canonical = await createVersion(user.id, dataset.id, 1, { sha256: sha('c') });
    const dup1 = await createVersion(user.id, dataset.id, 2, { sha256: sha('c') });
    const dup2 = await createVersion(user.id, dataset.id, 3, { sha256: sha('c') });
    expect([dup1.duplicate_of_version_id, dup2.duplicate_of_version_id]).toEqual([
      canonical.id,
      canonical.id,
    ]);

    await app((trx) => trx.deleteFrom('dataset_versions').where('id', '=', canonical.id).execute());

    const rows = await app((trx) =>
      trx
        .selectFrom('dataset_versions')
        .select(['id', 'duplicate_of_version_id'])
        .where('id', 'in', [dup1.id, dup2.id])
        .execute(),
    );
    const canonicalNow = rows.filter((r) => r.duplicate_of_version_id === null);
    expect(canonicalNow).toHaveLength(1);
    const survivor = canonicalNow[0]?.id;
    expect(rows.find((r) => r.id !== survivor)?.duplicate_of_version_id).toBe(survivor);
  });

  it('refuses a link to a version with other content', async () => {
    const user = await createTestUser(db);
    const dataset = await createDataset(user.id);
    const target = await createVersion(user.id, dataset.id, 1, { sha256: sha('d') });

    const wrongLink = app((trx) =>
      trx
        .insertInto('dataset_versions')
        .values({
          user_id: user.id,
          dataset_id: dataset.id,
          version_number: 2,
          original_filename: 'x.csv',
          sha256: sha('e'),
          duplicate_of_version_id: target.id,
        })
        .execute(),
    );

    await expect(wrongLink).rejects.toMatchObject({ constraint: 'dataset_versions_duplicate_same_content' });
  });

  it('keeps version numbers unique per dataset', async () => {
    const user = await createTestUser(db);
    const dataset = await createDataset(user.id);
    await createVersion(user.id, dataset.id, 1);

    await expect(createVersion(user.id, dataset.id, 1)).rejects.toMatchObject({
      sqlState: '23505',
      constraint: 'dataset_versions_dataset_version_key',
    });
  });
});
