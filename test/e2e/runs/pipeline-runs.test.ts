import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeSweepJobsHandler } from '../../../functions/schedules/sweep-jobs/sweep-jobs-handler';
import { startLocalPlatform, type LocalPlatform } from '../../../infra/local/local-platform';
import { openDuckDbEngine } from '../../../shared/adapters/duckdb/duckdb-sql-engine';
import { registerUser, type RegisteredUser } from '../../support/auth';
import { until } from '../../support/until';

/**
 * Pipeline runs as a client sees them on the local runtime: the dataset arrives through the real
 * upload path (presigned POST, storage event, queue, worker), the pipeline through the pipelines
 * API, and every job runs through statemachines/run-pipeline.asl.json with the same handlers the
 * Lambda functions run.
 */
type Body = Record<string, unknown>;
interface JobNodeBody {
  nodeId: string;
  status: string;
  startedAt: string | null;
  completedAt: string | null;
  durationMs: number | null;
  outputs: Record<string, { key: string; rows?: number; format: string }> | null;
  error: { message: string } | null;
}

describe('pipeline runs on the local runtime', () => {
  let platform: LocalPlatform;
  let dataDir: string;
  let user: RegisteredUser;
  let iris: { datasetId: string; versionId: string };
  let wide: { datasetId: string; versionId: string };

  const api = async (
    method: string,
    pathname: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ) => {
    const res = await fetch(`${platform.url}${pathname}`, {
      method,
      headers: {
        ...user.authHeader,
        ...headers,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return {
      status: res.status,
      replayed: res.headers.get('idempotent-replayed'),
      body: (text ? JSON.parse(text) : {}) as Body,
    };
  };

  const uploadCsv = async (name: string, csv: string) => {
    const created = await api('POST', '/datasets', { name, modality: 'tabular' });
    expect(created.status).toBe(201);
    const datasetId = String(created.body.id);
    const bytes = Buffer.from(csv);
    const requested = await api('POST', `/datasets/${datasetId}/versions`, {
      fileName: `${name}.csv`,
      contentType: 'text/csv',
      sizeBytes: bytes.byteLength,
    });
    expect(requested.status).toBe(201);
    const upload = requested.body.upload as {
      url: string;
      fields: Record<string, string>;
      fileField: string;
    };
    const form = new FormData();
    for (const [field, value] of Object.entries(upload.fields)) form.append(field, value);
    form.append(upload.fileField, new Blob([bytes], { type: 'text/csv' }), `${name}.csv`);
    expect((await fetch(upload.url, { method: 'POST', body: form })).status).toBeLessThan(300);
    const version = await until(`${name} to be validated`, async () => {
      const body = (await api('GET', `/datasets/${datasetId}/versions/1`)).body;
      if (body.status === 'failed')
        throw new Error(`ingestion failed: ${JSON.stringify(body.validationErrors)}`);
      return body.status === 'validated' ? body : undefined;
    });
    return { datasetId, versionId: String(version.id) };
  };

  const createPipeline = async (name: string, datasetId: string, definition: unknown) => {
    const created = await api('POST', '/pipelines', { name, datasetId, definition });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    return String(created.body.id);
  };

  const waitForJob = (jobId: string, statuses: string[]) =>
    until(`job ${jobId} to be ${statuses.join('/')}`, async () => {
      const { body } = await api('GET', `/jobs/${jobId}`);
      return statuses.includes(String(body.status)) ? body : undefined;
    });

  const nodesOf = (job: Body) => new Map((job.nodes as JobNodeBody[]).map((n) => [n.nodeId, n]));

  const readParquet = async (key: string) => {
    const dir = await mkdtemp(path.join(tmpdir(), 'pw-read-'));
    const session = await openDuckDbEngine({ threads: 1, allowedDirectories: [dir] });
    try {
      await platform.services.blobs.download(key, path.join(dir, 'out.parquet'));
      return await session.query(`SELECT * FROM read_parquet('${path.join(dir, 'out.parquet')}')`);
    } finally {
      session.close();
      await rm(dir, { recursive: true, force: true });
    }
  };

  /** One source read twice and joined on a constant key: enough work to still be running when asked to stop. */
  const slowJoinPipeline = async (name: string) =>
    createPipeline(name, wide.datasetId, {
      nodes: [
        { id: 'source', type: 'dataset.source', params: {} },
        { id: 'blowup', type: 'table.join', params: { on: ['k'] } },
      ],
      edges: [
        { from: { node: 'source', port: 'table' }, to: { node: 'blowup', port: 'left' } },
        { from: { node: 'source', port: 'table' }, to: { node: 'blowup', port: 'right' } },
      ],
    });

  const startRunningSlowJob = async (name: string) => {
    const pipelineId = await slowJoinPipeline(name);
    const started = await api('POST', '/jobs', { pipelineId, datasetVersionId: wide.versionId });
    expect(started.status).toBe(201);
    const jobId = String(started.body.id);
    await until('the join to be running', async () => {
      const job = (await api('GET', `/jobs/${jobId}`)).body;
      if (job.status === 'completed' || job.status === 'failed')
        throw new Error(`the slow job ended too early: ${JSON.stringify(job)}`);
      return nodesOf(job).get('blowup')?.status === 'running' ? job : undefined;
    });
    return jobId;
  };

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'pw-runs-e2e-'));
    platform = await startLocalPlatform({ dataDir, port: 0 });
    user = await registerUser(platform.url);
    iris = await uploadCsv(
      'iris',
      [
        'sepal_length,sepal_width,petal_length,petal_width,species',
        '5.1,3.5,1.4,0.2,setosa',
        '4.9,3.0,1.4,0.2,setosa',
        '7.0,3.2,4.7,1.4,versicolor',
        '6.4,3.2,4.5,1.5,versicolor',
        '6.3,3.3,6.0,2.5,virginica',
        '5.8,2.7,5.1,1.9,virginica',
        '6.9,3.1,4.9,1.5,versicolor',
        '7.7,3.8,6.7,2.2,virginica',
      ].join('\n'),
    );
    wide = await uploadCsv('wide', ['k,v', ...Array.from({ length: 4000 }, (_, i) => `1,${i}`)].join('\n'));
  });

  afterAll(async () => {
    await platform?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('runs a 5-node pipeline to completion: every node with status, timings and outputs, the output readable', async () => {
    const pipelineId = await createPipeline('iris to csv', iris.datasetId, {
      nodes: [
        { id: 'source', type: 'dataset.source', params: {} },
        {
          id: 'large',
          type: 'table.filter_rows',
          params: { conditions: [{ column: 'petal_length', operator: '>', value: 4 }] },
        },
        { id: 'label', type: 'table.rename_columns', params: { mapping: { species: 'label' } } },
        { id: 'split', type: 'table.split', params: { testFraction: 0.4, seed: 7 } },
        { id: 'csv', type: 'export.csv', params: { fileName: 'train.csv' } },
      ],
      edges: [
        { from: { node: 'source', port: 'table' }, to: { node: 'large', port: 'table' } },
        { from: { node: 'large', port: 'table' }, to: { node: 'label', port: 'table' } },
        { from: { node: 'label', port: 'table' }, to: { node: 'split', port: 'table' } },
        { from: { node: 'split', port: 'train' }, to: { node: 'csv', port: 'table' } },
      ],
    });

    const started = await api('POST', '/jobs', { pipelineId, datasetVersionId: iris.versionId, priority: 3 });
    expect(started.status, JSON.stringify(started.body)).toBe(201);
    expect(started.body).toMatchObject({
      status: 'queued',
      priority: 3,
      pipelineId,
      datasetVersionId: iris.versionId,
    });
    expect((started.body.credits as { estimated: number }).estimated).toBeGreaterThanOrEqual(1);
    const jobId = String(started.body.id);

    const job = await waitForJob(jobId, ['completed', 'failed']);
    expect(job.status, JSON.stringify(job.error)).toBe('completed');
    expect(job.progress).toBe(100);
    expect(job.error).toBeNull();
    expect(job.startedAt).not.toBeNull();
    expect(job.completedAt).not.toBeNull();
    const credits = job.credits as { estimated: number; charged: number };
    expect(credits.charged).toBeGreaterThan(0);
    expect(credits.charged).toBeLessThanOrEqual(credits.estimated);

    const nodes = nodesOf(job);
    expect([...nodes.keys()].sort()).toEqual(['csv', 'label', 'large', 'source', 'split']);
    for (const node of nodes.values()) {
      expect(node.status, node.nodeId).toBe('success');
      expect(node.startedAt, node.nodeId).not.toBeNull();
      expect(node.durationMs, node.nodeId).toBeGreaterThanOrEqual(0);
      expect(Object.keys(node.outputs ?? {}).length, node.nodeId).toBeGreaterThan(0);
    }
    expect(nodes.get('large')?.outputs?.['table']?.rows).toBe(6);

    // The execution is the job's: named after it, run by the same ASL file, succeeded.
    const execution = await platform.orchestrator.describeExecution(String(job.executionId));
    expect(execution).toMatchObject({ name: jobId, status: 'SUCCEEDED' });

    const train = await readParquet(nodes.get('split')?.outputs?.['train']?.key ?? '');
    const test = await readParquet(nodes.get('split')?.outputs?.['test']?.key ?? '');
    expect(train.length + test.length).toBe(6);
    expect(Object.keys(train[0] ?? {})).toContain('label');
    expect(train.every((row) => Number(row['petal_length']) > 4)).toBe(true);

    const csvKey = nodes.get('csv')?.outputs?.['file']?.key ?? '';
    expect(csvKey).toBe(`jobs/${user.userId}/${jobId}/csv/file.csv`);
    const csv = Buffer.from(await platform.services.blobs.getBytes(csvKey))
      .toString('utf8')
      .trim()
      .split('\r\n');
    // The exporter's CSV: CRLF line ends, text cells (and their names) quoted.
    expect(csv[0]).toBe('sepal_length,sepal_width,petal_length,petal_width,"label"');
    expect(csv).toHaveLength(train.length + 1);

    const listed = await api('GET', `/jobs?pipelineId=${pipelineId}&status=completed`);
    expect((listed.body.items as Body[]).map((j) => j.id)).toEqual([jobId]);
  });

  it('a failing node fails the job with its error, skips its descendants and lets independent branches finish', async () => {
    const pipelineId = await createPipeline('broken select', iris.datasetId, {
      nodes: [
        { id: 'source', type: 'dataset.source', params: {} },
        { id: 'pick', type: 'table.select_columns', params: { columns: ['petal_area'] } },
        { id: 'csv', type: 'export.csv', params: {} },
        { id: 'copy', type: 'export.parquet', params: {} },
      ],
      edges: [
        { from: { node: 'source', port: 'table' }, to: { node: 'pick', port: 'table' } },
        { from: { node: 'pick', port: 'table' }, to: { node: 'csv', port: 'table' } },
        { from: { node: 'source', port: 'table' }, to: { node: 'copy', port: 'table' } },
      ],
    });
    const started = await api('POST', '/jobs', { pipelineId, datasetVersionId: iris.versionId });
    const job = await waitForJob(String(started.body.id), ['completed', 'failed']);

    expect(job.status).toBe('failed');
    const error = job.error as { message: string };
    expect(error.message).toContain('Node "pick" (table.select_columns) failed');
    expect(error.message).toContain('Column "petal_area" does not exist');
    const nodes = nodesOf(job);
    expect(nodes.get('pick')?.status).toBe('failed');
    expect(nodes.get('pick')?.error?.message).toContain('petal_area');
    // What a user reads names the problem, never the server's files or stack frames.
    expect(JSON.stringify(job)).not.toMatch(/traceback|node_modules|\.ts:\d+|\bat \w+ \(/);
    expect(nodes.get('csv')?.status).toBe('skipped');
    expect(nodes.get('copy')?.status).toBe('success');
    expect(nodes.get('source')?.status).toBe('success');
    // Charged for what ran (source and copy), not for the failed or skipped nodes.
    const costs = new Map(
      (job.nodes as { nodeId: string; cost: { billedSeconds: number } | null }[]).map((n) => [
        n.nodeId,
        n.cost,
      ]),
    );
    expect(costs.get('source')?.billedSeconds).toBeGreaterThan(0);
    expect(costs.get('copy')?.billedSeconds).toBeGreaterThan(0);
    expect(costs.get('pick')).toBeNull();
    expect(costs.get('csv')).toBeNull();
    const credits = job.credits as {
      estimated: number;
      reserved: number;
      used: number;
      refunded: number;
      charged: number;
    };
    expect(credits.charged).toBeGreaterThan(0);
    expect(credits.charged).toBe(credits.used);
    expect(credits.reserved - credits.refunded).toBe(credits.charged);
  });

  it('the same Idempotency-Key twice starts one job; the same key with another body is refused', async () => {
    const pipelineId = await createPipeline('idempotent', iris.datasetId, {
      nodes: [{ id: 'source', type: 'dataset.source', params: {} }],
      edges: [],
    });
    const key = { 'idempotency-key': `run-${Date.now()}` };
    const [first, second] = await Promise.all([
      api('POST', '/jobs', { pipelineId, datasetVersionId: iris.versionId }, key),
      api('POST', '/jobs', { pipelineId, datasetVersionId: iris.versionId }, key),
    ]);
    // A replay answers the first response's status, marked as a replay.
    expect([first.status, second.status]).toEqual([201, 201]);
    expect([first.replayed, second.replayed].sort()).toEqual([null, 'true']);
    expect(first.body.id).toBe(second.body.id);
    const third = await api('POST', '/jobs', { pipelineId, datasetVersionId: iris.versionId }, key);
    expect(third.status).toBe(201);
    expect(third.replayed).toBe('true');
    expect(third.body.id).toBe(first.body.id);
    const conflict = await api(
      'POST',
      '/jobs',
      { pipelineId, datasetVersionId: iris.versionId, priority: 9 },
      key,
    );
    expect(conflict.status).toBe(409);
    const listed = await api('GET', `/jobs?pipelineId=${pipelineId}`);
    expect((listed.body.items as Body[]).length).toBe(1);
    await waitForJob(String(first.body.id), ['completed']);
  });

  it('cancel stops a running job, skips what did not finish and settles it; cancelling again answers the same', async () => {
    const jobId = await startRunningSlowJob('slow cancel');
    const cancelled = await api('POST', `/jobs/${jobId}/cancel`);
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.status).toBe('cancelled');
    const nodes = nodesOf(cancelled.body);
    expect(nodes.get('source')?.status).toBe('success');
    expect(nodes.get('blowup')?.status).toBe('skipped');
    expect(cancelled.body.completedAt).not.toBeNull();

    const execution = await platform.orchestrator.waitForExecution(String(cancelled.body.executionId), {
      timeoutMs: 10_000,
    });
    expect(execution.status).toBe('ABORTED');
    const again = await api('POST', `/jobs/${jobId}/cancel`);
    expect(again.status).toBe(200);
    expect(again.body.completedAt).toBe(cancelled.body.completedAt);
    expect(nodesOf((await api('GET', `/jobs/${jobId}`)).body).get('blowup')?.status).toBe('skipped');

    // A finished job can be run again from its snapshot.
    const retried = await api('POST', `/jobs/${jobId}/retry`, {});
    expect(retried.status).toBe(201);
    expect(retried.body.snapshotId).toBe(cancelled.body.snapshotId);
    expect(retried.body.id).not.toBe(jobId);
    await api('POST', `/jobs/${String(retried.body.id)}/cancel`);
  });

  it('the sweeper settles a job whose execution was stopped behind its back, from the status-change event', async () => {
    expect(platform.scheduler.upcoming().map((s) => s.name)).toContain('sweep-jobs');
    const jobId = await startRunningSlowJob('slow sweep');
    const executionId = String((await api('GET', `/jobs/${jobId}`)).body.executionId);
    await platform.orchestrator.stopExecution(executionId);
    await platform.orchestrator.waitForExecution(executionId, { timeoutMs: 10_000 });

    // No sweep is run here: the ABORTED event reaches the sweeper, which settles the job.
    const job = await waitForJob(jobId, ['failed', 'completed', 'cancelled']);
    expect(job.status).toBe('failed');
    // A later event for the same execution changes nothing.
    const again = await makeSweepJobsHandler(() => platform.services)({
      source: 'aws.states',
      'detail-type': 'Step Functions Execution Status Change',
      detail: { executionArn: executionId, name: jobId, status: 'ABORTED' },
    });
    expect(again).toEqual({ outcome: 'already-settled', jobId, status: 'failed' });
    expect((job.error as { message: string }).message).toMatch(/was stopped before the job was settled/);
    expect(nodesOf(job).get('blowup')?.status).toBe('skipped');
    expect((job.credits as { charged: number }).charged).toBe(0);
  });

  it('another user cannot see or cancel the job', async () => {
    const listed = await api('GET', '/jobs?limit=1');
    const jobId = String((listed.body.items as Body[])[0]?.id);
    const other = await registerUser(platform.url);
    const res = await fetch(`${platform.url}/jobs/${jobId}`, { headers: other.authHeader });
    expect(res.status).toBe(404);
    const cancel = await fetch(`${platform.url}/jobs/${jobId}/cancel`, {
      method: 'POST',
      headers: other.authHeader,
    });
    expect(cancel.status).toBe(404);
  });
});
