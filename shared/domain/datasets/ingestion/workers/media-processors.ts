import { createReadStream } from 'node:fs';
import { stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { JsonValue } from '../../../../db/schema';
import { sqlString } from '../../../../ports/sql-engine.port';
import { failFile } from './file-validation-failure';
import { AUDIO_HEAD_BYTES, parseAudioHeader } from './media/audio-header';
import { withFileSource } from './media/byte-reader';
import { IMAGE_HEAD_BYTES, parseImageHeader } from './media/image-header';
import { parseVideoHeader } from './media/video-header';
import type { ModalityProcessor, ProcessorContext, ProcessorOutcome } from './modality-processor';
import { readHead } from './text-encoding';

/**
 * Processors of the non-tabular modalities. Each validates the file from its own headers (no
 * decoding, no native libraries), records what it learned as the version's modality metadata and
 * writes a one-row manifest Parquet (`processed/…/manifest.parquet`) describing the object
 * (text has its own processor, text-processor.ts).
 */

async function writeManifest(
  context: ProcessorContext,
  facts: Record<string, JsonValue>,
): Promise<{ key: string; size: number }> {
  const engine = await context.engine();
  const jsonPath = join(context.tempDir, 'manifest.json');
  const parquetPath = join(context.tempDir, 'manifest.parquet');
  const row = {
    object_key: context.version.rawObjectKey ?? '',
    file_name: context.version.originalFilename,
    size_bytes: context.sizeBytes,
    sha256: context.sha256,
    metadata: JSON.stringify(facts),
  };
  await writeFile(jsonPath, `${JSON.stringify(row)}\n`);
  await engine.run(
    `COPY (SELECT * FROM read_json(${sqlString(jsonPath)}, format='newline_delimited')) TO ${sqlString(parquetPath)} (FORMAT parquet)`,
  );
  const { size } = await stat(parquetPath);
  await context.blobs.put(context.manifestKey, createReadStream(parquetPath), {
    contentType: 'application/vnd.apache.parquet',
    contentLength: size,
  });
  return { key: context.manifestKey, size };
}

async function manifestOutcome(
  context: ProcessorContext,
  facts: Record<string, JsonValue>,
): Promise<ProcessorOutcome> {
  await context.progress(70, 'storing');
  const manifest = await writeManifest(context, facts);
  return {
    processedObjectKey: manifest.key,
    processedSizeBytes: manifest.size,
    rowCount: 1,
    columnCount: 5,
    columnsMetadata: ['object_key', 'file_name', 'size_bytes', 'sha256', 'metadata'].map((name) => ({
      name,
      type: name === 'size_bytes' ? 'BIGINT' : 'VARCHAR',
    })),
    modalityMetadata: facts,
  };
}

export const processImage: ModalityProcessor = async (context) => {
  if (context.sizeBytes === 0) failFile('FILE.EMPTY', 'The image file is empty.');
  const header = parseImageHeader(await readHead(context.filePath, IMAGE_HEAD_BYTES));
  if (!header) {
    failFile(
      'IMAGE.UNRECOGNIZED',
      'The file is not a PNG, JPEG, GIF, WebP or TIFF image (its first bytes match none of them), or its header is damaged.',
    );
  }
  if (header.width === 0 || header.height === 0) {
    failFile(
      'IMAGE.NO_PIXELS',
      `The ${header.format.toUpperCase()} header gives a size of ${header.width}×${header.height} pixels.`,
    );
  }
  return manifestOutcome(context, { ...header, sizeBytes: context.sizeBytes });
};

export const processAudio: ModalityProcessor = async (context) => {
  if (context.sizeBytes === 0) failFile('FILE.EMPTY', 'The audio file is empty.');
  const header = parseAudioHeader(await readHead(context.filePath, AUDIO_HEAD_BYTES), context.sizeBytes);
  if (!header)
    failFile('AUDIO.UNRECOGNIZED', 'The file is not a WAV, FLAC or MP3 file, or its header is damaged.');
  if (header.sampleRateHz <= 0 || header.channels <= 0) {
    failFile(
      'AUDIO.INVALID_HEADER',
      `The ${header.format.toUpperCase()} header gives ${header.sampleRateHz} Hz and ${header.channels} channel(s).`,
    );
  }
  return manifestOutcome(context, { ...header, sizeBytes: context.sizeBytes });
};

export const processVideo: ModalityProcessor = async (context) => {
  if (context.sizeBytes === 0) failFile('FILE.EMPTY', 'The video file is empty.');
  const header = await withFileSource(context.filePath, context.sizeBytes, parseVideoHeader);
  if (!header)
    failFile(
      'VIDEO.UNRECOGNIZED',
      'The file is not an MP4 or WebM/Matroska video (no "ftyp" box or EBML header at its start).',
    );
  return manifestOutcome(context, { ...header, sizeBytes: context.sizeBytes });
};
