import { openSegy, readTraces } from '../../shared/domain/seismic/segy/segy-reader';
import { withSegyFile } from '../../shared/domain/seismic/segy/segy-sources';
import { chunkTracesFor, TraceStoreWriter } from '../../shared/domain/seismic/trace-store';
import { createNodeHarness } from '../../test/unit/support/node-test-context';
import { peakRssBytes, resetPeakRss } from '../peak-rss';

/**
 * A child process of the seismic benchmark: the SEG-Y file becomes a trace store as ingestion
 * writes it (chunks of 16 MiB), then the registry's `seismic.bandpass` node runs on it as a host
 * runs it, once per repetition, each with the peak RSS counter reset just before it (so the
 * figure is the node's, not the setup's). Sends { ms, peakRssBytes, peakReset } to the parent.
 *
 *   argv[2]: {"file": "/path/line.sgy", "repetitions": 5}
 */
export interface SeismicNodeMeasurement {
  ms: number[];
  peakRssBytes: number[];
  /** False when the kernel would not reset the peak: the figures then include the setup. */
  peakReset: boolean;
  traces: number;
}

const { file, repetitions } = JSON.parse(process.argv[2] ?? '{}') as { file: string; repetitions: number };
const PROCESSED = 'processed/bench/line/1/data.parquet';

const h = await createNodeHarness();
try {
  const manifestKey = await withSegyFile(file, async (source) => {
    const segy = await openSegy(source);
    const { layout } = segy;
    const chunkTraces = chunkTracesFor(layout.samplesPerTrace);
    const store = new TraceStoreWriter(
      h.blobs,
      PROCESSED.replace(/[^/]+$/, 'traces/'),
      {
        samplesPerTrace: layout.samplesPerTrace,
        sampleRateHz: layout.sampleRateHz,
        segy: { objectKey: 'raw/bench/line/1/line.sgy', fileName: 'line.sgy', layout },
        headersKey: PROCESSED,
      },
      chunkTraces,
    );
    for (let start = 0; start < layout.traceCount; start += chunkTraces) {
      await store.append((await readTraces(source, layout, start, chunkTraces)).samples);
    }
    return (await store.finish()).key;
  });
  const measurement: SeismicNodeMeasurement = { ms: [], peakRssBytes: [], peakReset: true, traces: 0 };
  for (let r = 0; r < repetitions; r += 1) {
    measurement.peakReset = resetPeakRss() && measurement.peakReset;
    const started = performance.now();
    const result = await h.run(
      'seismic.bandpass',
      { traces: { key: manifestKey } },
      {
        order: 4,
        lowHz: 5,
        highHz: 80,
      },
    );
    measurement.ms.push(performance.now() - started);
    measurement.peakRssBytes.push(peakRssBytes());
    measurement.traces = Number(result.metrics['traces']);
    // Each repetition's output store is removed so the disk holds one copy at a time.
    await h.blobs.deletePrefix((result.outputs['traces']?.key ?? '').replace(/manifest\.json$/, ''));
  }
  process.send?.(measurement);
} finally {
  await h.close();
}
