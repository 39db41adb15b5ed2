import { createHash } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import type { RegisteredUser } from '../../support/auth';
import { e2eSuite } from '../../support/e2e-suite';
import { jobNode, runJobToEnd } from '../../support/job-runs';
import { until } from '../../support/until';
import { uploadValidatedVersion } from '../../support/upload-version';

/**
 * Exports on the local platform, as a client uses them: POST /exports queues one, the exports
 * worker produces it, GET /exports/{id} shows its files, and each file downloads over a presigned
 * link with the bytes and SHA-256 the export recorded. Every format; a job's output; formulas
 * neutralised in CSV; another tenant sees nothing; DELETE removes the files.
 */
const suite = e2eSuite('exports', 2);

type Body = Record<string, unknown>;

/** 40 rows of numbers and a class label: every format, the layouts included, can export it. */
const NUMBERS = [
  'id,x1,x2,label',
  ...Array.from(
    { length: 40 },
    (_, i) => `${i + 1},${(i * 0.37).toFixed(2)},${(i % 7) - 3},${i % 3 === 0 ? 'cat' : 'dog'}`,
  ),
].join('\n');

const FORMULAS = ['id,note', '1,=1+2', '2,@SUM(A1:A2)', '3,plain', '4,-7'].join('\n');

let numbersVersionId: string;
let formulasVersionId: string;

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

async function versionOf(name: string, csv: string): Promise<string> {
  const dataset = await suite.api('POST', '/datasets', { name, modality: 'tabular' });
  expect(dataset.status).toBe(201);
  const version = await uploadValidatedVersion(
    suite.platform.url,
    suite.user(0).authHeader,
    String(dataset.body.id),
    {
      name: `${name}.csv`,
      contentType: 'text/csv',
      bytes: Buffer.from(csv),
    },
  );
  return String(version.id);
}

async function createExport(body: Body, headers: Record<string, string> = {}, as = suite.user(0)) {
  const res = await fetch(`${suite.platform.url}/exports`, {
    method: 'POST',
    headers: { ...as.authHeader, 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Body };
}

/** Polls the export until it ends (completed or failed). */
function ended(id: string): Promise<Body> {
  return until(`export ${id} to end`, async () => {
    const { status, body } = await suite.api('GET', `/exports/${id}`);
    expect(status).toBe(200);
    return body.status === 'completed' || body.status === 'failed' ? body : undefined;
  });
}

/** One file of an export through its download route and the presigned link it redirects to. */
async function downloadFile(exportId: string, relativePath: string, as: RegisteredUser = suite.user(0)) {
  const route = `${suite.platform.url}/exports/${exportId}/download?file=${encodeURIComponent(relativePath)}`;
  const answer = await fetch(route, { headers: as.authHeader, redirect: 'manual' });
  const body = (await answer.json()) as Body;
  if (answer.status !== 302) return { status: answer.status, body, bytes: Buffer.alloc(0) };
  const file = await fetch(String(answer.headers.get('location')));
  expect(file.status).toBe(200);
  return { status: answer.status, body, bytes: Buffer.from(await file.arrayBuffer()) };
}

interface ExportFile {
  relativePath: string;
  sizeBytes: number;
  sha256: string;
}

beforeAll(async () => {
  numbersVersionId = await versionOf('numbers', NUMBERS);
  formulasVersionId = await versionOf('formulas', FORMULAS);
});

describe('exports', () => {
  const LAYOUT_OPTIONS = { labelColumn: 'label', split: { testFraction: 0.25, seed: 7 } };
  it.each([
    ['csv', {}],
    ['json', {}],
    ['jsonl', {}],
    ['parquet', {}],
    ['huggingface', LAYOUT_OPTIONS],
    ['pytorch', LAYOUT_OPTIONS],
    ['tensorflow', LAYOUT_OPTIONS],
  ])(
    'a %s export completes, and each of its files downloads with the bytes and SHA-256 it records',
    async (format, options) => {
      const created = await createExport({ source: { datasetVersionId: numbersVersionId }, format, options });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      expect(created.body).toMatchObject({ status: 'queued', format, progress: 0 });
      expect((created.body.credits as Body).reserved).toBeGreaterThan(0);

      const done = await ended(String(created.body.id));

      expect(done.status, JSON.stringify(done.error)).toBe('completed');
      expect(done).toMatchObject({ progress: 100, rowCount: 40, error: null });
      const files = done.files as ExportFile[];
      expect(files.length).toBeGreaterThan(0);
      expect(done.sizeBytes).toBe(files.reduce((sum, file) => sum + file.sizeBytes, 0));
      expect(String(done.path)).toMatch(new RegExp(`^exports/${suite.user(0).userId}/${String(done.id)}/$`));
      const credits = done.credits as { reserved: number; charged: number };
      expect(credits.charged).toBeGreaterThanOrEqual(0);
      expect(credits.charged).toBeLessThanOrEqual(credits.reserved);
      for (const file of files) {
        const got = await downloadFile(String(done.id), file.relativePath);
        expect(got.status, file.relativePath).toBe(302);
        expect(got.bytes.byteLength, file.relativePath).toBe(file.sizeBytes);
        expect(sha256(got.bytes), file.relativePath).toBe(file.sha256);
        expect(got.body).toMatchObject({ sha256: file.sha256, sizeBytes: file.sizeBytes });
      }
    },
  );

  it('neutralises CSV cells a spreadsheet would run as formulas', async () => {
    const created = await createExport({
      source: { datasetVersionId: formulasVersionId },
      format: 'csv',
      options: { fileName: 'notes for Excel.csv' },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const done = await ended(String(created.body.id));
    expect(done.status).toBe('completed');

    // One file: the download route serves it without ?file=.
    const answer = await fetch(`${suite.platform.url}/exports/${String(done.id)}/download`, {
      headers: suite.user(0).authHeader,
      redirect: 'manual',
    });
    expect(answer.status).toBe(302);
    const link = (await answer.json()) as Body;
    expect(link.fileName).toBe('notes_for_Excel.csv');
    const text = await (await fetch(String(answer.headers.get('location')))).text();
    const lines = text.trim().split('\r\n');
    expect(lines).toContain(`1,"'=1+2"`);
    expect(lines).toContain(`2,"'@SUM(A1:A2)"`);
    expect(lines).toContain(`3,"plain"`);
    expect(text).not.toMatch(/(^|,)"?=1\+2/m);
  });

  it('exports the table a node of a job wrote', async () => {
    const datasets = await suite.api('GET', '/datasets');
    const numbers = (datasets.body.items as Body[]).find((d) => d.name === 'numbers');
    const pipeline = await suite.api('POST', '/pipelines', {
      name: 'numbers only',
      datasetId: numbers?.id,
      definition: {
        nodes: [
          { id: 'source', type: 'dataset.source', params: {} },
          { id: 'pick', type: 'table.select_columns', params: { columns: ['id', 'x1'] } },
        ],
        edges: [{ from: { node: 'source', port: 'table' }, to: { node: 'pick', port: 'table' } }],
      },
    });
    expect(pipeline.status, JSON.stringify(pipeline.body)).toBe(201);
    const job = await runJobToEnd(suite.platform.url, suite.user(0).authHeader, {
      pipelineId: pipeline.body.id,
      datasetVersionId: numbersVersionId,
    });
    expect(job.status, JSON.stringify(jobNode(job, 'pick'))).toBe('completed');

    const created = await createExport({
      source: { jobId: job.id, nodeId: 'pick', port: 'table' },
      format: 'jsonl',
      options: { fileName: 'picked' },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const done = await ended(String(created.body.id));

    expect(done.status, JSON.stringify(done.error)).toBe('completed');
    const [file] = done.files as ExportFile[];
    expect(file?.relativePath).toBe('picked.jsonl');
    const got = await downloadFile(String(done.id), 'picked.jsonl');
    const rows = got.bytes
      .toString('utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Body);
    expect(rows).toHaveLength(40);
    expect(Object.keys(rows[0] ?? {})).toEqual(['id', 'x1']);
  });

  it('fails an export its options cannot satisfy, says why, and charges no more than it held', async () => {
    const created = await createExport({
      source: { datasetVersionId: numbersVersionId },
      format: 'huggingface',
      options: { labelColumn: 'species' },
    });
    expect(created.status).toBe(201);
    const done = await ended(String(created.body.id));

    expect(done.status).toBe('failed');
    const error = done.error as { code: string; message: string };
    expect(error.code).toMatch(/^EXPORT\./);
    expect(error.message).toContain('species');
    expect(error.message).not.toMatch(/\/tmp|SELECT|at .*\.ts:\d+/);
    expect(done.files).toEqual([]);
    expect(done.downloadUrl).toBeNull();
    const download = await fetch(`${suite.platform.url}/exports/${String(done.id)}/download`, {
      headers: suite.user(0).authHeader,
      redirect: 'manual',
    });
    expect(download.status).toBe(409);
  });

  it('refuses a request it cannot queue, naming the field', async () => {
    const badFormat = await createExport({ source: { datasetVersionId: numbersVersionId }, format: 'xlsx' });
    expect(badFormat.status).toBe(400);
    expect(JSON.stringify(badFormat.body)).toContain('format');
    const badOption = await createExport({
      source: { datasetVersionId: numbersVersionId },
      format: 'json',
      options: { shards: 3 },
    });
    expect(badOption.status).toBe(400);
    expect(JSON.stringify(badOption.body)).toContain('shards');
  });

  it('answers a retried POST with the same export (Idempotency-Key)', async () => {
    const body = { source: { datasetVersionId: numbersVersionId }, format: 'parquet' };
    const first = await createExport(body, { 'idempotency-key': 'export-numbers-once' });
    const again = await createExport(body, { 'idempotency-key': 'export-numbers-once' });

    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.body.id).toBe(first.body.id);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    await ended(String(first.body.id));
  });

  it('lists exports newest first, filtered by format and status', async () => {
    const page = await suite.api('GET', '/exports?format=jsonl,parquet&status=completed&limit=2');
    expect(page.status).toBe(200);
    const items = page.body.items as Body[];
    expect(items.length).toBeGreaterThan(0);
    for (const item of items) {
      expect(['jsonl', 'parquet']).toContain(item.format);
      expect(item.status).toBe('completed');
    }
    if (page.body.nextCursor) {
      const next = await suite.api(
        'GET',
        `/exports?format=jsonl,parquet&status=completed&limit=2&cursor=${String(page.body.nextCursor)}`,
      );
      expect((next.body.items as Body[]).map((i) => i.id)).not.toContain(items[0]?.id);
    }
  });

  it('shows another tenant nothing, and DELETE removes the export and every file it wrote', async () => {
    const created = await createExport({
      source: { datasetVersionId: numbersVersionId },
      format: 'tensorflow',
      options: { labelColumn: 'label', split: { testFraction: 0.5, seed: 1 }, shards: 2 },
    });
    const done = await ended(String(created.body.id));
    expect(done.status, JSON.stringify(done.error)).toBe('completed');
    const id = String(done.id);
    const prefix = `exports/${suite.user(0).userId}/${id}/`;
    const stored = await suite.platform.services.blobs.list(prefix);
    expect(stored.items.length).toBe((done.files as ExportFile[]).length);

    const stranger = suite.user(1);
    expect((await suite.api('GET', `/exports/${id}`, undefined, stranger)).status).toBe(404);
    expect(
      (await downloadFile(id, (done.files as ExportFile[])[0]?.relativePath ?? '', stranger)).status,
    ).toBe(404);
    expect((await suite.api('DELETE', `/exports/${id}`, undefined, stranger)).status).toBe(404);
    const theirs = await createExport(
      { source: { datasetVersionId: numbersVersionId }, format: 'csv' },
      {},
      stranger,
    );
    expect(theirs.status).toBe(404);
    expect((await suite.platform.services.blobs.list(prefix)).items.length).toBe(stored.items.length);

    const several = await fetch(`${suite.platform.url}/exports/${id}/download`, {
      headers: suite.user(0).authHeader,
      redirect: 'manual',
    });
    expect(several.status).toBe(400);
    expect(await several.json()).toMatchObject({ code: 'EXPORT.FILE_REQUIRED', field: 'query.file' });

    const deleted = await suite.api('DELETE', `/exports/${id}`);
    expect(deleted.status).toBe(204);
    expect((await suite.api('GET', `/exports/${id}`)).status).toBe(404);
    expect((await suite.platform.services.blobs.list(prefix)).items).toEqual([]);
  });
});
