import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ClassTarget, FeatureMatrix } from '../../shared/domain/learning/learner';
import { SeededRandom } from '../../shared/domain/learning/random';

/**
 * The learning benchmark's data, generated once per run (seeded, so every run sees the same rows)
 * and written as raw little-endian float64 files that our measurement processes and the
 * scikit-learn script both read: `train-x.f64` and `test-x.f64` row-major (rows × FEATURES),
 * `train-y.f64` and `test-y.f64` the 0/1 labels. A case of n rows trains on the first n training
 * rows; accuracy is always measured on the same held-out test rows.
 *
 * Rows come from eight Gaussian clusters (so k-means has structure to find); the binary label is a
 * noisy function of five features with an interaction and a sine, so trees beat a linear model.
 */
export const FEATURES = 20;
export const MAX_TRAIN_ROWS = 100_000;
export const TEST_ROWS = 10_000;
const CLUSTERS = 8;
const SEED = 20_240_601;

export interface LearningData {
  readonly dataDir: string;
  readonly trainRows: number;
  readonly testRows: number;
}

export async function generateLearningData(dataDir: string): Promise<LearningData> {
  const random = new SeededRandom(SEED);
  const centres = Array.from({ length: CLUSTERS }, () =>
    Float64Array.from({ length: FEATURES }, () => 1.5 * random.nextGaussian()),
  );
  const draw = (rows: number): { x: Float64Array; y: Float64Array } => {
    const x = new Float64Array(rows * FEATURES);
    const y = new Float64Array(rows);
    for (let row = 0; row < rows; row += 1) {
      const centre = centres[random.nextInt(CLUSTERS)] ?? new Float64Array(FEATURES);
      const at = row * FEATURES;
      for (let j = 0; j < FEATURES; j += 1) x[at + j] = (centre[j] ?? 0) + random.nextGaussian();
      const f = (j: number): number => x[at + j] ?? 0;
      const score =
        f(0) + 0.8 * f(1) - 0.3 * f(2) * f(3) + 0.5 * Math.sin(2 * f(4)) + 0.5 * random.nextGaussian();
      y[row] = score > 0 ? 1 : 0;
    }
    return { x, y };
  };
  const train = draw(MAX_TRAIN_ROWS);
  const test = draw(TEST_ROWS);
  await Promise.all([
    writeFloat64(join(dataDir, 'train-x.f64'), train.x),
    writeFloat64(join(dataDir, 'train-y.f64'), train.y),
    writeFloat64(join(dataDir, 'test-x.f64'), test.x),
    writeFloat64(join(dataDir, 'test-y.f64'), test.y),
  ]);
  return { dataDir, trainRows: MAX_TRAIN_ROWS, testRows: TEST_ROWS };
}

/** The first `rows` rows of a split, as our learners take them: column-major, labels as classes. */
export function loadSplit(
  dataDir: string,
  split: 'train' | 'test',
  rows?: number,
): { x: FeatureMatrix; y: ClassTarget } {
  const values = readFloat64(join(dataDir, `${split}-x.f64`));
  const labels = readFloat64(join(dataDir, `${split}-y.f64`));
  const n = Math.min(rows ?? labels.length, labels.length);
  const columns = Array.from({ length: FEATURES }, () => new Float64Array(n));
  for (let row = 0; row < n; row += 1) {
    const at = row * FEATURES;
    columns.forEach((column, j) => {
      column[row] = values[at + j] ?? Number.NaN;
    });
  }
  return {
    x: { nRows: n, columns, names: columns.map((_, j) => `f${j}`) },
    y: { labels: Int32Array.from(labels.subarray(0, n)), nClasses: 2 },
  };
}

async function writeFloat64(path: string, values: Float64Array): Promise<void> {
  // Every platform Node runs on here is little-endian, which is what numpy reads ('<f8').
  await writeFile(path, new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
}

function readFloat64(path: string): Float64Array {
  const bytes = readFileSync(path);
  // A copy: the Buffer may sit at an offset of a shared pool that is not 8-byte aligned.
  return new Float64Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}
