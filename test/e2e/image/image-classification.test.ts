import { createHash } from 'node:crypto';
import { zipSync } from 'fflate';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { e2eSuite } from '../../support/e2e-suite';
import { drawShapeSet } from '../../support/image/draw-shapes';
import { parseExample, readTfRecords } from '../../support/image/read-tfrecord';
import { jobNode } from '../../support/job-runs';
import { nodeOutputRows } from '../../support/node-output-rows';
import { until } from '../../support/until';
import { uploadValidatedVersion } from '../../support/upload-version';

/**
 * Images end to end on the local runtime, as a user meets them: a zip of shapes drawn with sharp
 * in folders per class (plus a truncated JPEG and a text file) becomes an image dataset whose
 * version lists the two bad files and profiles the rest; the image classification template trains
 * gradient boosting on image features and registers it; the model predicts images it never saw
 * better than always answering the largest class; the version exports as TFRecord and as the
 * Hugging Face imagefolder layout, which read back; another tenant reaches none of it.
 */
type Body = Record<string, unknown>;

const suite = e2eSuite('image-classification', 2);
const { api } = suite;
const owner = () => suite.user(0);

const PER_CLASS = 24;
const HELD_OUT_PER_CLASS = 10;

/** A size × size PNG of seeded noise (incompressible, so the file is about 3 bytes a pixel). */
async function noisePng(size: number): Promise<Buffer> {
  const pixels = Buffer.alloc(size * size * 3);
  let state = 12345;
  for (let i = 0; i < pixels.length; i += 1) {
    state = (state * 1103515245 + 12345) >>> 0;
    pixels[i] = state >>> 24;
  }
  return sharp(pixels, { raw: { width: size, height: size, channels: 3 } })
    .png({ compressionLevel: 0 })
    .toBuffer();
}

async function imageDataset(name: string): Promise<string> {
  const created = await api('POST', '/datasets', {
    name,
    modality: 'image',
    problemType: 'classification',
    targetColumn: 'label',
  });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  return String(created.body.id);
}

async function uploadZip(datasetId: string, files: Record<string, Uint8Array>): Promise<Body> {
  return uploadValidatedVersion(suite.platform.url, owner().authHeader, datasetId, {
    name: 'shapes.zip',
    contentType: 'application/zip',
    bytes: zipSync(files),
  });
}

async function download(exportId: string, relativePath: string): Promise<Buffer> {
  const answer = await fetch(
    `${suite.platform.url}/exports/${exportId}/download?file=${encodeURIComponent(relativePath)}`,
    { headers: owner().authHeader, redirect: 'manual' },
  );
  expect(answer.status).toBe(302);
  const file = await fetch(String(answer.headers.get('location')));
  return Buffer.from(await file.arrayBuffer());
}

/**
 * Starts a job and polls it until it ends. Training runs in the local runtime's own process, so a
 * poll may meet a connection the busy server let go (ECONNRESET): that poll is simply repeated.
 */
async function runJob(request: { pipelineId: unknown; datasetVersionId: unknown }): Promise<Body> {
  const started = await api('POST', '/jobs', request);
  expect(started.status, JSON.stringify(started.body)).toBe(201);
  return until(
    `job ${String(started.body.id)} to end`,
    async () => {
      const polled = await api('GET', `/jobs/${String(started.body.id)}`).catch((error: unknown) => {
        if (error instanceof TypeError) return undefined;
        throw error;
      });
      const status = String(polled?.body.status);
      return polled && ['completed', 'failed', 'cancelled'].includes(status) ? polled.body : undefined;
    },
    300_000,
    250,
  );
}

async function exported(versionId: string, format: string): Promise<Body> {
  const created = await api('POST', '/exports', {
    source: { datasetVersionId: versionId },
    format,
    options: {},
  });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  return until(`export ${String(created.body.id)} to end`, async () => {
    const { body } = await api('GET', `/exports/${String(created.body.id)}`);
    return body.status === 'completed' || body.status === 'failed' ? body : undefined;
  });
}

describe('image classification end to end', () => {
  let datasetId: string;
  let version: Body;
  let job: Body;
  let modelId: string;
  let heldOutImages: { name: string; label: string; bytes: Buffer }[];
  let batchJob: Body;

  beforeAll(async () => {
    datasetId = await imageDataset('shapes');
    const set = await drawShapeSet(PER_CLASS, 1, { size: 48, format: 'jpeg' });
    const truncated = set[0]?.bytes.subarray(0, 200) ?? Buffer.alloc(0);
    version = await uploadZip(datasetId, {
      ...Object.fromEntries(set.map((f) => [`shapes/${f.name}`, new Uint8Array(f.bytes)])),
      'shapes/circle/broken.jpg': new Uint8Array(truncated),
      'shapes/square/readme.txt': new TextEncoder().encode('drawn with sharp'),
    });
  }, 180_000);

  it('lists every corrupt or unsupported file with its path and keeps the other images', () => {
    expect(version).toMatchObject({ status: 'validated', rowCount: 3 * PER_CLASS });
    const meta = version.modalityMetadata as Body;
    expect(meta).toMatchObject({ layout: 'folders', images: 3 * PER_CLASS, fileErrorCount: 2 });
    expect((meta.fileErrors as Body[]).map((e) => [e.path, e.code])).toEqual([
      ['shapes/circle/broken.jpg', 'IMAGE.CORRUPT'],
      ['shapes/square/readme.txt', 'IMAGE.UNSUPPORTED'],
    ]);
  });

  it('profiles the images: class balance, sizes, aspect ratios and the corrupt count', () => {
    const profile = (version.modalityMetadata as Body).profile as Body;
    expect(profile).toMatchObject({
      images: 3 * PER_CLASS,
      classes: [
        { label: 'circle', count: PER_CLASS },
        { label: 'square', count: PER_CLASS },
        { label: 'triangle', count: PER_CLASS },
      ],
      imbalanceRatio: 1,
      width: { min: 48, median: 48, max: 48 },
      aspectRatio: { median: 1 },
      corruptCount: 1,
      rejectedCount: 2,
    });
    expect(Array.isArray(profile.nearDuplicateGroups)).toBe(true);
  });

  it('serves the manifest’s profile like any version’s: the label column and the image sizes', async () => {
    const profile = await api('GET', `/datasets/${datasetId}/versions/1/profile`);
    expect(profile.status, JSON.stringify(profile.body)).toBe(200);
    const columns = profile.body.report as { columns?: Body[] };
    const label = columns.columns?.find((c) => c.name === 'label');
    expect(label).toMatchObject({ approxDistinct: 3, missing: 0 });
    expect(columns.columns?.find((c) => c.name === 'width')).toMatchObject({ min: 48, max: 48 });
  });

  it('offers image classification, not object detection, in GET /ml-tasks', async () => {
    const tasks = await api('GET', '/ml-tasks?modality=image');
    expect(tasks.status).toBe(200);
    expect((tasks.body.items as Body[]).map((t) => t.key)).toEqual(['image.classification']);
  });

  it('trains the template: image features, gradient boosting, evaluation, a registered model', async () => {
    const templates = await api('GET', '/pipelines?template=true');
    const template = (templates.body.items as Body[]).find((t) => t.templateKey === 'image.classification');
    expect(template, JSON.stringify(templates.body)).toBeDefined();
    const clone = await api('POST', `/pipelines/${String(template?.id)}/clone`, {
      name: 'shapes',
      datasetId,
    });
    expect(clone.status, JSON.stringify(clone.body)).toBe(201);
    job = await runJob({ pipelineId: clone.body.id, datasetVersionId: version.id });
    expect(job.status, JSON.stringify(job)).toBe('completed');
    const features = jobNode(job, 'features_train');
    expect(features.metrics).toMatchObject({ features: 8 * 8 * 3 + 8 * 3 + 324, keptColumns: 'label' });
    modelId = String((jobNode(job, 'train').metrics as Body).modelId);
    const model = await api('GET', `/models/${modelId}`);
    expect(model.status).toBe(200);
    expect(Number((model.body.metrics as Body).test_accuracy)).toBeGreaterThan(0.6);
    expect(jobNode(job, 'evaluate').status).toBe('success');
  }, 320_000);

  it('predicts images it never saw better than the majority class', async () => {
    const heldOut = await imageDataset('new shapes');
    const set = await drawShapeSet(HELD_OUT_PER_CLASS, 99, { size: 48, format: 'png' });
    const heldOutVersion = await uploadZip(
      heldOut,
      Object.fromEntries(set.map((f) => [f.name, new Uint8Array(f.bytes)])),
    );
    const pipeline = await api('POST', '/pipelines', {
      name: 'predict shapes',
      datasetId: heldOut,
      definition: {
        nodes: [
          { id: 'source', type: 'dataset.source', params: {} },
          { id: 'features', type: 'image.features', params: { keep: ['path', 'label'] } },
          { id: 'predict', type: 'model.predict', params: { model: modelId } },
        ],
        edges: [
          { from: { node: 'source', port: 'table' }, to: { node: 'features', port: 'table' } },
          { from: { node: 'features', port: 'table' }, to: { node: 'predict', port: 'table' } },
        ],
      },
    });
    expect(pipeline.status, JSON.stringify(pipeline.body)).toBe(201);
    const predicted = await runJob({ pipelineId: pipeline.body.id, datasetVersionId: heldOutVersion.id });
    expect(predicted.status, JSON.stringify(predicted)).toBe('completed');
    const results = await api('GET', `/jobs/${String(predicted.id)}/results`);
    expect(results.status, JSON.stringify(results.body)).toBe(200);
    const metrics = (results.body.items as Body[])[0]?.metrics as Body;
    expect(metrics).toMatchObject({
      rowsPredicted: 3 * HELD_OUT_PER_CLASS,
      rowsScored: 3 * HELD_OUT_PER_CLASS,
    });
    // Every class has as many images: always answering one class scores 1/3.
    expect(Number(metrics.accuracy)).toBeGreaterThan(1 / 3 + 0.25);
    heldOutImages = set;
    batchJob = predicted;
  }, 300_000);

  it('predicts an image sent over HTTP as base64 with the label the batch pipeline gave it', async () => {
    const rows = await nodeOutputRows(suite.platform.url, owner().authHeader, batchJob.id, 'predict');
    const batch = new Map(rows.map((row) => [String(row.path), String(row.prediction)]));
    const sent = heldOutImages.slice(0, 12);
    const answer = await api('POST', `/models/${modelId}/predict`, {
      rows: sent.map((image) => ({ image: { base64: Buffer.from(image.bytes).toString('base64') } })),
    });
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    expect(answer.body.predictions).toEqual(sent.map((image) => batch.get(image.name)));
    expect((answer.body.probabilities as Body[])[0]).toHaveProperty('circle');

    // An undecodable file, or a row without the image, is a 400 naming its row and field.
    const bad = await api('POST', `/models/${modelId}/predict`, {
      rows: [
        { image: { base64: Buffer.from(sent[0]?.bytes ?? []).toString('base64') } },
        { image: { base64: Buffer.from('not an image').toString('base64') } },
        { image: 'square.png' },
      ],
    });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ code: 'PREDICTION.INVALID_FILE' });
    expect((bad.body.errors as Body[]).map((issue) => issue.field)).toEqual([
      'body.rows[1].image',
      'body.rows[2].image',
    ]);
    expect(String((bad.body.errors as Body[])[0]?.message)).toMatch(
      /^Row 1, "image": the image cannot be decoded/,
    );

    // A photo-sized file (noise does not compress: about 270 KB of PNG) predicts like a small one;
    // one past the per-file limit is refused naming where it is and the limit.
    const large = await noisePng(300);
    expect(large.length).toBeGreaterThan(200_000);
    const bigAnswer = await api('POST', `/models/${modelId}/predict`, {
      rows: [{ image: { base64: large.toString('base64') } }],
    });
    expect(bigAnswer.status, JSON.stringify(bigAnswer.body)).toBe(200);
    expect(['circle', 'square', 'triangle']).toContain((bigAnswer.body.predictions as string[])[0]);
    const tooLarge = await noisePng(488);
    expect(tooLarge.length).toBeGreaterThan(700_000);
    const refused = await api('POST', `/models/${modelId}/predict`, {
      rows: [{ image: { base64: tooLarge.toString('base64') } }],
    });
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({
      code: 'REQUEST.FIELD_TOO_LARGE',
      field: 'body.rows.0.image.base64',
    });
  }, 120_000);

  it('exports the version as TFRecord whose image/encoded holds each stored image', async () => {
    const done = await exported(String(version.id), 'tensorflow');
    expect(done.status, JSON.stringify(done.error)).toBe('completed');
    expect(done.rowCount).toBe(3 * PER_CLASS);
    const records = readTfRecords(
      new Uint8Array(await download(String(done.id), 'train-00000-of-00001.tfrecord')),
    );
    expect(records).toHaveLength(3 * PER_CLASS);
    const example = parseExample(records[0] ?? new Uint8Array());
    const encoded = (example.get('image/encoded') as { bytes: Uint8Array[] }).bytes[0] ?? new Uint8Array();
    expect(await sharp(encoded).metadata()).toMatchObject({ format: 'jpeg', width: 48, height: 48 });
    const classes = JSON.parse(
      (await download(String(done.id), 'classes.json')).toString('utf8'),
    ) as string[];
    expect(classes).toEqual(['circle', 'square', 'triangle']);
  }, 120_000);

  it('exports the version in the Hugging Face imagefolder layout, one folder per class, byte for byte', async () => {
    const done = await exported(String(version.id), 'huggingface');
    expect(done.status, JSON.stringify(done.error)).toBe('completed');
    const files = done.files as { relativePath: string; sha256: string }[];
    expect(files).toHaveLength(3 * PER_CLASS);
    expect(new Set(files.map((f) => f.relativePath.split('/').slice(0, 2).join('/')))).toEqual(
      new Set(['train/circle', 'train/square', 'train/triangle']),
    );
    const first = files.find((f) => f.relativePath === 'train/square/square-003.jpg');
    const bytes = await download(String(done.id), 'train/square/square-003.jpg');
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(first?.sha256);
  }, 120_000);

  it('keeps the dataset, its images and the model from another tenant', async () => {
    const other = suite.user(1);
    expect((await api('GET', `/datasets/${datasetId}/versions/1`, undefined, other)).status).toBe(404);
    expect((await api('GET', `/models/${modelId}`, undefined, other)).status).toBe(404);
  });
});
