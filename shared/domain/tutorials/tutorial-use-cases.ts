import type { Database, DatabaseTransaction } from '../../db/database';
import { withOwner, type Owner } from '../../db/owner-filter';
import { NotFoundError } from '../../kernel/app-error';
import type { StepEvidence } from './completion-conditions';
import { TUTORIAL_SETUP, TUTORIALS } from './tutorial-catalog';
import { findEvidence } from './tutorial-evidence-repository';
import { advanceAttempt } from './tutorial-progress';
import {
  archiveAttempt,
  findPublishedTutorial,
  listAttempts,
  listPublishedTutorials,
  lockProgress,
  saveProgress,
  type AttemptRecord,
  type ProgressRecord,
  type TutorialFilter,
  type TutorialRecord,
} from './tutorial-repository';

/**
 * Tutorials that check themselves. Progress is evaluated lazily, whenever the caller reads a
 * tutorial (or the list): each open step's condition is checked against the caller's own data, and
 * what completed it is recorded with the attempt. Nothing runs on a schedule, and no call marks a
 * step done by itself.
 */

export interface TutorialSummary {
  tutorial: TutorialRecord;
  progress: ProgressRecord | null;
}

export interface TutorialDetail extends TutorialSummary {
  setup: string;
  previousAttempts: AttemptRecord[];
  after: string[];
}

async function evaluate(
  trx: DatabaseTransaction,
  owner: Owner,
  tutorial: TutorialRecord,
  progress: ProgressRecord,
  now: Date,
): Promise<ProgressRecord> {
  if (progress.status !== 'in_progress') return progress;
  const recorded = new Set(progress.completedSteps.map((done) => done.step));
  const found = new Map<string, StepEvidence>();
  for (const step of tutorial.steps) {
    if (recorded.has(step.key)) continue;
    const evidence = await findEvidence(trx, owner, step.condition, progress.startedAt);
    if (evidence) found.set(step.key, evidence);
  }
  if (found.size === 0) return progress;
  const next = advanceAttempt(
    tutorial.steps.map((step) => step.key),
    progress.completedSteps,
    found,
    now,
  );
  const updated: ProgressRecord = { ...progress, ...next };
  await saveProgress(trx, owner, updated);
  return updated;
}

export async function listTutorials(
  db: Database,
  owner: Owner,
  filter: TutorialFilter,
  now = new Date(),
): Promise<TutorialSummary[]> {
  return withOwner(db, owner, async (trx) => {
    const tutorials = await listPublishedTutorials(trx, filter);
    const progress = await lockProgress(
      trx,
      owner,
      tutorials.map((t) => t.id),
    );
    const summaries: TutorialSummary[] = [];
    for (const tutorial of tutorials) {
      const current = progress.get(tutorial.id);
      summaries.push({
        tutorial,
        progress: current ? await evaluate(trx, owner, tutorial, current, now) : null,
      });
    }
    return summaries;
  });
}

/** Runs `work` on the tutorial and the caller's progress on it, locked, in the caller's scope. */
async function withTutorial(
  db: Database,
  owner: Owner,
  slug: string,
  baseUrl: string,
  work: (
    trx: DatabaseTransaction,
    tutorial: TutorialRecord,
    current: ProgressRecord | undefined,
  ) => Promise<ProgressRecord | null>,
): Promise<TutorialDetail> {
  return withOwner(db, owner, async (trx) => {
    const tutorial = await findPublishedTutorial(trx, slug);
    if (!tutorial) throw new NotFoundError('Tutorial', slug);
    const current = (await lockProgress(trx, owner, [tutorial.id])).get(tutorial.id);
    const progress = await work(trx, tutorial, current);
    return {
      tutorial,
      progress,
      setup: TUTORIAL_SETUP.replace('{{API}}', baseUrl),
      previousAttempts: await listAttempts(trx, owner, tutorial.id),
      after: TUTORIALS.find((t) => t.slug === tutorial.slug)?.after ?? [],
    };
  });
}

export async function getTutorial(
  db: Database,
  owner: Owner,
  slug: string,
  baseUrl: string,
  now = new Date(),
): Promise<TutorialDetail> {
  return withTutorial(db, owner, slug, baseUrl, async (trx, tutorial, current) =>
    current ? evaluate(trx, owner, tutorial, current, now) : null,
  );
}

/**
 * Starts the tutorial, or starts it again: an attempt already under way or completed is kept in
 * the history and a new one begins now, so only what the caller does from now on completes steps
 * (conditions marked `anyTime` excepted).
 */
export async function startTutorial(
  db: Database,
  owner: Owner,
  slug: string,
  baseUrl: string,
  now = new Date(),
): Promise<TutorialDetail> {
  return withTutorial(db, owner, slug, baseUrl, async (trx, tutorial, previous) => {
    if (previous && previous.status !== 'not_started') await archiveAttempt(trx, owner, previous);
    const started: ProgressRecord = {
      tutorialId: tutorial.id,
      attempt:
        previous && previous.status !== 'not_started' ? previous.attempt + 1 : (previous?.attempt ?? 1),
      status: 'in_progress',
      currentStep: 0,
      completedSteps: [],
      startedAt: now,
      completedAt: null,
    };
    await saveProgress(trx, owner, started);
    return evaluate(trx, owner, tutorial, started, now);
  });
}
