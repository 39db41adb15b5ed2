import { forEachLimited } from '../../../../kernel/for-each-limited';
import { createReadStream } from 'node:fs';
import { stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { JsonValue } from '../../../../db/schema';
import { dataApiJsonBytes, fitPrefix } from '../../../../kernel/bounded-json';
import {
  ArchiveUnreadableError,
  type UnpackArchive,
  type UnpackLimits,
} from '../../../../ports/archive-reader.port';
import { sqlString, sqlText } from '../../../../ports/sql-engine.port';
import { profileTable } from '../../profiling/profile-table';
import { humanBytes } from '../../tier-limits';
import { failFile, FileValidationFailure } from './file-validation-failure';
import type { ProcessorContext, ProcessorOutcome } from './modality-processor';
import { readHead } from './text-encoding';

/**
 * What media datasets (images, audio, video) share: a zip of files in folders named after their class,
 * or with a manifest CSV (`path,label`), unpacked within limits counted while inflating; the
 * files left out listed one by one; the manifest Parquet written from rows; the version's
 * metadata bounded to what one Data API row holds.
 */

export interface MediaFileError {
  path: string;
  code: string;
  message: string;
}

export interface MediaCandidate {
  /** The file's name in the archive (or the upload's name). */
  path: string;
  label: string | null;
  localPath: string;
}

const PATH_COLUMNS = [
  'path',
  'file',
  'file_name',
  'filename',
  'image',
  'image_path',
  'audio',
  'video',
  'filepath',
];
const LABEL_COLUMNS = ['label', 'class', 'category', 'target', 'class_name'];
const MANIFEST_NAMES = ['manifest.csv', 'labels.csv', 'metadata.csv'];

function normalize(path: string): string {
  const parts: string[] = [];
  for (const part of path.replace(/\\/g, '/').split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') parts.pop();
    else parts.push(part);
  }
  return parts.join('/');
}

/** The files of an uploaded zip, each with the class its folder or the manifest gives it. */
export async function unpackLabelledFiles(
  unpackArchive: UnpackArchive,
  context: ProcessorContext,
  limits: UnpackLimits,
  fileErrors: MediaFileError[],
  missingCode: string,
): Promise<{ candidates: MediaCandidate[]; layout: 'folders' | 'manifest' }> {
  await context.progress(12, 'unpacking');
  // The uploader's tier limit applies when it is the smaller one.
  const tier = context.archiveLimit;
  const byTier = tier !== undefined && tier.maxUnpackedBytes < limits.maxUnpackedBytes;
  const effective = byTier ? { ...limits, maxUnpackedBytes: tier.maxUnpackedBytes } : limits;
  let unpacked;
  try {
    unpacked = await unpackArchive(context.filePath, join(context.tempDir, 'archive'), effective);
  } catch (error) {
    if (!(error instanceof ArchiveUnreadableError)) throw error;
    failFile(
      `ARCHIVE.${error.reason.toUpperCase().replace(/-/g, '_')}`,
      byTier && error.reason === 'too-large'
        ? `${error.message} The ${tier.tier} tier unpacks archives to ${humanBytes(tier.maxUnpackedBytes)} at most: split the files over several versions.`
        : error.message,
    );
  }
  for (const entry of unpacked.rejected)
    fileErrors.push({
      path: entry.name,
      code: `ARCHIVE.${entry.reason.toUpperCase().replace(/-/g, '_')}`,
      message: entry.message,
    });
  const csvs = unpacked.files.filter((f) => f.name.toLowerCase().endsWith('.csv'));
  const files = unpacked.files.filter((f) => !f.name.toLowerCase().endsWith('.csv'));
  const manifest =
    csvs.length === 1
      ? csvs[0]
      : csvs.find((f) => MANIFEST_NAMES.includes((f.name.split('/').pop() ?? '').toLowerCase()));
  if (csvs.length > 1 && !manifest)
    failFile(
      'MANIFEST.AMBIGUOUS',
      `The archive holds ${csvs.length} CSV files; name the one with the labels manifest.csv (columns path and label).`,
    );
  if (!manifest)
    return {
      layout: 'folders',
      candidates: files.map((f) => {
        const parts = f.name.split('/').filter((p) => p !== '');
        return {
          path: f.name,
          label: parts.length >= 2 ? (parts[parts.length - 2] ?? null) : null,
          localPath: f.path,
        };
      }),
    };

  const engine = await context.engine();
  const relation = `read_csv(${sqlString(manifest.path)}, header = true, all_varchar = true)`;
  let described;
  try {
    described = await engine.describe(`SELECT * FROM ${relation}`);
  } catch {
    failFile('MANIFEST.UNREADABLE', `${manifest.name} is not a readable CSV file with a header row.`);
  }
  const names = described.map((c) => c.name);
  const pathColumn = names.find((n) => PATH_COLUMNS.includes(n.toLowerCase()));
  const labelColumn = names.find((n) => LABEL_COLUMNS.includes(n.toLowerCase()));
  if (!pathColumn)
    failFile(
      'MANIFEST.NO_PATH_COLUMN',
      `${manifest.name} has no column naming the files (expected one of: ${PATH_COLUMNS.join(', ')}; it has: ${names.join(', ')}).`,
    );
  const base = manifest.name.includes('/') ? manifest.name.slice(0, manifest.name.lastIndexOf('/') + 1) : '';
  const byName = new Map(files.map((f) => [normalize(f.name), f]));
  const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;
  const listed = await engine.all(
    `SELECT ${quote(pathColumn)} AS p${labelColumn ? `, ${quote(labelColumn)} AS l` : ''} FROM ${relation}`,
  );
  const candidates: MediaCandidate[] = [];
  const used = new Set<string>();
  for (const row of listed) {
    const path = sqlText(row['p']);
    if (!path) continue;
    const file = byName.get(normalize(base + path)) ?? byName.get(normalize(path));
    if (!file) {
      fileErrors.push({
        path,
        code: missingCode,
        message: `${manifest.name} lists this file but the archive does not hold it.`,
      });
      continue;
    }
    used.add(file.name);
    const label = sqlText(row['l']);
    candidates.push({
      path: file.name,
      label: label === null || label.trim() === '' ? null : label.trim(),
      localPath: file.path,
    });
  }
  // Files the manifest does not name are kept without a label.
  for (const f of files)
    if (!used.has(f.name)) candidates.push({ path: f.name, label: null, localPath: f.path });
  return { candidates, layout: 'manifest' };
}

/**
 * The files of an upload: the entries of a zip (see `unpackLabelledFiles`), or the upload itself.
 * An empty file, or a `.zip` that is not a zip archive, fails the version.
 */
export async function uploadedMediaFiles(
  unpackArchive: UnpackArchive,
  context: ProcessorContext,
  limits: UnpackLimits,
  fileErrors: MediaFileError[],
  missingCode: string,
): Promise<{ candidates: MediaCandidate[]; layout: 'single' | 'folders' | 'manifest' }> {
  if (context.sizeBytes === 0) failFile('FILE.EMPTY', 'The file is empty.');
  const head = await readHead(context.filePath, 4);
  const isZip = head[0] === 0x50 && head[1] === 0x4b && (head[2] === 0x03 || head[2] === 0x05);
  if (isZip) return unpackLabelledFiles(unpackArchive, context, limits, fileErrors, missingCode);
  if (context.version.originalFormat === 'zip')
    failFile(
      'ARCHIVE.NOT_A_ZIP',
      'The file is named .zip but is not a zip archive (it does not start with "PK").',
    );
  return {
    layout: 'single',
    candidates: [{ path: context.version.originalFilename, label: null, localPath: context.filePath }],
  };
}

/** How one modality reads the files of an upload into manifest rows. */
export interface MediaIngestion<R extends { path: string }> {
  unpackArchive: UnpackArchive;
  archiveLimits: UnpackLimits;
  columns: readonly ManifestColumn[];
  /** Files read at once. */
  concurrency: number;
  /** What progress says while reading ("decoding images"), every `progressEvery` files. */
  step: string;
  progressEvery: number;
  /** The error code of a file a manifest CSV lists but the archive does not hold. */
  missingCode: string;
  /** Fails the version when the upload holds none of the modality's files at all. */
  none: { code: string; message: string };
  /** The code a single unreadable upload fails with when its reader listed no error. */
  unreadableCode: string;
  /**
   * Reads one file (its `index` among the upload's files is unique, e.g. for scratch names):
   * a row, or undefined after pushing the reason onto `fileErrors`.
   */
  read(candidate: MediaCandidate, index: number, fileErrors: MediaFileError[]): Promise<R | undefined>;
}

export interface IngestedMedia<R> {
  layout: 'single' | 'folders' | 'manifest';
  /** The rows kept, by path. */
  rows: R[];
  /** The files left out, by path. */
  fileErrors: MediaFileError[];
  /** The outcome without its modality metadata: the manifest Parquet written and profiled. */
  outcome: Omit<ProcessorOutcome, 'modalityMetadata'>;
}

/**
 * The flow every media modality shares: the upload's files (`uploadedMediaFiles`) read by the
 * modality's reader, the unreadable ones listed per file and left out; when none is left the
 * version fails (with the single file's own error, or every file's); otherwise the manifest
 * Parquet is written and profiled (labels and the modality's columns).
 */
export async function ingestMediaFiles<R extends { path: string }>(
  context: ProcessorContext,
  ingestion: MediaIngestion<R>,
): Promise<IngestedMedia<R>> {
  const fileErrors: MediaFileError[] = [];
  const { candidates, layout } = await uploadedMediaFiles(
    ingestion.unpackArchive,
    context,
    ingestion.archiveLimits,
    fileErrors,
    ingestion.missingCode,
  );
  const rows: R[] = [];
  let done = 0;
  await forEachLimited(candidates.length, ingestion.concurrency, async (index) => {
    const candidate = candidates[index];
    if (candidate === undefined) return;
    const row = await ingestion.read(candidate, index, fileErrors);
    if (row) rows.push(row);
    done += 1;
    if (done % ingestion.progressEvery === 0)
      await context.progress(15 + Math.round((done / candidates.length) * 65), ingestion.step);
  });
  // Files are read concurrently: sorted, the lists read the same on every run.
  fileErrors.sort((a, b) => a.path.localeCompare(b.path));
  if (rows.length === 0) {
    if (fileErrors.length === 0) failFile(ingestion.none.code, ingestion.none.message);
    if (layout === 'single')
      failFile(fileErrors[0]?.code ?? ingestion.unreadableCode, fileErrors[0]?.message ?? '');
    throw new FileValidationFailure(
      fileErrors.map((e) => ({ code: e.code, message: `${e.path}: ${e.message}`, sample: e.path })),
    );
  }
  rows.sort((a, b) => a.path.localeCompare(b.path));
  await context.progress(85, 'writing the manifest');
  const size = await writeManifestParquet(context, ingestion.columns, rows);
  // The manifest's own profile (GET …/profile): labels and the modality's columns.
  const profile = await profileTable(
    await context.engine(),
    `read_parquet(${sqlString(join(context.tempDir, 'manifest.parquet'))})`,
    { targetColumn: 'label', now: context.now },
  );
  return {
    layout,
    rows,
    fileErrors,
    outcome: {
      processedObjectKey: context.manifestKey,
      processedSizeBytes: size,
      rowCount: rows.length,
      columnCount: ingestion.columns.length,
      columnsMetadata: ingestion.columns.map((c) => ({ ...c })),
      profile,
    },
  };
}

export interface ManifestColumn {
  name: string;
  type: 'VARCHAR' | 'INTEGER' | 'BIGINT' | 'DOUBLE';
}

/** Writes `rows` as the version's manifest Parquet (zstd) and stores it; returns its size. */
export async function writeManifestParquet(
  context: ProcessorContext,
  columns: readonly ManifestColumn[],
  rows: readonly object[],
): Promise<number> {
  const engine = await context.engine();
  const jsonPath = join(context.tempDir, 'manifest.jsonl');
  const parquetPath = join(context.tempDir, 'manifest.parquet');
  await writeFile(jsonPath, rows.map((row) => JSON.stringify(row)).join('\n') + '\n');
  const declared = columns.map((c) => `${c.name}: '${c.type}'`).join(', ');
  await engine.run(
    `COPY (SELECT ${columns.map((c) => c.name).join(', ')} FROM read_json(${sqlString(jsonPath)}, format = 'newline_delimited', columns = {${declared}})) TO ${sqlString(parquetPath)} (FORMAT parquet, COMPRESSION zstd)`,
  );
  const { size } = await stat(parquetPath);
  await context.blobs.put(context.manifestKey, createReadStream(parquetPath), {
    contentType: 'application/vnd.apache.parquet',
    contentLength: size,
  });
  return size;
}

/**
 * The version's metadata with its lists cut to what a 64 KB Data API row holds (the counts stay
 * whole): the files left out first go when the whole does not fit.
 */
export function boundedMediaMetadata(
  metadata: Record<string, JsonValue>,
  fileErrors: readonly MediaFileError[],
): Record<string, JsonValue> {
  const withErrors = {
    ...metadata,
    fileErrorCount: fileErrors.length,
    fileErrors: fitPrefix(fileErrors, 8 * 1024) as unknown as JsonValue,
  };
  return dataApiJsonBytes(withErrors) < 48 * 1024 ? withErrors : { ...withErrors, fileErrors: [] };
}
