import type { Database } from '../../db/database';
import { withOwner } from '../../db/owner-filter';
import { NotFoundError } from '../../kernel/app-error';
import { clip, dataApiJsonBytes, fitPrefix } from '../../kernel/bounded-json';
import { systemClock, type Clock } from '../../kernel/clock.port';
import {
  datasetOfVersion,
  ensureJobExperiment,
  findExperiment,
  setBestRun,
} from '../experiments/experiment-repository';
import { insertExperimentRun, linkRunToModel } from '../experiments/experiment-run-repository';
import { findModel, insertModel } from '../models/model-repository';
import type {
  ExperimentRequest,
  ExperimentRunRecord,
  LearningRecords,
  ModelRegistration,
} from '../nodes/learning-records.port';

/**
 * The `LearningRecords` of one node of a job, over the database. Every call is one short
 * transaction in the job owner's tenant scope, so a node can only reach its owner's experiments,
 * runs and dataset versions (another tenant's id is a NotFoundError, as over the API).
 *
 * What a node hands over is bounded before it is stored (no row over the Data API's 64 KB): text
 * is clipped, and a record of metrics, hyperparameters or feature schema keeps the entries that
 * fit, in order, with `_omitted` counting the entries left out and `_truncated` the original
 * length of each list that was cut. The full feature schema travels with the model's artifact.
 */
export interface LearningRecordsContext {
  /** The job's owner: everything is recorded in their tenant scope. */
  userId: string;
  jobId: string;
  /** The pipeline the job runs (null when it has since been deleted). */
  pipelineId: string | null;
  /** Names the job's own experiment: "<pipeline name> — job <short id>". */
  pipelineName: string;
  /** The node that records; kept on its runs and models. */
  nodeId?: string | undefined;
  /** The job's dataset version: the default lineage of models, and the dataset of the job's experiment. */
  datasetVersionId?: string | null | undefined;
  clock?: Clock | undefined;
}

/** Budgets, in bytes as the Data API returns JSON (see shared/kernel/bounded-json.ts). */
const RUN_HYPERPARAMETERS_BYTES = 10 * 1024;
const RUN_METRICS_BYTES = 12 * 1024;
const MODEL_METRICS_BYTES = 8 * 1024;
const MODEL_HYPERPARAMETERS_BYTES = 8 * 1024;
const MODEL_FEATURE_SCHEMA_BYTES = 30 * 1024;
/** Room kept for the `_omitted`/`_truncated` markers. */
const MARKER_BYTES = 2 * 1024;
const MAX_STRING_VALUE = 1_000;
const MAX_ERROR_MESSAGE = 4_000;

export function databaseLearningRecords(db: Database, context: LearningRecordsContext): LearningRecords {
  const owner = { userId: context.userId };
  const clock = context.clock ?? systemClock;
  const nodeId = context.nodeId ?? null;

  return {
    async experiment(request: ExperimentRequest) {
      return withOwner(db, owner, async (trx) => {
        if (request.experimentId !== undefined) {
          const found = await findExperiment(trx, context.userId, request.experimentId);
          if (!found) throw new NotFoundError('Experiment', request.experimentId);
          return { experimentId: found.id };
        }
        const datasetId = context.datasetVersionId
          ? await datasetOfVersion(trx, context.userId, context.datasetVersionId)
          : undefined;
        const experiment = await ensureJobExperiment(trx, context.jobId, {
          ownerId: context.userId,
          name: clip(request.name ?? `${context.pipelineName} — job ${context.jobId.slice(0, 8)}`, 255),
          pipelineId: context.pipelineId,
          datasetId: datasetId ?? null,
          objectiveMetric: clip(request.objectiveMetric, 200),
          objectiveDirection: request.direction,
        });
        return { experimentId: experiment.id };
      });
    },

    async recordRun(run: ExperimentRunRecord) {
      const completedAt = clock.now();
      const duration = Number.isFinite(run.durationSeconds) ? Math.max(0, run.durationSeconds) : null;
      const recorded = await withOwner(db, owner, (trx) =>
        insertExperimentRun(trx, context.userId, {
          experimentId: run.experimentId,
          jobId: context.jobId,
          nodeId,
          learner: clip(run.learner, 200) || 'unknown',
          hyperparameters: fitRecord(run.hyperparameters, RUN_HYPERPARAMETERS_BYTES),
          metrics: fitMetrics(run.metrics, RUN_METRICS_BYTES),
          durationSeconds: duration,
          status: run.status,
          stopReason: run.stopReason === undefined ? null : clip(run.stopReason, 1_000),
          errorMessage: run.errorMessage === undefined ? null : clip(run.errorMessage, MAX_ERROR_MESSAGE),
          startedAt: startOf(completedAt, duration),
          completedAt,
        }),
      );
      if (!recorded) throw new NotFoundError('Experiment', run.experimentId);
      return { runId: recorded.id, runNumber: recorded.runNumber };
    },

    async setBestRun(experimentId: string, runId: string) {
      const marked = await withOwner(db, owner, (trx) =>
        setBestRun(trx, context.userId, experimentId, runId),
      );
      if (!marked) throw new NotFoundError('Experiment run', runId);
    },

    async registerModel(model: ModelRegistration) {
      return withOwner(db, owner, async (trx) => {
        await insertModel(trx, {
          id: model.modelId,
          ownerId: context.userId,
          name: clip(model.name ?? context.pipelineName, 255),
          algorithm: clip(model.algorithm, 200),
          problemType: model.problemType,
          frameworkVersion: clip(model.frameworkVersion, 100),
          artifactKey: model.artifactKey,
          artifactSizeBytes: model.artifactSizeBytes,
          artifactSha256: model.artifactSha256.toLowerCase(),
          metrics: fitMetrics(model.metrics, MODEL_METRICS_BYTES),
          hyperparameters: fitRecord(model.hyperparameters, MODEL_HYPERPARAMETERS_BYTES),
          featureSchema: fitRecord(model.featureSchema, MODEL_FEATURE_SCHEMA_BYTES),
          jobId: context.jobId,
          nodeId,
          pipelineId: context.pipelineId,
          experimentRunId: model.experimentRunId ?? null,
          datasetVersionId: model.datasetVersionId ?? context.datasetVersionId ?? null,
          seed: model.seed,
        });
        if (model.experimentRunId !== undefined) {
          await linkRunToModel(trx, context.userId, model.experimentRunId, model.modelId);
        }
        const stored = await findModel(trx, context.userId, model.modelId);
        if (!stored) throw new NotFoundError('Model', model.modelId);
        return { modelId: stored.id, version: stored.version };
      });
    },
  };
}

/** When a run of `durationSeconds` that ended at `completedAt` started; null when unknown. */
function startOf(completedAt: Date, durationSeconds: number | null): Date | null {
  if (durationSeconds === null) return null;
  const started = new Date(completedAt.getTime() - durationSeconds * 1000);
  return Number.isNaN(started.getTime()) ? null : started;
}

type Metrics = Record<string, number | string | boolean | null>;

/** Metrics within `budget`: long text clipped, then the entries that fit. */
function fitMetrics(metrics: Metrics, budget: number): Metrics {
  const clipped: Metrics = {};
  for (const [key, value] of Object.entries(metrics)) {
    clipped[clip(key, 200)] = typeof value === 'string' ? clip(value, MAX_STRING_VALUE) : value;
  }
  const fitted = fitRecord(clipped, budget);
  const out: Metrics = {};
  for (const [key, value] of Object.entries(fitted)) {
    if (value === null || typeof value !== 'object') out[key] = value as Metrics[string];
  }
  return out;
}

/**
 * The entries of `record` that fit `budget`, in order. A list that does not fit whole keeps the
 * items that do (`_truncated` records its length); an entry that does not fit at all is left out
 * (`_omitted` counts them).
 */
export function fitRecord(record: Record<string, unknown>, budget: number): Record<string, unknown> {
  if (dataApiJsonBytes(record) <= budget) return record;
  const room = Math.max(0, budget - MARKER_BYTES);
  const out: Record<string, unknown> = {};
  const truncated: Record<string, number> = {};
  let omitted = 0;
  let used = dataApiJsonBytes({});
  for (const [key, value] of Object.entries(record)) {
    const cost = dataApiJsonBytes({ [key]: value }) - dataApiJsonBytes({}) + 1;
    if (used + cost <= room) {
      out[key] = value;
      used += cost;
    } else if (Array.isArray(value)) {
      const overhead = dataApiJsonBytes({ [key]: [] }) - dataApiJsonBytes({}) + 1;
      const kept = fitPrefix(value, Math.max(0, room - used - overhead));
      if (kept.length > 0) {
        out[key] = kept;
        used += dataApiJsonBytes({ [key]: kept }) - dataApiJsonBytes({}) + 1;
        truncated[clip(key, 200)] = value.length;
      } else omitted += 1;
    } else omitted += 1;
  }
  if (Object.keys(truncated).length > 0) out['_truncated'] = fitTruncationMarker(truncated);
  if (omitted > 0) out['_omitted'] = omitted;
  return out;
}

/** The marker itself stays within its room even when many lists were cut. */
function fitTruncationMarker(truncated: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [key, length] of Object.entries(truncated)) {
    if (dataApiJsonBytes({ ...out, [key]: length }) > MARKER_BYTES / 2) break;
    out[key] = length;
  }
  return out;
}
