import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalPlatform, type LocalPlatform } from '../../../infra/local/local-platform';
import { withSystemScope } from '../../../shared/db/tenant';
import { registerUser, type RegisteredUser } from '../../support/auth';
import { until } from '../../support/until';
import { callApi } from '../../support/api-client';

/**
 * A very wide table through the real run-pipeline machine on the local runtime (which holds every
 * payload to Step Functions' 256 KB quota, as AWS does). Node outputs carry object keys, counts and
 * the first column names only, so a 3,000-column table with long column names runs to the end,
 * and what is recorded per node and per job stays far below the Data API's 64 KB row limit.
 */
const COLUMNS = Array.from(
  { length: 3_000 },
  (_, i) => `sensor_reading_${String(i).padStart(4, '0')}_${'calibrated_measurement_value_'.repeat(3)}`,
);

describe('a 3,000-column table through the run-pipeline machine', () => {
  let platform: LocalPlatform;
  let dataDir: string;
  let user: RegisteredUser;

  const api = (method: string, pathname: string, body?: unknown) =>
    callApi(platform.url, user.authHeader, method, pathname, body);

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'pw-wide-runs-e2e-'));
    platform = await startLocalPlatform({ dataDir, port: 0 });
    user = await registerUser(platform.url);
  });

  afterAll(async () => {
    await platform?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('splits it, completes, and records small outputs', async () => {
    // Each port's full column list alone would be ~300 KB: over the quota for any state.
    expect(JSON.stringify(COLUMNS).length).toBeGreaterThan(256 * 1024);
    const csv = [
      COLUMNS.join(','),
      ...Array.from({ length: 20 }, (_, r) => COLUMNS.map((_, c) => r * c).join(',')),
    ].join('\n');
    const created = await api('POST', '/datasets', { name: 'wide sensors', modality: 'tabular' });
    expect(created.status).toBe(201);
    const datasetId = String(created.body.id);
    const bytes = Buffer.from(csv);
    const requested = await api('POST', `/datasets/${datasetId}/versions`, {
      fileName: 'wide.csv',
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
    form.append(upload.fileField, new Blob([bytes], { type: 'text/csv' }), 'wide.csv');
    expect((await fetch(upload.url, { method: 'POST', body: form })).status).toBeLessThan(300);
    const version = await until(
      'the wide version to be validated',
      async () => {
        const body = (await api('GET', `/datasets/${datasetId}/versions/1`)).body;
        if (body.status === 'failed')
          throw new Error(`ingestion failed: ${JSON.stringify(body.validationErrors)}`);
        return body.status === 'validated' ? body : undefined;
      },
      180_000,
    );

    const pipeline = await api('POST', '/pipelines', {
      name: 'wide split',
      datasetId,
      definition: {
        nodes: [
          { id: 'source', type: 'dataset.source', params: {} },
          { id: 'split', type: 'table.split', params: { testFraction: 0.25, seed: 3 } },
          { id: 'trimmed', type: 'table.drop_columns', params: { columns: [COLUMNS[0]] } },
        ],
        edges: [
          { from: { node: 'source', port: 'table' }, to: { node: 'split', port: 'table' } },
          { from: { node: 'source', port: 'table' }, to: { node: 'trimmed', port: 'table' } },
        ],
      },
    });
    expect(pipeline.status, JSON.stringify(pipeline.body)).toBe(201);
    const started = await api('POST', '/jobs', {
      pipelineId: String(pipeline.body.id),
      datasetVersionId: String(version.id),
    });
    expect(started.status, JSON.stringify(started.body)).toBe(201);
    const jobId = String(started.body.id);

    const job = await until(
      `job ${jobId} to end`,
      async () => {
        const { body } = await api('GET', `/jobs/${jobId}`);
        return body.status === 'completed' || body.status === 'failed' ? body : undefined;
      },
      180_000,
    );
    expect(job.status, JSON.stringify(job.error)).toBe('completed');
    const nodes = new Map(
      (
        job.nodes as { nodeId: string; status: string; outputs: Record<string, Record<string, unknown>> }[]
      ).map((n) => [n.nodeId, n]),
    );
    const train = nodes.get('split')?.outputs['train'];
    expect(train).toMatchObject({
      columnCount: 3_000,
      columnsTruncated: true,
      columns: COLUMNS.slice(0, 50),
    });
    expect(nodes.get('trimmed')?.outputs['table']).toMatchObject({ columnCount: 2_999 });

    // The execution ended normally: Settle ran, nothing over the quota.
    const execution = await platform.orchestrator.describeExecution(String(job.executionId));
    expect(execution?.status).toBe('SUCCEEDED');

    // What the database keeps for the run is small (the Data API returns rows of at most 64 KB).
    const sizes = await withSystemScope(platform.services.db, 'admin.test-fixture', async (trx) => {
      const nodeRows = await sql<{ bytes: number }>`
        select octet_length(output::text) as bytes from job_nodes where job_id = ${jobId}::uuid
      `.execute(trx);
      const jobRow = await sql<{ bytes: number }>`
        select octet_length(results::text) as bytes from jobs where id = ${jobId}::uuid
      `.execute(trx);
      return { nodes: nodeRows.rows.map((r) => Number(r.bytes)), job: Number(jobRow.rows[0]?.bytes ?? 0) };
    });
    expect(sizes.nodes).toHaveLength(3);
    for (const bytes of sizes.nodes) expect(bytes).toBeLessThan(16 * 1024);
    expect(sizes.job).toBeLessThan(32 * 1024);
  });
});
