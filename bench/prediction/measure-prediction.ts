import { readFileSync, writeFileSync } from 'node:fs';
import type { FeatureMatrix } from '../../shared/domain/learning/learner';
import { fitHistGradientBoostingClassifier } from '../../shared/domain/learning/learners/hist-gradient-boosting';
import { fitRandomForestClassifier } from '../../shared/domain/learning/learners/random-forest';
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
import { exportOnnxModel } from '../../shared/domain/models/onnx/export-onnx-model';
import { OnnxExportUnsupportedError } from '../../shared/domain/models/onnx/onnx-export-error';
import { FRAMEWORK_VERSION } from '../../shared/domain/nodes/library/learning/training-session';
import { HGB_PARAMS } from '../learning/cases';
import { loadSplit } from '../learning/data';
import { peakRssBytes, resetPeakRss } from '../peak-rss';
import type {
  OnnxSize,
  PredictionBatchResult,
  PredictionOnnxResult,
  PredictionRequest,
  PredictionResult,
  PredictionTrainResult,
} from './prediction-measurement';

/**
 * The prediction benchmark's in-process work, each in a measurement process of its own
 * (../measure.ts): training the model once and storing its artifact, timing the artifact's
 * predictor over a batch of rows, and the sizes of tree ensembles' artifacts as JSON and as ONNX.
 * Rows are built before any clock starts.
 */
export function measurePrediction(
  request: Extract<PredictionRequest, { kind: 'prediction-train' | 'prediction-batch' | 'prediction-onnx' }>,
): PredictionResult {
  switch (request.kind) {
    case 'prediction-train':
      return trainModel(request);
    case 'prediction-batch':
      return measureBatch(request);
    case 'prediction-onnx':
      return measureOnnxSizes(request);
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

/** The tree ensembles whose artifacts the benchmark builds: 100 trees each. */
export type EnsembleLearner = 'hist_gradient_boosting' | 'random_forest';

interface TrainedArtifact {
  text: string;
  trees: number;
  trainRows: number;
  features: number;
  fitMs: number;
}

/**
 * A model artifact as a training node writes one: the learner (gradient boosting with the learning
 * benchmark's 100 iterations, or a random forest of 100 trees with the learner's defaults) behind
 * the preparation a training node fits (constant or empty columns dropped, text ordinal-encoded).
 * On these numeric columns the preparation changes nothing, but every prediction replays it, as it
 * does for a model a job trained.
 */
function trainArtifact(dataDir: string, rows: number, learner: EnsembleLearner): TrainedArtifact {
  const train = loadSplit(dataDir, 'train', rows);
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
  const model =
    learner === 'hist_gradient_boosting'
      ? fitHistGradientBoostingClassifier(x, target, HGB_PARAMS.ours, { seed: SEED })
      : fitRandomForestClassifier(x, target, { nEstimators: 100 }, { seed: SEED });
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
  return { text, trees: model.nIter, trainRows: train.x.nRows, features: featureNames.length, fitMs };
}

/** The gradient boosting model every other measurement uses, stored at `artifactPath`. */
function trainModel(
  request: Extract<PredictionRequest, { kind: 'prediction-train' }>,
): PredictionTrainResult {
  const { text, ...trained } = trainArtifact(request.dataDir, request.rows, 'hist_gradient_boosting');
  writeFileSync(request.artifactPath, text);
  const test = loadSplit(request.dataDir, 'test');
  const predicted = loadPredictor(text).predictTable(featureTable(test.x)).predictions;
  const correct = predicted.filter((label, row) => Number(label) === test.y.labels[row]).length;
  return {
    kind: 'prediction-train',
    learner: 'hist_gradient_boosting',
    ...trained,
    artifactBytes: Buffer.byteLength(text),
    testAccuracy: correct / Math.max(1, predicted.length),
  };
}

/** Each ensemble's JSON artifact and its ONNX export, in bytes (an export refused says why). */
function measureOnnxSizes(
  request: Extract<PredictionRequest, { kind: 'prediction-onnx' }>,
): PredictionOnnxResult {
  const ensembles = request.learners.map((learner): OnnxSize => {
    const { text, trees, trainRows } = trainArtifact(request.dataDir, request.rows, learner);
    const jsonBytes = Buffer.byteLength(text);
    const started = performance.now();
    try {
      const onnxBytes = exportOnnxModel(text).byteLength;
      return { learner, trees, trainRows, jsonBytes, onnxBytes, exportMs: performance.now() - started };
    } catch (error) {
      if (!(error instanceof OnnxExportUnsupportedError)) throw error;
      return { learner, trees, trainRows, jsonBytes, refused: error.message };
    }
  });
  return { kind: 'prediction-onnx', ensembles };
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
