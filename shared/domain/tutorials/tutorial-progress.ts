import type { UserTutorialProgressStatus } from '../../db/schema';
import type { StepEvidence } from './completion-conditions';

/** A step done in an attempt, with the resource that completed it (stored as JSON). */
export interface CompletedStep {
  step: string;
  resourceType: string;
  resourceId: string | null;
  label: string;
  completedAt: string;
}

export interface AttemptState {
  status: UserTutorialProgressStatus;
  /** Index of the first step not done (the step count when every step is). */
  currentStep: number;
  completedSteps: CompletedStep[];
  completedAt: Date | null;
}

/**
 * Folds what was found into an attempt. A step once done stays done (its evidence is history,
 * even if the resource is deleted later); a step not yet done is done when `found` has evidence
 * for it. The attempt is completed when every step is done, and stays completed.
 */
export function advanceAttempt(
  stepKeys: readonly string[],
  recorded: readonly CompletedStep[],
  found: ReadonlyMap<string, StepEvidence>,
  now: Date,
): AttemptState {
  const byStep = new Map(recorded.map((done) => [done.step, done]));
  for (const key of stepKeys) {
    if (byStep.has(key)) continue;
    const evidence = found.get(key);
    if (!evidence) continue;
    byStep.set(key, {
      step: key,
      resourceType: evidence.resourceType,
      resourceId: evidence.resourceId,
      label: evidence.label,
      completedAt: evidence.at.toISOString(),
    });
  }
  const completedSteps = stepKeys.flatMap((key) => {
    const done = byStep.get(key);
    return done ? [done] : [];
  });
  const firstOpen = stepKeys.findIndex((key) => !byStep.has(key));
  const allDone = firstOpen === -1;
  const lastDoneAt = completedSteps.reduce<string | null>(
    (latest, done) => (latest === null || done.completedAt > latest ? done.completedAt : latest),
    null,
  );
  return {
    status: allDone ? 'completed' : 'in_progress',
    currentStep: allDone ? stepKeys.length : firstOpen,
    completedSteps,
    completedAt: allDone ? new Date(lastDoneAt ?? now.toISOString()) : null,
  };
}
