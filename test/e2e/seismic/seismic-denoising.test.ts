import { beforeAll, describe, expect, it } from 'vitest';
import { openSegy, readTraces } from '../../../shared/domain/seismic/segy/segy-reader';
import { bytesSegySource } from '../../../shared/domain/seismic/segy/segy-sources';
import { callApi } from '../../support/api-client';
import { e2eSuite } from '../../support/e2e-suite';
import { jobNode, runJobToEnd } from '../../support/job-runs';
import { syntheticSegyLine } from '../../support/synthetic-segy';
import { until } from '../../support/until';
import { uploadValidatedVersion, validatedVersion } from '../../support/upload-version';

/**
 * Seismic denoising as a user runs it on the local runtime: a synthetic SEG-Y line (reflectivity
 * convolved with a Ricker wavelet, plus noise) and its noise-free twin are uploaded; the shipped
 * template registers its filter chain as a denoising model; the model then runs on the line
 * against the clean reference, showing its progress; the result holds the denoised SEG-Y as a
 * dataset version, the SNR gain and the MSE; the SEG-Y downloads over a presigned link and reads
 * back with every header as uploaded; another tenant reaches none of it.
 */
type Body = Record<string, unknown>;

const suite = e2eSuite('seismic-denoising', 2);
const { api } = suite;
const owner = () => suite.user(0);
const other = () => suite.user(1);

const line = syntheticSegyLine({ traces: 600, samplesPerTrace: 1000 });

async function seismicDataset(
  name: string,
  bytes: Uint8Array,
): Promise<{ datasetId: string; version: Body }> {
  const created = await api('POST', '/datasets', { name, modality: 'seismic' });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  const datasetId = String(created.body.id);
  const version = await uploadValidatedVersion(suite.platform.url, owner().authHeader, datasetId, {
    name: `${name}.sgy`,
    contentType: 'application/octet-stream',
    bytes,
  });
  return { datasetId, version };
}

/** The file behind a download route, fetched over the presigned link it redirects to. */
async function downloaded(pathname: string): Promise<Uint8Array> {
  const res = await fetch(`${suite.platform.url}${pathname}`, {
    headers: owner().authHeader,
    redirect: 'manual',
  });
  expect(res.status, await res.clone().text()).toBe(302);
  const location = res.headers.get('location') ?? '';
  expect(location).toMatch(/^https?:\/\/.*X-Amz-Signature=/);
  const file = await fetch(location);
  expect(file.status).toBe(200);
  return new Uint8Array(await file.arrayBuffer());
}

async function patchDenoise(pipelineId: string, definition: Body, params: Body): Promise<void> {
  const nodes = (definition.nodes as Body[]).map((node) =>
    node.id === 'denoise' ? { ...node, params } : node,
  );
  const patched = await api('PATCH', `/pipelines/${pipelineId}`, { definition: { ...definition, nodes } });
  expect(patched.status, JSON.stringify(patched.body)).toBe(200);
}

describe('seismic denoising end to end', () => {
  let noisy: { datasetId: string; version: Body };
  let clean: { datasetId: string; version: Body };
  let pipelineId: string;
  let definition: Body;
  let registering: Body;
  let modelId: string;
  let job: Body;
  let observed: Body[];

  beforeAll(async () => {
    noisy = await seismicDataset('line 7', line.noisy);
    clean = await seismicDataset('line 7 clean', line.clean);

    const templates = await api('GET', '/pipelines?template=true');
    const template = (templates.body.items as Body[]).find((t) => t.templateKey === 'seismic.denoising');
    expect(template, JSON.stringify(templates.body)).toBeDefined();
    const clone = await api('POST', `/pipelines/${String(template?.id)}/clone`, {
      name: 'line 7 denoising',
      datasetId: noisy.datasetId,
    });
    expect(clone.status, JSON.stringify(clone.body)).toBe(201);
    pipelineId = String(clone.body.id);
    definition = clone.body.definition as Body;

    // The template as shipped: its chain runs and is registered as a denoising model.
    registering = await runJobToEnd(suite.platform.url, owner().authHeader, {
      pipelineId,
      datasetVersionId: noisy.version.id,
    });
    expect(registering.status, JSON.stringify(registering)).toBe('completed');
    modelId = String((jobNode(registering, 'denoise').metrics as Body).registeredModelId);

    // The registered model, run on the line against the clean reference.
    await patchDenoise(pipelineId, definition, {
      model: modelId,
      cleanDatasetId: clean.datasetId,
      outputDataset: 'line 7 denoised',
    });
    const started = await api('POST', '/jobs', { pipelineId, datasetVersionId: noisy.version.id });
    expect(started.status, JSON.stringify(started.body)).toBe(201);
    observed = [];
    job = await until(
      'the denoising job to end',
      async () => {
        const { body } = await api('GET', `/jobs/${String(started.body.id)}`);
        observed.push(body);
        return ['completed', 'failed', 'cancelled'].includes(String(body.status)) ? body : undefined;
      },
      120_000,
      20,
    );
    expect(job.status, JSON.stringify(job)).toBe('completed');
  }, 240_000);

  it('ingests the SEG-Y upload with the seismic dataset facts', () => {
    expect(noisy.version.modalityMetadata).toMatchObject({
      format: 'segy',
      traces: line.traces,
      samples: line.samplesPerTrace,
      sampleRateHz: 500,
      formatCode: 5,
      byteOrder: 'big-endian',
    });
    expect(noisy.version.rowCount).toBe(line.traces);
  });

  it('lists seismic denoising as an available task', async () => {
    const tasks = await api('GET', '/ml-tasks?modality=seismic');
    expect(tasks.status, JSON.stringify(tasks.body)).toBe(200);
    expect(tasks.body.items as Body[]).toEqual(
      expect.arrayContaining([expect.objectContaining({ key: 'seismic.denoising' })]),
    );
  });

  it('registers the template’s chain as a denoising model with what it achieved', async () => {
    const res = await api('GET', `/models/${modelId}`);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({
      name: 'seismic denoiser',
      problemType: 'denoising',
      algorithm: 'bandpass → fx_deconvolution',
    });
    expect(Number((res.body.metrics as Body).snrGainDb)).toBeGreaterThan(0);
    const registered = jobNode(registering, 'denoise').metrics as Body;
    expect(Number(registered.snrGainDb)).toBeGreaterThan(0);
    expect(registered.snrMethod).toBe('adjacent-trace-coherence');
    // A denoiser runs on traces in a pipeline, not on rows sent to it.
    const rows = await api('POST', `/models/${modelId}/predict`, { rows: [{ trace: 1 }] });
    expect(rows.body).toMatchObject({ status: 400, code: 'MODEL.DENOISER', field: 'modelId' });
  });

  it('shows the job’s progress while the model runs, then 100 when it completes', () => {
    const running = observed.filter((body) => body.status === 'running');
    const partial = running.map((body) => Number(body.progress)).filter((p) => p > 0 && p < 100);
    expect(partial.length, JSON.stringify(running)).toBeGreaterThan(0);
    expect(running.map((body) => String(body.currentStep))).toEqual(
      // What the denoise node itself reports: the traces done, then the SEG-Y being written.
      expect.arrayContaining([expect.stringMatching(/^denoise: /)]),
    );
    // Progress never goes back.
    const all = observed.map((body) => Number(body.progress));
    expect(all).toEqual([...all].sort((a, b) => a - b));
    expect(job.progress).toBe(100);
  });

  it('records the result: the model used, an SNR gain above 0 dB and the MSE against the clean traces, and the output dataset', async () => {
    const res = await api('GET', `/jobs/${String(job.id)}/results`);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const items = res.body.items as Body[];
    expect(items).toHaveLength(1);
    const result = items[0] ?? {};
    const metrics = result.metrics as Body;
    expect(result).toMatchObject({ nodeId: 'denoise', rowCount: line.traces });
    expect(metrics).toMatchObject({ modelId, snrMethod: 'clean-reference', traces: line.traces });
    expect(Number(metrics.snrGainDb)).toBeGreaterThan(0);
    expect(Number(metrics.mse)).toBeLessThan(Number(metrics.mseBefore));

    const output = result.outputDataset as Body;
    expect(output).toMatchObject({ version: 1 });
    const version = await validatedVersion(
      suite.platform.url,
      owner().authHeader,
      String(output.datasetId),
      Number(output.version),
    );
    expect(version.modalityMetadata).toMatchObject({ format: 'segy', traces: line.traces });
    const dataset = await api('GET', `/datasets/${String(output.datasetId)}`);
    expect(dataset.body).toMatchObject({ name: 'line 7 denoised', modality: 'seismic' });
  });

  it('serves the denoised SEG-Y over a presigned link, with every header as uploaded', async () => {
    const original = await openSegy(bytesSegySource(line.noisy));
    const input = await readTraces(bytesSegySource(line.noisy), original.layout, 0, line.traces);
    const reference = await openSegy(bytesSegySource(line.clean));
    const truth = await readTraces(bytesSegySource(line.clean), reference.layout, 0, line.traces);

    const output = ((await api('GET', `/jobs/${String(job.id)}/results`)).body.items as Body[])[0]
      ?.outputDataset as Body;
    for (const pathname of [
      `/jobs/${String(job.id)}/nodes/denoise/outputs/segy/download`,
      `/datasets/${String(output.datasetId)}/versions/${String(output.version)}/download`,
    ]) {
      const bytes = await downloaded(pathname);
      expect(bytes.byteLength, pathname).toBe(line.noisy.byteLength);
      const file = await openSegy(bytesSegySource(bytes));
      expect(file.layout).toEqual(original.layout);
      expect(Buffer.from(file.preamble).equals(Buffer.from(original.preamble))).toBe(true);
      const traces = await readTraces(bytesSegySource(bytes), file.layout, 0, line.traces);
      expect(Buffer.from(traces.headers).equals(Buffer.from(input.headers))).toBe(true);
      // The samples are the denoised ones: nearer the clean traces than the upload was.
      const error = (samples: Float32Array) =>
        samples.reduce((sum, value, i) => sum + (value - (truth.samples[i] ?? 0)) ** 2, 0);
      expect(error(traces.samples)).toBeLessThan(error(input.samples) / 2);
    }
  });

  it('refuses a seismic pipeline on a table, naming the dataset to change', async () => {
    const created = await api('POST', '/datasets', { name: 'picks', modality: 'tabular' });
    const table = await uploadValidatedVersion(
      suite.platform.url,
      owner().authHeader,
      String(created.body.id),
      { name: 'picks.csv', contentType: 'text/csv', bytes: Buffer.from('trace,time\n1,0.2\n2,0.3\n3,0.4\n') },
    );
    const refused = await api('POST', '/jobs', { pipelineId, datasetVersionId: table.id });
    expect(refused.status, JSON.stringify(refused.body)).toBe(400);
    expect(refused.body).toMatchObject({ code: 'PIPELINE.INVALID' });
    expect(refused.body).toMatchObject({ field: 'pipeline.definition.nodes[source].params.datasetId' });
    expect((refused.body.errors as Body[])[0]?.message).toBe(
      `Node "source" (seismic.source) reads seismic datasets; dataset ${String(created.body.id)} is tabular. Choose a seismic dataset.`,
    );
  });

  it('keeps the model, the job and the denoised file from another tenant', async () => {
    const asOther = (pathname: string) =>
      callApi(suite.platform.url, other().authHeader, 'GET', pathname).then((res) => res.status);
    expect(await asOther(`/models/${modelId}`)).toBe(404);
    expect(await asOther(`/jobs/${String(job.id)}/results`)).toBe(404);
    expect(await asOther(`/jobs/${String(job.id)}/nodes/denoise/outputs/segy/download`)).toBe(404);
    // Their pipeline naming our dataset does not start.
    const theirs = await api(
      'POST',
      '/pipelines',
      {
        name: 'borrowed',
        definition: {
          nodes: [
            { id: 'source', type: 'seismic.source', params: { datasetId: noisy.datasetId } },
            { id: 'denoise', type: 'seismic.denoise', params: { chain: [{ type: 'median_filter' }] } },
          ],
          edges: [{ from: { node: 'source', port: 'traces' }, to: { node: 'denoise', port: 'traces' } }],
        },
      },
      other(),
    );
    expect(theirs.status, JSON.stringify(theirs.body)).toBe(201);
    const check = await api('POST', `/pipelines/${String(theirs.body.id)}/validate`, undefined, other());
    expect(check.body.valid).toBe(false);
    expect(check.body.errors).toEqual([
      expect.objectContaining({ field: 'nodes[source].params.datasetId', code: 'PIPELINE.UNKNOWN_DATASET' }),
    ]);
  });
});
