import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalPlatform, type LocalPlatform } from '../../../infra/local/local-platform';
import { registerUser, type RegisteredUser } from '../../support/auth';
import { until } from '../../support/until';
import { uploadValidatedVersion } from '../../support/upload-version';
import { callApi } from '../../support/api-client';

/**
 * Deleting a pipeline does not take its jobs with it: a job runs from an immutable snapshot of the
 * pipeline, so after `DELETE /pipelines/{id}` the job, its nodes and its outputs are still there,
 * and the job can be run again from the same snapshot. Driven over HTTP on the local runtime.
 */
type Body = Record<string, unknown>;
interface JobNodeBody {
  nodeId: string;
  status: string;
  outputs: Record<string, { key: string; rows?: number; format: string }> | null;
}

const CSV = [
  'sepal_length,petal_length,species',
  '5.1,1.4,setosa',
  '7.0,4.7,versicolor',
  '6.3,6.0,virginica',
  '4.9,1.4,setosa',
  '6.4,4.5,versicolor',
].join('\n');

const DEFINITION = {
  nodes: [
    { id: 'source', type: 'dataset.source', params: {} },
    {
      id: 'large',
      type: 'table.filter_rows',
      params: { conditions: [{ column: 'petal_length', operator: '>', value: 4 }] },
    },
    { id: 'csv', type: 'export.csv', params: {} },
  ],
  edges: [
    { from: { node: 'source', port: 'table' }, to: { node: 'large', port: 'table' } },
    { from: { node: 'large', port: 'table' }, to: { node: 'csv', port: 'table' } },
  ],
};

describe('jobs of a deleted pipeline', () => {
  let platform: LocalPlatform;
  let dataDir: string;
  let user: RegisteredUser;
  let datasetId: string;
  let versionId: string;

  const api = (method: string, pathname: string, body?: unknown) =>
    callApi(platform.url, user.authHeader, method, pathname, body);

  const createPipeline = async (name: string) => {
    const created = await api('POST', '/pipelines', { name, datasetId, definition: DEFINITION });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    return String(created.body.id);
  };

  const startJob = async (pipelineId: string) => {
    const started = await api('POST', '/jobs', { pipelineId, datasetVersionId: versionId });
    expect(started.status, JSON.stringify(started.body)).toBe(201);
    return String(started.body.id);
  };

  const waitForEnd = (jobId: string) =>
    until(`job ${jobId} to end`, async () => {
      const { body } = await api('GET', `/jobs/${jobId}`);
      return ['completed', 'failed', 'cancelled'].includes(String(body.status)) ? body : undefined;
    });

  const nodesOf = (job: Body) => new Map((job.nodes as JobNodeBody[]).map((n) => [n.nodeId, n]));

  const csvLines = async (job: Body) => {
    const key = nodesOf(job).get('csv')?.outputs?.['file']?.key ?? '';
    expect(key).toBe(`jobs/${user.userId}/${String(job.id)}/csv/file.csv`);
    return Buffer.from(await platform.services.blobs.getBytes(key))
      .toString('utf8')
      .trim()
      .split('\r\n');
  };

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'pw-deleted-pipeline-'));
    platform = await startLocalPlatform({ dataDir, port: 0 });
    user = await registerUser(platform.url);
    const created = await api('POST', '/datasets', { name: 'flowers', modality: 'tabular' });
    expect(created.status).toBe(201);
    datasetId = String(created.body.id);
    const version = await uploadValidatedVersion(platform.url, user.authHeader, datasetId, {
      name: 'flowers.csv',
      contentType: 'text/csv',
      bytes: Buffer.from(CSV),
    });
    versionId = String(version.id);
  });

  afterAll(async () => {
    await platform?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('a finished job stays readable with its nodes and outputs, and runs again from its snapshot', async () => {
    const pipelineId = await createPipeline('large flowers');
    const jobId = await startJob(pipelineId);
    const finished = await waitForEnd(jobId);
    expect(finished.status, JSON.stringify(finished.error)).toBe('completed');

    expect((await api('DELETE', `/pipelines/${pipelineId}`)).status).toBe(204);
    expect((await api('GET', `/pipelines/${pipelineId}`)).status).toBe(404);
    const listed = await api('GET', '/pipelines');
    expect((listed.body.items as Body[]).map((p) => p.id)).not.toContain(pipelineId);

    // The job answers exactly as before the deletion: status, nodes, outputs, credits.
    const after = await api('GET', `/jobs/${jobId}`);
    expect(after.status).toBe(200);
    expect(after.body).toEqual(finished);
    expect(after.body.pipelineId).toBe(pipelineId);
    const nodes = nodesOf(after.body);
    expect([...nodes.keys()].sort()).toEqual(['csv', 'large', 'source']);
    for (const node of nodes.values()) expect(node.status, node.nodeId).toBe('success');
    expect(nodes.get('large')?.outputs?.['table']?.rows).toBe(3);
    // Its output objects are still there.
    const lines = await csvLines(after.body);
    expect(lines[0]).toBe('sepal_length,petal_length,"species"');
    expect(lines).toHaveLength(4);
    // And it is still found by the pipeline it ran.
    const byPipeline = await api('GET', `/jobs?pipelineId=${pipelineId}`);
    expect((byPipeline.body.items as Body[]).map((j) => j.id)).toEqual([jobId]);

    // A new job cannot start from the deleted pipeline…
    const refused = await api('POST', '/jobs', { pipelineId, datasetVersionId: versionId });
    expect(refused.status).toBe(404);
    expect(refused.body).toMatchObject({ status: 404 });

    // …but the finished one runs again from its snapshot, to the same result.
    const retried = await api('POST', `/jobs/${jobId}/retry`, {});
    expect(retried.status, JSON.stringify(retried.body)).toBe(201);
    expect(retried.body.id).not.toBe(jobId);
    expect(retried.body.snapshotId).toBe(finished.snapshotId);
    expect(retried.body.pipelineId).toBe(pipelineId);
    const rerun = await waitForEnd(String(retried.body.id));
    expect(rerun.status, JSON.stringify(rerun.error)).toBe('completed');
    expect(nodesOf(rerun).get('large')?.outputs?.['table']?.rows).toBe(3);
    expect(await csvLines(rerun)).toEqual(lines);
    // The pipeline stays deleted.
    expect((await api('GET', `/pipelines/${pipelineId}`)).status).toBe(404);
  });

  it('a job whose pipeline is deleted right after it starts still runs to completion', async () => {
    const pipelineId = await createPipeline('deleted at once');
    const jobId = await startJob(pipelineId);
    expect((await api('DELETE', `/pipelines/${pipelineId}`)).status).toBe(204);

    const job = await waitForEnd(jobId);
    expect(job.status, JSON.stringify(job.error)).toBe('completed');
    expect(nodesOf(job).get('large')?.outputs?.['table']?.rows).toBe(3);
    expect(await csvLines(job)).toHaveLength(4);
  });
  it('lists every job, those of deleted pipelines included, newest first and page by page', async () => {
    // Two jobs started together (often within one millisecond), then their pipeline deleted.
    const pipelineId = await createPipeline('listed');
    const started = await Promise.all([startJob(pipelineId), startJob(pipelineId)]);
    expect((await api('DELETE', `/pipelines/${pipelineId}`)).status).toBe(204);
    for (const jobId of started) expect((await waitForEnd(jobId)).status).toBe('completed');

    const all = await api('GET', '/jobs?limit=100');
    expect(all.body.nextCursor).toBeNull();
    const everyId = (all.body.items as Body[]).map((job) => job.id);
    expect(everyId).toEqual(expect.arrayContaining(started));
    const created = (all.body.items as Body[]).map((job) => Date.parse(String(job.createdAt)));
    expect(created).toEqual([...created].sort((a, b) => b - a));

    // One job a page, following nextCursor: the same jobs in the same order, none twice.
    const paged: unknown[] = [];
    let cursor: string | null = null;
    do {
      const query: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : '';
      const page = await api('GET', `/jobs?limit=1${query}`);
      expect(page.status, JSON.stringify(page.body)).toBe(200);
      paged.push(...(page.body.items as Body[]).map((job) => job.id));
      cursor = page.body.nextCursor as string | null;
    } while (cursor && paged.length <= everyId.length);
    expect(paged).toEqual(everyId);

    const foreign = Buffer.from('["yesterday","1 OR 1=1"]').toString('base64url');
    const refused = await api('GET', `/jobs?cursor=${foreign}`);
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({ code: 'REQUEST.INVALID_CURSOR', field: 'query.cursor' });
  });
});
