import { mkdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { sqlIdent, sqlString } from '../../../ports/sql-engine.port';
import { datasetCard, type CardFeature, type CardSplit } from './dataset-card';
import { rowRangeSelect, selectAs, type ExportColumn } from './export-source';
import type { LayoutLabel, LayoutPlan } from './layout-plan';
import { shardName, shardRanges } from './shards';
import type { WriteContext, WrittenFile, WrittenLayout } from './written-layout';

/**
 * The Hugging Face `datasets` layout: `data/{split}-{i}-of-{n}.parquet` shards and a `README.md`
 * card. Column types map to `datasets` Value dtypes; a classification label is written as its
 * class index and declared a ClassLabel with its names, in the card and in each shard's
 * `huggingface` schema metadata (where `datasets` itself keeps features), so the names come back
 * however the shards are loaded.
 */
interface HfColumn {
  column: ExportColumn;
  expression: string;
  /** The Value dtype, or null for a ClassLabel. */
  dtype: string | null;
  /** The feature as `datasets` serialises it (Features.to_dict). */
  serialised: Record<string, unknown>;
}

const VALUE_DTYPES: Record<string, string> = {
  BOOLEAN: 'bool',
  TINYINT: 'int8',
  SMALLINT: 'int16',
  INTEGER: 'int32',
  BIGINT: 'int64',
  UTINYINT: 'uint8',
  USMALLINT: 'uint16',
  UINTEGER: 'uint32',
  UBIGINT: 'uint64',
  FLOAT: 'float32',
  DOUBLE: 'float64',
  VARCHAR: 'string',
  BLOB: 'binary',
  DATE: 'date32',
  TIME: 'time64[us]',
  TIMESTAMP: 'timestamp[us]',
  TIMESTAMP_S: 'timestamp[s]',
  TIMESTAMP_MS: 'timestamp[ms]',
  TIMESTAMP_NS: 'timestamp[ns]',
  'TIMESTAMP WITH TIME ZONE': 'timestamp[us, tz=UTC]',
};

const value = (column: ExportColumn, expression: string, dtype: string): HfColumn => ({
  column,
  expression,
  dtype,
  serialised: { dtype, _type: 'Value' },
});

/** Types `datasets` has a Value for are written as they are; decimals as float64; the rest as text. */
function hfColumn(column: ExportColumn, label: LayoutLabel | null): HfColumn {
  const id = sqlIdent(column.source);
  if (label?.column === column) {
    if (label.task === 'regression') return value(column, `CAST(${id} AS DOUBLE)`, 'float64');
    // The class names are a bound parameter (JSON text), never SQL text.
    return {
      column,
      expression: `CAST(list_position(from_json($1, '["VARCHAR"]'), CAST(${id} AS VARCHAR)) - 1 AS BIGINT)`,
      dtype: null,
      serialised: { names: label.classes ?? [], _type: 'ClassLabel' },
    };
  }
  const dtype = VALUE_DTYPES[column.type];
  if (dtype) return value(column, id, dtype);
  if (column.kind === 'decimal') return value(column, `CAST(${id} AS DOUBLE)`, 'float64');
  return value(column, `CAST(${id} AS VARCHAR)`, 'string');
}

function cardFeature({ column, dtype }: HfColumn, label: LayoutLabel | null): CardFeature {
  return dtype === null
    ? { name: column.name, classNames: label?.classes ?? [] }
    : { name: column.name, dtype };
}

export async function writeHuggingface(context: WriteContext, plan: LayoutPlan): Promise<WrittenLayout> {
  const { engine, outDir, options, progress } = context;
  const columns = plan.columns.map((column) => hfColumn(column, plan.label));
  const select = columns.map((c) => selectAs(c.column, c.expression)).join(', ');
  const schemaMetadata = JSON.stringify({
    info: { features: Object.fromEntries(columns.map((c) => [c.column.name, c.serialised])) },
  });
  const params = plan.label?.classes ? [JSON.stringify(plan.label.classes)] : [];
  await mkdir(path.join(outDir, 'data'), { recursive: true });

  const total = plan.splits.reduce((sum, split) => sum + split.rows, 0);
  let done = 0;
  const files: WrittenFile[] = [];
  const cardSplits: CardSplit[] = [];
  for (const split of plan.splits) {
    const ranges = shardRanges(split.rows, options.shards ?? 1);
    const shardFiles: string[] = [];
    let bytes = 0;
    for (const [index, range] of ranges.entries()) {
      context.signal?.throwIfAborted();
      const relativePath = `data/${shardName(split.name, index, ranges.length)}.parquet`;
      const file = path.join(outDir, relativePath);
      await engine.run(
        `COPY (${rowRangeSelect(split.path, select, range.from, range.to)}) TO ${sqlString(file)}
         (FORMAT parquet, COMPRESSION zstd, KV_METADATA {huggingface: ${sqlString(schemaMetadata)}})`,
        params,
      );
      bytes += (await stat(file)).size;
      shardFiles.push(relativePath);
      files.push({
        relativePath,
        contentType: 'application/vnd.apache.parquet',
        rows: range.to - range.from,
      });
      done += range.to - range.from;
      progress(total === 0 ? 1 : done / total);
    }
    cardSplits.push({ name: split.name, rows: split.rows, files: shardFiles, bytes });
  }

  const card = datasetCard({
    title: options.fileName,
    features: columns.map((c) => cardFeature(c, plan.label)),
    splits: cardSplits,
  });
  await writeFile(path.join(outDir, 'README.md'), card, 'utf8');
  files.push({ relativePath: 'README.md', contentType: 'text/markdown; charset=utf-8' });
  return {
    files,
    rows: total,
    metadata: {
      columns: columns.map((c) => ({
        name: c.column.name,
        type: c.column.type,
        dtype: c.dtype ?? 'class_label',
      })),
      label: plan.label
        ? { column: plan.label.column.name, task: plan.label.task, classes: plan.label.classes }
        : null,
      splits: Object.fromEntries(cardSplits.map((s) => [s.name, { rows: s.rows, files: s.files }])),
    },
  };
}
