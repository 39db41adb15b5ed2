import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { VersionValidationIssue } from '../../../../../../shared/domain/datasets/dataset-records';
import { readTraceRange, readTraceStore } from '../../../../../../shared/domain/seismic/trace-store';
import { startWorkerHarness, type WorkerHarness } from '../../../../support/worker-harness';
import {
  fixtureBytes,
  float32s,
  reference,
} from '../../../../../unit/shared/domain/seismic/seismic-reference';

let h: WorkerHarness;
beforeAll(async () => {
  h = await startWorkerHarness();
});
afterAll(async () => {
  await h?.stop();
});

const errors = (value: unknown) => value as VersionValidationIssue[];

describe('SEG-Y ingestion', () => {
  it('stores trace headers as Parquet and the samples as a trace store read by range, with a profile', async () => {
    const arrival = await h.arrive({
      fileName: 'line.sgy',
      format: 'segy',
      modality: 'seismic',
      body: fixtureBytes('synthetic-ibm-big.sgy'),
    });

    await h.process(arrival);

    const version = await h.version(arrival);
    expect(version.status).toBe('validated');
    expect(version.row_count).toBe(24);
    const metadata = version.modality_metadata as Record<string, unknown>;
    expect(metadata).toMatchObject({
      format: 'segy',
      traces: 24,
      samples: 301,
      sampleRateHz: 500,
      formatCode: 1,
    });
    expect((metadata['textualHeader'] as string[])[0]).toBe(
      'C 1 PIPEWEAVE SYNTHETIC 2-D LINE FOR READER AND WRITER PARITY',
    );
    const profile = metadata['profile'] as { dominantFrequencyHz: number; deadTraces: { count: number } };
    expect(profile.deadTraces.count).toBe(0);
    expect(profile.dominantFrequencyHz).toBeGreaterThan(10);
    const store = await readTraceStore(h.services.blobs, String(metadata['traceStoreKey']));
    expect(store.traceCount).toBe(24);
    const middle = await readTraceRange(h.services.blobs, store, 5, 3);
    expect(middle).toEqual(
      float32s(reference.files['synthetic-ibm-big.sgy']?.samples ?? '').subarray(5 * 301, 8 * 301),
    );
    expect(version.processed_object_key).toMatch(/data\.parquet$/);
  });

  it('fails a truncated file naming the trace it ends in', async () => {
    const arrival = await h.arrive({
      fileName: 'cut.sgy',
      format: 'segy',
      modality: 'seismic',
      body: fixtureBytes('synthetic-ieee-little.sgy').subarray(0, 3600 + 5 * (240 + 301 * 4) + 100),
    });

    await h.process(arrival);

    const version = await h.version(arrival);
    expect(version.status).toBe('failed');
    expect(errors(version.validation_errors)[0]).toMatchObject({ code: 'SEGY.TRUNCATED', row: 6 });
    expect(errors(version.validation_errors)[0]?.message).toMatch(/ends inside trace 6/);
  });
});
