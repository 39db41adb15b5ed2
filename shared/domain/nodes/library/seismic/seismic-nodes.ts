import { createHash, randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import * as z from 'zod';
import { NotFoundError, ValidationError } from '../../../../kernel/app-error';
import { objectKeys } from '../../../../storage/object-keys';
import { DenoisingMeter } from '../../../seismic/processing/denoising-metrics';
import { staLtaFirstBreaks } from '../../../seismic/processing/trace-operations';
import { readChunk, readTraceStore, type TraceStoreManifest } from '../../../seismic/trace-store';
import { defineNode, type NodeContext, type NodeImplementation } from '../../node-definition';
import type { ModelReference } from '../../registered-models.port';
import { throwIfCancelled, writeParquetOutput } from '../../table-io';
import { quoteLiteral } from '../../table-sql';
import {
  agcParams,
  architectureOf,
  bandpassParams,
  chainOperation,
  chainStep,
  fxParams,
  medianParams,
  operationOf,
  type ChainStep,
} from './seismic-operations';
import { inputTraces, processTraceStore, writeSegyOutput } from './seismic-trace-io';

/** A seismic dataset version's trace store: beside its trace-header Parquet, under traces/. */
export const seismicSourceNode = defineNode({
  key: 'seismic.source',
  params: z
    .object({
      datasetId: z.uuid().optional().describe("The seismic dataset to read; absent: the pipeline's dataset."),
      version: z
        .union([z.number().int().min(1), z.literal('current')], {
          error: 'must be an integer ≥ 1 or "current"',
        })
        .default('current'),
    })
    .strict(),
  async run(context, _inputs, params) {
    const resolved = await context.resolveDataset({
      ...(params.datasetId ? { datasetId: params.datasetId } : {}),
      version: params.version,
    });
    const key = resolved.processedObjectKey.replace(/[^/]+$/, 'traces/manifest.json');
    let manifest: TraceStoreManifest;
    try {
      manifest = await readTraceStore(context.blobs, key);
    } catch (error) {
      if (!(error instanceof NotFoundError)) throw error;
      throw new ValidationError(
        `Version ${resolved.versionNumber} of the dataset has no trace store: seismic nodes read SEG-Y versions as ingestion stores their traces. Upload a SEG-Y file, or ingest this version again (POST /datasets/${resolved.datasetId}/versions/${resolved.versionNumber}/reingest).`,
        { code: 'SEISMIC.NOT_SEISMIC', field: 'datasetId' },
      );
    }
    await context.progress(1, `version ${resolved.versionNumber}: ${manifest.traceCount} traces`);
    return {
      outputs: { traces: { key, format: 'json', rows: manifest.traceCount } },
      metrics: {
        datasetId: resolved.datasetId,
        datasetVersionId: resolved.datasetVersionId,
        version: resolved.versionNumber,
        // Rows are traces, as the job's cost estimate counts them.
        rows: manifest.traceCount,
        traces: manifest.traceCount,
        samplesPerTrace: manifest.samplesPerTrace,
        sampleRateHz: manifest.sampleRateHz,
      },
    };
  },
});

function traceNode<S extends z.ZodType>(key: string, type: ChainStep['type'], params: S): NodeImplementation {
  return defineNode({
    key,
    params,
    async run(context, inputs, parsed) {
      const manifest = await inputTraces(context, inputs);
      const step = chainStep.parse({ type, params: parsed });
      const { output } = await processTraceStore(context, manifest, operationOf(step, manifest));
      return {
        outputs: { traces: output },
        metrics: { traces: manifest.traceCount, chunks: manifest.chunks.length },
      };
    },
  });
}

export const bandpassNode = traceNode('seismic.bandpass', 'bandpass', bandpassParams);
export const agcNode = traceNode('seismic.agc', 'agc', agcParams);
export const fxDeconvolutionNode = traceNode('seismic.fx_deconvolution', 'fx_deconvolution', fxParams);
export const medianFilterNode = traceNode('seismic.median_filter', 'median_filter', medianParams);

export const firstBreaksNode = defineNode({
  key: 'seismic.first_breaks',
  params: z
    .object({
      staMs: z.number().positive().default(10).describe('Short window, ms.'),
      ltaMs: z.number().positive().default(100).describe('Long window, ms.'),
      threshold: z.number().positive().default(4).describe('STA/LTA ratio that marks the first break.'),
    })
    .strict()
    .refine((p) => p.staMs < p.ltaMs, { message: 'staMs must be shorter than ltaMs', path: ['staMs'] }),
  async run(context, inputs, params) {
    const manifest = await inputTraces(context, inputs);
    const ns = manifest.samplesPerTrace;
    const sta = Math.max(1, Math.round((params.staMs / 1000) * manifest.sampleRateHz));
    const lta = Math.max(sta + 1, Math.round((params.ltaMs / 1000) * manifest.sampleRateHz));
    const lines: string[] = ['trace,sample,time_ms,ratio'];
    let picked = 0;
    for (let i = 0; i < manifest.chunks.length; i += 1) {
      throwIfCancelled(context);
      const chunk = manifest.chunks[i];
      if (!chunk) continue;
      const picks = staLtaFirstBreaks(
        await readChunk(context.blobs, manifest, i),
        ns,
        sta,
        lta,
        params.threshold,
      );
      picks.forEach((pick, t) => {
        if (pick.sample !== null) picked += 1;
        const time = pick.sample === null ? '' : String((pick.sample * 1000) / manifest.sampleRateHz);
        lines.push(`${chunk.start + t},${pick.sample ?? ''},${time},${pick.ratio}`);
      });
      await context.progress((i + 1) / manifest.chunks.length, `chunk ${i + 1} of ${manifest.chunks.length}`);
    }
    const csv = path.join(context.workDir, 'first-breaks.csv');
    await writeFile(csv, `${lines.join('\n')}\n`);
    const table = await writeParquetOutput(
      context,
      'table',
      `SELECT * FROM read_csv(${quoteLiteral(csv)}, header=true, columns={'trace': 'BIGINT', 'sample': 'BIGINT', 'time_ms': 'DOUBLE', 'ratio': 'DOUBLE'})`,
    );
    return { outputs: { table }, metrics: { traces: manifest.traceCount, picked } };
  },
});

const DENOISER_FORMAT = 'pipeweave.seismic-denoiser';
const denoiserArtifact = z.object({
  format: z.literal(DENOISER_FORMAT),
  version: z.literal(1),
  chain: z.array(chainStep),
});

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function referenceOf(model: string, version: number | undefined): ModelReference {
  if (version !== undefined) return { kind: 'version', name: model, version };
  if (UUID.test(model)) return { kind: 'id', modelId: model.toLowerCase() };
  const at = /^(.+)@([^@]+)$/.exec(model);
  if (at?.[1] && at[2]) return { kind: 'alias', name: at[1], alias: at[2] };
  throw new ValidationError(
    `Say which version of "${model}": add "version", or name an alias as "${model}@production".`,
    {
      code: 'NODE.PARAMS_INVALID',
      field: 'params.model',
    },
  );
}

/** The chain a registered denoiser holds, its artifact checked against its SHA-256. */
async function loadDenoiser(context: NodeContext, reference: ModelReference) {
  if (!context.models.describeModel) throw new Error('This host cannot read registered processing models.');
  const model = await context.models.describeModel(reference);
  if (model.problemType !== 'denoising') {
    throw new ValidationError(
      `Model "${model.name}" v${model.version} is a ${model.problemType ?? 'other'} model, not a seismic denoiser.`,
      {
        code: 'NODE.PARAMS_INVALID',
        field: 'params.model',
      },
    );
  }
  const bytes = await context.blobs.getBytes(model.artifactKey);
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  if (sha256 !== model.sha256)
    throw new Error(`The artifact of model ${model.modelId} does not match its SHA-256.`);
  const artifact = denoiserArtifact.parse(JSON.parse(new TextDecoder().decode(bytes)));
  return { model, chain: artifact.chain };
}

export const denoiseParams = z
  .object({
    model: z
      .string()
      .trim()
      .min(1)
      .max(320)
      .optional()
      .describe('A registered denoiser: its id, "name@alias", or a name with "version".'),
    version: z.number().int().min(1).optional(),
    chain: z.array(chainStep).min(1).max(10).optional().describe('The filter chain, when no model is named.'),
    registerAs: z
      .string()
      .trim()
      .min(1)
      .max(255)
      .optional()
      .describe('Register the chain as a denoising model under this name.'),
    cleanDatasetId: z
      .uuid()
      .optional()
      .describe('A noise-free version of the same traces: the MSE and SNR are measured against it.'),
    outputDataset: z
      .string()
      .trim()
      .min(1)
      .max(255)
      .optional()
      .describe(
        'Keep the denoised SEG-Y as the next version of this seismic dataset (created when missing).',
      ),
  })
  .strict()
  .refine((p) => (p.model === undefined) !== (p.chain === undefined), {
    message: 'name a registered model or give a chain, one of the two',
    path: ['model'],
  });

/**
 * Denoises the traces with a registered denoiser (or a chain given here, which it can register),
 * chunk by chunk; writes the traces and the SEG-Y (every header as in the upload), measures the
 * SNR gain (and MSE against a clean reference) and records them as the job's result.
 */
export const denoiseNode = defineNode({
  key: 'seismic.denoise',
  params: denoiseParams,
  async run(context, inputs, params) {
    const manifest = await inputTraces(context, inputs);
    const loaded = params.model
      ? await loadDenoiser(context, referenceOf(params.model, params.version))
      : undefined;
    const chain = loaded?.chain ?? params.chain ?? [];
    let clean: TraceStoreManifest | undefined;
    if (params.cleanDatasetId) {
      const resolved = await context.resolveDataset({ datasetId: params.cleanDatasetId, version: 'current' });
      clean = await readTraceStore(
        context.blobs,
        resolved.processedObjectKey.replace(/[^/]+$/, 'traces/manifest.json'),
      );
      if (clean.traceCount !== manifest.traceCount || clean.samplesPerTrace !== manifest.samplesPerTrace) {
        throw new ValidationError(
          `The clean reference has ${clean.traceCount} traces of ${clean.samplesPerTrace} samples; the data ${manifest.traceCount} of ${manifest.samplesPerTrace}.`,
          { code: 'NODE.PARAMS_INVALID', field: 'params.cleanDatasetId' },
        );
      }
    }
    const meter = new DenoisingMeter(manifest.samplesPerTrace);
    const processed = await processTraceStore(context, manifest, chainOperation(chain, manifest), {
      meter,
      ...(clean ? { clean } : {}),
      share: 0.85,
    });
    await context.progress(0.9, 'writing SEG-Y');
    const segy = await writeSegyOutput(context, processed.manifest, 'segy');
    const achieved = meter.finish();
    const architecture = architectureOf(chain);
    const metrics = {
      snrGainDb: achieved.snrGainDb,
      snrBeforeDb: achieved.snrBeforeDb,
      snrAfterDb: achieved.snrAfterDb,
      snrMethod: achieved.snrMethod,
      ...(achieved.mseBefore === undefined
        ? {}
        : { mseBefore: achieved.mseBefore, mse: achieved.mseAfter ?? 0 }),
      traces: manifest.traceCount,
      architecture,
      ...(loaded
        ? { modelId: loaded.model.modelId, modelName: loaded.model.name, modelVersion: loaded.model.version }
        : {}),
    };
    let registered: { modelId: string; version: number } | undefined;
    if (params.registerAs) {
      const modelId = randomUUID();
      const artifact = JSON.stringify({ format: DENOISER_FORMAT, version: 1, chain });
      const artifactKey = objectKeys.model(context.userId, modelId);
      await context.blobs.put(artifactKey, artifact, { contentType: 'application/json' });
      const dataset = await context.jobDataset();
      registered = await context.learning.registerModel({
        modelId,
        name: params.registerAs,
        algorithm: architecture,
        problemType: 'denoising',
        frameworkVersion: `${DENOISER_FORMAT}/1`,
        artifactKey,
        artifactSizeBytes: Buffer.byteLength(artifact),
        artifactSha256: createHash('sha256').update(artifact).digest('hex'),
        metrics: {
          snrGainDb: achieved.snrGainDb,
          snrMethod: achieved.snrMethod,
          ...(achieved.mseAfter === undefined ? {} : { mse: achieved.mseAfter }),
        },
        hyperparameters: { architecture, chain },
        featureSchema: {
          kind: 'seismic-traces',
          samplesPerTrace: manifest.samplesPerTrace,
          sampleRateHz: manifest.sampleRateHz,
        },
        ...(dataset ? { datasetVersionId: dataset.datasetVersionId } : {}),
        seed: 0,
      });
    }
    const recorded = await context.results.record({
      outputKey: segy.key,
      rowCount: manifest.traceCount,
      metrics: {
        ...metrics,
        ...(registered
          ? { registeredModelId: registered.modelId, registeredVersion: registered.version }
          : {}),
      },
      outputDataset: params.outputDataset
        ? { target: { name: params.outputDataset }, fileName: 'denoised.sgy', sizeBytes: segy.bytes }
        : undefined,
    });
    return {
      outputs: {
        traces: processed.output,
        segy: {
          key: segy.key,
          format: 'segy',
          rows: manifest.traceCount,
          bytes: segy.bytes,
          fileName: 'denoised.sgy',
        },
      },
      metrics: {
        ...metrics,
        resultId: recorded.resultId,
        ...(recorded.outputDataset
          ? {
              outputDatasetId: recorded.outputDataset.datasetId,
              outputVersion: recorded.outputDataset.versionNumber,
            }
          : {}),
        ...(registered
          ? { registeredModelId: registered.modelId, registeredVersion: registered.version }
          : {}),
      },
    };
  },
});

export const seismicNodes: NodeImplementation[] = [
  seismicSourceNode,
  bandpassNode,
  agcNode,
  fxDeconvolutionNode,
  medianFilterNode,
  firstBreaksNode,
  denoiseNode,
];
