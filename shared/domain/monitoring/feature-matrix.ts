/** Rows × features, row-major: row i is values[i·cols … i·cols + cols − 1]. */
export interface FeatureMatrix {
  rows: number;
  cols: number;
  values: Float64Array;
}

export function featureMatrix(rows: number, cols: number, values?: Float64Array): FeatureMatrix {
  const data = values ?? new Float64Array(rows * cols);
  if (data.length !== rows * cols) throw new RangeError(`expected ${rows * cols} values, got ${data.length}`);
  return { rows, cols, values: data };
}

export function matrixFromRows(rows: readonly (readonly number[])[]): FeatureMatrix {
  const cols = rows[0]?.length ?? 0;
  const values = new Float64Array(rows.length * cols);
  rows.forEach((row, i) => values.set(row, i * cols));
  return featureMatrix(rows.length, cols, values);
}

export function rowOf(matrix: FeatureMatrix, row: number): Float64Array {
  return matrix.values.subarray(row * matrix.cols, (row + 1) * matrix.cols);
}

/** Squared norm of every row. */
export function rowSquaredNorms(matrix: FeatureMatrix): Float64Array {
  const norms = new Float64Array(matrix.rows);
  const { cols, values } = matrix;
  for (let i = 0; i < matrix.rows; i += 1) {
    let sum = 0;
    const base = i * cols;
    for (let k = 0; k < cols; k += 1) {
      const v = values[base + k] ?? 0;
      sum += v * v;
    }
    norms[i] = sum;
  }
  return norms;
}

/** Euclidean distance between row i of a and row j of b, computed directly (no cancellation). */
export function rowDistance(a: FeatureMatrix, i: number, b: FeatureMatrix, j: number): number {
  const { cols } = a;
  const av = a.values;
  const bv = b.values;
  const ai = i * cols;
  const bj = j * cols;
  let sum = 0;
  for (let k = 0; k < cols; k += 1) {
    const d = (av[ai + k] ?? 0) - (bv[bj + k] ?? 0);
    sum += d * d;
  }
  return Math.sqrt(sum);
}
