import { access, readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { openExportWorkspace, type ExportWorkspace } from '../support/export-workspace';

let ws: ExportWorkspace;
beforeAll(async () => {
  ws = await openExportWorkspace();
});
afterAll(async () => {
  await ws.close();
});

interface Card {
  configs: { config_name: string; data_files: { split: string; path: string[] }[] }[];
  dataset_info: {
    features: { name: string; dtype: string | { class_label: { names: Record<string, string> } } }[];
    splits: { name: string; num_examples: number }[];
  };
}

async function readCard(outDir: string): Promise<Card> {
  const text = await readFile(path.join(outDir, 'README.md'), 'utf8');
  const match = /^---\n([\s\S]*?)\n---\n/.exec(text);
  return parse(match?.[1] ?? '') as Card;
}

const flowers = `SELECT range::INTEGER AS id, range * 0.1 AS petal, (range * 3)::DECIMAL(10,2) AS price,
                  ['setosa', 'versicolor', 'virginica'][range % 3 + 1] AS species,
                  CASE WHEN range % 5 = 0 THEN 'test' WHEN range % 5 = 1 THEN 'validation' ELSE 'train' END AS part,
                  range % 2 = 0 AS even, TIMESTAMP '2024-01-01 00:00:00' + INTERVAL (range) HOUR AS seen,
                  DATE '2024-01-01' + range::INTEGER AS day, [range] AS nested, range::UBIGINT AS big, TIME '01:02:03' AS at
                 FROM range(50)`;

describe('the Hugging Face layout', () => {
  it('writes one set of shards per split value, listed in a card whose YAML datasets reads', async () => {
    const { outDir, result } = await ws.exportAs('hf-split-column', flowers, 'huggingface', {
      fileName: 'flowers',
      labelColumn: 'species',
      splitColumn: 'part',
      shards: 2,
    });
    const card = await readCard(outDir);
    const dataFiles = card.configs[0]?.data_files ?? [];
    expect(dataFiles.map((entry) => entry.split)).toEqual(['train', 'validation', 'test']);
    expect(dataFiles[0]?.path).toEqual([
      'data/train-00000-of-00002.parquet',
      'data/train-00001-of-00002.parquet',
    ]);
    for (const file of dataFiles.flatMap((entry) => entry.path)) await access(path.join(outDir, file));
    expect(card.dataset_info.splits).toEqual([
      { name: 'train', num_examples: 30 },
      { name: 'validation', num_examples: 10 },
      { name: 'test', num_examples: 10 },
    ]);
    expect(card.dataset_info.features).toEqual([
      { name: 'id', dtype: 'int32' },
      { name: 'petal', dtype: 'float64' },
      { name: 'price', dtype: 'float64' },
      {
        name: 'species',
        dtype: { class_label: { names: { '0': 'setosa', '1': 'versicolor', '2': 'virginica' } } },
      },
      { name: 'even', dtype: 'bool' },
      { name: 'seen', dtype: 'timestamp[us]' },
      { name: 'day', dtype: 'date32' },
      { name: 'nested', dtype: 'string' },
      { name: 'big', dtype: 'uint64' },
      { name: 'at', dtype: 'time64[us]' },
    ]);

    // DuckDB reads each split's shards back: the right rows, the split column gone, labels as class indices.
    for (const { split, path: files } of dataFiles) {
      const list = files.map((file) => `'${path.join(outDir, file)}'`).join(', ');
      const rows = await ws.engine.query(
        `SELECT id, species, price, nested FROM read_parquet([${list}]) ORDER BY id`,
      );
      const expectedIds = Array.from({ length: 50 }, (_, i) => i).filter((i) =>
        split === 'test' ? i % 5 === 0 : split === 'validation' ? i % 5 === 1 : i % 5 > 1,
      );
      expect(rows.map((row) => row['id'])).toEqual(expectedIds);
      expect(rows.map((row) => row['species'])).toEqual(expectedIds.map((i) => i % 3));
      expect(rows[0]?.['price']).toBe((expectedIds[0] ?? 0) * 3);
      expect(rows[0]?.['nested']).toBe(`[${expectedIds[0]}]`);
      const columns = await ws.engine.describe(`SELECT * FROM read_parquet([${list}])`);
      expect(columns.map((c) => c.name)).not.toContain('part');
    }
    // Each shard carries the features as datasets writes them, so class names survive a bare load.
    const [meta] = await ws.engine.query(
      `SELECT decode(value) AS v FROM parquet_kv_metadata('${path.join(outDir, 'data/test-00000-of-00002.parquet')}') WHERE decode(key) = 'huggingface'`,
    );
    expect(JSON.parse(String(meta?.['v']))).toMatchObject({
      info: {
        features: {
          species: { _type: 'ClassLabel', names: ['setosa', 'versicolor', 'virginica'] },
          id: { dtype: 'int32', _type: 'Value' },
        },
      },
    });
    expect(result.metadata).toMatchObject({
      label: { column: 'species', task: 'classification', classes: ['setosa', 'versicolor', 'virginica'] },
      splits: { train: { rows: 30 }, validation: { rows: 10 }, test: { rows: 10 } },
    });
    expect(result.files.filter((file) => file.relativePath.startsWith('data/'))).toHaveLength(6);
  });

  it('splits at random with a seed exactly as the table.split node ranks rows', async () => {
    const { outDir, table } = await ws.exportAs(
      'hf-seeded',
      'SELECT range AS id, range * 2.0 AS x FROM range(101)',
      'huggingface',
      { split: { testFraction: 0.3, seed: 7 } },
    );
    const card = await readCard(outDir);
    expect(card.dataset_info.splits).toEqual([
      { name: 'train', num_examples: 71 },
      { name: 'test', num_examples: 30 },
    ]);
    // The node's rule: rank by (hash(file_row_number, seed), file_row_number); the first round(n × f) are test.
    const expected = await ws.engine.query(
      `SELECT id FROM (SELECT id, row_number() OVER (ORDER BY hash(file_row_number, 7::BIGINT), file_row_number) AS rank
                       FROM read_parquet('${table}', file_row_number = true))
       WHERE rank <= round(101 * 0.3) ORDER BY id`,
    );
    const test = await ws.engine.query(
      `SELECT id FROM read_parquet('${path.join(outDir, 'data/test-00000-of-00001.parquet')}') ORDER BY id`,
    );
    expect(test).toEqual(expected);
    const [train] = await ws.engine.query(
      `SELECT count(*)::INTEGER AS n, count(DISTINCT id)::INTEGER AS d FROM read_parquet('${path.join(outDir, 'data/train-00000-of-00001.parquet')}')
       WHERE id NOT IN (SELECT id FROM read_parquet('${path.join(outDir, 'data/test-00000-of-00001.parquet')}'))`,
    );
    expect(train).toEqual({ n: 71, d: 71 });
  });

  it('exports a table with a column named file_row_number, and a regression label as float64', async () => {
    const { outDir } = await ws.exportAs(
      'hf-file-row-number',
      'SELECT range * 10 AS file_row_number, range / 4 AS target FROM range(7)',
      'huggingface',
      { labelColumn: 'target', shards: 3 },
    );
    const card = await readCard(outDir);
    expect(card.dataset_info.features).toEqual([
      { name: 'file_row_number', dtype: 'int64' },
      { name: 'target', dtype: 'float64' },
    ]);
    const files = card.configs[0]?.data_files[0]?.path ?? [];
    expect(files).toHaveLength(3);
    const rows = await ws.engine.query(
      `SELECT * FROM read_parquet([${files.map((f) => `'${path.join(outDir, f)}'`).join(', ')}]) ORDER BY 1`,
    );
    expect(rows.map((row) => row['file_row_number'])).toEqual([0, 10, 20, 30, 40, 50, 60]);
    expect(rows.map((row) => row['target'])).toEqual([0, 0.25, 0.5, 0.75, 1, 1.25, 1.5]);
  });

  it.each([
    [{ splitColumn: 'part' }, 'SELECT 1 AS x, NULL::VARCHAR AS part', 'EXPORT.SPLIT_MISSING_VALUES'],
    [{ splitColumn: 'part' }, "SELECT 1 AS x, 'not ok!' AS part", 'EXPORT.SPLIT_NAME_INVALID'],
    [
      { splitColumn: 'part' },
      'SELECT 1 AS x, range::VARCHAR AS part FROM range(20)',
      'EXPORT.TOO_MANY_SPLITS',
    ],
    [{ split: { testFraction: 0.1 } }, 'SELECT 1 AS x FROM range(3)', 'EXPORT.SPLIT_EMPTY'],
    [{ labelColumn: 'y' }, 'SELECT 1 AS x, NULL::VARCHAR AS y', 'EXPORT.LABEL_MISSING_VALUES'],
    [{ labelColumn: 'y', task: 'regression' }, "SELECT 1 AS x, 'a' AS y", 'EXPORT.LABEL_NOT_NUMERIC'],
    [{ labelColumn: 'y' }, 'SELECT 1 AS x, range AS y FROM range(1001)', 'EXPORT.TOO_MANY_CLASSES'],
  ])('refuses %j on a table that cannot satisfy it', async (options, select, code) => {
    const attempt = ws.exportAs(`refuse-${code}`, select, 'huggingface', options);
    await expect(attempt).rejects.toMatchObject({ code });
    const message = await attempt.catch((error: Error) => error.message);
    expect(message).not.toContain(ws.root);
    expect(message).not.toMatch(/SELECT|read_parquet/);
  });
});
