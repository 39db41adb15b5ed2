import { mkdir, writeFile } from 'node:fs/promises';
import { open } from 'node:fs/promises';
import path from 'node:path';
import { sqlIdent, sqlNumber, sqlString, sqlText, type SqlEngine } from '../../../ports/sql-engine.port';
import { exportRefused, listNames } from './export-errors';
import type { ExportOptions } from './export-options';
import { describeWrittenFile, type ExportedFile } from './exported-files';
import { ExampleEncoder, type ExampleFeature } from './tf-example';
import { tfRecordFrame } from './tfrecord';

/**
 * Image datasets (a manifest with one row per stored image) in the layouts image libraries read:
 * - huggingface: the `imagefolder` layout, `{split}/{label}/{file}`, which
 *   `load_dataset("imagefolder", data_dir=…)` reads with labels from the folder names;
 * - pytorch: torchvision's `ImageFolder`, `{split}/{label}/{file}`, plus `classes.json` (class
 *   index = position in the sorted names, as ImageFolder numbers them);
 * - tensorflow: TFRecord files of `tf.train.Example` with `image/encoded` (the stored bytes),
 *   `image/format`, `image/height`, `image/width`, `image/filename`, `image/class/label` (the
 *   sorted-name index) and `image/class/text`, plus `classes.json`.
 * Images are copied byte for byte; rows without a label are left out and counted.
 */
export const IMAGE_LAYOUT_FORMATS = ['huggingface', 'pytorch', 'tensorflow'] as const;
export type ImageLayoutFormat = (typeof IMAGE_LAYOUT_FORMATS)[number];

export const IMAGE_OBJECT_KEY_COLUMN = 'object_key';

export interface ImageLayoutInput {
  parquetPath: string;
  outDir: string;
  format: ImageLayoutFormat;
  options: ExportOptions;
  /** The bytes of one stored image of the export's owner (refuses anyone else's). */
  readImage(objectKey: string): Promise<Uint8Array>;
  onProgress?: (fraction: number) => void;
  signal?: AbortSignal;
}

export interface ImageLayoutResult {
  files: ExportedFile[];
  rows: number;
  metadata: Record<string, unknown>;
}

interface ImageRow {
  path: string;
  label: string;
  key: string;
  format: string;
  width: number;
  height: number;
  split: string;
}

/** True when the table is an image manifest: it names stored images. */
export async function isImageManifest(engine: SqlEngine, parquetPath: string): Promise<boolean> {
  const columns = await engine.describe(`SELECT * FROM read_parquet(${sqlString(parquetPath)})`);
  return columns.some((c) => c.name === IMAGE_OBJECT_KEY_COLUMN && c.type === 'VARCHAR');
}

export async function writeImageLayout(
  engine: SqlEngine,
  input: ImageLayoutInput,
): Promise<ImageLayoutResult> {
  const { rows, unlabelled, classes } = await readRows(engine, input);
  const splits = [...new Set(rows.map((r) => r.split))].sort(splitOrder);
  await mkdir(input.outDir, { recursive: true });
  const written: { relativePath: string; contentType: string; rows?: number }[] = [];
  const classIndex = new Map(classes.map((name, i) => [name, i]));

  if (input.format === 'tensorflow') {
    const schema: ExampleFeature[] = [
      { key: 'image/encoded', kind: 'bytes' },
      { key: 'image/format', kind: 'bytes' },
      { key: 'image/height', kind: 'int64' },
      { key: 'image/width', kind: 'int64' },
      { key: 'image/filename', kind: 'bytes' },
      { key: 'image/class/label', kind: 'int64' },
      { key: 'image/class/text', kind: 'bytes' },
    ];
    const encoder = new ExampleEncoder(schema);
    const text = new TextEncoder();
    let done = 0;
    for (const split of splits) {
      const relativePath = `${split}-00000-of-00001.tfrecord`;
      const file = await open(path.join(input.outDir, relativePath), 'w');
      const inSplit = rows.filter((r) => r.split === split);
      try {
        for (const row of inSplit) {
          input.signal?.throwIfAborted();
          const bytes = await input.readImage(row.key);
          const example = encoder.encode([
            bytes,
            text.encode(row.format),
            row.height,
            row.width,
            text.encode(row.path),
            classIndex.get(row.label) ?? 0,
            text.encode(row.label),
          ]);
          await file.write(tfRecordFrame(example));
          done += 1;
          input.onProgress?.(done / rows.length);
        }
      } finally {
        await file.close();
      }
      written.push({ relativePath, contentType: 'application/octet-stream', rows: inSplit.length });
    }
  } else {
    const used = new Set<string>();
    let done = 0;
    for (const row of rows) {
      input.signal?.throwIfAborted();
      const folder = `${row.split}/${safeSegment(row.label)}`;
      const relativePath = uniqueName(used, folder, row.path);
      await mkdir(path.join(input.outDir, folder), { recursive: true });
      await writeFile(path.join(input.outDir, ...relativePath.split('/')), await input.readImage(row.key));
      written.push({ relativePath, contentType: contentTypeOf(row.format) });
      done += 1;
      input.onProgress?.(done / rows.length);
    }
  }
  if (input.format !== 'huggingface') {
    await writeFile(path.join(input.outDir, 'classes.json'), `${JSON.stringify(classes, null, 2)}\n`);
    written.push({ relativePath: 'classes.json', contentType: 'application/json' });
  }
  const files: ExportedFile[] = [];
  for (const file of written) files.push(await describeWrittenFile(input.outDir, file));
  return {
    files,
    rows: rows.length,
    metadata: {
      layout:
        input.format === 'huggingface'
          ? 'imagefolder'
          : input.format === 'pytorch'
            ? 'ImageFolder'
            : 'tfrecord',
      classes,
      splits: Object.fromEntries(splits.map((s) => [s, rows.filter((r) => r.split === s).length])),
      unlabelledLeftOut: unlabelled,
    },
  };
}

async function readRows(
  engine: SqlEngine,
  input: ImageLayoutInput,
): Promise<{ rows: ImageRow[]; unlabelled: number; classes: string[] }> {
  const relation = `read_parquet(${sqlString(input.parquetPath)}, file_row_number = true)`;
  const columns = (await engine.describe(`SELECT * FROM ${relation}`)).map((c) => c.name);
  const labelColumn = input.options.labelColumn ?? 'label';
  for (const [name, field] of [
    [labelColumn, 'labelColumn'],
    ...(input.options.splitColumn ? [[input.options.splitColumn, 'splitColumn']] : []),
  ] as const)
    if (!columns.includes(name))
      throw exportRefused(
        'COLUMN_NOT_FOUND',
        `The image table has no column ${JSON.stringify(name)}; its columns are ${listNames(columns, 20)}.`,
        field,
      );
  const col = (name: string, fallback: string) => (columns.includes(name) ? sqlIdent(name) : fallback);
  const split = input.options.splitColumn
    ? `CAST(${sqlIdent(input.options.splitColumn)} AS VARCHAR)`
    : input.options.split
      ? // The rows table.split picks with the same seed and fraction (without stratifying).
        `CASE WHEN row_number() OVER (ORDER BY hash(file_row_number, ${Math.trunc(input.options.split.seed)}::BIGINT), file_row_number)
              <= round(count(*) OVER () * ${Number(input.options.split.testFraction)}) THEN 'test' ELSE 'train' END`
      : `'train'`;
  const read = await engine.all(
    `SELECT ${col('path', 'CAST(file_row_number AS VARCHAR)')} AS path, CAST(${sqlIdent(labelColumn)} AS VARCHAR) AS label,
            ${sqlIdent(IMAGE_OBJECT_KEY_COLUMN)} AS object_key, ${col('format', "''")} AS format,
            ${col('width', '0')} AS width, ${col('height', '0')} AS height, ${split} AS split
       FROM ${relation} ORDER BY file_row_number`,
  );
  const rows: ImageRow[] = [];
  let unlabelled = 0;
  for (const r of read) {
    const label = sqlText(r['label']);
    const key = sqlText(r['object_key']);
    if (label === null || label.trim() === '' || key === null) {
      unlabelled += 1;
      continue;
    }
    const splitName = sqlText(r['split']) ?? 'train';
    if (!/^[A-Za-z0-9_]{1,64}$/.test(splitName))
      throw exportRefused(
        'INVALID_SPLIT',
        `Split names are letters, digits and "_" (up to 64); the split column holds ${JSON.stringify(splitName)}.`,
        'splitColumn',
      );
    rows.push({
      path: sqlText(r['path']) ?? '',
      label,
      key,
      format: sqlText(r['format']) ?? '',
      width: sqlNumber(r['width']) ?? 0,
      height: sqlNumber(r['height']) ?? 0,
      split: splitName,
    });
  }
  if (rows.length === 0)
    throw exportRefused(
      'NO_LABELLED_IMAGES',
      `No image has a value in ${JSON.stringify(labelColumn)}.`,
      'labelColumn',
    );
  const classes = [...new Set(rows.map((r) => r.label))].sort();
  return { rows, unlabelled, classes };
}

function splitOrder(a: string, b: string): number {
  const order = ['train', 'validation', 'test'];
  const ia = order.indexOf(a);
  const ib = order.indexOf(b);
  return (ia < 0 ? 99 : ia) - (ib < 0 ? 99 : ib) || a.localeCompare(b);
}

/** A label as one folder name: no separators, no control characters, never "." or "..". */
export function safeSegment(value: string): string {
  // eslint-disable-next-line no-control-regex -- control characters are what is removed
  const unsafe = /[\u0000-\u001f\u007f/\\:*?"<>|]/g;
  const cleaned = value.replace(unsafe, '_').trim().slice(0, 120);
  return cleaned === '' || /^\.+$/.test(cleaned) ? `_${cleaned}` : cleaned;
}

function uniqueName(used: Set<string>, folder: string, sourcePath: string): string {
  const base = safeSegment(sourcePath.split('/').pop() ?? 'image');
  const dot = base.lastIndexOf('.');
  const stem = dot > 0 ? base.slice(0, dot) : base;
  const ext = dot > 0 ? base.slice(dot) : '';
  let candidate = `${folder}/${base}`;
  for (let n = 1; used.has(candidate.toLowerCase()); n += 1) candidate = `${folder}/${stem}-${n}${ext}`;
  used.add(candidate.toLowerCase());
  return candidate;
}

function contentTypeOf(format: string): string {
  return format === 'jpeg' ? 'image/jpeg' : format ? `image/${format}` : 'application/octet-stream';
}
