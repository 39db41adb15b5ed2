import { describe, expect, it } from 'vitest';
import type { ColumnProfile } from '../../../../../../shared/domain/datasets/profiling/profile-report';
import { profileWarnings } from '../../../../../../shared/domain/datasets/profiling/profile-warnings';
import {
  detectCsvDialect,
  splitRecords,
} from '../../../../../../shared/domain/datasets/ingestion/workers/detect-csv-dialect';

function col(partial: Partial<ColumnProfile>): ColumnProfile {
  return {
    name: 'c',
    type: 'DOUBLE',
    kind: 'numeric',
    count: 100,
    missing: 0,
    missingPercent: 0,
    approxDistinct: 50,
    min: 0,
    max: 10,
    mean: 5,
    std: 2,
    q25: 2,
    q50: 5,
    q75: 7,
    skewness: 0.1,
    topValues: [],
    histogram: null,
    ...partial,
  };
}

describe('profile warnings', () => {
  it('flags constant, all-missing, mostly-missing, high-cardinality and skewed columns', () => {
    const warnings = profileWarnings({
      rowCount: 100,
      duplicateRows: 0,
      correlations: [],
      columns: [
        col({ name: 'const', min: 3, max: 3, approxDistinct: 1 }),
        col({ name: 'empty', count: 0, missing: 100, missingPercent: 100, min: null, max: null }),
        col({ name: 'sparse', count: 30, missing: 70, missingPercent: 70 }),
        col({
          name: 'email',
          kind: 'text',
          type: 'VARCHAR',
          approxDistinct: 99,
          min: 'a',
          max: 'z',
          skewness: null,
        }),
        col({ name: 'income', skewness: 4.2 }),
        col({ name: 'fine' }),
      ],
    });
    expect(warnings.map((w) => [w.code, w.column])).toEqual([
      ['constant', 'const'],
      ['all_missing', 'empty'],
      ['high_missing', 'sparse'],
      ['high_cardinality', 'email'],
      ['skewed', 'income'],
    ]);
  });

  it('hints at target leakage only for near-perfect correlation with the target', () => {
    const warnings = profileWarnings({
      rowCount: 10,
      duplicateRows: 2,
      columns: [],
      targetColumn: 'price',
      correlations: [
        { a: 'price', b: 'price_copy', r: -0.995 },
        { a: 'size', b: 'price', r: 0.9 },
        { a: 'size', b: 'rooms', r: 0.999 },
      ],
    });
    expect(warnings.map((w) => [w.code, w.column ?? null])).toEqual([
      ['target_leakage', 'price_copy'],
      ['duplicate_rows', null],
    ]);
  });
});

describe('CSV dialect detection', () => {
  it.each([
    ['a;b;c\n1;2,5;3\n4;5;6\n', ';'],
    ['a\tb\n1\t2\n', '\t'],
    ['a,b\n1,"x;y"\n2,"z"\n', ','],
    ['a|b|c\n1|2|3\n', '|'],
    ['single\nvalue\n', ','],
  ])('finds the delimiter of %j', (text, delimiter) => {
    expect(detectCsvDialect(text).delimiter).toBe(delimiter);
  });

  it('picks the delimiter that splits most rows the same way even with ragged rows', () => {
    const text = 'a,b,c\n1,2,3\n4,5\n6,7,8,9\n10,11,12\n13,14,15\n';
    expect(detectCsvDialect(text).delimiter).toBe(',');
  });

  it('keeps quoted delimiters, doubled quotes and newlines inside a field', () => {
    expect(splitRecords('id,note\r\n1,"a, ""b""\r\nc"\r\n2,d\r\n', ',').records).toEqual([
      ['id', 'note'],
      ['1', 'a, "b"\r\nc'],
      ['2', 'd'],
    ]);
  });
});
