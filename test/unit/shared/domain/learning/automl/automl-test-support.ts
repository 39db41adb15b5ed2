/** Seeded data, a movable clock and scripted learners for the AutoML tests. */
import {
  checkDeadline,
  type ClassTarget,
  type FeatureMatrix,
  type FittedClassifier,
  type FittedRegressor,
  type LearnerState,
} from '../../../../../../shared/domain/learning/learner';
import type { LearnerSpec } from '../../../../../../shared/domain/learning/learner-catalog';
import { SeededRandom } from '../../../../../../shared/domain/learning/random';

export function matrix(columns: Float64Array[], categories?: (number | undefined)[]): FeatureMatrix {
  return {
    nRows: columns[0]?.length ?? 0,
    columns,
    names: columns.map((_, i) => `x${i}`),
    ...(categories ? { categories } : {}),
  };
}

/** Two informative features (a noisy linear boundary) and two noise features. */
export function binaryData(n: number, seed: number): { x: FeatureMatrix; y: ClassTarget } {
  const random = new SeededRandom(seed);
  const columns = Array.from({ length: 4 }, () =>
    Float64Array.from({ length: n }, () => random.nextGaussian()),
  );
  const labels = Int32Array.from({ length: n }, (_, i) =>
    (columns[0]?.[i] ?? 0) + 0.7 * (columns[1]?.[i] ?? 0) + 0.5 * random.nextGaussian() > 0 ? 1 : 0,
  );
  return { x: matrix(columns), y: { labels, nClasses: 2 } };
}

/** Three classes by the angle of (x0, x1), plus a noise feature. */
export function threeClassData(n: number, seed: number): { x: FeatureMatrix; y: ClassTarget } {
  const random = new SeededRandom(seed);
  const columns = Array.from({ length: 3 }, () =>
    Float64Array.from({ length: n }, () => random.next() * 2 - 1),
  );
  const labels = Int32Array.from({ length: n }, (_, i) => {
    const angle = Math.atan2(columns[1]?.[i] ?? 0, columns[0]?.[i] ?? 0) + Math.PI;
    return Math.min(2, Math.floor((angle / (2 * Math.PI)) * 3));
  });
  return { x: matrix(columns), y: { labels, nClasses: 3 } };
}

/** y = 2·x0 − x1 + noise. */
export function regressionData(n: number, seed: number): { x: FeatureMatrix; y: Float64Array } {
  const random = new SeededRandom(seed);
  const columns = Array.from({ length: 3 }, () =>
    Float64Array.from({ length: n }, () => random.nextGaussian()),
  );
  const y = Float64Array.from(
    { length: n },
    (_, i) => 2 * (columns[0]?.[i] ?? 0) - (columns[1]?.[i] ?? 0) + 0.3 * random.nextGaussian(),
  );
  return { x: matrix(columns), y };
}

/** A clock that moves only when told to (or by `stepMs` on every reading). */
export class FakeClock {
  constructor(
    public ms = 1_000_000,
    private readonly stepMs = 0,
  ) {}

  readonly now = (): number => {
    const value = this.ms;
    this.ms += this.stepMs;
    return value;
  };

  advance(ms: number): void {
    this.ms += ms;
  }
}

export interface ScriptedLearnerOptions {
  readonly key: string;
  readonly clock: FakeClock;
  /** What the catalog claims one fit costs, in seconds. */
  readonly estimateSeconds: number;
  /** What one fit really takes on the fake clock, in seconds (in `units` steps). */
  readonly actualSeconds: number;
  readonly units?: number;
  /** Throws this message instead of fitting. */
  readonly throws?: string;
  /** Regression: predict this feature column. Classification: threshold feature 0 at `w`. */
  readonly column?: number;
  /** Called as each fit starts with the seconds left before the deadline. */
  readonly onFit?: (secondsLeft: number) => void;
}

/**
 * A learner whose cost and behaviour the test scripts: it advances the fake clock while it
 * "fits", checks the deadline between units of work, and predicts from one feature.
 */
export function scriptedLearner(o: ScriptedLearnerOptions): LearnerSpec {
  const units = o.units ?? 1;
  return {
    key: o.key,
    summary: 'scripted',
    problemTypes: ['classification', 'regression'],
    handlesMissing: true,
    handlesCategorical: true,
    defaults: () => ({ w: 0 }),
    searchSpace: () => ({ w: { kind: 'float', low: -1, high: 1 } }),
    estimateSeconds: () => o.estimateSeconds,
    fit(x, target, params, options) {
      if (options.deadline) o.onFit?.((options.deadline.atMs - o.clock.ms) / 1000);
      if (o.throws !== undefined) throw new Error(o.throws);
      for (let unit = 0; unit < units; unit += 1) {
        checkDeadline(options.deadline, unit);
        o.clock.advance((o.actualSeconds * 1000) / units);
      }
      const w = typeof params['w'] === 'number' ? params['w'] : 0;
      const state: LearnerState = { kind: o.key, format: 1, w, column: o.column ?? 0 };
      if (target.problemType === 'classification') return scriptedClassifier(w);
      if (target.problemType === 'regression') return scriptedRegressor(o.column ?? 0, state);
      throw new Error('scripted learners do not cluster');
    },
    restore(state) {
      const w = typeof state['w'] === 'number' ? state['w'] : 0;
      const column = typeof state['column'] === 'number' ? state['column'] : 0;
      return 'nClasses' in state ? scriptedClassifier(w) : scriptedRegressor(column, state);
    },
  };

  function scriptedClassifier(w: number): FittedClassifier {
    const predictProba = (x: FeatureMatrix): Float64Array[] => {
      const p1 = Float64Array.from(x.columns[0] ?? [], (v) => 1 / (1 + Math.exp(-(v - w) * 3)));
      return [p1.map((p) => 1 - p), p1];
    };
    return {
      problemType: 'classification',
      nClasses: 2,
      predictProba,
      predict: (x) => Int32Array.from(predictProba(x)[1] ?? [], (p) => (p > 0.5 ? 1 : 0)),
      featureImportance: () => undefined,
      toState: () => ({ kind: o.key, format: 1, w, nClasses: 2 }),
    };
  }

  function scriptedRegressor(column: number, state: LearnerState): FittedRegressor {
    return {
      problemType: 'regression',
      predict: (x) => Float64Array.from(x.columns[column] ?? []),
      featureImportance: () => undefined,
      toState: () => ({ ...state }),
    };
  }
}
