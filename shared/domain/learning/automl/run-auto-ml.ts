/**
 * AutoML: a cost-frugal, seeded random search over the learner catalog under a hard wall-clock
 * budget.
 *
 * How the search spends its time:
 * 1. Round 0 fits every allowed learner with its defaults on a sample of the training rows
 *    (`initialSampleRows`, 2,000 by default), cheapest learner first.
 * 2. Each later round gives one trial to every learner still waiting for its first one and to
 *    the best few learners so far (`ACTIVE_LEARNERS`): either a random point drawn around the
 *    learner's best hyperparameters (which start as its defaults), or, after `TRIALS_PER_RUNG`
 *    trials on a sample, its best point again on four times the rows ("promotion"), up to every
 *    training row. Cheap learners on small samples come first; more data and more complex
 *    points follow as long as time allows.
 * 3. Optionally, a greedy ensemble of the best trials (see greedy-ensemble.ts); trials then end
 *    5 % of the budget (at most 2 s) early to leave it time, and it is skipped past the budget.
 *
 * The budget is hard: every learner gets a deadline at the end of the budget and stops between
 * trees or iterations; no trial starts whose estimated time (the catalog's estimate × the
 * speed observed on finished trials) exceeds the time left; the search returns within the
 * budget plus the time one tree or iteration (and the final scoring) takes past the deadline.
 * A trial cut by the deadline is recorded as `timeout`, a learner that throws as `error`, and
 * the search goes on.
 *
 * Reproducibility: with `maxTrials` set, which trial comes next never depends on the clock: a
 * trial that does not fit in the time left ends the search instead of being skipped. The same
 * input and seed then give the same trials and scores whenever the budget is not reached.
 * Without `maxTrials`, an unaffordable trial is skipped and the search goes on with cheaper
 * ones, so the trials depend on the machine's speed.
 *
 * Learners that need complete numeric input (the catalog says which) are fitted behind an input
 * preparation kept in their state: median imputation always (rows sent for prediction may have
 * gaps the training rows had not), one-hot encoding of categorical codes when there are any; a
 * learner whose one-hot input would exceed MAX_PREPARED_COLUMNS columns is skipped.
 *
 * Validation: a stratified holdout (default 20 %), stratified k folds (the trial's score is
 * computed on the out-of-fold predictions and its model is the equal-weight ensemble of the k
 * fold models, so no refit is needed), or an explicit validation set. Clustering scores the
 * silhouette of held-out rows; k folds there mean a holdout of 1/k.
 *
 * Durations (fit seconds, predict milliseconds) are measured with the injected clock.
 */
import { canonicalJson } from '../../../kernel/canonical-json';
import {
  DeadlineExceededError,
  type ClassTarget,
  type Deadline,
  type FeatureMatrix,
  type FittedModel,
  type LearnerState,
  type ProblemType,
} from '../learner';
import {
  LEARNER_CATALOG,
  type DataShape,
  type HyperParams,
  type LearnerCatalog,
  type LearnerSpec,
  type ParamValue,
} from '../learner-catalog';
import { SeededRandom } from '../random';
import {
  applyInputPreparation,
  ensembleModel,
  fitInputPreparation,
  hasCategoricalFeatures,
  preparedModel,
  preparedWidth,
  type InputPreparation,
} from './composite-models';
import { DEFAULT_ENSEMBLE_ROUNDS, selectEnsemble } from './greedy-ensemble';
import {
  AUTOML_METRICS,
  defaultMetric,
  METRIC_DEFINITIONS,
  orientedScore,
  scorePredictions,
  type AutoMlMetric,
  type Predictions,
  type Truth,
} from './metrics';
import { paramsKey, sampleAround } from './search-space';
import {
  AutoMlInputError,
  concatFloat,
  concatInt,
  DEFAULT_HOLDOUT_FRACTION,
  planValidation,
  targetRows,
  trainingTarget,
  truthOf,
  checkFeatures,
  type AutoMlDataset,
  type Fold,
  type ValidationStrategy,
} from './validation-plan';
import { selectMatrixRows } from './validation-split';

export { AutoMlInputError, DEFAULT_HOLDOUT_FRACTION, type AutoMlDataset, type ValidationStrategy };

/** Rows of the first sample; later samples are four times larger, up to every training row. */
export const DEFAULT_INITIAL_SAMPLE_ROWS = 2000;
/** Trials a learner gets on a sample before its best point moves on to more rows. */
export const TRIALS_PER_RUNG = 3;
/** Learners (best validation score first) that keep getting trials after round 0. */
export const ACTIVE_LEARNERS = 3;
/** A learner that needs one-hot input is skipped when that would make more columns than this. */
export const MAX_PREPARED_COLUMNS = 2000;
/** Consecutive failed trials after which a learner gets no more. */
const MAX_CONSECUTIVE_ERRORS = 2;
/** Trials shorter than this do not correct the speed estimate (clock resolution, JIT warm-up). */
const MIN_SECONDS_FOR_SPEED = 0.05;
const SPEED_FACTOR_RANGE = [0.2, 50] as const;
const ENSEMBLE_RESERVE_SHARE = 0.05;
const ENSEMBLE_RESERVE_MAX_MS = 2000;
/** Recent trials of a learner whose speed corrects its estimates. */
const SPEED_WINDOW = 3;
/** Trials a search without `maxTrials` runs at most (a guard for very fast learners on tiny data). */
export const TRIALS_WITHOUT_LIMIT = 1000;

export interface AutoMlInput {
  readonly problemType: ProblemType;
  readonly train: FeatureMatrix;
  /** ClassTarget for classification, Float64Array for regression, absent for clustering. */
  readonly target?: ClassTarget | Float64Array;
  /** An explicit validation set: then `validation` is ignored and every training row trains. */
  readonly validationSet?: AutoMlDataset;
  /** Scored for every finished trial and the ensemble when given; never used for selection. */
  readonly testSet?: AutoMlDataset;
  /** Default: ROC AUC (binary), log loss (multiclass), R² (regression), silhouette (clustering). */
  readonly metric?: AutoMlMetric;
  /** Hard wall-clock limit of the whole search, in seconds. */
  readonly timeBudgetSeconds: number;
  readonly maxTrials?: number;
  /** Catalog keys to search (default: every learner supporting the problem type). */
  readonly learners?: readonly string[];
  /** Default: holdout of 20 %. */
  readonly validation?: ValidationStrategy;
  /** Greedy ensemble over the best `topK` trials (`rounds` additions, default 25). */
  readonly ensemble?: { readonly topK: number; readonly rounds?: number };
  readonly seed?: number;
  readonly initialSampleRows?: number;
}

export type TrialStatus = 'ok' | 'timeout' | 'error';

export interface LeaderboardRow {
  /** 1-based, in the order trials started. */
  readonly trial: number;
  /** 1 = best validation score; null for a trial without a score. */
  readonly rank: number | null;
  readonly learner: string;
  /** Every hyperparameter the learner was fitted with (defaults included). */
  readonly hyperparameters: Readonly<Record<string, ParamValue>>;
  /** Training rows the trial was fitted on (per fold for k folds). */
  readonly trainRows: number;
  readonly validationScore: number | null;
  readonly testScore: number | null;
  readonly fitSeconds: number;
  readonly predictMsPer1000Rows: number | null;
  /** Bytes of the model state as canonical JSON. */
  readonly artifactBytes: number | null;
  readonly status: TrialStatus;
  /** 'completed', 'early_stopping', 'max_iter', 'deadline', or the error's message. */
  readonly stopReason: string;
}

export interface AutoMlModel {
  readonly source: 'trial' | 'ensemble';
  /** The trial's number; null for the ensemble. */
  readonly trial: number | null;
  /** The learner's key, or 'ensemble'. */
  readonly learner: string;
  readonly hyperparameters: Readonly<Record<string, ParamValue>>;
  readonly validationScore: number;
  readonly testScore: number | null;
  readonly state: LearnerState;
  readonly model: FittedModel;
  readonly artifactBytes: number;
}

export interface AutoMlEnsemble extends AutoMlModel {
  readonly source: 'ensemble';
  readonly members: readonly { readonly trial: number; readonly learner: string; readonly weight: number }[];
}

export type SearchStopReason = 'max_trials' | 'time_budget' | 'no_affordable_trial' | 'search_exhausted';

export interface AutoMlResult {
  readonly status: 'ok' | 'no_model';
  /** Why there is no model (status 'no_model'), in words for the user. */
  readonly reason?: string;
  readonly problemType: ProblemType;
  readonly metric: AutoMlMetric;
  readonly greaterIsBetter: boolean;
  readonly validation: {
    readonly kind: 'holdout' | 'kfold' | 'explicit';
    readonly trainRows: number;
    readonly validationRows: number;
    readonly folds: number;
  };
  readonly stopReason: SearchStopReason;
  readonly elapsedSeconds: number;
  /** Ranked trials first (best first), then the trials without a score in trial order. */
  readonly leaderboard: readonly LeaderboardRow[];
  /** Learners not searched, and why. */
  readonly skippedLearners: readonly { readonly learner: string; readonly reason: string }[];
  /** The model to keep: the ensemble when it beats the best trial on validation, else the best trial. */
  readonly model?: AutoMlModel;
  readonly best?: AutoMlModel;
  readonly ensemble?: AutoMlEnsemble;
}

export interface AutoMlOptions {
  /** Called as each trial finishes (its rank is null until the end). */
  readonly onTrial?: (row: LeaderboardRow) => void;
  /** Search progress 0–1 (time used or trials done, whichever is further). */
  readonly onProgress?: (fraction: number) => void;
  /** Epoch milliseconds; default Date.now. */
  readonly now?: () => number;
  readonly catalog?: LearnerCatalog;
}

// ---------------------------------------------------------------------------------------------
// Data plumbing
// ---------------------------------------------------------------------------------------------

function concatPredictions(parts: readonly Predictions[]): Predictions {
  const first = parts[0];
  if (!first) throw new Error('No predictions');
  if (parts.length === 1) return first;
  if (first.kind === 'proba')
    return {
      kind: 'proba',
      proba: first.proba.map((_, c) =>
        concatFloat(
          parts.map((p) => (p.kind === 'proba' ? (p.proba[c] ?? new Float64Array(0)) : new Float64Array(0))),
        ),
      ),
    };
  if (first.kind === 'values')
    return {
      kind: 'values',
      values: concatFloat(parts.map((p) => (p.kind === 'values' ? p.values : new Float64Array(0)))),
    };
  return {
    kind: 'clusters',
    labels: concatInt(parts.map((p) => (p.kind === 'clusters' ? p.labels : new Int32Array(0)))),
  };
}

function predictionsOf(model: FittedModel, x: FeatureMatrix): Predictions {
  if (model.problemType === 'classification') return { kind: 'proba', proba: model.predictProba(x) };
  if (model.problemType === 'regression') return { kind: 'values', values: model.predict(x) };
  return { kind: 'clusters', labels: model.predict(x) };
}

function utf8Bytes(text: string): number {
  return new TextEncoder().encode(text).length;
}

/** How fitting ended, read from a (possibly composite) state. */
function stopReasonOfState(state: LearnerState): string {
  const inner = state['model'];
  if (state.kind === 'prepared_input' && typeof inner === 'object' && inner !== null)
    return stopReasonOfState(inner as LearnerState);
  const stop = state['stopReason'];
  if (typeof stop === 'string') return stop;
  if (state['converged'] === false) return 'max_iter';
  return 'completed';
}

function errorMessage(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.length > 500 ? `${text.slice(0, 497)}...` : text;
}

function formatSeconds(seconds: number): string {
  if (seconds < 10) return `${seconds.toFixed(1)} s`;
  return `${Math.round(seconds)} s`;
}

/** Sample sizes: `initial`, ×4, … while below `n`, then `n`. */
export function sampleLadder(n: number, initial: number): number[] {
  const sizes: number[] = [];
  let size = Math.max(1, Math.floor(initial));
  while (size * 2 <= n) {
    sizes.push(size);
    size *= 4;
  }
  sizes.push(n);
  return sizes;
}

// ---------------------------------------------------------------------------------------------
// The search
// ---------------------------------------------------------------------------------------------

interface Track {
  readonly spec: LearnerSpec;
  readonly key: string;
  readonly order: number;
  readonly random: SeededRandom;
  readonly defaults: HyperParams;
  readonly prepare: { readonly impute: boolean; readonly oneHot: boolean } | undefined;
  readonly width: number;
  readonly tried: Set<string>;
  trials: number;
  rung: number;
  trialsAtRung: number;
  consecutiveErrors: number;
  promotionBlocked: boolean;
  exhausted: boolean;
  best: { oriented: number; params: HyperParams } | undefined;
  speedLogs: number[];
}

interface Proposal {
  readonly track: Track;
  readonly rung: number;
  readonly params: HyperParams;
  readonly kind: 'defaults' | 'random' | 'promotion';
}

interface Kept {
  readonly row: LeaderboardRow;
  readonly oriented: number;
  readonly model: FittedModel;
  readonly state: LearnerState;
  readonly predictions: Predictions;
}

function hasNegativeValues(x: FeatureMatrix): boolean {
  return x.columns.some((column) => column.some((v) => v < 0));
}

/** Runs the search; see the module comment. Throws AutoMlInputError only for inconsistent input. */
export function runAutoMl(input: AutoMlInput, options: AutoMlOptions = {}): AutoMlResult {
  const now = options.now ?? Date.now;
  const catalog: LearnerCatalog = options.catalog ?? LEARNER_CATALOG;
  const startMs = now();
  const { problemType, train } = input;
  if (!(input.timeBudgetSeconds > 0) || !Number.isFinite(input.timeBudgetSeconds))
    throw new AutoMlInputError('timeBudgetSeconds must be a positive number of seconds.');
  if (input.maxTrials !== undefined && (!Number.isInteger(input.maxTrials) || input.maxTrials < 1))
    throw new AutoMlInputError('maxTrials must be a whole number ≥ 1.');
  if (train.nRows < 2) throw new AutoMlInputError('AutoML needs at least two training rows.');
  if (train.columns.length < 1) throw new AutoMlInputError('AutoML needs at least one feature.');
  const target = trainingTarget(problemType, train, input.target, 'training rows');
  const nClasses = target.problemType === 'classification' ? target.y.nClasses : 0;
  const metric = input.metric ?? defaultMetric(problemType, nClasses);
  if (!AUTOML_METRICS.includes(metric))
    throw new AutoMlInputError(`Unknown metric "${String(metric)}". Metrics: ${AUTOML_METRICS.join(', ')}.`);
  if (METRIC_DEFINITIONS[metric].problemType !== problemType)
    throw new AutoMlInputError(`The metric ${metric} does not apply to ${problemType}.`);
  const seed = input.seed ?? 0;
  const endMs = startMs + input.timeBudgetSeconds * 1000;
  // With an ensemble to build, trials end a little earlier (5 % of the budget, at most 2 s).
  const searchEndMs = input.ensemble
    ? endMs - Math.min(ENSEMBLE_RESERVE_SHARE * input.timeBudgetSeconds * 1000, ENSEMBLE_RESERVE_MAX_MS)
    : endMs;
  const deadline: Deadline = { atMs: searchEndMs, now };
  const reproducible = input.maxTrials !== undefined;
  const master = new SeededRandom(seed);

  const plan = planValidation({
    problemType,
    train,
    target,
    ...(input.validationSet ? { validationSet: input.validationSet } : {}),
    ...(input.validation ? { strategy: input.validation } : {}),
    random: master.fork(),
  });
  const { folds, firstFold, truth: validTruth } = plan;
  const validationRows = plan.validationRows;
  const minFoldRows = Math.min(...folds.map((f) => f.trainX.nRows));
  const ladder = sampleLadder(minFoldRows, input.initialSampleRows ?? DEFAULT_INITIAL_SAMPLE_ROWS);
  const lastRung = ladder.length - 1;
  const rowsAtRung = (fold: Fold, rung: number): number =>
    rung >= lastRung ? fold.trainX.nRows : Math.min(fold.trainX.nRows, ladder[rung] ?? fold.trainX.nRows);

  let test: { x: FeatureMatrix; truth: Truth } | undefined;
  if (input.testSet) {
    checkFeatures(train, input.testSet.x, 'test set');
    const testTarget = trainingTarget(problemType, input.testSet.x, input.testSet.y, 'test set');
    test = { x: input.testSet.x, truth: truthOf(testTarget, input.testSet.x) };
  }

  // Learners.
  const requested = [...new Set(input.learners ?? Object.keys(catalog))];
  const skippedLearners: { learner: string; reason: string }[] = [];
  const anyCategorical = hasCategoricalFeatures(train);
  const tracks: Track[] = [];
  requested.forEach((key, order) => {
    const spec = Object.hasOwn(catalog, key) ? catalog[key] : undefined;
    if (!spec)
      throw new AutoMlInputError(`Unknown learner "${key}". Learners: ${Object.keys(catalog).join(', ')}.`);
    if (!spec.problemTypes.includes(problemType)) {
      if (input.learners) skippedLearners.push({ learner: key, reason: `does not support ${problemType}` });
      return;
    }
    if (spec.nonNegativeInput && hasNegativeValues(train)) {
      skippedLearners.push({
        learner: key,
        reason:
          'it needs non-negative features (counts or TF-IDF weights) and the training rows have negative values',
      });
      return;
    }
    // Imputation even when the training rows are complete: rows sent for prediction may not be.
    const impute = !spec.handlesMissing;
    const oneHot = anyCategorical && !spec.handlesCategorical;
    const width = oneHot ? preparedWidth(train, true) : train.columns.length;
    if (width > MAX_PREPARED_COLUMNS) {
      skippedLearners.push({
        learner: key,
        reason: `one-hot encoding the categorical features would make ${width} columns (more than ${MAX_PREPARED_COLUMNS})`,
      });
      return;
    }
    const shape: DataShape = { nRows: ladder[0] ?? minFoldRows, nFeatures: width, nClasses };
    tracks.push({
      spec,
      key,
      order,
      random: master.fork(),
      defaults: spec.defaults(problemType, shape),
      prepare: impute || oneHot ? { impute, oneHot } : undefined,
      width,
      tried: new Set(),
      trials: 0,
      rung: 0,
      trialsAtRung: 0,
      consecutiveErrors: 0,
      promotionBlocked: false,
      exhausted: false,
      best: undefined,
      speedLogs: [],
    });
  });
  const trialSeeds = master.fork();

  const rows: LeaderboardRow[] = [];
  const keepCount = Math.max(1, input.ensemble?.topK ?? 1);
  const kept: Kept[] = [];
  let cheapestSkipped: { learner: string; rows: number; seconds: number } | undefined;
  let stopReason: SearchStopReason = 'search_exhausted';
  let progress = 0;

  const reportProgress = (fraction: number): void => {
    const clipped = Math.min(1, Math.max(progress, fraction));
    if (clipped > progress) {
      progress = clipped;
      options.onProgress?.(progress);
    }
  };

  // The catalog's estimate × the learner's own recent observed/estimated ratio (geometric mean of
  // its last few trials, so that warm-up costs fade); a learner not yet observed is taken at its
  // estimate, and its deadline protects the budget should that be optimistic.
  const speedFactor = (track: Track): number => {
    const logs = track.speedLogs.slice(-SPEED_WINDOW);
    if (logs.length === 0) return 1;
    const mean = logs.reduce((a, b) => a + b, 0) / logs.length;
    return Math.min(SPEED_FACTOR_RANGE[1], Math.max(SPEED_FACTOR_RANGE[0], Math.exp(mean)));
  };

  const rawEstimate = (proposal: Proposal): number => {
    const rowsPerFold = folds.map((f) => rowsAtRung(f, proposal.rung));
    let total = 0;
    for (const n of rowsPerFold)
      total += proposal.track.spec.estimateSeconds(
        { nRows: n, nFeatures: proposal.track.width, nClasses },
        proposal.params,
      );
    return Math.max(0, total);
  };

  const propose = (track: Track): Proposal | undefined => {
    if (track.trials === 0) return { track, rung: 0, params: track.defaults, kind: 'defaults' };
    const space = track.spec.searchSpace(problemType, {
      nRows: ladder[track.rung] ?? minFoldRows,
      nFeatures: track.width,
      nClasses,
    });
    const emptySpace = Object.keys(space).length === 0;
    const centre = track.best?.params ?? track.defaults;
    if (
      track.rung < lastRung &&
      !track.promotionBlocked &&
      (emptySpace || track.trialsAtRung >= TRIALS_PER_RUNG)
    )
      return { track, rung: track.rung + 1, params: centre, kind: 'promotion' };
    if (emptySpace) return undefined;
    const spread = 0.15 + 0.05 * Math.min(track.trialsAtRung, 6);
    for (let attempt = 0; attempt < 20; attempt += 1) {
      const params = { ...track.defaults, ...sampleAround(space, centre, track.random, spread) };
      if (!track.tried.has(`${track.rung}|${paramsKey(params)}`))
        return { track, rung: track.rung, params, kind: 'random' };
    }
    return undefined;
  };

  const runTrial = (proposal: Proposal, trialNumber: number, trialSeed: number): LeaderboardRow => {
    const { track, params } = proposal;
    const trialStart = now();
    const foldRandom = new SeededRandom(trialSeed);
    let fitMs = 0;
    let predictMs = 0;
    let status: TrialStatus = 'ok';
    let stop = 'completed';
    const models: FittedModel[] = [];
    const predictions: Predictions[] = [];
    const trainRows = rowsAtRung(firstFold, proposal.rung);
    let fitStart: number | undefined;
    // Clustering scores the silhouette in the space the model clusters: after its preparation.
    let clusteringPreparation: InputPreparation | undefined;
    try {
      for (const fold of folds) {
        const n = rowsAtRung(fold, proposal.rung);
        let x = fold.trainX;
        let y = fold.trainTarget;
        if (n < fold.trainX.nRows) {
          const rowsOf = fold.order.slice(0, n).sort();
          x = selectMatrixRows(fold.trainX, rowsOf);
          y = targetRows(fold.trainTarget, rowsOf);
        }
        fitStart = now();
        const fitOptions = { seed: foldRandom.nextUint32(), deadline };
        let model: FittedModel;
        if (track.prepare) {
          const preparation = fitInputPreparation(x, track.prepare);
          clusteringPreparation = preparation;
          model = preparedModel(
            preparation,
            track.spec.fit(applyInputPreparation(preparation, x), y, params, fitOptions),
          );
        } else {
          model = track.spec.fit(x, y, params, fitOptions);
        }
        fitMs += now() - fitStart;
        fitStart = undefined;
        const foldStop = stopReasonOfState(model.toState());
        if (foldStop === 'deadline') {
          status = 'timeout';
          stop = 'deadline';
          break;
        }
        if (foldStop !== 'completed' && stop === 'completed') stop = foldStop;
        const predictStart = now();
        predictions.push(predictionsOf(model, fold.validX));
        predictMs += now() - predictStart;
        models.push(model);
      }
    } catch (error) {
      if (fitStart !== undefined) fitMs += now() - fitStart;
      if (error instanceof DeadlineExceededError) {
        status = 'timeout';
        stop = 'deadline';
      } else {
        status = 'error';
        stop = errorMessage(error);
      }
    }
    let validationScore: number | null = null;
    let testScore: number | null = null;
    let artifactBytes: number | null = null;
    let keptEntry: Omit<Kept, 'row'> | undefined;
    if (status === 'ok') {
      try {
        const combined = concatPredictions(predictions);
        const inModelSpace = (truth: Truth): Truth =>
          truth.kind === 'features' && clusteringPreparation
            ? { kind: 'features', x: applyInputPreparation(clusteringPreparation, truth.x) }
            : truth;
        validationScore = scorePredictions(metric, inModelSpace(validTruth), combined, seed);
        const first = models[0];
        if (!first) throw new Error('No model was fitted');
        const model =
          models.length === 1 || first.problemType === 'clustering'
            ? first
            : ensembleModel(
                models.map((m) => {
                  if (m.problemType === 'clustering') throw new Error('Clustering folds cannot be averaged');
                  return { model: m, weight: 1 };
                }),
              );
        const state = model.toState();
        artifactBytes = utf8Bytes(canonicalJson(state));
        if (test) {
          try {
            testScore = scorePredictions(
              metric,
              inModelSpace(test.truth),
              predictionsOf(model, test.x),
              seed,
            );
          } catch {
            testScore = null;
          }
        }
        keptEntry = { oriented: orientedScore(metric, validationScore), model, state, predictions: combined };
      } catch (error) {
        status = 'error';
        stop = `scoring failed: ${errorMessage(error)}`;
        validationScore = null;
      }
    }
    const elapsedSeconds = (now() - trialStart) / 1000;
    if (status === 'ok') {
      const estimate = rawEstimate(proposal);
      if (elapsedSeconds >= MIN_SECONDS_FOR_SPEED && estimate > 0)
        track.speedLogs.push(Math.log(elapsedSeconds / estimate));
    }
    const row: LeaderboardRow = {
      trial: trialNumber,
      rank: null,
      learner: track.key,
      hyperparameters: { ...params },
      trainRows,
      validationScore,
      testScore,
      fitSeconds: fitMs / 1000,
      predictMsPer1000Rows: status === 'ok' ? (predictMs / validationRows) * 1000 : null,
      artifactBytes,
      status,
      stopReason: stop,
    };
    if (keptEntry) keep({ row, ...keptEntry });
    return row;
  };

  const keep = (entry: Kept): void => {
    let at = kept.length;
    while (at > 0 && (kept[at - 1]?.oriented ?? -Infinity) < entry.oriented) at -= 1;
    kept.splice(at, 0, entry);
    if (kept.length > keepCount) kept.length = keepCount;
  };

  const ranked = (): Track[] =>
    [...tracks].sort((a, b) => {
      const sa = a.best?.oriented ?? -Infinity;
      const sb = b.best?.oriented ?? -Infinity;
      return sa !== sb ? sb - sa : a.order - b.order;
    });

  // Round 0: defaults, cheapest learner first.
  let round = 0;
  search: for (;;) {
    const alive = tracks.filter((t) => !t.exhausted && t.consecutiveErrors < MAX_CONSECUTIVE_ERRORS);
    let active: Track[];
    if (round === 0) {
      active = [...alive].sort((a, b) => {
        const ea = rawEstimate({ track: a, rung: 0, params: a.defaults, kind: 'defaults' });
        const eb = rawEstimate({ track: b, rung: 0, params: b.defaults, kind: 'defaults' });
        return ea !== eb ? ea - eb : a.order - b.order;
      });
    } else {
      const waiting = alive.filter((t) => t.trials === 0);
      const leaders = ranked()
        .filter((t) => alive.includes(t) && t.trials > 0)
        .slice(0, ACTIVE_LEARNERS);
      active = [...leaders, ...waiting];
    }
    if (active.length === 0) {
      stopReason = 'search_exhausted';
      break;
    }
    let started = 0;
    let skipped = 0;
    for (const track of active) {
      if (rows.length >= (input.maxTrials ?? TRIALS_WITHOUT_LIMIT)) {
        stopReason = 'max_trials';
        break search;
      }
      if (now() >= searchEndMs) {
        stopReason = 'time_budget';
        break search;
      }
      const proposal = propose(track);
      if (!proposal) {
        track.exhausted = true;
        continue;
      }
      const estimate = rawEstimate(proposal) * speedFactor(track);
      const secondsLeft = (searchEndMs - now()) / 1000;
      if (estimate > secondsLeft) {
        const trainRows = rowsAtRung(firstFold, proposal.rung);
        if (!cheapestSkipped || estimate < cheapestSkipped.seconds)
          cheapestSkipped = { learner: track.key, rows: trainRows, seconds: estimate };
        if (reproducible) {
          stopReason = 'no_affordable_trial';
          break search;
        }
        skipped += 1;
        if (proposal.kind === 'promotion') track.promotionBlocked = true;
        continue;
      }
      // Commit the proposal.
      track.tried.add(`${proposal.rung}|${paramsKey(proposal.params)}`);
      if (proposal.rung !== track.rung) {
        track.rung = proposal.rung;
        track.trialsAtRung = 0;
      }
      track.trials += 1;
      track.trialsAtRung += 1;
      const row = runTrial(proposal, rows.length + 1, trialSeeds.nextUint32());
      rows.push(row);
      started += 1;
      if (row.status === 'error') track.consecutiveErrors += 1;
      else track.consecutiveErrors = 0;
      if (row.status === 'ok' && row.validationScore !== null) {
        const oriented = orientedScore(metric, row.validationScore);
        if (!track.best || oriented > track.best.oriented)
          track.best = { oriented, params: row.hyperparameters };
      }
      options.onTrial?.(row);
      reportProgress(
        Math.max(
          (now() - startMs) / (endMs - startMs),
          input.maxTrials !== undefined ? rows.length / input.maxTrials : 0,
        ),
      );
    }
    if (started === 0) {
      stopReason = skipped > 0 ? 'no_affordable_trial' : 'search_exhausted';
      break;
    }
    round += 1;
  }
  if (stopReason === 'no_affordable_trial' && now() >= searchEndMs) stopReason = 'time_budget';

  // Ranking.
  const scored = rows
    .filter((r) => r.status === 'ok' && r.validationScore !== null)
    .sort((a, b) => {
      const d = orientedScore(metric, b.validationScore ?? 0) - orientedScore(metric, a.validationScore ?? 0);
      return d !== 0 ? d : a.trial - b.trial;
    });
  const rankOf = new Map<number, number>();
  scored.forEach((r, i) => rankOf.set(r.trial, i + 1));
  const leaderboard = [
    ...scored.map((r) => ({ ...r, rank: rankOf.get(r.trial) ?? null })),
    ...rows.filter((r) => !rankOf.has(r.trial)),
  ];

  const bestKept = kept[0];
  const validation = {
    kind: plan.kind,
    trainRows: firstFold.trainX.nRows,
    validationRows,
    folds: folds.length,
  };
  const base = {
    problemType,
    metric,
    greaterIsBetter: METRIC_DEFINITIONS[metric].greaterIsBetter,
    validation,
    stopReason,
    leaderboard,
    skippedLearners,
  };
  if (!bestKept) {
    options.onProgress?.(1);
    return {
      ...base,
      status: 'no_model',
      reason: noModelReason(),
      elapsedSeconds: (now() - startMs) / 1000,
    };
  }
  const best: AutoMlModel = {
    source: 'trial',
    trial: bestKept.row.trial,
    learner: bestKept.row.learner,
    hyperparameters: bestKept.row.hyperparameters,
    validationScore: bestKept.row.validationScore ?? NaN,
    testScore: bestKept.row.testScore,
    state: bestKept.state,
    model: bestKept.model,
    artifactBytes: bestKept.row.artifactBytes ?? 0,
  };

  let ensemble: AutoMlEnsemble | undefined;
  if (input.ensemble && problemType !== 'clustering' && kept.length >= 2 && now() < endMs) {
    const candidates = kept.slice(0, Math.max(1, input.ensemble.topK));
    const selection = selectEnsemble(
      candidates,
      validTruth,
      metric,
      input.ensemble.rounds ?? DEFAULT_ENSEMBLE_ROUNDS,
    );
    const members = candidates
      .map((c, i) => ({ c, weight: selection.weights[i] ?? 0 }))
      .filter((m) => m.weight > 0);
    if (members.length >= 2) {
      const model = ensembleModel(
        members.map(({ c, weight }) => {
          if (c.model.problemType === 'clustering') throw new Error('Clustering models cannot be ensembled');
          return { model: c.model, weight };
        }),
      );
      const state = model.toState();
      let testScore: number | null = null;
      if (test) {
        try {
          testScore = scorePredictions(metric, test.truth, predictionsOf(model, test.x), seed);
        } catch {
          testScore = null;
        }
      }
      ensemble = {
        source: 'ensemble',
        trial: null,
        learner: 'ensemble',
        hyperparameters: { topK: candidates.length },
        validationScore: selection.score,
        testScore,
        state,
        model,
        artifactBytes: utf8Bytes(canonicalJson(state)),
        members: members.map(({ c, weight }) => ({ trial: c.row.trial, learner: c.row.learner, weight })),
      };
    }
  }
  const useEnsemble =
    ensemble !== undefined && orientedScore(metric, ensemble.validationScore) > bestKept.oriented;
  options.onProgress?.(1);
  return {
    ...base,
    status: 'ok',
    elapsedSeconds: (now() - startMs) / 1000,
    model: useEnsemble && ensemble ? ensemble : best,
    best,
    ...(ensemble ? { ensemble } : {}),
  };

  function noModelReason(): string {
    const budget = formatSeconds(input.timeBudgetSeconds);
    if (tracks.length === 0) {
      const skipped = skippedLearners.map((s) => `${s.learner} (${s.reason})`).join('; ');
      return `No learner can train a ${problemType} model here${skipped ? `: ${skipped}` : ''}.`;
    }
    if (rows.length === 0 && cheapestSkipped)
      return (
        `The time budget of ${budget} is too small: the cheapest trial (${cheapestSkipped.learner} on ` +
        `${cheapestSkipped.rows} rows) needs about ${formatSeconds(cheapestSkipped.seconds)}. ` +
        `Raise timeBudgetSeconds to at least ${Math.ceil(cheapestSkipped.seconds * 1.5) + 1} s.`
      );
    if (rows.length === 0) return `The time budget of ${budget} ran out before any trial could start.`;
    const timeouts = rows.filter((r) => r.status === 'timeout').length;
    const errors = rows.filter((r) => r.status === 'error');
    const parts: string[] = [];
    if (timeouts > 0) parts.push(`${timeouts} ran out of time (budget ${budget})`);
    if (errors.length > 0)
      parts.push(`${errors.length} failed (first error: ${errors[0]?.stopReason ?? 'unknown'})`);
    return `None of the ${rows.length} trial(s) produced a model: ${parts.join('; ')}.`;
  }
}
