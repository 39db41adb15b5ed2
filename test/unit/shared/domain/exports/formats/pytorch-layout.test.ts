import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countingBatches, openExportWorkspace, type ExportWorkspace } from '../support/export-workspace';
import { readNpy } from '../support/npy-reader';
import { numpyImportable, readExportWithPython } from '../support/python-reader';

let ws: ExportWorkspace;
beforeAll(async () => {
  ws = await openExportWorkspace();
});
afterAll(async () => {
  await ws.close();
});

const TINY = `SELECT x::DOUBLE AS x, n::INTEGER AS n, flag::BOOLEAN AS flag, label::VARCHAR AS label
              FROM (VALUES (1.5, 2, true, 'cat'), (-0.25, NULL, false, 'dog'), (3.0, -7, NULL, 'cat')) AS t(x, n, flag, label)`;

const fixture = async (name: string) =>
  (await readFile(path.join(import.meta.dirname, '../fixtures', name), 'utf8')).replace(/\s+/g, '');
const hexOf = async (file: string) => (await readFile(file)).toString('hex');

describe('the PyTorch layout', () => {
  it('writes float32 features and int64 class indices as .npy 1.0 files, byte for byte', async () => {
    const { outDir, result } = await ws.exportAs('pytorch-tiny', TINY, 'pytorch', { labelColumn: 'label' });
    const features = readNpy(await readFile(path.join(outDir, 'train/features.npy')));
    expect(features).toMatchObject({ version: [1, 0], descr: '<f4', fortranOrder: false, shape: [3, 3] });
    expect(features.values).toEqual([1.5, 2, 1, -0.25, NaN, 0, 3, -7, NaN]);
    const labels = readNpy(await readFile(path.join(outDir, 'train/labels.npy')));
    expect(labels).toMatchObject({ descr: '<i8', shape: [3] });
    expect(labels.values).toEqual([0n, 1n, 0n]);
    // Golden bytes, checked by the reader above and by NumPy when it is installed.
    expect(await hexOf(path.join(outDir, 'train/features.npy'))).toBe(
      await fixture('tiny-pytorch-features.npy.hex'),
    );
    expect(await hexOf(path.join(outDir, 'train/labels.npy'))).toBe(
      await fixture('tiny-pytorch-labels.npy.hex'),
    );

    const manifest = JSON.parse(await readFile(path.join(outDir, 'manifest.json'), 'utf8')) as unknown;
    expect(manifest).toEqual({
      format: 'pytorch',
      name: 'data',
      features: [
        { name: 'x', type: 'DOUBLE', dtype: 'float32' },
        { name: 'n', type: 'INTEGER', dtype: 'float32' },
        { name: 'flag', type: 'BOOLEAN', dtype: 'float32' },
      ],
      label: {
        name: 'label',
        type: 'VARCHAR',
        task: 'classification',
        dtype: 'int64',
        classes: ['cat', 'dog'],
      },
      missingValues: 'NaN',
      normalisation: null,
      splits: { train: { rows: 3, features: 'train/features.npy', labels: 'train/labels.npy' } },
    });
    expect(await readFile(path.join(outDir, 'dataset.py'), 'utf8')).toContain(
      'class ExportedDataset(Dataset)',
    );
    expect(result.files.map((file) => file.relativePath)).toEqual([
      'train/features.npy',
      'train/labels.npy',
      'manifest.json',
      'dataset.py',
    ]);
  });

  it('standardises features with the train split statistics and writes a float32 regression target', async () => {
    const { outDir, result, table } = await ws.exportAs(
      'pytorch-normalise',
      `SELECT range::DOUBLE AS a, 5.0 AS constant, (range % 7)::DOUBLE * 1.5 AS y FROM range(40)`,
      'pytorch',
      {
        labelColumn: 'y',
        split: { testFraction: 0.25, seed: 3 },
        normalise: true,
      },
    );
    const [stats] = await ws.engine.query(
      `SELECT avg(a) AS mean, stddev_pop(a) AS std FROM (
         SELECT a, row_number() OVER (ORDER BY hash(file_row_number, 3::BIGINT), file_row_number) AS rank
         FROM read_parquet('${table}', file_row_number = true)) WHERE rank > 10`,
    );
    const mean = Number(stats?.['mean']);
    const std = Number(stats?.['std']);
    expect(result.metadata).toMatchObject({
      label: { task: 'regression', dtype: 'float32', classes: null },
      normalisation: { method: 'standard', statisticsFrom: 'train', mean: [mean, 5], std: [std, 1] },
      splits: { train: { rows: 30 }, test: { rows: 10 } },
    });
    const features = readNpy(await readFile(path.join(outDir, 'test/features.npy')));
    const labels = readNpy(await readFile(path.join(outDir, 'test/labels.npy')));
    expect(labels.descr).toBe('<f4');
    const values = features.values as number[];
    for (let row = 0; row < 10; row += 1) {
      const a = (values[row * 2] ?? NaN) * std + mean;
      expect(Math.abs(a - Math.round(a))).toBeLessThan(1e-4);
      expect(values[row * 2 + 1]).toBe(0);
      expect(labels.values[row]).toBe(Math.fround((Math.round(a) % 7) * 1.5));
    }
  });

  it('reads the table in batches of rows, never all at once, keeping its order', async () => {
    const engine = countingBatches(ws.engine);
    const progress: number[] = [];
    const { outDir } = await ws.exportAs(
      'pytorch-medium',
      `SELECT range::INTEGER AS id, (range % 10)::DOUBLE / 10 AS f, range % 3 AS label FROM range(20000)`,
      'pytorch',
      { labelColumn: 'label' },
      { engine, batchRows: 3000, onProgress: (fraction) => progress.push(fraction) },
    );
    expect(engine.batches()).toBe(7);
    expect(progress.length).toBeGreaterThanOrEqual(9);
    const features = readNpy(await readFile(path.join(outDir, 'train/features.npy')));
    expect(features.shape).toEqual([20000, 2]);
    const values = features.values as number[];
    expect(Array.from({ length: 20000 }, (_, i) => values[i * 2])).toEqual(
      Array.from({ length: 20000 }, (_, i) => i),
    );
    const labels = readNpy(await readFile(path.join(outDir, 'train/labels.npy')));
    expect(labels.values.slice(2995, 3005)).toEqual([1n, 2n, 0n, 1n, 2n, 0n, 1n, 2n, 0n, 1n]);
  });

  it('refuses text features, naming them and the fix', async () => {
    const attempt = ws.exportAs(
      'pytorch-text',
      "SELECT 1.0 AS x, 'red' AS colour, DATE '2024-01-01' AS day, 1 AS y",
      'pytorch',
      { labelColumn: 'y' },
    );
    await expect(attempt).rejects.toMatchObject({
      code: 'EXPORT.FEATURES_NOT_NUMERIC',
      message: expect.stringMatching(
        /"colour", "day" are not numeric\. Encode them first with a transform\.one_hot/,
      ),
    });
  });

  it.runIf(numpyImportable)('is read by NumPy as written, and dataset.py compiles', async () => {
    const { outDir } = await ws.exportAs('pytorch-numpy', TINY, 'pytorch', { labelColumn: 'label' });
    expect(readExportWithPython('pytorch', outDir)).toEqual({
      splits: {
        train: {
          features: {
            dtype: 'float32',
            shape: [3, 3],
            values: [
              [1.5, 2, 1],
              [-0.25, null, 0],
              [3, -7, null],
            ],
          },
          labels: { dtype: 'int64', shape: [3], values: ['0', '1', '0'] },
        },
      },
    });
  });
});
