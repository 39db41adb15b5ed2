import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { zipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { e2eSuite } from '../../support/e2e-suite';
import { jobNode, runJobToEnd } from '../../support/job-runs';
import { uploadValidatedVersion } from '../../support/upload-version';

/**
 * Video on the local runtime: a zip of clips in folders per class (red and blue, made by ffmpeg,
 * plus a file that is not video) becomes a video dataset whose manifest has each clip's duration,
 * frame rate, resolution and codec and lists the bad file; a pipeline samples frames from every
 * clip and turns them into features pooled per clip, which tell the two colours apart.
 */
type Body = Record<string, unknown>;

const suite = e2eSuite('video-frames', 1);
const { api } = suite;
const ffmpeg = join(
  dirname(createRequire(import.meta.url).resolve('@ffmpeg-installer/linux-x64/package.json')),
  'ffmpeg',
);

let scratch: string;
async function clip(colour: string, seconds: number): Promise<Uint8Array> {
  const out = join(scratch, `${colour}-${seconds}.mp4`);
  const made = spawnSync(ffmpeg, [
    '-v',
    'error',
    '-y',
    '-f',
    'lavfi',
    '-i',
    `color=c=${colour}:s=64x48:d=${seconds}:r=10`,
    '-c:v',
    'mpeg4',
    out,
  ]);
  expect(made.status, made.stderr.toString()).toBe(0);
  return new Uint8Array(await readFile(out));
}

describe('video frames and features', () => {
  let version: Body;
  let datasetId: string;

  beforeAll(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'pw-video-'));
    const created = await api('POST', '/datasets', { name: 'colours', modality: 'video' });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    datasetId = String(created.body.id);
    version = await uploadValidatedVersion(suite.platform.url, suite.user(0).authHeader, datasetId, {
      name: 'clips.zip',
      contentType: 'application/zip',
      bytes: zipSync({
        'red/a.mp4': await clip('red', 1),
        'red/b.mp4': await clip('red', 2),
        'blue/a.mp4': await clip('blue', 1),
        'blue/b.mp4': await clip('blue', 2),
        'blue/notes.mp4': new TextEncoder().encode('not a video at all'),
      }),
    });
  }, 180_000);
  afterAll(async () => {
    await rm(scratch, { recursive: true, force: true });
  });

  it('describes every clip and lists the file that is not video', async () => {
    expect(version).toMatchObject({ status: 'validated', rowCount: 4 });
    const meta = version.modalityMetadata as Body;
    expect(meta).toMatchObject({ layout: 'folders', clips: 4, fileErrorCount: 1, totalSeconds: 6 });
    expect((meta.fileErrors as Body[]).map((e) => [e.path, e.code])).toEqual([
      ['blue/notes.mp4', 'VIDEO.UNREADABLE'],
    ]);
    const preview = await api('GET', `/datasets/${datasetId}/versions/1/preview?limit=10`);
    expect(preview.status, JSON.stringify(preview.body)).toBe(200);
    expect(JSON.stringify(preview.body)).toContain('mpeg4');
  });

  it('samples frames from every clip and pools their features per clip', async () => {
    const pipeline = await api('POST', '/pipelines', {
      name: 'clip features',
      datasetId,
      definition: {
        nodes: [
          { id: 'source', type: 'dataset.source', params: {} },
          { id: 'frames', type: 'video.frames', params: { perSecond: 2, maxFrames: 8, width: 32 } },
          {
            id: 'features',
            type: 'video.features',
            params: { size: 16, hog: false, histogramBins: 4, pixelGrid: 2 },
          },
          { id: 'out', type: 'export.csv', params: { fileName: 'clips.csv' } },
        ],
        edges: [
          { from: { node: 'source', port: 'table' }, to: { node: 'frames', port: 'table' } },
          { from: { node: 'frames', port: 'table' }, to: { node: 'features', port: 'table' } },
          { from: { node: 'features', port: 'table' }, to: { node: 'out', port: 'table' } },
        ],
      },
    });
    expect(pipeline.status, JSON.stringify(pipeline.body)).toBe(201);
    const job = await runJobToEnd(suite.platform.url, suite.user(0).authHeader, {
      pipelineId: pipeline.body.id,
      datasetVersionId: version.id,
    });
    expect(job.status, JSON.stringify(job)).toBe('completed');
    // 2 frames a second: 2 from each 1 s clip, 4 from each 2 s clip.
    expect(jobNode(job, 'frames').metrics).toMatchObject({ clips: 4, frames: 12 });
    expect(jobNode(job, 'features').metrics).toMatchObject({ clips: 4, frames: 12 });
    const csv = await fetch(`${suite.platform.url}/jobs/${String(job.id)}/nodes/out/outputs/file/download`, {
      headers: suite.user(0).authHeader,
    });
    expect(csv.status).toBe(200);
    const [header = '', ...lines] = (await csv.text()).trim().split('\n');
    const columns = header.split(',');
    const red = columns.indexOf('px_0_0_r_mean');
    const blue = columns.indexOf('px_0_0_b_mean');
    expect(lines).toHaveLength(4);
    for (const line of lines) {
      const cells = line.split(',');
      const isRed = line.includes('red/');
      expect(Number(cells[isRed ? red : blue])).toBeGreaterThan(0.8);
      expect(Number(cells[isRed ? blue : red])).toBeLessThan(0.2);
    }
  }, 300_000);
});
