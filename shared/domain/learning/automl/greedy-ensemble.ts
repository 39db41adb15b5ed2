/**
 * Greedy ensemble selection (Caruana et al., 2004): starting from nothing, repeatedly add, with
 * replacement, the candidate whose addition gives the best validation score of the averaged
 * predictions; keep the best selection seen. The first pick is the best single candidate, so the
 * ensemble's validation score is never worse than its best member's.
 */
import { orientedScore, scorePredictions, type AutoMlMetric, type Predictions, type Truth } from './metrics';

export interface EnsembleCandidate {
  /** Validation predictions of the candidate, on the same rows as `truth`. */
  readonly predictions: Predictions;
}

export interface EnsembleSelection {
  /** Weight per candidate (by index), summing to 1; 0 for candidates not picked. */
  readonly weights: readonly number[];
  /** The validation score of the weighted average (in the metric's own orientation). */
  readonly score: number;
}

/** Default number of additions. */
export const DEFAULT_ENSEMBLE_ROUNDS = 25;

function blend(sum: Predictions, add: Predictions, count: number): Predictions {
  // The average of `count` picks whose total is `sum`, plus `add`.
  const scale = 1 / (count + 1);
  if (sum.kind === 'proba' && add.kind === 'proba')
    return {
      kind: 'proba',
      proba: sum.proba.map((column, c) => {
        const extra = add.proba[c];
        return column.map((v, row) => (v + (extra?.[row] ?? 0)) * scale);
      }),
    };
  if (sum.kind === 'values' && add.kind === 'values')
    return { kind: 'values', values: sum.values.map((v, row) => (v + (add.values[row] ?? 0)) * scale) };
  throw new Error('Only probabilities or regression values can be ensembled');
}

function accumulate(sum: Predictions, add: Predictions): Predictions {
  return blend(sum, add, 0);
}

function zerosLike(p: Predictions): Predictions {
  if (p.kind === 'proba')
    return { kind: 'proba', proba: p.proba.map((column) => new Float64Array(column.length)) };
  if (p.kind === 'values') return { kind: 'values', values: new Float64Array(p.values.length) };
  throw new Error('Clustering predictions cannot be ensembled');
}

/** Selects weights over `candidates` (best candidates first: ties keep the earlier one). */
export function selectEnsemble(
  candidates: readonly EnsembleCandidate[],
  truth: Truth,
  metric: AutoMlMetric,
  rounds = DEFAULT_ENSEMBLE_ROUNDS,
): EnsembleSelection {
  const first = candidates[0];
  if (!first) throw new Error('Ensemble selection needs at least one candidate');
  const counts = new Array<number>(candidates.length).fill(0);
  let sum = zerosLike(first.predictions);
  let picks = 0;
  let bestCounts: number[] = [];
  let bestOriented = -Infinity;
  let bestScore = NaN;
  for (let round = 0; round < rounds; round += 1) {
    let choice = -1;
    let choiceOriented = -Infinity;
    let choiceScore = NaN;
    candidates.forEach((candidate, i) => {
      let score: number;
      try {
        score = scorePredictions(metric, truth, blend(sum, candidate.predictions, picks));
      } catch {
        return;
      }
      const oriented = orientedScore(metric, score);
      if (oriented > choiceOriented) {
        choice = i;
        choiceOriented = oriented;
        choiceScore = score;
      }
    });
    const picked = candidates[choice];
    if (!picked) break;
    sum = accumulate(sum, picked.predictions);
    picks += 1;
    counts[choice] = (counts[choice] ?? 0) + 1;
    if (choiceOriented > bestOriented) {
      bestOriented = choiceOriented;
      bestScore = choiceScore;
      bestCounts = [...counts];
    }
  }
  const total = bestCounts.reduce((a, b) => a + b, 0);
  if (total === 0) throw new Error('No candidate could be scored on the validation rows');
  return { weights: bestCounts.map((c) => c / total), score: bestScore };
}
