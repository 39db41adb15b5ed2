import { createReadStream, createWriteStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { once } from 'node:events';
import { sqlString } from '../../../../ports/sql-engine.port';
import { SeismicProfiler } from '../../../seismic/processing/seismic-profile';
import { SegyFormatError } from '../../../seismic/segy/segy-errors';
import { TRACE_HEADER_FIELDS } from '../../../seismic/segy/segy-fields';
import {
  openSegy,
  readTraces,
  textualHeaderLines,
  traceHeaderFields,
} from '../../../seismic/segy/segy-reader';
import { withSegyFile } from '../../../seismic/segy/segy-sources';
import { chunkTracesFor, TraceStoreWriter } from '../../../seismic/trace-store';
import { failFile } from './file-validation-failure';
import type { ModalityProcessor } from './modality-processor';

/**
 * SEG-Y ingestion: every trace is read once, chunk by chunk (memory bounded by one chunk). The
 * version becomes a Parquet table of the trace headers (one row per trace: its index, every
 * standard header field and its RMS amplitude) and a chunked float32 trace store beside it
 * (`traces/manifest.json`) that seismic nodes read by trace range; the profile (amplitudes, dead
 * and clipped traces, spectrum) goes to the version's seismic metadata.
 */
export const processSeismic: ModalityProcessor = async (context) => {
  if (context.version.originalFormat === 'miniseed') {
    failFile(
      'SEISMIC.MINISEED_UNSUPPORTED',
      'miniSEED files are not read yet; convert the traces to SEG-Y and upload that file.',
    );
  }
  const rawKey = context.version.rawObjectKey ?? '';
  const prefix = context.processedKey.replace(/[^/]+$/, 'traces/');
  const headersCsv = join(context.tempDir, 'trace-headers.csv');
  try {
    return await withSegyFile(context.filePath, async (source) => {
      const file = await openSegy(source);
      const { layout } = file;
      if (layout.traceCount === 0) {
        failFile('SEGY.NO_TRACES', 'The file has SEG-Y headers but no traces after them.');
      }
      const chunkTraces = chunkTracesFor(layout.samplesPerTrace);
      const store = new TraceStoreWriter(
        context.blobs,
        prefix,
        {
          samplesPerTrace: layout.samplesPerTrace,
          sampleRateHz: layout.sampleRateHz,
          segy: { objectKey: rawKey, fileName: context.version.originalFilename, layout },
          headersKey: context.processedKey,
        },
        chunkTraces,
      );
      const profiler = new SeismicProfiler(layout.traceCount, layout.samplesPerTrace, layout.sampleRateHz);
      const csv = createWriteStream(headersCsv);
      const names = TRACE_HEADER_FIELDS.map((f) => f.name);
      csv.write(`trace,${names.join(',')},rms\n`);
      for (let start = 0; start < layout.traceCount; start += chunkTraces) {
        const block = await readTraces(source, layout, start, chunkTraces);
        profiler.add(start, block.samples);
        let lines = '';
        for (let t = 0; t < block.count; t += 1) {
          const fields = traceHeaderFields(block, layout, t);
          lines += `${start + t},${names.map((n) => fields[n] ?? 0).join(',')},${profiler.rms[start + t] ?? 0}\n`;
        }
        if (!csv.write(lines)) await once(csv, 'drain');
        await store.append(block.samples);
        await context.progress(
          10 + Math.floor((60 * (start + block.count)) / layout.traceCount),
          `reading traces ${start + 1}–${start + block.count} of ${layout.traceCount}`,
        );
      }
      csv.end();
      await once(csv, 'finish');
      const traces = await store.finish();
      const profile = profiler.finish();

      await context.progress(75, 'writing trace headers');
      const engine = await context.engine();
      const parquetPath = join(context.tempDir, 'data.parquet');
      await engine.run(
        `COPY (SELECT * FROM read_csv(${sqlString(headersCsv)}, header=true)) TO ${sqlString(parquetPath)} (FORMAT parquet, COMPRESSION zstd)`,
      );
      const { size } = await stat(parquetPath);
      await context.blobs.put(context.processedKey, createReadStream(parquetPath), {
        contentType: 'application/vnd.apache.parquet',
        contentLength: size,
      });
      const columns = [
        { name: 'trace', type: 'BIGINT' },
        ...names.map((name) => ({ name, type: 'BIGINT' })),
        { name: 'rms', type: 'DOUBLE' },
      ];
      return {
        processedObjectKey: context.processedKey,
        processedSizeBytes: size,
        rowCount: layout.traceCount,
        columnCount: columns.length,
        columnsMetadata: columns,
        modalityMetadata: {
          // The seed's seismic dataset facts: format, traces, samples, sample rate.
          format: 'segy',
          traces: layout.traceCount,
          samples: layout.samplesPerTrace,
          sampleRateHz: layout.sampleRateHz,
          sampleIntervalMicros: layout.sampleIntervalMicros,
          recordLengthSeconds: (layout.samplesPerTrace * layout.sampleIntervalMicros) / 1_000_000,
          formatCode: layout.formatCode,
          formatName: layout.formatName,
          byteOrder: layout.littleEndian ? 'little-endian' : 'big-endian',
          revision: `${layout.revision.major}.${layout.revision.minor}`,
          textEncoding: file.textEncoding,
          textualHeader: textualHeaderLines(file.textualHeader),
          extendedTextualHeaders: layout.extendedTextualHeaders,
          binaryHeader: file.binaryHeader,
          traceStoreKey: traces.key,
          chunkTraces,
          profile: { ...profile },
        },
      };
    });
  } catch (error) {
    if (error instanceof SegyFormatError) {
      failFile(error.code, error.message, error.trace === undefined ? {} : { row: error.trace });
    }
    throw error;
  }
};
