import * as z from 'zod';
import {
  AUTOML_METRICS,
  AutoMlInputError,
  runAutoMl,
  type AutoMlMetric,
  type AutoMlResult,
  type LeaderboardRow,
} from '../../../learning/automl';
import {
  LEARNER_CATALOG,
  LEARNER_KEYS,
  learnerSpec,
  type LearnerCatalog,
} from '../../../learning/learner-catalog';
import type { ProblemType } from '../../../learning/learner';
import { evaluateClassification, evaluateClustering, evaluateRegression } from '../../../learning/evaluation';
import type { ExperimentRunStatus } from '../../learning-records.port';
import { defineNode, type NodeContext, type NodeInputs, type NodeResult } from '../../node-definition';
import { NodeError } from '../../node-errors';
import { writeJsonOutput } from '../../table-frames';
import {
  FRAMEWORK_VERSION,
  openTrainingSession,
  storeArtifact,
  targetSummary,
  type TrainingSession,
} from './training-session';

/**
 * Training nodes. `model.automl` searches learners and hyperparameters inside a hard time budget;
 * `model.train` fits one learner with the hyperparameters given. Both learn from their `train`
 * input (already transformed upstream), score the optional `test` input, record one experiment
 * run per trial, store the model artifact (fitted transforms + learner) under models/, register
 * the model, and output the artifact (`model`) and the leaderboard.
 */
const problemType = z
  .enum(['classification', 'regression', 'clustering'])
  .optional()
  .describe("Default: the dataset's problem type, else classification.");
const target = z
  .string()
  .min(1)
  .max(255)
  .optional()
  .describe("The column to predict; default: the dataset's target column.");
const experiment = {
  experimentId: z
    .uuid()
    .optional()
    .describe('Record the runs in this experiment of yours; default: one made for the job.'),
  modelName: z
    .string()
    .min(1)
    .max(255)
    .optional()
    .describe('Registered model name; default: the pipeline name.'),
  seed: z
    .number()
    .int()
    .min(0)
    .max(2 ** 31 - 1)
    .default(42),
};

/**
 * A Lambda node may run 15 minutes; above this budget the search runs on Fargate, whose node Task
 * allows 4 hours (statemachines/run-pipeline.asl.json), hence the largest budget of 3.5 hours.
 */
export const LAMBDA_AUTOML_BUDGET_SECONDS = 600;

export const autoMlParams = z
  .object({
    target,
    problemType,
    metric: z.enum(AUTOML_METRICS).optional().describe('What the search optimises; default by problem type.'),
    timeBudgetSeconds: z
      .number()
      .min(1)
      .max(12_600)
      .default(60)
      .describe(
        `A hard wall-clock limit: the node returns within it plus max(2 s, 5 %). Above ${LAMBDA_AUTOML_BUDGET_SECONDS} s the node runs on Fargate.`,
      ),
    maxTrials: z
      .number()
      .int()
      .min(1)
      .max(1_000)
      .optional()
      .describe('With maxTrials set (and the budget not reached) the search is reproducible.'),
    learners: z.array(z.enum(LEARNER_KEYS)).min(1).optional(),
    validation: z
      .discriminatedUnion('kind', [
        z.object({ kind: z.literal('holdout'), fraction: z.number().gt(0).lt(1).default(0.2) }).strict(),
        z.object({ kind: z.literal('kfold'), k: z.number().int().min(2).max(20).default(5) }).strict(),
      ])
      .default({ kind: 'holdout', fraction: 0.2 }),
    ensembleTopK: z.number().int().min(2).max(20).optional().describe('Combine the best k trials greedily.'),
    ...experiment,
  })
  .strict();

const trainParams = z
  .object({
    target,
    problemType,
    learner: z.enum(LEARNER_KEYS),
    hyperparameters: z
      .record(z.string().max(64), z.union([z.number(), z.string().max(64), z.boolean(), z.null()]))
      .default({}),
    metric: z.enum(AUTOML_METRICS).optional(),
    ...experiment,
  })
  .strict();

type AutoMlParams = z.infer<typeof autoMlParams>;

async function runTraining(
  context: NodeContext,
  inputs: NodeInputs,
  params: AutoMlParams,
  catalog: LearnerCatalog,
): Promise<NodeResult> {
  await context.progress(0.02, 'reading the training rows');
  let session: TrainingSession;
  try {
    session = await openTrainingSession(context, inputs, params);
  } catch (error) {
    throw asNodeError(error, 'inputs.train');
  }
  for (const warning of session.warnings) context.logger.warn(warning);
  const metric: AutoMlMetric | undefined = params.metric;
  const { experimentId } = await context.learning.experiment({
    experimentId: params.experimentId,
    objectiveMetric: metric ?? defaultMetricName(session),
    direction: metric === 'log_loss' || metric === 'rmse' || metric === 'mae' ? 'minimize' : 'maximize',
  });

  // Runs are recorded as trials finish; the search itself is synchronous between trials.
  const pending: Promise<unknown>[] = [];
  const runIds = new Map<number, string>();
  const started = Date.now();
  let result: AutoMlResult;
  try {
    result = runAutoMl(
      {
        problemType: session.problemType,
        train: session.train.x,
        ...(session.train.y ? { target: session.train.y } : {}),
        ...(session.test
          ? { testSet: session.test.y ? { x: session.test.x, y: session.test.y } : { x: session.test.x } }
          : {}),
        ...(metric ? { metric } : {}),
        timeBudgetSeconds: params.timeBudgetSeconds,
        ...(params.maxTrials ? { maxTrials: params.maxTrials } : {}),
        ...(params.learners ? { learners: params.learners } : {}),
        validation: params.validation,
        ...(params.ensembleTopK ? { ensemble: { topK: params.ensembleTopK } } : {}),
        seed: params.seed,
      },
      {
        catalog,
        onTrial: (row) => {
          pending.push(
            context.learning
              .recordRun({
                experimentId,
                learner: row.learner,
                hyperparameters: { ...row.hyperparameters },
                metrics: trialMetrics(row),
                durationSeconds: row.fitSeconds,
                status: runStatus(row),
                errorMessage: row.status === 'error' ? row.stopReason : undefined,
                stopReason: row.stopReason,
              })
              .then(({ runId }) => runIds.set(row.trial, runId)),
          );
        },
      },
    );
  } catch (error) {
    throw asNodeError(error, 'params');
  }
  await Promise.all(pending);
  await context.progress(0.9, 'storing the model');
  const leaderboard = await writeJsonOutput(context, 'leaderboard', {
    metric: result.metric,
    greaterIsBetter: result.greaterIsBetter,
    validation: result.validation,
    stopReason: result.stopReason,
    elapsedSeconds: result.elapsedSeconds,
    skippedLearners: result.skippedLearners,
    rows: result.leaderboard,
    experimentId,
  });
  const chosen = result.model;
  if (result.status !== 'ok' || !chosen) {
    throw new NodeError(
      `No model was trained: ${result.reason ?? 'the search produced none'} (${result.leaderboard.length} trial(s) in ${result.elapsedSeconds.toFixed(1)} s).`,
      'params.timeBudgetSeconds',
    );
  }
  const bestRun = chosen.trial !== null ? runIds.get(chosen.trial) : runIds.get(result.best?.trial ?? -1);
  if (bestRun) await context.learning.setBestRun(experimentId, bestRun);

  const metrics: Record<string, number> = { [`validation_${result.metric}`]: chosen.validationScore };
  if (chosen.testScore !== null) metrics[`test_${result.metric}`] = chosen.testScore;
  const testReport = session.test ? scoreTest(session, chosen.model) : undefined;
  if (testReport)
    for (const [name, value] of Object.entries(testReport))
      if (value !== null) metrics[`test_${name}`] = value;

  const stored = await storeArtifact(context, {
    problemType: session.problemType,
    target: targetSummary(session),
    signature: session.signature,
    transforms: session.transforms,
    ...(session.media ? { media: session.media } : {}),
    features: { names: session.featureNames, categoricalEncodings: session.categoricalEncodings },
    learner: chosen.state,
    trainedAt: new Date().toISOString(),
    seed: params.seed,
    frameworkVersion: FRAMEWORK_VERSION,
    metrics,
  });
  const model = await context.learning.registerModel({
    modelId: stored.modelId,
    name: params.modelName,
    algorithm: chosen.learner,
    problemType: session.problemType,
    frameworkVersion: FRAMEWORK_VERSION,
    artifactKey: stored.output.key,
    artifactSizeBytes: stored.output.bytes,
    artifactSha256: stored.sha256,
    metrics,
    hyperparameters: { ...chosen.hyperparameters },
    featureSchema: {
      inputs: session.signature.inputs,
      target: targetSummary(session),
      features: session.featureNames.length,
    },
    experimentRunId: bestRun,
    datasetVersionId: session.datasetVersionId,
    seed: params.seed,
  });
  return {
    outputs: { model: { ...stored.output }, leaderboard },
    metrics: {
      modelId: model.modelId,
      modelVersion: model.version,
      experimentId,
      algorithm: chosen.learner,
      trials: result.leaderboard.length,
      searchSeconds: Math.round((Date.now() - started) / 10) / 100,
      stopReason: result.stopReason,
      ...metrics,
      warnings: session.warnings.join(' ').slice(0, 2_000),
    },
  };
}

function scoreTest(
  session: TrainingSession,
  model: NonNullable<AutoMlResult['model']>['model'],
): Record<string, number | null> | undefined {
  const test = session.test;
  if (!test || test.x.nRows === 0) return undefined;
  if (model.problemType === 'classification' && test.y && !(test.y instanceof Float64Array))
    return { ...evaluateClassification(test.y, model.predictProba(test.x)).metrics };
  if (model.problemType === 'regression' && test.y instanceof Float64Array)
    return { ...evaluateRegression(test.y, model.predict(test.x)).metrics };
  if (model.problemType === 'clustering')
    return { ...evaluateClustering(test.x, model.predict(test.x)).metrics };
  return undefined;
}

function defaultMetricName(session: TrainingSession): string {
  if (session.problemType === 'classification')
    return (session.classes?.length ?? 2) > 2 ? 'log_loss' : 'roc_auc';
  return session.problemType === 'regression' ? 'r2' : 'silhouette';
}

function runStatus(row: LeaderboardRow): ExperimentRunStatus {
  return row.status === 'ok' ? 'completed' : row.status === 'timeout' ? 'timeout' : 'failed';
}

function trialMetrics(row: LeaderboardRow): Record<string, number | string | null> {
  return {
    trial: row.trial,
    validationScore: row.validationScore,
    testScore: row.testScore,
    fitSeconds: row.fitSeconds,
    predictMsPer1000Rows: row.predictMsPer1000Rows,
    artifactBytes: row.artifactBytes,
    trainRows: row.trainRows,
  };
}

function asNodeError(error: unknown, field: string): Error {
  if (error instanceof NodeError) return error;
  if (error instanceof AutoMlInputError) return new NodeError(error.message, field);
  if (error instanceof Error && error.name === 'TableError') return new NodeError(error.message, field);
  return error instanceof Error ? error : new Error(String(error));
}

export const autoMlNode = defineNode({
  key: 'model.automl',
  params: autoMlParams,
  run: (context, inputs, params) => runTraining(context, inputs, params, LEARNER_CATALOG),
  runtimeFor: (params) => (params.timeBudgetSeconds > LAMBDA_AUTOML_BUDGET_SECONDS ? 'fargate' : undefined),
  // The search returns within its budget plus max(2 s, 5 %).
  budgetSecondsFor: (params) => params.timeBudgetSeconds + Math.max(2, params.timeBudgetSeconds * 0.05),
});

/** One learner, fitted once with the given hyperparameters over its defaults (no search). */
export const trainNode = defineNode({
  key: 'model.train',
  params: trainParams,
  async run(context, inputs, params) {
    const spec = learnerSpec(params.learner);
    const fixed = { ...params.hyperparameters };
    const catalog: LearnerCatalog = {
      [params.learner]: {
        ...spec,
        defaults: (problem: ProblemType, shape) => ({ ...spec.defaults(problem, shape), ...fixed }),
        searchSpace: () => ({}),
        // One trial whatever its estimate: the budget below only stops a runaway fit.
        estimateSeconds: () => 0,
      },
    };
    return runTraining(
      context,
      inputs,
      {
        ...params,
        learners: [params.learner],
        maxTrials: 1,
        timeBudgetSeconds: LAMBDA_AUTOML_BUDGET_SECONDS,
        validation: { kind: 'holdout', fraction: 0.2 },
      },
      catalog,
    );
  },
});
