import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalPlatform, type LocalPlatform } from '../../../infra/local/local-platform';
import { openDuckDbEngine } from '../../../shared/adapters/duckdb/duckdb-sql-engine';
import type { ProfileReport } from '../../../shared/domain/datasets/profiling/profile-report';
import { sqlNumber, sqlString } from '../../../shared/ports/sql-engine.port';
import { buildWorkbook } from '../../fixtures/ingestion/xlsx/build-workbook';
import { registerUser, type RegisteredUser } from '../../support/auth';
import { until } from '../../support/until';
import { callApi } from '../../support/api-client';

/**
 * Upload → validated with a profile, as a client sees it on the local runtime: presigned POST to
 * the local S3, the storage event, the tabular queue and worker, then the insight routes.
 */
const FIXTURES = path.resolve(import.meta.dirname, '../../fixtures/datasets');

describe('ingestion on the local runtime', () => {
  let platform: LocalPlatform;
  let dataDir: string;
  let user: RegisteredUser;

  const api = (method: string, pathname: string, body?: unknown) =>
    callApi(platform.url, user.authHeader, method, pathname, body);

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'pw-ingestion-e2e-'));
    platform = await startLocalPlatform({ dataDir, port: 0 });
    user = await registerUser(platform.url);
  });

  afterAll(async () => {
    await platform?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('uploads a CSV through the presigned POST and serves its profile, preview and schema', async () => {
    const csv = await readFile(path.join(FIXTURES, 'iris-sample.csv'));
    const created = await api('POST', '/datasets', { name: 'iris profile', modality: 'tabular' });
    expect(created.status).toBe(201);
    const datasetId = String(created.body.id);

    const requested = await api('POST', `/datasets/${datasetId}/versions`, {
      fileName: 'iris-sample.csv',
      contentType: 'text/csv',
      sizeBytes: csv.byteLength,
    });
    expect(requested.status).toBe(201);
    const upload = requested.body.upload as {
      url: string;
      fields: Record<string, string>;
      fileField: string;
    };
    const form = new FormData();
    for (const [name, value] of Object.entries(upload.fields)) form.append(name, value);
    form.append(upload.fileField, new Blob([csv], { type: 'text/csv' }), 'iris-sample.csv');
    expect((await fetch(upload.url, { method: 'POST', body: form })).status).toBeLessThan(300);

    const version = await until('the version to be validated', async () => {
      const body = (await api('GET', `/datasets/${datasetId}/versions/1`)).body;
      if (body.status === 'failed')
        throw new Error(`ingestion failed: ${JSON.stringify(body.validationErrors)}`);
      return body.status === 'validated' ? body : undefined;
    });
    expect(version.status).toBe('validated');

    const profile = await api('GET', `/datasets/${datasetId}/versions/1/profile`);
    expect(profile.status).toBe(200);
    const report = profile.body.report as ProfileReport;

    // The same file summarized by DuckDB itself.
    const dir = await mkdtemp(path.join(tmpdir(), 'pw-summarize-'));
    const engine = await openDuckDbEngine({ tempDirectory: dir, allowedDirectories: [FIXTURES] });
    try {
      const summary = await engine.all(
        `SUMMARIZE SELECT * FROM read_csv(${sqlString(path.join(FIXTURES, 'iris-sample.csv'))})`,
      );
      expect(report.rowCount).toBe(sqlNumber(summary[0]?.count));
      for (const row of summary) {
        const ours = report.columns.find((c) => c.name === row.column_name);
        expect(ours, String(row.column_name)).toBeDefined();
        if (ours?.kind !== 'numeric') continue;
        expect(ours.min).toBe(sqlNumber(row.min));
        expect(ours.max).toBe(sqlNumber(row.max));
        expect(ours.mean).toBeCloseTo(sqlNumber(row.avg) ?? NaN, 9);
        expect(ours.std).toBeCloseTo(sqlNumber(row.std) ?? NaN, 9);
      }
    } finally {
      await engine.close();
      await rm(dir, { recursive: true, force: true });
    }

    const preview = await api('GET', `/datasets/${datasetId}/versions/1/preview?limit=3`);
    expect(preview.status).toBe(200);
    expect((preview.body.rows as unknown[]).length).toBe(Math.min(3, report.rowCount));

    const schema = await api('GET', `/datasets/${datasetId}/versions/1/schema`);
    expect(schema.body.status).toBe('proposed');
    const first = (schema.body.columns as { name: string; type: string }[])[0];
    const accepted = await api('POST', `/datasets/${datasetId}/versions/1/schema/accept`, {
      overrides: [{ column: first?.name, type: 'text' }],
    });
    expect(accepted.status).toBe(200);
    expect(accepted.body.status).toBe('accepted');
    expect((accepted.body.columns as { type: string }[])[0]?.type).toBe('text');
    const again = await api('POST', `/datasets/${datasetId}/versions/1/schema/reject`, {
      reason: 'too late',
    });
    expect(again.status).toBe(409);

    const elsewhere = await api('GET', `/datasets/00000000-0000-4000-8000-000000000000/versions/1/profile`);
    expect(elsewhere.status).toBe(404);
  });
  it('ingests an Excel workbook uploaded like any other file (first sheet, types kept)', async () => {
    const xlsx = buildWorkbook([
      {
        name: 'Readings',
        rows: [
          ['station', 'reading', 'taken_on', 'ok'],
          ['north, upper', 12.5, new Date(Date.UTC(2024, 0, 2)), true],
          ['south', 7, new Date(Date.UTC(2024, 0, 3)), false],
          ['east', null, new Date(Date.UTC(2024, 0, 4)), true],
        ],
      },
      { name: 'Notes', rows: [['ignored']] },
    ]);
    const contentType = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
    const created = await api('POST', '/datasets', { name: 'station readings', modality: 'tabular' });
    const datasetId = String(created.body.id);
    const requested = await api('POST', `/datasets/${datasetId}/versions`, {
      fileName: 'readings.xlsx',
      contentType,
      sizeBytes: xlsx.byteLength,
    });
    expect(requested.status).toBe(201);
    const upload = requested.body.upload as {
      url: string;
      fields: Record<string, string>;
      fileField: string;
    };
    const form = new FormData();
    for (const [name, value] of Object.entries(upload.fields)) form.append(name, value);
    form.append(upload.fileField, new Blob([xlsx], { type: contentType }), 'readings.xlsx');
    expect((await fetch(upload.url, { method: 'POST', body: form })).status).toBeLessThan(300);

    const version = await until('the workbook version to be validated', async () => {
      const body = (await api('GET', `/datasets/${datasetId}/versions/1`)).body;
      if (body.status === 'failed')
        throw new Error(`ingestion failed: ${JSON.stringify(body.validationErrors)}`);
      return body.status === 'validated' ? body : undefined;
    });
    expect(version.rowCount).toBe(3);
    expect(version.columnCount).toBe(4);
    const columns = version.columns as { name: string; type: string }[];
    expect(Object.fromEntries(columns.map((c) => [c.name, c.type]))).toEqual({
      station: 'VARCHAR',
      reading: 'DOUBLE',
      taken_on: 'DATE',
      ok: 'BOOLEAN',
    });
  });
});
