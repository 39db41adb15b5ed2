import { describe, expect, it } from 'vitest';
import {
  booleanColumn,
  createTable,
  datetimeColumn,
  numberColumn,
  selectRows,
  stringColumn,
  toFeatureMatrix,
} from '../../../../../../shared/domain/learning/table';
import {
  applyTransformChain,
  describeTransformState,
  fitTransformChain,
  TRANSFORM_KINDS,
  TransformStepError,
  UnknownTransformError,
  type TransformStep,
} from '../../../../../../shared/domain/learning/transforms/transform-chain';
import { TransformParamsError } from '../../../../../../shared/domain/learning/transforms/params-reader';
import {
  TransformStateError,
  type TransformState,
} from '../../../../../../shared/domain/learning/transforms/transform-state';
import { expectReplayable, plain, valuesOf } from './transform-test-support';

const table = createTable([
  numberColumn('income', [10, 20, null, 30, 40, 20, 1000]),
  stringColumn('city', ['Paris', 'Lyon', 'Paris', null, 'Nice', 'Lyon', 'Oslo']),
  stringColumn('plan', ['a', 'b', 'a', 'c', 'b', 'b', 'z']),
  stringColumn('note', ['great service', 'slow service', null, 'great great', 'ok', 'slow service', 'new']),
  datetimeColumn('joined', [0, 86_400_000 * 5, null, 86_400_000 * 400, 86_400_000 * 800, 86_400_000 * 5, 0]),
  booleanColumn('vip', [true, false, false, null, true, false, true]),
  numberColumn('constant', [1, 1, 1, 1, 1, 1, 1]),
  stringColumn('target', ['yes', 'no', 'yes', 'no', 'yes', 'no', 'no']),
]);
const train = selectRows(table, [0, 1, 2, 3, 4, 5]);
const test = selectRows(table, [6]);

const steps: TransformStep[] = [
  { kind: 'drop_columns' },
  { kind: 'derived_column', params: { name: 'income_log', expression: 'log(coalesce(income, 0) + 1)' } },
  { kind: 'impute', params: { addIndicator: true } },
  { kind: 'clip_outliers', params: { columns: ['income'] } },
  { kind: 'date_parts', params: { parts: ['year', 'dayOfWeek', 'isWeekend'] } },
  { kind: 'one_hot', params: { columns: ['city'], maxCategories: 2 } },
  { kind: 'ordinal_encode', params: { columns: ['plan'] } },
  { kind: 'tfidf', params: { column: 'note' } },
  { kind: 'scale' },
];
const context = { passthrough: ['target'] };

describe('fitTransformChain', () => {
  const fitted = fitTransformChain(steps, train, context);

  it('fits every step on the previous output and returns the transformed training table', () => {
    expect(fitted.states.map((s) => s.kind)).toEqual(steps.map((s) => s.kind));
    expect(fitted.table.nRows).toBe(6);
    expect(plain(fitted.table).columns.map((c) => c.name)).toEqual([
      'income',
      'income__missing',
      'city=Lyon',
      'city=Paris',
      'city=(other)',
      'city__missing',
      'plan',
      'note__tfidf__great',
      'note__tfidf__ok',
      'note__tfidf__service',
      'note__tfidf__slow',
      'note__missing',
      'joined__year',
      'joined__day_of_week',
      'joined__is_weekend',
      'joined__missing',
      'vip',
      'vip__missing',
      'target',
      'income_log',
    ]);
    expect(plain(applyTransformChain(fitted.states, train))).toEqual(plain(fitted.table));
  });

  it('keeps the target and ordinal codes out of default column choices', () => {
    expect(valuesOf(fitted.table, 'target')).toEqual(['yes', 'no', 'yes', 'no', 'yes', 'no']);
    expect(valuesOf(fitted.table, 'plan')).toEqual([0, 1, 0, 2, 1, 1]);
    expect(fitted.categoricalEncodings).toEqual({ plan: 3 });
    const matrix = toFeatureMatrix(fitted.table, ['income', 'plan'], fitted.categoricalEncodings);
    expect(matrix.categories).toEqual([undefined, 3]);
  });

  it('fits on the training rows only: the test row does not move the statistics', () => {
    const out = applyTransformChain(fitted.states, test);
    // income 1000 is clipped to the training fences and scaled with the training mean and std.
    const withTest = fitTransformChain(steps, table, context);
    expect(valuesOf(out, 'income')).not.toEqual(valuesOf(withTest.table, 'income').slice(6));
    expect(valuesOf(out, 'plan')).toEqual([null]);
    expect(valuesOf(out, 'city=(other)')).toEqual([0]);
  });

  it('reports warnings with their step', () => {
    expect(fitted.warnings).toEqual([
      {
        step: 0,
        kind: 'drop_columns',
        message: 'Dropped column "constant": every training row has the same value.',
      },
      {
        step: 5,
        kind: 'one_hot',
        // Missing cities were imputed with "Lyon" by then: Lyon, Paris, Nice.
        message:
          'Column "city" has 3 categories; 1 (rarer than minFrequency or beyond the top 2) grouped as "city=(other)".',
      },
    ]);
  });

  it('replays from JSON identically, and one row at a time equals the batch', () => {
    const states = JSON.parse(JSON.stringify(fitted.states)) as TransformState[];
    expect(plain(applyTransformChain(states, table))).toEqual(
      plain(applyTransformChain(fitted.states, table)),
    );
    expectReplayable(fitted.states, (s, t, o) => applyTransformChain(s, t, o), table);
  });

  it('serves prediction rows without the target', () => {
    const row = createTable(
      table.columns.filter((c) => c.name !== 'target'),
      table.nRows,
    );
    const out = applyTransformChain(fitted.states, selectRows(row, [6]), { mode: 'prediction' });
    expect(out.nRows).toBe(1);
    expect(out.columns.some((c) => c.name === 'target')).toBe(false);
  });

  it('deduplicates training and test rows but never prediction rows', () => {
    const dup = selectRows(table, [1, 5, 0]); // rows 1 and 5 are identical
    const chain = fitTransformChain([{ kind: 'deduplicate' }], dup);
    expect(chain.table.nRows).toBe(2);
    expect(applyTransformChain(chain.states, dup).nRows).toBe(2);
    expect(applyTransformChain(chain.states, dup, { mode: 'prediction' }).nRows).toBe(3);
  });

  it('describes every state for people', () => {
    expect(fitted.states.map(describeTransformState)).toEqual([
      'Drop columns: constant (every training row has the same value).',
      'Add column "income_log" = log(coalesce(income, 0) + 1).',
      expect.stringMatching(
        /^Impute missing values: income ← mean \(24\) \+ income__missing; city ← most_frequent/,
      ),
      'Clip outliers (iqr): income to [7.25, 41.25].',
      'Date parts (UTC) year, dayOfWeek, isWeekend of joined.',
      'One-hot encode (unseen categories → all zeros): city → 3 column(s) (1 as other).',
      'Ordinal encode (unseen → missing): plan (3 codes).',
      'TF-IDF of "note": 4 terms (n-grams 1–1, l2 norm), fitted on 6 documents.',
      expect.stringMatching(/^Scale \(x − mean\) \/ std: income \(center /),
    ]);
  });

  it('lists every kind with a summary', () => {
    expect(TRANSFORM_KINDS.map((k) => k.kind)).toEqual([
      'impute',
      'scale',
      'one_hot',
      'ordinal_encode',
      'date_parts',
      'clip_outliers',
      'deduplicate',
      'cast',
      'drop_columns',
      'derived_column',
      'tfidf',
      'text_clean',
      'text_tokenize',
    ]);
    for (const k of TRANSFORM_KINDS) expect(k.summary.length).toBeGreaterThan(10);
  });
});

describe('transform chain errors', () => {
  it('names an unknown kind, the closest one and the known kinds', () => {
    expect(() => fitTransformChain([{ kind: 'scael' }], train)).toThrow(UnknownTransformError);
    expect(() => fitTransformChain([{ kind: 'scael' }], train)).toThrow(
      'Unknown transform kind "scael". Did you mean "scale"? Kinds: impute, scale, one_hot,',
    );
    expect(() => applyTransformChain([{ kind: 'explode', format: 1 }], train)).toThrow(
      'Unknown transform kind "explode".',
    );
    expect(() => describeTransformState({ kind: 'toString', format: 1 })).toThrow(UnknownTransformError);
  });

  it('names the failing step and keeps the cause', () => {
    let error: unknown;
    try {
      fitTransformChain([{ kind: 'scale' }, { kind: 'impute', params: { strategy: 'avg' } }], train);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(TransformStepError);
    expect(error).toMatchObject({ step: 1, kind: 'impute' });
    expect((error as Error).message).toMatch(/^Transform step 2 \(impute\): impute: strategy must be one of/);
    expect((error as Error).cause).toBeInstanceOf(TransformParamsError);
  });

  it('rejects a state of an unsupported format', () => {
    expect(() =>
      applyTransformChain([{ kind: 'scale', format: 2 } as unknown as TransformState], train),
    ).toThrow(TransformStateError);
    expect(() =>
      applyTransformChain([{ kind: 'scale', format: 2 } as unknown as TransformState], train),
    ).toThrow('scale state format 2 is not supported (this version reads format 1).');
  });

  it('rejects malformed steps', () => {
    expect(() => fitTransformChain([{ params: {} } as unknown as TransformStep], train)).toThrow(
      'Transform step 1 must be an object with a "kind" string.',
    );
  });
});
