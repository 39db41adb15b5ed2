import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listAuditLogs } from '../../../../shared/domain/identity/audit/list-audit-logs';
import { listDatasets } from '../../../../shared/domain/datasets/list-datasets';
import type { Database } from '../../../../shared/db/database';
import { jsonb } from '../../../../shared/db/schema';
import type { Caller } from '../../../../shared/http/route';
import { findPipelines } from '../../../../shared/domain/pipelines/pipeline-queries';
import { listCallerJobs } from '../../../../shared/domain/runs/query-jobs';
import { createTestDatabase, type TestDatabase } from '../../support/database';
import { createTestUser, inSystemScope } from '../../support/fixtures';

/**
 * Keyset pages at PostgreSQL's precision: two rows created 1 µs apart, split across a page
 * boundary, both appear, newest first, in every list. The ids are chosen so that ordering by id
 * within a millisecond (what a millisecond cursor does) would put them the wrong way round.
 */
const OLDER = { id: 'ffffffff-0000-4000-8000-000000000001', at: '2026-11-21 10:00:00.123456+00' };
const NEWER = { id: '00000000-0000-4000-8000-000000000002', at: '2026-11-21 10:00:00.123457+00' };
const at = (text: string) => sql<Date>`${text}::timestamptz`;

let testDb: TestDatabase;
let db: Database;
let caller: Caller;

beforeAll(async () => {
  testDb = await createTestDatabase();
  db = testDb.db;
  const user = await createTestUser(db);
  caller = { userId: user.id, role: 'user', via: 'jwt', scopes: ['read', 'write'] };
});
afterAll(async () => {
  await testDb.drop();
});

/** Follows nextCursor one row at a time and returns the ids in the order the pages gave them. */
async function pageThrough(
  fetchPage: (
    cursor: string | undefined,
  ) => Promise<{ ids: string[]; nextCursor: string | null | undefined }>,
): Promise<string[]> {
  const seen: string[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < 5; page++) {
    const { ids, nextCursor } = await fetchPage(cursor);
    seen.push(...ids);
    if (!nextCursor) return seen;
    cursor = nextCursor;
  }
  throw new Error('more pages than rows');
}

describe('keyset pages split between rows 1 µs apart', () => {
  it('datasets', async () => {
    await inSystemScope(db, (trx) =>
      trx
        .insertInto('datasets')
        .values(
          [OLDER, NEWER].map((row, i) => ({
            id: row.id,
            user_id: caller.userId,
            name: `pair ${i}`,
            modality: 'tabular' as const,
            created_at: at(row.at),
          })),
        )
        .execute(),
    );
    const ids = await pageThrough(async (cursor) => {
      const page = await listDatasets({ db }, caller, { limit: 1, ...(cursor ? { cursor } : {}) });
      return { ids: page.items.map((d) => d.id), nextCursor: page.nextCursor };
    });
    expect(ids).toEqual([NEWER.id, OLDER.id]);
  });

  it('pipelines', async () => {
    await inSystemScope(db, (trx) =>
      trx
        .insertInto('pipelines')
        .values(
          [OLDER, NEWER].map((row, i) => ({
            id: row.id,
            user_id: caller.userId,
            name: `pair ${i}`,
            definition: jsonb({ nodes: [], edges: [] }),
            created_at: at(row.at),
          })),
        )
        .execute(),
    );
    const ids = await pageThrough(async (cursor) => {
      const page = await findPipelines(db, caller, { limit: 1, ...(cursor ? { cursor } : {}) });
      return { ids: page.items.map((p) => p.id), nextCursor: page.nextCursor };
    });
    expect(ids).toEqual([NEWER.id, OLDER.id]);
  });

  it('jobs', async () => {
    await inSystemScope(db, async (trx) => {
      const snapshot = await trx
        .insertInto('pipeline_snapshots')
        .values({ user_id: caller.userId, name: 'pair', definition: jsonb({ nodes: [], edges: [] }) })
        .returning('id')
        .executeTakeFirstOrThrow();
      await trx
        .insertInto('jobs')
        .values(
          [OLDER, NEWER].map((row) => ({
            id: row.id,
            user_id: caller.userId,
            snapshot_id: snapshot.id,
            status: 'completed' as const,
            created_at: at(row.at),
          })),
        )
        .execute();
    });
    const ids = await pageThrough(async (cursor) => {
      const page = await listCallerJobs(db, caller, { limit: 1, ...(cursor ? { cursor } : {}) });
      return { ids: page.jobs.map((j) => j.id), nextCursor: page.nextCursor };
    });
    expect(ids).toEqual([NEWER.id, OLDER.id]);
  });

  it('audit logs', async () => {
    await inSystemScope(db, (trx) =>
      trx
        .insertInto('audit_logs')
        .values(
          [OLDER, NEWER].map((row) => ({
            id: row.id,
            user_id: caller.userId,
            action: 'test.pair',
            created_at: at(row.at),
          })),
        )
        .execute(),
    );
    const ids = await pageThrough(async (cursor) => {
      const page = await listAuditLogs({ db }, caller, {
        action: 'test.pair',
        limit: 1,
        ...(cursor ? { cursor } : {}),
      });
      return { ids: page.items.map((e) => e.id), nextCursor: page.nextCursor };
    });
    expect(ids).toEqual([NEWER.id, OLDER.id]);
  });
});
