import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalPlatform, type LocalPlatform } from '../../../infra/local/local-platform';
import { registerUser, type RegisteredUser } from '../../support/auth';
import { until } from '../../support/until';

/**
 * A file name is cleaned once (`safeFileName`) and that one name is stored, audited and put in the
 * object key; the curl command in the upload instructions names the client's own file, quoted so
 * that neither the shell nor curl's `-F` (which splits at `;` and `,`) misreads it. The command is
 * run as printed, from a directory holding a file with such a name.
 */
const run = promisify(execFile);
const CSV = 'a,b\n1,2\n3,4\n';

let platform: LocalPlatform;
let dataDir: string;
let user: RegisteredUser;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'pw-upload-names-'));
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
    headers: { ...user.authHeader, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('upload file names', () => {
  it.each([
    ['a semicolon, a comma and quotes', `q3;type=text,"final" 'v2'.csv`, 'q3_type_text__final_ _v2_.csv'],
    ['a path and a backslash', 'C:\\exports\\sales report.csv', 'sales report.csv'],
  ])(
    'a name with %s: stored cleaned, and the printed curl uploads the local file',
    async (_what, name, stored) => {
      const dataset = await api('POST', '/datasets', { name: `names ${Math.random()}`, modality: 'tabular' });
      const datasetId = String(dataset.body['id']);
      const created = await api('POST', `/datasets/${datasetId}/versions`, {
        fileName: name,
        contentType: 'text/csv',
        sizeBytes: Buffer.byteLength(CSV),
      });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      const upload = created.body['upload'] as { key: string; curl: string };
      const version = created.body['version'] as {
        version: number;
        originalFileName?: string;
        fileName?: string;
      };
      expect(upload.key.split('/').pop()).toBe(stored);
      expect(version.fileName).toBe(stored);

      const workDir = await mkdtemp(path.join(tmpdir(), 'pw-curl-'));
      try {
        const localName = name.split(/[\\/]/).pop() ?? name;
        await writeFile(path.join(workDir, localName), CSV);
        await run('sh', ['-c', upload.curl], { cwd: workDir });
      } finally {
        await rm(workDir, { recursive: true, force: true });
      }
      const after = await until('the upload to arrive', async () => {
        const res = await api('GET', `/datasets/${datasetId}/versions/${version.version}`);
        return res.body['status'] === 'uploading' ? undefined : res.body;
      });
      expect(after['sizeBytes']).toBe(Buffer.byteLength(CSV));
    },
  );
});
