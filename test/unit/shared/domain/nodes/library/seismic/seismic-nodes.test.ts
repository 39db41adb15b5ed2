import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSegy, readTraces } from '../../../../../../../shared/domain/seismic/segy/segy-reader';
import { bytesSegySource } from '../../../../../../../shared/domain/seismic/segy/segy-sources';
import {
  readTraceRange,
  readTraceStore,
  TraceStoreWriter,
} from '../../../../../../../shared/domain/seismic/trace-store';
import type { RegisteredModels } from '../../../../../../../shared/domain/nodes/registered-models.port';
import { NotFoundError } from '../../../../../../../shared/kernel/app-error';
import { createNodeHarness, type NodeHarness } from '../../../../../support/node-test-context';
import { fixtureBytes, float32s, float64s, reference } from '../../../seismic/seismic-reference';

const PROCESSED =
  'processed/11111111-1111-4111-8111-111111111111/33333333-3333-4333-8333-333333333333/1/data.parquet';
const RAW = 'raw/11111111-1111-4111-8111-111111111111/33333333-3333-4333-8333-333333333333/1/line.sgy';
const dataset = {
  datasetId: '33333333-3333-4333-8333-333333333333',
  datasetVersionId: '44444444-4444-4444-8444-444444444444',
  versionNumber: 1,
  processedObjectKey: PROCESSED,
  rowCount: 24,
};

let h: NodeHarness;
beforeAll(async () => {
  h = await createNodeHarness();
  // The dataset as ingestion leaves it: the raw SEG-Y and a trace store of 10-trace chunks.
  const bytes = fixtureBytes('synthetic-ibm-big.sgy');
  await h.blobs.put(RAW, bytes);
  const source = bytesSegySource(bytes);
  const file = await openSegy(source);
  const store = new TraceStoreWriter(
    h.blobs,
    PROCESSED.replace(/[^/]+$/, 'traces/'),
    {
      samplesPerTrace: 301,
      sampleRateHz: 500,
      segy: { objectKey: RAW, fileName: 'line.sgy', layout: file.layout },
      headersKey: PROCESSED,
    },
    10,
  );
  for (let start = 0; start < 24; start += 10)
    await store.append((await readTraces(source, file.layout, start, 10)).samples);
  await store.finish();
});
afterAll(async () => {
  await h?.close();
});

async function source() {
  const result = await h.run('seismic.source', {}, {}, { dataset });
  return { traces: { key: result.outputs['traces']?.key ?? '' } };
}

/** The harness's registry of models, described as the database host describes them. */
function describingModels(): RegisteredModels {
  return {
    load: (reference) => h.models.load(reference),
    async describeModel(reference) {
      const index = h.learning.models.findIndex(
        (m) => reference.kind === 'version' && m.name === reference.name,
      );
      const model = h.learning.models[index];
      if (!model) throw new NotFoundError('Model', 'x');
      return {
        modelId: model.modelId,
        name: model.name ?? '',
        version: index + 1,
        algorithm: model.algorithm,
        problemType: model.problemType,
        artifactKey: model.artifactKey,
        sha256: model.artifactSha256,
        hyperparameters: model.hyperparameters,
      };
    },
  };
}

describe('seismic nodes', () => {
  it('seismic.source refuses a version without a trace store, saying how to get one', async () => {
    const tableOnly = {
      ...dataset,
      versionNumber: 2,
      processedObjectKey: PROCESSED.replace('/1/data.parquet', '/2/data.parquet'),
    };

    const run = h.run('seismic.source', {}, {}, { dataset: tableOnly });

    await expect(run).rejects.toMatchObject({ code: 'SEISMIC.NOT_SEISMIC', field: 'datasetId' });
    await expect(run).rejects.toThrow(`POST /datasets/${dataset.datasetId}/versions/2/reingest`);
  });

  it('seismic.bandpass filters chunk by chunk as scipy sosfiltfilt does, reporting each chunk', async () => {
    const inputs = await source();
    h.progress.length = 0;

    const result = await h.run('seismic.bandpass', inputs, { order: 4, lowHz: 8, highHz: 60 });

    const store = await readTraceStore(h.blobs, result.outputs['traces']?.key ?? '');
    expect(store.chunks).toHaveLength(3);
    const out = await readTraceRange(h.blobs, store, 0, 24);
    const expected = float64s(reference.filters[0]?.traces ?? '');
    let worst = 0;
    for (let i = 0; i < out.length; i += 1)
      worst = Math.max(worst, Math.abs((out[i] ?? 0) - (expected[i] ?? 0)));
    expect(worst).toBeLessThan(1e-6);
    expect(h.progress.map((p) => p.step)).toEqual(
      expect.arrayContaining([expect.stringMatching(/chunk 3 of 3/)]),
    );
  });

  it('AGC, median filter and f-x deconvolution keep the geometry; first breaks pick every trace', async () => {
    const inputs = await source();
    for (const [type, params] of [
      ['seismic.agc', { windowMs: 100 }],
      ['seismic.median_filter', { kernel: 3 }],
      ['seismic.fx_deconvolution', {}],
    ] as const) {
      const result = await h.run(type, inputs, params);
      const store = await readTraceStore(h.blobs, result.outputs['traces']?.key ?? '');
      expect([type, store.traceCount, store.samplesPerTrace]).toEqual([type, 24, 301]);
    }
    const picks = await h.run('seismic.first_breaks', inputs, { staMs: 10, ltaMs: 60, threshold: 2 });
    expect(picks.metrics['picked']).toBe(24);
    const rows = await h.rows(picks.outputs['table']?.key ?? '', 'trace');
    expect(rows).toHaveLength(24);
  });

  it('seismic.denoise registers its chain as a model, writes SEG-Y with the headers as uploaded, and a model runs again by name', async () => {
    const inputs = await source();

    const first = await h.run('seismic.denoise', inputs, {
      chain: [{ type: 'bandpass', params: { lowHz: 5, highHz: 80 } }, { type: 'fx_deconvolution' }],
      registerAs: 'line-denoiser',
      outputDataset: 'denoised line',
    });

    expect(first.metrics['snrGainDb']).toBeGreaterThan(0);
    expect(first.metrics['architecture']).toBe('bandpass → fx_deconvolution');
    const registered = h.learning.models.at(-1);
    expect(registered).toMatchObject({
      name: 'line-denoiser',
      problemType: 'denoising',
      algorithm: 'bandpass → fx_deconvolution',
    });
    const result = h.results.records.at(-1);
    expect(result?.outputDataset).toMatchObject({
      target: { name: 'denoised line' },
      fileName: 'denoised.sgy',
    });
    const written = await h.blobs.getBytes(first.outputs['segy']?.key ?? '');
    const original = fixtureBytes('synthetic-ibm-big.sgy');
    expect(written.length).toBe(original.length);
    const file = await openSegy(bytesSegySource(written));
    const block = await readTraces(bytesSegySource(written), file.layout, 0, 24);
    const source0 = await readTraces(bytesSegySource(original), file.layout, 0, 24);
    expect(Buffer.from(written.subarray(0, 3600))).toEqual(Buffer.from(original.subarray(0, 3600)));
    expect(Buffer.from(block.headers)).toEqual(Buffer.from(source0.headers));
    expect(block.samples).not.toEqual(float32s(reference.files['synthetic-ibm-big.sgy']?.samples ?? ''));

    const again = await h.run(
      'seismic.denoise',
      inputs,
      { model: 'line-denoiser', version: 1 },
      { models: describingModels() },
    );

    expect(again.metrics['modelName']).toBe('line-denoiser');
    expect(again.metrics['snrGainDb']).toBeCloseTo(Number(first.metrics['snrGainDb']), 9);
  });

  it('refuses a denoise node with neither a model nor a chain', async () => {
    const inputs = await source();
    await expect(h.run('seismic.denoise', inputs, {})).rejects.toThrow(/model or give a chain/);
  });
});
