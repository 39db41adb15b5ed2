import { runAutoMl } from '../../shared/domain/learning/automl';
import type { ClassTarget, FeatureMatrix, FittedModel } from '../../shared/domain/learning/learner';
import { fitDecisionTreeClassifier } from '../../shared/domain/learning/learners/decision-tree';
import { fitHistGradientBoostingClassifier } from '../../shared/domain/learning/learners/hist-gradient-boosting';
import { fitKMeans } from '../../shared/domain/learning/learners/kmeans';
import { fitLogisticRegression } from '../../shared/domain/learning/learners/logistic-regression';
import { fitRandomForestClassifier } from '../../shared/domain/learning/learners/random-forest';
import { peakRssBytes } from '../peak-rss';
import { HGB_PARAMS, type OurParams } from './cases';
import { loadSplit } from './data';
import type {
  LearningAutoMlResult,
  LearningFitResult,
  LearningPeakRssResult,
  LearningPredictResult,
  LearningRequest,
  LearningResult,
} from './learning-measurement';

/**
 * The learning measurements, each run in a measurement process of its own (../measure.ts): the
 * data is read from the run's binary files before any clock starts; only the learner's own call
 * is timed.
 */
export function measureLearning(request: LearningRequest): LearningResult {
  switch (request.kind) {
    case 'learning-fit':
      return measureFit(request);
    case 'learning-peak-rss':
      return measurePeakRss(request);
    case 'learning-predict':
      return measurePredict(request);
    case 'learning-automl':
      return measureAutoMl(request);
  }
}

const OPTIONS = { seed: 0 };

function fit(spec: OurParams, x: FeatureMatrix, y: ClassTarget): FittedModel {
  switch (spec.learner) {
    case 'hist_gradient_boosting':
      return fitHistGradientBoostingClassifier(x, y, spec.params, OPTIONS);
    case 'decision_tree':
      return fitDecisionTreeClassifier(x, y, spec.params, OPTIONS);
    case 'random_forest':
      return fitRandomForestClassifier(x, y, spec.params, OPTIONS);
    case 'logistic_regression':
      return fitLogisticRegression(x, y, spec.params, OPTIONS);
    case 'kmeans':
      return fitKMeans(x, spec.params, OPTIONS);
  }
}

function measureFit(request: Extract<LearningRequest, { kind: 'learning-fit' }>): LearningFitResult {
  const train = loadSplit(request.dataDir, 'train', request.rows);
  const test = loadSplit(request.dataDir, 'test');
  const fitMs: number[] = [];
  let model: FittedModel | undefined;
  for (let repetition = 0; repetition < request.repetitions; repetition += 1) {
    const started = performance.now();
    model = fit(request.fit, train.x, train.y);
    fitMs.push(performance.now() - started);
  }
  if (!model) throw new Error('no repetition ran');
  return {
    kind: 'learning-fit',
    fitMs,
    testAccuracy: model.problemType === 'classification' ? accuracy(model.predict(test.x), test.y) : null,
    inertiaPerRow: model.problemType === 'clustering' ? model.inertia / train.x.nRows : null,
  };
}

function measurePeakRss(
  request: Extract<LearningRequest, { kind: 'learning-peak-rss' }>,
): LearningPeakRssResult {
  const train = loadSplit(request.dataDir, 'train', request.rows);
  const startRssBytes = process.memoryUsage().rss;
  const started = performance.now();
  fitHistGradientBoostingClassifier(train.x, train.y, HGB_PARAMS.ours, OPTIONS);
  const fitMs = performance.now() - started;
  return { kind: 'learning-peak-rss', fitMs, peakRssBytes: peakRssBytes(), startRssBytes };
}

function measurePredict(
  request: Extract<LearningRequest, { kind: 'learning-predict' }>,
): LearningPredictResult {
  const train = loadSplit(request.dataDir, 'train', request.rows);
  const test = loadSplit(request.dataDir, 'test');
  const model = fitHistGradientBoostingClassifier(train.x, train.y, HGB_PARAMS.ours, OPTIONS);
  const batchMs: number[] = [];
  for (let repetition = 0; repetition < request.batchRepetitions; repetition += 1) {
    const started = performance.now();
    model.predict(train.x);
    batchMs.push(performance.now() - started);
  }
  // One-row matrices built beforehand (the test rows, cycled), so only predict() is timed.
  const singleRows: FeatureMatrix[] = Array.from({ length: Math.min(1000, test.x.nRows) }, (_, row) => ({
    nRows: 1,
    columns: test.x.columns.map((column) => column.slice(row, row + 1)),
    names: test.x.names,
  }));
  const rowAt = (call: number): FeatureMatrix => singleRows[call % singleRows.length] ?? test.x;
  let checksum = 0;
  for (let call = 0; call < 2000; call += 1) checksum += model.predict(rowAt(call))[0] ?? 0;
  const callMs = new Float64Array(request.singleRowCalls);
  for (let call = 0; call < request.singleRowCalls; call += 1) {
    const started = process.hrtime.bigint();
    checksum += model.predict(rowAt(call))[0] ?? 0;
    callMs[call] = Number(process.hrtime.bigint() - started) / 1e6;
  }
  callMs.sort();
  const at = (q: number): number => callMs[Math.min(callMs.length - 1, Math.floor(q * callMs.length))] ?? 0;
  // Keeps the predictions observable, so no call can be optimised away.
  if (checksum < 0) console.log(checksum);
  return {
    kind: 'learning-predict',
    trees: model.nIter,
    batchRows: train.x.nRows,
    batchMs,
    singleRow: {
      calls: callMs.length,
      minMs: at(0),
      medianMs: at(0.5),
      p99Ms: at(0.99),
      maxMs: callMs[callMs.length - 1] ?? 0,
    },
  };
}

function measureAutoMl(request: Extract<LearningRequest, { kind: 'learning-automl' }>): LearningAutoMlResult {
  const train = loadSplit(request.dataDir, 'train', request.rows);
  const started = performance.now();
  const result = runAutoMl({
    problemType: 'classification',
    train: train.x,
    target: train.y,
    timeBudgetSeconds: request.timeBudgetSeconds,
    seed: request.seed,
  });
  const wallMs = performance.now() - started;
  return {
    kind: 'learning-automl',
    timeBudgetSeconds: request.timeBudgetSeconds,
    wallMs,
    status: result.status,
    stopReason: result.stopReason,
    trials: result.leaderboard.length,
    bestLearner: result.best?.learner ?? null,
    validationScore: result.best?.validationScore ?? null,
    metric: result.metric,
  };
}

function accuracy(predicted: Int32Array, truth: ClassTarget): number {
  let correct = 0;
  for (let row = 0; row < predicted.length; row += 1) if (predicted[row] === truth.labels[row]) correct += 1;
  return predicted.length === 0 ? 0 : correct / predicted.length;
}
