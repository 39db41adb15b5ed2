import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { e2eSuite } from '../../support/e2e-suite';
import { jobNode, runJobToEnd } from '../../support/job-runs';
import type { RegisteredUser } from '../../support/auth';
import { uploadValidatedVersion } from '../../support/upload-version';

/**
 * Downloads over presigned links, as a client makes them: the API answers 302 with the link (and
 * the link with the file's name, size and SHA-256 in the body), the client fetches the bytes from
 * storage. A version's original file and Parquet, a job node's output; another tenant's ids are a 404.
 */
const suite = e2eSuite('downloads', 2);

const CSV = [
  'id,name,score',
  '1,ada,0.9',
  '2,"=HYPERLINK(""http://x"")",0.4',
  '3,grace,0.7',
  '4,linus,0.1',
].join('\n');

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

interface Redirect {
  status: number;
  location: string | null;
  body: Record<string, unknown>;
}

/** A download route called without following its redirect. */
async function download(path: string, as: RegisteredUser = suite.user(0)): Promise<Redirect> {
  const res = await fetch(`${suite.platform.url}${path}`, { headers: as.authHeader, redirect: 'manual' });
  return {
    status: res.status,
    location: res.headers.get('location'),
    body: (await res.json()) as Record<string, unknown>,
  };
}

/** The bytes behind a presigned link, and the name storage says to save them under. */
async function fetchLink(url: string): Promise<{ bytes: Buffer; disposition: string | null }> {
  const res = await fetch(url);
  expect(res.status).toBe(200);
  return { bytes: Buffer.from(await res.arrayBuffer()), disposition: res.headers.get('content-disposition') };
}

async function dataset(name: string): Promise<string> {
  const created = await suite.api('POST', '/datasets', { name, modality: 'tabular' });
  expect(created.status).toBe(201);
  return String(created.body.id);
}

describe('downloads', () => {
  it('serves a version’s original file under its uploaded name, with the SHA-256 ingestion recorded', async () => {
    const datasetId = await dataset('scores');
    const bytes = Buffer.from(CSV);
    await uploadValidatedVersion(suite.platform.url, suite.user(0).authHeader, datasetId, {
      name: 'Scores été "final".csv',
      contentType: 'text/csv',
      bytes,
    });

    const answer = await download(`/datasets/${datasetId}/versions/1/download`);

    expect(answer.status, JSON.stringify(answer.body)).toBe(302);
    expect(answer.location).toBe(answer.body.url);
    // Upload names are made safe when the version is created (quotes become `_`).
    expect(answer.body).toMatchObject({
      fileName: 'Scores été _final_.csv',
      sha256: sha256(bytes),
      sizeBytes: bytes.byteLength,
      format: 'original',
    });
    const file = await fetchLink(String(answer.location));
    expect(file.bytes.equals(bytes)).toBe(true);
    expect(file.disposition).toBe(
      `attachment; filename="Scores ete _final_.csv"; filename*=UTF-8''Scores%20%C3%A9t%C3%A9%20_final_.csv`,
    );
  });

  it('serves the Parquet ingestion made of a version, named after the dataset and version', async () => {
    const datasetId = await dataset('scores parquet');
    await uploadValidatedVersion(suite.platform.url, suite.user(0).authHeader, datasetId, {
      name: 'scores.csv',
      contentType: 'text/csv',
      bytes: Buffer.from(CSV),
    });

    const answer = await download(`/datasets/${datasetId}/versions/1/download?format=parquet`);

    expect(answer.status, JSON.stringify(answer.body)).toBe(302);
    expect(answer.body).toMatchObject({ fileName: 'scores parquet-v1.parquet', format: 'parquet' });
    const file = await fetchLink(String(answer.location));
    expect(file.bytes.subarray(0, 4).toString()).toBe('PAR1');
    expect(file.bytes.byteLength).toBe(answer.body.sizeBytes);
  });

  it('says when a version has no file yet instead of a broken link', async () => {
    const datasetId = await dataset('still uploading');
    const started = await suite.api('POST', `/datasets/${datasetId}/versions`, {
      fileName: 'later.csv',
      contentType: 'text/csv',
      sizeBytes: 10,
    });
    expect(started.status).toBe(201);

    const original = await download(`/datasets/${datasetId}/versions/1/download`);
    const parquet = await download(`/datasets/${datasetId}/versions/1/download?format=parquet`);

    expect(original.status).toBe(409);
    expect(original.body).toMatchObject({ code: 'DATASET_VERSION.NOT_UPLOADED' });
    expect(parquet.status).toBe(409);
    expect(parquet.body).toMatchObject({ code: 'DATASET_VERSION.NO_PARQUET', field: 'query.format' });
    expect(JSON.stringify(parquet.body)).not.toMatch(/raw\/|processed\/|\/tmp|SELECT/);
  });

  it('serves the file a job’s export node wrote, under the name the node was given', async () => {
    const datasetId = await dataset('scores job');
    const version = await uploadValidatedVersion(suite.platform.url, suite.user(0).authHeader, datasetId, {
      name: 'scores.csv',
      contentType: 'text/csv',
      bytes: Buffer.from(CSV),
    });
    const pipeline = await suite.api('POST', '/pipelines', {
      name: 'scores out',
      datasetId,
      definition: {
        nodes: [
          { id: 'source', type: 'dataset.source', params: {} },
          { id: 'out', type: 'export.csv', params: { fileName: 'weekly-scores.csv' } },
        ],
        edges: [{ from: { node: 'source', port: 'table' }, to: { node: 'out', port: 'table' } }],
      },
    });
    expect(pipeline.status).toBe(201);
    const job = await runJobToEnd(suite.platform.url, suite.user(0).authHeader, {
      pipelineId: pipeline.body.id,
      datasetVersionId: version.id,
    });
    expect(job.status, JSON.stringify(jobNode(job, 'out'))).toBe('completed');

    const answer = await download(`/jobs/${String(job.id)}/nodes/out/outputs/file/download`);

    expect(answer.status, JSON.stringify(answer.body)).toBe(302);
    expect(answer.body).toMatchObject({ fileName: 'weekly-scores.csv' });
    const file = await fetchLink(String(answer.location));
    expect(file.bytes.byteLength).toBe(answer.body.sizeBytes);
    expect(file.disposition).toContain('filename="weekly-scores.csv"');
    const lines = file.bytes.toString('utf8').trim().split('\r\n');
    expect(lines[0]).toBe('id,"name",score');
    expect(lines).toHaveLength(5);
    // The node writes CSV with the exporter: a cell a spreadsheet would run as a formula is not one.
    expect(lines[2]).toBe(`2,"'=HYPERLINK(""http://x"")",0.4`);

    const missingPort = await download(`/jobs/${String(job.id)}/nodes/out/outputs/nope/download`);
    expect(missingPort.status).toBe(404);
    expect(missingPort.body).toMatchObject({ code: 'JOB_NODE.OUTPUT_NOT_FOUND', field: 'port' });

    // Another tenant asks for the same files: nothing says they exist.
    const other = suite.user(1);
    for (const path of [
      `/jobs/${String(job.id)}/nodes/out/outputs/file/download`,
      `/datasets/${datasetId}/versions/1/download`,
      `/datasets/${datasetId}/versions/1/download?format=parquet`,
    ]) {
      const stranger = await download(path, other);
      expect(stranger.status, path).toBe(404);
      expect(stranger.location).toBeNull();
    }
  });
});
