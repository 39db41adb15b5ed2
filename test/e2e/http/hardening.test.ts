import { mkdtemp, rm } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalPlatform, type LocalPlatform } from '../../../infra/local/local-platform';
import { registerUser, type RegisteredUser } from '../../support/auth';
import { uploadValidatedVersion } from '../../support/upload-version';

/**
 * What the local platform answers to what an attacker or a careless client sends: upload content
 * types outside the allow-list, a target column that does not exist, and the headers every
 * response carries (the gateway's own errors included), HEAD and CORS.
 */
let platform: LocalPlatform;
let dataDir: string;
let user: RegisteredUser;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'pw-hardening-'));
  platform = await startLocalPlatform({ dataDir, port: 0 });
  user = await registerUser(platform.url);
});
afterAll(async () => {
  await platform?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

async function call(method: string, route: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${platform.url}${route}`, {
    method,
    headers: {
      ...user.authHeader,
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...headers,
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return {
    status: res.status,
    headers: res.headers,
    text,
    body: (text ? JSON.parse(text) : {}) as Record<string, unknown>,
  };
}

/** A POST declaring 11 MB and waiting for 100 Continue: the gateway answers without reading anything. */
function declareLargeBody(): Promise<{ status: number; headers: Headers }> {
  return new Promise((resolve, reject) => {
    const url = new URL(platform.url);
    const req = httpRequest(
      {
        host: url.hostname,
        port: url.port,
        method: 'POST',
        path: '/datasets',
        headers: {
          'content-type': 'application/json',
          'content-length': 11 * 1024 * 1024,
          expect: '100-continue',
        },
      },
      (res) => {
        const headers = new Headers();
        for (const [name, value] of Object.entries(res.headers))
          if (typeof value === 'string') headers.set(name, value);
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers }));
      },
    );
    req.on('error', reject);
    req.flushHeaders();
  });
}

async function newDataset(name: string): Promise<string> {
  const created = await call('POST', '/datasets', { name, modality: 'tabular' });
  expect(created.status).toBe(201);
  return String(created.body['id']);
}

describe('upload content types', () => {
  it.each(['text/html', 'application/x-msdownload', 'image/svg+xml'])(
    'a .csv declared as %s is a 400 naming the allowed types',
    async (contentType) => {
      const datasetId = await newDataset(`types ${contentType}`);
      const res = await call('POST', `/datasets/${datasetId}/versions`, {
        fileName: 'rows.csv',
        contentType,
        sizeBytes: 10,
      });
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ code: 'UPLOAD.CONTENT_TYPE_NOT_ALLOWED', field: 'body.contentType' });
      expect((res.body['details'] as { allowed: string[] }).allowed).toContain('text/csv');
      expect(String(res.body['detail'])).toContain('text/csv');
    },
  );

  it('the types clients really send for a .csv are accepted, in any case', async () => {
    const datasetId = await newDataset('types accepted');
    for (const contentType of ['text/csv', 'TEXT/CSV', 'application/vnd.ms-excel']) {
      const res = await call('POST', `/datasets/${datasetId}/versions`, {
        fileName: 'rows.csv',
        contentType,
        sizeBytes: 10,
      });
      expect(res.status, `${contentType}: ${res.text}`).toBe(201);
    }
  });
});

describe('target column', () => {
  it('a target column missing from the current version’s schema is a 400 with the closest match', async () => {
    const datasetId = await newDataset('target column');
    await uploadValidatedVersion(platform.url, user.authHeader, datasetId, {
      name: 'iris.csv',
      contentType: 'text/csv',
      bytes: Buffer.from('sepal_length,species\n5.1,setosa\n7.0,versicolor\n6.3,virginica\n'),
    });
    const typo = await call('PATCH', `/datasets/${datasetId}`, { targetColumn: 'specie' });
    expect(typo.status).toBe(400);
    expect(typo.body).toMatchObject({
      code: 'DATASET.UNKNOWN_TARGET_COLUMN',
      field: 'body.targetColumn',
      details: { suggestion: 'species' },
    });
    const unknown = await call('PATCH', `/datasets/${datasetId}`, { targetColumn: 'nonexistent' });
    expect(unknown.status).toBe(400);
    const right = await call('PATCH', `/datasets/${datasetId}`, { targetColumn: 'species' });
    expect(right.status).toBe(200);
    expect(right.body).toMatchObject({ targetColumn: 'species' });
  });

  it('a dataset without a version yet takes any target column', async () => {
    const datasetId = await newDataset('target column later');
    const res = await call('PATCH', `/datasets/${datasetId}`, { targetColumn: 'label' });
    expect(res.status).toBe(200);
  });
});

describe('response headers', () => {
  const expectSecurityHeaders = (headers: Headers, what: string) => {
    expect(headers.get('strict-transport-security'), what).toMatch(/max-age=\d+/);
    expect(headers.get('x-content-type-options'), what).toBe('nosniff');
    expect(headers.get('referrer-policy'), what).toBe('no-referrer');
    expect(headers.get('content-security-policy'), what).toContain("frame-ancestors 'none'");
  };

  it('every response carries the security headers, the gateway’s own 404, 405 and 413 included', async () => {
    const answers = {
      handler: await call('GET', '/me'),
      'gateway 404': await call('GET', '/no-such-route'),
      'gateway 405': await call('DELETE', '/health'),
    };
    expect(answers['gateway 404'].status).toBe(404);
    expect(answers['gateway 405'].status).toBe(405);
    for (const [what, answer] of Object.entries(answers)) expectSecurityHeaders(answer.headers, what);

    const tooLarge = await declareLargeBody();
    expect(tooLarge.status).toBe(413);
    expectSecurityHeaders(tooLarge.headers, 'gateway 413');
  });

  it('HEAD is answered wherever GET is, with the GET’s status and headers and no body', async () => {
    const head = await fetch(`${platform.url}/health`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-type')).toContain('application/json');
    expect(await head.text()).toBe('');
    const signedIn = await fetch(`${platform.url}/datasets`, { method: 'HEAD', headers: user.authHeader });
    expect(signedIn.status).toBe(200);
    const anonymous = await fetch(`${platform.url}/datasets`, { method: 'HEAD' });
    expect(anonymous.status).toBe(401);
    expectSecurityHeaders(anonymous.headers, 'HEAD 401');
  });

  it('CORS allows the platform’s own origin by default, not any other', async () => {
    const other = await fetch(`${platform.url}/health`, { headers: { origin: 'https://evil.example' } });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
    const preflight = await fetch(`${platform.url}/datasets`, {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
    });
    expect(preflight.headers.get('access-control-allow-origin')).not.toBe('*');
    expect(preflight.headers.get('access-control-allow-origin')).not.toBe('https://evil.example');
  });
});
