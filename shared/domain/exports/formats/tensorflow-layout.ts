import { mkdir, open, writeFile, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { sqlIdent, type SqlEngine, type SqlScalar } from '../../../ports/sql-engine.port';
import { readRowBatches, type ExportColumn } from './export-source';
import { splitsUnion, type LayoutLabel, type LayoutPlan } from './layout-plan';
import { shardName, shardRanges } from './shards';
import { ExampleEncoder, type ExampleFeatureKind, type ExampleValue } from './tf-example';
import { tfRecordFrame } from './tfrecord';
import type { WriteContext, WrittenFile, WrittenLayout } from './written-layout';

/**
 * The TensorFlow layout: `data/{split}-{i}-of-{n}.tfrecord` shards of `tf.train.Example`s (one
 * feature per column, one value each) and `features.json`, the spec `tf.io.parse_example` needs
 * (a FixedLenFeature of shape [] per column).
 *
 * Integer and boolean columns are int64, and so is a classification label (its class index);
 * other numbers are float32; everything else is bytes (text as UTF-8, blobs as they are). Missing
 * numbers are NaN, so a nullable integer column is written as float32; a missing text is left out
 * of its Example and parses as the spec's default_value "".
 */
interface TfColumn {
  column: ExportColumn;
  kind: ExampleFeatureKind;
  select: string;
  value: (cell: SqlScalar | undefined) => ExampleValue;
}

const DTYPES: Record<ExampleFeatureKind, string> = { int64: 'int64', float: 'float32', bytes: 'string' };

const floatValue = (cell: SqlScalar | undefined): ExampleValue =>
  cell === null || cell === undefined ? NaN : typeof cell === 'number' ? cell : Number(cell);
const intValue = (cell: SqlScalar | undefined): ExampleValue =>
  typeof cell === 'number' ? cell : typeof cell === 'string' ? BigInt(cell) : cell ? 1 : 0;
const textValue = (cell: SqlScalar | undefined): ExampleValue =>
  cell === null || cell === undefined ? null : Buffer.from(String(cell), 'utf8');
const blobValue = (cell: SqlScalar | undefined): ExampleValue =>
  cell === null || cell === undefined ? null : Buffer.from(String(cell), 'hex');

function tfColumn(column: ExportColumn, label: LayoutLabel | null, nullable: ReadonlySet<string>): TfColumn {
  const id = sqlIdent(column.source);
  if (label?.column === column) {
    if (label.task === 'regression')
      return { column, kind: 'float', select: `CAST(${id} AS DOUBLE)`, value: floatValue };
    const index = new Map((label.classes ?? []).map((name, i) => [name, i]));
    return {
      column,
      kind: 'int64',
      select: `CAST(${id} AS VARCHAR)`,
      value: (cell) => {
        const found = index.get(String(cell));
        if (found === undefined) throw new Error('a label value is not one of the classes found');
        return found;
      },
    };
  }
  const integral = column.kind === 'integer' || column.kind === 'boolean';
  if (integral && !nullable.has(column.source))
    return { column, kind: 'int64', select: `CAST(${id} AS BIGINT)`, value: intValue };
  if (integral || column.kind === 'wideInteger' || column.kind === 'float' || column.kind === 'decimal')
    return { column, kind: 'float', select: `CAST(${id} AS DOUBLE)`, value: floatValue };
  if (column.kind === 'binary') return { column, kind: 'bytes', select: `hex(${id})`, value: blobValue };
  return { column, kind: 'bytes', select: `CAST(${id} AS VARCHAR)`, value: textValue };
}

/** Integer and boolean features with missing values (they are written as float32). */
async function nullableIntegers(engine: SqlEngine, plan: LayoutPlan): Promise<Set<string>> {
  const integral = plan.features.filter((c) => c.kind === 'integer' || c.kind === 'boolean');
  if (integral.length === 0) return new Set();
  const counts = integral.map((c, i) => `(count(*) - count(${sqlIdent(c.source)}))::DOUBLE AS n${i}`);
  const [row] = await engine.query(`SELECT ${counts.join(', ')} FROM ${splitsUnion(plan)}`);
  return new Set(integral.filter((_, i) => Number(row?.[`n${i}`] ?? 0) > 0).map((c) => c.source));
}

export async function writeTensorflow(context: WriteContext, plan: LayoutPlan): Promise<WrittenLayout> {
  const { engine, outDir, options, progress } = context;
  const nullable = await nullableIntegers(engine, plan);
  const columns = plan.columns.map((column) => tfColumn(column, plan.label, nullable));
  const encoder = new ExampleEncoder(columns.map((c) => ({ key: c.column.name, kind: c.kind })));
  const select = columns.map((c) => c.select).join(', ');
  await mkdir(path.join(outDir, 'data'), { recursive: true });

  const total = plan.splits.reduce((sum, split) => sum + split.rows, 0);
  let done = 0;
  const files: WrittenFile[] = [];
  const splits: Record<string, { rows: number; files: string[] }> = {};
  for (const split of plan.splits) {
    const ranges = shardRanges(split.rows, options.shards ?? 1);
    const names = ranges.map((_, i) => `data/${shardName(split.name, i, ranges.length)}.tfrecord`);
    let shard = 0;
    let handle: FileHandle = await open(path.join(outDir, names[0] ?? ''), 'w');
    try {
      for await (const batch of readRowBatches(context, split.path, split.rows, select, columns.length)) {
        const rows = batch.columns[0]?.length ?? 0;
        let frames: Uint8Array[] = [];
        for (let r = 0; r < rows; r += 1) {
          const row = batch.offset + r;
          while (row >= (ranges[shard]?.to ?? Infinity)) {
            await handle.write(Buffer.concat(frames));
            frames = [];
            await handle.close();
            shard += 1;
            handle = await open(path.join(outDir, names[shard] ?? ''), 'w');
          }
          const example = encoder.encode(columns.map((c, i) => c.value(batch.columns[i]?.[r])));
          frames.push(tfRecordFrame(example));
        }
        await handle.write(Buffer.concat(frames));
        done += rows;
        progress(total === 0 ? 1 : done / total);
      }
    } finally {
      await handle.close();
    }
    splits[split.name] = { rows: split.rows, files: names };
    names.forEach((relativePath, i) => {
      const range = ranges[i] ?? { from: 0, to: 0 };
      files.push({ relativePath, contentType: 'application/octet-stream', rows: range.to - range.from });
    });
  }

  const spec = {
    format: 'tfrecord',
    compression: 'none',
    features: Object.fromEntries(
      columns.map((c) => [
        c.column.name,
        {
          type: 'FixedLenFeature',
          dtype: DTYPES[c.kind],
          shape: [],
          ...(c.kind === 'bytes' ? { default_value: '' } : {}),
        },
      ]),
    ),
    columns: columns.map((c) => ({ name: c.column.name, type: c.column.type, dtype: DTYPES[c.kind] })),
    label: plan.label
      ? { name: plan.label.column.name, task: plan.label.task, classes: plan.label.classes }
      : null,
    splits,
  };
  await writeFile(path.join(outDir, 'features.json'), `${JSON.stringify(spec, null, 2)}\n`, 'utf8');
  files.push({ relativePath: 'features.json', contentType: 'application/json' });
  return { files, rows: total, metadata: { columns: spec.columns, label: spec.label, splits } };
}
