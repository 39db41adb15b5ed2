import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { JsonValue } from '../../../../db/schema';
import { fitPrefix } from '../../../../kernel/bounded-json';
import type { UnpackArchive, UnpackLimits } from '../../../../ports/archive-reader.port';
import { ImageDecodeError, type ImageCodec } from '../../../../ports/image-codec.port';
import { sqlString } from '../../../../ports/sql-engine.port';
import { objectKeys } from '../../../../storage/object-keys';
import { profileTable } from '../../profiling/profile-table';
import { failFile, FileValidationFailure } from './file-validation-failure';
import {
  boundedMediaMetadata,
  forEachLimited,
  unpackLabelledFiles,
  writeManifestParquet,
  type MediaCandidate,
  type MediaFileError,
} from './media-archive';
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
    const fileErrors: MediaFileError[] = [];
    let candidates: MediaCandidate[];
    let layout: 'single' | 'folders' | 'manifest';
    if (isZip) {
      ({ candidates, layout } = await unpackLabelledFiles(
        deps.unpackArchive,
        context,
        deps.limits ?? IMAGE_ARCHIVE_LIMITS,
        fileErrors,
        'IMAGE.MISSING',
      ));
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
    const size = await writeManifestParquet(context, IMAGE_MANIFEST_COLUMNS, rows);
    // The manifest's own profile (GET …/profile): labels, sizes and formats as columns.
    const engine = await context.engine();
    const parquetPath = join(context.tempDir, 'manifest.parquet');
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
  fileErrors: readonly MediaFileError[],
  profile: ReturnType<typeof profileImages>,
): Record<string, JsonValue> {
  // The version row is read through the Data API (64 KB a row): every list is bounded.
  const single = layout === 'single' ? rows[0] : undefined;
  return boundedMediaMetadata(
    {
      layout,
      images: rows.length,
      ...(single
        ? { format: single.format, width: single.width, height: single.height, channels: single.channels }
        : {}),
      profile: {
        ...profile,
        classes: fitPrefix(profile.classes, 8 * 1024),
        classCount: profile.classes.length,
        nearDuplicateGroups: fitPrefix(profile.nearDuplicateGroups, 12 * 1024),
      } as unknown as JsonValue,
    },
    fileErrors,
  );
}

async function readImage(
  images: ImageCodec,
  context: ProcessorContext,
  candidate: MediaCandidate,
  fileErrors: MediaFileError[],
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
