/**
 * What a training node records beyond its output files: the experiment its trials belong to, one
 * experiment run per trial, and the model it registers. The node runtime implements it over the
 * database (shared/domain/learning/experiments, shared/domain/models) in the job owner's tenant
 * scope; nodes see only this port.
 */
export type ExperimentRunStatus = 'completed' | 'failed' | 'timeout';
export type OptimisationDirection = 'maximize' | 'minimize';

export interface ExperimentRequest {
  /** An experiment of the job's owner, by id; absent: the job's own experiment (created once). */
  experimentId?: string | undefined;
  /** Name for a new experiment (default: "<pipeline name> — job <short id>"). */
  name?: string | undefined;
  objectiveMetric: string;
  direction: OptimisationDirection;
}

export interface ExperimentRunRecord {
  experimentId: string;
  learner: string;
  hyperparameters: Record<string, unknown>;
  /** Validation and test scores, fit seconds, predict ms per 1,000 rows, artifact bytes, … */
  metrics: Record<string, number | string | boolean | null>;
  durationSeconds: number;
  status: ExperimentRunStatus;
  errorMessage?: string | undefined;
  stopReason?: string | undefined;
}

export interface ModelRegistration {
  /** Chosen by the node, which stores the artifact under models/{user}/{model id}/ first. */
  modelId: string;
  /** The registered name; default: the pipeline's name. */
  name?: string | undefined;
  algorithm: string;
  problemType: 'classification' | 'regression' | 'clustering' | 'forecasting' | 'denoising';
  frameworkVersion: string;
  artifactKey: string;
  artifactSizeBytes: number;
  artifactSha256: string;
  metrics: Record<string, number | string | boolean | null>;
  hyperparameters: Record<string, unknown>;
  /** Ordered input columns with types and category lists, label classes. */
  featureSchema: Record<string, unknown>;
  experimentRunId?: string | undefined;
  /** The dataset version the training rows came from. */
  datasetVersionId?: string | undefined;
  seed: number;
}

export interface LearningRecords {
  experiment(request: ExperimentRequest): Promise<{ experimentId: string }>;
  recordRun(run: ExperimentRunRecord): Promise<{ runId: string; runNumber: number }>;
  /** Marks the run the experiment reports as best. */
  setBestRun(experimentId: string, runId: string): Promise<void>;
  registerModel(model: ModelRegistration): Promise<{ modelId: string; version: number }>;
}
