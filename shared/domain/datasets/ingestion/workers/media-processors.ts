import { createReadStream } from 'node:fs';
import { stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { JsonValue } from '../../../../db/schema';
import { sqlIdent, sqlNumber, sqlString, sqlText } from '../../../../ports/sql-engine.port';
import { failFile } from './file-validation-failure';
import { AUDIO_HEAD_BYTES, parseAudioHeader } from './media/audio-header';
import { withFileSource } from './media/byte-reader';
import { IMAGE_HEAD_BYTES, parseImageHeader } from './media/image-header';
import { parseSegy, SegyFormatError, textualHeaderLines } from './media/segy-header';
import { parseVideoHeader } from './media/video-header';
import type { ModalityProcessor, ProcessorContext, ProcessorOutcome } from './modality-processor';
import { convertAndProfileTabular } from './tabular-processor';
import { normalizeToUtf8, readHead } from './text-encoding';

/**
 * Processors of the non-tabular modalities. Each validates the file from its own headers (no
 * decoding, no native libraries), records what it learned as the version's modality metadata and
 * writes a one-row manifest Parquet (`processed/…/manifest.parquet`) describing the object;
 * text is converted to Parquet with one row per line.
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

export const processSeismic: ModalityProcessor = async (context) => {
  if (context.version.originalFormat === 'miniseed') {
    failFile(
      'SEISMIC.MINISEED_UNSUPPORTED',
      'miniSEED files are not read yet; convert the traces to SEG-Y and upload that file.',
    );
  }
  let header;
  try {
    header = await withFileSource(context.filePath, context.sizeBytes, parseSegy);
  } catch (error) {
    if (error instanceof SegyFormatError) failFile('SEGY.INVALID', error.message);
    throw error;
  }
  if (header.traces === 0) failFile('SEGY.NO_TRACES', 'The file has SEG-Y headers but no traces after them.');
  // The seismic facts of the platform's seismic datasets: traces, samples, sample rate.
  return manifestOutcome(context, {
    traces: header.traces,
    samples: header.samplesPerTrace,
    sampleRateHz: header.sampleRateHz,
    sampleIntervalMicros: header.sampleIntervalMicros,
    recordLengthSeconds: header.recordLengthSeconds,
    formatCode: header.formatCode,
    formatName: header.formatName,
    byteOrder: header.byteOrder,
    revision: header.revision,
    textEncoding: header.textEncoding,
    textualHeader: textualHeaderLines(header.textualHeader).slice(0, 40),
  });
};

/** Plain text: encoding, lines, characters, words, a sample; one Parquet row per line. */
export const processText: ModalityProcessor = async (context) => {
  if (context.version.originalFormat !== 'text' && context.version.originalFormat !== 'unknown') {
    // A CSV or JSON file in a text dataset (e.g. labelled documents) takes the tabular path.
    return (await convertAndProfileTabular(context)).outcome;
  }
  if (context.sizeBytes === 0) failFile('FILE.EMPTY', 'The text file is empty.');
  const head = await readHead(context.filePath, 8192);
  if (
    head.includes(0) &&
    !(head[0] === 0xff && head[1] === 0xfe) &&
    !(head[0] === 0xfe && head[1] === 0xff)
  ) {
    failFile(
      'TEXT.BINARY',
      'The file contains NUL bytes: it looks like a binary file, not text. Upload a .txt file saved as UTF-8.',
    );
  }
  const normalized = await normalizeToUtf8(context.filePath, join(context.tempDir, 'utf8.txt'));
  const engine = await context.engine();
  await context.progress(40, 'converting');
  const parquetPath = join(context.tempDir, 'data.parquet');
  // Line endings normalised to LF; the final line break ends the last line rather than starting an empty one.
  const lines = `SELECT generate_subscripts(lines, 1)::BIGINT AS line_number, unnest(lines) AS text
    FROM (SELECT string_split(regexp_replace(regexp_replace(content, '\\r\\n?', chr(10), 'g'), '\\n$', ''), chr(10)) AS lines
            FROM read_text(${sqlString(normalized.path)}))`;
  await engine.run(`COPY (${lines}) TO ${sqlString(parquetPath)} (FORMAT parquet, COMPRESSION zstd)`);
  const relation = `read_parquet(${sqlString(parquetPath)})`;
  const text = sqlIdent('text');
  const stats = (
    await engine.all(
      `SELECT count(*)::DOUBLE AS lines, sum(length(${text}))::DOUBLE AS characters,
              sum(CASE WHEN trim(${text}) = '' THEN 0 ELSE len(string_split_regex(trim(${text}), '\\s+')) END)::DOUBLE AS words,
              count(*) FILTER (WHERE trim(${text}) = '')::DOUBLE AS empty_lines,
              max(length(${text}))::DOUBLE AS longest_line, avg(length(${text}))::DOUBLE AS mean_line,
              count(DISTINCT ${text})::DOUBLE AS distinct_lines
         FROM ${relation}`,
    )
  )[0];
  const characters = sqlNumber(stats?.characters) ?? 0;
  if (characters === 0 || (sqlNumber(stats?.lines) ?? 0) === (sqlNumber(stats?.empty_lines) ?? 0)) {
    failFile('TEXT.BLANK', 'The file contains only blank lines.');
  }
  const sample = (
    await engine.all(
      `SELECT ${text} AS t FROM ${relation} WHERE trim(${text}) <> '' ORDER BY line_number LIMIT 5`,
    )
  ).map((r) => (sqlText(r.t) ?? '').slice(0, 500));
  await context.progress(80, 'storing');
  const { size } = await stat(parquetPath);
  await context.blobs.put(context.processedKey, createReadStream(parquetPath), {
    contentType: 'application/vnd.apache.parquet',
    contentLength: size,
  });
  const lineCount = sqlNumber(stats?.lines) ?? 0;
  return {
    processedObjectKey: context.processedKey,
    processedSizeBytes: size,
    rowCount: lineCount,
    columnCount: 2,
    columnsMetadata: [
      { name: 'line_number', type: 'BIGINT' },
      { name: 'text', type: 'VARCHAR' },
    ],
    modalityMetadata: {
      encoding: normalized.encoding,
      lines: lineCount,
      characters,
      words: sqlNumber(stats?.words) ?? 0,
      emptyLines: sqlNumber(stats?.empty_lines) ?? 0,
      distinctLines: sqlNumber(stats?.distinct_lines) ?? 0,
      longestLine: sqlNumber(stats?.longest_line) ?? 0,
      meanLineLength: Math.round((sqlNumber(stats?.mean_line) ?? 0) * 100) / 100,
      sample,
    },
  };
};
