import * as z from 'zod';
import { MODALITIES, TUTORIAL_DIFFICULTIES, USER_TUTORIAL_PROGRESS_STATUSES } from '../../db/schema';
import { COMPLETION_CONDITIONS, describeCondition } from './completion-conditions';
import type { CompletedStep } from './tutorial-progress';
import type { AttemptRecord, ProgressRecord } from './tutorial-repository';
import type { TutorialDetail, TutorialSummary } from './tutorial-use-cases';

/** Tutorials as the API shows them: the steps, and the caller's progress through them. */

const completedBySchema = z
  .object({
    resourceType: z
      .string()
      .meta({ description: 'dataset, datasetVersion, pipeline, job, model, experiment, export…' }),
    resourceId: z.string().nullable(),
    label: z.string(),
    completedAt: z.string(),
  })
  .meta({ description: 'The resource of yours that completed the step' });

const progressSchema = z.object({
  status: z.enum(USER_TUTORIAL_PROGRESS_STATUSES),
  attempt: z.number().int().meta({ description: '1 for the first attempt; each start after that adds one' }),
  currentStep: z
    .number()
    .int()
    .meta({ description: 'Index of the first step not done (the step count once all are)' }),
  stepsDone: z.number().int(),
  startedAt: z.string().nullable(),
  completedAt: z.string().nullable(),
});

const summarySchema = z.object({
  slug: z.string(),
  title: z.string(),
  description: z.string(),
  modality: z.enum(MODALITIES).nullable(),
  difficulty: z.enum(TUTORIAL_DIFFICULTIES),
  estimatedMinutes: z.number().int().nullable(),
  stepCount: z.number().int(),
  progress: progressSchema,
});

export const tutorialSummarySchema = summarySchema.meta({ id: 'TutorialSummary' });

export const tutorialDetailSchema = summarySchema
  .extend({
    after: z
      .array(z.string())
      .meta({ description: 'Tutorials whose variables ($DS, $JOB…) the commands use' }),
    setup: z
      .string()
      .meta({ description: 'Run once in your shell before the steps: sets $API, $AUTH and json' }),
    steps: z.array(
      z.object({
        key: z.string(),
        title: z.string(),
        body: z.string().meta({ description: 'Markdown' }),
        command: z.string().meta({ description: 'The command to run (shell with curl)' }),
        completedWhen: z.string().meta({ description: 'The condition, checked against your own data' }),
        condition: z.enum(Object.keys(COMPLETION_CONDITIONS) as [string, ...string[]]),
        done: z.boolean(),
        completedBy: completedBySchema.nullable(),
      }),
    ),
    previousAttempts: z.array(
      progressSchema
        .extend({ endedAt: z.string() })
        .meta({ description: 'Kept when the tutorial is started again' }),
    ),
  })
  .meta({ id: 'Tutorial' });

export type TutorialSummaryView = z.infer<typeof tutorialSummarySchema>;
export type TutorialDetailView = z.infer<typeof tutorialDetailSchema>;

function progressView(progress: ProgressRecord | null) {
  return {
    status: progress?.status ?? 'not_started',
    attempt: progress?.attempt ?? 0,
    currentStep: progress?.currentStep ?? 0,
    stepsDone: progress?.completedSteps.length ?? 0,
    startedAt: progress?.startedAt?.toISOString() ?? null,
    completedAt: progress?.completedAt?.toISOString() ?? null,
  };
}

export function toTutorialSummaryView({ tutorial, progress }: TutorialSummary): TutorialSummaryView {
  return {
    slug: tutorial.slug,
    title: tutorial.title,
    description: tutorial.description,
    modality: tutorial.modality,
    difficulty: tutorial.difficulty,
    estimatedMinutes: tutorial.estimatedMinutes,
    stepCount: tutorial.steps.length,
    progress: progressView(progress),
  };
}

function completedBy(done: CompletedStep | undefined) {
  return done
    ? {
        resourceType: done.resourceType,
        resourceId: done.resourceId,
        label: done.label,
        completedAt: done.completedAt,
      }
    : null;
}

export function toTutorialDetailView(detail: TutorialDetail): TutorialDetailView {
  const done = new Map(detail.progress?.completedSteps.map((step) => [step.step, step]));
  return {
    ...toTutorialSummaryView(detail),
    after: detail.after,
    setup: detail.setup,
    steps: detail.tutorial.steps.map((step) => ({
      key: step.key,
      title: step.title,
      body: step.body,
      command: step.command,
      completedWhen: describeCondition(step.condition),
      condition: step.condition.kind,
      done: done.has(step.key),
      completedBy: completedBy(done.get(step.key)),
    })),
    previousAttempts: detail.previousAttempts.map((attempt: AttemptRecord) => ({
      ...progressView(attempt),
      endedAt: attempt.endedAt.toISOString(),
    })),
  };
}
