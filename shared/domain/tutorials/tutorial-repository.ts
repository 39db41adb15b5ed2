import type { Selectable } from 'kysely';
import * as z from 'zod';
import type { Database, DatabaseTransaction } from '../../db/database';
import type { Owner } from '../../db/owner-filter';
import {
  jsonb,
  MODALITIES,
  type Modality,
  type TutorialDifficulty,
  type TutorialsTable,
  type UserTutorialProgressStatus,
  type UserTutorialProgressTable,
} from '../../db/schema';
import { COMPLETION_CONDITIONS, type CompletionConditionKind } from './completion-conditions';
import { TUTORIALS, type TutorialDefinition, type TutorialStepDefinition } from './tutorial-catalog';
import type { CompletedStep } from './tutorial-progress';

/** The SQL of tutorials (shipped reference data), each user's progress, and earlier attempts. */

const conditionKinds = Object.keys(COMPLETION_CONDITIONS) as [
  CompletionConditionKind,
  ...CompletionConditionKind[],
];

const storedStepSchema = z.object({
  key: z.string(),
  title: z.string(),
  body: z.string(),
  command: z.string(),
  condition: z.object({
    kind: z.enum(conditionKinds),
    mlTask: z.string().optional(),
    format: z.string().optional(),
    nodeType: z.string().optional(),
    modality: z.enum(MODALITIES).optional(),
    anyTime: z.boolean().optional(),
  }),
});
const storedContentSchema = z.array(storedStepSchema);

const completedStepsSchema = z.array(
  z.object({
    step: z.string(),
    resourceType: z.string(),
    resourceId: z.string().nullable(),
    label: z.string(),
    completedAt: z.string(),
  }),
);

export interface TutorialRecord {
  id: string;
  slug: string;
  title: string;
  description: string;
  modality: Modality | null;
  difficulty: TutorialDifficulty;
  estimatedMinutes: number | null;
  steps: TutorialStepDefinition[];
}

export interface ProgressRecord {
  tutorialId: string;
  attempt: number;
  status: UserTutorialProgressStatus;
  currentStep: number;
  completedSteps: CompletedStep[];
  startedAt: Date | null;
  completedAt: Date | null;
}

export interface AttemptRecord extends ProgressRecord {
  endedAt: Date;
}

const TUTORIAL_COLUMNS = [
  'id',
  'slug',
  'title',
  'description',
  'modality',
  'difficulty',
  'estimated_minutes',
  'content',
] as const;

type TutorialRow = Pick<Selectable<TutorialsTable>, (typeof TUTORIAL_COLUMNS)[number]>;

function toTutorial(row: TutorialRow): TutorialRecord {
  return {
    id: row.id,
    slug: row.slug,
    title: row.title,
    description: row.description,
    modality: row.modality,
    difficulty: row.difficulty,
    estimatedMinutes: row.estimated_minutes,
    steps: storedContentSchema.parse(row.content),
  };
}

export interface TutorialFilter {
  modality?: Modality | undefined;
  difficulty?: TutorialDifficulty | undefined;
}

export async function listPublishedTutorials(
  trx: DatabaseTransaction,
  filter: TutorialFilter,
): Promise<TutorialRecord[]> {
  let query = trx.selectFrom('tutorials').select(TUTORIAL_COLUMNS).where('is_published', '=', true);
  if (filter.modality) query = query.where('modality', '=', filter.modality);
  if (filter.difficulty) query = query.where('difficulty', '=', filter.difficulty);
  const rows = await query.orderBy('sort_order').orderBy('slug').execute();
  return rows.map(toTutorial);
}

export async function findPublishedTutorial(
  trx: DatabaseTransaction,
  slug: string,
): Promise<TutorialRecord | undefined> {
  const row = await trx
    .selectFrom('tutorials')
    .select(TUTORIAL_COLUMNS)
    .where('slug', '=', slug)
    .where('is_published', '=', true)
    .executeTakeFirst();
  return row ? toTutorial(row) : undefined;
}

type ProgressRow = Pick<Selectable<UserTutorialProgressTable>, (typeof PROGRESS_COLUMNS)[number]>;

function toProgress(row: ProgressRow): ProgressRecord {
  return {
    tutorialId: row.tutorial_id,
    attempt: row.attempt,
    status: row.status,
    currentStep: row.current_step,
    completedSteps: completedStepsSchema.parse(row.completed_steps),
    startedAt: row.started_at,
    completedAt: row.completed_at,
  };
}

const PROGRESS_COLUMNS = [
  'tutorial_id',
  'attempt',
  'status',
  'current_step',
  'completed_steps',
  'started_at',
  'completed_at',
] as const;

/** The caller's progress on these tutorials, locked for the rest of the transaction. */
export async function lockProgress(
  trx: DatabaseTransaction,
  owner: Owner,
  tutorialIds: readonly string[],
): Promise<Map<string, ProgressRecord>> {
  if (tutorialIds.length === 0) return new Map();
  const rows = await trx
    .selectFrom('user_tutorial_progress')
    .select(PROGRESS_COLUMNS)
    .where('user_id', '=', owner.userId)
    .where('tutorial_id', 'in', tutorialIds)
    .forUpdate()
    .execute();
  return new Map(rows.map((row) => [row.tutorial_id, toProgress(row)]));
}

export async function saveProgress(
  trx: DatabaseTransaction,
  owner: Owner,
  progress: ProgressRecord,
): Promise<void> {
  const values = {
    attempt: progress.attempt,
    status: progress.status,
    current_step: progress.currentStep,
    completed_steps: jsonb(progress.completedSteps),
    started_at: progress.startedAt,
    completed_at: progress.completedAt,
  };
  await trx
    .insertInto('user_tutorial_progress')
    .values({ user_id: owner.userId, tutorial_id: progress.tutorialId, ...values })
    .onConflict((oc) => oc.columns(['user_id', 'tutorial_id']).doUpdateSet(values))
    .execute();
}

/** Keeps an attempt that is being replaced by a new one. */
export async function archiveAttempt(
  trx: DatabaseTransaction,
  owner: Owner,
  progress: ProgressRecord,
): Promise<void> {
  await trx
    .insertInto('user_tutorial_attempts')
    .values({
      user_id: owner.userId,
      tutorial_id: progress.tutorialId,
      attempt: progress.attempt,
      status: progress.status,
      current_step: progress.currentStep,
      completed_steps: jsonb(progress.completedSteps),
      started_at: progress.startedAt,
      completed_at: progress.completedAt,
    })
    .execute();
}

export async function listAttempts(
  trx: DatabaseTransaction,
  owner: Owner,
  tutorialId: string,
): Promise<AttemptRecord[]> {
  const rows = await trx
    .selectFrom('user_tutorial_attempts')
    .select([...PROGRESS_COLUMNS, 'ended_at'])
    .where('user_id', '=', owner.userId)
    .where('tutorial_id', '=', tutorialId)
    .orderBy('attempt', 'desc')
    .limit(20)
    .execute();
  return rows.map((row) => ({ ...toProgress(row), endedAt: row.ended_at }));
}

/** Upserts the shipped tutorials by slug (runs with the rest of the reference data). */
export async function seedTutorials(
  db: Database,
  tutorials: readonly TutorialDefinition[] = TUTORIALS,
): Promise<void> {
  for (const tutorial of tutorials) {
    const values = {
      title: tutorial.title,
      description: tutorial.description,
      modality: tutorial.modality,
      difficulty: tutorial.difficulty,
      content: jsonb(tutorial.steps),
      estimated_minutes: tutorial.estimatedMinutes,
      sort_order: tutorial.sortOrder,
    };
    await db
      .insertInto('tutorials')
      .values({ slug: tutorial.slug, ...values })
      .onConflict((oc) => oc.column('slug').doUpdateSet(values))
      .execute();
  }
}
