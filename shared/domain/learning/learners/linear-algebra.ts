/**
 * Small dense linear algebra for the linear learners and PCA: symmetric positive-definite solves
 * (Cholesky) and the symmetric eigen-decomposition (cyclic Jacobi). Matrices are row-major
 * Float64Arrays of size m × m; m is the number of features (or parameters), not of rows.
 */

/**
 * Solves A x = b for symmetric positive-definite A (row-major m × m) by Cholesky. Returns
 * undefined when A is not numerically positive definite: a pivot at or below `relativeTolerance`
 * times the largest diagonal entry (a rank-deficient or badly conditioned system).
 */
export function choleskySolve(
  a: Float64Array,
  b: Float64Array,
  m: number,
  relativeTolerance = 1e-12,
): Float64Array | undefined {
  let maxDiagonal = 0;
  for (let i = 0; i < m; i += 1) maxDiagonal = Math.max(maxDiagonal, Math.abs(a[i * m + i] ?? 0));
  const floor = relativeTolerance * (maxDiagonal > 0 ? maxDiagonal : 1);
  const l = new Float64Array(m * m);
  for (let i = 0; i < m; i += 1) {
    for (let j = 0; j <= i; j += 1) {
      let sum = a[i * m + j] ?? 0;
      for (let k = 0; k < j; k += 1) sum -= (l[i * m + k] ?? 0) * (l[j * m + k] ?? 0);
      if (i === j) {
        if (!(sum > floor)) return undefined;
        l[i * m + i] = Math.sqrt(sum);
      } else {
        l[i * m + j] = sum / (l[j * m + j] ?? 1);
      }
    }
  }
  const x = new Float64Array(m);
  for (let i = 0; i < m; i += 1) {
    let sum = b[i] ?? 0;
    for (let k = 0; k < i; k += 1) sum -= (l[i * m + k] ?? 0) * (x[k] ?? 0);
    x[i] = sum / (l[i * m + i] ?? 1);
  }
  for (let i = m - 1; i >= 0; i -= 1) {
    let sum = x[i] ?? 0;
    for (let k = i + 1; k < m; k += 1) sum -= (l[k * m + i] ?? 0) * (x[k] ?? 0);
    x[i] = sum / (l[i * m + i] ?? 1);
  }
  return x;
}

export interface SymmetricEigen {
  /** Eigenvalues, largest first. */
  values: Float64Array;
  /** Unit eigenvectors, `vectors[k]` for `values[k]`. */
  vectors: Float64Array[];
}

/**
 * Eigen-decomposition of a symmetric matrix (row-major m × m) by cyclic Jacobi rotations:
 * slower than QR iterations for large m but simple and accurate to machine precision for the
 * feature counts learners see (hundreds). The input is not modified.
 */
export function symmetricEigen(matrix: Float64Array, m: number): SymmetricEigen {
  const a = Float64Array.from(matrix);
  const v = new Float64Array(m * m);
  for (let i = 0; i < m; i += 1) v[i * m + i] = 1;
  for (let sweep = 0; sweep < 100; sweep += 1) {
    let offDiagonal = 0;
    let diagonal = 0;
    for (let i = 0; i < m; i += 1) {
      diagonal += (a[i * m + i] ?? 0) ** 2;
      for (let j = i + 1; j < m; j += 1) offDiagonal += (a[i * m + j] ?? 0) ** 2;
    }
    if (offDiagonal <= 1e-30 * diagonal || offDiagonal === 0) break;
    for (let p = 0; p < m - 1; p += 1) {
      for (let q = p + 1; q < m; q += 1) {
        const apq = a[p * m + q] ?? 0;
        if (apq === 0) continue;
        const app = a[p * m + p] ?? 0;
        const aqq = a[q * m + q] ?? 0;
        const theta = (aqq - app) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < m; k += 1) {
          const akp = a[k * m + p] ?? 0;
          const akq = a[k * m + q] ?? 0;
          a[k * m + p] = c * akp - s * akq;
          a[k * m + q] = s * akp + c * akq;
        }
        for (let k = 0; k < m; k += 1) {
          const apk = a[p * m + k] ?? 0;
          const aqk = a[q * m + k] ?? 0;
          a[p * m + k] = c * apk - s * aqk;
          a[q * m + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < m; k += 1) {
          const vkp = v[k * m + p] ?? 0;
          const vkq = v[k * m + q] ?? 0;
          v[k * m + p] = c * vkp - s * vkq;
          v[k * m + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const order = Array.from({ length: m }, (_, i) => i).sort(
    (i, j) => (a[j * m + j] ?? 0) - (a[i * m + i] ?? 0) || i - j,
  );
  const values = new Float64Array(m);
  const vectors: Float64Array[] = [];
  order.forEach((column, k) => {
    values[k] = a[column * m + column] ?? 0;
    const vector = new Float64Array(m);
    for (let i = 0; i < m; i += 1) vector[i] = v[i * m + column] ?? 0;
    vectors.push(vector);
  });
  return { values, vectors };
}

/**
 * Solves A x = b for symmetric positive semi-definite A: Cholesky when A is well conditioned,
 * otherwise the minimum-norm least-squares solution through the eigen-decomposition, with
 * eigenvalues below `rcond` times the largest treated as zero (a rank-deficient system).
 */
export function solveSymmetric(a: Float64Array, b: Float64Array, m: number, rcond = 1e-10): Float64Array {
  const direct = choleskySolve(a, b, m, rcond);
  if (direct) return direct;
  const { values, vectors } = symmetricEigen(a, m);
  const cutoff = rcond * Math.max(values[0] ?? 0, 0);
  const x = new Float64Array(m);
  vectors.forEach((vector, k) => {
    const value = values[k] ?? 0;
    if (!(value > cutoff)) return;
    let projection = 0;
    for (let i = 0; i < m; i += 1) projection += (vector[i] ?? 0) * (b[i] ?? 0);
    const scale = projection / value;
    for (let i = 0; i < m; i += 1) x[i] = (x[i] ?? 0) + scale * (vector[i] ?? 0);
  });
  return x;
}
