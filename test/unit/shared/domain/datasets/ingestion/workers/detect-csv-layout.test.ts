import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  detectCsvDialect,
  parseCountLine,
} from '../../../../../../../shared/domain/datasets/ingestion/workers/detect-csv-dialect';
import { describeBinary } from '../../../../../../../shared/domain/datasets/ingestion/workers/text-encoding';
import { TEST_FIXTURES } from '../../../../../../support/repo-paths';

const realWorld = (name: string) =>
  readFileSync(join(TEST_FIXTURES, 'ingestion', 'real-world', name), 'utf8');

describe('layout detection on real files', () => {
  it.each([
    ['breast_cancer.csv', ',', 31, 1, '569,30,malignant,benign'],
    ['wine_data.csv', ',', 14, 1, '178,13,class_0,class_1,class_2'],
    ['iris.csv', ',', 5, 1, '150,4,setosa,versicolor,virginica'],
    ['boston_house_prices.csv', ',', 14, 1, '506,13,,,,,,,,,,,,'],
    ['diabetes_data_raw.csv', ' ', 10, 0, undefined],
    ['co2.csv', ',', 2, 0, undefined],
  ])('%s: delimiter %j, %i fields, %i line(s) skipped', (file, delimiter, width, skipLines, preamble) => {
    const dialect = detectCsvDialect(realWorld(file));
    expect(dialect.delimiter).toBe(delimiter);
    expect(dialect.width).toBe(width);
    expect(dialect.skipLines).toBe(skipLines);
    expect(dialect.preamble[0]?.text).toBe(preamble);
    expect(dialect.preamble[0]?.line).toBe(preamble === undefined ? undefined : 1);
  });

  it("reads scikit-learn's count line as rows, features and class names", () => {
    expect(parseCountLine(['569', '30', 'malignant', 'benign'], 31)).toEqual({
      rows: 569,
      features: 30,
      classNames: ['malignant', 'benign'],
    });
    expect(parseCountLine(['506', '13', '', ''], 14)).toEqual({ rows: 506, features: 13, classNames: [] });
    // Not a count line: the feature count does not match, or the "names" are numbers.
    expect(parseCountLine(['569', '30', 'a'], 5)).toBeUndefined();
    expect(parseCountLine(['5', '4', '1.5', '2'], 5)).toBeUndefined();
  });
});

describe('preambles', () => {
  it('skips leading title lines whose field count differs from the body and names their lines', () => {
    const text =
      'Sales export\nGenerated 2024-01-02\n\nid,amount,region\n1,2.5,north\n2,3.5,south\n3,1.0,east\n';
    const dialect = detectCsvDialect(text);
    expect(dialect.preamble.map((p) => [p.line, p.text])).toEqual([
      [1, 'Sales export'],
      [2, 'Generated 2024-01-02'],
    ]);
    expect(dialect.skipLines).toBe(3);
    expect(dialect.records[0]).toEqual(['id', 'amount', 'region']);
  });

  it('keeps a header and ragged rows further down as they are (no preamble)', () => {
    const dialect = detectCsvDialect('a,b,c\n1,2,3\n4,5\n6,7,8,9\n10,11,12\n');
    expect(dialect.skipLines).toBe(0);
    expect(dialect.preamble).toEqual([]);
  });

  it('keeps a first data row with a missing last value', () => {
    const dialect = detectCsvDialect('19580510,\n19580517,316.1\n19580524,\n19580531,317.0\n');
    expect(dialect.skipLines).toBe(0);
  });

  it('does not skip a line that only looks like counts when the row count does not match', () => {
    const dialect = detectCsvDialect('9,1,x\n1,2,y\n3,4,z\n');
    expect(dialect.skipLines).toBe(0);
  });

  it('takes the lines to skip as given, without guessing', () => {
    const dialect = detectCsvDialect('569,30,malignant,benign\n1,2\n3,4\n', { skipLines: 0 });
    expect(dialect.skipLines).toBe(0);
    expect(dialect.preamble).toEqual([]);
  });
});

describe('whitespace-delimited text', () => {
  it('splits on runs of spaces when no delimiter character splits the rows', () => {
    const dialect = detectCsvDialect('  1.0   2   x\n 3.5  4   y\n10.25 6 z\n');
    expect(dialect.whitespace).toBe(true);
    expect(dialect.width).toBe(3);
    expect(dialect.records[0]).toEqual(['1.0', '2', 'x']);
  });

  it('prefers a real delimiter when values contain spaces', () => {
    const dialect = detectCsvDialect('name,city\nAnn Lee,New York\nBo Li,San Jose\n');
    expect(dialect.delimiter).toBe(',');
    expect(dialect.whitespace).toBe(false);
  });
});

describe('what a file that is not text looks like', () => {
  it.each([
    [[0x50, 0x4b, 0x03, 0x04, 0x14, 0x00], 'a zip archive'],
    [[0x1f, 0x8b, 0x08, 0x00], 'a gzip-compressed file'],
    [[0x25, 0x50, 0x44, 0x46, 0x2d, 0x31], 'a PDF document'],
    [[0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'a PNG image'],
    [[0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10], 'a JPEG image'],
    [[0x00, 0x01, 0x02, 0x03, 0x41, 0x42], 'a binary file'],
  ])('%j is %s', (bytes, looksLike) => {
    expect(describeBinary(Uint8Array.from(bytes))).toBe(looksLike);
  });

  it.each([
    ['plain CSV', 'a,b\n1,2\n'],
    ['a CSV starting with BM', 'BMI,age\n22.1,40\n'],
    ['UTF-8 accents', 'ville\nMünchen\n'],
  ])('%s is text', (_what, text) => {
    expect(describeBinary(new TextEncoder().encode(text))).toBeUndefined();
  });

  it('UTF-16 with its byte order mark is text', () => {
    expect(describeBinary(Uint8Array.from([0xff, 0xfe, 0x61, 0x00, 0x2c, 0x00]))).toBeUndefined();
  });
});
