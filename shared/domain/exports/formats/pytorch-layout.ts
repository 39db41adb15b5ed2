import { mkdir, open, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { sqlIdent, type SqlEngine, type SqlScalar } from '../../../ports/sql-engine.port';
import { exportRefused, listNames } from './export-errors';
import { isNumericKind, readRowBatches, type ExportColumn } from './export-source';
import { splitsUnion, type LayoutPlan, type LayoutSplit } from './layout-plan';
import { NPY_ITEM_BYTES, npyHeader, type NpyDtype } from './npy';
import { PYTORCH_DATASET_SCRIPT } from './pytorch-dataset-script';
import type { WriteContext, WrittenFile, WrittenLayout } from './written-layout';

/**
 * The PyTorch layout: per split `{split}/features.npy` (float32, rows × features) and
 * `{split}/labels.npy` (int64 class indices for classification, float32 for regression), a
 * `manifest.json` and a `dataset.py` whose Dataset memory-maps the arrays.
 *
 * Features must be numbers (booleans become 0/1): text, dates and nested values are refused with
 * the columns named, rather than encoded here in a way the model's later inputs would not repeat;
 * the fix is an encoding transform in a pipeline (its fitted state travels with the model).
 * Missing values are NaN. With `normalise`, features are standardised with the train split's
 * mean and standard deviation (population; a constant column keeps scale 1), which the manifest
 * records for use at prediction time.
 */
interface Normalisation {
  mean: number[];
  std: number[];
  /** The split the statistics come from (`train`, or every row when there is no train split). */
  from: string;
}

function requireNumericFeatures(features: readonly ExportColumn[]): void {
  const text = features.filter((column) => !isNumericKind(column.kind));
  if (text.length > 0)
    throw exportRefused(
      'FEATURES_NOT_NUMERIC',
      `PyTorch arrays hold numbers only, and column(s) ${listNames(text.map((c) => c.name))} are not numeric. ` +
        'Encode them first with a transform.one_hot or transform.ordinal_encode node (dates: transform.date_parts), ' +
        'or drop them with table.drop_columns, then export the result; or name one as the labelColumn.',
    );
  if (features.length === 0)
    throw exportRefused(
      'NO_FEATURES',
      'The table has no feature columns to export besides the label and split columns.',
    );
}

const asDouble = (column: ExportColumn) => `CAST(${sqlIdent(column.source)} AS DOUBLE)`;

async function normalisation(engine: SqlEngine, plan: LayoutPlan): Promise<Normalisation> {
  const train = plan.splits.find((split) => split.name === 'train');
  const from = train ? 'train' : 'all';
  const aggregates = plan.features.flatMap((column, index) => {
    const finite = `CASE WHEN isfinite(${asDouble(column)}) THEN ${asDouble(column)} END`;
    return [`avg(${finite}) AS m${index}`, `stddev_pop(${finite}) AS s${index}`];
  });
  const [row] = await engine.query(
    `SELECT ${aggregates.join(', ')} FROM ${splitsUnion(plan, train ? [train] : plan.splits)}`,
  );
  const mean = plan.features.map((_, index) => {
    const value = row?.[`m${index}`];
    return typeof value === 'number' && Number.isFinite(value) ? value : 0;
  });
  const std = plan.features.map((_, index) => {
    const value = row?.[`s${index}`];
    return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : 1;
  });
  return { mean, std, from };
}

function toNumber(value: SqlScalar | undefined): number {
  if (value === null || value === undefined) return NaN;
  if (typeof value === 'number') return value;
  if (typeof value === 'boolean') return value ? 1 : 0;
  return Number(value);
}

async function writeSplit(
  context: WriteContext,
  plan: LayoutPlan,
  split: LayoutSplit,
  scale: Normalisation | null,
  onRows: (rows: number) => void,
): Promise<{ features: string; labels: string | null }> {
  const dir = context.outDir;
  await mkdir(path.join(dir, split.name), { recursive: true });
  const width = plan.features.length;
  const label = plan.label;
  const labelDtype: NpyDtype = label?.task === 'classification' ? '<i8' : '<f4';
  const classIndex = new Map((label?.classes ?? []).map((name, index) => [name, index]));
  const featuresPath = `${split.name}/features.npy`;
  const labelsPath = label ? `${split.name}/labels.npy` : null;
  const features = await open(path.join(dir, featuresPath), 'w');
  const labels = labelsPath ? await open(path.join(dir, labelsPath), 'w') : null;
  try {
    await features.write(npyHeader('<f4', [split.rows, width]));
    await labels?.write(npyHeader(labelDtype, [split.rows]));
    const select = [
      ...plan.features.map(asDouble),
      ...(label
        ? [
            label.task === 'classification'
              ? `CAST(${sqlIdent(label.column.source)} AS VARCHAR)`
              : `CAST(${sqlIdent(label.column.source)} AS DOUBLE)`,
          ]
        : []),
    ].join(', ');
    for await (const batch of readRowBatches(context, split.path, split.rows, select, width + 1)) {
      const rows = batch.columns[0]?.length ?? 0;
      const block = new DataView(new ArrayBuffer(rows * width * 4));
      for (let c = 0; c < width; c += 1) {
        const values = batch.columns[c] ?? [];
        const mean = scale?.mean[c] ?? 0;
        const std = scale?.std[c] ?? 1;
        for (let r = 0; r < rows; r += 1) {
          block.setFloat32((r * width + c) * 4, (toNumber(values[r]) - mean) / std, true);
        }
      }
      await features.write(new Uint8Array(block.buffer));
      if (label && labels) {
        const values = batch.columns[width] ?? [];
        const out = new DataView(new ArrayBuffer(rows * NPY_ITEM_BYTES[labelDtype]));
        for (let r = 0; r < rows; r += 1) {
          if (labelDtype === '<i8') {
            const index = classIndex.get(String(values[r]));
            if (index === undefined) throw new Error('a label value is not one of the classes found');
            out.setBigInt64(r * 8, BigInt(index), true);
          } else out.setFloat32(r * 4, toNumber(values[r]), true);
        }
        await labels.write(new Uint8Array(out.buffer));
      }
      onRows(rows);
    }
  } finally {
    await features.close();
    await labels?.close();
  }
  return { features: featuresPath, labels: labelsPath };
}

export async function writePytorch(context: WriteContext, plan: LayoutPlan): Promise<WrittenLayout> {
  const { engine, outDir, options, progress } = context;
  requireNumericFeatures(plan.features);
  const scale = options.normalise ? await normalisation(engine, plan) : null;
  const total = plan.splits.reduce((sum, split) => sum + split.rows, 0);
  let done = 0;
  const files: WrittenFile[] = [];
  const splits: Record<string, { rows: number; features: string; labels: string | null }> = {};
  for (const split of plan.splits) {
    const written = await writeSplit(context, plan, split, scale, (rows) => {
      done += rows;
      progress(total === 0 ? 1 : done / total);
    });
    splits[split.name] = { rows: split.rows, ...written };
    files.push({ relativePath: written.features, contentType: 'application/octet-stream', rows: split.rows });
    if (written.labels)
      files.push({ relativePath: written.labels, contentType: 'application/octet-stream', rows: split.rows });
  }

  const label = plan.label;
  const manifest = {
    format: 'pytorch',
    name: options.fileName,
    features: plan.features.map((column) => ({ name: column.name, type: column.type, dtype: 'float32' })),
    label: label
      ? {
          name: label.column.name,
          type: label.column.type,
          task: label.task,
          dtype: label.task === 'classification' ? 'int64' : 'float32',
          classes: label.classes,
        }
      : null,
    missingValues: 'NaN',
    normalisation: scale
      ? { method: 'standard', statisticsFrom: scale.from, mean: scale.mean, std: scale.std }
      : null,
    splits,
  };
  await writeFile(path.join(outDir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`, 'utf8');
  await writeFile(path.join(outDir, 'dataset.py'), PYTORCH_DATASET_SCRIPT, 'utf8');
  files.push(
    { relativePath: 'manifest.json', contentType: 'application/json' },
    { relativePath: 'dataset.py', contentType: 'text/x-python; charset=utf-8' },
  );
  return {
    files,
    rows: total,
    metadata: {
      features: manifest.features,
      label: manifest.label,
      normalisation: manifest.normalisation,
      splits: Object.fromEntries(Object.entries(splits).map(([name, s]) => [name, { rows: s.rows }])),
    },
  };
}
