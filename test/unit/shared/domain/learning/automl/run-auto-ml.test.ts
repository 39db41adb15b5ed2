import { describe, expect, it } from 'vitest';
import {
  AutoMlInputError,
  restoreModel,
  runAutoMl,
  sampleLadder,
  type AutoMlResult,
  type LeaderboardRow,
} from '../../../../../../shared/domain/learning/automl';
import type { FittedModel } from '../../../../../../shared/domain/learning/learner';
import { LEARNER_CATALOG } from '../../../../../../shared/domain/learning/learner-catalog';
import { SeededRandom } from '../../../../../../shared/domain/learning/random';
import {
  binaryData,
  FakeClock,
  matrix,
  regressionData,
  scriptedLearner,
  threeClassData,
} from './automl-test-support';

/** The leaderboard without durations (which the real clock makes vary). */
function comparable(rows: readonly LeaderboardRow[]) {
  return rows.map(({ fitSeconds: _f, predictMsPer1000Rows: _p, ...rest }) => rest);
}

function probaOf(model: FittedModel, x: Parameters<FittedModel['predict']>[0]): Float64Array[] {
  if (model.problemType !== 'classification') throw new Error('not a classifier');
  return model.predictProba(x);
}

describe('runAutoMl: the time budget', () => {
  it('stops a trial at the deadline, records it as a timeout and returns within the budget', () => {
    const clock = new FakeClock();
    const start = clock.ms;
    // Claims 1 s, really takes 30 s in 30 steps: the deadline cuts it.
    const slow = scriptedLearner({ key: 'slow', clock, estimateSeconds: 1, actualSeconds: 30, units: 30 });
    const { x, y } = binaryData(200, 1);
    const result = runAutoMl(
      { problemType: 'classification', train: x, target: y, timeBudgetSeconds: 10 },
      { now: clock.now, catalog: { slow } },
    );
    expect(clock.ms - start).toBeLessThanOrEqual(10_000 + 2_000);
    expect(result.leaderboard).toHaveLength(1);
    expect(result.leaderboard[0]).toMatchObject({ status: 'timeout', stopReason: 'deadline', rank: null });
    expect(result.status).toBe('no_model');
    expect(result.reason).toMatch(/ran out of time/);
  });

  it('runs trials until the budget is spent and never overruns it', () => {
    const clock = new FakeClock();
    const start = clock.ms;
    const steady = scriptedLearner({ key: 'steady', clock, estimateSeconds: 1, actualSeconds: 1 });
    const { x, y } = binaryData(200, 2);
    const progress: number[] = [];
    const result = runAutoMl(
      { problemType: 'classification', train: x, target: y, timeBudgetSeconds: 10 },
      { now: clock.now, catalog: { steady }, onProgress: (f) => progress.push(f) },
    );
    expect(clock.ms - start).toBeLessThanOrEqual(10_000);
    expect(result.leaderboard.length).toBe(10);
    expect(result.leaderboard.every((r) => r.status === 'ok')).toBe(true);
    expect(['time_budget', 'no_affordable_trial']).toContain(result.stopReason);
    expect(result.status).toBe('ok');
    expect(progress.at(-1)).toBe(1);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
  });

  it('never starts a trial whose estimate exceeds the time left', () => {
    const clock = new FakeClock();
    const leftAtStart: { learner: string; secondsLeft: number }[] = [];
    const cheap = scriptedLearner({
      key: 'cheap',
      clock,
      estimateSeconds: 4,
      actualSeconds: 4,
      onFit: (secondsLeft) => leftAtStart.push({ learner: 'cheap', secondsLeft }),
    });
    const costly = scriptedLearner({
      key: 'costly',
      clock,
      estimateSeconds: 30,
      actualSeconds: 30,
      onFit: (secondsLeft) => leftAtStart.push({ learner: 'costly', secondsLeft }),
    });
    const { x, y } = binaryData(200, 3);
    const result = runAutoMl(
      { problemType: 'classification', train: x, target: y, timeBudgetSeconds: 10 },
      { now: clock.now, catalog: { cheap, costly } },
    );
    // 10 s: two 4 s trials fit, a third would not, and the 30 s learner never starts.
    expect(leftAtStart).toEqual([
      { learner: 'cheap', secondsLeft: 10 },
      { learner: 'cheap', secondsLeft: 6 },
    ]);
    expect(result.leaderboard.map((r) => r.learner)).toEqual(['cheap', 'cheap']);
    expect(result.stopReason).toBe('no_affordable_trial');
  });

  it('corrects the estimates by the speed it observes', () => {
    const clock = new FakeClock();
    const starts: number[] = [];
    // Claims 1 s but takes 3 s: after the first trial, the search expects 3 s per trial.
    const optimistic = scriptedLearner({
      key: 'optimistic',
      clock,
      estimateSeconds: 1,
      actualSeconds: 3,
      onFit: (left) => starts.push(left),
    });
    const { x, y } = binaryData(200, 4);
    const result = runAutoMl(
      { problemType: 'classification', train: x, target: y, timeBudgetSeconds: 10 },
      { now: clock.now, catalog: { optimistic } },
    );
    expect(starts).toEqual([10, 7, 4]);
    expect(result.leaderboard.every((r) => r.status === 'ok')).toBe(true);
  });

  it('gives real learners the deadline of the injected clock', () => {
    // Every reading of the clock moves it 20 ms: the learners see time pass as they check it.
    const clock = new FakeClock(0, 20);
    const { x, y } = binaryData(1500, 18);
    const result = runAutoMl(
      {
        problemType: 'classification',
        train: x,
        target: y,
        timeBudgetSeconds: 1,
        learners: ['hist_gradient_boosting', 'random_forest'],
      },
      { now: clock.now },
    );
    expect(clock.ms).toBeLessThanOrEqual(1000 + 2000);
    expect(result.leaderboard.some((r) => r.status === 'timeout' && r.stopReason === 'deadline')).toBe(true);
  });

  it('explains why a budget too small for any trial gives no model', () => {
    const clock = new FakeClock();
    const { x, y } = binaryData(3000, 5);
    const result = runAutoMl(
      { problemType: 'classification', train: x, target: y, timeBudgetSeconds: 0.001 },
      { now: clock.now },
    );
    expect(result.status).toBe('no_model');
    expect(result.model).toBeUndefined();
    expect(result.leaderboard).toEqual([]);
    expect(result.stopReason).toBe('no_affordable_trial');
    expect(result.reason).toMatch(
      /time budget of 0\.0 s is too small: the cheapest trial \(\w+ on \d+ rows\)/,
    );
    expect(result.reason).toMatch(/Raise timeBudgetSeconds to at least \d+ s/);
  });

  it('with maxTrials, stops instead of skipping to a cheaper trial', () => {
    const clock = new FakeClock();
    const cheap = scriptedLearner({ key: 'cheap', clock, estimateSeconds: 1, actualSeconds: 1 });
    const costly = scriptedLearner({ key: 'costly', clock, estimateSeconds: 30, actualSeconds: 30 });
    const { x, y } = binaryData(200, 6);
    const result = runAutoMl(
      { problemType: 'classification', train: x, target: y, timeBudgetSeconds: 10, maxTrials: 5 },
      { now: clock.now, catalog: { cheap, costly } },
    );
    // Round 0 runs the cheaper defaults first, then meets the unaffordable one and stops.
    expect(result.leaderboard.map((r) => r.learner)).toEqual(['cheap']);
    expect(result.stopReason).toBe('no_affordable_trial');
  });
});

describe('runAutoMl: trials', () => {
  it('records a learner that throws as an error trial and goes on', () => {
    const clock = new FakeClock();
    const boom = scriptedLearner({
      key: 'boom',
      clock,
      estimateSeconds: 0.1,
      actualSeconds: 0.1,
      throws: 'kaput',
    });
    const fine = scriptedLearner({ key: 'fine', clock, estimateSeconds: 0.1, actualSeconds: 0.1 });
    const { x, y } = binaryData(200, 7);
    const seen: LeaderboardRow[] = [];
    const result = runAutoMl(
      { problemType: 'classification', train: x, target: y, timeBudgetSeconds: 60, maxTrials: 8 },
      { now: clock.now, catalog: { boom, fine }, onTrial: (row) => seen.push(row) },
    );
    const errors = result.leaderboard.filter((r) => r.learner === 'boom');
    expect(errors.length).toBeGreaterThanOrEqual(1);
    expect(errors.length).toBeLessThanOrEqual(2);
    for (const row of errors) expect(row).toMatchObject({ status: 'error', stopReason: 'kaput', rank: null });
    expect(
      result.leaderboard.filter((r) => r.learner === 'fine' && r.status === 'ok').length,
    ).toBeGreaterThan(1);
    expect(result.status).toBe('ok');
    expect(result.best?.learner).toBe('fine');
    expect(seen.map((r) => r.trial)).toEqual(seen.map((_, i) => i + 1));
    expect(result.stopReason).toBe('max_trials');
  });

  it('starts every learner with its defaults, cheapest first, then searches around them', () => {
    const clock = new FakeClock(0, 1);
    const { x, y } = binaryData(400, 8);
    const result = runAutoMl(
      {
        problemType: 'classification',
        train: x,
        target: y,
        timeBudgetSeconds: 3600,
        maxTrials: 12,
        learners: ['hist_gradient_boosting', 'decision_tree', 'logistic_regression'],
        seed: 1,
      },
      { now: clock.now },
    );
    const byTrial = [...result.leaderboard].sort((a, b) => a.trial - b.trial);
    const shape = { nRows: 320, nFeatures: 4, nClasses: 2 };
    const keys = ['hist_gradient_boosting', 'decision_tree', 'logistic_regression'] as const;
    const defaults = (key: (typeof keys)[number]) => LEARNER_CATALOG[key].defaults('classification', shape);
    const cheapestFirst = [...keys].sort(
      (a, b) =>
        LEARNER_CATALOG[a].estimateSeconds(shape, defaults(a)) -
        LEARNER_CATALOG[b].estimateSeconds(shape, defaults(b)),
    );
    expect(byTrial.slice(0, 3).map((r) => r.learner)).toEqual(cheapestFirst);
    for (const row of byTrial.slice(0, 3))
      expect(row.hyperparameters).toEqual(defaults(row.learner as (typeof keys)[number]));
    expect(byTrial[0]?.trainRows).toBe(320);
    expect(byTrial).toHaveLength(12);
    const ranks = result.leaderboard.filter((r) => r.rank !== null).map((r) => r.rank);
    expect(ranks).toEqual(ranks.map((_, i) => i + 1));
    const scores = result.leaderboard.flatMap((r) => (r.validationScore === null ? [] : [r.validationScore]));
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
    expect(result.metric).toBe('roc_auc');
    expect(result.best?.validationScore).toBe(scores[0]);
    for (const row of result.leaderboard) {
      expect(row.artifactBytes).toBeGreaterThan(0);
      expect(row.predictMsPer1000Rows).toBeGreaterThanOrEqual(0);
    }
  });

  it('is reproducible with maxTrials: the same leaderboard twice', () => {
    const { x, y } = threeClassData(600, 9);
    const run = (): AutoMlResult =>
      runAutoMl({
        problemType: 'classification',
        train: x,
        target: y,
        timeBudgetSeconds: 600,
        maxTrials: 10,
        seed: 42,
        initialSampleRows: 150,
        learners: ['decision_tree', 'random_forest', 'logistic_regression'],
      });
    const first = run();
    const second = run();
    expect(first.metric).toBe('log_loss');
    expect(first.leaderboard).toHaveLength(10);
    expect(comparable(second.leaderboard)).toEqual(comparable(first.leaderboard));
    expect(second.best?.state).toEqual(first.best?.state);
    // More data as the search goes: some trial was promoted beyond the first sample.
    expect(new Set(first.leaderboard.map((r) => r.trainRows)).size).toBeGreaterThan(1);
  });

  it('trains linear learners on data with missing values and categories by preparing their input', () => {
    const random = new SeededRandom(10);
    const n = 300;
    const numeric = Float64Array.from({ length: n }, () =>
      random.next() < 0.1 ? NaN : random.nextGaussian(),
    );
    const category = Float64Array.from({ length: n }, () => random.nextInt(3));
    const labels = Int32Array.from({ length: n }, (_, i) =>
      (category[i] ?? 0) === 2 || (numeric[i] ?? 0) > 1 ? 1 : 0,
    );
    const x = matrix([numeric, category], [undefined, 3]);
    const result = runAutoMl({
      problemType: 'classification',
      train: x,
      target: { labels, nClasses: 2 },
      timeBudgetSeconds: 600,
      maxTrials: 3,
      learners: ['logistic_regression'],
    });
    expect(result.status).toBe('ok');
    expect(result.best?.state.kind).toBe('prepared_input');
    const restored = restoreModel(result.best?.state ?? { kind: 'none', format: 1 });
    const model = result.best?.model;
    if (!model) throw new Error('no model');
    expect(probaOf(restored, x)).toEqual(probaOf(model, x));
  });

  it('fits linear learners with imputation even on complete rows, so gaps in new rows are filled', () => {
    const { x, y } = regressionData(200, 19);
    const result = runAutoMl({
      problemType: 'regression',
      train: x,
      target: y,
      timeBudgetSeconds: 600,
      maxTrials: 1,
      learners: ['ridge'],
    });
    const model = result.best?.model;
    if (!model) throw new Error('no model');
    const gappy = matrix([
      Float64Array.from([NaN, 1]),
      Float64Array.from([0, NaN]),
      Float64Array.from([1, 1]),
    ]);
    const predicted = model.predict(gappy);
    expect(predicted.every((v) => Number.isFinite(v))).toBe(true);
  });

  it('k-fold validation scores out of fold and keeps the fold models as one ensemble', () => {
    const { x, y } = regressionData(300, 11);
    const result = runAutoMl({
      problemType: 'regression',
      train: x,
      target: y,
      timeBudgetSeconds: 600,
      maxTrials: 4,
      learners: ['ridge', 'linear_regression'],
      validation: { kind: 'kfold', k: 3 },
    });
    expect(result.validation).toEqual({ kind: 'kfold', trainRows: 200, validationRows: 300, folds: 3 });
    expect(result.metric).toBe('r2');
    expect(result.best?.validationScore).toBeGreaterThan(0.9);
    expect(result.best?.state.kind).toBe('ensemble');
    // Ordinary least squares has nothing to search: one trial per sample size.
    expect(result.leaderboard.filter((r) => r.learner === 'linear_regression')).toHaveLength(1);
  });

  it('clusters with k-means and scores the silhouette', () => {
    const random = new SeededRandom(12);
    const n = 240;
    const centre = (i: number): number => (i % 3) * 5;
    const x = matrix([
      Float64Array.from({ length: n }, (_, i) => centre(i) + random.nextGaussian() * 0.3),
      Float64Array.from({ length: n }, (_, i) => -centre(i) + random.nextGaussian() * 0.3),
    ]);
    const result = runAutoMl({ problemType: 'clustering', train: x, timeBudgetSeconds: 600, maxTrials: 6 });
    expect(result.metric).toBe('silhouette');
    expect(result.status).toBe('ok');
    expect(result.best?.learner).toBe('kmeans');
    expect(result.best?.hyperparameters['nClusters']).toBe(3);
  });

  it('rejects inconsistent input with a clear error', () => {
    const { x, y } = binaryData(50, 13);
    expect(() =>
      runAutoMl({ problemType: 'classification', train: x, target: y, timeBudgetSeconds: 0 }),
    ).toThrow(AutoMlInputError);
    expect(() => runAutoMl({ problemType: 'regression', train: x, target: y, timeBudgetSeconds: 5 })).toThrow(
      /Regression needs numeric target values/,
    );
    expect(() =>
      runAutoMl({ problemType: 'classification', train: x, target: y, timeBudgetSeconds: 5, metric: 'r2' }),
    ).toThrow(/does not apply to classification/);
    expect(() =>
      runAutoMl({
        problemType: 'classification',
        train: x,
        target: y,
        timeBudgetSeconds: 5,
        learners: ['xgboost'],
      }),
    ).toThrow(/Unknown learner "xgboost"/);
  });

  it('runs for real on a small data set within a small budget', () => {
    const { x, y } = binaryData(500, 14);
    const test = binaryData(200, 15);
    const result = runAutoMl({
      problemType: 'classification',
      train: x,
      target: y,
      testSet: { x: test.x, y: test.y },
      timeBudgetSeconds: 2,
      ensemble: { topK: 5 },
      seed: 3,
    });
    expect(result.status).toBe('ok');
    expect(result.leaderboard.length).toBeGreaterThan(0);
    expect(result.best?.validationScore).toBeGreaterThan(0.8);
    expect(result.best?.testScore).toBeGreaterThan(0.8);
  });
});

describe('runAutoMl: the ensemble', () => {
  it('is at least as good as its best member on validation', () => {
    const { x, y } = threeClassData(500, 16);
    const result = runAutoMl({
      problemType: 'classification',
      train: x,
      target: y,
      timeBudgetSeconds: 600,
      maxTrials: 10,
      learners: ['decision_tree', 'logistic_regression', 'hist_gradient_boosting'],
      ensemble: { topK: 6 },
      seed: 5,
      initialSampleRows: 200,
    });
    const best = result.best;
    const ensemble = result.ensemble;
    if (!best || !ensemble) throw new Error('expected a best trial and an ensemble');
    // Log loss: lower is better.
    expect(ensemble.validationScore).toBeLessThanOrEqual(best.validationScore);
    expect(result.model?.validationScore).toBeLessThanOrEqual(best.validationScore);
    expect(ensemble.members.length).toBeGreaterThanOrEqual(2);
    expect(ensemble.members.reduce((s, m) => s + m.weight, 0)).toBeCloseTo(1, 12);
    const restored = restoreModel(ensemble.state);
    expect(probaOf(restored, x)).toEqual(probaOf(ensemble.model, x));
  });

  it('blends complementary models into a better one and keeps it as the model', () => {
    const random = new SeededRandom(17);
    const n = 300;
    const truth = Float64Array.from({ length: n }, () => random.nextGaussian());
    const noise = Float64Array.from({ length: n }, () => random.nextGaussian() * 0.5);
    // Feature 0 overshoots by the noise, feature 1 undershoots by it: their mean is exact.
    const x = matrix([truth.map((v, i) => v + (noise[i] ?? 0)), truth.map((v, i) => v - (noise[i] ?? 0))]);
    const clock = new FakeClock();
    const over = scriptedLearner({ key: 'over', clock, estimateSeconds: 0.1, actualSeconds: 0.1, column: 0 });
    const under = scriptedLearner({
      key: 'under',
      clock,
      estimateSeconds: 0.1,
      actualSeconds: 0.1,
      column: 1,
    });
    const catalog = { over, under };
    const result = runAutoMl(
      {
        problemType: 'regression',
        train: x,
        target: truth,
        timeBudgetSeconds: 60,
        maxTrials: 4,
        ensemble: { topK: 4 },
      },
      { now: clock.now, catalog },
    );
    const ensemble = result.ensemble;
    if (!ensemble || !result.best) throw new Error('expected an ensemble');
    expect(ensemble.validationScore).toBeGreaterThan(result.best.validationScore);
    expect(ensemble.validationScore).toBeCloseTo(1, 10);
    expect(new Set(ensemble.members.map((m) => m.learner))).toEqual(new Set(['over', 'under']));
    expect(result.model?.source).toBe('ensemble');
    const restored = restoreModel(ensemble.state, catalog);
    expect(restored.predict(x)).toEqual(ensemble.model.predict(x));
  });
});

describe('sampleLadder', () => {
  it('grows by four from the first sample up to every row', () => {
    expect(sampleLadder(100_000, 2000)).toEqual([2000, 8000, 32000, 100_000]);
    expect(sampleLadder(3000, 2000)).toEqual([3000]);
    expect(sampleLadder(5000, 2000)).toEqual([2000, 5000]);
  });
});
