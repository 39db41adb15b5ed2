import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalPlatform, type LocalPlatform } from '../../../infra/local/local-platform';
import { buildLyingWorkbookBomb } from '../../fixtures/ingestion/xlsx/build-zip-bomb';
import { registerUser, type RegisteredUser } from '../../support/auth';
import { until } from '../../support/until';

/**
 * A hostile workbook on the local runtime: about a megabyte whose sheet inflates to 300 MB of XML
 * while its zip directory declares a few hundred bytes. Its version fails with the workbook limit
 * error, and the platform keeps answering its health check while the file is being refused.
 */
let platform: LocalPlatform;
let dataDir: string;
let user: RegisteredUser;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'pw-xlsx-bomb-'));
  platform = await startLocalPlatform({ dataDir, port: 0 });
  user = await registerUser(platform.url);
});
afterAll(async () => {
  await platform?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

async function api(method: string, pathname: string, body?: unknown) {
  const res = await fetch(`${platform.url}${pathname}`, {
    method,
    headers: { ...user.authHeader, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  return (await res.json()) as Record<string, unknown>;
}

describe('a workbook bomb', () => {
  it('fails its version with the limit error while /health keeps answering', async () => {
    const bomb = await buildLyingWorkbookBomb(300 * 1024 * 1024);
    expect(bomb.byteLength).toBeLessThan(2 * 1024 * 1024);
    const dataset = await api('POST', '/datasets', { name: 'bomb', modality: 'tabular' });
    const created = await api('POST', `/datasets/${String(dataset['id'])}/versions`, {
      fileName: 'report.xlsx',
      sizeBytes: bomb.byteLength,
    });
    const upload = created['upload'] as {
      url: string;
      fields: Record<string, string>;
      fileField: string;
      contentType: string;
    };
    const form = new FormData();
    for (const [field, value] of Object.entries(upload.fields)) form.append(field, value);
    form.append(upload.fileField, new Blob([bomb], { type: upload.contentType }), 'report.xlsx');
    expect((await fetch(upload.url, { method: 'POST', body: form })).status).toBeLessThan(300);

    const healthStatuses: number[] = [];
    const version = await until(
      'the bomb to be refused',
      async () => {
        healthStatuses.push((await fetch(`${platform.url}/health`)).status);
        const body = await api('GET', `/datasets/${String(dataset['id'])}/versions/1`);
        return body['status'] === 'failed' || body['status'] === 'validated' ? body : undefined;
      },
      120_000,
      100,
    );

    expect(version['status']).toBe('failed');
    expect(version['validationErrors']).toEqual([
      expect.objectContaining({ code: 'LIMIT.WORKBOOK_TOO_LARGE', message: expect.stringContaining('MB') }),
    ]);
    expect(healthStatuses.length).toBeGreaterThan(0);
    expect(healthStatuses.every((status) => status === 200)).toBe(true);
  });
});
