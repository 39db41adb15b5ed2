import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../../../../shared/db/database';
import { withOwner } from '../../../../../shared/db/owner-filter';
import { withSystemScope } from '../../../../../shared/db/tenant';
import type { CompletionCondition } from '../../../../../shared/domain/tutorials/completion-conditions';
import {
  recordProfileRead,
  recordRead,
} from '../../../../../shared/domain/tutorials/resource-reads-repository';
import { findEvidence } from '../../../../../shared/domain/tutorials/tutorial-evidence-repository';
import { createTestDatabase, type TestDatabase } from '../../../support/database';
import { createLearningJob, type LearningJob } from '../runs/learning-job';

/**
 * The reads that complete tutorial steps, against a real PostgreSQL: a step that asks to read the
 * profile, the leaderboard or the results is done by the caller's own read of their own resource
 * since the attempt began, and by nothing else.
 */

let testDb: TestDatabase;
let db: Database;
let alice: LearningJob;
let bob: LearningJob;

/** The database's clock, to the millisecond a Date holds, rounded up. */
const databaseNowCeiled = () =>
  withSystemScope(db, 'admin.test-fixture', async (trx) => {
    const { rows } = await sql<{
      now: Date;
    }>`select date_trunc('milliseconds', clock_timestamp()) + interval '1 millisecond' as now`.execute(trx);
    return new Date(rows[0]?.now ?? Number.NaN);
  });

const evidenceOf = (who: LearningJob, condition: CompletionCondition, since: Date | null = null) =>
  withOwner(db, { userId: who.userId }, (trx) => findEvidence(trx, { userId: who.userId }, condition, since));

beforeAll(async () => {
  testDb = await createTestDatabase();
  db = testDb.db;
  [alice, bob] = await Promise.all([createLearningJob(db), createLearningJob(db)]);
});
afterAll(async () => {
  await testDb.drop();
});

describe('reads that complete tutorial steps', () => {
  it('completes "read the profile" only once its owner read it, naming the version', async () => {
    expect(await evidenceOf(alice, { kind: 'profile.read' })).toBeUndefined();
    // Another user naming Alice's version records nothing, for either of them.
    await recordProfileRead(db, { userId: bob.userId }, alice.datasetId, 1);
    expect(await evidenceOf(bob, { kind: 'profile.read' })).toBeUndefined();
    expect(await evidenceOf(alice, { kind: 'profile.read' })).toBeUndefined();

    await recordProfileRead(db, { userId: alice.userId }, alice.datasetId, 1);
    const evidence = await evidenceOf(alice, { kind: 'profile.read' });
    expect(evidence).toMatchObject({ resourceType: 'datasetVersion', resourceId: alice.datasetVersionId });
    expect(evidence?.label).toMatch(/^you read the profile of ds-.* version 1$/);
  });

  it('counts only reads since the attempt began, and counts each read', async () => {
    const later = new Date(Date.now() + 60_000);
    expect(await evidenceOf(alice, { kind: 'profile.read' }, later)).toBeUndefined();
    await recordProfileRead(db, { userId: alice.userId }, alice.datasetId, 1);
    const row = await withSystemScope(db, 'admin.test-fixture', (trx) =>
      trx
        .selectFrom('user_resource_reads')
        .select(['read_count', 'first_read_at', 'last_read_at'])
        .where('user_id', '=', alice.userId)
        .executeTakeFirstOrThrow(),
    );
    expect(row.read_count).toBe(2);
    expect(row.last_read_at.getTime()).toBeGreaterThanOrEqual(row.first_read_at.getTime());
  });

  it('counts a read made after the attempt began', async () => {
    const attemptStarted = await databaseNowCeiled();
    // Every earlier read came before the attempt.
    expect(await evidenceOf(alice, { kind: 'profile.read' }, attemptStarted)).toBeUndefined();
    // The read below happens at or after the attempt's start on the database's own clock.
    while ((await databaseNowCeiled()).getTime() <= attemptStarted.getTime());
    await recordProfileRead(db, { userId: alice.userId }, alice.datasetId, 1);
    const evidence = await evidenceOf(alice, { kind: 'profile.read' }, attemptStarted);
    expect(evidence).toMatchObject({ resourceType: 'datasetVersion', resourceId: alice.datasetVersionId });
  });

  it('never completes a step with a read of another user’s job', async () => {
    await recordRead(db, { userId: bob.userId }, 'leaderboard', alice.jobId);
    await recordRead(db, { userId: bob.userId }, 'jobResults', alice.jobId);
    expect(await evidenceOf(bob, { kind: 'leaderboard.read' })).toBeUndefined();
    expect(await evidenceOf(bob, { kind: 'results.read' })).toBeUndefined();
    expect(await evidenceOf(alice, { kind: 'leaderboard.read' })).toBeUndefined();

    await recordRead(db, { userId: alice.userId }, 'leaderboard', alice.jobId);
    expect(await evidenceOf(alice, { kind: 'leaderboard.read' })).toMatchObject({
      resourceType: 'job',
      resourceId: alice.jobId,
    });
    // A leaderboard read is not a read of the results.
    expect(await evidenceOf(alice, { kind: 'results.read' })).toBeUndefined();
  });
});
