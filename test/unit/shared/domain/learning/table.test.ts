import { describe, expect, it } from 'vitest';
import {
  booleanColumn,
  ColumnNotFoundError,
  compareCodePoints,
  createTable,
  datetimeColumn,
  editDistance,
  encodeLabels,
  encodeLabelsWith,
  getColumn,
  numberColumn,
  selectRows,
  stringColumn,
  TableError,
  toFeatureMatrix,
} from '../../../../../shared/domain/learning/table';

const table = createTable([
  numberColumn('age', [30, null, 50]),
  stringColumn('city', ['Paris', null, 'Lyon']),
  datetimeColumn('signup', [Date.UTC(2024, 0, 1), null, new Date(Date.UTC(2024, 5, 1))]),
  booleanColumn('active', [true, false, null]),
]);

describe('createTable', () => {
  it('stores booleans and datetimes as Float64Array with NaN for missing', () => {
    expect(Array.from<unknown>(getColumn(table, 'active').values)).toEqual([1, 0, NaN]);
    expect(Array.from<unknown>(getColumn(table, 'signup').values)).toEqual([
      Date.UTC(2024, 0, 1),
      NaN,
      Date.UTC(2024, 5, 1),
    ]);
    expect(table.nRows).toBe(3);
  });

  it.each([
    ['columns of different lengths', [numberColumn('a', [1, 2]), numberColumn('b', [1])], /"b" has 1 values/],
    ['repeated names', [numberColumn('a', [1]), stringColumn('a', ['x'])], /Two columns are called "a"/],
  ])('rejects %s', (_, columns, message) => {
    expect(() => createTable(columns)).toThrow(message);
  });
});

describe('getColumn', () => {
  it('names the existing columns and the closest match', () => {
    const error = (() => {
      try {
        getColumn(table, 'agee');
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(ColumnNotFoundError);
    expect((error as Error).message).toBe(
      'no column "agee". Did you mean "age"? Columns: "age", "city", "signup", "active".',
    );
  });

  it('gives no suggestion when nothing is close', () => {
    expect(() => getColumn(table, 'zzzzzzzzzz', 'scale')).toThrow(
      'scale: no column "zzzzzzzzzz". Columns: "age", "city", "signup", "active".',
    );
  });

  it('treats prototype names as ordinary names', () => {
    expect(() => getColumn(table, '__proto__')).toThrow(ColumnNotFoundError);
    expect(() => getColumn(table, 'constructor')).toThrow(ColumnNotFoundError);
  });
});

describe('editDistance', () => {
  it.each([
    ['', '', 0],
    ['abc', '', 3],
    ['kitten', 'sitting', 3],
    ['age', 'agee', 1],
    ['flaw', 'lawn', 2],
  ])('%j → %j is %i', (a, b, d) => {
    expect(editDistance(a, b)).toBe(d);
    expect(editDistance(b, a)).toBe(d);
  });
});

describe('selectRows', () => {
  it('copies the rows at the indices, in order, for every kind', () => {
    const picked = selectRows(table, [2, 0, 2]);
    expect(picked.nRows).toBe(3);
    expect(getColumn(picked, 'city').values).toEqual(['Lyon', 'Paris', 'Lyon']);
    expect(Array.from<unknown>(getColumn(picked, 'age').values)).toEqual([50, 30, 50]);
    expect(getColumn(picked, 'active').kind).toBe('boolean');
  });

  it('does not share arrays with the input', () => {
    const picked = selectRows(table, [0]);
    expect(getColumn(picked, 'age').values).not.toBe(getColumn(table, 'age').values);
  });

  it.each([[[3]], [[-1]], [[0.5]]])('rejects the index %j', (indices) => {
    expect(() => selectRows(table, indices)).toThrow(TableError);
  });
});

describe('toFeatureMatrix', () => {
  it('passes number, boolean and datetime columns through, with category counts', () => {
    const m = toFeatureMatrix(table, ['age', 'active', 'signup'], { active: 2 });
    expect(m.nRows).toBe(3);
    expect(m.names).toEqual(['age', 'active', 'signup']);
    expect(m.columns[0]).toBe(getColumn(table, 'age').values);
    expect(m.categories).toEqual([undefined, 2, undefined]);
  });

  it('leaves categories out when no feature is categorical', () => {
    expect(toFeatureMatrix(table, ['age']).categories).toBeUndefined();
  });

  it('names a text column that was not encoded', () => {
    expect(() => toFeatureMatrix(table, ['age', 'city'])).toThrow(
      'Feature "city" is a text column; encode it first (one-hot, ordinal encode or TF-IDF).',
    );
  });

  it('names a missing feature', () => {
    expect(() => toFeatureMatrix(table, ['cty'])).toThrow('Did you mean "city"?');
  });

  it('ignores inherited keys of the encodings object', () => {
    const withProto = createTable([numberColumn('constructor', [1])]);
    expect(toFeatureMatrix(withProto, ['constructor']).categories).toBeUndefined();
  });
});

describe('compareCodePoints', () => {
  it('orders by code point, as Python does', () => {
    const astral = '\u{1F600}';
    const highBmp = '\uFF01';
    expect(compareCodePoints(highBmp, astral)).toBeLessThan(0);
    expect(highBmp < astral).toBe(false); // UTF-16 order would disagree
    expect(['b', 'B', 'a', 'ab', ''].sort(compareCodePoints)).toEqual(['', 'B', 'a', 'ab', 'b']);
  });
});

describe('encodeLabels', () => {
  it.each([
    ['numbers numerically', numberColumn('y', [10, 2, 1, 2]), [1, 2, 10], [2, 1, 0, 1]],
    ['strings by code point', stringColumn('y', ['b', 'B', 'a', 'b']), ['B', 'a', 'b'], [2, 0, 1, 2]],
    ['booleans false first', booleanColumn('y', [true, false, true]), [false, true], [1, 0, 1]],
  ])('sorts %s like LabelEncoder', (_, column, classes, labels) => {
    const encoded = encodeLabels(createTable([column]), 'y');
    expect(encoded.classes).toEqual(classes);
    expect(Array.from(encoded.target.labels)).toEqual(labels);
    expect(encoded.target.nClasses).toBe(classes.length);
  });

  it('rejects a missing label, naming the row', () => {
    expect(() => encodeLabels(createTable([stringColumn('y', ['a', null])]), 'y')).toThrow(
      'Target "y" is missing at row 1',
    );
  });

  it('encodes test rows with the training classes and names a class never seen', () => {
    const { classes } = encodeLabels(createTable([stringColumn('y', ['no', 'yes'])]), 'y');
    const test = createTable([stringColumn('y', ['yes', 'yes', 'no'])]);
    expect(Array.from(encodeLabelsWith(classes, test, 'y').labels)).toEqual([1, 1, 0]);
    const unseen = createTable([stringColumn('y', ['maybe'])]);
    expect(() => encodeLabelsWith(classes, unseen, 'y')).toThrow(
      'Target "y" has the class "maybe" at row 0, which the training rows never had.',
    );
  });
});
