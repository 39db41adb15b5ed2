import type { OurParams } from './cases';

/** What the learning benchmark asks of a measurement process (see ../measurement.ts). */
export type LearningRequest =
  | {
      kind: 'learning-fit';
      dataDir: string;
      rows: number;
      repetitions: number;
      fit: OurParams;
    }
  | { kind: 'learning-peak-rss'; dataDir: string; rows: number }
  | {
      kind: 'learning-predict';
      dataDir: string;
      rows: number;
      batchRepetitions: number;
      singleRowCalls: number;
    }
  | { kind: 'learning-automl'; dataDir: string; rows: number; timeBudgetSeconds: number; seed: number };

export interface LearningFitResult {
  kind: 'learning-fit';
  /** Training time of each repetition, in order (the first one includes JIT warm-up). */
  fitMs: number[];
  /** Accuracy on the held-out test rows (classifiers); null for k-means. */
  testAccuracy: number | null;
  /** Sum of squared distances to the closest centre per training row (k-means); else null. */
  inertiaPerRow: number | null;
}

export interface LearningPeakRssResult {
  kind: 'learning-peak-rss';
  fitMs: number;
  /** Peak RSS of the whole process (Node, the loaded data and the fit). */
  peakRssBytes: number;
  /** RSS once the data was loaded, just before the fit. */
  startRssBytes: number;
}

export interface LearningPredictResult {
  kind: 'learning-predict';
  trees: number;
  batchRows: number;
  /** Time of each predict() call over `batchRows` rows. */
  batchMs: number[];
  /** One-row predict() calls (each a different row), timed one by one after a warm-up. */
  singleRow: { calls: number; minMs: number; medianMs: number; p99Ms: number; maxMs: number };
}

export interface LearningAutoMlResult {
  kind: 'learning-automl';
  timeBudgetSeconds: number;
  /** Wall time of the runAutoMl call. */
  wallMs: number;
  status: string;
  stopReason: string;
  trials: number;
  bestLearner: string | null;
  validationScore: number | null;
  metric: string;
}

export type LearningResult =
  LearningFitResult | LearningPeakRssResult | LearningPredictResult | LearningAutoMlResult;
