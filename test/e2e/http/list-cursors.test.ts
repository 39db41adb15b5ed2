import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { apiRoutes } from '../../../functions/api/routes';
import { startLocalPlatform, type LocalPlatform } from '../../../infra/local/local-platform';
import { routeKey } from '../../../shared/http/route';
import { createSession, registerUser, type RegisteredUser, type TestSession } from '../../support/auth';

/**
 * Every list route that takes a `cursor` answers a cursor it did not issue with a 400 problem,
 * never a 500 (a timestamp PostgreSQL cannot read used to reach SQL). New list routes are picked
 * up from `apiRoutes`.
 */
const uuid = '0b8f5c2e-1d2a-4c3b-9e4f-5a6b7c8d9e0f';
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const garbled: [string, string][] = [
  ['not base64 JSON', 'garbage!'],
  ['a bare number as the timestamp', b64(['1', uuid])],
  ['month 13', b64(['2026-13-01T00:00:00.000000Z', uuid])],
  ['milliseconds only', b64(['2026-11-21T22:17:01.123Z', uuid])],
  ['an id that is not a uuid', b64(['2026-11-21T22:17:01.123456Z', 'x'])],
  ['a negative number', '-5'],
];

const listRoutes = apiRoutes.filter((route) => {
  const query = route.request?.query;
  return route.method === 'GET' && query instanceof z.ZodObject && 'cursor' in query.shape;
});

let platform: LocalPlatform;
let dataDir: string;
let user: RegisteredUser;
let admin: TestSession;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'pw-list-cursors-'));
  platform = await startLocalPlatform({ dataDir, port: 0 });
  user = await registerUser(platform.url);
  admin = await createSession(platform.services, { role: 'admin' });
});
afterAll(async () => {
  await platform?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

describe('list cursors', () => {
  it('finds the list routes (datasets, versions, pipelines, jobs, users, audit logs)', () => {
    expect(listRoutes.map(routeKey)).toEqual(
      expect.arrayContaining([
        'GET /datasets',
        'GET /datasets/{datasetId}/versions',
        'GET /pipelines',
        'GET /jobs',
        'GET /admin/users',
        'GET /audit-logs',
      ]),
    );
  });

  it.each(
    listRoutes.flatMap((route) =>
      garbled.map(([name, cursor]) => [routeKey(route), name, cursor, route] as const),
    ),
  )('%s answers a cursor with %s as a 400 problem', async (_key, _name, cursor, route) => {
    const url = `${platform.url}${route.path.replace(/\{[^}]+\}/g, uuid)}?cursor=${encodeURIComponent(cursor)}`;
    const res = await fetch(url, { headers: (route.auth === 'admin' ? admin : user).authHeader });
    const body = (await res.json()) as Record<string, unknown>;
    expect(res.status, JSON.stringify(body)).toBe(400);
    expect(body).toMatchObject({ status: 400, code: 'REQUEST.INVALID_CURSOR', field: 'query.cursor' });
  });
});
