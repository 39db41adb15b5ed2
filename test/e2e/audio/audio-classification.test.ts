import { zipSync } from 'fflate';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeWav, encodeWav } from '../../../shared/domain/audio/wav';
import { labelledRecording } from '../../support/audio/synth';
import { e2eSuite } from '../../support/e2e-suite';
import { jobNode, runJobToEnd } from '../../support/job-runs';
import { nodeOutputRows } from '../../support/node-output-rows';
import { until } from '../../support/until';
import { uploadValidatedVersion } from '../../support/upload-version';

/**
 * Audio end to end on the local runtime, as a user meets it: a zip of synthesised recordings in
 * folders per class (a low hum, a high whistle, hiss; one of them FLAC-free WAV at another rate,
 * plus a file that is not audio) becomes an audio dataset whose version lists the bad file and
 * profiles the rest; the audio classification template trains gradient boosting on MFCC and
 * spectral features and registers it; the model predicts recordings it never saw better than the
 * majority class; the version exports as one folder per class that reads back as the same audio.
 */
type Body = Record<string, unknown>;

const suite = e2eSuite('audio-classification', 1);
const { api } = suite;
const owner = () => suite.user(0);
const CLASSES = ['hum', 'whistle', 'hiss'] as const;
const PER_CLASS = 30;
const HELD_OUT_PER_CLASS = 6;

async function audioDataset(name: string): Promise<string> {
  const created = await api('POST', '/datasets', {
    name,
    modality: 'audio',
    problemType: 'classification',
    targetColumn: 'label',
  });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  return String(created.body.id);
}

function recordings(from: number, count: number, folders: boolean): Record<string, Uint8Array> {
  const files: Record<string, Uint8Array> = {};
  for (const label of CLASSES)
    for (let i = from; i < from + count; i += 1) {
      const audio = labelledRecording(label, i);
      files[folders ? `${label}/${label}-${i}.wav` : `${label}-${i}.wav`] = encodeWav(
        audio,
        i % 4 === 0 ? 'float32' : 'pcm16',
      );
    }
  return files;
}

describe('audio classification end to end', () => {
  let datasetId: string;
  let version: Body;
  let modelId: string;

  beforeAll(async () => {
    datasetId = await audioDataset('sounds');
    version = await uploadValidatedVersion(suite.platform.url, owner().authHeader, datasetId, {
      name: 'sounds.zip',
      contentType: 'application/zip',
      bytes: zipSync({
        ...recordings(0, PER_CLASS, true),
        'hiss/notes.wav': new TextEncoder().encode('these are notes, not a recording'),
      }),
    });
  }, 180_000);

  it('keeps every recording, lists the file that is not audio, and profiles the set', async () => {
    expect(version).toMatchObject({ status: 'validated', rowCount: 3 * PER_CLASS });
    const meta = version.modalityMetadata as Body;
    expect(meta).toMatchObject({ layout: 'folders', recordings: 3 * PER_CLASS, fileErrorCount: 1 });
    expect((meta.fileErrors as Body[]).map((e) => e.path)).toEqual(['hiss/notes.wav']);
    const profile = meta.profile as Body;
    expect(profile).toMatchObject({
      recordings: 3 * PER_CLASS,
      classCount: 3,
      durationSeconds: { min: 0.5, max: 0.5 },
      sampleRates: { '16000': 3 * PER_CLASS },
    });
    const served = await api('GET', `/datasets/${datasetId}/versions/1/profile`);
    expect(served.status, JSON.stringify(served.body)).toBe(200);
    const columns = (served.body.report as { columns?: Body[] }).columns ?? [];
    expect(columns.find((c) => c.name === 'label')).toMatchObject({ approxDistinct: 3, missing: 0 });
    expect(columns.find((c) => c.name === 'duration_seconds')).toMatchObject({ min: 0.5, max: 0.5 });
  });

  it('offers audio classification in GET /ml-tasks', async () => {
    const tasks = await api('GET', '/ml-tasks?modality=audio');
    expect((tasks.body.items as Body[]).map((t) => t.key)).toContain('audio.classification');
  });

  it('trains the template and predicts recordings it never saw better than the majority class', async () => {
    const templates = await api('GET', '/pipelines?template=true');
    const template = (templates.body.items as Body[]).find((t) => t.templateKey === 'audio.classification');
    expect(template, JSON.stringify(templates.body)).toBeDefined();
    const clone = await api('POST', `/pipelines/${String(template?.id)}/clone`, {
      name: 'sounds',
      datasetId,
    });
    expect(clone.status, JSON.stringify(clone.body)).toBe(201);
    const job = await runJobToEnd(
      suite.platform.url,
      owner().authHeader,
      { pipelineId: clone.body.id, datasetVersionId: version.id },
      300_000,
    );
    expect(job.status, JSON.stringify(job)).toBe('completed');
    expect(jobNode(job, 'features_train').metrics).toMatchObject({
      features: 13 * 2 + 40 + 8,
      keptColumns: 'label',
    });
    modelId = String((jobNode(job, 'train').metrics as Body).modelId);

    const heldOut = await audioDataset('new sounds');
    const heldOutVersion = await uploadValidatedVersion(suite.platform.url, owner().authHeader, heldOut, {
      name: 'new.zip',
      contentType: 'application/zip',
      bytes: zipSync(recordings(100, HELD_OUT_PER_CLASS, true)),
    });
    const pipeline = await api('POST', '/pipelines', {
      name: 'predict sounds',
      datasetId: heldOut,
      definition: {
        nodes: [
          { id: 'source', type: 'dataset.source', params: {} },
          { id: 'features', type: 'audio.features', params: { keep: ['path', 'label'] } },
          { id: 'predict', type: 'model.predict', params: { model: modelId } },
        ],
        edges: [
          { from: { node: 'source', port: 'table' }, to: { node: 'features', port: 'table' } },
          { from: { node: 'features', port: 'table' }, to: { node: 'predict', port: 'table' } },
        ],
      },
    });
    expect(pipeline.status, JSON.stringify(pipeline.body)).toBe(201);
    const predicted = await runJobToEnd(suite.platform.url, owner().authHeader, {
      pipelineId: pipeline.body.id,
      datasetVersionId: heldOutVersion.id,
    });
    expect(predicted.status, JSON.stringify(predicted)).toBe('completed');
    const results = await api('GET', `/jobs/${String(predicted.id)}/results`);
    const metrics = (results.body.items as Body[])[0]?.metrics as Body;
    expect(metrics).toMatchObject({ rowsPredicted: 3 * HELD_OUT_PER_CLASS });
    // Every class has as many recordings: always answering one class scores 1/3.
    expect(Number(metrics.accuracy)).toBeGreaterThan(1 / 3 + 0.25);

    // The same recordings sent over HTTP as base64 WAV get the labels the pipeline gave them.
    const rows = await nodeOutputRows(suite.platform.url, owner().authHeader, predicted.id, 'predict');
    const batch = new Map(rows.map((row) => [String(row.path), String(row.prediction)]));
    const sent = Object.entries(recordings(100, HELD_OUT_PER_CLASS, true));
    const answer = await api('POST', `/models/${modelId}/predict`, {
      rows: sent.map(([, bytes]) => ({ audio: { base64: Buffer.from(bytes).toString('base64') } })),
    });
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    expect(answer.body.predictions).toEqual(sent.map(([path]) => batch.get(path)));
    const notWav = await api('POST', `/models/${modelId}/predict`, {
      rows: [{ audio: { base64: Buffer.from('fLaC and more').toString('base64') } }],
    });
    expect(notWav.status).toBe(400);
    expect(notWav.body).toMatchObject({ code: 'PREDICTION.INVALID_FILE', field: 'body.rows[0].audio' });
  }, 620_000);

  it('exports the version as one folder per class whose files read back as the recordings', async () => {
    const created = await api('POST', '/exports', {
      source: { datasetVersionId: version.id },
      format: 'huggingface',
      options: {},
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const done = await until(`export ${String(created.body.id)} to end`, async () => {
      const { body } = await api('GET', `/exports/${String(created.body.id)}`);
      return body.status === 'completed' || body.status === 'failed' ? body : undefined;
    });
    expect(done.status, JSON.stringify(done.error)).toBe('completed');
    const files = done.files as { relativePath: string }[];
    expect(files).toHaveLength(3 * PER_CLASS);
    const first = files.find((f) => f.relativePath.startsWith('train/hum/'));
    expect(first, JSON.stringify(files.slice(0, 3))).toBeDefined();
    const link = await fetch(
      `${suite.platform.url}/exports/${String(done.id)}/download?file=${encodeURIComponent(first?.relativePath ?? '')}`,
      { headers: owner().authHeader },
    );
    expect(link.status).toBe(200);
    const audio = decodeWav(new Uint8Array(await link.arrayBuffer()));
    expect(audio.sampleRate).toBe(16_000);
    expect(audio.channels[0]?.length).toBe(8000);
  }, 120_000);
});
