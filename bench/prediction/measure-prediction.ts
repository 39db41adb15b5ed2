import { readFileSync, writeFileSync } from 'node:fs';
import type { FeatureMatrix } from '../../shared/domain/learning/learner';
import { fitHistGradientBoostingClassifier } from '../../shared/domain/learning/learners/hist-gradient-boosting';
import {
  createModelArtifact,
  inferSignature,
  loadPredictor,
  serializeArtifact,
} from '../../shared/domain/learning/model-artifact';
import {
  columnNames,
  createTable,
  encodeLabels,
  numberColumn,
  toFeatureMatrix,
  type Table,
} from '../../shared/domain/learning/table';
import { fitTransformChain } from '../../shared/domain/learning/transforms/transform-chain';
import { FRAMEWORK_VERSION } from '../../shared/domain/nodes/library/learning/training-session';
import { HGB_PARAMS } from '../learning/cases';
import { loadSplit } from '../learning/data';
import { peakRssBytes, resetPeakRss } from '../peak-rss';
import type {
  PredictionBatchResult,
  PredictionRequest,
  PredictionResult,
  PredictionTrainResult,
} from './prediction-measurement';

/**
 * The prediction benchmark's in-process work, each in a measurement process of its own
 * (../measure.ts): training the model once and storing its artifact, then timing the artifact's
 * predictor over a batch of rows. Rows are built before any clock starts.
 */
export function measurePrediction(request: PredictionRequest): PredictionResult {
  switch (request.kind) {
    case 'prediction-train':
      return trainModel(request);
    case 'prediction-batch':
      return measureBatch(request);
  }
}

const TARGET = 'label';
const SEED = 0;

/** The run's generated features as a table of number columns, as rows sent for prediction become. */
export function featureTable(x: FeatureMatrix): Table {
  return createTable(
    x.columns.map((values, j) => numberColumn(x.names[j] ?? `f${j}`, values)),
    x.nRows,
  );
}

/**
 * Gradient boosting with 100 iterations (the learning benchmark's parameters), behind the same
 * preparation a training node fits (constant or empty columns dropped, text ordinal-encoded): on
 * these numeric columns it changes nothing, but every prediction replays it, as it does for a
 * model a job trained.
 */
function trainModel(
  request: Extract<PredictionRequest, { kind: 'prediction-train' }>,
): PredictionTrainResult {
  const train = loadSplit(request.dataDir, 'train', request.rows);
  const features = featureTable(train.x);
  const table = createTable([...features.columns, numberColumn(TARGET, train.y.labels)], features.nRows);
  const prepared = fitTransformChain(
    [
      { kind: 'drop_columns', params: { dropConstant: true, maxMissingFraction: 0.999 } },
      { kind: 'ordinal_encode', params: { maxCategories: 255 } },
    ],
    table,
    { passthrough: [TARGET] },
  );
  const featureNames = columnNames(prepared.table).filter((name) => name !== TARGET);
  const x = toFeatureMatrix(prepared.table, featureNames, prepared.categoricalEncodings);
  const { target, classes } = encodeLabels(prepared.table, TARGET);
  const started = performance.now();
  const model = fitHistGradientBoostingClassifier(x, target, HGB_PARAMS.ours, { seed: SEED });
  const fitMs = performance.now() - started;
  const text = serializeArtifact(
    createModelArtifact({
      problemType: 'classification',
      target: { name: TARGET, classes: [...classes] },
      signature: inferSignature(table, { exclude: [TARGET] }),
      transforms: prepared.states,
      features: { names: featureNames, categoricalEncodings: prepared.categoricalEncodings },
      learner: model.toState(),
      trainedAt: new Date().toISOString(),
      seed: SEED,
      frameworkVersion: FRAMEWORK_VERSION,
      metrics: {},
    }),
  );
  writeFileSync(request.artifactPath, text);

  const test = loadSplit(request.dataDir, 'test');
  const predicted = loadPredictor(text).predictTable(featureTable(test.x)).predictions;
  const correct = predicted.filter((label, row) => Number(label) === test.y.labels[row]).length;
  return {
    kind: 'prediction-train',
    learner: 'hist_gradient_boosting',
    trees: model.nIter,
    trainRows: train.x.nRows,
    features: featureNames.length,
    fitMs,
    artifactBytes: Buffer.byteLength(text),
    testAccuracy: correct / Math.max(1, predicted.length),
  };
}

function measureBatch(
  request: Extract<PredictionRequest, { kind: 'prediction-batch' }>,
): PredictionBatchResult {
  const predictor = loadPredictor(readFileSync(request.artifactPath, 'utf8'));
  const table = featureTable(loadSplit(request.dataDir, 'train', request.rows).x);
  let checksum = predictor.predictTable(table).predictions.length;
  const peakRssScope = resetPeakRss() ? 'step' : 'process';
  const startRssBytes = process.memoryUsage().rss;
  const batchMs: number[] = [];
  for (let repetition = 0; repetition < request.repetitions; repetition += 1) {
    const started = performance.now();
    checksum += predictor.predictTable(table).predictions.length;
    batchMs.push(performance.now() - started);
  }
  const peak = peakRssBytes();
  // Keeps the predictions observable, so no call can be optimised away.
  if (checksum < 0) console.log(checksum);
  return {
    kind: 'prediction-batch',
    rows: table.nRows,
    batchMs,
    peakRssBytes: peak,
    peakRssScope,
    startRssBytes,
  };
}
