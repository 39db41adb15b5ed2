import type { Modality } from '../../db/schema';

/**
 * What completes a tutorial step: a fact about the caller's own data, never a button. Each
 * condition is checked by `findEvidence` (tutorial-evidence-repository.ts) in the caller's tenant
 * scope, so only resources the caller owns can complete it.
 */

export const COMPLETION_CONDITIONS = {
  'dataset.created': 'A dataset of yours was created.',
  'version.validated': 'A version of one of your datasets was validated.',
  'profile.read': 'You read the profile of a version of yours.',
  'schema.accepted': 'You accepted the schema of a version of yours.',
  'pipeline.created': 'A pipeline of yours was cloned from the template of the ML task named.',
  'model.trained': 'A job of yours trained and registered a model.',
  'node.succeeded': 'A node of the type named ran to success in a job of yours.',
  'leaderboard.read': 'You read the leaderboard of a job of yours.',
  'experiment.read': 'You read an experiment of yours.',
  'results.read': 'You read the results of a job of yours.',
  'alias.set': 'An alias of yours points at a model version.',
  'predictions.made': 'You predicted rows with a model of yours.',
  'export.completed': 'An export of yours in the format named completed.',
  'credits.available': 'Your credit ledger has an entry (the welcome grant counts).',
  'credits.purchased': 'A top-up of yours was applied to your ledger.',
  'job.charged': 'A job of yours was charged for the time its nodes ran.',
} as const;

export type CompletionConditionKind = keyof typeof COMPLETION_CONDITIONS;

export interface CompletionCondition {
  kind: CompletionConditionKind;
  /** For `pipeline.created`: the ML task (ml_tasks.key) of the template cloned. */
  mlTask?: string;
  /** For `export.completed`: the export format. */
  format?: string;
  /** For `node.succeeded`: the node type (node_types.key). */
  nodeType?: string;
  /**
   * For `dataset.created`, `version.validated`, `model.trained` (the dataset its job ran on) and
   * `export.completed` (the dataset of the version or job exported): only datasets of this modality.
   */
  modality?: Modality;
  /**
   * Whether anything of the caller's counts, or only what they did after starting the attempt
   * (the default): a restarted tutorial is not completed by the first attempt's work.
   */
  anyTime?: boolean;
}

/** The resource of the caller's that completed a step. */
export interface StepEvidence {
  resourceType: string;
  /** Null when the evidence is a count rather than one row (rows predicted). */
  resourceId: string | null;
  label: string;
  /** When the resource reached the state the condition asks for. */
  at: Date;
}

/** A sentence a reader can check for themselves, e.g. "An export of yours in huggingface format completed." */
export function describeCondition(condition: CompletionCondition): string {
  const of = condition.modality ? ` of a ${condition.modality} dataset` : '';
  switch (condition.kind) {
    case 'pipeline.created':
      return `A pipeline of yours was cloned from the ${condition.mlTask ?? 'any'} template.`;
    case 'export.completed':
      return `An export of yours${of} in ${condition.format ?? 'any'} format completed.`;
    case 'node.succeeded':
      return `A ${condition.nodeType ?? 'any'} node ran to success in a job of yours.`;
    case 'dataset.created':
      return condition.modality
        ? `A ${condition.modality} dataset of yours was created.`
        : COMPLETION_CONDITIONS[condition.kind];
    case 'version.validated':
      return condition.modality
        ? `A version of one of your ${condition.modality} datasets was validated.`
        : COMPLETION_CONDITIONS[condition.kind];
    case 'model.trained':
      return condition.modality
        ? `A job of yours trained and registered a model on a ${condition.modality} dataset.`
        : COMPLETION_CONDITIONS[condition.kind];
    default:
      return COMPLETION_CONDITIONS[condition.kind];
  }
}
