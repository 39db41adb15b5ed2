import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { format, resolveConfig } from 'prettier';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_FIXTURES } from '../../../../../support/repo-paths';
import { createNodeHarness, type NodeHarness } from '../../../../support/node-test-context';

/**
 * The rows `table.split` puts in train and test under the tabular classification template's
 * parameters ({ testFraction: 0.2, seed: 42 }, not stratified) on breast_cancer.csv, pinned in
 * test/fixtures/learning/template-split/breast_cancer.json. The split hashes each row's position in
 * its input Parquet, and the template feeds it the processed Parquet in the uploaded CSV's order,
 * so the indices are 0-based CSV data rows. scripts/learning-reference/make-reference.py reads the
 * fixture to score scikit-learn on the same split (`templateSplits` in sklearn-reference.json).
 *
 * The test fails when the node assigns rows differently from the fixture. To rewrite the fixture
 * from the node (after an intended change to the split), run
 *   PW_UPDATE_FIXTURES=1 npx vitest run --project unit test/unit/shared/domain/nodes/library/split-node-template-split.test.ts
 * then regenerate the reference: python3 scripts/learning-reference/make-reference.py
 */

/** Relative to test/fixtures/learning, as in sklearn-reference.json. */
const DATASET_FILE = 'datasets/breast_cancer.csv';
const FIXTURE = path.join(TEST_FIXTURES, 'learning/template-split/breast_cancer.json');
const PARAMS = { testFraction: 0.2, seed: 42 };
const UPDATE = process.env['PW_UPDATE_FIXTURES'] === '1';

interface TemplateSplit {
  dataset: string;
  file: string;
  node: string;
  params: { testFraction: number; seed: number };
  nRows: number;
  train: number[];
  test: number[];
}

let harness: NodeHarness;
beforeAll(async () => {
  harness = await createNodeHarness();
});
afterAll(async () => {
  await harness.close();
});

/** The CSV's header and data rows as numbers, parsed independently of DuckDB. */
async function readCsv(file: string): Promise<{ header: string[]; rows: number[][] }> {
  const lines = (await readFile(file, 'utf8')).split('\n').filter((line) => line.length > 0);
  const [head, ...body] = lines;
  if (head === undefined) throw new Error(`${file} is empty`);
  return { header: head.split(','), rows: body.map((line) => line.split(',').map(Number)) };
}

function rowIndices(rows: Record<string, unknown>[]): number[] {
  return rows.map((row) => Number(row['row_index']));
}

describe('table.split with the tabular template parameters on breast_cancer.csv', () => {
  it('assigns the rows pinned in template-split/breast_cancer.json', async () => {
    // The harness's SQL engine reads only its own directory.
    const csv = path.join(harness.dir, 'breast_cancer.csv');
    await copyFile(path.join(TEST_FIXTURES, 'learning', DATASET_FILE), csv);
    const source = await harness.table(
      'jobs/source.parquet',
      `SELECT *, (row_number() OVER () - 1)::INTEGER AS row_index FROM (SELECT * FROM read_csv('${csv}'))`,
    );

    // The source Parquet is in the CSV's order: row_index is each row's position in the file the
    // split hashes, and every row holds the values of the CSV line it is numbered after.
    const parquet = path.join(harness.dir, 'source.parquet');
    await harness.blobs.download(source, parquet);
    const positions = await harness.tables.query(
      `SELECT file_row_number::INTEGER AS position, row_index FROM read_parquet('${parquet}', file_row_number = true)`,
    );
    const { header, rows: csvRows } = await readCsv(csv);
    expect(positions).toHaveLength(csvRows.length);
    for (const { position, row_index } of positions) expect(position).toBe(row_index);

    const split = await harness.run('table.split', { table: { key: source } }, PARAMS);
    const trainKey = split.outputs['train']?.key;
    const testKey = split.outputs['test']?.key;
    if (!trainKey || !testKey) throw new Error('split produced no tables');
    const trainRows = await harness.rows(trainKey, 'row_index');
    const testRows = await harness.rows(testKey, 'row_index');
    for (const row of [...trainRows, ...testRows]) {
      const expected = csvRows[Number(row['row_index'])];
      if (!expected) throw new Error(`row_index ${String(row['row_index'])} is not a CSV row`);
      expect(header.map((name) => Number(row[name]))).toEqual(expected);
    }

    const train = rowIndices(trainRows);
    const test = rowIndices(testRows);
    expect(test).toHaveLength(Math.round(csvRows.length * PARAMS.testFraction));
    expect([...train, ...test].sort((a, b) => a - b)).toEqual(csvRows.map((_, i) => i));

    const actual: TemplateSplit = {
      dataset: 'breast_cancer',
      file: DATASET_FILE,
      node: 'table.split',
      params: PARAMS,
      nRows: csvRows.length,
      train,
      test,
    };
    if (UPDATE) {
      await mkdir(path.dirname(FIXTURE), { recursive: true });
      const options = await resolveConfig(FIXTURE);
      await writeFile(FIXTURE, await format(JSON.stringify(actual), { ...options, filepath: FIXTURE }));
    }
    const pinned = JSON.parse(await readFile(FIXTURE, 'utf8')) as TemplateSplit;
    expect(actual).toEqual(pinned);
  });
});
