/**
 * L2-regularised logistic regression: binary (sigmoid) for two classes, multinomial (softmax)
 * for three or more. It minimises scikit-learn's objective,
 *   Σ_rows log-loss + ||W||² / (2C)   (intercepts unpenalised),
 * on internally standardised inputs (mean 0, population standard deviation 1), so it solves the
 * same problem as scikit-learn's LogisticRegression inside a StandardScaler pipeline. Solvers:
 * L-BFGS (default) and Newton (exact Hessian, for few features and classes). Both stop like
 * scipy's L-BFGS-B in scikit-learn: the largest gradient entry at most `tol`, or a relative
 * decrease of the objective below 2.2e-9, or `maxIter` iterations.
 */
import {
  checkDeadline,
  type ClassTarget,
  type FeatureMatrix,
  type FitOptions,
  type FittedClassifier,
  type LearnerState,
} from '../learner';
import { checkClassTarget, checkTrainingData } from './check-training-data';
import { choleskySolve } from './linear-algebra';
import {
  checkStateKind,
  columnMoments,
  namesOf,
  requireCompleteInput,
  requirePredictionInput,
  stateMatrix,
  stateNames,
  stateNumber,
  stateVector,
} from './numeric-input';

export type LogisticRegressionSolver = 'lbfgs' | 'newton';

export interface LogisticRegressionParams {
  /** Inverse regularisation strength (larger C, weaker penalty), as scikit-learn's C. */
  C: number;
  solver: LogisticRegressionSolver;
  maxIter: number;
  /** Stop when no gradient entry of the (row-summed) objective exceeds this. */
  tol: number;
}

export const DEFAULT_LOGISTIC_REGRESSION_PARAMS: Readonly<LogisticRegressionParams> = Object.freeze({
  C: 1.0,
  solver: 'lbfgs',
  maxIter: 100,
  tol: 1e-4,
});

/** scipy's L-BFGS-B default factr (1e7) times machine epsilon, the relative-decrease stop. */
const FTOL = 1e7 * 2.220446049250313e-16;
const LBFGS_MEMORY = 10;
const LEARNER = 'Logistic regression';

export interface LogisticRegressionState extends LearnerState {
  kind: 'logistic_regression';
  format: 1;
  featureNames: string[];
  nClasses: number;
  /** Standardisation applied before the linear function: (x − mean) / scale. */
  mean: number[];
  scale: number[];
  /**
   * Coefficients on standardised inputs: one row per class for a multinomial model, one row (the
   * positive class, 1) for a binary model, none for a single class.
   */
  coefficients: number[][];
  intercepts: number[];
  /**
   * The same linear function on raw inputs (coefficient / scale, intercept − Σ coefficient ·
   * mean / scale), for export: z = rawIntercepts[k] + Σ_j rawCoefficients[k][j] · x_j, then
   * sigmoid (binary: probability of class 1) or softmax over the rows.
   */
  rawCoefficients: number[][];
  rawIntercepts: number[];
  params: LogisticRegressionParams;
  nIter: number;
  converged: boolean;
}

export interface LogisticRegressionModel extends FittedClassifier {
  /** Iterations the solver ran. */
  readonly nIter: number;
  /** Whether a stopping criterion was met before maxIter. */
  readonly converged: boolean;
  featureImportance(): Float64Array;
  toState(): LogisticRegressionState;
}

function checkParams(p: LogisticRegressionParams): void {
  if (!(p.C > 0) || !Number.isFinite(p.C)) throw new RangeError('C must be a positive number');
  if (p.solver !== 'lbfgs' && p.solver !== 'newton')
    throw new RangeError("solver must be 'lbfgs' or 'newton'");
  if (!Number.isInteger(p.maxIter) || p.maxIter < 1) throw new RangeError('maxIter must be an integer ≥ 1');
  if (!(p.tol >= 0)) throw new RangeError('tol must be ≥ 0');
}

/**
 * The objective on standardised columns. Parameters are laid out per output k (one for binary,
 * nClasses for multinomial): d coefficients then the intercept, at w[k * (d + 1) + …].
 */
class Objective {
  readonly nOutputs: number;
  readonly nParams: number;
  /** Linear predictors, then residuals (probability − indicator), per output: [k * n + i]. */
  private readonly work: Float64Array;
  /** Probabilities per output, kept for the Newton Hessian. */
  readonly proba: Float64Array;

  constructor(
    private readonly z: readonly Float64Array[],
    private readonly labels: Int32Array,
    nClasses: number,
    private readonly inverseC: number,
  ) {
    this.nOutputs = nClasses === 2 ? 1 : nClasses;
    this.nParams = this.nOutputs * (z.length + 1);
    this.work = new Float64Array(this.nOutputs * labels.length);
    this.proba = new Float64Array(this.nOutputs * labels.length);
  }

  /** The objective at w; writes the gradient into `grad`. */
  evaluate(w: Float64Array, grad: Float64Array): number {
    const { z, labels, work, proba, nOutputs } = this;
    const n = labels.length;
    const d = z.length;
    const stride = d + 1;
    for (let k = 0; k < nOutputs; k += 1) work.fill(w[k * stride + d] ?? 0, k * n, (k + 1) * n);
    for (let j = 0; j < d; j += 1) {
      const column = z[j] ?? new Float64Array(0);
      for (let k = 0; k < nOutputs; k += 1) {
        const wk = w[k * stride + j] ?? 0;
        if (wk === 0) continue;
        const base = k * n;
        for (let i = 0; i < n; i += 1) work[base + i] = (work[base + i] ?? 0) + wk * (column[i] ?? 0);
      }
    }
    let loss = 0;
    if (nOutputs === 1) {
      for (let i = 0; i < n; i += 1) {
        const t = work[i] ?? 0;
        const y = labels[i] === 1 ? 1 : 0;
        let p: number;
        if (t > 0) {
          const e = Math.exp(-t);
          loss += t + Math.log1p(e) - y * t;
          p = 1 / (1 + e);
        } else {
          const e = Math.exp(t);
          loss += Math.log1p(e) - y * t;
          p = e / (1 + e);
        }
        proba[i] = p;
        work[i] = p - y;
      }
    } else {
      for (let i = 0; i < n; i += 1) {
        let max = -Infinity;
        for (let k = 0; k < nOutputs; k += 1) max = Math.max(max, work[k * n + i] ?? 0);
        let sum = 0;
        for (let k = 0; k < nOutputs; k += 1) {
          const e = Math.exp((work[k * n + i] ?? 0) - max);
          proba[k * n + i] = e;
          sum += e;
        }
        const y = labels[i] ?? 0;
        loss += max + Math.log(sum) - (work[y * n + i] ?? 0);
        for (let k = 0; k < nOutputs; k += 1) {
          const p = (proba[k * n + i] ?? 0) / sum;
          proba[k * n + i] = p;
          work[k * n + i] = p - (k === y ? 1 : 0);
        }
      }
    }
    let penalty = 0;
    for (let k = 0; k < nOutputs; k += 1) {
      const base = k * n;
      for (let j = 0; j < d; j += 1) {
        const column = z[j] ?? new Float64Array(0);
        let g = 0;
        for (let i = 0; i < n; i += 1) g += (work[base + i] ?? 0) * (column[i] ?? 0);
        const wk = w[k * stride + j] ?? 0;
        grad[k * stride + j] = g + this.inverseC * wk;
        penalty += wk * wk;
      }
      let g = 0;
      for (let i = 0; i < n; i += 1) g += work[base + i] ?? 0;
      grad[k * stride + d] = g;
    }
    return loss + 0.5 * this.inverseC * penalty;
  }

  /** The Hessian (row-major nParams²) at the point of the last `evaluate`. */
  hessian(): Float64Array {
    const { z, labels, proba, nOutputs, nParams } = this;
    const n = labels.length;
    const d = z.length;
    const stride = d + 1;
    const h = new Float64Array(nParams * nParams);
    const weight = new Float64Array(n);
    const columnOf = (j: number): Float64Array | undefined => (j < d ? z[j] : undefined);
    for (let k = 0; k < nOutputs; k += 1) {
      for (let l = k; l < nOutputs; l += 1) {
        for (let i = 0; i < n; i += 1) {
          const pk = proba[k * n + i] ?? 0;
          weight[i] = nOutputs === 1 ? pk * (1 - pk) : pk * ((k === l ? 1 : 0) - (proba[l * n + i] ?? 0));
        }
        for (let a = 0; a < stride; a += 1) {
          const ca = columnOf(a);
          for (let b = a; b < stride; b += 1) {
            const cb = columnOf(b);
            let sum = 0;
            if (ca && cb)
              for (let i = 0; i < n; i += 1) sum += (weight[i] ?? 0) * (ca[i] ?? 0) * (cb[i] ?? 0);
            else if (ca || cb) {
              const only = ca ?? cb ?? weight;
              for (let i = 0; i < n; i += 1) sum += (weight[i] ?? 0) * (only[i] ?? 0);
            } else for (let i = 0; i < n; i += 1) sum += weight[i] ?? 0;
            const r = k * stride + a;
            const c = l * stride + b;
            const r2 = k * stride + b;
            const c2 = l * stride + a;
            h[r * nParams + c] = sum;
            h[c * nParams + r] = sum;
            h[r2 * nParams + c2] = sum;
            h[c2 * nParams + r2] = sum;
          }
        }
      }
    }
    for (let k = 0; k < nOutputs; k += 1) {
      for (let j = 0; j < d; j += 1) {
        const at = (k * stride + j) * (nParams + 1);
        h[at] = (h[at] ?? 0) + this.inverseC;
      }
    }
    return h;
  }
}

interface SolverResult {
  w: Float64Array;
  nIter: number;
  converged: boolean;
}

function maxAbs(v: Float64Array): number {
  let max = 0;
  for (let i = 0; i < v.length; i += 1) max = Math.max(max, Math.abs(v[i] ?? 0));
  return max;
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i += 1) s += (a[i] ?? 0) * (b[i] ?? 0);
  return s;
}

function relativeDecreaseSmall(before: number, after: number): boolean {
  return (before - after) / Math.max(Math.abs(before), Math.abs(after), 1) <= FTOL;
}

/**
 * Backtracking (Armijo) line search along `direction` from w; leaves the accepted point and its
 * gradient in wNew and gNew and returns its objective, or undefined when no step decreases it.
 */
function lineSearch(
  objective: Objective,
  w: Float64Array,
  f: number,
  slope: number,
  direction: Float64Array,
  firstStep: number,
  wNew: Float64Array,
  gNew: Float64Array,
): number | undefined {
  let step = firstStep;
  for (let attempt = 0; attempt < 40; attempt += 1) {
    for (let i = 0; i < w.length; i += 1) wNew[i] = (w[i] ?? 0) + step * (direction[i] ?? 0);
    const fNew = objective.evaluate(wNew, gNew);
    if (fNew <= f + 1e-4 * step * slope) return fNew;
    // Minimiser of the quadratic through f, the slope and fNew, kept within [0.1, 0.5] × step.
    const quadratic = (-slope * step * step) / (2 * (fNew - f - slope * step));
    step = Number.isFinite(quadratic) ? Math.min(0.5 * step, Math.max(0.1 * step, quadratic)) : 0.5 * step;
  }
  return undefined;
}

function solveLbfgs(objective: Objective, p: LogisticRegressionParams, options: FitOptions): SolverResult {
  const m = objective.nParams;
  let w = new Float64Array(m);
  let g = new Float64Array(m);
  let wNew = new Float64Array(m);
  let gNew = new Float64Array(m);
  const direction = new Float64Array(m);
  const s = Array.from({ length: LBFGS_MEMORY }, () => new Float64Array(m));
  const y = Array.from({ length: LBFGS_MEMORY }, () => new Float64Array(m));
  const rho = new Float64Array(LBFGS_MEMORY);
  const alpha = new Float64Array(LBFGS_MEMORY);
  let stored = 0;
  let newest = -1;
  let f = objective.evaluate(w, g);
  for (let iter = 1; iter <= p.maxIter; iter += 1) {
    if (maxAbs(g) <= p.tol) return { w, nIter: iter - 1, converged: true };
    // Two-loop recursion: direction = −H g.
    for (let i = 0; i < m; i += 1) direction[i] = -(g[i] ?? 0);
    for (let h = 0; h < stored; h += 1) {
      const at = (newest - h + LBFGS_MEMORY) % LBFGS_MEMORY;
      const a = (rho[at] ?? 0) * dot(s[at] ?? direction, direction);
      alpha[at] = a;
      const ya = y[at] ?? direction;
      for (let i = 0; i < m; i += 1) direction[i] = (direction[i] ?? 0) - a * (ya[i] ?? 0);
    }
    if (stored > 0) {
      const ya = y[newest] ?? direction;
      const gamma = dot(s[newest] ?? direction, ya) / dot(ya, ya);
      for (let i = 0; i < m; i += 1) direction[i] = (direction[i] ?? 0) * gamma;
    }
    for (let h = stored - 1; h >= 0; h -= 1) {
      const at = (newest - h + LBFGS_MEMORY) % LBFGS_MEMORY;
      const b = (rho[at] ?? 0) * dot(y[at] ?? direction, direction);
      const sa = s[at] ?? direction;
      const a = alpha[at] ?? 0;
      for (let i = 0; i < m; i += 1) direction[i] = (direction[i] ?? 0) + (a - b) * (sa[i] ?? 0);
    }
    let slope = dot(g, direction);
    if (!(slope < 0)) {
      // Not a descent direction (rounding): restart from steepest descent.
      stored = 0;
      for (let i = 0; i < m; i += 1) direction[i] = -(g[i] ?? 0);
      slope = dot(g, direction);
    }
    const firstStep = stored === 0 ? Math.min(1, 1 / Math.sqrt(-slope)) : 1;
    const fNew = lineSearch(objective, w, f, slope, direction, firstStep, wNew, gNew);
    if (fNew === undefined) return { w, nIter: iter, converged: true };
    newest = (newest + 1) % LBFGS_MEMORY;
    const sNext = s[newest] ?? direction;
    const yNext = y[newest] ?? direction;
    for (let i = 0; i < m; i += 1) {
      sNext[i] = (wNew[i] ?? 0) - (w[i] ?? 0);
      yNext[i] = (gNew[i] ?? 0) - (g[i] ?? 0);
    }
    const sy = dot(sNext, yNext);
    if (sy > 1e-10 * dot(yNext, yNext)) {
      rho[newest] = 1 / sy;
      stored = Math.min(stored + 1, LBFGS_MEMORY);
    } else {
      newest = (newest - 1 + LBFGS_MEMORY) % LBFGS_MEMORY;
    }
    [w, wNew] = [wNew, w];
    [g, gNew] = [gNew, g];
    const done = relativeDecreaseSmall(f, fNew);
    f = fNew;
    options.onProgress?.(iter / p.maxIter);
    if (done) return { w, nIter: iter, converged: true };
    checkDeadline(options.deadline, iter);
  }
  return { w, nIter: p.maxIter, converged: maxAbs(g) <= p.tol };
}

function solveNewton(objective: Objective, p: LogisticRegressionParams, options: FitOptions): SolverResult {
  const m = objective.nParams;
  let w = new Float64Array(m);
  let g = new Float64Array(m);
  let wNew = new Float64Array(m);
  let gNew = new Float64Array(m);
  let f = objective.evaluate(w, g);
  for (let iter = 1; iter <= p.maxIter; iter += 1) {
    if (maxAbs(g) <= p.tol) return { w, nIter: iter - 1, converged: true };
    const h = objective.hessian();
    const negative = g.map((v) => -v);
    // The multinomial Hessian is singular along "same shift of every intercept" (the softmax is
    // invariant to it): a vanishing ridge makes the system solvable without moving the optimum.
    let step: Float64Array | undefined;
    let maxDiagonal = 0;
    for (let i = 0; i < m; i += 1) maxDiagonal = Math.max(maxDiagonal, h[i * m + i] ?? 0);
    for (let ridge = 0; !step && ridge < 12; ridge += 1) {
      if (ridge > 0) {
        const add = maxDiagonal * 10 ** (ridge - 14);
        for (let i = 0; i < m; i += 1) h[i * m + i] = (h[i * m + i] ?? 0) + add;
      }
      step = choleskySolve(h, negative, m, 1e-15);
    }
    const direction = step ?? negative;
    const fNew = lineSearch(objective, w, f, dot(g, direction), direction, 1, wNew, gNew);
    if (fNew === undefined) return { w, nIter: iter, converged: true };
    [w, wNew] = [wNew, w];
    [g, gNew] = [gNew, g];
    const done = relativeDecreaseSmall(f, fNew);
    f = fNew;
    options.onProgress?.(iter / p.maxIter);
    if (done) return { w, nIter: iter, converged: true };
    checkDeadline(options.deadline, iter);
  }
  return { w, nIter: p.maxIter, converged: maxAbs(g) <= p.tol };
}

export function fitLogisticRegression(
  x: FeatureMatrix,
  y: ClassTarget,
  params: Partial<LogisticRegressionParams> = {},
  options: FitOptions = { seed: 0 },
): LogisticRegressionModel {
  const p: LogisticRegressionParams = { ...DEFAULT_LOGISTIC_REGRESSION_PARAMS, ...params };
  checkParams(p);
  requireCompleteInput(x, LEARNER);
  checkTrainingData(x, y.labels.length);
  checkClassTarget(y);
  checkDeadline(options.deadline, 0);
  const d = x.columns.length;
  const { mean, scale } = columnMoments(x);
  const names = namesOf(x);
  if (y.nClasses === 1) {
    return logisticModel(stateOf(names, 1, mean, scale, new Float64Array(0), 0, p, 0, true));
  }
  const z = x.columns.map((column, j) => {
    const mu = mean[j] ?? 0;
    const sd = scale[j] ?? 1;
    const out = new Float64Array(x.nRows);
    for (let i = 0; i < x.nRows; i += 1) out[i] = ((column[i] ?? 0) - mu) / sd;
    return out;
  });
  const objective = new Objective(z, y.labels, y.nClasses, 1 / p.C);
  const result =
    p.solver === 'newton' ? solveNewton(objective, p, options) : solveLbfgs(objective, p, options);
  if (objective.nOutputs > 1) {
    // The softmax is unchanged by a common shift of the intercepts: report them centred.
    let shift = 0;
    for (let k = 0; k < objective.nOutputs; k += 1) shift += result.w[k * (d + 1) + d] ?? 0;
    shift /= objective.nOutputs;
    for (let k = 0; k < objective.nOutputs; k += 1) {
      result.w[k * (d + 1) + d] = (result.w[k * (d + 1) + d] ?? 0) - shift;
    }
  }
  options.onProgress?.(1);
  return logisticModel(
    stateOf(names, y.nClasses, mean, scale, result.w, objective.nOutputs, p, result.nIter, result.converged),
  );
}

function stateOf(
  names: string[],
  nClasses: number,
  mean: Float64Array,
  scale: Float64Array,
  w: Float64Array,
  nOutputs: number,
  params: LogisticRegressionParams,
  nIter: number,
  converged: boolean,
): LogisticRegressionState {
  const d = names.length;
  const coefficients: number[][] = [];
  const intercepts: number[] = [];
  const rawCoefficients: number[][] = [];
  const rawIntercepts: number[] = [];
  for (let k = 0; k < nOutputs; k += 1) {
    const row = Array.from(w.subarray(k * (d + 1), k * (d + 1) + d));
    const intercept = w[k * (d + 1) + d] ?? 0;
    const raw = row.map((c, j) => c / (scale[j] ?? 1));
    coefficients.push(row);
    intercepts.push(intercept);
    rawCoefficients.push(raw);
    rawIntercepts.push(raw.reduce((b, c, j) => b - c * (mean[j] ?? 0), intercept));
  }
  return {
    kind: 'logistic_regression',
    format: 1,
    featureNames: names,
    nClasses,
    mean: Array.from(mean),
    scale: Array.from(scale),
    coefficients,
    intercepts,
    rawCoefficients,
    rawIntercepts,
    params: { ...params },
    nIter,
    converged,
  };
}

function logisticModel(state: LogisticRegressionState): LogisticRegressionModel {
  const d = state.featureNames.length;
  const nClasses = state.nClasses;
  const nOutputs = state.coefficients.length;
  const mean = Float64Array.from(state.mean);
  const scale = Float64Array.from(state.scale);
  const coefficients = state.coefficients.map((row) => Float64Array.from(row));
  const intercepts = Float64Array.from(state.intercepts);

  const predictProba = (x: FeatureMatrix): Float64Array[] => {
    requirePredictionInput(x, d, LEARNER);
    const n = x.nRows;
    if (nOutputs === 0) return [new Float64Array(n).fill(1)];
    const linear = Array.from({ length: nOutputs }, (_, k) => new Float64Array(n).fill(intercepts[k] ?? 0));
    x.columns.forEach((column, j) => {
      const mu = mean[j] ?? 0;
      const sd = scale[j] ?? 1;
      coefficients.forEach((row, k) => {
        const c = row[j] ?? 0;
        const out = linear[k] ?? new Float64Array(0);
        for (let i = 0; i < n; i += 1) out[i] = (out[i] ?? 0) + (c * ((column[i] ?? 0) - mu)) / sd;
      });
    });
    if (nOutputs === 1) {
      const positive = linear[0] ?? new Float64Array(0);
      const negative = new Float64Array(n);
      for (let i = 0; i < n; i += 1) {
        const t = positive[i] ?? 0;
        const p = t >= 0 ? 1 / (1 + Math.exp(-t)) : Math.exp(t) / (1 + Math.exp(t));
        positive[i] = p;
        negative[i] = 1 - p;
      }
      return [negative, positive];
    }
    for (let i = 0; i < n; i += 1) {
      let max = -Infinity;
      for (let k = 0; k < nOutputs; k += 1) max = Math.max(max, linear[k]?.[i] ?? 0);
      let sum = 0;
      for (let k = 0; k < nOutputs; k += 1) {
        const out = linear[k] ?? new Float64Array(0);
        const e = Math.exp((out[i] ?? 0) - max);
        out[i] = e;
        sum += e;
      }
      for (let k = 0; k < nOutputs; k += 1) {
        const out = linear[k] ?? new Float64Array(0);
        out[i] = (out[i] ?? 0) / sum;
      }
    }
    return linear;
  };

  return {
    problemType: 'classification',
    nClasses,
    nIter: state.nIter,
    converged: state.converged,
    predictProba,
    predict(x: FeatureMatrix): Int32Array {
      const proba = predictProba(x);
      const out = new Int32Array(x.nRows);
      for (let i = 0; i < x.nRows; i += 1) {
        let best = 0;
        let bestP = -Infinity;
        proba.forEach((column, c) => {
          const p = column[i] ?? 0;
          if (p > bestP) {
            bestP = p;
            best = c;
          }
        });
        out[i] = best;
      }
      return out;
    },
    /** |coefficient| on standardised inputs; averaged over the classes of a multinomial model. */
    featureImportance(): Float64Array {
      const importance = new Float64Array(d);
      for (const row of coefficients) {
        for (let j = 0; j < d; j += 1)
          importance[j] = (importance[j] ?? 0) + Math.abs(row[j] ?? 0) / nOutputs;
      }
      return importance;
    },
    toState(): LogisticRegressionState {
      return structuredClone(state);
    },
  };
}

/** A fitted logistic regression from its state (as `toState` returned it, after JSON). */
export function restoreLogisticRegression(state: LearnerState): LogisticRegressionModel {
  checkStateKind(state, ['logistic_regression']);
  const featureNames = stateNames(state['featureNames']);
  const d = featureNames.length;
  const nClasses = stateNumber(state['nClasses'], 'nClasses');
  const coefficients = stateMatrix(state['coefficients'], 'coefficients', undefined, d);
  const expectedOutputs = nClasses === 1 ? 0 : nClasses === 2 ? 1 : nClasses;
  if (coefficients.length !== expectedOutputs) {
    throw new TypeError(`Model state: ${coefficients.length} coefficient row(s) for ${nClasses} class(es)`);
  }
  const params = state['params'];
  if (typeof params !== 'object' || params === null) throw new TypeError("Model state: 'params' is missing");
  const restored: LogisticRegressionState = {
    kind: 'logistic_regression',
    format: 1,
    featureNames,
    nClasses,
    mean: Array.from(stateVector(state['mean'], 'mean', d)),
    scale: Array.from(stateVector(state['scale'], 'scale', d)),
    coefficients: coefficients.map((row) => Array.from(row)),
    intercepts: Array.from(stateVector(state['intercepts'], 'intercepts', expectedOutputs)),
    rawCoefficients: stateMatrix(state['rawCoefficients'], 'rawCoefficients', expectedOutputs, d).map((row) =>
      Array.from(row),
    ),
    rawIntercepts: Array.from(stateVector(state['rawIntercepts'], 'rawIntercepts', expectedOutputs)),
    params: { ...DEFAULT_LOGISTIC_REGRESSION_PARAMS, ...(params as Partial<LogisticRegressionParams>) },
    nIter: stateNumber(state['nIter'], 'nIter'),
    converged: state['converged'] === true,
  };
  return logisticModel(restored);
}
