import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { JsonValue } from '../../../../db/schema';
import { fitPrefix } from '../../../../kernel/bounded-json';
import type { UnpackArchive, UnpackLimits } from '../../../../ports/archive-reader.port';
import { ImageDecodeError, type ImageCodec } from '../../../../ports/image-codec.port';
import { objectKeys } from '../../../../storage/object-keys';
import {
  boundedMediaMetadata,
  ingestMediaFiles,
  type MediaCandidate,
  type MediaFileError,
} from './media-archive';
import { DHASH_HEIGHT, DHASH_WIDTH, differenceHash, profileImages } from './media/image-dataset-profile';
import { IMAGE_HEAD_BYTES, parseImageHeader, type ImageHeader } from './media/image-header';
import type { ModalityProcessor, ProcessorContext } from './modality-processor';

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
    const stored = new Set<string>();
    const { layout, rows, fileErrors, outcome } = await ingestMediaFiles(context, {
      unpackArchive: deps.unpackArchive,
      archiveLimits: deps.limits ?? IMAGE_ARCHIVE_LIMITS,
      columns: IMAGE_MANIFEST_COLUMNS,
      concurrency: CONCURRENCY,
      step: 'decoding images',
      progressEvery: 50,
      missingCode: 'IMAGE.MISSING',
      none: { code: 'IMAGE.NONE', message: 'The archive holds no image files.' },
      unreadableCode: 'IMAGE.CORRUPT',
      read: (candidate, _index, fileErrors) => readImage(deps.images, context, candidate, fileErrors, stored),
    });
    const corrupt = fileErrors.filter((e) => e.code === 'IMAGE.CORRUPT').length;
    const profile = profileImages(rows, { corrupt, rejected: fileErrors.length });
    return { ...outcome, modalityMetadata: imageMetadata(layout, rows, fileErrors, profile) };
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
