/** What the prediction benchmark asks of a measurement process (see ../measurement.ts). */
export type PredictionRequest =
  | {
      kind: 'prediction-train';
      dataDir: string;
      /** Training rows (the first of the run's training split). */
      rows: number;
      /** Where the model artifact's JSON is written, for the other processes to load. */
      artifactPath: string;
    }
  | {
      kind: 'prediction-batch';
      dataDir: string;
      artifactPath: string;
      /** Rows per predictTable call (the first of the training split). */
      rows: number;
      repetitions: number;
    }
  | {
      kind: 'prediction-onnx';
      dataDir: string;
      /** Training rows of each ensemble. */
      rows: number;
      learners: ('hist_gradient_boosting' | 'random_forest')[];
    }
  | {
      kind: 'prediction-node-input';
      dataDir: string;
      /** Rows of the Parquet file written (the training split repeated). */
      rows: number;
      parquetPath: string;
    }
  | {
      kind: 'prediction-node';
      /** Holds the node's objects and scratch directory (removed after). */
      directory: string;
      parquetPath: string;
      artifactPath: string;
    };

export interface PredictionTrainResult {
  kind: 'prediction-train';
  learner: string;
  trees: number;
  trainRows: number;
  features: number;
  fitMs: number;
  artifactBytes: number;
  /** Accuracy of the artifact's predictor on the held-out test rows. */
  testAccuracy: number;
}

export interface PredictionBatchResult {
  kind: 'prediction-batch';
  rows: number;
  /** Time of each predictTable call over `rows` rows, after one untimed warm-up call. */
  batchMs: number[];
  /** Peak RSS over the timed calls: `step` when the peak was reset before them, else the whole process. */
  peakRssBytes: number;
  peakRssScope: 'step' | 'process';
  /** RSS once the rows were built, before the calls. */
  startRssBytes: number;
}

/** A tree ensemble's artifact as JSON and as ONNX, or why the export refused it. */
export type OnnxSize = {
  learner: string;
  trees: number;
  trainRows: number;
  jsonBytes: number;
} & ({ onnxBytes: number; exportMs: number } | { refused: string });

export interface PredictionOnnxResult {
  kind: 'prediction-onnx';
  ensembles: OnnxSize[];
}

export interface PredictionNodeInputResult {
  kind: 'prediction-node-input';
  rows: number;
  bytes: number;
}

export interface PredictionNodeResult {
  kind: 'prediction-node';
  /** Rows the node predicted, and in how many batches. */
  rows: number;
  batches: number;
  /** The node's run, from start to its output stored. */
  wallMs: number;
  /** Peak RSS over the run: `step` when the peak was reset before it, else the whole process. */
  peakRssBytes: number;
  peakRssScope: 'step' | 'process';
  /** RSS before the run (modules loaded, the engine open). */
  startRssBytes: number;
  /** Accuracy the node scored against the table's labels. */
  accuracy: number | null;
}

export type PredictionResult =
  | PredictionTrainResult
  | PredictionBatchResult
  | PredictionOnnxResult
  | PredictionNodeInputResult
  | PredictionNodeResult;
