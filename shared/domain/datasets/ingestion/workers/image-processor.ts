import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { JsonValue } from '../../../../db/schema';
import { dataApiJsonBytes, fitPrefix } from '../../../../kernel/bounded-json';
import {
  ArchiveUnreadableError,
  type UnpackArchive,
  type UnpackLimits,
} from '../../../../ports/archive-reader.port';
import { ImageDecodeError, type ImageCodec } from '../../../../ports/image-codec.port';
import { sqlString, sqlText } from '../../../../ports/sql-engine.port';
import { objectKeys } from '../../../../storage/object-keys';
import { humanBytes } from '../../tier-limits';
import { profileTable } from '../../profiling/profile-table';
import { failFile, FileValidationFailure } from './file-validation-failure';
import { DHASH_HEIGHT, DHASH_WIDTH, differenceHash, profileImages } from './media/image-dataset-profile';
import { IMAGE_HEAD_BYTES, parseImageHeader, type ImageHeader } from './media/image-header';
import type { ModalityProcessor, ProcessorContext } from './modality-processor';
import { readHead } from './text-encoding';

/**
 * Image datasets: one image, or a zip archive of images, either in folders named after their
 * class (ImageFolder: `cats/001.jpg`) or with a manifest CSV (`path,label`) beside them. Every
 * image is decoded once (sharp): a corrupt, truncated or unsupported file is listed with its path
 * and left out, the rest are stored under the version's `images/` (named by SHA-256) and described
 * by the version's manifest Parquet: path, label, width, height, channels, format, size, SHA-256,
 * dHash and object key. The version's metadata holds the profile (classes, sizes, aspect ratios,
 * near-duplicates) and the files left out.
 */
export interface ImageProcessorDependencies {
  images: ImageCodec;
  unpackArchive: UnpackArchive;
  /** Default IMAGE_ARCHIVE_LIMITS. */
  limits?: UnpackLimits;
}

const MiB = 1024 * 1024;

/**
 * What an archive may unpack to, counted while inflating (not from its directory): a Lambda's
 * scratch space holds the archive, its contents and the engine's spill files.
 */
export const IMAGE_ARCHIVE_LIMITS: UnpackLimits = {
  maxEntries: 100_000,
  maxUnpackedBytes: 4096 * MiB,
  maxEntryBytes: 64 * MiB,
};

/** Images decoded at once: sharp decodes on libuv's thread pool. */
const CONCURRENCY = 4;

const PATH_COLUMNS = ['path', 'file', 'file_name', 'filename', 'image', 'image_path', 'filepath'];
const LABEL_COLUMNS = ['label', 'class', 'category', 'target', 'class_name'];
const MANIFEST_NAMES = ['manifest.csv', 'labels.csv', 'metadata.csv'];

export const IMAGE_MANIFEST_COLUMNS = [
  { name: 'path', type: 'VARCHAR' },
  { name: 'label', type: 'VARCHAR' },
  { name: 'width', type: 'INTEGER' },
  { name: 'height', type: 'INTEGER' },
  { name: 'channels', type: 'INTEGER' },
  { name: 'format', type: 'VARCHAR' },
  { name: 'size_bytes', type: 'BIGINT' },
  { name: 'sha256', type: 'VARCHAR' },
  { name: 'dhash', type: 'VARCHAR' },
  { name: 'object_key', type: 'VARCHAR' },
] as const;

export interface ImageFileError {
  path: string;
  code: string;
  message: string;
}

interface Candidate {
  path: string;
  label: string | null;
  localPath: string;
}

interface ManifestRow {
  path: string;
  label: string | null;
  width: number;
  height: number;
  channels: number;
  format: string;
  size_bytes: number;
  sha256: string;
  dhash: string;
  object_key: string;
}

const EXTENSION: Record<ImageHeader['format'], string> = {
  png: 'png',
  jpeg: 'jpg',
  gif: 'gif',
  webp: 'webp',
  tiff: 'tif',
};
const CONTENT_TYPE: Record<ImageHeader['format'], string> = {
  png: 'image/png',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
  tiff: 'image/tiff',
};

export function makeImageProcessor(deps: ImageProcessorDependencies): ModalityProcessor {
  return async (context) => {
    if (context.sizeBytes === 0) failFile('FILE.EMPTY', 'The file is empty.');
    const head = await readHead(context.filePath, 4);
    const isZip = head[0] === 0x50 && head[1] === 0x4b && (head[2] === 0x03 || head[2] === 0x05);
    const fileErrors: ImageFileError[] = [];
    let candidates: Candidate[];
    let layout: 'single' | 'folders' | 'manifest';
    if (isZip) {
      ({ candidates, layout } = await unpackCandidates(deps, context, fileErrors));
    } else if (context.version.originalFormat === 'zip') {
      failFile(
        'ARCHIVE.NOT_A_ZIP',
        'The file is named .zip but is not a zip archive (it does not start with "PK").',
      );
    } else {
      layout = 'single';
      candidates = [{ path: context.version.originalFilename, label: null, localPath: context.filePath }];
    }

    const rows: ManifestRow[] = [];
    const stored = new Set<string>();
    let done = 0;
    await forEachLimited(candidates, CONCURRENCY, async (candidate) => {
      const row = await readImage(deps.images, context, candidate, fileErrors, stored);
      if (row) rows.push(row);
      done += 1;
      if (done % 50 === 0)
        await context.progress(15 + Math.round((done / candidates.length) * 65), 'decoding images');
    });
    if (rows.length === 0) {
      if (fileErrors.length === 0) failFile('IMAGE.NONE', 'The archive holds no image files.');
      if (layout === 'single') failFile(fileErrors[0]?.code ?? 'IMAGE.CORRUPT', fileErrors[0]?.message ?? '');
      throw new FileValidationFailure(
        fileErrors.map((e) => ({ code: e.code, message: `${e.path}: ${e.message}`, sample: e.path })),
      );
    }
    rows.sort((a, b) => a.path.localeCompare(b.path));
    fileErrors.sort((a, b) => a.path.localeCompare(b.path));

    await context.progress(85, 'writing the manifest');
    const { size, parquetPath } = await writeManifest(context, rows);
    // The manifest's own profile (GET …/profile): labels, sizes and formats as columns.
    const engine = await context.engine();
    const tableProfile = await profileTable(engine, `read_parquet(${sqlString(parquetPath)})`, {
      targetColumn: 'label',
      now: context.now,
    });
    const corrupt = fileErrors.filter((e) => e.code === 'IMAGE.CORRUPT').length;
    const profile = profileImages(rows, { corrupt, rejected: fileErrors.length });
    return {
      processedObjectKey: context.manifestKey,
      processedSizeBytes: size,
      rowCount: rows.length,
      columnCount: IMAGE_MANIFEST_COLUMNS.length,
      columnsMetadata: IMAGE_MANIFEST_COLUMNS.map((c) => ({ ...c })),
      modalityMetadata: imageMetadata(layout, rows, fileErrors, profile),
      profile: tableProfile,
    };
  };
}

function imageMetadata(
  layout: 'single' | 'folders' | 'manifest',
  rows: readonly ManifestRow[],
  fileErrors: readonly ImageFileError[],
  profile: ReturnType<typeof profileImages>,
): Record<string, JsonValue> {
  // The version row is read through the Data API (64 KB a row): every list is bounded.
  const classes = fitPrefix(profile.classes, 8 * 1024);
  const groups = fitPrefix(profile.nearDuplicateGroups, 12 * 1024);
  const listedErrors = fitPrefix(fileErrors, 8 * 1024);
  const single = layout === 'single' ? rows[0] : undefined;
  const metadata: Record<string, JsonValue> = {
    layout,
    images: rows.length,
    ...(single
      ? { format: single.format, width: single.width, height: single.height, channels: single.channels }
      : {}),
    profile: {
      ...profile,
      classes,
      classCount: profile.classes.length,
      nearDuplicateGroups: groups,
    } as unknown as JsonValue,
    fileErrorCount: fileErrors.length,
    fileErrors: listedErrors as unknown as JsonValue,
  };
  return dataApiJsonBytes(metadata) < 48 * 1024 ? metadata : { ...metadata, fileErrors: [] };
}

async function unpackCandidates(
  deps: ImageProcessorDependencies,
  context: ProcessorContext,
  fileErrors: ImageFileError[],
): Promise<{ candidates: Candidate[]; layout: 'folders' | 'manifest' }> {
  await context.progress(12, 'unpacking');
  const own = deps.limits ?? IMAGE_ARCHIVE_LIMITS;
  // The tier's limit applies when it is the smaller one.
  const tier =
    context.archiveLimit && context.archiveLimit.maxUnpackedBytes < own.maxUnpackedBytes
      ? context.archiveLimit.tier
      : undefined;
  const limits = tier ? { ...own, maxUnpackedBytes: context.archiveLimit?.maxUnpackedBytes ?? 0 } : own;
  let unpacked;
  try {
    unpacked = await deps.unpackArchive(context.filePath, join(context.tempDir, 'archive'), limits);
  } catch (error) {
    if (!(error instanceof ArchiveUnreadableError)) throw error;
    const byTier = error.reason === 'too-large' && tier !== undefined;
    failFile(
      `ARCHIVE.${error.reason.toUpperCase().replace(/-/g, '_')}`,
      byTier
        ? `${error.message} The ${tier} tier unpacks archives to ${humanBytes(limits.maxUnpackedBytes)} at most: split the images over several versions.`
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
  if (!manifest) {
    // ImageFolder: the folder holding an image is its class; an image at the top has none.
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
  }

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
      `${manifest.name} has no column naming the image files (expected one of: ${PATH_COLUMNS.join(', ')}; it has: ${names.join(', ')}).`,
    );
  const base = manifest.name.includes('/') ? manifest.name.slice(0, manifest.name.lastIndexOf('/') + 1) : '';
  const byName = new Map(files.map((f) => [normalize(f.name), f]));
  const listed = await engine.all(
    `SELECT "${pathColumn.replace(/"/g, '""')}" AS p${labelColumn ? `, "${labelColumn.replace(/"/g, '""')}" AS l` : ''} FROM ${relation}`,
  );
  const candidates: Candidate[] = [];
  const used = new Set<string>();
  for (const row of listed) {
    const path = sqlText(row['p']);
    if (!path) continue;
    const name = normalize(base + path);
    const file = byName.get(name) ?? byName.get(normalize(path));
    if (!file) {
      fileErrors.push({
        path,
        code: 'IMAGE.MISSING',
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
  // Images the manifest does not name are kept without a label.
  for (const f of files)
    if (!used.has(f.name)) candidates.push({ path: f.name, label: null, localPath: f.path });
  return { candidates, layout: 'manifest' };
}

function normalize(path: string): string {
  const parts: string[] = [];
  for (const part of path.replace(/\\/g, '/').split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') parts.pop();
    else parts.push(part);
  }
  return parts.join('/');
}

async function readImage(
  images: ImageCodec,
  context: ProcessorContext,
  candidate: Candidate,
  fileErrors: ImageFileError[],
  stored: Set<string>,
): Promise<ManifestRow | undefined> {
  const bytes = new Uint8Array(await readFile(candidate.localPath));
  const header = parseImageHeader(bytes.subarray(0, IMAGE_HEAD_BYTES));
  if (!header) {
    fileErrors.push({
      path: candidate.path,
      code: 'IMAGE.UNSUPPORTED',
      message: 'Not a PNG, JPEG, GIF, WebP or TIFF image (its first bytes match none of them).',
    });
    return undefined;
  }
  let facts;
  let dhash;
  try {
    facts = await images.inspect(bytes);
    dhash = differenceHash(
      await images.decode(bytes, { width: DHASH_WIDTH, height: DHASH_HEIGHT, fit: 'fill', channels: 1 }),
    );
  } catch (error) {
    if (!(error instanceof ImageDecodeError)) throw error;
    fileErrors.push({
      path: candidate.path,
      code: error.reason === 'too-large' ? 'IMAGE.TOO_LARGE' : 'IMAGE.CORRUPT',
      message: `The ${header.format.toUpperCase()} image cannot be decoded: ${error.message}`,
    });
    return undefined;
  }
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const { userId, datasetId, versionNumber } = context.version;
  const key = objectKeys.processedImage(userId, datasetId, versionNumber, sha256, EXTENSION[header.format]);
  if (!stored.has(key)) {
    stored.add(key);
    await context.blobs.put(key, bytes, {
      contentType: CONTENT_TYPE[header.format],
      contentLength: bytes.byteLength,
    });
  }
  return {
    path: candidate.path,
    label: candidate.label,
    width: facts.width,
    height: facts.height,
    channels: facts.channels,
    format: header.format,
    size_bytes: bytes.byteLength,
    sha256,
    dhash,
    object_key: key,
  };
}

async function writeManifest(
  context: ProcessorContext,
  rows: readonly ManifestRow[],
): Promise<{ size: number; parquetPath: string }> {
  const engine = await context.engine();
  const jsonPath = join(context.tempDir, 'manifest.jsonl');
  const parquetPath = join(context.tempDir, 'manifest.parquet');
  await writeFile(jsonPath, rows.map((row) => JSON.stringify(row)).join('\n') + '\n');
  const columns = IMAGE_MANIFEST_COLUMNS.map((c) => `${c.name}: '${c.type}'`).join(', ');
  await engine.run(
    `COPY (SELECT ${IMAGE_MANIFEST_COLUMNS.map((c) => c.name).join(', ')} FROM read_json(${sqlString(jsonPath)}, format = 'newline_delimited', columns = {${columns}})) TO ${sqlString(parquetPath)} (FORMAT parquet, COMPRESSION zstd)`,
  );
  const { size } = await stat(parquetPath);
  await context.blobs.put(context.manifestKey, createReadStream(parquetPath), {
    contentType: 'application/vnd.apache.parquet',
    contentLength: size,
  });
  return { size, parquetPath };
}

async function forEachLimited<T>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next];
      next += 1;
      if (item !== undefined) await work(item);
    }
  });
  await Promise.all(lanes);
}
