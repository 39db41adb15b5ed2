import { describe, expect, it } from 'vitest';
import { AppError } from '../../../../../shared/kernel/app-error';
import {
  requireCompleteFeatures,
  requireEnoughRows,
  requireSameFeatures,
  resolveFeatureLayout,
} from '../../../../../shared/domain/monitoring/feature-layout';

const columns = [
  { name: 'participant', numeric: false },
  { name: 'session', numeric: true },
  { name: 'f_0', numeric: true },
  { name: 'f_1', numeric: true },
  { name: 'f_2', numeric: true },
  { name: 'note', numeric: false },
];

function problem(run: () => void): AppError {
  try {
    run();
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  throw new Error('expected a problem');
}

describe('feature range', () => {
  it('takes the columns from startDim to endDim as features and those before them (up to endMeta) as metadata', () => {
    expect(resolveFeatureLayout(columns, { startDim: 'f_0', endDim: 'f_2' })).toEqual({
      features: ['f_0', 'f_1', 'f_2'],
      metadata: ['participant', 'session'],
    });
    expect(
      resolveFeatureLayout(columns, { startDim: 'f_0', endDim: 'f_1', endMeta: 'participant' }).metadata,
    ).toEqual(['participant']);
  });

  it('names the range columns that do not exist', () => {
    const error = problem(() => resolveFeatureLayout(columns, { startDim: 'f_0', endDim: 'f_1023' }));
    expect(error.status).toBe(400);
    expect(error.code).toBe('MONITORING.FEATURE_RANGE_NOT_FOUND');
    expect(error.field).toBe('config.endDim');
    expect(error.message).toContain('"f_1023"');
    expect(error.message).toContain('"participant"');
  });

  it('says which feature columns are not numeric', () => {
    const error = problem(() => resolveFeatureLayout(columns, { startDim: 'session', endDim: 'note' }));
    expect(error.code).toBe('MONITORING.NON_NUMERIC_FEATURES');
    expect(error.message).toContain('"note"');
    expect(error.message).not.toContain('"f_0"');
  });

  it('refuses fewer than 3 rows and missing values, naming the columns', () => {
    expect(problem(() => requireEnoughRows(2)).code).toBe('MONITORING.TOO_FEW_ROWS');
    expect(() => requireEnoughRows(3)).not.toThrow();
    const error = problem(() =>
      requireCompleteFeatures(
        ['a', 'b'],
        [Float64Array.from([1, 2]), Float64Array.from([1, NaN])],
        'datasetVersionId',
      ),
    );
    expect(error.message).toContain('"b"');
    expect(error.message).not.toContain('"a"');
  });

  it('names the differences when a monitored version’s features are not the baseline’s', () => {
    const monitored = [
      { name: 'f_0', numeric: true },
      { name: 'f_1', numeric: false },
      { name: 'f_3', numeric: true },
    ];
    const error = problem(() =>
      requireSameFeatures(['f_0', 'f_1', 'f_2'], monitored, { startDim: 'f_0', endDim: 'f_3' }),
    );
    expect(error.code).toBe('MONITORING.FEATURES_DIFFER');
    expect(error.message).toContain('missing "f_2"');
    expect(error.message).toContain('not numeric "f_1"');
    expect(error.message).toContain('not in the baseline "f_3"');
    expect(() =>
      requireSameFeatures(['f_0', 'f_1', 'f_2'], columns, { startDim: 'f_0', endDim: 'f_2' }),
    ).not.toThrow();
  });
});
