import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { JsonValue } from '../../../../db/schema';
import type { UnpackArchive, UnpackLimits } from '../../../../ports/archive-reader.port';
import { MediaDecodeError, type MediaTranscoder } from '../../../../ports/media-transcoder.port';
import { objectKeys } from '../../../../storage/object-keys';
import {
  boundedMediaMetadata,
  ingestMediaFiles,
  type ManifestColumn,
  type MediaCandidate,
  type MediaFileError,
} from './media-archive';
import type { ModalityProcessor, ProcessorContext } from './modality-processor';

/**
 * Video datasets: one clip (MP4, QuickTime, WebM), or a zip of clips in folders named after their
 * class (or with a manifest CSV). ffprobe reads each clip's container, codec, duration, frame
 * rate and resolution; the clip is stored as uploaded under the version's `video/` (named by
 * SHA-256) and described in the manifest Parquet. Clips without a readable video stream are listed
 * one by one and left out. `video.frames` samples frames from the stored clips.
 */
export interface VideoProcessorDependencies {
  transcoder: MediaTranscoder;
  unpackArchive: UnpackArchive;
  limits?: UnpackLimits;
}

const MiB = 1024 * 1024;
export const VIDEO_ARCHIVE_LIMITS: UnpackLimits = {
  maxEntries: 10_000,
  maxUnpackedBytes: 8192 * MiB,
  maxEntryBytes: 2048 * MiB,
};

export const VIDEO_MANIFEST_COLUMNS: readonly ManifestColumn[] = [
  { name: 'path', type: 'VARCHAR' },
  { name: 'label', type: 'VARCHAR' },
  { name: 'container', type: 'VARCHAR' },
  { name: 'codec', type: 'VARCHAR' },
  { name: 'duration_seconds', type: 'DOUBLE' },
  { name: 'fps', type: 'DOUBLE' },
  { name: 'width', type: 'INTEGER' },
  { name: 'height', type: 'INTEGER' },
  { name: 'has_audio', type: 'INTEGER' },
  { name: 'size_bytes', type: 'BIGINT' },
  { name: 'sha256', type: 'VARCHAR' },
  { name: 'object_key', type: 'VARCHAR' },
];

interface VideoManifestRow {
  path: string;
  label: string | null;
  container: string;
  codec: string;
  duration_seconds: number | null;
  fps: number | null;
  width: number;
  height: number;
  has_audio: number;
  size_bytes: number;
  sha256: string;
  object_key: string;
}

const EXTENSIONS = new Set(['mp4', 'mov', 'webm', 'mkv', 'm4v']);

export function makeVideoProcessor(deps: VideoProcessorDependencies): ModalityProcessor {
  return async (context) => {
    const { layout, rows, fileErrors, outcome } = await ingestMediaFiles(context, {
      unpackArchive: deps.unpackArchive,
      archiveLimits: deps.limits ?? VIDEO_ARCHIVE_LIMITS,
      columns: VIDEO_MANIFEST_COLUMNS,
      concurrency: 2,
      step: 'reading clips',
      progressEvery: 10,
      missingCode: 'VIDEO.MISSING',
      none: { code: 'VIDEO.NONE', message: 'The archive holds no video files.' },
      unreadableCode: 'VIDEO.UNREADABLE',
      read: (candidate, _index, fileErrors) => readClip(deps.transcoder, context, candidate, fileErrors),
    });
    const single = layout === 'single' ? rows[0] : undefined;
    return {
      ...outcome,
      modalityMetadata: boundedMediaMetadata(
        {
          layout,
          clips: rows.length,
          totalSeconds: Math.round(rows.reduce((s, r) => s + (r.duration_seconds ?? 0), 0) * 100) / 100,
          ...(single
            ? {
                container: single.container,
                codec: single.codec,
                durationSeconds: single.duration_seconds,
                fps: single.fps,
                width: single.width,
                height: single.height,
              }
            : {}),
        } as Record<string, JsonValue>,
        fileErrors,
      ),
    };
  };
}

async function readClip(
  transcoder: MediaTranscoder,
  context: ProcessorContext,
  candidate: MediaCandidate,
  fileErrors: MediaFileError[],
): Promise<VideoManifestRow | undefined> {
  let facts;
  try {
    facts = await transcoder.probe(candidate.localPath);
    if (!facts.video) throw new MediaDecodeError('The file holds no video stream.', 'no-stream');
  } catch (error) {
    if (!(error instanceof MediaDecodeError)) throw error;
    fileErrors.push({
      path: candidate.path,
      code: error.reason === 'unavailable' ? 'VIDEO.DECODER_UNAVAILABLE' : 'VIDEO.UNREADABLE',
      message: error.message,
    });
    return undefined;
  }
  const bytes = new Uint8Array(await readFile(candidate.localPath));
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const extension = (candidate.path.split('.').pop() ?? '').toLowerCase();
  const { userId, datasetId, versionNumber } = context.version;
  const key = objectKeys.processedMedia(
    userId,
    datasetId,
    versionNumber,
    'video',
    sha256,
    EXTENSIONS.has(extension) ? extension : 'bin',
  );
  await context.blobs.put(key, bytes, {
    contentType: 'application/octet-stream',
    contentLength: bytes.byteLength,
  });
  const video = facts.video;
  return {
    path: candidate.path,
    label: candidate.label,
    container: facts.container,
    codec: video.codec,
    duration_seconds: facts.durationSeconds,
    fps: video.fps === null ? null : Math.round(video.fps * 1000) / 1000,
    width: video.width,
    height: video.height,
    has_audio: facts.audio ? 1 : 0,
    size_bytes: bytes.byteLength,
    sha256,
    object_key: key,
  };
}
