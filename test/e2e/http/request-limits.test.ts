import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalPlatform, type LocalPlatform } from '../../../infra/local/local-platform';
import { registerUser, type RegisteredUser } from '../../support/auth';

/**
 * Bounded input, as clients see it on the local platform: bodies over the gateway's 10 MiB limit
 * get a 413 that fetch and curl (with and without `Expect: 100-continue`) actually receive, and
 * JSON nested deeper than the limit is a 400 naming the field, never a crash.
 */
const run = promisify(execFile);
let platform: LocalPlatform;
let dataDir: string;
let user: RegisteredUser;
let bigFile: string;
const ELEVEN_MB = 11 * 1024 * 1024;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'pw-request-limits-'));
  platform = await startLocalPlatform({ dataDir, port: 0 });
  user = await registerUser(platform.url);
  bigFile = path.join(dataDir, 'eleven-megabytes.json');
  await writeFile(bigFile, Buffer.alloc(ELEVEN_MB, 0x20));
});
afterAll(async () => {
  await platform?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

/** curl's status code and body for a POST of the 11 MB file (curl sends `Expect: 100-continue` itself). */
async function curlPost(extraArgs: string[]): Promise<{ status: string; body: string }> {
  const { stdout } = await run('curl', [
    '-sS',
    '-X',
    'POST',
    '-H',
    'content-type: application/json',
    '-H',
    `authorization: ${user.authHeader.authorization}`,
    '--data-binary',
    `@${bigFile}`,
    '-w',
    '\n%{http_code}',
    ...extraArgs,
    `${platform.url}/datasets`,
  ]);
  const cut = stdout.lastIndexOf('\n');
  return { body: stdout.slice(0, cut), status: stdout.slice(cut + 1) };
}

describe('bodies over the limit', () => {
  it('an 11 MB body sent with fetch gets the 413 problem', async () => {
    for (let attempt = 0; attempt < 3; attempt++) {
      const res = await fetch(`${platform.url}/datasets`, {
        method: 'POST',
        headers: { ...user.authHeader, 'content-type': 'application/json' },
        body: Buffer.alloc(ELEVEN_MB, 0x20),
      });
      expect(res.status).toBe(413);
      expect(await res.json()).toMatchObject({ status: 413, code: 'REQUEST.TOO_LARGE' });
    }
  });

  it('curl with Expect: 100-continue gets the 413 instead of 100 Continue', async () => {
    const answer = await curlPost(['-H', 'Expect: 100-continue']);
    expect(answer.status).toBe('413');
    expect(JSON.parse(answer.body)).toMatchObject({ code: 'REQUEST.TOO_LARGE' });
  });

  it('curl without Expect gets the 413 too', async () => {
    const answer = await curlPost(['-H', 'Expect:']);
    expect(answer.status).toBe('413');
    expect(JSON.parse(answer.body)).toMatchObject({ code: 'REQUEST.TOO_LARGE' });
  });

  it('a chunked body that grows past the limit gets the 413 once it does', async () => {
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const url = new URL(platform.url);
      const req = httpRequest(
        {
          host: url.hostname,
          port: url.port,
          method: 'POST',
          path: '/datasets',
          headers: { ...user.authHeader, 'content-type': 'application/json', 'transfer-encoding': 'chunked' },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
          );
        },
      );
      req.on('error', reject);
      const chunk = Buffer.alloc(1024 * 1024, 0x20);
      for (let i = 0; i < 11; i++) req.write(chunk);
      req.end();
    });
    expect(answer.status).toBe(413);
    expect(JSON.parse(answer.body)).toMatchObject({ code: 'REQUEST.TOO_LARGE' });
  });

  it('the platform still answers on a new connection afterwards', async () => {
    const res = await fetch(`${platform.url}/me`, { headers: user.authHeader });
    expect(res.status).toBe(200);
  });
});

describe('values larger than any field holds', () => {
  it('a 200,000-character string in free-form node params is a 400 naming the field and the limit', async () => {
    const body = JSON.stringify({
      name: 'long',
      definition: {
        nodes: [{ id: 'n1', type: 'table.filter', params: { note: 'x'.repeat(200_000) } }],
        edges: [],
      },
    });
    const res = await fetch(`${platform.url}/pipelines`, {
      method: 'POST',
      headers: { ...user.authHeader, 'content-type': 'application/json' },
      body,
    });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    const problem = (await res.json()) as { code: string; field: string; detail: string };
    expect(problem).toMatchObject({
      code: 'REQUEST.FIELD_TOO_LARGE',
      field: 'body.definition.nodes.0.params.note',
    });
    expect(problem.detail).toContain('at most 100,000');
  });

  it('a declared field over its own limit is a 400 naming the field', async () => {
    const res = await fetch(`${platform.url}/datasets`, {
      method: 'POST',
      headers: { ...user.authHeader, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'n'.repeat(5_000), modality: 'tabular' }),
    });
    expect(res.status).toBe(400);
    const problem = (await res.json()) as { code: string; field?: string; issues?: { field: string }[] };
    expect(JSON.stringify(problem)).toContain('body.name');
  });
});

describe('deeply nested JSON', () => {
  const nested = (levels: number, leaf = '1') => '{"a":'.repeat(levels) + leaf + '}'.repeat(levels);

  it('a body nested 100,000 levels deep is a 400 naming the field', async () => {
    const res = await fetch(`${platform.url}/datasets`, {
      method: 'POST',
      headers: { ...user.authHeader, 'content-type': 'application/json' },
      body: `{"name":"deep","modality":"tabular","tags":${'['.repeat(100_000)}${']'.repeat(100_000)}}`,
    });
    expect(res.status).toBe(400);
    const problem = (await res.json()) as { code: string; field: string };
    expect(problem.code).toBe('REQUEST.JSON_TOO_DEEP');
    expect(problem.field).toMatch(/^body\.tags\.0\.0\.0/);
  });

  it('pipeline node params nested 6,000 levels deep are a 400 naming the node’s params, not a 500', async () => {
    const body = `{"name":"deep","definition":{"nodes":[{"id":"n1","type":"table.filter","params":${nested(6_000)}}],"edges":[]}}`;
    const res = await fetch(`${platform.url}/pipelines`, {
      method: 'POST',
      headers: { ...user.authHeader, 'content-type': 'application/json' },
      body,
    });
    expect(res.status).toBe(400);
    const problem = (await res.json()) as { code: string; field: string };
    expect(problem.code).toBe('REQUEST.JSON_TOO_DEEP');
    expect(problem.field).toMatch(/^body\.definition\.nodes\.0\.params\.a/);
  });

  it('ordinary nesting passes', async () => {
    const res = await fetch(`${platform.url}/pipelines`, {
      method: 'POST',
      headers: { ...user.authHeader, 'content-type': 'application/json' },
      body: `{"name":"shallow","definition":{"nodes":[{"id":"n1","type":"table.filter","params":${nested(20)}}],"edges":[]}}`,
    });
    expect(res.status).toBe(201);
  });
});
